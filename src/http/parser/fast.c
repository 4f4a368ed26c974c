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
  size_t nread; /* bytes counted against max_header_size */
  uint32_t nhdrs;
  uint32_t seen;
} fast_t;

static int digit(int ch) {
  return ch >= '0' && ch <= '9';
}

/* Lengths of the special header names: upgrade, connection,
 * content-length, proxy-connection, transfer-encoding. */
#define SPECIAL_LENGTHS                                                        \
  ((1u << 7) | (1u << 10) | (1u << 14) | (1u << 16) | (1u << 17))

/* A value that is a lower-case word w[0..n), whatever its case; `dash`
 * is where w has its '-' (0 for none), checked exactly: folding would
 * also take a CR for it. */
static int word_is(const char* q, const char* e, const char* w, size_t n,
                   size_t dash) {
  return (size_t) (e - q) >= n && lode__folded_eq(q, w, n) &&
         (dash == 0 || q[dash] == '-');
}

static const char* skip_ows(const char* q, const char* e) {
  while (q < e && (*q == ' ' || *q == '\t'))
    q++;
  return q;
}

/* Content-Length: digits, whitespace, then the CR. */
static const char* content_length(fast_t* f, const char* q, const char* e) {
  const char* d = q;
  uint64_t v = 0;
  if (f->flags & (F_CL | F_TE))
    return NULL;
  while (q < e && digit(*q) && q - d < 19)
    v = v * 10 + (uint64_t) (*q++ - '0');
  if (q == d)
    return NULL;
  q = skip_ows(q, e);
  if (q == e || *q != '\r')
    return NULL;
  f->flags |= F_CL;
  f->cl = v;
  return q;
}

/* Transfer-Encoding: "chunked" alone, then spaces and the CR. */
static const char* transfer_encoding(fast_t* f, const char* q, const char* e) {
  if ((f->flags & (F_CL | F_TE)) || !word_is(q, e, "chunked", 7, 0))
    return NULL;
  q += 7;
  while (q < e && *q == ' ')
    q++;
  if (q == e || *q != '\r')
    return NULL;
  f->flags |= F_TE | F_CHUNKED;
  return q;
}

/* Connection: one of llhttp's three keywords, whitespace, the CR. */
static const char* connection(fast_t* f, const char* q, const char* e) {
  static const struct {
    const char* w;
    uint8_t n, dash;
    unsigned flag;
  } kw[] = { { "close", 5, 0, LODE_HTTP_F_CONNECTION_CLOSE },
             { "keep-alive", 10, 4, LODE_HTTP_F_CONNECTION_KEEP_ALIVE },
             { "upgrade", 7, 0, LODE_HTTP_F_CONNECTION_UPGRADE } };
  int ch = *q | 0x20, i = ch == 'c' ? 0 : ch == 'k' ? 1 : ch == 'u' ? 2 : -1;
  if (i < 0 || !word_is(q, e, kw[i].w, kw[i].n, kw[i].dash))
    return NULL;
  q = skip_ows(q + kw[i].n, e);
  if (q == e || *q != '\r')
    return NULL;
  f->flags |= kw[i].flag;
  return q;
}

/* The value of a special header from its first byte (after whitespace);
 * returns where the ordinary value scan goes on, or NULL to give up. */
