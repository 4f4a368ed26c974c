/* The HTTP server over an in-memory stream pair, shared by the pair
 * tests: run() serves one exchange (raw request bytes written, then a
 * half-close unless X_no_fin) and returns the response bytes with the
 * Date value replaced by "X"; the client side's end and close go to the
 * trace.
 *
 * The pair moves bytes on idle passes and holds no handle once nothing is
 * left to move, and the server's timers are unref'd as Node's are. So the
 * loop running out of work is an event: every byte written has been read
 * or is held by a stopped reader, and every callback has run. Two knobs
 * build on it, never on a clock:
 * - X_when_quiet runs once at that point (to look at the state reached or
 *   to act on it), then the loop goes on to the end;
 * - X_hold keeps the loop alive until the client's side closes, so that
 *   the server's own (unref'd) timeouts fire, however late, and nothing
 *   else competes with them. */
#ifndef LODE_TEST_HTTP_SERVER_PAIR_H
#define LODE_TEST_HTTP_SERVER_PAIR_H

#include <string.h>

#include "lode.h"
#include "test.h"

typedef struct exchange_s {
  uv_loop_t loop;
  lode_http_server_t* srv;
  lode_stream_t* client;
  char out[65536];
  size_t len;
  int no_fin;
  int holding;
  uv_async_t hold; /* never sent: only keeps the loop alive */
} exchange_t;

static exchange_t* X;
static int X_no_fin;
static unsigned X_max_requests;
static uint64_t X_timeout;
static void (*X_when_quiet)(exchange_t* x);
static int X_hold;
static size_t X_split; /* > 0: the request goes in writes of this size */
static size_t X_cut;   /* > 0: the request goes in two writes, cut here */

static void cli_data(void* ctx, lode_stream_t* s, lode_slice_t d) {
  exchange_t* x = ctx;
  (void) s;
  ASSERT_LT(x->len + d.len, sizeof(x->out));
  memcpy(x->out + x->len, d.base, d.len);
  x->len += d.len;
}

static void cli_end(void* ctx, lode_stream_t* s) {
  exchange_t* x = ctx;
  test_trace("cli-end");
  if (x->no_fin)
    lode_stream_end(s, NULL, NULL);
}

static void cli_close(void* ctx, lode_stream_t* s, int had_error) {
  exchange_t* x = ctx;
  (void) s;
  test_trace("cli-close(%d)", had_error);
  x->client = NULL; /* gone once this returns */
  lode_http_server_close(x->srv, NULL, NULL);
  if (x->holding) {
    x->holding = 0;
    uv_close((uv_handle_t*) &x->hold, NULL);
  }
}

static const lode_stream_reader_t cli_reader = {
  .on_data = cli_data,
  .on_end = cli_end,
  .on_close = cli_close,
};

/* The response with the Date value replaced by "X" (static buffer). */
static const char* normalized(exchange_t* x) {
  static char buf[sizeof(x->out) + 1];
  return test_date_x(x->out, x->len, buf, sizeof(buf));
}

static const char* run(const lode_http_server_opts_t* opts,
                       const lode_http_server_events_t* ev, const char* req) {
  static exchange_t x;
  memset(&x, 0, sizeof(x));
  X = &x;
  x.no_fin = X_no_fin;
  test_trace_reset();
  ASSERT_OK(uv_loop_init(&x.loop));
  ASSERT_OK(lode_http_create_server(&x.loop, opts, ev, &x.srv));
  lode_http_server_set_max_requests_per_socket(x.srv, X_max_requests);
  lode_http_server_set_timeout(x.srv, X_timeout, NULL, NULL);
  if (X_hold) {
    ASSERT_OK(uv_async_init(&x.loop, &x.hold, NULL));
    x.holding = 1;
  }
  lode_stream_t* a;
  ASSERT_OK(lode_stream_pair(&x.loop, &a, &x.client));
  lode_stream_set_reader(x.client, &cli_reader, &x);
  ASSERT_OK(lode_http_server_serve(x.srv, a));
  size_t len = strlen(req), step = X_split > 0 ? X_split : len;
  for (size_t at = 0; at < len;) {
    size_t end = at + step < len ? at + step : len;
    if (X_cut > at && X_cut < end)
      end = X_cut;
    lode_slice_t part = { req + at, end - at };
    ASSERT_GE(lode_stream_write(x.client, part, NULL, NULL), 0);
    at = end;
  }
  if (!x.no_fin)
    lode_stream_end(x.client, NULL, NULL);
  test_run_loop(&x.loop, 5000);
  if (X_when_quiet != NULL) {
    X_when_quiet(&x);
    test_run_loop(&x.loop, 5000);
  }
  test_loop_close(&x.loop);
  return normalized(&x);
}

__attribute__((unused)) static const char* run_limited(
    const lode_http_server_events_t* ev, const char* req) {
  X_max_requests = 2;
  const char* got = run(NULL, ev, req);
  X_max_requests = 0;
  return got;
}

#endif
