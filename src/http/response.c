/* ServerResponse: Node's lib/_http_server.js ServerResponse on top of the
 * shared OutgoingMessage, and what the connection does when one finishes
 * (resOnFinish). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/server.h"

#define RES(o) ((lode__response_t*) (o))

static int implicit_header(lode_http_outgoing_t* o) {
  lode__response_t* r = RES(o);
  /* The usual answer, 200 with its own reason and no header set: what
   * writeHead(200) would do, without its checks. */
  if (o->status_code == 200 && r->status_message == NULL && o->headers.n == 0) {
    static const char ok[] = "HTTP/1.1 200 OK\r\n";
    r->status_message = "OK"; /* lode_http_status_text(200) */
    if (r->expect_continue && !r->sent100)
      o->flags &= ~LODE__OUT_KEEP_ALIVE;
    return lode__outgoing_store_header(o, ok, sizeof(ok) - 1, NULL, 0);
  }
  return lode_http_response_write_head(o, o->status_code, NULL, NULL);
}

static void on_pending(lode_http_outgoing_t* o, long delta) {
  lode__conn_t* c = RES(o)->conn;
  c->held = (size_t) ((long) c->held + delta);
  if (delta < 0)
    lode__conn_resume_reading(c);
}

static void res_free(lode_http_outgoing_t* o) {
  lode__response_t* r = RES(o);
  lode__conn_t* c = r->conn;
  lode_http_server_t* srv = c->srv;
  /* The request may outlive its response (a body still arriving): it
   * must not see this object once it is recycled. */
  if (r->req->res == r)
    r->req->res = NULL;
  lode_http_incoming_release(r->req);
  if (srv->nfree_res >= LODE__FREE_MAX) {
    lode__outgoing_free(o);
    free(r);
    lode__conn_release(c);
    return;
  }
  lode__outgoing_reset(o);
  r->next_free = srv->free_res;
  srv->free_res = r;
  srv->nfree_res++;
  lode__poison_around(r, sizeof(*r), &r->next_free, sizeof(r->next_free));
  lode__conn_release(c);
}

/* Node's res.destroy() destroys the socket it is attached to; once
 * 'finish' has run (resOnFinish detached it, before the user's listeners)
 * it has none, and the connection goes on. */
static void res_destroy(lode_http_outgoing_t* o, const lode_error_t* err) {
  if (o->flags & LODE__OUT_WFINISHED)
    return;
  lode__conn_destroy(RES(o)->conn, err);
}

/* Node's resOnFinish: the next response in the pipeline gets the
 * connection, or the keep-alive timer starts, or the connection ends. */
static void on_finish(lode_http_outgoing_t* o) {
  lode__response_t* r = RES(o);
  lode__conn_t* c = r->conn;
  lode__conn_hold(c);
  if (c->res_head == r) {
    c->res_head = r->next;
    if (c->res_head == NULL)
      c->res_tail = NULL;
  }
  c->nres--;
  lode__incoming_dump(r->req);
  o->socket = NULL;
  if (c->flags & (LODE__CONN_DESTROYED | LODE__CONN_CLOSED)) {
    lode__conn_release(c);
    return;
  }
  if ((o->flags & LODE__OUT_LAST) || lode__conn_peer_ended(c)) {
    lode__conn_end(c);
  } else if (c->res_head == NULL) {
    if (c->srv->keep_alive_timeout) {
      lode__conn_set_timeout(c, c->srv->keep_alive_timeout + 1000);
      c->flags |= LODE__CONN_KA_TIMEOUT;
    }
    lode__conn_resume_reading(c);
  } else {
    lode__outgoing_attach(&c->res_head->out, c->stream);
    lode__conn_resume_reading(c);
  }
  lode__conn_release(c);
}

static void after_finish(lode_http_outgoing_t* o) {
  lode__outgoing_emit_close(o);
  lode__incoming_maybe_close(RES(o)->req);
  lode__outgoing_release(o);
}

static int res_batch(lode_http_outgoing_t* o, const lode_slice_t* bufs,
                     size_t n, lode_stream_cb cb, void* arg, int direct) {
  lode__conn_t* c = RES(o)->conn;
  if (direct) {
    lode__conn_flush(c);
    return LODE__NO_BATCH;
  }
  /* end() with nothing batched before it writes now, as Node's end()
   * uncorks the socket: the same single write, without a copy. */
  if ((o->flags & LODE__OUT_FINISHED) && c->srv->batch.len == 0 &&
      c->srv->nbatch_cbs == 0)
    return LODE__NO_BATCH;
  return lode__conn_batch(c, bufs, n, cb, arg);
}

static void res_set_timeout(lode_http_outgoing_t* o, uint64_t msecs) {
  lode__conn_set_timeout(RES(o)->conn, msecs);
}

