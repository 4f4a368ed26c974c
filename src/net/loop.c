/* Per-loop state of the net layer: the read slab, deferred calls and the
 * idle timers. One state per uv_loop_t, found through a thread-local list
 * (a loop runs on one thread), created by the first socket or server on the
 * loop and closed with the last. */
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include "net/internal.h"

#define SLAB_SIZE (64 * 1024)
#define BLOCKS_MAX 64

typedef struct block_s {
  struct block_s* next;
} block_t;

struct lode__idle_list_s {
  lode__idle_list_t* next;
  unsigned ms;
  lode__idle_t* head;
  lode__idle_t* tail;
};

struct lode__netloop_s {
  lode__netloop_t* next;
  uv_loop_t* loop;
  unsigned uses;
  int closing;
  int handles_open;
  int idle_on;             /* `idle` is started */
  uv_idle_t idle;          /* runs the tick queue */
  uv_timer_t timer;        /* fires at the earliest idle deadline */
  uv_timer_t later;        /* runs the later queue in the timers phase */
  lode__tick_t* later_head;
  lode__tick_t* later_tail;
  uint64_t armed_at;       /* deadline the timer is armed for; 0 = none */
  lode__tick_t* ticks_head;
  lode__tick_t* ticks_tail;
  lode__idle_list_t* lists;
  char* scratch;
  size_t scratch_len;
  block_t* blocks;         /* freed write records, for reuse */
  unsigned nblocks;
  char slab[SLAB_SIZE];
};

static _Thread_local lode__netloop_t* registry;

static void on_tick_idle(uv_idle_t* h);
static void on_timer(uv_timer_t* t);

/* libuv writes with write(2), which raises SIGPIPE on a connection the
 * peer reset; its default action ends the process. Node ignores SIGPIPE at
 * start-up, so its writes fail with EPIPE instead. lode does the same once,
 * when the first loop state is made, and only if the disposition is still
 * the default: an application's own handler (or SIG_IGN) is left alone. */
static void ignore_sigpipe(void) {
  struct sigaction sa;
  if (sigaction(SIGPIPE, NULL, &sa) != 0 || sa.sa_handler != SIG_DFL ||
      (sa.sa_flags & SA_SIGINFO))
    return;
  memset(&sa, 0, sizeof(sa));
  sa.sa_handler = SIG_IGN;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGPIPE, &sa, NULL);
}

static pthread_once_t sigpipe_once = PTHREAD_ONCE_INIT;

lode__netloop_t* lode__netloop_get(uv_loop_t* loop) {
  for (lode__netloop_t* nl = registry; nl != NULL; nl = nl->next)
    if (nl->loop == loop && !nl->closing) {
      nl->uses++;
      return nl;
    }
  pthread_once(&sigpipe_once, ignore_sigpipe);
  lode__netloop_t* nl = calloc(1, sizeof(*nl));
  if (nl == NULL) return NULL;
  nl->loop = loop;
  nl->uses = 1;
  uv_idle_init(loop, &nl->idle);
  uv_timer_init(loop, &nl->timer);
  /* Idle timeouts never hold the loop open, as Node's unref'd timers. */
  uv_unref((uv_handle_t*) &nl->timer);
  uv_timer_init(loop, &nl->later);
  nl->idle.data = nl;
  nl->timer.data = nl;
  nl->later.data = nl;
  nl->handles_open = 3;
  nl->next = registry;
  registry = nl;
  return nl;
}

static void on_handle_closed(uv_handle_t* h) {
  lode__netloop_t* nl = h->data;
  if (--nl->handles_open > 0) return;
  while (nl->lists != NULL) {
    lode__idle_list_t* l = nl->lists;
    nl->lists = l->next;
    free(l);
  }
  while (nl->blocks != NULL) {
    block_t* b = nl->blocks;
    nl->blocks = b->next;
    free(b);
  }
  free(nl->scratch);
  free(nl);
}

void lode__netloop_hold(lode__netloop_t* nl) { nl->uses++; }

void lode__netloop_put(lode__netloop_t* nl) {
  if (nl == NULL || --nl->uses > 0) return;
  nl->closing = 1;
  for (lode__netloop_t** p = &registry; *p != NULL; p = &(*p)->next)
    if (*p == nl) {
      *p = nl->next;
      break;
    }
  uv_close((uv_handle_t*) &nl->idle, on_handle_closed);
  uv_close((uv_handle_t*) &nl->timer, on_handle_closed);
  uv_close((uv_handle_t*) &nl->later, on_handle_closed);
}

