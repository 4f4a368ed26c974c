/* Interop with the npm ws package over real sockets on 127.0.0.1: a lode
 * client against a ws server, and ws clients against a lode server; text,
 * binary, empty, 16 MiB, fragmented and compressed messages, pings and
 * pongs, and every way to close. */
#include "wsnet.h"

static uint8_t* big;
static const size_t big_len = 16 << 20;
static char* big_text;
static int step;
static char frag3[3 * 102400]; /* "a" x 100 KiB, "b" x ..., "c" x ... */

static void make_big(void) {
  for (size_t i = 0; i < sizeof(frag3); i++)
    frag3[i] = (char) ('a' + i / 102400);
  big = malloc(big_len);
  big_text = malloc(big_len);
  for (size_t i = 0; i < big_len; i++) {
    big[i] = (uint8_t) (i * 7);
    big_text[i] = "lode "[i % 5];
  }
}

/* --- lode client, ws server ---------------------------------------------- */

typedef struct expect_s {
  int binary;
  const char* data;
  size_t len;
} expect_t;

static expect_t expected[16];
static int nexpected;

static void c_open(lode_websocket_t* ws) {
  test_trace("open");
  /* ws answers before it echoes what follows. */
  ASSERT_OK(lode_websocket_ping(ws, LODE_SLICE("from lode")));
  expect_t e[] = {
    { 0, "hello", 5 }, { 1, "\x00\x01\x02\xff", 4 }, { 0, "", 0 },
    { 1, "", 0 },      { 1, (char*) big, big_len },  { 0, big_text, big_len },
  };
  nexpected = 0;
  for (size_t i = 0; i < sizeof(e) / sizeof(e[0]); i++) {
    lode_slice_t d = { e[i].data, e[i].len };
    ASSERT_OK(e[i].binary ? lode_websocket_send_binary(ws, d)
                          : lode_websocket_send_text(ws, d));
    expected[nexpected++] = e[i];
  }
  expected[nexpected++] = (expect_t){ 0, "part1-part2-part3", 17 };
  expected[nexpected++] = (expect_t){ 0, frag3, sizeof(frag3) };
  lode_websocket_send_text(ws, LODE_SLICE("cmd:fragmented"));
  lode_websocket_send_text(ws, LODE_SLICE("cmd:bigfrag"));
  lode_websocket_send_text(ws, LODE_SLICE("cmd:ping:hi"));
  lode_websocket_send_text(ws, LODE_SLICE("cmd:ext"));
  step = 0;
}

static void c_message(lode_websocket_t* ws, lode_slice_t d, int bin) {
  if (step < nexpected) {
    expect_t* e = &expected[step++];
    ASSERT_EQ(bin, e->binary);
    ASSERT_MEM_EQ(d.base, d.len, e->data, e->len);
    test_trace("msg(%zu)", d.len);
    return;
  }
  test_trace("%.*s", (int) d.len, d.base);
  lode_websocket_close(ws, LODE_WEBSOCKET_CLOSE_NORMAL, LODE_SLICE("bye"));
}

static void c_ping(lode_websocket_t* ws, lode_slice_t p) {
  test_trace("ping(%.*s)", (int) p.len, p.base);
}

static void c_pong(lode_websocket_t* ws, lode_slice_t p) {
  test_trace("pong(%.*s)", (int) p.len, p.base);
}

static const lode_websocket_events_t client_events = {
  .on_open = c_open,
  .on_message = c_message,
  .on_error = c_error,
  .on_close = c_close,
  .on_ping = c_ping,
  .on_pong = c_pong,
};

static void run_client(const char* peer_opts, const lode_websocket_events_t* ev,
                       const lode_websocket_opts_t* opts) {
  const char* argv[] = { "node", "test/peers/ws-echo-server.js", peer_opts,
                         NULL };
  test_peer_t* p = test_peer_start(argv);
  int port = test_peer_port(p);
  char url[64];
  snprintf(url, sizeof(url), "ws://127.0.0.1:%d/path", port);
  test_trace_reset();
  ASSERT_OK(uv_loop_init(&loop));
  lode_websocket_t* ws;
  ASSERT_OK(lode_websocket_create(&loop, url, NULL, 0, opts, ev, &ws));
  run_with_peer(p);
}

#define CLIENT_TRACE                                                           \
  "open,pong(from lode),msg(5),msg(4),msg(0),msg(0),msg(16777216),"            \
  "msg(16777216),msg(17),msg(307200),ping(hi),"

