/* lode: abort signals (Node's AbortController / AbortSignal).
 * (Conventions for every header: the opening comment of lode.h.)
 *
 * A controller owns one signal. Objects that take a `signal` option
 * (net.connect, server.listen, later HTTP requests) attach a listener to
 * it; lode_abort_controller_abort() runs every listener once, synchronously,
 * in the order they were added. Passing an already aborted signal makes the
 * operation fail at once (asynchronously, as in Node).
 *
 * Lifetime: the controller and its signal are one allocation, held by
 * references. lode_abort_controller_create gives the caller one reference;
 * each object that takes the signal holds another while it listens, so the
 * caller may drop its own (lode_abort_controller_release) at any time. */
#ifndef LODE_ABORT_H
#define LODE_ABORT_H

#ifdef __cplusplus
extern "C" {
#endif

typedef struct lode_abort_controller_s lode_abort_controller_t;
typedef struct lode_abort_signal_s lode_abort_signal_t;

/* A listener, embedded in the object that listens (no allocation). `fn`
 * runs once when the signal aborts; it may remove other listeners. */
typedef struct lode_abort_listener_s lode_abort_listener_t;
struct lode_abort_listener_s {
  lode_abort_listener_t* next;
  lode_abort_listener_t* prev;
  void (*fn)(lode_abort_listener_t* l, lode_abort_signal_t* sig);
};

/* Node: new AbortController(). Returns 0 or UV_ENOMEM. */
int lode_abort_controller_create(lode_abort_controller_t** out);
/* Node: controller.signal (borrowed from the controller). */
lode_abort_signal_t* lode_abort_controller_signal(lode_abort_controller_t* c);
/* Node: controller.abort([reason]). `reason` is an error code (0 means
 * Node's AbortError, LODE_ABORT_ERR). Aborting twice does nothing. */
void lode_abort_controller_abort(lode_abort_controller_t* c, int reason);
/* Memory references (not Node's ref/unref): the last release frees. */
void lode_abort_controller_hold(lode_abort_controller_t* c);
void lode_abort_controller_release(lode_abort_controller_t* c);

/* Node: signal.aborted, signal.reason (0 while not aborted). */
int lode_abort_signal_aborted(const lode_abort_signal_t* sig);
int lode_abort_signal_reason(const lode_abort_signal_t* sig);
/* Node: signal.addEventListener('abort', fn, { once: true }). Adding to an
 * aborted signal does nothing (check lode_abort_signal_aborted first). The
 * signal takes a reference on its controller while the listener is on. */
void lode_abort_signal_add(lode_abort_signal_t* sig, lode_abort_listener_t* l);
/* Removes a listener that was added and has not run; else does nothing. */
void lode_abort_signal_remove(lode_abort_signal_t* sig,
                              lode_abort_listener_t* l);

#ifdef __cplusplus
}
#endif
#endif
