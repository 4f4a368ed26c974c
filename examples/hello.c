/* The createServer example of Node's http documentation:
 *
 *   const server = http.createServer((req, res) => {
 *     res.writeHead(200, { 'Content-Type': 'application/json' });
 *     res.end(JSON.stringify({ data: 'Hello World!' }));
 *   });
 *   server.listen(8000);
 *
 * Usage: hello [port]   (default 8000; 0 picks a free one). Prints
 * "listening on 127.0.0.1:PORT" first. */
#include <stdio.h>
#include <stdlib.h>

#include "lode.h"

static void on_request(lode_http_server_t* srv, lode_http_incoming_t* req,
                       lode_http_response_t* res) {
  static const char* const headers[] = { "Content-Type", "application/json",
                                         NULL };
  (void) srv;
  (void) req;
  lode_http_response_write_head(res, 200, NULL, headers);
  lode_http_outgoing_end(res, LODE_SLICE("{\"data\":\"Hello World!\"}"), NULL,
                         NULL);
}

static void on_listening(lode_http_server_t* srv) {
  printf("listening on 127.0.0.1:%d\n", lode_http_server_port(srv));
  fflush(stdout);
}

static void on_error(lode_http_server_t* srv, const lode_error_t* err) {
  fprintf(stderr, "hello: %s\n", err->message);
  lode_http_server_close(srv, NULL, NULL);
}

static const lode_http_server_events_t events = {
  .on_request = on_request,
  .on_listening = on_listening,
  .on_error = on_error,
};

int main(int argc, char** argv) {
  int port = argc > 1 ? atoi(argv[1]) : 8000;
  lode_http_server_t* srv;
  if (lode_http_create_server(uv_default_loop(), NULL, &events, &srv) != 0)
    return 1;
  if (lode_http_server_listen(
          srv, &(lode_listen_opts_t){ .port = port, .host = "127.0.0.1" }, NULL,
          NULL) != 0)
    return 1;
  return uv_run(uv_default_loop(), UV_RUN_DEFAULT);
}
