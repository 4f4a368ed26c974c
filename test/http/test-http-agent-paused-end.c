/* A keep-alive agent's socket is read again after a response whose last
 * bytes came while its reader was paused: the body's backpressure stopped
 * the socket (20000 bytes buffered, over the 16 KiB high-water mark) in
 * the same read that completed the response, and the socket then went
 * back to the agent. The next request, waiting for the agent's one
 * socket, gets it and must get its answer (it hung: the socket was never
 * read again, as a reverse proxy piping a large response to a slower
 * client saw on its next request). The connection is an in-memory
 * pair, each write one read, so the head, the body and the end arrive
 * together every run. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lode.h"
#include "test.h"

#define BODY 20000

static uv_loop_t loop;
static lode_agent_t* agent;
static lode_stream_t* server_side;
static char last4[4]; /* the request's last bytes: its head's end? */
static int nconnections;
static int nrequests;
static size_t body_len;
static lode_http_request_t* second;
static uv_timer_t later;

/* ---- The server: one response, head and body in one write, per request
 * head (the requests have no body) ---- */

static void srv_data(void* ctx, lode_stream_t* s, lode_slice_t d) {
  (void) ctx;
  for (size_t i = 0; i < d.len; i++) {
    memmove(last4, last4 + 1, 3);
    last4[3] = d.base[i];
    if (memcmp(last4, "\r\n\r\n", 4) != 0)
      continue;
    static char out[64 + BODY];
    int n = snprintf(out, 64, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n",
                     BODY);
    memset(out + n, 'x', BODY);
    lode_stream_write(s, (lode_slice_t){ out, (size_t) n + BODY }, NULL, NULL);
  }
}

static void srv_end(void* ctx, lode_stream_t* s) {
  (void) ctx;
  lode_stream_end(s, NULL, NULL);
}

static const lode_stream_reader_t srv_reader = { .on_data = srv_data,
                                                 .on_end = srv_end };

static int pair_connection(lode_agent_t* a, const lode_agent_conn_opts_t* o,
                           lode_stream_t** out, void* arg) {
  (void) a, (void) o, (void) arg;
  nconnections++;
  int rc = lode_stream_pair(&loop, out, &server_side);
  if (rc == 0)
    lode_stream_set_reader(server_side, &srv_reader, NULL);
  return rc;
}

/* ---- The client ---- */

static void request(const char* path);

static void res_data(lode_http_incoming_t* m, lode_slice_t d) {
  (void) m;
  body_len += d.len;
}

static void res_end(lode_http_incoming_t* m) {
  (void) m;
  test_trace("end(%zu)", body_len);
  body_len = 0;
  if (nrequests == 1) /* it waits for the socket (max_sockets 1) */
    request("/2");
}

static const lode_http_incoming_events_t res_events = {
  .on_data = res_data,
  .on_end = res_end,
};

/* The first response's body is read only after the read that brought it
 * all: it is buffered meanwhile, and the socket paused. */
static void resume_body(uv_timer_t* t) {
  lode_http_incoming_resume(t->data);
}

static void on_response(lode_http_request_t* r, lode_http_incoming_t* m) {
  (void) r;
  test_trace("response(%d)", lode_http_incoming_status_code(m));
  lode_http_incoming_set_events(m, &res_events);
  if (nrequests == 1) {
    lode_http_incoming_pause(m);
    later.data = m;
    uv_timer_start(&later, resume_body, 0, 0);
  }
}

static void on_error(lode_http_request_t* r, const lode_error_t* e) {
  (void) r;
  test_trace("error(%s)", e->message);
}

static void on_close(lode_http_request_t* r) {
  if (r == second)
    lode_agent_destroy(agent); /* the free socket goes: the loop ends */
}

static const lode_http_request_events_t req_events = {
  .on_response = on_response,
  .on_error = on_error,
  .on_close = on_close,
};

static void request(const char* path) {
  nrequests++;
  lode_http_request_opts_t o = {
    .agent = agent, .host = "x", .port = 1, .path = path
  };
  lode_http_request_t* r;
  ASSERT_OK(lode_http_request(&loop, &o, &req_events, &r));
  if (nrequests == 2)
    second = r;
  lode_http_request_end(r, (lode_slice_t){ NULL, 0 }, NULL, NULL);
}

TEST(paused_end_socket_reused) {
  uv_loop_init(&loop);
  uv_timer_init(&loop, &later);
  lode_agent_opts_t ao = { .keep_alive = 1,
                           .max_sockets = 1,
                           .create_connection = pair_connection };
  ASSERT_OK(lode_agent_create(&loop, &ao, &agent));
  request("/1");
  test_run_loop(&loop, 10000);
  ASSERT_TRACE("response(200),end(20000),response(200),end(20000)");
  ASSERT_EQ(nconnections, 1);
  uv_close((uv_handle_t*) &later, NULL);
  test_loop_close(&loop);
}

TEST_MAIN(paused_end_socket_reused)
