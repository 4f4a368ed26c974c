/* The server's request and keep-alive timeouts where a connection is busy:
 * requestTimeout no longer applies once a connection is upgraded, and the
 * keep-alive timeout does not cut a request that is being handled or (up
 * to Node's one-second buffer) one whose head comes slowly. The client is
 * a raw lode socket sending exact bytes; each case was run against Node 20
 * with the same bytes and gaps. */
#include <stdlib.h>
#include <string.h>

#include "lode.h"
#include "test.h"

static uv_loop_t loop;
static lode_http_server_t* srv;
static int port;
static lode_stream_t* cli;
static char got[4096];
static size_t got_len;
static int nresponses;
static uv_timer_t gap_timer;
static const char* gap_bytes; /* written by gap_timer */
static int gap_end;           /* ... then end() */

static void on_listening(lode_http_server_t* s) {
  port = lode_http_server_port(s);
}

static void srv_closed(lode_http_server_t* s) {
  test_trace("server-close");
  srv = NULL; /* gone after its 'close' */
}

static void start(const lode_http_server_opts_t* o,
                  const lode_http_server_events_t* ev) {
  port = 0;
  got_len = 0;
  nresponses = 0;
  cli = NULL;
  test_trace_reset();
  ASSERT_OK(uv_loop_init(&loop));
  uv_timer_init(&loop, &gap_timer);
  ASSERT_OK(lode_http_create_server(&loop, o, ev, &srv));
  ASSERT_OK(lode_http_server_listen(
      srv, &(lode_listen_opts_t){ .host = "127.0.0.1" }, NULL, NULL));
  while (port == 0)
    uv_run(&loop, UV_RUN_ONCE);
}

static void finish(void) {
  test_run_loop(&loop, 10000);
  test_loop_close(&loop);
}

static void write_str(const char* s) {
  ASSERT_GE(lode_stream_write(cli, lode_slice_str(s), NULL, NULL), 0);
}

static void gap_fire(uv_timer_t* t) {
  test_trace("gap");
  write_str(gap_bytes);
  if (gap_end)
    lode_stream_end(cli, NULL, NULL);
}

/* Writes `bytes` (and ends when `end`) after `ms`: the scenarios need a
 * pause longer than a timeout. */
static void after_gap(unsigned ms, const char* bytes, int end) {
  gap_bytes = bytes;
  gap_end = end;
  uv_timer_start(&gap_timer, gap_fire, ms, 0);
}

/* ---- The client ---- */

static void (*on_response)(int n);
static void (*on_bytes)(void); /* after each read, if set */

static void cli_data(void* ctx, lode_stream_t* s, lode_slice_t d) {
  ASSERT_LE(got_len + d.len, sizeof(got));
  memcpy(got + got_len, d.base, d.len);
  got_len += d.len;
  if (on_bytes != NULL)
    on_bytes();
  /* Each response here ends with the body "ok" (or the upgrade's echo). */
  if (on_response != NULL && got_len >= 2 &&
      memcmp(got + got_len - 2, "ok", 2) == 0) {
    test_trace("response");
    on_response(++nresponses);
  }
}

static void cli_end(void* ctx, lode_stream_t* s) {
  test_trace("end");
  lode_stream_end(s, NULL, NULL);
}

static void cli_close(void* ctx, lode_stream_t* s, int had_error) {
  test_trace("client-close");
  uv_close((uv_handle_t*) &gap_timer, NULL);
  if (srv != NULL)
    lode_http_server_close(srv, NULL, NULL);
}

static const lode_stream_reader_t cli_reader = {
  .on_data = cli_data,
  .on_end = cli_end,
  .on_close = cli_close,
};

static void connected(lode_socket_t* s, int status, void* arg) {
  ASSERT_OK(status);
  cli = lode_socket_stream(s);
  lode_stream_set_reader(cli, &cli_reader, NULL);
  write_str(arg);
}

static void connect_client(const char* first) {
  lode_socket_opts_t so = { .host = "127.0.0.1", .port = port };
  lode_socket_t* s;
  ASSERT_OK(lode_socket_create(&loop, NULL, NULL, &s));
  ASSERT_OK(lode_socket_connect(s, &so, connected, (void*) first));
}

/* ---- 17: requestTimeout after an upgrade ---- */

