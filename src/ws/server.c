/* The server side: checks an upgrade request as the npm ws server does,
 * answers 101 (or the error it would answer), and turns the stream into a
 * WebSocket that sends unmasked frames and requires masked ones. */
#include "ws/internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lode/net.h"

typedef struct answer_s {
  int status; /* 0 when the request is good */
  const char* message;
  const char* extra; /* one more header line, or NULL */
} answer_t;

static const char* status_line(int status) {
  switch (status) {
    case 400:
      return "400 Bad Request";
    case 405:
      return "405 Method Not Allowed";
    case 426:
      return "426 Upgrade Required";
    default:
      return "500 Internal Server Error";
  }
}

/* Writes the refusal (nothing when memory runs out); the caller ends the
 * stream. */
static void refuse(lode_stream_t* s, const answer_t* a) {
  static const lode_slice_t none = { "", 0 };
  char len[24];
  snprintf(len, sizeof(len), "%zu", strlen(a->message)); /* any size_t */
  lode__buf_t b = { 0 };
  int rc = lode__ws_head_line(&b, "HTTP/1.1 ",
                              lode_slice_str(status_line(a->status)));
  if (rc == 0)
    rc = lode__ws_head_line(&b,
                            "Connection: close\r\nContent-Type: "
                            "text/html",
                            none);
  if (rc == 0)
    rc = lode__ws_head_line(&b, "Content-Length: ", lode_slice_str(len));
  if (rc == 0 && a->extra != NULL)
    rc = lode__ws_head_line(&b, a->extra, none);
  if (rc == 0)
    rc = lode__ws_head_line(&b, "", none);
  if (rc == 0)
    rc = lode__buf_append_str(&b, a->message);
  if (rc == 0)
    lode_stream_write(s, (lode_slice_t){ b.base, b.len }, NULL, NULL);
  lode__buf_free(&b);
}

static int slice_cmp(const void* a, const void* b) {
  const lode_slice_t* x = a;
  const lode_slice_t* y = b;
  if (x->len != y->len)
    return x->len < y->len ? -1 : 1;
  return memcmp(x->base, y->base, x->len);
}

/* The offer as ws parses it: tokens, each named once (case matters).
 * 0, -1 when it is bad, or UV_ENOMEM. Duplicates are found by sorting, so
 * a head full of names costs n log n, not n squared. */
static int check_offer(lode_slice_t offered) {
  size_t pos = 0, n = 0;
  lode_slice_t t;
  while (lode__ws_list_next(offered, &pos, &t)) {
    if (!lode__ws_is_token(t))
      return -1;
    n++;
  }
  if (n < 2)
    return 0;
  lode_slice_t* v = malloc(n * sizeof(*v));
  if (v == NULL)
    return UV_ENOMEM;
  for (pos = 0, n = 0; lode__ws_list_next(offered, &pos, &t);)
    v[n++] = t;
  qsort(v, n, sizeof(*v), slice_cmp);
  int rc = 0;
  for (size_t i = 1; i < n && rc == 0; i++)
    if (slice_cmp(&v[i - 1], &v[i]) == 0)
      rc = -1;
  free(v);
  return rc;
}

/* The first offered protocol the server speaks (or the first offered). */
static int pick_protocol(lode_slice_t offered, const lode_websocket_opts_t* o,
                         lode_slice_t* chosen) {
  chosen->base = NULL;
  chosen->len = 0;
  size_t pos = 0;
  lode_slice_t t;
  if (offered.base == NULL)
    return 0;
  int rc = check_offer(offered);
  if (rc != 0)
    return rc;
  while (lode__ws_list_next(offered, &pos, &t)) {
    int ok = o->nprotocols == 0;
    for (size_t i = 0; i < o->nprotocols && !ok; i++)
      ok = strlen(o->protocols[i]) == t.len &&
           memcmp(o->protocols[i], t.base, t.len) == 0;
    if (ok && chosen->base == NULL)
      *chosen = t;
  }
  return 0;
}

/* The checks of ws's handleUpgrade, in its order. */
static void check(const lode_websocket_request_t* r, answer_t* a) {
  const lode_slice_t* raw = r->raw_headers;
  size_t n = r->nraw_headers;
  lode_slice_t key = lode__ws_header(raw, n, "sec-websocket-key");
  lode_slice_t ver = lode__ws_header(raw, n, "sec-websocket-version");
  a->status = 0;
  a->extra = NULL;
  if (!lode__ws_slice_ieq(r->method, "GET")) {
    a->status = 405;
    a->message = "Invalid HTTP method";
  } else if (!lode__ws_slice_ieq(lode__ws_header(raw, n, "upgrade"),
                                 "websocket")) {
    a->status = 400;
    a->message = "Invalid Upgrade header";
  } else if (key.base == NULL || !lode__ws_key_valid(key.base, key.len)) {
    a->status = 400;
    a->message = "Missing or invalid Sec-WebSocket-Key header";
  } else if (!lode__ws_slice_ieq(ver, "13") && !lode__ws_slice_ieq(ver, "8")) {
    a->status = 400;
    a->message = "Missing or invalid Sec-WebSocket-Version header";
    a->extra = "Sec-WebSocket-Version: 13, 8";
  }
}

