/* The server side: the refusals npm ws gives (status, headers, message),
 * lode_websocket_serve reading the head itself, subprotocol choice, and a
 * lode client talking to a lode server over the pair, with and without
 * permessage-deflate and its context-takeover parameters. */
#include "wsraw.h"

static char answer[4096];
static void keep_answer(void* ctx, lode_stream_t* s, lode_slice_t d) {
  size_t n = strlen(answer);
  snprintf(answer + n, sizeof(answer) - n, "%.*s", (int) d.len, d.base);
}
static void end_back(void* ctx, lode_stream_t* s) {
  lode_stream_end(s, NULL, NULL);
}
static const lode_stream_reader_t answer_reader = {
  .on_data = keep_answer,
  .on_end = end_back,
};

/* serve() on a stream that sends `request` (then ends, with `end`):
 * returns what came back. */
static const char* serve_with(const char* request, int end,
                              const lode_websocket_opts_t* opts,
                              const lode_websocket_events_t* ev) {
  uv_loop_t loop;
  lode_stream_t *a, *b;
  lode_websocket_t* ws;
  answer[0] = '\0';
  test_trace_reset();
  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(lode_stream_pair(&loop, &a, &b));
  lode_stream_set_reader(b, &answer_reader, NULL);
  ASSERT_OK(lode_websocket_serve(a, opts, ev, &ws));
  lode_stream_write(b, lode_slice_str(request), NULL, NULL);
  if (end)
    lode_stream_end(b, NULL, NULL);
  test_run_loop(&loop, 5000);
  test_loop_close(&loop);
  return answer;
}

static const char* serve(const char* request,
                         const lode_websocket_opts_t* opts) {
  return serve_with(request, 1, opts, &echo_events);
}

#define REFUSED "error(ERR_WS_PROTOCOL),close(0,1006,)"

TEST(serve_refusals) {
  ASSERT_STR_EQ(serve("POST / HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: "
                      "websocket\r\n\r\n",
                      NULL),
                "HTTP/1.1 405 Method Not Allowed\r\nConnection: close\r\n"
                "Content-Type: text/html\r\nContent-Length: 19\r\n\r\n"
                "Invalid HTTP method");
  ASSERT_TRACE(REFUSED);
  ASSERT_STR_EQ(serve("GET / HTTP/1.1\r\nHost: x\r\n\r\n", NULL),
                "HTTP/1.1 426 Upgrade Required\r\nConnection: close\r\n"
                "Content-Type: text/html\r\nContent-Length: 16\r\n\r\n"
                "Upgrade Required");
  ASSERT_STR_EQ(serve("GET / HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: "
                      "h2c\r\n\r\n",
                      NULL),
                "HTTP/1.1 400 Bad Request\r\nConnection: close\r\n"
                "Content-Type: text/html\r\nContent-Length: 22\r\n\r\n"
                "Invalid Upgrade header");
  ASSERT_STR_EQ(serve("GET / HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: "
                      "websocket\r\nSec-WebSocket-Key: short\r\n\r\n",
                      NULL),
                "HTTP/1.1 400 Bad Request\r\nConnection: close\r\n"
                "Content-Type: text/html\r\nContent-Length: 43\r\n\r\n"
                "Missing or invalid Sec-WebSocket-Key header");
  ASSERT_STR_EQ(serve("GET / HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: "
                      "websocket\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ"
                      "==\r\nSec-WebSocket-Version: 12\r\n\r\n",
                      NULL),
                "HTTP/1.1 400 Bad Request\r\nConnection: close\r\n"
                "Content-Type: text/html\r\nContent-Length: 47\r\n"
                "Sec-WebSocket-Version: 13, 8\r\n\r\n"
                "Missing or invalid Sec-WebSocket-Version header");
  ASSERT_STR_EQ(serve("GARBAGE\r\n\r\n", NULL),
                "HTTP/1.1 400 Bad Request\r\nConnection: close\r\n"
                "Content-Type: text/html\r\nContent-Length: 11\r\n\r\n"
                "Bad Request");
  ASSERT_TRACE(REFUSED);
}

#define GOOD_REQUEST(extra)                                                    \
  "GET /chat HTTP/1.1\r\nHost: h\r\nConnection: keep-alive, Upgrade\r\n"       \
  "Upgrade: WebSocket\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"      \
  "Sec-WebSocket-Version: 13\r\n" extra "\r\n"

