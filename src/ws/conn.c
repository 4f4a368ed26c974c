/* The WebSocket connection on a lode_stream_t, for both roles: receiving
 * (frames to messages, UTF-8, inflate, size limit), control frames, the
 * closing handshake, and the object's lifetime. */
#include "ws/internal.h"

#include <stdlib.h>
#include <string.h>

#define DEFAULT_MAX_PAYLOAD ((size_t) 100 << 20)

lode_websocket_t* lode__ws_new(uv_loop_t* loop, int is_server,
                               const lode_websocket_opts_t* opts,
                               const lode_websocket_events_t* ev) {
  lode_websocket_t* ws = calloc(1, sizeof(*ws));
  if (ws == NULL)
    return NULL;
  ws->loop = loop;
  ws->ev = ev;
  ws->is_server = is_server;
  ws->state = LODE_WEBSOCKET_CONNECTING;
  ws->refs = 1;
  if (opts != NULL)
    ws->opts = *opts;
  ws->opts.protocols = NULL;
  ws->opts.nprotocols = 0;
  ws->opts.stream = NULL;
  if (ws->opts.max_payload == 0)
    ws->opts.max_payload = DEFAULT_MAX_PAYLOAD;
  if (ws->opts.deflate_threshold == 0)
    ws->opts.deflate_threshold = 1024;
  if (ws->opts.close_timeout == 0)
    ws->opts.close_timeout = 30000;
  ws->rnd_used = sizeof(ws->rnd);
  lode__ws_decoder_init(&ws->dec, is_server);
  lode_websocket_clients_hold(ws->opts.clients);
  return ws;
}

void lode__ws_discard(lode_websocket_t* ws) {
  lode__pmd_free(ws->pmd);
  lode__buf_free(&ws->msg);
  lode__buf_free(&ws->in);
  lode__buf_free(&ws->out);
  lode__buf_free(&ws->zout);
  lode__ws_client_free(ws->client);
  for (size_t i = 0; i < ws->nprotos; i++)
    free(ws->protos[i]);
  free(ws->protos);
  free(ws->pend);
  free(ws->url);
  free(ws->protocol);
  free(ws->extensions);
  lode_websocket_clients_release(ws->opts.clients);
  free(ws);
}

int lode__ws_keep_protocols(lode_websocket_t* ws, const char* const* p,
                            size_t n) {
  ws->protos = calloc(n, sizeof(char*));
  if (ws->protos == NULL)
    return UV_ENOMEM;
  for (; ws->nprotos < n; ws->nprotos++)
    if ((ws->protos[ws->nprotos] = strdup(p[ws->nprotos])) == NULL)
      return UV_ENOMEM;
  ws->opts.protocols = (const char* const*) ws->protos;
  ws->opts.nprotocols = n;
  return 0;
}

void lode__ws_hold(lode_websocket_t* ws) {
  ws->refs++;
}

int lode__ws_release(lode_websocket_t* ws) {
  if (--ws->refs > 0)
    return 0;
  lode__ws_discard(ws);
  return 1;
}

static void on_timer_closed(uv_handle_t* h) {
  lode__ws_release(h->data);
}

/* The last callback: readyState CLOSED, on_close, then the self reference
 * goes once the timer has closed. */
static void emit_close(lode_websocket_t* ws) {
  if (ws->flags & LODE__WS_F_CLOSE_EMITTED)
    return;
  ws->flags |= LODE__WS_F_CLOSE_EMITTED;
  ws->state = LODE_WEBSOCKET_CLOSED;
  int clean = (ws->flags & LODE__WS_F_SENT_CLOSE) &&
              (ws->flags & LODE__WS_F_RECV_CLOSE) &&
              !(ws->flags & LODE__WS_F_FAILED);
  int code = ws->close_code;
  lode_slice_t reason = { ws->close_reason, ws->close_reason_len };
  if (!(ws->flags & LODE__WS_F_RECV_CLOSE) || (ws->flags & LODE__WS_F_FAILED)) {
    code = LODE_WEBSOCKET_CLOSE_ABNORMAL;
    reason.len = 0;
  }
  uv_timer_stop(&ws->timer);
  lode__ws_leave(ws);
  if (ws->ev != NULL && ws->ev->on_close != NULL)
    ws->ev->on_close(ws, clean, code, reason);
  uv_close((uv_handle_t*) &ws->timer, on_timer_closed);
}

