/* The client of Node's net documentation, in C:
 *
 *   const client = net.createConnection({ port: 8124 }, () => {
 *     console.log('connected to server!');
 *     client.write('world!\r\n');
 *   });
 *   client.on('data', (data) => { console.log(data.toString());
 *                                 client.end(); });
 *   client.on('end', () => console.log('disconnected from server'));
 *
 * Usage: echo-client PORT [HOST]   (HOST defaults to localhost). */
#include <stdio.h>
#include <stdlib.h>
#include "lode.h"

static void on_connect(lode_socket_t* client) {
  printf("connected to server!\n");
  lode_socket_write(client, LODE_SLICE("world!\r\n"), NULL, NULL);
}

static void on_data(lode_socket_t* client, lode_slice_t data) {
  printf("%.*s\n", (int) data.len, data.base);
  lode_socket_end(client, (lode_slice_t){ NULL, 0 }, NULL, NULL);
}

static void on_end(lode_socket_t* client) {
  printf("disconnected from server\n");
}

static void on_error(lode_socket_t* client, const lode_error_t* err) {
  fprintf(stderr, "%s\n", err->message);
}

static const lode_socket_events_t events = {
  .on_connect = on_connect,
  .on_data = on_data,
  .on_end = on_end,
  .on_error = on_error,
};

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s PORT [HOST]\n", argv[0]);
    return 2;
  }
  lode_socket_opts_t opts = { .port = atoi(argv[1]),
                              .host = argc > 2 ? argv[2] : NULL };
  lode_socket_t* client;
  int r = lode_net_create_connection(uv_default_loop(), &opts, &events,
                                     &client);
  if (r != 0) {
    fprintf(stderr, "connect: %s\n", lode_strerror(r));
    return 1;
  }
  return uv_run(uv_default_loop(), UV_RUN_DEFAULT);
}
