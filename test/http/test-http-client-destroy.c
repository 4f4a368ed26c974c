/* destroy() and abort() at each point of a request, with
 * request.destroyed and request.aborted at 'close' (Node's
 * test-http-client-abort-destroy): each case runs in lode, then in Node 20
 * (test/peers/client-orders.js) against the same scripted server, and the
 * traces must be equal. The two cases where lode keeps the
 * specification's order instead (lode/http_client.h says why) pin both
 * orders. */
#include "client-test.h"

static uv_loop_t loop;
/* 0: right away, 1: on 'socket', 2: on the first data, 3: on 'end',
 * 4: on 'response' (the whole body came with the head), 5: on 'response'
 * (the body not whole) */
static int when;
/* 0: destroy(), 1: destroy(err), 2: abort(), 3: res.destroy(),
 * 4: res.destroy(err) */
static int how;
static lode_http_request_t* req;
static const char* const whens[] = { "now", "socket",   "data",
                                     "end", "response", "responsehold" };
static const char* const hows[] = { "destroy", "destroy(err)", "abort",
                                    "res.destroy", "res.destroy(err)" };

static void act(void) {
  lode_error_t e;
  lode_error_init(&e, UV_ECANCELED);
  lode_error_set_message(&e, "boom");
  if (how == 2)
    lode_http_request_abort(req);
  else if (how >= 3)
    lode_http_incoming_destroy(lode_http_request_res(req),
                               how == 4 ? &e : NULL);
  else
    lode_http_request_destroy(req, how == 1 ? &e : NULL);
}

static void d_data(lode_http_incoming_t* m, lode_slice_t d) {
  ct_res_data(m, d);
  if (when == 2)
    act();
}

static void d_end(lode_http_incoming_t* m) {
  ct_res_end(m);
  if (when == 3)
    act();
}

static const lode_http_incoming_events_t d_res_events = {
  d_data, d_end, ct_res_aborted, ct_res_error, NULL, ct_res_close
};

static void d_socket(lode_http_request_t* r, lode_stream_t* s) {
  test_trace("socket");
  if (when == 1)
    act();
}

static void d_response(lode_http_request_t* r, lode_http_incoming_t* m) {
  test_trace("response(%d)", lode_http_incoming_status_code(m));
  lode_http_incoming_set_events(m, &d_res_events);
  if (when >= 4)
    act();
}

static void d_close(lode_http_request_t* r) {
  test_trace("close(destroyed %d aborted %d)", lode_http_request_destroyed(r),
             lode_http_request_aborted(r));
}

static const lode_http_request_events_t d_events = {
  d_socket, d_response, NULL, NULL,     NULL,     NULL,
  NULL,     NULL,       NULL, ct_abort, ct_error, d_close
};

/* lode's trace of the case, left in the test's trace. */
static void run_lode(int ka) {
  lode_agent_t* a;
  lode_agent_opts_t ao = { .keep_alive = ka };
  ASSERT_OK(lode_agent_create(&loop, &ao, &a));
  static const char* const paths[] = { "/slow", "/slow", "/hold",
                                       "/ok",   "/ok",   "/hold" };
  const char* path = paths[when];
  lode_http_request_opts_t o = {
    .host = "127.0.0.1", .port = ct_port, .path = path, .agent = a
  };
  ASSERT_OK(lode_http_request(&loop, &o, &d_events, &req));
  lode_http_request_end(req, (lode_slice_t){ NULL, 0 }, NULL, NULL);
  if (when == 0)
    act();
  test_run_loop(&loop, 10000);
  lode_agent_destroy(a);
  test_run_loop(&loop, 5000);
}

/* Node 20's trace of the same case against the same server (malloc'd). */
static char* run_node(int ka) {
  char port[16], name[64];
  snprintf(port, sizeof(port), "%d", ct_port);
  snprintf(name, sizeof(name), "%s-%s-%d", whens[when], hows[how], ka);
  const char* argv[] = { "node", "test/peers/client-orders.js", port, name,
                         NULL };
  char* out = NULL;
  ASSERT_EQ(test_peer_finish(test_peer_start(argv), 20000, &out), 0);
  out[strcspn(out, "\n")] = '\0';
  return out;
}

