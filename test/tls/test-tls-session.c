/* Session resumption (on_session, then the session given back:
 * isSessionReused), key logs, and client certificates (requestCert),
 * lode on both ends over loopback; the orders are Node 20's. */
#include <openssl/ssl.h> /* SSL_OP_NO_TICKET */
#include "tls-test.h"

static uv_loop_t loop;
static lode_tls_server_t* server;
static int port;

static void srv_end(lode_tls_socket_t* t) {
  lode_tls_socket_end(t, NULL, NULL);
}
static const lode_tls_socket_events_t srv_socket_events = {
  .on_end = srv_end,
};
static void on_secure_connection(lode_tls_server_t* srv, lode_tls_socket_t* t) {
  lode_tls_cert_t* c = lode_tls_socket_get_peer_certificate(t, 0);
  const char* ae = lode_tls_socket_authorization_error(t);
  test_trace("secureConnection(%d,%s,%s)", lode_tls_socket_authorized(t),
             ae ? ae : "-", c ? c->subject[1] : "-");
  lode_tls_cert_free(c);
  lode_tls_socket_write(t, LODE_SLICE("x"), NULL, NULL);
}
static void on_client_error(lode_tls_server_t* srv, const lode_error_t* e,
                            lode_tls_socket_t* t) {
  test_trace("tlsClientError(%s)", e->name);
}
static const lode_tls_server_events_t server_events = {
  .on_secure_connection = on_secure_connection,
  .on_tls_client_error = on_client_error,
};

/* An external session cache of one session (Node's newSession and
 * resumeSession). */
static lode_bytes_t* cached_id;
static lode_bytes_t* cached_session;
static void on_new_session(lode_tls_server_t* srv, lode_slice_t id,
                           lode_slice_t data) {
  test_trace("newSession");
  if (cached_id != NULL)
    lode_bytes_release(cached_id);
  if (cached_session != NULL)
    lode_bytes_release(cached_session);
  cached_id = lode_bytes_copy(id);
  cached_session = lode_bytes_copy(data);
}
static lode_bytes_t* on_resume_session(lode_tls_server_t* srv,
                                       lode_slice_t id) {
  lode_slice_t want = cached_id ? lode_bytes_view(cached_id)
                                : (lode_slice_t){ NULL, 0 };
  int match = id.len == want.len && memcmp(id.base, want.base, id.len) == 0;
  test_trace("resumeSession(%s)", match ? "known" : "unknown");
  if (!match)
    return NULL;
  lode_bytes_hold(cached_session); /* lode releases what it is given */
  return cached_session;
}
static const lode_tls_server_events_t cache_events = {
  .on_secure_connection = on_secure_connection,
  .on_tls_client_error = on_client_error,
  .on_new_session = on_new_session,
  .on_resume_session = on_resume_session,
};
static int external_cache;

static void start_server(int request_cert) {
  lode_tls_server_opts_t o = { 0 };
  o.tls.context.key = tls_file("server.key");
  o.tls.context.cert = tls_file("server.crt");
  if (external_cache) {
    o.tls.context.secure_options = SSL_OP_NO_TICKET;
    o.tls.session_id_context = "cache-test";
  }
  if (request_cert) {
    o.tls.request_cert = 1;
    o.tls.context.ca = tls_file("ca.crt");
  }
  o.socket_events = &srv_socket_events;
  server = tls_listen(&loop, &o,
                      external_cache ? &cache_events : &server_events, &port);
}

/* ---- The client ---- */

static lode_bytes_t* session;
static int sessions, keylog_lines, keylog_ok = 1;
static int connections_left;
static const char* max_version;
static void connect_once(void);

static void c_secure(lode_tls_socket_t* t) {
  test_trace("secureConnect(reused=%d)", lode_tls_socket_is_session_reused(t));
}
static void c_data(lode_tls_socket_t* t, lode_slice_t d) {
  lode_tls_socket_end(t, NULL, NULL);
}
static void c_end(lode_tls_socket_t* t) {
  test_trace("end");
}
static void c_error(lode_tls_socket_t* t, const lode_error_t* e) {
  test_trace("error(%s)", e->name);
}
static void c_close(lode_tls_socket_t* t, int had_error) {
  test_trace("close(%d)", had_error);
  if (--connections_left > 0)
    connect_once();
  else
    ASSERT_OK(lode_tls_server_close(server, NULL, NULL));
}
static void c_session(lode_tls_socket_t* t, lode_slice_t s) {
  sessions++;
  if (session != NULL)
    lode_bytes_release(session);
  session = lode_bytes_copy(s);
}
static void c_keylog(lode_tls_socket_t* t, lode_slice_t line) {
  keylog_lines++;
  /* NSS key log lines: LABEL <client random hex> <secret hex>. */
  if (line.len < 64 || memchr(line.base, '\n', line.len) != NULL)
    keylog_ok = 0;
}
static const lode_tls_socket_events_t client_events = {
  .on_secure_connect = c_secure,
  .on_data = c_data,
  .on_end = c_end,
  .on_error = c_error,
  .on_close = c_close,
  .on_session = c_session,
  .on_keylog = c_keylog,
};

static const char* client_cert;

