/* The Autobahn test suite's case groups 1 to 5 and 7 (framing, pings and
 * pongs, reserved bits, opcodes, fragmentation, closing; group 6, UTF-8,
 * is in test-ws-autobahn-utf8.c), rebuilt as raw frames against both of
 * lode's roles: each case runs once with lode as the server (the peer
 * masks) and once as the client (lode masks). lode echoes every message;
 * the peer decodes what comes back.
 *
 * Autobahn case            test                  what is checked
 * 1.1.1-1.1.8, 1.2.1-1.2.8 group1_framing        text/binary of 0, 125, 126,
 *                                                127, 128, 65535, 65536
 *                                                bytes; 65536 in 997-byte
 *                                                chops (1.x.8)
 * 2.1-2.3, 2.7-2.11        group2_pings          ping payloads echoed in
 *                                                pongs, unsolicited pongs
 *                                                ignored, 10 pings whole and
 *                                                octet-wise (2.10, 2.11)
 * 2.4, 2.5, 2.6            group2_pings          125-byte ping answered,
 *                                                also octet-wise; 126 bytes
 *                                                fails with 1002
 * 3.1-3.7                  group3_reserved_bits  RSV 1-7 on text, binary,
 *                                                continuation, ping, pong and
 *                                                close, one chop, per frame,
 *                                                octet-wise: 1002, and what
 *                                                came before is echoed
 * 4.1.1-4.1.5, 4.2.1-4.2.5 group4_opcodes        opcodes 3-7 and 11-15, empty
 *                                                and with payload, then a
 *                                                ping that is not answered
 * 5.1-5.20                 group5_fragmentation  fragmented control frames,
 *                                                continuation rules, chops
 *                                                (one, per frame, octet)
 * 5.6-5.8, 5.19, 5.20      group5_pings_between  a three-fragment message
 *                                                with pings at every subset
 *                                                of the four positions
 * 7.1.1-7.1.6              group7_close          what follows a close frame
 *                                                is ignored; 256 KiB echo
 *                                                before the close (7.1.6)
 * 7.3.1-7.3.6, 7.5.1       group7_close          close payloads: empty,
 *                                                1 byte, code, code+reason,
 *                                                123 and 124-byte reasons,
 *                                                reason not UTF-8 (1007)
 * 7.7.1-7.7.13             group7_close          valid codes echoed
 * 7.9.1-7.9.9, 7.13.1-2    group7_close          invalid codes: 1002. 1012
 *                                                to 1014 are valid (IANA;
 *                                                Node's isValidStatusCode),
 *                                                as the current suite has
 *                                                them; 1015 is invalid */
#include "wscodes.h"
#include "wsraw.h"

static uint8_t big[262144];
static size_t big_len;
static int big_op;

static void s_big(void) {
  for (size_t i = 0; i < big_len; i++)
    big[i] = big_op == 1 ? (uint8_t) ('*' + i % 50) : (uint8_t) (i * 7);
  frame(0x80 | big_op, big, big_len);
  expect(big_op, big, big_len);
  close_frame(LODE_WEBSOCKET_CLOSE_NORMAL, "");
}

/* 1.1.1-1.1.8, 1.2.1-1.2.8: every length class, text and binary, whole
 * and chopped into 997-byte writes. */
TEST(group1_framing) {
  static const size_t lens[] = { 0, 125, 126, 127, 128, 65535, 65536 };
  for (big_op = 1; big_op <= 2; big_op++)
    for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
      big_len = lens[i];
      run_case("1.x", s_big, 0, NULL, CLEAN);
      if (big_len == 65536)
        run_case("1.x.8", s_big, 997, NULL, CLEAN);
    }
}

static void s_ping(const void* p, size_t n) {
  frame(0x89, p, n);
  expect(10, p, n);
}

