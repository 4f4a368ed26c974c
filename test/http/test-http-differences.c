/* Where lode does not do what Node 20 does, on purpose
 * (docs/node-differences.md): each test pins lode's side with exact bytes
 * or events, and runs Node (test/peers/node-differences.js) on the same
 * input to show that its side still differs. Should Node's answer change,
 * the test fails and the document is to be looked at again. */
#include "../stress/stress.h"

/* Node's answer to `scenario` (its line of JSON, a string, unquoted;
 * static). */
static const char* node_says(const char* scenario, const char* arg) {
  static char line[4096];
  const char* argv[] = { "node", "test/peers/node-differences.js", scenario,
                         arg, NULL };
  test_peer_t* p = test_peer_start(argv);
  test_peer_line(p, line, sizeof(line), 20000);
  ASSERT_EQ(test_peer_finish(p, 10000, NULL), 0);
  ASSERT_EQ(line[0], '"');
  size_t o = 0;
  for (const char* q = line + 1; *q != '"'; q++) {
    ASSERT(*q != '\0');
    if (*q == '\\') {
      q++;
      ASSERT(strchr("rn\"\\", *q) != NULL);
      line[o++] = *q == 'r' ? '\r' : *q == 'n' ? '\n' : *q;
    } else {
      line[o++] = *q;
    }
  }
  line[o] = '\0';
  return line;
}

/* ---- Requests pipelined before an error ---- */

/* lode's answer over loopback, the client half-closing after the bytes
 * (the server answers 200 "ok" at each request's end; stress.h). */
static const char* lode_answers(const char* bytes) {
  static char got[4096];
  stress_server_t s;
  stress_server_start(&s, NULL, -1);
  int fd = stress_connect(s.port);
  ASSERT_GE(fd, 0);
  stress_send(fd, bytes, strlen(bytes));
  shutdown(fd, SHUT_WR);
  size_t n = stress_read_all(fd, got, sizeof(got) - 1, 10000);
  ASSERT_LT(n, sizeof(got));
  got[n] = '\0';
  close(fd);
  stress_server_stop(&s);
  return got;
}

#define GET(path, extra) "GET " path " HTTP/1.1\r\nHost: h\r\n" extra "\r\n"
#define OK_KEEP_ALIVE                                                          \
  "HTTP/1.1 200 OK\r\nConnection: keep-alive\r\n"                              \
  "Keep-Alive: timeout=5\r\nContent-Length: 2\r\n\r\nok"
#define BAD "HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n"

/* Two requests, then bytes that are no request. Node's handler answers on
 * 'end', a tick after the parse: the error is found first, and only the
 * 400 goes out. lode's on_end comes within the parse: the first answer
 * is written when the error is found and goes out; the connection then
 * closes (no 400 after a response under way, Node's rule; the second
 * answer, queued behind the first, is dropped with the connection). */
TEST(answers_before_a_parse_error) {
  ASSERT_STR_EQ(lode_answers(GET("/a", "") GET("/b", "") "BAD\r\n\r\n"),
                OK_KEEP_ALIVE);
  ASSERT_STR_EQ(node_says("pipeline-before-error", NULL), BAD);
}

/* A request after one with Connection: close. Node's parser fails on the
 * bytes after a message that closes the connection
 * (HPE_CLOSED_CONNECTION) and, as above, only its 400 goes out. lode
 * behaves as for any parse error after a pipeline. */
TEST(answers_before_data_after_close) {
  ASSERT_STR_EQ(lode_answers(GET("/a", "") GET("/b", "Connection: close\r\n")
                                 GET("/c", "")),
                OK_KEEP_ALIVE);
  ASSERT_STR_EQ(node_says("pipeline-after-close", NULL), BAD);
}

/* ---- Header lines kept from a long head ---- */

static char counts[64];

static void count_headers(lode_http_server_t* s, lode_http_incoming_t* req,
                          lode_http_response_t* res) {
  size_t raw;
  lode_http_incoming_raw_headers(req, &raw);
  snprintf(counts, sizeof(counts), "%zu %zu",
           lode_http_incoming_headers_count(req), raw);
  lode_http_outgoing_end(res, LODE_SLICE(""), NULL, NULL);
}

