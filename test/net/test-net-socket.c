/* net.Socket odds and ends: wrapping an fd, the abort signal, keepAlive
 * and noDelay on the wire, ref/unref, encodings on write, zero-copy
 * writes, cork through the stream, destroySoon, address(). */
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>
#include "net-test.h"
#include "net/internal.h"

static side_trace_t ct;
static lode_server_t* server;

static void c_connect(lode_socket_t* s) {
  side(&ct, "connect");
}
static void c_data(lode_socket_t* s, lode_slice_t d) {
  side(&ct, "data:%.*s", (int) d.len, d.base);
}
static void c_end(lode_socket_t* s) {
  side(&ct, "end");
}
static void c_error(lode_socket_t* s, const lode_error_t* e) {
  side(&ct, "error:%s:%s", e->name, e->message);
}
static void c_close(lode_socket_t* s, int e) {
  side(&ct, "close(%d)", e);
  if (server != NULL)
    lode_server_close(server, NULL, NULL);
}
static const lode_socket_events_t cev = {
  .on_connect = c_connect,
  .on_data = c_data,
  .on_end = c_end,
  .on_error = c_error,
  .on_close = c_close,
};

/* The server collects what it reads and echoes it back on end. */
static char got[256];
static size_t got_len;
static void s_data(lode_socket_t* s, lode_slice_t d) {
  memcpy(got + got_len, d.base, d.len);
  got_len += d.len;
}
static void s_end(lode_socket_t* s) {
  lode_socket_end(s, (lode_slice_t){ got, got_len }, NULL, NULL);
}
static const lode_socket_events_t collect = {
  .on_data = s_data,
  .on_end = s_end,
};
static void s_conn(lode_server_t* srv, lode_socket_t* s) {
}
static const lode_server_events_t sev = { .on_connection = s_conn };

static int start_server(uv_loop_t* loop) {
  got_len = 0;
  lode_server_opts_t so = { .socket_events = &collect };
  ASSERT_OK(lode_net_create_server(loop, &so, &sev, &server));
  return listen_local(loop, server);
}

/* ---- fd wrapping --------------------------------------------------------- */

TEST(wrap_fd) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  int sv[2];
  ASSERT_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
  lode_socket_t* s;
  lode_socket_opts_t o = { .has_fd = 1, .fd = sv[0] };
  ASSERT_OK(lode_socket_create(&loop, &o, &cev, &s));
  ASSERT_STR_EQ(lode_socket_ready_state(s), "open");
  ASSERT_EQ(lode_socket_pending(s), 0);
  ASSERT_EQ(write(sv[1], "from peer", 9), 9);
  shutdown(sv[1], SHUT_WR);
  server = NULL;
  test_run_loop(&loop, 5000);
  /* No connect for a wrapped fd; our end answers the peer's. */
  ASSERT_STR_EQ(ct.buf, "data:from peer,end,close(0)");
  char buf[16];
  ASSERT_EQ(read(sv[1], buf, sizeof(buf)), 0); /* our FIN arrived */
  close(sv[1]);
  test_loop_close(&loop);
}

TEST(wrap_fd_write_only) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  int sv[2];
  ASSERT_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
  lode_socket_t* s;
  lode_socket_opts_t o = { .has_fd = 1, .fd = sv[0], .readable = -1 };
  ASSERT_OK(lode_socket_create(&loop, &o, &cev, &s));
  ASSERT_STR_EQ(lode_socket_ready_state(s), "writeOnly");
  ASSERT_OK(lode_socket_end(s, LODE_SLICE("out"), NULL, NULL));
  server = NULL;
  test_run_loop(&loop, 5000);
  ASSERT_STR_EQ(ct.buf, "close(0)");
  char buf[16];
  ASSERT_EQ(read(sv[1], buf, sizeof(buf)), 3);
  close(sv[1]);
  test_loop_close(&loop);
}

/* ---- abort signal ------------------------------------------------------- */

TEST(signal_already_aborted) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  lode_abort_controller_t* ac;
  ASSERT_OK(lode_abort_controller_create(&ac));
  lode_abort_controller_abort(ac, 0);
  lode_socket_t* s;
  lode_socket_opts_t o = { .host = "127.0.0.1",
                           .port = 9,
                           .signal = lode_abort_controller_signal(ac) };
  ASSERT_OK(lode_net_connect(&loop, &o, &cev, &s));
  lode_abort_controller_release(ac);
  ASSERT_STR_EQ(ct.buf, "");
  server = NULL;
  test_run_loop(&loop, 5000);
  ASSERT_STR_EQ(ct.buf, "error:ABORT_ERR:The operation was aborted,close(1)");
  test_loop_close(&loop);
}

static lode_abort_controller_t* ctl;
static void ab_connect(lode_socket_t* s) {
  side(&ct, "connect");
  lode_abort_controller_abort(ctl, 0);
  ASSERT_EQ(lode_socket_destroyed(s), 1);
}
static const lode_socket_events_t abev = {
  .on_connect = ab_connect,
  .on_error = c_error,
  .on_close = c_close,
};

