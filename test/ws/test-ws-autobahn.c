/* The Autobahn test suite's case groups 1 to 7 (framing, pings and pongs,
 * reserved bits, opcodes, fragmentation, UTF-8, closing), rebuilt as raw
 * frames against both of lode's roles: each case runs once with lode as
 * the server (the peer masks) and once as the client (lode masks). lode
 * echoes every message; the peer decodes what comes back. */
#include "wsraw.h"

static char want[65536];

static void expect(int op, const void* p, size_t n) {
  char d[256];
  describe(d, sizeof(d), op, p, n);
  size_t len = strlen(want);
  snprintf(want + len, sizeof(want) - len, "%s%s", len ? "," : "", d);
}

typedef void (*script_fn)(void);

/* Runs `fn` against both roles; `replies` NULL means the `want` the
 * script built. */
static void run_case(const char* name, script_fn fn, size_t chop,
                     const char* replies, const char* events) {
  for (int server = 1; server >= 0; server--) {
    raw_init(server);
    want[0] = '\0';
    R.chop = chop;
    fn();
    raw_start(&echo_events, NULL);
    raw_finish();
    const char* w = replies;
    if (w == NULL) {
      expect(8, "\x03\xe8", 2);
      w = want;
    }
    if (strcmp(R.replies, w) != 0 ||
        strcmp(test_trace_get(), events) != 0)
      test_fail(__FILE__, __LINE__, "case %s (lode as %s):\n  replies: %s\n"
                "  want:    %s\n  events:  %s\n  want:    %s", name,
                server ? "server" : "client", R.replies, w,
                test_trace_get(), events);
  }
}

#define CLEAN "open,close(1,1000,)"
#define FAILED "open,error(ERR_WS_PROTOCOL),close(0,1006,)"
#define BAD_UTF8 "open,error(ERR_WS_INVALID_UTF8),close(0,1006,)"

static uint8_t big[70000];
static size_t big_len;
static int big_op;

static void s_big(void) {
  for (size_t i = 0; i < big_len; i++)
    big[i] = big_op == 1 ? (uint8_t) ('*' + i % 50) : (uint8_t) (i * 7);
  frame(0x80 | big_op, big, big_len);
  expect(big_op, big, big_len);
  close_frame(1000, "");
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

static void s_2_1(void) { s_ping("", 0); close_frame(1000, ""); }
static void s_2_2(void) {
  s_ping("Hello, world!", 13);
  close_frame(1000, "");
}
static void s_2_3(void) {
  s_ping("\x00\xff\xfe\xfd\xfc\xfb\x00\xff", 8);
  close_frame(1000, "");
}
static void s_2_4(void) {
  memset(big, 0xfe, 125);
  s_ping(big, 125);
  close_frame(1000, "");
}
static void s_2_5(void) {
  memset(big, 0xfe, 126);
  frame(0x89, big, 126);
  close_frame(1000, "");
}
static void s_2_7(void) { frame(0x8a, "", 0); close_frame(1000, ""); }
static void s_2_8(void) {
  frame(0x8a, "unsolicited", 11);
  close_frame(1000, "");
}
static void s_2_9(void) {
  frame(0x8a, "unsolicited", 11);
  s_ping("my ping", 7);
  close_frame(1000, "");
}
static void s_2_10(void) {
  for (int i = 0; i < 10; i++) {
    char p[32];
    int n = snprintf(p, sizeof(p), "payload-%d", i);
    s_ping(p, (size_t) n);
  }
  close_frame(1000, "");
}

TEST(group2_pings) {
  const char* c = "C:1000:";
  char w[256];
  run_case("2.1", s_2_1, 0, NULL, CLEAN);
  run_case("2.2", s_2_2, 0, NULL, CLEAN);
  run_case("2.3", s_2_3, 0, NULL, CLEAN);
  run_case("2.4", s_2_4, 0, NULL, CLEAN);
  run_case("2.5", s_2_5, 0, "C:1002:", FAILED);
  run_case("2.6", s_2_4, 1, NULL, CLEAN);
  snprintf(w, sizeof(w), "%s", c);
  run_case("2.7", s_2_7, 0, w, CLEAN);
  run_case("2.8", s_2_8, 0, w, CLEAN);
  run_case("2.9", s_2_9, 0, NULL, CLEAN);
  run_case("2.10", s_2_10, 0, NULL, CLEAN);
  run_case("2.11", s_2_10, 1, NULL, CLEAN);
}

/* Group 3: a frame with reserved bits fails the connection at once;
 * what came before is answered, what comes after is not. */
static int rsv;
static void s_rsv(void) {
  frame(0x81, "Hello", 5);
  expect(1, "Hello", 5);
  frame(0x80 | (rsv << 4) | (rsv == 1 ? 0x8 : 0x1), "small", 5);
  s_ping("", 0);
  close_frame(1000, "");
}

TEST(group3_reserved_bits) {
  for (rsv = 1; rsv <= 7; rsv++) {
    run_case("3.x", s_rsv, 0, "T:Hello,C:1002:", FAILED);
    run_case("3.x chopped", s_rsv, 1, "T:Hello,C:1002:", FAILED);
  }
}

/* Group 4: reserved opcodes, data (3-7) and control (B-F). */
static int opcode;
static void s_opcode(void) {
  frame(0x81, "Hello", 5);
  frame(0x80 | opcode, "reserved", 8);
  s_ping("", 0);
  close_frame(1000, "");
}

TEST(group4_opcodes) {
  static const int ops[] = { 3, 4, 5, 6, 7, 0xb, 0xc, 0xd, 0xe, 0xf };
  for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
    opcode = ops[i];
    run_case("4.x", s_opcode, 0, "T:Hello,C:1002:", FAILED);
  }
}

