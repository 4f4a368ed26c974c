/* Renegotiation (TLS 1.2): a client renegotiates and data flows after
 * each one; a server allows Node's CLIENT_RENEG_LIMIT (3) and destroys
 * the connection on the next with ERR_TLS_SESSION_ATTACK, as Node 20
 * does; TLS 1.3 has none. lode on both ends, over loopback. */
#include "tls-test.h"

static uv_loop_t loop;
static lode_tls_server_t* server;
static int port;
static int rounds, wanted;

/* ---- The server: echoes; its socket's events are traced ---- */

static void s_data(lode_tls_socket_t* t, lode_slice_t d) {
  lode_tls_socket_write(t, d, NULL, NULL);
}
static void s_end(lode_tls_socket_t* t) {
  lode_tls_socket_end(t, NULL, NULL);
}
static void s_error(lode_tls_socket_t* t, const lode_error_t* e) {
  test_trace("server-error(%s|%s)", e->name, e->message);
}
static const lode_tls_socket_events_t s_events = {
  .on_data = s_data,
  .on_end = s_end,
  .on_error = s_error,
};
static const lode_tls_server_events_t server_events = { 0 };

/* ---- The client: renegotiate, write, read the echo; again ---- */

static void renegotiated(lode_tls_socket_t* t, int status, void* arg) {
  test_trace("renegotiated(%s)", status == 0 ? "0" : lode_err_name(status));
  if (status == 0)
    lode_tls_socket_write(t, LODE_SLICE("x"), NULL, NULL);
}
static void next_round(lode_tls_socket_t* t) {
  if (rounds++ == wanted) {
    lode_tls_socket_end(t, NULL, NULL);
    return;
  }
  ASSERT_OK(lode_tls_socket_renegotiate(t, renegotiated, NULL));
  ASSERT_EQ(lode_tls_socket_renegotiate(t, renegotiated, NULL), UV_EBUSY);
}
static void c_secure(lode_tls_socket_t* t) {
  next_round(t);
}
static void c_data(lode_tls_socket_t* t, lode_slice_t d) {
  test_trace("echo");
  next_round(t);
}
static void c_end(lode_tls_socket_t* t) {
  test_trace("end");
}
static void c_close(lode_tls_socket_t* t, int had_error) {
  test_trace("close(%d)", had_error);
  lode_tls_server_close(server, NULL, NULL);
}
static const lode_tls_socket_events_t c_events = {
  .on_secure_connect = c_secure,
  .on_data = c_data,
  .on_end = c_end,
  .on_close = c_close,
};

static void run(int n) {
  ASSERT_OK(uv_loop_init(&loop));
  test_trace_reset();
  rounds = 0;
  wanted = n;
  lode_tls_server_opts_t o = tls_server_opts("server", &s_events);
  server = tls_listen(&loop, &o, &server_events, &port);
  lode_socket_opts_t net = { .port = port, .host = "127.0.0.1" };
  lode_tls_opts_t co = { .context.ca = tls_file("ca.crt"),
                         .context.max_version = "TLSv1.2" };
  lode_tls_socket_t* t;
  ASSERT_OK(lode_tls_connect(&loop, &net, &co, &c_events, &t, NULL));
  test_run_loop(&loop, 20000);
  test_loop_close(&loop);
}

TEST(three_renegotiations) {
  run(3);
  ASSERT_TRACE(
      "renegotiated(0),echo,renegotiated(0),echo,renegotiated(0),"
      "echo,end,close(0)");
}

/* The fourth: the server's socket fails (Node: 'error' with
 * ERR_TLS_SESSION_ATTACK, then it closes); the client sees the end. */
TEST(fourth_is_an_attack) {
  run(4);
  ASSERT_TRACE(
      "renegotiated(0),echo,renegotiated(0),echo,renegotiated(0),"
      "echo,server-error(ERR_TLS_SESSION_ATTACK|TLS session "
      "renegotiation attack detected),end,"
      "renegotiated(ERR_STREAM_DESTROYED),close(0)");
}

/* ---- TLS 1.3 ---- */

static void tls13_secure(lode_tls_socket_t* t) {
  int rc = lode_tls_socket_renegotiate(t, renegotiated, NULL);
  test_trace("renegotiate(%s)", lode_err_name(rc));
  lode_tls_socket_end(t, NULL, NULL);
}
static const lode_tls_socket_events_t tls13_events = {
  .on_secure_connect = tls13_secure,
  .on_end = c_end,
  .on_close = c_close,
};

TEST(none_in_tls13) {
  ASSERT_OK(uv_loop_init(&loop));
  test_trace_reset();
  lode_tls_server_opts_t o = tls_server_opts("server", &s_events);
  server = tls_listen(&loop, &o, &server_events, &port);
  lode_socket_opts_t net = { .port = port, .host = "127.0.0.1" };
  lode_tls_opts_t co = { .context.ca = tls_file("ca.crt") };
  lode_tls_socket_t* t;
  ASSERT_OK(lode_tls_connect(&loop, &net, &co, &tls13_events, &t, NULL));
  test_run_loop(&loop, 20000);
  test_loop_close(&loop);
  ASSERT_TRACE("renegotiate(ERR_SSL),end,close(0)");
}

