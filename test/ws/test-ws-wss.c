/* wss: the WebSocket client over TLS, against an npm ws server on Node's
 * https: with the test CA the handshake, an echo and a clean close; a
 * self-signed server fails with the TLS error (Node's code) and close
 * 1006, and the server hears a TLS client error. */
#include <stdio.h>
#include <string.h>

#include "lode.h"
#include "test.h"
#include "../tls/tls-test.h"

static uv_loop_t loop;

static void w_open(lode_websocket_t* ws) {
  test_trace("open(%s)", lode_websocket_url(ws));
  ASSERT_OK(lode_websocket_send_text(ws, LODE_SLICE("hello over tls")));
}

static void w_message(lode_websocket_t* ws, lode_slice_t d, int bin) {
  test_trace("message(%.*s,%d)", (int) d.len, d.base, bin);
  ASSERT_OK(
      lode_websocket_close(ws, LODE_WEBSOCKET_CLOSE_NORMAL, LODE_SLICE("bye")));
}

static void w_error(lode_websocket_t* ws, const lode_error_t* e) {
  (void) ws;
  test_trace("error(%s)", e->name);
}

static void w_close(lode_websocket_t* ws, int clean, int code,
                    lode_slice_t reason) {
  (void) ws;
  test_trace("close(%d,%d,%.*s)", clean, code, (int) reason.len, reason.base);
}

static const lode_websocket_events_t events = {
  .on_open = w_open,
  .on_message = w_message,
  .on_error = w_error,
  .on_close = w_close,
};

static const char* run(const char* cert, const lode_tls_opts_t* tls,
                       char* peer_out) {
  const char* argv[] = { "node", "test/peers/ws-wss-server.js", tls_certs_dir(),
                         cert, NULL };
  test_peer_t* p = test_peer_start(argv);
  int port = test_peer_port(p);
  char url[64];
  snprintf(url, sizeof(url), "wss://localhost:%d/chat?x=1", port);
  test_trace_reset();
  ASSERT_OK(uv_loop_init(&loop));
  lode_websocket_opts_t o = { .tls = tls };
  lode_websocket_t* ws;
  ASSERT_OK(lode_websocket_create(&loop, url, NULL, 0, &o, &events, &ws));
  test_run_loop(&loop, 20000);
  test_loop_close(&loop);
  char* out = NULL;
  ASSERT_EQ(test_peer_finish(p, 10000, &out), 0);
  snprintf(peer_out, 256, "%s", out ? out : "");
  free(out);
  return test_trace_get();
}

TEST(echo_over_tls) {
  char peer[256];
  lode_tls_opts_t tls = { .context = { .ca = tls_file("ca.crt") } };
  const char* trace = run("server", &tls, peer);
  ASSERT(strncmp(trace, "open(wss://localhost:", 21) == 0);
  ASSERT(strstr(trace,
                "/chat?x=1),message(hello over tls,0),"
                "close(1,1000,bye)") != NULL);
  ASSERT_STR_EQ(peer, "connection /chat?x=1\nclose 1000 bye\n");
}

TEST(self_signed_refused) {
  char peer[256];
  const char* trace = run("self", NULL, peer);
  ASSERT_STR_EQ(trace, "error(DEPTH_ZERO_SELF_SIGNED_CERT),close(0,1006,)");
  ASSERT_STR_EQ(peer, "tlsClientError\n");
}

TEST(default_port_and_https_scheme) {
  lode_stream_t *a, *b;
  lode_websocket_t* ws;
  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(lode_stream_pair(&loop, &a, &b));
  lode_websocket_opts_t o = { .stream = a };
  ASSERT_OK(lode_websocket_create(&loop, "HTTPS://H.example:443/p", NULL, 0, &o,
                                  NULL, &ws));
  ASSERT_STR_EQ(lode_websocket_url(ws), "wss://h.example/p");
  lode_websocket_terminate(ws);
  lode_stream_destroy(b, NULL);
  test_run_loop(&loop, 5000);
  test_loop_close(&loop);
}

/* lode on both ends: an https server's 'upgrade' handed to
 * lode_websocket_handle_upgrade, and the wss: client. */
static lode_https_server_t* hsrv;

static void s_message(lode_websocket_t* ws, lode_slice_t d, int bin) {
  test_trace("server-message(%.*s)", (int) d.len, d.base);
  ASSERT_OK(bin ? lode_websocket_send_binary(ws, d)
                : lode_websocket_send_text(ws, d));
}

static void s_close(lode_websocket_t* ws, int clean, int code,
                    lode_slice_t reason) {
  (void) ws;
  (void) reason;
  test_trace("server-close(%d,%d)", clean, code);
  lode_https_server_close(hsrv, NULL, NULL);
}

static const lode_websocket_events_t server_events = {
  .on_message = s_message,
  .on_close = s_close,
};

static void on_upgrade(lode_http_server_t* s, lode_http_incoming_t* req,
                       lode_stream_t* socket, lode_slice_t head) {
  (void) s;
  lode_websocket_t* ws;
  ASSERT_NOT_NULL(lode_tls_socket_from_stream(socket));
  ASSERT_OK(lode_websocket_handle_upgrade(req, socket, head, NULL,
                                          &server_events, &ws));
}

static void on_https_listening(lode_http_server_t* s) {
  (void) s;
  lode_net_address_t a;
  ASSERT_OK(lode_https_server_address(hsrv, &a));
  char url[64];
  snprintf(url, sizeof(url), "wss://localhost:%d/up", a.port);
  static lode_tls_opts_t tls;
  tls = (lode_tls_opts_t){ .context = { .ca = tls_file("ca.crt") } };
  lode_websocket_opts_t o = { .tls = &tls };
  lode_websocket_t* ws;
  ASSERT_OK(lode_websocket_create(&loop, url, NULL, 0, &o, &events, &ws));
}

TEST(lode_https_server_upgrade) {
  static lode_https_server_events_t ev = {
    .http = { .on_upgrade = on_upgrade, .on_listening = on_https_listening },
  };
  lode_https_server_opts_t o = { 0 };
  o.tls.tls.context.key = tls_file("server.key");
  o.tls.tls.context.cert = tls_file("server.crt");
  test_trace_reset();
  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(lode_https_create_server(&loop, &o, &ev, &hsrv, NULL));
  ASSERT_OK(lode_https_server_listen(
      hsrv, &(lode_listen_opts_t){ .host = "127.0.0.1" }, NULL, NULL));
  test_run_loop(&loop, 20000);
  test_loop_close(&loop);
  const char* t = test_trace_get();
  ASSERT(strstr(t,
                "/up),server-message(hello over tls),"
                "message(hello over tls,0),") != NULL);
  ASSERT(strstr(t, "close(1,1000,bye)") != NULL);
  ASSERT(strstr(t, "server-close(1,1000)") != NULL);
}

TEST_MAIN(echo_over_tls, self_signed_refused, default_port_and_https_scheme,
          lode_https_server_upgrade)
