/* HTTP bodies through their stream views: a lode server pipes each
 * request's body into its response (lode_stream_pipe, or
 * lode_stream_pipeline), and Node's client (test/peers/pipe-http-client.js)
 * sees what it sees from a Node server doing req.pipe(res) /
 * pipeline(req, res) (test/peers/pipe-http-server.js). The response is
 * read slowly: the bytes held in the response stay bounded. */
#include "lode.h"
#include "test.h"

static uv_loop_t loop;
static lode_http_server_t* srv;
static int use_pipeline;
static size_t max_held;
static lode_stream_t* res_stream;

/* A reader set on the body stream before the pipe: it hears each chunk
 * after the pipe has written it on, and measures what the response
 * holds. */
static void body_data(void* ctx, lode_stream_t* s, lode_slice_t d) {
  (void) ctx, (void) s, (void) d;
  size_t held = lode_stream_writable_length(res_stream);
  if (held > max_held)
    max_held = held;
}

static void body_error(void* ctx, lode_stream_t* s, const lode_error_t* e) {
  (void) ctx, (void) s;
  test_trace("req error(%s)", lode_err_name(e->code));
}

static void body_close(void* ctx, lode_stream_t* s, int had_error) {
  (void) ctx, (void) s, (void) had_error;
  test_trace("req close");
}

static const lode_stream_reader_t body_reader = {
  .on_data = body_data,
  .on_error = body_error,
  .on_close = body_close,
};

static void on_pipeline(lode_stream_t* last, int status, void* arg) {
  (void) last, (void) arg;
  test_trace("pipeline cb(%s)", status ? lode_err_name(status) : "0");
}

static void res_close(lode_http_outgoing_t* res) {
  (void) res;
  test_trace("res close");
  lode_http_server_close(srv, NULL, NULL);
}

static const lode_http_outgoing_events_t res_events = {
  .on_close = res_close,
};

static void on_request(lode_http_server_t* s, lode_http_incoming_t* req,
                       lode_http_response_t* res) {
  (void) s;
  static const char* const h[] = { "Content-Type", "application/octet-stream",
                                   NULL };
  ASSERT_OK(lode_http_response_write_head(res, 200, NULL, h));
  lode_http_outgoing_set_events(res, &res_events); /* behind the view */
  lode_stream_t* body = lode_http_incoming_stream(req);
  res_stream = lode_http_outgoing_stream(res);
  ASSERT_NOT_NULL(body);
  ASSERT_NOT_NULL(res_stream);
  ASSERT(lode_http_incoming_stream(req) == body); /* one per message */
  lode_stream_set_reader(body, &body_reader, NULL);
  if (use_pipeline) {
    lode_stream_t* const both[] = { body, res_stream };
    ASSERT_OK(lode_stream_pipeline(both, 2, on_pipeline, NULL));
  } else {
    ASSERT_OK(lode_stream_pipe(body, res_stream, NULL));
  }
}

static const lode_http_server_events_t srv_events = {
  .on_request = on_request,
};

/* Node's client against `port`; its output (malloc'd). */
static test_peer_t* client_start(int port, const char* mode) {
  char p[16];
  snprintf(p, sizeof(p), "%d", port);
  const char* argv[] = { "node", "test/peers/pipe-http-client.js", p, mode,
                         NULL };
  return test_peer_start(argv);
}

/* The same exchange with Node on both ends: the client's output and the
 * server's lines after "listening on". */
static void node_reference(const char* server_mode, const char* mode,
                           char** client_out, char** server_out) {
  const char* argv[] = { "node", "test/peers/pipe-http-server.js", server_mode,
                         NULL };
  test_peer_t* s = test_peer_start(argv);
  int port = test_peer_port(s);
  ASSERT_EQ(test_peer_finish(client_start(port, mode), 60000, client_out), 0);
  ASSERT_EQ(test_peer_finish(s, 60000, server_out), 0);
}

/* The lode server's trace, items joined with '\n' as Node's lines. */
static char* lode_lines(void) {
  const char* t = test_trace_get();
  char* out = malloc(strlen(t) + 2);
  size_t k = 0;
  for (const char* p = t; *p != '\0'; p++)
    out[k++] = *p == ',' ? '\n' : *p;
  if (k > 0)
    out[k++] = '\n';
  out[k] = '\0';
  return out;
}

static void run_lode(const char* mode, char** client_out) {
  ASSERT_OK(uv_loop_init(&loop));
  max_held = 0;
  test_trace_reset();
  ASSERT_OK(lode_http_create_server(&loop, NULL, &srv_events, &srv));
  lode_listen_opts_t lo = { .host = "127.0.0.1" };
  ASSERT_OK(lode_http_server_listen(srv, &lo, NULL, NULL));
  uv_run(&loop, UV_RUN_NOWAIT); /* bound */
  test_peer_t* c = client_start(lode_http_server_port(srv), mode);
  test_run_loop(&loop, 60000);
  ASSERT_EQ(test_peer_finish(c, 60000, client_out), 0);
  test_loop_close(&loop);
}

