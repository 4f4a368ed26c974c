/* What a TLS server survives and what a client reports, on loopback, each
 * with Node 20's code and message: garbage instead of a ClientHello, a
 * client that stops in its handshake (with and without ending), a server
 * that drops the client mid-handshake, an end with and without
 * close_notify; then bulk data both ways, TLS over the in-memory pair,
 * and SNI choosing a context (server.addContext). The server goes on
 * after each failure, and nothing leaks (LeakSanitizer). */
#include "tls-test.h"

static uv_loop_t loop;
static lode_tls_server_t* server;
static int port;
static unsigned handshake_timeout;

/* ---- A TLS server that echoes ---- */

static void (*on_secure_hook)(lode_tls_socket_t* t);

static void on_secure_connection(lode_tls_server_t* srv, lode_tls_socket_t* t) {
  test_trace("secureConnection");
  if (on_secure_hook != NULL)
    on_secure_hook(t);
}
static void on_client_error(lode_tls_server_t* srv, const lode_error_t* e,
                            lode_tls_socket_t* t) {
  test_trace("tlsClientError(%s|%s)", e->name, e->message);
}
static const lode_tls_server_events_t server_events = {
  .on_secure_connection = on_secure_connection,
  .on_tls_client_error = on_client_error,
};

static void start_server(void) {
  lode_tls_server_opts_t o = { 0 };
  o.tls.context.key = tls_file("server.key");
  o.tls.context.cert = tls_file("server.crt");
  o.tls.handshake_timeout = handshake_timeout;
  o.socket_events = tls_echo_events();
  server = tls_listen(&loop, &o, &server_events, &port);
}

/* ---- A good TLS client, last of each test: proves the server goes on,
 * then closes it ---- */

static size_t echo_size = 4;
static char* echo_buf;
static size_t echo_got;

static void good_secure(lode_tls_socket_t* t) {
  test_trace("secureConnect");
  for (size_t i = 0; i < echo_size; i++)
    echo_buf[i] = (char) (i * 7 + 1);
  lode_tls_socket_write(t, (lode_slice_t){ echo_buf, echo_size }, NULL, NULL);
  lode_tls_socket_end(t, NULL, NULL);
}
static void good_data(lode_tls_socket_t* t, lode_slice_t d) {
  for (size_t i = 0; i < d.len; i++)
    if (d.base[i] != (char) ((echo_got + i) * 7 + 1))
      test_fail(__FILE__, __LINE__, "byte %zu differs", echo_got + i);
  echo_got += d.len;
}
static void good_end(lode_tls_socket_t* t) {
  test_trace("end(%s)", echo_got == echo_size ? "all" : "short");
}
static void good_error(lode_tls_socket_t* t, const lode_error_t* e) {
  test_trace("error(%s|%s)", e->name, e->message);
}
static void good_close(lode_tls_socket_t* t, int had_error) {
  test_trace("close(%d)", had_error);
  ASSERT_OK(lode_tls_server_close(server, NULL, NULL));
}
static const lode_tls_socket_events_t good_events = {
  .on_secure_connect = good_secure,
  .on_data = good_data,
  .on_end = good_end,
  .on_error = good_error,
  .on_close = good_close,
};

static void good_client(void) {
  lode_socket_opts_t n = { .port = port, .host = "127.0.0.1" };
  lode_tls_opts_t o = { .context.ca = tls_file("ca.crt") };
  lode_tls_socket_t* t;
  echo_buf = realloc(echo_buf, echo_size);
  echo_got = 0;
  ASSERT_OK(lode_tls_connect(&loop, &n, &o, &good_events, &t, NULL));
}

/* ---- A raw TCP client that sends what it is given ---- */

static lode_slice_t raw_bytes;
static int raw_end;

static void raw_connect(lode_socket_t* s) {
  lode_socket_write(s, raw_bytes, NULL, NULL);
  if (raw_end)
    lode_socket_end(s, (lode_slice_t){ NULL, 0 }, NULL, NULL);
}
static void raw_close(lode_socket_t* s, int had_error) {
  test_trace("raw-close");
  good_client();
}
static const lode_socket_events_t raw_events = {
  .on_connect = raw_connect,
  .on_close = raw_close,
};

