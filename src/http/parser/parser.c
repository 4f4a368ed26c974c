/* The parser's driver: one event per call, message after message. Heads
 * and trailers are parsed in head.c; bodies here, with llhttp's framing
 * rules (llhttp's src/native/http.c decides what follows a head). Body
 * states never need old bytes again, so everything they see is consumed:
 * only heads and trailers ask the caller to keep bytes. */
#include <string.h>

#include "http/parser/internal.h"
#include "core/ascii.h"

#define F_CONNECTION_KEEP_ALIVE LODE_HTTP_F_CONNECTION_KEEP_ALIVE
#define F_CONNECTION_CLOSE LODE_HTTP_F_CONNECTION_CLOSE
#define F_CONNECTION_UPGRADE LODE_HTTP_F_CONNECTION_UPGRADE
#define F_CHUNKED LODE_HTTP_F_CHUNKED
#define F_UPGRADE LODE_HTTP_F_UPGRADE
#define F_CONTENT_LENGTH LODE_HTTP_F_CONTENT_LENGTH
#define F_SKIPBODY LODE_HTTP_F_SKIPBODY
#define F_TRAILING LODE_HTTP_F_TRAILING
#define F_TRANSFER_ENCODING LODE_HTTP_F_TRANSFER_ENCODING
#define LEN(p, flag) ((p)->lenient & LODE_HTTP_LENIENT_##flag)

#define INLINE static inline __attribute__((always_inline))

/* llhttp's `finish` values: may the input end here? */
enum { FINISH_SAFE, FINISH_SAFE_WITH_CB, FINISH_UNSAFE };

const char* lode_http_method_name(int method) {
  switch (method) {
#define NAME_(num, name, text)                                                 \
  case num:                                                                    \
    return text;
    LODE_HTTP_METHOD_MAP(NAME_)
#undef NAME_
    default:
      return NULL;
  }
}

/* A limit from the options: 0 means `def`; above LODE_HTTP_LIMIT_MAX it
 * does not fit the parser's counters and is refused (-1). */
static int64_t limit(size_t v, uint32_t def) {
  if (v == 0)
    return def;
  return v > LODE_HTTP_LIMIT_MAX ? -1 : (int64_t) v;
}

/* The one place that sets the message state: every field from `state`
 * to `error_offset` is zeroed, then the ones that start elsewhere are
 * set. begin_message() sets again what each message starts with. (In
 * pieces of at most 64 bytes, which the compiler stores with a few vector
 * moves, where a larger memset became a slower string instruction.) */
INLINE void reset_state(lode_http_parser_t* p) {
  size_t from = offsetof(lode_http_parser_t, state);
  size_t head = offsetof(lode_http_parser_t, head);
  size_t error = offsetof(lode_http_parser_t, error);
  memset((char*) p + from, 0, head - from);
  memset((char*) p + head, 0, 64);
  memset((char*) p + head + 64, 0, error - head - 64);
  memset((char*) p + error, 0, offsetof(lode_http_parser_t, inline_) - error);
  p->head.method = -1;
  p->state = LODE__S_START;
  p->finish = FINISH_SAFE;
  p->head_result = -1;
  if (p->init_error) {
    p->state = LODE__S_ERROR;
    p->error = p->init_error;
    p->reason = p->init_error == LODE_ERR_OUT_OF_RANGE
                    ? "A parser limit is out of range"
                    : "Invalid parser type";
  }
}

/* A refused configuration: the code init returns. */
static int refused(lode_http_parser_type_t type,
                   const lode_http_parser_opts_t* o) {
  if (type != LODE_HTTP_REQUEST && type != LODE_HTTP_RESPONSE)
    return LODE_HPE_INTERNAL;
  if (limit(o->max_header_size, 1) < 0 ||
      limit(o->max_chunk_extensions, 1) < 0 || limit(o->max_headers, 1) < 0)
    return LODE_ERR_OUT_OF_RANGE;
  return 0;
}

