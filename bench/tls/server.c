/* The benchmark's lode HTTPS server, the same handlers as node-server.js
 * and nginx.conf: GET /bulk answers with BULK bytes (1 GiB) of a 64 KiB
 * block, written as the connection drains; every other request gets the
 * 11-byte "hello world" through res.end().
 * Usage: bench-tls-server PORT CERT KEY. Prints "listening on
 * 127.0.0.1:PORT" when it listens. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lode.h"

#define BULK (1024LL * 1024 * 1024)
#define BLOCK (64 * 1024)

static lode_https_server_t* server;
static char block[BLOCK];

typedef struct {
  long long left;
} bulk_t;

static void bulk_pump(lode_http_outgoing_t* res);

static void bulk_close(lode_http_outgoing_t* res) {
  free(lode_http_outgoing_get_data(res));
  lode_http_outgoing_set_data(res, NULL);
}

static const lode_http_outgoing_events_t bulk_events = {
  .on_drain = bulk_pump,
  .on_close = bulk_close,
};

/* Writes blocks until the connection says wait (then on_drain comes). */
static void bulk_pump(lode_http_outgoing_t* res) {
  bulk_t* b = lode_http_outgoing_get_data(res);
  while (b != NULL && b->left > 0) {
    size_t n = b->left < BLOCK ? (size_t) b->left : BLOCK;
    b->left -= (long long) n;
    if (b->left == 0) {
      lode_http_outgoing_end(res, (lode_slice_t){ block, n }, NULL, NULL);
      return;
    }
    if (lode_http_outgoing_write(res, (lode_slice_t){ block, n }, NULL, NULL) <=
        0)
      return;
  }
}

static void on_request(lode_http_server_t* srv, lode_http_incoming_t* req,
                       lode_http_response_t* res) {
  (void) srv;
  if (strcmp(lode_http_incoming_url(req), "/bulk") != 0) {
    lode_http_outgoing_end(res, LODE_SLICE("hello world"), NULL, NULL);
    return;
  }
  bulk_t* b = malloc(sizeof(*b));
  if (b == NULL)
    return;
  b->left = BULK;
  char len[32];
  snprintf(len, sizeof(len), "%lld", BULK);
  lode_http_outgoing_set_header(res, "Content-Length", len);
  lode_http_outgoing_set_data(res, b);
  lode_http_outgoing_set_events(res, &bulk_events);
  bulk_pump(res);
}

static void on_listening(lode_http_server_t* srv) {
  (void) srv;
  lode_net_address_t a;
  lode_https_server_address(server, &a);
  printf("listening on 127.0.0.1:%d\n", a.port);
  fflush(stdout);
}

static const lode_https_server_events_t events = {
  .http = { .on_request = on_request, .on_listening = on_listening },
};

static char* read_file(const char* path, size_t* len) {
  FILE* f = fopen(path, "rb");
  if (f == NULL)
    return NULL;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  char* b = n >= 0 ? malloc((size_t) n + 1) : NULL;
  if (b != NULL && fread(b, 1, (size_t) n, f) != (size_t) n) {
    free(b);
    b = NULL;
  }
  fclose(f);
  *len = (size_t) n;
  return b;
}

int main(int argc, char** argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: bench-tls-server PORT CERT KEY\n");
    return 2;
  }
  memset(block, 'x', sizeof(block));
  size_t cert_len, key_len;
  char* cert = read_file(argv[2], &cert_len);
  char* key = read_file(argv[3], &key_len);
  if (cert == NULL || key == NULL)
    return 1;
  lode_https_server_opts_t o = { 0 };
  o.tls.tls.context.cert = (lode_slice_t){ cert, cert_len };
  o.tls.tls.context.key = (lode_slice_t){ key, key_len };
  lode_error_t err;
  if (lode_https_create_server(uv_default_loop(), &o, &events, &server, &err) !=
      0) {
    fprintf(stderr, "bench-tls-server: %s\n", err.message);
    return 1;
  }
  free(cert);
  free(key);
  /* Idle connections stay (the memory figure holds them a while), as
   * with nginx's keepalive_timeout and Node's keepAliveTimeout 0. */
  lode_http_server_set_keep_alive_timeout(lode_https_server_http(server), 0);
  lode_listen_opts_t lo = { .port = atoi(argv[1]), .host = "127.0.0.1" };
  if (lode_https_server_listen(server, &lo, NULL, NULL) != 0)
    return 1;
  return uv_run(uv_default_loop(), UV_RUN_DEFAULT);
}
