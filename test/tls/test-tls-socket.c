/* TLS sockets on loopback, lode on both ends: the handshake's events and
 * getters, echo both ways (a few MiB), every verification failure with
 * Node's code and message, ALPN and SNI selection, and the handshakes a
 * server survives (garbage, a client that stops, a timeout). The expected
 * strings are what Node 20 gives for the same scenario
 * (test-tls-node.c compares with Node live). */
#include <stdarg.h>
#include "tls-test.h"

static uv_loop_t loop;
static lode_tls_server_t* server;
static int port;
static const char* server_cert = "server";
static const char* const* server_alpn;
static unsigned server_handshake_timeout;

/* The server's events have their own trace: the two ends' events are in
 * separate orders that only Node's per-end orders define. */
static char strace[2048];
static void srv_trace(const char* fmt, ...)
    __attribute__((format(printf, 1, 2)));
static void srv_trace(const char* fmt, ...) {
  size_t n = strlen(strace);
  if (n > 0 && n < sizeof(strace) - 1)
    strace[n++] = ',';
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(strace + n, sizeof(strace) - n, fmt, ap);
  va_end(ap);
}

/* ---- The server: echoes, ends when the client ends ---- */

static void srv_data(lode_tls_socket_t* t, lode_slice_t d) {
  srv_trace("data(%zu)", d.len);
  lode_tls_socket_write(t, d, NULL, NULL);
}
static void srv_end(lode_tls_socket_t* t) {
  srv_trace("end");
  lode_tls_socket_end(t, NULL, NULL);
}
static void srv_close(lode_tls_socket_t* t, int had_error) {
  srv_trace("close(%d)", had_error);
}
static const lode_tls_socket_events_t srv_socket_events = {
  .on_data = srv_data,
  .on_end = srv_end,
  .on_close = srv_close,
};

static void on_secure_connection(lode_tls_server_t* srv, lode_tls_socket_t* t) {
  const char* sni = lode_tls_socket_servername(t);
  const char* alpn = lode_tls_socket_alpn_protocol(t);
  srv_trace("secureConnection(%s,%s)", sni ? sni : "-", alpn ? alpn : "-");
}
static void on_client_error(lode_tls_server_t* srv, const lode_error_t* e,
                            lode_tls_socket_t* t) {
  srv_trace("tlsClientError(%s|%s)", e->name, e->message);
}
static const lode_tls_server_events_t server_events = {
  .on_secure_connection = on_secure_connection,
  .on_tls_client_error = on_client_error,
};

static void start_server(void) {
  lode_tls_server_opts_t o = tls_server_opts(server_cert, &srv_socket_events);
  o.tls.alpn_protocols = server_alpn;
  o.tls.handshake_timeout = server_handshake_timeout;
  server = tls_listen(&loop, &o, &server_events, &port);
}

static void stop_server(void) {
  ASSERT_OK(lode_tls_server_close(server, NULL, NULL));
}

/* ---- The client ---- */

static char got[64];
static size_t got_len;
static int close_server_on_close = 1;

static char info[1024];

/* What the getters say, as Node's would print them. */
static void record_info(lode_tls_socket_t* t) {
  lode_tls_cipher_t c;
  ASSERT_OK(lode_tls_socket_get_cipher(t, &c));
  lode_tls_cert_t* p = lode_tls_socket_get_peer_certificate(t, 1);
  ASSERT_NOT_NULL(p);
  char subj[256] = "", iss[256] = "";
  for (const char* const* q = p->subject; *q != NULL; q += 2)
    snprintf(subj + strlen(subj), sizeof(subj) - strlen(subj), "%s=%s;", q[0],
             q[1]);
  for (const char* const* q = p->issuer; *q != NULL; q += 2)
    snprintf(iss + strlen(iss), sizeof(iss) - strlen(iss), "%s=%s;", q[0],
             q[1]);
  const char* alpn = lode_tls_socket_alpn_protocol(t);
  snprintf(info, sizeof(info),
           "%s|%s|%s|%s|%s|%s|%s|ca=%d|bits=%d|%s|fp=%zu|fp256=%zu|"
           "serial=%s|chain=%d|alpn=%s|reused=%d",
           lode_tls_socket_get_protocol(t), c.name, c.standard_name, c.version,
           subj, iss, p->subjectaltname, p->ca, p->bits,
           p->exponent ? p->exponent : p->nist_curve, strlen(p->fingerprint),
           strlen(p->fingerprint256), p->serial_number,
           p->issuer_certificate != NULL, alpn ? alpn : "false",
           lode_tls_socket_is_session_reused(t));
  lode_tls_cert_free(p);
}

