/* Node's https module. https.Server: a TLS server whose secure
 * connections an HTTP server serves (the TLS server listens; the HTTP
 * server only serves streams). https.request and https.Agent: the HTTP
 * client whose agent connects with tls.connect, keeps a session per
 * agent name and names its connections with the TLS options. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/common.h"
#include "http/https_agent.h"
#include "lode/https.h"
#include "lode/options.h"

struct lode_https_server_s {
  uv_loop_t* loop;
  lode_http_server_t* http;
  lode_tls_server_t* tls;
  const lode_https_server_events_t* ev;
  /* The tables the two servers borrow: the user's, less what the
   * HTTPS server says itself. */
  lode_http_server_events_t hev;
  lode_tls_server_events_t tev;
  lode_https_server_cb listen_cb;
  void* listen_arg;
  lode_https_server_cb close_cb;
  void* close_arg;
  int close_status;
  int closing;
  int refs;
};

static void server_release(lode_https_server_t* s) {
  if (--s->refs > 0)
    return;
  free(s);
}

static lode_https_server_t* of_tls(lode_tls_server_t* t) {
  return lode_tls_server_get_data(t);
}

/* ---- The TLS server's events ---- */

static void t_connection(lode_tls_server_t* t, lode_socket_t* sock) {
  lode_https_server_t* s = of_tls(t);
  if (s != NULL && s->ev->http.on_connection != NULL)
    s->ev->http.on_connection(s->http, lode_socket_stream(sock));
}

/* Node's https.Server serves a connection from its own 'secureConnection'
 * listener, before the user's. One whose handshake ends after close() is
 * served too, as Node's (the TLS server's close waits for it, so the HTTP
 * server is still there); one whose server has gone is dropped. */
static void t_secure(lode_tls_server_t* t, lode_tls_socket_t* ts) {
  lode_https_server_t* s = of_tls(t);
  if (s == NULL) {
    lode_tls_socket_destroy(ts, NULL);
    return;
  }
  lode_tls_socket_hold(ts);
  lode_http_server_serve(s->http, lode_tls_socket_stream(ts));
  if (s->ev->on_secure_connection != NULL)
    s->ev->on_secure_connection(s, ts);
  lode_tls_socket_release(ts);
}

/* Node's https.Server passes a failed handshake on to 'clientError'
 * from its own 'tlsClientError' listener, before the user's. The TLS
 * layer destroys the socket after both, whatever they did with it. */
static void t_client_error(lode_tls_server_t* t, const lode_error_t* err,
                           lode_tls_socket_t* ts) {
  lode_https_server_t* s = of_tls(t);
  if (s != NULL && s->ev->http.on_client_error != NULL)
    s->ev->http.on_client_error(s->http, err, lode_tls_socket_stream(ts));
  if (s != NULL && s->ev->on_tls_client_error != NULL)
    s->ev->on_tls_client_error(s, err, ts);
}

static void t_listening(lode_tls_server_t* t) {
  lode_https_server_t* s = of_tls(t);
  if (s != NULL && s->ev->http.on_listening != NULL)
    s->ev->http.on_listening(s->http);
}

static void t_error(lode_tls_server_t* t, const lode_error_t* err) {
  lode_https_server_t* s = of_tls(t);
  if (s != NULL && s->ev->http.on_error != NULL)
    s->ev->http.on_error(s->http, err);
}

static void t_keylog(lode_tls_server_t* t, lode_slice_t line,
                     lode_tls_socket_t* ts) {
  lode_https_server_t* s = of_tls(t);
  if (s != NULL)
    s->ev->on_keylog(s, line, ts);
}

static void t_new_session(lode_tls_server_t* t, lode_slice_t id,
                          lode_slice_t data) {
  lode_https_server_t* s = of_tls(t);
  if (s != NULL)
    s->ev->on_new_session(s, id, data);
}

static lode_bytes_t* t_resume_session(lode_tls_server_t* t, lode_slice_t id) {
  lode_https_server_t* s = of_tls(t);
  return s != NULL ? s->ev->on_resume_session(s, id) : NULL;
}

