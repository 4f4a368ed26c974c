/* net.Socket: lifetime, reading, events, destroy and close. Writing is in
 * write.c, connecting in connect.c, properties in sockprops.c. */
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "net/internal.h"

#define TIMEOUT_MAX 2147483647u

static const lode_stream_ops_t socket_stream_ops;
static void on_tick(lode__tick_t* t);
static void on_idle_timeout(lode__idle_t* it);

#define DEAD(s) (((s)->flags & LODE__SK_DESTROYED) != 0)

/* The stream's reader hears of each event before the socket's callbacks. */
#define READER(s, slot) ((s)->stream.reader ? (s)->stream.reader->slot : NULL)

int lode__socket_new(uv_loop_t* loop, uv_handle_type type,
                     const lode_socket_events_t* ev, lode_socket_t** out) {
  if (loop == NULL || out == NULL)
    return UV_EINVAL;
  lode_socket_t* s = calloc(1, sizeof(*s));
  if (s == NULL)
    return UV_ENOMEM;
  s->nl = lode__netloop_get(loop);
  if (s->nl == NULL) {
    free(s);
    return UV_ENOMEM;
  }
  s->stream.ops = &socket_stream_ops;
  s->stream.loop = loop;
  s->ev = ev;
  s->refs = 1; /* held while open; dropped after on_close */
  s->hwm = LODE__HIGH_WATER_MARK;
  if (type == UV_TCP) {
    uv_tcp_init(loop, &s->h.tcp);
    s->flags |= LODE__SK_HAS_HANDLE;
  } else if (type == UV_NAMED_PIPE) {
    uv_pipe_init(loop, &s->h.pipe, 0);
    s->flags |= LODE__SK_HAS_HANDLE | LODE__SK_PIPE;
  }
  s->h.handle.data = s;
  *out = s;
  return 0;
}

void lode__socket_hold(lode_socket_t* s) {
  s->refs++;
}

lode__sk_extra_t* lode__socket_extra(lode_socket_t* s) {
  if (s->extra != NULL)
    return s->extra;
  lode__sk_extra_t* x = calloc(1, sizeof(*x));
  if (x == NULL)
    return NULL;
  x->socket = s;
  x->idle.fn = on_idle_timeout;
  s->extra = x;
  return x;
}

static void socket_free(lode_socket_t* s) {
  lode__tick_cancel(s->nl->core, &s->tick);
  lode__socket_free_writes(s);
  lode__connect_free(s);
  lode_error_free(s->error);
  free(s->names);
  if (s->extra != NULL)
    free(s->extra->attempted);
  free(s->extra);
  lode__netloop_put(s->nl);
  free(s);
}

int lode__socket_release(lode_socket_t* s) {
  if (--s->refs > 0)
    return 0;
  socket_free(s);
  return 1;
}

void lode_socket_hold(lode_socket_t* s) {
  lode__socket_hold(s);
}
void lode_socket_release(lode_socket_t* s) {
  lode__socket_release(s);
}

/* ---- Reading ---------------------------------------------------------- */

static void on_alloc(uv_handle_t* h, size_t hint, uv_buf_t* buf) {
  lode_socket_t* s = h->data;
  if (s->flags & LODE__SK_ONREAD)
    *buf = lode__uv_buf(s->extra->onread.buffer, s->extra->onread.len);
  else
    *buf = lode__netloop_slab(s->nl);
}

/* Hands bytes to the user: onread, or on_data (decoded when an encoding
 * is set). */
static void emit_user_data(lode_socket_t* s, char* base, size_t len) {
  if (s->flags & LODE__SK_ONREAD) {
    const lode_onread_t* o = &s->extra->onread;
    if (o->callback(s, len, base, o->arg) == 0 && !DEAD(s))
      lode_socket_pause(s);
    return;
  }
  if (s->ev == NULL || s->ev->on_data == NULL)
    return;
  lode__sk_extra_t* x = s->extra;
  if (x == NULL || x->encoding == LODE_ENC_BUFFER) {
    s->ev->on_data(s, (lode_slice_t){ base, len });
    return;
  }
  size_t cap = lode_decoder_max(&x->decoder, len);
  char* text = lode__netloop_scratch(s->nl, cap);
  if (text == NULL) {
    lode__socket_fail(s, NULL);
    return;
  }
  size_t n = lode_decoder_write(&x->decoder, (lode_slice_t){ base, len }, text,
                                cap);
  if (n > 0)
    s->ev->on_data(s, (lode_slice_t){ text, n });
}