int lode_http_parser_init(lode_http_parser_t* p, lode_http_parser_type_t type,
                          const lode_http_parser_opts_t* opts) {
  static const lode_http_parser_opts_t defaults;
  if (opts == NULL)
    opts = &defaults;
  /* every field of the configuration is set here, the message state by
   * reset() (a parser per connection makes this a per-message cost for
   * short connections: no memset of the whole, one test for all limits) */
  size_t mh = opts->max_header_size, mc = opts->max_chunk_extensions;
  size_t mx = opts->max_headers;
  p->init_error = 0;
  if ((mh | mc | mx) > LODE_HTTP_LIMIT_MAX || (unsigned) type - 1 > 1)
    p->init_error = refused(type, opts);
  p->type = (uint8_t) type;
  p->lenient = (uint16_t) opts->lenient;
  p->max_header_size = mh ? (uint32_t) mh : LODE_HTTP_DEFAULT_MAX_HEADER_SIZE;
  p->max_chunk_ext = mc ? (uint32_t) mc : 16384; /* Node's */
  if (opts->headers) {
    p->hdrs = opts->headers;
    p->max_hdrs = (uint32_t) mx;
  } else {
    p->hdrs = p->inline_;
    p->max_hdrs = mx && mx < LODE_HTTP_INLINE_HEADERS
                      ? (uint32_t) mx
                      : LODE_HTTP_INLINE_HEADERS;
  }
  p->method_answered_ = opts->method ? opts->method : LODE_HTTP_GET;
  p->merge = opts->merge_complete ? 1 : 0;
  reset_state(p);
  return p->init_error;
}

void lode_http_parser_reset(lode_http_parser_t* p) {
  reset_state(p);
}

static int fail(lode__ctx_t* c, int code, const char* reason, const char* at) {
  lode__fail(c, code, reason, at);
  c->p->state = LODE__S_ERROR;
  return code;
}

INLINE int needs_eof(const lode_http_parser_t* p, unsigned flags) {
  int status = p->head.status_code;
  if (p->type == LODE_HTTP_REQUEST)
    return 0;
  if (status / 100 == 1 || status == 204 || status == 304 ||
      (flags & F_SKIPBODY))
    return 0;
  if ((flags & F_TRANSFER_ENCODING) && !(flags & F_CHUNKED))
    return 1;
  return (flags & (F_CHUNKED | F_CONTENT_LENGTH)) ? 0 : 1;
}

INLINE int keep_alive(const lode_http_parser_t* p, unsigned flags) {
  if (p->head.http_major > 0 && p->head.http_minor > 0) {
    if (flags & F_CONNECTION_CLOSE)
      return 0;
  } else if (!(flags & F_CONNECTION_KEEP_ALIVE)) {
    return 0;
  }
  return !needs_eof(p, flags);
}

int lode__should_keep_alive(const lode_http_parser_t* p, unsigned flags) {
  return keep_alive(p, flags);
}

int lode_http_parser_should_keep_alive(const lode_http_parser_t* p) {
  return lode__should_keep_alive(p, p->flags);
}

static void rebase(lode_slice_t* v, const char* s) {
  v->base = s + (uintptr_t) v->base;
}

static void begin_message(lode_http_parser_t* p) {
  /* head_done() sets the rest of the head */
  lode_http_head_t* h = &p->head;
  h->method = -1;
  h->status_code = h->http_major = h->http_minor = 0;
  h->method_name = h->url = h->status_text = (lode_slice_t){ NULL, 0 };
  p->one_pass = 0;
  p->state = LODE__S_HEAD;
  p->finish = FINISH_UNSAFE;
  p->scan = p->line1 = 0;
  p->nhdrs = p->hdrs_seen = 0;
  p->header_nread = 0;
  p->flags = 0;
  p->content_length = p->remaining; /* 0, or what cleanup() carried */
  p->upgrade = 0;
  p->head_result = -1;
}

/* The head is complete at s[0..n): llhttp's before_headers_complete, and
 * the views made real. */
