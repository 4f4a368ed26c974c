/* Differential test against the llhttp inside Node: a few thousand
 * inputs made deterministically from the corpus and lode's own seeds (byte
 * flips, insertions of the bytes that matter, deletions, line splices),
 * judged by both parsers; the verdicts (number of complete messages,
 * error code, error offset) must agree, except where one of the known
 * llhttp 9.3/9.4 differences below is proven to explain it. */
#include "test.h"
#include "json-mini.h"
#include "driver.h"

#define MAX_INPUTS 3000

typedef struct {
  unsigned char* data;
  size_t len;
  int type;
  unsigned lenient;
} input_t;

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

static const char interesting[] = "\r\n \t:,;0a\"=\\\x00\x7f\xff-9";

static void mutate(const input_t* from, input_t* to) {
  size_t n = from->len;
  to->data = malloc(n + 64);
  memcpy(to->data, from->data, n);
  to->type = from->type;
  to->lenient = (next_rand() % 4 == 0) ? LODE_HTTP_LENIENT_ALL : 0;
  int edits = 1 + (int) (next_rand() % 3);
  for (int i = 0; i < edits && n > 0; i++) {
    size_t at = next_rand() % n;
    unsigned char b = (unsigned char)
        interesting[next_rand() % (sizeof(interesting) - 1)];
    switch (next_rand() % 4) {
      case 0: to->data[at] = b; break;
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
  if (text == NULL) return n;
  const char* cur = text;
  json_t* all = json_value(&cur);
  for (json_t* c = all->child; c != NULL && n < max; c = c->next) {
    const char* type = json_str(json_get(c, "meta"), "type");
    if (type == NULL) continue;
    const char* b64 = json_str(c, "input_b64");
    base[n].data = malloc(strlen(b64) + 1);
    base[n].len = base64_decode(b64, base[n].data);
    base[n].type = type[2] == 'q' ? LODE_HTTP_REQUEST : LODE_HTTP_RESPONSE;
    base[n++].lenient = 0;
  }
  json_free(all);
  free(text);
  return n;
}

/* lode's verdict in Node's words: "<messages> <code> <offset>". */
static void lode_verdict(const input_t* in, char* out, size_t size) {
  drv_opts_t o = { .type = in->type, .lenient = in->lenient };
  drv_result_t r;
  drv_run(&o, in->data, in->len, 0, 0, &r);
  const char* name = "OK";
#define NAME_(n, value, msg) if (r.error == (value)) name = #n;
  LODE_HPE_MAP(NAME_)
#undef NAME_
  snprintf(out, size, "%d %s %zu", r.messages, name,
           r.error ? r.error_at : in->len);
  drv_free(&r);
}

/* ---- llhttp 9.3 (Node 20) against 9.4 (lode, llhttp's corpus) ---------
 * Each difference is a rewrite of the input that makes 9.4 read it as 9.3
 * does: an input is excused only when lode's verdict on the rewritten
 * input is exactly Node's verdict on the original (messages, code and
 * offset), so the difference is proven to be that construct and nothing
 * else. A rewrite returns 0 when the input has no such construct. */

static int lower_eq(const unsigned char* s, const unsigned char* e,
                    const char* word) {
  size_t n = strlen(word);
  if ((size_t) (e - s) < n) return 0;
  for (size_t i = 0; i < n; i++)
    if ((s[i] | 0x20) != word[i]) return 0;
  return 1;
}

/* Calls fix(value start, line end) for each header line named `name`. */
static int each_header(input_t* in, const char* name,
                       int (*fix)(unsigned char*, unsigned char*)) {
  unsigned char* s = in->data;
  unsigned char* e = s + in->len;
  int changed = 0;
  for (unsigned char* q = s; q < e; q++) {
    if (q != s && q[-1] != '\n') continue;
    size_t n = strlen(name);
    if (!lower_eq(q, e, name) || q + n >= e || q[n] != ':') continue;
    unsigned char* end = q + n + 1;
    while (end < e && *end != '\r' && *end != '\n') end++;
    changed |= fix(q + n + 1, end);
  }
  return changed;
}

/* 9.3 refuses HTAB in the whitespace after a Content-Length value
 * ("Invalid character in Content-Length" at the tab); 9.4 allows it. */
static int cl_tab(unsigned char* v, unsigned char* end) {
  while (v < end && (*v == ' ' || *v == '\t')) v++;
  while (v < end && *v >= '0' && *v <= '9') v++;
  for (; v < end && (*v == ' ' || *v == '\t'); v++)
    if (*v == '\t') {
      *v = 'x';  /* what 9.4 refuses the same way */
      return 1;
    }
  return 0;
}

/* 9.3 does not know a Connection keyword followed by HTAB ("close\t") and
 * takes it as some other token; 9.4 trims the HTAB. */
static int conn_tab(unsigned char* v, unsigned char* end) {
  static const char* kw[] = { "close", "keep-alive", "upgrade" };
  int changed = 0;
  for (unsigned char* q = v; q < end; q++) {
    if (q != v && q[-1] != ' ' && q[-1] != '\t' && q[-1] != ',') continue;
    for (int k = 0; k < 3; k++) {
      if (!lower_eq(q, end, kw[k])) continue;
      unsigned char* t = q + strlen(kw[k]);
      while (t < end && *t == ' ') t++;
      if (t < end && *t == '\t') {
        *t = 'x';  /* another token for 9.4 too */
        changed = 1;
      }
    }
  }
  return changed;
}

static int rewrite_cl_tab(input_t* in) {
  return each_header(in, "content-length", cl_tab);
}

static int rewrite_conn_tab(input_t* in) {
  return each_header(in, "connection", conn_tab) |
         each_header(in, "proxy-connection", conn_tab);
}

/* 9.3 takes "\r\r" at the end of a status line as its line end; 9.4 wants
 * the LF (STRICT "Expected LF after CR"). */
static int rewrite_status_crcr(input_t* in) {
  if (in->type != LODE_HTTP_RESPONSE) return 0;
  for (size_t i = 0; i + 1 < in->len && in->data[i] != '\n'; i++)
    if (in->data[i] == '\r') {
      if (in->data[i + 1] != '\r') return 0;
      in->data[i + 1] = '\n';
      return 1;
    }
  return 0;
}

static const struct {
  int (*rewrite)(input_t* in);
  const char* why;
} differences[] = {
  { rewrite_cl_tab, "HTAB after a Content-Length value" },
  { rewrite_conn_tab, "HTAB after a Connection keyword" },
  { rewrite_status_crcr, "CR CR ending a status line" },
};
#define NDIFF (sizeof(differences) / sizeof(differences[0]))

/* Which known difference explains Node's verdict `node` on `in`, or -1. */
static int known_difference(const input_t* in, const char* node) {
  for (size_t d = 0; d < NDIFF; d++) {
    input_t copy = *in;
    copy.data = malloc(in->len ? in->len : 1);
    memcpy(copy.data, in->data, in->len);
    char mine[64];
    int explained = differences[d].rewrite(&copy) &&
                    (lode_verdict(&copy, mine, sizeof(mine)),
                     strcmp(mine, node) == 0);
    free(copy.data);
    if (explained) return (int) d;
  }
  return -1;
}

TEST(against_node_llhttp) {
  static input_t base[400], all[MAX_INPUTS];
  int nbase = load_seeds(base, 400), n = 0;
  for (int i = 0; i < nbase && n < MAX_INPUTS; i++) all[n++] = base[i];
  while (n < MAX_INPUTS) mutate(&base[next_rand() % nbase], &all[n++]);
  /* One file of records for one Node process. */
  char path[] = "/tmp/lode-parser-diff-XXXXXX";
  int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  FILE* f = fdopen(fd, "wb");
  for (int i = 0; i < n; i++) {
    unsigned char hdr[9] = { all[i].type == LODE_HTTP_REQUEST ? 'q' : 's' };
    for (int k = 0; k < 4; k++) {
      hdr[1 + k] = (unsigned char) (all[i].lenient >> (8 * k));
      hdr[5 + k] = (unsigned char) (all[i].len >> (8 * k));
    }
    fwrite(hdr, 1, 9, f);
    fwrite(all[i].data, 1, all[i].len, f);
  }
  fclose(f);
  const char* argv[] = { "node", "test/peers/llhttp-verdicts.js", path, NULL };
  test_peer_t* peer = test_peer_start(argv);
  char* out = NULL;
  ASSERT_EQ(test_peer_finish(peer, 60000, &out), 0);
  unlink(path);
  char* line = out;
  int agree = 0, known = 0, differ = 0, by_kind[NDIFF] = { 0 };
  for (int i = 0; i < n; i++) {
    char* nl = strchr(line, '\n');
    ASSERT_NOT_NULL(nl);
    *nl = 0;
    char mine[64];
    int d;
    lode_verdict(&all[i], mine, sizeof(mine));
    if (strcmp(mine, line) == 0) {
      agree++;
    } else if ((d = known_difference(&all[i], line)) >= 0) {
      known++;
      by_kind[d]++;
    } else {
      if (++differ <= 10) {
        fprintf(stderr, "input %d (%s, lenient %x): llhttp %s, lode %s\n",
                i, all[i].type == LODE_HTTP_REQUEST ? "request" : "response",
                all[i].lenient, line, mine);
        fwrite(all[i].data, 1, all[i].len, stderr);
        fprintf(stderr, "\n----\n");
      }
    }
    line = nl + 1;
  }
  printf("differential: %d inputs, %d agree, %d known differences, "
         "%d unexplained\n", n, agree, known, differ);
  for (size_t k = 0; k < NDIFF; k++)
    printf("  llhttp 9.3 vs 9.4, %s: %d\n", differences[k].why, by_kind[k]);
  free(out);
  for (int i = 0; i < n; i++) free(all[i].data);
  ASSERT_EQ(differ, 0);
}

TEST_MAIN(against_node_llhttp)