static void s_5_1(void) {
  frame(0x09, "frag1", 5);
  frame(0x80, "frag2", 5);
  close_frame(1000, "");
}
static void s_5_2(void) {
  frame(0x0a, "frag1", 5);
  frame(0x80, "frag2", 5);
  close_frame(1000, "");
}
static void s_5_3(void) {
  frame(0x01, "fragment1", 9);
  frame(0x80, "fragment2", 9);
  expect(1, "fragment1fragment2", 18);
  close_frame(1000, "");
}
static void s_5_6(void) {
  frame(0x01, "fragment1", 9);
  s_ping("ping payload", 12);
  frame(0x80, "fragment2", 9);
  expect(1, "fragment1fragment2", 18);
  close_frame(1000, "");
}
static void s_5_9(void) {
  frame(0x80, "non-continuation payload", 24);
  frame(0x81, "Hello, world!", 13);
  close_frame(1000, "");
}
static void s_5_12(void) {
  frame(0x00, "non-continuation payload", 24);
  frame(0x81, "Hello, world!", 13);
  close_frame(1000, "");
}
static void s_5_15(void) {
  frame(0x01, "fragment1", 9);
  frame(0x80, "fragment2", 9);
  expect(1, "fragment1fragment2", 18);
  frame(0x00, "fragment3", 9);
  frame(0x81, "fragment4", 9);
  close_frame(1000, "");
}
static void s_5_16(void) {
  frame(0x01, "fragment1", 9);
  frame(0x01, "fragment2", 9);
  close_frame(1000, "");
}
static void s_5_19(void) {
  frame(0x01, "f1", 2);
  frame(0x00, "", 0);
  s_ping("pongme 1!", 9);
  frame(0x00, "f3", 2);
  frame(0x00, "", 0);
  s_ping("pongme 2!", 9);
  frame(0x80, "f5", 2);
  expect(1, "f1f3f5", 6);
  close_frame(1000, "");
}
static void s_5_20(void) {
  frame(0x02, "\x01\x02", 2);
  frame(0x80, "\x03", 1);
  expect(2, "\x01\x02\x03", 3);
  frame(0x01, "", 0);
  frame(0x80, "", 0);
  expect(1, "", 0);
  close_frame(1000, "");
}

TEST(group5_fragmentation) {
  run_case("5.1", s_5_1, 0, "C:1002:", FAILED);
  run_case("5.2", s_5_2, 0, "C:1002:", FAILED);
  run_case("5.3", s_5_3, 0, NULL, CLEAN);
  run_case("5.4", s_5_3, 1, NULL, CLEAN);
  run_case("5.6", s_5_6, 0, "O:ping payload,T:fragment1fragment2,C:1000:",
           CLEAN);
  run_case("5.8", s_5_6, 1, "O:ping payload,T:fragment1fragment2,C:1000:",
           CLEAN);
  run_case("5.9", s_5_9, 0, "C:1002:", FAILED);
  run_case("5.12", s_5_12, 0, "C:1002:", FAILED);
  run_case("5.15", s_5_15, 0, "T:fragment1fragment2,C:1002:", FAILED);
  run_case("5.16", s_5_16, 0, "C:1002:", FAILED);
  run_case("5.19", s_5_19, 0, "O:pongme 1!,O:pongme 2!,T:f1f3f5,C:1000:",
           CLEAN);
  run_case("5.20", s_5_20, 3, NULL, CLEAN);
}

