/* Faults and bad input: refused, not found, write after end, EPIPE after
 * the peer's FIN, resets both ways, and what connect() throws. */
#include <netdb.h>
#include <unistd.h>

#include "net-test.h"

static side_trace_t ct, st;
static lode_server_t* server;

static void c_lookup(lode_socket_t* s, int err, const char* address, int family,
                     const char* host) {
  side(&ct, "lookup:%s:%s", err ? lode_err_name(err) : "0",
       address ? address : "-");
}
static void c_connect(lode_socket_t* s) {
  side(&ct, "connect");
}
static char last_syscall[32], last_address[64];
static int last_port;
static void c_error(lode_socket_t* s, const lode_error_t* e) {
  side(&ct, "error:%s:%s", e->name, e->message);
  snprintf(last_syscall, sizeof(last_syscall), "%s",
           e->syscall ? e->syscall : "");
  snprintf(last_address, sizeof(last_address), "%s",
           e->address ? e->address : "");
  last_port = e->port;
}
static void c_close(lode_socket_t* s, int had_error) {
  side(&ct, "close(%d)", had_error);
  if (server != NULL)
    lode_server_close(server, NULL, NULL);
}
static const lode_socket_events_t ev = {
  .on_lookup = c_lookup,
  .on_connect = c_connect,
  .on_error = c_error,
  .on_close = c_close,
};

TEST(refused) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  int held;
  int port = hold_port(&held, 0);
  dial(&loop, port, &ev);
  test_run_loop(&loop, 5000);
  close(held);
  char want[200];
  snprintf(want, sizeof(want),
           "error:ECONNREFUSED:connect ECONNREFUSED 127.0.0.1:%d,close(1)",
           port);
  ASSERT_STR_EQ(ct.buf, want);
  /* Node's fields: syscall, address, port. */
  ASSERT_STR_EQ(last_syscall, "connect");
  ASSERT_STR_EQ(last_address, "127.0.0.1");
  ASSERT_EQ(last_port, port);
  test_loop_close(&loop);
}

/* A custom lookup that fails as a resolver does for an unknown name. */
static void no_such_host(lode_lookup_t* req, const char* host, int family,
                         int hints, void* arg) {
  lode_lookup_done(req, UV_EAI_NONAME, NULL, 0);
}

TEST(not_found_custom_lookup) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  lode_socket_t* c;
  lode_socket_opts_t o = { .host = "nonexistent.invalid",
                           .port = 80,
                           .lookup = no_such_host };
  ASSERT_OK(lode_net_connect(&loop, &o, &ev, &c));
  ASSERT_STR_EQ(ct.buf, "");
  test_run_loop(&loop, 5000);
  ASSERT_STR_EQ(ct.buf,
                "lookup:EAI_NONAME:-,error:ENOTFOUND:getaddrinfo "
                "ENOTFOUND nonexistent.invalid,close(1)");
  ASSERT_STR_EQ(last_syscall, "getaddrinfo");
  test_loop_close(&loop);
}

/* The system resolver: `.invalid` never resolves (RFC 6761), but how it
 * fails is the machine's: EAI_NONAME or EAI_NODATA (Node's ENOTFOUND)
 * where a resolver answers, EAI_AGAIN where none is reachable. lode must report what the
 * resolver said, as Node does: ask it first, with the same hints. */
TEST(not_found_resolver) {
  struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
                            .ai_flags = AI_ADDRCONFIG | AI_V4MAPPED };
  struct addrinfo* res = NULL;
  int rc = getaddrinfo("nonexistent.invalid", NULL, &hints, &res);
  if (res != NULL)
    freeaddrinfo(res);
  ASSERT_NE(rc, 0);
  const char* code = "ENOTFOUND";
  if (rc == EAI_AGAIN)
    code = "EAI_AGAIN";
  else if (rc != EAI_NONAME && rc != EAI_NODATA)
    test_fail(__FILE__, __LINE__, "getaddrinfo: %s", gai_strerror(rc));
  uv_loop_t loop;
  uv_loop_init(&loop);
  lode_socket_t* c;
  lode_socket_opts_t o = { .host = "nonexistent.invalid", .port = 80 };
  ASSERT_OK(lode_net_connect(&loop, &o, &ev, &c));
  test_run_loop(&loop, 20000);
  char want[128];
  snprintf(want, sizeof(want),
           "error:%s:getaddrinfo %s nonexistent.invalid,"
           "close(1)",
           code, code);
  ASSERT(strstr(ct.buf, want) != NULL);
  test_loop_close(&loop);
}

