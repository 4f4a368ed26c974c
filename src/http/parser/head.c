/* Message heads: the request or status line and the header lines, with
 * llhttp's grammar, verdicts, reasons and error offsets (llhttp's
 * src/llhttp/http.ts and url.ts are the specification followed here).
 *
 * A head is parsed over contiguous bytes. Work is saved at line
 * boundaries (p->scan), so a head that arrives in pieces is checked once
 * per line plus the last, unfinished line again. A line only counts once
 * the first byte of the next one is seen, because that byte decides
 * whether the value continues (obs-fold). Views are kept as offsets from
 * the message start until the head is complete, since the caller's buffer
 * may move between calls. */
#include <string.h>

#include "http/parser/internal.h"

#define F_KEEP_ALIVE LODE_HTTP_F_CONNECTION_KEEP_ALIVE
#define F_CLOSE LODE_HTTP_F_CONNECTION_CLOSE
#define F_CONN_UPGRADE LODE_HTTP_F_CONNECTION_UPGRADE
#define F_CHUNKED LODE_HTTP_F_CHUNKED
#define F_UPGRADE LODE_HTTP_F_UPGRADE
#define F_CL LODE_HTTP_F_CONTENT_LENGTH
#define F_TE LODE_HTTP_F_TRANSFER_ENCODING

#define LEN(p, flag) ((p)->lenient & LODE_HTTP_LENIENT_##flag)

#define HS_GENERAL LODE__HS_GENERAL
#define HS_CONNECTION LODE__HS_CONNECTION
#define HS_CONTENT_LENGTH LODE__HS_CONTENT_LENGTH
#define HS_TRANSFER_ENCODING LODE__HS_TRANSFER_ENCODING
#define HS_UPGRADE LODE__HS_UPGRADE
#define HS_CONN_KEEP_ALIVE LODE__HS_CONN_KEEP_ALIVE
#define HS_CONN_CLOSE LODE__HS_CONN_CLOSE
#define HS_CONN_UPGRADE LODE__HS_CONN_UPGRADE
#define HS_TE_CHUNKED LODE__HS_TE_CHUNKED

int lode__fail(lode__ctx_t* c, int code, const char* reason, const char* at) {
  c->p->error = code;
  c->p->reason = reason;
  c->p->error_offset = (size_t) (at - c->base);
  return LODE__FAILED;
}

