/* The server side of a connection: Node's connectionListener, socketOnData,
 * parserOnIncoming, socketOnError and friends, over a lode_stream_t. */
#include <stdlib.h>
#include <string.h>

#include "http/server.h"

/* Responses waiting behind the active one before reading stops: bounds
 * the memory a pipelining client can make the server hold. */
#define MAX_PIPELINED 32

enum {
  LODE__CONN_BODY_WAIT = 1 << 12,
  LODE__CONN_STREAM_PAUSED = 1 << 13,
  LODE__CONN_END_AFTER = 1 << 14, /* the peer ended: end when idle */
  LODE__CONN_CORKED = 1 << 15,    /* corked for the current parse */
  /* Accepted, no byte yet: headersTimeout runs from the accept, so a
   * client that connects and stays silent gets 408 (Node's parser starts
   * its clock at initialize), and the connection is not idle. */
  LODE__CONN_FRESH = 1 << 16,
  /* The parser merged a message's end into its last event while reading
   * had to stop: the end is delivered when parsing resumes, where
   * MESSAGE_COMPLETE would have come. */
  LODE__CONN_END_PENDING = 1 << 17
};

static void conn_parse_buffered(lode__conn_t* c);
static void parse_uncork(lode__conn_t* c);
static void give_slot(lode__conn_t* c);

void lode__conn_hold(lode__conn_t* c) {
  c->refs++;
}

static void conn_free(lode__conn_t* c) {
  lode_http_server_t* srv = c->srv;
  if (c->slot != NULL)
    give_slot(c); /* kept as any other, within setMaxIdleHTTPParsers */
  lode__buf_free(&c->in);
  lode_stream_release(c->stream);
  free(c);
  srv->nalive--;
  lode__server_maybe_closed(srv);
}

void lode__conn_release(lode__conn_t* c) {
  if (--c->refs == 0)
    conn_free(c);
}

/* Parsers. */
/* A connection's parser keeps up to LODE_HTTP_INLINE_HEADERS header views
 * inside itself (2 KB), so a slow client holds little; a head with more
 * lines is parsed again, once complete, into a full-size array (see
 * full_head). */
static lode__parser_slot_t* take_slot(lode__conn_t* c) {
  lode_http_server_t* srv = c->srv;
  lode__parser_slot_t* s = srv->free_slots;
  if (s != NULL) {
    srv->free_slots = s->next;
    srv->nfree_slots--;
    lode__unpoison(s, sizeof(*s));
    lode_http_parser_reset(&s->parser);
    return s;
  }
  if ((s = malloc(sizeof(*s))) == NULL)
    return NULL;
  s->max_headers = LODE_HTTP_INLINE_HEADERS;
  /* A bodiless request is one parser call, not three. An upgrade is
   * never merged, so lode_http_parser_after_head() still works for it. */
  lode_http_parser_opts_t o = {
    .lenient = srv->lenient,
    .max_header_size = srv->max_header_size,
    .merge_complete = 1,
  };
  lode_http_parser_init(&s->parser, LODE_HTTP_REQUEST, &o);
  return s;
}

static void give_slot(lode__conn_t* c) {
  lode_http_server_t* srv = c->srv;
  lode__parser_slot_t* s = c->slot;
  c->slot = NULL;
  if (srv->nfree_slots >= (size_t) lode__max_idle_parsers) {
    free(s);
    return;
  }
  s->next = srv->free_slots;
  srv->free_slots = s;
  srv->nfree_slots++;
  lode__poison_around(s, sizeof(*s), &s->next, sizeof(s->next));
}

/* The request's 'timeout' listeners: on_timeout, then setTimeout's. */
static int req_timeout(lode__conn_t* c, lode_http_incoming_t* req) {
  int heard = 0;
  lode_http_incoming_hold(req);
  if (req->ev && req->ev->on_timeout) {
    req->ev->on_timeout(req);
    heard = 1;
  }
  if (req->timeout_cb != NULL && !(c->flags & LODE__CONN_CLOSED)) {
    req->timeout_cb(req, 0, req->timeout_arg);
    heard = 1;
  }
  lode_http_incoming_release(req);
  return heard;
}

static int res_timeout(lode__conn_t* c, lode_http_outgoing_t* res) {
  int heard = 0;
  lode_http_outgoing_hold(res);
  if (res->ev && res->ev->on_timeout && !(c->flags & LODE__CONN_CLOSED)) {
    res->ev->on_timeout(res);
    heard = 1;
  }
  if (res->timeout_cb != NULL && !(c->flags & LODE__CONN_CLOSED)) {
    res->timeout_cb(res, 0, res->timeout_arg);
    heard = 1;
  }
  lode_http_outgoing_release(res);
  return heard;
}

/* Node's socketOnTimeout: the request, the response and the server hear
 * of it; with nobody listening the connection goes. */
