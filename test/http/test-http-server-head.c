/* The lines the server adds to a response head (Date, Connection,
 * Keep-Alive, Content-Length), which it keeps ready between responses,
 * and what end() or write() followed by a destroy leaves on the wire:
 * the bytes Node 20 sends for the same handlers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lode.h"
#include "test.h"
#include "server-pair.h"

/* Each request changes a setting for the responses made after its own
 * (Node copies keepAliveTimeout and maxRequestsPerSocket into a response
 * when it is made). */
static void settings(lode_http_server_t* srv, lode_http_incoming_t* req,
                     lode_http_response_t* res) {
  const char* url = lode_http_incoming_url(req);
  if (strcmp(url, "/1") == 0)
    lode_http_server_set_keep_alive_timeout(srv, 7000);
  else if (strcmp(url, "/2") == 0)
    lode_http_server_set_max_requests_per_socket(srv, 10);
  else if (strcmp(url, "/3") == 0)
    lode_http_response_set_send_date(res, 0);
  else if (strcmp(url, "/4") == 0)
    lode_http_server_set_keep_alive_timeout(srv, 0);
  else if (strcmp(url, "/5") == 0)
    lode_http_server_set_keep_alive_timeout(srv, 3000);
  lode_http_outgoing_end(res, LODE_SLICE("ok"), NULL, NULL);
}

static const lode_http_server_events_t settings_ev = { .on_request = settings };

TEST(head_lines_follow_settings) {
  const char* got = run(NULL, &settings_ev,
                        "GET /1 HTTP/1.1\r\nHost: x\r\n\r\n"
                        "GET /2 HTTP/1.1\r\nHost: x\r\n\r\n"
                        "GET /3 HTTP/1.1\r\nHost: x\r\n\r\n"
                        "GET /4 HTTP/1.1\r\nHost: x\r\n\r\n"
                        "GET /5 HTTP/1.1\r\nHost: x\r\n\r\n"
                        "GET /6 HTTP/1.1\r\nHost: x\r\n\r\n");
  /* Node 20's bytes for the same handler (Date replaced). */
  ASSERT_STR_EQ(got,
                "HTTP/1.1 200 OK\r\nDate: X\r\nConnection: keep-alive\r\n"
                "Keep-Alive: timeout=5\r\nContent-Length: 2\r\n\r\nok"
                "HTTP/1.1 200 OK\r\nDate: X\r\nConnection: keep-alive\r\n"
                "Keep-Alive: timeout=7\r\nContent-Length: 2\r\n\r\nok"
                "HTTP/1.1 200 OK\r\nConnection: keep-alive\r\n"
                "Keep-Alive: timeout=7, max=10\r\nContent-Length: 2\r\n\r\nok"
                "HTTP/1.1 200 OK\r\nDate: X\r\nConnection: keep-alive\r\n"
                "Keep-Alive: timeout=7, max=10\r\nContent-Length: 2\r\n\r\nok"
                "HTTP/1.1 200 OK\r\nDate: X\r\nConnection: keep-alive\r\n"
                "Content-Length: 2\r\n\r\nok"
                "HTTP/1.1 200 OK\r\nDate: X\r\nConnection: keep-alive\r\n"
                "Keep-Alive: timeout=3, max=10\r\nContent-Length: 2\r\n\r\nok");
}

/* The Date value is IMF-fixdate for the current second: the text
 * strftime gives for the time read just before the exchange or just
 * after it (the second may turn in between). */
static void imf(char* out, size_t n, time_t t) {
  struct tm tm;
  gmtime_r(&t, &tm);
  static const char* const days[] = { "Sun", "Mon", "Tue", "Wed",
                                      "Thu", "Fri", "Sat" };
  static const char* const months[] = { "Jan", "Feb", "Mar", "Apr",
                                        "May", "Jun", "Jul", "Aug",
                                        "Sep", "Oct", "Nov", "Dec" };
  snprintf(out, n, "%s, %02d %s %04d %02d:%02d:%02d GMT", days[tm.tm_wday],
           tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour,
           tm.tm_min, tm.tm_sec);
}

static void ok(lode_http_server_t* srv, lode_http_incoming_t* req,
               lode_http_response_t* res) {
  (void) srv;
  (void) req;
  lode_http_outgoing_end(res, LODE_SLICE("ok"), NULL, NULL);
}

