/* ClientRequest options and calls: timeout, signal, HEAD, maxHeadersCount,
 * maxHeaderSize, the response's pause, createConnection (lode's own
 * server over an in-memory pair) and socketPath. */
#include <unistd.h>

#include "client-test.h"

static uv_loop_t loop;
static lode_http_request_t* req;

static void setup(void) {
  uv_loop_init(&loop);
  ct_start_peer();
}

static void teardown(void) {
  lode_agent_destroy(lode_http_global_agent(&loop));
  test_run_loop(&loop, 5000);
  test_loop_close(&loop);
  if (ct_peer != NULL)
    test_peer_kill(ct_peer);
  ct_peer = NULL;
}

static lode_http_request_t* start(lode_http_request_opts_t* o,
                                  const lode_http_request_events_t* ev) {
  if (o->host == NULL && o->socket_path == NULL) {
    o->host = "127.0.0.1";
    o->port = ct_port;
  }
  ASSERT_OK(lode_http_request(&loop, o, ev, &req));
  return req;
}

static void t_timeout(lode_http_request_t* r) {
  test_trace("timeout");
  lode_http_request_destroy(r, NULL);
}

static const lode_http_request_events_t timeout_events = {
  ct_socket, ct_response, NULL, NULL, NULL,     NULL,
  t_timeout, ct_finish,   NULL, NULL, ct_error, ct_close
};

TEST(timeout_option) {
  setup();
  lode_http_request_opts_t o = { .path = "/slow", .timeout = 40 };
  start(&o, &timeout_events);
  lode_http_request_end(req, (lode_slice_t){ NULL, 0 }, NULL, NULL);
  test_run_loop(&loop, 5000);
  ASSERT_TRACE(
      "socket,timeout,error(ECONNRESET socket hang up),"
      "close");
  teardown();
}

static void timeout_cb(lode_http_request_t* r, int status, void* arg) {
  ASSERT_OK(status);
  test_trace("cb(%s)", (const char*) arg);
  lode_http_request_destroy(r, NULL);
}

TEST(set_timeout_callback) {
  setup();
  lode_http_request_opts_t o = { .path = "/slow" };
  start(&o, &ct_events);
  ASSERT_OK(lode_http_request_set_timeout(req, 40, timeout_cb, "x"));
  lode_http_request_end(req, (lode_slice_t){ NULL, 0 }, NULL, NULL);
  test_run_loop(&loop, 5000);
  ASSERT_TRACE(
      "socket,timeout,cb(x),"
      "error(ECONNRESET socket hang up),close");
  teardown();
}

TEST(abort_signal) {
  setup();
  lode_abort_controller_t* c;
  ASSERT_OK(lode_abort_controller_create(&c));
  lode_http_request_opts_t o = { .path = "/slow",
                                 .signal = lode_abort_controller_signal(c) };
  start(&o, &ct_events);
  lode_http_request_end(req, (lode_slice_t){ NULL, 0 }, NULL, NULL);
  lode_abort_controller_abort(c, 0);
  lode_abort_controller_release(c);
  test_run_loop(&loop, 5000);
  ASSERT_TRACE("error(ABORT_ERR The operation was aborted),close");
  teardown();
}

TEST(head_has_no_body) {
  setup();
  lode_http_request_opts_t o = { .path = "/head", .method = "HEAD" };
  start(&o, &ct_events);
  lode_http_request_end(req, (lode_slice_t){ NULL, 0 }, NULL, NULL);
  test_run_loop(&loop, 5000);
  ASSERT_TRACE("socket,response(200),end,close,res close");
  ASSERT_EQ(lode_agent_free_sockets(lode_http_global_agent(&loop), NULL), 1);
  teardown();
}

static void count_response(lode_http_request_t* r, lode_http_incoming_t* m) {
  test_trace("response(%zu headers, %s)", lode_http_incoming_headers_count(m),
             lode_http_incoming_header(m, "x-a"));
  lode_http_incoming_set_events(m, &ct_res_events);
}

static const lode_http_request_events_t count_events = {
  NULL, count_response, NULL, NULL, NULL,     NULL,
  NULL, NULL,           NULL, NULL, ct_error, NULL
};

TEST(max_headers_count) {
  setup();
  lode_http_request_opts_t o = { .path = "/chunked" };
  start(&o, &count_events);
  lode_http_request_set_max_headers_count(req, 2);
  ASSERT_EQ(lode_http_request_max_headers_count(req), 2);
  lode_http_request_end(req, (lode_slice_t){ NULL, 0 }, NULL, NULL);
  test_run_loop(&loop, 5000);
  ASSERT_TRACE("response(2 headers, 1),data(3),data(2),end,res close");
  teardown();
}