static void on_close_timeout(uv_timer_t* t) {
  lode_websocket_t* ws = t->data;
  if (ws->stream != NULL)
    lode_stream_destroy(ws->stream, NULL);
}

void lode__ws_arm_close_timeout(lode_websocket_t* ws) {
  uv_timer_start(&ws->timer, on_close_timeout, ws->opts.close_timeout, 0);
}

void lode__ws_end_stream(lode_websocket_t* ws) {
  if (ws->stream == NULL || (ws->flags & LODE__WS_F_ENDED))
    return;
  ws->flags |= LODE__WS_F_ENDED;
  lode__ws_arm_close_timeout(ws);
  lode_stream_end(ws->stream, NULL, NULL);
}

/* --- Sending ------------------------------------------------------------- */

/* Drops the messages the stream has handed on. */
static void settle(lode_websocket_t* ws) {
  uint64_t queued = ws->stream ? lode_stream_writable_length(ws->stream) : 0;
  uint64_t flushed = ws->wbytes - (queued < ws->wbytes ? queued : ws->wbytes);
  while (ws->pend_len > 0 && ws->pend[ws->pend_head].end <= flushed) {
    ws->buffered -= ws->pend[ws->pend_head].size;
    ws->pend_head = (ws->pend_head + 1) % ws->pend_cap;
    ws->pend_len--;
  }
}

/* Remembers a message in flight, for bufferedAmount. */
static int track(lode_websocket_t* ws, uint64_t end, size_t n) {
  settle(ws);
  if (ws->pend_len == ws->pend_cap) {
    size_t cap = ws->pend_cap ? ws->pend_cap * 2 : 16;
    lode__ws_pending_t* p = malloc(cap * sizeof(*p));
    if (p == NULL)
      return UV_ENOMEM;
    for (size_t i = 0; i < ws->pend_len; i++)
      p[i] = ws->pend[(ws->pend_head + i) % ws->pend_cap];
    free(ws->pend);
    ws->pend = p;
    ws->pend_cap = cap;
    ws->pend_head = 0;
  }
  ws->pend[(ws->pend_head + ws->pend_len) % ws->pend_cap] =
      (lode__ws_pending_t){ end, n };
  ws->pend_len++;
  ws->buffered += n;
  return 0;
}

/* on_drain, once bufferedAmount is back to the mark. */
static void check_drain(lode_websocket_t* ws) {
  if (!(ws->flags & LODE__WS_F_NEED_DRAIN))
    return;
  settle(ws);
  if (ws->buffered > ws->opts.drain_mark)
    return;
  ws->flags &= ~LODE__WS_F_NEED_DRAIN;
  if (ws->state == LODE_WEBSOCKET_OPEN && ws->ev != NULL &&
      ws->ev->on_drain != NULL)
    ws->ev->on_drain(ws);
}

/* A message's write is through: with a drain listener, every message
 * write comes here (each holds the object), so the crossing of any mark
 * is seen as soon as the stream reports it. */
static void on_sent(lode_stream_t* s, int status, void* arg) {
  lode_websocket_t* ws = arg;
  if (status == 0 && !(ws->flags & LODE__WS_F_CLOSE_EMITTED)) {
    lode__ws_hold(ws);
    check_drain(ws);
    lode__ws_release(ws);
  }
  lode__ws_release(ws);
}

static int next_mask(lode_websocket_t* ws, uint8_t mask[4]) {
  if (ws->rnd_used + 4 > sizeof(ws->rnd)) {
    int rc = lode__ws_random(ws->rnd, sizeof(ws->rnd));
    if (rc != 0)
      return rc;
    ws->rnd_used = 0;
  }
  memcpy(mask, ws->rnd + ws->rnd_used, 4);
  ws->rnd_used += 4;
  return 0;
}

/* One whole frame. A client masks it (into ws->out); a server writes the
 * header and the payload as they are. `tracked` counts a message of
 * `size` bytes for bufferedAmount until the stream has handed it on. */
