/* lode net: private structures shared by the net sources (and readable by
 * the layers above). */
#ifndef LODE_NET_INTERNAL_H
#define LODE_NET_INTERNAL_H

#include <stdint.h>
#include "core/internal.h"
#include "core/loop.h"
#include "lode/net.h"

/* ---- Per-loop state: read slab, scratch, write records ------------- */

/* The size of the loop's read buffer: a read that returns less has
 * taken all the kernel held (unless a socket reads into its own buffer,
 * onread). */
#define LODE__NET_READ_SIZE (64 * 1024)

/* Net's part of the loop's state (core/loop.h has the ticks and idle
 * timers, reached through `core`). */
typedef struct lode__netloop_s lode__netloop_t;
struct lode__netloop_s {
  lode__loop_t* core;
  char* scratch;
  size_t scratch_len;
  struct lode__netblock_s* blocks; /* freed write records, for reuse */
  unsigned nblocks;
  char slab[LODE__NET_READ_SIZE]; /* every read lands here */
};

/* Takes (making it if needed) / drops a use of the loop's state, with
 * net's part in it. */
lode__netloop_t* lode__netloop_get(uv_loop_t* loop);
void lode__netloop_put(lode__netloop_t* nl);
/* The loop-wide read slab and a scratch buffer of at least `n` bytes. */
uv_buf_t lode__netloop_slab(lode__netloop_t* nl);
char* lode__netloop_scratch(lode__netloop_t* nl, size_t n);
/* A few freed blocks of one size (write records; shutdown requests fit
 * in one too), kept so that a write with a callback costs no malloc.
 * get returns NULL when none is kept;
 * put returns 0 when the cache is full (the caller frees the block). */
void* lode__netloop_block_get(lode__netloop_t* nl);
/* The blocks' size: a write record's (write.c). */
extern const size_t lode__net_block_size;
int lode__netloop_block_put(lode__netloop_t* nl, void* block);

/* A uv_buf_t without a call into libuv (uv_buf_init is not inlined). */
static inline uv_buf_t lode__uv_buf(const char* base, size_t len) {
  uv_buf_t b;
  b.base = (char*) base;
  b.len = len;
  return b;
}

/* lode__container_of comes from core/internal.h. */

/* ---- Sockets ---------------------------------------------------------- */

enum {
  LODE__SK_CONNECTING = 1 << 0,
  LODE__SK_CONNECTED = 1 << 1,
  LODE__SK_READING = 1 << 2,    /* uv_read_start is on */
  LODE__SK_PAUSED = 1 << 3,     /* the user paused */
  LODE__SK_READ_ENDED = 1 << 4, /* EOF seen (or not readable) */
  LODE__SK_ENDING = 1 << 5,     /* end() called */
  LODE__SK_SHUTDOWN = 1 << 6,   /* uv_shutdown issued */
  LODE__SK_FINISHED = 1 << 7,   /* FIN sent */
  LODE__SK_DESTROYED = 1 << 8,
  LODE__SK_CLOSED = 1 << 9,     /* on_close delivered */
  LODE__SK_HALF_OPEN = 1 << 10, /* allowHalfOpen */
  LODE__SK_UNREF = 1 << 11,
  LODE__SK_NEED_DRAIN = 1 << 12,
  LODE__SK_HAS_HANDLE = 1 << 13,
  LODE__SK_PIPE = 1 << 14,
  LODE__SK_RESET = 1 << 15, /* close with RST */
  LODE__SK_NO_DELAY = 1 << 16,
  LODE__SK_KEEP_ALIVE = 1 << 17,
  LODE__SK_WRITE_ENDED = 1 << 18,   /* not writable (fd writable: false) */
  LODE__SK_EOF_WRITE_ERR = 1 << 19, /* write after peer FIN is EPIPE */
  LODE__SK_DESTROY_SOON = 1 << 20,
  LODE__SK_NO_DELAY_ON = 1 << 21,  /* TCP_NODELAY known to be on already */
  LODE__SK_FIN_AT_CLOSE = 1 << 22, /* end() by close (end_by_close) */
  LODE__SK_HAD_ERROR = 1 << 23,    /* destroyed with an error */
  LODE__SK_ONREAD = 1 << 24        /* extra->onread is set */
};

