/* OutgoingMessage: Node's lib/_http_outgoing.js, byte for byte on the wire.
 * The header block is built once into one buffer and leaves with the first
 * body bytes in a single write. */
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/body_stream.h"
#include "http/outgoing.h"

static const char crlf[] = "\r\n";

/* The layers every write goes through (framing, header, held output, the
 * write context): one function once compiled, not a call each. */
#define HOT static inline __attribute__((always_inline))

/* A fresh message's flags and references, past the kept fields. */
static void fresh(lode_http_outgoing_t* o) {
  memset(&o->ev, 0, sizeof(*o) - offsetof(lode_http_outgoing_t, ev));
  o->refs = 1;
  o->flags = LODE__OUT_HAS_BODY | LODE__OUT_CHUNKED_DEFAULT |
             LODE__OUT_DEFAULT_KA;
}

void lode__outgoing_init(lode_http_outgoing_t* o, uv_loop_t* loop,
                         const lode__outgoing_ops_t* ops) {
  memset(o, 0, offsetof(lode_http_outgoing_t, ev));
  o->loop = loop;
  o->ops = ops;
  fresh(o);
}

/* The held callbacks: the message's own slot for the usual one (end()'s
 * before the connection comes), an array for more. */
static void free_held_cbs(lode_http_outgoing_t* o, lode__pending_cb_t* cbs) {
  if (cbs != &o->held_one)
    free(cbs);
}

void lode__outgoing_reset(lode_http_outgoing_t* o) {
  free_held_cbs(o, o->held_cbs);
  lode__arena_reset(&o->arena);
  lode__out_headers_reset(&o->headers);
  o->header.len = o->held.len = o->trailer.len = 0;
  fresh(o);
}

void lode__outgoing_free(lode_http_outgoing_t* o) {
  lode__arena_free(&o->arena);
  lode__out_headers_free(&o->headers);
  lode__buf_free(&o->header);
  lode__buf_free(&o->held);
  lode__buf_free(&o->trailer);
  free_held_cbs(o, o->held_cbs);
  o->held_cbs = NULL;
}

/* References. */
void lode_http_outgoing_hold(lode_http_outgoing_t* o) {
  lode__outgoing_hold(o);
}

void lode_http_outgoing_release(lode_http_outgoing_t* o) {
  lode__outgoing_release(o);
}

void lode_http_outgoing_set_events(lode_http_outgoing_t* o,
                                   const lode_http_outgoing_events_t* ev) {
  o->ev = lode__outgoing_view_events(o, ev);
}

void lode_http_outgoing_set_data(lode_http_outgoing_t* o, void* data) {
  o->data = data;
}

void* lode_http_outgoing_get_data(const lode_http_outgoing_t* o) {
  return o->data;
}

/* Header storage: Node's setHeader family. */
static int check_header(const lode_http_outgoing_t* o, const char* name,
                        const char* const* values, size_t n) {
  if (o->flags & LODE__OUT_HEADER_BUILT)
    return LODE_ERR_HTTP_HEADERS_SENT;
  int r = lode_http_validate_header_name(name);
  if (r != 0)
    return r;
  if (values == NULL)
    return LODE_ERR_HTTP_INVALID_HEADER_VALUE;
  for (size_t i = 0; i < n; i++)
    if ((r = lode_http_validate_header_value(name, values[i])) != 0)
      return r;
  return 0;
}

int lode_http_outgoing_set_header_values(lode_http_outgoing_t* o,
                                         const char* name,
                                         const char* const* values, size_t n) {
  int r = check_header(o, name, values, n);
  if (r != 0)
    return r;
  return lode__out_headers_set(&o->headers, &o->arena, name, values, n, 0);
}

int lode_http_outgoing_set_header(lode_http_outgoing_t* o, const char* name,
                                  const char* value) {
  return lode_http_outgoing_set_header_values(o, name, &value, 1);
}

int lode_http_outgoing_append_header(lode_http_outgoing_t* o, const char* name,
                                     const char* value) {
  int r = check_header(o, name, &value, 1);
  if (r == LODE_ERR_HTTP_HEADERS_SENT)
    return r;
  if (r != 0)
    return r;
  return lode__out_headers_set(&o->headers, &o->arena, name, &value, 1, 1);
}

int lode_http_outgoing_set_headers(lode_http_outgoing_t* o,
                                   const char* const* pairs) {
  size_t n;
  if (o->flags & LODE__OUT_HEADER_BUILT)
    return LODE_ERR_HTTP_HEADERS_SENT;
  if (pairs == NULL)
    return LODE_ERR_INVALID_ARG_TYPE;
  int pr = lode__http_pairs(pairs, &n);
  if (pr != 0)
    return pr;
  size_t ncookies = 0;
  for (size_t i = 0; i < n; i++) {
    if (strcmp(pairs[2 * i], "set-cookie") == 0) {
      ncookies++;
      continue;
    }
    int r = lode_http_outgoing_set_header(o, pairs[2 * i], pairs[2 * i + 1]);
    if (r != 0)
      return r;
  }
  if (ncookies == 0)
    return 0;
  const char** cookies = malloc(ncookies * sizeof(*cookies));
  if (cookies == NULL)
    return UV_ENOMEM;
  size_t k = 0;
  for (size_t i = 0; i < n; i++)
    if (strcmp(pairs[2 * i], "set-cookie") == 0)
      cookies[k++] = pairs[2 * i + 1];
  int r = lode_http_outgoing_set_header_values(o, "set-cookie", cookies, k);
  free(cookies);
  return r;
}

const char* lode_http_outgoing_get_header(const lode_http_outgoing_t* o,
                                          const char* name, size_t* count) {
  const lode__out_header_t* e = name ? lode__out_headers_find(&o->headers, name)
                                     : NULL;
  if (count != NULL)
    *count = e ? e->nvalues : 0;
  return e && e->nvalues > 0 ? e->values[0] : NULL;
}

