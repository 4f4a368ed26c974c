/* The Autobahn test suite's case group 6 (UTF-8 handling), rebuilt as raw
 * frames against both of lode's roles, lode echoing every message.
 *
 * Autobahn case   test             what is checked
 * 6.1.1-6.1.3     empty_and_valid  an empty text message, empty fragments
 * 6.2.1-6.2.4     empty_and_valid  valid text whole, in two fragments on a
 *                                  code point boundary, in one-byte
 *                                  fragments (splitting code points)
 * 6.3.1-6.3.2     invalid_text     invalid text whole and in one-byte
 *                                  fragments: 1007
 * 6.4.1-6.4.4     fail_fast        the connection fails on the first byte
 *                                  that cannot be UTF-8, with the rest of
 *                                  the message still to come (in fragments,
 *                                  in one frame)
 * 6.5.1-6.23.7    vectors          every sequence of the suite (Markus
 *                                  Kuhn's UTF-8 test file): as one frame
 *                                  and as one-byte fragments, sent whole
 *                                  and fed to lode one wire byte at a time,
 *                                  where the error must come at exactly the
 *                                  first bad byte
 *
 * The first bad byte of each vector comes from Node (ICU's TextDecoder in
 * streaming mode: the first prefix that decodes to U+FFFD), not from
 * lode's validator; `len` there means the sequence is only unfinished, so
 * it fails at the end of the message. */
#include "wsraw.h"

static lode__buf_t wire; /* what feed_open hands lode, byte by byte */
static size_t bad_wire;  /* the wire byte that must fail, or SIZE_MAX */
static size_t fed, failed_at;

static void feed_open(lode_websocket_t* ws) {
  test_trace("open");
  for (fed = 0; fed < wire.len && failed_at == 0; fed++)
    lode__ws_feed(ws, U8(wire) + fed, 1);
}

static void feed_error(lode_websocket_t* ws, const lode_error_t* e) {
  failed_at = fed + 1;
  trace_error(ws, e);
}

static const lode_websocket_events_t feed_events = {
  .on_open = feed_open,
  .on_message = echo_message,
  .on_error = feed_error,
  .on_close = trace_close,
};

/* Like run_case, but lode gets the script one byte at a time from inside
 * on_open, and the error (if any) must come at byte bad_wire. */
static void run_fed(const char* name, script_fn fn, const char* replies,
                    const char* events) {
  for (int server = 1; server >= 0; server--) {
    raw_init(server);
    want[0] = '\0';
    bad_wire = SIZE_MAX;
    fn();
    wire = R.script;
    memset(&R.script, 0, sizeof(R.script));
    R.nbounds = 0;
    failed_at = 0;
    raw_start(&feed_events, NULL);
    raw_finish();
    lode__buf_free(&wire);
    size_t want_at = bad_wire == SIZE_MAX ? 0 : bad_wire + 1;
    const char* w = replies;
    if (w == NULL) {
      expect(8, "\x03\xe8", 2);
      w = want;
    }
    if (failed_at != want_at || strcmp(R.replies, w) != 0 ||
        strcmp(test_trace_get(), events) != 0)
      test_fail(__FILE__, __LINE__,
                "case %s (lode as %s): failed at byte "
                "%zu, want %zu\n  replies: %s\n  want:    %s\n"
                "  events:  %s\n  want:    %s",
                name, server ? "server" : "client", failed_at, want_at,
                R.replies, w, test_trace_get(), events);
  }
}

/* Sends `p` as a text message in fragments ending at the given offsets
 * (the last one is the length). */
static void fragments(const char* p, const size_t* cuts, size_t ncuts) {
  size_t at = 0;
  for (size_t i = 0; i < ncuts; i++) {
    frame((i == 0 ? 0x01 : 0x00) | (i + 1 == ncuts ? 0x80 : 0), p + at,
          cuts[i] - at);
    at = cuts[i];
  }
}