static void emit_data(lode_socket_t* s, char* base, size_t len) {
  s->bytes_read += len;
  lode__socket_touch(s);
  void (*r)(void*, lode_stream_t*, lode_slice_t) = READER(s, on_data);
  if (r != NULL) {
    r(s->stream.reader_ctx, &s->stream, (lode_slice_t){ base, len });
    if (DEAD(s))
      return;
  }
  emit_user_data(s, base, len);
}

/* The end of a decoded stream may hold an incomplete character. */
static void flush_decoder(lode_socket_t* s) {
  lode__sk_extra_t* x = s->extra;
  if (x == NULL || x->encoding == LODE_ENC_BUFFER || s->ev == NULL ||
      s->ev->on_data == NULL)
    return;
  char tail[16];
  size_t n = lode_decoder_end(&x->decoder, tail, sizeof(tail));
  if (n > 0)
    s->ev->on_data(s, (lode_slice_t){ tail, n });
}

static void on_eof(lode_socket_t* s) {
  s->flags |= LODE__SK_READ_ENDED;
  lode__socket_update_reading(s);
  flush_decoder(s);
  if (DEAD(s))
    return;
  void (*r)(void*, lode_stream_t*) = READER(s, on_end);
  if (r != NULL) {
    r(s->stream.reader_ctx, &s->stream);
    if (DEAD(s))
      return;
  }
  if (s->ev != NULL && s->ev->on_end != NULL) {
    s->ev->on_end(s);
    if (DEAD(s))
      return;
  }
  if (s->flags & LODE__SK_FINISHED) {
    lode_socket_destroy(s, NULL);
    return;
  }
  if (!(s->flags & LODE__SK_HALF_OPEN)) {
    /* Node: a socket without allowHalfOpen ends its side when the peer
     * ends, on the next tick after 'end' (after the callbacks of writes
     * made in 'end'), and writes after that fail with EPIPE. */
    s->flags |= LODE__SK_EOF_WRITE_ERR;
    lode__socket_schedule(s, LODE__SKT_AUTO_END);
  }
}

static void on_read(uv_stream_t* h, ssize_t nread, const uv_buf_t* buf) {
  lode_socket_t* s = h->data;
  lode__loop_t* lp = s->nl->core;
  if (nread > 0) {
    emit_data(s, buf->base, (size_t) nread);
  } else if (nread == UV_EOF) {
    on_eof(s);
  } else if (nread < 0) {
    lode_error_t e;
    lode_error_init_sys(&e, (int) nread, "read", NULL, 0);
    lode__socket_fail(s, &e);
  }
  lode__ticks_run(lp);
}

void lode__socket_update_reading(lode_socket_t* s) {
  int want = (s->flags & LODE__SK_CONNECTED) &&
             !(s->flags &
               (LODE__SK_READ_ENDED | LODE__SK_PAUSED | LODE__SK_DESTROYED));
  int on = (s->flags & LODE__SK_READING) != 0;
  if (want && !on) {
    if (uv_read_start(&s->h.stream, on_alloc, on_read) == 0)
      s->flags |= LODE__SK_READING;
  } else if (!want && on) {
    uv_read_stop(&s->h.stream);
    s->flags &= ~LODE__SK_READING;
  }
}

void lode__socket_opened(lode_socket_t* s) {
  s->flags &= ~LODE__SK_CONNECTING;
  s->flags |= LODE__SK_CONNECTED;
  lode__socket_touch(s);
  lode__socket_flush_held(s);
  if (DEAD(s))
    return;
  lode__socket_update_reading(s);
  lode__socket_maybe_shutdown(s);
}

