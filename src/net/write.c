/* net.Socket writing: the queue, Node's write() return value and 'drain',
 * end() and the half-close, cork/uncork, and write callbacks in order.
 *
 * A write first tries the kernel directly (uv_try_write) when nothing is
 * queued, so the common small write costs no allocation; what the kernel
 * does not take is copied into one request. Callbacks always run
 * asynchronously and in the order of the writes: completed requests go to
 * a list that is reported front to back. */
#include <stdlib.h>
#include <string.h>
#include "net/internal.h"

#define DEAD(s) (((s)->flags & LODE__SK_DESTROYED) != 0)
#define MAX_STACK_BUFS 16

struct lode__wreq_s {
  uv_write_t req;
  lode__wreq_t* next;
  lode_socket_t* s;
  lode_socket_cb cb;
  lode_stream_cb scb;
  void* arg;
  int status;
  int record; /* callback only: a block of the loop's cache */
  size_t len;
  unsigned nbufs;
  uv_buf_t* bufs;
  lode_bytes_t** refs; /* zero-copy writes: one reference per buffer */
  uv_buf_t one;
  char data[];
};

const size_t lode__net_block_size = sizeof(lode__wreq_t);

/* A queue is circular and known by its last request (NULL when empty),
 * whose next is the first: one pointer per queue in every socket. */
static void push(lode__wreq_t** last, lode__wreq_t* w) {
  if (*last == NULL) {
    w->next = w;
  } else {
    w->next = (*last)->next;
    (*last)->next = w;
  }
  *last = w;
}

static lode__wreq_t* pop(lode__wreq_t** last) {
  lode__wreq_t* t = *last;
  if (t == NULL)
    return NULL;
  lode__wreq_t* w = t->next;
  if (w == t)
    *last = NULL;
  else
    t->next = w->next;
  return w;
}

static void wreq_free(lode__wreq_t* w) {
  if (w->record) {
    if (!lode__netloop_block_put(w->s->nl, w))
      free(w);
    return;
  }
  if (w->refs != NULL) {
    for (unsigned i = 0; i < w->nbufs; i++)
      lode_bytes_release(w->refs[i]);
    free(w->refs);
  }
  if (w->bufs != &w->one)
    free(w->bufs);
  free(w);
}

/* A request that only carries a callback and its status (inline: every
 * write with a callback that the kernel took at once makes one). */
static inline __attribute__((always_inline)) int done_record(lode_socket_t* s,
                                                             int status,
                                                             lode_socket_cb cb,
                                                             lode_stream_cb scb,
                                                             void* arg) {
  if (cb == NULL && scb == NULL)
    return 0;
  lode__wreq_t* w = lode__netloop_block_get(s->nl);
  if (w == NULL)
    w = malloc(sizeof(*w));
  if (w == NULL)
    return UV_ENOMEM;
  memset(w, 0, sizeof(*w));
  w->record = 1;
  w->s = s;
  w->cb = cb;
  w->scb = scb;
  w->arg = arg;
  w->status = status;
  w->bufs = &w->one;
  push(&s->done, w);
  lode__socket_schedule(s, LODE__SKT_WDONE);
  return 0;
}

/* A request holding a copy of `bufs` minus the first `skip` bytes. */
static lode__wreq_t* copy_request(const lode_slice_t* bufs, size_t n,
                                  size_t total, size_t skip) {
  /* `total` covers every buffer; `skip` bytes already went out. */
  lode__wreq_t* w = malloc(sizeof(*w) + (total - skip));
  if (w == NULL)
    return NULL;
  memset(w, 0, sizeof(*w));
  char* p = w->data;
  for (size_t i = 0; i < n; i++) {
    size_t off = skip < bufs[i].len ? skip : bufs[i].len;
    skip -= off;
    memcpy(p, bufs[i].base + off, bufs[i].len - off);
    p += bufs[i].len - off;
  }
  w->len = (size_t) (p - w->data);
  w->one = uv_buf_init(w->data, (unsigned) w->len);
  w->bufs = &w->one;
  w->nbufs = 1;
  return w;
}

void lode__socket_emit_drain(lode_socket_t* s) {
  if (!(s->flags & LODE__SK_NEED_DRAIN) || s->queued > 0 ||
      (s->flags & LODE__SK_ENDING))
    return;
  s->flags &= ~LODE__SK_NEED_DRAIN;
  if (s->stream.reader != NULL && s->stream.reader->on_drain != NULL) {
    s->stream.reader->on_drain(s->stream.reader_ctx, &s->stream);
    if (DEAD(s))
      return;
  }
  if (s->ev != NULL && s->ev->on_drain != NULL)
    s->ev->on_drain(s);
}

/* Reports what is done now; what a callback writes reports on a later
 * tick (Node's afterWriteTick), after the ticks already queued. */