static const lode_http_server_events_t ok_ev = { .on_request = ok };

/* The clock the server reads. Not time(): on Linux it reads the coarse
 * clock, which can still show the last second for a few milliseconds
 * after CLOCK_REALTIME has entered the next. */
static time_t now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return ts.tv_sec;
}

TEST(date_is_imf_fixdate) {
  time_t before = now_s();
  run(NULL, &ok_ev, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  time_t after = now_s();
  char raw[256];
  size_t n = X->len < sizeof(raw) - 1 ? X->len : sizeof(raw) - 1;
  memcpy(raw, X->out, n);
  raw[n] = '\0';
  const char* d = strstr(raw, "\r\nDate: ");
  ASSERT_NOT_NULL(d);
  d += 8;
  const char* e = strstr(d, "\r\n");
  ASSERT_NOT_NULL(e);
  ASSERT_EQ((size_t) (e - d), 29);
  char got[32], a[64], b[64];
  memcpy(got, d, 29);
  got[29] = '\0';
  imf(a, sizeof(a), before);
  imf(b, sizeof(b), after);
  if (strcmp(got, a) != 0 && strcmp(got, b) != 0)
    test_fail(__FILE__, __LINE__, "Date %s, expected %s or %s", got, a, b);
}

/* Content-Length for bodies of 0 to 5 digits of length. */
static void sized(lode_http_server_t* srv, lode_http_incoming_t* req,
                  lode_http_response_t* res) {
  (void) srv;
  static char body[12345];
  memset(body, 'b', sizeof(body));
  size_t n = strtoul(lode_http_incoming_url(req) + 1, NULL, 10);
  lode_http_outgoing_end(res, (lode_slice_t){ body, n }, NULL, NULL);
}

static const lode_http_server_events_t sized_ev = { .on_request = sized };

TEST(content_length_digits) {
  static const unsigned sizes[] = { 0, 1, 9, 10, 99, 100, 999, 1000, 12345 };
  for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
    char req[64], want[128];
    snprintf(req, sizeof(req), "GET /%u HTTP/1.1\r\nHost: x\r\n\r\n", sizes[i]);
    const char* got = run(NULL, &sized_ev, req);
    snprintf(want, sizeof(want),
             "HTTP/1.1 200 OK\r\nDate: X\r\nConnection: keep-alive\r\n"
             "Keep-Alive: timeout=5\r\nContent-Length: %u\r\n\r\n",
             sizes[i]);
    ASSERT_EQ(strncmp(got, want, strlen(want)), 0);
    ASSERT_EQ(strlen(got), strlen(want) + sizes[i]);
  }
}

/* Host is found in any case, and only as the whole name (Node answers
 * 400 to an HTTP/1.1 request without it). */
TEST(host_any_case_whole_name) {
  static const char* const reqs[] = {
    "GET / HTTP/1.1\r\nhOST: x\r\n\r\n",
    "GET / HTTP/1.1\r\nHostx: x\r\n\r\n",
    "GET / HTTP/1.1\r\nHos: x\r\n\r\n",
    "GET / HTTP/1.1\r\nExpect: 100-continuex\r\nHOST: x\r\n\r\n",
  };
  static const int ok_status[] = { 1, 0, 0, 0 };
  for (size_t i = 0; i < sizeof(reqs) / sizeof(reqs[0]); i++) {
    const char* got = run(NULL, &ok_ev, reqs[i]);
    const char* want = ok_status[i] ? "HTTP/1.1 200 OK\r\n"
                       : i == 3     ? "HTTP/1.1 417 Expectation Failed\r\n"
                                    : "HTTP/1.1 400 Bad Request\r\n";
    if (strncmp(got, want, strlen(want)) != 0)
      test_fail(__FILE__, __LINE__, "request %zu: %s", i, got);
  }
}

/* end() then destroy: Node's end() uncorks the socket, so the response
 * is on the wire before the destroy. write() then destroy: the write is
 * corked until the next tick, and the destroy drops it. On a real
 * socket, as Node's are: a raw client sends one request and reads to the
 * end. */
static int then_write;