static void on_idle_timeout(lode__idle_t* it) {
  lode__conn_t* c = lode__container_of(it, lode__conn_t, idle);
  int heard = 0;
  lode_http_server_t* srv = c->srv;
  lode__conn_hold(c);
  lode_http_incoming_t* req = c->incoming;
  if (req != NULL && !(req->flags & LODE__IN_COMPLETE))
    heard |= req_timeout(c, req);
  lode__response_t* res = c->res_head;
  if (res != NULL && !(c->flags & LODE__CONN_CLOSED))
    heard |= res_timeout(c, &res->out);
  if (srv->ev->on_timeout != NULL && !(c->flags & LODE__CONN_CLOSED)) {
    srv->ev->on_timeout(srv, c->stream);
    heard = 1;
  }
  if (srv->timeout_cb != NULL && !(c->flags & LODE__CONN_CLOSED)) {
    srv->timeout_cb(c->stream, 0, srv->timeout_arg);
    heard = 1;
  }
  if (!heard)
    lode__conn_destroy(c, NULL);
  lode__conn_release(c);
}

/* Tear-down. */
void lode__conn_destroy(lode__conn_t* c, const lode_error_t* err) {
  if (c->flags & (LODE__CONN_DESTROYED | LODE__CONN_DETACHED))
    return;
  c->flags |= LODE__CONN_DESTROYED;
  lode_stream_destroy(c->stream, err);
}

static void end_done(lode_stream_t* s, int status, void* arg) {
  lode__conn_t* c = arg;
  (void) status;
  /* Node's destroySoon: once our last bytes are out, the socket goes. */
  if (!(c->flags & (LODE__CONN_CLOSED | LODE__CONN_DETACHED)))
    lode__conn_destroy(c, NULL);
  lode__conn_release(c);
  (void) s;
}

/* Whether the client will send nothing more: it has ended its side, or
 * the request in which it asked to close was read whole, with nothing
 * after it (RFC 9112: no further request after "close"; HTTP/1.0
 * likewise without keep-alive). */
static int peer_sends_no_more(const lode__conn_t* c) {
  if (c->flags & LODE__CONN_END_AFTER)
    return 1;
  return c->slot != NULL && c->in.len == 0 && c->incoming == NULL &&
         c->upgrading == NULL && c->res_head == NULL &&
         !(c->flags & (LODE__CONN_IN_HEAD | LODE__CONN_ERRORED)) &&
         !lode_http_parser_should_keep_alive(&c->slot->parser);
}

void lode__conn_end(lode__conn_t* c) {
  if (c->flags & (LODE__CONN_ENDED | LODE__CONN_DESTROYED))
    return;
  lode__conn_flush(c);
  c->flags |= LODE__CONN_ENDED;
  lode__conn_hold(c);
  /* Then the close sends the FIN, without a half-close first when the
   * kernel holds no unread byte (which would make it a RST): the last
   * read was shorter than the socket's read buffer. */
  lode_socket_t* sk = lode_socket_from_stream(c->stream);
  int r = sk != NULL && peer_sends_no_more(c)
              ? lode__socket_end_by_close(
                    sk, c->last_read.len < LODE__NET_READ_SIZE, end_done, c)
              : lode_stream_end(c->stream, end_done, c);
  if (r < 0)
    end_done(c->stream, 0, c);
}

int lode__conn_peer_ended(const lode__conn_t* c) {
  return (c->flags & LODE__CONN_END_AFTER) && c->res_head == NULL;
}

static void conn_unlink(lode__conn_t* c) {
  lode_http_server_t* srv = c->srv;
  if (c->prev != NULL)
    c->prev->next = c->next;
  else
    srv->conns = c->next;
  if (c->next != NULL)
    c->next->prev = c->prev;
  c->prev = c->next = NULL;
  srv->nconns--;
  lode__server_maybe_closed(srv);
}

/* The connection is gone (closed, or handed over on upgrade): requests
 * still reading are aborted, responses not finished are closed. */
static void conn_finish(lode__conn_t* c) {
  c->flags |= LODE__CONN_CLOSED;
  conn_unlink(c);
  lode_stream_set_reader(c->stream, NULL, NULL);
  lode__conn_set_timeout(c, 0);
  lode_http_incoming_t* req = c->incoming;
  c->incoming = NULL;
  if (req != NULL)
    lode__incoming_mark_aborted(req);
  if (c->upgrading != NULL) {
    lode_http_incoming_t* up = c->upgrading;
    c->upgrading = NULL;
    up->flags |= LODE__IN_CLOSED;
    lode_http_incoming_release(up);
  }
  /* Node's order: 'aborted' now, then each response's 'close', then the
   * requests' error and 'close'. The queue is detached first; each
   * response is kept by the queue's reference until the last loop. */
  lode__response_t* list = c->res_head;
  c->res_head = c->res_tail = NULL;
  for (lode__response_t* r = list; r != NULL; r = r->next) {
    r->out.socket = NULL;
    r->out.flags |= LODE__OUT_DESTROYED;
    lode__incoming_mark_aborted(r->req);
    r->req->flags |= LODE__IN_DESTROYED; /* an unread body is gone too */
  }
  for (lode__response_t* r = list; r != NULL; r = r->next)
    lode__outgoing_emit_close(&r->out);
  if (req != NULL)
    lode__incoming_abort_error(req);
  while (list != NULL) {
    lode__response_t* r = list;
    list = r->next;
    lode__incoming_abort_error(r->req);
    lode__incoming_maybe_close(r->req);
    lode_http_outgoing_release(&r->out);
  }
  lode__conn_release(c); /* the open connection's reference */
}

