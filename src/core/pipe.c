/* Node's readable.pipe / unpipe and stream.pipeline on lode_stream_t.
 *
 * A stream has one reader, and a stream may be the source of some pipes
 * and the destination of others at once (a.pipe(b); b.pipe(a); c.pipe(c)).
 * So each piped stream gets one hub: the hub is the stream's reader, and
 * it serves every role the stream has: as a source it writes each chunk
 * to the destinations and passes the end on; as a destination it resumes
 * the sources waiting for its drain and unpipes them on its error or
 * close. Whatever reader the stream had before keeps hearing every event,
 * after the hub (so the stream's own reader duties, drain included, are
 * still met), and gets its place back when the stream's last pipe goes.
 *
 * Node's pipe keeps listeners until the destination finishes; here a pipe
 * goes as soon as nothing can flow through it any more (the source ended,
 * closed, or was unpiped), which Node users cannot tell apart. */
#include "lode/options.h"
#include "lode/stream.h"
#include "core/internal.h"
#include "core/loop.h"

#include <stdlib.h>
#include <string.h>

typedef struct hub_s hub_t;
typedef struct pipeline_s pipeline_t;

typedef struct pipe_s {
  lode__queue_t out_link; /* in the source hub's `outs` */
  lode__queue_t in_link;  /* in the destination hub's `ins` */
  hub_t* src;
  hub_t* dst;
  int end;            /* pass the source's end on */
  int awaiting_drain; /* a write returned 0: the source waits */
} pipe_t;

struct hub_s {
  lode_stream_t* s;
  const lode_stream_reader_t* prev; /* the reader the stream had */
  void* prev_ctx;
  lode__queue_t outs; /* pipes this stream is the source of */
  lode__queue_t ins;  /* pipes this stream is the destination of */
  unsigned awaiting;  /* outs waiting for their destination's drain */
  unsigned refs;      /* attached + calls in progress */
  int attached;
  int ended;      /* the stream emitted end */
  pipeline_t* pl; /* the pipeline the stream is in, if any */
  size_t pl_index;
};

static const lode_stream_reader_t hub_reader;

/* ---- Hubs ---- */

static hub_t* hub_find(lode_stream_t* s) {
  return s->reader == &hub_reader ? s->reader_ctx : NULL;
}

static hub_t* hub_get(lode_stream_t* s) {
  hub_t* h = hub_find(s);
  if (h != NULL)
    return h;
  h = calloc(1, sizeof(*h));
  if (h == NULL)
    return NULL;
  h->s = s;
  h->prev = s->reader;
  h->prev_ctx = s->reader_ctx;
  lode__queue_init(&h->outs);
  lode__queue_init(&h->ins);
  h->refs = 1;
  h->attached = 1;
  lode_stream_set_reader(s, &hub_reader, h);
  return h;
}

static void hub_hold(hub_t* h) {
  h->refs++;
}

/* Not inlined: gcc's -Wuse-after-free cannot follow the reference count
 * through inlined holds and releases and would warn on every caller. */
__attribute__((noinline)) static void hub_release(hub_t* h) {
  if (--h->refs == 0)
    free(h);
}

/* A hub with no role left gives the stream its reader back. `closed`: the
 * stream has closed (nothing to give back). */
static void hub_maybe_detach(hub_t* h, int closed) {
  if (!h->attached)
    return;
  if (!closed && (!lode__queue_empty(&h->outs) || !lode__queue_empty(&h->ins) ||
                  h->pl != NULL))
    return;
  h->attached = 0;
  if (!closed && h->s->reader == &hub_reader)
    lode_stream_set_reader(h->s, h->prev, h->prev_ctx);
  hub_release(h);
}

/* ---- Pipes ---- */

/* Node's pipe's pause(): the source waits for this destination's drain. */
static void pipe_wait_drain(pipe_t* p) {
  if (!p->awaiting_drain) {
    p->awaiting_drain = 1;
    p->src->awaiting++;
  }
  lode_stream_pause(p->src->s);
}

/* Node's pipeOnDrain: the source flows again once no destination it
 * writes to is over its mark. */
