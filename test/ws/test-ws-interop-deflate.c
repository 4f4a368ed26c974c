/* permessage-deflate against the npm ws package over real sockets, in
 * both directions, for each context-takeover and window-bits parameter:
 * what the two sides agree (the exact extension answer), that messages
 * come through whole (the same 16 KiB of random text four times, so with
 * context takeover the repeats refer back to the earlier ones and a side
 * that resets when it should not, or keeps what it agreed to drop, breaks
 * the stream), a fragmented compressed message, and that the bytes on the
 * wire were compressed. */
#include "wsnet.h"

static char text16k[16384];
static char frag3[3 * 102400];
static int step;
static char agreed[256];
static char params[256];

/* The same random text as the ws peers make (their LCG). */
static void make_text(void) {
  static const char alpha[] =
      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+/";
  uint32_t x = 12345;
  for (size_t i = 0; i < sizeof(text16k); i++) {
    x = (x * 1103515245u + 12345u) & 0x7fffffff;
    text16k[i] = alpha[x % 64];
  }
  for (size_t i = 0; i < sizeof(frag3); i++)
    frag3[i] = (char) ('a' + i / 102400);
}

/* --- lode client, ws server ---------------------------------------------- */

static void c_open(lode_websocket_t* ws) {
  snprintf(agreed, sizeof(agreed), "%s", lode_websocket_extensions(ws));
  for (int i = 0; i < 4; i++)
    ASSERT_OK(lode_websocket_send_text(
        ws, (lode_slice_t){ text16k, sizeof(text16k) }));
  lode_websocket_send_text(ws, LODE_SLICE("cmd:bigfrag"));
  lode_websocket_send_text(ws, LODE_SLICE("cmd:params"));
  step = 0;
}

static void c_message(lode_websocket_t* ws, lode_slice_t d, int bin) {
  ASSERT_EQ(bin, 0);
  if (step < 4)
    ASSERT_MEM_EQ(d.base, d.len, text16k, sizeof(text16k));
  else if (step == 4)
    ASSERT_MEM_EQ(d.base, d.len, frag3, sizeof(frag3));
  else
    snprintf(params, sizeof(params), "%.*s", (int) d.len, d.base);
  if (++step == 6)
    lode_websocket_close(ws, LODE_WEBSOCKET_CLOSE_NORMAL, (lode_slice_t){ 0 });
}

static const lode_websocket_events_t client_events = {
  .on_open = c_open,
  .on_message = c_message,
  .on_error = c_error,
  .on_close = c_close,
};

typedef struct client_case_s {
  lode_websocket_opts_t lode; /* the client's offer */
  const char* ws;             /* the server's perMessageDeflate */
  const char* agreed;         /* the answer lode gets */
  const char* params;         /* what ws says it agreed ("none": no
                                  extension; NULL: ws refuses with 400) */
} client_case_t;

static void run_client(const client_case_t* c) {
  fprintf(stderr, "case: server %s, expecting \"%s\"\n", c->ws, c->agreed);
  char opts[256];
  snprintf(opts, sizeof(opts), "{\"perMessageDeflate\":%s}", c->ws);
  const char* argv[] = { "node", "test/peers/ws-echo-server.js", opts, NULL };
  test_peer_t* p = test_peer_start(argv);
  char url[64];
  snprintf(url, sizeof(url), "ws://127.0.0.1:%d/", test_peer_port(p));
  test_trace_reset();
  agreed[0] = params[0] = '\0';
  ASSERT_OK(uv_loop_init(&loop));
  lode_websocket_t* ws;
  ASSERT_OK(lode_websocket_create(&loop, url, NULL, 0, &c->lode, &client_events,
                                  &ws));
  test_run_loop(&loop, 60000);
  test_loop_close(&loop);
  if (c->params == NULL) {
    test_peer_kill(p);
    ASSERT_TRACE(
        "error(ERR_WS_PROTOCOL: Received network error or non-101 "
        "status code.),close(0,1006,)");
    return;
  }
  ASSERT_EQ(test_peer_finish(p, 10000, NULL), 0);
  ASSERT_TRACE("close(1,1000,)");
  ASSERT_STR_EQ(agreed, c->agreed);
  /* "params={...} read=N": ws's view, and the bytes it read. */
  char* read = strstr(params, " read=");
  ASSERT_NOT_NULL(read);
  *read = '\0';
  ASSERT_STR_EQ(params + 7, c->params);
  long n = atol(read + 6);
  if (strcmp(c->params, "none") != 0)
    ASSERT_LT(n, 60000); /* 64 KiB of text went out compressed */
  else
    ASSERT_GT(n, 65536);
}

#define PMD "permessage-deflate"