/* Whether Node would still see `r` on the socket when a parse error
 * comes: a response whose head went out stays until its 'finish', which
 * Node has run by the time body bytes of its request were parsed if it
 * was ended; a finished response with Connection: close has ended the
 * socket (no reply either). */
static int response_in_the_way(const lode__response_t* r) {
  uint32_t f = r->out.flags;
  if (!(f & LODE__OUT_HEADER_SENT))
    return 0;
  if (!(r->req->flags & LODE__IN_GOT_BODY) || !(f & LODE__OUT_FINISHED))
    return 1;
  return (f & LODE__OUT_LAST) != 0;
}

/* 'clientError', or Node's canned reply without a listener. Node skips
 * the reply while a response is out on the socket. */
static void client_error(lode__conn_t* c, const lode_error_t* e,
                         int may_reply) {
  lode_http_server_t* srv = c->srv;
  c->flags |= LODE__CONN_ERRORED;
  if (srv->ev->on_client_error != NULL) {
    /* Responses ended before the error are on the socket in Node (end()
     * uncorks), ahead of whatever the listener writes. */
    parse_uncork(c);
    lode__conn_hold(c);
    srv->ev->on_client_error(srv, e, c->stream);
    lode__conn_release(c);
    return;
  }
  lode__response_t* active = c->res_head;
  if (may_reply && !(c->flags & (LODE__CONN_ENDED | LODE__CONN_DESTROYED)) &&
      (active == NULL || !response_in_the_way(active))) {
    const char* reply;
    switch (e->code) {
      case LODE_HPE_HEADER_OVERFLOW:
        reply =
            "HTTP/1.1 431 Request Header Fields Too Large\r\n"
            "Connection: close\r\n\r\n";
        break;
      case LODE_HPE_CHUNK_EXTENSIONS_OVERFLOW:
        reply = "HTTP/1.1 413 Payload Too Large\r\nConnection: close\r\n\r\n";
        break;
      case LODE_ERR_HTTP_REQUEST_TIMEOUT:
        reply = "HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n\r\n";
        break;
      default:
        reply = "HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n";
        break;
    }
    /* Node writes the reply and destroys the socket at once; the kernel
     * still sends what was written. A stream may drop queued bytes on
     * destroy, so the reply is ended first and the stream destroyed when
     * it is out. */
    lode__conn_flush(c);
    lode_stream_write(c->stream, lode_slice_str(reply), NULL, NULL);
    lode__conn_end(c);
    return;
  }
  /* What responses wrote before the error still goes out (Node's end()
   * had uncorked it); only a handler's own destroy drops corked bytes. */
  parse_uncork(c);
  /* Our end is under way (Node's destroySoon): it destroys the stream
   * once the written bytes are out, which a destroy now could lose. */
  if (!(c->flags & LODE__CONN_ENDED))
    lode__conn_destroy(c, e);
}

static void parse_error(lode__conn_t* c, int code, const char* buf, size_t at) {
  lode_http_parser_t* p = &c->slot->parser;
  lode_error_t e;
  lode_error_init(&e, code);
  const char* reason = lode_http_parser_error_reason(p);
  if (reason != NULL) {
    e.reason = reason;
    lode_error_set_message(&e, "Parse Error: %s", reason);
  }
  /* Node reports the offset within the read that failed, and that read.
   * The read's own buffer is the stream's and valid only while it is
   * handed over (a parse of it there has buf == its base); bytes parsed
   * later, from the server's copy, report that copy from where the last
   * read's bytes begin. */
  size_t abs = at + lode_http_parser_error_offset(p);
  int kept = buf == c->in.base && c->in.base != NULL;
  size_t base = kept ? c->last_read_at : 0;
  e.bytes_parsed = abs > base ? abs - base : 0;
  if (buf != NULL && buf == c->last_read.base)
    e.raw_packet = c->last_read;
  else if (kept && c->last_read_at <= c->in.len)
    e.raw_packet = (lode_slice_t){ c->in.base + c->last_read_at,
                                   c->in.len - c->last_read_at };
  else
    e.raw_packet = (lode_slice_t){ NULL, 0 };
  client_error(c, &e, 1);
}

void lode__conn_request_timeout(lode__conn_t* c) {
  lode_error_t e;
  lode_error_init(&e, LODE_ERR_HTTP_REQUEST_TIMEOUT);
  client_error(c, &e, 1);
}

/* Reading stops while responses pile up (Node's socket._paused) or a
 * request body waits for its reader; it starts again from here. */
static int needs_pause(const lode__conn_t* c) {
  size_t hwm = c->srv->hwm;
  return c->held > hwm || c->nres > MAX_PIPELINED ||
         lode_stream_writable_length(c->stream) > hwm;
}

static void update_stream_flow(lode__conn_t* c) {
  int stop = (c->flags & (LODE__CONN_PAUSED | LODE__CONN_BODY_WAIT)) != 0;
  if (stop && !(c->flags & LODE__CONN_STREAM_PAUSED)) {
    c->flags |= LODE__CONN_STREAM_PAUSED;
    lode_stream_pause(c->stream);
  } else if (!stop && (c->flags & LODE__CONN_STREAM_PAUSED)) {
    c->flags &= ~LODE__CONN_STREAM_PAUSED;
    lode_stream_resume(c->stream);
  }
}

