/* libFuzzer target: the HTTP parser. The first byte picks requests or
 * responses and the lenient flags, the second the size of the pieces the
 * rest is fed in; unconsumed bytes are kept contiguous in an exact-size
 * copy per call, as a socket reader would, so any over-read is caught.
 * Checks the API's promises too: views stay inside the input, consumed
 * never exceeds what was given, an error repeats once set, the verdict is
 * the same whole and cut, and a reset parser judges as a new one does.
 *
 * Built with -DLODE_FUZZ_DIFF (by fuzz/diff-llhttp.sh, without libFuzzer)
 * it is instead the differential judge of a corpus: every file, read the
 * same way, is judged by lode and by the llhttp inside Node, and the
 * disagreements that no known llhttp 9.3/9.4 difference explains are
 * printed (exit status 1 if any). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lode/http_parser.h"

#define CHECK(c)                                                               \
  do {                                                                         \
    if (!(c))                                                                  \
      abort();                                                                 \
  } while (0)

static void inside(lode_slice_t v, const char* b, size_t len) {
  if (v.len == 0)
    return;
  CHECK(v.base >= b && v.base + v.len <= b + len);
}

static void check_head(const lode_http_parser_t* p, const char* b, size_t len) {
  const lode_http_head_t* h = lode_http_parser_head(p);
  inside(h->url, b, len);
  inside(h->method_name, b, len);
  inside(h->status_text, b, len);
  for (size_t i = 0; i < h->num_headers; i++) {
    inside(h->headers[i].name, b, len);
    inside(h->headers[i].value, b, len);
  }
}

/* What a run ends with; the same for every way the input is cut. */
typedef struct {
  int rc;       /* the error, or 0 */
  size_t at;    /* where in the whole input parsing stopped */
  int messages; /* complete messages */
  int upgraded;
  int finish; /* lode_http_parser_finish()'s return */
} verdict_t;

static void prepare(lode_http_parser_t* p, uint8_t mode) {
  lode_http_parser_opts_t o = {
    .lenient = (mode & 0x40) ? LODE_HTTP_LENIENT_ALL : (mode & 0x3f) << 4,
    .max_header_size = (mode & 0x80) ? 256 : 0,
    .method = (mode & 3) == 3 ? LODE_HTTP_HEAD : 0,
  };
  CHECK(lode_http_parser_init(
            p, (mode & 1) ? LODE_HTTP_RESPONSE : LODE_HTTP_REQUEST, &o) == 0);
}

/* Feeds in[0..n) to p in pieces of `piece` bytes. */
static verdict_t run(lode_http_parser_t* p, const uint8_t* in, size_t n,
                     size_t piece) {
  verdict_t v = { 0 };
  size_t start = 0, avail = 0;
  while (avail < n) {
    avail = avail + piece > n ? n : avail + piece;
    for (;;) {
      size_t len = avail - start;
      char* copy = malloc(len ? len : 1);
      memcpy(copy, in + start, len);
      lode_http_event_t ev;
      int rc = lode_http_parser_execute(p, copy, len, &ev);
      if (rc < 0) {
        CHECK(lode_http_parser_error_offset(p) <= len);
        CHECK(lode_http_parser_execute(p, copy, len, &ev) == rc);
        free(copy);
        v.rc = rc;
        v.at = start + lode_http_parser_error_offset(p);
        return v;
      }
      CHECK(ev.consumed <= len);
      if (ev.type == LODE_HTTP_EV_HEAD)
        check_head(p, copy, len);
      if (ev.type == LODE_HTTP_EV_BODY)
        inside(ev.data, copy, len);
      for (size_t i = 0; i < ev.num_trailers; i++)
        inside(ev.trailers[i].value, copy, len);
      free(copy);
      start += ev.consumed;
      v.messages += ev.type == LODE_HTTP_EV_MESSAGE_COMPLETE || ev.complete;
      if (ev.type == LODE_HTTP_EV_UPGRADE) {
        v.upgraded = 1;
        v.at = start;
        return v;
      }
      if (ev.type == LODE_HTTP_EV_NEED_MORE)
        break;
    }
  }
  lode_http_event_t ev;
  v.finish = lode_http_parser_finish(p, &ev);
  v.messages += ev.type == LODE_HTTP_EV_MESSAGE_COMPLETE;
  v.at = n;
  return v;
}