static int send_frame(lode_websocket_t* ws, int opcode, int rsv1,
                      const uint8_t* p, size_t n, int tracked, size_t size) {
  uint8_t hdr[LODE__WS_MAX_HEADER], mask[4];
  lode_slice_t bufs[2];
  size_t nbufs = 1;
  if (ws->stream == NULL)
    return LODE_ERR_WS_INVALID_STATE;
  if (!ws->is_server) {
    int rc = next_mask(ws, mask);
    if (rc != 0)
      return rc;
    size_t h = lode__ws_frame_header(hdr, 1, rsv1, opcode, n, mask);
    ws->out.len = 0;
    if (lode__buf_reserve(&ws->out, h + n) != 0)
      return UV_ENOMEM;
    memcpy(ws->out.base, hdr, h);
    lode__ws_mask((uint8_t*) ws->out.base + h, p, n, mask, 0);
    bufs[0] = (lode_slice_t){ (const char*) ws->out.base, h + n };
  } else {
    size_t h = lode__ws_frame_header(hdr, 1, rsv1, opcode, n, NULL);
    bufs[0] = (lode_slice_t){ (const char*) hdr, h };
    bufs[1] = (lode_slice_t){ (const char*) p, n };
    nbufs = n > 0 ? 2 : 1;
  }
  int watch = tracked && ws->ev != NULL && ws->ev->on_drain != NULL;
  if (watch)
    lode__ws_hold(ws); /* on_sent releases it */
  int rc = lode_stream_writev(ws->stream, bufs, nbufs, watch ? on_sent : NULL,
                              ws);
  if (rc < 0) {
    if (watch)
      lode__ws_release(ws);
    return rc;
  }
  for (size_t i = 0; i < nbufs; i++)
    ws->wbytes += bufs[i].len;
  if (tracked && track(ws, ws->wbytes, size) != 0)
    return UV_ENOMEM;
  if (tracked) {
    settle(ws);
    if (ws->buffered > ws->opts.drain_mark)
      ws->flags |= LODE__WS_F_NEED_DRAIN;
  }
  /* A large frame leaves a large buffer behind; give it back. */
  if (ws->out.cap > (1 << 20)) {
    lode__buf_free(&ws->out);
  }
  return 0;
}

static int send_close_frame(lode_websocket_t* ws, int code,
                            lode_slice_t reason) {
  uint8_t body[125];
  size_t n = 0;
  if (code != 0) {
    body[0] = (uint8_t) (code >> 8);
    body[1] = (uint8_t) code;
    if (reason.len > 0)
      memcpy(body + 2, reason.base, reason.len);
    n = 2 + reason.len;
  }
  ws->flags |= LODE__WS_F_SENT_CLOSE;
  return send_frame(ws, LODE__WS_OP_CLOSE, 0, body, n, 0, 0);
}

/* d compressed for ws: into the shared cache when ws's compressor
 * starts afresh for each message (once per window size), else into its
 * own buffer. */
static lode__buf_t* compress_for(lode_websocket_t* ws, lode_slice_t d,
                                 lode__ws_zcache_t* zc, int* rc) {
  int bits = zc != NULL ? lode__pmd_shared_bits(ws->pmd) : 0;
  lode__buf_t* z = bits > 0 ? &zc->z[bits] : &ws->zout;
  *rc = 0;
  if (bits > 0 && zc->done[bits])
    return z;
  z->len = 0;
  *rc = lode__pmd_compress(ws->pmd, (const uint8_t*) d.base, d.len, z);
  if (bits > 0 && *rc == 0)
    zc->done[bits] = 1;
  return z;
}

int lode__ws_send_data(lode_websocket_t* ws, int binary, lode_slice_t d,
                       lode__ws_zcache_t* zc) {
  if (ws->state != LODE_WEBSOCKET_OPEN || (ws->flags & LODE__WS_F_SENT_CLOSE))
    return 0;
  int op = binary ? LODE__WS_OP_BINARY : LODE__WS_OP_TEXT;
  int rc;
  if (ws->pmd != NULL && d.len >= ws->opts.deflate_threshold) {
    lode__buf_t* z = compress_for(ws, d, zc, &rc);
    if (rc == 0)
      rc = send_frame(ws, op, 1, (const uint8_t*) z->base, z->len, 1, d.len);
    if (ws->zout.cap > (1 << 20))
      lode__buf_free(&ws->zout);
  } else {
    rc = send_frame(ws, op, 0, (const uint8_t*) d.base, d.len, 1, d.len);
  }
  return rc < 0 ? rc : 1;
}

