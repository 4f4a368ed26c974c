/* permessage-deflate: the extension header grammar, both roles'
 * negotiation, and compression (with Node's zlib as the other end). */
#include "test.h"
#include "ws/internal.h"

static lode__pmd_params_t parse(const char* params, int* rc) {
  lode__pmd_params_t p;
  *rc = lode__pmd_parse(lode_slice_str(params), &p);
  return p;
}

TEST(ext_grammar) {
  const char* v =
      "foo; a=1, permessage-deflate; client_max_window_bits;"
      " server_max_window_bits=\"10\" ,x";
  size_t pos = 0;
  lode_slice_t name, params;
  ASSERT_EQ(lode__ws_ext_next(v, strlen(v), &pos, &name, &params), 1);
  ASSERT_MEM_EQ(name.base, name.len, "foo", 3);
  ASSERT_MEM_EQ(params.base, params.len, "; a=1", 5);
  ASSERT_EQ(lode__ws_ext_next(v, strlen(v), &pos, &name, &params), 1);
  ASSERT(lode__ws_slice_ieq(name, "permessage-deflate"));
  int rc;
  lode__pmd_params_t p = parse(
      "; client_max_window_bits; "
      "server_max_window_bits=\"10\" ",
      &rc);
  ASSERT_OK(rc);
  ASSERT_EQ(p.client_max_window_bits, -1);
  ASSERT_EQ(p.server_max_window_bits, 10);
  ASSERT_EQ(lode__ws_ext_next(v, strlen(v), &pos, &name, &params), 1);
  ASSERT_MEM_EQ(name.base, name.len, "x", 1);
  ASSERT_EQ(lode__ws_ext_next(v, strlen(v), &pos, &name, &params), 0);
  pos = 0;
  ASSERT_EQ(lode__ws_ext_next("a b", 3, &pos, &name, &params), -1);
}

TEST(params_rejected) {
  static const char* bad[] = {
    "; server_no_context_takeover=1",
    "; server_no_context_takeover; server_no_context_takeover",
    "; server_max_window_bits",
    "; server_max_window_bits=7",
    "; server_max_window_bits=16",
    "; client_max_window_bits=0",
    "; unknown",
    "; client_max_window_bits=1x",
  };
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    int rc;
    parse(bad[i], &rc);
    ASSERT_EQ(rc, -1);
  }
}

TEST(format) {
  lode__pmd_params_t p = { 1, 1, 10, -1 };
  lode__buf_t buf = { 0 };
  ASSERT_OK(lode__pmd_format(&p, &buf));
  const char* want =
      "permessage-deflate; server_no_context_takeover; "
      "client_no_context_takeover; server_max_window_bits=10;"
      " client_max_window_bits";
  ASSERT_MEM_EQ(buf.base, buf.len, want, strlen(want));
  lode__buf_free(&buf);
}

TEST(server_negotiation) {
  lode_websocket_opts_t o = { 0 };
  lode__pmd_params_t a;
  const char* offer = "permessage-deflate; client_max_window_bits";
  ASSERT_EQ(lode__pmd_server_negotiate(offer, strlen(offer), &o, &a), 1);
  ASSERT_EQ(a.client_max_window_bits, 0);
  ASSERT_EQ(a.server_max_window_bits, 0);
  /* The server imposes its own limits and no-context-takeover. */
  o.server_no_context_takeover = 1;
  o.server_max_window_bits = 11;
  o.client_max_window_bits = 12;
  ASSERT_EQ(lode__pmd_server_negotiate(offer, strlen(offer), &o, &a), 1);
  ASSERT_EQ(a.server_no_context_takeover, 1);
  ASSERT_EQ(a.server_max_window_bits, 11);
  ASSERT_EQ(a.client_max_window_bits, 12);
  /* A client that cannot take client_max_window_bits is declined; the
   * next offer is taken. An 8-bit server window is declined too. */
  const char* two =
      "permessage-deflate, permessage-deflate; "
      "client_max_window_bits=10";
  ASSERT_EQ(lode__pmd_server_negotiate(two, strlen(two), &o, &a), 1);
  ASSERT_EQ(a.client_max_window_bits, 10);
  lode_websocket_opts_t d = { 0 };
  const char* eight = "permessage-deflate; server_max_window_bits=8";
  ASSERT_EQ(lode__pmd_server_negotiate(eight, strlen(eight), &d, &a), 0);
  const char* junk = "permessage-deflate; foo";
  ASSERT_EQ(lode__pmd_server_negotiate(junk, strlen(junk), &d, &a), -1);
  const char* other = "x-webkit-deflate-frame";
  ASSERT_EQ(lode__pmd_server_negotiate(other, strlen(other), &d, &a), 0);
}

