/* The one-pass head parser: the common case of a whole, ordinary head in
 * one buffer, parsed in a single pass without the precise parser's
 * per-line checkpoints, each line found by the SIMD scanners.
 *
 * It accepts a strict subset of what head.c accepts and gives the same
 * result on it (the same views, flags, counts): a request line with a
 * common method, an origin-form URL and HTTP/1.0 or 1.1, or a status line
 * of HTTP/1.0 or 1.1 with a reason phrase; header lines "name: value"
 * with CRLF ends; special headers only in their plain forms
 * (Content-Length digits, Transfer-Encoding "chunked", one Connection
 * keyword). On anything else (a bare CR or LF, folding, whitespace before
 * a colon, a bad byte, an unusual Content-Length, Transfer-Encoding or
 * Connection value, a limit reached, the end of the input) it gives up
 * without touching the parser, and head.c decides, with llhttp's verdict
 * and error offset. So it only ever saves time, never changes an answer.
 *
 * The body is written once, inline, and compiled for each instruction
 * set with that set's scanners inlined into it. */
#include <string.h>

#include "http/parser/simd.h"

#define F_CL LODE_HTTP_F_CONTENT_LENGTH
#define F_TE LODE_HTTP_F_TRANSFER_ENCODING
#define F_CHUNKED LODE_HTTP_F_CHUNKED

#define FAST static inline __attribute__((always_inline))

typedef struct {
  unsigned flags;
  uint64_t cl;
  uint32_t dropped;         /* lines past the array's end */
  lode_http_header_t* h;    /* where the next header is stored */
  lode_http_header_t* hend; /* the end of the parser's array */
} fast_t;

FAST int digit(int ch) {
  return ch >= '0' && ch <= '9';
}

/* Lengths of the special header names: upgrade, connection,
 * content-length, proxy-connection, transfer-encoding. */
#define SPECIAL_LENGTHS                                                        \
  ((1ull << 7) | (1ull << 10) | (1ull << 14) | (1ull << 16) | (1ull << 17))

/* A value that is a lower-case word w[0..n), whatever its case; `dash`
 * is where w has its '-' (0 for none), checked exactly: folding would
 * also take a CR for it. */
FAST int word_is(const char* q, const char* e, const char* w, size_t n,
                 size_t dash) {
  return (size_t) (e - q) >= n && lode__folded_eq(q, w, n) &&
         (dash == 0 || q[dash] == '-');
}

/* Whitespace up to the value's CR, which ends it. */
FAST const char* skip_ows(const char* q) {
  while (*q == ' ' || *q == '\t')
    q++;
  return q;
}

/* The special values below are parsed up to v, their line's CR (checked
 * already, and the first CTL from the value's start): no bound is needed
 * where a CR stops a loop. */

/* Content-Length: digits, whitespace, then the CR. */
FAST const char* content_length(fast_t* f, const char* q) {
  const char* d = q;
  uint64_t v = 0;
  if (f->flags & (F_CL | F_TE))
    return NULL;
  while (digit(*q) && q - d < 19)
    v = v * 10 + (uint64_t) (*q++ - '0');
  if (q == d)
    return NULL;
  q = skip_ows(q);
  if (*q != '\r')
    return NULL;
  f->flags |= F_CL;
  f->cl = v;
  return q;
}

/* Transfer-Encoding: "chunked" alone, then spaces and the CR. */
FAST const char* transfer_encoding(fast_t* f, const char* q, const char* v) {
  if ((f->flags & (F_CL | F_TE)) || !word_is(q, v, "chunked", 7, 0))
    return NULL;
  q += 7;
  while (*q == ' ')
    q++;
  if (*q != '\r')
    return NULL;
  f->flags |= F_TE | F_CHUNKED;
  return q;
}

/* Connection: one of llhttp's three keywords, whitespace, the CR. */
FAST const char* connection(fast_t* f, const char* q, const char* v) {
  unsigned flag;
  size_t n;
  switch (*q | 0x20) {
    case 'c':
      if (!word_is(q, v, "close", 5, 0))
        return NULL;
      n = 5, flag = LODE_HTTP_F_CONNECTION_CLOSE;
      break;
    case 'k':
      if (!word_is(q, v, "keep-alive", 10, 4))
        return NULL;
      n = 10, flag = LODE_HTTP_F_CONNECTION_KEEP_ALIVE;
      break;
    case 'u':
      if (!word_is(q, v, "upgrade", 7, 0))
        return NULL;
      n = 7, flag = LODE_HTTP_F_CONNECTION_UPGRADE;
      break;
    default:
      return NULL;
  }
  q = skip_ows(q + n);
  if (*q != '\r')
    return NULL;
  f->flags |= flag;
  return q;
}

