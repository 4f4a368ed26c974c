/* ClientRequest: Node's lib/_http_client.js on a lode_stream_t. The
 * request is an OutgoingMessage (outgoing.c writes it); the response is
 * parsed here with the shared parser into an IncomingMessage. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "http/body_stream.h"
#include "http/client.h"
#include "http/https_agent.h"

static lode__client_req_t* cr(const lode_http_request_t* o) {
  return lode__container_of(o, lode__client_req_t, out);
}

static void req_hold(lode__client_req_t* r) {
  r->out.refs++;
}

/* Returns 1 when the request is gone. */
static int req_release(lode__client_req_t* r) {
  if (--r->out.refs > 0)
    return 0;
  r->out.ops->free(&r->out);
  return 1;
}

static lode_stream_t* req_stream(const lode__client_req_t* r) {
  return r->as ? r->as->stream : NULL;
}

/* ---- Events ---- */

/* 'abort' comes before whatever abort() causes (the specification's
 * orders), or on its own on the next turn. */
static void flush_abort(lode__client_req_t* r) {
  if (!(r->flags & LODE__CR_ABORT_PENDING))
    return;
  r->flags &= ~LODE__CR_ABORT_PENDING;
  if (r->ev != NULL && r->ev->on_abort != NULL)
    r->ev->on_abort(&r->out);
}

static void emit_error(lode__client_req_t* r, const lode_error_t* err) {
  flush_abort(r);
  if (r->ev != NULL && r->ev->on_error != NULL)
    r->ev->on_error(&r->out, err);
}

static void hang_up(lode_error_t* e) {
  lode_error_init(e, UV_ECONNRESET);
  lode_error_set_message(e, "socket hang up");
}

/* 'close': once, last. The request's own reference goes with it. */
static void emit_close(lode__client_req_t* r) {
  if (r->flags & LODE__CR_CLOSED)
    return;
  flush_abort(r);
  r->flags |= LODE__CR_CLOSED | LODE__CR_DESTROYED;
  if (r->signal != NULL) {
    lode_abort_signal_remove(r->signal, &r->abort_l);
    r->signal = NULL;
  }
  lode__outgoing_emit_close(&r->out);
  req_release(r);
}

static void fwd_drain(lode_http_outgoing_t* o) {
  lode__client_req_t* r = cr(o);
  if (r->ev != NULL && r->ev->on_drain != NULL)
    r->ev->on_drain(o);
}

static void fwd_finish(lode_http_outgoing_t* o) {
  lode__client_req_t* r = cr(o);
  if (r->ev != NULL && r->ev->on_finish != NULL)
    r->ev->on_finish(o);
}

static void fwd_error(lode_http_outgoing_t* o, const lode_error_t* err) {
  emit_error(cr(o), err);
}

static void fwd_close(lode_http_outgoing_t* o) {
  lode__client_req_t* r = cr(o);
  if (r->ev != NULL && r->ev->on_close != NULL)
    r->ev->on_close(o);
}

const lode_http_outgoing_events_t lode__client_fwd_events = {
  fwd_drain, NULL, fwd_finish, fwd_error, NULL, fwd_close
};

/* ---- The response message ---- */

static uv_loop_t* res_loop(const lode_http_incoming_t* m) {
  return ((lode__client_req_t*) m->owner_ctx)->out.loop;
}

static void res_resume(lode_http_incoming_t* m) {
  lode__client_req_t* r = m->owner_ctx;
  if (r->res == m && req_stream(r) != NULL)
    lode_stream_resume(req_stream(r));
}

/* Node's IncomingMessage._destroy before the end: 'aborted', and the
 * socket destroyed with the error (the request's 'error', then the
 * response's). */
static void res_destroy(lode_http_incoming_t* m, const lode_error_t* err) {
  lode__client_req_t* r = m->owner_ctx;
  if (r->res == m && !(m->flags & LODE__IN_COMPLETE) && req_stream(r) != NULL) {
    r->flags |= LODE__CR_RES_DESTROYED;
    if (err != NULL && r->err == NULL)
      r->err = lode_error_copy(err);
    lode_stream_destroy(req_stream(r), err);
    return;
  }
  m->flags |= LODE__IN_DESTROYED;
  if (err != NULL && m->ev != NULL && m->ev->on_error != NULL)
    m->ev->on_error(m, err);
  lode__incoming_maybe_close(m);
}

static void res_set_timeout(lode_http_incoming_t* m, uint64_t ms) {
  lode__client_req_t* r = m->owner_ctx;
  if (r->as != NULL)
    lode__agent_sock_set_timeout(r->as, ms);
}

/* Node's res.socket: none once the socket goes back to the agent. */
static lode_stream_t* res_socket(const lode_http_incoming_t* m) {
  lode__client_req_t* r = m->owner_ctx;
  return r->res == m ? req_stream(r) : NULL;
}

/* Responses are kept in the agent's pool as requests are (below); a
 * destroyed agent's pool keeps none (lode__client_req_pool_free). */
static void res_free(lode_http_incoming_t* m) {
  lode__client_req_t* r = m->owner_ctx;
  if (r->res == m)
    r->res = NULL;
  lode__incoming_pool_put(&r->agent->res_pool, m);
  req_release(r);
}

/* Node's emitFreeNT: the request's 'close', then the socket goes back to
 * the agent (to the first waiting request, or the free list). */