void lode__conn_resume_reading(lode__conn_t* c) {
  /* The keep-alive case: reading never stopped and no input waits. */
  if (c->in.len == 0 &&
      !(c->flags & (LODE__CONN_PAUSED | LODE__CONN_BODY_WAIT |
                    LODE__CONN_STREAM_PAUSED | LODE__CONN_END_PENDING)))
    return;
  if (c->flags & (LODE__CONN_CLOSED | LODE__CONN_DESTROYED))
    return;
  if ((c->flags & LODE__CONN_PAUSED) && !needs_pause(c))
    c->flags &= ~LODE__CONN_PAUSED;
  lode_http_incoming_t* req = c->incoming;
  if ((c->flags & LODE__CONN_BODY_WAIT) &&
      (req == NULL || req->body.len < c->srv->hwm ||
       (req->flags & LODE__IN_DUMPED)))
    c->flags &= ~LODE__CONN_BODY_WAIT;
  if (c->flags & LODE__CONN_PARSING)
    return;
  update_stream_flow(c);
  if (!(c->flags & (LODE__CONN_PAUSED | LODE__CONN_BODY_WAIT)) &&
      (c->in.len > 0 || (c->flags & LODE__CONN_END_PENDING)))
    conn_parse_buffered(c);
}

/* Whether the raw head has Host and Expect: one pass, most names told
 * apart by their first letter, without a library call. */
enum { HAS_HOST = 1, HAS_EXPECT = 2 };

/* Whether the name is `lower` (letters only) in any case. */
static int name_is(const char* n, const char* lower) {
  for (; *lower != '\0'; n++, lower++)
    if ((*n | 0x20) != *lower)
      return 0;
  return *n == '\0';
}

static int host_expect(const lode_http_incoming_t* req) {
  const lode__in_fields_t* f = &req->headers;
  int has = 0;
  for (size_t i = 0; i < f->nraw; i += 2) {
    const char* n = f->raw[i];
    char c0 = (char) (n[0] | 0x20);
    if (c0 == 'h' && name_is(n + 1, "ost"))
      has |= HAS_HOST;
    else if (c0 == 'e' && name_is(n + 1, "xpect"))
      has |= HAS_EXPECT;
  }
  return has;
}

/* Node's parserOnIncoming after the request exists: Host check,
 * maxRequestsPerSocket, Expect, then 'request'. */
static void dispatch(lode__conn_t* c, lode_http_incoming_t* req,
                     lode__response_t* res) {
  lode_http_server_t* srv = c->srv;
  lode_http_outgoing_t* o = &res->out;
  if (req->major == 1 && req->minor == 1) {
    int has = host_expect(req);
    if (srv->require_host && !(has & HAS_HOST)) {
      static const char* const close_pair[] = { "Connection", "close", NULL };
      lode_http_response_write_head(o, 400, NULL, close_pair);
      lode_http_outgoing_end(o, (lode_slice_t){ NULL, 0 }, NULL, NULL);
      return;
    }
    if (srv->max_requests > 0) {
      c->requests++;
      if (srv->max_requests <= c->requests)
        o->flags |= LODE__OUT_MAX_REACHED;
      if (srv->max_requests < c->requests) {
        if (srv->ev->on_drop_request != NULL)
          srv->ev->on_drop_request(srv, req, c->stream);
        if (o->flags & LODE__OUT_CLOSED)
          return;
        lode_http_response_write_head(o, 503, NULL, NULL);
        lode_http_outgoing_end(o, (lode_slice_t){ NULL, 0 }, NULL, NULL);
        return;
      }
    }
    const char* expect = (has & HAS_EXPECT)
                             ? lode_http_incoming_header(req, "expect")
                             : NULL;
    if (expect != NULL) {
      if (lode__http_has_word(expect, strlen(expect), "100-continue")) {
        res->expect_continue = 1;
        if (srv->ev->on_check_continue != NULL) {
          srv->ev->on_check_continue(srv, req, o);
          return;
        }
        lode_http_response_write_continue(o);
      } else if (srv->ev->on_check_expectation != NULL) {
        srv->ev->on_check_expectation(srv, req, o);
        return;
      } else {
        lode_http_response_write_head(o, 417, NULL, NULL);
        lode_http_outgoing_end(o, (lode_slice_t){ NULL, 0 }, NULL, NULL);
        return;
      }
    }
  }
  if (srv->ev->on_request != NULL)
    srv->ev->on_request(srv, req, o);
}

/* A head with more lines than the connection's parser keeps: parse its
 * bytes again (they are all here) into an array of maxHeadersCount
 * entries (2000 by default, Node's rawHeaders limit too). */