static int same(const verdict_t* a, const verdict_t* b) {
  return a->rc == b->rc && a->at == b->at && a->messages == b->messages &&
         a->upgraded == b->upgraded && a->finish == b->finish;
}

/* The input in the pieces the second byte asks for; then the verdict
 * must be the one of the input whole (unless the 256-byte header limit
 * is on: where a limit fails depends on the cut, as in Node), and a
 * parser reset after the first run must give the verdict of a new one. */
int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2)
    return 0;
  size_t piece = data[1] % 16 == 0 ? size : data[1] % 16;
  uint8_t mode = data[0];
  const uint8_t* in = data + 2;
  size_t n = size - 2;
  lode_http_parser_t used, fresh;
  prepare(&used, mode);
  prepare(&fresh, mode);
  verdict_t cut = run(&used, in, n, piece);
  verdict_t whole = run(&fresh, in, n, n ? n : 1);
  lode_http_parser_reset(&used);
  verdict_t again = run(&used, in, n, n ? n : 1);
  CHECK(same(&again, &whole));
  if (!(mode & 0x80))
    CHECK(same(&cut, &whole));
  return 0;
}

#ifdef LODE_FUZZ_DIFF
#include <stdio.h>
#include <unistd.h>

#include "verdict.h"

/* A corpus file as the target reads it. Returns 0 for one too short. */
static int load(const char* path, verdict_input_t* in) {
  FILE* f = fopen(path, "rb");
  if (f == NULL)
    return 0;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  unsigned char* buf = malloc(n > 0 ? (size_t) n : 1);
  size_t got = fread(buf, 1, n > 0 ? (size_t) n : 0, f);
  fclose(f);
  int ok = verdict_from_fuzz(buf, got, in);
  free(buf);
  return ok;
}

/* judge <llhttp-verdicts.js> <file>... */
int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s llhttp-verdicts.js file...\n", argv[0]);
    return 2;
  }
  int n = 0, agree = 0, known = 0, differ = 0;
  verdict_input_t* in = calloc((size_t) argc, sizeof(*in));
  const char** name = calloc((size_t) argc, sizeof(*name));
  char records[] = "/tmp/lode-fuzz-diff-XXXXXX";
  FILE* f = fdopen(mkstemp(records), "wb");
  for (int i = 2; i < argc; i++)
    if (load(argv[i], &in[n])) {
      name[n] = argv[i];
      verdict_record(f, &in[n++]);
    }
  fclose(f);
  char cmd[8192];
  snprintf(cmd, sizeof(cmd), "node '%s' '%s'", argv[1], records);
  FILE* node = popen(cmd, "r");
  char line[256], mine[64];
  for (int i = 0; i < n; i++) {
    if (fgets(line, sizeof(line), node) == NULL) {
      fprintf(stderr, "node gave no verdict for %s\n", name[i]);
      differ++;
      break;
    }
    line[strcspn(line, "\n")] = 0;
    verdict_lode(&in[i], mine, sizeof(mine));
    if (strcmp(mine, line) == 0) {
      agree++;
    } else if (verdict_known_difference(&in[i], line) >= 0) {
      known++;
    } else {
      differ++;
      printf(
          "DIFFER %s (%s, lenient %x, max header %zu): llhttp %s, "
          "lode %s\n",
          name[i],
          in[i].type == LODE_HTTP_REQUEST ? "request"
          : in[i].method                  ? "response to HEAD"
                                          : "response",
          in[i].lenient, in[i].max_header_size, line, mine);
    }
  }
  int status = pclose(node);
  unlink(records);
  printf(
      "judged %d inputs: %d agree, %d known llhttp 9.3/9.4 differences, "
      "%d unexplained\n",
      n, agree, known, differ);
  for (int i = 0; i < n; i++)
    free(in[i].data);
  free(in);
  free(name);
  return differ > 0 || status != 0 ? 1 : 0;
}
#endif