static void emit_free_nt(lode__tick_t* t) {
  lode__client_req_t* r = lode__container_of(t, lode__client_req_t, free_tick);
  lode__agent_sock_t* as = r->freeing;
  emit_close(r);
  r->freeing = NULL;
  lode__agent_free_socket(as, r);
  lode__agent_sock_release(as);
  req_release(r);
}

/* Node's responseKeepAlive: the request is destroyed and leaves the
 * socket at once (the response's socket is gone, the socket's events no
 * longer reach the request); 'close' and the socket's return come on the
 * next tick, after the user's 'end'. */
static void response_keep_alive(lode__client_req_t* r) {
  lode__agent_sock_t* as = r->as;
  if (as == NULL || (r->flags & LODE__CR_FREED))
    return;
  r->flags |= LODE__CR_FREED | LODE__CR_DESTROYED;
  r->as = NULL;
  r->out.socket = NULL;
  r->freeing = as;
  as->req = NULL;
  /* The response's backpressure may have paused the socket in the read
   * that completed it: nothing would resume it now that the response has
   * let go, and the next request on it would wait forever. */
  lode_stream_resume(as->stream);
  lode__agent_sock_hold(as);
  req_hold(r);
  lode__tick(r->lp, &r->free_tick, emit_free_nt);
}

/* Node's responseOnEnd, the response's first 'end' listener: before the
 * user's. */
static void res_on_end(lode_http_incoming_t* m) {
  lode__client_req_t* r = m->owner_ctx;
  if (r->res != m || (r->flags & LODE__CR_CLOSED))
    return;
  r->flags |= LODE__CR_ENDED;
  if (!(r->flags & LODE__CR_KEEP_ALIVE)) {
    /* Node's destroySoon. What the request writes after it is held, never
     * sent, as Node's _writeRaw does on a socket no longer writable. */
    if (req_stream(r) != NULL) {
      lode_stream_end(req_stream(r), NULL, NULL);
      r->out.socket = NULL;
    }
  } else if ((r->out.flags & LODE__OUT_WFINISHED) &&
             !(r->flags & LODE__CR_ABORTED)) {
    /* Only once the request's bytes are out: a socket with writes still
     * queued is not handed to the next request. */
    response_keep_alive(r);
  }
}

/* The response's close after its end on a kept connection comes as in
 * Node: its destroy is one tick after the end, its 'close' one more (so
 * after the request's 'close' and the freed socket's new request). */
static void res_close_nt(lode__tick_t* t) {
  lode__client_req_t* r = lode__container_of(t, lode__client_req_t,
                                             res_close_tick);
  lode_http_incoming_t* m = r->res;
  if (!(r->flags & LODE__CR_RES_CLOSE_OK)) {
    r->flags |= LODE__CR_RES_CLOSE_OK;
    lode__tick(r->lp, t, res_close_nt);
    return;
  }
  lode__incoming_maybe_close(m);
  lode_http_incoming_release(m);
}

static int res_may_close(lode_http_incoming_t* m) {
  lode__client_req_t* r = m->owner_ctx;
  if (r->res != m || !(m->flags & LODE__IN_END_EMITTED) ||
      (m->flags & (LODE__IN_ABORTED | LODE__IN_DESTROYED)))
    return 1;
  if (r->flags & LODE__CR_RES_CLOSE_WAIT)
    return (r->flags & LODE__CR_RES_CLOSE_OK) != 0;
  r->flags |= LODE__CR_RES_CLOSE_WAIT;
  lode_http_incoming_hold(m);
  lode__tick(r->lp, &r->res_close_tick, res_close_nt);
  return 0;
}

static const lode__incoming_owner_t res_owner = { res_loop,    res_resume,
                                                  res_destroy, res_set_timeout,
                                                  res_socket,  res_free,
                                                  res_on_end,  res_may_close };

/* ---- Closing paths ---- */

/* The response's error as its socket closes: "aborted", or what
 * res.destroy() was given (none for res.destroy()). */
static void res_error(lode__client_req_t* r, lode_http_incoming_t* m) {
  if ((m->flags & LODE__IN_CLOSED) || m->ev == NULL || m->ev->on_error == NULL)
    return;
  lode_error_t e;
  if (r->flags & LODE__CR_RES_DESTROYED) {
    if (r->err != NULL)
      m->ev->on_error(m, r->err);
    return;
  }
  lode_error_init(&e, UV_ECONNRESET);
  lode_error_set_message(&e, "aborted");
  m->ev->on_error(m, &e);
}

static void res_aborted(lode_http_incoming_t* m) {
  if (m->flags & (LODE__IN_ABORTED | LODE__IN_CLOSED))
    return;
  m->flags |= LODE__IN_ABORTED;
  m->flags &= ~LODE__IN_READING;
  if (m->ev != NULL && m->ev->on_aborted != NULL)
    m->ev->on_aborted(m);
}

/* The socket closed under a response that had not ended: 'aborted' on
 * the response, 'close' on the request, then the response's error and
 * close (Node's socketCloseListener). After abort() the response's error
 * comes before the request's close (the specification's order); after
 * res.destroy() the response closes first (Node's). */