static int send_message(lode_websocket_t* ws, int binary, lode_slice_t d) {
  if (ws == NULL)
    return UV_EINVAL;
  if (d.base == NULL && d.len > 0)
    return LODE_ERR_STREAM_NULL_VALUES;
  if (ws->state == LODE_WEBSOCKET_CONNECTING)
    return LODE_ERR_WS_INVALID_STATE;
  if (!binary && !lode__utf8_valid((const uint8_t*) d.base, d.len))
    return LODE_ERR_WS_SYNTAX;
  int rc = lode__ws_send_data(ws, binary, d, NULL);
  return rc < 0 ? rc : 0;
}

int lode__ws_write_raw(lode_websocket_t* ws, const char* p, size_t n) {
  int rc = lode_stream_write(ws->stream, (lode_slice_t){ p, n }, NULL, NULL);
  if (rc < 0)
    return rc;
  ws->wbytes += n;
  return 0;
}

/* --- Failing ------------------------------------------------------------- */

void lode__ws_fail(lode_websocket_t* ws, int code, int close_code,
                   const char* message) {
  if (ws->flags & (LODE__WS_F_FAILED | LODE__WS_F_CLOSE_EMITTED))
    return;
  ws->flags |= LODE__WS_F_FAILED | LODE__WS_F_STOP_READ;
  int was_open = ws->state != LODE_WEBSOCKET_CONNECTING;
  ws->state = LODE_WEBSOCKET_CLOSING;
  if (was_open && close_code != 0 && !(ws->flags & LODE__WS_F_SENT_CLOSE))
    send_close_frame(ws, close_code, (lode_slice_t){ "", 0 });
  lode__ws_hold(ws);
  if (ws->ev != NULL && ws->ev->on_error != NULL) {
    lode_error_t e;
    lode_error_init(&e, code);
    if (message != NULL)
      lode_error_set_message(&e, "%s", message);
    ws->ev->on_error(ws, &e);
  }
  /* After a close frame the peer gets time to read it and answer; without
   * one the transport goes now. */
  if (ws->flags & (LODE__WS_F_SENT_CLOSE | LODE__WS_F_REFUSED))
    lode__ws_end_stream(ws);
  else if (ws->stream != NULL)
    lode_stream_destroy(ws->stream, NULL);
  lode__ws_release(ws);
}

/* --- Receiving ----------------------------------------------------------- */

/* Node's WebSocket decodes text with TextDecoder, which drops a leading
 * byte order mark (WHATWG "UTF-8 decode"); its close reasons too. The
 * server side hands the bytes over as they came, as the npm ws does. */
static size_t bom_length(const lode_websocket_t* ws, const uint8_t* p,
                         size_t n) {
  return !ws->is_server && n >= 3 && p[0] == 0xEF && p[1] == 0xBB &&
                 p[2] == 0xBF
             ? 3
             : 0;
}

static void emit_message(lode_websocket_t* ws, const uint8_t* p, size_t n) {
  if (ws->state != LODE_WEBSOCKET_OPEN || ws->ev == NULL ||
      ws->ev->on_message == NULL)
    return;
  if (p == NULL) /* an empty message never had a buffer */
    p = (const uint8_t*) "";
  if (!ws->msg_binary) {
    size_t bom = bom_length(ws, p, n);
    p += bom;
    n -= bom;
  }
  lode_slice_t data = { (const char*) p, n };
  ws->ev->on_message(ws, data, ws->msg_binary);
}

/* The answer to the peer's close frame (in ws->ctl): its code, and on the
 * server side its reason too, byte for byte, as npm ws echoes them; a
 * client echoes the code alone, as Node's WebSocket does. */
static void send_close_echo(lode_websocket_t* ws) {
  lode_slice_t reason = { "", 0 };
  if (ws->ctl_len < 2) {
    send_close_frame(ws, 0, reason);
    return;
  }
  if (ws->is_server)
    reason = (lode_slice_t){ (const char*) ws->ctl + 2, ws->ctl_len - 2 };
  send_close_frame(ws, ws->close_code, reason);
}

