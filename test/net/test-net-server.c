/* net.Server: listen errors as events, listening again, close() and its
 * callback, maxConnections with 'drop', getConnections, reusePort, fd
 * listen, host lookup, abort signal, unref, one accept per connection. */
#include <errno.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "net-test.h"

/* accept4 counted: this definition in the program comes before libc's
 * for libuv's and lode's calls, and passes each call on. */
static int naccept, naccept_empty;
int accept4(int fd, struct sockaddr* addr, socklen_t* len, int flags) {
  naccept++;
  int r = (int) syscall(SYS_accept4, fd, addr, len, flags);
  if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
    naccept_empty++;
  return r;
}

static side_trace_t st, ct;

static int listenings, errors;
static void s_listening(lode_server_t* srv) {
  side(&st, "listening");
  listenings++;
}
static void s_error(lode_server_t* srv, const lode_error_t* e) {
  side(&st, "error:%s:%s:%s", e->name, e->syscall, e->message);
  errors++;
}
static void s_close(lode_server_t* srv) {
  side(&st, "close");
}
static void s_conn(lode_server_t* srv, lode_socket_t* s) {
  side(&st, "connection:%d", lode_server_get_connections(srv));
}
static void s_drop(lode_server_t* srv, const lode_drop_t* d) {
  side(&st, "drop:%s:%s:%s:%s", d->local_address, d->local_family,
       d->remote_address, d->remote_family);
  ASSERT_GT(d->local_port, 0);
  ASSERT_GT(d->remote_port, 0);
}
static const lode_server_events_t sev = {
  .on_listening = s_listening,
  .on_error = s_error,
  .on_close = s_close,
  .on_connection = s_conn,
  .on_drop = s_drop,
};

static void close_cb(lode_server_t* srv, int status, void* arg) {
  side(&st, "close-cb:%s", status ? lode_err_name(status) : "0");
}
static void listen_cb(lode_server_t* srv, int status, void* arg) {
  side(&st, "listen-cb:%d", status);
}

TEST(eaddrinuse_is_an_event) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  lode_server_t *a, *b;
  ASSERT_OK(lode_net_create_server(&loop, NULL, NULL, &a));
  int port = listen_local(&loop, a);
  ASSERT_OK(lode_net_create_server(&loop, NULL, &sev, &b));
  lode_listen_opts_t lo = { .host = "127.0.0.1", .port = port };
  ASSERT_OK(lode_server_listen(b, &lo, listen_cb, NULL));
  ASSERT_STR_EQ(st.buf, "");
  run_until(&loop, &errors, 1000);
  char want[256];
  snprintf(want, sizeof(want),
           "error:EADDRINUSE:listen:listen EADDRINUSE: "
           "address already in use 127.0.0.1:%d",
           port);
  ASSERT_STR_EQ(st.buf, want);
  ASSERT_EQ(lode_server_listening(b), 0);
  /* Listening again after the error works. */
  lo.port = 0;
  ASSERT_OK(lode_server_listen(b, &lo, listen_cb, NULL));
  ASSERT_EQ(lode_server_listen(b, &lo, NULL, NULL),
            LODE_ERR_SERVER_ALREADY_LISTEN);
  lode_server_close(a, NULL, NULL);
  lode_server_close(b, close_cb, NULL);
  test_run_loop(&loop, 5000);
  /* Closed before the 'listening' tick: no 'listening' (Node checks the
   * handle), then close and the callback. */
  snprintf(want + strlen(want), sizeof(want) - strlen(want),
           ",close,close-cb:0");
  ASSERT_STR_EQ(st.buf, want);
  test_loop_close(&loop);
}

TEST(close_not_running) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  lode_server_t* srv;
  ASSERT_OK(lode_net_create_server(&loop, NULL, &sev, &srv));
  lode_server_close(srv, close_cb, NULL);
  ASSERT_STR_EQ(st.buf, "");
  test_run_loop(&loop, 1000);
  ASSERT_STR_EQ(st.buf, "close,close-cb:ERR_SERVER_NOT_RUNNING");
  test_loop_close(&loop);
}

/* Closing a closed server (held by the program) emits 'close' again, with
 * ERR_SERVER_NOT_RUNNING to the callback, as Node; the server's reference
 * on itself is dropped once, so the program's release frees it (the
 * second close used to drop it again: a use after free under ASan). */
