/* lode: the duplex stream interface.
 * (Conventions for every header: the opening comment of lode.h.)
 *
 * HTTP and WebSocket speak to a lode_stream_t, not to a TCP socket: Node lets
 * createConnection return "any Duplex stream". lode_socket_t is the main
 * implementation (lode_socket_stream() gives its stream); the in-memory pair
 * (lode_stream_pair) carries HTTP in tests; a user may implement one (TLS,
 * say) by filling in lode_stream_ops_t.
 *
 * A stream has one reader: the layer that consumes its events (the HTTP
 * server, a client request, a WebSocket). The reader is told of events
 * before the stream's own user callbacks, so the user can still watch a
 * socket that HTTP runs on. */
#ifndef LODE_STREAM_H
#define LODE_STREAM_H

#include <stddef.h>
#include <uv.h>
#include "lode/buf.h"
#include "lode/errors.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct lode_stream_s lode_stream_t;

/* A per-call completion (Node's write/end `callback`): status 0 or a
 * negative error code. */
typedef void (*lode_stream_cb)(lode_stream_t* s, int status, void* arg);

/* What the stream tells its reader. Every slot may be NULL. `data` is
 * borrowed until the callback returns. on_close comes last, once. */
typedef struct lode_stream_reader_s {
  void (*on_data)(void* ctx, lode_stream_t* s, lode_slice_t data);
  void (*on_end)(void* ctx, lode_stream_t* s);
  void (*on_drain)(void* ctx, lode_stream_t* s);
  void (*on_error)(void* ctx, lode_stream_t* s, const lode_error_t* err);
  void (*on_close)(void* ctx, lode_stream_t* s, int had_error);
} lode_stream_reader_t;

/* What an implementation provides. */
typedef struct lode_stream_ops_s {
  /* Queues a copy of the bytes (the caller's memory is free at return).
   * Returns 1 when the queue is below the high-water mark, 0 when the
   * writer should wait for on_drain, or a negative error (then cb is not
   * called). */
  int (*write)(lode_stream_t* s, const lode_slice_t* bufs, size_t nbufs,
               lode_stream_cb cb, void* arg);
  /* Half-closes after the queued writes (Node's end()). */
  int (*end)(lode_stream_t* s, lode_stream_cb cb, void* arg);
  /* Tears down; err (borrowed, may be NULL) goes to on_error first. */
  void (*destroy)(lode_stream_t* s, const lode_error_t* err);
  void (*pause)(lode_stream_t* s);
  void (*resume)(lode_stream_t* s);
  void (*cork)(lode_stream_t* s);
  void (*uncork)(lode_stream_t* s);
  /* Bytes queued and not yet handed to the kernel (Node's writableLength). */
  size_t (*writable_length)(const lode_stream_t* s);
  /* Memory references: the object stays allocated while any is held. */
  void (*hold)(lode_stream_t* s);
  void (*release)(lode_stream_t* s);
} lode_stream_ops_t;

struct lode_stream_s {
  const lode_stream_ops_t* ops;
  uv_loop_t* loop;
  const lode_stream_reader_t* reader; /* borrowed; may be NULL */
  void* reader_ctx;
};

/* Sets (or, with NULL, clears) the stream's reader. `r` is borrowed and
 * must outlive its use (normally a static const table); `ctx` is passed
 * back to each callback. Takes effect for the next event. */
void lode_stream_set_reader(lode_stream_t* s, const lode_stream_reader_t* r,
                            void* ctx);

/* Calls through ops (NULL `s`: UV_EINVAL, or nothing for the void ones).
 *
 * lode_stream_write / writev: Node's writable.write(chunk, cb). The bytes
 * are copied. Returns 1 (below the high-water mark), 0 (wait for on_drain)
 * or a negative code, and then cb is never called:
 * LODE_ERR_STREAM_NULL_VALUES for a NULL buffer with a length,
 * LODE_ERR_STREAM_DESTROYED after destroy, LODE_ERR_STREAM_WRITE_AFTER_END
 * after end (the stream is then also destroyed with that error, as Node
 * does), UV_ENOMEM. cb runs later, from the loop, with 0 or an error
 * (LODE_ERR_STREAM_DESTROYED for a write the stream never sent).
 *
 * lode_stream_end: Node's writable.end(cb); cb when the end is through (a
 * second end() while the first is pending waits for it). Returns 0,
 * LODE_ERR_STREAM_DESTROYED or LODE_ERR_STREAM_ALREADY_FINISHED.
 *
 * lode_stream_destroy: Node's destroy(err); later: on_error(err) if err,
 * the pending write/end callbacks, on_close. A second call does nothing.
 *
 * pause/resume (Node's): a paused stream emits no data and no end. cork
 * and uncork count like Node's; end() uncorks. hold/release are memory
 * references (see docs/lifetime.md). */
int lode_stream_write(lode_stream_t* s, lode_slice_t data, lode_stream_cb cb,
                      void* arg);
int lode_stream_writev(lode_stream_t* s, const lode_slice_t* bufs, size_t nbufs,
                       lode_stream_cb cb, void* arg);
int lode_stream_end(lode_stream_t* s, lode_stream_cb cb, void* arg);
void lode_stream_destroy(lode_stream_t* s, const lode_error_t* err);
void lode_stream_pause(lode_stream_t* s);
void lode_stream_resume(lode_stream_t* s);
void lode_stream_cork(lode_stream_t* s);
void lode_stream_uncork(lode_stream_t* s);
size_t lode_stream_writable_length(const lode_stream_t* s);
void lode_stream_hold(lode_stream_t* s);
void lode_stream_release(lode_stream_t* s);