void lode__socket_report_writes(lode_socket_t* s) {
  lode__wreq_t* last = s->done;
  lode__wreq_t* w;
  while (last != NULL && (w = pop(&s->done)) != NULL) {
    int at_last = w == last;
    if (!DEAD(s))
      lode__socket_emit_drain(s);
    if (w->cb != NULL)
      w->cb(s, w->status, w->arg);
    else if (w->scb != NULL)
      w->scb(&s->stream, w->status, w->arg);
    wreq_free(w);
    if (at_last)
      break;
  }
}

static void write_failed(lode_socket_t* s, int status) {
  lode_error_t e;
  lode_error_init_sys(&e, status, "write", NULL, 0);
  lode_socket_destroy(s, &e);
}

static void on_write_done(uv_write_t* req, int status) {
  lode__wreq_t* w = lode__container_of(req, lode__wreq_t, req);
  lode_socket_t* s = w->s;
  lode__socket_hold(s);
  s->inflight--;
  s->queued -= w->len;
  if (status == UV_ECANCELED)
    status = LODE_ERR_STREAM_DESTROYED;
  w->status = status;
  push(&s->done, w);
  if (status < 0 && !DEAD(s))
    write_failed(s, status);
  if (!DEAD(s))
    lode__socket_touch(s);
  lode__socket_report_writes(s);
  if (!DEAD(s))
    lode__socket_maybe_shutdown(s);
  lode__ticks_run(s->nl->core);
  lode__socket_release(s);
}

/* `leave`: bytes libuv writes at once leave writableLength at once, as
 * Node's write to the kernel before libuv's queue (held and zero-copy
 * writes). Otherwise they count until the callback, as those Node hands
 * to libuv: they are a copy lode frees only then, and a writer that goes
 * on while write() says yes would pile copies up until the loop turns. */
static void submit(lode_socket_t* s, lode__wreq_t* w, int leave) {
  w->s = s;
  int r = uv_write(&w->req, &s->h.stream, w->bufs, w->nbufs, on_write_done);
  if (r == 0) {
    s->inflight++;
    if (leave && s->h.stream.write_queue_size == 0) {
      s->queued -= w->len;
      w->len = 0;
    }
    return;
  }
  s->queued -= w->len;
  w->status = r;
  push(&s->done, w);
  lode__socket_schedule(s, LODE__SKT_WDONE);
  write_failed(s, r);
}

static int can_submit(const lode_socket_t* s) {
  return (s->flags & LODE__SK_CONNECTED) && !DEAD(s) && s->corked == 0 &&
         s->held == NULL;
}

void lode__socket_flush_held(lode_socket_t* s) {
  if (!(s->flags & LODE__SK_CONNECTED) || s->corked > 0)
    return;
  lode__wreq_t* w;
  while (!DEAD(s) && (w = pop(&s->held)) != NULL)
    submit(s, w, 1);
}

void lode__socket_fail_held(lode_socket_t* s, int status) {
  lode__wreq_t* w;
  while ((w = pop(&s->held)) != NULL) {
    s->queued -= w->len;
    w->status = status;
    push(&s->done, w);
  }
}

void lode__socket_free_writes(lode_socket_t* s) {
  lode__wreq_t* w;
  while ((w = pop(&s->held)) != NULL)
    wreq_free(w);
  while ((w = pop(&s->done)) != NULL)
    wreq_free(w);
}

/* Node: writing after end() fails asynchronously and destroys the socket;
 * after the peer's FIN (without allowHalfOpen) the error is EPIPE. */
static int write_after_end(lode_socket_t* s, lode_socket_cb cb,
                           lode_stream_cb scb, void* arg) {
  lode_error_t e;
  if (s->flags & LODE__SK_EOF_WRITE_ERR) {
    lode_error_init(&e, UV_EPIPE);
    lode_error_set_message(&e,
                           "This socket has been ended by the other "
                           "party");
  } else {
    lode_error_init(&e, LODE_ERR_STREAM_WRITE_AFTER_END);
  }
  int r = done_record(s, e.code, cb, scb, arg);
  lode_socket_destroy(s, &e);
  return r;
}

static void account(lode_socket_t* s, size_t total) {
  s->bytes_written += total;
  s->queued += total;
}

/* Node 20's write() return value, decided after the write was tried (what
 * the kernel took at once no longer counts): below the high-water mark or
 * nothing queued; otherwise 'drain' will follow. */
static int below_hwm(lode_socket_t* s) {
  if (s->queued < s->hwm || s->queued == 0)
    return 1;
  s->flags |= LODE__SK_NEED_DRAIN;
  return 0;
}

/* Tries the kernel first; returns how many bytes it took (or < 0). Not
 * for a write with a callback while a uv write is in flight: its callback
 * comes after that one's. (libuv refuses while its queue holds bytes.) */
