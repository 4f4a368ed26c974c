/* Stream views of HTTP bodies: an IncomingMessage as a readable
 * lode_stream_t, an OutgoingMessage (ServerResponse, ClientRequest) as a
 * writable one, so that lode_stream_pipe and lode_stream_pipeline take
 * them as Node's pipe takes the messages themselves.
 *
 * A view stands between the message and its user's event table: the
 * message's table becomes a copy of the user's (the view's own memory),
 * with the slots the stream needs replaced by ones that tell the stream's
 * reader first and the user's callback after. Slots the stream does not
 * need keep the user's pointers, NULL included, so the message behaves as
 * with the user's table (no 'timeout' listener, no 'response' listener
 * mean what they meant). A table set later goes through
 * lode__*_view_events and lands behind the view. The view is found from
 * the message through its table. */
#include <stdlib.h>
#include <string.h>

#include "http/body_stream.h"
#include "http/client.h"

/* ---- What both views share ---- */

typedef struct view_s {
  lode_stream_t stream;
  lode__obj_t obj;
  lode__tick_t destroy_tick; /* destroy() runs on a later turn */
  lode_error_t* destroy_err;
  int destroying;
  int had_error;
  int closed;
} view_t;

static view_t* view_of(const lode_stream_t* s) {
  return lode__container_of(s, view_t, stream);
}

static void view_hold(lode_stream_t* s) {
  lode__hold(&view_of(s)->obj);
}
static void view_release(lode_stream_t* s) {
  lode__release(&view_of(s)->obj);
}

static void view_free(lode__obj_t* o) {
  view_t* v = lode__container_of(o, view_t, obj);
  lode_error_free(v->destroy_err);
  free(v);
}

/* destroy() never calls back from inside itself (docs/lifetime.md), while
 * a message's destroy may say its error at once: the call waits a turn. */
static void view_destroy(lode_stream_t* s, const lode_error_t* err,
                         void (*run)(lode__tick_t* t)) {
  view_t* v = view_of(s);
  if (v->destroying || v->closed)
    return;
  v->destroying = 1;
  if (err != NULL)
    v->destroy_err = lode_error_copy(err);
  lode__hold(&v->obj);
  lode__http_later(s->loop, &v->destroy_tick, run);
}

/* A write's completion, from the message's callback shape to the
 * stream's. */
typedef struct wcb_s {
  view_t* v;
  lode_stream_cb cb;
  void* arg;
} wcb_t;

static wcb_t* wcb_new(view_t* v, lode_stream_cb cb, void* arg) {
  wcb_t* w = malloc(sizeof(*w));
  if (w == NULL)
    return NULL;
  w->v = v;
  w->cb = cb;
  w->arg = arg;
  lode__hold(&v->obj);
  return w;
}

static void wcb_done(lode_http_outgoing_t* o, int status, void* arg) {
  (void) o;
  wcb_t* w = arg;
  view_t* v = w->v;
  w->cb(&v->stream, status, w->arg);
  free(w);
  lode__release(&v->obj);
}

static void wcb_free(wcb_t* w) {
  if (w == NULL)
    return;
  lode__release(&w->v->obj);
  free(w);
}

static int no_write(lode_stream_t* s, const lode_slice_t* bufs, size_t n,
                    lode_stream_cb cb, void* arg) {
  (void) s, (void) bufs, (void) n, (void) cb, (void) arg;
  return LODE_ERR_METHOD_NOT_IMPLEMENTED;
}

static int no_end(lode_stream_t* s, lode_stream_cb cb, void* arg) {
  (void) s, (void) cb, (void) arg;
  return LODE_ERR_METHOD_NOT_IMPLEMENTED;
}

/* ---- IncomingMessage: the body as a readable stream ---- */