/* Runs the case in lode and in Node. lode_order NULL: the traces must be
 * equal; else lode's must be lode_order and Node's node_order (a
 * documented difference). */
static void check(int w, int h, int ka, const char* lode_order,
                  const char* node_order) {
  when = w;
  how = h;
  uv_loop_init(&loop);
  ct_start_peer();
  run_lode(ka);
  test_loop_close(&loop);
  char* node = run_node(ka);
  test_peer_kill(ct_peer);
  if (lode_order == NULL) {
    ASSERT_STR_EQ(test_trace_get(), node);
  } else {
    ASSERT_STR_EQ(test_trace_get(), lode_order);
    ASSERT_STR_EQ(node, node_order);
  }
  free(node);
}

static void same_as_node(int w, int h, int ka) {
  check(w, h, ka, NULL, NULL);
}

TEST(destroy_before_socket) {
  same_as_node(0, 0, 1);
}

TEST(destroy_err_before_socket) {
  same_as_node(0, 1, 1);
}

TEST(destroy_on_socket) {
  same_as_node(1, 0, 1);
}

TEST(destroy_err_on_socket) {
  same_as_node(1, 1, 1);
}

TEST(destroy_after_response) {
  same_as_node(2, 0, 1);
}

/* The error given goes to the request (as in every other destroy(err)),
 * the response gets "aborted". */
TEST(destroy_err_after_response) {
  same_as_node(2, 1, 1);
}

TEST(res_destroy_mid_body) {
  same_as_node(2, 3, 1);
}

TEST(res_destroy_err_mid_body) {
  same_as_node(2, 4, 1);
}

/* res.destroy() in 'response', the whole body read with the head: the
 * response still ends and closes (it leaked: a body complete in the same
 * read kept it from the closing path for destroyed responses). */
TEST(res_destroy_on_response_body_whole) {
  same_as_node(4, 3, 1);
}

TEST(res_destroy_on_response_body_to_come) {
  same_as_node(5, 3, 1);
}

/* After 'end' on a kept-alive socket the request is over: nothing more. */
TEST(destroy_err_after_end_keep_alive) {
  same_as_node(3, 1, 1);
}

/* After 'end' on a connection that closes: the request's error (or
 * 'abort') still comes, before the response's close (one tick after its
 * end) and the request's. */
TEST(destroy_err_after_end) {
  same_as_node(3, 1, 0);
}

TEST(abort_after_end) {
  same_as_node(3, 2, 0);
}

TEST(abort_on_socket) {
  same_as_node(1, 2, 1);
}

/* Differences kept on purpose: close is always an object's last event
 * (Node: close, then abort) ... */
TEST(abort_before_socket) {
  check(0, 2, 1, "abort,close(destroyed 1 aborted 1)",
        "close(destroyed 1 aborted 1),abort");
}

/* ... and the specification's explicit order after the response: the
 * response's error before the request's close (Node: close first). */
TEST(abort_after_response) {
  check(2, 2, 1,
        "socket,response(200),data(2),abort,aborted,"
        "res error(ECONNRESET aborted),close(destroyed 1 aborted 1),"
        "res close",
        "socket,response(200),data(2),abort,aborted,"
        "close(destroyed 1 aborted 1),res error(ECONNRESET aborted),"
        "res close");
}

TEST_MAIN(destroy_before_socket, destroy_err_before_socket, destroy_on_socket,
          destroy_err_on_socket, destroy_after_response,
          destroy_err_after_response, abort_before_socket, abort_on_socket,
          abort_after_response, res_destroy_mid_body, res_destroy_err_mid_body,
          res_destroy_on_response_body_whole,
          res_destroy_on_response_body_to_come,
          destroy_err_after_end_keep_alive, destroy_err_after_end,
          abort_after_end)