TEST(lode_client_plain) {
  run_client("{}", &client_events, NULL);
  ASSERT_TRACE(CLIENT_TRACE "ext=,close(1,1000,bye)");
  ASSERT_STR_EQ(peer_out,
                "protocol  ext permessage-deflate; "
                "client_max_window_bits\nping from lode\npong hi\n"
                "close 1000 bye\n");
}

TEST(lode_client_deflate) {
  run_client("{\"perMessageDeflate\":true}", &client_events, NULL);
  ASSERT_TRACE(CLIENT_TRACE "ext=permessage-deflate,close(1,1000,bye)");
  lode_websocket_opts_t o = { .client_no_context_takeover = 1,
                              .server_no_context_takeover = 1,
                              .client_max_window_bits = 11 };
  run_client("{\"perMessageDeflate\":{\"serverMaxWindowBits\":10}}",
             &client_events, &o);
  ASSERT_TRACE(CLIENT_TRACE "ext=permessage-deflate,close(1,1000,bye)");
  ASSERT_STR_EQ(peer_out,
                "protocol  ext permessage-deflate; "
                "server_no_context_takeover; "
                "client_no_context_takeover; "
                "client_max_window_bits=11\nping from lode\n"
                "pong hi\nclose 1000 bye\n");
}

static const char* command;
static void cmd_open(lode_websocket_t* ws) {
  test_trace("open(%s)", lode_websocket_protocol(ws));
  lode_websocket_send_text(ws, lode_slice_str(command));
}
static const lode_websocket_events_t cmd_events = {
  .on_open = cmd_open,
  .on_error = c_error,
  .on_close = c_close,
};

TEST(lode_client_close_paths) {
  command = "cmd:close:4001:why";
  run_client("{}", &cmd_events, NULL);
  ASSERT_TRACE("open(),close(1,4001,why)");
  command = "cmd:close:1000:";
  run_client("{}", &cmd_events, NULL);
  ASSERT_TRACE("open(),close(1,1000,)");
  command = "cmd:terminate";
  run_client("{}", &cmd_events, NULL);
  ASSERT_TRACE("open(),close(0,1006,)");
}

/* A compressed message that inflates past max_payload: 1009. */
TEST(lode_client_inflate_limit) {
  command = "cmd:zeros:2000000";
  lode_websocket_opts_t o = { .max_payload = 1000000 };
  run_client("{\"perMessageDeflate\":true}", &cmd_events, &o);
  ASSERT_TRACE(
      "open(),error(ERR_WS_MESSAGE_TOO_BIG: Max payload size "
      "exceeded),close(0,1006,)");
  ASSERT_STR_EQ(peer_out,
                "protocol  ext permessage-deflate; "
                "client_max_window_bits\nclose 1009 \n");
}

/* close() while CONNECTING against a real server: Node's error, then
 * 1006; the server sees a connection that ends. */
static void never_open(lode_websocket_t* ws) {
  test_trace("open");
}
static const lode_websocket_events_t early_events = {
  .on_open = never_open,
  .on_error = c_error,
  .on_close = c_close,
};

TEST(lode_client_close_while_connecting) {
  const char* argv[] = { "node", "test/peers/ws-echo-server.js", "{}", NULL };
  test_peer_t* p = test_peer_start(argv);
  char url[64];
  snprintf(url, sizeof(url), "ws://127.0.0.1:%d/", test_peer_port(p));
  ASSERT_OK(uv_loop_init(&loop));
  test_trace_reset();
  lode_websocket_t* ws;
  ASSERT_OK(
      lode_websocket_create(&loop, url, NULL, 0, NULL, &early_events, &ws));
  ASSERT_OK(lode_websocket_close(ws, LODE_WEBSOCKET_CLOSE_NORMAL,
                                 LODE_SLICE("never mind")));
  ASSERT_EQ(lode_websocket_ready_state(ws), LODE_WEBSOCKET_CONNECTING);
  test_run_loop(&loop, 10000);
  test_loop_close(&loop);
  ASSERT_TRACE(
      "error(ERR_WS_PROTOCOL: Connection was closed before it was "
      "established.),close(0,1006,)");
  test_peer_kill(p);
}

