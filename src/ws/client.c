/* The client: new WebSocket(url, protocols). The URL and protocol checks
 * of the WHATWG constructor, the connection through the net layer, the
 * opening request (the bytes Node sends) and every check of the answer. */
#include "ws/internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lode/net.h"
#include "lode/tls.h"

struct lode__ws_client_s {
  char accept[29]; /* the Sec-WebSocket-Accept we expect */
  int offered_deflate;
};

/* The parts of the URL, of any length (as Node's URL parser takes). */
typedef struct url_s {
  char scheme[4];  /* "ws" or "wss" */
  char* host;      /* for connecting: no brackets; malloc'd */
  char* authority; /* Host header: host[:port], brackets kept */
  int port;
  char* path; /* path and query, malloc'd */
} url_t;

static void url_free(url_t* u) {
  free(u->host);
  free(u->authority);
  free(u->path);
}

void lode__ws_client_free(lode__ws_client_t* c) {
  free(c);
}

static int lower(int c) {
  return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

static int parse_scheme(const char** pp, url_t* u) {
  const char* p = *pp;
  char s[8];
  size_t n = 0;
  while (p[n] != ':' && p[n] != '\0' && n < sizeof(s) - 1) {
    s[n] = (char) lower((unsigned char) p[n]);
    n++;
  }
  s[n] = '\0';
  if (p[n] != ':')
    return LODE_ERR_WS_SYNTAX;
  if (strcmp(s, "http") == 0 || strcmp(s, "ws") == 0)
    strcpy(u->scheme, "ws");
  else if (strcmp(s, "https") == 0 || strcmp(s, "wss") == 0)
    strcpy(u->scheme, "wss");
  else
    return LODE_ERR_WS_SYNTAX;
  p += n + 1;
  if ((p[0] != '/' && p[0] != '\\') || (p[1] != '/' && p[1] != '\\'))
    return LODE_ERR_WS_SYNTAX;
  *pp = p + 2;
  return 0;
}

static int parse_port(const char* p, size_t n, int* port) {
  if (n == 0)
    return 0; /* "host:" keeps the default */
  long v = 0;
  for (size_t i = 0; i < n; i++) {
    if (p[i] < '0' || p[i] > '9')
      return LODE_ERR_WS_SYNTAX;
    v = v * 10 + (p[i] - '0');
    if (v > 65535)
      return LODE_ERR_WS_SYNTAX;
  }
  *port = (int) v;
  return 0;
}

/* host[:port] or [v6][:port], after any userinfo. */
static int parse_authority(const char* a, size_t n, url_t* u) {
  const char* at = NULL;
  for (size_t i = 0; i < n; i++)
    if (a[i] == '@')
      at = a + i;
  if (at != NULL) {
    n -= (size_t) (at + 1 - a);
    a = at + 1;
  }
  const char* host = a;
  size_t hlen;
  const char* rest;
  if (n > 0 && a[0] == '[') {
    const char* close = memchr(a, ']', n);
    if (close == NULL)
      return LODE_ERR_WS_SYNTAX;
    host = a + 1;
    hlen = (size_t) (close - host);
    rest = close + 1;
  } else {
    const char* colon = memchr(a, ':', n);
    hlen = colon ? (size_t) (colon - a) : n;
    rest = a + hlen;
  }
  size_t rlen = n - (size_t) (rest - a);
  if (hlen == 0 || (rlen > 0 && rest[0] != ':'))
    return LODE_ERR_WS_SYNTAX;
  /* Brackets, a colon, five digits and the NUL. */
  size_t acap = hlen + 9;
  if ((u->host = malloc(hlen + 1)) == NULL ||
      (u->authority = malloc(acap)) == NULL)
    return UV_ENOMEM;
  for (size_t i = 0; i < hlen; i++) {
    unsigned char c = (unsigned char) host[i];
    if (c <= ' ' || strchr("#%/<>?@\\^|", c) != NULL || c >= 0x7f)
      return LODE_ERR_WS_SYNTAX;
    u->host[i] = (char) lower(c);
  }
  u->host[hlen] = '\0';
  int dflt = strcmp(u->scheme, "wss") == 0 ? 443 : 80;
  u->port = dflt;
  if (rlen > 0 && parse_port(rest + 1, rlen - 1, &u->port) != 0)
    return LODE_ERR_WS_SYNTAX;
  const char* fmt = host != a ? "[%s]" : "%s";
  int len = snprintf(u->authority, acap, fmt, u->host);
  if (u->port != dflt)
    snprintf(u->authority + len, acap - (size_t) len, ":%d", u->port);
  return 0;
}

/* The path and query, percent-encoding what the URL parser would. */
static int copy_path(const char* p, url_t* u) {
  size_t n = strlen(p);
  u->path = malloc(3 * n + 2);
  if (u->path == NULL)
    return UV_ENOMEM;
  size_t o = 0;
  if (n == 0 || p[0] == '?')
    u->path[o++] = '/';
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char) p[i];
    if (c <= ' ' || c >= 0x7f || c == '"' || c == '<' || c == '>' || c == '`') {
      o += (size_t) sprintf(u->path + o, "%%%02X", c);
    } else {
      u->path[o++] = (char) (c == '\\' ? '/' : c);
    }
  }
  u->path[o] = '\0';
  return 0;
}