/* Takes the "pipeline cb(...)" line out of `lines`; returns its text. */
static const char* take_cb(char* lines) {
  static char cb[64];
  cb[0] = '\0';
  char* p = strstr(lines, "pipeline cb(");
  if (p == NULL)
    return cb;
  char* eol = strchr(p, '\n');
  size_t n = (size_t) (eol - p);
  ASSERT_LT(n, sizeof(cb));
  memcpy(cb, p, n);
  cb[n] = '\0';
  memmove(p, eol + 1, strlen(eol + 1) + 1);
  return cb;
}

/* The client's output and the server's events are Node's; the pipeline's
 * callback is compared with `want_cb` (see pipeline_client_aborts). */
static void compare(const char* server_mode, const char* mode,
                    const char* want_cb) {
  char *node_client, *node_server, *lode_client;
  node_reference(server_mode, mode, &node_client, &node_server);
  run_lode(mode, &lode_client);
  ASSERT_STR_EQ(lode_client, node_client);
  char* lode_server = lode_lines();
  take_cb(node_server);
  ASSERT_STR_EQ(take_cb(lode_server), want_cb);
  ASSERT_STR_EQ(lode_server, node_server);
  free(node_client);
  free(node_server);
  free(lode_client);
  free(lode_server);
}

/* 4 MiB echoed through the pipe to a client that reads slowly: every byte
 * back, in order, and the response holds little more than its mark (the
 * kernel's buffers hold the rest). */
TEST(pipe_echo) {
  use_pipeline = 0;
  compare("pipe", "echo", "");
  ASSERT_LE(max_held, 256 * 1024);
}

TEST(pipeline_echo) {
  use_pipeline = 1;
  compare("pipeline", "echo", "pipeline cb(0)");
  ASSERT_LE(max_held, 256 * 1024);
}

/* The client goes mid-body: the response closes, then the request has
 * its "aborted" error and closes, as in Node. Node's pipeline calls back
 * between the two, with the response's premature close (its count of
 * finished streams runs out at the response's close); lode's waits until
 * every stream has closed, so the request's own error replaces the
 * premature close, as Node's does for any error that comes before its
 * callback (docs/streams.md). */
TEST(pipeline_client_aborts) {
  use_pipeline = 1;
  compare("pipeline", "abort", "pipeline cb(ECONNRESET)");
}

/* ---- The client's views: a pair piped into a request, its response
 * piped into another pair, on lode's client against the echo above (whose
 * response's close closes the server). ---- */

static lode_stream_t *pa, *pb, *pc, *pd;
static char got_body[64];
static size_t got_len;

static void trace_close(void* ctx, lode_stream_t* s, int had_error) {
  (void) s;
  test_trace("%s:close(%d)", (const char*) ctx, had_error);
}

static void trace_end(void* ctx, lode_stream_t* s) {
  (void) s;
  test_trace("%s:end", (const char*) ctx);
}

static void on_written(lode_stream_t* s, int status, void* arg) {
  (void) s;
  test_trace("req-stream:%s(%s)", (const char*) arg,
             status ? lode_err_name(status) : "ok");
}

static const lode_stream_reader_t view_watch = {
  .on_end = trace_end,
  .on_close = trace_close,
};

static void d_data(void* ctx, lode_stream_t* s, lode_slice_t d) {
  (void) ctx, (void) s;
  ASSERT_LT(got_len + d.len, sizeof(got_body));
  memcpy(got_body + got_len, d.base, d.len);
  got_len += d.len;
}

static void d_ended(void* ctx, lode_stream_t* s) {
  (void) ctx;
  test_trace("d:end(%.*s)", (int) got_len, got_body);
  lode_stream_destroy(s, NULL);
  lode_stream_destroy(pc, NULL);
}

static const lode_stream_reader_t d_reader = {
  .on_data = d_data,
  .on_end = d_ended,
};

static void res_end(lode_http_incoming_t* res) {
  (void) res;
  test_trace("res:end");
}

static void res_closed(lode_http_incoming_t* res) {
  (void) res;
  test_trace("res:close");
}

static const lode_http_incoming_events_t res_user = {
  .on_end = res_end,
  .on_close = res_closed,
};

static void on_response(lode_http_request_t* req, lode_http_incoming_t* res) {
  (void) req;
  test_trace("req:response(%d)", lode_http_incoming_status_code(res));
  lode_stream_t* body = lode_http_incoming_stream(res);
  ASSERT_NOT_NULL(body);
  lode_stream_set_reader(body, &view_watch, "res-stream");
  lode_http_incoming_set_events(res, &res_user); /* behind the view */
  ASSERT_OK(lode_stream_pipe(body, pc, NULL));
}

static void req_closed(lode_http_request_t* req) {
  (void) req;
  test_trace("req:close");
  lode_stream_destroy(pa, NULL);
  lode_stream_destroy(pb, NULL);
  lode_agent_destroy(lode_http_global_agent(&loop));
}

static const lode_http_request_events_t req_user = {
  .on_response = on_response,
  .on_close = req_closed,
};

