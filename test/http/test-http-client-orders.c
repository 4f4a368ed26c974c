/* ClientRequest event orders against a scripted Node server (split_bytes:
 * an in-memory pair), as the specification lists them. */
#include "client-test.h"

static uv_loop_t loop;

static lode_http_request_t* start(const char* path, lode_agent_t* agent) {
  lode_http_request_opts_t o = {
    .host = "127.0.0.1", .port = ct_port, .path = path, .agent = agent
  };
  lode_http_request_t* r;
  ASSERT_OK(lode_http_request(&loop, &o, &ct_events, &r));
  return r;
}

static void finish(lode_agent_t* a) {
  lode_agent_destroy(a);
  test_run_loop(&loop, 5000);
  test_loop_close(&loop);
  test_peer_kill(ct_peer);
}

static lode_agent_t* setup(int keep_alive) {
  uv_loop_init(&loop);
  ct_start_peer();
  lode_agent_t* a;
  lode_agent_opts_t o = { .keep_alive = keep_alive };
  ASSERT_OK(lode_agent_create(&loop, &o, &a));
  return a;
}

static void run_one(const char* path, int keep_alive, const char* want) {
  lode_agent_t* a = setup(keep_alive);
  lode_http_request_t* r = start(path, a);
  lode_http_request_end(r, (lode_slice_t){ NULL, 0 }, NULL, NULL);
  test_run_loop(&loop, 10000);
  ASSERT_TRACE(want);
  finish(a);
}

TEST(success_keep_alive) {
  run_one("/ok", 1,
          "socket,response(200),data(2),end,close,"
          "res close");
  ASSERT_EQ(ct_finished, 1);
  ASSERT_MEM_EQ(ct_body, ct_body_len, "hi", 2);
}

TEST(success_close) {
  run_one("/close", 1,
          "socket,response(200),data(2),end,"
          "res close,close");
}

TEST(body_to_eof) {
  run_one("/eof", 0,
          "socket,response(200),data(10),end,"
          "res close,close");
  ASSERT_MEM_EQ(ct_body, ct_body_len, "to the end", 10);
}

TEST(premature_close_after_response) {
  run_one("/mid", 1,
          "socket,response(200),data(2),aborted,close,"
          "res error(ECONNRESET aborted),res close");
}

TEST(premature_close_before_response) {
  run_one("/early", 1,
          "socket,"
          "error(ECONNRESET socket hang up),close");
}

TEST(connection_error) {
  uv_loop_init(&loop);
  lode_http_request_opts_t o = { .host = "127.0.0.1", .port = 1 };
  lode_http_request_t* r;
  lode_agent_t* a;
  ASSERT_OK(lode_agent_create(&loop, NULL, &a));
  o.agent = a;
  ASSERT_OK(lode_http_request(&loop, &o, &ct_events, &r));
  lode_http_request_end(r, (lode_slice_t){ NULL, 0 }, NULL, NULL);
  test_run_loop(&loop, 10000);
  ASSERT_TRACE(
      "socket,error(ECONNREFUSED connect ECONNREFUSED "
      "127.0.0.1:1),close");
  lode_agent_destroy(a);
  test_run_loop(&loop, 5000);
  test_loop_close(&loop);
}

TEST(chunked_trailers) {
  run_one("/chunked", 1,
          "socket,response(200),data(3),data(2),end,"
          "close,res close");
  ASSERT_MEM_EQ(ct_body, ct_body_len, "abcde", 5);
}

/* Every byte of the answer a read of its own, the same on every run:
 * the server is the far side of an in-memory pair, which delivers each
 * write as one on_data. */
static void split_peer_data(void* ctx, lode_stream_t* s, lode_slice_t d) {
  static const char msg[] =
      "HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\n"
      "abcdef";
  int* answered = ctx;
  if (*answered || d.len < 4 || memcmp(d.base + d.len - 4, "\r\n\r\n", 4))
    return; /* the request's head comes in one write */
  *answered = 1;
  for (size_t i = 0; i < sizeof(msg) - 1; i++)
    lode_stream_write(s, (lode_slice_t){ msg + i, 1 }, NULL, NULL);
}

static void split_peer_end(void* ctx, lode_stream_t* s) {
  lode_stream_end(s, NULL, NULL);
}

static const lode_stream_reader_t split_peer = { .on_data = split_peer_data,
                                                 .on_end = split_peer_end };

static int split_connection(lode_agent_t* a, const lode_agent_conn_opts_t* o,
                            lode_stream_t** out, void* answered) {
  lode_stream_t* b;
  int rc = lode_stream_pair(&loop, out, &b);
  if (rc == 0)
    lode_stream_set_reader(b, &split_peer, answered);
  return rc;
}