static void fixed_lookup(lode_lookup_t* req, const char* host, int family,
                         int hints, void* arg) {
  lode_lookup_done(req, 0, arg, 4);
}
static void srv_conn(lode_server_t* srv, lode_socket_t* s) {
}
static const lode_server_events_t srv_ev = { .on_connection = srv_conn };

static void cd_connect(lode_socket_t* s) {
  side(&ct, "connect");
  ASSERT_STR_EQ(lode_socket_remote_address(s), "127.0.0.1");
  lode_socket_destroy(s, NULL);
}
static const lode_socket_events_t connect_destroy_ev = {
  .on_lookup = c_lookup,
  .on_connect = cd_connect,
  .on_close = c_close,
};

TEST(custom_lookup_connects) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  ASSERT_OK(lode_net_create_server(&loop, NULL, &srv_ev, &server));
  int port = listen_local(&loop, server);
  lode_socket_t* c;
  lode_socket_opts_t o = { .host = "example.test",
                           .port = port,
                           .lookup = fixed_lookup,
                           .lookup_arg = "127.0.0.1" };
  ASSERT_OK(lode_net_connect(&loop, &o, &connect_destroy_ev, &c));
  test_run_loop(&loop, 5000);
  ASSERT_STR_EQ(ct.buf, "lookup:0:127.0.0.1,connect,close(0)");
  test_loop_close(&loop);
}

/* Destroyed while the resolver runs: no 'lookup', just the close. */
TEST(destroy_during_lookup) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  server = NULL;
  lode_socket_t* c;
  lode_socket_opts_t o = { .host = "localhost", .port = 9 };
  ASSERT_OK(lode_net_connect(&loop, &o, &ev, &c));
  lode_socket_destroy(c, NULL);
  test_run_loop(&loop, 5000);
  ASSERT_STR_EQ(ct.buf, "close(0)");
  test_loop_close(&loop);
}

TEST(bad_arguments) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  lode_socket_t* c = NULL;
  lode_socket_opts_t o = { .port = 70000 };
  ASSERT_EQ(lode_net_connect(&loop, &o, &ev, &c), LODE_ERR_SOCKET_BAD_PORT);
  o.port = -1;
  ASSERT_EQ(lode_net_connect(&loop, &o, &ev, &c), LODE_ERR_SOCKET_BAD_PORT);
  o.port = 0;
  ASSERT_EQ(lode_net_connect(&loop, &o, &ev, &c), LODE_ERR_MISSING_ARGS);
  ASSERT_EQ(lode_net_connect(&loop, NULL, &ev, &c), LODE_ERR_MISSING_ARGS);
  o = (lode_socket_opts_t){ .port = 80, .family = 5 };
  ASSERT_EQ(lode_net_connect(&loop, &o, &ev, &c), LODE_ERR_INVALID_ARG_VALUE);
  o = (lode_socket_opts_t){ .port = 80, .local_address = "nope" };
  ASSERT_EQ(lode_net_connect(&loop, &o, &ev, &c), LODE_ERR_INVALID_IP_ADDRESS);
  ASSERT_NULL(c);
  lode_socket_opts_t fo = { .has_fd = 1, .fd = 0x7fff };
  ASSERT_EQ(lode_socket_create(&loop, &fo, &ev, &c), LODE_ERR_INVALID_FD_TYPE);
  test_run_loop(&loop, 1000);
  ASSERT_STR_EQ(ct.buf, "");
  test_loop_close(&loop);
}

