/* The duplex stream interface's generic calls, and the in-memory pair.
 *
 * The pair behaves like two connected sockets whose kernel buffers hold
 * nothing: a write stays queued on the writer until the peer's reader has
 * taken it, so a paused reader really holds the writer back (no drain, no
 * write callback). Everything is delivered by one uv_idle_t per pair that
 * runs only while there is work; each pass first emits the closes decided
 * in the pass before, then moves data both ways, so close always comes a
 * pass after the event that caused it, as Node's nextTick does. */
#include "lode/stream.h"
#include "core/internal.h"

#include <stdlib.h>
#include <string.h>

void lode_stream_set_reader(lode_stream_t* s, const lode_stream_reader_t* r,
                            void* ctx) {
  if (s == NULL)
    return;
  s->reader = r;
  s->reader_ctx = r != NULL ? ctx : NULL;
}

int lode_stream_write(lode_stream_t* s, lode_slice_t data, lode_stream_cb cb,
                      void* arg) {
  return lode_stream_writev(s, &data, 1, cb, arg);
}

int lode_stream_writev(lode_stream_t* s, const lode_slice_t* bufs, size_t nbufs,
                       lode_stream_cb cb, void* arg) {
  if (s == NULL)
    return UV_EINVAL;
  if (bufs == NULL && nbufs > 0)
    return LODE_ERR_STREAM_NULL_VALUES;
  for (size_t i = 0; i < nbufs; i++)
    if (bufs[i].base == NULL && bufs[i].len > 0)
      return LODE_ERR_STREAM_NULL_VALUES;
  return s->ops->write(s, bufs, nbufs, cb, arg);
}

int lode_stream_end(lode_stream_t* s, lode_stream_cb cb, void* arg) {
  return s != NULL ? s->ops->end(s, cb, arg) : UV_EINVAL;
}

void lode_stream_destroy(lode_stream_t* s, const lode_error_t* err) {
  if (s != NULL)
    s->ops->destroy(s, err);
}

#define FORWARD_(name)                                                         \
  void lode_stream_##name(lode_stream_t* s) {                                  \
    if (s != NULL && s->ops->name != NULL)                                     \
      s->ops->name(s);                                                         \
  }
FORWARD_(pause)
FORWARD_(resume)
FORWARD_(cork)
FORWARD_(uncork)
FORWARD_(hold)
FORWARD_(release)
#undef FORWARD_

size_t lode_stream_writable_length(const lode_stream_t* s) {
  if (s == NULL || s->ops->writable_length == NULL)
    return 0;
  return s->ops->writable_length(s);
}

/* The emitters read the reader at the moment of the event: a callback may
 * change or clear it. */
void lode_stream_emit_data(lode_stream_t* s, lode_slice_t data) {
  const lode_stream_reader_t* r = s->reader;
  if (r != NULL && r->on_data != NULL)
    r->on_data(s->reader_ctx, s, data);
}

void lode_stream_emit_end(lode_stream_t* s) {
  const lode_stream_reader_t* r = s->reader;
  if (r != NULL && r->on_end != NULL)
    r->on_end(s->reader_ctx, s);
}

void lode_stream_emit_drain(lode_stream_t* s) {
  const lode_stream_reader_t* r = s->reader;
  if (r != NULL && r->on_drain != NULL)
    r->on_drain(s->reader_ctx, s);
}

void lode_stream_emit_error(lode_stream_t* s, const lode_error_t* err) {
  const lode_stream_reader_t* r = s->reader;
  if (r != NULL && r->on_error != NULL)
    r->on_error(s->reader_ctx, s, err);
}

void lode_stream_emit_close(lode_stream_t* s, int had_error) {
  const lode_stream_reader_t* r = s->reader;
  if (r != NULL && r->on_close != NULL)
    r->on_close(s->reader_ctx, s, had_error);
}

/* ---- The in-memory pair ---- */

enum {
  F_PAUSED = LODE__F_KIND << 0,
  F_ENDING = LODE__F_KIND << 1,   /* end() was called */
  F_FINISHED = LODE__F_KIND << 2, /* the end reached the peer */
  F_ENDED = LODE__F_KIND << 3,    /* on_end was emitted (readable done) */
  F_NEED_DRAIN = LODE__F_KIND << 4,
  F_FREED = LODE__F_KIND << 5,
};