static const lode__outgoing_ops_t response_ops = {
  .set_timeout = res_set_timeout,
  .implicit_header = implicit_header,
  .on_finish = on_finish,
  .after_finish = after_finish,
  .on_pending = on_pending,
  .free = res_free,
  .destroy = res_destroy,
};

lode__response_t* lode__response_new(lode__conn_t* c,
                                     lode_http_incoming_t* req) {
  lode_http_server_t* srv = c->srv;
  lode__response_t* r = srv->free_res;
  if (r != NULL) {
    srv->free_res = r->next_free;
    srv->nfree_res--;
    lode__unpoison(r, sizeof(*r));
  } else {
    if ((r = calloc(1, sizeof(*r))) == NULL)
      return NULL;
    lode__outgoing_init(&r->out, srv->loop, &response_ops);
  }
  lode_http_outgoing_t* o = &r->out;
  o->refs = 1;
  o->batch = res_batch;
  o->date = &srv->date;
  o->unique = srv->unique;
  o->status_code = 200;
  o->flags |= LODE__OUT_SEND_DATE;
  o->keep_alive_timeout = srv->keep_alive_timeout;
  o->hwm = srv->hwm;
  o->max_requests = srv->max_requests;
  if (srv->reject_body)
    o->flags |= LODE__OUT_REJECT_BODY;
  r->conn = c;
  r->req = req;
  r->next = NULL;
  r->status_message = NULL;
  r->expect_continue = r->sent100 = 0;
  lode_http_incoming_hold(req);
  lode__conn_hold(c);
  if (req->method[0] == 'H' && strcmp(req->method, "HEAD") == 0)
    o->flags &= ~LODE__OUT_HAS_BODY;
  if (req->major < 1 || req->minor < 1) {
    const char* te = lode_http_incoming_header(req, "te");
    if (te == NULL || !lode__http_has_word(te, strlen(te), "chunked"))
      o->flags &= ~LODE__OUT_CHUNKED_DEFAULT;
  }
  return r;
}

void lode__response_free_all(lode_http_server_t* srv) {
  while (srv->free_res != NULL) {
    lode__response_t* r = srv->free_res;
    srv->free_res = r->next_free;
    lode__unpoison(r, sizeof(*r));
    lode__outgoing_free(&r->out);
    free(r);
  }
}

int lode_http_response_status_code(const lode_http_response_t* res) {
  return res->status_code;
}

void lode_http_response_set_status_code(lode_http_response_t* res, int code) {
  res->status_code = code;
}

const char* lode_http_response_status_message(const lode_http_response_t* res) {
  return RES(res)->status_message;
}

int lode_http_response_set_status_message(lode_http_response_t* res,
                                          const char* msg) {
  if (msg == NULL) {
    RES(res)->status_message = NULL;
    return 0;
  }
  char* copy = lode__arena_strndup(&res->arena, msg, strlen(msg));
  if (copy == NULL)
    return UV_ENOMEM;
  RES(res)->status_message = copy;
  return 0;
}

static int apply_pairs(lode_http_response_t* res, const char* const* pairs,
                       size_t n) {
  for (size_t i = 0; i < n; i++) {
    if (pairs[2 * i] == NULL || pairs[2 * i][0] == '\0')
      continue;
    int r = lode_http_outgoing_set_header(res, pairs[2 * i], pairs[2 * i + 1]);
    if (r != 0)
      return r;
  }
  return 0;
}

int lode_http_response_write_head(lode_http_response_t* res, int status,
                                  const char* message,
                                  const char* const* pairs) {
  lode__response_t* r = RES(res);
  size_t n = 0;
  if (res->flags & LODE__OUT_HEADER_BUILT)
    return LODE_ERR_HTTP_HEADERS_SENT;
  int pr = pairs != NULL ? lode__http_pairs(pairs, &n) : 0;
  if (pr != 0)
    return pr;
  if (status < 100 || status > 999)
    return LODE_ERR_HTTP_INVALID_STATUS_CODE;
  if (message != NULL) {
    if (lode_http_response_set_status_message(res, message) != 0)
      return UV_ENOMEM;
  } else if (r->status_message == NULL) {
    const char* text = lode_http_status_text(status);
    r->status_message = text ? text : "unknown";
  }
  res->status_code = status;
  /* With headers already stored, writeHead's own merge into them (Node's
   * kOutHeaders path); otherwise they go out exactly as given. */
  int direct = res->headers.n == 0;
  int rc = direct ? 0 : apply_pairs(res, pairs, n);
  if (rc != 0)
    return rc;
  const char* msg = r->status_message;
  /* The usual status line needs no building or checking. */
  int ok200 = status == 200 && strcmp(msg, "OK") == 0;
  if (!ok200 && !lode__http_value_ok(msg, strlen(msg)))
    return LODE_ERR_INVALID_CHAR;
  if (status == 204 || status == 304 || (status >= 100 && status <= 199))
    res->flags &= ~LODE__OUT_HAS_BODY;
  if (r->expect_continue && !r->sent100)
    res->flags &= ~LODE__OUT_KEEP_ALIVE;
  const char* const* given = direct ? pairs : NULL;
  size_t ngiven = direct ? n : 0;
  if (ok200) {
    static const char ok[] = "HTTP/1.1 200 OK\r\n";
    return lode__outgoing_store_header(res, ok, sizeof(ok) - 1, given, ngiven);
  }
  /* "HTTP/1.1 " status " " message "\r\n", built without printf. */
  size_t ml = strlen(msg);
  char small[320];
  char* line = ml + 32 <= sizeof(small) ? small : malloc(ml + 32);
  if (line == NULL)
    return UV_ENOMEM;
  memcpy(line, "HTTP/1.1 ", 9);
  size_t len = 9 + lode__http_utoa(line + 9, (uint64_t) status);
  line[len++] = ' ';
  memcpy(line + len, msg, ml);
  len += ml;
  memcpy(line + len, "\r\n", 2);
  len += 2;
  rc = lode__outgoing_store_header(res, line, len, given, ngiven);
  if (line != small)
    free(line);
  return rc;
}

