/* The lode echo server the net benchmark drives: echoes every byte, with
 * Node's pipe() flow control (pause on a full queue, resume on drain), and
 * Nagle off (noDelay), as the Node server in node-echo.js.
 * Usage: bench-net-echo-server [PORT]; prints "listening on ADDR:PORT". */
#include <stdio.h>
#include <stdlib.h>
#include "lode.h"

static void on_data(lode_socket_t* c, lode_slice_t data) {
  if (lode_socket_write(c, data, NULL, NULL) == 0)
    lode_socket_pause(c);
}

static void on_drain(lode_socket_t* c) {
  lode_socket_resume(c);
}

static const lode_socket_events_t echo = {
  .on_data = on_data,
  .on_drain = on_drain,
};

static void on_listening(lode_server_t* srv) {
  lode_net_address_t a;
  lode_server_address(srv, &a);
  printf("listening on %s:%d\n", a.address, a.port);
  fflush(stdout);
}

static const lode_server_events_t server_events = {
  .on_listening = on_listening,
};

int main(int argc, char** argv) {
  uv_loop_t* loop = uv_default_loop();
  lode_server_t* srv;
  lode_server_opts_t o = { .socket_events = &echo, .no_delay = 1 };
  lode_listen_opts_t lo = { .host = "127.0.0.1",
                            .port = argc > 1 ? atoi(argv[1]) : 0 };
  if (lode_net_create_server(loop, &o, &server_events, &srv) != 0 ||
      lode_server_listen(srv, &lo, NULL, NULL) != 0)
    return 1;
  return uv_run(loop, UV_RUN_DEFAULT);
}
