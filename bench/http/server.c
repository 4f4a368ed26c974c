/* The benchmark's lode server: every request gets the 11-byte "hello
 * world" through res.end(), the same handler as node-server.js.
 * Usage: bench-http-server PORT. Prints "listening on 127.0.0.1:PORT". */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include "lode.h"

static void on_request(lode_http_server_t* srv, lode_http_incoming_t* req,
                       lode_http_response_t* res) {
  (void) srv;
  (void) req;
  lode_http_outgoing_end(res, LODE_SLICE("hello world"), NULL, NULL);
}

static void on_listening(lode_http_server_t* srv) {
  printf("listening on 127.0.0.1:%d\n", lode_http_server_port(srv));
  fflush(stdout);
}

static const lode_http_server_events_t events = {
  .on_request = on_request, .on_listening = on_listening,
};

int main(int argc, char** argv) {
  lode_http_server_t* srv;
  /* As Node does: a peer gone mid-write is an EPIPE, not a signal. */
  signal(SIGPIPE, SIG_IGN);
  int port = argc > 1 ? atoi(argv[1]) : 8080;
  if (lode_http_create_server(uv_default_loop(), NULL, &events, &srv) != 0 ||
      lode_http_server_listen(srv, "127.0.0.1", port, 0) != 0)
    return 1;
  return uv_run(uv_default_loop(), UV_RUN_DEFAULT);
}
