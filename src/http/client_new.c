/* http.request(): Node's ClientRequest constructor. Everything Node
 * throws is checked before anything is allocated that the user could
 * see; then the request goes to its agent. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http/client.h"
#include "http/https_agent.h"

/* Node's INVALID_PATH_REGEX /[^\u0021-\u00ff]/ over the UTF-8 text. */
static int path_ok(const char* p) {
  const unsigned char* s = (const unsigned char*) p;
  for (size_t i = 0; s[i] != '\0'; i++) {
    if (s[i] <= 0x20 || s[i] == 0x7f)
      return 0;
    if (s[i] >= 0xc4) /* leads a code point above U+00FF */
      return 0;
  }
  return 1;
}

/* The parser's number of a method, or -1 for one it does not know. */
static int method_number(const char* m) {
  for (int i = 0; i <= LODE_HTTP_QUERY; i++) {
    const char* name = lode_http_method_name(i);
    if (name != NULL && strcmp(name, m) == 0)
      return i;
  }
  return -1;
}

/* Node's useChunkedEncodingByDefault is off for these. */
static int bodiless(int method) {
  switch (method) {
    case LODE_HTTP_GET:
    case LODE_HTTP_HEAD:
    case LODE_HTTP_DELETE:
    case LODE_HTTP_OPTIONS:
    case LODE_HTTP_TRACE:
    case LODE_HTTP_CONNECT:
      return 1;
    default:
      return 0;
  }
}

static const char* arena_dup(lode_http_outgoing_t* o, const char* s) {
  return s ? lode__arena_strndup(&o->arena, s, strlen(s)) : NULL;
}

/* Node's Host header: brackets around IPv6, the port unless default
 * (formatted by hand: this runs for every request). */
static int set_host(lode__client_req_t* r, int port, int default_port) {
  char buf[320];
  const char* h = r->host;
  const char* colon = strchr(h, ':');
  int v6 = colon != NULL && strchr(colon + 1, ':') != NULL && h[0] != '[';
  size_t hl = strlen(h);
  char* p = hl + 10 <= sizeof(buf) ? buf : malloc(hl + 10);
  if (p == NULL)
    return UV_ENOMEM;
  size_t n = 0;
  if (v6)
    p[n++] = '[';
  memcpy(p + n, h, hl);
  n += hl;
  if (v6)
    p[n++] = ']';
  if (port != default_port) {
    p[n++] = ':';
    n += lode__http_utoa(p + n, (uint64_t) port);
  }
  p[n] = '\0';
  int rc = lode_http_outgoing_set_header(&r->out, "Host", p);
  if (p != buf)
    free(p);
  return rc;
}

static int set_auth(lode__client_req_t* r, const char* auth) {
  lode_slice_t in = lode_slice_str(auth);
  size_t n = lode_encode(LODE_ENC_BASE64, in, NULL, 0);
  char* v = malloc(n + 7);
  if (v == NULL)
    return UV_ENOMEM;
  memcpy(v, "Basic ", 6);
  lode_encode(LODE_ENC_BASE64, in, v + 6, n);
  v[n + 6] = '\0';
  int rc = lode_http_outgoing_set_header(&r->out, "Authorization", v);
  free(v);
  return rc;
}

/* setHeader(name, values) for pair i, with every value of that name (a
 * name given several times is Node's array value); later pairs of the
 * same name were taken by the first. */
static int set_named(lode_http_outgoing_t* out, const char* const* h, size_t n,
                     size_t i) {
  const char* name = h[2 * i];
  if (name == NULL)
    return LODE_ERR_INVALID_HTTP_TOKEN;
  size_t k = 0;
  for (size_t j = 0; j < i; j++)
    if (h[2 * j] != NULL && strcasecmp(h[2 * j], name) == 0)
      return 0;
  const char** v = malloc(n * sizeof(*v));
  if (v == NULL)
    return UV_ENOMEM;
  for (size_t j = i; j < n; j++)
    if (h[2 * j] != NULL && strcasecmp(h[2 * j], name) == 0)
      v[k++] = h[2 * j + 1];
  int rc = lode_http_outgoing_set_header_values(out, name, v, k);
  free(v);
  return rc;
}