static void connect_once(void) {
  lode_socket_opts_t n = { .port = port, .host = "127.0.0.1" };
  lode_tls_opts_t o = { .context.ca = tls_file("ca.crt"),
                        .context.max_version = max_version };
  if (session != NULL)
    o.session = lode_bytes_view(session);
  if (client_cert != NULL) {
    char key[64], crt[64];
    snprintf(key, sizeof(key), "%s.key", client_cert);
    snprintf(crt, sizeof(crt), "%s.crt", client_cert);
    o.context.key = tls_file(key);
    o.context.cert = tls_file(crt);
  }
  lode_tls_socket_t* t;
  ASSERT_OK(lode_tls_connect(&loop, &n, &o, &client_events, &t, NULL));
}

static void run(int connections, int request_cert) {
  ASSERT_OK(uv_loop_init(&loop));
  test_trace_reset();
  connections_left = connections;
  start_server(request_cert);
  connect_once();
  test_run_loop(&loop, 20000);
  test_loop_close(&loop);
  if (session != NULL)
    lode_bytes_release(session);
  session = NULL;
}

TEST(resume_tls13) {
  run(2, 0);
  ASSERT_TRACE(
      "secureConnect(reused=0),secureConnection(0,-,-),end,"
      "close(0),secureConnect(reused=1),secureConnection(0,-,-),"
      "end,close(0)");
  ASSERT_GE(sessions, 2); /* TLS 1.3 servers send two tickets */
  ASSERT_GT(keylog_lines, 0);
  ASSERT(keylog_ok);
}

TEST(resume_tls12) {
  max_version = "TLSv1.2";
  run(2, 0);
  /* A full TLS 1.2 handshake ends on the server first, an abbreviated
   * one on the client first. */
  ASSERT_TRACE(
      "secureConnection(0,-,-),secureConnect(reused=0),end,"
      "close(0),secureConnect(reused=1),secureConnection(0,-,-),"
      "end,close(0)");
}

TEST(client_certificate_verified) {
  client_cert = "client";
  run(1, 1);
  ASSERT_TRACE(
      "secureConnect(reused=0),secureConnection(1,-,client),end,"
      "close(0)");
}

/* Node 20: the server's handshake fails; its client has finished its
 * own (TLS 1.3) and then reads the alert. Node's client emits 'error',
 * then 'end' and close(false); lode's error closes it with had_error. */
TEST(client_certificate_missing) {
  run(1, 1);
  ASSERT_TRACE(
      "secureConnect(reused=0),"
      "tlsClientError(ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE),"
      "error(ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED),close(1)");
}

/* Node 20: dropped before 'secureConnection', reported as a hang-up. */
TEST(client_certificate_untrusted) {
  client_cert = "self";
  run(1, 1);
  ASSERT_TRACE(
      "secureConnect(reused=0),tlsClientError(ECONNRESET),end,"
      "close(0)");
}

static void close_cb(lode_tls_server_t* srv, int status, void* arg) {
  test_trace("close-cb(%s)", status == 0 ? "0" : lode_err_name(status));
}
static void srv_on_close(lode_tls_server_t* srv) {
  test_trace("on_close");
}

/* close returns int; closing again says the server is not running and
 * calls back with that, as net's and http's close. */
TEST(server_close_twice) {
  static const lode_tls_server_events_t ev = { .on_close = srv_on_close };
  ASSERT_OK(uv_loop_init(&loop));
  test_trace_reset();
  lode_tls_server_opts_t o = { 0 };
  o.tls.context.key = tls_file("server.key");
  o.tls.context.cert = tls_file("server.crt");
  ASSERT_OK(lode_tls_create_server(&loop, &o, &ev, &server, NULL));
  lode_listen_opts_t l = { .port = 0, .host = "127.0.0.1" };
  ASSERT_OK(lode_tls_server_listen(server, &l, NULL, NULL));
  lode_tls_server_hold(server);
  ASSERT_OK(lode_tls_server_close(server, close_cb, NULL));
  test_run_loop(&loop, 20000);
  ASSERT_EQ(lode_tls_server_close(server, close_cb, NULL),
            LODE_ERR_SERVER_NOT_RUNNING);
  test_run_loop(&loop, 20000);
  lode_tls_server_release(server);
  test_loop_close(&loop);
  ASSERT_TRACE(
      "on_close,close-cb(0),on_close,"
      "close-cb(ERR_SERVER_NOT_RUNNING)");
}

/* Without tickets, sessions resume by id through the server's own cache:
 * TLS 1.2 (session ids) and TLS 1.3 (stateful tickets). */
static void external(const char* version) {
  external_cache = 1;
  max_version = version;
  run(2, 0);
  external_cache = 0;
  max_version = NULL;
  lode_bytes_release(cached_id);
  lode_bytes_release(cached_session);
  cached_id = cached_session = NULL;
}

TEST(external_session_cache_tls12) {
  external("TLSv1.2");
  ASSERT_TRACE(
      "newSession,secureConnection(0,-,-),secureConnect(reused=0),"
      "end,close(0),resumeSession(known),secureConnect(reused=1),"
      "secureConnection(0,-,-),end,close(0)");
}

/* A TLS 1.3 server sends two tickets after a full handshake and one
 * after a resumption: one newSession each. */
TEST(external_session_cache_tls13) {
  external(NULL);
  ASSERT_TRACE(
      "secureConnect(reused=0),newSession,newSession,"
      "secureConnection(0,-,-),end,close(0),resumeSession(known),"
      "secureConnect(reused=1),newSession,secureConnection(0,-,-),"
      "end,close(0)");
}

TEST_MAIN(external_session_cache_tls12, external_session_cache_tls13,
          server_close_twice, resume_tls13, resume_tls12,
          client_certificate_verified, client_certificate_missing,
          client_certificate_untrusted)