const char* lode_http_outgoing_get_header_value(const lode_http_outgoing_t* o,
                                                const char* name, size_t i) {
  const lode__out_header_t* e = name ? lode__out_headers_find(&o->headers, name)
                                     : NULL;
  return e && i < e->nvalues ? e->values[i] : NULL;
}

int lode_http_outgoing_has_header(const lode_http_outgoing_t* o,
                                  const char* name) {
  return name != NULL && lode__out_headers_find(&o->headers, name) != NULL;
}

int lode_http_outgoing_remove_header(lode_http_outgoing_t* o,
                                     const char* name) {
  if (name == NULL)
    return LODE_ERR_INVALID_ARG_TYPE;
  if (o->flags & LODE__OUT_HEADER_BUILT)
    return LODE_ERR_HTTP_HEADERS_SENT;
  size_t len = strlen(name);
  if (lode__http_ieq(name, len, "connection"))
    o->flags |= LODE__OUT_REMOVED_CONN;
  else if (lode__http_ieq(name, len, "content-length"))
    o->flags |= LODE__OUT_REMOVED_CL;
  else if (lode__http_ieq(name, len, "transfer-encoding"))
    o->flags |= LODE__OUT_REMOVED_TE;
  else if (lode__http_ieq(name, len, "date"))
    o->flags &= ~LODE__OUT_SEND_DATE;
  lode__out_headers_remove(&o->headers, name);
  return 0;
}

size_t lode_http_outgoing_header_count(const lode_http_outgoing_t* o) {
  return o->headers.live;
}

const char* lode_http_outgoing_header_name(const lode_http_outgoing_t* o,
                                           size_t i) {
  const lode__out_header_t* e = lode__out_headers_at(&o->headers, i);
  return e ? e->lower : NULL;
}

const char* lode_http_outgoing_raw_header_name(const lode_http_outgoing_t* o,
                                               size_t i) {
  const lode__out_header_t* e = lode__out_headers_at(&o->headers, i);
  return e ? e->raw : NULL;
}

/* _storeHeader. */
typedef struct store_state_s {
  int connection, cont_len, te, date, expect, trailer;
} store_state_t;

/* Node's matchHeader: what the user's own headers imply for framing. */
static void match_header(lode_http_outgoing_t* o, store_state_t* st,
                         const char* field, size_t n, const char* value,
                         size_t vn) {
  /* Most lines are none of these: the first letter tells. */
  char c = (char) (field[0] | 0x20);
  if (n < 4 || n > 17 ||
      (c != 'c' && c != 't' && c != 'd' && c != 'e' && c != 'k'))
    return;
  if (lode__http_ieq(field, n, "connection")) {
    st->connection = 1;
    o->flags &= ~LODE__OUT_REMOVED_CONN;
    if (lode__http_has_word(value, vn, "close"))
      o->flags |= LODE__OUT_LAST;
    else
      o->flags |= LODE__OUT_KEEP_ALIVE;
  } else if (lode__http_ieq(field, n, "transfer-encoding")) {
    st->te = 1;
    o->flags &= ~LODE__OUT_REMOVED_TE;
    if (lode__http_has_word(value, vn, "chunked"))
      o->flags |= LODE__OUT_CHUNKED;
  } else if (lode__http_ieq(field, n, "content-length")) {
    st->cont_len = 1;
    /* +value in JavaScript: a number only when all digits. */
    char* end;
    unsigned long long v = strtoull(value, &end, 10);
    if (vn > 0 && *end == '\0') {
      o->content_length = v;
      o->flags |= LODE__OUT_HAS_CL;
    } else {
      o->flags &= ~LODE__OUT_HAS_CL;
    }
    o->flags &= ~LODE__OUT_REMOVED_CL;
  } else if (lode__http_ieq(field, n, "date")) {
    st->date = 1;
  } else if (lode__http_ieq(field, n, "expect")) {
    st->expect = 1;
  } else if (lode__http_ieq(field, n, "trailer")) {
    st->trailer = 1;
  } else if (lode__http_ieq(field, n, "keep-alive")) {
    o->flags &= ~LODE__OUT_DEFAULT_KA;
  }
}

static int store_line(lode_http_outgoing_t* o, store_state_t* st,
                      const char* key, const char* value, int validate) {
  if (validate) {
    int r = lode_http_validate_header_value(key, value);
    if (r != 0)
      return r;
  }
  lode__buf_t* b = &o->header;
  size_t kn = strlen(key), vn = strlen(value);
  if (lode__buf_reserve(b, kn + vn + 4) != 0)
    return UV_ENOMEM;
  memcpy(b->base + b->len, key, kn);
  memcpy(b->base + b->len + kn, ": ", 2);
  memcpy(b->base + b->len + kn + 2, value, vn);
  memcpy(b->base + b->len + kn + 2 + vn, crlf, 2);
  b->len += kn + vn + 4;
  match_header(o, st, key, kn, value, vn);
  return 0;
}

static int is_unique(const lode_http_outgoing_t* o, const char* key) {
  if (o->unique == NULL)
    return 0;
  size_t n = strlen(key);
  for (const char* const* u = o->unique; *u != NULL; u++)
    if (lode__http_ieq(key, n, *u))
      return 1;
  return 0;
}

/* Node's processHeader: an array becomes one line per value, except that
 * Cookie and uniqueHeaders names join theirs with "; ". */