static void raw_client_then_good(lode_slice_t bytes, int end) {
  ASSERT_OK(uv_loop_init(&loop));
  test_trace_reset();
  raw_bytes = bytes;
  raw_end = end;
  start_server();
  lode_socket_opts_t n = { .port = port, .host = "127.0.0.1" };
  lode_socket_t* s;
  ASSERT_OK(lode_net_connect(&loop, &n, &raw_events, &s));
  test_run_loop(&loop, 20000);
  test_loop_close(&loop);
}

static const char hello_start[] = { 0x16, 3, 1, 0, (char) 200, 1, 0, 0 };

TEST(garbage_instead_of_client_hello) {
  raw_client_then_good(LODE_SLICE("GET / HTTP/1.1\r\n\r\n"), 0);
  ASSERT_TRACE(
      "tlsClientError(ERR_SSL_HTTP_REQUEST|error:0A00009C:SSL "
      "routines::http request),raw-close,secureConnect,"
      "secureConnection,end(all),close(0)");
}

TEST(client_ends_mid_handshake) {
  raw_client_then_good((lode_slice_t){ hello_start, sizeof(hello_start) }, 1);
  ASSERT_TRACE(
      "tlsClientError(ECONNRESET|socket hang up),raw-close,"
      "secureConnect,secureConnection,end(all),close(0)");
}

/* A client that sends part of a hello and waits: handshakeTimeout. */
TEST(client_stalls_handshake_timeout) {
  handshake_timeout = 200;
  raw_client_then_good((lode_slice_t){ hello_start, sizeof(hello_start) }, 0);
  ASSERT_TRACE(
      "tlsClientError(ERR_TLS_HANDSHAKE_TIMEOUT|TLS handshake "
      "timeout),raw-close,secureConnect,secureConnection,end(all),"
      "close(0)");
}

/* ---- A server that drops the client in its handshake ---- */

static void drop_data(lode_socket_t* s, lode_slice_t d) {
  lode_socket_destroy(s, NULL);
}
static const lode_socket_events_t drop_socket_events = {
  .on_data = drop_data,
};
static void drop_server_closed(lode_server_t* srv) {
}
static lode_server_t* drop_server;
static void client_closed_then_stop(lode_tls_socket_t* t, int had_error) {
  test_trace("close(%d)", had_error);
  lode_server_close(drop_server, NULL, NULL);
}
static const lode_tls_socket_events_t dropped_events = {
  .on_secure_connect = good_secure,
  .on_error = good_error,
  .on_close = client_closed_then_stop,
};

TEST(server_drops_client_mid_handshake) {
  ASSERT_OK(uv_loop_init(&loop));
  test_trace_reset();
  static const lode_server_events_t ev = { .on_close = drop_server_closed };
  lode_server_opts_t so = { .socket_events = &drop_socket_events };
  ASSERT_OK(lode_net_create_server(&loop, &so, &ev, &drop_server));
  lode_listen_opts_t l = { .port = 0, .host = "127.0.0.1" };
  ASSERT_OK(lode_server_listen(drop_server, &l, NULL, NULL));
  lode_net_address_t a;
  ASSERT_OK(lode_server_address(drop_server, &a));
  lode_socket_opts_t n = { .port = a.port, .host = "127.0.0.1" };
  lode_tls_socket_t* t;
  ASSERT_OK(lode_tls_connect(&loop, &n, NULL, &dropped_events, &t, NULL));
  test_run_loop(&loop, 20000);
  test_loop_close(&loop);
  char want[256];
  snprintf(want, sizeof(want),
           "error(ECONNRESET|Client network socket disconnected before "
           "secure TLS connection was established),close(1)");
  ASSERT_TRACE(want);
}

/* ---- Ends: close_notify, or the TCP end alone ---- */

static void end_plain(lode_tls_socket_t* t) {
  /* The socket under the TLS socket ends without close_notify. */
  lode_socket_end(lode_tls_socket_socket(t), (lode_slice_t){ NULL, 0 }, NULL,
                  NULL);
}
static void end_tls(lode_tls_socket_t* t) {
  lode_tls_socket_end(t, NULL, NULL);
}

static void ends_first(void (*how)(lode_tls_socket_t*)) {
  ASSERT_OK(uv_loop_init(&loop));
  test_trace_reset();
  on_secure_hook = how;
  start_server();
  good_client();
  test_run_loop(&loop, 20000);
  test_loop_close(&loop);
  on_secure_hook = NULL;
}