/* Pending deferred work of a socket (one tick node serves them all). */
enum {
  LODE__SKT_DRAIN = 1 << 0,
  LODE__SKT_WDONE = 1 << 1,    /* completed writes to report */
  LODE__SKT_CONNECT = 1 << 2,  /* IP literal: connect without lookup */
  LODE__SKT_DESTROY = 1 << 3,  /* destroy with the stored error */
  LODE__SKT_AUTO_END = 1 << 4, /* end() in answer to the peer's FIN */
  LODE__SKT_FINISH = 1 << 5    /* end_by_close: 'finish', then close */
};

typedef struct lode__wreq_s lode__wreq_t;

/* What few sockets use (an encoding, setTimeout's timer and callback,
 * onread, the abort signal, a keep-alive delay) and what only a client's
 * socket needs (its connect), kept out of the socket so that an accepted
 * connection stays small; made on first use by lode__socket_extra(). */
typedef struct lode__sk_extra_s {
  lode_socket_t* socket;
  lode_encoding_t encoding;
  unsigned keep_alive_delay; /* ms */
  lode_decoder_t decoder;
  lode__idle_t idle;
  size_t last_write_queue_size; /* at the last timeout check */
  lode_socket_cb timeout_cb;
  void* timeout_arg;
  lode_onread_t onread; /* with LODE__SK_ONREAD */
  lode_abort_signal_t* signal;
  lode_abort_listener_t abort_listener;
  struct lode__connect_s* conn; /* lookup/connect in progress */
  char* attempted;              /* autoSelectFamilyAttemptedAddresses */
} lode__sk_extra_t;

/* The libuv handle of a socket or listener: TCP or pipe. */
typedef union lode__handle_u {
  uv_handle_t handle;
  uv_stream_t stream;
  uv_tcp_t tcp;
  uv_pipe_t pipe;
} lode__handle_t;

/* An accepted connection's socket is what an idle keep-alive connection
 * costs (with the HTTP server's part): the fields here are those every
 * connection uses; the rest is in the extra part. */
struct lode_socket_s {
  lode_stream_t stream; /* first: the duplex stream interface */
  lode__handle_t h;
  lode__netloop_t* nl;
  const lode_socket_events_t* ev;
  void* data;
  lode_server_t* server;
  unsigned refs;
  unsigned flags;
  unsigned tick_flags;
  int close_fd; /* closed after the handle (see socket.c), or 0 */
  lode__tick_t tick;
  size_t hwm;
  size_t queued; /* bytes written but not yet sent */
  uint64_t bytes_read;
  uint64_t bytes_written;
  /* Writes held while connecting or corked, and completed writes whose
   * callbacks are still to run (in order). */
  lode__wreq_t* held; /* each list is circular, known by its last */
  lode__wreq_t* done;
  unsigned corked;
  unsigned inflight; /* uv writes not yet completed */
  lode_socket_cb end_cb;
  lode_stream_cb end_scb; /* the same, for the stream interface */
  void* end_arg;
  lode__sk_extra_t* extra;       /* NULL until needed */
  lode_error_t* error;           /* what to emit before close */
  struct lode__sknames_s* names; /* cached addresses, made on demand */
};

/* Allocates a socket with an initialised handle of the given type
 * (UV_TCP or UV_NAMED_PIPE). */
int lode__socket_new(uv_loop_t* loop, uv_handle_type type,
                     const lode_socket_events_t* ev, lode_socket_t** out);
