/* Differential test against the llhttp inside Node: a few thousand
 * inputs made deterministically from llhttp's corpus and lode's own seeds
 * (byte flips, insertions of the bytes that matter, deletions, line
 * splices), judged by both parsers; the verdicts (number of complete
 * messages, error code, error offset) must agree, except where one of the
 * known llhttp 9.3/9.4 differences (verdict.h) is proven to explain it.
 * llhttp's corpus (shared/spec/parser beside the clone) must be there:
 * without it the inputs would be other ones. Then the differences the
 * fuzzers found, each with the verdict it must get. */
#include "test.h"
#include "json-mini.h"
#include "driver.h"
#include "verdict.h"

#define MAX_INPUTS 3000

typedef verdict_input_t input_t;

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint32_t next_rand(void) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return (uint32_t) (rng >> 16);
}

static const char* seeds[] = {
  "qGET /a HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
  "qPOST /p HTTP/1.1\r\nContent-Length: 4\r\n\r\nbodyGET / HTTP/1.1\r\n\r\n",
  "qPOST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
  "4;x=y\r\nabcd\r\n0\r\nT: v\r\n\r\n",
  "sHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
  "sHTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n",
  "sHTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n",
  "qGET /ws HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n",
};

static const char interesting[] = "\r\n \t:,;0a\"=\\\x00\x7f\xff-9\f\x0b";

/* Lenient flags: none, all, or some (each flag by itself matters). Not
 * HEADER_VALUE_RELAXED: Node 20's llhttp (9.3) has no such flag. */
static unsigned some_lenient(void) {
  switch (next_rand() % 4) {
    case 0:
      return LODE_HTTP_LENIENT_ALL;
    case 1:
      return next_rand() & LODE_HTTP_LENIENT_ALL;
    default:
      return 0;
  }
}

static void mutate(const input_t* from, input_t* to) {
  size_t n = from->len;
  to->data = malloc(n + 64 + 300);
  memcpy(to->data, from->data, n);
  to->type = from->type;
  to->lenient = some_lenient();
  /* a quarter with Node's smallest useful limit, and a run of bytes long
   * enough to pass it somewhere */
  if (next_rand() % 4 == 0) {
    to->max_header_size = 256;
    if (n > 0) {
      size_t at = next_rand() % n;
      memmove(to->data + at + 300, to->data + at, n - at);
      memset(to->data + at, "xa 0"[next_rand() % 4], 300);
      n += 300;
    }
  }
  int edits = 1 + (int) (next_rand() % 3);
  for (int i = 0; i < edits && n > 0; i++) {
    size_t at = next_rand() % n;
    unsigned char b = (unsigned char)
        interesting[next_rand() % (sizeof(interesting) - 1)];
    switch (next_rand() % 4) {
      case 0:
        to->data[at] = b;
        break;
      case 1:
        memmove(to->data + at + 1, to->data + at, n - at);
        to->data[at] = b;
        n++;
        break;
      case 2:
        memmove(to->data + at, to->data + at + 1, n - at - 1);
        n--;
        break;
      default:
        to->data[at] ^= (unsigned char) (1u << (next_rand() % 8));
    }
  }
  to->len = n;
}

static int load_seeds(input_t* base, int max) {
  int n = 0;
  for (size_t i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++) {
    base[n].type = seeds[i][0] == 'q' ? LODE_HTTP_REQUEST : LODE_HTTP_RESPONSE;
    base[n].len = strlen(seeds[i] + 1);
    base[n].data = malloc(base[n].len);
    memcpy(base[n].data, seeds[i] + 1, base[n].len);
    base[n++].lenient = 0;
  }
  const char* src = getenv("LODE_SOURCE_DIR");
  char path[4096];
  snprintf(path, sizeof(path), "%s/../shared/spec/parser/llhttp-cases.json",
           src ? src : ".");
  char* text = read_file(path, NULL);
  if (text == NULL) {
    fprintf(stderr, "%s is missing (shared/ belongs beside the clone)\n", path);
    ASSERT_NOT_NULL(text);
  }
  const char* cur = text;
  json_t* all = json_value(&cur);
  for (json_t* c = all->child; c != NULL && n < max; c = c->next) {
    const char* type = json_str(json_get(c, "meta"), "type");
    if (type == NULL)
      continue;
    const char* b64 = json_str(c, "input_b64");
    base[n].data = malloc(strlen(b64) + 1);
    base[n].len = base64_decode(b64, base[n].data);
    base[n].type = type[2] == 'q' ? LODE_HTTP_REQUEST : LODE_HTTP_RESPONSE;
    base[n++].lenient = 0;
  }
  json_free(all);
  free(text);
  ASSERT_GT(n, (int) (sizeof(seeds) / sizeof(seeds[0])) + 200);
  return n;
}