INLINE void head_done(lode_http_parser_t* p, const char* s, int one_pass) {
  lode_http_head_t* h = &p->head;
  unsigned f = p->flags;
  if ((f & F_UPGRADE) && (f & F_CONNECTION_UPGRADE))
    p->upgrade = p->type == LODE_HTTP_REQUEST || h->status_code == 101;
  else
    p->upgrade = h->method == LODE_HTTP_CONNECT;
  if (p->type == LODE_HTTP_RESPONSE && p->method_answered_ == LODE_HTTP_CONNECT)
    p->upgrade = 1; /* Node's client: a tunnel, whatever the status */
  if (!one_pass) {
    rebase(&h->method_name, s);
    rebase(&h->url, s);
    rebase(&h->status_text, s);
    for (uint32_t i = 0; i < p->nhdrs; i++) {
      rebase(&p->hdrs[i].name, s);
      rebase(&p->hdrs[i].value, s);
    }
  }
  h->headers = p->hdrs;
  h->num_headers = p->nhdrs;
  h->headers_seen = p->hdrs_seen;
  h->content_length = p->content_length;
  p->remaining = p->content_length; /* llhttp's count, until a body uses it */
  h->flags = f;
  h->keep_alive = keep_alive(p, f);
  h->upgrade = p->upgrade;
  p->trailers_at = p->nhdrs;
}

/* Node's answer to on_headers_complete when the caller gave none: skip
 * the body of a response to HEAD, of a 1xx, and of a tunnel. */
static void apply_head_result(lode_http_parser_t* p) {
  int r = p->head_result;
  if (r < 0 && p->type == LODE_HTTP_RESPONSE) {
    int st = p->head.status_code;
    r = p->method_answered_ == LODE_HTTP_CONNECT ? 3
        : (p->method_answered_ == LODE_HTTP_HEAD ||
           (st / 100 == 1 && st != 101))
            ? 1
            : 0;
  }
  if (r > 0)
    p->flags |= F_SKIPBODY;
  if (r > 0 && (r & 2))
    p->upgrade = 1;
}

/* llhttp__after_headers_complete: what comes after the head. */
static int body_mode(lode_http_parser_t* p) {
  unsigned f = p->flags;
  int st = p->head.status_code, resp = p->type == LODE_HTTP_RESPONSE;
  int has_body = (f & F_CHUNKED) || p->content_length > 0;
  if ((p->upgrade && (p->head.method == LODE_HTTP_CONNECT || (f & F_SKIPBODY) ||
                      !has_body)) ||
      (resp && st == 101))
    return 1;
  if (resp && st == 100)
    return 0;
  if ((f & F_SKIPBODY) ||
      (resp && (st == 102 || st == 103 || st == 204 || st == 304)))
    return 0;
  if (f & F_CHUNKED)
    return 2;
  if (f & F_TRANSFER_ENCODING) {
    if (!resp && !LEN(p, CHUNKED_LENGTH) && !LEN(p, TRANSFER_ENCODING))
      return 5;
    return 4;
  }
  if (!(f & F_CONTENT_LENGTH))
    return needs_eof(p, f) ? 4 : 0;
  return p->content_length == 0 ? 0 : 3;
}

/* body_mode()'s answer for the usual message with a body, sooner: 2 for
 * chunked, 3 for a Content-Length, when nothing else can apply (no
 * answer from after_head(), no upgrade, a response with a body by its
 * status and the request's method); 0 to ask body_mode(). */
INLINE int plain_body(const lode_http_parser_t* p) {
  unsigned f = p->flags;
  if (p->head_result >= 0 || p->upgrade || (f & F_SKIPBODY))
    return 0;
  if (p->type == LODE_HTTP_RESPONSE) {
    int st = p->head.status_code, m = p->method_answered_;
    if (st < 200 || st == 204 || st == 304 || m == LODE_HTTP_HEAD ||
        m == LODE_HTTP_CONNECT)
      return 0;
  }
  if (f & F_CHUNKED)
    return 2;
  if ((f & (F_TRANSFER_ENCODING | F_CONTENT_LENGTH)) == F_CONTENT_LENGTH &&
      p->content_length > 0)
    return 3;
  return 0;
}

static int after_head(lode__ctx_t* c, const char* q) {
  lode_http_parser_t* p = c->p;
  int mode = plain_body(p);
  if (mode == 0) {
    apply_head_result(p);
    mode = body_mode(p);
  }
  switch (mode) {
    case 1:
      p->upgrade = 1;
      p->state = LODE__S_COMPLETE;
      return 0;
    case 2:
      p->state = LODE__S_CHUNK_SIZE;
      p->chunk_state = 0;
      return 0;
    case 3:
      p->remaining = p->content_length;
      p->state = LODE__S_BODY;
      return 0;
    case 4:
      p->finish = FINISH_SAFE_WITH_CB;
      p->state = LODE__S_BODY_EOF;
      return 0;
    case 5:
      return fail(c, LODE_HPE_INVALID_TRANSFER_ENCODING,
                  "Request has invalid `Transfer-Encoding`", q);
    default:
      p->state = LODE__S_COMPLETE;
      return 0;
  }
}