/* ---- write after end / after the peer's FIN ---------------------------- */

static void wae_cb(lode_socket_t* s, int status, void* arg) {
  side(&ct, "%s-cb:%s", (const char*) arg,
       status ? lode_err_name(status) : "0");
}
static void wae_connect(lode_socket_t* s) {
  side(&ct, "connect");
  ASSERT_OK(lode_socket_end(s, LODE_SLICE("x"), wae_cb, "end"));
  ASSERT_EQ(lode_socket_write(s, LODE_SLICE("y"), wae_cb, "write"), 0);
  ASSERT_EQ(lode_socket_destroyed(s), 1);
}
static const lode_socket_events_t wae_ev = {
  .on_connect = wae_connect,
  .on_error = c_error,
  .on_close = c_close,
};

TEST(write_after_end) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  int port = serve(&loop, NULL, &srv_ev, &server);
  dial(&loop, port, &wae_ev);
  test_run_loop(&loop, 5000);
  /* Node 20: the write's callback, the end's callback, 'error', 'close'. */
  ASSERT_STR_EQ(ct.buf,
                "connect,write-cb:ERR_STREAM_WRITE_AFTER_END,"
                "end-cb:ERR_STREAM_WRITE_AFTER_END,"
                "error:ERR_STREAM_WRITE_AFTER_END:write after end,"
                "close(1)");
  test_loop_close(&loop);
}

/* The server ends at once; the client (no allowHalfOpen) ends its side in
 * answer, so a write after 'end' fails with EPIPE. */
static void fin_conn(lode_server_t* srv, lode_socket_t* s) {
  lode_socket_end(s, (lode_slice_t){ 0 }, NULL, NULL);
}
static const lode_server_events_t fin_srv_ev = { .on_connection = fin_conn };
/* Node 20: writes in 'end' and in their callbacks still go out; the
 * answering FIN comes on the tick after 'end'; a write after it fails
 * with EPIPE. */
static void later_cb(lode_socket_t* s, int status, void* arg) {
  side(&ct, "later-cb:%d:%s", status, lode_socket_ready_state(s));
  ASSERT_EQ(lode_socket_write(s, LODE_SLICE("last"), wae_cb, "write"), 0);
}
static void late_cb(lode_socket_t* s, int status, void* arg) {
  side(&ct, "late-cb:%d:%s", status, lode_socket_ready_state(s));
  ASSERT_EQ(lode_socket_write(s, LODE_SLICE("later"), later_cb, NULL), 1);
}
static void epipe_end(lode_socket_t* s) {
  side(&ct, "end");
  ASSERT_STR_EQ(lode_socket_ready_state(s), "writeOnly");
  ASSERT_EQ(lode_socket_write(s, LODE_SLICE("late"), late_cb, NULL), 1);
}
static const lode_socket_events_t epipe_ev = {
  .on_connect = c_connect,
  .on_end = epipe_end,
  .on_error = c_error,
  .on_close = c_close,
};

TEST(write_after_peer_fin) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  int port = serve(&loop, NULL, &fin_srv_ev, &server);
  dial(&loop, port, &epipe_ev);
  test_run_loop(&loop, 5000);
  ASSERT_STR_EQ(ct.buf,
                "connect,end,late-cb:0:writeOnly,"
                "later-cb:0:closed,write-cb:EPIPE,error:EPIPE:This "
                "socket has been ended by the other party,close(1)");
  test_loop_close(&loop);
}

/* ---- resets ------------------------------------------------------------ */