static lode_bytes_t* t_ocsp(lode_tls_server_t* t, lode_slice_t cert,
                            lode_slice_t issuer, lode_tls_socket_t* ts) {
  lode_https_server_t* s = of_tls(t);
  return s != NULL ? s->ev->on_ocsp_request(s, cert, issuer, ts) : NULL;
}

/* The TLS layer acts on whether a slot is set (a key log is made only
 * with a listener, a listen error closes a server without one), so the
 * table has the slots the user's has. */
static void tls_table(lode_https_server_t* s) {
  const lode_https_server_events_t* ev = s->ev;
  lode_tls_server_events_t* t = &s->tev;
  t->on_secure_connection = t_secure;
  t->on_tls_client_error = t_client_error;
  t->on_connection = t_connection;
  t->on_listening = t_listening;
  t->on_error = ev->http.on_error ? t_error : NULL;
  t->on_keylog = ev->on_keylog ? t_keylog : NULL;
  t->on_new_session = ev->on_new_session ? t_new_session : NULL;
  t->on_resume_session = ev->on_resume_session ? t_resume_session : NULL;
  t->on_ocsp_request = ev->on_ocsp_request ? t_ocsp : NULL;
}

static int make_tls(uv_loop_t* loop, lode_https_server_t* s,
                    const lode_https_server_opts_t* o, lode_error_t* err) {
  static const char* const http11[] = { "http/1.1", NULL };
  lode_tls_server_opts_t to = o->tls;
  to.socket_events = NULL;
  if (to.tls.alpn_protocols == NULL && to.tls.alpn_callback == NULL)
    to.tls.alpn_protocols = http11;
  to.net.no_delay = LODE_OPT_BOOL(o->http.no_delay, 1);
  if (o->http.keep_alive) {
    to.net.keep_alive = 1;
    to.net.keep_alive_initial_delay = o->http.keep_alive_initial_delay;
  }
  if (to.net.high_water_mark == 0)
    to.net.high_water_mark = o->http.high_water_mark;
  tls_table(s);
  int rc = lode_tls_create_server(loop, &to, &s->tev, &s->tls, err);
  if (rc != 0)
    return rc;
  lode_tls_server_hold(s->tls);
  lode_tls_server_set_data(s->tls, s);
  return 0;
}

int lode_https_create_server(uv_loop_t* loop,
                             const lode_https_server_opts_t* opts,
                             const lode_https_server_events_t* ev,
                             lode_https_server_t** out, lode_error_t* err) {
  static const lode_https_server_opts_t none;
  static const lode_https_server_events_t no_events;
  const lode_https_server_opts_t* o = opts ? opts : &none;
  if (loop == NULL || out == NULL)
    return UV_EINVAL;
  lode_https_server_t* s = calloc(1, sizeof(*s));
  if (s == NULL)
    return UV_ENOMEM;
  s->loop = loop;
  s->refs = 1;
  s->ev = ev ? ev : &no_events;
  /* 'connection' is the TCP connection's (from the TLS server); 'close'
   * comes from the HTTPS server's own close. */
  s->hev = s->ev->http;
  s->hev.on_connection = NULL;
  s->hev.on_close = NULL;
  int rc = lode_http_create_server(loop, &o->http, &s->hev, &s->http);
  if (rc != 0) {
    free(s);
    return rc;
  }
  rc = make_tls(loop, s, o, err);
  if (rc != 0) {
    lode_http_server_close(s->http, NULL, NULL);
    free(s);
    return rc;
  }
  *out = s;
  return 0;
}

/* ---- listen, close, address ---- */

static void listened(lode_tls_server_t* t, int status, void* arg) {
  lode_https_server_t* s = arg;
  lode_https_server_cb cb = s->listen_cb;
  s->listen_cb = NULL;
  if (cb != NULL)
    cb(s, status, s->listen_arg);
}

