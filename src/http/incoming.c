/* IncomingMessage (server side): the request's head as Node presents it,
 * and its body as a readable stream with Node's flow control. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http/body_stream.h"
#include "http/server.h"

void lode__incoming_renew(lode_http_incoming_t* m) {
  lode__arena_t arena = m->arena;
  lode__buf_t body = m->body;
  memset(m, 0, sizeof(*m));
  m->arena = arena;
  m->body = body;
  m->body.len = 0;
  m->refs = 1;
}

lode_http_incoming_t* lode__incoming_pool_get(lode__incoming_pool_t* p) {
  lode_http_incoming_t* m = p->head;
  if (m != NULL) {
    p->head = m->next_free;
    p->n--;
    lode__unpoison(m, sizeof(*m));
  } else if ((m = calloc(1, sizeof(*m))) == NULL) {
    return NULL;
  }
  lode__incoming_renew(m);
  return m;
}

static void destroy_mem(lode_http_incoming_t* m) {
  lode__arena_free(&m->arena);
  lode__buf_free(&m->body);
  free(m);
}

void lode__incoming_pool_put(lode__incoming_pool_t* p,
                             lode_http_incoming_t* m) {
  /* A burst leaves at most `max` recycled messages behind. */
  if (p->n >= p->max) {
    destroy_mem(m);
    return;
  }
  lode__arena_reset(&m->arena);
  if (m->body.cap > p->keep)
    lode__buf_free(&m->body);
  m->next_free = p->head;
  p->head = m;
  p->n++;
  lode__poison_around(m, sizeof(*m), &m->next_free, sizeof(m->next_free));
}

void lode__incoming_pool_clear(lode__incoming_pool_t* p) {
  while (p->head != NULL) {
    lode_http_incoming_t* m = p->head;
    p->head = m->next_free;
    lode__unpoison(m, sizeof(*m));
    destroy_mem(m);
  }
  p->n = 0;
}

static void incoming_free(lode_http_incoming_t* m) {
  if (m->owner != NULL) {
    m->owner->free(m);
    return;
  }
  lode__conn_t* c = m->conn;
  lode__incoming_pool_put(&c->srv->req_pool, m);
  lode__conn_release(c);
}

void lode_http_incoming_hold(lode_http_incoming_t* m) {
  m->refs++;
}

void lode_http_incoming_release(lode_http_incoming_t* m) {
  if (--m->refs == 0)
    incoming_free(m);
}

void lode_http_incoming_set_data(lode_http_incoming_t* m, void* data) {
  m->data = data;
}

void* lode_http_incoming_get_data(const lode_http_incoming_t* m) {
  return m->data;
}

/* Node's matchKnownFields: how a duplicate of each name is treated.
 * 'j' joins with ", ", 'c' joins with "; " (cookie), 'a' keeps every
 * value (set-cookie), 'f' keeps the first. */
static char dup_rule(const char* lower) {
  static const char* const first[] = { "age",
                                       "authorization",
                                       "content-length",
                                       "content-type",
                                       "etag",
                                       "expires",
                                       "from",
                                       "host",
                                       "if-modified-since",
                                       "if-unmodified-since",
                                       "last-modified",
                                       "location",
                                       "max-forwards",
                                       "proxy-authorization",
                                       "referer",
                                       "retry-after",
                                       "server",
                                       "user-agent",
                                       NULL };
  /* The first letter first: a response's usual headers cost a compare
   * or two, not twenty. */
  if (lower[0] == 's' && strcmp(lower, "set-cookie") == 0)
    return 'a';
  if (lower[0] == 'c' && strcmp(lower, "cookie") == 0)
    return 'c';
  for (const char* const* f = first; *f != NULL; f++)
    if ((*f)[0] == lower[0] && strcmp(lower, *f) == 0)
      return 'f';
  return 'j';
}

static char* lower_dup(lode__arena_t* a, lode_slice_t s) {
  char* p = lode__arena_strndup(a, s.base, s.len);
  if (p != NULL)
    for (size_t i = 0; i < s.len; i++)
      if (p[i] >= 'A' && p[i] <= 'Z')
        p[i] |= 0x20;
  return p;
}