/* Node's verdicts on all[0..n), one line each, in *out (to free). */
static char* node_verdicts(const input_t* all, int n) {
  char path[] = "/tmp/lode-parser-diff-XXXXXX";
  int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  FILE* f = fdopen(fd, "wb");
  for (int i = 0; i < n; i++)
    verdict_record(f, &all[i]);
  fclose(f);
  const char* argv[] = { "node", "test/peers/llhttp-verdicts.js", path, NULL };
  test_peer_t* peer = test_peer_start(argv);
  char* out = NULL;
  ASSERT_EQ(test_peer_finish(peer, 60000, &out), 0);
  unlink(path);
  return out;
}

/* Judges one input against Node's verdict line: 0 agree, 1 + the known
 * difference that explains it, or -1. */
static int judge(const input_t* in, const char* node) {
  char mine[64];
  verdict_lode(in, mine, sizeof(mine));
  if (strcmp(mine, node) == 0)
    return 0;
  int d = verdict_known_difference(in, node);
  return d >= 0 ? 1 + d : -1;
}

static void show(const input_t* in, const char* node, const char* what) {
  char mine[64];
  verdict_lode(in, mine, sizeof(mine));
  fprintf(stderr, "%s (%s, lenient %x, max header %zu): llhttp %s, lode %s\n",
          what, in->type == LODE_HTTP_REQUEST ? "request" : "response",
          in->lenient, in->max_header_size, node, mine);
  fwrite(in->data, 1, in->len, stderr);
  fprintf(stderr, "\n----\n");
}

TEST(against_node_llhttp) {
  static input_t base[400], all[MAX_INPUTS];
  int nbase = load_seeds(base, 400), n = 0;
  for (int i = 0; i < nbase && n < MAX_INPUTS; i++)
    all[n++] = base[i];
  while (n < MAX_INPUTS)
    mutate(&base[next_rand() % nbase], &all[n++]);
  char* out = node_verdicts(all, n);
  char* line = out;
  int agree = 0, known = 0, differ = 0, by_kind[VERDICT_NDIFF] = { 0 };
  for (int i = 0; i < n; i++) {
    char* nl = strchr(line, '\n');
    ASSERT_NOT_NULL(nl);
    *nl = 0;
    int j = judge(&all[i], line);
    if (j == 0) {
      agree++;
    } else if (j > 0) {
      known++;
      by_kind[j - 1]++;
    } else if (++differ <= 10) {
      char what[32];
      snprintf(what, sizeof(what), "input %d", i);
      show(&all[i], line, what);
    }
    line = nl + 1;
  }
  printf(
      "differential: %d inputs, %d agree, %d known differences, "
      "%d unexplained\n",
      n, agree, known, differ);
  for (size_t k = 0; k < VERDICT_NDIFF; k++)
    printf("  llhttp 9.3 vs 9.4, %s: %d\n", verdict_differences[k].why,
           by_kind[k]);
  free(out);
  for (int i = 0; i < n; i++)
    free(all[i].data);
  ASSERT_EQ(differ, 0);
}

/* Inputs where lode and llhttp once differed, in fuzz-parser-http's form
 * (mode byte, piece byte, bytes; see verdict_from_fuzz), and what they
 * must get: 0 the same verdict as Node, or 1 + the known 9.3/9.4
 * difference that explains Node's. */