/* A client that sends half a head and then nothing: with
 * handshake_timeout the server gives up (error, then 1006); the stream
 * is destroyed, so the peer sees its end. */
static void trace_error_text(lode_websocket_t* ws, const lode_error_t* e) {
  test_trace("error(%s: %s)", e->name, e->message);
}
static const lode_websocket_events_t timeout_events = {
  .on_open = trace_open,
  .on_error = trace_error_text,
  .on_close = trace_close,
};

TEST(serve_head_timeout) {
  lode_websocket_opts_t o = { .handshake_timeout = 20 };
  ASSERT_STR_EQ(
      serve_with("GET / HTTP/1.1\r\nHost: x\r\n", 0, &o, &timeout_events), "");
  ASSERT_TRACE(
      "error(ETIMEDOUT: Opening handshake has timed out),"
      "close(0,1006,)");
}

/* Arguments a caller got wrong: UV_EINVAL, nothing written, no crash. */
TEST(bad_arguments) {
  uv_loop_t loop;
  lode_stream_t *a, *b;
  lode_websocket_t* ws = NULL;
  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(lode_stream_pair(&loop, &a, &b));
  lode_websocket_request_t req = {
    LODE_SLICE("GET"), LODE_SLICE("/"), 1, 1, NULL, 0
  };
  static const char* holes[] = { "chat", NULL };
  lode_websocket_opts_t o = { .protocols = holes, .nprotocols = 2 };
  ASSERT_EQ(lode_websocket_serve(NULL, NULL, NULL, &ws), UV_EINVAL);
  ASSERT_EQ(lode_websocket_serve(a, NULL, NULL, NULL), UV_EINVAL);
  ASSERT_EQ(lode_websocket_serve(a, &o, NULL, &ws), UV_EINVAL);
  ASSERT_EQ(lode_websocket_accept(NULL, &req, LODE_SLICE(""), NULL, NULL, &ws),
            UV_EINVAL);
  ASSERT_EQ(lode_websocket_accept(a, NULL, LODE_SLICE(""), NULL, NULL, &ws),
            UV_EINVAL);
  req.nraw_headers = 2;
  ASSERT_EQ(lode_websocket_accept(a, &req, LODE_SLICE(""), NULL, NULL, &ws),
            UV_EINVAL);
  req.nraw_headers = 0;
  ASSERT_EQ(lode_websocket_accept(a, &req, LODE_SLICE(""), &o, NULL, &ws),
            UV_EINVAL);
  ASSERT_EQ(
      lode_websocket_handle_upgrade(NULL, a, LODE_SLICE(""), NULL, NULL, &ws),
      UV_EINVAL);
  lode_websocket_opts_t co = { .stream = a };
  ASSERT_EQ(lode_websocket_create(NULL, "ws://h/", NULL, 0, &co, NULL, &ws),
            UV_EINVAL);
  ASSERT_EQ(lode_websocket_create(&loop, "ws://h/", NULL, 1, &co, NULL, &ws),
            UV_EINVAL);
  ASSERT_EQ(lode_websocket_create(&loop, "ws://h/", NULL, 0, &co, NULL, NULL),
            UV_EINVAL);
  ASSERT_NULL(ws);
  ASSERT_EQ(lode_websocket_send_text(NULL, LODE_SLICE("x")), UV_EINVAL);
  ASSERT_EQ(lode_websocket_send_binary(NULL, LODE_SLICE("x")), UV_EINVAL);
  ASSERT_EQ(lode_websocket_ping(NULL, LODE_SLICE("x")), UV_EINVAL);
  ASSERT_EQ(
      lode_websocket_close(NULL, LODE_WEBSOCKET_CLOSE_NORMAL, LODE_SLICE("")),
      UV_EINVAL);
  lode_websocket_terminate(NULL);
  lode_stream_destroy(a, NULL);
  lode_stream_destroy(b, NULL);
  test_run_loop(&loop, 5000);
  test_loop_close(&loop);
}