/* The value of a special header from its first byte (after whitespace),
 * v its CR; NULL to give up. */
FAST const char* special(fast_t* f, int hs, const char* q, const char* v) {
  if (q == v)
    return NULL; /* empty: head.c's rules */
  switch (hs) {
    case LODE__HS_CONTENT_LENGTH:
      return content_length(f, q);
    case LODE__HS_TRANSFER_ENCODING:
      return transfer_encoding(f, q, v);
    case LODE__HS_CONNECTION:
      return connection(f, q, v);
    default:
      f->flags |= LODE_HTTP_F_UPGRADE;
      return q;
  }
}

/* Views are made real at once (head.c keeps offsets until the head is
 * through, as its input may move between calls). */
static lode_slice_t view(const char* a, const char* b) {
  lode_slice_t v = { a, (size_t) (b - a) };
  return v;
}

/* The scanning of one instruction set: `stops` classifies the block at q
 * (SIMD only, W its width), `scan` finds the first byte outside a class
 * (LODE__K_*), or e; s is the message start, from where the input may be
 * read, and k the set's constants. The scalar path has W 0 and scans
 * byte by byte. */
typedef lode__stops_t (*stops_fn)(const char* q, const char* s, const char* e,
                                  const void* k);
typedef const char* (*scan_fn)(const char* q, const char* s, const char* e,
                               int cls, const void* k);
typedef struct {
  int W;
  stops_fn stops;
  scan_fn scan;
  const void* k;
} isa_t;

#define SCAN(isa, q, cls) (isa).scan((q), s, e, (cls), (isa).k)

/* lode__header_state(), inlined here. */
FAST int header_state(const char* s, size_t n) {
  return lode__header_state(s, n);
}

/* A value's end: CRLF at v, where v + 1 < e. */
FAST int crlf(const char* v) {
  uint16_t w, want;
  memcpy(&w, v, 2); /* one compare for both bytes */
  memcpy(&want, "\r\n", 2);
  return w == want;
}

/* The value's end from a scan: v, or NULL when no byte follows it. */
FAST const char* value_end(const char* v, const char* e) {
  return v + 1 < e ? v : NULL;
}

/* One header line at q (not the blank line); returns the next line.
 * With blocks, the first one gives both the name's end and, for a short
 * line, the value's (a block's bits stop at e: no stop in it is a long
 * name or value, or the end of the input, which the scans then find).
 * As no CTL can come before the colon (tchars), the first CTL from the
 * line's start is the value's end. */
FAST const char* header_line(fast_t* f, const char* q, const char* s,
                             const char* e, isa_t isa) {
  const char *colon, *v, *vs;
  if (isa.W) {
    lode__stops_t m = isa.stops(q, s, e, isa.k);
    if (m.tok != 0) {
      colon = q + LODE__CTZ(m.tok);
      v = m.ctl ? q + LODE__CTZ(m.ctl) /* (a byte follows it) */
                : value_end(SCAN(isa, q + isa.W, LODE__K_VALUE), e);
    } else if ((colon = SCAN(isa, q + isa.W, LODE__K_TOKEN)) == e) {
      return NULL;
    } else {
      v = value_end(SCAN(isa, colon, LODE__K_VALUE), e);
    }
  } else if ((colon = SCAN(isa, q, LODE__K_TOKEN)) == e) {
    return NULL;
  } else {
    v = value_end(SCAN(isa, colon, LODE__K_VALUE), e);
  }
  if (*colon != ':' || colon == q || v == NULL || !crlf(v))
    return NULL;
  size_t nlen = (size_t) (colon - q);
  /* up to v, a CR: no bound needed */
  vs = colon + 1;
  vs += *vs == ' ';
  if ((unsigned char) *vs <= ' ') /* more SP or HTAB, or an empty value */
    while (*vs == ' ' || *vs == '\t')
      vs++;
  if ((SPECIAL_LENGTHS >> (nlen & 63)) & 1) { /* (the state is by length) */
    int hs = header_state(q, nlen);
    if (hs != LODE__HS_GENERAL && special(f, hs, vs, v) == NULL)
      return NULL;
  }
  if (f->h == f->hend) {
    f->dropped++; /* counted, not stored (Node's maxHeadersCount) */
  } else {
    const char* ve = v;
    /* a value byte up to ' ' is SP or HTAB */
    if (__builtin_expect((unsigned char) ve[-1] <= ' ', 0))
      while ((unsigned char) ve[-1] <= ' ' && ve > vs)
        ve--;
    f->h->name = view(q, colon);
    /* an empty value is a view at the colon, as head.c makes it */
    f->h->value.base = ve > vs ? vs : colon;
    f->h->value.len = (size_t) (ve - vs);
    f->h++;
  }
  return v + 2;
}

