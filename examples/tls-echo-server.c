/* The echo server of Node's tls documentation:
 *
 *   const server = tls.createServer(options, (socket) => {
 *     console.log('server connected',
 *                 socket.authorized ? 'authorized' : 'unauthorized');
 *     socket.write('welcome!\n');
 *     socket.setEncoding('utf8');
 *     socket.pipe(socket);
 *   });
 *   server.listen(8000, () => console.log('server bound'));
 *
 * Usage: tls-echo-server PORT CERT KEY (0 picks a free port). Prints
 * "listening on 127.0.0.1:PORT" first. */
#include <stdio.h>
#include <stdlib.h>

#include "lode.h"
#include "util.h"

static void on_secure_connection(lode_tls_server_t* srv, lode_tls_socket_t* t) {
  (void) srv;
  printf("server connected %s\n",
         lode_tls_socket_authorized(t) ? "authorized" : "unauthorized");
  fflush(stdout);
  lode_stream_t* s = lode_tls_socket_stream(t);
  lode_stream_write(s, LODE_SLICE("welcome!\n"), NULL, NULL);
  lode_stream_pipe(s, s, NULL); /* socket.pipe(socket) */
}

static void on_listening(lode_tls_server_t* srv) {
  lode_net_address_t a;
  lode_tls_server_address(srv, &a);
  printf("listening on 127.0.0.1:%d\n", a.port);
  fflush(stdout);
}

static void on_error(lode_tls_server_t* srv, const lode_error_t* err) {
  fprintf(stderr, "tls-echo-server: %s\n", err->message);
  lode_tls_server_close(srv, NULL, NULL);
}

static const lode_tls_server_events_t events = {
  .on_secure_connection = on_secure_connection,
  .on_listening = on_listening,
  .on_error = on_error,
};

int main(int argc, char** argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: tls-echo-server PORT CERT KEY\n");
    return 2;
  }
  size_t cert_len, key_len;
  char* cert = read_file(argv[2], &cert_len);
  char* key = read_file(argv[3], &key_len);
  if (cert == NULL || key == NULL) {
    fprintf(stderr, "tls-echo-server: cannot read the certificate or key\n");
    return 1;
  }
  lode_tls_server_opts_t o = { 0 };
  o.tls.context.cert = (lode_slice_t){ cert, cert_len };
  o.tls.context.key = (lode_slice_t){ key, key_len };
  lode_tls_server_t* srv;
  lode_error_t err;
  int rc = lode_tls_create_server(uv_default_loop(), &o, &events, &srv, &err);
  free(cert);
  free(key);
  if (rc != 0) {
    fprintf(stderr, "tls-echo-server: %s\n", err.message);
    return 1;
  }
  lode_listen_opts_t lo = { .port = atoi(argv[1]), .host = "127.0.0.1" };
  if (lode_tls_server_listen(srv, &lo, NULL, NULL) != 0)
    return 1;
  return uv_run(uv_default_loop(), UV_RUN_DEFAULT);
}