static void on_close_frame(lode_websocket_t* ws) {
  int code = LODE_WEBSOCKET_CLOSE_NO_STATUS;
  if (ws->ctl_len == 1) {
    lode__ws_fail(ws, LODE_ERR_WS_PROTOCOL, LODE_WEBSOCKET_CLOSE_PROTOCOL_ERROR,
                  "Received close frame with a 1-byte body.");
    return;
  }
  if (ws->ctl_len >= 2) {
    code = ws->ctl[0] << 8 | ws->ctl[1];
    if (!lode__ws_close_code_valid(code)) {
      lode__ws_fail(ws, LODE_ERR_WS_PROTOCOL,
                    LODE_WEBSOCKET_CLOSE_PROTOCOL_ERROR, "Invalid status code");
      return;
    }
    if (!lode__utf8_valid(ws->ctl + 2, ws->ctl_len - 2)) {
      lode__ws_fail(ws, LODE_ERR_WS_INVALID_UTF8,
                    LODE_WEBSOCKET_CLOSE_INVALID_DATA, "Invalid UTF-8");
      return;
    }
    size_t bom = bom_length(ws, ws->ctl + 2, ws->ctl_len - 2);
    ws->close_reason_len = ws->ctl_len - 2 - bom;
    memcpy(ws->close_reason, ws->ctl + 2 + bom, ws->close_reason_len);
  }
  ws->close_code = code;
  ws->flags |= LODE__WS_F_RECV_CLOSE | LODE__WS_F_STOP_READ;
  ws->state = LODE_WEBSOCKET_CLOSING;
  if (!(ws->flags & LODE__WS_F_SENT_CLOSE))
    send_close_echo(ws);
  lode__ws_end_stream(ws);
}

static void on_control(lode_websocket_t* ws) {
  lode_slice_t payload = { (const char*) ws->ctl, ws->ctl_len };
  switch (ws->dec.frame.opcode) {
    case LODE__WS_OP_CLOSE:
      on_close_frame(ws);
      return;
    case LODE__WS_OP_PING:
      /* Answered even after our close frame (a pong is a control frame,
       * RFC 6455 5.5.1), as Node does until the peer's close arrives. */
      send_frame(ws, LODE__WS_OP_PONG, 0, ws->ctl, ws->ctl_len, 0, 0);
      if (ws->ev != NULL && ws->ev->on_ping != NULL)
        ws->ev->on_ping(ws, payload);
      return;
    default:
      if (ws->ev != NULL && ws->ev->on_pong != NULL)
        ws->ev->on_pong(ws, payload);
  }
}

static void on_frame_start(lode_websocket_t* ws) {
  const lode__ws_frame_t* f = &ws->dec.frame;
  ws->flags &= ~LODE__WS_F_DELIVERED;
  if (f->opcode >= LODE__WS_OP_CLOSE) {
    ws->ctl_len = 0;
    return;
  }
  if (f->opcode != LODE__WS_OP_CONT) {
    ws->msg_binary = f->opcode == LODE__WS_OP_BINARY;
    ws->msg_compressed = f->rsv1;
    ws->msg.len = 0;
    lode__utf8_init(&ws->utf8);
  }
  if (!ws->msg_compressed && f->len > ws->opts.max_payload - ws->msg.len)
    lode__ws_fail(ws, LODE_ERR_WS_MESSAGE_TOO_BIG,
                  LODE_WEBSOCKET_CLOSE_MESSAGE_TOO_BIG,
                  "Max payload size exceeded");
}

/* A text message that is not UTF-8 fails the connection. */
static void fail_text(lode_websocket_t* ws) {
  lode__ws_fail(ws, LODE_ERR_WS_INVALID_UTF8, LODE_WEBSOCKET_CLOSE_INVALID_DATA,
                "Received invalid UTF-8 in text frame.");
}

/* Checks the text bytes msg[from..] as they grow. */
static int check_text(lode_websocket_t* ws, size_t from) {
  if (ws->msg_binary ||
      lode__utf8_feed(&ws->utf8, (const uint8_t*) ws->msg.base + from,
                      ws->msg.len - from) == 0)
    return 0;
  fail_text(ws);
  return -1;
}

