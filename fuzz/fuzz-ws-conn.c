/* libFuzzer target: a whole lode WebSocket over the in-memory pair. The
 * first byte picks the role (top bit: server) and the size of the pieces
 * the input is written in (low six bits). Client: the peer answers the
 * opening request with 101 and permessage-deflate, then sends the input
 * as the server's frames. Server (lode_websocket_serve, deflate on): the
 * input is the request head and the client's frames. Then the peer ends.
 * lode echoes every message; the loop must run dry with nothing
 * leaked. Replays are the same every run: the fuzz build's keys and
 * masks are a fixed pattern (lode__ws_random) and no timer fires. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "lode/ws.h"
#include "ws/internal.h"

typedef struct peer_s {
  lode_stream_t* b;
  const uint8_t* data;
  size_t size;
  size_t step;
  lode__buf_t head;
  int answered;
} peer_t;

/* Writes the input in pieces, then ends. */
static void send_input(peer_t* p) {
  for (size_t at = 0; at < p->size; at += p->step) {
    size_t k = p->size - at < p->step ? p->size - at : p->step;
    lode_stream_write(p->b, (lode_slice_t){ (const char*) p->data + at, k },
                      NULL, NULL);
  }
  lode_stream_end(p->b, NULL, NULL);
  p->answered = 1;
}

static void answer(peer_t* p) {
  lode__ws_head_t h;
  if (lode__ws_head_parse((const char*) p->head.base, p->head.len, 1, &h) <= 0)
    return;
  lode_slice_t key = lode__ws_header(h.raw, h.nraw, "sec-websocket-key");
  char acc[29], res[256];
  lode__ws_accept_key(key.base, key.len, acc);
  int n = snprintf(res, sizeof(res),
                   "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                   "Connection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n"
                   "Sec-WebSocket-Extensions: permessage-deflate\r\n\r\n",
                   acc);
  lode_stream_write(p->b, (lode_slice_t){ res, (size_t) n }, NULL, NULL);
  send_input(p);
}

static void peer_data(void* ctx, lode_stream_t* s, lode_slice_t d) {
  peer_t* p = ctx;
  if (p->answered)
    return;
  lode__buf_append(&p->head, d.base, d.len);
  answer(p);
}

static void peer_end(void* ctx, lode_stream_t* s) {
  lode_stream_destroy(s, NULL);
}

static const lode_stream_reader_t peer_reader = {
  .on_data = peer_data,
  .on_end = peer_end,
};

static void on_message(lode_websocket_t* ws, lode_slice_t d, int bin) {
  if (bin)
    lode_websocket_send_binary(ws, d);
  else
    lode_websocket_send_text(ws, d);
}

static const lode_websocket_events_t events = { .on_message = on_message };

int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1)
    return 0;
  uv_loop_t loop;
  lode_stream_t *a, *b;
  peer_t p = { 0 };
  int server = data[0] & 0x80;
  p.step = (size_t) (data[0] & 0x3f) + 1;
  p.data = data + 1;
  p.size = size - 1;
  uv_loop_init(&loop);
  lode_stream_pair(&loop, &a, &b);
  p.b = b;
  lode_stream_set_reader(b, &peer_reader, &p);
  /* The timers are longer than any input takes (libFuzzer's -timeout is
   * 10 s): one that fired mid-input would make a run depend on the
   * machine's speed. The peer always ends, so nothing waits for them (the
   * unit tests cover both timeouts). */
  lode_websocket_opts_t o = { .max_payload = 1 << 20,
                              .close_timeout = 5000,
                              .handshake_timeout = 5000 };
  lode_websocket_t* ws;
  if (server) {
    o.per_message_deflate = 1;
    if (lode_websocket_serve(a, &o, &events, &ws) == 0) {
      send_input(&p);
      uv_run(&loop, UV_RUN_DEFAULT);
    }
  } else {
    o.stream = a;
    if (lode_websocket_create(&loop, "ws://fuzz/", NULL, 0, &o, &events, &ws) ==
        0)
      uv_run(&loop, UV_RUN_DEFAULT);
  }
  uv_loop_close(&loop);
  lode__buf_free(&p.head);
  return 0;
}