static void echo_data(void* ctx, lode_stream_t* s, lode_slice_t d) {
  lode_stream_write(s, d, NULL, NULL);
}

static void echo_end(void* ctx, lode_stream_t* s) {
  lode_stream_end(s, NULL, NULL);
}

static const lode_stream_reader_t echo_reader = {
  .on_data = echo_data,
  .on_end = echo_end,
};

static const char switching[] =
    "HTTP/1.1 101 Switching Protocols\r\n"
    "Upgrade: echo\r\n"
    "Connection: Upgrade\r\n\r\n";

static void on_upgrade(lode_http_server_t* s, lode_http_incoming_t* req,
                       lode_stream_t* sock, lode_slice_t head) {
  test_trace("upgrade(%zu)", head.len);
  lode_stream_set_reader(sock, &echo_reader, NULL);
  lode_stream_write(sock, lode_slice_str(switching), NULL, NULL);
}

static void no_request(lode_http_server_t* s, lode_http_incoming_t* req,
                       lode_http_response_t* res) {
  test_trace("request");
}

static const lode_http_server_events_t upgrade_ev = {
  .on_request = no_request,
  .on_upgrade = on_upgrade,
  .on_listening = on_listening,
  .on_close = srv_closed,
};

static void switched(int n) {
  (void) n;
}

/* The 101 came: from here the client waits three request timeouts. */
static int upgrade_seen;
static void after_101(void) {
  if (upgrade_seen || got_len < sizeof(switching) - 1)
    return;
  ASSERT_MEM_EQ(got, sizeof(switching) - 1, switching, sizeof(switching) - 1);
  upgrade_seen = 1;
  after_gap(600, "0123456789ok", 1);
}

/* Node 20 (test-http-server-request-timeout-upgrade): requestTimeout 200
 * checked every 50 ms; the client waits three timeouts from the 101's
 * arrival and then sends its bytes, which come back echoed: no 408, no
 * reset. */
TEST(request_timeout_after_upgrade) {
  lode_http_server_opts_t o = {
    .headers_timeout = LODE_HTTP_TIMEOUT_NONE,
    .request_timeout = 200,
    .keep_alive_timeout = LODE_HTTP_TIMEOUT_NONE,
    .connections_checking_interval = 50,
  };
  on_response = switched;
  on_bytes = after_101;
  upgrade_seen = 0;
  start(&o, &upgrade_ev);
  connect_client(
      "GET / HTTP/1.1\r\nUpgrade: echo\r\n"
      "Connection: Upgrade\r\n\r\n");
  finish();
  on_bytes = NULL;
  ASSERT_TRACE("upgrade(0),gap,response,end,client-close,server-close");
  char want[256];
  snprintf(want, sizeof(want), "%s0123456789ok", switching);
  ASSERT_MEM_EQ(got, got_len, want, strlen(want));
}

/* ---- 18: the keep-alive timeout and a busy connection ---- */

static lode_http_response_t* slow_res;
static uv_timer_t slow_timer;

static void slow_fire(uv_timer_t* t) {
  test_trace("handler-done");
  lode_http_outgoing_end(slow_res, LODE_SLICE("ok"), NULL, NULL);
  lode_http_outgoing_release(slow_res);
  uv_close((uv_handle_t*) t, NULL);
}

static unsigned slow_ms;

static void ok_request(lode_http_server_t* s, lode_http_incoming_t* req,
                       lode_http_response_t* res) {
  const char* url = lode_http_incoming_url(req);
  test_trace("request(%s)", url);
  lode_http_response_set_send_date(res, 0);
  if (strcmp(url, "/slow") != 0) {
    lode_http_outgoing_end(res, LODE_SLICE("ok"), NULL, NULL);
    return;
  }
  slow_res = res; /* kept past its close, should the connection go */
  lode_http_outgoing_hold(res);
  uv_timer_init(&loop, &slow_timer);
  uv_timer_start(&slow_timer, slow_fire, slow_ms, 0);
}

static const lode_http_server_events_t ok_ev = {
  .on_request = ok_request,
  .on_listening = on_listening,
  .on_close = srv_closed,
};

static const char ok_response[] =
    "HTTP/1.1 200 OK\r\n"
    "Connection: keep-alive\r\n"
    "Keep-Alive: timeout=0\r\n"
    "Content-Length: 2\r\n\r\nok";