static void res_abort(lode__client_req_t* r, lode_http_incoming_t* m) {
  lode_http_incoming_hold(m);
  flush_abort(r);
  res_aborted(m);
  if (r->flags & LODE__CR_RES_DESTROYED) {
    res_error(r, m);
    lode__incoming_maybe_close(m);
    emit_close(r);
  } else if (r->flags & LODE__CR_ABORTED) {
    res_error(r, m);
    emit_close(r);
  } else {
    emit_close(r);
    res_error(r, m);
  }
  lode__incoming_maybe_close(m);
  lode_http_incoming_release(m);
}

static int idempotent(const char* m) {
  return strcmp(m, "GET") == 0 || strcmp(m, "HEAD") == 0 ||
         strcmp(m, "OPTIONS") == 0 || strcmp(m, "TRACE") == 0 ||
         strcmp(m, "PUT") == 0 || strcmp(m, "DELETE") == 0;
}

static int has_body(const lode_http_outgoing_t* o) {
  return (o->flags & LODE__OUT_CHUNKED) ||
         ((o->flags & LODE__OUT_HAS_CL) && o->content_length > 0);
}

/* lode's retry: a reused connection died before any byte of the
 * response, for an idempotent request that is whole: without a body, or
 * with one that was complete before the socket came (kept in replay). */
static int can_retry(const lode__client_req_t* r) {
  const lode_http_outgoing_t* o = &r->out;
  return (r->flags & LODE__CR_REUSED) && r->res == NULL &&
         !(r->flags &
           (LODE__CR_GOT_BYTES | LODE__CR_RETRIED | LODE__CR_DESTROYED)) &&
         LODE_OPT_BOOL(r->agent->o.retry, 1) && !r->agent->destroyed &&
         idempotent(r->method) && (o->flags & LODE__OUT_FINISHED) &&
         (!has_body(o) || r->replay.len > 0);
}

/* On a reused socket, an idempotent request ended before the socket came
 * is all in the held output: a copy of it can be sent again. */
static void keep_for_retry(lode__client_req_t* r) {
  const lode_http_outgoing_t* o = &r->out;
  if (!(r->flags & LODE__CR_REUSED) || !LODE_OPT_BOOL(r->agent->o.retry, 1) ||
      !(o->flags & LODE__OUT_FINISHED) || !has_body(o) ||
      !idempotent(r->method) || o->held.len == 0)
    return;
  if (lode__buf_append(&r->replay, o->held.base, o->held.len) != 0)
    r->replay.len = 0; /* no memory: no retry */
}

void lode__client_close(lode__client_req_t* r) {
  if (r->flags & LODE__CR_CLOSED)
    return;
  req_hold(r);
  r->as = NULL;
  r->out.socket = NULL;
  if (r->flags & LODE__CR_RETRYING) {
    r->flags = (r->flags & ~(LODE__CR_RETRYING | LODE__CR_REUSED)) |
               LODE__CR_RETRIED;
    r->in.len = 0;
    lode__agent_new_socket(r->agent, r);
  } else if (r->flags & LODE__CR_GOT_RES) {
    r->flags |= LODE__CR_DESTROYED;
    if (r->res != NULL && (!(r->res->flags & LODE__IN_COMPLETE) ||
                           (r->flags & LODE__CR_RES_DESTROYED)))
      res_abort(r, r->res);
    else
      emit_close(r);
  } else {
    r->flags |= LODE__CR_DESTROYED;
    if (!(r->flags & LODE__CR_HAD_ERROR)) {
      lode_error_t e;
      r->flags |= LODE__CR_HAD_ERROR;
      hang_up(&e);
      emit_error(r, r->err ? r->err : &e);
    }
    emit_close(r);
  }
  req_release(r);
}

void lode__client_error(lode__client_req_t* r, const lode_error_t* err) {
  if (r->flags & (LODE__CR_CLOSED | LODE__CR_HAD_ERROR))
    return;
  if (!(r->flags & LODE__CR_RES_DESTROYED) && can_retry(r)) {
    r->flags |= LODE__CR_RETRYING;
    return;
  }
  req_hold(r);
  /* res.destroy(err): the response's 'aborted' comes first (Node emits
   * it within the call). */
  if ((r->flags & LODE__CR_RES_DESTROYED) && r->res != NULL) {
    lode_http_incoming_t* m = r->res;
    lode_http_incoming_hold(m);
    res_aborted(m);
    lode_http_incoming_release(m);
  }
  if (!(r->flags & (LODE__CR_CLOSED | LODE__CR_HAD_ERROR))) {
    r->flags |= LODE__CR_HAD_ERROR;
    emit_error(r, err);
  }
  req_release(r);
}

static void complete(lode__client_req_t* r);

/* Node's socketOnEnd: no response yet is a hang-up; a response read to
 * the end of the connection is complete now. */
void lode__client_end(lode__client_req_t* r) {
  lode_stream_t* s = req_stream(r);
  if (r->flags & LODE__CR_CLOSED)
    return;
  req_hold(r);
  int got = (r->flags & LODE__CR_GOT_RES) != 0;
  if (!got && can_retry(r)) {
    r->flags |= LODE__CR_RETRYING;
  } else if (!got && !(r->flags & LODE__CR_HAD_ERROR)) {
    lode_error_t e;
    r->flags |= LODE__CR_HAD_ERROR;
    hang_up(&e);
    emit_error(r, &e);
  } else if (r->res != NULL && !(r->res->flags & LODE__IN_COMPLETE)) {
    lode_http_event_t ev;
    if (lode_http_parser_finish(&r->parser, &ev) == 0 &&
        ev.type == LODE_HTTP_EV_MESSAGE_COMPLETE)
      complete(r);
  }
  if (s != NULL && !(r->flags & LODE__CR_CLOSED))
    lode_stream_destroy(s, NULL);
  req_release(r);
}

