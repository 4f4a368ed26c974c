/* Interop with Node 20 both ways: a lode client against a Node echo
 * server, Node clients against a lode echo server. */
#include "net-test.h"

static side_trace_t ct, st;

/* ---- lode client, Node server ------------------------------------------ */

static char echoed[1 << 16];
static size_t echoed_len;
static void c_connect(lode_socket_t* s) {
  side(&ct, "connect");
  ASSERT_EQ(lode_socket_write(s, LODE_SLICE("hello "), NULL, NULL), 1);
  ASSERT_OK(lode_socket_end(s, LODE_SLICE("from lode"), NULL, NULL));
}
static void c_ready(lode_socket_t* s) {
  side(&ct, "ready");
}
static void c_data(lode_socket_t* s, lode_slice_t d) {
  memcpy(echoed + echoed_len, d.base, d.len);
  echoed_len += d.len;
}
static void c_end(lode_socket_t* s) {
  side(&ct, "end");
}
static void c_error(lode_socket_t* s, const lode_error_t* e) {
  side(&ct, "error:%s", e->name);
}
static void c_close(lode_socket_t* s, int e) {
  side(&ct, "close(%d)", e);
}
static const lode_socket_events_t cev = {
  .on_connect = c_connect,
  .on_ready = c_ready,
  .on_data = c_data,
  .on_end = c_end,
  .on_error = c_error,
  .on_close = c_close,
};

TEST(lode_client_node_server) {
  const char* argv[] = { "node", "test/peers/net-echo-server.js", "1", NULL };
  test_peer_t* peer = test_peer_start(argv);
  int port = test_peer_port(peer);
  uv_loop_t loop;
  uv_loop_init(&loop);
  lode_socket_t* s;
  lode_socket_opts_t o = { .host = "127.0.0.1", .port = port };
  ASSERT_OK(lode_net_connect(&loop, &o, &cev, &s));
  test_run_loop(&loop, 10000);
  ASSERT_STR_EQ(ct.buf, "connect,ready,end,close(0)");
  ASSERT_MEM_EQ(echoed, echoed_len, "hello from lode", 15);
  char* out = NULL;
  ASSERT_EQ(test_peer_finish(peer, 10000, &out), 0);
  /* Node's side: data, then our FIN, then its close without error. */
  ASSERT(strstr(out, ",end,close:false") != NULL);
  ASSERT(strstr(out, "server data:") != NULL);
  free(out);
  test_loop_close(&loop);
}

/* ---- Node clients, lode server ------------------------------------------ */

static lode_server_t* server;
static int closed, expected;
static void s_data(lode_socket_t* s, lode_slice_t d) {
  lode_socket_write(s, d, NULL, NULL);
}
static void s_end(lode_socket_t* s) {
  side(&st, "end");
}
static void s_close(lode_socket_t* s, int e) {
  side(&st, "close(%d)", e);
  if (++closed == expected)
    lode_server_close(server, NULL, NULL);
}
static const lode_socket_events_t echo = {
  .on_data = s_data,
  .on_end = s_end,
  .on_close = s_close,
};
static void s_conn(lode_server_t* srv, lode_socket_t* s) {
  side(&st, "connection");
}
static const lode_server_events_t sev = { .on_connection = s_conn };

TEST(node_client_lode_server) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  lode_server_opts_t so = { .socket_events = &echo };
  ASSERT_OK(lode_net_create_server(&loop, &so, &sev, &server));
  int port = listen_local(&loop, server);
  char port_s[16];
  snprintf(port_s, sizeof(port_s), "%d", port);
  const char* argv[] = { "node", "test/peers/net-client.js", port_s,
                         "ping from node \xe2\x82\xac", NULL };
  expected = 1;
  test_peer_t* peer = test_peer_start(argv);
  test_run_loop(&loop, 10000);
  char* out = NULL;
  ASSERT_EQ(test_peer_finish(peer, 10000, &out), 0);
  ASSERT_STR_EQ(out,
                "connect,ready,end:ping from node \xe2\x82\xac,"
                "close:false\n");
  free(out);
  ASSERT_STR_EQ(st.buf, "connection,end,close(0)");
  test_loop_close(&loop);
}

/* Several Node clients at once, each with a larger payload. */
TEST(node_clients_concurrent) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  lode_server_opts_t so = { .socket_events = &echo };
  ASSERT_OK(lode_net_create_server(&loop, &so, &sev, &server));
  int port = listen_local(&loop, server);
  char port_s[16];
  snprintf(port_s, sizeof(port_s), "%d", port);
  static char payload[60000];
  for (size_t i = 0; i + 1 < sizeof(payload); i++)
    payload[i] = (char) ('a' + i % 26);
  enum { N = 4 };
  test_peer_t* peers[N];
  expected = N;
  for (int i = 0; i < N; i++) {
    const char* argv[] = { "node", "test/peers/net-client.js", port_s, payload,
                           NULL };
    peers[i] = test_peer_start(argv);
  }
  test_run_loop(&loop, 20000);
  for (int i = 0; i < N; i++)
    ASSERT_EQ(test_peer_finish(peers[i], 10000, NULL), 0);
  test_loop_close(&loop);
}

TEST_MAIN(lode_client_node_server, node_client_lode_server,
          node_clients_concurrent)