/* Header lines from q to the blank line; returns the end of the head. The
 * counts are kept here, where they may stay in registers. */
FAST const char* header_lines(lode_http_parser_t* p, fast_t* f, const char* q,
                              const char* s, const char* e, isa_t isa) {
  fast_t g = *f;
  g.h = p->hdrs;
  g.hend = p->hdrs + p->max_hdrs;
  for (;;) {
    if (q >= e)
      return NULL;
    if (*q == '\r') {
      if (e - q < 2 || q[1] != '\n')
        return NULL;
      *f = g;
      return q + 2;
    }
    if ((q = header_line(&g, q, s, e, isa)) == NULL)
      return NULL;
  }
}

/* The head is through: what head.c would have left in p (but
 * header_nread, which only the precise parser uses: Node counts the URL
 * or status text, header names and values against max_header_size, all
 * within the head, so a head shorter than the limit cannot reach it and
 * a longer one is left to head.c, which counts). */
static long done(lode_http_parser_t* p, const fast_t* f, const char* s,
                 const char* line1, const char* end) {
  if ((size_t) (end - s) >= p->max_header_size)
    return 0;
  p->line1 = (uint32_t) (line1 - s);
  p->flags = f->flags;
  p->content_length = f->cl;
  p->nhdrs = (uint32_t) (f->h - p->hdrs);
  p->hdrs_seen = p->nhdrs + f->dropped;
  p->scan = (uint32_t) (end - s);
  p->one_pass = 1;
  return end - s;
}

static uint32_t word4(const char* s) {
  uint32_t w;
  memcpy(&w, s, 4);
  return w;
}

#define WORD4(a, b, c, d)                                                      \
  ((uint32_t) (a) | (uint32_t) (b) << 8 | (uint32_t) (c) << 16 |               \
   (uint32_t) (d) << 24)

/* The methods taken here, by their first four bytes; any other goes to
 * head.c. s has at least 8 bytes. */
FAST int method(const char* s, size_t* n) {
  uint32_t w = word4(s);
  if (w == WORD4('G', 'E', 'T', ' ')) /* the usual one first */
    return *n = 3, LODE_HTTP_GET;
  switch (w) {
    case WORD4('P', 'U', 'T', ' '):
      return *n = 3, LODE_HTTP_PUT;
    case WORD4('P', 'O', 'S', 'T'):
      return s[4] == ' ' ? (*n = 4, LODE_HTTP_POST) : -1;
    case WORD4('H', 'E', 'A', 'D'):
      return s[4] == ' ' ? (*n = 4, LODE_HTTP_HEAD) : -1;
    case WORD4('D', 'E', 'L', 'E'):
      return memcmp(s + 4, "TE ", 3) == 0 ? (*n = 6, LODE_HTTP_DELETE) : -1;
    case WORD4('P', 'A', 'T', 'C'):
      return memcmp(s + 4, "H ", 2) == 0 ? (*n = 5, LODE_HTTP_PATCH) : -1;
    case WORD4('O', 'P', 'T', 'I'):
      return memcmp(s + 4, "ONS ", 4) == 0 ? (*n = 7, LODE_HTTP_OPTIONS) : -1;
    default:
      return -1;
  }
}

/* " HTTP/1.0" or " HTTP/1.1" and the CRLF at q; returns the minor. */
static int version_crlf(const char* q, const char* e) {
  if (e - q < 11 || memcmp(q, " HTTP/1.", 8) != 0 || q[9] != '\r' ||
      q[10] != '\n' || (q[8] != '0' && q[8] != '1'))
    return -1;
  return q[8] - '0';
}

/* The start line's fields go to p->head at once (fewer values live across
 * the header lines); if the head then fails here, head.c sets them again
 * from its own parse of the start line. */
