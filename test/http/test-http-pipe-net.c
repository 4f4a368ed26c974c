/* pipe on real sockets: a TCP proxy made of two lode_stream_pipe calls
 * (client to upstream and back), the upstream a Node echo server, against
 * the same proxy in Node (test/peers/pipe-tcp-proxy.js). A client that
 * resets its connection: the client socket has its error and close, and
 * the upstream is left open, neither ended nor destroyed, as Node's pipe
 * leaves it. */
#include "lode.h"
#include "test.h"

static uv_loop_t loop;
static lode_server_t* server;
static lode_socket_t* up;
static int echo_port;
static int stopped;  /* the reference prints its line here */
static int end_mode; /* the client ends instead of resetting */
static int closes;

static void trace_ev(lode_socket_t* s, const char* what) {
  if (!stopped)
    test_trace("%s:%s", s == up ? "u" : "c", what);
}

static void on_end(lode_socket_t* s) {
  trace_ev(s, "end");
}

static void on_error(lode_socket_t* s, const lode_error_t* e) {
  char what[64];
  snprintf(what, sizeof(what), "error(%s)", lode_err_name(e->code));
  trace_ev(s, what);
}

static void on_close(lode_socket_t* s, int had_error) {
  (void) had_error;
  trace_ev(s, "close");
  if (end_mode) {
    if (++closes == 2)
      lode_server_close(server, NULL, NULL);
    return;
  }
  if (s == up)
    return;
  /* The client's connection is gone: what state is the upstream in? */
  test_trace("u:state(%s,%s)", lode_socket_ready_state(up),
             lode_socket_destroyed(up) ? "true" : "false");
  stopped = 1;
  lode_socket_destroy(up, NULL);
  lode_server_close(server, NULL, NULL);
}

static const lode_socket_events_t watch = {
  .on_end = on_end,
  .on_error = on_error,
  .on_close = on_close,
};

static void on_connection(lode_server_t* srv, lode_socket_t* c) {
  (void) srv;
  lode_socket_set_events(c, &watch);
  lode_socket_opts_t o = { .port = echo_port, .host = "127.0.0.1" };
  ASSERT_OK(lode_net_connect(&loop, &o, &watch, &up));
  lode_stream_t* cs = lode_socket_stream(c);
  lode_stream_t* us = lode_socket_stream(up);
  ASSERT_OK(lode_stream_pipe(cs, us, NULL));
  ASSERT_OK(lode_stream_pipe(us, cs, NULL));
}

static const lode_server_events_t server_events = {
  .on_connection = on_connection,
};

static test_peer_t* start_echo(void) {
  const char* argv[] = { "node", "test/peers/net-echo-server.js", "1", NULL };
  test_peer_t* p = test_peer_start(argv);
  echo_port = test_peer_port(p);
  return p;
}

static test_peer_t* start_client(int port) {
  char ps[16];
  snprintf(ps, sizeof(ps), "%d", port);
  const char* argv[] = { "node", "test/peers/pipe-reset-client.js", ps,
                         end_mode ? "end" : "reset", NULL };
  return test_peer_start(argv);
}

static void finish_client(test_peer_t* client) {
  char* out = NULL;
  ASSERT_EQ(test_peer_finish(client, 30000, &out), 0);
  ASSERT_STR_EQ(out, "echoed hello\n");
  free(out);
}

static void compare_with_node(void) {
  /* Node's proxy first. */
  test_peer_t* echo = start_echo();
  char ps[16];
  snprintf(ps, sizeof(ps), "%d", echo_port);
  const char* argv[] = { "node", "test/peers/pipe-tcp-proxy.js", ps,
                         end_mode ? "end" : "reset", NULL };
  test_peer_t* node_proxy = test_peer_start(argv);
  finish_client(start_client(test_peer_port(node_proxy)));
  char* want = NULL;
  ASSERT_EQ(test_peer_finish(node_proxy, 30000, &want), 0);
  ASSERT_EQ(test_peer_finish(echo, 30000, NULL), 0);
  /* Then lode's. */
  echo = start_echo();
  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(lode_net_create_server(&loop, NULL, &server_events, &server));
  lode_listen_opts_t lo = { .host = "127.0.0.1" };
  ASSERT_OK(lode_server_listen(server, &lo, NULL, NULL));
  lode_net_address_t a;
  ASSERT_OK(lode_server_address(server, &a));
  test_peer_t* client = start_client(a.port);
  test_run_loop(&loop, 30000);
  finish_client(client);
  ASSERT_EQ(test_peer_finish(echo, 30000, NULL), 0);
  test_loop_close(&loop);
  /* want is "...\n": the trace has no newline. */
  want[strcspn(want, "\n")] = '\0';
  ASSERT_TRACE(want);
  free(want);
}

TEST(client_resets) {
  end_mode = 0;
  compare_with_node();
}

/* Each end is passed on: the client's to the echo server, whose end comes
 * back to the client; both sockets close. */
TEST(client_ends) {
  end_mode = 1;
  compare_with_node();
}

TEST_MAIN(client_resets, client_ends)
