/* The WebSocket interface over the in-memory pair: the opening request
 * byte for byte, the client's handshake checks, the WHATWG rules of the
 * constructor, send and close, bufferedAmount, the message size limit,
 * the server's refusals, and lode talking to lode with permessage-deflate.
 */
#include "wsraw.h"

static char got_request[2048];
static void keep_request(void* ctx, lode_stream_t* s, lode_slice_t d) {
  size_t n = strlen(got_request);
  snprintf(got_request + n, sizeof(got_request) - n, "%.*s", (int) d.len,
           d.base);
  if (strstr(got_request, "\r\n\r\n") != NULL)
    lode_stream_destroy(s, NULL);
}
static const lode_stream_reader_t keep_reader = { .on_data = keep_request };
/* A peer that reads and never answers (it goes when lode goes). */
static void destroy_back(void* ctx, lode_stream_t* s) {
  lode_stream_destroy(s, NULL);
}
static void ignore(void* ctx, lode_stream_t* s, lode_slice_t d) {
}
static const lode_stream_reader_t answer_nothing = {
  .on_data = ignore,
  .on_end = destroy_back,
};

TEST(request_matches_node) {
  uv_loop_t loop;
  lode_stream_t *a, *b;
  lode_websocket_t* ws;
  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(lode_stream_pair(&loop, &a, &b));
  lode_stream_set_reader(b, &keep_reader, NULL);
  static const char* protos[] = { "chat", "x" };
  lode_websocket_opts_t o = { .stream = a };
  test_trace_reset();
  ASSERT_OK(lode_websocket_create(&loop, "ws://127.0.0.1:33713/p?q=1", protos,
                                  2, &o, &echo_events, &ws));
  test_run_loop(&loop, 5000);
  char* k = strstr(got_request, "sec-websocket-key: ");
  ASSERT_NOT_NULL(k);
  ASSERT(lode__ws_key_valid(k + 19, 24));
  memset(k + 19, 'K', 24);
  /* What Node 20's WebSocket sends (captured from node). */
  ASSERT_STR_EQ(got_request,
                "GET /p?q=1 HTTP/1.1\r\nhost: 127.0.0.1:33713\r\n"
                "connection: upgrade\r\nupgrade: websocket\r\n"
                "sec-websocket-key: KKKKKKKKKKKKKKKKKKKKKKKK\r\n"
                "sec-websocket-version: 13\r\n"
                "sec-websocket-protocol: chat, x\r\n"
                "sec-websocket-extensions: permessage-deflate; "
                "client_max_window_bits\r\naccept: */*\r\n"
                "accept-language: *\r\nsec-fetch-mode: websocket\r\n"
                "user-agent: node\r\npragma: no-cache\r\n"
                "cache-control: no-cache\r\naccept-encoding: gzip, deflate"
                "\r\n\r\n");
  ASSERT_TRACE("error(ERR_WS_PROTOCOL),close(0,1006,)");
  test_loop_close(&loop);
}

static void open_close(lode_websocket_t* ws) {
  test_trace("open");
  ASSERT_STR_EQ(lode_websocket_protocol(ws), "b");
  lode_websocket_close(ws, 0, (lode_slice_t){ NULL, 0 });
}
static const lode_websocket_events_t open_close_events = {
  .on_open = open_close,
  .on_error = trace_error,
  .on_close = trace_close,
};

/* Each bad answer, with Node's message. */
static void client_answer(const char* response, const char* const* protos,
                          size_t n, int deflate, const char* want) {
  raw_init(0);
  lode_websocket_opts_t o = { .stream = R.a, .per_message_deflate = deflate };
  R.response = response;
  ASSERT_OK(lode_websocket_create(&R.loop, "ws://h/", protos, n, &o,
                                  &open_close_events, &R.ws));
  raw_finish();
  ASSERT_TRACE(want);
}

static void trace_error_message(lode_websocket_t* ws, const lode_error_t* e) {
  test_trace("error(%s)", e->message);
}
static const lode_websocket_events_t msg_events = {
  .on_open = open_close,
  .on_error = trace_error_message,
  .on_close = trace_close,
};