static int inflate_into_msg(lode_websocket_t* ws, const uint8_t* p, size_t n,
                            int last) {
  size_t from = ws->msg.len;
  int rc = lode__pmd_decompress(ws->pmd, p, n, last, ws->opts.max_payload,
                                &ws->msg);
  if (rc == LODE_ERR_WS_MESSAGE_TOO_BIG) {
    lode__ws_fail(ws, rc, LODE_WEBSOCKET_CLOSE_MESSAGE_TOO_BIG,
                  "Max payload size exceeded");
    return -1;
  }
  if (rc != 0) {
    lode__ws_fail(ws, rc,
                  rc == UV_ENOMEM ? LODE_WEBSOCKET_CLOSE_INTERNAL_ERROR
                                  : LODE_WEBSOCKET_CLOSE_INVALID_DATA,
                  rc == UV_ENOMEM ? NULL : "Invalid compressed data");
    return -1;
  }
  return check_text(ws, from);
}

static void on_payload(lode_websocket_t* ws, const uint8_t* p, size_t n,
                       uint64_t off) {
  const lode__ws_frame_t* f = &ws->dec.frame;
  if (f->opcode >= LODE__WS_OP_CLOSE) {
    lode__ws_mask(ws->ctl + ws->ctl_len, p, n, f->mask, f->masked ? off : 0);
    if (!f->masked)
      memcpy(ws->ctl + ws->ctl_len, p, n);
    ws->ctl_len += n;
    return;
  }
  if (!f->masked && !ws->msg_compressed && f->fin && n == f->len &&
      f->opcode != LODE__WS_OP_CONT) {
    /* The whole message is in this read: hand it out without copying. */
    if (!ws->msg_binary && !lode__utf8_valid(p, n)) {
      fail_text(ws);
      return;
    }
    ws->flags |= LODE__WS_F_DELIVERED;
    emit_message(ws, p, n);
    return;
  }
  if (ws->msg_compressed) {
    uint8_t tmp[16384];
    while (n > 0) {
      size_t k = n < sizeof(tmp) ? n : sizeof(tmp);
      const uint8_t* src = p;
      if (f->masked) {
        lode__ws_mask(tmp, p, k, f->mask, off);
        src = tmp;
      }
      if (inflate_into_msg(ws, src, k, 0) != 0)
        return;
      p += k;
      n -= k;
      off += k;
    }
    return;
  }
  if (lode__buf_reserve(&ws->msg, n) != 0) {
    lode__ws_fail(ws, UV_ENOMEM, LODE_WEBSOCKET_CLOSE_INTERNAL_ERROR, NULL);
    return;
  }
  if (f->masked)
    lode__ws_mask((uint8_t*) ws->msg.base + ws->msg.len, p, n, f->mask, off);
  else
    memcpy(ws->msg.base + ws->msg.len, p, n);
  ws->msg.len += n;
  check_text(ws, ws->msg.len - n);
}

static void on_frame_end(lode_websocket_t* ws) {
  const lode__ws_frame_t* f = &ws->dec.frame;
  if (f->opcode >= LODE__WS_OP_CLOSE) {
    on_control(ws);
    return;
  }
  if (!f->fin || (ws->flags & LODE__WS_F_DELIVERED))
    return;
  if (ws->msg_compressed && inflate_into_msg(ws, NULL, 0, 1) != 0)
    return;
  if (!ws->msg_binary && !lode__utf8_complete(&ws->utf8)) {
    fail_text(ws);
    return;
  }
  emit_message(ws, (const uint8_t*) ws->msg.base, ws->msg.len);
  ws->msg.len = 0;
  if (ws->msg.cap > (1 << 20))
    lode__buf_free(&ws->msg);
}

void lode__ws_feed(lode_websocket_t* ws, const uint8_t* p, size_t n) {
  lode__ws_hold(ws);
  while (!(ws->flags & LODE__WS_F_STOP_READ)) {
    size_t used, clen;
    const uint8_t* chunk;
    uint64_t off;
    int ev = lode__ws_decode(&ws->dec, p, n, &used, &chunk, &clen, &off);
    p += used;
    n -= used;
    if (ev == LODE__WS_DEC_NEED)
      break;
    if (ev == LODE__WS_DEC_FRAME)
      on_frame_start(ws);
    else if (ev == LODE__WS_DEC_PAYLOAD)
      on_payload(ws, chunk, clen, off);
    else if (ev == LODE__WS_DEC_FRAME_END)
      on_frame_end(ws);
    else
      lode__ws_fail(ws, LODE_ERR_WS_PROTOCOL, ws->dec.error, ws->dec.reason);
  }
  lode__ws_release(ws);
}