/* ---- A peer that ends in the middle of one ---- */

/* The client starts a renegotiation and ends the stream under it at once
 * (found by fuzz-tls-record). The server has answered the new hello when
 * the end comes: that renegotiation can never finish, so the server's
 * socket ends and closes, as Node's ('end', then 'close'), instead of
 * keeping its end queued behind it with the connection open for good.
 * The client goes on with its renegotiation into the stream it ended
 * (ERR_STREAM_WRITE_AFTER_END, as Node's). Over the in-memory pair. */
static const char* side(lode_tls_socket_t* t) {
  return lode_tls_socket_get_data(t);
}
static void mid_end(lode_tls_socket_t* t) {
  test_trace("%s-end", side(t));
}
static void mid_close(lode_tls_socket_t* t, int had_error) {
  test_trace("%s-close(%d)", side(t), had_error);
}
static void mid_error(lode_tls_socket_t* t, const lode_error_t* e) {
  test_trace("%s-error(%s)", side(t), e->name);
}
static void mid_secure(lode_tls_socket_t* t) {
  ASSERT_OK(lode_tls_socket_renegotiate(t, renegotiated, NULL));
  ASSERT_OK(lode_stream_end(lode_tls_socket_under(t), NULL, NULL));
}
/* A client that ends without reading the server's hello request (it
 * reads again once the server has had the end). */
static lode_tls_socket_t* mid_cli;
static void mid_end_under(lode_tls_socket_t* t) {
  mid_cli = t;
  lode_tls_socket_pause(t);
  ASSERT_OK(lode_stream_end(lode_tls_socket_under(t), NULL, NULL));
}
static void mid_srv_end(lode_tls_socket_t* t) {
  test_trace("server-end");
  lode_tls_socket_resume(mid_cli);
}
/* The server renegotiates and ends at once: its end waits for it. */
static void mid_srv_secure(lode_tls_socket_t* t) {
  ASSERT_OK(lode_tls_socket_renegotiate(t, renegotiated, NULL));
  ASSERT_OK(lode_tls_socket_end(t, NULL, NULL));
}
static const lode_tls_socket_events_t mid_events = {
  .on_secure_connect = mid_secure,
  .on_end = mid_end,
  .on_error = mid_error,
  .on_close = mid_close,
};
/* Whether the server's close_notify still finds the client there is up
 * to how writes are queued: an EPIPE, and so had_error, is not checked. */
static void mid_srv_error(lode_tls_socket_t* t, const lode_error_t* e) {
  if (e->code != UV_EPIPE)
    mid_error(t, e);
}
static void mid_srv_close(lode_tls_socket_t* t, int had_error) {
  test_trace("server-close");
}
static const lode_tls_socket_events_t mid_srv_events = {
  .on_secure = mid_srv_secure,
  .on_end = mid_srv_end,
  .on_error = mid_srv_error,
  .on_close = mid_srv_close,
};
static const lode_tls_socket_events_t mid_cli_events = {
  .on_secure_connect = mid_end_under,
  .on_end = mid_end,
  .on_error = mid_error,
  .on_close = mid_close,
};

static void run_mid(const lode_tls_socket_events_t* srv_ev,
                    const lode_tls_socket_events_t* cli_ev) {
  ASSERT_OK(uv_loop_init(&loop));
  test_trace_reset();
  lode_tls_opts_t co = { .context.max_version = "TLSv1.2" };
  tls_pair_t p = tls_pair(&loop, "server", &co, srv_ev, cli_ev);
  lode_tls_socket_set_data(p.srv, (void*) "server");
  lode_tls_socket_set_data(p.cli, (void*) "client");
  test_run_loop(&loop, 20000);
  test_loop_close(&loop);
}

TEST(peer_ends_mid_renegotiation) {
  run_mid(&mid_events, &mid_events);
  ASSERT_TRACE(
      "server-end,client-error(ERR_STREAM_WRITE_AFTER_END),"
      "renegotiated(ERR_STREAM_DESTROYED),client-close(1),server-close(0)");
}

/* The same with the server's own renegotiation and its end queued
 * behind it: the end goes when the client's end comes. (The client then
 * reads the hello request and answers into the stream it ended.) */
TEST(peer_ends_mid_own_renegotiation) {
  run_mid(&mid_srv_events, &mid_cli_events);
  ASSERT_TRACE(
      "server-end,client-error(ERR_STREAM_WRITE_AFTER_END),client-close(1),"
      "renegotiated(ERR_STREAM_DESTROYED),server-close");
}

TEST_MAIN(three_renegotiations, fourth_is_an_attack, none_in_tls13,
          peer_ends_mid_renegotiation, peer_ends_mid_own_renegotiation)