TEST(client_handshake_checks) {
  static const char* p[] = { "a", "b" };
  const char* ok =
      "HTTP/1.1 101 OK\r\nUpgrade: websocket\r\nConnection: "
      "upgrade\r\nSec-WebSocket-Accept: %s\r\n";
  char r[512];
  const char* fail = "error(ERR_WS_PROTOCOL),close(0,1006,)";
  snprintf(r, sizeof(r), "%sSec-WebSocket-Protocol: b\r\n\r\n", ok);
  client_answer(r, p, 2, 0, "open,close(1,1005,)");
  client_answer("HTTP/1.1 200 OK\r\n\r\n%.0s", NULL, 0, 0, fail);
  snprintf(r, sizeof(r), "%s\r\n", ok);
  client_answer(r, p, 2, 0, fail); /* no protocol */
  snprintf(r, sizeof(r), "%sSec-WebSocket-Protocol: c\r\n\r\n", ok);
  client_answer(r, p, 2, 0, fail); /* one not offered */
  client_answer(
      "HTTP/1.1 101 OK\r\nUpgrade: websocket\r\nConnection: "
      "upgrade\r\nSec-WebSocket-Accept: x%.0s\r\n\r\n",
      NULL, 0, 0, fail);
  client_answer(
      "HTTP/1.1 101 OK\r\nUpgrade: h2c\r\nConnection: "
      "upgrade\r\nSec-WebSocket-Accept: %s\r\n\r\n",
      NULL, 0, 0, fail);
  client_answer(
      "HTTP/1.1 101 OK\r\nUpgrade: websocket\r\nConnection: "
      "close\r\nSec-WebSocket-Accept: %s\r\n\r\n",
      NULL, 0, 0, fail);
  snprintf(r, sizeof(r),
           "%sSec-WebSocket-Extensions: permessage-deflate"
           "\r\n\r\n",
           ok);
  client_answer(r, NULL, 0, -1, fail); /* not offered */
  snprintf(r, sizeof(r), "%sSec-WebSocket-Extensions: x-foo\r\n\r\n", ok);
  client_answer(r, NULL, 0, 0, fail);
  /* The messages are Node's. */
  raw_init(0);
  lode_websocket_opts_t o = { .stream = R.a };
  R.response =
      "HTTP/1.1 101 OK\r\nUpgrade: websocket\r\nConnection: "
      "upgrade\r\nSec-WebSocket-Accept: %s\r\n\r\n";
  ASSERT_OK(
      lode_websocket_create(&R.loop, "ws://h/", p, 2, &o, &msg_events, &R.ws));
  raw_finish();
  ASSERT_TRACE(
      "error(Server did not respond with sent protocols.),"
      "close(0,1006,)");
}

/* Heads are built whole, whatever their lengths. The client's request
 * carries a 300-byte host (Node's URL parser takes it; lode refused hosts
 * over 255 bytes), a 5000-byte path and a 300-byte protocol as they are;
 * a 101 whose accept key and protocol come after 100 other headers (past
 * the 64 the parser keeps inline) is read whole. */
static char long_host[301], long_path[5002], long_proto[301];
static void make_long(void) {
  memset(long_host, 'h', 300);
  long_path[0] = '/';
  memset(long_path + 1, 'p', 5000);
  memset(long_proto, 'q', 300);
}

static lode__buf_t seen;
static void keep_all(void* ctx, lode_stream_t* s, lode_slice_t d) {
  lode__buf_append(&seen, d.base, d.len);
  if (seen.len >= 4 && memcmp(seen.base + seen.len - 4, "\r\n\r\n", 4) == 0)
    lode_stream_destroy(s, NULL);
}
static const lode_stream_reader_t keep_all_reader = { .on_data = keep_all };

static void long_open(lode_websocket_t* ws) {
  test_trace("open(%zu)", strlen(lode_websocket_protocol(ws)));
  ASSERT_STR_EQ(lode_websocket_protocol(ws), long_proto);
  ASSERT_OK(lode_websocket_close(ws, LODE_WEBSOCKET_CLOSE_NORMAL,
                                 (lode_slice_t){ 0 }));
}
static const lode_websocket_events_t long_events = {
  .on_open = long_open,
  .on_error = trace_error,
  .on_close = trace_close,
};