static ssize_t try_direct(lode_socket_t* s, const lode_slice_t* bufs, size_t n,
                          int has_cb) {
  if ((s->inflight > 0 && has_cb) || n > MAX_STACK_BUFS)
    return 0;
  uv_buf_t ub[MAX_STACK_BUFS];
  for (size_t i = 0; i < n; i++)
    ub[i] = lode__uv_buf(bufs[i].base, bufs[i].len);
  int r = uv_try_write(&s->h.stream, ub, (unsigned) n);
  if (r == UV_EAGAIN || r == UV_ENOSYS)
    return 0;
  return r;
}

int lode__socket_writev(lode_socket_t* s, const lode_slice_t* bufs,
                        size_t nbufs, lode_socket_cb cb, lode_stream_cb scb,
                        void* arg) {
  if (DEAD(s)) {
    int r = done_record(s, LODE_ERR_STREAM_DESTROYED, cb, scb, arg);
    return r < 0 ? r : 0;
  }
  if (s->flags & (LODE__SK_ENDING | LODE__SK_WRITE_ENDED)) {
    int r = write_after_end(s, cb, scb, arg);
    return r < 0 ? r : 0;
  }
  size_t total = 0;
  for (size_t i = 0; i < nbufs; i++)
    total += bufs[i].len;
  account(s, total);
  lode__socket_touch(s);
  size_t done = 0;
  if (can_submit(s)) {
    ssize_t r = try_direct(s, bufs, nbufs, cb != NULL || scb != NULL);
    if (r < 0) {
      s->queued -= total;
      done_record(s, (int) r, cb, scb, arg);
      write_failed(s, (int) r);
      return 0;
    }
    done = (size_t) r;
    s->queued -= done;
    if (done == total) {
      if (done_record(s, 0, cb, scb, arg) < 0)
        return UV_ENOMEM;
      if ((s->flags & LODE__SK_NEED_DRAIN) && s->queued == 0)
        lode__socket_schedule(s, LODE__SKT_DRAIN);
      return below_hwm(s);
    }
  }
  lode__wreq_t* w = copy_request(bufs, nbufs, total, done);
  if (w == NULL) {
    s->queued -= total - done;
    return UV_ENOMEM;
  }
  w->cb = cb;
  w->scb = scb;
  w->arg = arg;
  w->s = s;
  if (can_submit(s))
    submit(s, w, 0);
  else
    push(&s->held, w);
  return below_hwm(s);
}

int lode_socket_write(lode_socket_t* s, lode_slice_t data, lode_socket_cb cb,
                      void* arg) {
  return lode__socket_writev(s, &data, 1, cb, NULL, arg);
}

int lode_socket_write_str(lode_socket_t* s, lode_slice_t text,
                          lode_encoding_t enc, lode_socket_cb cb, void* arg) {
  if ((unsigned) enc > LODE_ENC_UTF16LE)
    return LODE_ERR_UNKNOWN_ENCODING;
  if (enc == LODE_ENC_BUFFER || enc == LODE_ENC_UTF8)
    return lode_socket_write(s, text, cb, arg);
  size_t n = lode_decode(enc, text, NULL, 0);
  char* buf = lode__netloop_scratch(s->nl, n > 0 ? n : 1);
  if (buf == NULL)
    return UV_ENOMEM;
  lode_decode(enc, text, buf, n);
  return lode_socket_write(s, (lode_slice_t){ buf, n }, cb, arg);
}

int lode_socket_write_bytes(lode_socket_t* s, lode_bytes_t* const* bufs,
                            size_t nbufs, lode_socket_cb cb, void* arg) {
  if (DEAD(s) || (s->flags & (LODE__SK_ENDING | LODE__SK_WRITE_ENDED)))
    return lode__socket_writev(s, NULL, 0, cb, NULL, arg);
  lode__wreq_t* w = calloc(1, sizeof(*w));
  if (w == NULL)
    return UV_ENOMEM;
  w->bufs = nbufs == 1 ? &w->one : calloc(nbufs, sizeof(uv_buf_t));
  w->refs = calloc(nbufs > 0 ? nbufs : 1, sizeof(*w->refs));
  if (w->bufs == NULL || w->refs == NULL) {
    wreq_free(w);
    return UV_ENOMEM;
  }
  size_t total = 0;
  for (size_t i = 0; i < nbufs; i++) {
    lode_slice_t v = lode_bytes_view(bufs[i]);
    lode_bytes_hold(bufs[i]);
    w->refs[i] = bufs[i];
    w->bufs[i] = uv_buf_init((char*) v.base, (unsigned) v.len);
    total += v.len;
  }
  w->nbufs = (unsigned) nbufs;
  w->len = total;
  w->cb = cb;
  w->arg = arg;
  w->s = s;
  account(s, total);
  lode__socket_touch(s);
  if (can_submit(s))
    submit(s, w, 1);
  else
    push(&s->held, w);
  return below_hwm(s);
}