static int process_header(lode_http_outgoing_t* o, store_state_t* st,
                          const char* key, const char* const* values, size_t n,
                          int validate) {
  if (validate && lode_http_validate_header_name(key) != 0)
    return LODE_ERR_INVALID_HTTP_TOKEN;
  int cookie = lode__http_ieq(key, strlen(key), "cookie");
  if (n == 1 || ((n < 2 || !cookie) && !is_unique(o, key))) {
    for (size_t i = 0; i < n; i++) {
      int r = store_line(o, st, key, values[i], validate);
      if (r != 0)
        return r;
    }
    return 0;
  }
  lode__buf_t joined = { 0 };
  for (size_t i = 0; i < n; i++) {
    if ((i > 0 && lode__buf_append(&joined, "; ", 2) != 0) ||
        lode__buf_append_str(&joined, values[i]) != 0 ||
        lode__buf_reserve(&joined, 1) != 0) {
      lode__buf_free(&joined);
      return UV_ENOMEM;
    }
  }
  if (lode__buf_reserve(&joined, 1) != 0)
    return UV_ENOMEM;
  joined.base[joined.len] = '\0';
  int r = store_line(o, st, key, joined.base, validate);
  lode__buf_free(&joined);
  return r;
}

static int store_headers(lode_http_outgoing_t* o, store_state_t* st,
                         const char* const* pairs, size_t n) {
  int r = 0;
  if (pairs != NULL) {
    for (size_t i = 0; i < n && r == 0; i++)
      r = process_header(o, st, pairs[2 * i], &pairs[2 * i + 1], 1, 1);
    return r;
  }
  for (uint32_t i = 0; i < o->headers.n && r == 0; i++) {
    const lode__out_header_t* e = &o->headers.items[i];
    if (!e->removed)
      r = process_header(o, st, e->raw, e->values, e->nvalues, 0);
  }
  return r;
}

/* Appends n bytes that lode__outgoing_store_header reserved room for. */
static inline void put(lode__buf_t* b, const char* p, size_t n) {
  memcpy(b->base + b->len, p, n);
  b->len += n;
}
#define PUT_LIT(b, lit) put((b), (lit), sizeof(lit) - 1)

/* "Keep-Alive: timeout=N[, max=M]\r\n" at line (room for 64); returns
 * its length. */
static size_t keep_alive_line(char* line, uint64_t secs, unsigned max) {
  size_t len = sizeof("Keep-Alive: timeout=") - 1;
  memcpy(line, "Keep-Alive: timeout=", len);
  len += lode__http_utoa(line + len, secs);
  if (max > 0) {
    memcpy(line + len, ", max=", 6);
    len += 6;
    len += lode__http_utoa(line + len, max);
  }
  memcpy(line + len, crlf, 2);
  return len + 2;
}

/* The owner's cached Keep-Alive line, rebuilt when its numbers change
 * (which makes the cached Date-to-Keep-Alive lines stale too). */
static void cache_keep_alive(lode__date_cache_t* c, uint64_t secs,
                             unsigned max) {
  if (c->ka_len > 0 && c->ka_secs == secs && c->ka_max == max)
    return;
  c->ka_len = keep_alive_line(c->ka, secs, max);
  c->ka_secs = secs;
  c->ka_max = max;
  c->dka_len = 0;
}

static void put_keep_alive(lode_http_outgoing_t* o) {
  lode__date_cache_t* c = o->date;
  uint64_t secs = o->keep_alive_timeout / 1000;
  if (c == NULL) {
    char line[64];
    put(&o->header, line, keep_alive_line(line, secs, o->max_requests));
    return;
  }
  cache_keep_alive(c, secs, o->max_requests);
  put(&o->header, c->ka, c->ka_len);
}

/* What _storeHeader adds about the connection. */
enum { KA_NONE, KA_CLOSE, KA_KEEP, KA_KEEP_TIMEOUT };

static int keep_alive_kind(lode_http_outgoing_t* o, const store_state_t* st) {
  if (o->flags & LODE__OUT_REMOVED_CONN) {
    if (!(o->flags & LODE__OUT_KEEP_ALIVE))
      o->flags |= LODE__OUT_LAST;
    return KA_NONE;
  }
  if (st->connection)
    return KA_NONE;
  int send_ka = (o->flags & LODE__OUT_KEEP_ALIVE) &&
                (st->cont_len || (o->flags & LODE__OUT_CHUNKED_DEFAULT) ||
                 (o->flags & LODE__OUT_AGENT));
  if (send_ka && (o->flags & LODE__OUT_MAX_REACHED))
    return KA_CLOSE;
  if (!send_ka) {
    o->flags |= LODE__OUT_LAST;
    return KA_CLOSE;
  }
  if (o->keep_alive_timeout && (o->flags & LODE__OUT_DEFAULT_KA))
    return KA_KEEP_TIMEOUT;
  return KA_KEEP;
}

/* Date (when `date`), then the Connection line of kind `ka`. The usual
 * keep-alive trio is one copy of the cache's text, rebuilt once a second. */
static void put_date_connection(lode_http_outgoing_t* o, int date, int ka) {
  lode__buf_t* b = &o->header;
  lode__date_cache_t own;
  lode__date_cache_t* c = o->date;
  if (date && c == NULL) {
    /* An owner without a cache (a request given sendDate): made here. */
    memset(&own, 0, sizeof(own));
    c = &own;
  }
  if (date && ka == KA_KEEP_TIMEOUT) {
    lode__date_get(c, o->loop);
    cache_keep_alive(c, o->keep_alive_timeout / 1000, o->max_requests);
    if (c->dka_len == 0) {
      static const char conn[] = "\r\nConnection: keep-alive\r\n";
      char* p = c->dka;
      memcpy(p, "Date: ", 6);
      memcpy(p + 6, c->text, c->text_len);
      p += 6 + c->text_len;
      memcpy(p, conn, sizeof(conn) - 1);
      p += sizeof(conn) - 1;
      memcpy(p, c->ka, c->ka_len);
      c->dka_len = (size_t) (p + c->ka_len - c->dka);
    }
    put(b, c->dka, c->dka_len);
    return;
  }
  if (date) {
    const char* d = lode__date_get(c, o->loop);
    PUT_LIT(b, "Date: ");
    put(b, d, c->text_len);
    PUT_LIT(b, "\r\n");
  }
  if (ka == KA_CLOSE)
    PUT_LIT(b, "Connection: close\r\n");
  else if (ka != KA_NONE)
    PUT_LIT(b, "Connection: keep-alive\r\n");
  if (ka == KA_KEEP_TIMEOUT)
    put_keep_alive(o);
}