typedef struct in_view_s {
  view_t v;
  lode__tick_t end_tick; /* the end of a body that ended before */
  lode_http_incoming_t* msg;
  lode_http_incoming_events_t table;       /* the message's table */
  const lode_http_incoming_events_t* user; /* the user's, behind it */
} in_view_t;

static void in_on_close(lode_http_incoming_t* m);

static in_view_t* in_view_find(const lode_http_incoming_t* m) {
  if (m->ev == NULL || m->ev->on_close != in_on_close)
    return NULL;
  return lode__container_of(m->ev, in_view_t, table);
}

static in_view_t* in_of(lode_stream_t* s) {
  return lode__container_of(view_of(s), in_view_t, v);
}

static void in_on_data(lode_http_incoming_t* m, lode_slice_t chunk) {
  in_view_t* iv = in_view_find(m);
  lode__hold(&iv->v.obj);
  lode_stream_emit_data(&iv->v.stream, chunk);
  if (iv->user != NULL && iv->user->on_data != NULL)
    iv->user->on_data(m, chunk);
  lode__release(&iv->v.obj);
}

static void in_on_end(lode_http_incoming_t* m) {
  in_view_t* iv = in_view_find(m);
  lode__hold(&iv->v.obj);
  lode_stream_emit_end(&iv->v.stream);
  if (iv->user != NULL && iv->user->on_end != NULL)
    iv->user->on_end(m);
  lode__release(&iv->v.obj);
}

static void in_on_error(lode_http_incoming_t* m, const lode_error_t* err) {
  in_view_t* iv = in_view_find(m);
  lode__hold(&iv->v.obj);
  iv->v.had_error = 1;
  lode_stream_emit_error(&iv->v.stream, err);
  if (iv->user != NULL && iv->user->on_error != NULL)
    iv->user->on_error(m, err);
  lode__release(&iv->v.obj);
}

/* The message's close is the stream's: the view steps aside, gives the
 * message its user's table back and lets go of it. */
static void in_on_close(lode_http_incoming_t* m) {
  in_view_t* iv = in_view_find(m);
  iv->v.closed = 1;
  lode_stream_emit_close(&iv->v.stream, iv->v.had_error);
  const lode_http_incoming_events_t* user = iv->user;
  m->ev = user;
  if (user != NULL && user->on_close != NULL)
    user->on_close(m);
  iv->msg = NULL;
  lode_http_incoming_release(m);
  lode__release(&iv->v.obj);
}

static void in_build(in_view_t* iv, const lode_http_incoming_events_t* user) {
  static const lode_http_incoming_events_t none = { 0 };
  iv->user = user;
  iv->table = user != NULL ? *user : none;
  iv->table.on_data = in_on_data;
  iv->table.on_end = in_on_end;
  iv->table.on_error = in_on_error;
  iv->table.on_close = in_on_close;
}

const lode_http_incoming_events_t* lode__incoming_view_events(
    lode_http_incoming_t* m, const lode_http_incoming_events_t* ev) {
  in_view_t* iv = in_view_find(m);
  if (iv == NULL)
    return ev;
  in_build(iv, ev);
  return &iv->table;
}

static void in_destroy_run(lode__tick_t* t) {
  view_t* v = lode__container_of(t, view_t, destroy_tick);
  in_view_t* iv = lode__container_of(v, in_view_t, v);
  if (iv->msg != NULL)
    lode_http_incoming_destroy(iv->msg, v->destroy_err);
  lode__release(&v->obj);
}

static void in_destroy(lode_stream_t* s, const lode_error_t* err) {
  view_destroy(s, err, in_destroy_run);
}

static void in_pause(lode_stream_t* s) {
  if (in_of(s)->msg != NULL)
    lode_http_incoming_pause(in_of(s)->msg);
}

static void in_resume(lode_stream_t* s) {
  if (in_of(s)->msg != NULL)
    lode_http_incoming_resume(in_of(s)->msg);
}

