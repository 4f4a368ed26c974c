/* A raw WebSocket peer over lode_stream_pair for the ws tests: it plays
 * the other end with exact bytes (handshake and frames) and decodes what
 * lode sends back into a readable trace. Included by one test file each. */
#ifndef LODE_TEST_WSRAW_H
#define LODE_TEST_WSRAW_H

#include "lode/ws.h"
#include "test.h"
#include "ws/internal.h"

/* Each test file uses a different part of this helper. */
#pragma GCC diagnostic ignored "-Wunused-function"

typedef struct raw_s {
  uv_loop_t loop;
  lode_stream_t* a; /* lode's side */
  lode_stream_t* b; /* the raw peer's side */
  lode_websocket_t* ws;
  int lode_is_server;
  int head_done;
  lode__buf_t rx; /* bytes from lode, before the head is cut */
  lode__ws_decoder_t dec;
  lode__buf_t payload;
  int msg_op;
  char replies[65536]; /* what lode sent, decoded */
  size_t nreplies;
  lode__buf_t script; /* the frames to send once the head is seen */
  size_t bounds[512]; /* where each frame of the script ends */
  size_t nbounds;
  size_t chop; /* write them in pieces of this size, or
                                CHOP_FRAMES: one write per frame */
  int peer_closed;
  int peer_sent_close;  /* else the peer answers lode's close */
  int end_after_script; /* the peer ends its side after the script */
  const char* response; /* client role: the answer, NULL = 101 */
} raw_t;

static raw_t R;

#define CHOP_FRAMES ((size_t) -1)
/* A lode__buf_t's bytes as bytes. */
#define U8(b) ((uint8_t*) (b).base)

static uint32_t fnv(const uint8_t* p, size_t n) {
  uint32_t h = 2166136261u;
  for (size_t i = 0; i < n; i++)
    h = (h ^ p[i]) * 16777619u;
  return h;
}

/* "T:text", "B:bytes", "P:ping", "O:pong", "C:code:reason"; long
 * payloads as "T#len:hash". */
/* Printable ASCII as it is, other bytes as \xHH. */
static const char* plain(const void* v, size_t n) {
  static char buf[4][600];
  static int which;
  char* o = buf[which++ % 4];
  const uint8_t* p = v;
  size_t k = 0;
  for (size_t i = 0; i < n && k < 590; i++)
    k += (size_t) (p[i] >= 32 && p[i] < 127 ? sprintf(o + k, "%c", p[i])
                                            : sprintf(o + k, "\\x%02x", p[i]));
  o[k] = '\0';
  return o;
}

static void describe(char* out, size_t cap, int op, const uint8_t* p,
                     size_t n) {
  static const char* names = "?TB?????CPO";
  char c = op <= 10 ? names[op] : '?';
  if (op == LODE__WS_OP_CLOSE) {
    if (n >= 2)
      snprintf(out, cap, "C:%d:%s", p[0] << 8 | p[1], plain(p + 2, n - 2));
    else
      snprintf(out, cap, "C:%s", n == 0 ? "none" : "1byte");
  } else if (n > 32) {
    snprintf(out, cap, "%c#%zu:%08x", c, n, (unsigned) fnv(p, n));
  } else {
    snprintf(out, cap, "%c:%s", c, plain(p, n));
  }
}

static void reply(int op, const uint8_t* p, size_t n) {
  char d[256];
  describe(d, sizeof(d), op, p, n);
  R.nreplies += (size_t) snprintf(R.replies + R.nreplies,
                                  sizeof(R.replies) - R.nreplies, "%s%s",
                                  R.nreplies ? "," : "", d);
}

/* Builds one frame into the script; a peer of a lode server masks. */
static void frame(int b0, const void* p, size_t n) {
  uint8_t hdr[14], mask[4] = { 0x37, 0xfa, 0x21, 0x3d };
  int masked = R.lode_is_server;
  size_t h = lode__ws_frame_header(hdr, 0, 0, 0, n, masked ? mask : NULL);
  hdr[0] = (uint8_t) b0;
  lode__buf_append(&R.script, hdr, h);
  size_t at = R.script.len;
  lode__buf_append(&R.script, p, n);
  if (masked)
    lode__ws_mask(U8(R.script) + at, U8(R.script) + at, n, mask, 0);
  if (R.nbounds < sizeof(R.bounds) / sizeof(R.bounds[0]))
    R.bounds[R.nbounds++] = R.script.len;
}

