/* The HTTP server over an in-memory stream pair: exact response bytes and
 * event order, with no sockets involved. The client side writes raw
 * request bytes, half-closes, and collects everything until the server's
 * side has closed. */
#include <string.h>

#include "lode.h"
#include "test.h"

typedef struct exchange_s {
  uv_loop_t loop;
  lode_http_server_t* srv;
  lode_stream_t* client;
  char out[65536];
  size_t len;
  int no_fin;
} exchange_t;

static exchange_t* X;

static void cli_data(void* ctx, lode_stream_t* s, lode_slice_t d) {
  exchange_t* x = ctx;
  (void) s;
  ASSERT_LT(x->len + d.len, sizeof(x->out));
  memcpy(x->out + x->len, d.base, d.len);
  x->len += d.len;
}

static void cli_end(void* ctx, lode_stream_t* s) {
  exchange_t* x = ctx;
  test_trace("cli-end");
  if (x->no_fin)
    lode_stream_end(s, NULL, NULL);
}

static void cli_close(void* ctx, lode_stream_t* s, int had_error) {
  exchange_t* x = ctx;
  (void) s;
  test_trace("cli-close(%d)", had_error);
  lode_http_server_close(x->srv, NULL, NULL);
}

static const lode_stream_reader_t cli_reader = {
  .on_data = cli_data, .on_end = cli_end, .on_close = cli_close,
};

/* Replaces the Date value with "X" so responses compare exactly. */
static const char* normalized(exchange_t* x) {
  static char buf[65536];
  size_t o = 0;
  for (size_t i = 0; i < x->len;) {
    if (x->len - i > 6 && memcmp(x->out + i, "\r\nDate: ", 8) == 0) {
      memcpy(buf + o, "\r\nDate: X", 9);
      o += 9;
      i += 8;
      while (i < x->len && x->out[i] != '\r')
        i++;
      continue;
    }
    buf[o++] = x->out[i++];
  }
  buf[o] = '\0';
  return buf;
}

static const char* run(const lode_http_server_opts_t* opts,
                       const lode_http_server_events_t* ev, const char* req) {
  static exchange_t x;
  memset(&x, 0, sizeof(x));
  X = &x;
  test_trace_reset();
  ASSERT_OK(uv_loop_init(&x.loop));
  ASSERT_OK(lode_http_create_server(&x.loop, opts, ev, &x.srv));
  lode_stream_t* a;
  ASSERT_OK(lode_stream_pair(&x.loop, &a, &x.client));
  lode_stream_set_reader(x.client, &cli_reader, &x);
  ASSERT_OK(lode_http_server_serve(x.srv, a));
  ASSERT_GE(lode_stream_write(x.client, lode_slice_str(req), NULL, NULL), 0);
  if (!x.no_fin)
    lode_stream_end(x.client, NULL, NULL);
  test_run_loop(&x.loop, 5000);
  test_loop_close(&x.loop);
  return normalized(&x);
}

/* Handlers. */
static void hello(lode_http_server_t* srv, lode_http_incoming_t* req,
                  lode_http_response_t* res) {
  (void) srv;
  (void) req;
  ASSERT_EQ(lode_http_outgoing_end(res, LODE_SLICE("hello world"), NULL,
                                   NULL), 0);
}

static const lode_http_server_events_t hello_ev = { .on_request = hello };

TEST(hello_keep_alive) {
  const char* got = run(NULL, &hello_ev, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_STR_EQ(got, "HTTP/1.1 200 OK\r\nDate: X\r\nConnection: keep-alive\r\n"
                     "Keep-Alive: timeout=5\r\nContent-Length: 11\r\n\r\n"
                     "hello world");
}

TEST(http10_closes) {
  const char* got = run(NULL, &hello_ev, "GET / HTTP/1.0\r\n\r\n");
  /* HTTP/1.0 without chunked: the body runs to the close, no length. */
  ASSERT_STR_EQ(got, "HTTP/1.1 200 OK\r\nDate: X\r\nConnection: close\r\n"
                     "\r\nhello world");
}

TEST(pipelined_in_order) {
  const char* got = run(NULL, &hello_ev,
                        "GET /1 HTTP/1.1\r\nHost: x\r\n\r\n"
                        "GET /2 HTTP/1.1\r\nHost: x\r\n\r\n");
  const char* one = "HTTP/1.1 200 OK\r\nDate: X\r\nConnection: keep-alive\r\n"
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
  static const char* const tr[] = { "X-Sum", "abc" };
  ASSERT_OK(lode_http_outgoing_add_trailers(res, tr, 1));
  ASSERT_OK(lode_http_outgoing_end(res, LODE_SLICE("def"), NULL, NULL));
}

static const lode_http_server_events_t chunked_ev = { .on_request = chunked };

TEST(chunked_with_trailers) {
  const char* got = run(NULL, &chunked_ev, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_STR_EQ(got, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
                     "Date: X\r\nConnection: keep-alive\r\n"
                     "Keep-Alive: timeout=5\r\nTransfer-Encoding: chunked\r\n"
                     "\r\n1\r\na\r\n2\r\nbc\r\n3\r\ndef\r\n0\r\nX-Sum: abc\r\n"
                     "\r\n");
}

TEST(head_has_no_body) {
  const char* got = run(NULL, &chunked_ev,
                        "HEAD / HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_STR_EQ(got, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
                     "Date: X\r\nConnection: keep-alive\r\n"
                     "Keep-Alive: timeout=5\r\n\r\n");
}

TEST(bad_request_400) {
  const char* got = run(NULL, &hello_ev, "GET / HTTP/1.1\r\nHo st: x\r\n\r\n");
  ASSERT_STR_EQ(got, "HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n");
}

TEST(missing_host_400) {
  const char* got = run(NULL, &hello_ev, "GET / HTTP/1.1\r\n\r\n");
  ASSERT_STR_EQ(got, "HTTP/1.1 400 Bad Request\r\nConnection: close\r\n"
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
  .on_data = body_data, .on_end = body_end, .on_close = body_close,
};

static void res_finish(lode_http_outgoing_t* o) {
  test_trace("finish");
}

static void res_close(lode_http_outgoing_t* o) {
  test_trace("res-close");
}

static const lode_http_outgoing_events_t res_events = {
  .on_finish = res_finish, .on_close = res_close,
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
  ASSERT_STR_EQ(got, "HTTP/1.1 200 OK\r\nDate: X\r\nConnection: keep-alive\r\n"
                     "Keep-Alive: timeout=5\r\nContent-Length: 2\r\n\r\nok");
  ASSERT_TRACE("request:/b,data:abc,data:de,end,finish,res-close,req-close,"
               "cli-end,cli-close(0)");
}

TEST_MAIN(hello_keep_alive, http10_closes, pipelined_in_order,
          chunked_with_trailers, head_has_no_body, bad_request_400,
          missing_host_400, chunked_request_body)
