/* A keep-alive agent never hands out a socket whose writes are still
 * queued: the server answers a POST at once without reading its body
 * (larger than loopback's buffers take), so the response ends while the body is stuck in the socket. The
 * next request must open a new connection, and the one after it reuses
 * that drained one (Node 20 does the same: ports A, B, B). */
#include <stdlib.h>
#include <string.h>

#include "lode.h"
#include "test.h"

static uv_loop_t loop;
static lode_server_t* server;
static lode_agent_t* agent;
static int port;
static lode_socket_t* accepted[4];
static int naccepted;
static lode_stream_t* socks[4];
static int nsocks;
static lode_http_request_t* reqs[4];
static int nreqs;
static uv_timer_t defer_timer;

/* ---- The server: answers on connect, reads nothing ---- */

static void on_connection(lode_server_t* s, lode_socket_t* sock) {
  ASSERT_LT(naccepted, 4);
  accepted[naccepted++] = sock;
  lode_stream_write(lode_socket_stream(sock),
                    LODE_SLICE("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n"
                               "Connection: keep-alive\r\n\r\n"),
                    NULL, NULL);
}

static void on_listening(lode_server_t* s) {
  lode_net_address_t a;
  ASSERT_OK(lode_server_address(s, &a));
  port = a.port;
}

static const lode_server_events_t server_ev = {
  .on_connection = on_connection,
  .on_listening = on_listening,
};

/* ---- The client ---- */

static void next_request(uv_timer_t* t);

static void res_end(lode_http_incoming_t* m) {
  test_trace("end");
  /* Node's agent takes the socket back after 'end'; the next request
   * comes a turn of the loop later, as in Node's test. */
  uv_timer_start(&defer_timer, next_request, 0, 0);
}

static void res_data(lode_http_incoming_t* m, lode_slice_t d) {
  test_trace("data"); /* none: Content-Length 0 */
}

/* on_data set: the body flows (Node's res.on('data')), so 'end' comes. */
static const lode_http_incoming_events_t res_ev = { .on_data = res_data,
                                                    .on_end = res_end };

static void on_response(lode_http_request_t* r, lode_http_incoming_t* m) {
  test_trace("response(%d)", lode_http_incoming_status_code(m));
  lode_http_incoming_set_events(m, &res_ev);
}

static void on_socket(lode_http_request_t* r, lode_stream_t* s) {
  int i = 0;
  while (i < nsocks && socks[i] != s)
    i++;
  if (i == nsocks)
    socks[nsocks++] = s;
  test_trace("socket(%d%s)", i + 1,
             lode_http_request_reused_socket(r) ? " reused" : "");
  if (nreqs == 3) {
    /* The first socket never drains (its server reads nothing): done. */
    lode_agent_destroy(agent);
    for (int k = 0; k < naccepted; k++)
      lode_socket_destroy(accepted[k], NULL);
    lode_server_close(server, NULL, NULL);
    uv_close((uv_handle_t*) &defer_timer, NULL);
  }
}

static void on_error(lode_http_request_t* r, const lode_error_t* e) {
  (void) e; /* the agent's destroy ends the unanswered ones */
}

static const lode_http_request_events_t req_ev = {
  .on_socket = on_socket,
  .on_response = on_response,
  .on_error = on_error,
};

static lode_http_request_t* request(const char* method) {
  lode_http_request_opts_t o = {
    .host = "127.0.0.1", .port = port, .method = method, .agent = agent
  };
  lode_http_request_t* r;
  ASSERT_OK(lode_http_request(&loop, &o, &req_ev, &r));
  reqs[nreqs++] = r;
  return r;
}

static void next_request(uv_timer_t* t) {
  lode_http_request_end(request("GET"), (lode_slice_t){ NULL, 0 }, NULL, NULL);
}

TEST(unflushed_socket_not_reused) {
  test_trace_reset();
  ASSERT_OK(uv_loop_init(&loop));
  uv_timer_init(&loop, &defer_timer);
  lode_server_opts_t so = { .pause_on_connect = 1 };
  ASSERT_OK(lode_net_create_server(&loop, &so, &server_ev, &server));
  lode_listen_opts_t lo = { .host = "127.0.0.1" };
  ASSERT_OK(lode_server_listen(server, &lo, NULL, NULL));
  while (port == 0)
    uv_run(&loop, UV_RUN_ONCE);
  ASSERT_OK(lode_agent_create(&loop, &(lode_agent_opts_t){ .keep_alive = 1 },
                              &agent));
  size_t len = 2 * test_loopback_capacity();
  char* body = malloc(len);
  ASSERT_NOT_NULL(body);
  memset(body, 'a', len);
  lode_http_request_t* r = request("POST");
  /* More than loopback's buffers take: the body stays queued. */
  ASSERT_EQ(lode_http_request_write(r, (lode_slice_t){ body, len }, NULL, NULL),
            0);
  free(body);
  lode_http_request_end(r, (lode_slice_t){ NULL, 0 }, NULL, NULL);
  test_run_loop(&loop, 10000);
  ASSERT_TRACE(
      "socket(1),response(200),end,"
      "socket(2),response(200),end,socket(2 reused)");
  test_loop_close(&loop);
}

TEST_MAIN(unflushed_socket_not_reused)