void lode_http_response_write_continue(lode_http_response_t* res) {
  lode__outgoing_write_raw(res, LODE_SLICE("HTTP/1.1 100 Continue\r\n\r\n"),
                           NULL, NULL);
  RES(res)->sent100 = 1;
}

void lode_http_response_write_processing(lode_http_response_t* res) {
  lode__outgoing_write_raw(res, LODE_SLICE("HTTP/1.1 102 Processing\r\n\r\n"),
                           NULL, NULL);
}

/* Node's validateLinkHeaderValue: each link must look like <...>; params. */
static int link_ok(const char* l) {
  size_t n = strlen(l);
  return n >= 2 && l[0] == '<' && strchr(l, '>') != NULL &&
         lode__http_value_ok(l, n);
}

int lode_http_response_write_early_hints(lode_http_response_t* res,
                                         const char* const* links,
                                         const char* const* pairs,
                                         lode_http_outgoing_cb cb, void* arg) {
  size_t nlinks = lode__http_strings(links), n;
  if (nlinks == 0)
    return 0;
  if (lode__http_pairs(pairs, &n) != 0)
    return LODE_ERR_INVALID_CHAR;
  for (size_t i = 0; i < 2 * n; i++)
    if (pairs[i] == NULL || !lode__http_value_ok(pairs[i], strlen(pairs[i])))
      return LODE_ERR_INVALID_CHAR;
  lode__buf_t b = { 0 };
  int rc = lode__buf_append_str(&b, "HTTP/1.1 103 Early Hints\r\nLink: ");
  for (size_t i = 0; i < nlinks && rc == 0; i++) {
    if (!link_ok(links[i])) {
      rc = LODE_ERR_INVALID_ARG_VALUE;
      break;
    }
    if (i > 0)
      rc = lode__buf_append(&b, ", ", 2);
    if (rc == 0)
      rc = lode__buf_append_str(&b, links[i]);
  }
  if (rc == 0)
    rc = lode__buf_append(&b, "\r\n", 2);
  for (size_t i = 0; i < n && rc == 0; i++) {
    rc = lode__buf_append_str(&b, pairs[2 * i]);
    if (rc == 0)
      rc = lode__buf_append(&b, ": ", 2);
    if (rc == 0)
      rc = lode__buf_append_str(&b, pairs[2 * i + 1]);
    if (rc == 0)
      rc = lode__buf_append(&b, "\r\n", 2);
  }
  if (rc == 0)
    rc = lode__buf_append(&b, "\r\n", 2);
  if (rc == 0)
    lode__outgoing_write_raw(res, (lode_slice_t){ b.base, b.len }, cb, arg);
  lode__buf_free(&b);
  return rc;
}

void lode_http_response_set_send_date(lode_http_response_t* res, int on) {
  if (on)
    res->flags |= LODE__OUT_SEND_DATE;
  else
    res->flags &= ~LODE__OUT_SEND_DATE;
}

int lode_http_response_send_date(const lode_http_response_t* res) {
  return (res->flags & LODE__OUT_SEND_DATE) != 0;
}

void lode_http_response_set_strict_content_length(lode_http_response_t* res,
                                                  int on) {
  if (on)
    res->flags |= LODE__OUT_STRICT_CL;
  else
    res->flags &= ~LODE__OUT_STRICT_CL;
}

lode_http_incoming_t* lode_http_response_req(const lode_http_response_t* res) {
  return RES(res)->req;
}