/* Writes the 101 with every header whole, whatever their lengths. */
static int write_101(lode_websocket_t* ws, lode_slice_t key, lode_slice_t proto,
                     lode_slice_t ext) {
  char accept[29];
  lode__ws_accept_key(key.base, key.len, accept);
  lode__buf_t head = { 0 };
  int rc = lode__ws_head_line(&head,
                              "HTTP/1.1 101 Switching Protocols\r\n"
                              "Upgrade: websocket\r\nConnection: Upgrade"
                              "\r\nSec-WebSocket-Accept: ",
                              lode_slice_str(accept));
  if (rc == 0 && proto.base != NULL)
    rc = lode__ws_head_line(&head, "Sec-WebSocket-Protocol: ", proto);
  if (rc == 0 && ext.len > 0)
    rc = lode__ws_head_line(&head, "Sec-WebSocket-Extensions: ", ext);
  if (rc == 0)
    rc = lode__ws_head_line(&head, "", (lode_slice_t){ "", 0 });
  if (rc == 0)
    rc = lode__ws_write_raw(ws, head.base, head.len);
  lode__buf_free(&head);
  return rc;
}

/* Keeps what the 101 says: url, protocol, extensions, and deflate. */
static int keep_attributes(lode_websocket_t* ws, lode_slice_t url,
                           lode_slice_t proto, lode_slice_t ext,
                           const lode__pmd_params_t* agreed) {
  ws->url = strndup(url.base ? url.base : "", url.len);
  ws->protocol = strndup(proto.base ? proto.base : "", proto.len);
  ws->extensions = strndup(ext.base ? ext.base : "", ext.len);
  if (ws->url == NULL || ws->protocol == NULL || ws->extensions == NULL)
    return UV_ENOMEM;
  if (ext.len > 0) {
    if ((ws->pmd = lode__pmd_new(1, agreed)) == NULL)
      return UV_ENOMEM;
    ws->dec.allow_rsv1 = 1;
  }
  return 0;
}

/* Negotiates, keeps the attributes and answers 101. */
static int upgrade(lode_websocket_t* ws, const lode_websocket_request_t* r,
                   const lode_websocket_opts_t* opts, answer_t* a) {
  const lode_slice_t* raw = r->raw_headers;
  size_t n = r->nraw_headers;
  lode_slice_t proto, offers;
  int rc = pick_protocol(lode__ws_header(raw, n, "sec-websocket-protocol"),
                         opts, &proto);
  if (rc == UV_ENOMEM)
    return rc;
  if (rc != 0) {
    a->status = 400;
    a->message = "Invalid Sec-WebSocket-Protocol header";
    return LODE_ERR_WS_PROTOCOL;
  }
  lode__pmd_params_t agreed = { 0 };
  lode__buf_t ext = { 0 };
  offers = lode__ws_header(raw, n, "sec-websocket-extensions");
  if (opts->per_message_deflate > 0 && offers.base != NULL) {
    rc = lode__pmd_server_negotiate(offers.base, offers.len, opts, &agreed);
    if (rc < 0) {
      a->status = 400;
      a->message = "Invalid or unacceptable Sec-WebSocket-Extensions header";
      return LODE_ERR_WS_PROTOCOL;
    }
    rc = rc == 1 ? lode__pmd_format(&agreed, &ext) : 0;
  }
  lode_slice_t e = { ext.base, ext.len };
  if (rc == 0)
    rc = keep_attributes(ws, r->url, proto, e, &agreed);
  if (rc == 0) {
    lode_socket_t* sock = lode_socket_from_stream(ws->stream);
    if (sock != NULL)
      lode_socket_set_no_delay(sock, 1);
    rc = write_101(ws, lode__ws_header(raw, n, "sec-websocket-key"), proto, e);
  }
  lode__buf_free(&ext);
  return rc;
}

/* OPEN and on_open, then the frames that came before it. When close()
 * came first (state CLOSING), no on_open: the frames are read for the
 * peer's close, and the close timeout starts. */
static void open_now(lode_websocket_t* ws) {
  if (ws->flags & (LODE__WS_F_FAILED | LODE__WS_F_CLOSE_EMITTED))
    return;
  ws->flags &= ~LODE__WS_F_ACCEPTING;
  int closed_first = ws->state == LODE_WEBSOCKET_CLOSING;
  if (!closed_first)
    ws->state = LODE_WEBSOCKET_OPEN;
  lode__ws_hold(ws);
  if (!closed_first)
    lode__ws_join(ws);
  if (!closed_first && ws->ev != NULL && ws->ev->on_open != NULL)
    ws->ev->on_open(ws);
  if (!(ws->flags & LODE__WS_F_STOP_READ) && ws->in.len > 0)
    lode__ws_feed(ws, (const uint8_t*) ws->in.base, ws->in.len);
  lode__buf_free(&ws->in);
  if (closed_first && !(ws->flags & LODE__WS_F_ENDED))
    lode__ws_arm_close_timeout(ws);
  lode__ws_release(ws);
}