/* --- The stream's reader ------------------------------------------------- */

static void r_data(void* ctx, lode_stream_t* s, lode_slice_t data) {
  lode_websocket_t* ws = ctx;
  const uint8_t* p = (const uint8_t*) data.base;
  if (ws->flags & LODE__WS_F_STOP_READ)
    return;
  if (ws->flags & LODE__WS_F_SERVING)
    lode__ws_server_data(ws, p, data.len);
  else if (!ws->is_server && ws->state == LODE_WEBSOCKET_CONNECTING)
    lode__ws_client_data(ws, p, data.len);
  else if (!(ws->flags & LODE__WS_F_ACCEPTING))
    lode__ws_feed(ws, p, data.len);
  else if (lode__buf_append(&ws->in, p, data.len) != 0)
    lode__ws_fail(ws, UV_ENOMEM, 0, NULL); /* held for open_now, in order */
}

static void r_end(void* ctx, lode_stream_t* s) {
  lode_websocket_t* ws = ctx;
  if (ws->state == LODE_WEBSOCKET_CONNECTING && !ws->is_server) {
    lode__ws_fail(ws, LODE_ERR_WS_PROTOCOL, 0,
                  "Received network error or non-101 status code.");
    return;
  }
  ws->flags |= LODE__WS_F_STOP_READ;
  if (ws->state == LODE_WEBSOCKET_OPEN)
    ws->state = LODE_WEBSOCKET_CLOSING;
  lode__ws_end_stream(ws);
}

/* After open a transport error is an abnormal closure, not an
 * error event, as in the browser; before it, the client reports it. */
static void r_error(void* ctx, lode_stream_t* s, const lode_error_t* err) {
  lode_websocket_t* ws = ctx;
  if (ws->state != LODE_WEBSOCKET_CONNECTING || (ws->flags & LODE__WS_F_FAILED))
    return;
  ws->flags |= LODE__WS_F_FAILED | LODE__WS_F_STOP_READ;
  ws->state = LODE_WEBSOCKET_CLOSING;
  if (ws->ev != NULL && ws->ev->on_error != NULL)
    ws->ev->on_error(ws, err);
}

/* The stream's queue emptied after a write it refused (a listener set
 * late has no write callbacks to go by). */
static void r_drain(void* ctx, lode_stream_t* s) {
  check_drain(ctx);
}

static void r_close(void* ctx, lode_stream_t* s, int had_error) {
  lode_websocket_t* ws = ctx;
  ws->flags |= LODE__WS_F_STREAM_CLOSED | LODE__WS_F_STOP_READ;
  ws->stream = NULL;
  emit_close(ws);
}

static const lode_stream_reader_t reader = {
  .on_data = r_data,
  .on_end = r_end,
  .on_drain = r_drain,
  .on_error = r_error,
  .on_close = r_close,
};

void lode__ws_attach(lode_websocket_t* ws, lode_stream_t* stream) {
  ws->stream = stream;
  ws->wbytes = lode_stream_writable_length(stream); /* queued before us */
  uv_timer_init(ws->loop, &ws->timer);
  ws->timer.data = ws;
  lode_stream_set_reader(stream, &reader, ws);
}

int lode__ws_open(lode_websocket_t* ws, const lode__pmd_params_t* pmd) {
  if (pmd != NULL) {
    ws->pmd = lode__pmd_new(ws->is_server, pmd);
    if (ws->pmd == NULL)
      return UV_ENOMEM;
    ws->dec.allow_rsv1 = 1;
  }
  ws->state = LODE_WEBSOCKET_OPEN;
  return 0;
}

/* --- The public API ------------------------------------------------------ */

int lode_websocket_send_text(lode_websocket_t* ws, lode_slice_t data) {
  return send_message(ws, 0, data);
}

int lode_websocket_send_binary(lode_websocket_t* ws, lode_slice_t data) {
  return send_message(ws, 1, data);
}