static int store_framing(lode_http_outgoing_t* o, store_state_t* st) {
  if (st->cont_len || st->te)
    return 0;
  if (!(o->flags & LODE__OUT_HAS_BODY)) {
    o->flags &= ~LODE__OUT_CHUNKED;
  } else if (!(o->flags & LODE__OUT_CHUNKED_DEFAULT)) {
    o->flags |= LODE__OUT_LAST;
  } else if (!st->trailer && !(o->flags & LODE__OUT_REMOVED_CL) &&
             (o->flags & LODE__OUT_HAS_CL)) {
    lode__buf_t* b = &o->header;
    PUT_LIT(b, "Content-Length: ");
    b->len += lode__http_utoa(b->base + b->len, o->content_length);
    PUT_LIT(b, "\r\n");
  } else if (!(o->flags & LODE__OUT_REMOVED_TE)) {
    o->flags |= LODE__OUT_CHUNKED;
    PUT_LIT(&o->header, "Transfer-Encoding: chunked\r\n");
  } else {
    /* No framing left: the body runs to the connection's end. */
    o->flags |= LODE__OUT_LAST;
  }
  return 0;
}

int lode__outgoing_store_header(lode_http_outgoing_t* o, const char* first,
                                size_t first_len, const char* const* pairs,
                                size_t n) {
  store_state_t st = { 0 };
  lode__buf_t* b = &o->header;
  b->len = 0;
  /* Room for the first line and every line lode adds itself (Date,
   * Connection, Keep-Alive, the framing, the blank line: under 256
   * bytes), so they are copied without further checks. */
  int r = b->cap - b->len >= first_len + 256
              ? 0
              : lode__buf_reserve(b, first_len + 256);
  if (r != 0)
    return r;
  put(b, first, first_len);
  if (pairs != NULL || o->headers.n > 0) {
    r = store_headers(o, &st, pairs, n);
    if (r == 0)
      r = lode__buf_reserve(b, 256);
    if (r != 0) {
      o->header.len = 0;
      return r;
    }
  }
  /* A 204 or 304 never carries a body, so a user's chunked framing would
   * leave a dangling zero chunk: Node drops it and closes instead. */
  if ((o->flags & LODE__OUT_CHUNKED) &&
      (o->status_code == 204 || o->status_code == 304))
    o->flags &= ~(LODE__OUT_CHUNKED | LODE__OUT_KEEP_ALIVE);
  int date = (o->flags & LODE__OUT_SEND_DATE) && !st.date;
  put_date_connection(o, date, keep_alive_kind(o, &st));
  r = store_framing(o, &st);
  if (r == 0 && !(o->flags & LODE__OUT_CHUNKED) && st.trailer)
    r = LODE_ERR_HTTP_TRAILER_INVALID;
  if (r == 0)
    PUT_LIT(b, "\r\n");
  if (r != 0) {
    o->header.len = 0;
    return r;
  }
  o->flags |= LODE__OUT_HEADER_BUILT;
  o->flags &= ~LODE__OUT_HEADER_SENT;
  return 0;
}

/* Writing. A write with callbacks carries them in a context that also
 * holds the message alive until the connection reports completion. */
typedef lode__wctx_t wctx_t;

static void finish(lode_http_outgoing_t* o, int status, void* arg);
static int write_framed(lode_http_outgoing_t* o, lode_slice_t chunk,
                        lode_slice_t tail, lode_http_outgoing_cb cb, void* arg);

static void write_done(lode_stream_t* s, int status, void* arg) {
  wctx_t* w = arg;
  lode_http_outgoing_t* o = w->o;
  (void) s;
  for (size_t i = 0; i < w->n; i++)
    if (w->cbs[i].cb != NULL)
      w->cbs[i].cb(o, status, w->cbs[i].arg);
  if (w->cbs != &w->one)
    free(w->cbs);
  if (w == &o->fin)
    o->fin_busy = 0;
  else
    free(w);
  lode__outgoing_release(o);
}

static void later_done(lode__tick_t* t) {
  wctx_t* w = lode__container_of(t, wctx_t, tick);
  write_done(NULL, w->status, w);
}

HOT int stream_write(lode_http_outgoing_t* o, const lode_slice_t* bufs,
                     size_t n, lode__pending_cb_t* cbs, size_t ncbs) {
  wctx_t* w = NULL;
  if (ncbs > 0) {
    /* The common case, end()'s single 'finish' write, uses the context
     * inside the message: no allocation per response. */
    if (ncbs == 1 && !o->fin_busy) {
      w = &o->fin;
      o->fin_busy = 1;
    } else if ((w = malloc(sizeof(*w))) == NULL) {
      return LODE__NO_MEMORY;
    }
    w->tick = (lode__tick_t){ 0 };
    w->status = 0;
    w->o = o;
    w->n = ncbs;
    w->cbs = cbs;
    if (ncbs == 1 && cbs != NULL) {
      w->one = cbs[0];
      w->cbs = &w->one;
    }
    lode__outgoing_hold(o);
  }
  size_t total = 0;
  for (size_t i = 0; i < n; i++)
    total += bufs[i].len;
  if (total == 0) {
    if (w != NULL)
      lode__http_later(o->loop, &w->tick, later_done);
    return 1;
  }
  int r = LODE__NO_BATCH;
  if (o->batch != NULL)
    r = o->batch(o, bufs, n, w ? write_done : NULL, w, o->stream_corks > 0);
  if (r == LODE__NO_BATCH)
    r = lode_stream_writev(o->socket, bufs, n, w ? write_done : NULL, w);
  if (r < 0 && w != NULL) {
    /* Refused at once: the callbacks still run, with the error, later
     * (as the stream would have called them). */
    w->status = r;
    lode__http_later(o->loop, &w->tick, later_done);
  }
  if (r == UV_ENOMEM) {
    /* The connection lost these bytes: the message cannot go on. */
    lode_error_t e;
    lode_error_init(&e, UV_ENOMEM);
    lode_http_outgoing_destroy(o, &e);
  }
  return r;
}

