/* Shared by the interop tests against the npm ws package over real
 * sockets: the loop, tracing callbacks, and a lode server whose one
 * connection becomes a WebSocket (lode_websocket_serve) while the npm ws
 * client peer (test/peers/ws-client.js) talks to it. Included by one test
 * file each. */
#ifndef LODE_TEST_WSNET_H
#define LODE_TEST_WSNET_H

#include "lode/net.h"
#include "test.h"
#include "ws/internal.h"

static uv_loop_t loop;
static lode_server_t* server;
static lode_websocket_opts_t server_opts;
static const lode_websocket_events_t* server_ws_events;
static char peer_out[4096];

static void c_error(lode_websocket_t* ws, const lode_error_t* e) {
  test_trace("error(%s: %s)", e->name, e->message);
}

static void c_close(lode_websocket_t* ws, int clean, int code,
                    lode_slice_t reason) {
  test_trace("close(%d,%d,%.*s)", clean, code, (int) reason.len, reason.base);
}

/* on_close of a server-side WebSocket: traces, then lets the server go. */
static void s_close(lode_websocket_t* ws, int clean, int code,
                    lode_slice_t reason) {
  c_close(ws, clean, code, reason);
  lode_server_close(server, NULL, NULL);
}

static void on_connection(lode_server_t* srv, lode_socket_t* s) {
  lode_websocket_t* ws;
  ASSERT_OK(lode_websocket_serve(lode_socket_stream(s), &server_opts,
                                 server_ws_events, &ws));
}
static const lode_server_events_t srv_events = {
  .on_connection = on_connection,
};

/* Runs the loop to its end, closes it, waits for the peer to exit (0)
 * and keeps its output in peer_out. */
static const char* run_with_peer(test_peer_t* p) {
  test_run_loop(&loop, 60000);
  test_loop_close(&loop);
  char* out = NULL;
  ASSERT_EQ(test_peer_finish(p, 10000, &out), 0);
  snprintf(peer_out, sizeof(peer_out), "%s", out ? out : "");
  free(out);
  return peer_out;
}

/* Serves ws://127.0.0.1:PORT`path` with `ev` (whose on_close should be
 * s_close) and returns the URL (static; `path` may be long). */
static const char* serve_lode(const char* path,
                              const lode_websocket_events_t* ev) {
  static char url[8192];
  ASSERT_OK(uv_loop_init(&loop));
  test_trace_reset();
  server_ws_events = ev;
  ASSERT_OK(lode_net_create_server(&loop, NULL, &srv_events, &server));
  lode_listen_opts_t lo = { .port = 0, .host = "127.0.0.1" };
  ASSERT_OK(lode_server_listen(server, &lo, NULL, NULL));
  lode_net_address_t addr;
  ASSERT_OK(lode_server_address(server, &addr));
  int n = snprintf(url, sizeof(url), "ws://127.0.0.1:%d%s", addr.port, path);
  ASSERT((size_t) n < sizeof(url));
  return url;
}

/* serve_lode, then `node ws-client.js URL client_opts mode` against it
 * until both are done. Returns the peer's output (static). */
static const char* run_ws_client(const char* path, const char* client_opts,
                                 const char* mode,
                                 const lode_websocket_events_t* ev) {
  const char* url = serve_lode(path, ev);
  const char* argv[] = { "node", "test/peers/ws-client.js",
                         url,    client_opts,
                         mode,   NULL };
  return run_with_peer(test_peer_start(argv));
}

#endif