static int apply_headers(lode__client_req_t* r,
                         const lode_http_request_opts_t* o, const char* auth,
                         int port, int default_port) {
  lode_http_outgoing_t* out = &r->out;
  size_t nheaders;
  int rc = lode__http_pairs(o->headers, &nheaders);
  if (rc != 0)
    return rc;
  if (o->headers_raw) {
    char buf[256];
    size_t len;
    char* first = lode__client_request_line(r, buf, sizeof(buf), &len);
    if (first == NULL)
      return UV_ENOMEM;
    rc = lode__outgoing_store_header(out, first, len, o->headers, nheaders);
    if (first != buf)
      free(first);
    return rc;
  }
  for (size_t i = 0; i < nheaders && rc == 0; i++)
    rc = set_named(out, o->headers, nheaders, i);
  int defaults = LODE_OPT_BOOL(o->set_default_headers, 1);
  int want_host = LODE_OPT_BOOL(o->set_host, defaults);
  int given = nheaders > 0; /* else none of these can be set yet */
  if (rc == 0 && want_host &&
      !(given && lode_http_outgoing_has_header(out, "host")))
    rc = set_host(r, port, default_port);
  if (rc == 0 && auth != NULL &&
      !(given && lode_http_outgoing_has_header(out, "authorization")))
    rc = set_auth(r, auth);
  /* With Expect the head goes out at once (Node's _storeHeader sends it
   * for 100-continue), before any body. */
  if (rc == 0 && given && lode_http_outgoing_has_header(out, "expect") &&
      (rc = out->ops->implicit_header(out)) == 0)
    lode_http_outgoing_flush_headers(out);
  return rc;
}

/* The agent: the one given, a new default one for agent: false (or for
 * createConnection without an agent), or the global one; of http or of
 * https (`https`) as the module called. */
static lode_agent_t* pick_agent(uv_loop_t* loop,
                                const lode_http_request_opts_t* o, int https,
                                int* own) {
  lode_agent_t* a = NULL;
  *own = 0;
  int no_agent = o->agent == LODE_AGENT_FALSE;
  if (o->agent != NULL && !no_agent) {
    lode__agent_hold(o->agent);
    return o->agent;
  }
  if (no_agent || o->create_connection != NULL) {
    *own = 1;
    int rc = https ? lode_https_agent_create(loop, NULL, &a)
                   : lode_agent_create(loop, NULL, &a);
    return rc == 0 ? a : NULL;
  }
  a = lode__global_agent(loop, https);
  if (a != NULL)
    lode__agent_hold(a);
  return a;
}

static void on_abort_signal(lode_abort_listener_t* l,
                            lode_abort_signal_t* sig) {
  lode__client_req_t* r = lode__container_of(l, lode__client_req_t, abort_l);
  lode_error_t e;
  int reason = lode_abort_signal_reason(sig);
  lode_error_init(&e, LODE_ABORT_ERR);
  if (reason != 0 && reason != LODE_ABORT_ERR)
    lode_error_init(&e, reason);
  r->signal = NULL;
  lode_http_request_destroy(&r->out, &e);
}

typedef struct resolved_s {
  const char* host;
  const char* path;
  const char* method;
  const char* auth;
  const char* protocol;
  int port;
  int default_port;
} resolved_t;

/* `dflt` is the default agent's protocol (Node's defaultAgent.protocol);
 * the agent used must speak the protocol asked for. */
static int resolve(const lode_http_request_opts_t* o, const lode_http_url_t* u,
                   const lode_agent_t* a, const char* dflt, resolved_t* v) {
  v->protocol = o->protocol ? o->protocol : u->protocol ? u->protocol : dflt;
  v->path = o->path ? o->path : u->path ? u->path : "/";
  if (v->path[0] == '\0')
    v->path = "/";
  if (!path_ok(v->path))
    return LODE_ERR_UNESCAPED_CHARACTERS;
  if (strcmp(v->protocol, a->protocol) != 0)
    return LODE_ERR_INVALID_PROTOCOL;
  v->default_port = o->default_port ? o->default_port
                    : a             ? a->o.default_port
                                    : 80;
  v->port = o->port ? o->port : u->port_num > 0 ? u->port_num : v->default_port;
  if (v->port < 0 || v->port > 65535)
    return LODE_ERR_SOCKET_BAD_PORT;
  v->host = o->hostname                       ? o->hostname
            : o->host                         ? o->host
            : u->host_bare && u->host_bare[0] ? u->host_bare
                                              : "localhost";
  v->method = o->method && o->method[0] ? o->method : "GET";
  if (!lode__http_is_token(v->method, strlen(v->method)))
    return LODE_ERR_INVALID_HTTP_TOKEN;
  v->auth = o->auth ? o->auth : u->auth;
  return 0;
}

