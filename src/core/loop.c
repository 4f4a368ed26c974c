/* Per-loop state: the tick and later queues and the idle timers (see
 * core/loop.h). */
#include "core/loop.h"

#include <stdlib.h>

struct lode__idle_list_s {
  lode__idle_list_t* next;
  uint64_t ms;
  lode__queue_t items; /* least recently started first */
};

struct lode__loop_s {
  lode__loop_t* next;
  uv_loop_t* loop;
  unsigned uses;
  int closing;
  int handles_open;
  int idle_on;      /* `idle` is started */
  uv_idle_t idle;   /* runs the tick queue */
  uv_timer_t timer; /* fires at the earliest idle deadline */
  uv_timer_t later; /* runs the later queue in the timers phase */
  lode__tick_t* later_head;
  lode__tick_t* later_tail;
  uint64_t armed_at; /* deadline the timer is armed for; 0 = none */
  lode__tick_t* ticks_head;
  lode__tick_t* ticks_tail;
  lode__idle_list_t* lists;
  void* part; /* the layer above's per-loop part */
  void (*part_free)(void* part);
};

static _Thread_local lode__loop_t* registry;

static void on_tick_idle(uv_idle_t* h);

lode__loop_t* lode__loop_get(uv_loop_t* loop) {
  lode__loop_t* l = lode__loop_find(loop);
  if (l != NULL) {
    l->uses++;
    return l;
  }
  l = calloc(1, sizeof(*l));
  if (l == NULL)
    return NULL;
  l->loop = loop;
  l->uses = 1;
  uv_idle_init(loop, &l->idle);
  uv_timer_init(loop, &l->timer);
  /* Idle timeouts never hold the loop open, as Node's unref'd timers. */
  uv_unref((uv_handle_t*) &l->timer);
  uv_timer_init(loop, &l->later);
  l->idle.data = l;
  l->timer.data = l;
  l->later.data = l;
  l->handles_open = 3;
  l->next = registry;
  registry = l;
  return l;
}

static void on_handle_closed(uv_handle_t* h) {
  lode__loop_t* l = h->data;
  if (--l->handles_open > 0)
    return;
  while (l->lists != NULL) {
    lode__idle_list_t* list = l->lists;
    l->lists = list->next;
    free(list);
  }
  if (l->part_free != NULL)
    l->part_free(l->part);
  free(l);
}

void lode__loop_hold(lode__loop_t* l) {
  l->uses++;
}

void lode__loop_put(lode__loop_t* l) {
  if (l == NULL || --l->uses > 0)
    return;
  l->closing = 1;
  for (lode__loop_t** p = &registry; *p != NULL; p = &(*p)->next)
    if (*p == l) {
      *p = l->next;
      break;
    }
  uv_close((uv_handle_t*) &l->idle, on_handle_closed);
  uv_close((uv_handle_t*) &l->timer, on_handle_closed);
  uv_close((uv_handle_t*) &l->later, on_handle_closed);
}

lode__loop_t* lode__loop_find(uv_loop_t* loop) {
  for (lode__loop_t* l = registry; l != NULL; l = l->next)
    if (l->loop == loop && !l->closing)
      return l;
  return NULL;
}

void* lode__loop_part(const lode__loop_t* l) {
  return l->part;
}

void lode__loop_set_part(lode__loop_t* l, void* part,
                         void (*free_fn)(void* part)) {
  l->part = part;
  l->part_free = free_fn;
}

/* ---- Ticks ------------------------------------------------------------ */

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

static lode__tick_t* queue_pop(lode__tick_t** head, lode__tick_t** tail) {
  lode__tick_t* t = *head;
  *head = t->next;
  if (*head == NULL)
    *tail = NULL;
  t->queued = 0;
  return t;
}

