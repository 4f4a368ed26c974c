/* The parser's private parts: character classes, the scanners (scalar and
 * SIMD, chosen at run time) and the pieces the files share. libc only. */
#ifndef LODE_HTTP_PARSER_INTERNAL_H
#define LODE_HTTP_PARSER_INTERNAL_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "lode/http_parser.h"

/* Character classes, llhttp's sets (constants.ts), one bit each. */
enum {
  LODE__C_TOKEN = 1 << 0,    /* tchar */
  LODE__C_URL = 1 << 1,      /* URL_CHAR */
  LODE__C_VALUE = 1 << 2,    /* HTAB, SP, VCHAR, obs-text */
  LODE__C_CONNTOK = 1 << 3,  /* CONNECTION_TOKEN_CHARS (no ',') */
  LODE__C_USERINFO = 1 << 4, /* USERINFO_CHARS plus '[' ']' */
  LODE__C_QDTEXT = 1 << 5,
  LODE__C_RELAXED = 1 << 6, /* values with LENIENT_HEADER_VALUE_RELAXED */
  LODE__C_QPAIR = 1 << 7    /* after a backslash in a quoted string */
};
extern const uint8_t lode__http_class[256];

#define LODE__IS(c, cls) (lode__http_class[(unsigned char) (c)] & (cls))

/* Scanners: the first byte in [s, e) outside the class (or e). */
typedef const char* (*lode__scan_fn)(const char* s, const char* e);
/* The one-pass head parser (fast.c): the whole head at s, ordinary in
 * every respect, parsed at once; returns its length, or 0 to leave the
 * head to the precise parser (anything unusual, incomplete or over a
 * limit). Writes p's state only when it succeeds; the start line's
 * fields of p->head and the header array it may write either way (the
 * precise parser sets them again before a head is reported). */
typedef long (*lode__head_fn)(lode_http_parser_t* p, const char* s,
                              const char* e);
typedef struct {
  lode__scan_fn token;
  lode__scan_fn url;
  lode__scan_fn value;
  lode__head_fn head;
} lode__scanners_t;
/* The scanners in use: the best the CPU has, chosen on first use (unless
 * a path was forced). Until then the table's entries make the choice and
 * call on; an atomic pointer, as parsers in several threads read it. */
extern _Atomic(const lode__scanners_t*) lode__http_scan;
static inline const lode__scanners_t* lode__http_scan_get(void) {
  return atomic_load_explicit(&lode__http_scan, memory_order_acquire);
}
long lode__fast_head_scalar(lode_http_parser_t* p, const char* s,
                            const char* e);
long lode__fast_head_sse42(lode_http_parser_t* p, const char* s, const char* e);
long lode__fast_head_avx2(lode_http_parser_t* p, const char* s, const char* e);

/* llhttp's header states: what a header line's name makes of its value. */
enum {
  LODE__HS_GENERAL,
  LODE__HS_CONNECTION,
  LODE__HS_CONTENT_LENGTH,
  LODE__HS_TRANSFER_ENCODING,
  LODE__HS_UPGRADE,
  LODE__HS_CONN_KEEP_ALIVE,
  LODE__HS_CONN_CLOSE,
  LODE__HS_CONN_UPGRADE,
  LODE__HS_TE_CHUNKED
};

/* s[0..n) equals the lower-case `name` once ASCII letters are folded by
 * setting 0x20, for 4 <= n <= 24, a few loads at a time. Exact for the
 * letters of `name`; a '-' in it also matches a CR, which no token holds
 * (other input must check its dashes itself). */
