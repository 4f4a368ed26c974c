/* The OutgoingMessage machinery shared by ServerResponse and ClientRequest:
 * header storage, Node's _storeHeader, framing (chunked, Content-Length,
 * none), held-back output while no connection is attached, finish. */
#ifndef LODE_HTTP_OUTGOING_H
#define LODE_HTTP_OUTGOING_H

#include <limits.h>

#include "http/common.h"
#include "net/internal.h"

typedef struct lode__outgoing_ops_s {
  /* Node's _implicitHeader(): builds the header block (writeHead or the
   * request line). Returns 0 or a negative code. */
  int (*implicit_header)(lode_http_outgoing_t* o);
  /* Node's _finish (prefinish) and the owner's 'finish' listener, which
   * runs before the user's (resOnFinish for a response). */
  void (*on_prefinish)(lode_http_outgoing_t* o);
  void (*on_finish)(lode_http_outgoing_t* o);
  /* After the user's finish listeners (a response's close). */
  void (*after_finish)(lode_http_outgoing_t* o);
  /* Held output grew or shrank by delta bytes (Node's _onPendingData). */
  void (*on_pending)(lode_http_outgoing_t* o, long delta);
  /* The last reference went: free the object. */
  void (*free)(lode_http_outgoing_t* o);
  /* setTimeout(msecs): the idle timeout of the connection. */
  void (*set_timeout)(lode_http_outgoing_t* o, uint64_t msecs);
  /* destroy(): tear down the connection under the message. */
  void (*destroy)(lode_http_outgoing_t* o, const lode_error_t* err);
} lode__outgoing_ops_t;

#define LODE__NO_BATCH 2
/* stream_write could not make its write context: nothing was written
 * and no callback will come (distinct from every error code). */
#define LODE__NO_MEMORY INT_MIN

typedef struct lode__pending_cb_s {
  lode_http_outgoing_cb cb;
  void* arg;
} lode__pending_cb_t;

enum {
  LODE__OUT_HEADER_BUILT = 1 << 0, /* Node's _header is set */
  LODE__OUT_HEADER_SENT = 1 << 1,
  LODE__OUT_HAS_BODY = 1 << 2,
  LODE__OUT_CHUNKED = 1 << 3,
  LODE__OUT_CHUNKED_DEFAULT = 1 << 4, /* useChunkedEncodingByDefault */
  LODE__OUT_KEEP_ALIVE = 1 << 5,      /* shouldKeepAlive */
  LODE__OUT_LAST = 1 << 6,            /* _last */
  LODE__OUT_REMOVED_CONN = 1 << 7,
  LODE__OUT_REMOVED_CL = 1 << 8,
  LODE__OUT_REMOVED_TE = 1 << 9,
  LODE__OUT_SEND_DATE = 1 << 10,
  LODE__OUT_DEFAULT_KA = 1 << 11, /* _defaultKeepAlive */
  LODE__OUT_FINISHED = 1 << 12,   /* end() called */
  LODE__OUT_WFINISHED = 1 << 13,  /* 'finish' emitted */
  LODE__OUT_DESTROYED = 1 << 14,
  LODE__OUT_CLOSED = 1 << 15,
  LODE__OUT_NEED_DRAIN = 1 << 16,
  LODE__OUT_STRICT_CL = 1 << 17,
  LODE__OUT_REJECT_BODY = 1 << 18, /* rejectNonStandardBodyWrites */
  LODE__OUT_MAX_REACHED = 1 << 19, /* maxRequestsOnConnectionReached */
  LODE__OUT_AGENT = 1 << 20,       /* ClientRequest with an agent */
  LODE__OUT_HAS_CL = 1 << 21       /* content_length is a number */
};

/* A write's completion: the message, and the callbacks to run. */
typedef struct lode__wctx_s {
  lode__tick_t tick; /* completes on a later turn: an empty write, */
  int status;        /* or one the connection refused at once */
  lode_http_outgoing_t* o;
  lode__pending_cb_t* cbs;
  size_t n;
  lode__pending_cb_t one;
} lode__wctx_t;