static void on_open_timer(uv_timer_t* t) {
  open_now(t->data);
}

/* accept() returns first: on_open waits for the loop. */
static void start_open(lode_websocket_t* ws) {
  ws->flags |= LODE__WS_F_ACCEPTING;
  uv_timer_start(&ws->timer, on_open_timer, 0, 0);
}

/* 1 if opts' protocol list has a hole a caller made by mistake. */
static int protocols_bad(const lode_websocket_opts_t* o) {
  for (size_t i = 0; o != NULL && i < o->nprotocols; i++)
    if (o->protocols == NULL || o->protocols[i] == NULL)
      return 1;
  return 0;
}

static void destroy_on_finish(lode_stream_t* s, int status, void* arg) {
  lode_stream_destroy(s, NULL);
}

int lode_websocket_accept(lode_stream_t* stream,
                          const lode_websocket_request_t* req,
                          lode_slice_t head, const lode_websocket_opts_t* opts,
                          const lode_websocket_events_t* events,
                          lode_websocket_t** out) {
  static const lode_websocket_opts_t none = { 0 };
  if (stream == NULL || req == NULL || out == NULL ||
      (req->raw_headers == NULL && req->nraw_headers > 0) ||
      protocols_bad(opts))
    return UV_EINVAL;
  if (opts == NULL)
    opts = &none;
  answer_t a;
  check(req, &a);
  if (a.status != 0) {
    refuse(stream, &a);
    lode_stream_end(stream, destroy_on_finish, NULL);
    return LODE_ERR_WS_PROTOCOL;
  }
  lode_websocket_t* ws = lode__ws_new(stream->loop, 1, opts, events);
  if (ws == NULL)
    return UV_ENOMEM;
  ws->stream = stream;
  int rc = upgrade(ws, req, opts, &a);
  if (rc == 0)
    rc = lode__buf_append(&ws->in, head.base, head.len);
  if (rc != 0) {
    if (a.status != 0) {
      refuse(stream, &a);
      lode_stream_end(stream, destroy_on_finish, NULL);
    }
    lode__ws_discard(ws);
    return rc;
  }
  lode__ws_attach(ws, stream);
  start_open(ws);
  *out = ws;
  return 0;
}

/* A serve()d stream: the request head arrives in pieces. */
void lode__ws_server_data(lode_websocket_t* ws, const uint8_t* p, size_t n) {
  lode__ws_head_t h;
  long len = lode__ws_head_feed(ws, p, n, 1, &h);
  if (len == 0 || len == -2)
    return;
  answer_t a = { 400, "Bad Request", NULL };
  lode_websocket_request_t r = { h.method,     h.url, h.http_major,
                                 h.http_minor, h.raw, h.nraw };
  if (len > 0 && !lode__ws_list_has(
                     lode__ws_header(h.raw, h.nraw, "connection"), "upgrade")) {
    /* Not an upgrade: what the npm ws server's own HTTP server says. */
    a.status = 426;
    a.message = "Upgrade Required";
  } else if (len > 0) {
    check(&r, &a);
  }
  ws->flags &= ~LODE__WS_F_SERVING;
  uv_timer_stop(&ws->timer);
  int rc = a.status == 0 ? upgrade(ws, &r, &ws->opts, &a) : -1;
  lode__ws_head_free(&h);
  if (rc == 0) {
    memmove(ws->in.base, ws->in.base + len, ws->in.len - (size_t) len);
    ws->in.len -= (size_t) len;
    open_now(ws);
    return;
  }
  refuse(ws->stream, &a);
  ws->flags |= LODE__WS_F_REFUSED;
  lode__ws_fail(ws, LODE_ERR_WS_PROTOCOL, 0, a.message);
}

/* A client that never finishes its request head (slowloris) goes. */
static void on_head_timeout(uv_timer_t* t) {
  lode__ws_fail(t->data, UV_ETIMEDOUT, 0, "Opening handshake has timed out");
}

int lode_websocket_serve(lode_stream_t* stream,
                         const lode_websocket_opts_t* opts,
                         const lode_websocket_events_t* events,
                         lode_websocket_t** out) {
  if (stream == NULL || out == NULL || protocols_bad(opts))
    return UV_EINVAL;
  lode_websocket_t* ws = lode__ws_new(stream->loop, 1, opts, events);
  if (ws == NULL)
    return UV_ENOMEM;
  ws->flags |= LODE__WS_F_SERVING;
  if (opts != NULL && opts->nprotocols > 0 &&
      lode__ws_keep_protocols(ws, opts->protocols, opts->nprotocols) != 0) {
    lode__ws_discard(ws);
    return UV_ENOMEM;
  }
  lode__ws_attach(ws, stream);
  if (ws->opts.handshake_timeout > 0)
    uv_timer_start(&ws->timer, on_head_timeout, ws->opts.handshake_timeout, 0);
  *out = ws;
  return 0;
}