TEST(signal_aborts_connected) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  int port = start_server(&loop);
  ASSERT_OK(lode_abort_controller_create(&ctl));
  lode_socket_t* s;
  lode_socket_opts_t o = { .host = "127.0.0.1",
                           .port = port,
                           .signal = lode_abort_controller_signal(ctl) };
  ASSERT_OK(lode_net_connect(&loop, &o, &abev, &s));
  test_run_loop(&loop, 5000);
  ASSERT_STR_EQ(ct.buf,
                "connect,error:ABORT_ERR:The operation was aborted,"
                "close(1)");
  lode_abort_controller_release(ctl);
  test_loop_close(&loop);
}

/* ---- keepAlive / noDelay reach the kernel -------------------------------- */

/* Reads a socket option of the socket's descriptor (the test looks
 * inside: Node has no public fd either). */
static int sockopt(lode_socket_t* s, int level, int name) {
  uv_os_fd_t fd;
  ASSERT_OK(uv_fileno(&s->h.handle, &fd));
  int v = -1;
  socklen_t len = sizeof(v);
  ASSERT_OK(getsockopt(fd, level, name, &v, &len));
  return v;
}

static void ka_conn(lode_server_t* srv, lode_socket_t* s) {
  lode_net_address_t a;
  ASSERT_OK(lode_socket_address(s, &a));
  ASSERT_STR_EQ(a.family, "IPv4");
  ASSERT_STR_EQ(a.address, "127.0.0.1");
  /* The server's options apply to accepted sockets. */
  ASSERT_EQ(sockopt(s, IPPROTO_TCP, TCP_NODELAY), 1);
  ASSERT_EQ(sockopt(s, SOL_SOCKET, SO_KEEPALIVE), 1);
  ASSERT_EQ(sockopt(s, IPPROTO_TCP, TCP_KEEPIDLE), 3);
  lode_socket_end(s, (lode_slice_t){ 0 }, NULL, NULL);
}
static const lode_server_events_t ka_sev = { .on_connection = ka_conn };
static void ka_connect(lode_socket_t* s) {
  side(&ct, "connect");
  ASSERT_EQ(sockopt(s, IPPROTO_TCP, TCP_NODELAY), 1);
  ASSERT_EQ(sockopt(s, SOL_SOCKET, SO_KEEPALIVE), 1);
  ASSERT_EQ(sockopt(s, IPPROTO_TCP, TCP_KEEPIDLE), 2);
  ASSERT_OK(lode_socket_set_no_delay(s, 0));
  ASSERT_EQ(sockopt(s, IPPROTO_TCP, TCP_NODELAY), 0);
  ASSERT_OK(lode_socket_set_keep_alive(s, 0, 0));
  ASSERT_EQ(sockopt(s, SOL_SOCKET, SO_KEEPALIVE), 0);
}
static const lode_socket_events_t kacev = {
  .on_connect = ka_connect,
  .on_end = c_end,
  .on_close = c_close,
};

TEST(keep_alive_no_delay) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  lode_server_opts_t so = { .no_delay = 1,
                            .keep_alive = 1,
                            .keep_alive_initial_delay = 3000 };
  ASSERT_OK(lode_net_create_server(&loop, &so, &ka_sev, &server));
  int port = listen_local(&loop, server);
  lode_socket_t* s;
  lode_socket_opts_t o = { .host = "127.0.0.1",
                           .port = port,
                           .no_delay = 1,
                           .keep_alive = 1,
                           .keep_alive_initial_delay = 2000 };
  ASSERT_OK(lode_net_connect(&loop, &o, &kacev, &s));
  test_run_loop(&loop, 5000);
  ASSERT_STR_EQ(ct.buf, "connect,end,close(0)");
  test_loop_close(&loop);
}

/* keepAlive without a delay of a second or more keeps the system's idle
 * time, as Node's (it gives libuv whole seconds, and 0 changes nothing). */
static int system_keepidle(void) {
  FILE* f = fopen("/proc/sys/net/ipv4/tcp_keepalive_time", "r");
  int v = -1;
  if (f != NULL) {
    if (fscanf(f, "%d", &v) != 1)
      v = -1;
    fclose(f);
  }
  return v;
}
static void kd_connect(lode_socket_t* s) {
  side(&ct, "connect");
  ASSERT_EQ(sockopt(s, SOL_SOCKET, SO_KEEPALIVE), 1);
  ASSERT_EQ(sockopt(s, IPPROTO_TCP, TCP_KEEPIDLE), system_keepidle());
  ASSERT_OK(lode_socket_set_keep_alive(s, 1, 999));
  ASSERT_EQ(sockopt(s, IPPROTO_TCP, TCP_KEEPIDLE), system_keepidle());
  ASSERT_OK(lode_socket_set_keep_alive(s, 1, 4000));
  ASSERT_EQ(sockopt(s, IPPROTO_TCP, TCP_KEEPIDLE), 4);
  lode_socket_end(s, (lode_slice_t){ 0 }, NULL, NULL);
}
static const lode_socket_events_t kdev = {
  .on_connect = kd_connect,
  .on_end = c_end,
  .on_close = c_close,
};