static void s_2_4(void) {
  memset(big, 0xfe, 125);
  s_ping(big, 125);
  close_frame(LODE_WEBSOCKET_CLOSE_NORMAL, "");
}
static void s_2_5(void) {
  memset(big, 0xfe, 126);
  frame(0x89, big, 126);
  close_frame(LODE_WEBSOCKET_CLOSE_NORMAL, "");
}

#define TEN_PINGS(m) m(0) m(1) m(2) m(3) m(4) m(5) m(6) m(7) m(8) m(9)
#define PING_(i) { 0x89, "payload-" #i, 0 },
#define PONG_(i) "O:payload-" #i ","

static const case_t group2[] = {
  { "2.1", { { 0x89, "", 0 }, CLOSE_OK, END }, 0, "O:,C:1000:", CLEAN },
  { "2.2",
    { { 0x89, "Hello, world!", 0 }, CLOSE_OK, END },
    0,
    "O:Hello, world!,C:1000:",
    CLEAN },
  { "2.3",
    { { 0x89, "\x00\xff\xfe\xfd\xfc\xfb\x00\xff", 8 }, CLOSE_OK, END },
    0,
    "O:\\x00\\xff\\xfe\\xfd\\xfc\\xfb\\x00\\xff,C:1000:",
    CLEAN },
  { "2.7", { { 0x8a, "", 0 }, CLOSE_OK, END }, 0, "C:1000:", CLEAN },
  { "2.8", { { 0x8a, "unsolicited", 0 }, CLOSE_OK, END }, 0, "C:1000:", CLEAN },
  { "2.9",
    { { 0x8a, "unsolicited", 0 }, { 0x89, "my ping", 0 }, CLOSE_OK, END },
    0,
    "O:my ping,C:1000:",
    CLEAN },
  { "2.10",
    { TEN_PINGS(PING_) CLOSE_OK, END },
    0,
    TEN_PINGS(PONG_) "C:1000:",
    CLEAN },
  { "2.11",
    { TEN_PINGS(PING_) CLOSE_OK, END },
    1,
    TEN_PINGS(PONG_) "C:1000:",
    CLEAN },
};

TEST(group2_pings) {
  run_table(group2, sizeof(group2) / sizeof(group2[0]));
  run_case("2.4", s_2_4, 0, NULL, CLEAN);
  run_case("2.5", s_2_5, 0, "C:1002:", FAILED);
  run_case("2.6", s_2_4, 1, NULL, CLEAN);
}

/* Group 3: a frame with reserved bits fails the connection at once;
 * what came before is answered, what comes after is not. Every RSV value
 * (RSV1 is refused too: no extension was agreed) on every opcode. */
static int rsv, rsv_op;
static void s_rsv(void) {
  frame(0x81, "Hello", 5);
  expect(1, "Hello", 5);
  if (rsv_op == 0)
    frame(0x01, "start", 5); /* so the continuation has a message */
  frame(0x80 | (rsv << 4) | rsv_op, rsv_op == 8 ? "\x03\xe8" : "small",
        rsv_op == 8 ? 2 : 5);
  s_ping("", 0);
  close_frame(LODE_WEBSOCKET_CLOSE_NORMAL, "");
}

TEST(group3_reserved_bits) {
  static const int ops[] = { 0x0, 0x1, 0x2, 0x8, 0x9, 0xa };
  static const size_t chops[] = { 0, CHOP_FRAMES, 1 };
  for (rsv = 1; rsv <= 7; rsv++)
    for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
      for (size_t c = 0; c < sizeof(chops) / sizeof(chops[0]); c++) {
        rsv_op = ops[i];
        run_case("3.x", s_rsv, chops[c], "T:Hello,C:1002:", FAILED);
      }
}

/* Group 4: reserved opcodes, data (3-7) and control (B-F), empty (4.1.1,
 * 4.2.1) and with a payload, after a message that is echoed. */
