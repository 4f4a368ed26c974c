/* Verdicts on an HTTP input by lode and by the llhttp inside Node, for
 * the differential test and the fuzzer's differential judge: the record
 * format of test/peers/llhttp-verdicts.js, lode's verdict in the same
 * words ("<messages> <code> <offset>"), and the known differences between
 * llhttp 9.3 (Node 20) and 9.4 (lode, llhttp's corpus). */
#ifndef LODE_TEST_PARSER_VERDICT_H
#define LODE_TEST_PARSER_VERDICT_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "driver.h"

typedef struct {
  unsigned char* data;
  size_t len;
  int type; /* LODE_HTTP_REQUEST or LODE_HTTP_RESPONSE */
  unsigned lenient;
  size_t max_header_size; /* 0: Node's default */
  int method;             /* responses: LODE_HTTP_HEAD (no body) or 0 */
  size_t piece;           /* lode reads it in pieces of this (0: whole) */
} verdict_input_t;

/* An input as fuzz-parser-http reads a file: the first byte picks
 * requests or responses (bit 0; bits 0-1 both set: a response to HEAD),
 * all lenient flags (0x40) or flags (bits 0-5) << 4, and max header size
 * 256 (0x80); the second byte (the piece size of the fuzz target) is not
 * used: the judge feeds the input whole, as Node gets it (where a limit
 * fails depends on where the input was cut, in both). Returns 0 for
 * fewer than 2 bytes; in->data is the caller's to free. */
static int verdict_from_fuzz(const unsigned char* buf, size_t n,
                             verdict_input_t* in) {
  if (n < 2)
    return 0;
  unsigned mode = buf[0];
  *in = (verdict_input_t){
    .type = (mode & 1) ? LODE_HTTP_RESPONSE : LODE_HTTP_REQUEST,
    .lenient = (mode & 0x40) ? LODE_HTTP_LENIENT_ALL : (mode & 0x3fu) << 4,
    .max_header_size = (mode & 0x80) ? 256 : 0,
    .method = (mode & 3) == 3 ? LODE_HTTP_HEAD : 0,
    .piece = 0,
    .len = n - 2,
  };
  in->data = malloc(in->len ? in->len : 1);
  memcpy(in->data, buf + 2, in->len);
  return 1;
}

static void verdict_put32(FILE* f, size_t v) {
  for (int k = 0; k < 4; k++)
    fputc((int) ((v >> (8 * k)) & 0xff), f);
}

/* One record for llhttp-verdicts.js: 'q' request, 's' response, 'h'
 * response to HEAD; lenient flags, maxHeaderSize and length (32-bit
 * little-endian); the bytes. */
static void verdict_record(FILE* f, const verdict_input_t* in) {
  fputc(in->type == LODE_HTTP_REQUEST  ? 'q'
        : in->method == LODE_HTTP_HEAD ? 'h'
                                       : 's',
        f);
  verdict_put32(f, in->lenient);
  verdict_put32(f, in->max_header_size);
  verdict_put32(f, in->len);
  fwrite(in->data, 1, in->len, f);
}

/* lode's verdict in Node's words: "<messages> <code> <offset>". */
static void verdict_lode(const verdict_input_t* in, char* out, size_t size) {
  drv_opts_t o = { .type = in->type,
                   .lenient = in->lenient,
                   .method = in->method,
                   .max_header_size = in->max_header_size };
  drv_result_t r;
  drv_run(&o, in->data, in->len, in->piece, 0, &r);
  const char* name = "OK";
#define NAME_(n, value, msg)                                                   \
  if (r.error == (value))                                                      \
    name = #n;
  LODE_HPE_MAP(NAME_)
#undef NAME_
  /* Node's HTTPParser reports no error inside a message that upgrades:
   * what follows its head belongs to the other protocol. */
  if (r.error_in_upgrade)
    name = "OK";
  snprintf(out, size, "%d %s %zu", r.messages, name,
           r.error && !r.error_in_upgrade ? r.error_at : in->len);
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
  if ((size_t) (e - s) < n)
    return 0;
  for (size_t i = 0; i < n; i++)
    if ((s[i] | 0x20) != word[i])
      return 0;
  return 1;
}

/* Calls fix(value start, value end, input end) for each header line
 * named `name`. */
static int each_header(verdict_input_t* in, const char* name,
                       int (*fix)(unsigned char*, unsigned char*,
                                  unsigned char*)) {
  unsigned char* s = in->data;
  unsigned char* e = s + in->len;
  int changed = 0;
  for (unsigned char* q = s; q < e; q++) {
    /* a line starts after LF, or after a CR alone (lenient) */
    if (q != s && q[-1] != '\n' && q[-1] != '\r')
      continue;
    unsigned char* n = q;
    if (n < e && *n == ' ')
      n++; /* lenient: a space after the start line */
    unsigned char* c = n + strlen(name);
    if (!lower_eq(n, e, name))
      continue;
    while (c < e && *c == ' ')
      c++; /* lenient: spaces before the colon */
    if (c == e || *c != ':')
      continue;
    /* the value's end: its line's, or a later one's when folded (a line
     * break then SP or HTAB, lenient) */
    unsigned char* end = c + 1;
    for (;;) {
      while (end < e && *end != '\r' && *end != '\n')
        end++;
      unsigned char* next = end;
      if (next < e && *next == '\r')
        next++;
      if (next < e && *next == '\n')
        next++;
      if (next == end || next == e || (*next != ' ' && *next != '\t'))
        break;
      end = next;
    }
    changed |= fix(c + 1, end, e);
  }
  return changed;
}