TEST(close_twice_while_held) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  lode_server_t* srv;
  ASSERT_OK(lode_net_create_server(&loop, NULL, &sev, &srv));
  lode_server_hold(srv);
  lode_listen_opts_t lo = { .host = "127.0.0.1" };
  ASSERT_OK(lode_server_listen(srv, &lo, NULL, NULL));
  while (strstr(st.buf, "listening") == NULL) /* the listener holds the loop */
    uv_run(&loop, UV_RUN_ONCE);
  ASSERT_OK(lode_server_close(srv, close_cb, NULL));
  test_run_loop(&loop, 1000);
  ASSERT_EQ(lode_server_close(srv, close_cb, NULL),
            LODE_ERR_SERVER_NOT_RUNNING);
  test_run_loop(&loop, 1000);
  ASSERT_STR_EQ(st.buf,
                "listening,close,close-cb:0,close,"
                "close-cb:ERR_SERVER_NOT_RUNNING");
  /* Listening again after that, and closing, still frees once. */
  ASSERT_OK(lode_server_listen(srv, &lo, NULL, NULL));
  while (strstr(st.buf, "close-cb:ERR_SERVER_NOT_RUNNING,listening") == NULL)
    uv_run(&loop, UV_RUN_ONCE);
  ASSERT_OK(lode_server_close(srv, NULL, NULL));
  test_run_loop(&loop, 1000);
  lode_server_release(srv);
  test_loop_close(&loop);
}

TEST(bad_port_throws) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  lode_server_t* srv;
  ASSERT_OK(lode_net_create_server(&loop, NULL, &sev, &srv));
  lode_listen_opts_t lo = { .port = 65536 };
  ASSERT_EQ(lode_server_listen(srv, &lo, NULL, NULL), LODE_ERR_SOCKET_BAD_PORT);
  lode_server_close(srv, NULL, NULL);
  test_run_loop(&loop, 1000);
  ASSERT_STR_EQ(st.buf, "close");
  test_loop_close(&loop);
}

/* No host: "::" with dual stack, so an IPv4 client gets in too. */
static lode_server_t* relisten_srv;
static int relistens;
static void rl_close(lode_server_t* srv) {
  side(&st, "close");
  if (relistens++ == 0) {
    ASSERT_OK(lode_server_listen(srv, NULL, listen_cb, NULL));
  }
}
static void rl_listening(lode_server_t* srv) {
  lode_net_address_t a;
  ASSERT_OK(lode_server_address(srv, &a));
  side(&st, "listening:%s:%s", a.address, a.family);
  ASSERT_GT(a.port, 0);
  lode_server_close(srv, close_cb, NULL);
}
static const lode_server_events_t rl_ev = {
  .on_listening = rl_listening,
  .on_close = rl_close,
};

TEST(default_host_and_listen_after_close) {
  need_ipv6();
  uv_loop_t loop;
  uv_loop_init(&loop);
  ASSERT_OK(lode_net_create_server(&loop, NULL, &rl_ev, &relisten_srv));
  ASSERT_OK(lode_server_listen(relisten_srv, NULL, listen_cb, NULL));
  test_run_loop(&loop, 5000);
  ASSERT_STR_EQ(st.buf,
                "listening::::IPv6,listen-cb:0,close,close-cb:0,"
                "listening::::IPv6,listen-cb:0,close,close-cb:0");
  test_loop_close(&loop);
}

/* ---- close() waits for the connections --------------------------------- */

static lode_server_t* srv_g;
static lode_socket_t* client_g;
static void w_conn(lode_server_t* srv, lode_socket_t* s) {
  side(&st, "connection:%d", lode_server_get_connections(srv));
  lode_server_close(srv, close_cb, NULL);
  side(&st, "closing:%d", lode_server_listening(srv));
  /* The connection lives on: end it, and the close follows. */
  lode_socket_end(s, LODE_SLICE("bye"), NULL, NULL);
}
static const lode_server_events_t w_ev = {
  .on_connection = w_conn,
  .on_close = s_close,
};
static void c_close(lode_socket_t* s, int e) {
  side(&ct, "close(%d)", e);
}
static void c_data(lode_socket_t* s, lode_slice_t d) {
  side(&ct, "data:%.*s", (int) d.len, d.base);
}
static const lode_socket_events_t cev = {
  .on_data = c_data,
  .on_close = c_close,
};

