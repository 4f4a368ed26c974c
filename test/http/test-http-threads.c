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
#include "url-echo.h"

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

static void start_one(ctx_t* c);

static void on_listening(lode_http_server_t* s) {
  ctx_t* c = lode_http_server_get_data(s);
  c->port = lode_http_server_port(s);
  for (int i = 0; i < IN_FLIGHT; i++)
    start_one(c);
}

static const lode_http_server_events_t server_events = {
  .on_request = url_echo_request,
  .on_listening = on_listening,
};

static void cl_close(lode_http_request_t* r) {
  url_echo_want_t* w = lode_http_outgoing_get_data(r);
  ctx_t* c = w->owner;
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
  .on_response = url_echo_response,
  .on_error = url_echo_error,
  .on_close = cl_close,
};

static void start_one(ctx_t* c) {
  url_echo_want_t* w = url_echo_want(c->started++, &c->answered, c);
  lode_http_request_opts_t o = { .host = "127.0.0.1",
                                 .port = c->port,
                                 .path = w->path,
                                 .agent = c->agent,
                                 .method = "POST" };
  lode_http_request_t* r;
  ASSERT_OK(lode_http_request(&c->loop, &o, &cl_events, &r));
  lode_http_outgoing_set_data(r, w);
  lode_http_request_end(r, (lode_slice_t){ w->body, w->body_len }, NULL, NULL);
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