TEST(client_views) {
  use_pipeline = 0;
  ASSERT_OK(uv_loop_init(&loop));
  test_trace_reset();
  ASSERT_OK(lode_http_create_server(&loop, NULL, &srv_events, &srv));
  lode_listen_opts_t lo = { .host = "127.0.0.1" };
  ASSERT_OK(lode_http_server_listen(srv, &lo, NULL, NULL));
  uv_run(&loop, UV_RUN_NOWAIT);
  ASSERT_OK(lode_stream_pair(&loop, &pa, &pb));
  ASSERT_OK(lode_stream_pair(&loop, &pc, &pd));
  lode_stream_set_reader(pd, &d_reader, NULL);
  lode_http_request_opts_t o = {
    .host = "127.0.0.1",
    .port = lode_http_server_port(srv),
    .method = "POST",
    .path = "/",
  };
  lode_http_request_t* req;
  ASSERT_OK(lode_http_request(&loop, &o, NULL, &req));
  lode_stream_t* rs = lode_http_outgoing_stream(req);
  ASSERT_NOT_NULL(rs);
  ASSERT(lode_http_outgoing_stream(req) == rs);
  lode_stream_set_reader(rs, &view_watch, "req-stream");
  lode_http_request_set_events(req, &req_user); /* behind the view */
  lode_slice_t two[] = { LODE_SLICE("<"), LODE_SLICE(">") };
  ASSERT_EQ(lode_stream_writev(rs, two, 2, on_written, "writev"), 1);
  ASSERT_OK(lode_stream_pipe(pb, rs, NULL));
  lode_stream_write(pa, LODE_SLICE("hello"), NULL, NULL);
  lode_stream_write(pa, LODE_SLICE(" world"), NULL, NULL);
  lode_stream_end(pa, NULL, NULL);
  test_run_loop(&loop, 20000);
  /* The server's side first ("res close", "req close"), then the
   * client's: each view's reader hears before the message's own
   * callbacks; the bytes reach the far pair whole, then its end. */
  ASSERT_TRACE(
      "req-stream:writev(ok),res close,req close,"
      "req:response(200),res-stream:end,res:end,req-stream:close(0),"
      "req:close,res-stream:close(0),res:close,d:end(<>hello world)");
  test_loop_close(&loop);
}

/* ---- A body that had ended before its stream was made: the pipe still
 * ends the response (Node's pipe of an ended source). ---- */

static lode_http_response_t* late_res;

static void late_req_end(lode_http_incoming_t* req) {
  test_trace("srv:req-end");
  lode_stream_t* body = lode_http_incoming_stream(req);
  ASSERT_NOT_NULL(body);
  ASSERT_OK(lode_stream_pipe(body, lode_http_outgoing_stream(late_res), NULL));
}

static const lode_http_incoming_events_t late_req_events = {
  .on_data = NULL,
  .on_end = late_req_end,
};

static void late_request(lode_http_server_t* s, lode_http_incoming_t* req,
                         lode_http_response_t* res) {
  (void) s;
  late_res = res;
  lode_http_response_write_head(res, 204, NULL, NULL);
  lode_http_incoming_set_events(req, &late_req_events);
  lode_http_incoming_resume(req); /* read (and drop) the body: its end */
}

static const lode_http_server_events_t late_srv_events = {
  .on_request = late_request,
};

static void late_res_end(lode_http_incoming_t* res) {
  (void) res;
  test_trace("cli:res-end");
  lode_http_server_close(srv, NULL, NULL);
  lode_agent_destroy(lode_http_global_agent(&loop));
}

static const lode_http_incoming_events_t late_res_events = {
  .on_end = late_res_end,
};

static void late_response(lode_http_request_t* req, lode_http_incoming_t* res) {
  (void) req;
  test_trace("cli:response(%d)", lode_http_incoming_status_code(res));
  lode_http_incoming_set_events(res, &late_res_events);
  lode_http_incoming_resume(res);
}

static const lode_http_request_events_t late_req_user = {
  .on_response = late_response,
};

TEST(view_after_end) {
  ASSERT_OK(uv_loop_init(&loop));
  test_trace_reset();
  ASSERT_OK(lode_http_create_server(&loop, NULL, &late_srv_events, &srv));
  lode_listen_opts_t lo = { .host = "127.0.0.1" };
  ASSERT_OK(lode_http_server_listen(srv, &lo, NULL, NULL));
  uv_run(&loop, UV_RUN_NOWAIT);
  lode_http_request_opts_t o = {
    .host = "127.0.0.1",
    .port = lode_http_server_port(srv),
    .path = "/",
  };
  lode_http_request_t* req;
  ASSERT_OK(lode_http_get(&loop, &o, &late_req_user, &req));
  test_run_loop(&loop, 20000);
  ASSERT_TRACE("srv:req-end,cli:response(204),cli:res-end");
  test_loop_close(&loop);
}

TEST_MAIN(pipe_echo, client_views, view_after_end, pipeline_echo,
          pipeline_client_aborts)