TEST(close_waits_for_connections) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  ASSERT_OK(lode_net_create_server(&loop, NULL, &w_ev, &srv_g));
  int port = listen_local(&loop, srv_g);
  lode_socket_opts_t o = { .host = "127.0.0.1", .port = port };
  ASSERT_OK(lode_net_connect(&loop, &o, &cev, &client_g));
  test_run_loop(&loop, 5000);
  ASSERT_STR_EQ(st.buf, "connection:1,closing:0,close,close-cb:0");
  ASSERT_STR_EQ(ct.buf, "data:bye,close(0)");
  test_loop_close(&loop);
}

/* ---- maxConnections and 'drop' ----------------------------------------- */

static int closed_clients;
static lode_server_t* mc_srv;
static void mc_close(lode_socket_t* s, int e) {
  side(&ct, "close:%" PRIu64, lode_socket_bytes_read(s));
  if (++closed_clients == 3)
    lode_server_close(mc_srv, NULL, NULL);
}
static const lode_socket_events_t mc_cev = {
  .on_data = c_data,
  .on_close = mc_close,
};
static void mc_conn(lode_server_t* srv, lode_socket_t* s) {
  side(&st, "connection:%d", lode_server_get_connections(srv));
  lode_socket_end(s, LODE_SLICE("hi"), NULL, NULL);
}
static const lode_server_events_t mc_ev = {
  .on_connection = mc_conn,
  .on_drop = s_drop,
  .on_close = s_close,
};

TEST(max_connections_zero_drops_all) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  ASSERT_OK(lode_net_create_server(&loop, NULL, &mc_ev, &mc_srv));
  ASSERT_EQ(lode_server_max_connections(mc_srv), -1);
  lode_server_set_max_connections(mc_srv, 0);
  ASSERT_EQ(lode_server_max_connections(mc_srv), 0);
  int port = listen_local(&loop, mc_srv);
  lode_socket_t* c;
  lode_socket_opts_t o = { .host = "127.0.0.1", .port = port };
  for (int i = 0; i < 3; i++)
    ASSERT_OK(lode_net_connect(&loop, &o, &mc_cev, &c));
  test_run_loop(&loop, 5000);
  ASSERT_STR_EQ(st.buf,
                "drop:127.0.0.1:IPv4:127.0.0.1:IPv4,"
                "drop:127.0.0.1:IPv4:127.0.0.1:IPv4,"
                "drop:127.0.0.1:IPv4:127.0.0.1:IPv4,close");
  /* Dropped connections are closed without data. */
  ASSERT_STR_EQ(ct.buf, "close:0,close:0,close:0");
  test_loop_close(&loop);
}

/* With a limit of 1, a second client arriving while the first is still
 * open is dropped. */
static lode_socket_t* first_accepted;
static void m1_conn(lode_server_t* srv, lode_socket_t* s) {
  side(&st, "connection:%d", lode_server_get_connections(srv));
  first_accepted = s;
}
static void m1_drop(lode_server_t* srv, const lode_drop_t* d) {
  side(&st, "drop");
  lode_socket_end(first_accepted, LODE_SLICE("hi"), NULL, NULL);
}
static const lode_server_events_t m1_ev = {
  .on_connection = m1_conn,
  .on_drop = m1_drop,
  .on_close = s_close,
};
static void m1_connect(lode_socket_t* s) {
  /* The second client starts once the first is connected. */
  static int n;
  if (n++ == 0) {
    lode_socket_t* c;
    lode_socket_opts_t o = { .host = "127.0.0.1",
                             .port = lode_socket_remote_port(s) };
    ASSERT_OK(lode_net_connect(lode_socket_loop(s), &o, &mc_cev, &c));
  }
}
static void m1_close(lode_socket_t* s, int e) {
  mc_close(s, e);
  if (closed_clients == 2)
    lode_server_close(mc_srv, NULL, NULL);
}
static const lode_socket_events_t m1_cev = {
  .on_connect = m1_connect,
  .on_data = c_data,
  .on_close = m1_close,
};

TEST(max_connections_one) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  ASSERT_OK(lode_net_create_server(&loop, NULL, &m1_ev, &mc_srv));
  lode_server_set_max_connections(mc_srv, 1);
  lode_server_set_drop_max_connection(mc_srv, 1);
  ASSERT_EQ(lode_server_drop_max_connection(mc_srv), 1);
  int port = listen_local(&loop, mc_srv);
  dial(&loop, port, &m1_cev);
  test_run_loop(&loop, 5000);
  ASSERT_STR_EQ(st.buf, "connection:1,drop,close");
  /* Either client may close first; the dropped one read nothing. */
  if (strcmp(ct.buf, "close:0,data:hi,close:2") != 0 &&
      strcmp(ct.buf, "data:hi,close:0,close:2") != 0)
    ASSERT_STR_EQ(ct.buf, "data:hi,close:2,close:0");
  test_loop_close(&loop);
}