int lode_https_server_listen(lode_https_server_t* s,
                             const lode_listen_opts_t* opts,
                             lode_https_server_cb cb, void* arg) {
  if (s->closing)
    return LODE_ERR_SERVER_NOT_RUNNING;
  int rc = lode_tls_server_listen(s->tls, opts, listened, s);
  if (rc == 0) {
    s->listen_cb = cb;
    s->listen_arg = arg;
  }
  return rc;
}

int lode_https_server_address(lode_https_server_t* s, lode_net_address_t* out) {
  return lode_tls_server_address(s->tls, out);
}

/* The HTTP server has no connection left: the HTTPS server's 'close'. */
static void http_closed(lode_http_server_t* h, int status, void* arg) {
  lode_https_server_t* s = arg;
  (void) status;
  if (s->ev->http.on_close != NULL)
    s->ev->http.on_close(h);
  if (s->close_cb != NULL)
    s->close_cb(s, s->close_status, s->close_arg);
  lode_tls_server_set_data(s->tls, NULL);
  lode_tls_server_release(s->tls);
  server_release(s);
}

/* The listener is closed: now wait for the connections. */
static void tls_closed(lode_tls_server_t* t, int status, void* arg) {
  lode_https_server_t* s = arg;
  s->close_status = status;
  lode_http_server_close(s->http, http_closed, s);
}

typedef struct again_s {
  uv_timer_t timer;
  lode_https_server_t* srv;
  lode_https_server_cb cb;
  void* arg;
} again_t;

static void again_freed(uv_handle_t* h) {
  again_t* a = h->data;
  server_release(a->srv);
  free(a);
}

static void again_fire(uv_timer_t* t) {
  again_t* a = t->data;
  a->cb(a->srv, LODE_ERR_SERVER_NOT_RUNNING, a->arg);
  uv_close((uv_handle_t*) t, again_freed);
}

/* A second close: its callback gets the error on a later turn. */
static int close_again(lode_https_server_t* s, lode_https_server_cb cb,
                       void* arg) {
  again_t* a = cb ? calloc(1, sizeof(*a)) : NULL;
  if (a != NULL) {
    *a = (again_t){ .srv = s, .cb = cb, .arg = arg };
    uv_timer_init(s->loop, &a->timer);
    a->timer.data = a;
    s->refs++;
    uv_timer_start(&a->timer, again_fire, 0, 0);
  }
  return LODE_ERR_SERVER_NOT_RUNNING;
}

int lode_https_server_close(lode_https_server_t* s, lode_https_server_cb cb,
                            void* arg) {
  if (s->closing)
    return close_again(s, cb, arg);
  s->closing = 1;
  s->close_cb = cb;
  s->close_arg = arg;
  /* Idle connections go now, as the HTTP server's close does. */
  lode_http_server_close_idle_connections(s->http);
  int rc = lode_tls_server_close(s->tls, tls_closed, s);
  return rc == LODE_ERR_SERVER_NOT_RUNNING ? rc : 0;
}

lode_http_server_t* lode_https_server_http(lode_https_server_t* s) {
  return s->http;
}

lode_tls_server_t* lode_https_server_tls(lode_https_server_t* s) {
  return s->tls;
}

void lode_https_server_set_data(lode_https_server_t* s, void* data) {
  lode_http_server_set_data(s->http, data);
}

void* lode_https_server_get_data(const lode_https_server_t* s) {
  return lode_http_server_get_data(s->http);
}

/* ===================================================================== *
 * The client: TLS options, https.Agent, https.request                    *
 * ===================================================================== */

struct lode__https_tls_s {
  lode_tls_opts_t o;
  lode__arena_t arena;
};

/* Every pointer of the options a client connection uses, for copying and
 * merging: the slices and the strings. */
/* clang-format off */
#define HTTPS_SLICES(X) X(key) X(cert) X(ca) X(pfx) X(crl) X(dhparam)
#define HTTPS_STRINGS(X)                                                      \
  X(passphrase) X(ciphers) X(ciphersuites) X(ecdh_curve) X(sigalgs)           \
  X(min_version) X(max_version) X(secure_protocol)