static int flush_held(lode_http_outgoing_t* o) {
  while (o->corked > 0) {
    o->corked--;
    o->stream_corks++;
    lode_stream_cork(o->socket);
  }
  if (o->held.len == 0 && o->nheld_cbs == 0)
    return 1;
  lode_slice_t one = { o->held.base, o->held.len };
  lode__pending_cb_t* cbs = o->held_cbs;
  size_t ncbs = o->nheld_cbs;
  size_t len = o->held.len;
  o->held_cbs = NULL;
  o->nheld_cbs = 0;
  o->held.len = 0;
  /* The write context takes a multi-entry array; a single entry is
   * copied into it. */
  int r = stream_write(o, &one, 1, cbs, ncbs);
  if (r == LODE__NO_MEMORY) {
    /* Kept as they were; the message goes, and its close fails them. */
    o->held_cbs = cbs;
    o->nheld_cbs = ncbs;
    o->held.len = len;
    lode_error_t e;
    lode_error_init(&e, UV_ENOMEM);
    lode_http_outgoing_destroy(o, &e);
    return 0;
  }
  if (ncbs == 1)
    free_held_cbs(o, cbs);
  if (o->ops->on_pending != NULL)
    o->ops->on_pending(o, -(long) len);
  return r;
}

/* Node's _writeRaw: straight to the connection when attached, otherwise
 * held until one is. */
HOT int write_raw(lode_http_outgoing_t* o, const lode_slice_t* bufs, size_t n,
                  lode_http_outgoing_cb cb, void* arg) {
  lode__pending_cb_t pc = { cb, arg };
  if (o->flags & LODE__OUT_DESTROYED)
    return 0;
  if (o->socket != NULL) {
    if (o->held.len > 0 || o->nheld_cbs > 0)
      flush_held(o);
    int r = stream_write(o, bufs, n, cb ? &pc : NULL, cb ? 1 : 0);
    /* NO_MEMORY: nothing was written and no callback will come; other
     * failures call the callback with the error. */
    return r == LODE__NO_MEMORY ? UV_ENOMEM : r < 0 ? 0 : r;
  }
  /* Room for everything first, so that a failure holds nothing. */
  size_t total = 0;
  for (size_t i = 0; i < n; i++)
    total += bufs[i].len;
  if (lode__buf_reserve(&o->held, total) != 0)
    return UV_ENOMEM;
  if (cb != NULL && o->nheld_cbs == 0) {
    o->held_one = pc;
    o->held_cbs = &o->held_one;
    o->nheld_cbs = 1;
  } else if (cb != NULL) {
    int own = o->held_cbs == &o->held_one;
    lode__pending_cb_t* p = realloc(own ? NULL : o->held_cbs,
                                    (o->nheld_cbs + 1) * sizeof(*p));
    if (p == NULL)
      return UV_ENOMEM;
    if (own)
      p[0] = o->held_one;
    p[o->nheld_cbs++] = pc;
    o->held_cbs = p;
  }
  for (size_t i = 0; i < n; i++)
    lode__buf_append(&o->held, bufs[i].base, bufs[i].len);
  if (o->ops->on_pending != NULL)
    o->ops->on_pending(o, (long) total);
  return o->held.len < lode_http_outgoing_writable_high_water_mark(o);
}

/* Node's _send: the header block goes in front of the first bytes. */
static int send_bufs(lode_http_outgoing_t* o, lode_slice_t* bufs, size_t n,
                     lode_http_outgoing_cb cb, void* arg) {
  lode_slice_t all[8];
  size_t k = 0;
  if ((o->flags & LODE__OUT_HEADER_BUILT) &&
      !(o->flags & LODE__OUT_HEADER_SENT)) {
    all[k++] = (lode_slice_t){ o->header.base, o->header.len };
    o->flags |= LODE__OUT_HEADER_SENT;
  }
  for (size_t i = 0; i < n; i++)
    if (bufs[i].len > 0)
      all[k++] = bufs[i];
  return write_raw(o, all, k, cb, arg);
}

int lode__outgoing_write_raw(lode_http_outgoing_t* o, lode_slice_t data,
                             lode_http_outgoing_cb cb, void* arg) {
  return write_raw(o, &data, 1, cb, arg);
}

/* Errors Node reports on the next tick (write after end, destroyed), and
 * with code 0 a callback Node calls on the next tick. */
typedef struct late_err_s {
  lode__tick_t tick;
  lode_http_outgoing_t* o;
  lode__pending_cb_t cb;
  int code;
  const char* what;
} late_err_t;

static void late_err_run(late_err_t* l) {
  lode_http_outgoing_t* o = l->o;
  lode_error_t e;
  if (l->cb.cb != NULL)
    l->cb.cb(o, l->code, l->cb.arg);
  lode_error_init(&e, l->code);
  if (l->what != NULL)
    lode_error_set_message(&e, lode_strerror(l->code), l->what);
  if (l->code != 0 && l->code != LODE_ERR_STREAM_ALREADY_FINISHED &&
      !(o->flags & LODE__OUT_DESTROYED) && o->ev && o->ev->on_error)
    o->ev->on_error(o, &e);
  lode__outgoing_release(o);
}

static void late_err_fire(lode__tick_t* t) {
  late_err_t* l = lode__container_of(t, late_err_t, tick);
  late_err_run(l);
  free(l);
}

