/* A WebSocket chat room: every message a client sends goes to every other
 * client (text as text, binary as binary); a client that has fallen more
 * than 1 MiB behind misses messages until it catches up.
 *
 *   ws-chat [port]        (default 8080; 0 picks a free port)
 */
#include <stdio.h>
#include <stdlib.h>
#include <lode.h>

#define MAX_BEHIND ((size_t) 1 << 20)

static lode_websocket_clients_t* room;

static void on_open(lode_websocket_t* ws) {
  printf("joined: %zu in the room\n", lode_websocket_clients_size(room));
  fflush(stdout);
}

static void on_message(lode_websocket_t* ws, lode_slice_t data, int is_binary) {
  if (is_binary)
    lode_websocket_clients_broadcast_binary(room, data, MAX_BEHIND, ws, NULL);
  else
    lode_websocket_clients_broadcast_text(room, data, MAX_BEHIND, ws, NULL);
}

static void on_close(lode_websocket_t* ws, int was_clean, int code,
                     lode_slice_t reason) {
  printf("left (code %d): %zu in the room\n", code,
         lode_websocket_clients_size(room));
  fflush(stdout);
}

static const lode_websocket_events_t ws_events = {
  .on_open = on_open,
  .on_message = on_message,
  .on_close = on_close,
};

static lode_websocket_opts_t ws_opts = {
  .per_message_deflate = 1,
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

static void on_error(lode_server_t* srv, const lode_error_t* err) {
  fprintf(stderr, "server error: %s\n", err->message);
}

static const lode_server_events_t server_events = {
  .on_connection = on_connection,
  .on_listening = on_listening,
  .on_error = on_error,
};

int main(int argc, char** argv) {
  uv_loop_t* loop = uv_default_loop();
  lode_server_t* srv;
  lode_server_opts_t so = { .no_delay = 1 };
  if (lode_websocket_clients_create(&room) != 0 ||
      lode_net_create_server(loop, &so, &server_events, &srv) != 0)
    return 1;
  ws_opts.clients = room;
  lode_listen_opts_t lo = {
    .port = argc > 1 ? atoi(argv[1]) : 8080,
    .host = "127.0.0.1",
  };
  if (lode_server_listen(srv, &lo, NULL, NULL) != 0)
    return 1;
  return uv_run(loop, UV_RUN_DEFAULT);
}