static lode__in_header_t* find_field(lode__in_fields_t* f, const char* name) {
  for (size_t i = 0; i < f->n; i++)
    if (f->items[i].name[0] == name[0] && strcmp(f->items[i].name, name) == 0)
      return &f->items[i];
  return NULL;
}

/* Node's _addHeaderLine for one pair. */
static int add_line(lode__arena_t* a, lode__in_fields_t* f, int join_all,
                    const char* lower, const char* value) {
  char rule = dup_rule(lower);
  lode__in_header_t* e = rule == 'a' ? NULL : find_field(f, lower);
  if (e == NULL) {
    f->items[f->n].name = lower;
    f->items[f->n].value = value;
    f->n++;
    return 0;
  }
  if (rule == 'f' && !join_all)
    return 0;
  const char* sep = rule == 'c' ? "; " : ", ";
  size_t ol = strlen(e->value), vl = strlen(value);
  char* v = lode__arena_alloc(a, ol + vl + 3);
  if (v == NULL)
    return UV_ENOMEM;
  memcpy(v, e->value, ol);
  memcpy(v + ol, sep, 2);
  memcpy(v + ol + 2, value, vl + 1);
  e->value = v;
  return 0;
}

/* A folded value (lenient parsing) loses its CRs and LFs, as in Node. */
static void unfold(char* p, size_t* len) {
  if (memchr(p, '\n', *len) == NULL)
    return;
  size_t k = 0;
  for (size_t i = 0; i < *len; i++)
    if (p[i] != '\r' && p[i] != '\n')
      p[k++] = p[i];
  *len = k;
}

/* message.headers (or trailers) from the raw pairs, by Node's rules. */
static int build_fields(lode__arena_t* a, lode__in_fields_t* f, int join_all,
                        size_t max) {
  size_t n = f->nraw / 2;
  if (max != 0 && n > max)
    n = max;
  f->items = lode__arena_alloc(a, (n + 1) * sizeof(*f->items));
  if (f->items == NULL)
    return UV_ENOMEM;
  f->n = 0;
  for (size_t i = 0; i < n; i++) {
    const char* name = f->raw[2 * i];
    char* lower = lower_dup(a, (lode_slice_t){ name, strlen(name) });
    if (lower == NULL || add_line(a, f, join_all, lower, f->raw[2 * i + 1]))
      return UV_ENOMEM;
  }
  return 0;
}

/* Copies of the pairs, each NUL-terminated, in one block. */
static int copy_fields(lode__arena_t* a, lode__in_fields_t* f,
                       const lode_http_header_t* h, size_t n) {
  size_t total = 0;
  for (size_t i = 0; i < n; i++)
    total += h[i].name.len + h[i].value.len + 2;
  f->raw = lode__arena_alloc(a, (2 * n + 1) * sizeof(*f->raw));
  char* p = n > 0 ? lode__arena_alloc(a, total) : NULL;
  if (f->raw == NULL || (n > 0 && p == NULL))
    return UV_ENOMEM;
  for (size_t i = 0; i < n; i++) {
    size_t nl = h[i].name.len, vl = h[i].value.len;
    char* name = p;
    char* value = p + nl + 1;
    memcpy(name, h[i].name.base, nl);
    name[nl] = '\0';
    memcpy(value, h[i].value.base, vl);
    p = value + vl + 1;
    unfold(value, &vl);
    value[vl] = '\0';
    f->raw[2 * i] = name;
    f->raw[2 * i + 1] = value;
  }
  f->raw[2 * n] = NULL;
  f->nraw = 2 * n;
  return 0;
}

/* What a request and a response head both set: the version (as Node's
 * httpVersion text) and the header-count limit; the body starts flowing. */
static void start_reading(lode_http_incoming_t* m, const lode_http_head_t* h,
                          size_t max_headers) {
  m->major = h->http_major;
  m->minor = h->http_minor;
  m->version[0] = (char) ('0' + m->major % 10);
  m->version[1] = '.';
  m->version[2] = (char) ('0' + m->minor % 10);
  m->version[3] = '\0';
  m->max_headers = max_headers ? max_headers : 2000;
  m->flags |= LODE__IN_READING;
}

/* One copy of the whole head; names, values, method and URL become C
 * strings in place (each is followed by a delimiter that turns into the
 * NUL). */