/* clang-format on */

static int copy_slice(lode__arena_t* ar, lode_slice_t* s) {
  if (s->len == 0) {
    *s = (lode_slice_t){ NULL, 0 };
    return 0;
  }
  char* p = lode__arena_strndup(ar, s->base, s->len);
  s->base = p;
  return p != NULL ? 0 : -1;
}

static int copy_str(lode__arena_t* ar, const char** s) {
  if (*s == NULL)
    return 0;
  *s = lode__arena_strndup(ar, *s, strlen(*s));
  return *s != NULL ? 0 : -1;
}

/* The options a client connection takes (a server's and per-connection
 * ones, ALPN and a session, are left out: the agent gives the session).
 * What points into `shared` (the agent's own copy, which outlives its
 * requests) is not copied again: a request's CA text, made per request,
 * would otherwise be. */
static lode__https_tls_t* tls_copy(const lode_tls_opts_t* in,
                                   const lode_tls_opts_t* shared) {
  lode__https_tls_t* t = calloc(1, sizeof(*t));
  if (t == NULL)
    return NULL;
  lode_tls_opts_t* o = &t->o;
  lode_tls_context_opts_t* c = &o->context;
  *o = *in;
  o->is_server = 0;
  o->host = NULL;
  o->alpn_protocols = NULL;
  o->session = (lode_slice_t){ NULL, 0 };
  o->sni_callback = NULL;
  o->alpn_callback = NULL;
  o->psk_identity_hint = NULL;
  o->session_id_context = NULL;
  c->ticket_keys = (lode_slice_t){ NULL, 0 };
  int bad = copy_str(&t->arena, &o->servername);
#define COPY_SLICE(f)                                                          \
  if (shared == NULL || c->f.base != shared->context.f.base)                   \
    bad |= copy_slice(&t->arena, &c->f);
#define COPY_STR(f)                                                            \
  if (shared == NULL || c->f != shared->context.f)                             \
    bad |= copy_str(&t->arena, &c->f);
  HTTPS_SLICES(COPY_SLICE)
  HTTPS_STRINGS(COPY_STR)
  if (o->secure_context != NULL)
    lode_tls_context_hold(o->secure_context);
  if (bad) {
    lode__https_tls_free(t);
    return NULL;
  }
  return t;
}

const lode_tls_opts_t* lode__https_tls_opts(const lode__https_tls_t* t) {
  return &t->o;
}

void lode__https_tls_free(lode__https_tls_t* t) {
  if (t == NULL)
    return;
  if (t->o.secure_context != NULL)
    lode_tls_context_release(t->o.secure_context);
  lode__arena_free(&t->arena);
  free(t);
}

/* A session kept for an agent name (Node's _sessionCache). */
typedef struct cached_s {
  struct cached_s* next;
  char* name;
  lode_bytes_t* session;
} cached_t;

struct lode__https_agent_s {
  lode__https_tls_t* tls; /* the agent's own options, over a request's */
  void (*on_keylog)(lode_agent_t* agent, lode_slice_t line,
                    lode_tls_socket_t* t, void* arg);
  void* keylog_arg;
  int max_sessions;
  int nsessions;
  cached_t* sessions; /* oldest first */
};

static void cached_free(cached_t* c) {
  lode_bytes_release(c->session);
  free(c->name);
  free(c);
}

void lode__https_agent_free(lode__https_agent_t* h) {
  if (h == NULL)
    return;
  while (h->sessions != NULL) {
    cached_t* c = h->sessions;
    h->sessions = c->next;
    cached_free(c);
  }
  lode__https_tls_free(h->tls);
  free(h);
}

static cached_t** cache_find(lode__https_agent_t* h, const char* name) {
  cached_t** p = &h->sessions;
  while (*p != NULL && strcmp((*p)->name, name) != 0)
    p = &(*p)->next;
  return p;
}