TEST(lode_client_refused) {
  /* A port where nothing listens: the socket's error, then 1006. */
  ASSERT_OK(uv_loop_init(&loop));
  test_trace_reset();
  lode_websocket_t* ws;
  ASSERT_OK(lode_websocket_create(&loop, "ws://127.0.0.1:1/", NULL, 0, NULL,
                                  &cmd_events, &ws));
  test_run_loop(&loop, 10000);
  test_loop_close(&loop);
  ASSERT_TRACE(
      "error(ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:1),"
      "close(0,1006,)");
  /* A subprotocol the server does not choose. */
  static const char* protos[] = { "chat" };
  const char* argv[] = { "node", "test/peers/ws-echo-server.js",
                         "{\"handleProtocols\":null}", NULL };
  test_peer_t* p = test_peer_start(argv);
  char url[64];
  snprintf(url, sizeof(url), "ws://127.0.0.1:%d/", test_peer_port(p));
  ASSERT_OK(uv_loop_init(&loop));
  test_trace_reset();
  ASSERT_OK(
      lode_websocket_create(&loop, url, protos, 1, NULL, &cmd_events, &ws));
  command = "cmd:close:1000:";
  test_run_loop(&loop, 10000);
  test_loop_close(&loop);
  ASSERT_TRACE("open(chat),close(1,1000,)");
  test_peer_finish(p, 10000, NULL);
}

/* --- ws client, lode server ---------------------------------------------- */

/* "cmd:close" closes with 4000; "cmd:close:CODE:REASON" with that code
 * and reason, or, when close() refuses the code, traces the error and
 * closes with NORMAL "refused". */
static void close_command(lode_websocket_t* ws, lode_slice_t d) {
  if (d.len == 9) {
    lode_websocket_close(ws, 4000, LODE_SLICE("server says bye"));
    return;
  }
  char cmd[160];
  snprintf(cmd, sizeof(cmd), "%.*s", (int) d.len, d.base);
  char* reason = strchr(cmd + 10, ':');
  ASSERT_NOT_NULL(reason);
  int code = atoi(cmd + 10);
  int rc = lode_websocket_close(ws, code, lode_slice_str(reason + 1));
  if (rc != 0) {
    test_trace("close(%d)=%s", code, lode_err_name(rc));
    ASSERT_OK(lode_websocket_close(ws, LODE_WEBSOCKET_CLOSE_NORMAL,
                                   LODE_SLICE("refused")));
  }
}

static void s_message(lode_websocket_t* ws, lode_slice_t d, int bin) {
  if (!bin && d.len >= 9 && memcmp(d.base, "cmd:close", 9) == 0) {
    close_command(ws, d);
    return;
  }
  if (!bin && d.len == 13 && memcmp(d.base, "cmd:terminate", 13) == 0) {
    lode_websocket_terminate(ws);
    return;
  }
  if (bin)
    lode_websocket_send_binary(ws, d);
  else
    lode_websocket_send_text(ws, d);
}
static void s_ping(lode_websocket_t* ws, lode_slice_t p) {
  test_trace("ping(%.*s)", (int) p.len, p.base);
}
static void s_pong(lode_websocket_t* ws, lode_slice_t p) {
  test_trace("pong(%.*s)", (int) p.len, p.base);
}
static void s_open(lode_websocket_t* ws) {
  test_trace("open(%s,%s)", lode_websocket_url(ws),
             lode_websocket_extensions(ws));
}
static const lode_websocket_events_t server_events = {
  .on_open = s_open,
  .on_message = s_message,
  .on_error = c_error,
  .on_close = s_close,
  .on_ping = s_ping,
  .on_pong = s_pong,
};

/* lode's server pings the ws client, which answers, reports it and
 * closes. */
static void s_open_ping(lode_websocket_t* ws) {
  test_trace("open");
  ASSERT_OK(lode_websocket_ping(ws, LODE_SLICE("from lode")));
}
static const lode_websocket_events_t ping_events = {
  .on_open = s_open_ping,
  .on_error = c_error,
  .on_close = s_close,
  .on_pong = s_pong,
};

/* Node's own WebSocket (undici) against lode's server: subprotocol,
 * permessage-deflate (lode compresses the 1 MiB echo, Node inflates it),
 * every kind of message, and Node's close. */
static void s_open_node(lode_websocket_t* ws) {
  test_trace("open(%s,%s)", lode_websocket_protocol(ws),
             lode_websocket_extensions(ws));
}
static const lode_websocket_events_t node_events = {
  .on_open = s_open_node,
  .on_message = s_message,
  .on_error = c_error,
  .on_close = s_close,
};

