/* Encodings against Node itself: test/peers/encoding-table.js prints what
 * Node answers for a table of inputs (toString, Buffer.from, the string
 * decoder over every cut of each input, encoding names), and each line is
 * checked here, so any disagreement with Node fails. */
#include "lode.h"
#include "test.h"

static size_t unhex(const char* s, size_t len, char* out) {
  if (len == 1 && s[0] == '-')
    return 0;
  for (size_t i = 0; i + 1 < len; i += 2) {
    unsigned v;
    ASSERT_EQ(sscanf(s + i, "%2x", &v), 1);
    out[i / 2] = (char) v;
  }
  return len / 2;
}

/* Splits a line into space-separated words (in place). */
static size_t split(char* line, char** w, size_t max, char sep) {
  size_t n = 0;
  for (char* p = line; n < max;) {
    w[n++] = p;
    p = strchr(p, sep);
    if (p == NULL)
      break;
    *p++ = '\0';
  }
  return n;
}

static lode_encoding_t enc_of(const char* name) {
  int e = lode_encoding_parse(name);
  ASSERT_GT(e, 0);
  return (lode_encoding_t) e;
}

static char in[4096], want[16384], got[16384];

/* Checks the length from a measuring call against the written one. */
static void check_convert(const char* line, int to_text, lode_encoding_t e,
                          const char* ihex, const char* whex) {
  size_t ilen = unhex(ihex, strlen(ihex), in);
  size_t wlen = unhex(whex, strlen(whex), want);
  lode_slice_t s = { in, ilen };
  size_t measured = to_text ? lode_encode(e, s, NULL, 0)
                            : lode_decode(e, s, NULL, 0);
  size_t n = to_text ? lode_encode(e, s, got, sizeof(got))
                     : lode_decode(e, s, got, sizeof(got));
  if (n != wlen || memcmp(got, want, n) != 0 || measured != n)
    test_fail(__FILE__, __LINE__, "%s\n  got: %s (measured %zu)", line,
              test_escape(got, n), measured);
}

static void check_decoder(const char* line, lode_encoding_t e, const char* ihex,
                          char* cuts, char* outs) {
  size_t ilen = unhex(ihex, strlen(ihex), in);
  size_t at[16], ncut = 0;
  if (strcmp(cuts, "-") != 0) {
    char* c[16];
    ncut = split(cuts, c, 15, ',');
    for (size_t i = 0; i < ncut; i++)
      at[i] = (size_t) atoi(c[i]);
  }
  at[ncut] = ilen;
  char* o[18];
  ASSERT_EQ(split(outs, o, 18, '|'), ncut + 2);
  lode_decoder_t d;
  lode_decoder_init(&d, e);
  size_t from = 0;
  for (size_t i = 0; i <= ncut + 1; i++) {
    size_t wlen = unhex(o[i], strlen(o[i]), want), n;
    if (i <= ncut) {
      ASSERT_LE(lode_decoder_max(&d, at[i] - from), sizeof(got));
      n = lode_decoder_write(&d, (lode_slice_t){ in + from, at[i] - from }, got,
                             sizeof(got));
      from = at[i];
    } else {
      n = lode_decoder_end(&d, got, sizeof(got));
    }
    if (n != wlen || memcmp(got, want, n) != 0)
      test_fail(__FILE__, __LINE__, "%s\n  piece %zu got: %s", line, i,
                test_escape(got, n));
  }
}

static void check_name(const char* line, const char* nhex, const char* c) {
  char name[64];
  size_t n = unhex(nhex, strlen(nhex), name);
  name[n] = '\0';
  int e = lode_encoding_parse(name);
  if (strcmp(c, "-") == 0) {
    if (e != LODE_ERR_UNKNOWN_ENCODING)
      test_fail(__FILE__, __LINE__, "%s", line);
  } else if (e <= 0 || strcmp(lode_encoding_name(e), c) != 0) {
    test_fail(__FILE__, __LINE__, "%s: got %d", line, e);
  }
}

static size_t check_line(char* line) {
  char copy[8192];
  snprintf(copy, sizeof(copy), "%s", line);
  char* w[6];
  size_t n = split(line, w, 6, ' ');
  if (strcmp(w[0], "to") == 0 && n == 4)
    check_convert(copy, 1, enc_of(w[1]), w[2], w[3]);
  else if (strcmp(w[0], "from") == 0 && n == 4)
    check_convert(copy, 0, enc_of(w[1]), w[2], w[3]);
  else if (strcmp(w[0], "dec") == 0 && n == 5)
    check_decoder(copy, enc_of(w[1]), w[2], w[3], w[4]);
  else if (strcmp(w[0], "name") == 0 && n == 3)
    check_name(copy, w[1], w[2]);
  else if (strcmp(w[0], "done") == 0)
    return 0;
  else
    test_fail(__FILE__, __LINE__, "bad line: %s", copy);
  return 1;
}

TEST(against_node) {
  const char* argv[] = { "node", "test/peers/encoding-table.js", NULL };
  test_peer_t* p = test_peer_start(argv);
  char* all;
  ASSERT_EQ(test_peer_finish(p, 60000, &all), 0);
  size_t checked = 0, done = 0;
  for (char* line = all; *line != '\0';) {
    char* nl = strchr(line, '\n');
    ASSERT_NOT_NULL(nl);
    *nl = '\0';
    if (check_line(line))
      checked++;
    else
      done = 1;
    line = nl + 1;
  }
  free(all);
  ASSERT(done);
  ASSERT_GT(checked, 2000);
}

TEST_MAIN(against_node)