static void pipe_drained(pipe_t* p) {
  if (!p->awaiting_drain)
    return;
  p->awaiting_drain = 0;
  if (--p->src->awaiting == 0)
    lode_stream_resume(p->src->s);
}

static void pipe_unlink(pipe_t* p) {
  lode__queue_remove(&p->out_link);
  lode__queue_remove(&p->in_link);
  if (p->awaiting_drain) {
    p->awaiting_drain = 0;
    p->src->awaiting--;
  }
}

/* Drops a pipe through which nothing can flow any more, and the hubs
 * left without a role. */
static void pipe_free(pipe_t* p) {
  hub_t* src = p->src;
  hub_t* dst = p->dst;
  pipe_unlink(p);
  free(p);
  hub_maybe_detach(src, 0);
  if (dst != src)
    hub_maybe_detach(dst, 0);
}

/* Node's src.unpipe(dest) and the pipe's cleanup(): with `pause`, the
 * source pauses when it pipes nowhere else; then, if it was waiting for
 * this destination's drain, that wait is over (Node then resumes it). */
static void pipe_unpipe(pipe_t* p, int pause) {
  hub_t* src = p->src;
  int was_waiting = p->awaiting_drain;
  lode__queue_remove(&p->out_link);
  if (pause && lode__queue_empty(&src->outs))
    lode_stream_pause(src->s);
  if (was_waiting)
    pipe_drained(p);
  pipe_free(p);
}

static pipe_t* pipe_of_out(lode__queue_t* e) {
  return lode__container_of(e, pipe_t, out_link);
}

static pipe_t* pipe_of_in(lode__queue_t* e) {
  return lode__container_of(e, pipe_t, in_link);
}

int lode_stream_pipe(lode_stream_t* src, lode_stream_t* dst,
                     const lode_stream_pipe_opts_t* opts) {
  if (src == NULL || dst == NULL)
    return UV_EINVAL;
  pipe_t* p = calloc(1, sizeof(*p));
  if (p == NULL)
    return UV_ENOMEM;
  hub_t* hs = hub_get(src);
  hub_t* hd = hs != NULL ? hub_get(dst) : NULL;
  if (hd == NULL) {
    free(p);
    if (hs != NULL)
      hub_maybe_detach(hs, 0);
    return UV_ENOMEM;
  }
  p->src = hs;
  p->dst = hd;
  p->end = opts == NULL || LODE_OPT_BOOL(opts->end, 1);
  lode__queue_insert_tail(&hs->outs, &p->out_link);
  lode__queue_insert_tail(&hd->ins, &p->in_link);
  /* Node: a destination already over its mark pauses the source at once;
   * otherwise the flow starts. */
  int dst_full = 0;
  lode__queue_t* e;
  lode__queue_foreach(e, &hd->ins) dst_full |= pipe_of_in(e)->awaiting_drain;
  if (dst_full)
    pipe_wait_drain(p);
  else if (hs->awaiting == 0)
    lode_stream_resume(src);
  return 0;
}

void lode_stream_unpipe(lode_stream_t* src, lode_stream_t* dst) {
  if (src == NULL)
    return;
  hub_t* h = hub_find(src);
  if (h == NULL)
    return;
  hub_hold(h);
  lode__queue_t* e = lode__queue_head(&h->outs);
  while (e != &h->outs) {
    pipe_t* p = pipe_of_out(e);
    e = e->next;
    if (dst != NULL && p->dst->s != dst)
      continue;
    pipe_unpipe(p, 1);
    if (dst != NULL)
      break; /* Node removes one pipe to `dst` */
    e = lode__queue_head(&h->outs);
  }
  hub_release(h);
}

/* ---- Pipelines ---- */

enum {
  PL_READ_OK = 1 << 0,  /* the readable side ended */
  PL_WRITE_OK = 1 << 1, /* the writable side finished */
  PL_CLOSED = 1 << 2,
  PL_DESTROYED = 1 << 3, /* the pipeline destroyed it */
};

typedef struct pl_entry_s {
  pipeline_t* pl;
  lode_stream_t* s;
  unsigned flags;
} pl_entry_t;

