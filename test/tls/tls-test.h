/* What the tls tests share: the certificates (made once per build tree by
 * test/tls/make-certs.sh), reading them, a TLS server on loopback, and a
 * server and client over the in-memory pair. */
#ifndef LODE_TLS_TEST_H
#define LODE_TLS_TEST_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "lode/tls.h"
#include "test.h"

/* The directory of the certificates, made on first use: into a private
 * directory renamed into place, so tests running at once never see half
 * a set. */
static inline const char* tls_certs_dir(void) {
  static char dir[1024];
  if (dir[0] != '\0')
    return dir;
  const char* bin = getenv("LODE_BINARY_DIR");
  snprintf(dir, sizeof(dir), "%s/tls-certs", bin ? bin : "build");
  char probe[1100], cmd[2600];
  snprintf(probe, sizeof(probe), "%s/dh.pem", dir); /* the last made */
  if (access(probe, R_OK) == 0)
    return dir;
  if (access(dir, F_OK) == 0) { /* a set from an older script */
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    if (system(cmd) != 0) {
    }
  }
  char tmp[1100];
  snprintf(tmp, sizeof(tmp), "%s.%ld", dir, (long) getpid());
  snprintf(cmd, sizeof(cmd), "bash %s %s >/dev/null",
           test_src_path("test/tls/make-certs.sh"), tmp);
  if (system(cmd) != 0)
    test_fail(__FILE__, __LINE__, "make-certs.sh failed");
  if (rename(tmp, dir) != 0) { /* another test made them first */
    snprintf(cmd, sizeof(cmd), "rm -rf %s", tmp);
    if (system(cmd) != 0) {
    }
  }
  return dir;
}

/* A certificate file's text (static buffers, a few at a time). */
static inline lode_slice_t tls_file(const char* name) {
  static char bufs[8][16384]; /* every file made is smaller */
  static int next;
  char* b = bufs[next++ % 8];
  char path[1200];
  snprintf(path, sizeof(path), "%s/%s", tls_certs_dir(), name);
  FILE* f = fopen(path, "rb");
  if (f == NULL)
    test_fail(__FILE__, __LINE__, "cannot open %s", path);
  size_t n = fread(b, 1, sizeof(bufs[0]), f);
  fclose(f);
  return (lode_slice_t){ b, n };
}

static inline const char* tls_path(const char* name) {
  static char paths[8][1200];
  static int next;
  char* p = paths[next++ % 8];
  snprintf(p, sizeof(paths[0]), "%s/%s", tls_certs_dir(), name);
  return p;
}

/* An echo: what comes in goes back; the end is answered with an end. */
static inline void tls_echo_data(lode_tls_socket_t* t, lode_slice_t d) {
  lode_tls_socket_write(t, d, NULL, NULL);
}
static inline void tls_echo_end(lode_tls_socket_t* t) {
  lode_tls_socket_end(t, NULL, NULL);
}
static inline const lode_tls_socket_events_t* tls_echo_events(void) {
  static const lode_tls_socket_events_t ev = {
    .on_data = tls_echo_data,
    .on_end = tls_echo_end,
  };
  return &ev;
}

/* Server options with NAME.key and NAME.crt as the key and certificate,
 * and `events` for the connections. */
static inline lode_tls_server_opts_t tls_server_opts(
    const char* name, const lode_tls_socket_events_t* events) {
  char key[64], crt[64];
  snprintf(key, sizeof(key), "%s.key", name);
  snprintf(crt, sizeof(crt), "%s.crt", name);
  lode_tls_server_opts_t o = { 0 };
  o.tls.context.key = tls_file(key);
  o.tls.context.cert = tls_file(crt);
  o.socket_events = events;
  return o;
}

/* A TLS server made with `o` and `ev`, listening on 127.0.0.1 at a port
 * the system chose (*port). */
static inline lode_tls_server_t* tls_listen(uv_loop_t* loop,
                                            const lode_tls_server_opts_t* o,
                                            const lode_tls_server_events_t* ev,
                                            int* port) {
  lode_tls_server_t* srv;
  lode_error_t err;
  int rc = lode_tls_create_server(loop, o, ev, &srv, &err);
  if (rc != 0)
    test_fail(__FILE__, __LINE__, "server: %s", err.message);
  lode_listen_opts_t l = { .port = 0, .host = "127.0.0.1" };
  ASSERT_OK(lode_tls_server_listen(srv, &l, NULL, NULL));
  lode_net_address_t a;
  ASSERT_OK(lode_tls_server_address(srv, &a));
  *port = a.port;
  return srv;
}

/* A TLS server and client over the in-memory pair (lode_stream_pair), both
 * made but not yet running (the pair delivers on the loop): the server
 * with NAME.key and NAME.crt, the client with `co` (NULL: none) trusting
 * ca.crt for "localhost" unless `co` names its own. */
typedef struct tls_pair_s {
  lode_tls_socket_t* srv;
  lode_tls_socket_t* cli;
} tls_pair_t;

static inline tls_pair_t tls_pair(uv_loop_t* loop, const char* name,
                                  const lode_tls_opts_t* co,
                                  const lode_tls_socket_events_t* srv_ev,
                                  const lode_tls_socket_events_t* cli_ev) {
  lode_stream_t *a, *b;
  ASSERT_OK(lode_stream_pair(loop, &a, &b));
  lode_tls_opts_t so = tls_server_opts(name, NULL).tls;
  so.is_server = 1;
  lode_tls_opts_t c = co != NULL ? *co : (lode_tls_opts_t){ 0 };
  if (c.context.ca.len == 0)
    c.context.ca = tls_file("ca.crt");
  if (c.host == NULL)
    c.host = "localhost";
  tls_pair_t p;
  ASSERT_OK(lode_tls_socket_create(b, &so, srv_ev, &p.srv, NULL));
  ASSERT_OK(lode_tls_socket_create(a, &c, cli_ev, &p.cli, NULL));
  return p;
}

#endif