/* A result that is a position, or NULL with the outcome in *rc. */
#define FAIL(code, reason, at)                                                 \
  do {                                                                         \
    *rc = lode__fail(c, LODE_HPE_##code, reason, at);                          \
    return NULL;                                                               \
  } while (0)
#define NEED(q)                                                                \
  do {                                                                         \
    if ((q) >= e) {                                                            \
      *rc = LODE__INCOMPLETE;                                                  \
      return NULL;                                                             \
    }                                                                          \
  } while (0)

static int lower(int ch) {
  return ch >= 'A' && ch <= 'Z' ? ch + 32 : ch;
}

static int is_alpha(int ch) {
  return (ch | 0x20) >= 'a' && (ch | 0x20) <= 'z';
}

static int is_digit(int ch) {
  return ch >= '0' && ch <= '9';
}

/* Counts URL, status text, header names and values against
 * max_header_size, as Node does (its limit is reached at equality). Node
 * checks when llhttp's span of a name, value or status text ends, so its
 * error offset is the byte after the colon, the LF after a value's CR (a
 * bare LF itself), the byte after a status text's CR or LF; `at` says
 * that place. */
static int track(lode__ctx_t* c, uint32_t* nread, size_t n, const char* at) {
  *nread += (uint32_t) n;
  if (n > c->p->max_header_size || *nread >= c->p->max_header_size)
    return lode__fail(c, LODE_HPE_HEADER_OVERFLOW, "Header overflow", at);
  return 0;
}

static lode_slice_t off_slice(const char* s, const char* a, const char* b) {
  lode_slice_t v = { (const char*) (uintptr_t) (a - s), (size_t) (b - a) };
  return v;
}

/* ---- methods ---------------------------------------------------------- */

static const struct {
  const char* name;
  uint8_t len;
  uint8_t num;
} methods[] = {
#define M_(num, name, text) { text, sizeof(text) - 1, num },
  LODE_HTTP_METHOD_MAP(M_)
#undef M_
};
#define NMETHODS (sizeof(methods) / sizeof(methods[0]))

/* The method at q, as llparse's trie matches it: the longest path along
 * the input, no backtracking. Returns its length (method in *m), 0 when
 * more input is needed, or -(1 + offset of the mismatch). */
static long match_method(const char* q, const char* e, int* m) {
  size_t avail = (size_t) (e - q), deepest = 0;
  const char* t = q;
  while (t < e && t - q < 16 &&
         ((*t >= 'A' && *t <= 'Z') || *t == '-' || *t == '_'))
    t++;
  if (t < e && *t == ' ') { /* the common case: a whole known method */
    for (size_t i = 0; i < NMETHODS; i++)
      if (methods[i].name[0] == *q && methods[i].len == t - q &&
          memcmp(methods[i].name, q, t - q) == 0) {
        *m = methods[i].num;
        return t - q;
      }
  }
  for (size_t i = 0; i < NMETHODS; i++) {
    size_t k = 0;
    while (k < methods[i].len && k < avail && methods[i].name[k] == q[k])
      k++;
    if (k > deepest)
      deepest = k;
  }
  if (deepest == avail)
    return 0;
  for (size_t i = 0; i < NMETHODS; i++)
    if (methods[i].len == deepest && memcmp(methods[i].name, q, deepest) == 0) {
      *m = methods[i].num;
      return (long) deepest;
    }
  return -(long) (1 + deepest);
}

static int method_in(int m, int proto) {
  if (proto == 'I')
    return m == LODE_HTTP_SOURCE;
  if (proto == 'R')
    return m == LODE_HTTP_OPTIONS || m == LODE_HTTP_GET ||
           m == LODE_HTTP_POST ||
           (m >= LODE_HTTP_DESCRIBE && m <= LODE_HTTP_FLUSH);
  return m <= LODE_HTTP_PRI || m == LODE_HTTP_QUERY;
}

/* "HTTP", "RTSP" or "ICE" at q: returns the position after it (its first
 * letter in *proto), or NULL. */
static const char* protocol(lode__ctx_t* c, const char* q, int* proto,
                            int* rc) {
  const char* e = c->end;
  NEED(q);
  const char* word = *q == 'R' ? "RTSP" : *q == 'I' ? "ICE" : "HTTP";
  size_t k = 0, n = strlen(word);
  while (k < n && q + k < e && q[k] == word[k])
    k++;
  if (k < n && q + k == e)
    NEED(e);
  if (k < n)
    FAIL(INVALID_CONSTANT, "Expected HTTP/, RTSP/ or ICE/", q + k);
  *proto = word[0];
  return q + n;
}

/* "/1.1" after the protocol; checks the version unless lenient. */
static const char* version(lode__ctx_t* c, const char* q, int* rc) {
  const char* e = c->end;
  lode_http_parser_t* p = c->p;
  NEED(q);
  if (*q != '/')
    FAIL(INVALID_CONSTANT, "Expected HTTP/, RTSP/ or ICE/", q);
  NEED(++q);
  if (!is_digit(*q))
    FAIL(INVALID_VERSION, "Invalid major version", q);
  p->head.http_major = *q - '0';
  NEED(++q);
  if (*q != '.')
    FAIL(INVALID_VERSION, "Expected dot", q);
  NEED(++q);
  if (!is_digit(*q))
    FAIL(INVALID_VERSION, "Invalid minor version", q);
  p->head.http_minor = *q++ - '0';
  int v = p->head.http_major * 10 + p->head.http_minor;
  if (!LEN(p, VERSION) && v != 9 && v != 10 && v != 11 && v != 20)
    FAIL(INVALID_VERSION, "Invalid HTTP version", q);
  return q;
}

/* ---- request-target (url.ts) ------------------------------------------ */

enum {
  U_START,
  U_SCHEMA,
  U_DELIM1,
  U_DELIM2,
  U_SERVER,
  U_SERVER_AT,
  U_PATH,
  U_QUERY,
  U_FRAGMENT
};

static int url_stop(int ch) {
  return ch == ' ' || ch == '\r' || ch == '\n';
}

/* Scans the URL from q; returns the position of its terminator (SP, CR or
 * LF), checked by the caller. */
static const char* url(lode__ctx_t* c, const char* q, int connect, int* rc) {
  const char* e = c->end;
  int st = connect ? U_SERVER : U_START;
  for (;;) {
    if (st == U_PATH)
      q = lode__http_scan_get()->url(q, e);
    else if (st == U_QUERY || st == U_FRAGMENT)
      while (q < e && (LODE__IS(*q, LODE__C_URL) || *q == '?' ||
                       (*q == '#' && st == U_FRAGMENT)))
        q++;
    NEED(q);
    int ch = (unsigned char) *q;
    if ((ch == '\t' || ch == '\f') && st != U_DELIM2)
      FAIL(INVALID_URL, "Invalid characters in url", q + 1);
    switch (st) {
      case U_START:
        if (ch == '/' || ch == '*') {
          st = U_PATH;
          q++;
          continue;
        }
        if (is_alpha(ch)) {
          st = U_SCHEMA;
          continue;
        }
        if (url_stop(ch))
          FAIL(INVALID_URL, "Invalid characters in url", q + 1);
        FAIL(INVALID_URL, "Unexpected start char in url", q);
      case U_SCHEMA:
        if (is_alpha(ch)) {
          q++;
          continue;
        }
        if (ch == ':') {
          st = U_DELIM1;
          q++;
          continue;
        }
        if (url_stop(ch))
          FAIL(INVALID_URL, "Invalid characters in url", q + 1);
        FAIL(INVALID_URL, "Unexpected char in url schema", q);
      case U_DELIM1:
      case U_DELIM2:
        if (ch == '/') {
          st = st == U_DELIM1 ? U_DELIM2 : U_SERVER;
          q++;
          continue;
        }
        if (st == U_DELIM1 && url_stop(ch))
          FAIL(INVALID_URL, "Invalid characters in url", q + 1);
        FAIL(INVALID_URL, "Unexpected char in url schema", q);
      case U_SERVER:
      case U_SERVER_AT:
        if (ch == '/') {
          st = U_PATH;
          q++;
          continue;
        }
        if (ch == '?') {
          st = U_QUERY;
          q++;
          continue;
        }
        if (LODE__IS(ch, LODE__C_USERINFO)) {
          st = U_SERVER;
          q++;
          continue;
        }
        if (ch == '@') {
          if (st == U_SERVER_AT)
            FAIL(INVALID_URL, "Double @ in url", q + 1);
          st = U_SERVER_AT;
          q++;
          continue;
        }
        if (url_stop(ch))
          return q;
        FAIL(INVALID_URL, "Unexpected char in url server", q);
      case U_PATH:
        if (ch == '?') {
          st = U_QUERY;
          q++;
          continue;
        }
        if (ch == '#') {
          st = U_FRAGMENT;
          q++;
          continue;
        }
        if (url_stop(ch))
          return q;
        FAIL(INVALID_URL, "Invalid char in url path", q);
      case U_QUERY:
        if (ch == '#') {
          st = U_FRAGMENT;
          q++;
          continue;
        }
        if (url_stop(ch))
          return q;
        FAIL(INVALID_URL, "Invalid char in url query", q);
      default:
        if (url_stop(ch))
          return q;
        FAIL(INVALID_URL, "Invalid char in url fragment start", q);
    }
  }
}

/* ---- start lines ------------------------------------------------------ */

static const char* line_end(lode__ctx_t* c, const char* q, int* rc) {
  const char* e = c->end;
  lode_http_parser_t* p = c->p;
  NEED(q);
  if (*q == '\n') {
    if (!LEN(p, OPTIONAL_CR_BEFORE_LF))
      FAIL(INVALID_VERSION, "Expected CRLF after version", q + 1);
  } else if (*q != '\r') {
    FAIL(INVALID_VERSION, "Expected CRLF after version", q);
  }
  NEED(++q);
  if (*q == '\n')
    return q + 1;
  if (LEN(p, OPTIONAL_LF_AFTER_CR))
    return q;
  FAIL(STRICT, "Expected CRLF after version", q);
}

static const char* pri_preface(lode__ctx_t* c, const char* q, int* rc) {
  static const char preface[] = "\r\n\r\nSM\r\n\r\n";
  const char* e = c->end;
  for (size_t k = 0; k < sizeof(preface) - 1; k++, q++) {
    NEED(q);
    if (*q != preface[k])
      FAIL(INVALID_VERSION, "Expected HTTP/2 Connection Preface", q);
  }
  FAIL(PAUSED_H2_UPGRADE, "Pause on PRI/Upgrade", q);
}

/* The byte after the URL's end (its space, or the line break of an
 * HTTP/0.9 request) is still the URL's in llhttp: HTAB or FF there is
 * an invalid URL character, at the byte after it. */
static const char* url_exit(lode__ctx_t* c, const char* q, int* rc) {
  const char* e = c->end;
  NEED(q);
  if (*q == '\t' || *q == '\f')
    FAIL(INVALID_URL, "Invalid characters in url", q + 1);
  return q;
}

static const char* request_line(lode__ctx_t* c, const char* s, int* rc) {
  lode_http_parser_t* p = c->p;
  const char* e = c->end;
  int m = 0, proto = 0;
  long n = match_method(s, e, &m);
  if (n == 0)
    NEED(e);
  if (n < 0)
    FAIL(INVALID_METHOD, "Invalid method encountered", s - n - 1);
  const char* q = s + n;
  p->head.method = m;
  p->head.method_name = off_slice(s, s, q);
  NEED(q);
  if (*q != ' ')
    FAIL(INVALID_METHOD, "Expected space after method", q);
  while (++q < e && *q == ' ') {
  }
  const char* u = q;
  q = url(c, u, m == LODE_HTTP_CONNECT, rc);
  if (q == NULL) {
    uint32_t n0 = p->header_nread;
    if (*rc == LODE__INCOMPLETE && track(c, &n0, e - u, e) < 0)
      *rc = LODE__FAILED;
    return NULL;
  }
  p->head.url = off_slice(s, u, q);
  if (track(c, &p->header_nread, q - u, q) < 0) {
    *rc = LODE__FAILED;
    return NULL;
  }
  if (*q != ' ') { /* HTTP/0.9: no version */
    p->head.http_major = 0;
    p->head.http_minor = 9;
    if (*q == '\r') {
      NEED(q + 1);
      if (q[1] != '\n')
        FAIL(INVALID_URL, "Expected CRLF", q + 1);
      q++;
    }
    return url_exit(c, q + 1, rc);
  }
  if (url_exit(c, q + 1, rc) == NULL)
    return NULL;
  while (++q < e && *q == ' ') {
  }
  q = protocol(c, q, &proto, rc);
  if (q == NULL)
    return NULL;
  if (!method_in(m, proto))
    FAIL(INVALID_CONSTANT,
         proto == 'I'   ? "Expected SOURCE method for ICE/x.x request"
         : proto == 'R' ? "Invalid method for RTSP/x.x request"
                        : "Invalid method for HTTP/x.x request",
         q);
  q = version(c, q, rc);
  if (q == NULL)
    return NULL;
  if (m == LODE_HTTP_PRI)
    return pri_preface(c, q, rc);
  return line_end(c, q, rc);
}

static const char* status_line(lode__ctx_t* c, const char* s, int* rc) {
  lode_http_parser_t* p = c->p;
  const char* e = c->end;
  int proto = 0;
  const char* q = protocol(c, s, &proto, rc);
  if (q == NULL || (q = version(c, q, rc)) == NULL)
    return NULL;
  NEED(q);
  if (*q != ' ')
    FAIL(INVALID_VERSION, "Expected space after version", q);
  int code = 0;
  for (int i = 0; i < 3; i++) {
    NEED(++q);
    if (!is_digit(*q))
      FAIL(INVALID_STATUS, "Invalid status code", q);
    code = code * 10 + (*q - '0');
  }
  p->head.status_code = code;
  NEED(++q);
  const char* t = q;
  if (*q == ' ') {
    t = ++q;
    while (q < e && *q != '\r' && *q != '\n')
      q++;
    if (q == e) {
      if (track(c, &(uint32_t){ p->header_nread }, e - t, e) < 0)
        *rc = LODE__FAILED;
      else
        *rc = LODE__INCOMPLETE;
      return NULL;
    }
    /* the status text is counted before its line end is judged, as in
     * Node */
    if (q > t && track(c, &p->header_nread, q - t, q + 1) < 0) {
      *rc = LODE__FAILED;
      return NULL;
    }
    if (*q == '\n' && !LEN(p, OPTIONAL_CR_BEFORE_LF))
      FAIL(CR_EXPECTED, "Missing expected CR after response line", q + 1);
  } else if (*q == '\n') {
    if (!LEN(p, OPTIONAL_CR_BEFORE_LF))
      FAIL(INVALID_STATUS, "Invalid response status", q + 1);
  } else if (*q != '\r') {
    FAIL(INVALID_STATUS, "Invalid response status", q);
  }
  p->head.status_text = off_slice(s, t, q);
  if (*q == '\n')
    return q + 1;
  NEED(++q);
  if (*q == '\n')
    return q + 1;
  if (LEN(p, OPTIONAL_LF_AFTER_CR))
    return q;
  FAIL(STRICT, "Expected LF after CR", q);
}

/* ---- header lines ----------------------------------------------------- */

typedef struct {
  unsigned flags;
  uint64_t cl;
  int hs;
  uint32_t nread;   /* counted bytes of the head so far */
  const char* span; /* start of the counted span in progress, or NULL */
  const char* ns;   /* name */
  const char* ne;
  const char* vs; /* value, NULL while empty */
  const char* ve;
  int end; /* the line was the blank one */
} line_t;

/* An error that llhttp raises as it ends the span in progress (from
 * L->span to `end`): Node counts the span first, so an overflow wins. */
#define SPAN_FAIL(code, reason, end, at)                                       \
  do {                                                                         \
    if (track(c, &L->nread, (size_t) ((end) -L->span), at) < 0) {              \
      *rc = LODE__FAILED;                                                      \
      return NULL;                                                             \
    }                                                                          \
    FAIL(code, reason, at);                                                    \
  } while (0)

static void set_header_flags(line_t* L) {
  switch (L->hs) {
    case HS_CONN_KEEP_ALIVE:
      L->flags |= F_KEEP_ALIVE;
      break;
    case HS_CONN_CLOSE:
      L->flags |= F_CLOSE;
      break;
    case HS_CONN_UPGRADE:
      L->flags |= F_CONN_UPGRADE;
      break;
    case HS_TE_CHUNKED:
      L->flags |= F_CHUNKED;
      break;
    default:
      return;
  }
  if (L->hs != HS_TE_CHUNKED)
    L->hs = HS_CONNECTION;
}

static const char* cl_value(lode__ctx_t* c, line_t* L, const char* q, int* rc) {
  const char* e = c->end;
  for (; q < e && is_digit(*q); q++) {
    unsigned d = (unsigned) (*q - '0');
    if (L->cl > (UINT64_MAX - d) / 10)
      SPAN_FAIL(INVALID_CONTENT_LENGTH, "Content-Length overflow", q + 1,
                q + 1);
    L->cl = L->cl * 10 + d;
  }
  while (q < e && (*q == ' ' || *q == '\t'))
    q++;
  NEED(q);
  if (*q == '\r' || *q == '\n') {
    L->flags |= F_CL;
    return q;
  }
  SPAN_FAIL(INVALID_CONTENT_LENGTH, "Invalid character in Content-Length", q,
            q);
}

/* Transfer-Encoding: whether the last coding is "chunked". */
static const char* te_value(lode__ctx_t* c, line_t* L, const char* q, int* rc) {
  const char* e = c->end;
  lode_http_parser_t* p = c->p;
  for (;;) {
    size_t k = 0;
    while (k < 7 && q + k < e && (q[k] | 0x20) == "chunked"[k])
      k++;
    if (k < 7 && q + k == e)
      NEED(e);
    q += k;
    if (k == 7) {
      while (q < e && *q == ' ')
        q++;
      NEED(q);
      if (*q == '\r' || *q == '\n') {
        L->hs = HS_TE_CHUNKED;
        return q;
      }
      if (*q == ',' && p->type == LODE_HTTP_REQUEST &&
          !LEN(p, TRANSFER_ENCODING))
        SPAN_FAIL(INVALID_TRANSFER_ENCODING,
                  "Invalid `Transfer-Encoding` header value", q, q + 1);
    }
    while (q < e && *q != ',' && LODE__IS(*q, LODE__C_CONNTOK))
      q++;
    NEED(q);
    if (*q != ',') {
      L->hs = HS_GENERAL;
      return q;
    }
    while (++q < e && (*q == ' ' || *q == '\t')) {
    }
    NEED(q);
  }
}

static const char* conn_value(lode__ctx_t* c, line_t* L, const char* q,
                              int* rc) {
  static const struct {
    const char* word;
    int hs;
  } kw[] = { { "close", HS_CONN_CLOSE },
             { "upgrade", HS_CONN_UPGRADE },
             { "keep-alive", HS_CONN_KEEP_ALIVE } };
  const char* e = c->end;
  for (;;) {
    while (q < e && (*q == ' ' || *q == '\t'))
      q++;
    NEED(q);
    int ch = lower((unsigned char) *q), w = ch == 'c'   ? 0
                                            : ch == 'u' ? 1
                                            : ch == 'k' ? 2
                                                        : -1;
    if (w >= 0) {
      size_t k = 0, n = strlen(kw[w].word);
      while (k < n && q + k < e && lower((unsigned char) q[k]) == kw[w].word[k])
        k++;
      if (k < n)
        NEED(q + k);
      q += k;
      if (k == n) {
        L->hs = kw[w].hs;
        while (q < e && (*q == ' ' || *q == '\t'))
          q++;
        NEED(q);
        if (*q == ',') {
          set_header_flags(L);
          q++;
          continue;
        }
        if (*q == '\r' || *q == '\n')
          return q;
        L->hs = HS_GENERAL;
      }
    }
    while (q < e && *q != ',' && LODE__IS(*q, LODE__C_CONNTOK))
      q++;
    NEED(q);
    if (*q != ',')
      return q;
    q++;
  }
}

/* The value from its first byte: llhttp's header_value_start. */
static const char* value_start(lode__ctx_t* c, line_t* L, const char* q,
                               int* rc) {
  lode_http_parser_t* p = c->p;
  switch (L->hs) {
    case HS_UPGRADE:
      L->flags |= F_UPGRADE;
      L->hs = HS_GENERAL;
      return q;
    case HS_TRANSFER_ENCODING:
      if ((L->flags & F_CHUNKED) && p->type == LODE_HTTP_REQUEST &&
          !LEN(p, TRANSFER_ENCODING))
        SPAN_FAIL(INVALID_TRANSFER_ENCODING,
                  "Invalid `Transfer-Encoding` header value", q, q + 1);
      L->flags = (L->flags | F_TE) & ~(unsigned) F_CHUNKED;
      return te_value(c, L, q, rc);
    case HS_CONTENT_LENGTH:
      if (L->flags & F_CL)
        FAIL(UNEXPECTED_CONTENT_LENGTH, "Duplicate Content-Length", q);
      return cl_value(c, L, q, rc);
    case HS_CONNECTION:
      return conn_value(c, L, q, rc);
    default:
      return q;
  }
}

/* Bytes that the value grammar does not allow: fatal unless lenient.
 * Returns the position of the CR or LF that ends the value. */
static const char* value_lenient(lode__ctx_t* c, line_t* L, const char* q,
                                 int* rc) {
  lode_http_parser_t* p = c->p;
  const char* e = c->end;
  if (LEN(p, HEADERS)) {
    while (q < e && *q != '\r' && *q != '\n')
      q++;
    NEED(q);
    return q;
  }
  if (LEN(p, HEADER_VALUE_RELAXED)) {
    for (;;) {
      while (q < e && LODE__IS(*q, LODE__C_RELAXED))
        q++;
      NEED(q);
      if (*q == '\r' || *q == '\n')
        return q;
      break;
    }
  }
  SPAN_FAIL(INVALID_HEADER_TOKEN, "Invalid header value char", q, q);
}

/* From the end of the name (at the ':') to the start of the next line. */
static const char* header_value(lode__ctx_t* c, line_t* L, const char* q,
                                int* rc) {
  lode_http_parser_t* p = c->p;
  const char* e = c->end;
  for (;;) { /* leading whitespace, maybe over folded empty lines */
    while (q < e && (*q == ' ' || *q == '\t'))
      q++;
    NEED(q);
    if (*q != '\r' && *q != '\n')
      break;
    if (*q == '\n' && !LEN(p, OPTIONAL_CR_BEFORE_LF))
      FAIL(INVALID_HEADER_TOKEN, "Invalid header value char", q + 1);
    if (*q++ == '\r') {
      NEED(q);
      if (*q == '\n')
        q++;
      else if (!LEN(p, HEADERS))
        FAIL(STRICT, "Expected LF after CR", q);
    }
    NEED(q);
    if (*q != ' ' && *q != '\t') {
      if (L->hs == HS_CONTENT_LENGTH)
        FAIL(INVALID_CONTENT_LENGTH, "Empty Content-Length", q);
      set_header_flags(L);
      return q;
    }
    if (!LEN(p, HEADERS))
      FAIL(INVALID_HEADER_TOKEN, "Invalid header value char", q + 1);
    q++;
  }
  if (L->vs == NULL)
    L->vs = q;
  for (;;) { /* one piece per line */
    L->span = q;
    if ((q = value_start(c, L, q, rc)) == NULL)
      return NULL;
    q = lode__http_scan_get()->value(q, e);
    NEED(q);
    int any = 0; /* LENIENT_HEADERS took bytes the grammar refuses */
    if (*q != '\r' && *q != '\n') {
      any = LEN(p, HEADERS);
      if ((q = value_lenient(c, L, q, rc)) == NULL)
        return NULL;
    }
    /* the value's span ends (and is counted) before its line end is
     * judged, as in Node */
    const char* end = q;
    if (track(c, &L->nread, end - L->span, *q == '\r' ? q + 1 : q) < 0) {
      *rc = LODE__FAILED;
      return NULL;
    }
    if (*q == '\n' && !any && !LEN(p, OPTIONAL_CR_BEFORE_LF)) {
      FAIL(CR_EXPECTED, "Missing expected CR after header value", q);
    }
    L->span = NULL;
    if (*q++ == '\r') {
      NEED(q);
      if (*q++ != '\n')
        FAIL(LF_EXPECTED, "Missing expected LF after header value", q - 1);
    }
    while (end > L->vs && (end[-1] == ' ' || end[-1] == '\t'))
      end--;
    L->ve = end;
    NEED(q);
    if (*q != ' ' && *q != '\t') {
      set_header_flags(L);
      return q;
    }
    if (!LEN(p, HEADERS))
      FAIL(INVALID_HEADER_TOKEN, "Unexpected whitespace after header value", q);
    if (L->hs == HS_TE_CHUNKED)
      L->hs = HS_GENERAL;
  }
}

/* One header line at q (or the blank line that ends the section). */
static const char* header_line(lode__ctx_t* c, line_t* L, const char* q,
                               int first, int* rc) {
  lode_http_parser_t* p = c->p;
  const char* e = c->end;
  NEED(q);
  if (first && *q == ' ') {
    if (!LEN(p, HEADERS))
      FAIL(UNEXPECTED_SPACE, "Unexpected space after start line", q + 1);
    NEED(++q);
  }
  if (*q == '\r') {
    NEED(++q);
    L->end = 1;
    if (*q == '\n')
      return q + 1;
    if (LEN(p, OPTIONAL_LF_AFTER_CR))
      return q;
    FAIL(STRICT, "Expected LF after headers", q);
  }
  if (*q == '\n') {
    if (!LEN(p, OPTIONAL_CR_BEFORE_LF))
      FAIL(INVALID_HEADER_TOKEN, "Invalid header field char", q + 1);
    L->end = 1;
    return q + 1;
  }
  if (*q == ':')
    FAIL(INVALID_HEADER_TOKEN, "Invalid header token", q);
  L->ns = L->span = q;
  q = lode__http_scan_get()->token(q, e);
  NEED(q);
  L->ne = q;
  L->hs = lode__header_state(L->ns, (size_t) (L->ne - L->ns));
  if (L->hs != HS_GENERAL && *q == ' ') {
    if (!LEN(p, HEADERS))
      SPAN_FAIL(INVALID_HEADER_TOKEN, "Invalid header field char", q, q + 1);
    while (q < e && *q == ' ')
      q++;
    NEED(q);
    if (*q != ':') {
      L->hs = HS_GENERAL;
      q = lode__http_scan_get()->token(q, e);
      NEED(q);
    }
  }
  if (*q != ':')
    FAIL(INVALID_HEADER_TOKEN, "Invalid header token", q);
  L->span = NULL;
  /* Node counts the spaces a special name may have before its colon
   * (lenient) with the name */
  if (track(c, &L->nread, q - L->ns, q + 1) < 0) {
    *rc = LODE__FAILED;
    return NULL;
  }
  q++;
  if (L->hs == HS_TRANSFER_ENCODING && (L->flags & F_CL) &&
      !LEN(p, CHUNKED_LENGTH))
    FAIL(INVALID_TRANSFER_ENCODING,
         "Transfer-Encoding can't be present with Content-Length", q);
  if (L->hs == HS_CONTENT_LENGTH && (L->flags & F_TE) &&
      !LEN(p, CHUNKED_LENGTH))
    FAIL(INVALID_CONTENT_LENGTH,
         "Content-Length can't be present with Transfer-Encoding", q);
  return header_value(c, L, q, rc);
}

/* An unfinished line still counts what it has so far; and whatever the
 * counting says, a head that grows past four times the limit (whitespace
 * that Node does not count) is refused rather than buffered. */
static long incomplete(lode__ctx_t* c, const line_t* L, const char* s) {
  lode_http_parser_t* p = c->p;
  uint32_t n = L->nread ? L->nread : p->header_nread;
  if (L->span != NULL && track(c, &n, c->end - L->span, c->end) < 0)
    return LODE__FAILED;
  if ((size_t) (c->end - s) > 4 * (size_t) p->max_header_size + 64)
    return lode__fail(c, LODE_HPE_HEADER_OVERFLOW, "Header overflow", c->end);
  return LODE__INCOMPLETE;
}

static void store_header(lode_http_parser_t* p, const line_t* L,
                         const char* s) {
  p->hdrs_seen++;
  if (p->nhdrs >= p->max_hdrs)
    return;
  lode_http_header_t* h = &p->hdrs[p->nhdrs++];
  h->name = off_slice(s, L->ns, L->ne);
  h->value = L->vs ? off_slice(s, L->vs, L->ve) : off_slice(s, L->ne, L->ne);
}

/* Header lines from p->scan on; returns the section's length once the
 * blank line is through. */
static long header_lines(lode__ctx_t* c, const char* s, uint32_t first) {
  lode_http_parser_t* p = c->p;
  for (;;) {
    line_t L = { .flags = p->flags,
                 .cl = p->content_length,
                 .nread = p->header_nread };
    int rc = 0;
    const char* q = header_line(c, &L, s + p->scan, p->scan == first, &rc);
    if (q == NULL)
      return rc == LODE__INCOMPLETE ? incomplete(c, &L, s) : rc;
    p->flags = L.flags;
    p->content_length = L.cl;
    p->header_nread = L.nread;
    p->scan = (uint32_t) (q - s);
    if (L.end)
      return q - s;
    store_header(p, &L, s);
  }
}

long lode__parse_head(lode__ctx_t* c, const char* s) {
  lode_http_parser_t* p = c->p;
  if (p->line1 == 0) {
    /* a carried content_length (see cleanup()) is the precise parser's */
    long n = p->content_length || c->no_fast
                 ? 0
                 : lode__http_scan_get()->head(p, s, c->end);
    if (n > 0)
      return n;
    int rc = 0;
    p->header_nread = 0; /* the start line is parsed whole each time */
    const char* q = p->type == LODE_HTTP_REQUEST ? request_line(c, s, &rc)
                                                 : status_line(c, s, &rc);
    if (q == NULL)
      return rc == LODE__INCOMPLETE ? incomplete(c, &(line_t){ 0 }, s) : rc;
    p->line1 = p->scan = (uint32_t) (q - s);
  }
  return header_lines(c, s, p->line1);
}

long lode__parse_trailers(lode__ctx_t* c, const char* s) {
  return header_lines(c, s, UINT32_MAX);
}