static void pair_data(void* ctx, lode_stream_t* s, lode_slice_t d) {
}

static void pair_end(void* ctx, lode_stream_t* s) {
  lode_stream_end(s, NULL, NULL);
}

static void pair_close(void* ctx, lode_stream_t* s, int had_error) {
  lode_http_server_close(ctx, NULL, NULL);
}

static const lode_stream_reader_t pair_reader = {
  .on_data = pair_data,
  .on_end = pair_end,
  .on_close = pair_close,
};

/* What the server keeps of a request with Host and 2,499 other lines, with
 * maxHeadersCount `max` (0: the default): "names raw-lines". */
static const char* kept_of_2500(unsigned max) {
  static const lode_http_server_events_t ev = {
    .on_request = count_headers,
  };
  static char req[32768];
  size_t n = (size_t) snprintf(req, sizeof(req),
                               "GET / HTTP/1.1\r\n"
                               "Host: h\r\n");
  for (int i = 1; i < 2500; i++)
    n += (size_t) snprintf(req + n, sizeof(req) - n, "x%d: v\r\n", i);
  n += (size_t) snprintf(req + n, sizeof(req) - n, "\r\n");
  uv_loop_t loop;
  lode_http_server_t* srv;
  lode_stream_t *a, *b;
  counts[0] = '\0';
  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(lode_http_create_server(&loop, NULL, &ev, &srv));
  lode_http_server_set_max_headers_count(srv, max);
  ASSERT_OK(lode_stream_pair(&loop, &a, &b));
  lode_stream_set_reader(b, &pair_reader, srv);
  ASSERT_OK(lode_http_server_serve(srv, a));
  ASSERT_GE(lode_stream_write(b, (lode_slice_t){ req, n }, NULL, NULL), 0);
  lode_stream_end(b, NULL, NULL);
  test_run_loop(&loop, 10000);
  test_loop_close(&loop);
  return counts;
}

/* Node 20 documents maxHeadersCount as 2000 by default, but its default
 * (null) leaves the parser's maxHeaderPairs at 2000 and compares it with
 * the flat [name, value, ...] array: 1,000 lines reach req.headers, and
 * rawHeaders stops at the end of the batch of lines (handed over from
 * its C++ parser in batches) that passes 2000 entries (1,023). A
 * maxHeadersCount set to 2000 is doubled into maxHeaderPairs: 2,000 lines
 * (rawHeaders 2,015). lode keeps the documented 2,000 lines by default,
 * in both. */
TEST(header_lines_kept_by_default) {
  ASSERT_STR_EQ(kept_of_2500(0), "2000 2000");
  ASSERT_STR_EQ(kept_of_2500(2000), "2000 2000");
  ASSERT_STR_EQ(node_says("header-lines", "default"), "1000 1023");
  ASSERT_STR_EQ(node_says("header-lines", "2000"), "2000 2015");
}

/* Node's maxHeadersCount 0 means no limit; lode's 0 is the default, as
 * every zero in lode's options. */
TEST(max_headers_count_zero) {
  ASSERT_STR_EQ(kept_of_2500(0), "2000 2000");
  ASSERT_STR_EQ(node_says("header-lines", "0"), "2500 2500");
}

/* ---- A client's response with Connection: close and more bytes ---- */

static lode_server_t* raw_srv;

static void res_data(lode_http_incoming_t* m, lode_slice_t d) {
  test_trace("data(%zu)", d.len);
}

static void res_end(lode_http_incoming_t* m) {
  test_trace("end");
}

static void res_close(lode_http_incoming_t* m) {
  test_trace("res close");
}

static const lode_http_incoming_events_t res_events = {
  .on_data = res_data,
  .on_end = res_end,
  .on_close = res_close,
};

static void on_response(lode_http_request_t* r, lode_http_incoming_t* m) {
  test_trace("response(%d)", lode_http_incoming_status_code(m));
  lode_http_incoming_set_events(m, &res_events);
}