static const char* special(fast_t* f, int hs, const char* q, const char* e) {
  if (q == e || *q == '\r')
    return NULL; /* empty: head.c's rules */
  switch (hs) {
    case LODE__HS_CONTENT_LENGTH:
      return content_length(f, q, e);
    case LODE__HS_TRANSFER_ENCODING:
      return transfer_encoding(f, q, e);
    case LODE__HS_CONNECTION:
      return connection(f, q, e);
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

/* Header lines from q to the blank line; returns the end of the head. */
FAST const char* header_lines(lode_http_parser_t* p, fast_t* f, const char* q,
                              const char* e, lode__scan_fn token,
                              lode__scan_fn value) {
  for (;;) {
    if (e - q < 2)
      return NULL;
    if (*q == '\r')
      return q[1] == '\n' ? q + 2 : NULL;
    const char* ns = q;
    q = token(q, e);
    if (q == ns || q == e || *q != ':')
      return NULL;
    size_t nlen = (size_t) (q - ns);
    int hs = LODE__HS_GENERAL;
    if (nlen < 32 && ((SPECIAL_LENGTHS >> nlen) & 1))
      hs = lode__header_state(ns, nlen);
    const char* vs = q = skip_ows(q + 1, e);
    if (hs != LODE__HS_GENERAL && (q = special(f, hs, q, e)) == NULL)
      return NULL;
    q = value(q, e);
    if (e - q < 2 || q[0] != '\r' || q[1] != '\n')
      return NULL; /* (a folded next line fails as a name) */
    f->nread += nlen + (size_t) (q - vs);
    f->seen++;
    if (f->nhdrs < p->max_hdrs) {
      const char* ve = q;
      while (ve > vs && (ve[-1] == ' ' || ve[-1] == '\t'))
        ve--;
      lode_http_header_t* h = &p->hdrs[f->nhdrs++];
      h->name = view(ns, ns + nlen);
      h->value = ve > vs ? view(vs, ve) : view(ns + nlen, ns + nlen);
    }
    q += 2;
  }
}

/* The head is through: what head.c would have left in p. */
static long done(lode_http_parser_t* p, const fast_t* f, const char* s,
                 const char* line1, const char* end) {
  p->line1 = (uint32_t) (line1 - s);
  p->flags = f->flags;
  p->content_length = f->cl;
  p->header_nread = (uint32_t) f->nread;
  p->nhdrs = f->nhdrs;
  p->hdrs_seen = f->seen;
  p->scan = (uint32_t) (end - s);
  p->one_pass = 1;
  return end - s;
}

/* The methods taken here; any other goes to head.c. */
static int method(const char* s, const char* e, size_t* n) {
  if (e - s < 8)
    return -1;
  if (memcmp(s, "GET ", 4) == 0)
    return *n = 3, LODE_HTTP_GET;
  if (memcmp(s, "POST ", 5) == 0)
    return *n = 4, LODE_HTTP_POST;
  if (memcmp(s, "PUT ", 4) == 0)
    return *n = 3, LODE_HTTP_PUT;
  if (memcmp(s, "HEAD ", 5) == 0)
    return *n = 4, LODE_HTTP_HEAD;
  if (memcmp(s, "DELETE ", 7) == 0)
    return *n = 6, LODE_HTTP_DELETE;
  if (memcmp(s, "PATCH ", 6) == 0)
    return *n = 5, LODE_HTTP_PATCH;
  if (memcmp(s, "OPTIONS ", 8) == 0)
    return *n = 7, LODE_HTTP_OPTIONS;
  return -1;
}

/* " HTTP/1.0" or " HTTP/1.1" and the CRLF at q; returns the minor. */
static int version_crlf(const char* q, const char* e) {
  if (e - q < 11 || memcmp(q, " HTTP/1.", 8) != 0 || q[9] != '\r' ||
      q[10] != '\n' || (q[8] != '0' && q[8] != '1'))
    return -1;
  return q[8] - '0';
}

FAST long request(lode_http_parser_t* p, const char* s, const char* e,
                  lode__scan_fn token, lode__scan_fn url, lode__scan_fn value) {
  size_t mlen = 0;
  int m = method(s, e, &mlen);
  if (m < 0 || (size_t) (e - s) <= mlen + 1 || s[mlen + 1] != '/')
    return 0;
  const char* u = s + mlen + 1;
  const char* q = url(u, e);
  while (q < e && (*q == '?' || *q == '#'))
    q = url(q + 1, e);
  if (q == e || *q != ' ')
    return 0;
  int minor = version_crlf(q, e);
  if (minor < 0)
    return 0;
  fast_t f = { .nread = (size_t) (q - u) };
  const char* end = header_lines(p, &f, q + 11, e, token, value);
  if (end == NULL || f.nread >= p->max_header_size)
    return 0;
  p->head.method = m;
  p->head.method_name = view(s, s + mlen);
  p->head.url = view(u, q);
  p->head.http_major = 1;
  p->head.http_minor = minor;
  return done(p, &f, s, q + 11, end);
}

FAST long response(lode_http_parser_t* p, const char* s, const char* e,
                   lode__scan_fn token, lode__scan_fn value) {
  if (e - s < 13 || memcmp(s, "HTTP/1.", 7) != 0 ||
      (s[7] != '0' && s[7] != '1') || s[8] != ' ' || !digit(s[9]) ||
      !digit(s[10]) || !digit(s[11]) || s[12] != ' ')
    return 0;
  const char* t = s + 13;
  const char* q = t;
  for (;;) { /* the reason phrase takes any byte but CR and LF */
    q = value(q, e);
    if (q == e || *q == '\n')
      return 0;
    if (*q == '\r')
      break;
    q++;
  }
  if (e - q < 2 || q[1] != '\n')
    return 0;
  fast_t f = { .nread = (size_t) (q - t) };
  const char* end = header_lines(p, &f, q + 2, e, token, value);
  if (end == NULL || f.nread >= p->max_header_size)
    return 0;
  p->head.status_code = (s[9] - '0') * 100 + (s[10] - '0') * 10 + (s[11] - '0');
  p->head.status_text = view(t, q);
  p->head.http_major = 1;
  p->head.http_minor = s[7] - '0';
  return done(p, &f, s, q + 2, end);
}

FAST long fast_head(lode_http_parser_t* p, const char* s, const char* e,
                    lode__scan_fn token, lode__scan_fn url,
                    lode__scan_fn value) {
  if (p->type == LODE_HTTP_REQUEST)
    return request(p, s, e, token, url, value);
  return response(p, s, e, token, value);
}

long lode__fast_head_scalar(lode_http_parser_t* p, const char* s,
                            const char* e) {
  return fast_head(p, s, e, lode__scalar_token, lode__scalar_url,
                   lode__scalar_value);
}

#ifdef LODE__X86
__attribute__((target("sse4.2"))) long lode__fast_head_sse42(
    lode_http_parser_t* p, const char* s, const char* e) {
  return fast_head(p, s, e, lode__sse_token, lode__sse_url, lode__sse_value);
}

__attribute__((target("avx2"))) long lode__fast_head_avx2(lode_http_parser_t* p,
                                                          const char* s,
                                                          const char* e) {
  return fast_head(p, s, e, lode__avx_token, lode__avx_url, lode__avx_value);
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