TEST(node_websocket_client) {
  static const char* protos[] = { "other", "chat" };
  server_opts = (lode_websocket_opts_t){ .per_message_deflate = 1,
                                         .protocols = protos,
                                         .nprotocols = 2 };
  const char* url = serve_lode("/node", &node_events);
  const char* argv[] = { "node", "--experimental-websocket",
                         "test/peers/ws-node-client.js", url, NULL };
  const char* out = run_with_peer(test_peer_start(argv));
  ASSERT_STR_EQ(out,
                "open chat permessage-deflate\nmessage text 5 ok\n"
                "message binary 4 ok\nmessage text 0 ok\n"
                "message text 1048576 ok\nclose 4001 bye true\n");
  ASSERT_TRACE("open(chat,permessage-deflate),close(1,4001,bye)");
}

TEST(ws_client_pinged) {
  server_opts = (lode_websocket_opts_t){ 0 };
  const char* out = run_ws_client("/", "{}", "ping", &ping_events);
  ASSERT_STR_EQ(out, "open  \nping from lode\nclose 1000 done\n");
  ASSERT_TRACE("open,pong(from lode),close(1,1000,done)");
}

static const char* run_server(const char* client_opts, const char* mode) {
  return run_ws_client("/echo?x=1", client_opts, mode, &server_events);
}

/* What ws-client.js prints when every echo is right (lode's server
 * echoes the close code and reason, as a ws server does). */
#define WS_CLIENT_OUT                                                          \
  "message text 5 aaf4c61d ok\nmessage binary 4 c62c2792 ok\n"                 \
  "message text 0 da39a3ee ok\nmessage binary 0 da39a3ee ok\n"                 \
  "message binary 16777216 6cbbdb10 ok\nmessage text 16777215 7920c33a ok\n"   \
  "message text 16 a68383d4 ok\nmessage text 6291456 258319f0 ok\n"            \
  "pong are you there\nclose 1000 done\n"

TEST(ws_client_plain) {
  server_opts = (lode_websocket_opts_t){ 0 };
  const char* out = run_server("{\"perMessageDeflate\":false}", "echo");
  ASSERT_STR_EQ(out, "open  \n" WS_CLIENT_OUT);
  ASSERT_TRACE("open(/echo?x=1,),ping(are you there),close(1,1000,done)");
}

TEST(ws_client_deflate) {
  server_opts = (lode_websocket_opts_t){ .per_message_deflate = 1 };
  const char* out = run_server("{}", "echo");
  ASSERT_STR_EQ(out, "open  permessage-deflate\n" WS_CLIENT_OUT);
  ASSERT_TRACE(
      "open(/echo?x=1,permessage-deflate),ping(are you there),"
      "close(1,1000,done)");
  server_opts = (lode_websocket_opts_t){ .per_message_deflate = 1,
                                         .server_no_context_takeover = 1,
                                         .server_max_window_bits = 12 };
  out = run_server(
      "{\"perMessageDeflate\":{\"clientNoContextTakeover\":"
      "true}}",
      "echo");
  ASSERT_STR_EQ(out, "open  permessage-deflate\n" WS_CLIENT_OUT);
  ASSERT_TRACE(
      "open(/echo?x=1,permessage-deflate; "
      "server_no_context_takeover; client_no_context_takeover; "
      "server_max_window_bits=12),ping(are you there),"
      "close(1,1000,done)");
}

TEST(ws_client_close_paths) {
  server_opts = (lode_websocket_opts_t){ 0 };
  const char* out = run_server("{}", "close-from-lode");
  ASSERT(strstr(out, "close 4000 server says bye\n") != NULL);
  ASSERT_TRACE("open(/echo?x=1,),close(1,4000,server says bye)");
  out = run_server("{}", "bad-frame");
  ASSERT(strstr(out, "close 1002 \n") != NULL);
  ASSERT_TRACE(
      "open(/echo?x=1,),error(ERR_WS_PROTOCOL: RSV1, RSV2, RSV3 "
      "must be clear),close(0,1006,)");
  /* Dropped without a close frame, from either side: 1006 on both, and
   * no error event (the browser's abnormal closure). */
  out = run_server("{}", "terminate");
  ASSERT_STR_EQ(out, "open  \nclose 1006 \n");
  ASSERT_TRACE("open(/echo?x=1,),close(0,1006,)");
  out = run_server("{}", "terminate-from-lode");
  ASSERT_STR_EQ(out, "open  \nclose 1006 \n");
  ASSERT_TRACE("open(/echo?x=1,),close(0,1006,)");
  /* The client gives up during the handshake: the server never opens. */
  out = run_server("{}", "abort");
  ASSERT_STR_EQ(out,
                "error WebSocket was closed before the connection was "
                "established\nclose 1006 \n");
  ASSERT_TRACE("close(0,1006,)");
}