void lode__client_drain(lode__client_req_t* r) {
  lode__outgoing_drain(&r->out);
}

void lode__client_timeout(lode__client_req_t* r) {
  req_hold(r);
  if (r->ev != NULL && r->ev->on_timeout != NULL)
    r->ev->on_timeout(&r->out);
  if (!(r->flags & LODE__CR_CLOSED) && r->timeout_cb != NULL)
    r->timeout_cb(&r->out, 0, r->timeout_arg);
  lode_http_incoming_t* m = r->res;
  if (!(r->flags & LODE__CR_CLOSED) && m != NULL && m->ev != NULL &&
      m->ev->on_timeout != NULL)
    m->ev->on_timeout(m);
  req_release(r);
}

/* ---- Parsing the response ---- */

enum { GO_ON = 0, STOP = 1 };

static int stopped(const lode__client_req_t* r) {
  return (r->flags & (LODE__CR_CLOSED | LODE__CR_UPGRADED)) != 0 ||
         r->as == NULL || (r->as->flags & LODE__AS_DEAD);
}

static void parse_error(lode__client_req_t* r, int code, const char* p,
                        size_t n) {
  lode_error_t e;
  lode_error_init(&e, code);
  e.reason = lode_http_parser_error_reason(&r->parser);
  e.bytes_parsed = lode_http_parser_error_offset(&r->parser);
  e.raw_packet = (lode_slice_t){ p, n };
  lode_error_set_message(&e, "Parse Error: %s", e.reason ? e.reason : "");
  r->flags |= LODE__CR_HAD_ERROR;
  lode_stream_destroy(req_stream(r), NULL);
  emit_error(r, &e);
}

static int emit_information(lode__client_req_t* r, const lode_http_head_t* h) {
  lode__arena_t a = { 0 };
  size_t n = h->num_headers;
  const char** raw = lode__arena_alloc(&a, (2 * n + 1) * sizeof(*raw));
  const char* msg = lode__arena_strndup(&a, h->status_text.base,
                                        h->status_text.len);
  int ok = raw != NULL && msg != NULL;
  for (size_t i = 0; ok && i < n; i++) {
    raw[2 * i] = lode__arena_strndup(&a, h->headers[i].name.base,
                                     h->headers[i].name.len);
    raw[2 * i + 1] = lode__arena_strndup(&a, h->headers[i].value.base,
                                         h->headers[i].value.len);
    ok = raw[2 * i] != NULL && raw[2 * i + 1] != NULL;
  }
  if (ok && h->status_code == 100 && r->ev && r->ev->on_continue)
    r->ev->on_continue(&r->out);
  if (ok && !stopped(r) && r->ev && r->ev->on_information) {
    lode_http_information_t info = { h->status_code, msg, h->http_major,
                                     h->http_minor,  raw, 2 * n };
    r->ev->on_information(&r->out, &info);
  }
  lode__arena_free(&a);
  return ok ? GO_ON : UV_ENOMEM;
}

/* The first Keep-Alive value within maxHeadersCount, read from the raw
 * pairs: Node reads res.headers['keep-alive'], whose value starts with
 * the first one (later ones are joined after it), and only its start
 * matters. Building the headers object for it cost each response more
 * than the rest of its parsing. */
static const char* keep_alive_value(const lode_http_incoming_t* m) {
  const lode__in_fields_t* f = &m->headers;
  size_t n = f->nraw / 2;
  if (m->max_headers != 0 && n > m->max_headers)
    n = m->max_headers;
  for (size_t i = 0; i < n; i++) {
    const char* name = f->raw[2 * i];
    if ((name[0] | 0x20) == 'k' &&
        lode__http_ieq(name, strlen(name), "keep-alive"))
      return f->raw[2 * i + 1];
  }
  return NULL;
}

/* The seconds of a Keep-Alive: timeout= hint (Node's /^timeout=(\d+)/),
 * or -1 without one. */
static long long keep_alive_hint(const lode_http_incoming_t* m) {
  const char* v = keep_alive_value(m);
  if (v == NULL || strncmp(v, "timeout=", 8) != 0 || v[8] < '0' || v[8] > '9')
    return -1;
  unsigned long long secs = strtoull(v + 8, NULL, 10);
  return secs > 1000000000ULL ? 1000000000LL : (long long) secs;
}

static lode_http_incoming_t* res_alloc(lode__client_req_t* r) {
  lode_http_incoming_t* m = lode__incoming_pool_get(&r->agent->res_pool);
  if (m == NULL)
    return NULL;
  m->owner = &res_owner;
  m->owner_ctx = r;
  return m;
}

static int new_response(lode__client_req_t* r, const lode_http_head_t* h) {
  lode_http_incoming_t* m = res_alloc(r);
  if (m == NULL)
    return UV_ENOMEM;
  m->join_duplicates = r->join;
  if (lode__incoming_fill_response(m, h, r->max_headers_count) != 0) {
    lode__incoming_pool_put(&r->agent->res_pool, m);
    return UV_ENOMEM;
  }
  req_hold(r); /* the response's reference on its request */
  r->res = m;
  r->ka_hint = keep_alive_hint(m);
  r->flags |= LODE__CR_GOT_RES;
  return 0;
}