TEST(client_acceptance) {
  lode_websocket_opts_t o = { 0 };
  lode__pmd_params_t a;
  ASSERT_OK(lode__pmd_client_accept(LODE_SLICE(""), &o, &a));
  ASSERT_OK(lode__pmd_client_accept(
      LODE_SLICE("; server_no_context_takeover; client_max_window_bits=9"), &o,
      &a));
  ASSERT_EQ(a.client_max_window_bits, 9);
  /* A bare client_max_window_bits in an answer, an 8-bit client window,
   * unknown params, or a server window over what we asked for fail. */
  ASSERT_EQ(
      lode__pmd_client_accept(LODE_SLICE("; client_max_window_bits"), &o, &a),
      -1);
  ASSERT_EQ(
      lode__pmd_client_accept(LODE_SLICE("; client_max_window_bits=8"), &o, &a),
      -1);
  ASSERT_EQ(lode__pmd_client_accept(LODE_SLICE("; x=1"), &o, &a), -1);
  o.server_max_window_bits = 10;
  ASSERT_EQ(lode__pmd_client_accept(LODE_SLICE(""), &o, &a), -1);
  ASSERT_OK(lode__pmd_client_accept(LODE_SLICE("; server_max_window_bits=9"),
                                    &o, &a));
}

static void fill(uint8_t* p, size_t n) {
  for (size_t i = 0; i < n; i++)
    p[i] = (uint8_t) ("lode websocket "[i % 15] + (i / 1000) % 3);
}

TEST(round_trip) {
  lode__pmd_params_t p = { 0 };
  lode__pmd_t* c = lode__pmd_new(0, &p);
  lode__pmd_t* s = lode__pmd_new(1, &p);
  static uint8_t msg[200000];
  fill(msg, sizeof(msg));
  for (int round = 0; round < 3; round++) {
    lode__buf_t z = { 0 }, out = { 0 };
    size_t n = round == 0 ? 0 : round == 1 ? 10 : sizeof(msg);
    ASSERT_OK(lode__pmd_compress(c, msg, n, &z));
    ASSERT(z.len < 4 || memcmp(z.base + z.len - 4, "\0\0\xff\xff", 4) != 0);
    /* Decompress in uneven pieces, as frames arrive. */
    size_t at = 0;
    while (at < z.len) {
      size_t k = z.len - at < 777 ? z.len - at : 777;
      ASSERT_OK(lode__pmd_decompress(s, (uint8_t*) z.base + at, k, 0, SIZE_MAX,
                                     &out));
      at += k;
    }
    ASSERT_OK(lode__pmd_decompress(s, NULL, 0, 1, SIZE_MAX, &out));
    ASSERT_MEM_EQ(out.base, out.len, msg, n);
    lode__buf_free(&z);
    lode__buf_free(&out);
  }
  lode__pmd_free(c);
  lode__pmd_free(s);
}

/* With context takeover the second copy of a message shrinks (it refers
 * back to the first); without, both compress the same. */