/* The socket's extra part, made on the first call; NULL without memory. */
lode__sk_extra_t* lode__socket_extra(lode_socket_t* s);
/* Activity: restarts setTimeout's timer (only a socket that set one has
 * it). Inline, as every read and write calls it. */
static inline void lode__socket_touch(lode_socket_t* s) {
  if (s->extra != NULL)
    lode__idle_touch(s->nl->core, &s->extra->idle);
}
/* The socket is connected (accepted, connect succeeded, fd wrapped). */
void lode__socket_opened(lode_socket_t* s);
/* Starts or stops uv reading according to the flags. */
void lode__socket_update_reading(lode_socket_t* s);
/* Destroys with an error built by the caller (copied). */
void lode__socket_fail(lode_socket_t* s, const lode_error_t* err);
void lode__socket_hold(lode_socket_t* s);
/* Returns 1 if that freed the socket. */
int lode__socket_release(lode_socket_t* s);
/* Queues deferred work (LODE__SKT_* bits) for the next turn. */
void lode__socket_schedule(lode_socket_t* s, unsigned what);
/* The write path: copies `bufs`; exactly one of cb / scb may be set. */
int lode__socket_writev(lode_socket_t* s, const lode_slice_t* bufs,
                        size_t nbufs, lode_socket_cb cb, lode_stream_cb scb,
                        void* arg);
/* end() for both callback kinds (one of cb / scb may be set). */
int lode__socket_end(lode_socket_t* s, lode_slice_t data, lode_socket_cb cb,
                     lode_stream_cb scb, void* arg);
/* end() for a caller that destroys the socket once its callback has run
 * and knows the peer sends nothing more (an HTTP server after the last
 * response to a client that asked to close). When `drained` (the caller
 * saw the last read return less than LODE__NET_READ_SIZE: the kernel
 * held nothing more) or the peer's FIN came, the FIN is left to the
 * close that follows the writes, which sends the same on the wire as
 * shutdown(SHUT_WR) and close, with one system call less. Otherwise (the
 * kernel may hold unread bytes, whose close would send a RST), a plain
 * end(). Destroys the socket after the callback if it has not. */
int lode__socket_end_by_close(lode_socket_t* s, int drained, lode_stream_cb scb,
                              void* arg);
/* Submits writes held during connect or cork. */
void lode__socket_flush_held(lode_socket_t* s);
/* Forgets writes still held, failing their callbacks with `status`. */
void lode__socket_fail_held(lode_socket_t* s, int status);
/* Runs completed write callbacks. */
void lode__socket_report_writes(lode_socket_t* s);
/* Called when the write side may be able to shut down. */
void lode__socket_maybe_shutdown(lode_socket_t* s);
void lode__socket_emit_drain(lode_socket_t* s);
/* Calls a pending end() callback with the socket's error (at close). */
void lode__socket_end_failed(lode_socket_t* s);
/* Calls a pending end() callback with success ('finish'). */
void lode__socket_end_done(lode_socket_t* s);
/* Frees every write request (at close). */
void lode__socket_free_writes(lode_socket_t* s);
/* Connect machinery (connect.c). */
void lode__connect_cancel(lode_socket_t* s);
void lode__connect_tick(lode_socket_t* s);
void lode__connect_free(lode_socket_t* s);
/* Applies stored keep-alive / no-delay to a TCP handle. */
void lode__socket_apply_tcp_opts(lode_socket_t* s);
/* Server bookkeeping when an accepted socket closes. */
void lode__server_socket_closed(lode_server_t* srv);
/* Records the peer a client connected to (no getpeername needed). */
void lode__socket_set_remote(lode_socket_t* s, const char* ip, int port);
/* A Unix socket path for messages: "@name" for an abstract name. */
void lode__pipe_name(const char* path, size_t len, char* out, size_t cap);
/* Formats a sockaddr into ip text and port; returns the family (4/6) or 0. */
int lode__sockaddr_name(const struct sockaddr* sa, char* ip, size_t iplen,
                        int* port);

#endif