/* ---- end() and the half-close ---------------------------------------- */

static void call_end_cb(lode_socket_t* s, int status) {
  lode_socket_cb cb = s->end_cb;
  lode_stream_cb scb = s->end_scb;
  s->end_cb = NULL;
  s->end_scb = NULL;
  if (cb != NULL)
    cb(s, status, s->end_arg);
  else if (scb != NULL)
    scb(&s->stream, status, s->end_arg);
}

void lode__socket_end_failed(lode_socket_t* s) {
  call_end_cb(s, s->error ? s->error->code : LODE_ERR_STREAM_DESTROYED);
}

void lode__socket_end_done(lode_socket_t* s) {
  call_end_cb(s, 0);
}

/* The shutdown request is a block of the loop's write-record cache. */
_Static_assert(sizeof(uv_shutdown_t) <= sizeof(lode__wreq_t),
               "a shutdown request fits in a write record's block");

static void on_shutdown(uv_shutdown_t* req, int status) {
  lode_socket_t* s = req->handle->data;
  if (!lode__netloop_block_put(s->nl, req))
    free(req);
  if (status == UV_ECANCELED || DEAD(s))
    return;
  lode__socket_hold(s);
  /* Node ignores the status of the shutdown itself ('finish' follows). */
  s->flags |= LODE__SK_FINISHED;
  call_end_cb(s, 0);
  if (!DEAD(s) && (s->flags & (LODE__SK_READ_ENDED | LODE__SK_DESTROY_SOON)))
    lode_socket_destroy(s, NULL);
  lode__ticks_run(s->nl->core);
  lode__socket_release(s);
}

void lode__socket_maybe_shutdown(lode_socket_t* s) {
  if (!(s->flags & LODE__SK_ENDING) || (s->flags & LODE__SK_SHUTDOWN) ||
      DEAD(s) || !(s->flags & LODE__SK_CONNECTED) || s->corked > 0 ||
      s->held != NULL)
    return;
  if (s->flags & LODE__SK_FIN_AT_CLOSE) {
    /* The close sends the FIN after every byte the kernel took: once no
     * write is in flight, 'finish' and the close follow (socket.c). */
    if (s->inflight == 0) {
      s->flags |= LODE__SK_SHUTDOWN;
      lode__socket_schedule(s, LODE__SKT_FINISH);
    }
    return;
  }
  s->flags |= LODE__SK_SHUTDOWN;
  /* Taken here, not kept in every socket: most never half-close. */
  uv_shutdown_t* req = lode__netloop_block_get(s->nl);
  if (req == NULL)
    req = malloc(sizeof(lode__wreq_t));
  if (req == NULL || uv_shutdown(req, &s->h.stream, on_shutdown) != 0) {
    if (req != NULL && !lode__netloop_block_put(s->nl, req))
      free(req);
    lode_socket_destroy(s, NULL);
  }
}

int lode__socket_end(lode_socket_t* s, lode_slice_t data, lode_socket_cb cb,
                     lode_stream_cb scb, void* arg) {
  if (DEAD(s))
    return lode__socket_writev(s, NULL, 0, cb, scb, arg);
  if (s->flags & LODE__SK_ENDING) {
    if (s->end_cb == NULL && s->end_scb == NULL &&
        !(s->flags & LODE__SK_FINISHED)) {
      s->end_cb = cb;
      s->end_scb = scb;
      s->end_arg = arg;
      return 0;
    }
    return done_record(s, LODE_ERR_STREAM_ALREADY_FINISHED, cb, scb, arg);
  }
  if (data.len > 0) {
    int r = lode_socket_write(s, data, NULL, NULL);
    if (r < 0)
      return r;
  }
  s->flags |= LODE__SK_ENDING;
  s->end_cb = cb;
  s->end_scb = scb;
  s->end_arg = arg;
  lode__socket_maybe_shutdown(s);
  return 0;
}

int lode__socket_end_by_close(lode_socket_t* s, int drained, lode_stream_cb scb,
                              void* arg) {
  if (!(s->flags & (LODE__SK_ENDING | LODE__SK_ONREAD)) &&
      (drained || (s->flags & LODE__SK_READ_ENDED)))
    s->flags |= LODE__SK_FIN_AT_CLOSE;
  return lode__socket_end(s, (lode_slice_t){ NULL, 0 }, NULL, scb, arg);
}

int lode_socket_end(lode_socket_t* s, lode_slice_t data, lode_socket_cb cb,
                    void* arg) {
  return lode__socket_end(s, data, cb, NULL, arg);
}