static void late_err(lode_http_outgoing_t* o, int code, const char* what,
                     lode_http_outgoing_cb cb, void* arg) {
  late_err_t* l = malloc(sizeof(*l));
  late_err_t now;
  lode__outgoing_hold(o);
  if (l == NULL) {
    /* Out of memory: the callback and the error come at once rather than
     * never. */
    now = (late_err_t){ .o = o, .cb = { cb, arg }, .code = code, .what = what };
    late_err_run(&now);
    return;
  }
  *l = (late_err_t){ .o = o, .cb = { cb, arg }, .code = code, .what = what };
  lode__http_later(o->loop, &l->tick, late_err_fire);
}

static void late_cb(lode_http_outgoing_t* o, lode_http_outgoing_cb cb,
                    void* arg) {
  late_err(o, 0, NULL, cb, arg);
}

static int strict_length(const lode_http_outgoing_t* o) {
  return (o->flags & LODE__OUT_STRICT_CL) && (o->flags & LODE__OUT_HAS_CL) &&
         (o->flags & LODE__OUT_HAS_BODY) &&
         !(o->flags & LODE__OUT_REMOVED_CL) &&
         !(o->flags & LODE__OUT_CHUNKED) &&
         !lode_http_outgoing_has_header(o, "transfer-encoding");
}

static int mismatch(const lode_http_outgoing_t* o, uint64_t got) {
  (void) got;
  (void) o;
  return LODE_ERR_HTTP_CONTENT_LENGTH_MISMATCH;
}

/* Node's write_(): validation, implicit header, framing. */
static int write_body(lode_http_outgoing_t* o, lode_slice_t chunk,
                      lode_http_outgoing_cb cb, void* arg) {
  if (o->flags & LODE__OUT_STRICT_CL) {
    uint64_t total = o->bytes_written + chunk.len;
    if (strict_length(o) && total > o->content_length)
      return mismatch(o, total);
    o->bytes_written = total;
  }
  if (!(o->flags & LODE__OUT_HEADER_BUILT)) {
    int r = o->ops->implicit_header(o);
    if (r < 0)
      return r;
  }
  if (!(o->flags & LODE__OUT_HAS_BODY)) {
    if (o->flags & LODE__OUT_REJECT_BODY)
      return LODE_ERR_HTTP_BODY_NOT_ALLOWED;
    if (cb != NULL)
      late_cb(o, cb, arg);
    return 1;
  }
  return write_framed(o, chunk, (lode_slice_t){ NULL, 0 }, cb, arg);
}

static int write_framed(lode_http_outgoing_t* o, lode_slice_t chunk,
                        lode_slice_t tail, lode_http_outgoing_cb cb,
                        void* arg) {
  lode_slice_t bufs[5];
  size_t n = 0;
  char hex[24];
  if ((o->flags & LODE__OUT_CHUNKED) && chunk.len > 0) {
    size_t hl = lode__http_xtoa(hex, chunk.len);
    memcpy(hex + hl, crlf, 2);
    hl += 2;
    bufs[n++] = (lode_slice_t){ hex, (size_t) hl };
    bufs[n++] = chunk;
    bufs[n++] = (lode_slice_t){ crlf, 2 };
  } else {
    bufs[n++] = chunk;
  }
  bufs[n++] = tail;
  return send_bufs(o, bufs, n, cb, arg);
}

int lode_http_outgoing_write(lode_http_outgoing_t* o, lode_slice_t chunk,
                             lode_http_outgoing_cb cb, void* arg) {
  if (chunk.base == NULL && chunk.len > 0)
    return LODE_ERR_STREAM_NULL_VALUES;
  if (o->flags & (LODE__OUT_FINISHED | LODE__OUT_DESTROYED)) {
    if (o->flags & LODE__OUT_FINISHED)
      late_err(o, LODE_ERR_STREAM_WRITE_AFTER_END, NULL, cb, arg);
    else
      late_err(o, LODE_ERR_STREAM_DESTROYED, "write", cb, arg);
    return 0;
  }
  int r = write_body(o, chunk, cb, arg);
  if (r == 0)
    o->flags |= LODE__OUT_NEED_DRAIN;
  return r;
}

static void prefinish(lode_http_outgoing_t* o) {
  if (o->ops->on_prefinish != NULL)
    o->ops->on_prefinish(o);
  if (o->ev != NULL && o->ev->on_prefinish != NULL)
    o->ev->on_prefinish(o);
}

static void finish(lode_http_outgoing_t* o, int status, void* arg) {
  (void) arg;
  if (status != 0 || (o->flags & LODE__OUT_WFINISHED))
    return;
  o->flags |= LODE__OUT_WFINISHED;
  lode__outgoing_hold(o);
  if (o->ops->on_finish != NULL)
    o->ops->on_finish(o);
  if (o->ev != NULL && o->ev->on_finish != NULL)
    o->ev->on_finish(o);
  lode__pending_cb_t ecb = o->end_cb;
  o->end_cb.cb = NULL;
  if (ecb.cb != NULL)
    ecb.cb(o, 0, ecb.arg);
  if (o->ops->after_finish != NULL)
    o->ops->after_finish(o);
  lode__outgoing_release(o);
}

static void finish_late(lode__tick_t* t) {
  lode_http_outgoing_t* o = lode__container_of(t, lode_http_outgoing_t,
                                               finish_tick);
  finish(o, 0, NULL);
  lode__outgoing_release(o);
}

static int end_finished(lode_http_outgoing_t* o, lode_slice_t chunk,
                        lode_http_outgoing_cb cb, void* arg) {
  if (chunk.len > 0)
    late_err(o, LODE_ERR_STREAM_WRITE_AFTER_END, NULL, cb, arg);
  else if (cb != NULL && !(o->flags & LODE__OUT_WFINISHED))
    o->end_cb = (lode__pending_cb_t){ cb, arg };
  else if (cb != NULL)
    late_err(o, LODE_ERR_STREAM_ALREADY_FINISHED, "end", cb, arg);
  return 0;
}