typedef enum { CHUNK_DATA, CHUNK_END, CHUNK_MARK } chunk_kind_t;

typedef struct chunk_s {
  lode__queue_t q;
  chunk_kind_t kind;
  lode_stream_cb cb;
  void* arg;
  size_t len;
  char data[];
} chunk_t;

typedef struct pair_s pair_t;

typedef struct side_s {
  lode_stream_t stream;
  lode__obj_t obj;
  pair_t* pair;
  struct side_s* peer;
  lode__queue_t out; /* written, not yet taken by the peer's reader */
  size_t out_len;
  unsigned corked;
  lode_error_t* err; /* destroy()'s error, until it is emitted */
} side_t;

struct pair_s {
  uv_idle_t idle;
  side_t side[2];
  int closing;
};

static side_t* side_of(const lode_stream_t* s) {
  return lode__container_of(s, side_t, stream);
}

static int flag(const side_t* s, uint32_t f) {
  return (s->obj.flags & f) != 0;
}

static void on_tick(uv_idle_t* h);

static void schedule(pair_t* p) {
  if (!p->closing)
    uv_idle_start(&p->idle, on_tick);
}

static void free_pair(uv_handle_t* h) {
  free(lode__container_of((uv_idle_t*) h, pair_t, idle));
}

/* A side's memory goes with the pair, when both sides are unreferenced. */
static void free_side(lode__obj_t* o) {
  side_t* s = lode__container_of(o, side_t, obj);
  s->obj.flags |= F_FREED;
  if (!flag(s->peer, F_FREED))
    return;
  s->pair->closing = 1;
  uv_close((uv_handle_t*) &s->pair->idle, free_pair);
}

static chunk_t* chunk_new(chunk_kind_t kind, size_t len, lode_stream_cb cb,
                          void* arg) {
  chunk_t* c = malloc(sizeof(*c) + len);
  if (c == NULL)
    return NULL;
  c->kind = kind;
  c->cb = cb;
  c->arg = arg;
  c->len = len;
  return c;
}

static void push(side_t* s, chunk_t* c) {
  lode__queue_insert_tail(&s->out, &c->q);
  s->out_len += c->len;
  schedule(s->pair);
}

static void pair_destroy(lode_stream_t* st, const lode_error_t* err) {
  side_t* s = side_of(st);
  if (flag(s, LODE__F_DESTROYED))
    return;
  s->obj.flags |= LODE__F_DESTROYED;
  if (err != NULL) {
    s->err = lode_error_copy(err);
    if (s->err == NULL) { /* out of memory: still report the code */
      lode_error_t e;
      lode_error_init(&e, err->code);
      s->err = lode_error_copy(&e);
    }
  }
  schedule(s->pair);
}

static void destroy_code(side_t* s, int code, const char* syscall) {
  lode_error_t e;
  if (syscall != NULL)
    lode_error_init_sys(&e, code, syscall, NULL, 0);
  else
    lode_error_init(&e, code);
  pair_destroy(&s->stream, &e);
}

static int pair_write(lode_stream_t* st, const lode_slice_t* bufs, size_t nbufs,
                      lode_stream_cb cb, void* arg) {
  side_t* s = side_of(st);
  if (flag(s, LODE__F_DESTROYED))
    return LODE_ERR_STREAM_DESTROYED;
  if (flag(s, F_ENDING)) {
    /* Node emits the error and, with autoDestroy, destroys the stream. */
    destroy_code(s, LODE_ERR_STREAM_WRITE_AFTER_END, NULL);
    return LODE_ERR_STREAM_WRITE_AFTER_END;
  }
  size_t len = 0;
  for (size_t i = 0; i < nbufs; i++) {
    if (bufs[i].len > SIZE_MAX / 2 - len)
      return UV_ENOMEM;
    len += bufs[i].len;
  }
  chunk_t* c = chunk_new(CHUNK_DATA, len, cb, arg);
  if (c == NULL)
    return UV_ENOMEM;
  len = 0;
  for (size_t i = 0; i < nbufs; i++) {
    if (bufs[i].len > 0)
      memcpy(c->data + len, bufs[i].base, bufs[i].len);
    len += bufs[i].len;
  }
  push(s, c);
  if (s->out_len < LODE__HIGH_WATER_MARK)
    return 1;
  s->obj.flags |= F_NEED_DRAIN;
  return 0;
}