/* 9.3 refuses HTAB in the whitespace after a Content-Length value
 * ("Invalid character in Content-Length" at the tab); 9.4 allows it.
 * With lenient flags the whitespace before the digits may go on over line
 * breaks (CR, LF or CRLF) followed by SP or HTAB, so the digits can be on
 * a later line. */
static int cl_tab(unsigned char* v, unsigned char* end, unsigned char* e) {
  for (;;) {
    while (v < e && (*v == ' ' || *v == '\t'))
      v++;
    unsigned char* fold = v;
    if (fold < e && *fold == '\r')
      fold++;
    if (fold < e && *fold == '\n')
      fold++;
    if (fold == v || fold == e || (*fold != ' ' && *fold != '\t'))
      break;
    v = fold;
  }
  for (end = v; end < e && *end != '\r' && *end != '\n'; end++) {
  }
  while (v < end && *v >= '0' && *v <= '9')
    v++;
  for (; v < end && (*v == ' ' || *v == '\t'); v++)
    if (*v == '\t') {
      *v = 'x'; /* what 9.4 refuses the same way */
      return 1;
    }
  return 0;
}

/* 9.3 does not know a Connection keyword followed by HTAB ("close\t") and
 * takes it as some other token; 9.4 trims the HTAB. */
static int conn_tab(unsigned char* v, unsigned char* end, unsigned char* e) {
  (void) e;
  static const char* kw[] = { "close", "keep-alive", "upgrade" };
  int changed = 0;
  for (unsigned char* q = v; q < end; q++) {
    if (q != v && q[-1] != ' ' && q[-1] != '\t' && q[-1] != ',')
      continue;
    for (int k = 0; k < 3; k++) {
      if (!lower_eq(q, end, kw[k]))
        continue;
      unsigned char* t = q + strlen(kw[k]);
      while (t < end && *t == ' ')
        t++;
      if (t < end && *t == '\t') {
        *t = 'x'; /* another token for 9.4 too */
        changed = 1;
      }
    }
  }
  return changed;
}

static int rewrite_cl_tab(verdict_input_t* in) {
  return each_header(in, "content-length", cl_tab);
}

static int rewrite_conn_tab(verdict_input_t* in) {
  return each_header(in, "connection", conn_tab) |
         each_header(in, "proxy-connection", conn_tab);
}

/* 9.3 takes "\r\r" at the end of a status line as its line end; 9.4 wants
 * the LF (STRICT "Expected LF after CR"). Every status line: the first
 * and those of the responses after it, wherever "HTTP/", "RTSP/" or
 * "ICE/" starts one (a rewrite of something else fails the proof and is
 * not excused). */
static int rewrite_status_crcr(verdict_input_t* in) {
  if (in->type != LODE_HTTP_RESPONSE)
    return 0;
  int changed = 0;
  unsigned char* d = in->data;
  for (size_t i = 0; i + 5 <= in->len; i++) {
    size_t j = memcmp(d + i, "HTTP/", 5) == 0 || memcmp(d + i, "RTSP/", 5) == 0
                   ? i + 5
               : memcmp(d + i, "ICE/", 4) == 0 ? i + 4
                                               : 0;
    if (j == 0)
      continue;
    while (j < in->len && d[j] != '\r' && d[j] != '\n')
      j++;
    if (j + 1 < in->len && d[j] == '\r' && d[j + 1] == '\r') {
      d[j + 1] = '\n';
      changed = 1;
    }
  }
  return changed;
}

static const struct {
  int (*rewrite)(verdict_input_t* in);
  const char* why;
} verdict_differences[] = {
  { rewrite_cl_tab, "HTAB after a Content-Length value" },
  { rewrite_conn_tab, "HTAB after a Connection keyword" },
  { rewrite_status_crcr, "CR CR ending a status line" },
};
#define VERDICT_NDIFF                                                          \
  (sizeof(verdict_differences) / sizeof(verdict_differences[0]))

/* Which known difference explains Node's verdict `node` on `in`, or -1.
 * Each rewrite alone, then all of them together (an input may hold more
 * than one construct); the latter counts as the first that applied. */
static int verdict_known_difference(const verdict_input_t* in,
                                    const char* node) {
  for (size_t d = 0; d <= VERDICT_NDIFF; d++) {
    verdict_input_t copy = *in;
    copy.data = malloc(in->len ? in->len : 1);
    memcpy(copy.data, in->data, in->len);
    int applied = 0, first = -1;
    for (size_t k = 0; k < VERDICT_NDIFF; k++) {
      if (d < VERDICT_NDIFF && k != d)
        continue;
      if (verdict_differences[k].rewrite(&copy)) {
        applied++;
        if (first < 0)
          first = (int) k;
      }
    }
    char mine[64];
    int explained = applied > 0 && (d < VERDICT_NDIFF || applied > 1) &&
                    (verdict_lode(&copy, mine, sizeof(mine)),
                     strcmp(mine, node) == 0);
    free(copy.data);
    if (explained)
      return first;
  }
  return -1;
}

#endif
