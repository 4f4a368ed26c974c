/* lode_http_incoming_collect: the whole body in one callback, over the
 * in-memory pair (exact bytes back), and a client's response over
 * loopback. Refusing with 413 from the callback leaves the connection
 * usable: the next pipelined request is answered. */
#include <stdio.h>
#include <string.h>

#include "lode.h"
#include "test.h"
#include "server-pair.h"

#define LIMIT 10

/* Answers 200 "<n> bytes: <body>", or 413 / 400 for a failure. */
static void collected(lode_http_incoming_t* req, int status, lode_slice_t body,
                      void* arg) {
  (void) arg;
  lode_http_response_t* res = lode_http_incoming_response(req);
  ASSERT_NOT_NULL(res);
  test_trace("collected(%s,%zu)", status ? lode_err_name(status) : "0",
             body.len);
  if (status == LODE_ERR_HTTP_BODY_TOO_LARGE) {
    lode_http_response_write_head(res, 413, NULL, NULL);
    lode_http_outgoing_end(res, LODE_SLICE("too large"), NULL, NULL);
    return;
  }
  if (status != 0)
    return; /* aborted: nobody to answer */
  char text[64];
  int n = snprintf(text, sizeof(text), "%zu bytes: %.*s", body.len,
                   (int) body.len, body.base);
  lode_http_outgoing_end(res, (lode_slice_t){ text, (size_t) n }, NULL, NULL);
}

static void on_request(lode_http_server_t* srv, lode_http_incoming_t* req,
                       lode_http_response_t* res) {
  (void) srv;
  (void) res;
  ASSERT(lode_http_incoming_response(req) == res);
  ASSERT_OK(lode_http_incoming_collect(req, LIMIT, collected, NULL));
  /* One collector per message. */
  ASSERT_EQ(lode_http_incoming_collect(req, LIMIT, collected, NULL),
            LODE_ERR_INVALID_STATE);
}

static const lode_http_server_events_t ev = { .on_request = on_request };

/* The answers' status lines and bodies, in order (heads between them
 * left out): "<status> <body>|..." */
static const char* bodies(const char* got) {
  static char out[512];
  size_t o = 0;
  for (const char* p = strstr(got, "HTTP/1.1 "); p != NULL;) {
    const char* next = strstr(p + 1, "HTTP/1.1 ");
    const char* body = strstr(p, "\r\n\r\n") + 4;
    size_t n = next ? (size_t) (next - body) : strlen(body);
    o += (size_t) snprintf(out + o, sizeof(out) - o, "%.3s %s|", p + 9,
                           test_escape(body, n));
    p = next;
  }
  out[o] = '\0';
  return out;
}

TEST(under_at_and_over_the_limit) {
  const char* got = run(
      NULL, &ev,
      "POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc"
      "POST /b HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n0123456789"
      "POST /c HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\n0123456789X"
      "POST /d HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\nz");
  ASSERT_TRACE(
      "collected(0,3),collected(0,10),"
      "collected(ERR_HTTP_BODY_TOO_LARGE,0),collected(0,1),"
      "cli-end,cli-close(0)");
  ASSERT_STR_EQ(bodies(got),
                "200 \"3 bytes: abc\"|"
                "200 \"10 bytes: 0123456789\"|"
                "413 \"9\\r\\ntoo large\\r\\n0\\r\\n\\r\\n\"|"
                "200 \"1 bytes: z\"|");
}

TEST(chunked_and_empty) {
  const char* got = run(
      NULL, &ev,
      "POST /a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
      "4\r\nabcd\r\n6\r\nefghij\r\n0\r\n\r\n"
      "POST /b HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
      "6\r\nabcdef\r\n6\r\nghijkl\r\n0\r\n\r\n"
      "GET /c HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_TRACE(
      "collected(0,10),collected(ERR_HTTP_BODY_TOO_LARGE,0),"
      "collected(0,0),cli-end,cli-close(0)");
  ASSERT_STR_EQ(bodies(got),
                "200 \"10 bytes: abcdefghij\"|"
                "413 \"9\\r\\ntoo large\\r\\n0\\r\\n\\r\\n\"|"
                "200 \"0 bytes: \"|");
}

/* The client goes before the body is whole: the callback hears it. */
static void client_goes(exchange_t* x) {
  test_trace("client-destroy");
  lode_stream_destroy(x->client, NULL);
}

TEST(aborted_body) {
  X_no_fin = 1;
  X_when_quiet = client_goes;
  run(NULL, &ev, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nab");
  X_no_fin = 0;
  X_when_quiet = NULL;
  ASSERT_TRACE(
      "client-destroy,cli-close(0),"
      "collected(ERR_HTTP_CLIENT_ABORTED,0)");
}

/* A client's response, over loopback, with the limit above and below its
 * 11 bytes. */
static uv_loop_t cloop;
static lode_http_server_t* csrv;
static size_t climit;

static void answer_hello(lode_http_server_t* s, lode_http_incoming_t* req,
                         lode_http_response_t* res) {
  (void) s;
  (void) req;
  lode_http_outgoing_end(res, LODE_SLICE("hello world"), NULL, NULL);
}

static void response_collected(lode_http_incoming_t* m, int status,
                               lode_slice_t body, void* arg) {
  (void) m;
  (void) arg;
  test_trace("collected(%s,%.*s)", status ? lode_err_name(status) : "0",
             (int) body.len, body.base ? body.base : "");
}

static void on_response(lode_http_request_t* r, lode_http_incoming_t* m) {
  (void) r;
  ASSERT_NULL(lode_http_incoming_response(m));
  ASSERT_OK(lode_http_incoming_collect(m, climit, response_collected, NULL));
}

static void on_req_close(lode_http_request_t* r) {
  (void) r;
  test_trace("close");
  lode_http_server_close(csrv, NULL, NULL);
}

static const lode_http_request_events_t req_events = {
  .on_response = on_response,
  .on_close = on_req_close,
};

static void client_listening(lode_http_server_t* s) {
  lode_http_request_opts_t o = { .host = "127.0.0.1",
                                 .port = lode_http_server_port(s),
                                 .agent = LODE_AGENT_FALSE };
  lode_http_request_t* r;
  ASSERT_OK(lode_http_request(&cloop, &o, &req_events, &r));
  lode_http_request_end(r, (lode_slice_t){ NULL, 0 }, NULL, NULL);
}

static const lode_http_server_events_t hello_events = {
  .on_request = answer_hello,
  .on_listening = client_listening,
};

static void client_case(size_t limit) {
  climit = limit;
  ASSERT_OK(uv_loop_init(&cloop));
  ASSERT_OK(lode_http_create_server(&cloop, NULL, &hello_events, &csrv));
  ASSERT_OK(lode_http_server_listen(
      csrv, &(lode_listen_opts_t){ .host = "127.0.0.1" }, NULL, NULL));
  test_run_loop(&cloop, 10000);
  test_loop_close(&cloop);
}

TEST(client_response) {
  client_case(11);
  client_case(10);
  ASSERT_TRACE(
      "collected(0,hello world),close,"
      "collected(ERR_HTTP_BODY_TOO_LARGE,),close");
}

TEST_MAIN(under_at_and_over_the_limit, chunked_and_empty, aborted_body,
          client_response)