static const char* text;
static size_t text_len;

static void s_whole(void) {
  frame(0x81, text, text_len);
  expect(1, text, text_len);
  close_frame(LODE_WEBSOCKET_CLOSE_NORMAL, "");
}

static void s_two(void) {
  size_t cuts[] = { 7, text_len };
  fragments(text, cuts, 2);
  expect(1, text, text_len);
  close_frame(LODE_WEBSOCKET_CLOSE_NORMAL, "");
}

static void s_octets(void) {
  size_t cuts[256];
  for (size_t i = 0; i < text_len; i++)
    cuts[i] = i + 1;
  fragments(text, cuts, text_len);
  expect(1, text, text_len);
  close_frame(LODE_WEBSOCKET_CLOSE_NORMAL, "");
}

static void s_empty_fragments(void) {
  frame(0x01, "", 0);
  frame(0x00, text, text_len);
  frame(0x80, "", 0);
  expect(1, text, text_len);
  close_frame(LODE_WEBSOCKET_CLOSE_NORMAL, "");
}

#define KAPPA "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5"

TEST(empty_and_valid) {
  text = "";
  text_len = 0;
  run_case("6.1.1", s_whole, 0, NULL, CLEAN);
  run_case("6.1.2", s_empty_fragments, 0, NULL, CLEAN);
  text = "middle frame payload";
  text_len = strlen(text);
  run_case("6.1.3", s_empty_fragments, 0, NULL, CLEAN);
  text =
      "Hello-\xc2\xb5@\xc3\x9f\xc3\xb6\xc3\xa4\xc3\xbc\xc3\xa0\xc3\xa1"
      "-UTF-8!!";
  text_len = strlen(text);
  run_case("6.2.1", s_whole, 0, NULL, CLEAN);
  run_case("6.2.2", s_two, 0, NULL, CLEAN);
  run_case("6.2.3", s_octets, 0, NULL, CLEAN);
  text = KAPPA;
  text_len = strlen(text);
  run_case("6.2.4", s_octets, 0, NULL, CLEAN);
  run_case("6.2.4 octet writes", s_octets, 1, NULL, CLEAN);
}

static void s_bad_whole(void) {
  frame(0x81, text, text_len);
  close_frame(LODE_WEBSOCKET_CLOSE_NORMAL, "");
}

static void s_bad_octets(void) {
  size_t cuts[256];
  for (size_t i = 0; i < text_len; i++)
    cuts[i] = i + 1;
  fragments(text, cuts, text_len);
  close_frame(LODE_WEBSOCKET_CLOSE_NORMAL, "");
}

TEST(invalid_text) {
  text = KAPPA
      "\xed\xa0\x80"
      "edited";
  text_len = strlen(text);
  run_case("6.3.1", s_bad_whole, 0, "C:1007:", BAD_UTF8);
  run_case("6.3.2", s_bad_octets, 0, "C:1007:", BAD_UTF8);
  run_case("6.3.2 octet writes", s_bad_octets, 1, "C:1007:", BAD_UTF8);
}

/* 6.4.x: KAPPA, then U+110000 as the UTF-8 scheme would write it (F4 90
 * 80 80, invalid at the 90), then "edited"; no close from the peer, so
 * lode must fail on its own, at the 90. */
#define PAYLOAD_6_4                                                            \
  KAPPA                                                                        \
  "\xf4\x90\x80\x80"                                                           \
  "edited"

static void s_6_4_1(void) {
  frame(0x01, KAPPA, 11);
  frame(0x00, "\xf4\x90\x80\x80", 4);
  bad_wire = R.script.len - 3;
  frame(0x80, "edited", 6);
}

static void s_6_4_2(void) {
  frame(0x01, PAYLOAD_6_4, 12);
  frame(0x00, "\x90", 1);
  bad_wire = R.script.len - 1;
  frame(0x80, PAYLOAD_6_4 + 13, 8);
}

