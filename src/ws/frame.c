/* RFC 6455 framing: the header encoder, masking, and the incremental
 * decoder that enforces every rule a frame sequence alone can break. */
#include "ws/internal.h"

#include <string.h>

size_t lode__ws_frame_header(uint8_t* out, int fin, int rsv1, int opcode,
                             uint64_t len, const uint8_t* mask) {
  size_t n = 2;
  out[0] = (uint8_t) ((fin ? 0x80 : 0) | (rsv1 ? 0x40 : 0) | (opcode & 15));
  uint8_t m = mask ? 0x80 : 0;
  if (len < 126) {
    out[1] = m | (uint8_t) len;
  } else if (len <= 0xFFFF) {
    out[1] = m | 126;
    out[2] = (uint8_t) (len >> 8);
    out[3] = (uint8_t) len;
    n = 4;
  } else {
    out[1] = m | 127;
    for (int i = 0; i < 8; i++)
      out[2 + i] = (uint8_t) (len >> (56 - 8 * i));
    n = 10;
  }
  if (mask) {
    memcpy(out + n, mask, 4);
    n += 4;
  }
  return n;
}

void lode__ws_mask(uint8_t* dst, const uint8_t* src, size_t len,
                   const uint8_t key[4], uint64_t offset) {
  uint8_t k[8];
  for (int i = 0; i < 8; i++)
    k[i] = key[(offset + i) & 3];
  size_t i = 0;
  /* Eight bytes at a time; memcpy keeps unaligned access defined and
   * compiles to plain loads and stores. */
  uint64_t kw;
  memcpy(&kw, k, 8);
  for (; i + 8 <= len; i += 8) {
    uint64_t w;
    memcpy(&w, src + i, 8);
    w ^= kw;
    memcpy(dst + i, &w, 8);
  }
  for (; i < len; i++)
    dst[i] = src[i] ^ k[i & 7];
}

enum { ST_HEADER, ST_PAYLOAD };

void lode__ws_decoder_init(lode__ws_decoder_t* d, int is_server) {
  memset(d, 0, sizeof(*d));
  d->is_server = is_server;
  d->state = ST_HEADER;
  d->hdr_need = 2;
}

static int fail(lode__ws_decoder_t* d, const char* reason) {
  d->error = LODE_WEBSOCKET_CLOSE_PROTOCOL_ERROR;
  d->reason = reason;
  return LODE__WS_DEC_ERROR;
}

static int is_control(int op) {
  return op >= LODE__WS_OP_CLOSE;
}

/* Checks the first two bytes, so that a bad frame fails before its length
 * and mask arrive. */
static int check_start(lode__ws_decoder_t* d) {
  uint8_t b0 = d->hdr[0], b1 = d->hdr[1];
  int op = b0 & 15, fin = b0 >> 7, len7 = b1 & 127;
  if (op > LODE__WS_OP_BINARY && (op < LODE__WS_OP_CLOSE || op > 0xA))
    return fail(d, "Invalid opcode received");
  if (b0 & 0x30)
    return fail(d, "RSV1, RSV2, RSV3 must be clear");
  if ((b0 & 0x40) && !d->allow_rsv1)
    return fail(d, "Expected RSV1 to be clear.");
  if ((b0 & 0x40) && (op == LODE__WS_OP_CONT || is_control(op)))
    return fail(d, "RSV1 must be clear on this frame");
  if (is_control(op) && (!fin || len7 > 125))
    return fail(d, "Control frame either too large or fragmented");
  if (op == LODE__WS_OP_CONT && !d->in_message)
    return fail(d, "Unexpected continuation frame");
  if ((op == LODE__WS_OP_TEXT || op == LODE__WS_OP_BINARY) && d->in_message)
    return fail(d, "Expected continuation frame");
  if ((b1 >> 7) != d->is_server)
    return fail(
        d, d->is_server ? "Frame must be masked" : "Frame cannot be masked");
  d->hdr_need = 2 +
                (len7 == 126   ? 2
                 : len7 == 127 ? 8
                               : 0) +
                (d->is_server ? 4 : 0);
  return LODE__WS_DEC_NEED;
}

static int finish_header(lode__ws_decoder_t* d) {
  lode__ws_frame_t* f = &d->frame;
  const uint8_t* h = d->hdr;
  unsigned len7 = h[1] & 127, at = 2;
  f->fin = h[0] >> 7;
  f->rsv1 = (h[0] >> 6) & 1;
  f->opcode = h[0] & 15;
  f->masked = h[1] >> 7;
  f->len = len7;
  if (len7 == 126) {
    f->len = (uint64_t) h[2] << 8 | h[3];
    at = 4;
  } else if (len7 == 127) {
    if (h[2] & 0x80)
      return fail(d, "Payload length must not have its top bit set");
    f->len = 0;
    for (int i = 0; i < 8; i++)
      f->len = f->len << 8 | h[2 + i];
    at = 10;
  }
  if (f->masked)
    memcpy(f->mask, h + at, 4);
  if (!is_control(f->opcode))
    d->in_message = !f->fin;
  d->remaining = f->len;
  d->offset = 0;
  d->state = ST_PAYLOAD;
  d->hdr_len = 0;
  d->hdr_need = 2;
  return LODE__WS_DEC_FRAME;
}

static int decode_header(lode__ws_decoder_t* d, const uint8_t* p, size_t n,
                         size_t* used) {
  size_t i = 0;
  if (d->hdr_len == 0 && n >= 2) {
    /* A header usually comes whole in one read: take it at once. */
    d->hdr[0] = p[0];
    d->hdr[1] = p[1];
    d->hdr_len = 2;
    int rc = check_start(d);
    if (rc != LODE__WS_DEC_NEED) {
      *used = 2;
      return rc;
    }
    size_t need = d->hdr_need;
    if (n >= need) {
      memcpy(d->hdr + 2, p + 2, need - 2);
      d->hdr_len = (unsigned) need;
      *used = need;
      return finish_header(d);
    }
    i = 2;
  }
  while (i < n) {
    d->hdr[d->hdr_len++] = p[i++];
    if (d->hdr_len == 2) {
      int rc = check_start(d);
      if (rc != LODE__WS_DEC_NEED) {
        *used = i;
        return rc;
      }
    }
    if (d->hdr_len == d->hdr_need) {
      *used = i;
      return finish_header(d);
    }
  }
  *used = i;
  return LODE__WS_DEC_NEED;
}

int lode__ws_decode(lode__ws_decoder_t* d, const uint8_t* p, size_t n,
                    size_t* used, const uint8_t** chunk, size_t* chunk_len,
                    uint64_t* chunk_offset) {
  *used = 0;
  if (d->error)
    return LODE__WS_DEC_ERROR;
  if (d->state == ST_HEADER)
    return n == 0 ? LODE__WS_DEC_NEED : decode_header(d, p, n, used);
  if (d->remaining == 0) {
    d->state = ST_HEADER;
    return LODE__WS_DEC_FRAME_END;
  }
  if (n == 0)
    return LODE__WS_DEC_NEED;
  size_t take = n < d->remaining ? n : (size_t) d->remaining;
  *chunk = p;
  *chunk_len = take;
  *chunk_offset = d->offset;
  d->offset += take;
  d->remaining -= take;
  *used = take;
  return LODE__WS_DEC_PAYLOAD;
}