static void close_frame(int code, const char* reason) {
  uint8_t b[200];
  size_t n = 0;
  if (code >= 0) {
    b[0] = (uint8_t) (code >> 8);
    b[1] = (uint8_t) code;
    n = 2 + strlen(reason);
    memcpy(b + 2, reason, n - 2);
  }
  frame(0x88, b, n);
  R.peer_sent_close = 1;
}

static void send_script(void) {
  if (R.chop == CHOP_FRAMES) {
    for (size_t i = 0, at = 0; i < R.nbounds; at = R.bounds[i++])
      lode_stream_write(
          R.b,
          (lode_slice_t){ (const char*) R.script.base + at, R.bounds[i] - at },
          NULL, NULL);
    return;
  }
  size_t step = R.chop ? R.chop : R.script.len;
  for (size_t at = 0; at < R.script.len; at += step) {
    size_t k = R.script.len - at < step ? R.script.len - at : step;
    lode_stream_write(
        R.b, (lode_slice_t){ (const char*) R.script.base + at, k }, NULL, NULL);
  }
}

static void decode_replies(const uint8_t* p, size_t n) {
  for (;;) {
    size_t used, clen;
    const uint8_t* chunk;
    uint64_t off;
    int ev = lode__ws_decode(&R.dec, p, n, &used, &chunk, &clen, &off);
    p += used;
    n -= used;
    if (ev == LODE__WS_DEC_NEED)
      return;
    if (ev == LODE__WS_DEC_ERROR) {
      reply(99, (const uint8_t*) R.dec.reason, strlen(R.dec.reason));
      return;
    }
    if (ev == LODE__WS_DEC_FRAME && R.dec.frame.opcode != 0) {
      R.msg_op = R.dec.frame.opcode;
      R.payload.len = 0;
    }
    if (ev == LODE__WS_DEC_PAYLOAD) {
      size_t at = R.payload.len;
      lode__buf_append(&R.payload, chunk, clen);
      if (R.dec.frame.masked)
        lode__ws_mask(U8(R.payload) + at, U8(R.payload) + at, clen,
                      R.dec.frame.mask, off);
    }
    if (ev == LODE__WS_DEC_FRAME_END && R.dec.frame.fin) {
      reply(R.msg_op, U8(R.payload), R.payload.len);
      if (R.msg_op == LODE__WS_OP_CLOSE && !R.peer_sent_close) {
        R.script.len = 0;
        R.nbounds = 0;
        R.chop = 0;
        frame(0x88, R.payload.base, R.payload.len);
        R.peer_sent_close = 1;
        send_script();
      }
    }
  }
}

static void answer_handshake(const lode__ws_head_t* h) {
  static char buf[16384];
  lode_slice_t key = lode__ws_header(h->raw, h->nraw, "sec-websocket-key");
  char acc[29];
  lode__ws_accept_key(key.base, key.len, acc);
  if (R.response != NULL)
    snprintf(buf, sizeof(buf), R.response, acc);
  else
    snprintf(buf, sizeof(buf),
             "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
             "Connection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n\r\n",
             acc);
  lode_stream_write(R.b, lode_slice_str(buf), NULL, NULL);
}

static void peer_data(void* ctx, lode_stream_t* s, lode_slice_t d) {
  if (R.head_done) {
    decode_replies((const uint8_t*) d.base, d.len);
    return;
  }
  lode__buf_append(&R.rx, d.base, d.len);
  lode__ws_head_t h;
  long n = lode__ws_head_parse((const char*) R.rx.base, R.rx.len,
                               !R.lode_is_server, &h);
  if (!R.lode_is_server && n > 0)
    answer_handshake(&h);
  lode__ws_head_free(&h);
  if (n <= 0)
    return;
  R.head_done = 1;
  send_script();
  if (R.end_after_script)
    lode_stream_end(R.b, NULL, NULL);
  decode_replies(U8(R.rx) + n, R.rx.len - (size_t) n);
}