static int parse_url(const char* s, url_t* u) {
  memset(u, 0, sizeof(*u));
  if (s == NULL)
    return LODE_ERR_WS_SYNTAX;
  while (*s == ' ' || (*s > 0 && *s < ' '))
    s++;
  int rc = parse_scheme(&s, u);
  if (rc != 0)
    return rc;
  size_t len = strlen(s);
  while (len > 0 && (unsigned char) s[len - 1] <= ' ')
    len--;
  if (memchr(s, '#', len) != NULL)
    return LODE_ERR_WS_SYNTAX;
  size_t alen = strcspn(s, "/?\\");
  if (alen > len)
    alen = len;
  rc = parse_authority(s, alen, u);
  if (rc != 0)
    return rc;
  char* path = strndup(s + alen, len - alen);
  if (path == NULL)
    return UV_ENOMEM;
  rc = copy_path(path, u);
  free(path);
  return rc;
}

static int check_protocols(const char* const* p, size_t n) {
  for (size_t i = 0; i < n; i++) {
    if (p[i] == NULL || !lode__ws_is_token(lode_slice_str(p[i])))
      return LODE_ERR_WS_SYNTAX;
    for (size_t j = 0; j < i; j++)
      if (strcasecmp(p[i], p[j]) == 0)
        return LODE_ERR_WS_SYNTAX;
  }
  return 0;
}

/* One header line, unless an earlier one ran out of memory. */
static void put(lode__buf_t* b, int* rc, const char* name, lode_slice_t v) {
  if (*rc == 0)
    *rc = lode__ws_head_line(b, name, v);
}

/* "a, b, c": the protocols as Node joins them. */
static int join_protocols(const lode_websocket_t* ws, lode__buf_t* out) {
  for (size_t i = 0; i < ws->nprotos; i++)
    if ((i > 0 && lode__buf_append(out, ", ", 2) != 0) ||
        lode__buf_append_str(out, ws->protos[i]) != 0)
      return UV_ENOMEM;
  return 0;
}

/* The opening request, header for header what Node's WebSocket sends,
 * built whole whatever the lengths of the path, host and protocols. */
static int send_request(lode_websocket_t* ws, const url_t* u, const char* key) {
  static const char* const tail[] = {
    "accept: */*",
    "accept-language: *",
    "sec-fetch-mode: websocket",
    "user-agent: node",
    "pragma: no-cache",
    "cache-control: no-cache",
    "accept-encoding: gzip, deflate",
    "",
  };
  static const lode_slice_t none = { "", 0 };
  lode__buf_t req = { 0 }, v = { 0 };
  int rc = lode__buf_append_str(&req, "GET ");
  put(&req, &rc, u->path, lode_slice_str(" HTTP/1.1"));
  put(&req, &rc, "host: ", lode_slice_str(u->authority));
  put(&req, &rc, "connection: upgrade", none);
  put(&req, &rc, "upgrade: websocket", none);
  put(&req, &rc, "sec-websocket-key: ", lode_slice_str(key));
  put(&req, &rc, "sec-websocket-version: 13", none);
  if (rc == 0 && ws->nprotos > 0 && (rc = join_protocols(ws, &v)) == 0)
    put(&req, &rc, "sec-websocket-protocol: ", (lode_slice_t){ v.base, v.len });
  if (rc == 0 && ws->client->offered_deflate) {
    lode__pmd_params_t p = {
      ws->opts.server_no_context_takeover, ws->opts.client_no_context_takeover,
      ws->opts.server_max_window_bits,
      ws->opts.client_max_window_bits > 0 ? ws->opts.client_max_window_bits : -1
    };
    v.len = 0;
    if ((rc = lode__pmd_format(&p, &v)) == 0)
      put(&req, &rc,
          "sec-websocket-extensions: ", (lode_slice_t){ v.base, v.len });
  }
  for (size_t i = 0; i < sizeof(tail) / sizeof(tail[0]); i++)
    put(&req, &rc, tail[i], none);
  if (rc == 0)
    rc = lode__ws_write_raw(ws, req.base, req.len);
  lode__buf_free(&req);
  lode__buf_free(&v);
  return rc;
}