static void rst_data(lode_socket_t* s, lode_slice_t d) {
  if (lode_socket_destroyed(s))
    return;
  side(&st, "data");
  ASSERT_OK(lode_socket_reset_and_destroy(s));
}
static const lode_socket_events_t rst_sock_ev = { .on_data = rst_data };
static void big_writer_connect(lode_socket_t* s) {
  side(&ct, "connect");
  /* Keep writing until the reset arrives (bounded). */
  static char chunk[65536];
  for (int i = 0; i < 64; i++)
    lode_socket_write(s, (lode_slice_t){ chunk, sizeof(chunk) }, NULL, NULL);
}
static void rst_error(lode_socket_t* s, const lode_error_t* e) {
  side(&ct, "error:%s", e->name);
}
static const lode_socket_events_t rst_ev = {
  .on_connect = big_writer_connect,
  .on_error = rst_error,
  .on_close = c_close,
};

TEST(peer_resets_mid_write) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  lode_server_opts_t so = { .socket_events = &rst_sock_ev };
  int port = serve(&loop, &so, &srv_ev, &server);
  dial(&loop, port, &rst_ev);
  test_run_loop(&loop, 5000);
  /* The RST reaches the client as a failed read or write. */
  if (strcmp(ct.buf, "connect,error:ECONNRESET,close(1)") != 0)
    ASSERT_STR_EQ(ct.buf, "connect,error:EPIPE,close(1)");
  ASSERT_STR_EQ(st.buf, "data");
  test_loop_close(&loop);
}

/* resetAndDestroy() while connecting: 'connect', then the RST; the
 * server reads ECONNRESET. */
static void rc_s_error(lode_socket_t* s, const lode_error_t* e) {
  side(&st, "error:%s", e->name);
}
static void rc_s_close(lode_socket_t* s, int e) {
  side(&st, "close(%d)", e);
  lode_server_close(server, NULL, NULL);
}
static const lode_socket_events_t rc_sock = {
  .on_error = rc_s_error,
  .on_close = rc_s_close,
};

TEST(reset_while_connecting) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  lode_server_opts_t so = { .socket_events = &rc_sock };
  int port = serve(&loop, &so, &srv_ev, &server);
  lode_socket_t* c = dial(&loop, port, &ev);
  ASSERT_OK(lode_socket_reset_and_destroy(c));
  ASSERT_EQ(lode_socket_destroyed(c), 0);
  test_run_loop(&loop, 5000);
  ASSERT_STR_EQ(ct.buf, "connect,close(0)");
  ASSERT_STR_EQ(st.buf, "error:ECONNRESET,close(1)");
  test_loop_close(&loop);
}

TEST(reset_unconnected) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  lode_socket_t* c;
  ASSERT_OK(lode_socket_create(&loop, NULL, &ev, &c));
  ASSERT_OK(lode_socket_reset_and_destroy(c));
  ASSERT_STR_EQ(ct.buf, "");
  test_run_loop(&loop, 5000);
  ASSERT_STR_EQ(ct.buf, "error:ERR_SOCKET_CLOSED:Socket is closed,close(1)");
  test_loop_close(&loop);
}

/* destroy(err) delivers that error, then close(1); destroy() gives
 * close(0) only. */
static void de_connect(lode_socket_t* s) {
  side(&ct, "connect");
  lode_error_t e;
  lode_error_init(&e, LODE_ERR_SOCKET_CONNECTION_TIMEOUT);
  lode_socket_destroy(s, &e);
  lode_socket_destroy(s, NULL); /* twice: nothing more */
}
static const lode_socket_events_t de_ev = {
  .on_connect = de_connect,
  .on_error = c_error,
  .on_close = c_close,
};

TEST(destroy_with_error) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  int port = serve(&loop, NULL, &srv_ev, &server);
  dial(&loop, port, &de_ev);
  test_run_loop(&loop, 5000);
  ASSERT_STR_EQ(ct.buf,
                "connect,error:ERR_SOCKET_CONNECTION_TIMEOUT:Socket "
                "connection timeout,close(1)");
  test_loop_close(&loop);
}

TEST_MAIN(refused, not_found_custom_lookup, not_found_resolver,
          custom_lookup_connects, destroy_during_lookup, bad_arguments,
          write_after_end, write_after_peer_fin, peer_resets_mid_write,
          reset_while_connecting, reset_unconnected, destroy_with_error)