/* ---- Timeout ---------------------------------------------------------- */

static void on_idle_timeout(lode__idle_t* it) {
  lode__sk_extra_t* x = lode__container_of(it, lode__sk_extra_t, idle);
  lode_socket_t* s = x->socket;
  if (DEAD(s))
    return;
  /* Node: a write still moving bytes into the kernel is activity. */
  size_t wqs = (s->flags & LODE__SK_HAS_HANDLE) ? s->h.stream.write_queue_size
                                                : 0;
  if (wqs > 0 && wqs != x->last_write_queue_size) {
    x->last_write_queue_size = wqs;
    lode__idle_touch(s->nl->core, &x->idle);
    return;
  }
  /* Node's callback is a once('timeout') listener of the same emit: it
   * runs even when the first listener destroyed the socket. */
  if (s->ev != NULL && s->ev->on_timeout != NULL)
    s->ev->on_timeout(s);
  if (x->timeout_cb == NULL)
    return;
  lode_socket_cb cb = x->timeout_cb;
  x->timeout_cb = NULL;
  cb(s, 0, x->timeout_arg);
}

void lode_socket_set_timeout(lode_socket_t* s, unsigned ms, lode_socket_cb cb,
                             void* arg) {
  if (DEAD(s))
    return;
  if (ms > TIMEOUT_MAX)
    ms = TIMEOUT_MAX; /* Node clamps to 2^31 - 1 */
  lode__sk_extra_t* x = ms == 0 ? s->extra : lode__socket_extra(s);
  if (x == NULL) {
    if (ms != 0)
      lode__socket_fail(s, NULL);
    return;
  }
  if (ms == 0) {
    x->timeout_cb = NULL;
  } else if (cb != NULL) {
    x->timeout_cb = cb;
    x->timeout_arg = arg;
  }
  lode__idle_set(s->nl->core, &x->idle, ms);
}

unsigned lode_socket_timeout(const lode_socket_t* s) {
  return s->extra != NULL ? s->extra->idle.ms : 0;
}

/* ---- Destroy and close ------------------------------------------------ */

static void emit_error(lode_socket_t* s) {
  if (s->error == NULL)
    return;
  void (*r)(void*, lode_stream_t*, const lode_error_t*) = READER(s, on_error);
  if (r != NULL)
    r(s->stream.reader_ctx, &s->stream, s->error);
  if (s->ev != NULL && s->ev->on_error != NULL)
    s->ev->on_error(s, s->error);
}

/* The handle is closed (or there never was one): the last events. */
static void finish_close(lode_socket_t* s) {
  lode__socket_fail_held(s, LODE_ERR_STREAM_DESTROYED);
  /* Every write callback runs before close, including those of writes
   * made (and failed) by these callbacks; bounded against one that keeps
   * writing. */
  for (int i = 0; i < 1000 && s->done != NULL; i++)
    lode__socket_report_writes(s);
  if (!(s->flags & LODE__SK_FINISHED))
    lode__socket_end_failed(s);
  emit_error(s);
  s->flags |= LODE__SK_CLOSED;
  int had_error = (s->flags & LODE__SK_HAD_ERROR) != 0;
  void (*r)(void*, lode_stream_t*, int) = READER(s, on_close);
  if (r != NULL)
    r(s->stream.reader_ctx, &s->stream, had_error);
  if (s->ev != NULL && s->ev->on_close != NULL)
    s->ev->on_close(s, had_error);
  if (s->server != NULL)
    lode__server_socket_closed(s->server);
  lode__socket_release(s);
}

static void on_handle_closed(uv_handle_t* h) {
  lode_socket_t* s = h->data;
  lode__loop_t* lp = s->nl->core;
  if (s->close_fd > 0) {
    close(s->close_fd); /* see close_fd_later */
    s->close_fd = 0;
  }
  lode__loop_hold(lp);
  finish_close(s);
  lode__ticks_run(lp);
  lode__loop_put(lp);
}