TEST(serve_accepts) {
  /* RFC 6455's example key, the first offered protocol, deflate declined
   * by default. The client's end then closes the connection (1006). */
  ASSERT_STR_EQ(serve(GOOD_REQUEST("Sec-WebSocket-Protocol: chat, "
                                   "superchat\r\nSec-WebSocket-Extensions: "
                                   "permessage-deflate\r\n"),
                      NULL),
                "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                "Connection: Upgrade\r\nSec-WebSocket-Accept: "
                "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Protocol: "
                "chat\r\n\r\n");
  ASSERT_TRACE("open,close(0,1006,)");
  /* The server's own list decides; deflate on, with its parameters. */
  static const char* mine[] = { "superchat", "other" };
  lode_websocket_opts_t o = { .protocols = mine,
                              .nprotocols = 2,
                              .per_message_deflate = 1,
                              .server_no_context_takeover = 1 };
  ASSERT_STR_EQ(serve(GOOD_REQUEST("Sec-WebSocket-Protocol: chat, "
                                   "superchat\r\nSec-WebSocket-Extensions: "
                                   "permessage-deflate; client_max_window_"
                                   "bits\r\n"),
                      &o),
                "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                "Connection: Upgrade\r\nSec-WebSocket-Accept: "
                "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Protocol: "
                "superchat\r\nSec-WebSocket-Extensions: permessage-deflate; "
                "server_no_context_takeover\r\n\r\n");
  ASSERT_STR_EQ(serve(GOOD_REQUEST("Sec-WebSocket-Extensions: "
                                   "permessage-deflate; bogus\r\n"),
                      &o),
                "HTTP/1.1 400 Bad Request\r\nConnection: close\r\n"
                "Content-Type: text/html\r\nContent-Length: 55\r\n\r\n"
                "Invalid or unacceptable Sec-WebSocket-Extensions header");
}

/* The offered protocols are parsed as npm ws parses them (checked with
 * ws 8): tokens separated by commas and optional blanks, each named once
 * (case matters); anything else is refused with ws's 400. */
TEST(serve_protocol_offers) {
  static const char* bad[] = { "a, a", "a b", "a;b",       "a,,b",
                               "a,",   "a/b", "b, a, c, a" };
  char req[256];
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    snprintf(req, sizeof(req), GOOD_REQUEST("Sec-WebSocket-Protocol: %s\r\n"),
             bad[i]);
    ASSERT_STR_EQ(serve(req, NULL),
                  "HTTP/1.1 400 Bad Request\r\nConnection: close\r\n"
                  "Content-Type: text/html\r\nContent-Length: 37\r\n\r\n"
                  "Invalid Sec-WebSocket-Protocol header");
    ASSERT_TRACE(REFUSED);
  }
  static const char* good[][2] = { { "a ,\tb", "a" }, { "A, a", "A" } };
  for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
    snprintf(req, sizeof(req), GOOD_REQUEST("Sec-WebSocket-Protocol: %s\r\n"),
             good[i][0]);
    char want[256];
    snprintf(want, sizeof(want),
             "HTTP/1.1 101 Switching Protocols\r\n"
             "Upgrade: websocket\r\nConnection: Upgrade\r\n"
             "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
             "Sec-WebSocket-Protocol: %s\r\n\r\n",
             good[i][1]);
    ASSERT_STR_EQ(serve(req, NULL), want);
  }
}

TEST(accept_refusal_returns) {
  uv_loop_t loop;
  lode_stream_t *a, *b;
  lode_websocket_t* ws = NULL;
  answer[0] = '\0';
  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(lode_stream_pair(&loop, &a, &b));
  lode_stream_set_reader(b, &answer_reader, NULL);
  lode_websocket_request_t req = {
    LODE_SLICE("GET"), LODE_SLICE("/"), 1, 1, request_headers, 4
  };
  ASSERT_EQ(lode_websocket_accept(a, &req, LODE_SLICE(""), NULL, NULL, &ws),
            LODE_ERR_WS_PROTOCOL);
  ASSERT_NULL(ws);
  test_run_loop(&loop, 5000);
  ASSERT_STR_EQ(answer,
                "HTTP/1.1 400 Bad Request\r\nConnection: close\r\n"
                "Content-Type: text/html\r\nContent-Length: 43\r\n\r\n"
                "Missing or invalid Sec-WebSocket-Key header");
  test_loop_close(&loop);
}

/* lode to lode: the client sends messages of every size class, the server
 * echoes, the client checks and closes. */
static uint8_t msgs[4][70000];
static const size_t sizes[4] = { 0, 5, 3000, 70000 };
static int received;