static void s_6_4_3(void) {
  frame(0x81, PAYLOAD_6_4, 21);
  bad_wire = R.script.len - 21 + 12;
}

TEST(fail_fast) {
  run_fed("6.4.1", s_6_4_1, "C:1007:", BAD_UTF8);
  run_fed("6.4.2", s_6_4_2, "C:1007:", BAD_UTF8);
  run_fed("6.4.3/6.4.4", s_6_4_3, "C:1007:", BAD_UTF8);
  /* Sent whole, the fragments after the bad one are never looked at. */
  run_case("6.4.1 whole", s_6_4_1, 0, "C:1007:", BAD_UTF8);
  run_case("6.4.3 octets", s_6_4_3, 1, "C:1007:", BAD_UTF8);
}

typedef struct vec_s {
  const char* name;
  const char* p;
  size_t n;
  int bad; /* first bad byte; n: unfinished at the end; -1: valid */
} vec_t;

static const vec_t vectors[] = {
  { "6.5.1", "\x68\x65\x6c\x6c\x6f\x24\x77\x6f\x72\x6c\x64", 11, -1 },
  { "6.5.2",
    "\x68\x65\x6c\x6c\x6f\xc2\xa2\x77\x6f\x72\x6c"
    "\x64",
    12, -1 },
  { "6.5.3",
    "\x68\x65\x6c\x6c\x6f\xe2\x82\xac\x77\x6f\x72"
    "\x6c\x64",
    13, -1 },
  { "6.5.4",
    "\x68\x65\x6c\x6c\x6f\xf0\xa4\xad\xa2\x77\x6f"
    "\x72\x6c\x64",
    14, -1 },
  { "6.5.5", "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5", 11, -1 },
  { "6.6.1", "\xce", 1, 1 },
  { "6.6.2", "\xce\xba", 2, -1 },
  { "6.6.3", "\xce\xba\xe1", 3, 3 },
  { "6.6.4", "\xce\xba\xe1\xbd", 4, 4 },
  { "6.6.5", "\xce\xba\xe1\xbd\xb9", 5, -1 },
  { "6.6.6", "\xce\xba\xe1\xbd\xb9\xcf", 6, 6 },
  { "6.6.7", "\xce\xba\xe1\xbd\xb9\xcf\x83", 7, -1 },
  { "6.6.8", "\xce\xba\xe1\xbd\xb9\xcf\x83\xce", 8, 8 },
  { "6.6.9", "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc", 9, -1 },
  { "6.6.10", "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce", 10, 10 },
  { "6.6.11", "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5", 11, -1 },
  { "6.7.1", "\x00", 1, -1 },
  { "6.7.2", "\xc2\x80", 2, -1 },
  { "6.7.3", "\xe0\xa0\x80", 3, -1 },
  { "6.7.4", "\xf0\x90\x80\x80", 4, -1 },
  { "6.8.1", "\xf8\x88\x80\x80\x80", 5, 0 },
  { "6.8.2", "\xfc\x84\x80\x80\x80\x80", 6, 0 },
  { "6.9.1", "\x7f", 1, -1 },
  { "6.9.2", "\xdf\xbf", 2, -1 },
  { "6.9.3", "\xef\xbf\xbf", 3, -1 },
  { "6.9.4", "\xf4\x8f\xbf\xbf", 4, -1 },
  { "6.10.1", "\xf7\xbf\xbf\xbf", 4, 0 },
  { "6.10.2", "\xfb\xbf\xbf\xbf\xbf", 5, 0 },
  { "6.10.3", "\xfd\xbf\xbf\xbf\xbf\xbf", 6, 0 },
  { "6.11.1", "\xed\x9f\xbf", 3, -1 },
  { "6.11.2", "\xee\x80\x80", 3, -1 },
  { "6.11.3", "\xef\xbf\xbd", 3, -1 },
  { "6.11.4", "\xf4\x8f\xbf\xbf", 4, -1 },
  { "6.11.5", "\xf4\x90\x80\x80", 4, 1 },
  { "6.12.1", "\x80", 1, 0 },
  { "6.12.2", "\xbf", 1, 0 },
  { "6.12.3", "\x80\xbf", 2, 0 },
  { "6.12.4", "\x80\xbf\x80", 3, 0 },
  { "6.12.5", "\x80\xbf\x80\xbf", 4, 0 },
  { "6.12.6", "\x80\xbf\x80\xbf\x80", 5, 0 },
  { "6.12.7", "\x80\xbf\x80\xbf\x80\xbf", 6, 0 },
  { "6.12.8",
    "\x80\x81\x82\x83\x84\x85\x86\x87\x88\x89\x8a"
    "\x8b\x8c\x8d\x8e\x8f\x90\x91\x92\x93\x94\x95"
    "\x96\x97\x98\x99\x9a\x9b\x9c\x9d\x9e\x9f\xa0"
    "\xa1\xa2\xa3\xa4\xa5\xa6\xa7\xa8\xa9\xaa\xab"
    "\xac\xad\xae\xaf\xb0\xb1\xb2\xb3\xb4\xb5\xb6"
    "\xb7\xb8\xb9\xba\xbb\xbc\xbd\xbe",
    63, 0 },
  { "6.13.1",
    "\xc0\x20\xc1\x20\xc2\x20\xc3\x20\xc4\x20\xc5"
    "\x20\xc6\x20\xc7\x20\xc8\x20\xc9\x20\xca\x20"
    "\xcb\x20\xcc\x20\xcd\x20\xce\x20\xcf\x20\xd0"
    "\x20\xd1\x20\xd2\x20\xd3\x20\xd4\x20\xd5\x20"
    "\xd6\x20\xd7\x20\xd8\x20\xd9\x20\xda\x20\xdb"
    "\x20\xdc\x20\xdd\x20\xde\x20",
    62, 0 },
  { "6.13.2",
    "\xe0\x20\xe1\x20\xe2\x20\xe3\x20\xe4\x20\xe5"
    "\x20\xe6\x20\xe7\x20\xe8\x20\xe9\x20\xea\x20"
    "\xeb\x20\xec\x20\xed\x20\xee\x20",
    30, 1 },
  { "6.13.3",
    "\xf0\x20\xf1\x20\xf2\x20\xf3\x20\xf4\x20\xf5"
    "\x20\xf6\x20",
    14, 1 },
  { "6.13.4", "\xf8\x20\xf9\x20\xfa\x20", 6, 0 },
  { "6.13.5", "\xfc\x20", 2, 0 },
  { "6.14.1", "\xc0", 1, 0 },
  { "6.14.2", "\xe0\x80", 2, 1 },
  { "6.14.3", "\xf0\x80\x80", 3, 1 },
  { "6.14.4", "\xf8\x80\x80\x80", 4, 0 },
  { "6.14.5", "\xfc\x80\x80\x80\x80", 5, 0 },
  { "6.14.6", "\xdf", 1, 1 },
  { "6.14.7", "\xef\xbf", 2, 2 },
  { "6.14.8", "\xf7\xbf\xbf", 3, 0 },
  { "6.14.9", "\xfb\xbf\xbf\xbf", 4, 0 },
  { "6.14.10", "\xfd\xbf\xbf\xbf\xbf", 5, 0 },
  { "6.15.1",
    "\xc0\xe0\x80\xf0\x80\x80\xf8\x80\x80\x80\xfc"
    "\x80\x80\x80\x80\xdf\xef\xbf\xf7\xbf\xbf\xfb"
    "\xbf\xbf\xbf\xfd\xbf\xbf\xbf\xbf",
    30, 0 },
  { "6.16.1", "\xfe", 1, 0 },
  { "6.16.2", "\xff", 1, 0 },
  { "6.16.3", "\xfe\xfe\xff\xff", 4, 0 },
  { "6.17.1", "\xc0\xaf", 2, 0 },
  { "6.17.2", "\xe0\x80\xaf", 3, 1 },
  { "6.17.3", "\xf0\x80\x80\xaf", 4, 1 },
  { "6.17.4", "\xf8\x80\x80\x80\xaf", 5, 0 },
  { "6.17.5", "\xfc\x80\x80\x80\x80\xaf", 6, 0 },
  { "6.18.1", "\xc1\xbf", 2, 0 },
  { "6.18.2", "\xe0\x9f\xbf", 3, 1 },
  { "6.18.3", "\xf0\x8f\xbf\xbf", 4, 1 },
  { "6.18.4", "\xf8\x87\xbf\xbf\xbf", 5, 0 },
  { "6.18.5", "\xfc\x83\xbf\xbf\xbf\xbf", 6, 0 },
  { "6.19.1", "\xc0\x80", 2, 0 },
  { "6.19.2", "\xe0\x80\x80", 3, 1 },
  { "6.19.3", "\xf0\x80\x80\x80", 4, 1 },
  { "6.19.4", "\xf8\x80\x80\x80\x80", 5, 0 },
  { "6.19.5", "\xfc\x80\x80\x80\x80\x80", 6, 0 },
  { "6.20.1", "\xed\xa0\x80", 3, 1 },
  { "6.20.2", "\xed\xad\xbf", 3, 1 },
  { "6.20.3", "\xed\xae\x80", 3, 1 },
  { "6.20.4", "\xed\xaf\xbf", 3, 1 },
  { "6.20.5", "\xed\xb0\x80", 3, 1 },
  { "6.20.6", "\xed\xbe\x80", 3, 1 },
  { "6.20.7", "\xed\xbf\xbf", 3, 1 },
  { "6.21.1", "\xed\xa0\x80\xed\xb0\x80", 6, 1 },
  { "6.21.2", "\xed\xa0\x80\xed\xbf\xbf", 6, 1 },
  { "6.21.3", "\xed\xad\xbf\xed\xb0\x80", 6, 1 },
  { "6.21.4", "\xed\xad\xbf\xed\xbf\xbf", 6, 1 },
  { "6.21.5", "\xed\xae\x80\xed\xb0\x80", 6, 1 },
  { "6.21.6", "\xed\xae\x80\xed\xbf\xbf", 6, 1 },
  { "6.21.7", "\xed\xaf\xbf\xed\xb0\x80", 6, 1 },
  { "6.21.8", "\xed\xaf\xbf\xed\xbf\xbf", 6, 1 },
  { "6.22.1", "\xef\xbf\xbe", 3, -1 },
  { "6.22.2", "\xef\xbf\xbf", 3, -1 },
  { "6.22.3", "\xf0\x9f\xbf\xbe", 4, -1 },
  { "6.22.4", "\xf0\x9f\xbf\xbf", 4, -1 },
  { "6.22.5", "\xf0\xaf\xbf\xbe", 4, -1 },
  { "6.22.6", "\xf0\xaf\xbf\xbf", 4, -1 },
  { "6.22.7", "\xf0\xbf\xbf\xbe", 4, -1 },
  { "6.22.8", "\xf0\xbf\xbf\xbf", 4, -1 },
  { "6.22.9", "\xf1\x8f\xbf\xbe", 4, -1 },
  { "6.22.10", "\xf1\x8f\xbf\xbf", 4, -1 },
  { "6.22.11", "\xf1\x9f\xbf\xbe", 4, -1 },
  { "6.22.12", "\xf1\x9f\xbf\xbf", 4, -1 },
  { "6.22.13", "\xf1\xaf\xbf\xbe", 4, -1 },
  { "6.22.14", "\xf1\xaf\xbf\xbf", 4, -1 },
  { "6.22.15", "\xf1\xbf\xbf\xbe", 4, -1 },
  { "6.22.16", "\xf1\xbf\xbf\xbf", 4, -1 },
  { "6.22.17", "\xf2\x8f\xbf\xbe", 4, -1 },
  { "6.22.18", "\xf2\x8f\xbf\xbf", 4, -1 },
  { "6.22.19", "\xf2\x9f\xbf\xbe", 4, -1 },
  { "6.22.20", "\xf2\x9f\xbf\xbf", 4, -1 },
  { "6.22.21", "\xf2\xaf\xbf\xbe", 4, -1 },
  { "6.22.22", "\xf2\xaf\xbf\xbf", 4, -1 },
  { "6.22.23", "\xf2\xbf\xbf\xbe", 4, -1 },
  { "6.22.24", "\xf2\xbf\xbf\xbf", 4, -1 },
  { "6.22.25", "\xf3\x8f\xbf\xbe", 4, -1 },
  { "6.22.26", "\xf3\x8f\xbf\xbf", 4, -1 },
  { "6.22.27", "\xf3\x9f\xbf\xbe", 4, -1 },
  { "6.22.28", "\xf3\x9f\xbf\xbf", 4, -1 },
  { "6.22.29", "\xf3\xaf\xbf\xbe", 4, -1 },
  { "6.22.30", "\xf3\xaf\xbf\xbf", 4, -1 },
  { "6.22.31", "\xf3\xbf\xbf\xbe", 4, -1 },
  { "6.22.32", "\xf3\xbf\xbf\xbf", 4, -1 },
  { "6.22.33", "\xf4\x8f\xbf\xbe", 4, -1 },
  { "6.22.34", "\xf4\x8f\xbf\xbf", 4, -1 },
  { "6.23.1", "\xef\xbf\xb9", 3, -1 },
  { "6.23.2", "\xef\xbf\xba", 3, -1 },
  { "6.23.3", "\xef\xbf\xbb", 3, -1 },
  { "6.23.4", "\xef\xbf\xbc", 3, -1 },
  { "6.23.5", "\xef\xbf\xbd", 3, -1 },
  { "6.23.6", "\xef\xbf\xbe", 3, -1 },
  { "6.23.7", "\xef\xbf\xbf", 3, -1 },
};