static const lode_stream_ops_t in_ops = {
  .write = no_write,
  .end = no_end,
  .destroy = in_destroy,
  .pause = in_pause,
  .resume = in_resume,
  .hold = view_hold,
  .release = view_release,
};

/* The body had already ended when the view was made: the view says so on
 * a later turn (Node's pipe ends its destination on the next tick for a
 * source whose end was emitted). */
static void in_late_end(lode__tick_t* t) {
  in_view_t* iv = lode__container_of(t, in_view_t, end_tick);
  if (!iv->v.closed)
    lode_stream_emit_end(&iv->v.stream);
  lode__release(&iv->v.obj);
}

static uv_loop_t* in_loop(const lode_http_incoming_t* m) {
  return m->owner != NULL ? m->owner->loop(m) : m->conn->srv->loop;
}

lode_stream_t* lode_http_incoming_stream(lode_http_incoming_t* m) {
  if (m == NULL || (m->flags & LODE__IN_CLOSED) || m->collect != NULL)
    return NULL;
  in_view_t* iv = in_view_find(m);
  if (iv != NULL)
    return &iv->v.stream;
  iv = calloc(1, sizeof(*iv));
  if (iv == NULL)
    return NULL;
  iv->v.stream.ops = &in_ops;
  iv->v.stream.loop = in_loop(m);
  lode__obj_init(&iv->v.obj, view_free);
  iv->msg = m;
  lode_http_incoming_hold(m);
  /* With no 'data' listener the body waited (Node's paused mode); the
   * view's on_data must not start the flow: the pipe's resume does. */
  int had_reader = m->ev != NULL && m->ev->on_data != NULL;
  if (!had_reader)
    m->flags |= LODE__IN_PAUSED;
  in_build(iv, m->ev);
  m->ev = &iv->table;
  if (m->flags & LODE__IN_END_EMITTED) {
    lode__hold(&iv->v.obj);
    lode__http_later(iv->v.stream.loop, &iv->end_tick, in_late_end);
  }
  return &iv->v.stream;
}

/* ---- OutgoingMessage: a response or a request body as a writable ---- */

typedef struct out_view_s {
  view_t v;
  lode_http_outgoing_t* msg;
  int is_req;
  lode_http_outgoing_events_t table; /* a response's table */
  const lode_http_outgoing_events_t* user;
  lode_http_request_events_t rtable; /* a request's table */
  const lode_http_request_events_t* ruser;
} out_view_t;

static void out_on_close(lode_http_outgoing_t* o);
static void req_on_close(lode_http_request_t* o);

static lode__client_req_t* req_of(const lode_http_outgoing_t* o) {
  return lode__container_of(o, lode__client_req_t, out);
}

static int is_request(const lode_http_outgoing_t* o) {
  return o->ops == &lode__client_ops;
}

static out_view_t* out_view_find(const lode_http_outgoing_t* o) {
  if (is_request(o)) {
    const lode_http_request_events_t* ev = req_of(o)->ev;
    if (ev == NULL || ev->on_close != req_on_close)
      return NULL;
    return lode__container_of(ev, out_view_t, rtable);
  }
  if (o->ev == NULL || o->ev->on_close != out_on_close)
    return NULL;
  return lode__container_of(o->ev, out_view_t, table);
}

static out_view_t* out_of(lode_stream_t* s) {
  return lode__container_of(view_of(s), out_view_t, v);
}

/* The stream's events, shared by both tables: the reader first, then the
 * user's callback (`user_fn`, may be NULL). */
static void out_drain(out_view_t* ov) {
  lode__hold(&ov->v.obj);
  lode_stream_emit_drain(&ov->v.stream);
  lode__release(&ov->v.obj);
}

static void out_error(out_view_t* ov, const lode_error_t* err) {
  ov->v.had_error = 1;
  lode_stream_emit_error(&ov->v.stream, err);
}

static void out_closed(out_view_t* ov) {
  ov->v.closed = 1;
  lode_stream_emit_close(&ov->v.stream, ov->v.had_error);
}