TEST(long_heads_client) {
  make_long();
  static char url[5600], want[5600];
  snprintf(url, sizeof(url), "ws://%s:8080%s", long_host, long_path);
  const char* protos[] = { long_proto };
  uv_loop_t loop;
  lode_stream_t *a, *b;
  lode_websocket_t* ws;
  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(lode_stream_pair(&loop, &a, &b));
  lode_stream_set_reader(b, &keep_all_reader, NULL);
  lode_websocket_opts_t o = { .stream = a };
  test_trace_reset();
  ASSERT_OK(
      lode_websocket_create(&loop, url, protos, 1, &o, &echo_events, &ws));
  ASSERT_STR_EQ(lode_websocket_url(ws), url);
  test_run_loop(&loop, 5000);
  ASSERT_TRACE("error(ERR_WS_PROTOCOL),close(0,1006,)");
  test_loop_close(&loop);
  lode__buf_append(&seen, "", 1);
  snprintf(want, sizeof(want), "GET %s HTTP/1.1\r\nhost: %s:8080\r\n",
           long_path, long_host);
  ASSERT(strncmp(seen.base, want, strlen(want)) == 0);
  snprintf(want, sizeof(want), "\r\nsec-websocket-protocol: %s\r\n",
           long_proto);
  ASSERT_NOT_NULL(strstr(seen.base, want));
  lode__buf_free(&seen);

  /* The answer. */
  raw_init(0);
  lode__buf_t res = { 0 };
  lode__buf_append_str(&res,
                       "HTTP/1.1 101 Switching Protocols\r\n"
                       "Upgrade: websocket\r\nConnection: Upgrade\r\n");
  for (int i = 0; i < 100; i++) {
    char line[32];
    snprintf(line, sizeof(line), "x-%d: y\r\n", i);
    lode__buf_append_str(&res, line);
  }
  lode__buf_append_str(&res, "Sec-WebSocket-Protocol: ");
  lode__buf_append_str(&res, long_proto);
  lode__buf_append_str(&res, "\r\nSec-WebSocket-Accept: %s\r\n\r\n");
  lode__buf_append(&res, "", 1);
  R.response = res.base;
  o = (lode_websocket_opts_t){ .stream = R.a };
  ASSERT_OK(lode_websocket_create(&R.loop, "ws://h/", protos, 1, &o,
                                  &long_events, &R.ws));
  raw_finish();
  ASSERT_TRACE("open(300),close(1,1000,)");
  lode__buf_free(&res);
}

/* A server's 101 names a protocol of any length (one of 200 bytes or more
 * was left out of it while the server reported it as chosen). */
static void long_server_close(lode_websocket_t* ws, int clean, int code,
                              lode_slice_t reason) {
  char want[400];
  snprintf(want, sizeof(want), "\r\nSec-WebSocket-Protocol: %s\r\n",
           long_proto);
  lode__buf_append(&R.rx, "", 1);
  test_trace("101 names it: %s", strstr(R.rx.base, want) ? "yes" : "no");
  trace_close(ws, clean, code, reason);
}
static const lode_websocket_events_t long_server_events = {
  .on_open = long_open,
  .on_error = trace_error,
  .on_close = long_server_close,
};

TEST(long_heads_server) {
  make_long();
  for (size_t len = 199; len <= 300; len += 101) {
    raw_init(1);
    long_proto[len] = '\0';
    lode_slice_t headers[NREQUEST_HEADERS + 2];
    memcpy(headers, request_headers, sizeof(lode_slice_t) * NREQUEST_HEADERS);
    headers[NREQUEST_HEADERS] = LODE_SLICE("Sec-WebSocket-Protocol");
    headers[NREQUEST_HEADERS + 1] = lode_slice_str(long_proto);
    lode_websocket_request_t req = {
      LODE_SLICE("GET"), LODE_SLICE("/"), 1, 1, headers, NREQUEST_HEADERS + 2
    };
    ASSERT_OK(lode_websocket_accept(R.a, &req, LODE_SLICE(""), NULL,
                                    &long_server_events, &R.ws));
    raw_finish();
    char want[80];
    snprintf(want, sizeof(want),
             "open(%zu),101 names it: yes,"
             "close(1,1000,)",
             len);
    ASSERT_TRACE(want);
    long_proto[len] = len < 300 ? 'q' : '\0';
  }
}