/* ---- reusePort, fd, host lookup, signal, unref -------------------------- */

TEST(reuse_port) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  lode_server_t *a, *b;
  ASSERT_OK(lode_net_create_server(&loop, NULL, &sev, &a));
  ASSERT_OK(lode_net_create_server(&loop, NULL, &sev, &b));
  lode_listen_opts_t lo = { .host = "127.0.0.1", .reuse_port = 1 };
  ASSERT_OK(lode_server_listen(a, &lo, NULL, NULL));
  lode_net_address_t addr;
  ASSERT_OK(lode_server_address(a, &addr));
  lo.port = addr.port;
  ASSERT_OK(lode_server_listen(b, &lo, NULL, NULL));
  run_until_n(&loop, &listenings, 2, 1000);
  ASSERT_STR_EQ(st.buf, "listening,listening");
  lode_server_close(a, NULL, NULL);
  lode_server_close(b, NULL, NULL);
  test_run_loop(&loop, 1000);
  test_loop_close(&loop);
}

TEST(listen_fd) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in sa;
  uv_ip4_addr("127.0.0.1", 0, &sa);
  ASSERT_OK(bind(fd, (struct sockaddr*) &sa, sizeof(sa)));
  lode_server_t* srv;
  ASSERT_OK(lode_net_create_server(&loop, NULL, &sev, &srv));
  ASSERT_OK(lode_server_listen_fd(srv, fd, 0, listen_cb, NULL));
  lode_net_address_t addr;
  ASSERT_OK(lode_server_address(srv, &addr));
  ASSERT_STR_EQ(addr.address, "127.0.0.1");
  run_until(&loop, &listenings, 1000);
  ASSERT_STR_EQ(st.buf, "listening,listen-cb:0");
  lode_server_close(srv, NULL, NULL);
  test_run_loop(&loop, 1000);
  test_loop_close(&loop);
}

static void lh_listening(lode_server_t* srv) {
  lode_net_address_t a;
  ASSERT_OK(lode_server_address(srv, &a));
  side(&st, "listening:%s", a.address);
  lode_server_close(srv, NULL, NULL);
}
static const lode_server_events_t lh_ev = {
  .on_listening = lh_listening,
  .on_error = s_error,
  .on_close = s_close,
};

TEST(listen_host_lookup) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  lode_server_t* srv;
  ASSERT_OK(lode_net_create_server(&loop, NULL, &lh_ev, &srv));
  lode_listen_opts_t lo = { .host = "localhost" };
  ASSERT_OK(lode_server_listen(srv, &lo, NULL, NULL));
  ASSERT_EQ(lode_server_listen(srv, &lo, NULL, NULL),
            LODE_ERR_SERVER_ALREADY_LISTEN);
  test_run_loop(&loop, 5000);
  if (strcmp(st.buf, "listening:127.0.0.1,close") != 0)
    ASSERT_STR_EQ(st.buf, "listening:::1,close");
  test_loop_close(&loop);
}

/* close() while the host lookup runs: close, nothing listening, no leak.
 * Node has no handle yet either, so the callback hears "not running". */
TEST(close_during_lookup) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  lode_server_t* srv;
  ASSERT_OK(lode_net_create_server(&loop, NULL, &sev, &srv));
  lode_listen_opts_t lo = { .host = "localhost" };
  ASSERT_OK(lode_server_listen(srv, &lo, listen_cb, NULL));
  lode_server_close(srv, close_cb, NULL);
  test_run_loop(&loop, 5000);
  ASSERT_STR_EQ(st.buf, "close,close-cb:ERR_SERVER_NOT_RUNNING");
  test_loop_close(&loop);
}

TEST(listen_signal) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  lode_server_t* srv;
  lode_abort_controller_t* ac;
  ASSERT_OK(lode_abort_controller_create(&ac));
  ASSERT_OK(lode_net_create_server(&loop, NULL, &sev, &srv));
  lode_listen_opts_t lo = { .host = "127.0.0.1",
                            .signal = lode_abort_controller_signal(ac) };
  ASSERT_OK(lode_server_listen(srv, &lo, NULL, NULL));
  lode_abort_controller_release(ac); /* the server holds the signal */
  run_until(&loop, &listenings, 1000);
  ASSERT_STR_EQ(st.buf, "listening");
  lode_abort_controller_abort(ac, 0);
  test_run_loop(&loop, 1000);
  ASSERT_STR_EQ(st.buf, "listening,close");
  test_loop_close(&loop);
}