int lode__incoming_fill(lode_http_incoming_t* m, const lode_http_head_t* h,
                        const char* head_end, size_t max_headers) {
  lode__arena_t* a = &m->arena;
  const char* start = h->method_name.base;
  size_t n = h->num_headers;
  char* copy = lode__arena_alloc(a, (size_t) (head_end - start) + 1);
  lode__in_fields_t* f = &m->headers;
  f->raw = lode__arena_alloc(a, (2 * n + 1) * sizeof(*f->raw));
  if (copy == NULL || f->raw == NULL)
    return UV_ENOMEM;
  memcpy(copy, start, (size_t) (head_end - start));
#define AT(p) (copy + ((p) -start))
  char* method = AT(h->method_name.base);
  char* url = AT(h->url.base);
  method[h->method_name.len] = '\0';
  url[h->url.len] = '\0';
  for (size_t i = 0; i < n; i++) {
    char* name = AT(h->headers[i].name.base);
    char* value = AT(h->headers[i].value.base);
    size_t vl = h->headers[i].value.len;
    name[h->headers[i].name.len] = '\0';
    unfold(value, &vl);
    value[vl] = '\0';
    f->raw[2 * i] = name;
    f->raw[2 * i + 1] = value;
  }
#undef AT
  f->raw[2 * n] = NULL;
  f->nraw = 2 * n;
  f->n = 0;
  m->method = method;
  m->url = url;
  start_reading(m, h, max_headers);
  return 0;
}

const char* lode__incoming_raw_find(const lode_http_incoming_t* m,
                                    const char* name) {
  const lode__in_fields_t* f = &m->headers;
  for (size_t i = 0; i < f->nraw; i += 2)
    if (strcasecmp(f->raw[i], name) == 0)
      return f->raw[i + 1];
  return NULL;
}

/* Builds message.headers on first use (accessors are const to callers;
 * the lazily built object is a cache). */
static lode__in_fields_t* headers_of(const lode_http_incoming_t* cm) {
  lode_http_incoming_t* m = (lode_http_incoming_t*) cm;
  if (!(m->flags & LODE__IN_HEADERS_BUILT)) {
    m->flags |= LODE__IN_HEADERS_BUILT;
    int join = m->owner ? m->join_duplicates : m->conn->srv->join_duplicates;
    if (build_fields(&m->arena, &m->headers, join, m->max_headers) != 0)
      m->headers.n = 0;
  }
  return &m->headers;
}

int lode__incoming_set_trailers(lode_http_incoming_t* m,
                                const lode_http_header_t* t, size_t n) {
  int join = m->owner ? m->join_duplicates : m->conn->srv->join_duplicates;
  if (copy_fields(&m->arena, &m->trailers, t, n) != 0)
    return UV_ENOMEM;
  return build_fields(&m->arena, &m->trailers, join, 2000);
}

/* Accessors. */
const char* lode_http_incoming_method(const lode_http_incoming_t* m) {
  return m->method;
}

const char* lode_http_incoming_url(const lode_http_incoming_t* m) {
  return m->url;
}

const char* lode_http_incoming_http_version(const lode_http_incoming_t* m) {
  return m->version;
}

int lode_http_incoming_http_version_major(const lode_http_incoming_t* m) {
  return m->major;
}

int lode_http_incoming_http_version_minor(const lode_http_incoming_t* m) {
  return m->minor;
}

int lode_http_incoming_status_code(const lode_http_incoming_t* m) {
  return m->status_code;
}

const char* lode_http_incoming_status_message(const lode_http_incoming_t* m) {
  return m->status_message;
}

static void fields_at(const lode__in_fields_t* f, size_t i, const char** name,
                      const char** value) {
  if (name != NULL)
    *name = i < f->n ? f->items[i].name : NULL;
  if (value != NULL)
    *value = i < f->n ? f->items[i].value : NULL;
}

static const char* fields_get(const lode__in_fields_t* f, const char* name) {
  if (name == NULL)
    return NULL;
  for (size_t i = 0; i < f->n; i++)
    if (strcasecmp(f->items[i].name, name) == 0)
      return f->items[i].value;
  return NULL;
}

