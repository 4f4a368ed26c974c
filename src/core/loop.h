/* Per-loop state every layer shares: deferred calls (the tick queue, as
 * Node's process.nextTick, and the later queue, as a 0 ms timer) and idle
 * timers (as Node's socket timeouts). One state per uv_loop_t, found
 * through a thread-local list (a loop runs on one thread), made by its
 * first user and closed with the last. A layer above keeps its own
 * per-loop part in it (net: the read slab). */
#ifndef LODE_CORE_LOOP_H
#define LODE_CORE_LOOP_H

#include <stdint.h>
#include <uv.h>
#include "core/internal.h"

typedef struct lode__loop_s lode__loop_t;

/* Takes (making it if needed) / drops a use of the loop's state. The
 * state closes its handles when the last use is dropped. get returns
 * NULL without memory. */
lode__loop_t* lode__loop_get(uv_loop_t* loop);
void lode__loop_hold(lode__loop_t* l);
void lode__loop_put(lode__loop_t* l);
/* The loop's state if something holds it, without taking a use; NULL
 * when nothing does. */
lode__loop_t* lode__loop_find(uv_loop_t* loop);
/* The part a layer above keeps per loop (one: net's), NULL until set;
 * free_fn frees it with the state. */
void* lode__loop_part(const lode__loop_t* l);
void lode__loop_set_part(lode__loop_t* l, void* part,
                         void (*free_fn)(void* part));

/* ---- Deferred calls ---------------------------------------------------- */

/* A deferred call, embedded in its owner (zeroed is idle). A node is on
 * one queue at a time: ticks or later, not both. */
typedef struct lode__tick_s lode__tick_t;
struct lode__tick_s {
  lode__tick_t* next;
  void (*fn)(lode__tick_t* t);
  int queued;
};

/* Queues t->fn for the next turn of the loop (once while queued): Node's
 * process.nextTick. The queue holds the loop open. */
void lode__tick(lode__loop_t* l, lode__tick_t* t, void (*fn)(lode__tick_t*));
void lode__tick_cancel(lode__loop_t* l, lode__tick_t* t);
/* Runs the queued calls now: the end of every libuv callback (Node's
 * nextTick queue drains after each callback). `l` must be taken before
 * the callback's work, as that work may free its object. */
void lode__ticks_run(lode__loop_t* l);
/* Queues t->fn for the loop's next timers phase (where a 0 ms timer
 * would run it; once while queued). The queue holds the loop open. */
void lode__later(lode__loop_t* l, lode__tick_t* t, void (*fn)(lode__tick_t*));

/* ---- Idle timers ------------------------------------------------------- */

/* An idle timer (Node's socket timeout), embedded in its owner (zeroed is
 * disabled). Items with the same duration share a list ordered by start
 * time, so activity is a move to the tail; one uv_timer per loop, which
 * does not hold the loop open, is armed at the earliest deadline of the
 * list heads and re-armed lazily when it fires early. fn runs once per
 * period, then the queued ticks. */
typedef struct lode__idle_s lode__idle_t;
typedef struct lode__idle_list_s lode__idle_list_t;
struct lode__idle_s {
  lode__queue_t link;      /* in `list`, when there is one */
  lode__idle_list_t* list; /* NULL when not armed */
  uint64_t start;
  uint64_t ms; /* 0 = disabled */
  void (*fn)(lode__idle_t* it);
};

/* Sets the duration (0 disables) and starts the timer from now. */
void lode__idle_set(lode__loop_t* l, lode__idle_t* it, uint64_t ms);
/* Activity: restarts an enabled timer from now (O(1)); inline, as every
 * read and write calls it and most sockets have no timeout. */
void lode__idle_restart(lode__loop_t* l, lode__idle_t* it);
static inline void lode__idle_touch(lode__loop_t* l, lode__idle_t* it) {
  if (it->ms != 0)
    lode__idle_restart(l, it);
}
/* Disarms without forgetting the duration. */
void lode__idle_stop(lode__loop_t* l, lode__idle_t* it);
/* Disables a timer that is likely to be set again soon with the same
 * duration (keepAliveTimeout between requests): the item keeps its place
 * and is skipped, not called, when its turn comes, so that set is a move
 * to the tail instead of an unlink, a list lookup and an append. Not for
 * an item that goes away: stop or set it to 0 first. */
static inline void lode__idle_stop_lazily(lode__idle_t* it) {
  it->ms = 0;
}

#endif