static const vec_t* vec;

static void s_vec(void) {
  frame(0x81, vec->p, vec->n);
  if (vec->bad >= 0)
    bad_wire = R.script.len - vec->n +
               (size_t) (vec->bad < (int) vec->n ? vec->bad : vec->bad - 1);
  else
    expect(1, vec->p, vec->n);
  close_frame(LODE_WEBSOCKET_CLOSE_NORMAL, "");
}

static void s_vec_octets(void) {
  for (size_t i = 0; i < vec->n; i++) {
    frame((i == 0 ? 0x01 : 0x00) | (i + 1 == vec->n ? 0x80 : 0), vec->p + i, 1);
    if (vec->bad >= 0 && (i == (size_t) vec->bad ||
                          (vec->bad == (int) vec->n && i + 1 == vec->n)))
      bad_wire = R.script.len - 1;
  }
  if (vec->bad < 0)
    expect(1, vec->p, vec->n);
  close_frame(LODE_WEBSOCKET_CLOSE_NORMAL, "");
}

TEST(vectors) {
  for (size_t i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
    vec = &vectors[i];
    const char* r = vec->bad >= 0 ? "C:1007:" : NULL;
    const char* ev = vec->bad >= 0 ? BAD_UTF8 : CLEAN;
    run_case(vec->name, s_vec, 0, r, ev);
    run_case(vec->name, s_vec_octets, 0, r, ev);
    run_fed(vec->name, s_vec, r, ev);
    run_fed(vec->name, s_vec_octets, r, ev);
  }
}

TEST_MAIN(empty_and_valid, invalid_text, fail_fast, vectors)
