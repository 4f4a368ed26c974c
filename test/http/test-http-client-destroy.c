/* destroy() and abort() at each point of a request: the orders the
 * specification lists, checked against Node 20 (test/peers/
 * client-orders.js prints Node's; where lode keeps the specification's
 * order instead, lode/http_client.h says why). */
#include "client-test.h"

static uv_loop_t loop;
/* 0: right away, 1: on 'socket', 2: on the first data, 3: on 'end' */
static int when;
/* 0: destroy(), 1: destroy(err), 2: abort(), 3: res.destroy(),
 * 4: res.destroy(err) */
static int how;
static int keep_alive;
static lode_http_request_t* req;

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
}

/* request.destroyed and request.aborted as 'close' comes (Node's
 * test-http-client-abort-destroy). */
static int closed_destroyed, closed_aborted;

static void d_close(lode_http_request_t* r) {
  closed_destroyed = lode_http_request_destroyed(r);
  closed_aborted = lode_http_request_aborted(r);
  ct_close(r);
}

static const lode_http_request_events_t d_events = {
  d_socket, d_response, NULL, NULL, NULL, NULL, NULL, ct_finish, NULL,
  ct_abort, ct_error, d_close
};

static void run_ka(int w, int h, int ka, const char* want) {
  keep_alive = ka;
  when = w;
  how = h;
  uv_loop_init(&loop);
  ct_start_peer();
  lode_agent_t* a;
  lode_agent_opts_t ao = { .keep_alive = keep_alive };
  ASSERT_OK(lode_agent_create(&loop, &ao, &a));
  const char* path = w == 2 ? "/hold" : w == 3 ? "/ok" : "/slow";
  lode_http_request_opts_t o = { .host = "127.0.0.1", .port = ct_port,
                                 .path = path,
                                 .agent = a };
  ASSERT_OK(lode_http_request(&loop, &o, &d_events, &req));
  lode_http_request_end(req, (lode_slice_t){ NULL, 0 }, NULL, NULL);
  if (w == 0)
    act();
  closed_destroyed = closed_aborted = -1;
  test_run_loop(&loop, 10000);
  ASSERT_TRACE(want);
  ASSERT_EQ(closed_destroyed, 1);
  ASSERT_EQ(closed_aborted, h == 2);
  lode_agent_destroy(a);
  test_run_loop(&loop, 5000);
  test_loop_close(&loop);
  test_peer_kill(ct_peer);
}

static void run(int w, int h, const char* want) {
  run_ka(w, h, 1, want);
}

TEST(destroy_before_socket) {
  run(0, 0, "error(ECONNRESET socket hang up),close");
}

TEST(destroy_err_before_socket) {
  run(0, 1, "error(ECANCELED boom),close");
}

TEST(destroy_on_socket) {
  run(1, 0, "socket,error(ECONNRESET socket hang up),close");
}

TEST(destroy_err_on_socket) {
  run(1, 1, "socket,error(ECANCELED boom),close");
}

TEST(destroy_after_response) {
  run(2, 0, "socket,response(200),data(2),aborted,close,"
            "res error(ECONNRESET aborted),res close");
}

/* Node 20's order: the error given goes to the request (as in every
 * other destroy(err)), the response gets "aborted". */
TEST(destroy_err_after_response) {
  run(2, 1, "socket,response(200),data(2),error(ECANCELED boom),aborted,"
            "close,res error(ECONNRESET aborted),res close");
}

TEST(res_destroy_mid_body) {
  run(2, 3, "socket,response(200),data(2),aborted,res close,close");
}

TEST(res_destroy_err_mid_body) {
  run(2, 4, "socket,response(200),data(2),aborted,error(ECANCELED boom),"
            "res error(ECANCELED boom),res close,close");
}

/* After 'end' on a kept-alive socket the request is over: nothing more. */
TEST(destroy_err_after_end_keep_alive) {
  run_ka(3, 1, 1, "socket,response(200),data(2),end,close,res close");
}

/* After 'end' on a connection that closes: the request's error (or
 * 'abort') still comes, before its 'close'. Node 20 emits the response's
 * 'close' one tick after 'end', so there it follows the error; lode's
 * comes with the end. */
TEST(destroy_err_after_end) {
  run_ka(3, 1, 0, "socket,response(200),data(2),end,res close,"
                  "error(ECANCELED boom),close");
}

TEST(abort_after_end) {
  run_ka(3, 2, 0, "socket,response(200),data(2),end,res close,abort,close");
}

TEST(abort_before_socket) {
  run(0, 2, "abort,close");
}

TEST(abort_on_socket) {
  run(1, 2, "socket,abort,error(ECONNRESET socket hang up),close");
}

TEST(abort_after_response) {
  run(2, 2, "socket,response(200),data(2),abort,aborted,"
            "res error(ECONNRESET aborted),close,res close");
}

TEST_MAIN(destroy_before_socket, destroy_err_before_socket,
          destroy_on_socket, destroy_err_on_socket, destroy_after_response,
          destroy_err_after_response, abort_before_socket, abort_on_socket,
          abort_after_response, res_destroy_mid_body,
          res_destroy_err_mid_body, destroy_err_after_end_keep_alive,
          destroy_err_after_end, abort_after_end)