static void send_slow_then_end(int n) {
  if (n == 1)
    write_str("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n");
  else
    lode_stream_end(cli, NULL, NULL);
}

/* A keep-alive connection on a server with keepAliveTimeout `ka`: the
 * first request, then what `next` sends; the bytes are `nok` answers. */
static void keep_alive_case(uint64_t ka, void (*next)(int), int nok,
                            const char* trace) {
  lode_http_server_opts_t o = { .keep_alive_timeout = ka };
  on_response = next;
  start(&o, &ok_ev);
  connect_client("GET /first HTTP/1.1\r\nHost: x\r\n\r\n");
  finish();
  ASSERT_TRACE(trace);
  char want[512] = "";
  for (int i = 0; i < nok; i++)
    strcat(want, ok_response);
  ASSERT_MEM_EQ(got, got_len, want, strlen(want));
}

/* Node 20 (…keep-alive-timeout-slow-server): keepAliveTimeout 1 ms (the
 * idle socket goes after 1001 ms); the second request's handler answers
 * after 1500 ms and the answer still goes out on the same connection. */
TEST(keep_alive_timeout_not_while_handling) {
  slow_ms = 1500;
  keep_alive_case(1, send_slow_then_end, 2,
                  "request(/first),response,request(/slow),handler-done,"
                  "response,end,client-close,server-close");
}

static unsigned head_gap;

static void slow_head_then_end(int n) {
  if (n == 1) {
    write_str("GET /second HTTP/1.1\r\nHost: x\r\n");
    after_gap(head_gap, "\r\n", 0);
  } else {
    lode_stream_end(cli, NULL, NULL);
  }
}

/* Node 20 (…keep-alive-timeout-slow-client-headers): keepAliveTimeout
 * 100 ms; half a head, then 600 ms of silence (more than keepAliveTimeout,
 * less than its one-second buffer), then the rest: answered. */
TEST(keep_alive_timeout_slow_client_head) {
  head_gap = 600;
  keep_alive_case(100, slow_head_then_end, 2,
                  "request(/first),response,gap,request(/second),response,"
                  "end,client-close,server-close");
}

/* Node 20: the keep-alive timer runs until a head is complete (each byte
 * restarts it); 1500 ms of silence inside the head closes the
 * connection with no answer, like an idle one. */
TEST(keep_alive_timeout_head_too_slow) {
  head_gap = 1500;
  keep_alive_case(100, slow_head_then_end, 1,
                  "request(/first),response,end,client-close,server-close");
}

/* ---- server.timeout after close() ---- */

static void close_in_handler(lode_http_server_t* s, lode_http_incoming_t* req,
                             lode_http_response_t* res) {
  test_trace("request");
  lode_http_server_close(s, NULL, NULL);
}

static void timed_out(lode_stream_t* sock, int status, void* arg) {
  test_trace("timeout");
  lode_stream_destroy(sock, NULL);
}

static const lode_http_server_events_t close_ev = {
  .on_request = close_in_handler,
  .on_listening = on_listening,
  .on_close = srv_closed,
};

/* Node 20: close() leaves a busy connection open and its socket timeout
 * still runs. A request never answered, close() in its handler,
 * server.timeout 200 ms: 'timeout' comes, its callback destroys the
 * connection, and the server closes. The server's 'close' comes before
 * the client reads the end, as in Node: the connection's descriptor is
 * closed (and its FIN sent) when its handle has closed. */
TEST(timeout_after_close) {
  lode_http_server_opts_t o = {
    .headers_timeout = LODE_HTTP_TIMEOUT_NONE,
    .request_timeout = LODE_HTTP_TIMEOUT_NONE,
  };
  on_response = NULL;
  on_bytes = NULL;
  start(&o, &close_ev);
  lode_http_server_set_timeout(srv, 200, timed_out, NULL);
  connect_client("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  finish();
  ASSERT_TRACE("request,timeout,server-close,end,client-close");
  ASSERT_EQ(got_len, 0);
}

TEST_MAIN(request_timeout_after_upgrade, keep_alive_timeout_not_while_handling,
          keep_alive_timeout_slow_client_head, keep_alive_timeout_head_too_slow,
          timeout_after_close)