TEST(constructor_errors) {
  uv_loop_t loop;
  lode_stream_t *a, *b;
  lode_websocket_t* ws = NULL;
  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(lode_stream_pair(&loop, &a, &b));
  lode_websocket_opts_t o = { .stream = a };
  static const char* bad[] = {
    "ftp://h/", "ws://h/#frag", "ws://h/#",   "ws://",     "ws://h:99999/",
    "h/",       "ws:h",         "ws://h:8x/", "ws://a b/", NULL,
  };
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
    ASSERT_EQ(lode_websocket_create(&loop, bad[i], NULL, 0, &o, NULL, &ws),
              LODE_ERR_WS_SYNTAX);
  static const char* dup[] = { "chat", "CHAT" };
  ASSERT_EQ(lode_websocket_create(&loop, "ws://h/", dup, 2, &o, NULL, &ws),
            LODE_ERR_WS_SYNTAX);
  static const char* sp[] = { "a b" };
  ASSERT_EQ(lode_websocket_create(&loop, "ws://h/", sp, 1, &o, NULL, &ws),
            LODE_ERR_WS_SYNTAX);
  static const char* empty[] = { "" };
  ASSERT_EQ(lode_websocket_create(&loop, "ws://h/", empty, 1, &o, NULL, &ws),
            LODE_ERR_WS_SYNTAX);
  ASSERT_NULL(ws);
  /* http: becomes ws:, the default port and case go, spaces are
   * escaped. */
  ASSERT_OK(lode_websocket_create(&loop, " HTTP://User@Host.EXAMPLE:80/a b?c",
                                  NULL, 0, &o, NULL, &ws));
  ASSERT_STR_EQ(lode_websocket_url(ws), "ws://host.example/a%20b?c");
  lode_websocket_t* ws6;
  lode_stream_t *a6, *b6;
  ASSERT_OK(lode_stream_pair(&loop, &a6, &b6));
  lode_websocket_opts_t o6 = { .stream = a6 };
  ASSERT_OK(lode_websocket_create(&loop, "ws://[::1]:8080", NULL, 0, &o6, NULL,
                                  &ws6));
  ASSERT_STR_EQ(lode_websocket_url(ws6), "ws://[::1]:8080/");
  lode_websocket_terminate(ws6);
  lode_stream_destroy(b6, NULL);
  ASSERT_STR_EQ(lode_websocket_protocol(ws), "");
  ASSERT_STR_EQ(lode_websocket_extensions(ws), "");
  ASSERT_STR_EQ(lode_websocket_binary_type(ws), "blob");
  lode_websocket_set_binary_type(ws, "arraybuffer");
  ASSERT_STR_EQ(lode_websocket_binary_type(ws), "arraybuffer");
  lode_websocket_set_binary_type(ws, "nonsense");
  ASSERT_STR_EQ(lode_websocket_binary_type(ws), "arraybuffer");
  /* While CONNECTING: send throws InvalidStateError; close validates
   * first, then fails the connection. */
  ASSERT_EQ(lode_websocket_send_text(ws, LODE_SLICE("x")),
            LODE_ERR_WS_INVALID_STATE);
  ASSERT_EQ(lode_websocket_close(ws, 999, (lode_slice_t){ 0 }),
            LODE_ERR_WS_INVALID_ACCESS);
  ASSERT_EQ(lode_websocket_close(ws, LODE_WEBSOCKET_CLOSE_GOING_AWAY,
                                 (lode_slice_t){ 0 }),
            LODE_ERR_WS_INVALID_ACCESS);
  ASSERT_EQ(lode_websocket_close(ws, 5000, (lode_slice_t){ 0 }),
            LODE_ERR_WS_INVALID_ACCESS);
  char r124[124];
  memset(r124, 'r', sizeof(r124));
  ASSERT_EQ(lode_websocket_close(ws, LODE_WEBSOCKET_CLOSE_NORMAL,
                                 (lode_slice_t){ r124, 124 }),
            LODE_ERR_WS_SYNTAX);
  ASSERT_EQ(
      lode_websocket_close(ws, LODE_WEBSOCKET_CLOSE_NORMAL, LODE_SLICE("\xff")),
      LODE_ERR_WS_SYNTAX);
  lode_websocket_set_events(ws, &msg_events);
  test_trace_reset();
  ASSERT_OK(lode_websocket_close(ws, 4999, (lode_slice_t){ r124, 123 }));
  ASSERT_EQ(lode_websocket_ready_state(ws), LODE_WEBSOCKET_CONNECTING);
  ASSERT_TRACE(""); /* nothing from inside close() */
  lode_stream_destroy(b, NULL);
  test_run_loop(&loop, 5000);
  ASSERT_TRACE(
      "error(Connection was closed before it was established.),"
      "close(0,1006,)");
  test_loop_close(&loop);
}

/* bufferedAmount counts message bytes until the stream has taken them;
 * after close() sends are dropped. */