/* end()'s first half, Node's write_(chunk, fromEnd): the implicit header
 * (with the chunk's length as Content-Length) and the body rules. */
static int end_prepare(lode_http_outgoing_t* o, lode_slice_t chunk) {
  if (chunk.len > 0 && (o->flags & LODE__OUT_STRICT_CL)) {
    uint64_t total = o->bytes_written + chunk.len;
    if (strict_length(o) && total != o->content_length)
      return mismatch(o, total);
    o->bytes_written = total;
  }
  if (!(o->flags & LODE__OUT_HEADER_BUILT)) {
    o->content_length = chunk.len;
    o->flags |= LODE__OUT_HAS_CL;
    int r = o->ops->implicit_header(o);
    if (r < 0)
      return r;
  }
  if (chunk.len > 0 && !(o->flags & LODE__OUT_HAS_BODY) &&
      (o->flags & LODE__OUT_REJECT_BODY))
    return LODE_ERR_HTTP_BODY_NOT_ALLOWED;
  return 0;
}

/* "0\r\n" + trailers + "\r\n", built in the trailer buffer. */
static int terminator(lode_http_outgoing_t* o, lode_slice_t* tail) {
  lode__buf_t* t = &o->trailer;
  if (lode__buf_reserve(t, 5) != 0)
    return UV_ENOMEM;
  memmove(t->base + 3, t->base, t->len);
  memcpy(t->base, "0\r\n", 3);
  memcpy(t->base + 3 + t->len, crlf, 2);
  t->len += 5;
  *tail = (lode_slice_t){ t->base, t->len };
  return 0;
}

int lode_http_outgoing_end(lode_http_outgoing_t* o, lode_slice_t chunk,
                           lode_http_outgoing_cb cb, void* arg) {
  if (chunk.base == NULL && chunk.len > 0)
    return LODE_ERR_STREAM_NULL_VALUES;
  if (o->flags & LODE__OUT_FINISHED)
    return end_finished(o, chunk, cb, arg);
  int r = end_prepare(o, chunk);
  if (r < 0)
    return r;
  int has_body = (o->flags & LODE__OUT_HAS_BODY) != 0;
  lode_slice_t body = has_body ? chunk : (lode_slice_t){ NULL, 0 };
  if (strict_length(o) && o->bytes_written != o->content_length) {
    /* Node sends the chunk, then throws before finishing. */
    if (body.len > 0)
      write_framed(o, body, (lode_slice_t){ NULL, 0 }, NULL, NULL);
    return mismatch(o, o->bytes_written);
  }
  lode_slice_t tail = { NULL, 0 };
  if (has_body && (o->flags & LODE__OUT_CHUNKED) &&
      (r = terminator(o, &tail)) != 0)
    return r;
  int pending = !(o->flags & LODE__OUT_HEADER_SENT) || tail.len > 0 ||
                chunk.len > 0 || o->held.len > 0;
  if (cb != NULL)
    o->end_cb = (lode__pending_cb_t){ cb, arg };
  o->flags |= LODE__OUT_FINISHED;
  int wr = 0;
  if (body.len > 0)
    wr = write_framed(o, body, tail, finish, NULL);
  else if (pending)
    wr = send_bufs(o, &tail, 1, finish, NULL);
  else {
    lode__outgoing_hold(o);
    lode__http_later(o->loop, &o->finish_tick, finish_late);
  }
  if (wr == UV_ENOMEM) {
    /* The end could not be queued: the message goes instead of hanging
     * unfinished ('error', then 'close', which fails end()'s callback). */
    lode_error_t e;
    lode_error_init(&e, UV_ENOMEM);
    lode_http_outgoing_destroy(o, &e);
    return 0;
  }
  if (o->socket != NULL && o->held.len == 0)
    prefinish(o);
  return 0;
}

void lode_http_outgoing_flush_headers(lode_http_outgoing_t* o) {
  if (!(o->flags & LODE__OUT_HEADER_BUILT) && o->ops->implicit_header(o) < 0)
    return;
  lode_slice_t none = { NULL, 0 };
  send_bufs(o, &none, 1, NULL, NULL);
}

void lode__outgoing_attach(lode_http_outgoing_t* o, lode_stream_t* s) {
  o->socket = s;
  int r = flush_held(o);
  if (o->flags & LODE__OUT_FINISHED)
    prefinish(o);
  else if (r > 0 && (o->flags & LODE__OUT_NEED_DRAIN))
    lode__outgoing_drain(o);
}

void lode__outgoing_drain(lode_http_outgoing_t* o) {
  if (!(o->flags & LODE__OUT_NEED_DRAIN) || (o->flags & LODE__OUT_FINISHED))
    return;
  o->flags &= ~LODE__OUT_NEED_DRAIN;
  if (o->ev != NULL && o->ev->on_drain != NULL)
    o->ev->on_drain(o);
}

/* A message that goes away with writes never sent: their callbacks and
 * end()'s are called, with LODE_ERR_STREAM_DESTROYED, before 'close'
 * (Node drops them; a C caller may own memory its callback frees). */
static void fail_pending(lode_http_outgoing_t* o) {
  lode__pending_cb_t one = o->held_one; /* a callback may hold another */
  lode__pending_cb_t* cbs = o->held_cbs == &o->held_one ? &one : o->held_cbs;
  size_t n = o->nheld_cbs;
  lode__pending_cb_t ecb = o->end_cb;
  o->held_cbs = NULL;
  o->nheld_cbs = 0;
  o->end_cb.cb = NULL;
  for (size_t i = 0; i < n; i++)
    if (cbs[i].cb != NULL)
      cbs[i].cb(o, LODE_ERR_STREAM_DESTROYED, cbs[i].arg);
  if (cbs != &one)
    free(cbs);
  if (ecb.cb != NULL && !(o->flags & LODE__OUT_WFINISHED))
    ecb.cb(o, LODE_ERR_STREAM_DESTROYED, ecb.arg);
}