/* Node's parserOnIncomingClient. */
static int on_head(lode__client_req_t* r) {
  const lode_http_head_t* h = lode_http_parser_head(&r->parser);
  int status = h->status_code;
  if (r->res != NULL) { /* a second response: the server misbehaves */
    lode_stream_destroy(req_stream(r), NULL);
    return STOP;
  }
  if (r->method_num == LODE_HTTP_CONNECT || h->upgrade) {
    lode_http_parser_after_head(&r->parser, 1, 1);
    r->flags |= LODE__CR_INFO; /* its completion is not the response's */
    return new_response(r, h) == 0 ? GO_ON : STOP;
  }
  if (status >= 100 && status < 200 && status != 101) {
    r->flags |= LODE__CR_INFO;
    lode_http_parser_after_head(&r->parser, 1, 0);
    return emit_information(r, h) == GO_ON && !stopped(r) ? GO_ON : STOP;
  }
  if (!h->keep_alive)
    r->flags &= ~LODE__CR_KEEP_ALIVE;
  if (new_response(r, h) != 0)
    return STOP;
  lode_http_incoming_t* m = r->res;
  if ((r->flags & LODE__CR_ABORTED) || r->ev == NULL ||
      r->ev->on_response == NULL) {
    lode__incoming_dump(m);
    return stopped(r) ? STOP : GO_ON;
  }
  r->ev->on_response(&r->out, m);
  return stopped(r) ? STOP : GO_ON;
}

static void complete(lode__client_req_t* r) {
  if (r->flags & LODE__CR_INFO) {
    r->flags &= ~LODE__CR_INFO;
    return;
  }
  lode_http_incoming_t* m = r->res;
  r->flags |= LODE__CR_COMPLETE;
  if (m == NULL)
    return;
  lode_http_incoming_hold(m);
  if (r->flags & LODE__CR_RES_DESTROYED) {
    /* Destroyed before this last byte came: Node emitted 'aborted' in
     * destroy(), and still ends the body. */
    res_aborted(m);
    m->flags |= LODE__IN_END_AFTER_ABORT;
  }
  lode__incoming_end(m);
  lode_http_incoming_release(m);
}

static void on_upgrade(lode__client_req_t* r, const char* p, size_t n) {
  lode_http_incoming_t* m = r->res;
  int connect = r->method_num == LODE_HTTP_CONNECT;
  void (*fn)(lode_http_request_t*, lode_http_incoming_t*, lode_stream_t*,
             lode_slice_t) = NULL;
  if (r->ev != NULL)
    fn = connect ? r->ev->on_connect : r->ev->on_upgrade;
  if (fn == NULL || m == NULL) {
    lode_stream_destroy(req_stream(r), NULL);
    return;
  }
  lode_stream_t* s = req_stream(r);
  r->flags |= LODE__CR_UPGRADED | LODE__CR_DESTROYED;
  lode__agent_detach_socket(r->as);
  r->as = NULL;
  r->out.socket = NULL;
  m->flags |= LODE__IN_COMPLETE | LODE__IN_END_EMITTED;
  m->flags &= ~LODE__IN_READING;
  fn(&r->out, m, s, (lode_slice_t){ p, n });
  m->flags |= LODE__IN_CLOSED;
  lode_http_incoming_release(m);
  emit_close(r);
}

static void parser_init(lode__client_req_t* r, lode_http_header_t* hdrs,
                        size_t cap) {
  lode_http_parser_opts_t po = { .lenient = r->lenient,
                                 .max_header_size = r->max_header_size,
                                 .headers = hdrs,
                                 .max_headers = cap };
  lode_http_parser_init(&r->parser, LODE_HTTP_RESPONSE, &po);
  lode_http_parser_set_method(&r->parser, r->method_num);
}

/* The parser's own array holds 64 headers; a head with more (up to
 * maxHeadersCount) is parsed again into an array of the right size. */
static int widen_headers(lode__client_req_t* r) {
  const lode_http_head_t* h = lode_http_parser_head(&r->parser);
  size_t max = r->max_headers_count ? r->max_headers_count : 2000;
  size_t want = h->headers_seen < max ? h->headers_seen : max;
  if (want <= h->num_headers)
    return 0;
  lode_http_header_t* a = realloc(r->hdrs, want * sizeof(*a));
  if (a == NULL)
    return 0;
  r->hdrs = a;
  r->hdrs_cap = want;
  parser_init(r, a, want);
  return 1;
}

/* Runs the parser over p[0..n) until it asks for more (events may follow
 * the last byte); returns the bytes to keep for later. */