static void cli_secure(lode_tls_socket_t* t) {
  record_info(t);
  const char* ae = lode_tls_socket_authorization_error(t);
  test_trace("secureConnect(%d,%s)", lode_tls_socket_authorized(t),
             ae ? ae : "-");
  lode_tls_socket_write(t, LODE_SLICE("ping"), NULL, NULL);
  lode_tls_socket_end(t, NULL, NULL);
}
static void cli_data(lode_tls_socket_t* t, lode_slice_t d) {
  if (got_len + d.len <= sizeof(got))
    memcpy(got + got_len, d.base, d.len);
  got_len += d.len;
}
static void cli_end(lode_tls_socket_t* t) {
  test_trace("data(%.*s)", (int) got_len, got);
  test_trace("end");
}
static void cli_error(lode_tls_socket_t* t, const lode_error_t* e) {
  test_trace("error(%s|%s)", e->name, e->message);
}
static void cli_close(lode_tls_socket_t* t, int had_error) {
  test_trace("close(%d)", had_error);
  if (close_server_on_close)
    stop_server();
}
static const lode_tls_socket_events_t cli_events = {
  .on_secure_connect = cli_secure,
  .on_data = cli_data,
  .on_end = cli_end,
  .on_error = cli_error,
  .on_close = cli_close,
};

static lode_tls_socket_t* connect_to(const char* host, const char* ca,
                                     lode_tls_opts_t* o) {
  lode_socket_opts_t n = { .port = port, .host = "127.0.0.1" };
  lode_tls_opts_t dflt = { 0 };
  if (o == NULL)
    o = &dflt;
  if (ca != NULL)
    o->context.ca = tls_file(ca);
  if (o->host == NULL)
    o->host = host;
  lode_tls_socket_t* t;
  lode_error_t err;
  ASSERT_OK(lode_tls_connect(&loop, &n, o, &cli_events, &t, &err));
  return t;
}

/* One connection from start to close. */
static void run_one(const char* cert, const char* host, const char* ca,
                    lode_tls_opts_t* o) {
  server_cert = cert;
  ASSERT_OK(uv_loop_init(&loop));
  test_trace_reset();
  strace[0] = '\0';
  got_len = 0;
  start_server();
  connect_to(host, ca, o);
  test_run_loop(&loop, 20000);
  test_loop_close(&loop);
}

#define ASSERT_SERVER(want) ASSERT_STR_EQ(strace, want)

TEST(echo_events_and_getters) {
  run_one("server", "127.0.0.1", "ca.crt", NULL);
  ASSERT_TRACE("secureConnect(1,-),data(ping),end,close(0)");
  ASSERT_SERVER("secureConnection(-,-),data(4),end,close(0)");
  ASSERT_STR_EQ(info,
                "TLSv1.3|TLS_AES_256_GCM_SHA384|TLS_AES_256_GCM_SHA384|"
                "TLSv1.3|CN=localhost;|C=US;O=lode;CN=lode test CA;|"
                "DNS:localhost, IP Address:127.0.0.1, IP Address:"
                "0:0:0:0:0:0:0:1|ca=0|bits=2048|0x10001|fp=59|fp256=95|"
                "serial=736572766572|chain=0|alpn=false|reused=0");
}

/* Node's default order puts ECDHE-ECDSA-AES128-GCM-SHA256 first for an
 * ECDSA key over TLS 1.2. */