static void buffered_open(lode_websocket_t* ws) {
  test_trace("open");
  ASSERT_OK(lode_websocket_send_text(ws, LODE_SLICE("hello")));
  ASSERT_OK(lode_websocket_send_binary(ws, LODE_SLICE("\x00\x01\x02")));
  ASSERT_EQ(lode_websocket_buffered_amount(ws), 8);
  ASSERT_EQ(lode_websocket_send_text(ws, LODE_SLICE("\xc3")),
            LODE_ERR_WS_SYNTAX);
  ASSERT_EQ(lode_websocket_send_binary(ws, (lode_slice_t){ NULL, 3 }),
            LODE_ERR_STREAM_NULL_VALUES);
  ASSERT_OK(lode_websocket_send_binary(ws, (lode_slice_t){ NULL, 0 }));
  ASSERT_EQ(lode_websocket_ping(ws, LODE_SLICE("p")), 0);
  ASSERT_OK(lode_websocket_close(ws, 3000, LODE_SLICE("bye")));
  ASSERT_EQ(lode_websocket_ready_state(ws), LODE_WEBSOCKET_CLOSING);
  ASSERT_OK(lode_websocket_send_text(ws, LODE_SLICE("dropped")));
  ASSERT_OK(lode_websocket_close(ws, LODE_WEBSOCKET_CLOSE_NORMAL,
                                 (lode_slice_t){ 0 }));
  ASSERT_EQ(lode_websocket_buffered_amount(ws), 8);
}
static void buffered_close(lode_websocket_t* ws, int clean, int code,
                           lode_slice_t reason) {
  ASSERT_EQ(lode_websocket_buffered_amount(ws), 0);
  ASSERT_EQ(lode_websocket_ready_state(ws), LODE_WEBSOCKET_CLOSED);
  trace_close(ws, clean, code, reason);
}
static const lode_websocket_events_t buffered_events = {
  .on_open = buffered_open,
  .on_error = trace_error,
  .on_close = buffered_close,
};

TEST(send_buffered_and_close) {
  for (int server = 1; server >= 0; server--) {
    raw_init(server);
    raw_start(&buffered_events, NULL);
    raw_finish();
    ASSERT_STR_EQ(R.replies, "T:hello,B:\\x00\\x01\\x02,B:,P:p,C:3000:bye");
    ASSERT_TRACE("open,close(1,3000,bye)");
  }
}

/* close(code) by role: a server sends every code npm ws sends (going
 * away, policy violation, internal error...), a client only the browser's
 * NORMAL and APP_FIRST..APP_LAST; a code the role may not send is refused
 * with InvalidAccessError and nothing goes out. The close frame on the
 * wire is the code and the reason, byte for byte. */
typedef struct code_case_s {
  int code;
  int server_ok;
  int client_ok;
} code_case_t;

static const code_case_t code_cases[] = {
  { 999, 0, 0 },
  { LODE_WEBSOCKET_CLOSE_NORMAL, 1, 1 },
  { LODE_WEBSOCKET_CLOSE_GOING_AWAY, 1, 0 },
  { LODE_WEBSOCKET_CLOSE_PROTOCOL_ERROR, 1, 0 },
  { LODE_WEBSOCKET_CLOSE_UNSUPPORTED_DATA, 1, 0 },
  { LODE_WEBSOCKET_CLOSE_RESERVED, 0, 0 },
  { LODE_WEBSOCKET_CLOSE_NO_STATUS, 0, 0 },
  { LODE_WEBSOCKET_CLOSE_ABNORMAL, 0, 0 },
  { LODE_WEBSOCKET_CLOSE_INVALID_DATA, 1, 0 },
  { LODE_WEBSOCKET_CLOSE_POLICY_VIOLATION, 1, 0 },
  { LODE_WEBSOCKET_CLOSE_MESSAGE_TOO_BIG, 1, 0 },
  { LODE_WEBSOCKET_CLOSE_MANDATORY_EXTENSION, 1, 0 },
  { LODE_WEBSOCKET_CLOSE_INTERNAL_ERROR, 1, 0 },
  { LODE_WEBSOCKET_CLOSE_SERVICE_RESTART, 1, 0 },
  { LODE_WEBSOCKET_CLOSE_TRY_AGAIN_LATER, 1, 0 },
  { LODE_WEBSOCKET_CLOSE_BAD_GATEWAY, 1, 0 },
  { LODE_WEBSOCKET_CLOSE_TLS_HANDSHAKE, 0, 0 },
  { LODE_WEBSOCKET_CLOSE_APP_FIRST - 1, 0, 0 },
  { LODE_WEBSOCKET_CLOSE_APP_FIRST, 1, 1 },
  { LODE_WEBSOCKET_CLOSE_APP_LAST, 1, 1 },
  { LODE_WEBSOCKET_CLOSE_APP_LAST + 1, 0, 0 },
  { 65535, 0, 0 },
};
static int code_now;