static size_t parse(lode__client_req_t* r, const char* p, size_t n) {
  while (!stopped(r)) {
    lode_http_event_t ev;
    int rc = lode_http_parser_execute(&r->parser, p, n, &ev);
    if (rc < 0) {
      parse_error(r, rc, p, n);
      return 0;
    }
    if (ev.type == LODE_HTTP_EV_HEAD && widen_headers(r))
      continue; /* the same bytes again, every header kept */
    p += ev.consumed;
    n -= ev.consumed;
    switch (ev.type) {
      case LODE_HTTP_EV_NEED_MORE:
        return n;
      case LODE_HTTP_EV_HEAD:
        if (on_head(r) != GO_ON)
          return 0;
        break;
      case LODE_HTTP_EV_BODY:
        /* After res.destroy() the body is dropped (Node's push on a
         * destroyed stream). */
        if (r->res != NULL && !(r->flags & LODE__CR_RES_DESTROYED) &&
            lode__incoming_push(r->res, ev.data) && req_stream(r) != NULL)
          lode_stream_pause(req_stream(r));
        break;
      case LODE_HTTP_EV_TRAILERS:
        if (r->res != NULL)
          lode__incoming_set_trailers(r->res, ev.trailers, ev.num_trailers);
        break;
      case LODE_HTTP_EV_MESSAGE_COMPLETE:
        /* Bytes after the response: the connection is not reusable (known
         * before the end hands the socket back). */
        if (n > 0 && !(r->flags & LODE__CR_INFO) && r->as != NULL)
          r->as->flags |= LODE__AS_DEAD;
        complete(r);
        if (r->flags & LODE__CR_COMPLETE)
          return 0;
        break;
      case LODE_HTTP_EV_UPGRADE:
        on_upgrade(r, p, n);
        return 0;
    }
  }
  return n;
}

void lode__client_data(lode__client_req_t* r, lode_slice_t data) {
  if (r->flags & (LODE__CR_CLOSED | LODE__CR_UPGRADED))
    return;
  if (r->flags & LODE__CR_COMPLETE) {
    /* Bytes nobody asked for: this connection is not reused. */
    if (r->as != NULL)
      r->as->flags |= LODE__AS_DEAD;
    return;
  }
  r->flags |= LODE__CR_GOT_BYTES;
  lode__buf_free(&r->replay); /* an answer came: no retry any more */
  req_hold(r);
  if (r->in.len == 0) {
    size_t keep = parse(r, data.base, data.len);
    if (keep > 0 && !stopped(r))
      lode__buf_append(&r->in, data.base + data.len - keep, keep);
  } else if (lode__buf_append(&r->in, data.base, data.len) == 0) {
    size_t len = r->in.len;
    size_t keep = parse(r, r->in.base, len);
    if (!(r->flags & LODE__CR_CLOSED)) {
      memmove(r->in.base, r->in.base + len - keep, keep);
      r->in.len = keep;
    }
  }
  req_release(r);
}

/* ---- Getting a socket (Node's onSocket / onSocketNT / tickOnSocket) ---- */

static void apply_socket_options(lode__client_req_t* r) {
  lode_socket_t* s = r->as->sock;
  if (s == NULL)
    return;
  if (r->no_delay >= 0)
    lode_socket_set_no_delay(s, r->no_delay);
  if (r->ka_enable >= 0)
    lode_socket_set_keep_alive(s, r->ka_enable, r->ka_delay);
}

static void tick_on_socket(lode__client_req_t* r) {
  lode__agent_sock_t* as = r->as;
  parser_init(r, r->hdrs, r->hdrs_cap);
  if (r->has_timeout && r->timeout != r->agent->o.timeout)
    lode__agent_sock_set_timeout(as, r->timeout);
  lode__agent_sock_touch(as);
  if (r->flags & LODE__CR_RETRIED) {
    const lode__buf_t* b = r->replay.len > 0 ? &r->replay : &r->out.header;
    r->out.socket = as->stream;
    lode_stream_write(as->stream, (lode_slice_t){ b->base, b->len }, NULL,
                      NULL);
    lode__buf_free(&r->replay);
    return;
  }
  if (r->ev != NULL && r->ev->on_socket != NULL) {
    r->ev->on_socket(&r->out, as->stream);
    if (stopped(r))
      return;
  }
  apply_socket_options(r);
  keep_for_retry(r);
  lode__outgoing_attach(&r->out, as->stream);
}

static void on_socket_run(lode__client_req_t* r, lode__agent_sock_t* as,
                          int err) {
  r->flags &= ~LODE__CR_ON_SOCKET;
  if (r->flags & LODE__CR_CLOSED) { /* the socket closed meanwhile */
    req_release(r);
    return;
  }
  if (!(r->flags & LODE__CR_DESTROYED) && err == 0 && as != NULL) {
    tick_on_socket(r);
    req_release(r);
    return;
  }
  r->flags |= LODE__CR_DESTROYED;
  r->as = NULL;
  if (as != NULL && !(as->flags & LODE__AS_CLOSED))
    lode__agent_free_socket(as, NULL);
  lode_error_t e;
  if (err != 0) {
    lode_error_init(&e, err);
    emit_error(r, &e);
  } else if (r->err != NULL) {
    emit_error(r, r->err);
  } else if (!(r->flags & LODE__CR_ABORTED)) {
    hang_up(&e);
    emit_error(r, &e);
  }
  emit_close(r);
  req_release(r);
}

static void on_socket_nt(lode__tick_t* t) {
  lode__client_req_t* r = lode__container_of(t, lode__client_req_t,
                                             socket_tick);
  on_socket_run(r, r->as, r->socket_err);
}

/* Node's onSocket: the rest happens on the next tick (onSocketNT). */
void lode__client_on_socket(lode__client_req_t* r, lode__agent_sock_t* as,
                            int err) {
  r->as = as;
  r->socket_err = err;
  r->flags |= LODE__CR_ON_SOCKET;
  req_hold(r);
  lode__tick(r->lp, &r->socket_tick, on_socket_nt);
}

/* ---- OutgoingMessage hooks ---- */