static size_t fields_distinct(const lode__in_fields_t* f, const char* name,
                              const char** out, size_t cap) {
  size_t k = 0;
  if (name == NULL)
    return 0;
  for (size_t i = 0; i + 1 < f->nraw + 1 && i < f->nraw; i += 2) {
    if (strcasecmp(f->raw[i], name) != 0)
      continue;
    if (k < cap)
      out[k] = f->raw[i + 1];
    k++;
  }
  return k;
}

size_t lode_http_incoming_headers_count(const lode_http_incoming_t* m) {
  return headers_of(m)->n;
}

void lode_http_incoming_headers_at(const lode_http_incoming_t* m, size_t i,
                                   const char** name, const char** value) {
  fields_at(headers_of(m), i, name, value);
}

const char* lode_http_incoming_header(const lode_http_incoming_t* m,
                                      const char* name) {
  return fields_get(headers_of(m), name);
}

size_t lode_http_incoming_header_distinct(const lode_http_incoming_t* m,
                                          const char* name, const char** out,
                                          size_t cap) {
  return fields_distinct(&m->headers, name, out, cap);
}

const char* const* lode_http_incoming_raw_headers(const lode_http_incoming_t* m,
                                                  size_t* npairs) {
  if (npairs != NULL)
    *npairs = m->headers.nraw / 2;
  return m->headers.raw;
}

size_t lode_http_incoming_trailers_count(const lode_http_incoming_t* m) {
  return m->trailers.n;
}

void lode_http_incoming_trailers_at(const lode_http_incoming_t* m, size_t i,
                                    const char** name, const char** value) {
  fields_at(&m->trailers, i, name, value);
}

const char* lode_http_incoming_trailer(const lode_http_incoming_t* m,
                                       const char* name) {
  return fields_get(&m->trailers, name);
}

size_t lode_http_incoming_trailer_distinct(const lode_http_incoming_t* m,
                                           const char* name, const char** out,
                                           size_t cap) {
  return fields_distinct(&m->trailers, name, out, cap);
}

const char* const* lode_http_incoming_raw_trailers(
    const lode_http_incoming_t* m, size_t* npairs) {
  static const char* const none[] = { NULL };
  if (npairs != NULL)
    *npairs = m->trailers.nraw / 2;
  return m->trailers.raw ? m->trailers.raw : none;
}

int lode_http_incoming_complete(const lode_http_incoming_t* m) {
  return (m->flags & LODE__IN_COMPLETE) != 0;
}

int lode_http_incoming_aborted(const lode_http_incoming_t* m) {
  return (m->flags & LODE__IN_ABORTED) != 0;
}

lode_stream_t* lode_http_incoming_socket(const lode_http_incoming_t* m) {
  if (m->owner != NULL)
    return m->owner->socket(m);
  lode__conn_t* c = m->conn;
  return c->flags & LODE__CONN_CLOSED ? NULL : c->stream;
}

/* The body stream. */
static void resume_reading(lode_http_incoming_t* m) {
  if (m->owner != NULL)
    m->owner->resume_reading(m);
  else
    lode__conn_resume_reading(m->conn);
}

/* A destroyed message gives nothing more: no body byte, no end (Node's
 * push on a destroyed stream). */
static int flowing(const lode_http_incoming_t* m) {
  if (m->flags & LODE__IN_DESTROYED)
    return 0;
  return (m->flags & LODE__IN_DUMPED) ||
         (m->ev != NULL && m->ev->on_data != NULL &&
          !(m->flags & LODE__IN_PAUSED));
}

static void deliver(lode_http_incoming_t* m, lode_slice_t data) {
  if (m->flags & LODE__IN_DUMPED)
    return;
  if (m->enc == LODE_ENC_BUFFER) {
    m->ev->on_data(m, data);
    return;
  }
  size_t cap = lode_decoder_max(&m->decoder, data.len);
  char* text = malloc(cap ? cap : 1);
  if (text == NULL)
    return;
  size_t n = lode_decoder_write(&m->decoder, data, text, cap);
  if (n > 0)
    m->ev->on_data(m, (lode_slice_t){ text, n });
  free(text);
}