static int full_head(lode__conn_t* c, lode_http_incoming_t* req,
                     const lode_http_head_t* h, const char* head_end) {
  lode_http_server_t* srv = c->srv;
  size_t max = srv->max_headers_count > 2000 ? srv->max_headers_count : 2000;
  /* A header line takes at least 3 bytes ("a:" and LF): the head bounds
   * the array, whatever maxHeadersCount says. */
  size_t lines = (size_t) (head_end - h->method_name.base) / 3 + 1;
  if (max > lines)
    max = lines;
  lode_http_parser_t* p = malloc(sizeof(*p) + max * sizeof(lode_http_header_t));
  if (p == NULL)
    return UV_ENOMEM;
  lode_http_parser_opts_t o = {
    .lenient = srv->lenient,
    .max_header_size = srv->max_header_size,
    .headers = (lode_http_header_t*) (p + 1),
    .max_headers = max,
  };
  lode_http_parser_init(p, LODE_HTTP_REQUEST, &o);
  const char* start = h->method_name.base;
  lode_http_event_t ev;
  int rc = lode_http_parser_execute(p, start, (size_t) (head_end - start), &ev);
  if (rc == 0 && ev.type == LODE_HTTP_EV_HEAD)
    rc = lode__incoming_fill(req, lode_http_parser_head(p), head_end,
                             srv->max_headers_count);
  else if (rc == 0)
    rc = lode__incoming_fill(req, h, head_end, srv->max_headers_count);
  free(p);
  return rc;
}

/* A complete head. Returns 0 to go on, 1 to stop parsing. */
static int on_head(lode__conn_t* c, const char* head_end) {
  lode_http_server_t* srv = c->srv;
  lode_http_parser_t* p = &c->slot->parser;
  const lode_http_head_t* h = lode_http_parser_head(p);
  c->flags &= ~LODE__CONN_IN_HEAD;
  if (c->flags & LODE__CONN_KA_TIMEOUT) {
    c->flags &= ~LODE__CONN_KA_TIMEOUT;
    if (srv->timeout == 0)
      lode__idle_stop_lazily(&c->idle); /* the next finish restarts it */
    else
      lode__conn_set_timeout(c, srv->timeout);
  }
  lode_http_incoming_t* req = lode__incoming_pool_get(&srv->req_pool);
  if (req == NULL)
    goto nomem;
  req->conn = c;
  lode__conn_hold(c);
  int rc = h->headers_seen > h->num_headers
               ? full_head(c, req, h, head_end)
               : lode__incoming_fill(req, h, head_end, srv->max_headers_count);
  if (rc != 0) {
    lode_http_incoming_release(req);
    goto nomem;
  }
  if (h->upgrade) {
    int take = h->method == LODE_HTTP_CONNECT || srv->ev->on_upgrade != NULL;
    if (take) {
      req->flags |= LODE__IN_UPGRADE;
      c->upgrading = req;
      return 0;
    }
    lode_http_parser_after_head(p, 0, 0);
  }
  c->incoming = req;
  if (!(c->flags & LODE__CONN_PAUSED) && needs_pause(c))
    c->flags |= LODE__CONN_PAUSED;
  lode__response_t* res = lode__response_new(c, req);
  if (res == NULL)
    goto nomem;
  req->res = res;
  if (h->keep_alive)
    res->out.flags |= LODE__OUT_KEEP_ALIVE;
  c->nres++;
  if (c->res_head == NULL) {
    c->res_head = c->res_tail = res;
    lode__outgoing_attach(&res->out, c->stream);
  } else {
    c->res_tail->next = res;
    c->res_tail = res;
  }
  dispatch(c, req, res);
  return 0;
nomem:
  lode__conn_destroy(c, NULL);
  return 1;
}

static void on_upgrade(lode__conn_t* c, lode_slice_t head) {
  lode_http_server_t* srv = c->srv;
  lode_http_incoming_t* req = c->upgrading;
  lode_stream_t* s = c->stream;
  c->upgrading = NULL;
  if (req == NULL) {
    lode__conn_destroy(c, NULL);
    return;
  }
  req->flags |= LODE__IN_COMPLETE | LODE__IN_END_EMITTED | LODE__IN_CLOSED;
  int connect = strcmp(req->method, "CONNECT") == 0;
  lode__conn_hold(c);
  lode_stream_hold(s);
  parse_uncork(c);
  c->flags |= LODE__CONN_DETACHED;
  if (c->flags & LODE__CONN_STREAM_PAUSED)
    lode_stream_resume(s);
  conn_finish(c);
  if (connect && srv->ev->on_connect != NULL)
    srv->ev->on_connect(srv, req, s, head);
  else if (!connect)
    srv->ev->on_upgrade(srv, req, s, head);
  else
    lode_stream_destroy(s, NULL);
  lode_stream_release(s);
  lode_http_incoming_release(req);
  lode__conn_release(c);
}

static void on_complete(lode__conn_t* c) {
  lode_http_incoming_t* req = c->incoming;
  c->incoming = NULL;
  c->msg_start = 0;
  if (req != NULL) {
    /* 'end' may finish the response and let go of the request. */
    lode_http_incoming_hold(req);
    lode__incoming_end(req);
    lode__incoming_maybe_close(req);
    lode_http_incoming_release(req);
  }
}

static int stop_flags(const lode__conn_t* c) {
  return (c->flags &
          (LODE__CONN_PAUSED | LODE__CONN_BODY_WAIT | LODE__CONN_DESTROYED |
           LODE__CONN_ERRORED | LODE__CONN_DETACHED | LODE__CONN_CLOSED)) != 0;
}

