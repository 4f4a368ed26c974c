/* An HTTPS server: Node's https.createServer example,
 *
 *   https.createServer(options, (req, res) => {
 *     res.writeHead(200);
 *     res.end('hello world\n');
 *   }).listen(8000);
 *
 * Usage: https-server PORT CERT KEY (0 picks a free port). Prints
 * "listening on 127.0.0.1:PORT" first, then answers every request with
 * 200 and "hello world\n". */
#include <stdio.h>
#include <stdlib.h>

#include "lode.h"
#include "util.h"

static lode_https_server_t* server;

static void on_request(lode_http_server_t* srv, lode_http_incoming_t* req,
                       lode_http_response_t* res) {
  (void) srv;
  (void) req;
  lode_http_response_write_head(res, 200, NULL, NULL);
  lode_http_outgoing_end(res, LODE_SLICE("hello world\n"), NULL, NULL);
}

static void on_listening(lode_http_server_t* srv) {
  (void) srv;
  lode_net_address_t a;
  lode_https_server_address(server, &a);
  printf("listening on 127.0.0.1:%d\n", a.port);
  fflush(stdout);
}

static void on_error(lode_http_server_t* srv, const lode_error_t* err) {
  (void) srv;
  fprintf(stderr, "https-server: %s\n", err->message);
  lode_https_server_close(server, NULL, NULL);
}

static const lode_https_server_events_t events = {
  .http = { .on_request = on_request,
            .on_listening = on_listening,
            .on_error = on_error },
};

int main(int argc, char** argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: https-server PORT CERT KEY\n");
    return 2;
  }
  size_t cert_len, key_len;
  char* cert = read_file(argv[2], &cert_len);
  char* key = read_file(argv[3], &key_len);
  if (cert == NULL || key == NULL) {
    fprintf(stderr, "https-server: cannot read the certificate or key\n");
    return 1;
  }
  lode_https_server_opts_t o = { 0 };
  o.tls.tls.context.cert = (lode_slice_t){ cert, cert_len };
  o.tls.tls.context.key = (lode_slice_t){ key, key_len };
  lode_error_t err;
  int rc = lode_https_create_server(uv_default_loop(), &o, &events, &server,
                                    &err);
  free(cert);
  free(key);
  if (rc != 0) {
    fprintf(stderr, "https-server: %s\n", err.message);
    return 1;
  }
  lode_listen_opts_t lo = { .port = atoi(argv[1]), .host = "127.0.0.1" };
  if (lode_https_server_listen(server, &lo, NULL, NULL) != 0)
    return 1;
  return uv_run(uv_default_loop(), UV_RUN_DEFAULT);
}