static int opcode;
static size_t opcode_len;
static void s_opcode(void) {
  frame(0x81, "Hello", 5);
  frame(0x80 | opcode, "reserved", opcode_len);
  s_ping("", 0);
  close_frame(LODE_WEBSOCKET_CLOSE_NORMAL, "");
}

TEST(group4_opcodes) {
  static const int ops[] = { 3, 4, 5, 6, 7, 0xb, 0xc, 0xd, 0xe, 0xf };
  for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
    for (opcode_len = 0; opcode_len <= 8; opcode_len += 8) {
      opcode = ops[i];
      run_case("4.x", s_opcode, 0, "T:Hello,C:1002:", FAILED);
      run_case("4.x octets", s_opcode, 1, "T:Hello,C:1002:", FAILED);
    }
}

#define FRAG12 "T:fragment1fragment2,"
#define F1                                                                     \
  { 0x01, "fragment1", 0 }
#define F2                                                                     \
  { 0x80, "fragment2", 0 }
#define PING_P                                                                 \
  { 0x89, "ping payload", 0 }
#define HELLO                                                                  \
  { 0x81, "Hello, world!", 0 }

/* 5.1-5.20 (the chops: 0 = one write, CHOP_FRAMES = a write per frame,
 * 1 = a write per octet). */
static const case_t group5[] = {
  { "5.1",
    { { 0x09, "frag1", 0 }, { 0x80, "frag2", 0 }, CLOSE_OK, END },
    0,
    "C:1002:",
    FAILED },
  { "5.2",
    { { 0x0a, "frag1", 0 }, { 0x80, "frag2", 0 }, CLOSE_OK, END },
    0,
    "C:1002:",
    FAILED },
  { "5.3", { F1, F2, CLOSE_OK, END }, 0, FRAG12 "C:1000:", CLEAN },
  { "5.4", { F1, F2, CLOSE_OK, END }, CHOP_FRAMES, FRAG12 "C:1000:", CLEAN },
  { "5.5", { F1, F2, CLOSE_OK, END }, 1, FRAG12 "C:1000:", CLEAN },
  { "5.6",
    { F1, PING_P, F2, CLOSE_OK, END },
    0,
    "O:ping payload," FRAG12 "C:1000:",
    CLEAN },
  { "5.7",
    { F1, PING_P, F2, CLOSE_OK, END },
    CHOP_FRAMES,
    "O:ping payload," FRAG12 "C:1000:",
    CLEAN },
  { "5.8",
    { F1, PING_P, F2, CLOSE_OK, END },
    1,
    "O:ping payload," FRAG12 "C:1000:",
    CLEAN },
  { "5.9",
    { { 0x80, "non-continuation payload", 0 }, HELLO, CLOSE_OK, END },
    0,
    "C:1002:",
    FAILED },
  { "5.10",
    { { 0x80, "non-continuation payload", 0 }, HELLO, CLOSE_OK, END },
    CHOP_FRAMES,
    "C:1002:",
    FAILED },
  { "5.11",
    { { 0x80, "non-continuation payload", 0 }, HELLO, CLOSE_OK, END },
    1,
    "C:1002:",
    FAILED },
  { "5.12",
    { { 0x00, "non-continuation payload", 0 }, HELLO, CLOSE_OK, END },
    0,
    "C:1002:",
    FAILED },
  { "5.13",
    { { 0x00, "non-continuation payload", 0 }, HELLO, CLOSE_OK, END },
    CHOP_FRAMES,
    "C:1002:",
    FAILED },
  { "5.14",
    { { 0x00, "non-continuation payload", 0 }, HELLO, CLOSE_OK, END },
    1,
    "C:1002:",
    FAILED },
  { "5.15",
    { F1,
      F2,
      { 0x00, "fragment3", 0 },
      { 0x81, "fragment4", 0 },
      CLOSE_OK,
      END },
    0,
    FRAG12 "C:1002:",
    FAILED },
  { "5.16",
    { { 0x00, "fragment1", 0 },
      { 0x01, "fragment2", 0 },
      { 0x80, "fragment3", 0 },
      { 0x00, "fragment4", 0 },
      { 0x01, "fragment5", 0 },
      { 0x80, "fragment6", 0 },
      CLOSE_OK,
      END },
    0,
    "C:1002:",
    FAILED },
  { "5.17",
    { { 0x80, "fragment1", 0 },
      { 0x01, "fragment2", 0 },
      { 0x80, "fragment3", 0 },
      { 0x80, "fragment4", 0 },
      { 0x01, "fragment5", 0 },
      { 0x80, "fragment6", 0 },
      CLOSE_OK,
      END },
    0,
    "C:1002:",
    FAILED },
  { "5.18",
    { F1, { 0x81, "fragment2", 0 }, CLOSE_OK, END },
    0,
    "C:1002:",
    FAILED },
  { "5.19",
    { { 0x01, "f1", 0 },
      { 0x00, "", 0 },
      { 0x89, "pongme 1!", 0 },
      { 0x00, "f3", 0 },
      { 0x00, "", 0 },
      { 0x89, "pongme 2!", 0 },
      { 0x80, "f5", 0 },
      CLOSE_OK,
      END },
    CHOP_FRAMES,
    "O:pongme 1!,O:pongme 2!,T:f1f3f5,C:1000:",
    CLEAN },
  { "5.20",
    { { 0x01, "f1", 0 },
      { 0x00, "", 0 },
      { 0x89, "pongme 1!", 0 },
      { 0x00, "f3", 0 },
      { 0x00, "", 0 },
      { 0x89, "pongme 2!", 0 },
      { 0x80, "f5", 0 },
      CLOSE_OK,
      END },
    0,
    "O:pongme 1!,O:pongme 2!,T:f1f3f5,C:1000:",
    CLEAN },
  { "5.x binary",
    { { 0x02, "\x01\x02", 2 },
      { 0x80, "\x03", 1 },
      { 0x01, "", 0 },
      { 0x80, "", 0 },
      CLOSE_OK,
      END },
    3,
    "B:\\x01\\x02\\x03,T:,C:1000:",
    CLEAN },
};