/* ---- chunked framing -------------------------------------------------- */

enum {
  CS_START,
  CS_SIZE,
  CS_OTHER,
  CS_EXT,
  CS_NAME,
  CS_VALUE,
  CS_QUOTED,
  CS_QPAIR,
  CS_QDONE,
  CS_ALMOST,
  CS_DONE
};

#define CFAIL(code, reason, at) return fail(c, LODE_HPE_##code, reason, at)

/* A line break inside extensions: CR goes on to the LF; a bare LF only
 * when lenient (and is then matched again as the LF). */
static int ext_eol(lode__ctx_t* c, const char** qp, const char* what) {
  lode_http_parser_t* p = c->p;
  if (**qp == '\r') {
    (*qp)++;
  } else if (!LEN(p, OPTIONAL_CR_BEFORE_LF)) {
    return fail(c, LODE_HPE_CR_EXPECTED, what, *qp);
  }
  p->chunk_state = CS_ALMOST;
  return 0;
}

/* One byte of the chunk-size line in a state that needs it. */
static int chunk_byte(lode__ctx_t* c, const char** qp) {
  lode_http_parser_t* p = c->p;
  const char* q = *qp;
  int ch = (unsigned char) *q, h;
  switch (p->chunk_state) {
    case CS_START:
    case CS_SIZE:
      if ((h = lode__hexval(ch)) >= 0) {
        if (p->remaining > (UINT64_MAX >> 4))
          CFAIL(INVALID_CHUNK_SIZE, "Chunk size overflow", q + 1);
        p->remaining = (p->remaining << 4) | (uint64_t) h;
        p->chunk_state = CS_SIZE;
        break;
      }
      if (p->chunk_state == CS_START)
        CFAIL(INVALID_CHUNK_SIZE, "Invalid character in chunk size", q);
      p->chunk_state = CS_OTHER;
      return 0; /* look at the byte again */
    case CS_OTHER:
      if (ch == ' ' || ch == '\t') {
        if (!LEN(p, SPACES_AFTER_CHUNK_SIZE))
          CFAIL(INVALID_CHUNK_SIZE, "Invalid character in chunk size", q + 1);
      } else if (ch == '\r') {
        p->chunk_state = CS_ALMOST;
      } else if (ch == '\n') {
        if (!LEN(p, OPTIONAL_CR_BEFORE_LF))
          CFAIL(CR_EXPECTED, "Missing expected CR after chunk size", q + 1);
        p->chunk_state = CS_ALMOST;
      } else if (ch == ';') {
        p->chunk_state = CS_EXT;
      } else {
        CFAIL(INVALID_CHUNK_SIZE, "Invalid character in chunk size", q);
      }
      break;
    case CS_EXT:
      if (ch == ' ' || ch == '\r')
        CFAIL(STRICT, "Invalid character in chunk extensions", q + 1);
      p->chunk_state = CS_NAME;
      return 0;
    case CS_NAME:
    case CS_VALUE: {
      int name = p->chunk_state == CS_NAME;
      if (LODE__IS(ch, LODE__C_TOKEN))
        break;
      if (ch == '"' && !name) {
        p->chunk_state = CS_QUOTED;
        break;
      }
      if (ch == '=' && name) {
        p->chunk_state = CS_VALUE;
        break;
      }
      if (ch == ';') {
        p->chunk_state = CS_EXT;
        break;
      }
      if (ch == '\r' || ch == '\n') {
        int r = ext_eol(
            c, qp,
            name ? "Missing expected CR after chunk extension name"
                 : "Missing expected CR after chunk extension value");
        return r < 0 ? r : 0;
      }
      CFAIL(STRICT,
            name ? "Invalid character in chunk extensions name"
                 : "Invalid character in chunk extensions value",
            q + 1);
    }
    case CS_QUOTED:
      if (ch == '"')
        p->chunk_state = CS_QDONE;
      else if (ch == '\\')
        p->chunk_state = CS_QPAIR;
      else if (!LODE__IS(ch, LODE__C_QDTEXT))
        CFAIL(STRICT, "Invalid character in chunk extensions quoted value",
              q + 1);
      break;
    case CS_QPAIR:
      if (!LODE__IS(ch, LODE__C_QPAIR))
        CFAIL(STRICT, "Invalid quoted-pair in chunk extensions quoted value",
              q + 1);
      p->chunk_state = CS_QUOTED;
      break;
    case CS_QDONE:
      if (ch == ';') {
        p->chunk_state = CS_EXT;
        break;
      }
      if (ch == '\r' || ch == '\n') {
        int r = ext_eol(c, qp,
                        "Missing expected CR after chunk extension value");
        return r < 0 ? r : 0;
      }
      CFAIL(STRICT, "Invalid character in chunk extensions quote value", q);
    default: /* CS_ALMOST */
      if (ch == '\n') {
        *qp = q + 1;
      } else if (!LEN(p, OPTIONAL_LF_AFTER_CR)) {
        CFAIL(STRICT, "Expected LF after chunk size", q);
      }
      p->chunk_state = CS_DONE;
      return 0;
  }
  if (p->chunk_state >= CS_NAME && p->chunk_state <= CS_QDONE &&
      ++p->ext_nread > p->max_chunk_ext)
    CFAIL(CHUNK_EXTENSIONS_OVERFLOW, "Chunk extensions overflow", q + 1);
  *qp = q + 1;
  return 0;
}