struct lode_http_outgoing_s {
  /* Kept when the message is recycled (lode__outgoing_reset): the owner's
   * wiring and the buffers' memory. */
  const lode__outgoing_ops_t* ops;
  uv_loop_t* loop;
  lode__arena_t arena;
  lode__out_headers_t headers;
  lode__buf_t header; /* the built header block */
  lode__buf_t held;   /* output waiting for a connection */
  lode__buf_t trailer;
  /* Idle once the message is recycled (each use sets them up). */
  lode__wctx_t fin;         /* the last write's context, never malloc'd */
  lode__tick_t finish_tick; /* 'finish' of an end() with nothing to send */
  /* Everything from here on is zeroed on reuse. */
  const lode_http_outgoing_events_t* ev;
  void* data;
  lode_stream_t* socket;     /* attached connection, or NULL */
  lode__date_cache_t* date;  /* the owner's Date cache */
  const char* const* unique; /* uniqueHeaders (lowercase), or NULL */
  unsigned refs;
  uint32_t flags;
  lode__pending_cb_t* held_cbs; /* held_one, or an array when several */
  size_t nheld_cbs;
  lode__pending_cb_t held_one;
  uint64_t content_length;
  uint64_t bytes_written;
  uint64_t keep_alive_timeout;
  size_t hwm; /* highWaterMark; 0: 16384 */
  unsigned max_requests;
  int corked;
  int stream_corks; /* cork() calls made on the connection */
  int status_code;  /* a response's; 0 for a request */
  lode__pending_cb_t end_cb;
  /* Optional: takes a write for the owner's batch (responses written while
   * one read is parsed leave in one write). Same contract as
   * lode_stream_writev, or LODE__NO_BATCH to write to the stream now (with
   * `direct` set it sends what it holds and declines: the user corked). */
  int (*batch)(lode_http_outgoing_t* o, const lode_slice_t* bufs, size_t n,
               lode_stream_cb cb, void* arg, int direct);
  int fin_busy;
  lode_http_outgoing_cb timeout_cb; /* setTimeout's callback */
  void* timeout_arg;
};

/* The message's references (lode_http_outgoing_hold/release), inline for
 * the paths every response takes. */
static inline void lode__outgoing_hold(lode_http_outgoing_t* o) {
  o->refs++;
}
static inline void lode__outgoing_release(lode_http_outgoing_t* o) {
  if (--o->refs == 0)
    o->ops->free(o);
}

void lode__outgoing_init(lode_http_outgoing_t* o, uv_loop_t* loop,
                         const lode__outgoing_ops_t* ops);
/* Back to a fresh state for reuse (arena's first chunk kept). */
void lode__outgoing_reset(lode_http_outgoing_t* o);
void lode__outgoing_free(lode_http_outgoing_t* o);

/* Node's _storeHeader(firstLine, headers): with pairs == NULL the stored
 * headers are used, otherwise the n pairs are validated and written as
 * given (writeHead's headers without any setHeader before). */
int lode__outgoing_store_header(lode_http_outgoing_t* o, const char* first,
                                size_t first_len, const char* const* pairs,
                                size_t n);
/* Node's _writeRaw for bytes that bypass framing (100 Continue, 103);
 * `cb` runs when they are written (never once the message is destroyed). */
int lode__outgoing_write_raw(lode_http_outgoing_t* o, lode_slice_t data,
                             lode_http_outgoing_cb cb, void* arg);
/* Attaches a connection and flushes held output (Node's assignSocket +
 * _flush). */
void lode__outgoing_attach(lode_http_outgoing_t* o, lode_stream_t* s);
/* The connection drained: 'drain' if a write returned 0. */
void lode__outgoing_drain(lode_http_outgoing_t* o);
/* Emits 'close' once (also when the connection went away first). */
void lode__outgoing_emit_close(lode_http_outgoing_t* o);
/* Runs fn(t) on a later turn of `loop` (see lode__later; the owner of
 * the loop's net state, a server or a request, keeps it alive). */
void lode__http_later(uv_loop_t* loop, lode__tick_t* t,
                      void (*fn)(lode__tick_t* t));

#endif
