/* Allocation failure: a server exchange over the in-memory pair is run
 * again and again with the Nth allocation made by lode failing, for every
 * N until a run makes fewer than N allocations. Every run must end with
 * no crash, no leak (LeakSanitizer at exit), no handle left open, and
 * every object that was made getting its close: a callback given to lode
 * is called once, error or not, and never lost.
 *
 * The test is linked with --wrap for malloc, calloc and realloc (see
 * test/CMakeLists.txt): lode's code, linked statically into this program,
 * calls the wrappers below; libuv (a shared library) does not. */
#include <stdlib.h>
#include <string.h>

#include "lode.h"
#include "test.h"

void* __real_malloc(size_t n);
void* __real_calloc(size_t n, size_t size);
void* __real_realloc(void* p, size_t n);

static long alloc_count;
static long fail_at; /* 0: never */

static int should_fail(void) {
  return ++alloc_count == fail_at;
}

void* __wrap_malloc(size_t n) {
  return should_fail() ? NULL : __real_malloc(n);
}

void* __wrap_calloc(size_t n, size_t size) {
  return should_fail() ? NULL : __real_calloc(n, size);
}

void* __wrap_realloc(void* p, size_t n) {
  return should_fail() ? NULL : __real_realloc(p, n);
}

/* What one run saw. */
static struct {
  int requests, req_closes, res_closes, finishes;
  int write_cbs, end_cbs, writes_made, ends_made;
  int srv_close, cli_close;
} seen;

static void req_close(lode_http_incoming_t* req) {
  (void) req;
  seen.req_closes++;
}

static void req_data(lode_http_incoming_t* req, lode_slice_t d) {
  (void) req;
  (void) d;
}

static void req_end(lode_http_incoming_t* req) {
  (void) req;
}

static const lode_http_incoming_events_t req_events = {
  .on_data = req_data,
  .on_end = req_end,
  .on_close = req_close,
};

static void res_finish(lode_http_outgoing_t* res) {
  (void) res;
  seen.finishes++;
}

static void res_close(lode_http_outgoing_t* res) {
  (void) res;
  seen.res_closes++;
}

static const lode_http_outgoing_events_t res_events = {
  .on_finish = res_finish,
  .on_close = res_close,
};

static void write_cb(lode_http_outgoing_t* o, int status, void* arg) {
  (void) o;
  (void) status;
  (void) arg;
  seen.write_cbs++;
}

static void end_cb(lode_http_outgoing_t* o, int status, void* arg) {
  (void) o;
  (void) status;
  (void) arg;
  seen.end_cbs++;
}

static void on_request(lode_http_server_t* srv, lode_http_incoming_t* req,
                       lode_http_response_t* res) {
  (void) srv;
  lode_http_outgoing_t* o = (lode_http_outgoing_t*) res;
  static const char* const h[] = { "Content-Type", "text/plain", NULL };
  seen.requests++;
  lode_http_incoming_set_events(req, &req_events);
  lode_http_outgoing_set_events(o, &res_events);
  if (lode_http_response_write_head(res, 200, NULL, h) != 0)
    return;
  /* A write with a callback, an empty one, then end with a callback and
   * another write after end (its error comes later, with its callback). */
  if (lode_http_outgoing_write(o, LODE_SLICE("abc"), write_cb, NULL) >= 0)
    seen.writes_made++;
  if (lode_http_outgoing_write(o, (lode_slice_t){ NULL, 0 }, write_cb, NULL) >=
      0)
    seen.writes_made++;
  if (lode_http_outgoing_end(o, LODE_SLICE("def"), end_cb, NULL) == 0)
    seen.ends_made++;
  if (lode_http_outgoing_write(o, LODE_SLICE("late"), write_cb, NULL) >= 0)
    seen.writes_made++;
}

static void on_srv_close(lode_http_server_t* srv) {
  (void) srv;
  seen.srv_close++;
}

static const lode_http_server_events_t srv_events = {
  .on_request = on_request,
  .on_close = on_srv_close,
};

static void cli_data(void* ctx, lode_stream_t* s, lode_slice_t d) {
  (void) ctx;
  (void) s;
  (void) d;
}

static void cli_end(void* ctx, lode_stream_t* s) {
  (void) ctx;
  lode_stream_end(s, NULL, NULL);
}

static void cli_close(void* ctx, lode_stream_t* s, int had_error) {
  lode_http_server_t* srv = ctx;
  (void) s;
  (void) had_error;
  seen.cli_close++;
  lode_http_server_close(srv, NULL, NULL);
}

static const lode_stream_reader_t cli_reader = {
  .on_data = cli_data,
  .on_end = cli_end,
  .on_close = cli_close,
};

static const char request[] =
    "POST /1 HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"
    "POST /2 HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
    "3\r\nabc\r\n0\r\nT: 1\r\n\r\n"
    "GET /3 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";

/* One exchange; returns the number of allocations it made. */
static long run_once(long n) {
  uv_loop_t loop;
  lode_http_server_t* srv = NULL;
  lode_stream_t *a = NULL, *b = NULL;
  memset(&seen, 0, sizeof(seen));
  ASSERT_OK(uv_loop_init(&loop));
  alloc_count = 0;
  fail_at = n;
  int made_pair = 0;
  if (lode_http_create_server(&loop, NULL, &srv_events, &srv) == 0) {
    if (lode_stream_pair(&loop, &a, &b) == 0) {
      made_pair = 1;
      lode_stream_set_reader(b, &cli_reader, srv);
      if (lode_http_server_serve(srv, a) == 0) {
        lode_stream_write(b, LODE_SLICE(request), NULL, NULL);
        lode_stream_end(b, NULL, NULL);
      }
    } else {
      lode_http_server_close(srv, NULL, NULL);
    }
  } else {
    srv = NULL;
  }
  test_run_loop(&loop, 10000);
  fail_at = 0;
  long made = alloc_count;
  /* Every object made got its close, and every callback given to lode
   * was called exactly once. */
  if (srv != NULL)
    ASSERT_EQ(seen.srv_close, 1);
  if (made_pair)
    ASSERT_EQ(seen.cli_close, 1);
  ASSERT_EQ(seen.req_closes, seen.requests);
  ASSERT_EQ(seen.res_closes, seen.requests);
  ASSERT_EQ(seen.write_cbs, seen.writes_made);
  ASSERT_EQ(seen.end_cbs, seen.ends_made);
  test_loop_close(&loop);
  return made;
}

TEST(every_allocation_fails_once) {
  /* The run without failures: all three requests answered. */
  long total = run_once(0);
  ASSERT_EQ(seen.requests, 3);
  ASSERT_EQ(seen.finishes, 3);
  ASSERT_GT(total, 0);
  long n, bound = 4 * total;
  for (n = 1; n <= bound; n++) {
    long made = run_once(n);
    if (made < n)
      break; /* this run made fewer than n: nothing failed */
  }
  ASSERT_LE(n, bound);
}

TEST_MAIN(every_allocation_fails_once)