static void many_response(lode_http_request_t* r, lode_http_incoming_t* m) {
  size_t npairs;
  lode_http_incoming_raw_headers(m, &npairs);
  size_t n = 2 * npairs; /* strings, as Node's rawHeaders.length */
  test_trace("response(%zu headers, %zu raw, %s)",
             lode_http_incoming_headers_count(m), n,
             lode_http_incoming_header(m, "x-h99"));
  lode_http_incoming_resume(m); /* no on_data: the body is discarded */
}

static const lode_http_request_events_t many_events = {
  NULL, many_response, NULL, NULL, NULL,     NULL,
  NULL, NULL,          NULL, NULL, ct_error, NULL
};

TEST(more_than_64_headers) {
  setup();
  lode_http_request_opts_t o = { .path = "/many" };
  start(&o, &many_events);
  lode_http_request_end(req, (lode_slice_t){ NULL, 0 }, NULL, NULL);
  test_run_loop(&loop, 5000);
  ASSERT_TRACE("response(101 headers, 202 raw, 99)");
  teardown();
}

static void header_response(lode_http_request_t* r, lode_http_incoming_t* m) {
  const char* v = lode_http_incoming_header(m, "x-c");
  if (v == NULL)
    v = lode_http_incoming_header(m, "content-type");
  test_trace("response(%s)", v);
  lode_http_incoming_resume(m);
}

static const lode_http_request_events_t header_events = {
  NULL, header_response, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
  NULL, ct_error,        NULL
};

static void header_case(const char* path, int insecure, int join,
                        const char* want) {
  setup();
  lode_http_request_opts_t o = { .path = path,
                                 .insecure_http_parser = insecure,
                                 .join_duplicate_headers = join };
  start(&o, &header_events);
  lode_http_request_end(req, (lode_slice_t){ NULL, 0 }, NULL, NULL);
  test_run_loop(&loop, 5000);
  ASSERT_TRACE(want);
  teardown();
}

TEST(insecure_http_parser) {
  header_case("/ctl", 0, 0,
              "error(HPE_INVALID_HEADER_TOKEN Parse Error: "
              "Invalid header value char)");
  test_trace_reset();
  header_case("/ctl", 1, 0, "response(a\001b)");
}

TEST(join_duplicate_headers) {
  header_case("/dup", 0, 0, "response(a)");
  test_trace_reset();
  header_case("/dup", 0, 1, "response(a, b)");
}

TEST(max_header_size) {
  setup();
  lode_http_request_opts_t o = { .path = "/chunked", .max_header_size = 20 };
  start(&o, &ct_events);
  lode_http_request_end(req, (lode_slice_t){ NULL, 0 }, NULL, NULL);
  test_run_loop(&loop, 5000);
  ASSERT_TRACE(
      "socket,error(HPE_HEADER_OVERFLOW Parse Error: "
      "Header overflow),close");
  teardown();
}

/* The response paused: lode stops reading the socket, so the server's
 * 200 kB stay mostly in the kernel until resume. */
static uint64_t read_while_paused;

static void resume_later(uv_timer_t* t) {
  lode_http_incoming_t* m = t->data;
  lode_socket_t* s = lode_socket_from_stream(lode_http_request_socket(req));
  read_while_paused = lode_socket_bytes_read(s);
  lode_http_incoming_resume(m);
  uv_close((uv_handle_t*) t, NULL);
}

static uv_timer_t pause_timer;

static void big_data(lode_http_incoming_t* m, lode_slice_t d) {
  ct_body_len += d.len;
}

static const lode_http_incoming_events_t big_events = { big_data, ct_res_end,
                                                        NULL,     ct_res_error,
                                                        NULL,     NULL };

static void pause_response(lode_http_request_t* r, lode_http_incoming_t* m) {
  lode_http_incoming_pause(m);
  lode_http_incoming_set_events(m, &big_events);
  uv_timer_init(&loop, &pause_timer);
  pause_timer.data = m;
  uv_timer_start(&pause_timer, resume_later, 200, 0);
}

static const lode_http_request_events_t pause_events = {
  NULL, pause_response, NULL, NULL, NULL,     NULL,
  NULL, NULL,           NULL, NULL, ct_error, NULL
};

TEST(pause_stops_reading) {
  setup();
  lode_http_request_opts_t o = { .path = "/big" };
  start(&o, &pause_events);
  lode_http_request_end(req, (lode_slice_t){ NULL, 0 }, NULL, NULL);
  test_run_loop(&loop, 5000);
  ASSERT_TRACE("end");
  ASSERT_EQ(ct_body_len, 200000);
  ASSERT_LT(read_while_paused, 150000);
  teardown();
}

/* createConnection: any stream; here lode's own server on a pair. */
static lode_http_server_t* server;

static void on_request(lode_http_server_t* srv, lode_http_incoming_t* rq,
                       lode_http_response_t* res) {
  lode_http_outgoing_end(res, LODE_SLICE("from lode"), NULL, NULL);
}