/* For implementations: hand an event to the reader (no-ops without one). */
void lode_stream_emit_data(lode_stream_t* s, lode_slice_t data);
void lode_stream_emit_end(lode_stream_t* s);
void lode_stream_emit_drain(lode_stream_t* s);
void lode_stream_emit_error(lode_stream_t* s, const lode_error_t* err);
void lode_stream_emit_close(lode_stream_t* s, int had_error);

/* ---- pipe and pipeline (docs/streams.md) ----
 *
 * While a stream is piped (or in a pipeline) its reader is the pipe's: the
 * reader set before keeps hearing every event, after the pipe's handling,
 * and gets its place back when the last pipe of the stream goes. Do not
 * set another reader on a piped stream. */

/* Node: readable.pipe(destination[, options]). `end` is a tri-state
 * (lode/options.h): Node's default true. */
typedef struct lode_stream_pipe_opts_s {
  int end; /* pass the source's end on: destination end() */
} lode_stream_pipe_opts_t;

/* Node: src.pipe(dst, opts). Every chunk `src` emits is written to `dst`;
 * when a write returns 0 (or fails: Node's write returns false then too),
 * `src` is paused until `dst`'s drain or the unpipe. At `src`'s
 * end, `dst` is ended (with opts->end LODE_FALSE, the pipe is only
 * removed). An error or close of `dst` unpipes it: the source is neither
 * ended nor destroyed, as in Node, and goes on flowing (what it reads goes
 * to its own reader, if any), so that its end and close still come (Node
 * pauses it, but a paused Node socket still reads its end; a paused lode
 * stream does not). A source that errors or closes before its end leaves
 * `dst` as it is. `src` is resumed unless it waits for a drain. A stream may be the
 * source and the destination of pipes at the same time (a to b and b to
 * a, or c to c), and a source may feed several destinations. `opts` may
 * be NULL (read during the call). Nothing is called back; the pipe holds
 * no memory reference on the streams and goes with the first of them to
 * close. Returns 0, UV_EINVAL (a NULL stream) or UV_ENOMEM (nothing
 * changed). Pipe only open streams: a source that has already ended
 * never passes its end on. */
int lode_stream_pipe(lode_stream_t* src, lode_stream_t* dst,
                     const lode_stream_pipe_opts_t* opts);

/* Node: src.unpipe([dst]): removes the pipe from `src` to `dst` (the
 * first one, when there are several), or every pipe from `src` when `dst`
 * is NULL. `src` is paused when it pipes nowhere else, then resumed if it
 * was waiting for the removed destination's drain (as Node's cleanup
 * does). Nothing is written or ended. Not piped: nothing happens. */
void lode_stream_unpipe(lode_stream_t* src, lode_stream_t* dst);

/* Node: stream.pipeline(streams..., callback). Pipes streams[i] into
 * streams[i + 1] and ends each destination at its source's end. `cb` is
 * called exactly once, on the tick after the event that settles the
 * pipeline (Node's nextTick), with the last stream and:
 *   0 when every source has ended and every destination finished (the
 *     streams then close on their own);
 *   otherwise the first error (an error a stream emits, a failed end, or
 *     LODE_ERR_STREAM_PREMATURE_CLOSE when a stream closes before its part
 *     is done, which a later real error replaces, as in Node). On the
 *     first error every stream not done yet is destroyed with that error
 *     (Node's destroyer), and `cb` waits until each of them has closed.
 * The pipeline holds a memory reference on every stream until `cb` has
 * returned. The array is read during the call. Returns 0,
 * LODE_ERR_MISSING_ARGS (fewer than two streams), UV_EINVAL (a NULL
 * stream), UV_EBUSY (a stream given twice, or already in a pipeline) or
 * UV_ENOMEM; nothing is called back then. */
int lode_stream_pipeline(lode_stream_t* const* streams, size_t n,
                         lode_stream_cb cb, void* arg);

/* An in-memory connected pair, for tests and for running HTTP without a
 * socket: what one side writes, the other side reads, asynchronously on the
 * loop (one uv_idle_t per pair, active only while there is work), with
 * Node's events. Deterministic: each loop pass first emits the closes
 * decided before, then delivers a's writes to b, then b's to a.
 *
 * - Both start flowing; a side whose reader has no on_data takes nothing
 *   (like a Node stream with no 'data' listener), nor does a paused one.
 * - A write stays queued on the writer until the peer's reader has taken
 *   it (each write is one on_data); then its cb runs; on_drain follows
 *   when a write had returned 0 and the queue is empty. High-water mark:
 *   16 KiB, Node's default.
 * - end() gives the peer on_end after the data. Sides are half-open
 *   (allowHalfOpen): a side closes (on_close(0)) once it has both ended
 *   and had its own end delivered, as Node's autoDestroy does.
 * - destroy() drops the writes not yet taken; the peer then reads the end
 *   of the stream, and a peer writing to a destroyed side is destroyed
 *   with EPIPE ("write EPIPE").
 * - Each side holds one reference released after its close; the memory
 *   and the idle handle go when both are released. Destroy or end both
 *   sides to finish, or the loop keeps the handle.
 *
 * Returns 0, UV_EINVAL (a NULL argument) or UV_ENOMEM. */
int lode_stream_pair(uv_loop_t* loop, lode_stream_t** a, lode_stream_t** b);

#ifdef __cplusplus
}
#endif
#endif