static inline __attribute__((always_inline)) int lode__folded_eq(
    const char* s, const char* name, size_t n) {
  uint64_t a, b, c, d;
  if (n < 8) {
    uint32_t x, y, z, w;
    memcpy(&x, s, 4), memcpy(&y, name, 4);
    memcpy(&z, s + n - 4, 4), memcpy(&w, name + n - 4, 4);
    return ((x | 0x20202020u) == y) & ((z | 0x20202020u) == w);
  }
  memcpy(&a, s, 8), memcpy(&b, name, 8);
  if ((a | 0x2020202020202020ull) != b) /* most other names differ here */
    return 0;
  memcpy(&c, s + n - 8, 8), memcpy(&d, name + n - 8, 8);
  int eq = (c | 0x2020202020202020ull) == d;
  if (n > 16 && eq) {
    memcpy(&a, s + 8, 8), memcpy(&b, name + 8, 8);
    eq = (a | 0x2020202020202020ull) == b;
  }
  return eq;
}

/* The state a header name s[0..n) (a token) starts its value in. By
 * length, the usual ones first (compares, where a switch would jump
 * through a table), then by the folded name. */
static inline __attribute__((always_inline)) int lode__header_state(
    const char* s, size_t n) {
  if (n == 10)
    return lode__folded_eq(s, "connection", 10) ? LODE__HS_CONNECTION
                                                : LODE__HS_GENERAL;
  if (n == 14)
    return lode__folded_eq(s, "content-length", 14) ? LODE__HS_CONTENT_LENGTH
                                                    : LODE__HS_GENERAL;
  if (n == 17)
    return lode__folded_eq(s, "transfer-encoding", 17)
               ? LODE__HS_TRANSFER_ENCODING
               : LODE__HS_GENERAL;
  if (n == 7)
    return lode__folded_eq(s, "upgrade", 7) ? LODE__HS_UPGRADE
                                            : LODE__HS_GENERAL;
  if (n == 16)
    return lode__folded_eq(s, "proxy-connection", 16) ? LODE__HS_CONNECTION
                                                      : LODE__HS_GENERAL;
  return LODE__HS_GENERAL;
}

/* The head parser (head.c). A result is the offset just past what was
 * parsed (> 0), LODE__INCOMPLETE, or LODE__FAILED with p's error set. */
#define LODE__INCOMPLETE 0
#define LODE__FAILED (-1)

/* What a call works on: the input of this call and its end. Offsets of
 * errors are taken from `base`. */
typedef struct {
  lode_http_parser_t* p;
  const char* base;
  const char* end;
  int no_fast; /* the one-pass parser failed on this input already */
} lode__ctx_t;

/* Sets p's error to `code` with `reason` at `at`; returns LODE__FAILED. */
int lode__fail(lode__ctx_t* c, int code, const char* reason, const char* at);

/* Parses the start line and header lines beginning at `s` (the first byte
 * of the message); on success returns the head's length. Resumes from
 * p->scan. */
long lode__parse_head(lode__ctx_t* c, const char* s);

/* Parses trailer lines beginning at `s` (after the last chunk's size
 * line); returns the trailers' length. Resumes from p->scan. */
long lode__parse_trailers(lode__ctx_t* c, const char* s);

int lode__should_keep_alive(const lode_http_parser_t* p, unsigned flags);

/* Body states (p->state). */
enum {
  LODE__S_START = 0,  /* before a message: CR/LF are skipped */
  LODE__S_HEAD,       /* in a head (p->scan bytes checked) */
  LODE__S_AFTER_HEAD, /* head delivered; the body's framing is next */
  LODE__S_BODY,       /* Content-Length body (p->remaining) */
  LODE__S_BODY_EOF,   /* body until the connection closes */
  LODE__S_CHUNK_SIZE, /* chunk-size line (p->chunk_state) */
  LODE__S_CHUNK_DATA,
  LODE__S_CHUNK_CRLF, /* the CRLF after chunk data */
  LODE__S_TRAILERS,
  LODE__S_COMPLETE, /* MESSAGE_COMPLETE is next */
  LODE__S_CLEANUP,  /* after MESSAGE_COMPLETE: keep-alive or not */
  LODE__S_CLOSED,   /* no message may follow */
  LODE__S_UPGRADED,
  LODE__S_ERROR
};

#endif