static void cache_evict(lode__https_agent_t* h, const char* name) {
  cached_t** p = cache_find(h, name);
  if (*p == NULL)
    return;
  cached_t* c = *p;
  *p = c->next;
  h->nsessions--;
  cached_free(c);
}

/* Node's _cacheSession: a known name's session is replaced in place; a
 * new one goes last, the oldest leaving when the cache is full. */
static void cache_put(lode__https_agent_t* h, const char* name,
                      lode_slice_t session) {
  if (h->max_sessions <= 0)
    return;
  lode_bytes_t* b = lode_bytes_copy(session);
  if (b == NULL)
    return;
  cached_t** p = cache_find(h, name);
  if (*p != NULL) {
    lode_bytes_release((*p)->session);
    (*p)->session = b;
    return;
  }
  cached_t* c = calloc(1, sizeof(*c));
  if (c == NULL || (c->name = strdup(name)) == NULL) {
    free(c);
    lode_bytes_release(b);
    return;
  }
  c->session = b;
  *p = c;
  if (++h->nsessions > h->max_sessions)
    cache_evict(h, h->sessions->name);
}

/* Merges the agent's options over the request's, field by field, as
 * Node's addRequest spreads agent.options last. */
lode__https_tls_t* lode__https_tls_for(const lode_agent_t* a,
                                       const lode_tls_opts_t* req) {
  const lode_tls_opts_t* ag = &a->https->tls->o;
  lode_tls_opts_t m = *req;
#define OVER_SLICE(f)                                                          \
  if (ag->context.f.len > 0)                                                   \
    m.context.f = ag->context.f;
#define OVER_STR(f)                                                            \
  if (ag->context.f != NULL)                                                   \
    m.context.f = ag->context.f;
  HTTPS_SLICES(OVER_SLICE)
  HTTPS_STRINGS(OVER_STR)
  if (ag->context.honor_cipher_order)
    m.context.honor_cipher_order = ag->context.honor_cipher_order;
  if (ag->context.secure_options)
    m.context.secure_options = ag->context.secure_options;
  if (ag->context.session_timeout)
    m.context.session_timeout = ag->context.session_timeout;
  if (ag->secure_context != NULL)
    m.secure_context = ag->secure_context;
  if (ag->reject_unauthorized)
    m.reject_unauthorized = ag->reject_unauthorized;
  if (ag->servername != NULL)
    m.servername = ag->servername;
  if (ag->check_server_identity != NULL) {
    m.check_server_identity = ag->check_server_identity;
    m.check_server_identity_arg = ag->check_server_identity_arg;
  }
  if (ag->min_dh_size)
    m.min_dh_size = ag->min_dh_size;
  return tls_copy(&m, ag);
}

/* A growing string for the agent name. */
typedef struct sbuf_s {
  char* p;
  size_t len, cap;
  int bad;
} sbuf_t;

static void sb_add(sbuf_t* b, const char* s, size_t n) {
  if (b->bad || n == 0)
    return;
  if (b->len + n + 1 > b->cap) {
    size_t cap = (b->len + n + 1) * 2;
    char* p = realloc(b->p, cap);
    if (p == NULL) {
      b->bad = 1;
      return;
    }
    b->p = p;
    b->cap = cap;
  }
  memcpy(b->p + b->len, s, n);
  b->len += n;
  b->p[b->len] = '\0';
}

static void sb_str(sbuf_t* b, const char* s) {
  sb_add(b, ":", 1);
  if (s != NULL)
    sb_add(b, s, strlen(s));
}

static void sb_slice(sbuf_t* b, lode_slice_t s) {
  sb_add(b, ":", 1);
  sb_add(b, s.base, s.len);
}

/* pfx is DER: its bytes in hex, so the name stays a C string. */
static void sb_hex(sbuf_t* b, lode_slice_t s) {
  static const char digits[] = "0123456789abcdef";
  sb_add(b, ":", 1);
  for (size_t i = 0; i < s.len; i++) {
    unsigned char c = (unsigned char) s.base[i];
    char h[2] = { digits[c >> 4], digits[c & 15] };
    sb_add(b, h, 2);
  }
}

