/* The bytes of a request on the wire, against Node's http client making
 * the same request to the same echo server. */
#include <stdint.h>

#include "client-test.h"

static uv_loop_t loop;

static char* node_bytes(const char* name, size_t* len) {
  char port[16];
  snprintf(port, sizeof(port), "%d", ct_port);
  const char* argv[] = { "node", "test/peers/client-node-request.js", port,
                         name, NULL };
  test_peer_t* p = test_peer_start(argv);
  char line[4096];
  test_peer_line(p, line, sizeof(line), 10000);
  ASSERT_EQ(test_peer_finish(p, 10000, NULL), 0);
  size_t n = lode_decode(LODE_ENC_BASE64, lode_slice_str(line), NULL, 0);
  char* out = malloc(n + 1);
  lode_decode(LODE_ENC_BASE64, lode_slice_str(line), out, n);
  out[n] = '\0';
  *len = n;
  return out;
}

static const lode_http_request_events_t b_events = { NULL, ct_response, NULL,
                                                     NULL, NULL,        NULL,
                                                     NULL, NULL,        NULL,
                                                     NULL, ct_error,    NULL };

static lode_http_request_t* begin(lode_http_request_opts_t* o) {
  lode_http_request_t* r;
  uv_loop_init(&loop);
  ct_start_peer();
  if (o->url == NULL) {
    o->host = "127.0.0.1";
    o->port = ct_port;
    o->path = "/echo";
  }
  ASSERT_OK(lode_http_request(&loop, o, &b_events, &r));
  return r;
}

/* The global agent, the loop and the peer go. */
static void end_case(void) {
  lode_agent_destroy(lode_http_global_agent(&loop));
  test_run_loop(&loop, 5000);
  test_loop_close(&loop);
  test_peer_kill(ct_peer);
}

static void compare(const char* name) {
  test_run_loop(&loop, 10000);
  size_t n;
  char* want = node_bytes(name, &n);
  ASSERT_MEM_EQ(ct_body, ct_body_len, want, n);
  free(want);
  end_case();
}

static const lode_slice_t none = { NULL, 0 };

TEST(post_with_auth) {
  static const char* const h[] = { "X-A", "1", NULL };
  lode_http_request_opts_t o = { .method = "post",
                                 .headers = h,
                                 .auth = "u:p" };
  lode_http_request_t* r = begin(&o);
  lode_http_request_end(r, LODE_SLICE("xyz"), NULL, NULL);
  compare("post");
}

TEST(url_without_agent) {
  char url[128];
  uv_loop_init(&loop);
  ct_start_peer();
  snprintf(url, sizeof(url), "http://us%%20er:p%%3Ass@127.0.0.1:%d/echo?b#c",
           ct_port);
  lode_http_request_opts_t o = { .url = url, .agent = LODE_AGENT_FALSE };
  lode_http_request_t* r;
  ASSERT_OK(lode_http_request(&loop, &o, &b_events, &r));
  ASSERT_STR_EQ(lode_http_request_path(r), "/echo?b");
  ASSERT_STR_EQ(lode_http_request_host(r), "127.0.0.1");
  ASSERT_STR_EQ(lode_http_request_method(r), "GET");
  ASSERT_STR_EQ(lode_http_request_protocol(r), "http:");
  lode_http_request_end(r, none, NULL, NULL);
  compare("url");
}

TEST(chunked_upload) {
  lode_http_request_opts_t o = { .method = "PUT" };
  lode_http_request_t* r = begin(&o);
  lode_http_request_write(r, LODE_SLICE("abc"), NULL, NULL);
  lode_http_request_write(r, LODE_SLICE("defg"), NULL, NULL);
  lode_http_request_end(r, none, NULL, NULL);
  compare("chunked");
}

TEST(array_headers) {
  static const char* const h[] = { "cookie", "a=1", "x-m", "1", "cookie",
                                   "b=2",    "x-m", "2",   NULL };
  lode_http_request_opts_t o = { .headers = h };
  lode_http_request_t* r = begin(&o);
  lode_http_request_end(r, none, NULL, NULL);
  compare("get");
}

TEST(unique_headers) {
  static const char* const unique[] = { "x-u", NULL };
  static const char* const h[] = { "x-u", "a", "x-u", "b", NULL };
  lode_http_request_opts_t o = { .unique_headers = unique, .headers = h };
  lode_http_request_t* r = begin(&o);
  lode_http_request_end(r, none, NULL, NULL);
  compare("unique");
}

TEST(set_host_off) {
  lode_http_request_opts_t o = { .set_host = -1 };
  lode_http_request_t* r = begin(&o);
  lode_http_request_end(r, none, NULL, NULL);
  compare("nohost");
}

/* setDefaultHeaders: false: no Host, no Connection, only what was set.
 * The specification's option (Node 22); Node 20 ignores it, so the bytes
 * are written out here. */