TEST(group5_fragmentation) {
  run_table(group5, sizeof(group5) / sizeof(group5[0]));
}

/* A control frame may come between any two frames of a message (RFC
 * 6455 5.4): a three-fragment message with a ping (or a pong, which is
 * not answered) at every subset of the four positions around its
 * fragments, in every chop. A ping before the last fragment is answered
 * before the message is echoed. */
static unsigned ping_at, pong_instead;
static void s_pings_between(void) {
  static const char* frag[] = { "one-", "two-", "three" };
  for (int pos = 0; pos <= 3; pos++) {
    if (ping_at & (1u << pos)) {
      char p[16];
      snprintf(p, sizeof(p), "at %d", pos);
      frame(pong_instead ? 0x8a : 0x89, p, strlen(p));
      if (!pong_instead && pos < 3)
        expect(10, p, strlen(p));
    }
    if (pos < 3)
      frame((pos == 0 ? 0x01 : 0x00) | (pos == 2 ? 0x80 : 0), frag[pos],
            strlen(frag[pos]));
  }
  expect(1, "one-two-three", 13);
  if (!pong_instead && (ping_at & 8))
    expect(10, "at 3", 4);
  close_frame(LODE_WEBSOCKET_CLOSE_NORMAL, "");
}

TEST(group5_pings_between) {
  static const size_t chops[] = { 0, CHOP_FRAMES, 1 };
  for (pong_instead = 0; pong_instead <= 1; pong_instead++)
    for (ping_at = 0; ping_at < 16; ping_at++)
      for (size_t c = 0; c < sizeof(chops) / sizeof(chops[0]); c++)
        run_case("5.x pings", s_pings_between, chops[c], NULL, CLEAN);
}

/* 7.1.6: a 256 KiB message, then the close, then a ping: the echo goes
 * out before the close answer, the ping is not answered. */