static int pair_end(lode_stream_t* st, lode_stream_cb cb, void* arg) {
  side_t* s = side_of(st);
  if (flag(s, LODE__F_DESTROYED))
    return LODE_ERR_STREAM_DESTROYED;
  if (flag(s, F_FINISHED))
    return LODE_ERR_STREAM_ALREADY_FINISHED;
  /* A second end() while the first is pending only waits for it. */
  chunk_t* c = chunk_new(flag(s, F_ENDING) ? CHUNK_MARK : CHUNK_END, 0, cb,
                         arg);
  if (c == NULL)
    return UV_ENOMEM;
  s->obj.flags |= F_ENDING;
  s->corked = 0; /* end() uncorks, as in Node */
  push(s, c);
  return 0;
}

static void pair_pause(lode_stream_t* st) {
  side_of(st)->obj.flags |= F_PAUSED;
}

static void pair_resume(lode_stream_t* st) {
  side_t* s = side_of(st);
  s->obj.flags &= ~(uint32_t) F_PAUSED;
  schedule(s->pair);
}

static void pair_cork(lode_stream_t* st) {
  side_of(st)->corked++;
}

static void pair_uncork(lode_stream_t* st) {
  side_t* s = side_of(st);
  if (s->corked > 0 && --s->corked == 0)
    schedule(s->pair);
}

static size_t pair_writable_length(const lode_stream_t* st) {
  return side_of(st)->out_len;
}

static void pair_hold(lode_stream_t* st) {
  lode__hold(&side_of(st)->obj);
}

static void pair_release(lode_stream_t* st) {
  lode__release(&side_of(st)->obj);
}

static const lode_stream_ops_t pair_ops = {
  .write = pair_write,
  .end = pair_end,
  .destroy = pair_destroy,
  .pause = pair_pause,
  .resume = pair_resume,
  .cork = pair_cork,
  .uncork = pair_uncork,
  .writable_length = pair_writable_length,
  .hold = pair_hold,
  .release = pair_release,
};

/* Whether `r` takes data now: flowing, with someone listening ('data'
 * without a listener is not consumed in Node either). */
static int reading(const side_t* r) {
  return !flag(r, F_PAUSED | LODE__F_DESTROYED) && r->stream.reader != NULL &&
         r->stream.reader->on_data != NULL;
}

static chunk_t* pop(side_t* s) {
  chunk_t* c = lode__container_of(lode__queue_head(&s->out), chunk_t, q);
  lode__queue_remove(&c->q);
  s->out_len -= c->len;
  return c;
}

/* Runs a chunk's callback and frees it. Returns 1 when the writer was
 * destroyed meanwhile (the caller stops). */
static int complete(side_t* w, chunk_t* c, int status) {
  lode_stream_cb cb = c->cb;
  void* arg = c->arg;
  free(c);
  if (cb != NULL)
    cb(&w->stream, status, arg);
  return flag(w, LODE__F_DESTROYED);
}

/* Hands one chunk of `w` to its peer `r`. Returns 1 when `w` must stop. */
static int deliver_one(side_t* w, side_t* r) {
  chunk_t* c = pop(w);
  if (c->kind == CHUNK_DATA && c->len > 0)
    lode_stream_emit_data(&r->stream, (lode_slice_t){ c->data, c->len });
  else if (c->kind == CHUNK_END) {
    w->obj.flags |= F_FINISHED;
    r->obj.flags |= F_ENDED;
    lode_stream_emit_end(&r->stream);
  }
  return complete(w, c, 0);
}

/* A peer that is gone takes nothing: its writer fails with EPIPE, as a
 * socket writing to a closed connection does; ends just finish. */
static int deliver_to_gone(side_t* w) {
  while (!lode__queue_empty(&w->out)) {
    chunk_t* c = lode__container_of(lode__queue_head(&w->out), chunk_t, q);
    if (c->kind == CHUNK_DATA) {
      destroy_code(w, UV_EPIPE, "write");
      return 1;
    }
    if (c->kind == CHUNK_END)
      w->obj.flags |= F_FINISHED;
    if (complete(w, pop(w), 0))
      return 1;
  }
  return 0;
}

/* Moves what `w` has written to `r`; returns 1 when anything happened.
 * Only the chunks queued when it starts are moved, so a reader that
 * writes back from on_data cannot keep one pass going forever. */