/* Closes with code_now; when that is refused, closes normally instead so
 * the session still ends. */
static void code_open(lode_websocket_t* ws) {
  int rc = lode_websocket_close(ws, code_now, LODE_SLICE("why\xc3\xa9"));
  test_trace("open,%s", rc == 0 ? "ok" : lode_err_name(rc));
  if (rc != 0)
    ASSERT_OK(lode_websocket_close(ws, LODE_WEBSOCKET_CLOSE_NORMAL,
                                   (lode_slice_t){ 0 }));
}
static const lode_websocket_events_t code_events = {
  .on_open = code_open,
  .on_error = trace_error,
  .on_close = trace_close,
};

TEST(close_codes_by_role) {
  for (size_t i = 0; i < sizeof(code_cases) / sizeof(code_cases[0]); i++) {
    const code_case_t* c = &code_cases[i];
    for (int server = 1; server >= 0; server--) {
      raw_init(server);
      code_now = c->code;
      raw_start(&code_events, NULL);
      raw_finish();
      char replies[64], trace[96];
      if (server ? c->server_ok : c->client_ok) {
        snprintf(replies, sizeof(replies), "C:%d:why\\xc3\\xa9", c->code);
        snprintf(trace, sizeof(trace), "open,ok,close(1,%d,why\\xc3\\xa9)",
                 c->code);
      } else {
        snprintf(replies, sizeof(replies),
                 "C:%d:", LODE_WEBSOCKET_CLOSE_NORMAL);
        snprintf(trace, sizeof(trace),
                 "open,ERR_WS_INVALID_ACCESS,"
                 "close(1,%d,)",
                 LODE_WEBSOCKET_CLOSE_NORMAL);
      }
      if (strcmp(R.replies, replies) != 0 ||
          strcmp(test_trace_get(), trace) != 0)
        test_fail(__FILE__, __LINE__,
                  "code %d (lode as %s):\n  replies: "
                  "%s\n  want:    %s\n  events:  %s\n  want:    %s",
                  c->code, server ? "server" : "client", R.replies, replies,
                  test_trace_get(), trace);
    }
  }
}

/* A message over max_payload fails with 1009, whole or in fragments, and
 * compressed or not (the compressed case is in the deflate test). */
static void s_big_message(void) {
  frame(0x81, "0123456789", 10);
  frame(0x02, "01234", 5);
  frame(0x80, "567890", 6);
}

TEST(max_payload) {
  for (int server = 1; server >= 0; server--) {
    raw_init(server);
    s_big_message();
    lode_websocket_opts_t o = { .max_payload = 10 };
    raw_start(&echo_events, &o);
    raw_finish();
    ASSERT_STR_EQ(R.replies, "T:0123456789,C:1009:");
    ASSERT_TRACE("open,error(ERR_WS_MESSAGE_TOO_BIG),close(0,1006,)");
  }
}

/* A peer that drops the connection without a close frame: 1006, not
 * clean, no error event (as in the browser). */
static void s_nothing(void) {
}

TEST(abnormal_closure) {
  for (int server = 1; server >= 0; server--) {
    raw_init(server);
    s_nothing();
    raw_start(&echo_events, NULL);
    R.peer_sent_close = 1;
    R.end_after_script = 1;
    raw_finish();
    ASSERT_TRACE("open,close(0,1006,)");
  }
}

/* No answer within handshake_timeout: the error, then 1006. */
TEST(handshake_timeout) {
  uv_loop_t loop;
  lode_stream_t *a, *b;
  lode_websocket_t* ws;
  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(lode_stream_pair(&loop, &a, &b));
  lode_stream_set_reader(b, &answer_nothing, NULL);
  lode_websocket_opts_t o = { .stream = a, .handshake_timeout = 20 };
  test_trace_reset();
  ASSERT_OK(
      lode_websocket_create(&loop, "ws://h/", NULL, 0, &o, &msg_events, &ws));
  test_run_loop(&loop, 5000);
  ASSERT_TRACE("error(Opening handshake has timed out),close(0,1006,)");
  test_loop_close(&loop);
}

