/* The HTTP server's events over the in-memory pair: setTimeout callbacks
 * on the server, the request and the response (Node's socketOnTimeout
 * order), destroy from inside each callback, and the order of 'aborted'
 * and 'close' when the client goes away. */
#include <string.h>

#include "lode.h"
#include "test.h"
#include "server-pair.h"

/* ---- setTimeout(msecs, callback) ---- */

static void req_to(lode_http_incoming_t* req, int status, void* arg) {
  ASSERT_OK(status);
  test_trace("req-timeout:%s", (const char*) arg);
}

static void res_to(lode_http_outgoing_t* res, int status, void* arg) {
  ASSERT_OK(status);
  test_trace("res-timeout:%s", (const char*) arg);
}

static void srv_to(lode_stream_t* s, int status, void* arg) {
  ASSERT_OK(status);
  test_trace("srv-timeout:%s", (const char*) arg);
  lode_stream_destroy(s, NULL);
}

static void on_req_timeout_ev(lode_http_incoming_t* req) {
  test_trace("req-on_timeout");
}

static const lode_http_incoming_events_t req_to_events = {
  .on_timeout = on_req_timeout_ev,
};

/* The body never completes: the request hears first (event, then the
 * callback), then the response, then the server. */
static void slow_body(lode_http_server_t* srv, lode_http_incoming_t* req,
                      lode_http_response_t* res) {
  lode_http_incoming_set_events(req, &req_to_events);
  ASSERT_OK(lode_http_incoming_set_timeout(req, 20, req_to, "r"));
  ASSERT_OK(lode_http_outgoing_set_timeout(res, 30, res_to, "s"));
  lode_http_server_set_timeout(srv, 0, srv_to, "v");
  ASSERT_EQ(lode_http_server_timeout(srv), 0);
}

static const lode_http_server_events_t slow_body_ev = {
  .on_request = slow_body,
};

TEST(timeout_callbacks_in_node_order) {
  X_no_fin = 1;
  X_hold = 1;
  run(NULL, &slow_body_ev,
      "POST / HTTP/1.1\r\nHost: x\r\n"
      "Content-Length: 5\r\n\r\nab");
  X_no_fin = 0;
  X_hold = 0;
  ASSERT_TRACE(
      "req-on_timeout,req-timeout:r,res-timeout:s,srv-timeout:v,"
      "cli-end,cli-close(0)");
}

/* A complete request no longer hears 'timeout' (Node: !req.complete);
 * with nobody else listening the connection is destroyed. */
static void complete_get(lode_http_server_t* srv, lode_http_incoming_t* req,
                         lode_http_response_t* res) {
  lode_http_incoming_set_timeout(req, 20, req_to, "r");
  test_trace("request");
}

static const lode_http_server_events_t complete_ev = {
  .on_request = complete_get,
};