/* The answer's extensions: only permessage-deflate, once, if offered. */
static const char* check_extensions(lode_websocket_t* ws, lode_slice_t v,
                                    lode__pmd_params_t* agreed, int* on) {
  size_t pos = 0;
  lode_slice_t name, params;
  int rc;
  *on = 0;
  while ((rc = lode__ws_ext_next(v.base, v.len, &pos, &name, &params)) == 1) {
    if (!ws->client->offered_deflate || *on ||
        !lode__ws_slice_ieq(name, "permessage-deflate") ||
        lode__pmd_client_accept(params, &ws->opts, agreed) != 0)
      return "Sec-WebSocket-Extensions header does not match.";
    *on = 1;
  }
  return rc < 0 ? "Sec-WebSocket-Extensions header does not match." : NULL;
}

static const char* check_protocol(lode_websocket_t* ws, lode_slice_t v) {
  if (ws->nprotos > 0 && v.base == NULL)
    return "Server did not respond with sent protocols.";
  if (v.base == NULL)
    return NULL;
  for (size_t i = 0; i < ws->nprotos; i++)
    if (strlen(ws->protos[i]) == v.len &&
        memcmp(ws->protos[i], v.base, v.len) == 0)
      return NULL;
  return "Protocol was not set in the opening handshake.";
}

/* Every check of RFC 6455 4.1, in the order Node makes them. */
static const char* check_response(lode_websocket_t* ws,
                                  const lode__ws_head_t* h,
                                  lode__pmd_params_t* agreed, int* deflate) {
  const lode_slice_t* raw = h->raw;
  size_t n = h->nraw;
  if (h->status != 101)
    return "Received network error or non-101 status code.";
  lode_slice_t proto = lode__ws_header(raw, n, "sec-websocket-protocol");
  if (ws->nprotos > 0 && proto.base == NULL)
    return "Server did not respond with sent protocols.";
  if (!lode__ws_slice_ieq(lode__ws_header(raw, n, "upgrade"), "websocket"))
    return "Server did not set Upgrade header to \"websocket\".";
  if (!lode__ws_slice_ieq(lode__ws_header(raw, n, "connection"), "upgrade"))
    return "Server did not set Connection header to \"upgrade\".";
  lode_slice_t acc = lode__ws_header(raw, n, "sec-websocket-accept");
  if (acc.len != 28 || memcmp(acc.base, ws->client->accept, 28) != 0)
    return "Incorrect hash received in Sec-WebSocket-Accept header.";
  lode_slice_t ext = lode__ws_header(raw, n, "sec-websocket-extensions");
  const char* why = check_extensions(ws, ext, agreed, deflate);
  return why != NULL ? why : check_protocol(ws, proto);
}

static int keep_attributes(lode_websocket_t* ws, const lode__ws_head_t* h) {
  lode_slice_t proto = lode__ws_header(h->raw, h->nraw,
                                       "sec-websocket-protocol");
  lode_slice_t ext = lode__ws_header(h->raw, h->nraw,
                                     "sec-websocket-extensions");
  ws->protocol = strndup(proto.base ? proto.base : "", proto.len);
  ws->extensions = strndup(ext.base ? ext.base : "", ext.len);
  return ws->protocol && ws->extensions ? 0 : UV_ENOMEM;
}