/* terminate() after open: 1006, not clean, in both roles; the peer sees
 * the end of the stream and no close frame. */
static void terminate_open(lode_websocket_t* ws) {
  test_trace("open");
  lode_websocket_terminate(ws);
  ASSERT_EQ(lode_websocket_ready_state(ws), LODE_WEBSOCKET_CLOSING);
  ASSERT_OK(lode_websocket_send_text(ws, LODE_SLICE("ignored")));
}
static const lode_websocket_events_t terminate_events = {
  .on_open = terminate_open,
  .on_error = trace_error,
  .on_close = trace_close,
};

TEST(terminate) {
  for (int server = 1; server >= 0; server--) {
    raw_init(server);
    raw_start(&terminate_events, NULL);
    R.peer_sent_close = 1;
    raw_finish();
    ASSERT_STR_EQ(R.replies, "");
    ASSERT_TRACE("open,close(0,1006,)");
  }
}

/* A peer that never answers our close frame: after close_timeout the
 * transport goes, and the closure is not clean. */
static void close_open(lode_websocket_t* ws) {
  test_trace("open");
  lode_websocket_close(ws, LODE_WEBSOCKET_CLOSE_NORMAL, (lode_slice_t){ 0 });
}
static const lode_websocket_events_t close_events = {
  .on_open = close_open,
  .on_error = trace_error,
  .on_close = trace_close,
};

/* A ping that comes after our close frame is still answered (Node's
 * WebSocket answers pings until the peer's close), then the peer's close
 * ends it cleanly. */
static void s_ping_then_close(void) {
  frame(0x89, "p", 1);
  close_frame(LODE_WEBSOCKET_CLOSE_NORMAL, "");
}

TEST(ping_after_our_close) {
  for (int server = 1; server >= 0; server--) {
    raw_init(server);
    s_ping_then_close();
    raw_start(&close_events, NULL);
    raw_finish();
    ASSERT_STR_EQ(R.replies, "C:1000:,O:p");
    ASSERT_TRACE("open,close(1,1000,)");
  }
}

/* A masked text frame "early" (key 01 02 03 04). */
#define EARLY_TEXT "\x81\x85\x01\x02\x03\x04\x64\x63\x71\x68\x78"

/* lode accepts a good request as a server, `head` past it. */
static void accept_with_head(lode_slice_t head) {
  lode_websocket_request_t req = { LODE_SLICE("GET"), LODE_SLICE("/"), 1, 1,
                                   request_headers,   NREQUEST_HEADERS };
  ASSERT_OK(lode_websocket_accept(R.a, &req, head, NULL, &echo_events, &R.ws));
}

/* Frames that arrive with the handshake: in the same read as the 101
 * (client), or in the 'upgrade' event's head (server). They are the first
 * messages, delivered after on_open. */
TEST(frames_with_the_handshake) {
  raw_init(0);
  R.response =
      "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
      "Connection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n\r\n"
      "\x81\x05"
      "early";
  close_frame(LODE_WEBSOCKET_CLOSE_NORMAL, "");
  raw_start(&echo_events, NULL);
  raw_finish();
  ASSERT_STR_EQ(R.replies, "T:early,C:1000:");
  ASSERT_TRACE("open,close(1,1000,)");

  raw_init(1);
  close_frame(LODE_WEBSOCKET_CLOSE_NORMAL, "");
  accept_with_head(LODE_SLICE(EARLY_TEXT));
  raw_finish();
  ASSERT_STR_EQ(R.replies, "T:early,C:1000:");
  ASSERT_TRACE("open,close(1,1000,)");
}

/* A server may close between accept (its 101 is written) and on_open, as
 * npm ws's server is OPEN from the 101 on: the close frame goes out with
 * its code and reason, on_open is not called, frames that came with the
 * head are still read (a message is dropped, a ping answered), and the
 * peer's answer closes cleanly. Before, this failed the connection
 * (error, 1006) without a close frame. */
TEST(server_close_before_open) {
  raw_init(1);
  /* And a masked ping "p". */
  accept_with_head(LODE_SLICE(EARLY_TEXT "\x89\x81\x01\x02\x03\x04\x71"));
  ASSERT_OK(lode_websocket_close(R.ws, LODE_WEBSOCKET_CLOSE_GOING_AWAY,
                                 LODE_SLICE("restarting")));
  ASSERT_EQ(lode_websocket_ready_state(R.ws), LODE_WEBSOCKET_CLOSING);
  ASSERT_TRACE("");
  raw_finish();
  ASSERT_STR_EQ(R.replies, "C:1001:restarting,O:p");
  ASSERT_TRACE("close(1,1001,restarting)");
}