TEST(timeout_complete_request_unheard) {
  X_no_fin = 1;
  X_hold = 1;
  const char* got = run(NULL, &complete_ev,
                        "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  X_no_fin = 0;
  X_hold = 0;
  ASSERT_TRACE("request,cli-end,cli-close(0)");
  ASSERT_STR_EQ(got, "");
}

/* The response's callback alone keeps the connection: the handler answers
 * from it. */
static void answer_late(lode_http_outgoing_t* res, int status, void* arg) {
  (void) status;
  test_trace("res-timeout");
  lode_http_outgoing_end(res, LODE_SLICE("late"), NULL, NULL);
}

static void waits(lode_http_server_t* srv, lode_http_incoming_t* req,
                  lode_http_response_t* res) {
  lode_http_outgoing_set_timeout(res, 20, answer_late, NULL);
}

static const lode_http_server_events_t waits_ev = { .on_request = waits };

TEST(timeout_response_callback_keeps_connection) {
  X_no_fin = 1;
  X_hold = 1;
  const char* got = run(NULL, &waits_ev,
                        "GET / HTTP/1.1\r\nHost: x\r\n"
                        "Connection: close\r\n\r\n");
  X_no_fin = 0;
  X_hold = 0;
  ASSERT_TRACE("res-timeout,cli-end,cli-close(0)");
  ASSERT_STR_EQ(got,
                "HTTP/1.1 200 OK\r\nDate: X\r\nConnection: close\r\n"
                "Content-Length: 4\r\n\r\nlate");
}

/* ---- The client goes before the response ends ---- */

static void gone_req_end(lode_http_incoming_t* req) {
  test_trace("end");
}

static void gone_req_close(lode_http_incoming_t* req) {
  test_trace("req-close:aborted=%d", lode_http_incoming_aborted(req));
}

static void gone_req_error(lode_http_incoming_t* req, const lode_error_t* e) {
  test_trace("req-error:%s", e->name);
}

static void gone_res_close(lode_http_outgoing_t* res) {
  test_trace("res-close:ended=%d", lode_http_outgoing_writable_ended(res));
}

static void gone_res_finish(lode_http_outgoing_t* res) {
  test_trace("finish");
}

static const lode_http_incoming_events_t gone_req_events = {
  .on_end = gone_req_end,
  .on_close = gone_req_close,
  .on_error = gone_req_error,
};

static const lode_http_outgoing_events_t gone_res_events = {
  .on_close = gone_res_close,
  .on_finish = gone_res_finish,
};

static void client_goes(lode_http_server_t* srv, lode_http_incoming_t* req,
                        lode_http_response_t* res) {
  test_trace("request");
  lode_http_incoming_set_events(req, &gone_req_events);
  lode_http_outgoing_set_events(res, &gone_res_events);
  lode_stream_destroy(X->client, NULL);
}

static const lode_http_server_events_t client_goes_ev = {
  .on_request = client_goes,
};

/* A complete request whose response never ended and whose body nobody
 * read: no 'aborted', no error; the connection ends at the client's FIN
 * (it used to wait for the response forever), the response closes, then
 * the request (Node 20 with the same handler: request, res-close,
 * req-close). */
TEST(client_gone_before_end) {
  X_no_fin = 1;
  run(NULL, &client_goes_ev, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  X_no_fin = 0;
  ASSERT_TRACE(
      "request,cli-close(0),res-close:ended=0,"
      "req-close:aborted=0");
}

/* ---- closeIdleConnections with a request in progress ---- */

static lode_http_response_t* held_res;

static void hold_res(lode_http_server_t* srv, lode_http_incoming_t* req,
                     lode_http_response_t* res) {
  test_trace("request");
  held_res = res;
  lode_http_outgoing_hold(res);
}

/* Once the loop is quiet: the request has been handled and its response
 * is held. */
static void close_idle_then_answer(exchange_t* x) {
  test_trace("close-idle");
  lode_http_server_close_idle_connections(x->srv);
  lode_http_outgoing_end(held_res, LODE_SLICE("still here"), NULL, NULL);
  lode_http_outgoing_release(held_res);
}

static const lode_http_server_events_t hold_ev = { .on_request = hold_res };

/* Node's test-http-server-close-idle-wait-response: a connection whose
 * request is being handled is not idle; its response still arrives. */
TEST(close_idle_spares_active) {
  X_no_fin = 1;
  X_when_quiet = close_idle_then_answer;
  const char* got = run(NULL, &hold_ev,
                        "GET / HTTP/1.1\r\nHost: x\r\n"
                        "Connection: close\r\n\r\n");
  X_no_fin = 0;
  X_when_quiet = NULL;
  ASSERT_TRACE("request,close-idle,cli-end,cli-close(0)");
  ASSERT_STR_EQ(got,
                "HTTP/1.1 200 OK\r\nDate: X\r\nConnection: close\r\n"
                "Content-Length: 10\r\n\r\nstill here");
}

/* ---- destroy from inside each callback ---- */

static int where;

static void d_data(lode_http_incoming_t* req, lode_slice_t d) {
  if (where == 1)
    lode_http_incoming_destroy(req, NULL);
}

static void d_end(lode_http_incoming_t* req) {
  lode_http_response_t* res = lode_http_incoming_get_data(req);
  if (where == 2) {
    lode_http_outgoing_destroy(res, NULL);
    return;
  }
  lode_http_outgoing_end(res, LODE_SLICE("x"), NULL, NULL);
}

static void d_prefinish(lode_http_outgoing_t* res) {
  if (where == 3)
    lode_http_outgoing_destroy(res, NULL);
}

static void d_finish(lode_http_outgoing_t* res) {
  if (where == 4)
    lode_http_outgoing_destroy(res, NULL);
}

static void d_res_close(lode_http_outgoing_t* res) {
  test_trace("res-close");
  if (where == 5)
    lode_http_outgoing_destroy(res, NULL);
}

static void d_req_close(lode_http_incoming_t* req) {
  test_trace("req-close");
  if (where == 6)
    lode_http_incoming_destroy(req, NULL);
}

static const lode_http_incoming_events_t d_req_events = {
  .on_data = d_data,
  .on_end = d_end,
  .on_close = d_req_close,
};

static const lode_http_outgoing_events_t d_res_events = {
  .on_prefinish = d_prefinish,
  .on_finish = d_finish,
  .on_close = d_res_close,
};

static void d_request(lode_http_server_t* srv, lode_http_incoming_t* req,
                      lode_http_response_t* res) {
  if (where == 0) {
    lode_http_outgoing_destroy(res, NULL);
    return;
  }
  lode_http_incoming_set_data(req, res);
  lode_http_incoming_set_events(req, &d_req_events);
  lode_http_outgoing_set_events(res, &d_res_events);
}

static void d_continue(lode_http_server_t* srv, lode_http_incoming_t* req,
                       lode_http_response_t* res) {
  lode_http_incoming_destroy(req, NULL);
}

static const lode_http_server_events_t d_ev = {
  .on_request = d_request,
  .on_check_continue = d_continue,
};

/* Each destroy ends the exchange: both objects close once, the client
 * sees the connection go, nothing leaks (LeakSanitizer). where: 0
 * on_request, 1 on_data, 2 on_end, 3 on_prefinish, 4 on_finish, 5 the
 * response's on_close, 6 the request's on_close. */
TEST(destroy_inside_each_callback) {
  static const char* const want[] = {
    "cli-end,cli-close(0)",
    "res-close,req-close,cli-end,cli-close(0)",
    "res-close,req-close,cli-end,cli-close(0)",
    "res-close,req-close,cli-end,cli-close(0)",
    "res-close,req-close,cli-end,cli-close(0)",
    "res-close,req-close,cli-end,cli-close(0)",
    "res-close,req-close,cli-end,cli-close(0)",
  };
  for (where = 0; where < 7; where++) {
    X_no_fin = 1;
    const char* got = run(NULL, &d_ev,
                          "POST / HTTP/1.1\r\nHost: x\r\n"
                          "Content-Length: 6\r\nConnection: close\r\n"
                          "\r\nabcdef");
    /* After 'finish' the response has no connection: destroying it does
     * nothing and the answer stands. */
    if (where >= 4)
      ASSERT_NOT_NULL(strstr(got, "\r\n\r\nx"));
    X_no_fin = 0;
    if (strcmp(test_trace_get(), want[where]) != 0)
      test_fail(__FILE__, __LINE__, "where=%d: %s", where, test_trace_get());
  }
  X_no_fin = 1;
  run(NULL, &d_ev,
      "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 6\r\n"
      "Expect: 100-continue\r\n\r\n");
  X_no_fin = 0;
  ASSERT_TRACE("cli-end,cli-close(0)");
}

TEST_MAIN(timeout_callbacks_in_node_order, timeout_complete_request_unheard,
          timeout_response_callback_keeps_connection, client_gone_before_end,
          close_idle_spares_active, destroy_inside_each_callback)