struct pipeline_s {
  lode_stream_cb cb;
  void* arg;
  lode__loop_t* loop; /* for the callback's tick */
  lode__tick_t tick;
  lode_error_t* err; /* the first error (premature close yields) */
  int code;          /* its code (kept if the copy fails) */
  int failed;
  int done;
  int called;            /* cb has run; the memory waits for the ends */
  unsigned ends_pending; /* end() callbacks still to come */
  size_t n;
  pl_entry_t e[];
};

static int pl_reading(const pipeline_t* pl, size_t i) {
  return i + 1 < pl->n;
}
static int pl_writing(const pipeline_t* pl, size_t i) {
  return i > 0;
}

/* Node's eos() for the roles the stream has in the pipeline. */
static int pl_entry_ok(const pipeline_t* pl, size_t i) {
  unsigned f = pl->e[i].flags;
  return (!pl_reading(pl, i) || (f & PL_READ_OK)) &&
         (!pl_writing(pl, i) || (f & PL_WRITE_OK));
}

static void pl_fail(pipeline_t* pl, const lode_error_t* err) {
  if (pl->code == 0 || (pl->code == LODE_ERR_STREAM_PREMATURE_CLOSE &&
                        err->code != LODE_ERR_STREAM_PREMATURE_CLOSE)) {
    pl->code = err->code;
    lode_error_t* copy = lode_error_copy(err);
    if (copy != NULL) {
      lode_error_free(pl->err);
      pl->err = copy;
    }
  }
  if (pl->failed)
    return;
  pl->failed = 1;
  /* Node's destroyer: every stream not done yet goes, with the error. */
  for (size_t i = 0; i < pl->n; i++) {
    pl_entry_t* en = &pl->e[i];
    if (en->flags & (PL_CLOSED | PL_DESTROYED) || pl_entry_ok(pl, i))
      continue;
    en->flags |= PL_DESTROYED;
    lode_stream_destroy(en->s, pl->err != NULL ? pl->err : err);
  }
}

static void pl_fail_code(pipeline_t* pl, int code) {
  lode_error_t e;
  lode_error_init(&e, code);
  pl_fail(pl, &e);
}

static void pl_free(pipeline_t* pl) {
  lode_error_free(pl->err);
  free(pl);
}

static void pl_call_back(lode__tick_t* t) {
  pipeline_t* pl = lode__container_of(t, pipeline_t, tick);
  lode_stream_t* last = pl->e[pl->n - 1].s;
  if (pl->cb != NULL)
    pl->cb(last, pl->code, pl->arg);
  for (size_t i = 0; i < pl->n; i++)
    lode_stream_release(pl->e[i].s);
  lode__loop_put(pl->loop);
  pl->called = 1;
  /* An end() the pipeline made still owes its callback (a stream may call
   * it after its close): the memory stays until then. */
  if (pl->ends_pending == 0)
    pl_free(pl);
}

/* Settled: success when every stream has done its part; failure once
 * every stream not done has closed (nothing is left half torn down). */
static void pl_maybe_done(pipeline_t* pl) {
  if (pl->done)
    return;
  for (size_t i = 0; i < pl->n; i++) {
    int ok = pl_entry_ok(pl, i);
    if (!ok && !(pl->e[i].flags & PL_CLOSED))
      return;
    if (!ok && pl->code == 0)
      pl_fail_code(pl, LODE_ERR_STREAM_PREMATURE_CLOSE);
  }
  pl->done = 1;
  /* The pipeline's pipes went with their sources' ends and closes; pipes
   * the program made itself stay. */
  for (size_t i = 0; i < pl->n; i++) {
    lode_stream_t* s = pl->e[i].s;
    hub_t* h = (pl->e[i].flags & PL_CLOSED) ? NULL : hub_find(s);
    if (h != NULL && h->pl == pl) {
      h->pl = NULL;
      hub_maybe_detach(h, 0);
    }
  }
  /* Node calls back on the next tick (after the listeners of the event
   * that settled it, a response's close for one). */
  lode__tick(pl->loop, &pl->tick, pl_call_back);
}

static void pl_on_end(pipeline_t* pl, size_t i);