static const lode_http_server_events_t server_events = {
  .on_request = on_request
};

TEST(create_connection_pair) {
  uv_loop_init(&loop);
  ASSERT_OK(lode_http_create_server(&loop, NULL, &server_events, &server));
  ct_pair_loop = &loop;
  lode_http_request_opts_t o = { .host = "x",
                                 .port = 1,
                                 .create_connection = ct_pair_connection,
                                 .create_connection_arg = server };
  ct_body_len = 0;
  start(&o, &ct_events);
  lode_http_request_end(req, (lode_slice_t){ NULL, 0 }, NULL, NULL);
  test_run_loop(&loop, 5000);
  ASSERT_TRACE("socket,response(200),data(9),end,res close,close");
  ASSERT_MEM_EQ(ct_body, ct_body_len, "from lode", 9);
  lode_http_server_close(server, NULL, NULL);
  teardown();
}

static void on_continue_send(lode_http_request_t* r) {
  test_trace("continue");
  lode_http_request_end(r, LODE_SLICE("late body"), NULL, NULL);
}

static void echo_request(lode_http_server_t* srv, lode_http_incoming_t* rq,
                         lode_http_response_t* res) {
  lode_http_outgoing_end(res, LODE_SLICE("answered"), NULL, NULL);
}

static const lode_http_server_events_t echo_server_events = {
  .on_request = echo_request
};

static const lode_http_request_events_t continue_events = {
  ct_socket, ct_response, ct_information, on_continue_send, NULL,    NULL, NULL,
  ct_finish, NULL,        NULL,           ct_error,         ct_close
};

/* Expect: 100-continue against lode's server (which sends the 100 by
 * itself): the body goes only after 'continue'. */
TEST(expect_continue) {
  uv_loop_init(&loop);
  ASSERT_OK(lode_http_create_server(&loop, NULL, &echo_server_events, &server));
  ct_pair_loop = &loop;
  static const char* const h[] = { "Expect", "100-continue", NULL };
  lode_http_request_opts_t o = { .host = "x",
                                 .port = 1,
                                 .method = "POST",
                                 .headers = h,
                                 .create_connection = ct_pair_connection,
                                 .create_connection_arg = server };
  ct_body_len = 0;
  start(&o, &continue_events);
  ASSERT(lode_http_outgoing_headers_sent(req));
  test_run_loop(&loop, 5000);
  ASSERT_TRACE(
      "socket,continue,information(100 Continue),response(200),"
      "data(8),end,res close,close");
  lode_http_server_close(server, NULL, NULL);
  teardown();
}

TEST(socket_path) {
  char path[64];
  snprintf(path, sizeof(path), "/tmp/lode-client-%d.sock", (int) getpid());
  unlink(path);
  const char* argv[] = { "node", "test/peers/client-server.js", path, NULL };
  uv_loop_init(&loop);
  ct_peer = test_peer_start(argv);
  char line[128];
  test_peer_line(ct_peer, line, sizeof(line), 10000);
  lode_http_request_opts_t o = { .socket_path = path, .path = "/ok" };
  start(&o, &ct_events);
  lode_http_request_end(req, (lode_slice_t){ NULL, 0 }, NULL, NULL);
  test_run_loop(&loop, 5000);
  ASSERT_TRACE("socket,response(200),data(2),end,close,res close");
  teardown();
  unlink(path);
}

static void fake_lookup(lode_lookup_t* l, const char* host, int family,
                        int hints, void* arg) {
  test_trace("lookup(%s)", host);
  lode_lookup_done(l, 0, "127.0.0.1", 4);
}

TEST(lookup_and_local_address) {
  setup();
  lode_http_request_opts_t o = { .host = "server.test",
                                 .port = ct_port,
                                 .path = "/ok",
                                 .lookup = fake_lookup,
                                 .local_address = "127.0.0.1",
                                 .family = 4 };
  start(&o, &ct_events);
  lode_http_request_set_no_delay(req, 1);
  lode_http_request_set_socket_keep_alive(req, 1, 1000);
  lode_http_request_end(req, (lode_slice_t){ NULL, 0 }, NULL, NULL);
  test_run_loop(&loop, 5000);
  /* As in Node, the lookup runs within http.request, 'socket' on the
   * next tick. */
  ASSERT_TRACE(
      "lookup(server.test),socket,response(200),data(2),"
      "end,close,res close");
  teardown();
}

TEST_MAIN(lookup_and_local_address, timeout_option, set_timeout_callback,
          abort_signal, head_has_no_body, max_headers_count,
          more_than_64_headers, insecure_http_parser, join_duplicate_headers,
          max_header_size, pause_stops_reading, create_connection_pair,
          expect_continue, socket_path)
