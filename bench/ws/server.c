/* The lode side of bench/ws: echoes text messages, counts and drops
 * binary ones (the one-way stream's sink). No compression, as npm ws's
 * server default.
 *
 *   bench-ws-server [port]      prints "listening on 127.0.0.1:PORT"
 */
#include <stdio.h>
#include <stdlib.h>
#include <lode.h>

static void on_message(lode_websocket_t* ws, lode_slice_t data, int is_binary) {
  if (!is_binary)
    lode_websocket_send_text(ws, data);
}

static const lode_websocket_events_t ws_events = { .on_message = on_message };
static const lode_websocket_opts_t ws_opts = {
  .per_message_deflate = -1,
  .max_payload = SIZE_MAX,
};

static void on_connection(lode_server_t* srv, lode_socket_t* s) {
  lode_websocket_t* ws;
  if (lode_websocket_serve(lode_socket_stream(s), &ws_opts, &ws_events, &ws) !=
      0)
    lode_socket_destroy(s, NULL);
}

static void on_listening(lode_server_t* srv) {
  lode_net_address_t a;
  lode_server_address(srv, &a);
  printf("listening on %s:%d\n", a.address, a.port);
  fflush(stdout);
}

static const lode_server_events_t server_events = {
  .on_connection = on_connection,
  .on_listening = on_listening,
};

int main(int argc, char** argv) {
  uv_loop_t* loop = uv_default_loop();
  lode_server_t* srv;
  lode_server_opts_t so = { .no_delay = 1 };
  lode_listen_opts_t lo = { .port = argc > 1 ? atoi(argv[1]) : 0,
                            .host = "127.0.0.1" };
  if (lode_net_create_server(loop, &so, &server_events, &srv) != 0 ||
      lode_server_listen(srv, &lo, NULL, NULL) != 0)
    return 1;
  return uv_run(loop, UV_RUN_DEFAULT);
}