#define R_(s)                                                                  \
  { (const unsigned char*) (s), sizeof(s) - 1 }
#define X68                                                                    \
  "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
#define X272 X68 X68 X68 X68 /* over the 256-byte limit */
static const struct {
  struct {
    const unsigned char* s;
    size_t n;
  } in;
  int want;
} regressions[] = {
  /* 9.3's refusal of HTAB after a Content-Length value, the value on a
   * line folded after a bare CR */
  { R_("\x40\x00GET http://TTP/1.0M\nXnec$on: keep-alive\r\n"
       "Content-Length:\t\t\r\t\t9\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t"
       "\n*/2 \r\nT5"),
    1 },
  /* ...and on a header line after a status line ended by a bare CR */
  { R_("\x41\x00HTTP/1.1 204 OK\r\nX: a\r\n b\r\nContent-Length: 0\r\n\r\n"
       "HTTP/1.1 200 OK\rContent-Length:  1\t\r\n\r\nx"),
    1 },
  /* 9.3's unknown Connection keyword before HTAB, on a folded line */
  { R_("\xe0\x00GET /demo HTTP/1.1\r\nConnection: closeHost: example.com\r"
       "\nConnection: Something,\r\n Upgrade\t, ,Keep-Alive\r\nSec-WebSock"
       "et-Key2: 12998 5 Y3 1  .P00\r\nSec-WebSocket-Protocol: sample\r\nU"
       "pgrade: WebSocket\r\nSec-WebSocket-Key1:\r\n\r\n 4 @1  46546xW%0l "
       "1 5\r\nOrigin: http://example.com\r\n\r\nHot diggity dogg"),
    1 + 1 },
  /* a span over maxHeaderSize ended by a bare LF: the overflow first */
  { R_("\x81\x00HTTP/1.1 200 " X272 "\n\r\n"), 0 },
  { R_("\x81\x00HTTP/1.1 200 OK\r\nX: " X272 "\n\r\n"), 0 },
  { R_("\x80\x00GET / HTTP/1.1\r\nX: " X272 "\n\r\n"), 0 },
  /* ...and ended by a byte no value may hold: the overflow first too */
  { R_("\x80\x00GET / HTTP/1.1\r\nX: " X272 "\x7fxx\n\r\n"), 0 },
  /* the spaces before a special name's colon (lenient) count with it */
  { R_("\xe6\x00PUT /url HTTP/1.1\r\nConnectionraderaderaderaderaderaderad"
       "eraderaderaderaderaderaderaderaderaderaderaderaderaderaderaderader"
       "aderaderaderaderaderaderaderaderaderaderaderaderaderaderad0raderad"
       "eraderaderaderaderaderaderaderaderaderaderade: upgrade\r\nContent-"
       "Length : 4\r\nUpgrade: PUT /uws\r\n\r\nabcdefgh"),
    0 },
  /* ...and so do those of a special name that fails on them (strict) */
  { R_("\x84\x00PUT /url HTTP/1.1\r\nConnectionraderaderaderaderaderaderad"
       "eraderaderaderaderaderaderaderaderaderaderaderaderaderaderaderader"
       "aderaderaderaderaderaderaderaderaderaderaderaderaderaderad0Content"
       "-Length: raderaderaderad0eraderaderaderaderaderaderaderaderade: up"
       "grade\r\nContent-Length : 4\r\nUpgrade: PUT /uws\r\n\r\nabcdefgh"),
    0 },
  /* 9.3's CR CR ending a status line: a later response's, and the first
   * one's after empty lines */
  { R_("\x41\x00HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n\r\n"
       "HTTP/1.1 204 OK\r\rFoo, y\r\n\r\n"),
    1 + 2 },
  { R_("\x41\x00\r\nHTTP/1.1 204 OK\r\rX: y\r\n\r\n"), 1 + 2 },
  { R_("\x09\x00RTSP/1.1 200 OK\r\r\n"), 1 + 2 },
  /* HTAB or FF right after the URL's space or line end is the URL's */
  { R_("\x00\x00GET /a \tTTP/1.1\r\nHost: x\r\nConnecton: close\r\n\r\n"), 0 },
  { R_("\x40\x00GET /a \tTTP/1.1\r\nHost: x\r\nConnecton: close\r\n\r\n"), 0 },
  { R_("\x00\x00GET /a \fHTTP/1.1\r\n\r\n"), 0 },
  { R_("\x00\x00"
       "CONNECT a:1 \tHTTP/1.1\r\n\r\n"),
    0 },
  { R_("\x00\x00GET /a\r\n\tX: y\r\n\r\n"), 0 },
  { R_("\x40\x00GET /a\n\fX: y\r\n\r\n"), 0 },
  { R_("\x00\x00GET /a  \tHTTP/1.1\r\n\r\n"), 0 },
  /* a 1xx other than 101 has no body for Node's client (nor for lode's
   * parser when nobody answers the head), whatever its Content-Length */
  { R_("\xa1\x00HTTP/1.1 104 NP/1.1otModified\r\nContent-Length: 10\r\n"
       "\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"),
    0 },
  /* a message that does not keep the connection alive but goes on
   * (LENIENT_KEEP_ALIVE) carries its unused Content-Length (here a 1xx's
   * skipped body) into the next one's, as llhttp's content_length */
  { R_("\x41\x00HTTP/1.0 104 NP/1.1oModified\r\nContent-Length: 10\r\n\r\n\r"
       "\nHTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"),
    0 },
  /* errors that end a Content-Length or Transfer-Encoding value's span:
   * an overflow of the span first */
  { R_("\xd5\x00HTTP/1.1 500 Ori\xebntatieeemeemeemeemeemeemeemeemeemeemee"
       "meemeemeemeemeemeemeemeemeemeemeemeemeemeemeemeemeemeemeemeemeemee"
       "meemeemeemeemeemeemeemeemeemeemeemeemeemeemeemeemeemeemeemeemeemee"
       "meeContent-Length: meemeemprobleem\r\nDat: Fri 5 Nov 2010 23:07"
       "\x7f:12 GMT+2\r\nContent-Length: 0-\nCoi, 5 Nonnection: close\r\n"
       "\r\n"),
    0 },
  { R_("\x80\x00GET / HTTP/1.1\r\nX: yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy"
       "yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy"
       "yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy"
       "yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy\r\nC"
       "ontent-Length: 99999999999999999999999\r\n\r\n"),
    0 },
  { R_("\x80\x00GET / HTTP/1.1\r\nX: yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy"
       "yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy"
       "yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy"
       "yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy\r\nC"
       "ontent-Length: 12345678901234x\r\n\r\n"),
    0 },
  { R_("\x80\x00POST / HTTP/1.1\r\nX: yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy"
       "yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy"
       "yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy"
       "yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy\r\n"
       "Transfer-Encoding: chunked, gzip\r\n\r\n"),
    0 },
  /* 9.3's HTAB after a Content-Length value on a first header line
   * that starts with a space (lenient) */
  { R_("\x40\x00POST / HTTP/1.1\r\n Content-Length:\t42\t  \r\n\r\n"), 1 + 0 },
};
#define NREG (sizeof(regressions) / sizeof(regressions[0]))

TEST(found_differences) {
  input_t all[NREG];
  for (size_t i = 0; i < NREG; i++)
    ASSERT(
        verdict_from_fuzz(regressions[i].in.s, regressions[i].in.n, &all[i]));
  char* out = node_verdicts(all, (int) NREG);
  char* line = out;
  int bad = 0;
  for (size_t i = 0; i < NREG; i++) {
    char* nl = strchr(line, '\n');
    ASSERT_NOT_NULL(nl);
    *nl = 0;
    int j = judge(&all[i], line);
    if (j != regressions[i].want) {
      char what[64];
      snprintf(what, sizeof(what), "regression %zu: want %d, got %d", i,
               regressions[i].want, j);
      show(&all[i], line, what);
      bad++;
    }
    line = nl + 1;
    free(all[i].data);
  }
  free(out);
  ASSERT_EQ(bad, 0);
}

TEST_MAIN(against_node_llhttp, found_differences)