/* An https request's agent name: the base name (host, port, ...) and
 * the TLS options in Node's form. The options of most requests are the
 * agent's alone (tls_plain): their names then differ only where
 * their bases and hosts do, and the agent keeps the last such name, with
 * its base and host ("base\0host"), for the next request. */
static const char* https_name(lode__client_req_t* r, const char* base) {
  lode_agent_t* a = r->agent;
  int plain = r->tls_plain;
  size_t bl = strlen(base), hl = strlen(r->host);
  if (plain && a->name_key != NULL && strcmp(a->name_key, base) == 0 &&
      strcmp(a->name_key + bl + 1, r->host) == 0)
    return arena_dup(&r->out, a->name_full);
  char* full = lode__https_name(base, r->host, lode__https_tls_opts(r->tls));
  if (full == NULL)
    return NULL;
  const char* name = arena_dup(&r->out, full);
  char* key = plain ? malloc(bl + hl + 2) : NULL;
  if (key != NULL) {
    memcpy(key, base, bl + 1);
    memcpy(key + bl + 1, r->host, hl + 1);
    free(a->name_key);
    free(a->name_full);
    a->name_key = key;
    a->name_full = full;
  } else {
    free(full);
  }
  return name;
}

/* An https request's TLS options, its own over the agent's. A request
 * from the pool may still have the agent's alone, made for an earlier
 * request that gave none: one that gives none takes them as they are. */
static int https_tls(lode__client_req_t* r, const lode_tls_opts_t* own) {
  static const lode_tls_opts_t zero;
  int plain = own == NULL || memcmp(own, &zero, sizeof(zero)) == 0;
  if (plain && r->tls != NULL && r->tls_plain)
    return 0;
  lode__https_tls_free(r->tls);
  r->tls = lode__https_tls_for(r->agent, own != NULL ? own : &zero);
  r->tls_plain = plain;
  return r->tls != NULL ? 0 : UV_ENOMEM;
}

static int fill(lode__client_req_t* r, const lode_http_request_opts_t* o,
                const resolved_t* v) {
  lode_http_outgoing_t* out = &r->out;
  char* m = lode__arena_strndup(&out->arena, v->method, strlen(v->method));
  if (m == NULL)
    return UV_ENOMEM;
  for (char* p = m; *p; p++)
    if (*p >= 'a' && *p <= 'z')
      *p = (char) (*p - 32);
  r->method = m;
  int num = method_number(m);
  /* Unknown to the parser: its response is parsed as a GET's. */
  r->method_num = num >= 0 ? num : LODE_HTTP_GET;
  r->path = arena_dup(out, v->path);
  r->host = arena_dup(out, v->host);
  r->protocol = r->agent->protocol;
  char name[512];
  lode_agent_name_opts_t no = { r->host, v->port, o->local_address, o->family,
                                o->socket_path };
  lode_agent_get_name(&no, name, sizeof(name));
  r->name = r->tls != NULL ? https_name(r, name) : arena_dup(out, name);
  r->conn = (lode_agent_conn_opts_t){
    r->host,       v->port,   arena_dup(out, o->socket_path),
    o->family,     o->hints,  arena_dup(out, o->local_address),
    o->local_port, o->lookup, o->lookup_arg,
    o->timeout
  };
  if (r->path == NULL || r->host == NULL || r->name == NULL)
    return UV_ENOMEM;
  if (bodiless(num))
    out->flags &= ~LODE__OUT_CHUNKED_DEFAULT;
  if (!LODE_OPT_BOOL(o->set_default_headers, 1))
    out->flags |= LODE__OUT_REMOVED_CONN | LODE__OUT_REMOVED_CL |
                  LODE__OUT_REMOVED_TE;
  return 0;
}

static lode__client_req_t* req_new(uv_loop_t* loop, lode_agent_t* a,
                                   const lode_http_request_opts_t* o) {
  lode__client_req_t* r = lode__client_req_alloc(a, loop);
  if (r == NULL)
    return NULL;
  r->agent = a;
  r->out.ev = &lode__client_fwd_events;
  r->out.unique = o->unique_headers;
  r->no_delay = -1;
  r->ka_enable = -1;
  r->max_header_size = o->max_header_size;
  r->lenient = o->insecure_http_parser ? LODE_HTTP_LENIENT_ALL : 0;
  r->join = o->join_duplicate_headers;
  r->has_timeout = o->has_timeout || o->timeout > 0;
  r->timeout = o->timeout;
  r->create_connection = o->create_connection;
  r->cc_arg = o->create_connection_arg;
  lode__queue_init(&r->wait_link);
  return r;
}