static void out_detach(out_view_t* ov, lode_http_outgoing_t* o) {
  ov->msg = NULL;
  lode_http_outgoing_release(o);
  lode__release(&ov->v.obj);
}

static void out_on_drain(lode_http_outgoing_t* o) {
  out_view_t* ov = out_view_find(o);
  lode__hold(&ov->v.obj);
  out_drain(ov);
  if (ov->user != NULL && ov->user->on_drain != NULL)
    ov->user->on_drain(o);
  lode__release(&ov->v.obj);
}

static void out_on_error(lode_http_outgoing_t* o, const lode_error_t* err) {
  out_view_t* ov = out_view_find(o);
  lode__hold(&ov->v.obj);
  out_error(ov, err);
  if (ov->user != NULL && ov->user->on_error != NULL)
    ov->user->on_error(o, err);
  lode__release(&ov->v.obj);
}

static void out_on_close(lode_http_outgoing_t* o) {
  out_view_t* ov = out_view_find(o);
  out_closed(ov);
  o->ev = ov->user;
  if (ov->user != NULL && ov->user->on_close != NULL)
    ov->user->on_close(o);
  out_detach(ov, o);
}

static void req_on_drain(lode_http_request_t* o) {
  out_view_t* ov = out_view_find(o);
  lode__hold(&ov->v.obj);
  out_drain(ov);
  if (ov->ruser != NULL && ov->ruser->on_drain != NULL)
    ov->ruser->on_drain(o);
  lode__release(&ov->v.obj);
}

static void req_on_error(lode_http_request_t* o, const lode_error_t* err) {
  out_view_t* ov = out_view_find(o);
  lode__hold(&ov->v.obj);
  out_error(ov, err);
  if (ov->ruser != NULL && ov->ruser->on_error != NULL)
    ov->ruser->on_error(o, err);
  lode__release(&ov->v.obj);
}

static void req_on_close(lode_http_request_t* o) {
  out_view_t* ov = out_view_find(o);
  out_closed(ov);
  req_of(o)->ev = ov->ruser;
  if (ov->ruser != NULL && ov->ruser->on_close != NULL)
    ov->ruser->on_close(o);
  out_detach(ov, o);
}

static void out_build(out_view_t* ov, const lode_http_outgoing_events_t* u) {
  static const lode_http_outgoing_events_t none = { 0 };
  ov->user = u;
  ov->table = u != NULL ? *u : none;
  ov->table.on_drain = out_on_drain;
  ov->table.on_error = out_on_error;
  ov->table.on_close = out_on_close;
}

static void req_build(out_view_t* ov, const lode_http_request_events_t* u) {
  static const lode_http_request_events_t none = { 0 };
  ov->ruser = u;
  ov->rtable = u != NULL ? *u : none;
  ov->rtable.on_drain = req_on_drain;
  ov->rtable.on_error = req_on_error;
  ov->rtable.on_close = req_on_close;
}

const lode_http_outgoing_events_t* lode__outgoing_view_events(
    lode_http_outgoing_t* o, const lode_http_outgoing_events_t* ev) {
  out_view_t* ov = is_request(o) ? NULL : out_view_find(o);
  if (ov == NULL)
    return ev;
  out_build(ov, ev);
  return &ov->table;
}

const lode_http_request_events_t* lode__request_view_events(
    lode_http_request_t* o, const lode_http_request_events_t* ev) {
  out_view_t* ov = out_view_find(o);
  if (ov == NULL)
    return ev;
  req_build(ov, ev);
  return &ov->rtable;
}