static void pl_end_done(lode_stream_t* s, int status, void* arg) {
  pl_entry_t* en = arg;
  pipeline_t* pl = en->pl;
  (void) s;
  pl->ends_pending--;
  if (pl->called) {
    if (pl->ends_pending == 0)
      pl_free(pl);
    return;
  }
  if (status == 0)
    en->flags |= PL_WRITE_OK;
  else if (status != LODE_ERR_STREAM_DESTROYED)
    pl_fail_code(pl, status);
  /* A destroyed stream is judged by its close. */
  pl_maybe_done(pl);
}

static void pl_on_end(pipeline_t* pl, size_t i) {
  if (!pl_reading(pl, i) || (pl->e[i].flags & PL_READ_OK))
    return;
  pl->e[i].flags |= PL_READ_OK;
  pl_entry_t* next = &pl->e[i + 1];
  if (!(next->flags & (PL_CLOSED | PL_DESTROYED))) {
    int r = lode_stream_end(next->s, pl_end_done, next);
    if (r == 0)
      pl->ends_pending++;
    else if (r == LODE_ERR_STREAM_ALREADY_FINISHED)
      next->flags |= PL_WRITE_OK;
    else if (r < 0 && r != LODE_ERR_STREAM_DESTROYED)
      pl_fail_code(pl, r);
  }
}

static void pl_on_close(pipeline_t* pl, size_t i) {
  pl->e[i].flags |= PL_CLOSED;
  if (!pl_entry_ok(pl, i))
    pl_fail_code(pl, LODE_ERR_STREAM_PREMATURE_CLOSE);
}

int lode_stream_pipeline(lode_stream_t* const* streams, size_t n,
                         lode_stream_cb cb, void* arg) {
  if (streams == NULL || n < 2)
    return LODE_ERR_MISSING_ARGS;
  for (size_t i = 0; i < n; i++) {
    if (streams[i] == NULL)
      return UV_EINVAL;
    hub_t* h = hub_find(streams[i]);
    if (h != NULL && h->pl != NULL)
      return UV_EBUSY;
    for (size_t j = 0; j < i; j++)
      if (streams[j] == streams[i])
        return UV_EBUSY;
  }
  pipeline_t* pl = calloc(1, sizeof(*pl) + n * sizeof(pl_entry_t));
  if (pl == NULL)
    return UV_ENOMEM;
  pl->cb = cb;
  pl->arg = arg;
  pl->n = n;
  pl->loop = lode__loop_get(streams[0]->loop);
  hub_t** hubs = pl->loop != NULL ? calloc(n, sizeof(*hubs)) : NULL;
  size_t got = 0;
  for (; hubs != NULL && got < n; got++)
    if ((hubs[got] = hub_get(streams[got])) == NULL)
      break;
  if (got < n) {
    for (size_t i = 0; i < got; i++)
      hub_maybe_detach(hubs[i], 0);
    free(hubs);
    if (pl->loop != NULL)
      lode__loop_put(pl->loop);
    free(pl);
    return UV_ENOMEM;
  }
  for (size_t i = 0; i < n; i++) {
    pl->e[i].pl = pl;
    pl->e[i].s = streams[i];
    hubs[i]->pl = pl;
    hubs[i]->pl_index = i;
    lode_stream_hold(streams[i]);
  }
  /* Node: pipe(src, dst, { end: false }) per pair; the pipeline ends each
   * destination itself so that it hears the finish. */
  static const lode_stream_pipe_opts_t no_end = { .end = LODE_FALSE };
  int r = 0;
  for (size_t i = 0; i + 1 < n && r == 0; i++)
    r = lode_stream_pipe(streams[i], streams[i + 1], &no_end);
  free(hubs);
  if (r != 0) {
    /* Out of memory half way: undo, as if nothing had been called. */
    for (size_t i = 0; i < n; i++) {
      hub_t* h = hub_find(streams[i]);
      if (h == NULL)
        continue;
      h->pl = NULL;
      lode_stream_unpipe(streams[i], NULL);
      hub_maybe_detach(h, 0);
      lode_stream_release(streams[i]);
    }
    lode__loop_put(pl->loop);
    free(pl);
    return r;
  }
  return 0;
}

/* ---- The hub as the stream's reader ---- */