/* Node's shouldKeepAlive: only when the agent could reuse the socket. */
static void keep_alive(lode__client_req_t* r, int own_for_connection) {
  lode_agent_t* a = r->agent;
  r->out.flags |= LODE__OUT_AGENT;
  if (own_for_connection || (!a->o.keep_alive && a->o.max_sockets == 0))
    return;
  r->flags |= LODE__CR_KEEP_ALIVE;
  r->out.flags |= LODE__OUT_KEEP_ALIVE;
}

static int build(uv_loop_t* loop, const lode_http_request_opts_t* o,
                 const lode_tls_opts_t* tls, const lode_http_url_t* u,
                 lode__client_req_t** out) {
  int own;
  lode_agent_t* a = pick_agent(loop, o, tls != NULL, &own);
  if (a == NULL)
    return UV_ENOMEM;
  resolved_t v;
  int rc = resolve(o, u, a, tls != NULL ? "https:" : "http:", &v);
  lode__client_req_t* r = rc == 0 ? req_new(loop, a, o) : NULL;
  if (r == NULL) {
    lode__agent_release(a);
    return rc ? rc : UV_ENOMEM;
  }
  int no_agent = o->agent == LODE_AGENT_FALSE;
  keep_alive(r, own && o->create_connection != NULL && !no_agent);
  if (own && o->create_connection != NULL && !no_agent)
    r->out.flags &= ~LODE__OUT_AGENT;
  if (a->https != NULL && https_tls(r, tls) != 0)
    rc = UV_ENOMEM;
  if (rc == 0)
    rc = fill(r, o, &v);
  if (rc == 0)
    rc = apply_headers(r, o, v.auth, v.port, v.default_port);
  if (rc != 0) {
    r->out.ops->free(&r->out);
    return rc;
  }
  *out = r;
  return 0;
}

int lode_http_request(uv_loop_t* loop, const lode_http_request_opts_t* opts,
                      const lode_http_request_events_t* ev,
                      lode_http_request_t** out) {
  return lode__http_request_tls(loop, opts, NULL, ev, out);
}

int lode__http_request_tls(uv_loop_t* loop,
                           const lode_http_request_opts_t* opts,
                           const lode_tls_opts_t* tls,
                           const lode_http_request_events_t* ev,
                           lode_http_request_t** out) {
  static const lode_http_request_opts_t none;
  const lode_http_request_opts_t* o = opts ? opts : &none;
  if (loop == NULL || out == NULL)
    return UV_EINVAL;
  if (o->max_header_size > LODE_HTTP_LIMIT_MAX)
    return LODE_ERR_OUT_OF_RANGE; /* the parser could not take it */
  lode_http_url_t u = { 0 };
  u.port_num = -1;
  if (o->url != NULL) {
    int rc = lode_http_url_parse(o->url, NULL, &u);
    if (rc != 0)
      return rc;
  }
  lode__client_req_t* r = NULL;
  int rc = build(loop, o, tls, &u, &r);
  if (o->url != NULL)
    lode_http_url_free(&u);
  if (rc != 0)
    return rc;
  r->ev = ev;
  *out = &r->out;
  if (o->signal != NULL && lode_abort_signal_aborted(o->signal)) {
    lode__agent_add_request(r->agent, r);
    on_abort_signal(&r->abort_l, o->signal);
    return 0;
  }
  if (o->signal != NULL) {
    r->signal = o->signal;
    r->abort_l.fn = on_abort_signal;
    lode_abort_signal_add(o->signal, &r->abort_l);
  }
  lode__agent_add_request(r->agent, r);
  return 0;
}

int lode_http_get(uv_loop_t* loop, const lode_http_request_opts_t* opts,
                  const lode_http_request_events_t* ev,
                  lode_http_request_t** out) {
  lode_http_request_opts_t o = { 0 };
  if (opts != NULL)
    o = *opts;
  o.method = "GET";
  int rc = lode_http_request(loop, &o, ev, out);
  if (rc == 0)
    lode_http_outgoing_end(*out, (lode_slice_t){ NULL, 0 }, NULL, NULL);
  return rc;
}