static int out_write(lode_stream_t* s, const lode_slice_t* bufs, size_t n,
                     lode_stream_cb cb, void* arg) {
  out_view_t* ov = out_of(s);
  if (ov->msg == NULL || ov->v.destroying)
    return LODE_ERR_STREAM_DESTROYED;
  wcb_t* w = NULL;
  if (cb != NULL && (w = wcb_new(&ov->v, cb, arg)) == NULL)
    return UV_ENOMEM;
  lode_slice_t empty = { NULL, 0 };
  if (n == 0)
    bufs = &empty, n = 1;
  /* One message write per buffer; the callback goes with the last. */
  int r = 1, used = 0;
  for (size_t i = 0; i < n && r >= 0; i++) {
    int last = i + 1 == n;
    int ri = lode_http_outgoing_write(
        ov->msg, bufs[i], last && w ? wcb_done : NULL, last ? w : NULL);
    if (last && ri >= 0)
      used = 1;
    if (ri < r)
      r = ri;
  }
  if (!used)
    wcb_free(w);
  return r;
}

static int out_end(lode_stream_t* s, lode_stream_cb cb, void* arg) {
  out_view_t* ov = out_of(s);
  if (ov->msg == NULL || ov->v.destroying)
    return LODE_ERR_STREAM_DESTROYED;
  if (lode_http_outgoing_writable_finished(ov->msg))
    return LODE_ERR_STREAM_ALREADY_FINISHED;
  wcb_t* w = NULL;
  if (cb != NULL && (w = wcb_new(&ov->v, cb, arg)) == NULL)
    return UV_ENOMEM;
  int r = lode_http_outgoing_end(ov->msg, (lode_slice_t){ NULL, 0 },
                                 w ? wcb_done : NULL, w);
  if (r < 0)
    wcb_free(w);
  return r;
}

static void out_destroy_run(lode__tick_t* t) {
  view_t* v = lode__container_of(t, view_t, destroy_tick);
  out_view_t* ov = lode__container_of(v, out_view_t, v);
  if (ov->msg != NULL)
    lode_http_outgoing_destroy(ov->msg, v->destroy_err);
  lode__release(&v->obj);
}

static void out_destroy(lode_stream_t* s, const lode_error_t* err) {
  view_destroy(s, err, out_destroy_run);
}

static void out_cork(lode_stream_t* s) {
  if (out_of(s)->msg != NULL)
    lode_http_outgoing_cork(out_of(s)->msg);
}

static void out_uncork(lode_stream_t* s) {
  if (out_of(s)->msg != NULL)
    lode_http_outgoing_uncork(out_of(s)->msg);
}

static size_t out_writable_length(const lode_stream_t* s) {
  const out_view_t* ov = out_of((lode_stream_t*) s);
  return ov->msg != NULL ? lode_http_outgoing_writable_length(ov->msg) : 0;
}

static const lode_stream_ops_t out_ops = {
  .write = out_write,
  .end = out_end,
  .destroy = out_destroy,
  .cork = out_cork,
  .uncork = out_uncork,
  .writable_length = out_writable_length,
  .hold = view_hold,
  .release = view_release,
};

lode_stream_t* lode_http_outgoing_stream(lode_http_outgoing_t* o) {
  if (o == NULL)
    return NULL;
  out_view_t* ov = out_view_find(o);
  if (ov != NULL)
    return &ov->v.stream;
  if (is_request(o) ? (req_of(o)->flags & LODE__CR_CLOSED) != 0
                    : (o->flags & LODE__OUT_CLOSED) != 0)
    return NULL;
  ov = calloc(1, sizeof(*ov));
  if (ov == NULL)
    return NULL;
  ov->v.stream.ops = &out_ops;
  ov->v.stream.loop = o->loop;
  lode__obj_init(&ov->v.obj, view_free);
  ov->msg = o;
  lode_http_outgoing_hold(o);
  if (is_request(o)) {
    ov->is_req = 1;
    req_build(ov, req_of(o)->ev);
    req_of(o)->ev = &ov->rtable;
  } else {
    out_build(ov, o->ev);
    o->ev = &ov->table;
  }
  return &ov->v.stream;
}
