/* A WebSocket client: connects, sends each argument as a text message,
 * prints what comes back, and closes once every echo has arrived.
 *
 *   ws-client ws://127.0.0.1:8080/ hello world
 */
#include <stdio.h>
#include <lode.h>

static int pending;

static void on_open(lode_websocket_t* ws) {
  char** msgs = lode_websocket_get_data(ws);
  printf("open (protocol \"%s\", extensions \"%s\")\n",
         lode_websocket_protocol(ws), lode_websocket_extensions(ws));
  for (; *msgs != NULL; msgs++, pending++)
    lode_websocket_send_text(ws, lode_slice_str(*msgs));
  if (pending == 0)
    lode_websocket_close(ws, LODE_WEBSOCKET_CLOSE_NORMAL,
                         LODE_SLICE("nothing to say"));
}

static void on_message(lode_websocket_t* ws, lode_slice_t data, int is_binary) {
  printf("%s: %.*s\n", is_binary ? "binary" : "text", (int) data.len,
         data.base);
  if (--pending == 0)
    lode_websocket_close(ws, LODE_WEBSOCKET_CLOSE_NORMAL, LODE_SLICE("bye"));
}

static void on_error(lode_websocket_t* ws, const lode_error_t* err) {
  fprintf(stderr, "error: %s (%s)\n", err->message, err->name);
}

static void on_close(lode_websocket_t* ws, int was_clean, int code,
                     lode_slice_t reason) {
  printf("close: %s, code %d, reason \"%.*s\"\n",
         was_clean ? "clean" : "not clean", code, (int) reason.len,
         reason.base);
}

static const lode_websocket_events_t events = {
  .on_open = on_open,
  .on_message = on_message,
  .on_error = on_error,
  .on_close = on_close,
};

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: ws-client URL [message...]\n");
    return 2;
  }
  uv_loop_t* loop = uv_default_loop();
  lode_websocket_t* ws;
  int rc = lode_websocket_create(loop, argv[1], NULL, 0, NULL, &events, &ws);
  if (rc != 0) {
    fprintf(stderr, "%s: %s\n", lode_err_name(rc), lode_strerror(rc));
    return 1;
  }
  lode_websocket_set_data(ws, argv + 2);
  uv_run(loop, UV_RUN_DEFAULT);
  return 0;
}
