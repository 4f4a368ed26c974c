/* The server side behind lode's HTTP server: 'upgrade' hands the request,
 * socket and head to lode_websocket_handle_upgrade, and an npm ws client
 * talks to it; a request that is no WebSocket is refused by ws's rules. */
#include "lode/http.h"
#include "test.h"
#include "ws/internal.h"

static uv_loop_t loop;
static lode_http_server_t* server;

static void ws_message(lode_websocket_t* ws, lode_slice_t d, int bin) {
  if (bin)
    lode_websocket_send_binary(ws, d);
  else
    lode_websocket_send_text(ws, d);
}
static void ws_open(lode_websocket_t* ws) {
  test_trace("open(%s,%s)", lode_websocket_url(ws),
             lode_websocket_protocol(ws));
}
static void ws_close(lode_websocket_t* ws, int clean, int code,
                     lode_slice_t reason) {
  test_trace("close(%d,%d,%.*s)", clean, code, (int) reason.len, reason.base);
  lode_http_server_close(server, NULL, NULL);
}
static const lode_websocket_events_t ws_events = {
  .on_open = ws_open,
  .on_message = ws_message,
  .on_close = ws_close,
};

static void on_upgrade(lode_http_server_t* srv, lode_http_incoming_t* req,
                       lode_stream_t* socket, lode_slice_t head) {
  static const char* protos[] = { "lode" };
  lode_websocket_opts_t o = { .per_message_deflate = 1,
                              .protocols = protos,
                              .nprotocols = 1 };
  lode_websocket_t* ws;
  int rc = lode_websocket_handle_upgrade(req, socket, head, &o, &ws_events,
                                         &ws);
  test_trace("upgrade(%s)", rc == 0 ? "ok" : lode_err_name(rc));
  if (rc != 0)
    lode_http_server_close(server, NULL, NULL);
}
static void on_listening(lode_http_server_t* srv) {
  test_trace("listening");
}
static const lode_http_server_events_t srv_events = {
  .on_upgrade = on_upgrade,
  .on_listening = on_listening,
};

static char* run(const char* mode, const char* opts) {
  ASSERT_OK(uv_loop_init(&loop));
  test_trace_reset();
  ASSERT_OK(lode_http_create_server(&loop, NULL, &srv_events, &server));
  ASSERT_OK(lode_http_server_listen(
      server, &(lode_listen_opts_t){ .host = "127.0.0.1" }, NULL, NULL));
  for (int i = 0; i < 1000 && lode_http_server_port(server) <= 0; i++)
    uv_run(&loop, UV_RUN_ONCE);
  char url[64];
  snprintf(url, sizeof(url), "ws://127.0.0.1:%d/up",
           lode_http_server_port(server));
  const char* argv[] = { "node", "test/peers/ws-client.js", url, opts, mode,
                         NULL };
  test_peer_t* p = test_peer_start(argv);
  test_run_loop(&loop, 60000);
  test_loop_close(&loop);
  char* out = NULL;
  ASSERT_EQ(test_peer_finish(p, 10000, &out), 0);
  return out;
}

TEST(upgrade_echo) {
  char* out = run("echo", "{\"protocols\":[\"x\",\"lode\"]}");
  ASSERT(strncmp(out, "open lode permessage-deflate\n", 29) == 0);
  ASSERT(strstr(out, "WRONG") == NULL);
  ASSERT(strstr(out, "message text 16777215 7920c33a ok\n") != NULL);
  ASSERT(strstr(out, "pong are you there\nclose 1000 done\n") != NULL);
  free(out);
  ASSERT_TRACE("listening,upgrade(ok),open(/up,lode),close(1,1000,done)");
}

TEST(upgrade_refused) {
  /* An empty item in the subprotocol list: 400, as npm ws answers, and
   * accept returns the error with nothing else called. */
  char* out = run("echo",
                  "{\"headers\":{\"Sec-WebSocket-Protocol\":\"a,,b\"}}");
  ASSERT(strstr(out, "status 400\n") != NULL);
  free(out);
  ASSERT_TRACE("listening,upgrade(ERR_WS_PROTOCOL)");
}

/* 100 other headers before the WebSocket ones (Node's server takes up to
 * 2000): the upgrade still finds its key. */
TEST(upgrade_many_headers) {
  char opts[4096] = "{\"headers\":{";
  for (int i = 0; i < 100; i++)
    snprintf(opts + strlen(opts), sizeof(opts) - strlen(opts),
             "%s\"x-h%d\":\"v\"", i ? "," : "", i);
  strcat(opts, "}}");
  char* out = run("terminate", opts);
  ASSERT_STR_EQ(out, "open  permessage-deflate\nclose 1006 \n");
  free(out);
  ASSERT_TRACE("listening,upgrade(ok),open(/up,),close(0,1006,)");
}

TEST_MAIN(upgrade_echo, upgrade_refused, upgrade_many_headers)