int lode_websocket_ping(lode_websocket_t* ws, lode_slice_t payload) {
  if (ws == NULL)
    return UV_EINVAL;
  if (ws->state != LODE_WEBSOCKET_OPEN)
    return LODE_ERR_WS_INVALID_STATE;
  if (payload.len > 125)
    return LODE_ERR_WS_SYNTAX;
  if (payload.base == NULL && payload.len > 0)
    return LODE_ERR_STREAM_NULL_VALUES;
  return send_frame(ws, LODE__WS_OP_PING, 0, (const uint8_t*) payload.base,
                    payload.len, 0, 0);
}

int lode_websocket_close(lode_websocket_t* ws, int code, lode_slice_t reason) {
  if (ws == NULL)
    return UV_EINVAL;
  if (code != 0 && !lode__ws_close_code_sendable(ws->is_server, code))
    return LODE_ERR_WS_INVALID_ACCESS;
  if (reason.base != NULL &&
      (reason.len > 123 ||
       !lode__utf8_valid((const uint8_t*) reason.base, reason.len)))
    return LODE_ERR_WS_SYNTAX;
  if (ws->state == LODE_WEBSOCKET_CLOSING || ws->state == LODE_WEBSOCKET_CLOSED)
    return 0;
  /* A server that has written its 101 is open for the peer (npm ws's
   * server is OPEN from then on): close starts the closing handshake, and
   * open_now then skips on_open and arms the close timeout. */
  int accepting = (ws->flags & LODE__WS_F_ACCEPTING) != 0;
  if (ws->state == LODE_WEBSOCKET_CONNECTING && !accepting) {
    /* Fail the connection: the stream hands the error back to r_error,
     * which reports it, and its close ends the object. */
    ws->flags |= LODE__WS_F_STOP_READ;
    if (ws->stream == NULL)
      return 0;
    lode_error_t e;
    lode_error_init(&e, LODE_ERR_WS_PROTOCOL);
    lode_error_set_message(&e, "%s",
                           "Connection was closed before it was established.");
    lode_stream_destroy(ws->stream, &e);
    return 0;
  }
  if (reason.base == NULL)
    reason.len = 0;
  ws->state = LODE_WEBSOCKET_CLOSING;
  int rc = send_close_frame(ws, code, reason);
  if (!accepting) /* else the open timer still has to run */
    lode__ws_arm_close_timeout(ws);
  return rc == LODE_ERR_WS_INVALID_STATE ? 0 : rc;
}

void lode_websocket_terminate(lode_websocket_t* ws) {
  if (ws == NULL)
    return;
  ws->flags |= LODE__WS_F_STOP_READ;
  if (ws->state != LODE_WEBSOCKET_CLOSED)
    ws->state = LODE_WEBSOCKET_CLOSING;
  if (ws->stream != NULL)
    lode_stream_destroy(ws->stream, NULL);
}

int lode_websocket_ready_state(const lode_websocket_t* ws) {
  return ws->state;
}

const char* lode_websocket_url(const lode_websocket_t* ws) {
  return ws->url != NULL ? ws->url : "";
}

const char* lode_websocket_protocol(const lode_websocket_t* ws) {
  return ws->protocol != NULL ? ws->protocol : "";
}

const char* lode_websocket_extensions(const lode_websocket_t* ws) {
  return ws->extensions != NULL ? ws->extensions : "";
}

size_t lode_websocket_buffered_amount(const lode_websocket_t* ws) {
  settle((lode_websocket_t*) ws); /* a cache refresh, not a change */
  return ws->buffered;
}

const char* lode_websocket_binary_type(const lode_websocket_t* ws) {
  return ws->binary_arraybuffer ? "arraybuffer" : "blob";
}

void lode_websocket_set_binary_type(lode_websocket_t* ws, const char* type) {
  if (type != NULL && strcmp(type, "arraybuffer") == 0)
    ws->binary_arraybuffer = 1;
  else if (type != NULL && strcmp(type, "blob") == 0)
    ws->binary_arraybuffer = 0;
}

void lode_websocket_set_events(lode_websocket_t* ws,
                               const lode_websocket_events_t* events) {
  ws->ev = events;
}

void* lode_websocket_get_data(const lode_websocket_t* ws) {
  return ws->data;
}

void lode_websocket_set_data(lode_websocket_t* ws, void* data) {
  ws->data = data;
}

void lode_websocket_hold(lode_websocket_t* ws) {
  lode__ws_hold(ws);
}

void lode_websocket_release(lode_websocket_t* ws) {
  lode__ws_release(ws);
}
