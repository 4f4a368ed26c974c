/* The client against lode's own server over TCP: many keep-alive requests
 * in flight on a few sockets, bodies both ways, every answer checked. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lode.h"
#include "test.h"
#include "url-echo.h"

#define TOTAL 400
#define IN_FLIGHT 20

static uv_loop_t loop;
static lode_http_server_t* server;
static lode_agent_t* agent;
static int port, started, answered, closed;

static void start_one(void);

static void on_listening(lode_http_server_t* s) {
  port = lode_http_server_port(s);
  for (int i = 0; i < IN_FLIGHT; i++)
    start_one();
}

static const lode_http_server_events_t server_events = {
  .on_request = url_echo_request, .on_listening = on_listening
};

static void cl_close(lode_http_request_t* r) {
  free(lode_http_outgoing_get_data(r));
  closed++;
  if (started < TOTAL)
    start_one();
  else if (closed == TOTAL)
    lode_http_server_close(server, NULL, NULL);
}

static const lode_http_request_events_t cl_events = {
  .on_response = url_echo_response,
  .on_error = url_echo_error,
  .on_close = cl_close
};

/* Request i: PUT and POST in turn, one in three chunked. */
static void start_one(void) {
  int i = started++;
  url_echo_want_t* w = url_echo_want(i, &answered, NULL);
  lode_http_request_opts_t o = { .host = "127.0.0.1",
                                 .port = port,
                                 .path = w->path,
                                 .agent = agent,
                                 .method = i % 2 ? "POST" : "PUT" };
  lode_http_request_t* r;
  ASSERT_OK(lode_http_request(&loop, &o, &cl_events, &r));
  lode_http_outgoing_set_data(r, w);
  if (i % 3 == 0) { /* chunked: two writes, then end */
    lode_http_request_write(r, (lode_slice_t){ w->body, 3 }, NULL, NULL);
    lode_http_request_write(r, (lode_slice_t){ w->body + 3, w->body_len - 3 },
                            NULL, NULL);
    lode_http_request_end(r, (lode_slice_t){ NULL, 0 }, NULL, NULL);
  } else {
    lode_http_request_end(r, (lode_slice_t){ w->body, w->body_len }, NULL,
                          NULL);
  }
}

TEST(many_keep_alive) {
  uv_loop_init(&loop);
  ASSERT_OK(lode_http_create_server(&loop, NULL, &server_events, &server));
  ASSERT_OK(lode_http_server_listen(
      server, &(lode_listen_opts_t){ .host = "127.0.0.1" }, NULL, NULL));
  lode_agent_opts_t ao = { .keep_alive = 1, .max_sockets = 5 };
  ASSERT_OK(lode_agent_create(&loop, &ao, &agent));
  test_run_loop(&loop, 20000);
  ASSERT_EQ(answered, TOTAL);
  ASSERT_EQ(closed, TOTAL);
  lode_agent_destroy(agent);
  test_run_loop(&loop, 5000);
  test_loop_close(&loop);
}

TEST_MAIN(many_keep_alive)