static void sb_bool(sbuf_t* b, int tri) {
  sb_str(b, tri == 0 ? NULL : tri > 0 ? "true" : "false");
}

/* Node's https.Agent getName: the http name, then the TLS options in
 * Node's order, ':' before each; unset ones are empty. */
char* lode__https_name(const char* base, const char* host,
                       const lode_tls_opts_t* o) {
  const lode_tls_context_opts_t* c = &o->context;
  /* Made for every request: sized once for the PEM texts, which are
   * most of it, rather than grown by doubling. */
  size_t base_len = strlen(base);
  sbuf_t b = { 0 };
  b.cap = base_len + c->ca.len + c->cert.len + c->key.len + 2 * c->pfx.len +
          c->crl.len + c->dhparam.len + 256;
  if ((b.p = malloc(b.cap)) == NULL)
    return NULL;
  b.p[0] = '\0';
  char num[32];
  sb_add(&b, base, base_len);
  sb_slice(&b, c->ca);
  sb_slice(&b, c->cert);
  sb_str(&b, NULL); /* clientCertEngine */
  sb_str(&b, c->ciphers);
  sb_slice(&b, c->key);
  sb_hex(&b, c->pfx);
  sb_bool(&b, o->reject_unauthorized);
  int other = o->servername != NULL && o->servername[0] != '\0' &&
              (host == NULL || strcmp(o->servername, host) != 0);
  sb_str(&b, other ? o->servername : NULL);
  sb_str(&b, c->min_version);
  sb_str(&b, c->max_version);
  sb_str(&b, c->secure_protocol);
  sb_slice(&b, c->crl);
  sb_str(&b, c->honor_cipher_order ? "true" : NULL);
  sb_str(&b, c->ecdh_curve);
  sb_slice(&b, c->dhparam);
  if (c->secure_options)
    snprintf(num, sizeof(num), "%ld", c->secure_options);
  sb_str(&b, c->secure_options ? num : NULL);
  sb_str(&b, o->session_id_context);
  sb_add(&b, ":", 1); /* Node's JSON.stringify of the string */
  if (c->sigalgs != NULL) {
    sb_add(&b, "\"", 1);
    sb_add(&b, c->sigalgs, strlen(c->sigalgs));
    sb_add(&b, "\"", 1);
  }
  sb_str(&b, NULL); /* privateKeyIdentifier */
  sb_str(&b, NULL); /* privateKeyEngine */
  if (b.bad) {
    free(b.p);
    return NULL;
  }
  return b.p;
}

size_t lode_https_agent_get_name(const lode_agent_name_opts_t* opts,
                                 const lode_tls_opts_t* tls, char* out,
                                 size_t cap) {
  static const lode_tls_opts_t none;
  size_t n = lode_agent_get_name(opts, NULL, 0);
  char* base = malloc(n + 1);
  if (base == NULL)
    return 0;
  lode_agent_get_name(opts, base, n + 1);
  const char* host = opts->host && opts->host[0] ? opts->host : "localhost";
  char* full = lode__https_name(base, host, tls ? tls : &none);
  free(base);
  if (full == NULL)
    return 0;
  n = strlen(full);
  if (out != NULL && cap > 0)
    snprintf(out, cap, "%s", full);
  free(full);
  return n;
}

/* What a connection's TLS socket keeps for the agent's session cache. */
typedef struct conn_s {
  lode_agent_t* agent; /* held until the socket's close */
  char* name;
} conn_t;

static void c_session(lode_tls_socket_t* t, lode_slice_t session) {
  conn_t* c = lode_tls_socket_get_data(t);
  cache_put(c->agent->https, c->name, session);
}

/* Node's createConnection: a connection closed by an error takes its
 * name's session out of the cache. */