lode__netloop_t* lode__netloop_find(uv_loop_t* loop) {
  for (lode__netloop_t* nl = registry; nl != NULL; nl = nl->next)
    if (nl->loop == loop && !nl->closing)
      return nl;
  return NULL;
}

uv_buf_t lode__netloop_slab(lode__netloop_t* nl) {
  return lode__uv_buf(nl->slab, SLAB_SIZE);
}

char* lode__netloop_scratch(lode__netloop_t* nl, size_t n) {
  if (n <= nl->scratch_len) return nl->scratch;
  char* p = realloc(nl->scratch, n);
  if (p == NULL) return NULL;
  nl->scratch = p;
  nl->scratch_len = n;
  return p;
}

void* lode__netloop_block_get(lode__netloop_t* nl) {
  block_t* b = nl->blocks;
  if (b == NULL) return NULL;
  nl->blocks = b->next;
  nl->nblocks--;
  return b;
}

int lode__netloop_block_put(lode__netloop_t* nl, void* block) {
  if (nl->nblocks >= BLOCKS_MAX) return 0;
  block_t* b = block;
  b->next = nl->blocks;
  nl->blocks = b;
  nl->nblocks++;
  return 1;
}

/* ---- Ticks ------------------------------------------------------------ */

void lode__tick(lode__netloop_t* nl, lode__tick_t* t,
                void (*fn)(lode__tick_t*)) {
  t->fn = fn;
  if (t->queued) return;
  t->queued = 1;
  t->next = NULL;
  if (nl->ticks_tail != NULL)
    nl->ticks_tail->next = t;
  else
    nl->ticks_head = t;
  nl->ticks_tail = t;
  /* An active idle handle keeps the loop from blocking in poll and holds
   * it open until the queue is empty, as pending nextTicks do in Node.
   * It runs the queue when the call that filled it came from outside
   * lode's callbacks (the application's own timer, check or async
   * handle, or before uv_run); it is started only here, so a loop with
   * nothing queued never sees it, and it stops once the queue is empty. */
  if (!nl->idle_on) {
    nl->idle_on = 1;
    uv_idle_start(&nl->idle, on_tick_idle);
  }
}

void lode__tick_cancel(lode__netloop_t* nl, lode__tick_t* t) {
  if (!t->queued) return;
  lode__tick_t* prev = NULL;
  for (lode__tick_t* c = nl->ticks_head; c != NULL; prev = c, c = c->next) {
    if (c != t) continue;
    if (prev != NULL)
      prev->next = c->next;
    else
      nl->ticks_head = c->next;
    if (nl->ticks_tail == c) nl->ticks_tail = prev;
    break;
  }
  t->queued = 0;
}

static void idle_stop(lode__netloop_t* nl) {
  nl->idle_on = 0;
  uv_idle_stop(&nl->idle);
}

/* Node drains its nextTick queue after every callback from libuv; each
 * libuv callback of the net layer ends with this, so deferred events run
 * before libuv goes on (a write's callback before the next I/O). Bounded,
 * so a callback that keeps re-queueing cannot hold the loop; the idle
 * handle takes the rest. */
void lode__ticks_run(lode__netloop_t* nl) {
  if (!nl->idle_on) return;  /* the common case: nothing was queued */
  for (int i = 0; i < 1024 && nl->ticks_head != NULL; i++) {
    lode__tick_t* t = nl->ticks_head;
    nl->ticks_head = t->next;
    if (nl->ticks_head == NULL) nl->ticks_tail = NULL;
    t->queued = 0;
    t->fn(t);
  }
  if (nl->ticks_head == NULL && !nl->closing) idle_stop(nl);
}

static void on_tick_idle(uv_idle_t* h) {
  lode__netloop_t* nl = h->data;
  /* Runs what was queued before this turn; what the callbacks queue runs
   * on the next turn, so a callback that re-queues cannot starve I/O. */
  lode__tick_t* last = nl->ticks_tail;
  /* Bounded too: `last` may have been cancelled by an earlier call. */
  for (int i = 0; i < 1024 && nl->ticks_head != NULL; i++) {
    lode__tick_t* t = nl->ticks_head;
    nl->ticks_head = t->next;
    if (nl->ticks_head == NULL) nl->ticks_tail = NULL;
    t->queued = 0;
    t->fn(t);
    if (t == last) break;
  }
  if (nl->ticks_head == NULL) idle_stop(nl);
}

/* ---- The later queue --------------------------------------------------- */

static void queue_push(lode__tick_t** head, lode__tick_t** tail,
                       lode__tick_t* t) {
  t->queued = 1;
  t->next = NULL;
  if (*tail != NULL)
    (*tail)->next = t;
  else
    *head = t;
  *tail = t;
}