FAST long request(lode_http_parser_t* p, const char* s, const char* e,
                  isa_t isa) {
  size_t mlen = 0;
  int m = e - s < 8 ? -1 : method(s, &mlen);
  if (m < 0 || (size_t) (e - s) <= mlen + 1 || s[mlen + 1] != '/')
    return 0;
  const char* u = s + mlen + 1;
  const char* q = SCAN(isa, u, LODE__K_TARGET);
  int minor = version_crlf(q, e);
  if (minor < 0)
    return 0;
  p->head.method = m;
  p->head.method_name = view(s, s + mlen);
  p->head.url = view(u, q);
  p->head.http_major = 1;
  p->head.http_minor = minor;
  fast_t f = { 0 };
  const char* end = header_lines(p, &f, q + 11, s, e, isa);
  if (end == NULL)
    return 0;
  return done(p, &f, s, q + 11, end);
}

FAST long response(lode_http_parser_t* p, const char* s, const char* e,
                   isa_t isa) {
  if (e - s < 13 || memcmp(s, "HTTP/1.", 7) != 0 ||
      (s[7] != '0' && s[7] != '1') || s[8] != ' ' || !digit(s[9]) ||
      !digit(s[10]) || !digit(s[11]) || s[12] != ' ')
    return 0;
  const char* t = s + 13;
  const char* q = t;
  for (;;) { /* the reason phrase takes any byte but CR and LF */
    q = SCAN(isa, q, LODE__K_VALUE);
    if (q == e || *q == '\n')
      return 0;
    if (*q == '\r')
      break;
    q++;
  }
  if (e - q < 2 || q[1] != '\n')
    return 0;
  p->head.status_code = (s[9] - '0') * 100 + (s[10] - '0') * 10 + (s[11] - '0');
  p->head.status_text = view(t, q);
  p->head.http_major = 1;
  p->head.http_minor = s[7] - '0';
  fast_t f = { 0 };
  const char* end = header_lines(p, &f, q + 2, s, e, isa);
  if (end == NULL)
    return 0;
  return done(p, &f, s, q + 2, end);
}

FAST long fast_head(lode_http_parser_t* p, const char* s, const char* e,
                    isa_t isa) {
  if (p->type == LODE_HTTP_REQUEST)
    return request(p, s, e, isa);
  return response(p, s, e, isa);
}

/* The scalar path: no blocks; the request-target is URL chars with '?'
 * and '#' among them. */
static lode__stops_t no_stops(const char* q, const char* s, const char* e,
                              const void* k) {
  lode__stops_t m = { 0, 0 };
  (void) q, (void) s, (void) e, (void) k;
  return m;
}

LODE__INLINE const char* scalar_scan(const char* q, const char* s,
                                     const char* e, int cls, const void* k) {
  (void) s, (void) k;
  if (cls == LODE__K_TOKEN)
    return lode__scalar_token(q, e);
  if (cls == LODE__K_VALUE)
    return lode__scalar_value(q, e);
  q = lode__scalar_url(q, e);
  while (q < e && (*q == '?' || *q == '#'))
    q = lode__scalar_url(q + 1, e);
  return q;
}

long lode__fast_head_scalar(lode_http_parser_t* p, const char* s,
                            const char* e) {
  isa_t isa = { 0, no_stops, scalar_scan, NULL };
  return fast_head(p, s, e, isa);
}

#ifdef LODE__X86
__attribute__((target("sse4.2"))) long lode__fast_head_sse42(
    lode_http_parser_t* p, const char* s, const char* e) {
  lode__sse_k_t k;
  lode__sse_k(&k, e);
  isa_t isa = { 16, lode__sse_stops, lode__sse_scan, &k };
  return fast_head(p, s, e, isa);
}

__attribute__((target("avx2"))) long lode__fast_head_avx2(lode_http_parser_t* p,
                                                          const char* s,
                                                          const char* e) {
  lode__avx_k_t k;
  lode__avx_k(&k, e);
  isa_t isa = { 32, lode__avx_stops, lode__avx_scan, &k };
  return fast_head(p, s, e, isa);
}
#else
long lode__fast_head_sse42(lode_http_parser_t* p, const char* s,
                           const char* e) {
  return lode__fast_head_scalar(p, s, e);
}

long lode__fast_head_avx2(lode_http_parser_t* p, const char* s, const char* e) {
  return lode__fast_head_scalar(p, s, e);
}
#endif