/* A message's end merged into its last event: delivered now, or when
 * parsing resumes if that event stopped it. */
static void merged_end(lode__conn_t* c) {
  if (stop_flags(c))
    c->flags |= LODE__CONN_END_PENDING;
  else
    on_complete(c);
}

/* Runs the parser over buf[0..len) until it needs more input or reading
 * has to stop. Returns the bytes consumed. */
static size_t conn_parse(lode__conn_t* c, const char* buf, size_t len) {
  size_t off = 0;
  /* Events may follow the last byte (MESSAGE_COMPLETE of a bodiless
   * request), so the parser runs until it asks for more. */
  while (!stop_flags(c) && (off < len || c->slot != NULL)) {
    if (c->flags & LODE__CONN_END_PENDING) {
      c->flags &= ~LODE__CONN_END_PENDING;
      on_complete(c);
      continue;
    }
    if (c->slot == NULL && (c->slot = take_slot(c)) == NULL) {
      lode__conn_destroy(c, NULL);
      break;
    }
    if (off < len && c->incoming == NULL && !(c->flags & LODE__CONN_IN_HEAD)) {
      c->flags = (c->flags & ~LODE__CONN_FRESH) | LODE__CONN_IN_HEAD;
      c->msg_start = uv_now(c->srv->loop);
    }
    lode_http_event_t ev;
    int r = lode_http_parser_execute(&c->slot->parser, buf + off, len - off,
                                     &ev);
    if (r < 0) {
      parse_error(c, r, buf, off);
      break;
    }
    off += ev.consumed;
    if (ev.type == LODE_HTTP_EV_NEED_MORE)
      break;
    if (ev.type == LODE_HTTP_EV_HEAD) {
      if (on_head(c, buf + off))
        break;
    } else if (ev.type == LODE_HTTP_EV_BODY) {
      if (c->incoming != NULL && lode__incoming_push(c->incoming, ev.data))
        c->flags |= LODE__CONN_BODY_WAIT;
    } else if (ev.type == LODE_HTTP_EV_TRAILERS) {
      if (c->incoming != NULL)
        lode__incoming_set_trailers(c->incoming, ev.trailers, ev.num_trailers);
    } else if (ev.type == LODE_HTTP_EV_MESSAGE_COMPLETE) {
      on_complete(c);
    } else if (ev.type == LODE_HTTP_EV_UPGRADE) {
      on_upgrade(c, (lode_slice_t){ buf + off, len - off });
      return len;
    }
    if (ev.complete) {
      merged_end(c);
      if (off == len)
        break; /* a merged end leaves nothing to report */
    }
  }
  return off;
}

static void after_parse(lode__conn_t* c) {
  if (c->flags &
      (LODE__CONN_CLOSED | LODE__CONN_DESTROYED | LODE__CONN_DETACHED))
    return;
  if (c->slot != NULL && c->incoming == NULL && c->in.len == 0 &&
      !(c->flags & LODE__CONN_IN_HEAD) &&
      lode_http_parser_should_keep_alive(&c->slot->parser))
    give_slot(c);
  if (c->in.len == 0 && c->in.cap > 0)
    lode__buf_free(&c->in); /* an idle connection keeps no buffer */
  update_stream_flow(c);
}

/* Responses written while one read is parsed (a pipeline) leave in one
 * write: their bytes collect in the server's batch buffer (one connection
 * parses at a time) and go out when the parse ends, as Node's per-tick
 * cork sends them; a destroy before that drops them, as Node's drops a
 * corked write(). An end() with nothing batched before it writes at once
 * (Node's end() uncorks). */
typedef struct lode__batch_cb_s {
  lode_stream_cb cb;
  void* arg;
} lode__batch_cb_t;

typedef struct batch_done_s {
  size_t n;
  lode__batch_cb_t cbs[];
} batch_done_t;

static void parse_cork(lode__conn_t* c) {
  if (c->srv->batch_owner != NULL)
    return;
  c->srv->batch_owner = c;
  c->flags |= LODE__CONN_CORKED;
}

int lode__conn_batch(lode__conn_t* c, const lode_slice_t* bufs, size_t n,
                     lode_stream_cb cb, void* arg) {
  lode_http_server_t* srv = c->srv;
  if (srv->batch_owner != c || (c->flags & LODE__CONN_DESTROYED))
    return LODE__NO_BATCH;
  for (size_t i = 0; i < n; i++)
    if (lode__buf_append(&srv->batch, bufs[i].base, bufs[i].len) != 0)
      return UV_ENOMEM;
  if (cb != NULL) {
    if (srv->nbatch_cbs == srv->batch_cap) {
      size_t cap = srv->batch_cap ? srv->batch_cap * 2 : 16;
      lode__batch_cb_t* p = realloc(srv->batch_cbs, cap * sizeof(*p));
      if (p == NULL)
        return UV_ENOMEM;
      srv->batch_cbs = p;
      srv->batch_cap = cap;
    }
    srv->batch_cbs[srv->nbatch_cbs++] = (lode__batch_cb_t){ cb, arg };
  }
  if (srv->batch.len < srv->hwm)
    return 1;
  /* A big response does not pile up here: it goes now, and the stream's
   * answer (and its 'drain') is the writer's. */
  return lode__conn_flush(c);
}