void lode__tick(lode__loop_t* l, lode__tick_t* t, void (*fn)(lode__tick_t*)) {
  t->fn = fn;
  if (t->queued)
    return;
  queue_push(&l->ticks_head, &l->ticks_tail, t);
  /* An active idle handle keeps the loop from blocking in poll and holds
   * it open until the queue is empty, as pending nextTicks do in Node.
   * It runs the queue when the call that filled it came from outside
   * lode's callbacks (the application's own timer, check or async
   * handle, or before uv_run); it is started only here, so a loop with
   * nothing queued never sees it, and it stops in the idle phase after
   * the queue has emptied (see lode__ticks_run). */
  if (!l->idle_on) {
    l->idle_on = 1;
    uv_idle_start(&l->idle, on_tick_idle);
  }
}

void lode__tick_cancel(lode__loop_t* l, lode__tick_t* t) {
  if (!t->queued)
    return;
  lode__tick_t* prev = NULL;
  for (lode__tick_t* c = l->ticks_head; c != NULL; prev = c, c = c->next) {
    if (c != t)
      continue;
    if (prev != NULL)
      prev->next = c->next;
    else
      l->ticks_head = c->next;
    if (l->ticks_tail == c)
      l->ticks_tail = prev;
    break;
  }
  t->queued = 0;
}

static void idle_stop(lode__loop_t* l) {
  l->idle_on = 0;
  uv_idle_stop(&l->idle);
}

/* Node drains its nextTick queue after every callback from libuv; each
 * libuv callback of the library ends with this, so deferred events run
 * before libuv goes on (a write's callback before the next I/O). Bounded,
 * so a callback that keeps re-queueing cannot hold the loop; the idle
 * handle takes the rest. The idle handle stays started when the queue
 * empties here: the loop's next idle phase, before it polls, stops it,
 * so the many callbacks of one poll (each queueing a write's completion)
 * start and stop it once, not once each. */
void lode__ticks_run(lode__loop_t* l) {
  for (int i = 0; i < 1024 && l->ticks_head != NULL; i++) {
    lode__tick_t* t = queue_pop(&l->ticks_head, &l->ticks_tail);
    t->fn(t);
  }
}

static void on_tick_idle(uv_idle_t* h) {
  lode__loop_t* l = h->data;
  /* Runs what was queued before this turn; what the callbacks queue runs
   * on the next turn, so a callback that re-queues cannot starve I/O. */
  lode__tick_t* last = l->ticks_tail;
  /* Bounded too: `last` may have been cancelled by an earlier call. */
  for (int i = 0; i < 1024 && l->ticks_head != NULL; i++) {
    lode__tick_t* t = queue_pop(&l->ticks_head, &l->ticks_tail);
    t->fn(t);
    if (t == last)
      break;
  }
  if (l->ticks_head == NULL)
    idle_stop(l);
}

/* ---- The later queue --------------------------------------------------- */

static void on_later(uv_timer_t* h) {
  lode__loop_t* l = h->data;
  /* What the calls queue runs in this pass too, as a 0 ms timer started
   * inside a timer callback does; bounded, then the next turn. */
  for (int i = 0; i < 4096 && l->later_head != NULL; i++) {
    lode__tick_t* t = queue_pop(&l->later_head, &l->later_tail);
    t->fn(t);
  }
  if (l->later_head != NULL && !l->closing)
    uv_timer_start(&l->later, on_later, 0, 0);
}

void lode__later(lode__loop_t* l, lode__tick_t* t, void (*fn)(lode__tick_t*)) {
  t->fn = fn;
  if (t->queued)
    return;
  int was_empty = l->later_head == NULL;
  queue_push(&l->later_head, &l->later_tail, t);
  if (was_empty)
    uv_timer_start(&l->later, on_later, 0, 0);
}

/* ---- Idle timers ------------------------------------------------------ */

static void on_timer(uv_timer_t* t);

static void arm(lode__loop_t* l, uint64_t deadline) {
  if (l->armed_at != 0 && l->armed_at <= deadline)
    return;
  uint64_t now = uv_now(l->loop);
  l->armed_at = deadline;
  uv_timer_start(&l->timer, on_timer, deadline > now ? deadline - now : 0, 0);
}