void lode__ws_client_data(lode_websocket_t* ws, const uint8_t* p, size_t n) {
  lode__ws_head_t h;
  long len = lode__ws_head_feed(ws, p, n, 0, &h);
  if (len == 0 || len == -2)
    return;
  lode__pmd_params_t agreed;
  int deflate = 0;
  const char* why = len < 0 ? "Received network error or non-101 status code."
                            : check_response(ws, &h, &agreed, &deflate);
  int kept = why == NULL ? keep_attributes(ws, &h) : 0;
  lode__ws_head_free(&h);
  if (why != NULL) {
    lode__ws_fail(ws, LODE_ERR_WS_PROTOCOL, 0, why);
    return;
  }
  if (kept != 0 || lode__ws_open(ws, deflate ? &agreed : NULL) != 0) {
    lode__ws_fail(ws, UV_ENOMEM, 0, NULL);
    return;
  }
  uv_timer_stop(&ws->timer);
  lode__ws_hold(ws);
  lode__ws_join(ws);
  if (ws->ev != NULL && ws->ev->on_open != NULL)
    ws->ev->on_open(ws);
  /* Frames that came with the answer. */
  if (!(ws->flags & LODE__WS_F_STOP_READ) && ws->in.len > (size_t) len)
    lode__ws_feed(ws, (const uint8_t*) ws->in.base + len,
                  ws->in.len - (size_t) len);
  lode__buf_free(&ws->in);
  lode__ws_release(ws);
}

static void on_handshake_timeout(uv_timer_t* t) {
  lode__ws_fail(t->data, UV_ETIMEDOUT, 0, "Opening handshake has timed out");
}

static int make_client(lode_websocket_t* ws, const url_t* u,
                       const char* const* protocols, size_t n) {
  lode__ws_client_t* c = calloc(1, sizeof(*c));
  if (c == NULL)
    return UV_ENOMEM;
  ws->client = c;
  c->offered_deflate = ws->opts.per_message_deflate >= 0;
  if (n > 0 && lode__ws_keep_protocols(ws, protocols, n) != 0)
    return UV_ENOMEM;
  size_t len = strlen(u->authority) + strlen(u->path) + 8;
  ws->url = malloc(len);
  if (ws->url == NULL)
    return UV_ENOMEM;
  snprintf(ws->url, len, "%s://%s%s", u->scheme, u->authority, u->path);
  return 0;
}

/* ws: a TCP connection; wss: a TLS one over it, verified as Node's
 * WebSocket does (opts->tls, or the system store and the host name). */
static int connect_stream(lode_websocket_t* ws, const url_t* u,
                          const lode_websocket_opts_t* opts,
                          lode_stream_t** out) {
  lode_socket_opts_t so = { 0 };
  so.port = u->port;
  so.host = u->host;
  so.no_delay = 1;
  if (strcmp(u->scheme, "wss") == 0) {
    static const lode_tls_opts_t none;
    lode_tls_socket_t* t;
    int rc = lode_tls_connect(
        ws->loop, &so, opts && opts->tls ? opts->tls : &none, NULL, &t, NULL);
    if (rc != 0)
      return rc;
    *out = lode_tls_socket_stream(t);
    return 0;
  }
  lode_socket_t* sock;
  int rc = lode_net_connect(ws->loop, &so, NULL, &sock);
  if (rc != 0)
    return rc;
  *out = lode_socket_stream(sock);
  return 0;
}

int lode_websocket_create(uv_loop_t* loop, const char* url,
                          const char* const* protocols, size_t nprotocols,
                          const lode_websocket_opts_t* opts,
                          const lode_websocket_events_t* events,
                          lode_websocket_t** out) {
  if (loop == NULL || out == NULL || (protocols == NULL && nprotocols > 0))
    return UV_EINVAL;
  url_t u;
  int rc = parse_url(url, &u);
  if (rc == 0)
    rc = check_protocols(protocols, nprotocols);
  lode_websocket_t* ws = NULL;
  if (rc == 0 && (ws = lode__ws_new(loop, 0, opts, events)) == NULL)
    rc = UV_ENOMEM;
  if (rc == 0)
    rc = make_client(ws, &u, protocols, nprotocols);
  char key[25];
  if (rc == 0)
    rc = lode__ws_new_key(key);
  lode_stream_t* stream = opts != NULL ? opts->stream : NULL;
  if (rc == 0 && stream == NULL)
    rc = connect_stream(ws, &u, opts, &stream);
  if (rc != 0) {
    url_free(&u);
    if (ws != NULL)
      lode__ws_discard(ws);
    return rc;
  }
  lode__ws_accept_key(key, 24, ws->client->accept);
  lode__ws_attach(ws, stream);
  rc = send_request(ws, &u, key);
  url_free(&u);
  if (ws->opts.handshake_timeout > 0)
    uv_timer_start(&ws->timer, on_handshake_timeout, ws->opts.handshake_timeout,
                   0);
  if (rc != 0) { /* the stream's error and close will follow */
    lode_error_t e;
    lode_error_init(&e, rc);
    lode_stream_destroy(stream, &e);
  }
  *out = ws;
  return 0;
}