static void on_error(lode_http_request_t* r, const lode_error_t* e) {
  test_trace("error(%s)", e->name);
}

static void raw_data(lode_socket_t* s, lode_slice_t d) {
  lode_socket_end(s,
                  LODE_SLICE("HTTP/1.1 200 OK\r\nConnection: close\r\n"
                             "Content-Length: 2\r\n\r\nokEXTRA"),
                  NULL, NULL);
}

static const lode_socket_events_t raw_events = { .on_data = raw_data };

static void close_raw(lode_http_request_t* r) {
  test_trace("close");
  lode_server_close(raw_srv, NULL, NULL);
}

/* Node's request gets 'error' HPE_CLOSED_CONNECTION (before the response's
 * data) for bytes after a response that closes the connection: the
 * response arrived whole and the error is about bytes no message owns.
 * lode ignores them: the response's events, then close, no error. */
TEST(bytes_after_a_closing_response) {
  static const lode_http_request_events_t ev = {
    .on_response = on_response,
    .on_error = on_error,
    .on_close = close_raw,
  };
  uv_loop_t loop;
  ASSERT_OK(uv_loop_init(&loop));
  lode_server_opts_t so = { .socket_events = &raw_events };
  ASSERT_OK(lode_net_create_server(&loop, &so, NULL, &raw_srv));
  lode_listen_opts_t lo = { .host = "127.0.0.1" };
  ASSERT_OK(lode_server_listen(raw_srv, &lo, NULL, NULL));
  lode_net_address_t addr;
  while (lode_server_address(raw_srv, &addr) != 0)
    uv_run(&loop, UV_RUN_ONCE);
  lode_http_request_opts_t o = { .host = "127.0.0.1",
                                 .port = addr.port,
                                 .agent = LODE_AGENT_FALSE };
  lode_http_request_t* r;
  test_trace_reset();
  ASSERT_OK(lode_http_request(&loop, &o, &ev, &r));
  lode_http_request_end(r, (lode_slice_t){ NULL, 0 }, NULL, NULL);
  test_run_loop(&loop, 10000);
  test_loop_close(&loop);
  ASSERT_TRACE("response(200),data(2),end,res close,close");
  ASSERT_STR_EQ(node_says("close-extra", NULL),
                "response(200),error(HPE_CLOSED_CONNECTION),data(2),end,"
                "res close,close");
}

/* ---- writeEarlyHints with a bad value ---- */

static atomic_int hints_rc;

static void hints_request(lode_http_server_t* srv, lode_http_incoming_t* req,
                          lode_http_response_t* res) {
  static const char* const links[] = { "</a>; rel=preload", NULL };
  static const char* const bad[] = { "X-A", "a\x01b", NULL };
  atomic_store(&hints_rc, lode_http_response_write_early_hints(res, links, bad,
                                                               NULL, NULL));
  lode_http_response_set_send_date(res, 0);
  lode_http_outgoing_end(res, LODE_SLICE("ok"), NULL, NULL);
}

static const lode_http_server_events_t hints_events = {
  .on_request = hints_request,
  .on_listening = stress_on_listening,
  .on_close = stress_on_close,
};

/* Node writes the 103 with the control byte as it is (writeEarlyHints
 * does not check values); lode refuses the call with
 * LODE_ERR_INVALID_CHAR and sends nothing, as setHeader would refuse the
 * same value. */
TEST(early_hints_bad_value) {
  static const char req[] = GET("/", "");
  stress_server_t s;
  stress_server_start_ev(&s, NULL, -1, &hints_events);
  ASSERT_EQ(stress_exchange(s.port, req, strlen(req)), 200);
  stress_server_stop(&s);
  ASSERT_EQ(atomic_load(&hints_rc), LODE_ERR_INVALID_CHAR);
  ASSERT_STR_EQ(node_says("early-hints-bad-value", NULL), "sent as is");
}

TEST_MAIN(answers_before_a_parse_error, answers_before_data_after_close,
          header_lines_kept_by_default, max_headers_count_zero,
          bytes_after_a_closing_response, early_hints_bad_value)