static void c_close(lode_tls_socket_t* t, int had_error) {
  conn_t* c = lode_tls_socket_get_data(t);
  if (had_error)
    cache_evict(c->agent->https, c->name);
  lode__agent_release(c->agent);
  free(c->name);
  free(c);
}

static void c_keylog(lode_tls_socket_t* t, lode_slice_t line) {
  conn_t* c = lode_tls_socket_get_data(t);
  lode__https_agent_t* h = c->agent->https;
  h->on_keylog(c->agent, line, t, h->keylog_arg);
}

static const lode_tls_socket_events_t conn_events = {
  .on_session = c_session,
  .on_close = c_close,
};

/* With the agent's 'keylog' listener: the socket makes key log lines. */
static const lode_tls_socket_events_t conn_events_keylog = {
  .on_session = c_session,
  .on_keylog = c_keylog,
  .on_close = c_close,
};

int lode__https_connect(lode_agent_t* a, lode__client_req_t* req,
                        const lode_socket_opts_t* net, lode_stream_t** out) {
  lode_tls_opts_t o = req->tls->o;
  o.host = net->host;
  cached_t* cached = *cache_find(a->https, req->name);
  if (cached != NULL)
    o.session = lode_bytes_view(cached->session);
  conn_t* c = calloc(1, sizeof(*c));
  if (c == NULL || (c->name = strdup(req->name)) == NULL) {
    free(c);
    return UV_ENOMEM;
  }
  lode_tls_socket_t* t;
  const lode_tls_socket_events_t* ev = a->https->on_keylog != NULL
                                           ? &conn_events_keylog
                                           : &conn_events;
  int rc = lode_tls_connect(a->loop, net, &o, ev, &t, NULL);
  if (rc != 0) {
    free(c->name);
    free(c);
    return rc;
  }
  c->agent = a;
  lode__agent_hold(a);
  lode_tls_socket_set_data(t, c);
  *out = lode_tls_socket_stream(t);
  return 0;
}

int lode_https_agent_create(uv_loop_t* loop,
                            const lode_https_agent_opts_t* opts,
                            lode_agent_t** out) {
  static const lode_https_agent_opts_t none;
  const lode_https_agent_opts_t* o = opts ? opts : &none;
  lode__https_agent_t* h = calloc(1, sizeof(*h));
  if (h == NULL || (h->tls = tls_copy(&o->tls, NULL)) == NULL) {
    free(h);
    return UV_ENOMEM;
  }
  h->max_sessions = o->max_cached_sessions == 0  ? 100
                    : o->max_cached_sessions < 0 ? 0
                                                 : o->max_cached_sessions;
  h->on_keylog = o->on_keylog;
  h->keylog_arg = o->keylog_arg;
  lode_agent_opts_t ao = o->agent;
  if (ao.default_port == 0)
    ao.default_port = 443;
  int rc = lode_agent_create(loop, &ao, out);
  if (rc != 0) {
    lode__https_agent_free(h);
    return rc;
  }
  (*out)->protocol = "https:";
  (*out)->https = h;
  return 0;
}

lode_agent_t* lode_https_global_agent(uv_loop_t* loop) {
  return lode__global_agent(loop, 1);
}

int lode_https_request(uv_loop_t* loop, const lode_https_request_opts_t* opts,
                       const lode_http_request_events_t* ev,
                       lode_http_request_t** out) {
  static const lode_https_request_opts_t none;
  const lode_https_request_opts_t* o = opts ? opts : &none;
  return lode__http_request_tls(loop, &o->http, &o->tls, ev, out);
}

int lode_https_get(uv_loop_t* loop, const lode_https_request_opts_t* opts,
                   const lode_http_request_events_t* ev,
                   lode_http_request_t** out) {
  lode_https_request_opts_t o = { 0 };
  if (opts != NULL)
    o = *opts;
  o.http.method = "GET";
  int rc = lode_https_request(loop, &o, ev, out);
  if (rc == 0)
    lode_http_outgoing_end(*out, (lode_slice_t){ NULL, 0 }, NULL, NULL);
  return rc;
}
