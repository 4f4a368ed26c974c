/* llhttp's own test corpus (shared/spec/parser/llhttp-cases.json), every
 * applicable case, fed whole, split at every byte and one byte at a time,
 * on every scanning path the CPU has, with and without merge_complete. Compared with llhttp's expected log
 * on: headers complete (method/status, version, flags, content length),
 * message complete, error (code, reason, offset) and finish. */
#include "test.h"
#include "json-mini.h"
#include "driver.h"

typedef struct {
  const char* name;
  unsigned flag;
} lenient_name_t;

static const lenient_name_t lenient_names[] = {
  { "lenient-headers", LODE_HTTP_LENIENT_HEADERS },
  { "lenient-chunked-length", LODE_HTTP_LENIENT_CHUNKED_LENGTH },
  { "lenient-keep-alive", LODE_HTTP_LENIENT_KEEP_ALIVE },
  { "lenient-transfer-encoding", LODE_HTTP_LENIENT_TRANSFER_ENCODING },
  { "lenient-version", LODE_HTTP_LENIENT_VERSION },
  { "lenient-data-after-close", LODE_HTTP_LENIENT_DATA_AFTER_CLOSE },
  { "lenient-optional-lf-after-cr", LODE_HTTP_LENIENT_OPTIONAL_LF_AFTER_CR },
  { "lenient-optional-crlf-after-chunk",
    LODE_HTTP_LENIENT_OPTIONAL_CRLF_AFTER_CHUNK },
  { "lenient-optional-cr-before-lf", LODE_HTTP_LENIENT_OPTIONAL_CR_BEFORE_LF },
  { "lenient-spaces-after-chunk-size",
    LODE_HTTP_LENIENT_SPACES_AFTER_CHUNK_SIZE },
  { "lenient-header-value-relaxed", LODE_HTTP_LENIENT_HEADER_VALUE_RELAXED },
  { "lenient-all", LODE_HTTP_LENIENT_ALL },
};

/* The lines of llhttp's log that lode reports too. */
static void expected_lines(const json_t* exp, sbuf_t* out) {
  for (const json_t* l = exp ? exp->child : NULL; l != NULL; l = l->next) {
    if (strstr(l->str, " headers complete ") ||
        strstr(l->str, " message complete") || strstr(l->str, " error code=") ||
        strstr(l->str, " finish=")) {
      sb_add(out, l->str, strlen(l->str));
      sb_add(out, "\n", 1);
    }
  }
}

static int parse_meta(const json_t* c, drv_opts_t* o) {
  const json_t* meta = json_get(c, "meta");
  const char* type = json_str(meta, "type");
  memset(o, 0, sizeof(*o));
  if (type == NULL)
    return -1;
  o->type = strncmp(type, "request", 7) == 0 ? LODE_HTTP_REQUEST
                                             : LODE_HTTP_RESPONSE;
  const char* rest = strchr(type, '-');
  if (rest != NULL && strcmp(rest + 1, "finish") == 0) {
    o->finish = 1;
  } else if (rest != NULL) {
    for (size_t i = 0; i < sizeof(lenient_names) / sizeof(lenient_names[0]);
         i++)
      if (strcmp(rest + 1, lenient_names[i].name) == 0)
        o->lenient = lenient_names[i].flag;
    if (o->lenient == 0)
      return -1;
  }
  o->skip_body = json_truthy(meta, "skipBody");
  return 0;
}

static int failures;
static int quiet; /* a first try that may fail: count, do not print */

static void report(const json_t* c, const char* mode, const char* want,
                   const char* got) {
  if (++failures > 20 || quiet)
    return;
  fprintf(stderr, "MISMATCH %s:%d %s [%s]\n--- expected\n%s--- got\n%s",
          json_str(c, "file"), (int) json_get(c, "line")->num,
          json_str(c, "name"), mode, want, got);
}

/* The corpus was extracted from llhttp's markdown tests with non-ASCII
 * characters turned into single Latin-1 bytes, while llhttp's expected
 * offsets count their UTF-8 bytes: such cases are also tried in UTF-8. */
static size_t latin1_to_utf8(unsigned char* in, size_t n) {
  unsigned char* tmp = malloc(2 * n + 1);
  size_t m = 0;
  for (size_t i = 0; i < n; i++) {
    if (in[i] < 0x80) {
      tmp[m++] = in[i];
    } else {
      tmp[m++] = (unsigned char) (0xc0 | (in[i] >> 6));
      tmp[m++] = (unsigned char) (0x80 | (in[i] & 0x3f));
    }
  }
  memcpy(in, tmp, m);
  free(tmp);
  return m;
}

static int has_high_bytes(const json_t* c) {
  const char* b64 = json_str(c, "input_b64");
  unsigned char* in = malloc(strlen(b64) + 1);
  size_t n = base64_decode(b64, in);
  int high = 0;
  for (size_t i = 0; i < n; i++)
    high |= in[i] >= 0x80;
  free(in);
  return high;
}