static void emit_end(lode_http_incoming_t* m) {
  if ((m->flags & LODE__IN_END_EMITTED) ||
      (m->flags & (LODE__IN_ABORTED | LODE__IN_END_AFTER_ABORT)) ==
          LODE__IN_ABORTED)
    return;
  m->flags |= LODE__IN_END_EMITTED;
  if (m->enc != LODE_ENC_BUFFER && !(m->flags & LODE__IN_DUMPED) &&
      m->ev != NULL && m->ev->on_data != NULL) {
    char tail[8];
    size_t n = lode_decoder_end(&m->decoder, tail, sizeof(tail));
    if (n > 0)
      m->ev->on_data(m, (lode_slice_t){ tail, n });
  }
  if (m->owner != NULL)
    m->owner->on_end(m);
  if (m->ev != NULL && m->ev->on_end != NULL)
    m->ev->on_end(m);
  lode__incoming_maybe_close(m);
}

/* Delivers held bytes while the message flows; the end follows them. */
static void flush(lode_http_incoming_t* m) {
  lode_http_incoming_hold(m);
  while (m->body.len > 0 && flowing(m) && !(m->flags & LODE__IN_CLOSED)) {
    lode__buf_t b = m->body;
    m->body = (lode__buf_t){ 0 };
    deliver(m, (lode_slice_t){ b.base, b.len });
    if (m->body.base == NULL) {
      b.len = 0;
      m->body = b;
    } else {
      lode__buf_free(&b);
    }
  }
  if (m->body.len == 0 && (m->flags & LODE__IN_COMPLETE) && flowing(m))
    emit_end(m);
  if (m->body.len == 0 && (m->flags & LODE__IN_READING))
    resume_reading(m);
  lode_http_incoming_release(m);
}

static void flush_deferred(lode__tick_t* t) {
  lode_http_incoming_t* m = lode__container_of(t, lode_http_incoming_t,
                                               flush_tick);
  m->flags &= ~LODE__IN_FLUSH_QUEUED;
  flush(m);
  lode_http_incoming_release(m);
}

static void schedule_flush(lode_http_incoming_t* m) {
  if (m->flags & (LODE__IN_FLUSH_QUEUED | LODE__IN_CLOSED))
    return;
  uv_loop_t* loop = m->owner ? m->owner->loop(m) : m->conn->srv->loop;
  m->flags |= LODE__IN_FLUSH_QUEUED;
  lode_http_incoming_hold(m);
  lode__http_later(loop, &m->flush_tick, flush_deferred);
}

int lode__incoming_push(lode_http_incoming_t* m, lode_slice_t data) {
  m->flags |= LODE__IN_GOT_BODY;
  if (m->flags & (LODE__IN_DUMPED | LODE__IN_DESTROYED))
    return 0;
  if (flowing(m) && m->body.len == 0) {
    deliver(m, data);
    return 0;
  }
  if (lode__buf_append(&m->body, data.base, data.len) != 0)
    return 1;
  return m->body.len >= LODE__HIGH_WATER_MARK;
}

void lode__incoming_end(lode_http_incoming_t* m) {
  m->flags |= LODE__IN_COMPLETE;
  m->flags &= ~LODE__IN_READING;
  if (m->body.len == 0 && flowing(m))
    emit_end(m);
}

void lode_http_incoming_set_events(lode_http_incoming_t* m,
                                   const lode_http_incoming_events_t* ev) {
  m->ev = lode__incoming_view_events(m, ev);
  if (m->body.len > 0 ||
      ((m->flags & LODE__IN_COMPLETE) && !(m->flags & LODE__IN_END_EMITTED)))
    schedule_flush(m);
}

void lode_http_incoming_pause(lode_http_incoming_t* m) {
  m->flags |= LODE__IN_PAUSED;
}

void lode_http_incoming_resume(lode_http_incoming_t* m) {
  m->flags &= ~LODE__IN_PAUSED;
  /* Node: resume() with no 'data' listener flows into the void. */
  if (m->ev == NULL || m->ev->on_data == NULL)
    lode__incoming_dump(m);
  else
    schedule_flush(m);
}

int lode_http_incoming_is_paused(const lode_http_incoming_t* m) {
  return (m->flags & LODE__IN_PAUSED) != 0;
}

void lode_http_incoming_set_encoding(lode_http_incoming_t* m,
                                     lode_encoding_t enc) {
  m->enc = enc;
  lode_decoder_init(&m->decoder, enc);
}