/* The usual chunk-size line, whole in the input: at most 16 hex digits
 * (no overflow) and CRLF. Anything else is left to chunk_byte(). */
static int chunk_size_line(lode__ctx_t* c, const char** qp) {
  const char* q = *qp;
  const char* d = q;
  uint64_t v = 0;
  int h;
  while (q < c->end && q - d < 16 &&
         (h = lode__hexval((unsigned char) *q)) >= 0) {
    v = v << 4 | (uint64_t) h;
    q++;
  }
  if (q == d || c->end - q < 2 || q[0] != '\r' || q[1] != '\n')
    return 0;
  c->p->remaining = v;
  *qp = q + 2;
  return 1;
}

/* The chunk-size line, resumable at any byte. Returns 0 when more input
 * is needed (all consumed), 1 when the line is through. */
static int chunk_size(lode__ctx_t* c, const char** qp) {
  lode_http_parser_t* p = c->p;
  if (p->chunk_state == CS_START) {
    p->remaining = 0;
    p->ext_nread = 0;
    if (chunk_size_line(c, qp))
      p->chunk_state = CS_DONE;
  }
  while (p->chunk_state != CS_DONE) {
    if (*qp == c->end)
      return 0;
    int r = chunk_byte(c, qp);
    if (r < 0)
      return r;
  }
  p->header_nread = 0; /* Node counts trailers afresh */
  return 1;
}

/* The CRLF after chunk data. Returns 1 when through, 0 for more input. */
static int chunk_crlf(lode__ctx_t* c, const char** qp) {
  lode_http_parser_t* p = c->p;
  const char* q = *qp;
  if (q == c->end)
    return 0;
  if (p->crlf_pending == 0 && *q == '\r') {
    p->crlf_pending = 1;
    if (++q == c->end) {
      *qp = q;
      return 0;
    }
  }
  if (*q == '\n') {
    if (p->crlf_pending == 0 && !LEN(p, OPTIONAL_CR_BEFORE_LF))
      CFAIL(CR_EXPECTED, "Missing expected CR after chunk data", q + 1);
    q++;
  } else if (!LEN(p, OPTIONAL_CRLF_AFTER_CHUNK)) {
    CFAIL(STRICT, "Expected LF after chunk data", q);
  }
  *qp = q;
  return 1;
}

/* ---- the driver ------------------------------------------------------- */

/* With merge_complete, the message ends on this event: the state
 * MESSAGE_COMPLETE would have left. An upgrade is never merged (its
 * UPGRADE event follows the end of the message). */
static int merge_end(lode_http_parser_t* p, lode_http_event_t* ev) {
  if (!p->merge || p->upgrade)
    return 0;
  ev->complete = 1;
  p->state = LODE__S_CLEANUP;
  return 1;
}