/* permessage-deflate on the wire (RFC 7692): a compressed message in two
 * fragments with a ping between them (RSV1 on the first frame only), in
 * one write and octet by octet; RSV1 on a continuation frame; data that
 * does not inflate (1007). "Hello" deflated is f2 48 cd c9 c9 07 00. */
static void s_deflated(void) {
  frame(0x41, "\xf2\x48\xcd", 3);
  frame(0x89, "p", 1);
  frame(0x80, "\xc9\xc9\x07\x00", 4);
  close_frame(LODE_WEBSOCKET_CLOSE_NORMAL, "");
}
static void s_rsv1_continuation(void) {
  frame(0x41, "\xf2\x48\xcd", 3);
  frame(0xc0, "\xc9\xc9\x07\x00", 4);
  close_frame(LODE_WEBSOCKET_CLOSE_NORMAL, "");
}
static void s_not_deflate(void) {
  frame(0xc1, "\xff\xff\xff\xff", 4);
  close_frame(LODE_WEBSOCKET_CLOSE_NORMAL, "");
}

static void run_deflated(void (*script)(void), size_t chop, const char* replies,
                         const char* events) {
  for (int server = 1; server >= 0; server--) {
    raw_init(server);
    R.chop = chop;
    script();
    raw_start_deflate(&echo_events);
    raw_finish();
    ASSERT_STR_EQ(R.replies, replies);
    ASSERT_TRACE(events);
  }
}

TEST(deflated_frames) {
  run_deflated(s_deflated, 0, "O:p,T:Hello,C:1000:", "open,close(1,1000,)");
  run_deflated(s_deflated, 1, "O:p,T:Hello,C:1000:", "open,close(1,1000,)");
  run_deflated(s_rsv1_continuation, 0,
               "C:1002:", "open,error(ERR_WS_PROTOCOL),close(0,1006,)");
  run_deflated(s_not_deflate, 0,
               "C:1007:", "open,error(ERR_WS_PROTOCOL),close(0,1006,)");
}

TEST(close_timeout) {
  for (int server = 1; server >= 0; server--) {
    raw_init(server);
    R.peer_sent_close = 1; /* so the peer does not answer */
    lode_websocket_opts_t o = { .close_timeout = 20 };
    raw_start(&close_events, &o);
    raw_finish();
    ASSERT_STR_EQ(R.replies, "C:1000:");
    ASSERT_TRACE("open,close(0,1006,)");
  }
}

/* Node's WebSocket drops a byte order mark at the start of a text message
 * and of a close reason (TextDecoder); a server keeps the bytes, as npm
 * ws does. Not in the middle, not in binary messages. */
static void s_bom(void) {
  frame(0x01, "\xef", 1);
  frame(0x80,
        "\xbb\xbf"
        "hi",
        4);
  frame(0x81, "a\xef\xbb\xbf", 4);
  frame(0x82, "\xef\xbb\xbf", 3);
  close_frame(4000, "\xef\xbb\xbfwhy");
}

TEST(bom_dropped_by_client) {
  raw_init(0);
  s_bom();
  raw_start(&echo_events, NULL);
  raw_finish();
  ASSERT_STR_EQ(R.replies,
                "T:hi,T:a\\xef\\xbb\\xbf,B:\\xef\\xbb\\xbf,"
                "C:4000:");
  ASSERT_TRACE("open,close(1,4000,why)");
  raw_init(1);
  s_bom();
  raw_start(&echo_events, NULL);
  raw_finish();
  /* The server echoes the close reason as it came (npm ws does). */
  ASSERT_STR_EQ(R.replies,
                "T:\\xef\\xbb\\xbfhi,T:a\\xef\\xbb\\xbf,"
                "B:\\xef\\xbb\\xbf,C:4000:\\xef\\xbb\\xbfwhy");
  ASSERT_TRACE("open,close(1,4000,\\xef\\xbb\\xbfwhy)");
}

TEST_MAIN(request_matches_node, bom_dropped_by_client, handshake_timeout,
          terminate, close_timeout, ping_after_our_close,
          frames_with_the_handshake, server_close_before_open, deflated_frames,
          send_buffered_and_close, close_codes_by_role, max_payload,
          abnormal_closure, client_handshake_checks, long_heads_client,
          long_heads_server, constructor_errors)