void lode__outgoing_emit_close(lode_http_outgoing_t* o) {
  if (o->flags & LODE__OUT_CLOSED)
    return;
  o->flags |= LODE__OUT_CLOSED | LODE__OUT_DESTROYED;
  lode__outgoing_hold(o);
  fail_pending(o);
  if (o->ev != NULL && o->ev->on_close != NULL)
    o->ev->on_close(o);
  lode__outgoing_release(o);
}

int lode_http_outgoing_headers_sent(const lode_http_outgoing_t* o) {
  return (o->flags & LODE__OUT_HEADER_BUILT) != 0;
}

int lode_http_outgoing_writable_ended(const lode_http_outgoing_t* o) {
  return (o->flags & LODE__OUT_FINISHED) != 0;
}

int lode_http_outgoing_writable_finished(const lode_http_outgoing_t* o) {
  return (o->flags & LODE__OUT_WFINISHED) != 0;
}

size_t lode_http_outgoing_writable_length(const lode_http_outgoing_t* o) {
  size_t n = o->held.len;
  if (o->socket != NULL)
    n += lode_stream_writable_length(o->socket);
  return n;
}

size_t lode_http_outgoing_writable_high_water_mark(
    const lode_http_outgoing_t* o) {
  return o->hwm ? o->hwm : LODE__HIGH_WATER_MARK;
}

int lode_http_outgoing_writable_corked(const lode_http_outgoing_t* o) {
  return o->corked;
}

void lode_http_outgoing_cork(lode_http_outgoing_t* o) {
  if (o->socket != NULL) {
    o->stream_corks++;
    lode_stream_cork(o->socket);
  } else {
    o->corked++;
  }
}

void lode_http_outgoing_uncork(lode_http_outgoing_t* o) {
  if (o->socket != NULL && o->stream_corks > 0) {
    o->stream_corks--;
    lode_stream_uncork(o->socket);
  } else if (o->corked > 0) {
    o->corked--;
  }
}

/* Node's addTrailers: validated, then kept as text for end(). */
int lode_http_outgoing_add_trailers(lode_http_outgoing_t* o,
                                    const char* const* pairs) {
  lode__buf_t* t = &o->trailer;
  size_t n;
  if (lode__http_pairs(pairs, &n) != 0)
    return LODE_ERR_INVALID_CHAR;
  t->len = 0;
  for (size_t i = 0; i < n; i++) {
    const char* k = pairs[2 * i];
    const char* v = pairs[2 * i + 1];
    if (lode_http_validate_header_name(k) != 0)
      return LODE_ERR_INVALID_HTTP_TOKEN;
    if (v == NULL || !lode__http_value_ok(v, strlen(v)))
      return LODE_ERR_INVALID_CHAR;
    if (lode__buf_append_str(t, k) != 0 || lode__buf_append(t, ": ", 2) ||
        lode__buf_append_str(t, v) != 0 || lode__buf_append(t, crlf, 2))
      return UV_ENOMEM;
  }
  return 0;
}

void lode_http_outgoing_destroy(lode_http_outgoing_t* o,
                                const lode_error_t* err) {
  if (o->flags & LODE__OUT_DESTROYED)
    return;
  o->ops->destroy(o, err);
}

lode_stream_t* lode_http_outgoing_socket(const lode_http_outgoing_t* o) {
  return o->socket;
}

/* Text in one of Node's encodings is turned into its bytes first
 * (Buffer.from(text, enc)), so Content-Length and strictContentLength
 * count bytes as Node's Buffer.byteLength does. */
static int write_text(lode_http_outgoing_t* o, lode_slice_t text,
                      lode_encoding_t enc, int end, lode_http_outgoing_cb cb,
                      void* arg) {
  char small[512];
  if ((unsigned) enc > LODE_ENC_UTF16LE)
    return LODE_ERR_UNKNOWN_ENCODING;
  if (text.base == NULL && text.len > 0)
    return LODE_ERR_STREAM_NULL_VALUES;
  lode_slice_t bytes = text;
  char* heap = NULL;
  if (enc != LODE_ENC_BUFFER && enc != LODE_ENC_UTF8) {
    size_t n = lode_decode(enc, text, NULL, 0);
    char* buf = small;
    if (n > sizeof(small) && (buf = heap = malloc(n)) == NULL)
      return UV_ENOMEM;
    lode_decode(enc, text, buf, n);
    bytes = (lode_slice_t){ buf, n };
  }
  int r = end ? lode_http_outgoing_end(o, bytes, cb, arg)
              : lode_http_outgoing_write(o, bytes, cb, arg);
  free(heap);
  return r;
}

int lode_http_outgoing_write_str(lode_http_outgoing_t* o, lode_slice_t text,
                                 lode_encoding_t enc, lode_http_outgoing_cb cb,
                                 void* arg) {
  return write_text(o, text, enc, 0, cb, arg);
}

int lode_http_outgoing_end_str(lode_http_outgoing_t* o, lode_slice_t text,
                               lode_encoding_t enc, lode_http_outgoing_cb cb,
                               void* arg) {
  return write_text(o, text, enc, 1, cb, arg);
}

int lode_http_outgoing_pipe(lode_http_outgoing_t* o) {
  (void) o;
  return LODE_ERR_STREAM_CANNOT_PIPE;
}

int lode_http_outgoing_set_timeout(lode_http_outgoing_t* o, uint64_t msecs,
                                   lode_http_outgoing_cb cb, void* arg) {
  if (cb != NULL) {
    o->timeout_cb = cb;
    o->timeout_arg = arg;
  }
  if (o->ops->set_timeout != NULL)
    o->ops->set_timeout(o, msecs);
  return 0;
}