static const char* utf8_text;
static void s_utf8_whole(void) {
  size_t n = strlen(utf8_text);
  frame(0x81, utf8_text, n);
  expect(1, utf8_text, n);
  close_frame(1000, "");
}
/* The same text cut into one-byte fragments. */
static void s_utf8_bytes(void) {
  size_t n = strlen(utf8_text);
  for (size_t i = 0; i < n; i++)
    frame((i == 0 ? 0x01 : 0x00) | (i + 1 == n ? 0x80 : 0), utf8_text + i,
          1);
  expect(1, utf8_text, n);
  close_frame(1000, "");
}
static void s_utf8_bad(void) {
  frame(0x81, utf8_text, strlen(utf8_text));
  close_frame(1000, "");
}
/* Fail fast: only the first fragment (with the bad byte) is sent, and no
 * close: lode must fail on its own. */
static void s_utf8_fast(void) {
  frame(0x01, "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xf4\x90\x80\x80",
        15);
}

TEST(group6_utf8) {
  static const char* good[] = {
    "", "Hello-\xc2\xb5@\xc3\x9f\xc3\xb6\xc3\xa4\xc3\xbc\xc3\xa0\xc3\xa1-UTF-8!!",
    "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5", "\xf4\x8f\xbf\xbf",
    "\xef\xbf\xbf", "\x7f", "\xed\x9f\xbf", "\xee\x80\x80",
  };
  static const char* bad[] = {
    "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80" "edited",
    "\xf4\x90\x80\x80", "\xc0\xaf", "\xe0\x80\xaf", "\xed\xa0\x80",
    "\xed\xbf\xbf", "\x80", "\xfe", "\xc0", "\xce\xba\xe1",
  };
  for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
    utf8_text = good[i];
    run_case("6.good", s_utf8_whole, 0, NULL, CLEAN);
    if (strlen(good[i]) > 0)
      run_case("6.good.bytes", s_utf8_bytes, 0, NULL, CLEAN);
  }
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    utf8_text = bad[i];
    run_case("6.bad", s_utf8_bad, 0, "C:1007:", BAD_UTF8);
    run_case("6.bad.chopped", s_utf8_bad, 1, "C:1007:", BAD_UTF8);
  }
  run_case("6.fail-fast", s_utf8_fast, 0, "C:1007:", BAD_UTF8);
}

static void s_7_1_1(void) {
  frame(0x81, "Hello World!", 12);
  close_frame(1000, "");
}
static void s_7_1_3(void) {
  close_frame(1000, "");
  s_ping("", 0);
  frame(0x81, "after close", 11);
  close_frame(1000, "");
}
static void s_7_1_5(void) {
  frame(0x01, "fragment1", 9);
  close_frame(1000, "");
  frame(0x80, "fragment2", 9);
}
static void s_7_3_1(void) { close_frame(-1, ""); }
static void s_7_3_2(void) { frame(0x88, "\x03", 1); }
static char reason[200];
static int code;
static void s_code(void) { close_frame(code, reason); }

TEST(group7_close) {
  run_case("7.1.1", s_7_1_1, 0, "T:Hello World!,C:1000:", CLEAN);
  run_case("7.1.3", s_7_1_3, 0, "C:1000:", CLEAN);
  run_case("7.1.5", s_7_1_5, 0, "C:1000:", CLEAN);
  run_case("7.3.1", s_7_3_1, 0, "C:none", "open,close(1,1005,)");
  run_case("7.3.2", s_7_3_2, 0, "C:1002:", FAILED);
  code = 1000;
  strcpy(reason, "Hello World!");
  run_case("7.3.4", s_code, 0, "C:1000:",
           "open,close(1,1000,Hello World!)");
  memset(reason, '*', 123);
  reason[123] = '\0';
  char ev5[256];
  snprintf(ev5, sizeof(ev5), "open,close(1,1000,%s)", reason);
  run_case("7.3.5", s_code, 0, "C:1000:", ev5);
  reason[123] = '*';
  reason[124] = '\0';
  run_case("7.3.6", s_code, 0, "C:1002:", FAILED);
  strcpy(reason, "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80");
  run_case("7.5.1", s_code, 0, "C:1007:", BAD_UTF8);
  reason[0] = '\0';
  static const int ok[] = { 1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010,
                            1011, 3000, 3999, 4000, 4999 };
  static const int no[] = { 0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000,
                            2999, 5000, 65535 };
  for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
    char w[64], ev[64];
    code = ok[i];
    snprintf(w, sizeof(w), "C:%d:", code);
    snprintf(ev, sizeof(ev), "open,close(1,%d,)", code);
    run_case("7.7", s_code, 0, w, ev);
  }
  for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
    code = no[i];
    run_case("7.9", s_code, 0, "C:1002:", FAILED);
  }
}

TEST_MAIN(group1_framing, group2_pings, group3_reserved_bits, group4_opcodes,
          group5_fragmentation, group6_utf8, group7_close)
