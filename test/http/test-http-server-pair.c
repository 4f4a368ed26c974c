/* The HTTP server over an in-memory stream pair: exact response bytes and
 * event order, with no sockets involved. The client side writes raw
 * request bytes, half-closes, and collects everything until the server's
 * side has closed. */
#include <string.h>

#include "lode.h"
#include "test.h"
#include "server-pair.h"

/* Handlers. */
static void hello(lode_http_server_t* srv, lode_http_incoming_t* req,
                  lode_http_response_t* res) {
  (void) srv;
  (void) req;
  ASSERT_EQ(lode_http_outgoing_end(res, LODE_SLICE("hello world"), NULL, NULL),
            0);
}

static const lode_http_server_events_t hello_ev = { .on_request = hello };

TEST(hello_keep_alive) {
  const char* got = run(NULL, &hello_ev, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_STR_EQ(got,
                "HTTP/1.1 200 OK\r\nDate: X\r\nConnection: keep-alive\r\n"
                "Keep-Alive: timeout=5\r\nContent-Length: 11\r\n\r\n"
                "hello world");
}

TEST(http10_closes) {
  const char* got = run(NULL, &hello_ev, "GET / HTTP/1.0\r\n\r\n");
  /* HTTP/1.0 without chunked: the body runs to the close, no length. */
  ASSERT_STR_EQ(got,
                "HTTP/1.1 200 OK\r\nDate: X\r\nConnection: close\r\n"
                "\r\nhello world");
}

TEST(pipelined_in_order) {
  const char* got = run(NULL, &hello_ev,
                        "GET /1 HTTP/1.1\r\nHost: x\r\n\r\n"
                        "GET /2 HTTP/1.1\r\nHost: x\r\n\r\n");
  const char* one =
      "HTTP/1.1 200 OK\r\nDate: X\r\nConnection: keep-alive\r\n"
      "Keep-Alive: timeout=5\r\nContent-Length: 11\r\n\r\n"
      "hello world";
  char want[1024];
  snprintf(want, sizeof(want), "%s%s", one, one);
  ASSERT_STR_EQ(got, want);
}

static void chunked(lode_http_server_t* srv, lode_http_incoming_t* req,
                    lode_http_response_t* res) {
  (void) srv;
  (void) req;
  ASSERT_OK(lode_http_outgoing_set_header(res, "Content-Type", "text/plain"));
  ASSERT_EQ(lode_http_outgoing_write(res, LODE_SLICE("a"), NULL, NULL), 1);
  ASSERT_EQ(lode_http_outgoing_write(res, LODE_SLICE("bc"), NULL, NULL), 1);
  static const char* const tr[] = { "X-Sum", "abc", NULL };
  ASSERT_OK(lode_http_outgoing_add_trailers(res, tr));
  ASSERT_OK(lode_http_outgoing_end(res, LODE_SLICE("def"), NULL, NULL));
}

static const lode_http_server_events_t chunked_ev = { .on_request = chunked };

TEST(chunked_with_trailers) {
  const char* got = run(NULL, &chunked_ev, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_STR_EQ(got,
                "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
                "Date: X\r\nConnection: keep-alive\r\n"
                "Keep-Alive: timeout=5\r\nTransfer-Encoding: chunked\r\n"
                "\r\n1\r\na\r\n2\r\nbc\r\n3\r\ndef\r\n0\r\nX-Sum: abc\r\n"
                "\r\n");
}

TEST(head_has_no_body) {
  const char* got = run(NULL, &chunked_ev,
                        "HEAD / HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_STR_EQ(got,
                "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
                "Date: X\r\nConnection: keep-alive\r\n"
                "Keep-Alive: timeout=5\r\n\r\n");
}

TEST(bad_request_400) {
  const char* got = run(NULL, &hello_ev, "GET / HTTP/1.1\r\nHo st: x\r\n\r\n");
  ASSERT_STR_EQ(got, "HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n");
}

TEST(missing_host_400) {
  const char* got = run(NULL, &hello_ev, "GET / HTTP/1.1\r\n\r\n");
  ASSERT_STR_EQ(got,
                "HTTP/1.1 400 Bad Request\r\nConnection: close\r\n"
                "Date: X\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
}

/* The body as a stream: data, then end, then the response. */
static void body_data(lode_http_incoming_t* req, lode_slice_t d) {
  test_trace("data:%.*s", (int) d.len, d.base);
}

static void body_end(lode_http_incoming_t* req) {
  test_trace("end");
  lode_http_response_t* res = lode_http_incoming_get_data(req);
  lode_http_outgoing_end(res, LODE_SLICE("ok"), NULL, NULL);
}

static void body_close(lode_http_incoming_t* req) {
  test_trace("req-close");
}

static const lode_http_incoming_events_t body_events = {
  .on_data = body_data,
  .on_end = body_end,
  .on_close = body_close,
};

static void res_finish(lode_http_outgoing_t* o) {
  test_trace("finish");
}

static void res_close(lode_http_outgoing_t* o) {
  test_trace("res-close");
}

static const lode_http_outgoing_events_t res_events = {
  .on_finish = res_finish,
  .on_close = res_close,
};

static void body_req(lode_http_server_t* srv, lode_http_incoming_t* req,
                     lode_http_response_t* res) {
  test_trace("request:%s", lode_http_incoming_url(req));
  lode_http_incoming_set_data(req, res);
  lode_http_incoming_set_events(req, &body_events);
  lode_http_outgoing_set_events(res, &res_events);
}

static const lode_http_server_events_t body_ev = { .on_request = body_req };

TEST(chunked_request_body) {
  const char* got = run(NULL, &body_ev,
                        "POST /b HTTP/1.1\r\nHost: x\r\n"
                        "Transfer-Encoding: chunked\r\n\r\n"
                        "3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n");
  ASSERT_STR_EQ(got,
                "HTTP/1.1 200 OK\r\nDate: X\r\nConnection: keep-alive\r\n"
                "Keep-Alive: timeout=5\r\nContent-Length: 2\r\n\r\nok");
  ASSERT_TRACE(
      "request:/b,data:abc,data:de,end,finish,res-close,req-close,"
      "cli-end,cli-close(0)");
}

/* The headers API on a response, with Node's errors. */
static void headers_api(lode_http_server_t* srv, lode_http_incoming_t* req,
                        lode_http_response_t* res) {
  static const char* const two[] = { "a", "b" };
  size_t n;
  ASSERT_OK(lode_http_outgoing_set_header(res, "X-Foo", "1"));
  ASSERT_OK(lode_http_outgoing_set_header_values(res, "x-bar", two, 2));
  ASSERT_STR_EQ(lode_http_outgoing_get_header(res, "X-FOO", &n), "1");
  ASSERT_EQ(n, 1);
  ASSERT_STR_EQ(lode_http_outgoing_get_header_value(res, "X-Bar", 1), "b");
  ASSERT(lode_http_outgoing_has_header(res, "x-foo"));
  ASSERT(!lode_http_outgoing_has_header(res, "x-none"));
  ASSERT_OK(lode_http_outgoing_append_header(res, "x-foo", "2"));
  lode_http_outgoing_get_header(res, "x-foo", &n);
  ASSERT_EQ(n, 2);
  ASSERT_EQ(lode_http_outgoing_header_count(res), 2);
  ASSERT_STR_EQ(lode_http_outgoing_header_name(res, 0), "x-foo");
  ASSERT_STR_EQ(lode_http_outgoing_raw_header_name(res, 0), "X-Foo");
  ASSERT_EQ(lode_http_outgoing_set_header(res, "bad name", "x"),
            LODE_ERR_INVALID_HTTP_TOKEN);
  ASSERT_EQ(lode_http_outgoing_set_header(res, "x-ok", "a\r\nb"),
            LODE_ERR_INVALID_CHAR);
  ASSERT_EQ(lode_http_outgoing_set_header(res, "x-ok", NULL),
            LODE_ERR_HTTP_INVALID_HEADER_VALUE);
  /* Bad arguments are errors, never crashes. */
  ASSERT_EQ(lode_http_outgoing_set_header(res, NULL, "x"),
            LODE_ERR_INVALID_HTTP_TOKEN);
  ASSERT_EQ(lode_http_outgoing_remove_header(res, NULL),
            LODE_ERR_INVALID_ARG_TYPE);
  ASSERT_EQ(
      lode_http_outgoing_write(res, (lode_slice_t){ NULL, 3 }, NULL, NULL),
      LODE_ERR_STREAM_NULL_VALUES);
  ASSERT_NULL(lode_http_incoming_header(req, NULL));
  ASSERT_EQ(lode_http_outgoing_set_headers(res, NULL),
            LODE_ERR_INVALID_ARG_TYPE);
  ASSERT_OK(lode_http_outgoing_remove_header(res, "X-BAR"));
  ASSERT_EQ(lode_http_outgoing_header_count(res), 1);
  static const char* const pairs[] = { "set-cookie", "a=1", "x-h", "v",
                                       "set-cookie", "b=2", NULL };
  ASSERT_OK(lode_http_outgoing_set_headers(res, pairs));
  ASSERT(!lode_http_outgoing_headers_sent(res));
  ASSERT_EQ(lode_http_response_write_head(res, 42, NULL, NULL),
            LODE_ERR_HTTP_INVALID_STATUS_CODE);
  ASSERT_EQ(lode_http_outgoing_write(res, LODE_SLICE("x"), NULL, NULL), 1);
  ASSERT(lode_http_outgoing_headers_sent(res));
  ASSERT_EQ(lode_http_outgoing_set_header(res, "x-late", "1"),
            LODE_ERR_HTTP_HEADERS_SENT);
  ASSERT_EQ(lode_http_outgoing_remove_header(res, "x-foo"),
            LODE_ERR_HTTP_HEADERS_SENT);
  ASSERT_EQ(lode_http_response_write_head(res, 200, NULL, NULL),
            LODE_ERR_HTTP_HEADERS_SENT);
  ASSERT_OK(lode_http_outgoing_end(res, (lode_slice_t){ NULL, 0 }, NULL, NULL));
  ASSERT(lode_http_outgoing_writable_ended(res));
  ASSERT(!lode_http_outgoing_writable_finished(res));
}

static const lode_http_server_events_t api_ev = { .on_request = headers_api };

TEST(headers_api_and_errors) {
  const char* got = run(NULL, &api_ev, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  /* setHeaders gathers set-cookie values and sets them last, as Node. */
  ASSERT_STR_EQ(got,
                "HTTP/1.1 200 OK\r\nX-Foo: 1\r\nX-Foo: 2\r\n"
                "x-h: v\r\nset-cookie: a=1\r\nset-cookie: b=2\r\n"
                "Date: X\r\nConnection: keep-alive\r\n"
                "Keep-Alive: timeout=5\r\nTransfer-Encoding: chunked\r\n"
                "\r\n1\r\nx\r\n0\r\n\r\n");
}

/* write after end: 0 now, the error later in the callback and on_error. */
static void wae_cb(lode_http_outgoing_t* o, int status, void* arg) {
  test_trace("cb:%s", lode_err_name(status));
}

static void wae_error(lode_http_outgoing_t* o, const lode_error_t* e) {
  test_trace("error:%s:%s", e->name, e->message);
}

static const lode_http_outgoing_events_t wae_events = {
  .on_error = wae_error,
  .on_finish = res_finish,
  .on_close = res_close,
};

static void write_after_end(lode_http_server_t* srv, lode_http_incoming_t* req,
                            lode_http_response_t* res) {
  lode_http_outgoing_set_events(res, &wae_events);
  lode_http_outgoing_end(res, LODE_SLICE("done"), NULL, NULL);
  ASSERT_EQ(lode_http_outgoing_write(res, LODE_SLICE("x"), wae_cb, NULL), 0);
  test_trace("returned");
}

static const lode_http_server_events_t wae_ev = {
  .on_request = write_after_end,
};

TEST(write_after_end_is_async) {
  run(NULL, &wae_ev, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_TRACE(
      "returned,cb:ERR_STREAM_WRITE_AFTER_END,"
      "error:ERR_STREAM_WRITE_AFTER_END:write after end,finish,"
      "res-close,cli-end,cli-close(0)");
}

/* pause() holds the body; resume() delivers it; setEncoding decodes. */
static void paused_data(lode_http_incoming_t* req, lode_slice_t d) {
  test_trace("data:%.*s", (int) d.len, d.base);
}

static void paused_end(lode_http_incoming_t* req) {
  test_trace("end");
  lode_http_outgoing_end(lode_http_incoming_get_data(req), LODE_SLICE("ok"),
                         NULL, NULL);
}

static const lode_http_incoming_events_t paused_events = {
  .on_data = paused_data,
  .on_end = paused_end,
};

static lode_http_incoming_t* paused_req;

/* Once the loop is quiet: the whole body has arrived and is held. */
static void resume_when_quiet(exchange_t* x) {
  test_trace("resume");
  ASSERT(lode_http_incoming_is_paused(paused_req));
  lode_http_incoming_resume(paused_req);
  lode_http_incoming_release(paused_req);
}

static void pause_req(lode_http_server_t* srv, lode_http_incoming_t* req,
                      lode_http_response_t* res) {
  lode_http_incoming_set_data(req, res);
  lode_http_incoming_set_encoding(req, LODE_ENC_HEX);
  lode_http_incoming_pause(req);
  lode_http_incoming_set_events(req, &paused_events);
  lode_http_incoming_hold(req);
  paused_req = req;
}

static const lode_http_server_events_t pause_ev = { .on_request = pause_req };

/* The client keeps its side open: at its FIN Node would end the
 * connection before the late response. */
TEST(pause_resume_set_encoding) {
  X_no_fin = 1;
  X_when_quiet = resume_when_quiet;
  run(NULL, &pause_ev,
      "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n"
      "Connection: close\r\n\r\nabc");
  X_no_fin = 0;
  X_when_quiet = NULL;
  ASSERT_TRACE("resume,data:616263,end,cli-end,cli-close(0)");
}

/* The connection goes before the body ends: 'aborted', the error, close. */
static void ab_aborted(lode_http_incoming_t* req) {
  test_trace("aborted:%d", lode_http_incoming_aborted(req));
}

static void ab_error(lode_http_incoming_t* req, const lode_error_t* e) {
  test_trace("error:%s:%s", e->name, e->message);
}

static void ab_close(lode_http_incoming_t* req) {
  test_trace("req-close:complete=%d", lode_http_incoming_complete(req));
}

static const lode_http_incoming_events_t ab_events = {
  .on_data = paused_data,
  .on_aborted = ab_aborted,
  .on_error = ab_error,
  .on_close = ab_close,
};

static void abort_req(lode_http_server_t* srv, lode_http_incoming_t* req,
                      lode_http_response_t* res) {
  lode_http_incoming_set_events(req, &ab_events);
  lode_http_outgoing_set_events(res, &res_events);
  lode_stream_destroy(X->client, NULL);
}

static const lode_http_server_events_t abort_ev = { .on_request = abort_req };

/* Node 20's order when the client goes mid-body: 'aborted' at once, the
 * response's 'close', then the request's error and 'close'. */
TEST(aborted_request) {
  X_no_fin = 1;
  run(NULL, &abort_ev,
      "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 9\r\n"
      "\r\nabc");
  X_no_fin = 0;
  ASSERT_TRACE(
      "data:abc,cli-close(0),aborted:1,res-close,"
      "error:ECONNRESET:aborted,req-close:complete=0");
}

/* maxRequestsPerSocket: 'dropRequest' and 503 past the limit, the last
 * allowed response says Connection: close. */
static void dropped(lode_http_server_t* srv, lode_http_incoming_t* req,
                    lode_stream_t* s) {
  test_trace("drop:%s", lode_http_incoming_url(req));
}

static void limited(lode_http_server_t* srv, lode_http_incoming_t* req,
                    lode_http_response_t* res) {
  test_trace("request:%s", lode_http_incoming_url(req));
  lode_http_outgoing_end(res, LODE_SLICE("ok"), NULL, NULL);
}

static const lode_http_server_events_t limit_ev = {
  .on_request = limited,
  .on_drop_request = dropped,
};

TEST(max_requests_per_socket) {
  const char* got = run_limited(&limit_ev,
                                "GET /1 HTTP/1.1\r\nHost: x\r\n\r\n"
                                "GET /2 HTTP/1.1\r\nHost: x\r\n\r\n"
                                "GET /3 HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_TRACE("request:/1,request:/2,drop:/3,cli-end,cli-close(0)");
  ASSERT_STR_EQ(
      got,
      "HTTP/1.1 200 OK\r\nDate: X\r\nConnection: keep-alive\r\n"
      "Keep-Alive: timeout=5, max=2\r\nContent-Length: 2\r\n\r\nok"
      "HTTP/1.1 200 OK\r\nDate: X\r\nConnection: close\r\n"
      "Content-Length: 2\r\n\r\nok"
      "HTTP/1.1 503 Service Unavailable\r\nDate: X\r\nConnection: close\r\n"
      "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
}

/* server.timeout: an idle connection reaches 'timeout'; with a listener
 * it stays until the listener acts. */
static void on_srv_timeout(lode_http_server_t* srv, lode_stream_t* s) {
  test_trace("timeout");
  lode_stream_destroy(s, NULL);
}

static const lode_http_server_events_t timeout_ev = {
  .on_request = hello,
  .on_timeout = on_srv_timeout,
};

/* Idle timeouts never hold the loop (Node's are unref'd); the in-memory
 * pair does not either, so X_hold keeps the loop running until the
 * connection goes. */
TEST(server_timeout) {
  X_no_fin = 1;
  X_timeout = 30;
  X_hold = 1;
  run(NULL, &timeout_ev, "GET / HTTP/1.1\r\nHost: x\r\n");
  X_no_fin = 0;
  X_timeout = 0;
  X_hold = 0;
  ASSERT_TRACE("timeout,cli-end,cli-close(0)");
}

/* A pipeline flood against a handler that never answers: reading stops
 * once 32 responses wait, so memory stays bounded. */
static int flood_seen;

static void flood_req(lode_http_server_t* srv, lode_http_incoming_t* req,
                      lode_http_response_t* res) {
  flood_seen++;
}

static const lode_http_server_events_t flood_ev = { .on_request = flood_req };

/* Once the loop is quiet: the server has read all it will read. */
static void close_all_when_quiet(exchange_t* x) {
  test_trace("seen:%d", flood_seen);
  lode_http_server_close_all_connections(x->srv);
}

TEST(pipeline_flood_bounded) {
  static char flood[64 * 1024];
  size_t o = 0;
  for (int i = 0; i < 1000 && o + 64 < sizeof(flood); i++)
    o += (size_t) snprintf(flood + o, sizeof(flood) - o,
                           "GET /%d HTTP/1.1\r\nHost: x\r\n\r\n", i);
  flood_seen = 0;
  X_no_fin = 1;
  X_when_quiet = close_all_when_quiet;
  run(NULL, &flood_ev, flood);
  X_no_fin = 0;
  X_when_quiet = NULL;
  /* The active one and 33 waiting: then reading stops. */
  ASSERT_TRACE("seen:34,cli-end,cli-close(0)");
}

/* prefinish (inside end()), finish (written), close, in Node's order. */
static void pf_prefinish(lode_http_outgoing_t* o) {
  test_trace("prefinish");
}

static const lode_http_outgoing_events_t pf_events = {
  .on_prefinish = pf_prefinish,
  .on_finish = res_finish,
  .on_close = res_close,
};

static void end_cb(lode_http_outgoing_t* o, int status, void* arg) {
  test_trace("end-cb:%d", status);
}

static void pf_req(lode_http_server_t* srv, lode_http_incoming_t* req,
                   lode_http_response_t* res) {
  lode_http_outgoing_set_events(res, &pf_events);
  lode_http_outgoing_cork(res);
  lode_http_outgoing_write(res, LODE_SLICE("a"), NULL, NULL);
  ASSERT_GE(lode_http_outgoing_writable_length(res), 1);
  lode_http_outgoing_uncork(res);
  lode_http_outgoing_end(res, LODE_SLICE("b"), end_cb, NULL);
  test_trace("after-end");
}

static const lode_http_server_events_t pf_ev = { .on_request = pf_req };

TEST(finish_order) {
  const char* got = run(NULL, &pf_ev, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_TRACE(
      "prefinish,after-end,finish,end-cb:0,res-close,cli-end,"
      "cli-close(0)");
  ASSERT_STR_EQ(got,
                "HTTP/1.1 200 OK\r\nDate: X\r\nConnection: keep-alive\r\n"
                "Keep-Alive: timeout=5\r\nTransfer-Encoding: chunked\r\n"
                "\r\n1\r\na\r\n1\r\nb\r\n0\r\n\r\n");
}

/* Random damage to valid requests (bytes flipped, cut short, doubled),
 * with a fixed seed. Every run ends with the connection closed and
 * nothing leaked; and, responses being held until the server has read all
 * it will read, the outcome cannot depend on how the bytes are split into
 * reads: written whole, one byte per write, or in two writes cut anywhere,
 * the same input gives the same requests, bodies and responses. */
static size_t rnd_bytes;
static lode_http_response_t* rnd_held[64];
static size_t rnd_nheld;

static void rnd_body(lode_http_incoming_t* req, lode_slice_t d) {
  rnd_bytes += d.len;
}

static void rnd_end(lode_http_incoming_t* req) {
  test_trace("end:%zu", rnd_bytes);
}

static const lode_http_incoming_events_t rnd_events = {
  .on_data = rnd_body,
  .on_end = rnd_end,
};

static void rnd_req(lode_http_server_t* srv, lode_http_incoming_t* req,
                    lode_http_response_t* res) {
  test_trace("request:%s", lode_http_incoming_url(req));
  rnd_bytes = 0;
  lode_http_incoming_set_events(req, &rnd_events);
  ASSERT_LT(rnd_nheld, sizeof(rnd_held) / sizeof(rnd_held[0]));
  lode_http_outgoing_hold(res);
  rnd_held[rnd_nheld++] = res;
}

/* Once the loop is quiet: every response in order, then the client's end
 * (it kept its side open so that the server's end at a FIN could not
 * come before the answers). */
static void rnd_answer(exchange_t* x) {
  test_trace("quiet");
  for (size_t i = 0; i < rnd_nheld; i++) {
    lode_http_outgoing_end(rnd_held[i], LODE_SLICE("k"), NULL, NULL);
    lode_http_outgoing_release(rnd_held[i]);
  }
  rnd_nheld = 0;
  if (x->client != NULL)
    lode_stream_end(x->client, NULL, NULL);
}

static const lode_http_server_events_t rnd_ev = { .on_request = rnd_req };

/* Runs `req` with the pieces set by X_split and X_cut; fails unless the
 * responses and the trace are `whole` and `whole_trace`. */
static void rnd_same(int i, const char* req, const char* how, const char* whole,
                     const char* whole_trace) {
  const char* got = run(NULL, &rnd_ev, req);
  if (strcmp(got, whole) == 0 && strcmp(test_trace_get(), whole_trace) == 0)
    return;
  fprintf(stderr, "input %d: %s\n", i, test_escape(req, strlen(req)));
  fprintf(stderr, "whole: %s\n  %s\n", whole_trace,
          test_escape(whole, strlen(whole)));
  test_fail(__FILE__, __LINE__, "%s: %s\n  %s", how, test_trace_get(),
            test_escape(got, strlen(got)));
}

TEST(random_damage) {
  static const char* const seeds[] = {
    "GET /a HTTP/1.1\r\nHost: x\r\n\r\n",
    "POST /b HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello",
    "POST /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
    "3\r\nabc\r\n0\r\nX-T: 1\r\n\r\n",
    "GET /d HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
    "GET /e HTTP/1.1\r\nHost: x\r\nUpgrade: y\r\nConnection: upgrade\r\n\r\n",
  };
  static char whole[65536], whole_trace[4096];
  uint32_t rng = 12345;
  X_no_fin = 1;
  X_when_quiet = rnd_answer;
  for (int i = 0; i < 150; i++) {
    char req[512];
    const char* seed = seeds[i % 5];
    size_t n = strlen(seed);
    memcpy(req, seed, n);
    memcpy(req + n, seed, n); /* a second, pipelined copy */
    n *= 2;
    for (int k = 0; k < 3; k++) {
      rng = rng * 1103515245u + 12345u;
      size_t at = (rng >> 8) % n;
      rng = rng * 1103515245u + 12345u;
      req[at] = (char) (rng >> 16);
    }
    rng = rng * 1103515245u + 12345u;
    size_t cut = n - (rng >> 8) % (n / 2);
    req[cut] = '\0';
    for (size_t k = 0; k < cut; k++)
      if (req[k] == '\0')
        req[k] = ' ';
    snprintf(whole, sizeof(whole), "%s", run(NULL, &rnd_ev, req));
    snprintf(whole_trace, sizeof(whole_trace), "%s", test_trace_get());
    /* Whatever came in, the connection ended and any answer is HTTP. */
    ASSERT_NOT_NULL(strstr(whole_trace, "quiet"));
    ASSERT_NOT_NULL(strstr(whole_trace, "cli-close(0)"));
    ASSERT(whole[0] == '\0' || strncmp(whole, "HTTP/1.1 ", 9) == 0);
    X_split = 1;
    rnd_same(i, req, "one byte per write", whole, whole_trace);
    X_split = 0;
    for (int k = 0; k < 2; k++) {
      rng = rng * 1103515245u + 12345u;
      X_cut = 1 + (rng >> 8) % (cut - 1);
      char how[64];
      snprintf(how, sizeof(how), "cut at %zu", X_cut);
      rnd_same(i, req, how, whole, whole_trace);
    }
    X_cut = 0;
  }
  X_no_fin = 0;
  X_when_quiet = NULL;
}

TEST_MAIN(random_damage, server_timeout, pipeline_flood_bounded, finish_order,
          hello_keep_alive, headers_api_and_errors, write_after_end_is_async,
          pause_resume_set_encoding, aborted_request, max_requests_per_socket,
          http10_closes, pipelined_in_order, chunked_with_trailers,
          head_has_no_body, bad_request_400, missing_host_400,
          chunked_request_body)
