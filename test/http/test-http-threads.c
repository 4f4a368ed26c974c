/* One loop per thread: four threads each run an HTTP server and a
 * keep-alive client of it at the same time, so whatever lode keeps per
 * process (the parser's SIMD choice, made by the first parser of any
 * thread) or per loop (the loop's state, the global agent) is used from
 * several threads at once. Under ThreadSanitizer (make test's TSan stage)
 * a data race fails the run; elsewhere it checks every answer. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lode.h"
#include "test.h"

#define THREADS 4
#define TOTAL 200
#define IN_FLIGHT 8

typedef struct ctx_s {
  uv_loop_t loop;
  lode_http_server_t* server;
  lode_agent_t* agent;
  int port, started, answered, closed;
} ctx_t;

static ctx_t* ctx_of_loop(uv_loop_t* loop) {
  return (ctx_t*) loop; /* the loop is the context's first member */
}

/* The server answers "<url>|<body>". */
typedef struct echo_s {
  lode_http_response_t* res;
  char buf[64];
  size_t len;
} echo_t;

static void srv_data(lode_http_incoming_t* m, lode_slice_t d) {
  echo_t* e = lode_http_incoming_get_data(m);
  if (e->len + d.len <= sizeof(e->buf)) {
    memcpy(e->buf + e->len, d.base, d.len);
    e->len += d.len;
  }
}

static void srv_end(lode_http_incoming_t* m) {
  echo_t* e = lode_http_incoming_get_data(m);
  char body[160];
  int n = snprintf(body, sizeof(body), "%s|%.*s", lode_http_incoming_url(m),
                   (int) e->len, e->buf);
  lode_http_outgoing_end(e->res, (lode_slice_t){ body, (size_t) n }, NULL,
                         NULL);
}

static void srv_close(lode_http_incoming_t* m) {
  free(lode_http_incoming_get_data(m));
}

static const lode_http_incoming_events_t srv_req_events = {
  .on_data = srv_data,
  .on_end = srv_end,
  .on_close = srv_close,
};

static void on_request(lode_http_server_t* s, lode_http_incoming_t* req,
                       lode_http_response_t* res) {
  (void) s;
  echo_t* e = calloc(1, sizeof(*e));
  ASSERT_NOT_NULL(e);
  e->res = res;
  lode_http_incoming_set_data(req, e);
  lode_http_incoming_set_events(req, &srv_req_events);
}

static void start_one(ctx_t* c);

static void on_listening(lode_http_server_t* s) {
  ctx_t* c = lode_http_server_get_data(s);
  c->port = lode_http_server_port(s);
  for (int i = 0; i < IN_FLIGHT; i++)
    start_one(c);
}

static const lode_http_server_events_t server_events = {
  .on_request = on_request,
  .on_listening = on_listening,
};

/* The client: request i carries i in its path and body. */
typedef struct want_s {
  ctx_t* c;
  char text[64];
  char got[160];
  size_t len;
} want_t;

static void cl_data(lode_http_incoming_t* m, lode_slice_t d) {
  want_t* w = lode_http_incoming_get_data(m);
  if (w->len + d.len < sizeof(w->got)) {
    memcpy(w->got + w->len, d.base, d.len);
    w->len += d.len;
  }
}

static void cl_end(lode_http_incoming_t* m) {
  want_t* w = lode_http_incoming_get_data(m);
  ASSERT_MEM_EQ(w->got, w->len, w->text, strlen(w->text));
  w->c->answered++;
}

static const lode_http_incoming_events_t cl_res_events = {
  .on_data = cl_data,
  .on_end = cl_end,
};

static void cl_response(lode_http_request_t* r, lode_http_incoming_t* m) {
  ASSERT_EQ(lode_http_incoming_status_code(m), 200);
  lode_http_incoming_set_data(m, lode_http_outgoing_get_data(r));
  lode_http_incoming_set_events(m, &cl_res_events);
}

static void cl_error(lode_http_request_t* r, const lode_error_t* e) {
  (void) r;
  test_fail(__FILE__, __LINE__, "request error: %s", e->message);
}

static void cl_close(lode_http_request_t* r) {
  want_t* w = lode_http_outgoing_get_data(r);
  ctx_t* c = w->c;
  free(w);
  c->closed++;
  if (c->started < TOTAL) {
    start_one(c);
  } else if (c->closed == TOTAL) {
    lode_agent_destroy(c->agent);
    lode_http_server_close(c->server, NULL, NULL);
  }
}

static const lode_http_request_events_t cl_events = {
  .on_response = cl_response,
  .on_error = cl_error,
  .on_close = cl_close,
};

static void start_one(ctx_t* c) {
  int i = c->started++;
  char path[32], body[32];
  snprintf(path, sizeof(path), "/%d", i);
  int bl = snprintf(body, sizeof(body), "body-%d", i);
  lode_http_request_opts_t o = { .host = "127.0.0.1",
                                 .port = c->port,
                                 .path = path,
                                 .agent = c->agent,
                                 .method = "POST" };
  lode_http_request_t* r;
  ASSERT_OK(lode_http_request(&c->loop, &o, &cl_events, &r));
  want_t* w = calloc(1, sizeof(*w));
  ASSERT_NOT_NULL(w);
  w->c = c;
  snprintf(w->text, sizeof(w->text), "%s|%s", path, body);
  lode_http_outgoing_set_data(r, w);
  lode_http_request_end(r, (lode_slice_t){ body, (size_t) bl }, NULL, NULL);
}

static void* run_thread(void* arg) {
  ctx_t* c = arg;
  ASSERT_OK(uv_loop_init(&c->loop));
  ASSERT(ctx_of_loop(&c->loop) == c);
  ASSERT_OK(
      lode_http_create_server(&c->loop, NULL, &server_events, &c->server));
  lode_http_server_set_data(c->server, c);
  ASSERT_OK(lode_http_server_listen(
      c->server, &(lode_listen_opts_t){ .host = "127.0.0.1" }, NULL, NULL));
  lode_agent_opts_t ao = { .keep_alive = 1, .max_sockets = 4 };
  ASSERT_OK(lode_agent_create(&c->loop, &ao, &c->agent));
  test_run_loop(&c->loop, 60000);
  ASSERT_EQ(c->answered, TOTAL);
  ASSERT_EQ(c->closed, TOTAL);
  ASSERT_OK(uv_loop_close(&c->loop));
  return NULL;
}

TEST(server_and_client_in_four_threads) {
  static ctx_t ctx[THREADS];
  pthread_t t[THREADS];
  for (int i = 0; i < THREADS; i++)
    ASSERT_OK(pthread_create(&t[i], NULL, run_thread, &ctx[i]));
  for (int i = 0; i < THREADS; i++)
    ASSERT_OK(pthread_join(t[i], NULL));
}

TEST_MAIN(server_and_client_in_four_threads)