static void s_7_1_6(void) {
  for (size_t i = 0; i < sizeof(big); i++)
    big[i] = (uint8_t) ('*' + i % 50);
  frame(0x81, big, sizeof(big));
  expect(1, big, sizeof(big));
  close_frame(LODE_WEBSOCKET_CLOSE_NORMAL, "");
  frame(0x89, "", 0);
}

static const case_t group7[] = {
  { "7.1.1",
    { { 0x81, "Hello World!", 0 }, CLOSE_OK, END },
    0,
    "T:Hello World!,C:1000:",
    CLEAN },
  { "7.1.2", { CLOSE_OK, CLOSE_OK, END }, 0, "C:1000:", CLEAN },
  { "7.1.3", { CLOSE_OK, { 0x89, "", 0 }, END }, 0, "C:1000:", CLEAN },
  { "7.1.4",
    { CLOSE_OK, { 0x81, "after close", 0 }, END },
    0,
    "C:1000:",
    CLEAN },
  { "7.1.5", { F1, CLOSE_OK, F2, END }, 0, "C:1000:", CLEAN },
  { "7.1.x",
    { CLOSE_OK,
      { 0x89, "", 0 },
      { 0x81, "after close", 0 },
      { 0xf1, "junk", 0 },
      END },
    1,
    "C:1000:",
    CLEAN },
};

static void s_7_3_1(void) {
  close_frame(-1, "");
}
static void s_7_3_2(void) {
  frame(0x88, "\x03", 1);
}
static char reason[200];
static int code;
static void s_code(void) {
  close_frame(code, reason);
}

TEST(group7_close) {
  run_table(group7, sizeof(group7) / sizeof(group7[0]));
  run_case("7.1.6", s_7_1_6, 0, NULL, CLEAN);
  run_case("7.3.1", s_7_3_1, 0, "C:none", "open,close(1,1005,)");
  run_case("7.3.2", s_7_3_2, 0, "C:1002:", FAILED);
  code = LODE_WEBSOCKET_CLOSE_NORMAL;
  reason[0] = '\0';
  run_case("7.3.3", s_code, 0, "C:1000:", "open,close(1,1000,)");
  /* A server echoes the reason (npm ws), a client the code alone (Node's
   * WebSocket). */
  strcpy(reason, "Hello World!");
  run_case_roles("7.3.4", s_code, 0, "C:1000:Hello World!",
                 "C:1000:", "open,close(1,1000,Hello World!)");
  memset(reason, '*', 123);
  reason[123] = '\0';
  char ev5[256], echo5[256];
  snprintf(ev5, sizeof(ev5), "open,close(1,1000,%s)", reason);
  snprintf(echo5, sizeof(echo5), "C:1000:%s", reason);
  run_case_roles("7.3.5", s_code, 0, echo5, "C:1000:", ev5);
  reason[123] = '*';
  reason[124] = '\0';
  run_case("7.3.6", s_code, 0, "C:1002:", FAILED);
  strcpy(reason,
         "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80"
         "edited");
  run_case("7.5.1", s_code, 0, "C:1007:", BAD_UTF8);
  reason[0] = '\0';
  for (size_t i = 0; i < WS_NCODES(ws_codes_valid); i++) {
    char w[64], ev[64];
    code = ws_codes_valid[i];
    snprintf(w, sizeof(w), "C:%d:", code);
    snprintf(ev, sizeof(ev), "open,close(1,%d,)", code);
    run_case("7.7", s_code, 0, w, ev);
  }
  for (size_t i = 0; i < WS_NCODES(ws_codes_invalid); i++) {
    code = ws_codes_invalid[i];
    run_case("7.9/7.13", s_code, 0, "C:1002:", FAILED);
  }
}

TEST_MAIN(group1_framing, group2_pings, group3_reserved_bits, group4_opcodes,
          group5_fragmentation, group5_pings_between, group7_close)