/* libuv's close of a stream removes its descriptor from epoll
 * (epoll_ctl DEL) before closing it, one system call per connection that
 * the kernel makes unnecessary: closing the last reference to a socket
 * takes it out of every epoll set. When the handle waits for no event
 * any more (reading stopped, no write waiting for room), the descriptor
 * is taken from the handle before uv_close, which then neither removes
 * nor closes it, and is closed in the close callback: not earlier, as
 * events for it may still be in the batch libuv is going through (libuv
 * drops those for a descriptor it watches no more), and a descriptor
 * closed in that batch could be reused by a connection accepted in it.
 * Linux only (epoll's rule); elsewhere, and for descriptors 0-2 (which
 * libuv never closes), uv_close does it all. What libuv's removal also
 * covered, a descriptor still open in another process (forked, not yet
 * exec'd) staying in epoll until that process lets it go, needs a fork
 * of the program's own: uv_spawn waits for the child's exec, and lode's
 * descriptors are close-on-exec. */
static int close_fd_later(lode_socket_t* s) {
#ifdef __linux__
  uv__io_t* w = &s->h.stream.io_watcher;
  if (w->fd <= 2 || w->pevents != 0)
    return 0;
  s->close_fd = w->fd;
  w->fd = -1;
  return 1;
#else
  (void) s;
  return 0;
#endif
}

static void close_handle(lode_socket_t* s) {
  if (!(s->flags & LODE__SK_HAS_HANDLE)) {
    /* Nothing to close: the close still comes asynchronously. */
    s->tick_flags |= LODE__SKT_DESTROY;
    lode__tick(s->nl->core, &s->tick, on_tick);
    return;
  }
  if ((s->flags & LODE__SK_RESET) && !(s->flags & LODE__SK_PIPE) &&
      (s->flags & LODE__SK_CONNECTED) &&
      uv_tcp_close_reset(&s->h.tcp, on_handle_closed) == 0)
    return;
  close_fd_later(s);
  uv_close(&s->h.handle, on_handle_closed);
}

void lode_socket_destroy(lode_socket_t* s, const lode_error_t* err) {
  if (DEAD(s))
    return;
  s->flags |= LODE__SK_DESTROYED;
  if (err != NULL) {
    s->error = lode_error_copy(err);
    s->flags |= LODE__SK_HAD_ERROR;
  }
  lode__sk_extra_t* x = s->extra;
  if (x != NULL) {
    lode__idle_stop(s->nl->core, &x->idle);
    lode__connect_cancel(s);
    if (x->signal != NULL) {
      lode_abort_signal_remove(x->signal, &x->abort_listener);
      x->signal = NULL;
    }
  }
  if (s->flags & LODE__SK_READING)
    uv_read_stop(&s->h.stream);
  s->flags &= ~LODE__SK_READING;
  close_handle(s);
}

void lode_socket_destroy_code(lode_socket_t* s, int code) {
  if (code == 0) {
    lode_socket_destroy(s, NULL);
    return;
  }
  lode_error_t e;
  lode_error_init(&e, code);
  lode_socket_destroy(s, &e);
}

void lode__socket_fail(lode_socket_t* s, const lode_error_t* err) {
  if (err != NULL) {
    lode_socket_destroy(s, err);
    return;
  }
  lode_socket_destroy_code(s, UV_ENOMEM);
}

int lode_socket_reset_and_destroy(lode_socket_t* s) {
  if (DEAD(s))
    return 0;
  if (s->flags & LODE__SK_PIPE)
    return LODE_ERR_INVALID_HANDLE_TYPE;
  if (!(s->flags & (LODE__SK_CONNECTED | LODE__SK_CONNECTING))) {
    lode_socket_destroy_code(s, LODE_ERR_SOCKET_CLOSED);
    return 0;
  }
  /* While connecting Node waits for 'connect' and then resets. */
  s->flags |= LODE__SK_RESET;
  if (s->flags & LODE__SK_CONNECTED)
    lode_socket_destroy(s, NULL);
  return 0;
}