static void batch_done(lode_stream_t* s, int status, void* arg) {
  batch_done_t* d = arg;
  for (size_t i = 0; i < d->n; i++)
    d->cbs[i].cb(s, status, d->cbs[i].arg);
  free(d);
}

/* Sends the batch in one write; with the connection destroyed meanwhile,
 * drops it and fails its callbacks. */
int lode__conn_flush(lode__conn_t* c) {
  lode_http_server_t* srv = c->srv;
  if (srv->batch_owner != c || (srv->batch.len == 0 && srv->nbatch_cbs == 0))
    return 1;
  size_t n = srv->nbatch_cbs;
  lode_slice_t all = { srv->batch.base, srv->batch.len };
  lode_stream_cb cb = n == 1 ? srv->batch_cbs[0].cb : NULL;
  void* arg = n == 1 ? srv->batch_cbs[0].arg : NULL;
  int r = LODE_ERR_STREAM_DESTROYED;
  if (n > 1) {
    batch_done_t* d = malloc(sizeof(*d) + n * sizeof(d->cbs[0]));
    if (d == NULL)
      r = UV_ENOMEM;
    else {
      d->n = n;
      memcpy(d->cbs, srv->batch_cbs, n * sizeof(d->cbs[0]));
      cb = batch_done;
      arg = d;
    }
  }
  srv->batch.len = 0;
  srv->nbatch_cbs = 0;
  if (r != UV_ENOMEM && !(c->flags & LODE__CONN_DESTROYED) && all.len > 0)
    r = lode_stream_writev(c->stream, &all, 1, cb, arg);
  if (r >= 0)
    return r;
  if (cb == NULL && n == 0)
    return all.len > 0 ? 0 : 1;
  /* The stream will not call back: fail the callbacks here. */
  if (cb != NULL)
    cb(c->stream, r, arg);
  else
    for (size_t i = 0; i < n; i++)
      srv->batch_cbs[i].cb(c->stream, r, srv->batch_cbs[i].arg);
  /* Bytes of responses were dropped: the connection cannot go on. */
  if (r == UV_ENOMEM && !(c->flags & LODE__CONN_DESTROYED))
    lode__conn_destroy(c, NULL);
  return 0;
}

static void parse_uncork(lode__conn_t* c) {
  if (!(c->flags & LODE__CONN_CORKED))
    return;
  lode__conn_flush(c);
  c->flags &= ~LODE__CONN_CORKED;
  c->srv->batch_owner = NULL;
}

static void conn_parse_buffered(lode__conn_t* c) {
  if (c->flags & LODE__CONN_PARSING)
    return;
  c->flags |= LODE__CONN_PARSING;
  lode__conn_hold(c);
  parse_cork(c);
  /* With nothing buffered (only a merged end to deliver) there is no
   * buffer at all. */
  const char* base = c->in.base != NULL ? c->in.base : "";
  size_t used = conn_parse(c, base, c->in.len);
  if (!(c->flags & LODE__CONN_DETACHED) && c->in.len > 0) {
    memmove(c->in.base, c->in.base + used, c->in.len - used);
    c->in.len -= used;
    c->last_read_at = c->last_read_at > used ? c->last_read_at - used : 0;
  }
  c->flags &= ~LODE__CONN_PARSING;
  parse_uncork(c);
  after_parse(c);
  lode__conn_release(c);
}

/* The stream's reader. */
static void on_data(void* ctx, lode_stream_t* s, lode_slice_t data) {
  lode__conn_t* c = ctx;
  (void) s;
  if (c->flags & (LODE__CONN_ERRORED | LODE__CONN_DESTROYED))
    return;
  c->last_read = data;
  if (c->in.len > 0 || (c->flags & LODE__CONN_PARSING) || stop_flags(c)) {
    lode__idle_touch(c->srv->lp, &c->idle);
    c->last_read_at = c->in.len;
    if (lode__buf_append(&c->in, data.base, data.len) != 0) {
      lode__conn_destroy(c, NULL);
      return;
    }
    if (!stop_flags(c))
      conn_parse_buffered(c);
    return;
  }
  c->last_read_at = 0;
  c->flags |= LODE__CONN_PARSING;
  lode__conn_hold(c);
  parse_cork(c);
  size_t used = conn_parse(c, data.base, data.len);
  c->flags &= ~LODE__CONN_PARSING;
  parse_uncork(c);
  if (used < data.len &&
      !(c->flags & (LODE__CONN_DETACHED | LODE__CONN_CLOSED))) {
    if (lode__buf_append(&c->in, data.base + used, data.len - used) != 0)
      lode__conn_destroy(c, NULL);
  }
  after_parse(c);
  /* The read restarts the socket timeout, after the parse: a head read
   * whole has already disabled the keep-alive timeout (or set the server's
   * timeout), which leaves nothing to restart; the loop's clock is the
   * same either side of the parse. */
  lode__idle_touch(c->srv->lp, &c->idle);
  lode__conn_release(c);
}

/* Responses the handlers have ended leave before our FIN (Node has
 * written them by the time the socket's 'end' runs); one still open means
 * the end comes now and nothing after it is sent, as in Node. */