TEST(context_takeover) {
  static uint8_t msg[3000];
  fill(msg, sizeof(msg));
  for (int no_ctx = 0; no_ctx <= 1; no_ctx++) {
    lode__pmd_params_t p = { 0 };
    p.client_no_context_takeover = no_ctx;
    lode__pmd_t* c = lode__pmd_new(0, &p);
    lode__pmd_t* s = lode__pmd_new(1, &p);
    lode__buf_t z1 = { 0 }, z2 = { 0 }, out = { 0 };
    ASSERT_OK(lode__pmd_compress(c, msg, sizeof(msg), &z1));
    ASSERT_OK(lode__pmd_compress(c, msg, sizeof(msg), &z2));
    if (no_ctx)
      ASSERT_MEM_EQ(z1.base, z1.len, z2.base, z2.len);
    else
      ASSERT_LT(z2.len, z1.len / 2);
    ASSERT_OK(
        lode__pmd_decompress(s, (uint8_t*) z1.base, z1.len, 1, SIZE_MAX, &out));
    ASSERT_OK(
        lode__pmd_decompress(s, (uint8_t*) z2.base, z2.len, 1, SIZE_MAX, &out));
    ASSERT_EQ(out.len, 2 * sizeof(msg));
    ASSERT_MEM_EQ(out.base + sizeof(msg), sizeof(msg), msg, sizeof(msg));
    lode__buf_free(&z1);
    lode__buf_free(&z2);
    lode__buf_free(&out);
    lode__pmd_free(c);
    lode__pmd_free(s);
  }
}

TEST(limits_and_garbage) {
  lode__pmd_params_t p = { 0 };
  lode__pmd_t* c = lode__pmd_new(0, &p);
  lode__pmd_t* s = lode__pmd_new(1, &p);
  static uint8_t zeros[1 << 20];
  lode__buf_t z = { 0 }, out = { 0 };
  ASSERT_OK(lode__pmd_compress(c, zeros, sizeof(zeros), &z));
  ASSERT_LT(z.len, 5000);
  /* A small compressed message that inflates past the limit. */
  ASSERT_EQ(lode__pmd_decompress(s, (uint8_t*) z.base, z.len, 1, 100000, &out),
            LODE_ERR_WS_MESSAGE_TOO_BIG);
  lode__pmd_t* s2 = lode__pmd_new(1, &p);
  lode__buf_t out2 = { 0 };
  ASSERT_EQ(lode__pmd_decompress(s2, (const uint8_t*) "\xff\xff\xff", 3, 1,
                                 SIZE_MAX, &out2),
            LODE_ERR_WS_PROTOCOL);
  lode__buf_free(&z);
  lode__buf_free(&out);
  lode__buf_free(&out2);
  lode__pmd_free(c);
  lode__pmd_free(s);
  lode__pmd_free(s2);
}

/* Node's zlib on the other side: what it compresses (as npm ws does)
 * lode inflates, and what lode compresses Node inflates. */
TEST(against_node_zlib) {
  const char* script =
      "const z=require('zlib');const m=Buffer.from('lode and node '.repeat("
      "500));const c=z.deflateRawSync(m,{finishFlush:z.constants."
      "Z_SYNC_FLUSH});console.log(c.subarray(0,c.length-4).toString('hex'));"
      "process.stdin.once('data',d=>{const b=Buffer.concat([Buffer.from("
      "d.toString().trim(),'hex'),Buffer.from([0,0,255,255])]);console.log("
      "z.inflateRawSync(b,{finishFlush:z.constants.Z_SYNC_FLUSH}).equals(m)"
      ")})";
  const char* argv[] = { "node", "-e", script, NULL };
  test_peer_t* peer = test_peer_start(argv);
  static char line[200000];
  test_peer_line(peer, line, sizeof(line), 10000);
  size_t hn = strlen(line) / 2;
  uint8_t* bin = malloc(hn);
  for (size_t i = 0; i < hn; i++)
    sscanf(line + 2 * i, "%2hhx", &bin[i]);
  lode__pmd_params_t p = { 0 };
  lode__pmd_t* z = lode__pmd_new(0, &p);
  lode__buf_t out = { 0 };
  ASSERT_OK(lode__pmd_decompress(z, bin, hn, 1, SIZE_MAX, &out));
  ASSERT_EQ(out.len, 14 * 500);
  ASSERT_MEM_EQ(out.base, 14, "lode and node ", 14);
  free(bin);
  lode__pmd_free(z);
  lode__buf_free(&out);
  /* The other way is checked by the interop tests (npm ws inflates what
   * lode sends); the peer here just exits when stdin closes. */
  test_peer_kill(peer);
}

TEST_MAIN(ext_grammar, params_rejected, format, server_negotiation,
          client_acceptance, round_trip, context_takeover, limits_and_garbage,
          against_node_zlib)