void lode_socket_destroy_soon(lode_socket_t* s) {
  if (DEAD(s))
    return;
  if (s->flags & LODE__SK_FINISHED) {
    lode_socket_destroy(s, NULL);
    return;
  }
  s->flags |= LODE__SK_DESTROY_SOON; /* the shutdown completion checks it */
  if (!(s->flags & LODE__SK_ENDING))
    lode_socket_end(s, (lode_slice_t){ NULL, 0 }, NULL, NULL);
}

/* end_by_close: the writes are in the kernel; 'finish' (the end
 * callback), then the close that sends the FIN. */
static void finish_by_close(lode_socket_t* s) {
  s->flags |= LODE__SK_FINISHED;
  lode__socket_end_done(s);
  if (!DEAD(s))
    lode_socket_destroy(s, NULL);
}

static void on_tick(lode__tick_t* t) {
  lode_socket_t* s = lode__container_of(t, lode_socket_t, tick);
  unsigned f = s->tick_flags;
  s->tick_flags = 0;
  lode__socket_hold(s);
  if (f & LODE__SKT_CONNECT)
    lode__connect_tick(s);
  if (f & LODE__SKT_DESTROY) {
    finish_close(s);
  } else {
    lode__socket_report_writes(s);
    if ((f & LODE__SKT_DRAIN) && !DEAD(s))
      lode__socket_emit_drain(s);
    if (f & (LODE__SKT_AUTO_END | LODE__SKT_FINISH)) {
      if ((f & LODE__SKT_AUTO_END) && !DEAD(s) && !(s->flags & LODE__SK_ENDING))
        lode_socket_end(s, (lode_slice_t){ NULL, 0 }, NULL, NULL);
      if ((f & LODE__SKT_FINISH) && !DEAD(s))
        finish_by_close(s);
    }
  }
  lode__socket_release(s);
}

void lode__socket_schedule(lode_socket_t* s, unsigned what) {
  s->tick_flags |= what;
  lode__tick(s->nl->core, &s->tick, on_tick);
}

/* ---- Flow control, options ------------------------------------------- */

void lode_socket_pause(lode_socket_t* s) {
  s->flags |= LODE__SK_PAUSED;
  lode__socket_update_reading(s);
}

void lode_socket_resume(lode_socket_t* s) {
  s->flags &= ~LODE__SK_PAUSED;
  lode__socket_update_reading(s);
}

int lode_socket_is_paused(const lode_socket_t* s) {
  return (s->flags & LODE__SK_PAUSED) != 0;
}

int lode_socket_set_encoding(lode_socket_t* s, lode_encoding_t enc) {
  if ((unsigned) enc > LODE_ENC_UTF16LE)
    return LODE_ERR_UNKNOWN_ENCODING;
  if (enc == LODE_ENC_BUFFER && s->extra == NULL)
    return 0;
  lode__sk_extra_t* x = lode__socket_extra(s);
  if (x == NULL)
    return UV_ENOMEM;
  x->encoding = enc;
  lode_decoder_init(&x->decoder, enc);
  return 0;
}

void lode__socket_apply_tcp_opts(lode_socket_t* s) {
  if ((s->flags & LODE__SK_PIPE) || !(s->flags & LODE__SK_CONNECTED))
    return;
  if ((s->flags & LODE__SK_NO_DELAY) && !(s->flags & LODE__SK_NO_DELAY_ON))
    uv_tcp_nodelay(&s->h.tcp, 1);
  if (!(s->flags & LODE__SK_KEEP_ALIVE))
    return;
  /* Node passes whole seconds to libuv; under one second (the default 0)
   * libuv's TCP_KEEPIDLE fails and the system's idle time stays, with
   * SO_KEEPALIVE on. lode asks for exactly that. */
  unsigned secs = s->extra != NULL ? s->extra->keep_alive_delay / 1000 : 0;
  if (secs > 0) {
    uv_tcp_keepalive(&s->h.tcp, 1, secs);
    return;
  }
  uv_os_fd_t fd;
  int on = 1;
  if (uv_fileno(&s->h.handle, &fd) == 0)
    setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof(on));
}