static void end_deferred(lode__tick_t* t) {
  lode__conn_t* c = lode__container_of(t, lode__conn_t, end_tick);
  int all_ended = 1;
  for (lode__response_t* r = c->res_head; r != NULL; r = r->next)
    if (!(r->out.flags & LODE__OUT_FINISHED))
      all_ended = 0;
  if (c->flags & (LODE__CONN_CLOSED | LODE__CONN_DETACHED))
    ;
  else if (c->res_head != NULL && all_ended)
    c->flags |= LODE__CONN_END_AFTER;
  else
    lode__conn_end(c);
  lode__conn_release(c);
}

static void on_end(void* ctx, lode_stream_t* s) {
  lode__conn_t* c = ctx;
  (void) s;
  if (c->flags & (LODE__CONN_ERRORED | LODE__CONN_DESTROYED))
    return;
  if (c->slot != NULL && (c->incoming != NULL || c->in.len > 0 ||
                          (c->flags & LODE__CONN_IN_HEAD))) {
    lode_http_event_t ev;
    int r = lode_http_parser_finish(&c->slot->parser, &ev);
    if (r < 0) {
      c->last_read = (lode_slice_t){ NULL, 0 };
      parse_error(c, r, NULL, 0);
      return;
    }
  }
  /* Node ends its side at the peer's FIN (httpAllowHalfOpen is false) in
   * the socket's 'end', which comes after the request events already
   * queued: the end waits behind them, and a response not written by then
   * is never sent. */
  lode__conn_hold(c);
  lode__later(c->srv->lp, &c->end_tick, end_deferred);
}

static void on_drain(void* ctx, lode_stream_t* s) {
  lode__conn_t* c = ctx;
  (void) s;
  lode__conn_hold(c);
  lode__conn_resume_reading(c);
  if (c->res_head != NULL && !(c->flags & LODE__CONN_CLOSED))
    lode__outgoing_drain(&c->res_head->out);
  lode__conn_release(c);
}

static void on_error(void* ctx, lode_stream_t* s, const lode_error_t* err) {
  lode__conn_t* c = ctx;
  (void) s;
  if (c->flags & (LODE__CONN_ERRORED | LODE__CONN_DESTROYED))
    return;
  client_error(c, err, 0);
}

static void on_close(void* ctx, lode_stream_t* s, int had_error) {
  lode__conn_t* c = ctx;
  (void) s;
  (void) had_error;
  if (c->flags & LODE__CONN_CLOSED)
    return;
  lode__conn_hold(c);
  conn_finish(c);
  lode__conn_release(c);
}

static const lode_stream_reader_t conn_reader = {
  .on_data = on_data,
  .on_end = on_end,
  .on_drain = on_drain,
  .on_error = on_error,
  .on_close = on_close,
};

int lode_http_server_serve(lode_http_server_t* srv, lode_stream_t* s) {
  lode__conn_t* c = calloc(1, sizeof(*c));
  if (c == NULL) {
    lode_stream_destroy(s, NULL);
    return UV_ENOMEM;
  }
  c->srv = srv;
  c->stream = s;
  c->refs = 1; /* released when the connection has gone */
  srv->nalive++;
  lode_stream_hold(s);
  c->next = srv->conns;
  if (srv->conns != NULL)
    srv->conns->prev = c;
  srv->conns = c;
  srv->nconns++;
  c->flags |= LODE__CONN_FRESH;
  c->msg_start = uv_now(srv->loop);
  c->idle.fn = on_idle_timeout;
  lode__server_start_checking(srv);
  if (srv->timeout)
    lode__conn_set_timeout(c, srv->timeout);
  lode_stream_set_reader(s, &conn_reader, c);
  return 0;
}

/* Node's checkConnections: a message that has not finished its head in
 * headersTimeout, or itself in requestTimeout, gets 408. */
void lode__server_check_connections(lode_http_server_t* srv) {
  uint64_t now = uv_now(srv->loop);
  lode__conn_t* c = srv->conns;
  while (c != NULL) {
    lode__conn_t* next = c->next;
    int expired = 0;
    if (c->msg_start != 0 && !(c->flags & LODE__CONN_ERRORED)) {
      uint64_t age = now - c->msg_start;
      if ((c->flags & (LODE__CONN_IN_HEAD | LODE__CONN_FRESH)) &&
          srv->headers_timeout && age > srv->headers_timeout)
        expired = 1;
      else if (srv->request_timeout && age > srv->request_timeout)
        expired = 1;
    }
    if (expired) {
      c->msg_start = 0;
      lode__conn_request_timeout(c);
    }
    c = next;
  }
}

void lode_http_server_close_all_connections(lode_http_server_t* srv) {
  for (lode__conn_t* c = srv->conns; c != NULL; c = c->next)
    lode__conn_destroy(c, NULL);
}

/* Node's closeIdleConnections: no request in progress, and no response
 * still being written. */
void lode_http_server_close_idle_connections(lode_http_server_t* srv) {
  for (lode__conn_t* c = srv->conns; c != NULL; c = c->next) {
    if (c->incoming != NULL || c->res_head != NULL ||
        (c->flags & (LODE__CONN_IN_HEAD | LODE__CONN_FRESH)))
      continue;
    lode__conn_destroy(c, NULL);
  }
}