char* lode__client_request_line(const lode__client_req_t* r, char* buf,
                                size_t cap, size_t* len) {
  size_t ml = strlen(r->method), pl = strlen(r->path);
  *len = ml + pl + 12;
  char* line = *len <= cap ? buf : malloc(*len);
  if (line == NULL)
    return NULL;
  memcpy(line, r->method, ml);
  line[ml] = ' ';
  memcpy(line + ml + 1, r->path, pl);
  memcpy(line + ml + 1 + pl, " HTTP/1.1\r\n", 11);
  return line;
}

static int implicit_header(lode_http_outgoing_t* o) {
  char buf[256];
  size_t len;
  char* line = lode__client_request_line(cr(o), buf, sizeof(buf), &len);
  if (line == NULL)
    return UV_ENOMEM;
  int rc = lode__outgoing_store_header(o, line, len, NULL, 0);
  if (line != buf)
    free(line);
  return rc;
}

/* Node's requestOnFinish, after the user's 'finish'. */
static void after_finish(lode_http_outgoing_t* o) {
  lode__client_req_t* r = cr(o);
  if ((r->flags & LODE__CR_KEEP_ALIVE) && (r->flags & LODE__CR_ENDED))
    response_keep_alive(r);
}

/* Zeroed on reuse: everything after the message, up to the parser's
 * header array. */
#define REQ_ZERO_END                                                           \
  (offsetof(lode__client_req_t, parser) + offsetof(lode_http_parser_t, inline_))

lode__client_req_t* lode__client_req_alloc(lode_agent_t* a, uv_loop_t* loop) {
  /* The pool holds only requests of the agent's loop (req_free). */
  lode__client_req_t* r = loop == a->loop ? a->free_reqs : NULL;
  if (r != NULL) {
    a->free_reqs = r->next_free;
    a->nfree_reqs--;
    lode__unpoison(r, sizeof(*r));
    r->next_free = NULL;
    return r;
  }
  /* As the pool gives them: zero but for the parser's header array. */
  r = malloc(sizeof(*r));
  if (r == NULL)
    return NULL;
  memset(r, 0, REQ_ZERO_END);
  if ((r->lp = lode__loop_get(loop)) == NULL) {
    free(r);
    return NULL;
  }
  lode__outgoing_init(&r->out, loop, &lode__client_ops);
  return r;
}

static void req_destroy(lode__client_req_t* r) {
  lode__https_tls_free(r->tls);
  lode__outgoing_free(&r->out);
  lode__buf_free(&r->in);
  lode__loop_put(r->lp);
  free(r);
}

void lode__client_req_pool_free(lode_agent_t* a) {
  while (a->free_reqs != NULL) {
    lode__client_req_t* r = a->free_reqs;
    a->free_reqs = r->next_free;
    lode__unpoison(r, sizeof(*r));
    req_destroy(r);
  }
  a->nfree_reqs = 0;
  lode__incoming_pool_clear(&a->res_pool);
  if (a->destroyed)
    a->res_pool.max = 0;
}

/* Into the agent's pool, set back to a new request's state: every field
 * zeroed (the parser's too, but its header array) except the memory
 * worth keeping: the message's arena chunk and buffers, the response
 * input buffer, and the agent's TLS options when the request had them
 * alone (see https_tls in client_new.c). */
static void req_to_pool(lode__client_req_t* r, lode_agent_t* a) {
  lode__buf_t in = r->in;
  lode__loop_t* lp = r->lp;
  struct lode__https_tls_s* tls = r->tls_plain ? r->tls : NULL;
  if (tls == NULL)
    lode__https_tls_free(r->tls);
  lode__outgoing_reset(&r->out);
  if (in.cap > LODE__REQ_KEEP_IN)
    lode__buf_free(&in);
  in.len = 0;
  memset(&r->ev, 0, REQ_ZERO_END - offsetof(lode__client_req_t, ev));
  r->in = in;
  r->lp = lp;
  r->tls = tls;
  r->tls_plain = tls != NULL;
  r->next_free = a->free_reqs;
  a->free_reqs = r;
  a->nfree_reqs++;
  lode__poison_around(r, sizeof(*r), &r->next_free, sizeof(r->next_free));
}

static void req_free(lode_http_outgoing_t* o) {
  lode__client_req_t* r = cr(o);
  lode_agent_t* a = r->agent;
  lode__buf_free(&r->replay);
  free(r->hdrs);
  lode_error_free(r->err);
  if (a->destroyed || a->nfree_reqs >= LODE__REQ_POOL_MAX || o->loop != a->loop)
    req_destroy(r);
  else
    req_to_pool(r, a);
  lode__agent_release(a);
}

static void ops_set_timeout(lode_http_outgoing_t* o, uint64_t ms) {
  lode_http_request_set_timeout(o, (unsigned) ms, NULL, NULL);
}

static void ops_destroy(lode_http_outgoing_t* o, const lode_error_t* err) {
  lode_http_request_destroy(o, err);
}

const lode__outgoing_ops_t lode__client_ops = {
  implicit_header, NULL,       NULL, after_finish, NULL, req_free,
  ops_set_timeout, ops_destroy
};

/* ---- Public calls ---- */

/* Node's socket.destroy(err) says its error on the next tick, before the
 * socket's close (a lode socket says it with its close). */
static void emit_destroy_error(lode__tick_t* t) {
  lode__client_req_t* r = lode__container_of(t, lode__client_req_t, error_tick);
  if (r->err != NULL)
    lode__client_error(r, r->err);
  req_release(r);
}