static int deliver(side_t* w, side_t* r) {
  int progress = 0;
  if (flag(w, LODE__F_DESTROYED)) {
    /* The writer is gone: the reader sees the end of the stream. */
    if (!flag(r, F_ENDED) && reading(r)) {
      r->obj.flags |= F_ENDED;
      lode_stream_emit_end(&r->stream);
      return 1;
    }
    return 0;
  }
  if (w->corked > 0)
    return 0;
  if (flag(r, LODE__F_DESTROYED))
    return !lode__queue_empty(&w->out) ? (deliver_to_gone(w), 1) : 0;
  size_t n = 0;
  lode__queue_t* e;
  lode__queue_foreach(e, &w->out) n++;
  for (; n > 0 && !lode__queue_empty(&w->out) && w->corked == 0; n--) {
    chunk_t* c = lode__container_of(lode__queue_head(&w->out), chunk_t, q);
    if (c->kind != CHUNK_MARK && !reading(r))
      break;
    progress = 1;
    if (deliver_one(w, r))
      return 1;
  }
  if (flag(w, F_NEED_DRAIN) && w->out_len == 0) {
    w->obj.flags &= ~(uint32_t) F_NEED_DRAIN;
    lode_stream_emit_drain(&w->stream);
    progress = 1;
  }
  return progress;
}

/* The last events of a destroyed side: error, the callbacks of what it
 * never wrote, close; then its own reference goes. */
static void finish(side_t* s) {
  lode_error_t* err = s->err;
  s->err = NULL;
  if (err != NULL)
    lode_stream_emit_error(&s->stream, err);
  while (!lode__queue_empty(&s->out))
    complete(s, pop(s), LODE_ERR_STREAM_DESTROYED);
  s->obj.flags |= LODE__F_CLOSED;
  lode_stream_emit_close(&s->stream, err != NULL);
  lode_error_free(err);
  lode__release(&s->obj);
}

/* Node's autoDestroy: a side whose both halves are done closes. */
static int auto_destroy(side_t* s) {
  if (flag(s, LODE__F_DESTROYED) || !flag(s, F_FINISHED) || !flag(s, F_ENDED))
    return 0;
  s->obj.flags |= LODE__F_DESTROYED;
  return 1;
}

static void on_tick(uv_idle_t* h) {
  pair_t* p = lode__container_of(h, pair_t, idle);
  side_t* a = &p->side[0];
  side_t* b = &p->side[1];
  int progress = 0;
  /* Keep both sides (and so the pair) allocated through the pass; a side
   * already freed is closed and only its flags are read. */
  int hold_a = !flag(a, F_FREED), hold_b = !flag(b, F_FREED);
  if (hold_a)
    lode__hold(&a->obj);
  if (hold_b)
    lode__hold(&b->obj);
  for (int i = 0; i < 2; i++) {
    side_t* s = &p->side[i];
    if (flag(s, LODE__F_DESTROYED) && !flag(s, LODE__F_CLOSED)) {
      finish(s);
      progress = 1;
    }
  }
  progress |= deliver(a, b);
  progress |= deliver(b, a);
  progress |= auto_destroy(a);
  progress |= auto_destroy(b);
  if (hold_a)
    lode__release(&a->obj);
  if (hold_b)
    lode__release(&b->obj);
  if (!progress && !p->closing)
    uv_idle_stop(&p->idle);
}

static void side_init(pair_t* p, side_t* s, side_t* peer, uv_loop_t* loop) {
  s->stream.ops = &pair_ops;
  s->stream.loop = loop;
  lode__obj_init(&s->obj, free_side);
  s->pair = p;
  s->peer = peer;
  lode__queue_init(&s->out);
}

int lode_stream_pair(uv_loop_t* loop, lode_stream_t** a, lode_stream_t** b) {
  if (loop == NULL || a == NULL || b == NULL)
    return UV_EINVAL;
  pair_t* p = calloc(1, sizeof(*p));
  if (p == NULL)
    return UV_ENOMEM;
  int rc = uv_idle_init(loop, &p->idle);
  if (rc != 0) {
    free(p);
    return rc;
  }
  side_init(p, &p->side[0], &p->side[1], loop);
  side_init(p, &p->side[1], &p->side[0], loop);
  *a = &p->side[0].stream;
  *b = &p->side[1].stream;
  return 0;
}