/* Node reports a peer's end without close_notify as a plain 'end'. */
TEST(server_ends_without_close_notify) {
  ends_first(end_plain);
  ASSERT_TRACE("secureConnect,secureConnection,end(short),close(0)");
}

TEST(server_ends_with_close_notify) {
  ends_first(end_tls);
  ASSERT_TRACE("secureConnect,secureConnection,end(short),close(0)");
}

/* ---- Bulk both ways ---- */

TEST(echo_4_mib) {
  ASSERT_OK(uv_loop_init(&loop));
  test_trace_reset();
  echo_size = 4u << 20;
  start_server();
  good_client();
  test_run_loop(&loop, 60000);
  test_loop_close(&loop);
  ASSERT_TRACE("secureConnect,secureConnection,end(all),close(0)");
  free(echo_buf);
  echo_buf = NULL;
}

/* ---- Over the in-memory pair (any duplex stream) ---- */

static void pair_srv_secure(lode_tls_socket_t* t) {
  test_trace("secure");
}
static const lode_tls_socket_events_t pair_srv_events = {
  .on_secure = pair_srv_secure,
  .on_data = tls_echo_data,
  .on_end = tls_echo_end,
};
static void pair_close(lode_tls_socket_t* t, int had_error) {
  test_trace("close(%d)", had_error);
}
static const lode_tls_socket_events_t pair_cli_events = {
  .on_secure_connect = good_secure,
  .on_data = good_data,
  .on_end = good_end,
  .on_error = good_error,
  .on_close = pair_close,
};

TEST(over_the_memory_pair) {
  ASSERT_OK(uv_loop_init(&loop));
  test_trace_reset();
  echo_size = 100000;
  echo_buf = malloc(echo_size);
  echo_got = 0;
  tls_pair(&loop, "server-ec", NULL, &pair_srv_events, &pair_cli_events);
  test_run_loop(&loop, 20000);
  test_loop_close(&loop);
  ASSERT_TRACE("secureConnect,secure,end(all),close(0)");
  free(echo_buf);
  echo_buf = NULL;
}

/* ---- Backpressure before the handshake, and a pause with decrypted
 * bytes waiting ---- */

static int drains, paused_data, paused_now;
static lode_tls_socket_t* pair_cli;
static uv_timer_t resume_timer;

static void pre_drain(lode_tls_socket_t* t) {
  drains++;
}
static void pre_data(lode_tls_socket_t* t, lode_slice_t d) {
  if (paused_now)
    paused_data++;
  good_data(t, d);
}

/* A write of more than the high-water mark before the handshake says
 * wait (0), and 'drain' follows once it is out, also when the socket
 * under it takes it all at once (20 KB fit in loopback's buffers). */
static void pre_close(lode_tls_socket_t* t, int had_error) {
  test_trace("close(%d)", had_error);
  ASSERT_OK(lode_tls_server_close(server, NULL, NULL));
}
static const lode_tls_socket_events_t pre_tcp_events = {
  .on_data = pre_data,
  .on_end = good_end,
  .on_drain = pre_drain,
  .on_error = good_error,
  .on_close = pre_close,
};

TEST(write_before_handshake_then_drain) {
  ASSERT_OK(uv_loop_init(&loop));
  test_trace_reset();
  echo_size = 20000;
  echo_buf = malloc(echo_size);
  echo_got = 0;
  for (size_t i = 0; i < echo_size; i++)
    echo_buf[i] = (char) (i * 7 + 1);
  start_server();
  lode_socket_opts_t n = { .port = port, .host = "127.0.0.1" };
  lode_tls_opts_t o = { .context.ca = tls_file("ca.crt") };
  lode_tls_socket_t* t;
  ASSERT_OK(lode_tls_connect(&loop, &n, &o, &pre_tcp_events, &t, NULL));
  ASSERT_EQ(lode_tls_socket_write(t, (lode_slice_t){ echo_buf, echo_size },
                                  NULL, NULL),
            0);
  ASSERT_OK(lode_tls_socket_end(t, NULL, NULL));
  test_run_loop(&loop, 20000);
  test_loop_close(&loop);
  ASSERT_TRACE("secureConnection,end(all),close(0)");
  ASSERT_EQ(drains, 1);
  free(echo_buf);
  echo_buf = NULL;
}