TEST(lode_client_against_ws_server) {
  static const client_case_t cases[] = {
    { { 0 }, "true", PMD, "{}" },
    { { .client_no_context_takeover = 1 },
      "true",
      PMD "; client_no_context_takeover",
      "{\"client_no_context_takeover\":true}" },
    { { .server_no_context_takeover = 1 },
      "true",
      PMD "; server_no_context_takeover",
      "{\"server_no_context_takeover\":true}" },
    { { .client_max_window_bits = 9 },
      "true",
      PMD "; client_max_window_bits=9",
      "{\"client_max_window_bits\":9}" },
    { { .server_max_window_bits = 9 },
      "true",
      PMD "; server_max_window_bits=9",
      "{\"server_max_window_bits\":9}" },
    { { 0 },
      "{\"serverNoContextTakeover\":true}",
      PMD "; server_no_context_takeover",
      "{\"server_no_context_takeover\":true}" },
    { { 0 },
      "{\"clientNoContextTakeover\":true}",
      PMD "; client_no_context_takeover",
      "{\"client_no_context_takeover\":true}" },
    { { 0 },
      "{\"serverMaxWindowBits\":10}",
      PMD "; server_max_window_bits=10",
      "{\"server_max_window_bits\":10}" },
    { { 0 },
      "{\"clientMaxWindowBits\":11}",
      PMD "; client_max_window_bits=11",
      "{\"client_max_window_bits\":11}" },
    /* ws will not widen a window the client asked to narrow, and
     * refuses the handshake (400): Node's message for it. */
    { { .server_max_window_bits = 10 },
      "{\"serverMaxWindowBits\":12}",
      "",
      NULL },
    { { .client_no_context_takeover = 1,
        .server_no_context_takeover = 1,
        .client_max_window_bits = 12,
        .server_max_window_bits = 11 },
      "{\"serverMaxWindowBits\":11,\"clientMaxWindowBits\":9}",
      PMD
      "; server_no_context_takeover; client_no_context_takeover; "
      "server_max_window_bits=11; client_max_window_bits=9",
      "{\"server_no_context_takeover\":true,\"client_no_context_takeover\":"
      "true,\"server_max_window_bits\":11,\"client_max_window_bits\":9}" },
    { { .per_message_deflate = -1 }, "true", "", "none" },
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
    run_client(&cases[i]);
}

/* --- ws client, lode server ---------------------------------------------- */

static void s_message(lode_websocket_t* ws, lode_slice_t d, int bin) {
  if (bin)
    lode_websocket_send_binary(ws, d);
  else
    lode_websocket_send_text(ws, d);
}
static void s_open(lode_websocket_t* ws) {
  snprintf(agreed, sizeof(agreed), "%s", lode_websocket_extensions(ws));
}
static const lode_websocket_events_t server_events = {
  .on_open = s_open,
  .on_message = s_message,
  .on_error = c_error,
  .on_close = s_close,
};

typedef struct server_case_s {
  lode_websocket_opts_t lode; /* the server's options */
  const char* ws;             /* the client's perMessageDeflate */
  const char* agreed;         /* lode's answer */
} server_case_t;

static void run_server(const server_case_t* c) {
  fprintf(stderr, "case: client %s, expecting \"%s\"\n", c->ws, c->agreed);
  server_opts = c->lode;
  agreed[0] = '\0';
  char opts[256];
  snprintf(opts, sizeof(opts), "{\"perMessageDeflate\":%s}", c->ws);
  const char* out = run_ws_client("/", opts, "deflate", &server_events);
  /* ws's own view: what it agreed, every echo right (" ok", not
   * " WRONG"), whether it wrote compressed bytes, and the close. */
  char head[256];
  snprintf(head, sizeof(head), "open  %s\n", c->agreed[0] ? PMD : "");
  ASSERT_EQ(strncmp(out, head, strlen(head)), 0);
  int oks = 0;
  for (const char* o = out; (o = strstr(o, " ok\n")) != NULL; o++)
    oks++;
  ASSERT_EQ(oks, 5);
  ASSERT_NULL(strstr(out, "WRONG"));
  ASSERT_NOT_NULL(strstr(out, c->agreed[0]
                                  ? "written small\nclose 1000 done\n"
                                  : "written large\nclose 1000 done\n"));
  ASSERT_STR_EQ(agreed, c->agreed);
  ASSERT_TRACE("close(1,1000,done)");
}

TEST(ws_client_against_lode_server) {
  static const server_case_t cases[] = {
    { { .per_message_deflate = 1 }, "true", PMD },
    { { .per_message_deflate = 1, .server_no_context_takeover = 1 },
      "true",
      PMD "; server_no_context_takeover" },
    { { .per_message_deflate = 1, .client_no_context_takeover = 1 },
      "true",
      PMD "; client_no_context_takeover" },
    { { .per_message_deflate = 1, .server_max_window_bits = 9 },
      "true",
      PMD "; server_max_window_bits=9" },
    { { .per_message_deflate = 1, .client_max_window_bits = 9 },
      "true",
      PMD "; client_max_window_bits=9" },
    { { .per_message_deflate = 1 },
      "{\"serverNoContextTakeover\":true}",
      PMD "; server_no_context_takeover" },
    { { .per_message_deflate = 1 },
      "{\"clientNoContextTakeover\":true}",
      PMD "; client_no_context_takeover" },
    { { .per_message_deflate = 1 },
      "{\"serverMaxWindowBits\":10}",
      PMD "; server_max_window_bits=10" },
    { { .per_message_deflate = 1 },
      "{\"clientMaxWindowBits\":11}",
      PMD "; client_max_window_bits=11" },
    { { .per_message_deflate = 1,
        .server_no_context_takeover = 1,
        .client_no_context_takeover = 1,
        .server_max_window_bits = 12,
        .client_max_window_bits = 10 },
      "{\"serverMaxWindowBits\":11,\"clientMaxWindowBits\":9}",
      PMD
      "; server_no_context_takeover; client_no_context_takeover; "
      "server_max_window_bits=11; client_max_window_bits=9" },
    /* The server declines: messages go uncompressed. */
    { { 0 }, "true", "" },
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
    run_server(&cases[i]);
}

int main(int argc, char** argv) {
  make_text();
  static const test_case_t cases[] = {
    { "lode_client_against_ws_server", test_lode_client_against_ws_server },
    { "ws_client_against_lode_server", test_ws_client_against_lode_server },
  };
  return test_run_all(argc, argv, cases, sizeof(cases) / sizeof(cases[0]));
}
