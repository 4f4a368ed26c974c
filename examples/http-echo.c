/* An echo server: every request gets 200 and a JSON document with its
 * method, url, httpVersion, headers (as Node's req.headers), rawHeaders,
 * trailers and body (base64), once the whole body has arrived; the same
 * bytes a Node server with that handler sends.
 *
 * Usage: http-echo [port]   (0 picks a free one). Prints
 * "listening on 127.0.0.1:PORT" first. */
#include <stdio.h>
#include <stdlib.h>

#include "lode.h"
#include "echo-json.h"

static void on_request(lode_http_server_t* srv, lode_http_incoming_t* req,
                       lode_http_response_t* res) {
  (void) srv;
  echo_handle(req, res);
}

static void on_listening(lode_http_server_t* srv) {
  printf("listening on 127.0.0.1:%d\n", lode_http_server_port(srv));
  fflush(stdout);
}

static void on_error(lode_http_server_t* srv, const lode_error_t* err) {
  fprintf(stderr, "http-echo: %s\n", err->message);
  lode_http_server_close(srv, NULL, NULL);
}

static const lode_http_server_events_t events = {
  .on_request = on_request,
  .on_listening = on_listening,
  .on_error = on_error,
};

int main(int argc, char** argv) {
  int port = argc > 1 ? atoi(argv[1]) : 8080;
  lode_http_server_t* srv;
  if (lode_http_create_server(uv_default_loop(), NULL, &events, &srv) != 0)
    return 1;
  if (lode_http_server_listen(
          srv, &(lode_listen_opts_t){ .port = port, .host = "127.0.0.1" }, NULL,
          NULL) != 0)
    return 1;
  return uv_run(uv_default_loop(), UV_RUN_DEFAULT);
}