/* One write of three records arrives in one chunk; the reader pauses in
 * the first record's data, and the rest (and the end) wait for resume. */
static void resume_now(uv_timer_t* h) {
  paused_now = 0;
  lode_tls_socket_resume(pair_cli);
  uv_close((uv_handle_t*) h, NULL);
}
static void pause_data(lode_tls_socket_t* t, lode_slice_t d) {
  pre_data(t, d);
  if (echo_got == d.len) { /* the first record */
    lode_tls_socket_pause(t);
    paused_now = 1;
    uv_timer_init(&loop, &resume_timer);
    uv_timer_start(&resume_timer, resume_now, 0, 0);
  }
}
static void pause_secure(lode_tls_socket_t* t) {
  lode_tls_socket_write(t, LODE_SLICE("go"), NULL, NULL);
}
static const lode_tls_socket_events_t pause_events = {
  .on_secure_connect = pause_secure,
  .on_data = pause_data,
  .on_end = good_end,
  .on_error = good_error,
  .on_close = pair_close,
};
/* The server answers "go" with echo_size bytes in one write, then ends. */
static void big_answer(lode_tls_socket_t* t, lode_slice_t d) {
  lode_tls_socket_write(t, (lode_slice_t){ echo_buf, echo_size }, NULL, NULL);
  lode_tls_socket_end(t, NULL, NULL);
}
static const lode_tls_socket_events_t big_answer_events = {
  .on_data = big_answer,
};

TEST(pause_with_records_waiting) {
  ASSERT_OK(uv_loop_init(&loop));
  test_trace_reset();
  echo_size = 40000; /* three records */
  echo_buf = malloc(echo_size);
  echo_got = 0;
  for (size_t i = 0; i < echo_size; i++)
    echo_buf[i] = (char) (i * 7 + 1);
  pair_cli =
      tls_pair(&loop, "server", NULL, &big_answer_events, &pause_events).cli;
  test_run_loop(&loop, 20000);
  test_loop_close(&loop);
  ASSERT_TRACE("end(all),close(0)");
  ASSERT_EQ(paused_data, 0);
  free(echo_buf);
  echo_buf = NULL;
}

/* ---- A corrupted record after the handshake: that connection fails
 * on both ends (its server side's on_error), the server goes on ---- */

static void bad_record_secure(lode_tls_socket_t* t) {
  static const char record[] = { 0x17, 3, 3, 0, 5, 'h', 'e', 'l', 'l', 'o' };
  lode_socket_write(lode_tls_socket_socket(t),
                    (lode_slice_t){ record, sizeof(record) }, NULL, NULL);
}
static void srv_error(lode_tls_socket_t* t, const lode_error_t* e) {
  test_trace("server-error(%s)", e->name);
}
static void srv_close_then_good(lode_tls_socket_t* t, int had_error) {
  test_trace("server-close(%d)", had_error);
}
static const lode_tls_socket_events_t checked_srv_events = {
  .on_data = tls_echo_data,
  .on_end = tls_echo_end,
  .on_error = srv_error,
  .on_close = srv_close_then_good,
};
static void bad_close(lode_tls_socket_t* t, int had_error) {
  test_trace("close(%d)", had_error);
  good_client();
}
static const lode_tls_socket_events_t bad_record_events = {
  .on_secure_connect = bad_record_secure,
  .on_error = good_error,
  .on_close = bad_close,
};

TEST(corrupted_record_after_handshake) {
  ASSERT_OK(uv_loop_init(&loop));
  test_trace_reset();
  echo_size = 4;
  echo_buf = malloc(echo_size);
  lode_tls_server_opts_t o = tls_server_opts("server", &checked_srv_events);
  server = tls_listen(&loop, &o, &server_events, &port);
  lode_socket_opts_t n = { .port = port, .host = "127.0.0.1" };
  lode_tls_opts_t co = { .context.ca = tls_file("ca.crt") };
  lode_tls_socket_t* t;
  ASSERT_OK(lode_tls_connect(&loop, &n, &co, &bad_record_events, &t, NULL));
  test_run_loop(&loop, 20000);
  test_loop_close(&loop);
  /* The two ends fail in either order; each end's own order is fixed. */
  const char* trace = test_trace_get();
  ASSERT_NOT_NULL(strstr(trace,
                         "server-error(ERR_SSL_DECRYPTION_FAILED_OR"
                         "_BAD_RECORD_MAC),server-close(1)"));
  ASSERT_NOT_NULL(strstr(trace,
                         "error(ERR_SSL_SSLV3_ALERT_BAD_RECORD_MAC|"
                         "error:0A0003FC:SSL routines::sslv3 alert "
                         "bad record mac),close(1)"));
  ASSERT_NOT_NULL(strstr(trace, "secureConnect,secureConnection,end(all)"));
  free(echo_buf);
  echo_buf = NULL;
}

