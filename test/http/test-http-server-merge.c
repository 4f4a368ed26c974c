/* The server's parser reports a message's end on the event that ends it
 * (merge_complete). When that event also stops reading (a held body at
 * its high-water mark, a pipeline at its bound), the end must still come
 * once reading resumes, even if no byte follows. */
#include <stdio.h>

#include "server-pair.h"

static lode_http_incoming_t* held_req;
static lode_http_response_t* held_res;
static size_t body_bytes;

static void held_data(lode_http_incoming_t* req, lode_slice_t d) {
  body_bytes += d.len;
}

static void held_end(lode_http_incoming_t* req) {
  test_trace("end:%zu", body_bytes);
  lode_http_outgoing_end(held_res, LODE_SLICE("ok"), NULL, NULL);
}

static const lode_http_incoming_events_t held_events = {
  .on_data = held_data,
  .on_end = held_end,
};

/* Once the loop is quiet: the whole body is held and reading stopped. */
static void start_reading(exchange_t* x) {
  test_trace("complete:%d", lode_http_incoming_complete(held_req));
  lode_http_incoming_set_events(held_req, &held_events);
}

static void held_request(lode_http_server_t* srv, lode_http_incoming_t* req,
                         lode_http_response_t* res) {
  held_req = req;
  held_res = res;
}

static const lode_http_server_events_t held_ev = {
  .on_request = held_request,
};

/* The body is exactly the 16 KiB the server holds for nobody: its last
 * piece stops reading, and no byte follows it. */
TEST(held_body_ends_when_read) {
  static char req[16384 + 128];
  int n = snprintf(req, sizeof(req),
                   "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 16384\r\n"
                   "Connection: close\r\n\r\n");
  memset(req + n, 'b', 16384);
  req[n + 16384] = '\0';
  body_bytes = 0;
  X_no_fin = 1;
  X_when_quiet = start_reading;
  const char* got = run(NULL, &held_ev, req);
  X_no_fin = 0;
  X_when_quiet = NULL;
  ASSERT_TRACE("complete:0,end:16384,cli-end,cli-close(0)");
  ASSERT_STR_EQ(got,
                "HTTP/1.1 200 OK\r\nDate: X\r\nConnection: close\r\n"
                "Content-Length: 2\r\n\r\nok");
}

/* Forty bodiless requests in one write: reading stops at the pipeline's
 * bound, after a head whose end was merged into it; every request still
 * ends, in order, and every response goes out. */
static int ends;

static void pl_end(lode_http_incoming_t* req) {
  ends++;
}

static void pl_data(lode_http_incoming_t* req, lode_slice_t d) {
}

static const lode_http_incoming_events_t pl_events = {
  .on_data = pl_data,
  .on_end = pl_end,
};

static void pl_request(lode_http_server_t* srv, lode_http_incoming_t* req,
                       lode_http_response_t* res) {
  lode_http_incoming_set_events(req, &pl_events);
  lode_http_outgoing_end(res, LODE_SLICE("x"), NULL, NULL);
}

static const lode_http_server_events_t pl_ev = { .on_request = pl_request };

TEST(pipeline_ends_after_pause) {
  static char reqs[4096];
  size_t o = 0;
  for (int i = 0; i < 40; i++)
    o += (size_t) snprintf(reqs + o, sizeof(reqs) - o,
                           "GET /%d HTTP/1.1\r\nHost: x\r\n%s\r\n", i,
                           i == 39 ? "Connection: close\r\n" : "");
  ends = 0;
  X_no_fin = 1;
  const char* got = run(NULL, &pl_ev, reqs);
  X_no_fin = 0;
  ASSERT_EQ(ends, 40);
  int responses = 0;
  for (const char* p = got; (p = strstr(p, "HTTP/1.1 200 OK")) != NULL; p++)
    responses++;
  ASSERT_EQ(responses, 40);
  ASSERT_TRACE("cli-end,cli-close(0)");
}

/* The Keep-Alive line is built once and kept: a change of the server's
 * keepAliveTimeout or maxRequestsPerSocket shows in the next response. */
static int ka_seen;

static void ka_request(lode_http_server_t* srv, lode_http_incoming_t* req,
                       lode_http_response_t* res) {
  lode_http_outgoing_end(res, LODE_SLICE("x"), NULL, NULL);
  if (ka_seen == 0)
    lode_http_server_set_keep_alive_timeout(srv, 7000);
  else if (ka_seen == 1)
    lode_http_server_set_max_requests_per_socket(srv, 9);
  ka_seen++;
}

static const lode_http_server_events_t ka_ev = { .on_request = ka_request };

TEST(keep_alive_line_follows_settings) {
  ka_seen = 0;
  const char* got = run(NULL, &ka_ev,
                        "GET /0 HTTP/1.1\r\nHost: x\r\n\r\n"
                        "GET /1 HTTP/1.1\r\nHost: x\r\n\r\n"
                        "GET /2 HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_EQ(ka_seen, 3);
  const char* one =
      "HTTP/1.1 200 OK\r\nDate: X\r\nConnection: keep-alive"
      "\r\nKeep-Alive: timeout=";
  char want[512];
  snprintf(want, sizeof(want),
           "%s5\r\nContent-Length: 1\r\n\r\nx"
           "%s7\r\nContent-Length: 1\r\n\r\nx"
           "%s7, max=9\r\nContent-Length: 1\r\n\r\nx",
           one, one, one);
  ASSERT_STR_EQ(got, want);
}

TEST_MAIN(held_body_ends_when_read, pipeline_ends_after_pause,
          keep_alive_line_follows_settings)