TEST(split_bytes) {
  static int answered;
  uv_loop_init(&loop);
  ct_body_len = 0;
  lode_agent_t* a;
  lode_agent_opts_t ao = { .keep_alive = 1,
                           .create_connection = split_connection,
                           .hook_arg = &answered };
  ASSERT_OK(lode_agent_create(&loop, &ao, &a));
  lode_http_request_end(start("/", a), (lode_slice_t){ NULL, 0 }, NULL, NULL);
  test_run_loop(&loop, 10000);
  ASSERT_TRACE(
      "socket,response(200),data(1),data(1),"
      "data(1),data(1),data(1),data(1),end,close,res close");
  ASSERT_MEM_EQ(ct_body, ct_body_len, "abcdef", 6);
  lode_agent_destroy(a);
  test_run_loop(&loop, 5000);
  test_loop_close(&loop);
}

TEST(information) {
  run_one("/info", 1,
          "socket,continue,information(100 Continue),"
          "information(103 Early Hints),response(200),end,"
          "close,res close");
}

TEST(upgrade) {
  lode_agent_t* a = setup(1);
  lode_http_request_t* r = start("/upgrade", a);
  lode_http_outgoing_set_header(r, "Connection", "Upgrade");
  lode_http_outgoing_set_header(r, "Upgrade", "foo");
  lode_http_request_end(r, (lode_slice_t){ NULL, 0 }, NULL, NULL);
  test_run_loop(&loop, 10000);
  ASSERT_TRACE("socket,upgrade(101 first),close");
  finish(a);
}

TEST(connect_tunnel) {
  lode_agent_t* a = setup(1);
  lode_http_request_opts_t o = { .host = "127.0.0.1",
                                 .port = ct_port,
                                 .method = "CONNECT",
                                 .path = "x:1",
                                 .agent = a };
  lode_http_request_t* r;
  ASSERT_OK(lode_http_request(&loop, &o, &ct_events, &r));
  lode_http_request_end(r, (lode_slice_t){ NULL, 0 }, NULL, NULL);
  test_run_loop(&loop, 10000);
  ASSERT_TRACE("socket,connect(200 tunnel),close");
  /* The tunnel's socket left the agent (Node's test-http-connect). */
  ASSERT_EQ(lode_agent_sockets(a, NULL) + lode_agent_free_sockets(a, NULL), 0);
  finish(a);
}

/* A parse error on a keep-alive agent drops the connection: nothing of
 * it stays in the pool, and the next request gets a new one. */
static void parse_error_case(const char* path, const char* want) {
  lode_agent_t* a = setup(1);
  lode_http_request_end(start(path, a), (lode_slice_t){ NULL, 0 }, NULL, NULL);
  test_run_loop(&loop, 10000);
  ASSERT_TRACE(want);
  ASSERT_EQ(lode_agent_free_sockets(a, NULL), 0);
  ASSERT_EQ(lode_agent_sockets(a, NULL), 0);
  test_trace_reset();
  lode_http_request_t* next = start("/ok", a);
  lode_http_outgoing_hold(next);
  lode_http_request_end(next, (lode_slice_t){ NULL, 0 }, NULL, NULL);
  test_run_loop(&loop, 10000);
  ASSERT_TRACE("socket,response(200),data(2),end,close,res close");
  ASSERT_EQ(lode_http_request_reused_socket(next), 0);
  lode_http_outgoing_release(next);
  finish(a);
}

TEST(parse_error) {
  parse_error_case("/bad",
                   "socket,error(HPE_INVALID_HEADER_TOKEN "
                   "Parse Error: Invalid header token),close");
}

/* Node's test-http-client-reject-chunked-with-content-length. */
TEST(chunked_with_content_length) {
  parse_error_case("/te-cl",
                   "socket,error(HPE_INVALID_CONTENT_LENGTH Parse "
                   "Error: Content-Length can't be present with "
                   "Transfer-Encoding),close");
}

/* Node's test-http-extra-response: bytes after a complete response are
 * ignored, and the connection is not reused. */
TEST(extra_bytes_after_response) {
  lode_agent_t* a = setup(1);
  lode_http_request_end(start("/extra", a), (lode_slice_t){ NULL, 0 }, NULL,
                        NULL);
  test_run_loop(&loop, 10000);
  ASSERT_TRACE("socket,response(200),data(2),end,close,res close");
  ASSERT_MEM_EQ(ct_body, ct_body_len, "hi", 2);
  ASSERT_EQ(lode_agent_free_sockets(a, NULL), 0);
  finish(a);
}

TEST_MAIN(success_keep_alive, success_close, body_to_eof,
          premature_close_after_response, premature_close_before_response,
          connection_error, chunked_trailers, split_bytes, information, upgrade,
          connect_tunnel, parse_error, chunked_with_content_length,
          extra_bytes_after_response)
