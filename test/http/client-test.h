/* Shared pieces of the HTTP client tests: a scripted Node server
 * (test/peers/client-server.js) and event tables that trace everything. */
#ifndef LODE_CLIENT_TEST_H
#define LODE_CLIENT_TEST_H

#include <stdlib.h>
#include <string.h>

#include "lode.h"
#include "test.h"

static test_peer_t* ct_peer;
static int ct_port;
static char ct_body[300000];
static size_t ct_body_len;
/* 'finish' is counted, not traced: whether the write is reported done
 * before the answer arrives depends on scheduling; 'close' always waits
 * for it. */
static int ct_finished;

static void ct_start_peer(void) {
  const char* argv[] = { "node", "test/peers/client-server.js", NULL };
  ct_peer = test_peer_start(argv);
  ct_port = test_peer_port(ct_peer);
  ct_body_len = 0;
  ct_finished = 0;
}

static void ct_res_data(lode_http_incoming_t* m, lode_slice_t d) {
  if (ct_body_len + d.len <= sizeof(ct_body)) {
    memcpy(ct_body + ct_body_len, d.base, d.len);
    ct_body_len += d.len;
  }
  test_trace("data(%zu)", d.len);
}

static void ct_res_end(lode_http_incoming_t* m) {
  test_trace("end");
}

static void ct_res_aborted(lode_http_incoming_t* m) {
  test_trace("aborted");
}

static void ct_res_error(lode_http_incoming_t* m, const lode_error_t* e) {
  test_trace("res error(%s %s)", e->name, e->message);
}

static void ct_res_close(lode_http_incoming_t* m) {
  test_trace("res close");
}

static const lode_http_incoming_events_t ct_res_events = {
  ct_res_data, ct_res_end, ct_res_aborted, ct_res_error, NULL, ct_res_close
};

static void ct_socket(lode_http_request_t* r, lode_stream_t* s) {
  test_trace("socket");
}

static void ct_response(lode_http_request_t* r, lode_http_incoming_t* m) {
  test_trace("response(%d)", lode_http_incoming_status_code(m));
  lode_http_incoming_set_events(m, &ct_res_events);
}

static void ct_information(lode_http_request_t* r,
                           const lode_http_information_t* i) {
  test_trace("information(%d %s)", i->status_code, i->status_message);
}

static void ct_continue(lode_http_request_t* r) {
  test_trace("continue");
}

static void ct_upgrade(lode_http_request_t* r, lode_http_incoming_t* m,
                       lode_stream_t* s, lode_slice_t head) {
  test_trace("upgrade(%d %.*s)", lode_http_incoming_status_code(m),
             (int) head.len, head.base);
  lode_stream_destroy(s, NULL);
}

static void ct_connect(lode_http_request_t* r, lode_http_incoming_t* m,
                       lode_stream_t* s, lode_slice_t head) {
  test_trace("connect(%d %.*s)", lode_http_incoming_status_code(m),
             (int) head.len, head.base);
  lode_stream_destroy(s, NULL);
}

static void ct_timeout(lode_http_request_t* r) {
  test_trace("timeout");
}

static void ct_finish(lode_http_request_t* r) {
  ct_finished++;
}

static void ct_abort(lode_http_request_t* r) {
  test_trace("abort");
}

static void ct_error(lode_http_request_t* r, const lode_error_t* e) {
  test_trace("error(%s %s)", e->name, e->message);
}

static void ct_close(lode_http_request_t* r) {
  test_trace("close");
}

static const lode_http_request_events_t ct_events = {
  ct_socket,  ct_response, ct_information, ct_continue, ct_upgrade, ct_connect,
  ct_timeout, ct_finish,   NULL,           ct_abort,    ct_error,   ct_close
};

/* createConnection to lode's own server (the arg) over an in-memory
 * pair on ct_pair_loop: HTTP without a socket. */
static uv_loop_t* ct_pair_loop;

static inline int ct_pair_connection(lode_agent_t* a,
                                     const lode_agent_conn_opts_t* o,
                                     lode_stream_t** out, void* server) {
  lode_stream_t* b;
  int rc = lode_stream_pair(ct_pair_loop, out, &b);
  if (rc == 0)
    rc = lode_http_server_serve(server, b);
  return rc;
}

#endif