TEST(no_default_headers) {
  static const char* const h[] = { "x-a", "1", NULL };
  lode_http_request_opts_t o = { .set_default_headers = LODE_FALSE,
                                 .headers = h };
  lode_http_request_t* r = begin(&o);
  lode_http_request_end(r, none, NULL, NULL);
  test_run_loop(&loop, 10000);
  ASSERT_MEM_EQ(ct_body, ct_body_len, "GET /echo HTTP/1.1\r\nx-a: 1\r\n\r\n",
                30);
  end_case();
}

/* A GET of /echo from lode's client: its first lines, then `rest`. */
static int get_head(char* out, size_t cap, const char* rest) {
  return snprintf(out, cap, "GET /echo HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n%s",
                  ct_port, rest);
}

/* req.sendDate = true: a Date line before Connection, as Node 20 writes
 * it (a request has no cache of its own for the text). */
TEST(send_date) {
  lode_http_request_opts_t o = { 0 };
  lode_http_request_t* r = begin(&o);
  lode_http_response_set_send_date(r, 1);
  lode_http_request_end(r, none, NULL, NULL);
  test_run_loop(&loop, 10000);
  char host[64];
  int hl = get_head(host, sizeof(host), "Date: ");
  static const char tail[] = " GMT\r\nConnection: keep-alive\r\n\r\n";
  size_t want = (size_t) hl + 25 + sizeof(tail) - 1;
  ASSERT_EQ(ct_body_len, want);
  ASSERT_MEM_EQ(ct_body, (size_t) hl, host, (size_t) hl);
  ASSERT_MEM_EQ(ct_body + hl + 25, sizeof(tail) - 1, tail, sizeof(tail) - 1);
  /* "Fri, 04 Dec 2026 22:25:11" */
  ASSERT(ct_body[hl + 3] == ',' && ct_body[hl + 19] == ':');
  end_case();
}

static void held_cb(lode_http_outgoing_t* o, int status, void* arg) {
  test_trace("cb%d(%d)", (int) (intptr_t) arg, status);
}

static void held_close(lode_http_request_t* r) {
  test_trace("close");
}

static const lode_http_request_events_t held_events = {
  NULL, ct_response, NULL, NULL, NULL,     NULL,
  NULL, NULL,        NULL, NULL, ct_error, held_close
};

/* A PUT to the echo peer with held_events, the trace emptied. */
static lode_http_request_t* begin_held_put(void) {
  lode_http_request_opts_t o = { .method = "PUT" };
  lode_http_request_t* r = begin(&o);
  lode_http_request_set_events(r, &held_events);
  test_trace_reset();
  return r;
}

/* Writes with callbacks before the connection comes are held, the first
 * callback in the message itself, more in an array: each runs once, in
 * order, after its bytes are written. */
TEST(held_write_callbacks) {
  lode_http_request_t* r = begin_held_put();
  lode_http_request_write(r, LODE_SLICE("abc"), held_cb, (void*) 1);
  lode_http_request_write(r, LODE_SLICE("de"), held_cb, (void*) 2);
  lode_http_request_write(r, LODE_SLICE("f"), held_cb, (void*) 3);
  lode_http_request_end(r, none, held_cb, (void*) 4);
  test_run_loop(&loop, 10000);
  ASSERT_TRACE(
      "cb1(0),cb2(0),cb3(0),cb4(0),response(200),data(123),end,close,"
      "res close");
  char want[160];
  int n = snprintf(want, sizeof(want),
                   "PUT /echo HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
                   "Connection: keep-alive\r\nTransfer-Encoding: chunked\r\n"
                   "\r\n3\r\nabc\r\n2\r\nde\r\n1\r\nf\r\n0\r\n\r\n",
                   ct_port);
  ASSERT_MEM_EQ(ct_body, ct_body_len, want, (size_t) n);
  end_case();
}

/* A request destroyed before its connection comes: its one held write's
 * callback (the message's own slot) runs with ERR_STREAM_DESTROYED after
 * the hang-up error, before 'close'. */
TEST(held_write_callback_destroyed) {
  lode_http_request_t* r = begin_held_put();
  lode_http_request_write(r, LODE_SLICE("abc"), held_cb, (void*) 1);
  lode_http_request_destroy(r, NULL);
  test_run_loop(&loop, 10000);
  char want[64];
  snprintf(want, sizeof(want), "error(ECONNRESET socket hang up),cb1(%d),close",
           LODE_ERR_STREAM_DESTROYED);
  ASSERT_TRACE(want);
  end_case();
}

/* The responses of reused_request_starts_clean: the first is given data
 * and has its headers object built; the second must have neither. */
static lode_http_incoming_t* pool_res[2];
static size_t pool_len[2]; /* each one's Content-Length, from res.headers */
static int npool_res;

static void pool_response(lode_http_request_t* r, lode_http_incoming_t* m) {
  static int mark;
  const char* cl = lode_http_incoming_header(m, "content-length");
  ASSERT(cl != NULL && npool_res < 2);
  pool_res[npool_res] = m;
  pool_len[npool_res] = (size_t) atoi(cl);
  if (npool_res++ == 0)
    lode_http_incoming_set_data(m, &mark);
  else
    ASSERT_NULL(lode_http_incoming_get_data(m));
  ct_response(r, m);
}