/* lode's server closes with each class of code a ws server may send; the
 * ws client reads the code and reason. The codes no endpoint may send
 * are refused (npm ws throws), and the session still closes. */
TEST(ws_client_server_close_codes) {
  static const struct {
    int code;
    const char* reason;
  } ok[] = {
    { LODE_WEBSOCKET_CLOSE_GOING_AWAY, "going away" },
    { LODE_WEBSOCKET_CLOSE_UNSUPPORTED_DATA, "" },
    { LODE_WEBSOCKET_CLOSE_POLICY_VIOLATION, "policy" },
    { LODE_WEBSOCKET_CLOSE_INTERNAL_ERROR, "oops \xc3\xa9" },
    { LODE_WEBSOCKET_CLOSE_BAD_GATEWAY, "gateway" },
  };
  static const int refused[] = {
    LODE_WEBSOCKET_CLOSE_RESERVED,
    LODE_WEBSOCKET_CLOSE_NO_STATUS,
    LODE_WEBSOCKET_CLOSE_ABNORMAL,
    LODE_WEBSOCKET_CLOSE_TLS_HANDSHAKE,
  };
  server_opts = (lode_websocket_opts_t){ 0 };
  char mode[64], want[128];
  for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
    snprintf(mode, sizeof(mode), "close-from-lode:%d:%s", ok[i].code,
             ok[i].reason);
    const char* out = run_server("{}", mode);
    snprintf(want, sizeof(want), "open  \nclose %d %s\n", ok[i].code,
             ok[i].reason);
    ASSERT_STR_EQ(out, want);
    snprintf(want, sizeof(want), "open(/echo?x=1,),close(1,%d,%s)", ok[i].code,
             ok[i].reason);
    ASSERT_TRACE(want);
  }
  for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
    snprintf(mode, sizeof(mode), "close-from-lode:%d:x", refused[i]);
    const char* out = run_server("{}", mode);
    ASSERT_STR_EQ(out, "open  \nclose 1000 refused\n");
    snprintf(want, sizeof(want),
             "open(/echo?x=1,),close(%d)="
             "ERR_WS_INVALID_ACCESS,close(1,%d,refused)",
             refused[i], LODE_WEBSOCKET_CLOSE_NORMAL);
    ASSERT_TRACE(want);
  }
}

/* A ws client with a 1000-byte subprotocol, 100 headers of its own
 * before the WebSocket ones (ws puts them first) and a 4000-byte path:
 * lode_websocket_serve finds the key after the 64th header line, and
 * its 101 names the protocol whole (ws fails a 101 without it). */
TEST(ws_client_long_heads) {
  static char proto[1001], path[4002], opts[8192], want[8192];
  memset(proto, 'p', 1000);
  path[0] = '/';
  memset(path + 1, 'u', 4000);
  int n = snprintf(opts, sizeof(opts),
                   "{\"protocols\":[\"%s\"],"
                   "\"headers\":{",
                   proto);
  for (int i = 0; i < 100; i++)
    n += snprintf(opts + n, sizeof(opts) - (size_t) n, "%s\"x-%d\":\"y\"",
                  i ? "," : "", i);
  snprintf(opts + n, sizeof(opts) - (size_t) n, "}}");
  server_opts = (lode_websocket_opts_t){ 0 };
  const char* out = run_ws_client(path, opts, "close-from-lode",
                                  &server_events);
  snprintf(want, sizeof(want), "open %s \nclose 4000 server says bye\n", proto);
  ASSERT_STR_EQ(out, want);
  snprintf(want, sizeof(want), "open(%s,),close(1,4000,server says bye)", path);
  ASSERT_TRACE(want);
}

int main(int argc, char** argv) {
  make_big();
  static const test_case_t cases[] = {
#define C_(n) { #n, test_##n },
    C_(lode_client_plain) C_(lode_client_deflate) C_(lode_client_close_paths)
        C_(lode_client_inflate_limit) C_(lode_client_refused)
            C_(lode_client_close_while_connecting) C_(ws_client_plain)
                C_(ws_client_deflate) C_(ws_client_close_paths)
                    C_(ws_client_server_close_codes) C_(ws_client_long_heads)
                        C_(ws_client_pinged) C_(node_websocket_client)
#undef C_
  };
  int rc = test_run_all(argc, argv, cases, sizeof(cases) / sizeof(cases[0]));
  free(big);
  free(big_text);
  return rc;
}