static void peer_end(void* ctx, lode_stream_t* s) {
  lode_stream_end(s, NULL, NULL);
}

static void peer_close(void* ctx, lode_stream_t* s, int had_error) {
  R.peer_closed = 1;
}

static const lode_stream_reader_t peer_reader = {
  .on_data = peer_data,
  .on_end = peer_end,
  .on_close = peer_close,
};

/* lode's side: an echo, tracing its events. */
static void echo_message(lode_websocket_t* ws, lode_slice_t d, int bin) {
  if (bin)
    lode_websocket_send_binary(ws, d);
  else
    lode_websocket_send_text(ws, d);
}

static void trace_open(lode_websocket_t* ws) {
  test_trace("open");
}

static void trace_error(lode_websocket_t* ws, const lode_error_t* e) {
  test_trace("error(%s)", e->name);
}

static void trace_close(lode_websocket_t* ws, int clean, int code,
                        lode_slice_t reason) {
  test_trace("close(%d,%d,%s)", clean, code, plain(reason.base, reason.len));
}

static const lode_websocket_events_t echo_events = {
  .on_open = trace_open,
  .on_message = echo_message,
  .on_error = trace_error,
  .on_close = trace_close,
};

static void raw_init(int lode_is_server) {
  memset(&R, 0, sizeof(R));
  test_trace_reset();
  ASSERT_OK(uv_loop_init(&R.loop));
  ASSERT_OK(lode_stream_pair(&R.loop, &R.a, &R.b));
  R.lode_is_server = lode_is_server;
  lode__ws_decoder_init(&R.dec, !lode_is_server);
  R.dec.allow_rsv1 = 1;
  lode_stream_set_reader(R.b, &peer_reader, NULL);
}

/* A good upgrade request's headers; the last pair, counted only by
 * raw_start_deflate, offers permessage-deflate. */
static const lode_slice_t request_headers[] = {
  LODE_SLICE("Host"),
  LODE_SLICE("example.com"),
  LODE_SLICE("Upgrade"),
  LODE_SLICE("websocket"),
  LODE_SLICE("Connection"),
  LODE_SLICE("Upgrade"),
  LODE_SLICE("Sec-WebSocket-Key"),
  LODE_SLICE("dGhlIHNhbXBsZSBub25jZQ=="),
  LODE_SLICE("Sec-WebSocket-Version"),
  LODE_SLICE("13"),
  LODE_SLICE("Sec-WebSocket-Extensions"),
  LODE_SLICE("permessage-deflate"),
};
#define NREQUEST_HEADERS                                                       \
  (sizeof(request_headers) / sizeof(request_headers[0]) - 2)

static void start_role(const lode_websocket_events_t* ev,
                       const lode_websocket_opts_t* opts, int deflate) {
  lode_websocket_opts_t o = opts ? *opts : (lode_websocket_opts_t){ 0 };
  if (R.lode_is_server) {
    lode_websocket_request_t req = { LODE_SLICE("GET"),
                                     LODE_SLICE("/chat"),
                                     1,
                                     1,
                                     request_headers,
                                     NREQUEST_HEADERS + (deflate ? 2 : 0) };
    ASSERT_OK(lode_websocket_accept(R.a, &req, LODE_SLICE(""), &o, ev, &R.ws));
  } else {
    o.stream = R.a;
    ASSERT_OK(lode_websocket_create(&R.loop, "ws://example.com/chat", NULL, 0,
                                    &o, ev, &R.ws));
  }
}

/* Starts lode's side with `ev` (server: accepted from a good request). */
static void raw_start(const lode_websocket_events_t* ev,
                      const lode_websocket_opts_t* opts) {
  start_role(ev, opts, 0);
}

/* raw_start with permessage-deflate agreed (no parameters) in either
 * role: the peer's offer or answer names it. */
