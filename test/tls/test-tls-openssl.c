/* OpenSSL's own peers: lode's client against `openssl s_server`, and
 * `openssl s_client` against lode's server, on loopback. */
#include "tls-test.h"

static uv_loop_t loop;
static char got[256];
static size_t got_len;

static void keep(lode_slice_t d) {
  size_t n = d.len < sizeof(got) - 1 - got_len ? d.len
                                               : sizeof(got) - 1 - got_len;
  memcpy(got + got_len, d.base, n);
  got_len += n;
  got[got_len] = '\0';
}

/* ---- lode's client, s_server's -rev mode (each line sent back
 * reversed) ---- */

static void c_secure(lode_tls_socket_t* t) {
  lode_tls_cipher_t c;
  ASSERT_OK(lode_tls_socket_get_cipher(t, &c));
  test_trace("secureConnect(%d,%s,%s)", lode_tls_socket_authorized(t),
             lode_tls_socket_get_protocol(t), c.name);
  lode_tls_socket_write(t, LODE_SLICE("hello\n"), NULL, NULL);
}
static void c_data(lode_tls_socket_t* t, lode_slice_t d) {
  keep(d);
  if (strchr(got, '\n') != NULL)
    lode_tls_socket_end(t, NULL, NULL);
}
static void c_error(lode_tls_socket_t* t, const lode_error_t* e) {
  test_trace("error(%s)", e->name);
}
static void c_close(lode_tls_socket_t* t, int had_error) {
  test_trace("close(%d)", had_error);
}
static const lode_tls_socket_events_t client_events = {
  .on_secure_connect = c_secure,
  .on_data = c_data,
  .on_error = c_error,
  .on_close = c_close,
};

TEST(lode_client_openssl_server) {
  char cmd[2048]; /* its notes on stderr are not the test's */
  snprintf(cmd, sizeof(cmd),
           "exec openssl s_server -accept 0 -cert %s -key %s -naccept 1 "
           "-rev 2>/dev/null",
           tls_path("server-ec.crt"), tls_path("server-ec.key"));
  const char* argv[] = { "bash", "-c", cmd, NULL };
  test_peer_t* p = test_peer_start(argv);
  char line[256];
  int port = 0;
  do { /* "ACCEPT [::]:PORT" after its other notes */
    test_peer_line(p, line, sizeof(line), 20000);
    const char* colon = strrchr(line, ':');
    if (strncmp(line, "ACCEPT", 6) == 0 && colon != NULL)
      port = atoi(colon + 1);
  } while (port == 0);
  ASSERT_OK(uv_loop_init(&loop));
  test_trace_reset();
  lode_socket_opts_t n = { .port = port, .host = "127.0.0.1" };
  lode_tls_opts_t o = { .context.ca = tls_file("ca.crt"), .host = "localhost" };
  lode_tls_socket_t* t;
  ASSERT_OK(lode_tls_connect(&loop, &n, &o, &client_events, &t, NULL));
  test_run_loop(&loop, 20000);
  test_loop_close(&loop);
  test_peer_finish(p, 20000, NULL);
  ASSERT_TRACE("secureConnect(1,TLSv1.3,TLS_AES_256_GCM_SHA384),close(0)");
  ASSERT_STR_EQ(got, "olleh\n");
}

/* ---- s_client, lode's server: answers in capitals, then ends ---- */

static lode_tls_server_t* server;
static void s_data(lode_tls_socket_t* t, lode_slice_t d) {
  char up[64];
  size_t n = d.len < sizeof(up) ? d.len : sizeof(up);
  for (size_t i = 0; i < n; i++)
    up[i] = (char) (d.base[i] >= 'a' && d.base[i] <= 'z' ? d.base[i] - 32
                                                         : d.base[i]);
  lode_tls_socket_write(t, (lode_slice_t){ up, n }, NULL, NULL);
  lode_tls_socket_end(t, NULL, NULL);
}
static void s_close(lode_tls_socket_t* t, int had_error) {
  test_trace("server-close(%d)", had_error);
  lode_tls_server_close(server, NULL, NULL);
}
static const lode_tls_socket_events_t server_socket_events = {
  .on_data = s_data,
  .on_close = s_close,
};
static void s_secure(lode_tls_server_t* srv, lode_tls_socket_t* t) {
  const char* alpn = lode_tls_socket_alpn_protocol(t);
  test_trace("secureConnection(%s,%s)", lode_tls_socket_servername(t),
             alpn ? alpn : "-");
}
static const lode_tls_server_events_t server_events = {
  .on_secure_connection = s_secure,
};

TEST(openssl_client_lode_server) {
  static const char* const protos[] = { "h2", "http/1.1", NULL };
  ASSERT_OK(uv_loop_init(&loop));
  test_trace_reset();
  lode_tls_server_opts_t o = tls_server_opts("server", &server_socket_events);
  o.tls.alpn_protocols = protos;
  int port;
  server = tls_listen(&loop, &o, &server_events, &port);
  char cmd[2048];
  snprintf(cmd, sizeof(cmd),
           "printf hello | openssl s_client -connect 127.0.0.1:%d "
           "-CAfile %s -servername localhost -verify_return_error "
           "-alpn http/1.1 -brief -ign_eof 2>&1",
           port, tls_path("ca.crt"));
  const char* argv[] = { "bash", "-c", cmd, NULL };
  test_peer_t* p = test_peer_start(argv);
  test_run_loop(&loop, 20000);
  test_loop_close(&loop);
  char* out = NULL;
  ASSERT_EQ(test_peer_finish(p, 20000, &out), 0);
  ASSERT_TRACE("secureConnection(localhost,http/1.1),server-close(0)");
  ASSERT_NOT_NULL(strstr(out, "Verification: OK"));
  ASSERT_NOT_NULL(strstr(out, "Protocol version: TLSv1.3"));
  ASSERT_NOT_NULL(strstr(out, "HELLO"));
  free(out);
}

TEST_MAIN(lode_client_openssl_server, openssl_client_lode_server)