static void hub_on_data(void* ctx, lode_stream_t* s, lode_slice_t data) {
  hub_t* h = ctx;
  hub_hold(h);
  lode__queue_t* e;
  /* Writes never call back from inside the call, so the list holds. */
  lode__queue_foreach(e, &h->outs) {
    pipe_t* p = pipe_of_out(e);
    /* Node's write returns false on an error too (a destroyed or ended
     * destination): the source waits, until the unpipe that follows. */
    if (lode_stream_write(p->dst->s, data, NULL, NULL) <= 0)
      pipe_wait_drain(p);
  }
  const lode_stream_reader_t* r = h->prev;
  if (r != NULL && r->on_data != NULL)
    r->on_data(h->prev_ctx, s, data);
  hub_release(h);
}

static void hub_on_end(void* ctx, lode_stream_t* s) {
  hub_t* h = ctx;
  hub_hold(h);
  h->ended = 1;
  while (!lode__queue_empty(&h->outs)) {
    pipe_t* p = pipe_of_out(lode__queue_head(&h->outs));
    if (p->end) {
      lode_stream_end(p->dst->s, NULL, NULL);
      pipe_free(p);
    } else {
      pipe_unpipe(p, 1); /* Node: end: false unpipes at the end */
    }
  }
  pipeline_t* pl = h->pl;
  if (pl != NULL)
    pl_on_end(pl, h->pl_index);
  const lode_stream_reader_t* r = h->prev;
  if (r != NULL && r->on_end != NULL)
    r->on_end(h->prev_ctx, s);
  if (pl != NULL && h->pl == pl)
    pl_maybe_done(pl);
  hub_release(h);
}

static void hub_on_drain(void* ctx, lode_stream_t* s) {
  hub_t* h = ctx;
  hub_hold(h);
  lode__queue_t* e;
  lode__queue_foreach(e, &h->ins) pipe_drained(pipe_of_in(e));
  const lode_stream_reader_t* r = h->prev;
  if (r != NULL && r->on_drain != NULL)
    r->on_drain(h->prev_ctx, s);
  hub_release(h);
}

/* Node: a destination's error or close unpipes it, and the source is
 * neither ended nor destroyed. Node also pauses a source that pipes
 * nowhere else, but a paused Node socket still reads its end (when it
 * holds no data) and closes; a paused lode stream emits no end, so the
 * source would stay open for ever (a proxy's other socket). So the source
 * is left flowing: what it reads goes to its own reader, if any, and its
 * end and close come (docs/streams.md). */
static void hub_unpipe_ins(hub_t* h) {
  while (!lode__queue_empty(&h->ins))
    pipe_unpipe(pipe_of_in(lode__queue_head(&h->ins)), 0);
}

static void hub_on_error(void* ctx, lode_stream_t* s, const lode_error_t* err) {
  hub_t* h = ctx;
  hub_hold(h);
  hub_unpipe_ins(h);
  pipeline_t* pl = h->pl;
  if (pl != NULL)
    pl_fail(pl, err);
  const lode_stream_reader_t* r = h->prev;
  if (r != NULL && r->on_error != NULL)
    r->on_error(h->prev_ctx, s, err);
  hub_release(h);
}

static void hub_on_close(void* ctx, lode_stream_t* s, int had_error) {
  hub_t* h = ctx;
  hub_hold(h);
  hub_unpipe_ins(h);
  /* A source that closes without its end leaves its destinations as they
   * are (Node's pipe does not end or destroy them). */
  while (!lode__queue_empty(&h->outs))
    pipe_free(pipe_of_out(lode__queue_head(&h->outs)));
  pipeline_t* pl = h->pl;
  if (pl != NULL)
    pl_on_close(pl, h->pl_index);
  const lode_stream_reader_t* r = h->prev;
  if (r != NULL && r->on_close != NULL)
    r->on_close(h->prev_ctx, s, had_error);
  if (pl != NULL && h->pl == pl) {
    h->pl = NULL;
    pl_maybe_done(pl);
  }
  hub_maybe_detach(h, 1);
  hub_release(h);
}

static const lode_stream_reader_t hub_reader = {
  .on_data = hub_on_data,
  .on_end = hub_on_end,
  .on_drain = hub_on_drain,
  .on_error = hub_on_error,
  .on_close = hub_on_close,
};