static int same(const sbuf_t* a, const sbuf_t* b) {
  return strcmp(a->s ? a->s : "", b->s ? b->s : "") == 0;
}

/* Whole, then split in two at every byte, then byte by byte. A whole head
 * goes through the one-pass parser and a head split after its start line
 * through the precise one: their headers (names, values, trailers) must
 * be the same as well as the log. */
static int run_case(const json_t* c, int level, int utf8, int merge) {
  drv_opts_t o;
  if (parse_meta(c, &o) < 0)
    return -1;
  o.merge = merge;
  const char* b64 = json_str(c, "input_b64");
  unsigned char* in = malloc(2 * strlen(b64) + 1);
  size_t n = base64_decode(b64, in);
  if (utf8)
    n = latin1_to_utf8(in, n);
  sbuf_t want = { 0 };
  expected_lines(json_get(c, "expected"), &want);
  if (want.s == NULL)
    sb_add(&want, "", 0);
  int scan = !json_truthy(json_get(c, "meta"), "noScan");
  drv_result_t whole;
  drv_run(&o, in, n, 0, 0, &whole);
  char mode[64];
  snprintf(mode, sizeof(mode), "whole, simd %d, merge %d", level, merge);
  if (strcmp(whole.log.s ? whole.log.s : "", want.s) != 0)
    report(c, mode, want.s, whole.log.s ? whole.log.s : "");
  for (size_t k = 1; scan && k <= n; k++) {
    drv_result_t r;
    if (k < n)
      drv_run(&o, in, n, n, k, &r);
    else
      drv_run(&o, in, n, 1, 0, &r);
    const char* got = r.log.s ? r.log.s : "";
    if (strcmp(got, want.s) != 0 || !same(&r.body, &whole.body) ||
        !same(&r.headers, &whole.headers) ||
        !same(&r.trailers, &whole.trailers)) {
      if (k < n)
        snprintf(mode, sizeof(mode), "split at %zu, simd %d, merge %d", k,
                 level, merge);
      else
        snprintf(mode, sizeof(mode), "byte by byte, simd %d, merge %d", level,
                 merge);
      report(c, mode, want.s, got);
      drv_free(&r);
      break;
    }
    drv_free(&r);
  }
  drv_free(&whole);
  free(want.s);
  free(in);
  return 0;
}

/* One case on one path; inputs with bytes >= 0x80 are tried as they are
 * and then in UTF-8. Returns 1 when the case ran. */
static int run_one(const json_t* c, int level, int merge, int first) {
  if (!has_high_bytes(c))
    return run_case(c, level, 0, merge) == 0;
  int before = failures;
  quiet = 1;
  run_case(c, level, 0, merge);
  quiet = 0;
  if (failures != before) {
    failures = before;
    if (first)
      printf(
          "note %s:%d: matched with the input in UTF-8 (its original "
          "form in llhttp's test)\n",
          json_str(c, "file"), (int) json_get(c, "line")->num);
    run_case(c, level, 1, merge);
  }
  return 1;
}

TEST(corpus) {
  const char* src = getenv("LODE_SOURCE_DIR");
  char path[4096];
  snprintf(path, sizeof(path), "%s/../shared/spec/parser/llhttp-cases.json",
           src ? src : ".");
  char* text = read_file(path, NULL);
  if (text == NULL) { /* a missing corpus is a failure, never a pass */
    fprintf(stderr, "%s is missing (shared/ belongs beside the clone)\n", path);
    ASSERT_NOT_NULL(text);
  }
  const char* cur = text;
  json_t* all = json_value(&cur);
  int run = 0, skipped = 0, levels[3], nlevels = 0;
  for (int l = LODE_HTTP_SIMD_SCALAR; l <= LODE_HTTP_SIMD_AVX2; l++) {
    int got = lode_http_parser_use_simd(l);
    if (got == l)
      levels[nlevels++] = l;
  }
  for (int li = 0; li < nlevels; li++) {
    lode_http_parser_use_simd(levels[li]);
    for (json_t* c = all->child; c != NULL; c = c->next) {
      const char* kind = json_str(c, "kind");
      if (kind && strcmp(kind, "url") == 0) {
        if (li == 0) {
          skipped++;
          printf(
              "skip %s:%d (%s): llhttp's separate URL splitter (schema/"
              "host/path spans); lode hands the request-target whole and "
              "checks it in the request line\n",
              json_str(c, "file"), (int) json_get(c, "line")->num,
              json_str(c, "name"));
        }
        continue;
      }
      for (int merge = 0; merge < 2; merge++)
        run += run_one(c, levels[li], merge, li == 0 && merge == 0);
    }
  }
  lode_http_parser_use_simd(LODE_HTTP_SIMD_AUTO);
  printf(
      "llhttp corpus: %d case runs on %d scanning paths, %d skipped, "
      "%d mismatches\n",
      run, nlevels, skipped, failures);
  ASSERT_GT(run, 1000); /* the whole corpus was read */
  json_free(all);
  free(text);
  ASSERT_EQ(failures, 0);
}

TEST_MAIN(corpus)