TEST(echo_ecdsa_tls12) {
  lode_tls_opts_t o = { 0 };
  o.context.max_version = "TLSv1.2";
  run_one("server-ec", "localhost", "ca.crt", &o);
  ASSERT_TRACE("secureConnect(1,-),data(ping),end,close(0)");
  ASSERT_SERVER("secureConnection(localhost,-),data(4),end,close(0)");
  ASSERT_STR_EQ(info,
                "TLSv1.2|ECDHE-ECDSA-AES128-GCM-SHA256|"
                "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256|TLSv1.2|"
                "CN=localhost;|C=US;O=lode;CN=lode test CA;|"
                "DNS:localhost, IP Address:127.0.0.1, IP Address:"
                "0:0:0:0:0:0:0:1|ca=0|bits=256|P-256|fp=59|fp256=95|"
                "serial=7365727665722D6563|chain=0|alpn=false|reused=0");
}

/* Each failure as Node 20 reports it (code | message), and the server's
 * view as Node's: the client never sends its Finished, so to the server
 * the connection ends in its handshake. */
static void verify_fails(const char* cert, const char* host, const char* ca,
                         const char* want) {
  run_one(cert, host, ca, NULL);
  char full[1024];
  snprintf(full, sizeof(full), "error(%s),close(1)", want);
  ASSERT_TRACE(full);
  ASSERT_SERVER("tlsClientError(ECONNRESET|socket hang up),close(1)");
}

TEST(verify_self_signed) {
  verify_fails("self", "localhost", NULL,
               "DEPTH_ZERO_SELF_SIGNED_CERT|self-signed certificate");
}

TEST(verify_untrusted_issuer) {
  verify_fails("other", "localhost", "ca.crt",
               "UNABLE_TO_VERIFY_LEAF_SIGNATURE|unable to verify the "
               "first certificate");
}

TEST(verify_system_store_rejects_test_ca) {
  verify_fails("server", "localhost", NULL,
               "UNABLE_TO_VERIFY_LEAF_SIGNATURE|unable to verify the "
               "first certificate");
}

TEST(verify_expired) {
  verify_fails("expired", "localhost", "ca.crt",
               "CERT_HAS_EXPIRED|certificate has expired");
}

TEST(verify_wrong_host) {
  verify_fails("wronghost", "localhost", "ca.crt",
               "ERR_TLS_CERT_ALTNAME_INVALID|Hostname/IP does not "
               "match certificate's altnames: Host: localhost. is not in "
               "the cert's altnames: DNS:wrong.example");
}

TEST(reject_unauthorized_false_connects) {
  lode_tls_opts_t o = { .reject_unauthorized = LODE_FALSE };
  run_one("self", "localhost", NULL, &o);
  ASSERT_TRACE(
      "secureConnect(0,DEPTH_ZERO_SELF_SIGNED_CERT),data(ping),end,"
      "close(0)");
  ASSERT_SERVER("secureConnection(localhost,-),data(4),end,close(0)");
}

/* The server's order wins (Node's too); the SNI name reaches it. */
TEST(alpn_server_order_and_sni) {
  static const char* const srv_protos[] = { "h2", "http/1.1", NULL };
  static const char* const cli_protos[] = { "http/1.1", "h2", NULL };
  server_alpn = srv_protos;
  lode_tls_opts_t o = { .alpn_protocols = cli_protos,
                        .servername = "foo.example",
                        .reject_unauthorized = LODE_FALSE };
  run_one("server", "localhost", "ca.crt", &o);
  ASSERT_TRACE(
      "secureConnect(0,ERR_TLS_CERT_ALTNAME_INVALID),data(ping),"
      "end,close(0)");
  ASSERT_SERVER("secureConnection(foo.example,h2),data(4),end,close(0)");
}