/* ipv6Only: "::" without the IPv4 half. */
static void v6_c_error(lode_socket_t* s, const lode_error_t* e) {
  side(&ct, "v4:%s", e->name);
}
static void v6_c_connect(lode_socket_t* s) {
  side(&ct, "v6:connect");
  lode_socket_destroy(s, NULL);
}
static int v6_closed;
static void v6_c_close(lode_socket_t* s, int e) {
  v6_closed++;
}
static const lode_socket_events_t v6_cev = {
  .on_connect = v6_c_connect,
  .on_error = v6_c_error,
  .on_close = v6_c_close,
};

TEST(ipv6_only) {
  need_ipv6();
  uv_loop_t loop;
  uv_loop_init(&loop);
  lode_server_t* srv;
  ASSERT_OK(lode_net_create_server(&loop, NULL, &sev, &srv));
  lode_listen_opts_t lo = { .host = "::", .ipv6_only = 1 };
  ASSERT_OK(lode_server_listen(srv, &lo, NULL, NULL));
  lode_net_address_t a;
  ASSERT_OK(lode_server_address(srv, &a));
  lode_socket_t* c;
  lode_socket_opts_t o4 = { .host = "127.0.0.1", .port = a.port };
  ASSERT_OK(lode_net_connect(&loop, &o4, &v6_cev, &c));
  run_until(&loop, &v6_closed, 5000);
  lode_socket_opts_t o6 = { .host = "::1", .port = a.port };
  ASSERT_OK(lode_net_connect(&loop, &o6, &v6_cev, &c));
  run_until_n(&loop, &v6_closed, 2, 5000);
  ASSERT_STR_EQ(ct.buf, "v4:ECONNREFUSED,v6:connect");
  lode_server_close(srv, NULL, NULL);
  test_run_loop(&loop, 5000);
  test_loop_close(&loop);
}

/* highWaterMark applies to accepted sockets' writes. */
static void hwm_conn(lode_server_t* srv, lode_socket_t* s) {
  /* Corked, the bytes stay queued and count against the mark. */
  lode_stream_cork(lode_socket_stream(s));
  ASSERT_EQ(lode_socket_write(s, LODE_SLICE("abc"), NULL, NULL), 1);
  ASSERT_EQ(lode_socket_write(s, LODE_SLICE("d"), NULL, NULL), 0);
  side(&st, "hwm");
  lode_socket_destroy(s, NULL);
  lode_server_close(srv, NULL, NULL);
}
static const lode_server_events_t hwm_sev = { .on_connection = hwm_conn };
static const lode_socket_events_t quiet = { .on_close = v6_c_close };

TEST(high_water_mark) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  lode_server_t* srv;
  lode_server_opts_t so = { .high_water_mark = 4 };
  int port = serve(&loop, &so, &hwm_sev, &srv);
  dial(&loop, port, &quiet);
  test_run_loop(&loop, 5000);
  ASSERT_STR_EQ(st.buf, "hwm");
  test_loop_close(&loop);
}

/* A listen error nobody listens to closes the server (Node would end the
 * process); nothing leaks. */
static void nl_close(lode_server_t* srv) {
  side(&st, "close");
}
static const lode_server_events_t no_listener = { .on_close = nl_close };

TEST(listen_error_without_listener) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  lode_server_t *a, *b;
  ASSERT_OK(lode_net_create_server(&loop, NULL, NULL, &a));
  int port = listen_local(&loop, a);
  ASSERT_OK(lode_net_create_server(&loop, NULL, &no_listener, &b));
  lode_listen_opts_t lo = { .host = "127.0.0.1", .port = port };
  ASSERT_OK(lode_server_listen(b, &lo, NULL, NULL));
  lode_server_close(a, NULL, NULL);
  test_run_loop(&loop, 5000);
  ASSERT_STR_EQ(st.buf, "close");
  test_loop_close(&loop);
}

TEST(null_arguments) {
  lode_server_t* srv;
  lode_socket_t* s;
  ASSERT_EQ(lode_net_create_server(NULL, NULL, NULL, &srv), UV_EINVAL);
  ASSERT_EQ(lode_net_connect(NULL, NULL, NULL, &s), UV_EINVAL);
  ASSERT_EQ(lode_socket_create(NULL, NULL, NULL, &s), UV_EINVAL);
}