/* After the last chunk's data: the usual "\r\n0\r\n\r\n" (CRLF, the last
 * chunk, no trailers) ends the message on the same event when it is
 * there whole. */
static void last_chunk(lode_http_parser_t* p, lode_http_event_t* ev,
                       const char** qp, const char* e) {
  if (!p->merge || p->upgrade || e - *qp < 7 ||
      memcmp(*qp, "\r\n0\r\n\r\n", 7) != 0)
    return;
  *qp += 7;
  p->flags |= F_TRAILING;
  merge_end(p, ev);
}

INLINE void body_event(lode_http_parser_t* p, lode_http_event_t* ev,
                       const char** qp, const char* e) {
  uint64_t n = (uint64_t) (e - *qp);
  if (p->state != LODE__S_BODY_EOF && n > p->remaining)
    n = p->remaining;
  ev->type = LODE_HTTP_EV_BODY;
  ev->data.base = *qp;
  ev->data.len = (size_t) n;
  *qp += n;
  if (p->state == LODE__S_BODY_EOF)
    return;
  p->remaining -= n;
  if (p->remaining > 0)
    return;
  if (p->state == LODE__S_BODY) {
    p->state = LODE__S_COMPLETE;
    merge_end(p, ev);
  } else {
    p->state = LODE__S_CHUNK_CRLF;
    last_chunk(p, ev, qp, e);
  }
}

static void trailers_done(lode_http_parser_t* p, const char* s,
                          lode_http_event_t* ev) {
  for (uint32_t i = p->trailers_at; i < p->nhdrs; i++) {
    rebase(&p->hdrs[i].name, s);
    rebase(&p->hdrs[i].value, s);
  }
  ev->trailers = p->hdrs + p->trailers_at;
  ev->num_trailers = p->nhdrs - p->trailers_at;
  p->state = LODE__S_COMPLETE;
  if (ev->num_trailers > 0)
    merge_end(p, ev);
}

/* After MESSAGE_COMPLETE: llhttp's cleanup. */
static void cleanup(lode_http_parser_t* p) {
  if (p->upgrade) {
    p->state = LODE__S_UPGRADED;
    return;
  }
  /* the head's answer, unless a flag changed since (F_SKIPBODY) */
  int keep = p->flags == p->head.flags ? p->head.keep_alive
                                       : lode__should_keep_alive(p, p->flags);
  p->flags = 0;
  p->finish = FINISH_SAFE;
  p->state = keep || LEN(p, KEEP_ALIVE) ? LODE__S_START : LODE__S_CLOSED;
  /* llhttp zeroes its content_length only for a message that keeps the
   * connection alive: one that goes on by LENIENT_KEEP_ALIVE carries what
   * its body did not use (a skipped body's length) into the next
   * message, whose Content-Length digits then add to it */
  if (keep)
    p->remaining = 0;
}

/* A head whose message has no body whatever the caller answers in
 * lode_http_parser_after_head() (short of an upgrade) ends its message
 * at once with merge_complete. */
INLINE void merge_head(lode_http_parser_t* p, lode_http_event_t* ev) {
  if (p->type == LODE_HTTP_REQUEST) { /* body_mode()'s answer, sooner */
    if ((p->flags & (F_CHUNKED | F_TRANSFER_ENCODING)) ||
        p->content_length > 0) {
      p->framing = (uint8_t) plain_body(p);
      return;
    }
    p->framing = 0;
    if (!p->merge || p->upgrade)
      return;
    /* (apply_head_result() changes nothing in a request yet) */
  } else {
    /* kept for the body's first call, unless after_head() or
     * set_method() changes what it depends on */
    int mode = plain_body(p);
    p->framing = (uint8_t) mode;
    if (mode || !p->merge || p->upgrade || body_mode(p) != 0)
      return;
    apply_head_result(p);
    if (p->upgrade) /* an upgrade is never merged */
      return;
  }
  ev->complete = 1; /* merge_end() */
  p->state = LODE__S_CLEANUP;
}