static void on_later(uv_timer_t* h) {
  lode__netloop_t* nl = h->data;
  /* What the calls queue runs in this pass too, as a 0 ms timer started
   * inside a timer callback does; bounded, then the next turn. */
  for (int i = 0; i < 4096 && nl->later_head != NULL; i++) {
    lode__tick_t* t = nl->later_head;
    nl->later_head = t->next;
    if (nl->later_head == NULL) nl->later_tail = NULL;
    t->queued = 0;
    t->fn(t);
  }
  if (nl->later_head != NULL && !nl->closing)
    uv_timer_start(&nl->later, on_later, 0, 0);
}

void lode__later(lode__netloop_t* nl, lode__tick_t* t,
                 void (*fn)(lode__tick_t*)) {
  t->fn = fn;
  if (t->queued) return;
  int was_empty = nl->later_head == NULL;
  queue_push(&nl->later_head, &nl->later_tail, t);
  if (was_empty)
    uv_timer_start(&nl->later, on_later, 0, 0);
}

/* ---- Idle timers ------------------------------------------------------ */

static void arm(lode__netloop_t* nl, uint64_t deadline) {
  if (nl->armed_at != 0 && nl->armed_at <= deadline) return;
  uint64_t now = uv_now(nl->loop);
  nl->armed_at = deadline;
  uv_timer_start(&nl->timer, on_timer, deadline > now ? deadline - now : 0,
                 0);
}

static void list_unlink(lode__idle_t* it) {
  lode__idle_list_t* l = it->list;
  if (it->prev != NULL)
    it->prev->next = it->next;
  else
    l->head = it->next;
  if (it->next != NULL)
    it->next->prev = it->prev;
  else
    l->tail = it->prev;
  it->prev = it->next = NULL;
  it->list = NULL;
}

static lode__idle_list_t* list_for(lode__netloop_t* nl, unsigned ms) {
  for (lode__idle_list_t* l = nl->lists; l != NULL; l = l->next)
    if (l->ms == ms) return l;
  lode__idle_list_t* l = calloc(1, sizeof(*l));
  if (l == NULL) return NULL;
  l->ms = ms;
  l->next = nl->lists;
  nl->lists = l;
  return l;
}

static void list_append(lode__netloop_t* nl, lode__idle_t* it) {
  lode__idle_list_t* l = list_for(nl, it->ms);
  if (l == NULL) return;  /* out of memory: the timeout is lost, not I/O */
  it->start = uv_now(nl->loop);
  it->list = l;
  it->next = NULL;
  it->prev = l->tail;
  if (l->tail != NULL)
    l->tail->next = it;
  else
    l->head = it;
  l->tail = it;
  if (l->head == it) arm(nl, it->start + it->ms);
}

void lode__idle_set(lode__netloop_t* nl, lode__idle_t* it, unsigned ms) {
  if (it->list != NULL) list_unlink(it);
  it->ms = ms;
  if (ms > 0) list_append(nl, it);
}

void lode__idle_restart(lode__netloop_t* nl, lode__idle_t* it) {
  if (it->list != NULL) {
    /* Already last with the current time: nothing moves. */
    if (it->list->tail == it && it->start == uv_now(nl->loop)) return;
    list_unlink(it);
  }
  list_append(nl, it);
}

void lode__idle_stop(lode__netloop_t* nl, lode__idle_t* it) {
  if (it->list != NULL) list_unlink(it);
}

static void on_timer(uv_timer_t* t) {
  lode__netloop_t* nl = t->data;
  uint64_t now = uv_now(nl->loop);
  nl->armed_at = 0;
  /* A callback may touch, stop or add items; each pass re-reads the heads. */
  for (lode__idle_list_t* l = nl->lists; l != NULL; l = l->next)
    while (l->head != NULL && l->head->start + l->ms <= now) {
      lode__idle_t* it = l->head;
      list_unlink(it);
      it->fn(it);
      lode__ticks_run(nl);
    }
  /* The next deadline; lists left empty go (no item points to one: an
   * unarmed item has no list), so many distinct durations cost nothing
   * once they are done. */
  uint64_t next = 0;
  for (lode__idle_list_t** p = &nl->lists; *p != NULL;) {
    lode__idle_list_t* l = *p;
    if (l->head == NULL) {
      *p = l->next;
      free(l);
      continue;
    }
    if (next == 0 || l->head->start + l->ms < next)
      next = l->head->start + l->ms;
    p = &l->next;
  }
  if (next != 0) arm(nl, next);
}