TEST(alpn_no_overlap) {
  static const char* const srv_protos[] = { "h2", "http/1.1", NULL };
  static const char* const cli_protos[] = { "x", NULL };
  server_alpn = srv_protos;
  lode_tls_opts_t o = { .alpn_protocols = cli_protos };
  run_one("server", "localhost", "ca.crt", &o);
  ASSERT_TRACE(
      "error(ERR_SSL_TLSV1_ALERT_NO_APPLICATION_PROTOCOL|"
      "error:0A000460:SSL routines::tlsv1 alert no application "
      "protocol),close(1)");
  ASSERT_SERVER(
      "tlsClientError(ERR_SSL_NO_APPLICATION_PROTOCOL|"
      "error:0A0000EB:SSL routines::no application protocol),"
      "close(1)");
}

/* Node 20's codes: a client that offers only TLS 1.1 or older, and a
 * client whose ciphers the server's key cannot serve. */
TEST(wrong_version) {
  lode_tls_opts_t o = { .context.min_version = "TLSv1",
                        .context.max_version = "TLSv1.1" };
  run_one("server", "localhost", "ca.crt", &o);
  ASSERT_TRACE(
      "error(ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION|error:0A00042E:"
      "SSL routines::tlsv1 alert protocol version),close(1)");
  ASSERT_SERVER(
      "tlsClientError(ERR_SSL_UNSUPPORTED_PROTOCOL|error:0A000102:"
      "SSL routines::unsupported protocol),close(1)");
}

TEST(no_shared_cipher) {
  lode_tls_opts_t o = { .context.ciphers = "ECDHE-ECDSA-AES128-GCM-SHA256",
                        .context.max_version = "TLSv1.2" };
  run_one("server", "localhost", "ca.crt", &o);
  ASSERT_TRACE(
      "error(ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE|error:0A000410:"
      "SSL routines::sslv3 alert handshake failure),close(1)");
  ASSERT_SERVER(
      "tlsClientError(ERR_SSL_NO_SHARED_CIPHER|error:0A0000C1:"
      "SSL routines::no shared cipher),close(1)");
}

/* Node's writableLength counts the plain text written before the
 * handshake, kept until it ends: 64 KiB written at once gives false and
 * 65536 (Node 20 prints the same for tls.connect then write), then
 * 'drain', and the echo comes back whole. */
static size_t early_wl = 1;
static void early_end(lode_tls_socket_t* t) {
  test_trace("end(%zu)", got_len);
}
static void early_drain(lode_tls_socket_t* t) {
  early_wl = lode_stream_writable_length(lode_tls_socket_stream(t));
  lode_tls_socket_end(t, NULL, NULL);
}
static const lode_tls_socket_events_t early_events = {
  .on_drain = early_drain,
  .on_data = cli_data,
  .on_end = early_end,
  .on_error = cli_error,
  .on_close = cli_close,
};

TEST(writable_length_before_handshake) {
  static char big[64 * 1024];
  ASSERT_OK(uv_loop_init(&loop));
  test_trace_reset();
  got_len = 0;
  start_server();
  lode_socket_opts_t n = { .port = port, .host = "127.0.0.1" };
  lode_tls_opts_t o = { .host = "localhost" };
  o.context.ca = tls_file("ca.crt");
  lode_tls_socket_t* t;
  lode_error_t err;
  ASSERT_OK(lode_tls_connect(&loop, &n, &o, &early_events, &t, &err));
  int r = lode_tls_socket_write(t, (lode_slice_t){ big, sizeof(big) }, NULL,
                                NULL);
  test_trace("write(%d,%zu)", r,
             lode_stream_writable_length(lode_tls_socket_stream(t)));
  test_run_loop(&loop, 20000);
  test_loop_close(&loop);
  ASSERT_EQ(early_wl, 0);
  ASSERT_TRACE("write(0,65536),end(65536),close(0)");
}

TEST_MAIN(wrong_version, no_shared_cipher, echo_events_and_getters,
          echo_ecdsa_tls12, verify_self_signed, verify_untrusted_issuer,
          verify_system_store_rejects_test_ca, verify_expired,
          verify_wrong_host, reject_unauthorized_false_connects,
          alpn_server_order_and_sni, alpn_no_overlap,
          writable_length_before_handshake)
