/* The opening handshake's key arithmetic: SHA-1 and base64, small and
 * self-contained (RFC 3174, RFC 4648). */
#include "ws/internal.h"

#include <stdlib.h>
#include <string.h>
#include <uv.h>

static uint32_t rol(uint32_t x, int n) {
  return (x << n) | (x >> (32 - n));
}

static void sha1_block(uint32_t h[5], const uint8_t* p) {
  uint32_t w[80];
  for (int i = 0; i < 16; i++)
    w[i] = (uint32_t) p[4 * i] << 24 | (uint32_t) p[4 * i + 1] << 16 |
           (uint32_t) p[4 * i + 2] << 8 | p[4 * i + 3];
  for (int i = 16; i < 80; i++)
    w[i] = rol(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
  uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];
  for (int i = 0; i < 80; i++) {
    uint32_t f, k;
    if (i < 20) {
      f = (b & c) | (~b & d);
      k = 0x5A827999;
    } else if (i < 40) {
      f = b ^ c ^ d;
      k = 0x6ED9EBA1;
    } else if (i < 60) {
      f = (b & c) | (b & d) | (c & d);
      k = 0x8F1BBCDC;
    } else {
      f = b ^ c ^ d;
      k = 0xCA62C1D6;
    }
    uint32_t t = rol(a, 5) + f + e + k + w[i];
    e = d;
    d = c;
    c = rol(b, 30);
    b = a;
    a = t;
  }
  h[0] += a;
  h[1] += b;
  h[2] += c;
  h[3] += d;
  h[4] += e;
}

void lode__ws_sha1(const void* data, size_t len, uint8_t out[20]) {
  uint32_t h[5] = { 0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476,
                    0xC3D2E1F0 };
  const uint8_t* p = data;
  size_t left = len;
  for (; left >= 64; left -= 64, p += 64)
    sha1_block(h, p);
  /* The tail: the rest, 0x80, zeros, then the bit length in 8 bytes. */
  uint8_t tail[128] = { 0 };
  memcpy(tail, p, left);
  tail[left] = 0x80;
  size_t tlen = left + 9 <= 64 ? 64 : 128;
  uint64_t bits = (uint64_t) len * 8;
  for (int i = 0; i < 8; i++)
    tail[tlen - 1 - i] = (uint8_t) (bits >> (8 * i));
  sha1_block(h, tail);
  if (tlen == 128)
    sha1_block(h, tail + 64);
  for (int i = 0; i < 5; i++) {
    out[4 * i] = (uint8_t) (h[i] >> 24);
    out[4 * i + 1] = (uint8_t) (h[i] >> 16);
    out[4 * i + 2] = (uint8_t) (h[i] >> 8);
    out[4 * i + 3] = (uint8_t) h[i];
  }
}

static const char b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

size_t lode__ws_base64(const uint8_t* in, size_t len, char* out) {
  size_t o = 0;
  for (size_t i = 0; i < len; i += 3) {
    uint32_t v = (uint32_t) in[i] << 16;
    if (i + 1 < len)
      v |= (uint32_t) in[i + 1] << 8;
    if (i + 2 < len)
      v |= in[i + 2];
    out[o++] = b64[v >> 18];
    out[o++] = b64[(v >> 12) & 63];
    out[o++] = i + 1 < len ? b64[(v >> 6) & 63] : '=';
    out[o++] = i + 2 < len ? b64[v & 63] : '=';
  }
  out[o] = '\0';
  return o;
}

void lode__ws_accept_key(const char* key, size_t len, char out[29]) {
  static const char guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
  char buf[256];
  uint8_t digest[20];
  if (len > sizeof(buf) - (sizeof(guid) - 1))
    len = sizeof(buf) - (sizeof(guid) - 1);
  memcpy(buf, key, len);
  memcpy(buf + len, guid, sizeof(guid) - 1);
  lode__ws_sha1(buf, len + sizeof(guid) - 1, digest);
  lode__ws_base64(digest, 20, out);
}

int lode__ws_random(uint8_t* buf, size_t len) {
#ifdef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
  for (size_t i = 0; i < len; i++)
    buf[i] = (uint8_t) (i * 37 + 11);
  return 0;
#else
  return uv_random(NULL, NULL, buf, len, 0, NULL);
#endif
}

int lode__ws_new_key(char out[25]) {
  uint8_t raw[16];
  int rc = lode__ws_random(raw, sizeof(raw));
  if (rc != 0)
    return rc;
  lode__ws_base64(raw, sizeof(raw), out);
  return 0;
}

int lode__ws_key_valid(const char* key, size_t len) {
  /* 16 bytes encode to 22 characters and "==" (the npm ws check: the
   * unused low bits of the last character are not looked at). */
  if (len != 24 || key[22] != '=' || key[23] != '=')
    return 0;
  for (size_t i = 0; i < 22; i++)
    if (strchr(b64, key[i]) == NULL || key[i] == '\0')
      return 0;
  return 1;
}