void lode__incoming_dump(lode_http_incoming_t* m) {
  if (m->flags & LODE__IN_DUMPED)
    return;
  if (flowing(m) && m->body.len == 0)
    return; /* somebody reads it: Node leaves a consumed body alone */
  m->flags |= LODE__IN_DUMPED;
  m->body.len = 0;
  if (m->flags & LODE__IN_COMPLETE)
    emit_end(m);
  else
    resume_reading(m);
}

void lode__incoming_maybe_close(lode_http_incoming_t* m) {
  if (m->flags & LODE__IN_CLOSED)
    return;
  /* A discarded body still ends ('end' when its last byte is read), and
   * 'close' is always the request's last event. */
  int body_done = (m->flags & (LODE__IN_END_EMITTED | LODE__IN_ABORTED |
                               LODE__IN_DESTROYED)) != 0;
  int res_done = m->res == NULL || (m->res->out.flags & LODE__OUT_CLOSED) != 0;
  if (!body_done || !res_done || (m->owner != NULL && !m->owner->may_close(m)))
    return;
  m->flags |= LODE__IN_CLOSED;
  if (m->ev != NULL && m->ev->on_close != NULL)
    m->ev->on_close(m);
  lode_http_incoming_release(m);
}

void lode__incoming_mark_aborted(lode_http_incoming_t* m) {
  if (m->flags & (LODE__IN_CLOSED | LODE__IN_COMPLETE | LODE__IN_ABORTED))
    return;
  lode_http_incoming_hold(m);
  m->flags |= LODE__IN_ABORTED | LODE__IN_ABORT_PENDING;
  m->flags &= ~LODE__IN_READING;
  if (m->ev != NULL && m->ev->on_aborted != NULL)
    m->ev->on_aborted(m);
}

void lode__incoming_abort(lode_http_incoming_t* m) {
  lode__incoming_mark_aborted(m);
  lode__incoming_abort_error(m);
}

void lode__incoming_abort_error(lode_http_incoming_t* m) {
  if (!(m->flags & LODE__IN_ABORT_PENDING))
    return;
  m->flags &= ~LODE__IN_ABORT_PENDING;
  if (m->ev != NULL && m->ev->on_error != NULL) {
    lode_error_t e;
    lode_error_init(&e, UV_ECONNRESET);
    lode_error_set_message(&e, "aborted");
    m->ev->on_error(m, &e);
  }
  lode__incoming_maybe_close(m);
  lode_http_incoming_release(m);
}

static void destroy_tick(lode__tick_t* t) {
  lode_http_incoming_t* m = lode__container_of(t, lode_http_incoming_t,
                                               destroy_tick);
  lode_error_t* err = m->destroy_err;
  m->destroy_err = NULL;
  /* Node's _destroy: 'aborted' for a body not read to its end (then no
   * ECONNRESET of its own when the connection goes), the error, 'close'. */
  int aborts = !(m->flags &
                 (LODE__IN_END_EMITTED | LODE__IN_ABORTED | LODE__IN_CLOSED));
  if (aborts) {
    m->flags |= LODE__IN_ABORTED;
    m->flags &= ~LODE__IN_READING;
    if (m->ev != NULL && m->ev->on_aborted != NULL)
      m->ev->on_aborted(m);
  }
  if (err != NULL && m->ev != NULL && m->ev->on_error != NULL &&
      !(m->flags & LODE__IN_CLOSED))
    m->ev->on_error(m, err);
  lode_error_free(err);
  /* An aborted message takes its connection with it (Node destroys the
   * socket); one read to its end just closes. */
  if (m->flags & LODE__IN_CLOSED)
    ;
  else if (aborts || !(m->flags & LODE__IN_COMPLETE))
    lode__conn_destroy(m->conn, NULL);
  else
    lode__incoming_maybe_close(m);
  lode_http_incoming_release(m);
}

void lode_http_incoming_destroy(lode_http_incoming_t* m,
                                const lode_error_t* err) {
  if (m->flags & (LODE__IN_DESTROYED | LODE__IN_CLOSED))
    return;
  if (m->owner != NULL) {
    m->owner->destroy(m, err);
    return;
  }
  /* Its events come on the next tick (Node's emitErrorCloseNT), never
   * from inside the call. */
  m->flags |= LODE__IN_DESTROYED;
  m->destroy_err = err != NULL ? lode_error_copy(err) : NULL;
  lode_http_incoming_hold(m);
  lode__tick(m->conn->srv->lp, &m->destroy_tick, destroy_tick);
}