static void raw_start_deflate(const lode_websocket_events_t* ev) {
  R.response =
      "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
      "Connection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n"
      "Sec-WebSocket-Extensions: permessage-deflate\r\n\r\n";
  start_role(ev, &(lode_websocket_opts_t){ .per_message_deflate = 1 }, 1);
}

static void raw_finish(void) {
  test_run_loop(&R.loop, 10000);
  lode__buf_free(&R.rx);
  lode__buf_free(&R.payload);
  lode__buf_free(&R.script);
  test_loop_close(&R.loop);
}

/* --- Autobahn-style cases -------------------------------------------------
 * A case is a script of frames the peer sends; lode echoes every message;
 * the test compares what came back (`replies`) and lode's events. */

/* Traces of lode's side; the numbers are the close codes on_close reports
 * (NORMAL, ABNORMAL). */
#define CLEAN "open,close(1,1000,)"
#define FAILED "open,error(ERR_WS_PROTOCOL),close(0,1006,)"
#define BAD_UTF8 "open,error(ERR_WS_INVALID_UTF8),close(0,1006,)"

static char want[65536];

/* Adds a frame lode is expected to send to `want`. */
static void expect(int op, const void* p, size_t n) {
  char d[256];
  describe(d, sizeof(d), op, p, n);
  size_t len = strlen(want);
  snprintf(want + len, sizeof(want) - len, "%s%s", len ? "," : "", d);
}

typedef void (*script_fn)(void);

/* Runs `fn` against both roles, expecting `server_replies` from lode as
 * a server and `client_replies` as a client (they differ where the close
 * echo does: a server echoes the reason too); NULL means the `want` the
 * script built, followed by lode's answer to a NORMAL close. */
static void run_case_roles(const char* name, script_fn fn, size_t chop,
                           const char* server_replies,
                           const char* client_replies, const char* events) {
  for (int server = 1; server >= 0; server--) {
    raw_init(server);
    want[0] = '\0';
    R.chop = chop;
    fn();
    raw_start(&echo_events, NULL);
    raw_finish();
    const char* w = server ? server_replies : client_replies;
    if (w == NULL) {
      uint8_t normal[2] = { LODE_WEBSOCKET_CLOSE_NORMAL >> 8,
                            LODE_WEBSOCKET_CLOSE_NORMAL & 0xff };
      expect(LODE__WS_OP_CLOSE, normal, 2);
      w = want;
    }
    if (strcmp(R.replies, w) != 0 || strcmp(test_trace_get(), events) != 0)
      test_fail(__FILE__, __LINE__,
                "case %s (lode as %s):\n  replies: %s\n"
                "  want:    %s\n  events:  %s\n  want:    %s",
                name, server ? "server" : "client", R.replies, w,
                test_trace_get(), events);
  }
}

/* run_case_roles with the same replies in both roles. */
static void run_case(const char* name, script_fn fn, size_t chop,
                     const char* replies, const char* events) {
  run_case_roles(name, fn, chop, replies, replies, events);
}

/* A scripted case: frames (first byte, payload, length or 0 for strlen),
 * then what lode answers and the events it reports. */
typedef struct fr_s {
  int b0;
  const char* p;
  size_t n;
} fr_t;
typedef struct case_s {
  const char* name;
  fr_t frames[16];
  size_t chop;
  const char* replies;
  const char* events;
} case_t;

#define CLOSE_OK                                                               \
  { 0x88, "\x03\xe8", 2 } /* NORMAL, no reason */
#define END                                                                    \
  { -1, NULL, 0 }

static const fr_t* frames_now;
static void s_frames(void) {
  for (const fr_t* f = frames_now; f->b0 >= 0; f++) {
    if (f->b0 == 0x88)
      R.peer_sent_close = 1;
    frame(f->b0, f->p, f->n ? f->n : strlen(f->p));
  }
}

static void run_table(const case_t* cases, size_t n) {
  for (size_t i = 0; i < n; i++) {
    frames_now = cases[i].frames;
    run_case(cases[i].name, s_frames, cases[i].chop, cases[i].replies,
             cases[i].events);
  }
}

#endif