/* ---- A refused connection: the net error, as Node's tls.connect ---- */

static void refused_error(lode_tls_socket_t* t, const lode_error_t* e) {
  char want[64];
  snprintf(want, sizeof(want), "connect ECONNREFUSED 127.0.0.1:%d", port);
  ASSERT_STR_EQ(e->message, want);
  test_trace("error(%s)", e->name);
}
static void refused_close(lode_tls_socket_t* t, int had_error) {
  test_trace("close(%d)", had_error);
}
static const lode_tls_socket_events_t refused_events = {
  .on_secure_connect = good_secure,
  .on_error = refused_error,
  .on_close = refused_close,
};
static void closed_then_connect(lode_tls_server_t* srv, int status, void* arg) {
  lode_socket_opts_t n = { .port = port, .host = "127.0.0.1" };
  lode_tls_socket_t* t;
  ASSERT_OK(lode_tls_connect(&loop, &n, NULL, &refused_events, &t, NULL));
}

TEST(connection_refused) {
  ASSERT_OK(uv_loop_init(&loop));
  test_trace_reset();
  start_server(); /* for a port nobody listens on once it is closed */
  ASSERT_OK(lode_tls_server_close(server, closed_then_connect, NULL));
  test_run_loop(&loop, 20000);
  test_loop_close(&loop);
  ASSERT_TRACE("error(ECONNREFUSED),close(1)");
}

/* ---- SNI: server.addContext ---- */

static char sni_seen[128];
static void sni_secure(lode_tls_socket_t* t) {
  lode_tls_cert_t* c = lode_tls_socket_get_peer_certificate(t, 0);
  ASSERT_NOT_NULL(c);
  snprintf(sni_seen, sizeof(sni_seen), "%d,%s,%s",
           lode_tls_socket_authorized(t), c->subject[1],
           lode_tls_socket_servername(t));
  lode_tls_cert_free(c);
  good_secure(t);
}
static const lode_tls_socket_events_t sni_events = {
  .on_secure_connect = sni_secure,
  .on_data = good_data,
  .on_end = good_end,
  .on_error = good_error,
  .on_close = good_close,
};

TEST(sni_add_context) {
  ASSERT_OK(uv_loop_init(&loop));
  test_trace_reset();
  echo_size = 4;
  echo_buf = malloc(echo_size);
  echo_got = 0;
  start_server();
  lode_tls_context_opts_t w = { .key = tls_file("wronghost.key"),
                                .cert = tls_file("wronghost.crt") };
  lode_tls_context_t* ctx;
  ASSERT_OK(lode_tls_create_secure_context(&w, &ctx, NULL));
  ASSERT_OK(lode_tls_server_add_context(server, "*.example", ctx));
  lode_tls_context_release(ctx); /* the server holds it */
  lode_socket_opts_t n = { .port = port, .host = "127.0.0.1" };
  lode_tls_opts_t o = { .context.ca = tls_file("ca.crt"),
                        .servername = "wrong.example" };
  lode_tls_socket_t* t;
  ASSERT_OK(lode_tls_connect(&loop, &n, &o, &sni_events, &t, NULL));
  test_run_loop(&loop, 20000);
  test_loop_close(&loop);
  ASSERT_TRACE("secureConnect,secureConnection,end(all),close(0)");
  ASSERT_STR_EQ(sni_seen, "1,wrong.example,wrong.example");
  free(echo_buf);
  echo_buf = NULL;
}

TEST_MAIN(garbage_instead_of_client_hello, client_ends_mid_handshake,
          client_stalls_handshake_timeout, server_drops_client_mid_handshake,
          server_ends_without_close_notify, server_ends_with_close_notify,
          echo_4_mib, over_the_memory_pair, write_before_handshake_then_drain,
          pause_with_records_waiting, corrupted_record_after_handshake,
          connection_refused, sni_add_context)