TEST(keep_alive_default_delay) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  int port = start_server(&loop);
  lode_socket_t* s;
  lode_socket_opts_t o = { .host = "127.0.0.1", .port = port, .keep_alive = 1 };
  ASSERT_OK(lode_net_connect(&loop, &o, &kdev, &s));
  test_run_loop(&loop, 5000);
  ASSERT_STR_EQ(ct.buf, "connect,end,close(0)");
  test_loop_close(&loop);
}

/* ---- write forms: encodings, zero-copy, cork, destroySoon --------------- */

static void wf_connect(lode_socket_t* s) {
  ASSERT_EQ(
      lode_socket_write_str(s, LODE_SLICE("6869"), LODE_ENC_HEX, NULL, NULL),
      1);
  ASSERT_EQ(
      lode_socket_write_str(s, LODE_SLICE("LQ=="), LODE_ENC_BASE64, NULL, NULL),
      1);
  lode_bytes_t* b = lode_bytes_copy(LODE_SLICE("zero"));
  lode_bytes_t* parts[2] = { b, b };
  ASSERT_EQ(lode_socket_write_bytes(s, parts, 2, NULL, NULL), 1);
  lode_bytes_release(b); /* the socket holds its own references */
  ASSERT_EQ(lode_socket_write_str(s, LODE_SLICE("x"), (lode_encoding_t) 99,
                                  NULL, NULL),
            LODE_ERR_UNKNOWN_ENCODING);
  ASSERT_EQ(lode_socket_set_encoding(s, (lode_encoding_t) 99),
            LODE_ERR_UNKNOWN_ENCODING);
  lode_stream_t* st = lode_socket_stream(s);
  ASSERT(lode_socket_from_stream(st) == s);
  lode_stream_cork(st);
  ASSERT_EQ(lode_stream_write(st, LODE_SLICE("-corked"), NULL, NULL), 1);
  ASSERT_EQ(lode_stream_writable_length(st), 7);
  lode_stream_uncork(st);
  lode_socket_destroy_soon(s);
  ASSERT_EQ(lode_socket_bytes_written(s), 2 + 1 + 8 + 7);
}
static const lode_socket_events_t wfev = {
  .on_connect = wf_connect,
  .on_data = c_data,
  .on_close = c_close,
};

TEST(write_forms) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  int port = start_server(&loop);
  lode_socket_t* s;
  lode_socket_opts_t o = { .host = "127.0.0.1",
                           .port = port,
                           .allow_half_open = 1 };
  ASSERT_OK(lode_net_connect(&loop, &o, &wfev, &s));
  test_run_loop(&loop, 5000);
  /* destroySoon closed the socket after its FIN went out; the server got
   * every byte in order. */
  ASSERT_MEM_EQ(got, got_len, "hi-zerozero-corked", 18);
  test_loop_close(&loop);
}

/* ---- ref / unref --------------------------------------------------------- */

/* A raw listener that never accepts: the kernel completes the handshake
 * and nobody on this loop holds a handle for the other end. */
static void no_accept(uv_stream_t* h, int status) {
}

TEST(unref_socket) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  uv_tcp_t raw;
  struct sockaddr_in sa;
  uv_tcp_init(&loop, &raw);
  uv_ip4_addr("127.0.0.1", 0, &sa);
  ASSERT_OK(uv_tcp_bind(&raw, (struct sockaddr*) &sa, 0));
  ASSERT_OK(uv_listen((uv_stream_t*) &raw, 8, no_accept));
  uv_unref((uv_handle_t*) &raw);
  int len = sizeof(sa);
  uv_tcp_getsockname(&raw, (struct sockaddr*) &sa, &len);
  lode_socket_t* s;
  lode_socket_opts_t o = { .host = "127.0.0.1", .port = ntohs(sa.sin_port) };
  ASSERT_OK(lode_net_connect(&loop, &o, &cev, &s));
  lode_socket_unref(s);
  server = NULL;
  /* Nothing holds the loop: it returns, whatever the connection does. */
  test_run_loop(&loop, 5000);
  lode_socket_ref(s);
  lode_socket_destroy(s, NULL);
  test_run_loop(&loop, 5000);
  ASSERT(strstr(ct.buf, "close(0)") != NULL);
  uv_close((uv_handle_t*) &raw, NULL);
  test_loop_close(&loop);
}

TEST_MAIN(wrap_fd, wrap_fd_write_only, signal_already_aborted,
          signal_aborts_connected, keep_alive_no_delay,
          keep_alive_default_delay, write_forms, unref_socket)