static void l_open(lode_websocket_t* ws) {
  test_trace("%s-open", lode_websocket_get_data(ws) ? "c" : "s");
  if (lode_websocket_get_data(ws) == NULL)
    return;
  for (int round = 0; round < 2; round++)
    for (int i = 0; i < 4; i++)
      ASSERT_OK(i % 2 ? lode_websocket_send_binary(
                            ws, (lode_slice_t){ (char*) msgs[i], sizes[i] })
                      : lode_websocket_send_text(
                            ws, (lode_slice_t){ (char*) msgs[i], sizes[i] }));
}
static void l_message(lode_websocket_t* ws, lode_slice_t d, int bin) {
  if (lode_websocket_get_data(ws) == NULL) {
    echo_message(ws, d, bin);
    return;
  }
  int i = received++ % 4;
  ASSERT_EQ(bin, i % 2);
  ASSERT_MEM_EQ(d.base, d.len, msgs[i], sizes[i]);
  if (received == 8)
    lode_websocket_close(ws, LODE_WEBSOCKET_CLOSE_NORMAL, LODE_SLICE("done"));
}
static void l_close(lode_websocket_t* ws, int clean, int code,
                    lode_slice_t reason) {
  test_trace("%s-close(%d,%d,%.*s)", lode_websocket_get_data(ws) ? "c" : "s",
             clean, code, (int) reason.len, reason.base);
}
static const lode_websocket_events_t l_events = {
  .on_open = l_open,
  .on_message = l_message,
  .on_error = trace_error,
  .on_close = l_close,
};

static void lode_to_lode(const lode_websocket_opts_t* so,
                         const lode_websocket_opts_t* co,
                         const char* want_ext) {
  uv_loop_t loop;
  lode_stream_t *a, *b;
  lode_websocket_t *c, *s;
  for (int i = 0; i < 4; i++)
    for (size_t k = 0; k < sizes[i]; k++)
      msgs[i][k] = (uint8_t) (i % 2 ? k * 31 : 'a' + (k / 7) % 26);
  received = 0;
  test_trace_reset();
  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(lode_stream_pair(&loop, &a, &b));
  ASSERT_OK(lode_websocket_serve(b, so, &l_events, &s));
  lode_websocket_opts_t o = *co;
  o.stream = a;
  ASSERT_OK(
      lode_websocket_create(&loop, "ws://h/x", NULL, 0, &o, &l_events, &c));
  lode_websocket_set_data(c, c);
  lode_websocket_hold(c);
  lode_websocket_hold(s);
  test_run_loop(&loop, 10000);
  ASSERT_STR_EQ(lode_websocket_extensions(c), want_ext);
  ASSERT_STR_EQ(lode_websocket_extensions(s), want_ext);
  ASSERT_STR_EQ(lode_websocket_url(s), "/x");
  lode_websocket_release(c);
  lode_websocket_release(s);
  ASSERT_EQ(received, 8);
  /* The server echoes the code, not the reason (as Node's client and npm
   * ws do). */
  ASSERT_TRACE("s-open,c-open,c-close(1,1000,done),s-close(1,1000,done)");
  test_loop_close(&loop);
}

TEST(lode_to_lode_plain) {
  lode_websocket_opts_t so = { 0 }, co = { 0 };
  lode_to_lode(&so, &co, "");
}

TEST(lode_to_lode_deflate) {
  lode_websocket_opts_t so = { .per_message_deflate = 1 }, co = { 0 };
  lode_to_lode(&so, &co, "permessage-deflate");
  so.server_no_context_takeover = 1;
  co.client_no_context_takeover = 1;
  co.client_max_window_bits = 10;
  so.server_max_window_bits = 9;
  lode_to_lode(&so, &co,
               "permessage-deflate; server_no_context_takeover; "
               "client_no_context_takeover; server_max_window_bits=9; "
               "client_max_window_bits=10");
  co.deflate_threshold = SIZE_MAX;
  so.deflate_threshold = 1;
  lode_to_lode(&so, &co,
               "permessage-deflate; server_no_context_takeover; "
               "client_no_context_takeover; server_max_window_bits=9; "
               "client_max_window_bits=10");
}

TEST_MAIN(serve_refusals, serve_head_timeout, bad_arguments, serve_accepts,
          serve_protocol_offers, accept_refusal_returns, lode_to_lode_plain,
          lode_to_lode_deflate)
