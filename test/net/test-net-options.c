/* Connect and listen options not covered elsewhere: `family` and `hints`
 * reach the lookup, `localAddress`/`localPort` bind the client, and
 * `exclusive` (lode has no cluster: every listen owns its port). */
#include <netdb.h>
#include <unistd.h>

#include "net-test.h"

static side_trace_t ct, st;
static lode_server_t* server;

static void s_conn(lode_server_t* srv, lode_socket_t* s) {
  side(&st, "connection:%s:%d", lode_socket_remote_address(s),
       lode_socket_remote_port(s));
  lode_socket_end(s, (lode_slice_t){ NULL, 0 }, NULL, NULL);
  lode_server_close(srv, NULL, NULL);
}
static void s_error(lode_server_t* srv, const lode_error_t* e) {
  side(&st, "error:%s:%s", e->name, e->syscall ? e->syscall : "");
}
static const lode_server_events_t sev = {
  .on_connection = s_conn,
  .on_error = s_error,
};

static void c_lookup(lode_socket_t* s, int err, const char* address, int family,
                     const char* host) {
  side(&ct, "lookup:%d:%s:%d:%s", err, address, family, host);
}
static void c_connect(lode_socket_t* s) {
  side(&ct, "connect:%s:%d", lode_socket_local_address(s),
       lode_socket_local_port(s));
}
static void c_close(lode_socket_t* s, int e) {
  side(&ct, "close(%d)", e);
}
static void c_error(lode_socket_t* s, const lode_error_t* e) {
  side(&ct, "error:%s:%s", e->name, e->message);
}
static const lode_socket_events_t cev = {
  .on_lookup = c_lookup,
  .on_connect = c_connect,
  .on_close = c_close,
  .on_error = c_error,
};

/* Node calls the lookup with the connect's family and hints. */
static void my_lookup(lode_lookup_t* req, const char* host, int family,
                      int hints, void* arg) {
  side(&ct, "fn:%s:%d:%d:%s", host, family, hints, (const char*) arg);
  lode_lookup_done(req, 0, "127.0.0.1", 4);
}

TEST(lookup_gets_family_and_hints) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  int port = serve(&loop, NULL, &sev, &server);
  lode_socket_t* c;
  lode_socket_opts_t o = {
    .host = "db.example",
    .port = port,
    .family = 4,
    .hints = AI_ADDRCONFIG | AI_V4MAPPED,
    .lookup = my_lookup,
    .lookup_arg = "arg",
  };
  ASSERT_OK(lode_net_connect(&loop, &o, &cev, &c));
  test_run_loop(&loop, 5000);
  char want[256];
  snprintf(want, sizeof(want),
           "fn:db.example:4:%d:arg,lookup:0:127.0.0.1:4:db.example,",
           AI_ADDRCONFIG | AI_V4MAPPED);
  ASSERT(strncmp(ct.buf, want, strlen(want)) == 0);
  test_loop_close(&loop);
}

TEST(local_address_and_port) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  int port = serve(&loop, NULL, &sev, &server);
  int held; /* the client's local port, shared with the client's bind */
  int lport = hold_port(&held, 1);
  lode_socket_t* c;
  lode_socket_opts_t o = { .host = "127.0.0.1",
                           .port = port,
                           .local_address = "127.0.0.1",
                           .local_port = lport };
  ASSERT_OK(lode_net_connect(&loop, &o, &cev, &c));
  test_run_loop(&loop, 5000);
  char want[128];
  snprintf(want, sizeof(want), "connect:127.0.0.1:%d,close(0)", lport);
  ASSERT_STR_EQ(ct.buf, want);
  snprintf(want, sizeof(want), "connection:127.0.0.1:%d", lport);
  ASSERT_STR_EQ(st.buf, want);
  test_loop_close(&loop);
  close(held);
}

/* A local address the machine does not have fails in on_error with the
 * bind's error, as Node's 'error' (EADDRNOTAVAIL, syscall bind). */
TEST(local_address_unavailable) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  int port = serve(&loop, NULL, &sev, &server);
  lode_socket_t* c;
  lode_socket_opts_t o = { .host = "127.0.0.1",
                           .port = port,
                           .local_address = "192.0.2.1" };
  lode_server_unref(server);
  ASSERT_OK(lode_net_connect(&loop, &o, &cev, &c));
  test_run_loop(&loop, 5000);
  ASSERT_STR_EQ(ct.buf,
                "error:EADDRNOTAVAIL:bind EADDRNOTAVAIL 192.0.2.1,"
                "close(1)");
  lode_server_close(server, NULL, NULL);
  test_run_loop(&loop, 5000);
  test_loop_close(&loop);
}

