/* Any callback may destroy any object: a TLS socket or server destroyed
 * (or a server closed) from inside each of its callbacks, on loopback.
 * Each case must end with close coming once and nothing left behind
 * (LeakSanitizer, and the loop closing with no handle open). */
#include "tls-test.h"

static uv_loop_t loop;
static lode_tls_server_t* server;
static int port;
static const char* where; /* the callback that destroys */
static int closes;

static int here(const char* name) {
  return strcmp(where, name) == 0;
}

/* Closed once, by whichever end closes first (the pointer is not valid
 * after the server's close has run). */
static int server_closed;
static void close_server(void) {
  if (server_closed++ == 0)
    lode_tls_server_close(server, NULL, NULL);
}

static void kill_it(lode_tls_socket_t* t, const char* name) {
  if (!here(name))
    return;
  lode_error_t e;
  lode_error_init(&e, UV_ECANCELED);
  lode_tls_socket_destroy(t, &e);
  lode_tls_socket_destroy(t, NULL); /* twice: nothing more */
}

/* ---- The server side ---- */

static void s_data(lode_tls_socket_t* t, lode_slice_t d) {
  kill_it(t, "s_data");
  lode_tls_socket_write(t, d, NULL, NULL);
}
static void s_end(lode_tls_socket_t* t) {
  kill_it(t, "s_end");
  lode_tls_socket_end(t, NULL, NULL);
}
static void s_close(lode_tls_socket_t* t, int had_error) {
  closes++;
  close_server();
}
static const lode_tls_socket_events_t s_events = {
  .on_data = s_data,
  .on_end = s_end,
  .on_close = s_close,
};
static void s_secure(lode_tls_server_t* srv, lode_tls_socket_t* t) {
  kill_it(t, "secureConnection");
  if (here("close_in_secureConnection"))
    close_server();
}
static void s_client_error(lode_tls_server_t* srv, const lode_error_t* e,
                           lode_tls_socket_t* t) {
  kill_it(t, "tlsClientError");
}
static void s_connection(lode_tls_server_t* srv, lode_socket_t* s) {
  if (here("connection"))
    lode_socket_destroy(s, NULL);
}
static const lode_tls_server_events_t server_events = {
  .on_secure_connection = s_secure,
  .on_tls_client_error = s_client_error,
  .on_connection = s_connection,
};

/* ---- The client side ---- */

static void c_secure(lode_tls_socket_t* t) {
  kill_it(t, "secureConnect");
  lode_tls_socket_write(t, LODE_SLICE("ping"), NULL, NULL);
}
static void c_data(lode_tls_socket_t* t, lode_slice_t d) {
  kill_it(t, "c_data");
  lode_tls_socket_end(t, NULL, NULL);
}
static void c_end(lode_tls_socket_t* t) {
  kill_it(t, "c_end");
}
static void c_error(lode_tls_socket_t* t, const lode_error_t* e) {
  kill_it(t, "c_error");
}
static void c_session(lode_tls_socket_t* t, lode_slice_t s) {
  kill_it(t, "session");
}
static void c_keylog(lode_tls_socket_t* t, lode_slice_t l) {
  kill_it(t, "keylog");
}
static void c_close(lode_tls_socket_t* t, int had_error) {
  closes++;
  kill_it(t, "c_close");
  close_server();
}
static const lode_tls_socket_events_t c_events = {
  .on_secure_connect = c_secure,
  .on_data = c_data,
  .on_end = c_end,
  .on_error = c_error,
  .on_close = c_close,
  .on_session = c_session,
  .on_keylog = c_keylog,
};

static void run(const char* w, const char* ca) {
  where = w;
  closes = 0;
  server_closed = 0;
  ASSERT_OK(uv_loop_init(&loop));
  lode_tls_server_opts_t o = tls_server_opts("server", &s_events);
  server = tls_listen(&loop, &o, &server_events, &port);
  lode_socket_opts_t n = { .port = port, .host = "127.0.0.1" };
  lode_tls_opts_t co = { .host = "localhost" };
  if (ca != NULL)
    co.context.ca = tls_file(ca);
  lode_tls_socket_t* t;
  ASSERT_OK(lode_tls_connect(&loop, &n, &co, &c_events, &t, NULL));
  if (here("at_once"))
    lode_tls_socket_destroy(t, NULL);
  test_run_loop(&loop, 20000);
  test_loop_close(&loop);
  ASSERT_GE(closes, 1);
}

TEST(destroy_at_once) {
  run("at_once", "ca.crt");
}
TEST(destroy_in_secure_connect) {
  run("secureConnect", "ca.crt");
}
TEST(destroy_in_client_data) {
  run("c_data", "ca.crt");
}
TEST(destroy_in_client_end) {
  run("c_end", "ca.crt");
}
TEST(destroy_in_client_error) {
  run("c_error", NULL);
}
TEST(destroy_in_client_close) {
  run("c_close", "ca.crt");
}
TEST(destroy_in_session) {
  run("session", "ca.crt");
}
TEST(destroy_in_keylog) {
  run("keylog", "ca.crt");
}
TEST(destroy_in_secure_connection) {
  run("secureConnection", "ca.crt");
}
TEST(destroy_in_server_data) {
  run("s_data", "ca.crt");
}
TEST(destroy_in_server_end) {
  run("s_end", "ca.crt");
}
TEST(destroy_in_tls_client_error) {
  run("tlsClientError", NULL);
}
TEST(destroy_net_socket_in_connection) {
  run("connection", "ca.crt");
}
TEST(close_server_in_secure_connection) {
  run("close_in_secureConnection", "ca.crt");
}

TEST_MAIN(destroy_at_once, destroy_in_secure_connect, destroy_in_client_data,
          destroy_in_client_end, destroy_in_client_error,
          destroy_in_client_close, destroy_in_session, destroy_in_keylog,
          destroy_in_secure_connection, destroy_in_server_data,
          destroy_in_server_end, destroy_in_tls_client_error,
          destroy_net_socket_in_connection, close_server_in_secure_connection)
