/* The WebSocket layer's pure pieces: SHA-1 and base64 for the accept key,
 * the frame encoder, masking and decoder (at every split), UTF-8
 * validation, close codes, and the handshake head parser. */
#include "test.h"
#include "ws/internal.h"
#include "wscodes.h"

static void hex(const uint8_t* p, size_t n, char* out) {
  for (size_t i = 0; i < n; i++)
    sprintf(out + 2 * i, "%02x", p[i]);
}

TEST(sha1_vectors) {
  uint8_t d[20];
  char h[41];
  lode__ws_sha1("", 0, d);
  hex(d, 20, h);
  ASSERT_STR_EQ(h, "da39a3ee5e6b4b0d3255bfef95601890afd80709");
  lode__ws_sha1("abc", 3, d);
  hex(d, 20, h);
  ASSERT_STR_EQ(h, "a9993e364706816aba3e25717850c26c9cd0d89d");
  const char* two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
  lode__ws_sha1(two, strlen(two), d);
  hex(d, 20, h);
  ASSERT_STR_EQ(h, "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
}

/* Every length from 0 to 300 (all padding cases, one and two tail blocks,
 * several whole blocks) against Node's crypto. */
TEST(sha1_against_node) {
  const char* script =
      "const c=require('crypto');const b=Buffer.alloc(300);"
      "for(let i=0;i<300;i++)b[i]=(i*7+3)&255;"
      "for(let n=0;n<=300;n++)console.log(c.createHash('sha1')"
      ".update(b.subarray(0,n)).digest('hex'));console.log('end')";
  const char* argv[] = { "node", "-e", script, NULL };
  test_peer_t* p = test_peer_start(argv);
  uint8_t buf[300];
  for (int i = 0; i < 300; i++)
    buf[i] = (uint8_t) ((i * 7 + 3) & 255);
  for (size_t n = 0; n <= 300; n++) {
    char line[64], h[41];
    uint8_t d[20];
    test_peer_line(p, line, sizeof(line), 10000);
    lode__ws_sha1(buf, n, d);
    hex(d, 20, h);
    ASSERT_STR_EQ(h, line);
  }
  ASSERT_EQ(test_peer_finish(p, 10000, NULL), 0);
}

TEST(base64_and_accept) {
  char out[64];
  ASSERT_EQ(lode__ws_base64((const uint8_t*) "", 0, out), 0);
  ASSERT_STR_EQ(out, "");
  lode__ws_base64((const uint8_t*) "f", 1, out);
  ASSERT_STR_EQ(out, "Zg==");
  lode__ws_base64((const uint8_t*) "fo", 2, out);
  ASSERT_STR_EQ(out, "Zm8=");
  lode__ws_base64((const uint8_t*) "foob", 4, out);
  ASSERT_STR_EQ(out, "Zm9vYg==");
  /* RFC 6455, section 1.3. */
  char acc[29];
  lode__ws_accept_key("dGhlIHNhbXBsZSBub25jZQ==", 24, acc);
  ASSERT_STR_EQ(acc, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
  char k1[25], k2[25];
  ASSERT_OK(lode__ws_new_key(k1));
  ASSERT_OK(lode__ws_new_key(k2));
  ASSERT_EQ(strlen(k1), 24);
  ASSERT(strcmp(k1, k2) != 0);
  ASSERT(lode__ws_key_valid(k1, 24));
  ASSERT(lode__ws_key_valid("dGhlIHNhbXBsZSBub25jZQ==", 24));
  ASSERT(!lode__ws_key_valid("dGhlIHNhbXBsZSBub25jZQ=", 23));
  ASSERT(!lode__ws_key_valid("dGhlIHNhbXBsZSBub25j!Q==", 24));
  ASSERT(!lode__ws_key_valid("dGhlIHNhbXBsZSBub25jZQZ=", 24));
}

TEST(frame_header) {
  uint8_t h[14];
  const uint8_t mask[4] = { 1, 2, 3, 4 };
  ASSERT_EQ(lode__ws_frame_header(h, 1, 0, 1, 5, NULL), 2);
  ASSERT_MEM_EQ(h, 2, "\x81\x05", 2);
  ASSERT_EQ(lode__ws_frame_header(h, 0, 1, 2, 125, mask), 6);
  ASSERT_MEM_EQ(h, 6, "\x42\xfd\x01\x02\x03\x04", 6);
  ASSERT_EQ(lode__ws_frame_header(h, 1, 0, 2, 126, NULL), 4);
  ASSERT_MEM_EQ(h, 4, "\x82\x7e\x00\x7e", 4);
  ASSERT_EQ(lode__ws_frame_header(h, 1, 0, 2, 65535, NULL), 4);
  ASSERT_MEM_EQ(h, 4, "\x82\x7e\xff\xff", 4);
  ASSERT_EQ(lode__ws_frame_header(h, 1, 0, 8, 65536, mask), 14);
  ASSERT_MEM_EQ(h, 14,
                "\x88\xff\x00\x00\x00\x00\x00\x01\x00\x00\x01\x02"
                "\x03\x04",
                14);
}

TEST(mask_any_offset) {
  uint8_t src[100], a[100], b[100];
  const uint8_t key[4] = { 0x12, 0x34, 0x56, 0x78 };
  for (int i = 0; i < 100; i++)
    src[i] = (uint8_t) (i * 13);
  for (size_t off = 0; off < 8; off++)
    for (size_t len = 0; len <= 37; len++) {
      lode__ws_mask(a, src + 1, len, key, off);
      for (size_t i = 0; i < len; i++)
        b[i] = src[1 + i] ^ key[(off + i) % 4];
      ASSERT_MEM_EQ(a, len, b, len);
    }
  memcpy(a, src, 100);
  lode__ws_mask(a, a, 100, key, 3);
  lode__ws_mask(a, a, 100, key, 3);
  ASSERT_MEM_EQ(a, 100, src, 100);
}

/* Decodes `in` fed in pieces of `step` bytes; returns a trace such as
 * "F1:1:5,P:hello,E" (opcode:fin:len, unmasked payload, frame end) or
 * ending in "X:reason". */
static const char* decode(int is_server, int rsv1, const char* in, size_t n,
                          size_t step) {
  static char out[4096];
  lode__ws_decoder_t d;
  lode__ws_decoder_init(&d, is_server);
  d.allow_rsv1 = rsv1;
  size_t o = 0, at = 0;
  out[0] = '\0';
  while (at <= n) {
    size_t len = n - at < step ? n - at : step;
    const uint8_t* p = (const uint8_t*) in + at;
    for (;;) {
      size_t used, clen;
      const uint8_t* chunk;
      uint64_t coff;
      int ev = lode__ws_decode(&d, p, len, &used, &chunk, &clen, &coff);
      p += used;
      len -= used;
      at += used;
      if (ev == LODE__WS_DEC_NEED)
        break;
      if (ev == LODE__WS_DEC_FRAME)
        o += sprintf(out + o, "F%d:%d:%d,", d.frame.opcode, d.frame.fin,
                     (int) d.frame.len);
      if (ev == LODE__WS_DEC_FRAME_END)
        o += sprintf(out + o, "E,");
      if (ev == LODE__WS_DEC_PAYLOAD) {
        uint8_t tmp[256];
        lode__ws_mask(tmp, chunk, clen, d.frame.mask,
                      d.frame.masked ? coff : 0);
        if (!d.frame.masked)
          memcpy(tmp, chunk, clen);
        o += sprintf(out + o, "P:%.*s,", (int) clen, (const char*) tmp);
      }
      if (ev == LODE__WS_DEC_ERROR) {
        sprintf(out + o, "X:%s", d.reason);
        return out;
      }
    }
    if (at == n)
      break;
  }
  return out;
}

/* The trace with payload pieces merged, so that every split compares. */
static const char* merged(const char* t) {
  static char out[4096];
  size_t o = 0;
  int in_payload = 0;
  for (const char* p = t; *p;) {
    if (p[0] == 'P' && p[1] == ':') {
      if (!in_payload)
        o += (size_t) sprintf(out + o, "P:");
      in_payload = 1;
      p += 2;
      while (*p && *p != ',')
        out[o++] = *p++;
      if (*p)
        p++;
      continue;
    }
    if (in_payload)
      out[o++] = ',';
    in_payload = 0;
    while (*p && *p != ',')
      out[o++] = *p++;
    if (*p)
      out[o++] = *p++;
  }
  if (in_payload)
    out[o++] = ',';
  out[o] = '\0';
  return out;
}

#define CHECK_ALL_SPLITS(server, in, want)                                     \
  for (size_t step = 1; step <= sizeof(in) - 1; step++)                        \
  ASSERT_STR_EQ(merged(decode(server, 0, in, sizeof(in) - 1, step)), want)

TEST(decoder_splits) {
  /* Unmasked (client side): text "hello", a fragmented binary with a ping
   * between the fragments, an empty close. */
  static const char c[] =
      "\x81\x05hello"
      "\x02\x02"
      "ab"
      "\x89\x01"
      "p"
      "\x80\x01"
      "c"
      "\x88\x00";
  CHECK_ALL_SPLITS(0, c,
                   "F1:1:5,P:hello,E,F2:0:2,P:ab,E,F9:1:1,P:p,E,"
                   "F0:1:1,P:c,E,F8:1:0,E,");
  /* Masked (server side), with a 16-bit length. */
  static char s[4 + 4 + 200 + 1];
  memcpy(s, "\x82\xfe\x00\xc8\x01\x02\x03\x04", 8);
  for (int i = 0; i < 200; i++)
    s[8 + i] = (char) ('a' ^ (i % 4 + 1));
  char want[300];
  memset(want, 'a', 200);
  want[200] = '\0';
  char full[400];
  sprintf(full, "F2:1:200,P:%s,E,", want);
  for (size_t step = 1; step <= 208; step += 7)
    ASSERT_STR_EQ(merged(decode(1, 0, s, 208, step)), full);
}

TEST(decoder_violations) {
  ASSERT_STR_EQ(decode(0, 0, "\xa1\x00", 2, 1),
                "X:RSV1, RSV2, RSV3 must be clear");
  ASSERT_STR_EQ(decode(0, 0, "\xc1\x00", 2, 2), "X:Expected RSV1 to be clear.");
  ASSERT_STR_EQ(decode(0, 1, "\xc1\x00", 2, 2), "F1:1:0,E,");
  ASSERT_STR_EQ(decode(0, 1, "\xc9\x00", 2, 2),
                "X:RSV1 must be clear on this frame");
  ASSERT_STR_EQ(decode(0, 0, "\x83\x00", 2, 2), "X:Invalid opcode received");
  ASSERT_STR_EQ(decode(0, 0, "\x8b\x00", 2, 2), "X:Invalid opcode received");
  ASSERT_STR_EQ(decode(0, 0, "\x09\x00", 2, 2),
                "X:Control frame either too large or fragmented");
  ASSERT_STR_EQ(decode(0, 0, "\x89\x7e\x00\x7e", 4, 4),
                "X:Control frame either too large or fragmented");
  ASSERT_STR_EQ(decode(0, 0, "\x80\x00", 2, 2),
                "X:Unexpected continuation frame");
  ASSERT_STR_EQ(decode(0, 0, "\x01\x00\x81\x00", 4, 4),
                "F1:0:0,E,X:Expected continuation frame");
  ASSERT_STR_EQ(decode(0, 0, "\x81\x80\x00\x00\x00\x00", 6, 6),
                "X:Frame cannot be masked");
  ASSERT_STR_EQ(decode(1, 0, "\x81\x00", 2, 2), "X:Frame must be masked");
  ASSERT_STR_EQ(decode(0, 0, "\x82\x7f\x80\x00\x00\x00\x00\x00\x00\x00", 10, 3),
                "X:Payload length must not have its top bit set");
  /* The error comes at the second byte, before the rest arrives. */
  ASSERT_STR_EQ(decode(0, 0, "\x88\xfe", 2, 1),
                "X:Control frame either too large or fragmented");
}

TEST(utf8_valid_and_invalid) {
  ASSERT(lode__utf8_valid((const uint8_t*) "", 0));
  const char* good =
      "Hello-\xc2\xb5@\xc3\x9f\xc3\xb6\xc3\xa4\xc3\xbc"
      "\xc3\xa0\xc3\xa1-UTF-8!! \xce\xba\xe1\xbd\xb9\xcf\x83"
      "\xce\xbc\xce\xb5 \xf0\x9f\x98\x80 \xf4\x8f\xbf\xbf";
  ASSERT(lode__utf8_valid((const uint8_t*) good, strlen(good)));
  static const char* bad[] = {
    "\xc0\x80",
    "\xc1\xbf",
    "\xe0\x80\x80",
    "\xe0\x9f\xbf",
    "\xed\xa0\x80",
    "\xed\xbf\xbf",
    "\xf0\x80\x80\x80",
    "\xf4\x90\x80\x80",
    "\xf5\x80\x80\x80",
    "\xff",
    "\x80",
    "\xce\xba\xe1\xbd",
    "abc\xc3",
    "\xe1\x80\x41",
  };
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
    ASSERT(!lode__utf8_valid((const uint8_t*) bad[i], strlen(bad[i])));
}

/* The validator fails at the first bad byte even when the bad character
 * straddles chunks, and accepts a good text cut anywhere. */
TEST(utf8_incremental) {
  const char* good =
      "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xf0\x9f"
      "\x98\x80";
  size_t n = strlen(good);
  for (size_t cut = 0; cut <= n; cut++) {
    lode__utf8_t u;
    lode__utf8_init(&u);
    ASSERT_OK(lode__utf8_feed(&u, (const uint8_t*) good, cut));
    ASSERT_OK(lode__utf8_feed(&u, (const uint8_t*) good + cut, n - cut));
    ASSERT(lode__utf8_complete(&u));
  }
  /* "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80edited":
   * the surrogate's second byte (index 12) is the first bad one. */
  const char* bad =
      "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0"
      "\x80"
      "edited";
  for (size_t i = 0; i < strlen(bad); i++) {
    lode__utf8_t u;
    lode__utf8_init(&u);
    int rc = lode__utf8_feed(&u, (const uint8_t*) bad, i + 1);
    ASSERT_EQ(rc, i >= 12 ? -1 : 0);
  }
  /* Byte at a time: an incomplete character is not complete. */
  lode__utf8_t u;
  lode__utf8_init(&u);
  ASSERT_OK(lode__utf8_feed(&u, (const uint8_t*) "\xf0", 1));
  ASSERT_OK(lode__utf8_feed(&u, (const uint8_t*) "\x9f", 1));
  ASSERT(!lode__utf8_complete(&u));
  ASSERT_EQ(lode__utf8_feed(&u, (const uint8_t*) "\x41", 1), -1);
}

TEST(close_codes) {
  for (size_t i = 0; i < WS_NCODES(ws_codes_valid); i++) {
    int c = ws_codes_valid[i];
    ASSERT(lode__ws_close_code_valid(c));
    /* A server sends what it may receive (npm ws); a client only the
     * browser's codes. */
    ASSERT(lode__ws_close_code_sendable(1, c));
    ASSERT_EQ(lode__ws_close_code_sendable(0, c),
              c == LODE_WEBSOCKET_CLOSE_NORMAL ||
                  c >= LODE_WEBSOCKET_CLOSE_APP_FIRST);
  }
  for (size_t i = 0; i < WS_NCODES(ws_codes_invalid); i++) {
    ASSERT(!lode__ws_close_code_valid(ws_codes_invalid[i]));
    ASSERT(!lode__ws_close_code_sendable(1, ws_codes_invalid[i]));
    ASSERT(!lode__ws_close_code_sendable(0, ws_codes_invalid[i]));
  }
}

TEST(head_parse) {
  lode__ws_head_t h;
  const char* res =
      "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket"
      "\r\nConnection:  Upgrade \r\nSec-WebSocket-Accept: "
      "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n\x81\x00";
  ASSERT_EQ(lode__ws_head_parse(res, 10, 0, &h), 0);
  long n = lode__ws_head_parse(res, strlen(res), 0, &h);
  ASSERT_EQ(n, (long) strlen(res) - 1); /* all but "\x81" */
  ASSERT_EQ(h.status, 101);
  ASSERT_EQ(h.http_minor, 1);
  ASSERT_EQ(h.nraw, 6);
  lode_slice_t v = lode__ws_header(h.raw, h.nraw, "connection");
  ASSERT_MEM_EQ(v.base, v.len, "Upgrade", 7);
  ASSERT(lode__ws_list_has(v, "upgrade"));
  ASSERT(lode__ws_list_has(LODE_SLICE("keep-alive, Upgrade"), "upgrade"));
  ASSERT(!lode__ws_list_has(LODE_SLICE("keep-alive, Upgrades"), "upgrade"));
  ASSERT_NULL(lode__ws_header(h.raw, h.nraw, "x").base);
  const char* req = "GET /chat?x=1 HTTP/1.1\r\nHost: a\r\n\r\n";
  ASSERT_EQ(lode__ws_head_parse(req, strlen(req), 1, &h), (long) strlen(req));
  ASSERT_MEM_EQ(h.method.base, h.method.len, "GET", 3);
  ASSERT_MEM_EQ(h.url.base, h.url.len, "/chat?x=1", 9);
  ASSERT_EQ(
      lode__ws_head_parse("GET / HTTP/1.1\r\nBad Name: x\r\n\r\n", 31, 1, &h),
      -1);
  ASSERT_EQ(lode__ws_head_parse("HTTP/1.1 1x1 OK\r\n\r\n", 19, 0, &h), -1);
  static char big[LODE__WS_MAX_HEAD + 10];
  memset(big, 'a', sizeof(big));
  ASSERT_EQ(lode__ws_head_parse(big, sizeof(big), 1, &h), -1);
}

/* A head with more header lines than the parser keeps inline is read
 * whole: a header after the 64th is found (it was missed before), up to
 * Node's maxHeadersCount (2000) lines; the lines past it are checked but
 * not kept, as Node's server does. */
static lode__buf_t lines_buf;
static void parse_lines(size_t lines, lode__ws_head_t* h) {
  lode__buf_t* b = &lines_buf;
  b->len = 0;
  lode__buf_append_str(b, "GET / HTTP/1.1\r\n");
  for (size_t i = 0; i < lines; i++) {
    char line[64];
    snprintf(line, sizeof(line), "x: %zu\r\n", i); /* within 16 KiB */
    lode__buf_append_str(b, line);
  }
  lode__buf_append_str(b, "Sec-WebSocket-Key: k\r\n\r\n");
  ASSERT_EQ(lode__ws_head_parse(b->base, b->len, 1, h), (long) b->len);
}

TEST(head_parse_many_headers) {
  lode__ws_head_t h;
  parse_lines(LODE__WS_INLINE_HEADERS, &h);
  ASSERT_EQ(h.nraw, 2 * (LODE__WS_INLINE_HEADERS + 1));
  lode_slice_t v = lode__ws_header(h.raw, h.nraw, "sec-websocket-key");
  ASSERT_MEM_EQ(v.base, v.len, "k", 1);
  v = h.raw[2 * 63 + 1];
  ASSERT_MEM_EQ(v.base, v.len, "63", 2);
  lode__ws_head_free(&h);
  parse_lines(LODE__WS_MAX_HEADERS - 1, &h);
  ASSERT_EQ(h.nraw, 2 * LODE__WS_MAX_HEADERS);
  ASSERT_NOT_NULL(lode__ws_header(h.raw, h.nraw, "sec-websocket-key").base);
  lode__ws_head_free(&h);
  parse_lines(LODE__WS_MAX_HEADERS, &h);
  ASSERT_EQ(h.nraw, 2 * LODE__WS_MAX_HEADERS);
  ASSERT_NULL(lode__ws_header(h.raw, h.nraw, "sec-websocket-key").base);
  lode__ws_head_free(&h);
  lode__buf_free(&lines_buf);
}

TEST_MAIN(sha1_vectors, sha1_against_node, base64_and_accept, frame_header,
          mask_any_offset, decoder_splits, decoder_violations,
          utf8_valid_and_invalid, utf8_incremental, close_codes, head_parse,
          head_parse_many_headers)