static int step_head(lode__ctx_t* c, const char** qp, lode_http_event_t* ev) {
  lode_http_parser_t* p = c->p;
  long n;
  if (p->state == LODE__S_HEAD) {
    if ((n = lode__parse_head(c, *qp)) <= 0)
      goto out;
    head_done(p, *qp, p->one_pass);
    ev->type = LODE_HTTP_EV_HEAD;
    p->state = LODE__S_AFTER_HEAD;
    merge_head(p, ev);
  } else {
    if ((n = lode__parse_trailers(c, *qp)) <= 0)
      goto out;
    trailers_done(p, *qp, ev);
    if (ev->num_trailers > 0)
      ev->type = LODE_HTTP_EV_TRAILERS;
  }
  *qp += n;
  return 0;
out:
  if (n == LODE__FAILED) {
    p->state = LODE__S_ERROR;
    return p->error;
  }
  return 0; /* incomplete: NEED_MORE, the head's bytes stay */
}

/* Runs states until an event is ready; returns 0 or an error code. */
static int run(lode__ctx_t* c, const char** qp, lode_http_event_t* ev) {
  lode_http_parser_t* p = c->p;
  const char* e = c->end;
  int r;
  for (;;) {
    switch (p->state) {
      case LODE__S_START:
        while (*qp < e && (**qp == '\r' || **qp == '\n'))
          (*qp)++;
        if (*qp == e)
          return 0;
        begin_message(p);
        /* fall through */
      case LODE__S_HEAD:
      case LODE__S_TRAILERS:
        r = step_head(c, qp, ev);
        if (r < 0 || ev->type != LODE_HTTP_EV_NEED_MORE ||
            p->state == LODE__S_HEAD || p->state == LODE__S_TRAILERS)
          return r;
        break;
      case LODE__S_AFTER_HEAD:
        if ((r = after_head(c, *qp)) < 0)
          return r;
        break;
      case LODE__S_BODY:
      case LODE__S_BODY_EOF:
      case LODE__S_CHUNK_DATA:
        if (*qp == e)
          return 0;
        body_event(p, ev, qp, e);
        return 0;
      case LODE__S_CHUNK_SIZE:
        if ((r = chunk_size(c, qp)) <= 0)
          return r;
        p->chunk_state = CS_START;
        if (p->remaining > 0) {
          p->state = LODE__S_CHUNK_DATA;
        } else {
          p->flags |= F_TRAILING;
          p->state = LODE__S_TRAILERS;
          p->scan = 0;
        }
        break;
      case LODE__S_CHUNK_CRLF:
        if ((r = chunk_crlf(c, qp)) <= 0)
          return r;
        p->crlf_pending = 0;
        p->state = LODE__S_CHUNK_SIZE;
        break;
      case LODE__S_COMPLETE:
        ev->type = LODE_HTTP_EV_MESSAGE_COMPLETE;
        p->state = LODE__S_CLEANUP;
        return 0;
      case LODE__S_CLEANUP:
        cleanup(p);
        break;
      case LODE__S_CLOSED:
        while (*qp < e && (**qp == '\r' || **qp == '\n'))
          (*qp)++;
        if (*qp == e)
          return 0;
        if (!LEN(p, DATA_AFTER_CLOSE))
          return fail(c, LODE_HPE_CLOSED_CONNECTION,
                      "Data after `Connection: close`", *qp + 1);
        *qp = e;
        return 0;
      case LODE__S_UPGRADED:
        ev->type = LODE_HTTP_EV_UPGRADE;
        return 0;
      default:
        return p->error ? p->error : LODE_HPE_INTERNAL;
    }
  }
}

/* The usual start of a message: an ordinary head, whole, parsed in one
 * pass (fast.c) and reported at once, without the state machine. What
 * begin_message() and step_head() would do, less what the one-pass
 * parser has set already. Returns 1 when done, 0 when the head is not
 * for it, -1 when it failed on this input (the precise parser then does
 * not try it again). */
INLINE int fast_message(lode_http_parser_t* p, const char* s, const char* e,
                        lode_http_event_t* ev) {
  /* nothing, CR/LF to skip (or another control byte, for the precise
   * parser), or a carried content_length */
  if (e == s || (unsigned char) *s <= '\r' || p->remaining != 0)
    return 0;
  long n = lode__http_scan_get()->head(p, s, e);
  if (n <= 0)
    return -1;
  p->finish = FINISH_UNSAFE;
  p->head_result = -1;
  head_done(p, s, 1);
  ev->type = LODE_HTTP_EV_HEAD;
  ev->consumed = (size_t) n;
  p->state = LODE__S_AFTER_HEAD;
  merge_head(p, ev);
  return 1;
}