int lode_socket_set_keep_alive(lode_socket_t* s, int enable,
                               unsigned initial_delay_ms) {
  if (initial_delay_ms != 0 || s->extra != NULL) {
    lode__sk_extra_t* x = lode__socket_extra(s);
    if (x == NULL)
      return UV_ENOMEM;
    x->keep_alive_delay = initial_delay_ms;
  }
  if (enable)
    s->flags |= LODE__SK_KEEP_ALIVE;
  else
    s->flags &= ~LODE__SK_KEEP_ALIVE;
  if ((s->flags & LODE__SK_PIPE) || !(s->flags & LODE__SK_CONNECTED))
    return 0;
  if (!enable)
    return uv_tcp_keepalive(&s->h.tcp, 0, 0);
  lode__socket_apply_tcp_opts(s);
  return 0;
}

int lode_socket_set_no_delay(lode_socket_t* s, int no_delay) {
  s->flags &= ~LODE__SK_NO_DELAY_ON;
  if (no_delay)
    s->flags |= LODE__SK_NO_DELAY;
  else
    s->flags &= ~LODE__SK_NO_DELAY;
  if ((s->flags & LODE__SK_PIPE) || !(s->flags & LODE__SK_CONNECTED))
    return 0;
  return uv_tcp_nodelay(&s->h.tcp, no_delay != 0);
}

void lode_socket_ref(lode_socket_t* s) {
  s->flags &= ~LODE__SK_UNREF;
  if (s->flags & LODE__SK_HAS_HANDLE)
    uv_ref(&s->h.handle);
}

void lode_socket_unref(lode_socket_t* s) {
  s->flags |= LODE__SK_UNREF;
  if (s->flags & LODE__SK_HAS_HANDLE)
    uv_unref(&s->h.handle);
}

/* ---- The stream interface -------------------------------------------- */

lode_stream_t* lode_socket_stream(lode_socket_t* s) {
  return &s->stream;
}

lode_socket_t* lode_socket_from_stream(lode_stream_t* st) {
  if (st == NULL || st->ops != &socket_stream_ops)
    return NULL;
  return (lode_socket_t*) st;
}

static int st_write(lode_stream_t* st, const lode_slice_t* bufs, size_t n,
                    lode_stream_cb cb, void* arg) {
  return lode__socket_writev((lode_socket_t*) st, bufs, n, NULL, cb, arg);
}

static int st_end(lode_stream_t* st, lode_stream_cb cb, void* arg) {
  return lode__socket_end((lode_socket_t*) st, (lode_slice_t){ NULL, 0 }, NULL,
                          cb, arg);
}

static void st_destroy(lode_stream_t* st, const lode_error_t* err) {
  lode_socket_destroy((lode_socket_t*) st, err);
}
static void st_pause(lode_stream_t* st) {
  lode_socket_pause((lode_socket_t*) st);
}
static void st_resume(lode_stream_t* st) {
  lode_socket_resume((lode_socket_t*) st);
}
static void st_cork(lode_stream_t* st) {
  ((lode_socket_t*) st)->corked++;
}
static void st_uncork(lode_stream_t* st) {
  lode_socket_t* s = (lode_socket_t*) st;
  if (s->corked > 0 && --s->corked == 0) {
    lode__socket_flush_held(s);
    if (!DEAD(s))
      lode__socket_maybe_shutdown(s);
  }
}
static size_t st_writable_length(const lode_stream_t* st) {
  return ((const lode_socket_t*) st)->queued;
}
static void st_hold(lode_stream_t* st) {
  lode__socket_hold((lode_socket_t*) st);
}
static void st_release(lode_stream_t* st) {
  lode__socket_release((lode_socket_t*) st);
}

static const lode_stream_ops_t socket_stream_ops = {
  .write = st_write,
  .end = st_end,
  .destroy = st_destroy,
  .pause = st_pause,
  .resume = st_resume,
  .cork = st_cork,
  .uncork = st_uncork,
  .writable_length = st_writable_length,
  .hold = st_hold,
  .release = st_release,
};
