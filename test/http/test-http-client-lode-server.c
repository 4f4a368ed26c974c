/* The client against lode's own server over TCP: many keep-alive requests
 * in flight on a few sockets, bodies both ways, every answer checked. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lode.h"
#include "test.h"

#define TOTAL 400
#define IN_FLIGHT 20

static uv_loop_t loop;
static lode_http_server_t* server;
static lode_agent_t* agent;
static int port, started, answered, closed;

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
  .on_data = srv_data, .on_end = srv_end, .on_close = srv_close
};

static void on_request(lode_http_server_t* s, lode_http_incoming_t* req,
                       lode_http_response_t* res) {
  echo_t* e = calloc(1, sizeof(*e));
  e->res = res;
  lode_http_incoming_set_data(req, e);
  lode_http_incoming_set_events(req, &srv_req_events);
}

static void start_one(void);

static void on_listening(lode_http_server_t* s) {
  port = lode_http_server_port(s);
  for (int i = 0; i < IN_FLIGHT; i++)
    start_one();
}

static const lode_http_server_events_t server_events = {
  .on_request = on_request, .on_listening = on_listening
};

/* Client side: each request carries its number in the path and a body;
 * the answer must be "/n|body-n". */
typedef struct want_s {
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
  answered++;
}

static const lode_http_incoming_events_t cl_res_events = { .on_data = cl_data,
                                                           .on_end = cl_end };

static void cl_response(lode_http_request_t* r, lode_http_incoming_t* m) {
  ASSERT_EQ(lode_http_incoming_status_code(m), 200);
  lode_http_incoming_set_data(m, lode_http_outgoing_get_data(r));
  lode_http_incoming_set_events(m, &cl_res_events);
}

static void cl_error(lode_http_request_t* r, const lode_error_t* e) {
  test_fail(__FILE__, __LINE__, "request error: %s", e->message);
}

static void cl_close(lode_http_request_t* r) {
  free(lode_http_outgoing_get_data(r));
  closed++;
  if (started < TOTAL)
    start_one();
  else if (closed == TOTAL)
    lode_http_server_close(server, NULL, NULL);
}

static const lode_http_request_events_t cl_events = {
  .on_response = cl_response, .on_error = cl_error, .on_close = cl_close
};

static void start_one(void) {
  int i = started++;
  char path[32], body[32];
  snprintf(path, sizeof(path), "/%d", i);
  int bl = snprintf(body, sizeof(body), "body-%d", i);
  lode_http_request_opts_t o = { .host = "127.0.0.1",
                                 .port = port,
                                 .path = path,
                                 .agent = agent,
                                 .method = i % 2 ? "POST" : "PUT" };
  lode_http_request_t* r;
  ASSERT_OK(lode_http_request(&loop, &o, &cl_events, &r));
  want_t* w = calloc(1, sizeof(*w));
  snprintf(w->text, sizeof(w->text), "%s|%s", path, body);
  lode_http_outgoing_set_data(r, w);
  if (i % 3 == 0) { /* chunked: two writes, then end */
    lode_http_request_write(r, (lode_slice_t){ body, 3 }, NULL, NULL);
    lode_http_request_write(r, (lode_slice_t){ body + 3, (size_t) bl - 3 },
                            NULL, NULL);
    lode_http_request_end(r, (lode_slice_t){ NULL, 0 }, NULL, NULL);
  } else {
    lode_http_request_end(r, (lode_slice_t){ body, (size_t) bl }, NULL, NULL);
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
