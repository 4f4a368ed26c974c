/* connect() with autoSelectFamily: 'lookup' for every address, then the
 * attempts with their events, the attempted-address list; one address
 * connects plainly; family or autoSelectFamily off takes the first. */
#include "net-test.h"

static side_trace_t ct;
static lode_server_t* server;

static void two_addresses(lode_lookup_t* req, const char* host, int family,
                          int hints, void* arg) {
  const char* addrs[] = { "::1", "127.0.0.1" };
  const int fams[] = { 6, 4 };
  lode_lookup_done_all(req, 0, addrs, fams, 2);
}

static void c_lookup(lode_socket_t* s, int err, const char* a, int f,
                     const char* h) {
  side(&ct, "lookup:%s:%d", a, f);
}
static void c_attempt(lode_socket_t* s, const char* ip, int port, int f) {
  side(&ct, "attempt:%s:%d", ip, f);
}
static void c_failed(lode_socket_t* s, const char* ip, int port, int f,
                     const lode_error_t* e) {
  side(&ct, "failed:%s", ip);
}
static void c_connect(lode_socket_t* s) {
  side(&ct, "connect:%s", lode_socket_remote_address(s));
  lode_socket_destroy(s, NULL);
}
static void c_error(lode_socket_t* s, const lode_error_t* e) {
  side(&ct, "error:%s", e->name);
}
static void c_close(lode_socket_t* s, int e) {
  side(&ct, "close(%d)", e);
  lode_server_close(server, NULL, NULL);
}
static const lode_socket_events_t cev = {
  .on_lookup = c_lookup,
  .on_connection_attempt = c_attempt,
  .on_connection_attempt_failed = c_failed,
  .on_connect = c_connect,
  .on_error = c_error,
  .on_close = c_close,
};
static void s_conn(lode_server_t* srv, lode_socket_t* s) {
}
static const lode_server_events_t sev = { .on_connection = s_conn };

static char attempted[256];
static void keep_attempted(lode_socket_t* s) {
  snprintf(attempted, sizeof(attempted), "%s",
           lode_socket_auto_select_family_attempted_addresses(s));
  c_connect(s);
}
static const lode_socket_events_t kev = {
  .on_lookup = c_lookup,
  .on_connection_attempt = c_attempt,
  .on_connection_attempt_failed = c_failed,
  .on_connect = keep_attempted,
  .on_error = c_error,
  .on_close = c_close,
};

TEST(happy_eyeballs_falls_back) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  ASSERT_OK(lode_net_create_server(&loop, NULL, &sev, &server));
  int port = listen_local(&loop, server); /* IPv4 only */
  lode_socket_t* c;
  lode_socket_opts_t o = { .host = "dual.test",
                           .port = port,
                           .lookup = two_addresses };
  ASSERT_OK(lode_net_connect(&loop, &o, &kev, &c));
  test_run_loop(&loop, 5000);
  ASSERT_STR_EQ(ct.buf,
                "lookup:::1:6,lookup:127.0.0.1:4,attempt:::1:6,"
                "failed:::1,attempt:127.0.0.1:4,"
                "connect:127.0.0.1,close(0)");
  char want[64];
  snprintf(want, sizeof(want), "::1:%d,127.0.0.1:%d", port, port);
  ASSERT_STR_EQ(attempted, want);
  test_loop_close(&loop);
}

TEST(autoselect_off_takes_first) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  ASSERT_OK(lode_net_create_server(&loop, NULL, &sev, &server));
  int port = listen_local(&loop, server);
  lode_socket_t* c;
  lode_socket_opts_t o = { .host = "dual.test",
                           .port = port,
                           .lookup = two_addresses,
                           .auto_select_family = -1 };
  ASSERT_OK(lode_net_connect(&loop, &o, &cev, &c));
  test_run_loop(&loop, 5000);
  /* Node: both lookups are reported, the first address is used. */
  ASSERT(strncmp(ct.buf, "lookup:::1:6,lookup:127.0.0.1:4,error:", 38) == 0);
  ASSERT(strstr(ct.buf, "close(1)") != NULL);
  test_loop_close(&loop);
}

/* The system resolver's "localhost" (one address here or two): the
 * connection gets in either way. */
TEST(localhost_default_lookup) {
  need_ipv6();
  uv_loop_t loop;
  uv_loop_init(&loop);
  ASSERT_OK(lode_net_create_server(&loop, NULL, &sev, &server));
  ASSERT_OK(lode_server_listen(server, NULL, NULL, NULL)); /* "::" */
  lode_net_address_t a;
  ASSERT_OK(lode_server_address(server, &a));
  lode_socket_t* c;
  lode_socket_opts_t o = { .host = "localhost", .port = a.port };
  ASSERT_OK(lode_net_connect(&loop, &o, &cev, &c));
  test_run_loop(&loop, 5000);
  ASSERT(strstr(ct.buf, "connect:") != NULL);
  ASSERT(strstr(ct.buf, "close(0)") != NULL);
  test_loop_close(&loop);
}

/* ---- blockList ----------------------------------------------------------- */

static int connections;
static void count_conn(lode_server_t* srv, lode_socket_t* s) {
  connections++;
}
static const lode_server_events_t count_sev = { .on_connection = count_conn };
static void b_connect(lode_socket_t* s) {
  side(&ct, "connect");
}
static void b_error(lode_socket_t* s, const lode_error_t* e) {
  side(&ct, "error:%s:%s", e->name, e->message);
}
static const lode_socket_events_t bev = {
  .on_connect = b_connect,
  .on_error = b_error,
  .on_close = c_close,
};

TEST(block_list_client) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  lode_block_list_t* bl;
  ASSERT_OK(lode_block_list_new(&bl));
  ASSERT_OK(lode_block_list_add_address(bl, "127.0.0.1", "ipv4"));
  ASSERT_OK(lode_net_create_server(&loop, NULL, &sev, &server));
  int port = listen_local(&loop, server);
  lode_socket_t* c;
  lode_socket_opts_t o = { .host = "127.0.0.1",
                           .port = port,
                           .block_list = bl };
  ASSERT_OK(lode_net_connect(&loop, &o, &bev, &c));
  lode_block_list_release(bl); /* the socket keeps its own reference */
  test_run_loop(&loop, 5000);
  ASSERT_STR_EQ(ct.buf,
                "error:ERR_IP_BLOCKED:IP(127.0.0.1) is blocked by "
                "net.BlockList,close(1)");
  test_loop_close(&loop);
}

TEST(block_list_server) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  lode_block_list_t* bl;
  ASSERT_OK(lode_block_list_new(&bl));
  ASSERT_OK(lode_block_list_add_address(bl, "127.0.0.1", "ipv4"));
  lode_server_opts_t so = { .block_list = bl };
  ASSERT_OK(lode_net_create_server(&loop, &so, &count_sev, &server));
  lode_block_list_release(bl);
  int port = listen_local(&loop, server);
  dial(&loop, port, &bev);
  test_run_loop(&loop, 5000);
  /* Connected at the TCP level, then closed by the server unseen. */
  ASSERT(strncmp(ct.buf, "connect,", 8) == 0);
  ASSERT_EQ(connections, 0);
  test_loop_close(&loop);
}

TEST_MAIN(happy_eyeballs_falls_back, autoselect_off_takes_first,
          localhost_default_lookup, block_list_client, block_list_server)
