/* The echo server of Node's net documentation, in C:
 *
 *   const server = net.createServer((c) => {
 *     console.log('client connected');
 *     c.on('end', () => console.log('client disconnected'));
 *     c.write('hello\r\n');
 *     c.pipe(c);
 *   });
 *   server.listen(8124, () => console.log('server bound'));
 *
 * Usage: echo-server [PORT]   (0 or nothing: any free port). The first
 * line of output is "listening on ADDRESS:PORT". */
#include <stdio.h>
#include <stdlib.h>
#include "lode.h"

static void on_end(lode_socket_t* c) {
  printf("client disconnected\n");
  fflush(stdout);
}

static void on_error(lode_socket_t* c, const lode_error_t* err) {
  fprintf(stderr, "client error: %s\n", err->message);
}

static const lode_socket_events_t client_events = {
  .on_end = on_end,
  .on_error = on_error,
};

static void on_connection(lode_server_t* server, lode_socket_t* c) {
  printf("client connected\n");
  fflush(stdout);
  lode_socket_write(c, LODE_SLICE("hello\r\n"), NULL, NULL);
  /* c.pipe(c): what the client sends comes back, reading pauses while the
   * client is slow to take it, and its end ends ours. */
  lode_stream_pipe(lode_socket_stream(c), lode_socket_stream(c), NULL);
}

static void on_listening(lode_server_t* server) {
  lode_net_address_t a;
  lode_server_address(server, &a);
  printf("listening on %s:%d\n", a.address, a.port);
  fflush(stdout);
}

static void on_server_error(lode_server_t* server, const lode_error_t* err) {
  /* Node's example throws; a C program says so and stops. */
  fprintf(stderr, "%s\n", err->message);
  exit(1);
}

static const lode_server_events_t server_events = {
  .on_connection = on_connection,
  .on_listening = on_listening,
  .on_error = on_server_error,
};

int main(int argc, char** argv) {
  int port = argc > 1 ? atoi(argv[1]) : 0;
  uv_loop_t* loop = uv_default_loop();
  lode_server_t* server;
  lode_server_opts_t opts = { .socket_events = &client_events };
  int r = lode_net_create_server(loop, &opts, &server_events, &server);
  if (r == 0)
    r = lode_server_listen(server, &(lode_listen_opts_t){ .port = port }, NULL,
                           NULL);
  if (r != 0) {
    fprintf(stderr, "listen: %s\n", lode_strerror(r));
    return 1;
  }
  return uv_run(loop, UV_RUN_DEFAULT);
}