/* An unref'd server does not hold the loop open. */
TEST(unref) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  lode_server_t* srv;
  ASSERT_OK(lode_net_create_server(&loop, NULL, &sev, &srv));
  listen_local(&loop, srv);
  lode_server_unref(srv);
  test_run_loop(&loop, 1000); /* returns: nothing holds the loop */
  ASSERT_STR_EQ(st.buf, "listening");
  lode_server_ref(srv);
  lode_server_close(srv, NULL, NULL);
  test_run_loop(&loop, 1000);
  test_loop_close(&loop);
}

/* ---- Accepting ------------------------------------------------------- */

/* A connected client of 127.0.0.1:port, made with a blocking connect (the
 * kernel completes the handshake; the connection waits in the listen
 * queue). */
static int raw_connect(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_OK(connect(fd, (struct sockaddr*) &a, sizeof(a)));
  return fd;
}

static int one_conns;
static void one_conn(lode_server_t* srv, lode_socket_t* s) {
  one_conns++;
  lode_socket_destroy(s, NULL);
}
static const lode_server_events_t one_ev = { .on_connection = one_conn };

/* Connections arriving one at a time cost one accept4 each, none that
 * finds the queue empty (libuv's own accept loop tries until EAGAIN, and
 * the kernel makes and frees a socket and a file for that try). Several
 * waiting at once: one per turn of the loop, every one accepted, still
 * none empty. */
TEST(one_accept_per_connection) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  lode_server_t* srv;
  int port = serve(&loop, NULL, &one_ev, &srv);
  naccept = naccept_empty = 0;
  for (int i = 0; i < 20; i++) {
    int fd = raw_connect(port);
    run_until_n(&loop, &one_conns, i + 1, 5000);
    close(fd);
  }
  ASSERT_EQ(naccept, 20);
  ASSERT_EQ(naccept_empty, 0);
  int fds[5];
  for (int i = 0; i < 5; i++)
    fds[i] = raw_connect(port);
  run_until_n(&loop, &one_conns, 25, 5000);
  for (int i = 0; i < 5; i++)
    close(fds[i]);
  ASSERT_EQ(naccept, 25);
  ASSERT_EQ(naccept_empty, 0);
  lode_server_close(srv, NULL, NULL);
  test_run_loop(&loop, 5000);
  test_loop_close(&loop);
}

/* A busy loop takes more than one waiting connection per turn: 32
 * accepted connections with a byte to read each and 2 waiting in the
 * queue make one poll of 33 events, in which both are accepted (one per
 * turn would leave the second waiting behind every other event). */
static int busy_conns;
static void busy_conn(lode_server_t* srv, lode_socket_t* s) {
  (void) srv;
  (void) s;
  busy_conns++;
}
static void busy_data(lode_socket_t* s, lode_slice_t d) {
  (void) s;
  (void) d;
}
static const lode_socket_events_t busy_sev = { .on_data = busy_data };
static const lode_server_events_t busy_ev = { .on_connection = busy_conn };

TEST(busy_loop_accepts_more_per_turn) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  lode_server_t* srv;
  lode_server_opts_t so = { .socket_events = &busy_sev };
  int port = serve(&loop, &so, &busy_ev, &srv);
  int fds[34];
  for (int i = 0; i < 32; i++) {
    fds[i] = raw_connect(port);
    run_until_n(&loop, &busy_conns, i + 1, 5000);
  }
  for (int i = 0; i < 32; i++)
    ASSERT_EQ(write(fds[i], "x", 1), 1);
  fds[32] = raw_connect(port);
  fds[33] = raw_connect(port);
  uv_run(&loop, UV_RUN_ONCE);
  ASSERT_EQ(busy_conns, 34);
  for (int i = 0; i < 34; i++)
    close(fds[i]);
  lode_server_close(srv, NULL, NULL);
  test_run_loop(&loop, 5000);
  test_loop_close(&loop);
}

TEST_MAIN(one_accept_per_connection, busy_loop_accepts_more_per_turn,
          eaddrinuse_is_an_event, close_not_running, close_twice_while_held,
          bad_port_throws, default_host_and_listen_after_close,
          close_waits_for_connections, max_connections_zero_drops_all,
          max_connections_one, reuse_port, listen_fd, listen_host_lookup,
          close_during_lookup, listen_signal, ipv6_only, high_water_mark,
          listen_error_without_listener, null_arguments, unref)