/* `exclusive` changes nothing in lode: whatever its value, a second
 * server on a taken port gets EADDRINUSE (Node's exclusive: true, the
 * only behaviour a process without cluster workers has). */
static void second_closed(lode_server_t* srv) {
  side(&st, "close");
}
static const lode_server_events_t sev2 = {
  .on_error = s_error,
  .on_close = second_closed,
};

TEST(exclusive_listen) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  lode_server_t* first;
  ASSERT_OK(lode_net_create_server(&loop, NULL, &sev, &first));
  lode_listen_opts_t lo = { .host = "127.0.0.1", .exclusive = 1 };
  ASSERT_OK(lode_server_listen(first, &lo, NULL, NULL));
  lode_server_unref(first);
  test_run_loop(&loop, 5000);
  lode_net_address_t a;
  ASSERT_OK(lode_server_address(first, &a));
  for (int excl = 0; excl < 2; excl++) {
    lode_server_t* second;
    ASSERT_OK(lode_net_create_server(&loop, NULL, &sev2, &second));
    lode_listen_opts_t l2 = { .host = "127.0.0.1",
                              .port = a.port,
                              .exclusive = excl };
    ASSERT_OK(lode_server_listen(second, &l2, NULL, NULL));
    test_run_loop(&loop, 5000);
    ASSERT_EQ(lode_server_listening(second), 0);
    lode_server_close(second, NULL, NULL);
    test_run_loop(&loop, 5000);
  }
  ASSERT_STR_EQ(st.buf,
                "error:EADDRINUSE:listen,close,"
                "error:EADDRINUSE:listen,close");
  lode_server_close(first, NULL, NULL);
  test_run_loop(&loop, 5000);
  test_loop_close(&loop);
}

/* Happy eyeballs stays out when `family` is set or `localAddress` is:
 * the first address is the only one tried, with no attempt events (the
 * second would have connected). */
static void refusing_first(lode_lookup_t* req, const char* host, int family,
                           int hints, void* arg) {
  const char* addrs[] = { "127.0.0.2", "127.0.0.1" };
  const int fams[] = { 4, 4 };
  lode_lookup_done_all(req, 0, addrs, fams, 2);
}
static void c_attempt(lode_socket_t* s, const char* ip, int port, int f) {
  side(&ct, "attempt:%s", ip);
}
static void he_close(lode_socket_t* s, int e) {
  side(&ct, "close(%d):[%s]", e,
       lode_socket_auto_select_family_attempted_addresses(s));
}
static const lode_socket_events_t he_ev = {
  .on_connect = c_connect,
  .on_close = he_close,
  .on_error = c_error,
  .on_connection_attempt = c_attempt,
};

TEST(autoselect_ignored_with_family_or_local_address) {
  for (int which = 0; which < 2; which++) {
    uv_loop_t loop;
    uv_loop_init(&loop);
    ct.len = 0;
    ct.buf[0] = '\0';
    int port = serve(&loop, NULL, &sev, &server);
    lode_server_unref(server);
    lode_socket_t* c;
    lode_socket_opts_t o = { .host = "two.test",
                             .port = port,
                             .lookup = refusing_first,
                             .auto_select_family = 1 };
    if (which == 0)
      o.family = 4;
    else
      o.local_address = "127.0.0.1";
    ASSERT_OK(lode_net_connect(&loop, &o, &he_ev, &c));
    test_run_loop(&loop, 5000);
    char want[160];
    snprintf(want, sizeof(want),
             "error:ECONNREFUSED:connect ECONNREFUSED "
             "127.0.0.2:%d,close(1):[]",
             port);
    ASSERT_STR_EQ(ct.buf, want);
    lode_server_close(server, NULL, NULL);
    test_run_loop(&loop, 5000);
    test_loop_close(&loop);
  }
}

TEST_MAIN(lookup_gets_family_and_hints, local_address_and_port,
          local_address_unavailable, exclusive_listen,
          autoselect_ignored_with_family_or_local_address)