void lode_http_request_destroy(lode_http_request_t* o,
                               const lode_error_t* err) {
  lode__client_req_t* r = cr(o);
  if (r->flags & LODE__CR_DESTROYED)
    return;
  r->flags |= LODE__CR_DESTROYED;
  if (r->res != NULL)
    lode__incoming_dump(r->res);
  if (err != NULL && r->err == NULL)
    r->err = lode_error_copy(err);
  if (r->flags & LODE__CR_WAITING) {
    lode__agent_forget_request(r->agent, r);
    lode__client_on_socket(r, NULL, 0);
  } else if (!(r->flags & LODE__CR_ON_SOCKET) && req_stream(r) != NULL) {
    if (err != NULL) {
      req_hold(r);
      lode__tick(r->lp, &r->error_tick, emit_destroy_error);
    }
    lode_stream_destroy(req_stream(r), err);
  }
}

static void emit_abort(lode__tick_t* t) {
  lode__client_req_t* r = lode__container_of(t, lode__client_req_t, abort_tick);
  flush_abort(r);
  req_release(r);
}

void lode_http_request_abort(lode_http_request_t* o) {
  lode__client_req_t* r = cr(o);
  if (r->flags & LODE__CR_ABORTED)
    return;
  r->flags |= LODE__CR_ABORTED | LODE__CR_ABORT_PENDING;
  req_hold(r);
  lode__tick(r->lp, &r->abort_tick, emit_abort);
  lode_http_request_destroy(o, NULL);
}

void lode_http_request_set_events(lode_http_request_t* o,
                                  const lode_http_request_events_t* ev) {
  cr(o)->ev = lode__request_view_events(o, ev);
}

int lode_http_request_write(lode_http_request_t* o, lode_slice_t chunk,
                            lode_http_outgoing_cb cb, void* arg) {
  lode__client_req_t* r = cr(o);
  if (r->as != NULL)
    lode__agent_sock_touch(r->as);
  return lode_http_outgoing_write(o, chunk, cb, arg);
}

int lode_http_request_end(lode_http_request_t* o, lode_slice_t chunk,
                          lode_http_outgoing_cb cb, void* arg) {
  lode__client_req_t* r = cr(o);
  if (r->as != NULL)
    lode__agent_sock_touch(r->as);
  return lode_http_outgoing_end(o, chunk, cb, arg);
}

int lode_http_request_aborted(const lode_http_request_t* o) {
  return (cr(o)->flags & LODE__CR_ABORTED) != 0;
}

int lode_http_request_destroyed(const lode_http_request_t* o) {
  return (cr(o)->flags & LODE__CR_DESTROYED) != 0;
}

int lode_http_request_reused_socket(const lode_http_request_t* o) {
  return (cr(o)->flags & LODE__CR_REUSED) != 0;
}

const char* lode_http_request_path(const lode_http_request_t* o) {
  return cr(o)->path;
}

const char* lode_http_request_method(const lode_http_request_t* o) {
  return cr(o)->method;
}

const char* lode_http_request_host(const lode_http_request_t* o) {
  return cr(o)->host;
}

const char* lode_http_request_protocol(const lode_http_request_t* o) {
  return cr(o)->protocol;
}

/* Node keeps req.socket while the socket goes back to the agent. */
lode_stream_t* lode_http_request_socket(const lode_http_request_t* o) {
  const lode__client_req_t* r = cr(o);
  if (r->freeing != NULL && !(r->freeing->flags & LODE__AS_CLOSED))
    return r->freeing->stream;
  return r->flags & LODE__CR_ON_SOCKET ? NULL : req_stream(r);
}

lode_http_incoming_t* lode_http_request_res(const lode_http_request_t* o) {
  return cr(o)->res;
}

void lode_http_request_set_max_headers_count(lode_http_request_t* o,
                                             unsigned n) {
  cr(o)->max_headers_count = n;
}

unsigned lode_http_request_max_headers_count(const lode_http_request_t* o) {
  unsigned n = cr(o)->max_headers_count;
  return n ? n : 2000;
}

int lode_http_request_set_timeout(lode_http_request_t* o, unsigned ms,
                                  lode_http_outgoing_cb cb, void* arg) {
  lode__client_req_t* r = cr(o);
  if (r->flags & LODE__CR_ENDED)
    return 0;
  if (cb != NULL) {
    r->timeout_cb = cb;
    r->timeout_arg = arg;
  }
  r->has_timeout = 1;
  r->timeout = ms;
  if (r->as != NULL && !(r->flags & LODE__CR_ON_SOCKET))
    lode__agent_sock_set_timeout(r->as, ms);
  return 0;
}

void lode_http_request_set_no_delay(lode_http_request_t* o, int no_delay) {
  lode__client_req_t* r = cr(o);
  r->no_delay = no_delay != 0;
  if (r->as != NULL && !(r->flags & LODE__CR_ON_SOCKET))
    apply_socket_options(r);
}

void lode_http_request_set_socket_keep_alive(lode_http_request_t* o, int enable,
                                             unsigned delay) {
  lode__client_req_t* r = cr(o);
  r->ka_enable = enable != 0;
  r->ka_delay = delay;
  if (r->as != NULL && !(r->flags & LODE__CR_ON_SOCKET))
    apply_socket_options(r);
}