/* Everything but the usual start of a message: the state machine. Apart,
 * so that the usual path pays for none of its registers. */
static __attribute__((noinline)) int execute_states(lode_http_parser_t* p,
                                                    const char* data,
                                                    const char* end,
                                                    lode_http_event_t* ev,
                                                    int no_fast) {
  if (p->state == LODE__S_ERROR)
    return p->error;
  lode__ctx_t c = { p, data, end, no_fast };
  const char* q = data;
  int r = run(&c, &q, ev);
  ev->consumed = (size_t) (q - data);
  return r;
}

int lode_http_parser_execute(lode_http_parser_t* p, const char* data,
                             size_t len, lode_http_event_t* ev) {
  memset(ev, 0, sizeof(*ev));
  if (data == NULL)
    len = 0;
  if (p->state == LODE__S_CLEANUP)
    cleanup(p);
  int r = 0;
  if (p->state == LODE__S_START &&
      (r = fast_message(p, data, data + len, ev)) > 0)
    return 0;
  /* the usual body after a head: a Content-Length's bytes at once */
  if (p->state == LODE__S_AFTER_HEAD) {
    int mode = p->framing;
    if (mode == 3) {
      p->remaining = p->content_length;
      p->state = LODE__S_BODY;
    } else if (mode == 2) {
      p->state = LODE__S_CHUNK_SIZE;
      p->chunk_state = 0;
    }
  }
  if (p->state == LODE__S_BODY && len > 0) {
    const char* q = data;
    body_event(p, ev, &q, data + len);
    ev->consumed = (size_t) (q - data);
    return 0;
  }
  return execute_states(p, data, data + len, ev, r < 0);
}

int lode_http_parser_finish(lode_http_parser_t* p, lode_http_event_t* ev) {
  memset(ev, 0, sizeof(*ev));
  if (p->state == LODE__S_AFTER_HEAD) { /* the framing is not chosen yet */
    lode__ctx_t c = { p, NULL, NULL, 0 };
    if (after_head(&c, NULL) < 0)
      return p->error;
  }
  switch (p->state) {
    case LODE__S_ERROR:
      return p->error;
    case LODE__S_BODY_EOF:
    case LODE__S_COMPLETE:
      ev->type = LODE_HTTP_EV_MESSAGE_COMPLETE;
      p->state = LODE__S_CLEANUP;
      return 0;
    case LODE__S_START:
    case LODE__S_CLEANUP:
    case LODE__S_CLOSED:
    case LODE__S_UPGRADED:
      return 0;
    default:
      p->state = LODE__S_ERROR;
      p->error = LODE_HPE_INVALID_EOF_STATE;
      p->reason = "Invalid EOF state";
      p->error_offset = 0;
      return p->error;
  }
}

const lode_http_head_t* lode_http_parser_head(const lode_http_parser_t* p) {
  return &p->head;
}

void lode_http_parser_after_head(lode_http_parser_t* p, int skip_body,
                                 int upgrade) {
  if (p->state != LODE__S_AFTER_HEAD)
    return; /* merged: nothing to do */
  p->head_result = (int8_t) ((skip_body ? 1 : 0) | (upgrade ? 2 : 0));
  p->framing = 0; /* plain_body() says 0 from now on */
  if (!upgrade)
    p->upgrade = 0;
  p->head.upgrade = upgrade ? 1 : 0;
}

void lode_http_parser_set_method(lode_http_parser_t* p, int method) {
  p->method_answered_ = method;
  p->framing = 0; /* decided again, with the new method */
}

void lode_http_parser_resume_after_upgrade(lode_http_parser_t* p) {
  if (p->state != LODE__S_UPGRADED)
    return;
  p->upgrade = 0;
  cleanup(p);
}

int lode_http_parser_error(const lode_http_parser_t* p) {
  return p->error;
}

const char* lode_http_parser_error_reason(const lode_http_parser_t* p) {
  return p->reason;
}

size_t lode_http_parser_error_offset(const lode_http_parser_t* p) {
  return p->error_offset;
}
