/* What the https tests with outside peers share: lode's https server on
 * loopback with the test CA's server certificate, and a peer process run
 * against it while the loop serves. */
#ifndef LODE_TEST_HTTPS_PEER_H
#define LODE_TEST_HTTPS_PEER_H

#include "../tls/tls-test.h"
#include "lode/https.h"

/* An https server on 127.0.0.1 at a port the system chose (*port), with
 * server.{key,crt} unless `o` (may be NULL) names a key. */
static inline lode_https_server_t* https_listen(
    uv_loop_t* loop, const lode_https_server_opts_t* o,
    const lode_https_server_events_t* ev, int* port) {
  lode_https_server_opts_t opts = { 0 };
  if (o != NULL)
    opts = *o;
  if (opts.tls.tls.context.key.base == NULL) {
    opts.tls.tls.context.key = tls_file("server.key");
    opts.tls.tls.context.cert = tls_file("server.crt");
  }
  lode_https_server_t* srv;
  lode_error_t err;
  if (lode_https_create_server(loop, &opts, ev, &srv, &err) != 0)
    test_fail(__FILE__, __LINE__, "server: %s", err.message);
  lode_listen_opts_t l = { .port = 0, .host = "127.0.0.1" };
  ASSERT_OK(lode_https_server_listen(srv, &l, NULL, NULL));
  lode_net_address_t a;
  ASSERT_OK(lode_https_server_address(srv, &a));
  *port = a.port;
  return srv;
}

/* The peer is waited for on a thread; its exit closes the server (*srv,
 * unless the test has set it to NULL in its on_close) and `also`, a
 * handle of the test's, when not NULL; the loop ends when the last
 * connection has gone. */
typedef struct https_peer_run_s {
  test_peer_t* peer;
  lode_https_server_t** srv;
  uv_handle_t* also;
  char* out;
  int rc;
  uv_async_t done;
} https_peer_run_t;

static inline void https_peer_wait(void* arg) {
  https_peer_run_t* r = arg;
  r->rc = test_peer_finish(r->peer, 100000, &r->out);
  uv_async_send(&r->done);
}

static inline void https_peer_exited(uv_async_t* a) {
  https_peer_run_t* r = a->data;
  uv_close((uv_handle_t*) a, NULL);
  if (r->also != NULL)
    uv_close(r->also, NULL);
  /* A server closing already (its close not yet come) says so. */
  int rc = *r->srv != NULL ? lode_https_server_close(*r->srv, NULL, NULL) : 0;
  ASSERT(rc == 0 || rc == LODE_ERR_SERVER_NOT_RUNNING);
}

/* Runs argv against *srv until the peer exits and the server has
 * closed; closes the loop; fails unless the peer exited with 0. Returns
 * its output (malloc'd; free it). */
static inline char* https_run_peer(uv_loop_t* loop, lode_https_server_t** srv,
                                   uv_handle_t* also, const char* const* argv) {
  static https_peer_run_t r;
  memset(&r, 0, sizeof(r));
  r.srv = srv;
  r.also = also;
  r.peer = test_peer_start(argv);
  ASSERT_OK(uv_async_init(loop, &r.done, https_peer_exited));
  r.done.data = &r;
  uv_thread_t waiter;
  ASSERT_OK(uv_thread_create(&waiter, https_peer_wait, &r));
  test_run_loop(loop, 110000);
  ASSERT_OK(uv_thread_join(&waiter));
  test_loop_close(loop);
  if (r.rc != 0)
    test_fail(__FILE__, __LINE__, "peer exited with %d: %s", r.rc,
              r.out ? r.out : "");
  return r.out;
}

#endif