int lode_http_incoming_set_timeout(lode_http_incoming_t* m, uint64_t msecs,
                                   lode_http_incoming_cb cb, void* arg) {
  if (cb != NULL) {
    m->timeout_cb = cb;
    m->timeout_arg = arg;
  }
  if (m->owner != NULL) {
    m->owner->set_timeout(m, msecs);
    return 0;
  }
  lode__conn_set_timeout(m->conn, msecs);
  return 0;
}

/* ---- The whole body at once ---- */

typedef struct lode__collect_s {
  lode__buf_t body;
  size_t limit;
  lode_http_collect_cb cb;
  void* arg;
  int done; /* cb has run */
} collect_t;

static void collect_finish(lode_http_incoming_t* m, int status) {
  collect_t* c = m->collect;
  if (c->done)
    return;
  c->done = 1;
  lode_slice_t body = { status == 0 ? c->body.base : NULL,
                        status == 0 ? c->body.len : 0 };
  c->cb(m, status, body, c->arg);
  lode__buf_free(&c->body);
}

static void collect_data(lode_http_incoming_t* m, lode_slice_t d) {
  collect_t* c = m->collect;
  if (c->done)
    return; /* past the limit: the rest is read and dropped */
  if (d.len > c->limit - c->body.len) {
    collect_finish(m, LODE_ERR_HTTP_BODY_TOO_LARGE);
    return;
  }
  if (lode__buf_append(&c->body, d.base, d.len) != 0)
    collect_finish(m, UV_ENOMEM);
}

static void collect_end(lode_http_incoming_t* m) {
  collect_finish(m, 0);
}

static void collect_error(lode_http_incoming_t* m, const lode_error_t* e) {
  collect_finish(m, e->code);
}

static void collect_aborted(lode_http_incoming_t* m) {
  collect_finish(m, LODE_ERR_HTTP_CLIENT_ABORTED);
}

static void collect_close(lode_http_incoming_t* m) {
  collect_t* c = m->collect;
  collect_finish(m, LODE_ERR_HTTP_CLIENT_ABORTED);
  m->collect = NULL;
  free(c);
}

static const lode_http_incoming_events_t collect_events = {
  .on_data = collect_data,
  .on_end = collect_end,
  .on_aborted = collect_aborted,
  .on_error = collect_error,
  .on_close = collect_close,
};

int lode_http_incoming_collect(lode_http_incoming_t* m, size_t limit,
                               lode_http_collect_cb cb, void* arg) {
  if (cb == NULL)
    return LODE_ERR_INVALID_ARG_TYPE;
  if (m->collect != NULL ||
      (m->flags & (LODE__IN_END_EMITTED | LODE__IN_CLOSED | LODE__IN_DUMPED)))
    return LODE_ERR_INVALID_STATE;
  collect_t* c = calloc(1, sizeof(*c));
  if (c == NULL)
    return UV_ENOMEM;
  c->limit = limit;
  c->cb = cb;
  c->arg = arg;
  m->collect = c;
  m->flags &= ~LODE__IN_PAUSED;
  lode_http_incoming_set_events(m, &collect_events);
  return 0;
}

lode_http_response_t* lode_http_incoming_response(
    const lode_http_incoming_t* m) {
  return m->owner == NULL && m->res != NULL ? &m->res->out : NULL;
}

/* ---- Client responses (the HTTP client's part of this file) ---- */

int lode__incoming_fill_response(lode_http_incoming_t* m,
                                 const lode_http_head_t* h,
                                 size_t max_headers) {
  lode__arena_t* a = &m->arena;
  m->status_message = lode__arena_strndup(a, h->status_text.base,
                                          h->status_text.len);
  if (m->status_message == NULL ||
      copy_fields(a, &m->headers, h->headers, h->num_headers) != 0)
    return UV_ENOMEM;
  m->status_code = h->status_code;
  start_reading(m, h, max_headers);
  return 0;
}