static void then_destroy(lode_http_server_t* srv, lode_http_incoming_t* req,
                         lode_http_response_t* res) {
  (void) srv;
  if (then_write)
    lode_http_outgoing_write(res, LODE_SLICE("hello"), NULL, NULL);
  else
    lode_http_outgoing_end(res, LODE_SLICE("hello"), NULL, NULL);
  lode_stream_destroy(lode_http_incoming_socket(req), NULL);
}

static int port;

static void on_listening(lode_http_server_t* srv) {
  port = lode_http_server_port(srv);
}

static const lode_http_server_events_t then_destroy_ev = {
  .on_request = then_destroy,
  .on_listening = on_listening,
};

typedef struct raw_client_s {
  uv_tcp_t tcp;
  uv_connect_t connect;
  uv_write_t write;
  lode_http_server_t* srv;
  exchange_t got; /* for normalized() */
  char chunk[4096];
} raw_client_t;

static void raw_alloc(uv_handle_t* h, size_t size, uv_buf_t* buf) {
  raw_client_t* c = h->data;
  (void) size;
  *buf = uv_buf_init(c->chunk, sizeof(c->chunk));
}

static void raw_closed(uv_handle_t* h) {
  raw_client_t* c = h->data;
  test_trace("cli-close");
  lode_http_server_close(c->srv, NULL, NULL);
}

static void raw_read(uv_stream_t* s, ssize_t n, const uv_buf_t* buf) {
  raw_client_t* c = s->data;
  if (n > 0) {
    ASSERT_LT(c->got.len + (size_t) n, sizeof(c->got.out));
    memcpy(c->got.out + c->got.len, buf->base, (size_t) n);
    c->got.len += (size_t) n;
    return;
  }
  if (n == 0)
    return;
  test_trace(n == UV_EOF ? "cli-end" : "cli-error");
  uv_close((uv_handle_t*) s, raw_closed);
}

static void raw_connected(uv_connect_t* req, int status) {
  raw_client_t* c = req->data;
  static char get[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
  ASSERT_OK(status);
  uv_buf_t b = uv_buf_init(get, sizeof(get) - 1);
  ASSERT_OK(uv_write(&c->write, (uv_stream_t*) &c->tcp, &b, 1, NULL));
  ASSERT_OK(uv_read_start((uv_stream_t*) &c->tcp, raw_alloc, raw_read));
}

static const char* get_then_destroy(int write_only) {
  static uv_loop_t loop;
  static raw_client_t c;
  memset(&c, 0, sizeof(c));
  then_write = write_only;
  port = 0;
  test_trace_reset();
  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(lode_http_create_server(&loop, NULL, &then_destroy_ev, &c.srv));
  ASSERT_OK(lode_http_server_listen(
      c.srv, &(lode_listen_opts_t){ .host = "127.0.0.1" }, NULL, NULL));
  while (port == 0)
    uv_run(&loop, UV_RUN_ONCE);
  struct sockaddr_in addr;
  ASSERT_OK(uv_ip4_addr("127.0.0.1", port, &addr));
  ASSERT_OK(uv_tcp_init(&loop, &c.tcp));
  c.tcp.data = &c;
  c.connect.data = &c;
  ASSERT_OK(uv_tcp_connect(&c.connect, &c.tcp, (struct sockaddr*) &addr,
                           raw_connected));
  test_run_loop(&loop, 5000);
  test_loop_close(&loop);
  return normalized(&c.got);
}

TEST(end_then_destroy_sends) {
  const char* got = get_then_destroy(0);
  ASSERT_STR_EQ(got,
                "HTTP/1.1 200 OK\r\nDate: X\r\nConnection: keep-alive\r\n"
                "Keep-Alive: timeout=5\r\nContent-Length: 5\r\n\r\nhello");
  ASSERT_TRACE("cli-end,cli-close");
}

TEST(write_then_destroy_drops) {
  const char* got = get_then_destroy(1);
  ASSERT_STR_EQ(got, "");
  ASSERT_TRACE("cli-end,cli-close");
}

TEST_MAIN(head_lines_follow_settings, date_is_imf_fixdate,
          content_length_digits, host_any_case_whole_name,
          end_then_destroy_sends, write_then_destroy_drops)
