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

/* A scripted case: frames (first byte, payload, length or 0 for strlen),
 * then what lode answers and the events it reports. */
typedef struct fr_s {
  int b0;
  const char* p;
  size_t n;
} fr_t;
typedef struct case_s {
  const char* name;
  fr_t frames[12];
  size_t chop;
  const char* replies;
  const char* events;
} case_t;

#define CLOSE_OK { 0x88, "\x03\xe8", 2 }
#define END { -1, NULL, 0 }

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

#define TEN_PINGS(m)                                                        \
  m(0) m(1) m(2) m(3) m(4) m(5) m(6) m(7) m(8) m(9)
#define PING_(i) { 0x89, "payload-" #i, 0 },
#define PONG_(i) "O:payload-" #i ","

static const case_t group2[] = {
  { "2.1", { { 0x89, "", 0 }, CLOSE_OK, END }, 0, "O:,C:1000:", CLEAN },
  { "2.2", { { 0x89, "Hello, world!", 0 }, CLOSE_OK, END }, 0,
    "O:Hello, world!,C:1000:", CLEAN },
  { "2.3", { { 0x89, "\x00\xff\xfe\xfd\xfc\xfb\x00\xff", 8 }, CLOSE_OK,
             END }, 0,
    "O:\\x00\\xff\\xfe\\xfd\\xfc\\xfb\\x00\\xff,C:1000:", CLEAN },
  { "2.7", { { 0x8a, "", 0 }, CLOSE_OK, END }, 0, "C:1000:", CLEAN },
  { "2.8", { { 0x8a, "unsolicited", 0 }, CLOSE_OK, END }, 0, "C:1000:",
    CLEAN },
  { "2.9", { { 0x8a, "unsolicited", 0 }, { 0x89, "my ping", 0 }, CLOSE_OK,
             END }, 0, "O:my ping,C:1000:", CLEAN },
  { "2.10", { TEN_PINGS(PING_) CLOSE_OK, END }, 0,
    TEN_PINGS(PONG_) "C:1000:", CLEAN },
  { "2.11", { TEN_PINGS(PING_) CLOSE_OK, END }, 1,
    TEN_PINGS(PONG_) "C:1000:", CLEAN },
};

TEST(group2_pings) {
  run_table(group2, sizeof(group2) / sizeof(group2[0]));
  run_case("2.4", s_2_4, 0, NULL, CLEAN);
  run_case("2.5", s_2_5, 0, "C:1002:", FAILED);
  run_case("2.6", s_2_4, 1, NULL, CLEAN);
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

#define FRAG12 "T:fragment1fragment2,"

static const case_t group5[] = {
  { "5.1", { { 0x09, "frag1", 0 }, { 0x80, "frag2", 0 }, CLOSE_OK, END }, 0,
    "C:1002:", FAILED },
  { "5.2", { { 0x0a, "frag1", 0 }, { 0x80, "frag2", 0 }, CLOSE_OK, END }, 0,
    "C:1002:", FAILED },
  { "5.3", { { 0x01, "fragment1", 0 }, { 0x80, "fragment2", 0 }, CLOSE_OK,
             END }, 0, FRAG12 "C:1000:", CLEAN },
  { "5.4", { { 0x01, "fragment1", 0 }, { 0x80, "fragment2", 0 }, CLOSE_OK,
             END }, 1, FRAG12 "C:1000:", CLEAN },
  { "5.6", { { 0x01, "fragment1", 0 }, { 0x89, "ping payload", 0 },
             { 0x80, "fragment2", 0 }, CLOSE_OK, END }, 0,
    "O:ping payload," FRAG12 "C:1000:", CLEAN },
  { "5.8", { { 0x01, "fragment1", 0 }, { 0x89, "ping payload", 0 },
             { 0x80, "fragment2", 0 }, CLOSE_OK, END }, 1,
    "O:ping payload," FRAG12 "C:1000:", CLEAN },
  { "5.9", { { 0x80, "non-continuation payload", 0 },
             { 0x81, "Hello, world!", 0 }, CLOSE_OK, END }, 0, "C:1002:",
    FAILED },
  { "5.12", { { 0x00, "non-continuation payload", 0 },
              { 0x81, "Hello, world!", 0 }, CLOSE_OK, END }, 0, "C:1002:",
    FAILED },
  { "5.15", { { 0x01, "fragment1", 0 }, { 0x80, "fragment2", 0 },
              { 0x00, "fragment3", 0 }, { 0x81, "fragment4", 0 }, CLOSE_OK,
              END }, 0, FRAG12 "C:1002:", FAILED },
  { "5.16", { { 0x01, "fragment1", 0 }, { 0x01, "fragment2", 0 }, CLOSE_OK,
              END }, 0, "C:1002:", FAILED },
  { "5.19", { { 0x01, "f1", 0 }, { 0x00, "", 0 }, { 0x89, "pongme 1!", 0 },
              { 0x00, "f3", 0 }, { 0x00, "", 0 }, { 0x89, "pongme 2!", 0 },
              { 0x80, "f5", 0 }, CLOSE_OK, END }, 0,
    "O:pongme 1!,O:pongme 2!,T:f1f3f5,C:1000:", CLEAN },
  { "5.20", { { 0x02, "\x01\x02", 0 }, { 0x80, "\x03", 0 }, { 0x01, "", 0 },
              { 0x80, "", 0 }, CLOSE_OK, END }, 3,
    "B:\\x01\\x02\\x03,T:,C:1000:", CLEAN },
};

TEST(group5_fragmentation) {
  run_table(group5, sizeof(group5) / sizeof(group5[0]));
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
    "",
    "Hello-\xc2\xb5@\xc3\x9f\xc3\xb6\xc3\xa4\xc3\xbc\xc3\xa0\xc3\xa1-UTF-8!!",
    "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5", "\xf4\x8f\xbf\xbf",
    "\xef\xbf\xbf", "\x7f", "\xed\x9f\xbf", "\xee\x80\x80",
  };
  static const char* bad[] = {
    "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\200edited",
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

static const case_t group7[] = {
  { "7.1.1", { { 0x81, "Hello World!", 0 }, CLOSE_OK, END }, 0,
    "T:Hello World!,C:1000:", CLEAN },
  { "7.1.3", { CLOSE_OK, { 0x89, "", 0 }, { 0x81, "after close", 0 },
               CLOSE_OK, END }, 0, "C:1000:", CLEAN },
  { "7.1.5", { { 0x01, "fragment1", 0 }, CLOSE_OK, { 0x80, "fragment2", 0 },
               END }, 0, "C:1000:", CLEAN },
};

static void s_7_3_1(void) { close_frame(-1, ""); }
static void s_7_3_2(void) { frame(0x88, "\x03", 1); }
static char reason[200];
static int code;
static void s_code(void) { close_frame(code, reason); }

TEST(group7_close) {
  run_table(group7, sizeof(group7) / sizeof(group7[0]));
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