static const lode_http_request_events_t pool_events = {
  NULL, pool_response, NULL, NULL, NULL,     NULL,
  NULL, NULL,          NULL, NULL, ct_error, NULL
};

/* A request done with goes to its agent's pool, and the next request
 * takes it: it must start as a new one. The first sets a method, headers,
 * auth, a body, sendDate, a timeout, maxHeadersCount and noDelay; the
 * second, in the same memory, is a plain GET with only its own bytes.
 * Its response reuses the first's memory too, and starts clean. */
TEST(reused_request_starts_clean) {
  static const char* const h[] = { "X-A", "1", NULL };
  lode_http_request_opts_t o = {
    .method = "post", .headers = h, .auth = "u:p", .timeout = 3000
  };
  lode_http_request_t* r = begin(&o);
  lode_http_request_set_events(r, &pool_events);
  lode_http_response_set_send_date(r, 1);
  lode_http_request_set_max_headers_count(r, 5);
  lode_http_request_set_no_delay(r, 1);
  lode_http_request_end(r, LODE_SLICE("xyz"), NULL, NULL);
  test_run_loop(&loop, 10000);
  ASSERT(ct_body_len > 0);
  ASSERT_EQ(pool_len[0], ct_body_len);
  uintptr_t first = (uintptr_t) r;
  ct_body_len = 0;
  lode_http_request_opts_t g = { .host = "127.0.0.1",
                                 .port = ct_port,
                                 .path = "/echo" };
  ASSERT_OK(lode_http_request(&loop, &g, &pool_events, &r));
  ASSERT((uintptr_t) r == first);
  ASSERT_STR_EQ(lode_http_request_method(r), "GET");
  ASSERT_STR_EQ(lode_http_request_path(r), "/echo");
  ASSERT_EQ(lode_http_request_max_headers_count(r), 2000);
  ASSERT_EQ(lode_http_response_send_date(r), 0);
  ASSERT_NULL(lode_http_outgoing_get_header(r, "x-a", NULL));
  ASSERT_NULL(lode_http_outgoing_get_header(r, "authorization", NULL));
  ASSERT_NULL(lode_http_request_res(r));
  ASSERT_NULL(lode_http_request_socket(r));
  ASSERT_NULL(lode_http_outgoing_get_data(r));
  ASSERT_EQ(lode_http_request_aborted(r), 0);
  ASSERT_EQ(lode_http_request_destroyed(r), 0);
  ASSERT_EQ(lode_http_request_reused_socket(r), 1); /* the kept socket */
  lode_http_request_end(r, none, NULL, NULL);
  test_run_loop(&loop, 10000);
  char want[128];
  int n = get_head(want, sizeof(want), "Connection: keep-alive\r\n\r\n");
  ASSERT_MEM_EQ(ct_body, ct_body_len, want, (size_t) n);
  ASSERT_EQ(npool_res, 2);
  ASSERT(pool_res[0] == pool_res[1]);
  ASSERT_EQ(pool_len[1], ct_body_len);
  end_case();
}

TEST(thrown_errors) {
  uv_loop_init(&loop);
  lode_http_request_t* r = NULL;
  lode_http_request_opts_t o = { .path = "/a b" };
  ASSERT_EQ(lode_http_request(&loop, &o, NULL, &r),
            LODE_ERR_UNESCAPED_CHARACTERS);
  o = (lode_http_request_opts_t){ .protocol = "https:" };
  ASSERT_EQ(lode_http_request(&loop, &o, NULL, &r), LODE_ERR_INVALID_PROTOCOL);
  o = (lode_http_request_opts_t){ .url = "https://x/" };
  ASSERT_EQ(lode_http_request(&loop, &o, NULL, &r), LODE_ERR_INVALID_PROTOCOL);
  o = (lode_http_request_opts_t){ .url = "http://" };
  ASSERT_EQ(lode_http_request(&loop, &o, NULL, &r), LODE_ERR_INVALID_URL);
  o = (lode_http_request_opts_t){ .method = "G T" };
  ASSERT_EQ(lode_http_request(&loop, &o, NULL, &r),
            LODE_ERR_INVALID_HTTP_TOKEN);
  static const char* const bad[] = { "X", "a\nb", NULL };
  o = (lode_http_request_opts_t){ .headers = bad };
  ASSERT_EQ(lode_http_request(&loop, &o, NULL, &r), LODE_ERR_INVALID_CHAR);
  ASSERT_EQ(lode_http_request(NULL, &o, NULL, &r), UV_EINVAL);
  ASSERT_NULL(r);
  lode_agent_destroy(lode_http_global_agent(&loop));
  test_run_loop(&loop, 5000);
  test_loop_close(&loop);
}

TEST_MAIN(no_default_headers, post_with_auth, url_without_agent, chunked_upload,
          array_headers, unique_headers, set_host_off, send_date,
          reused_request_starts_clean, held_write_callbacks,
          held_write_callback_destroyed, thrown_errors)