static lode__idle_t* list_first(lode__idle_list_t* list) {
  if (lode__queue_empty(&list->items))
    return NULL;
  return lode__container_of(lode__queue_head(&list->items), lode__idle_t, link);
}

static void unlink_item(lode__idle_t* it) {
  lode__queue_remove(&it->link);
  it->list = NULL;
}

static lode__idle_list_t* list_for(lode__loop_t* l, uint64_t ms) {
  for (lode__idle_list_t* list = l->lists; list != NULL; list = list->next)
    if (list->ms == ms)
      return list;
  lode__idle_list_t* list = calloc(1, sizeof(*list));
  if (list == NULL)
    return NULL;
  list->ms = ms;
  lode__queue_init(&list->items);
  list->next = l->lists;
  l->lists = list;
  return list;
}

/* Starts a period now: `it` goes last in `list`. */
static void append(lode__loop_t* l, lode__idle_t* it, lode__idle_list_t* list) {
  if (list == NULL)
    return; /* out of memory: the timeout is lost, not I/O */
  it->start = uv_now(l->loop);
  it->list = list;
  lode__queue_insert_tail(&list->items, &it->link);
  if (list_first(list) == it)
    arm(l, it->start + list->ms);
}

/* Activity on an armed item: a move to the tail of its own list. Its
 * deadline only moves later, and the timer is armed for the earliest
 * deadline of the heads (or re-armed at the end of on_timer): no arming
 * here. Every keep-alive request comes this way. */
static void move_last(lode__loop_t* l, lode__idle_t* it) {
  it->start = uv_now(l->loop);
  lode__queue_t* items = &it->list->items;
  if (lode__queue_tail(items) == &it->link)
    return;
  lode__queue_remove(&it->link);
  lode__queue_insert_tail(items, &it->link);
}

void lode__idle_set(lode__loop_t* l, lode__idle_t* it, uint64_t ms) {
  if (ms != 0 && it->list != NULL && it->list->ms == ms) {
    /* Still in the right list (restarted, or stopped lazily). */
    it->ms = ms;
    move_last(l, it);
    return;
  }
  if (it->list != NULL)
    unlink_item(it);
  it->ms = ms;
  if (ms > 0)
    append(l, it, list_for(l, ms));
}

void lode__idle_restart(lode__loop_t* l, lode__idle_t* it) {
  if (it->list != NULL)
    move_last(l, it);
  else
    append(l, it, list_for(l, it->ms));
}

void lode__idle_stop(lode__loop_t* l, lode__idle_t* it) {
  (void) l;
  if (it->list != NULL)
    unlink_item(it);
}

static void on_timer(uv_timer_t* t) {
  lode__loop_t* l = t->data;
  uint64_t now = uv_now(l->loop);
  l->armed_at = 0;
  /* A callback may touch, stop or add items; each pass re-reads the heads.
   * An item stopped lazily just leaves its list. */
  for (lode__idle_list_t* list = l->lists; list != NULL; list = list->next) {
    lode__idle_t* it;
    while ((it = list_first(list)) != NULL && it->start + list->ms <= now) {
      unlink_item(it); /* one-shot until the next activity */
      if (it->ms != list->ms)
        continue;
      it->fn(it);
      lode__ticks_run(l);
    }
  }
  /* The next deadline; lists left empty go (no item points to one: an
   * unarmed item has no list), so many distinct durations cost nothing
   * once they are done. */
  uint64_t next = 0;
  for (lode__idle_list_t** p = &l->lists; *p != NULL;) {
    lode__idle_list_t* list = *p;
    lode__idle_t* first = list_first(list);
    if (first == NULL) {
      *p = list->next;
      free(list);
      continue;
    }
    if (next == 0 || first->start + list->ms < next)
      next = first->start + list->ms;
    p = &list->next;
  }
  if (next != 0)
    arm(l, next);
}
