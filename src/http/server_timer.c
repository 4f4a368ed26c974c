/* Idle timeouts of a server's connections (Node's socket.setTimeout for
 * server.timeout, keepAliveTimeout, req/res.setTimeout). Connections with
 * the same timeout sit in one list, least recently active first, so
 * activity is an O(1) move to the tail and one timer per server, armed for
 * the earliest deadline, serves them all: a connection costs three
 * pointers here instead of a timer handle. */
#include <stdlib.h>

#include "http/server.h"

static void arm(lode_http_server_t* srv, uint64_t deadline);

static void unlink_conn(lode__conn_t* c) {
  lode__tlist_t* l = c->tl;
  if (l == NULL)
    return;
  if (c->tprev != NULL)
    c->tprev->tnext = c->tnext;
  else
    l->head = c->tnext;
  if (c->tnext != NULL)
    c->tnext->tprev = c->tprev;
  else
    l->tail = c->tprev;
  c->tl = NULL;
  c->tprev = c->tnext = NULL;
}

static void append(lode__tlist_t* l, lode__conn_t* c) {
  c->tl = l;
  c->tprev = l->tail;
  c->tnext = NULL;
  if (l->tail != NULL)
    l->tail->tnext = c;
  else
    l->head = c;
  l->tail = c;
}

static lode__tlist_t* list_for(lode_http_server_t* srv, uint64_t ms) {
  for (lode__tlist_t* l = srv->tlists; l != NULL; l = l->next)
    if (l->ms == ms)
      return l;
  lode__tlist_t* l = calloc(1, sizeof(*l));
  if (l == NULL)
    return NULL;
  l->ms = ms;
  l->next = srv->tlists;
  srv->tlists = l;
  return l;
}

void lode__conn_set_timeout(lode__conn_t* c, uint64_t ms) {
  if (ms != 0 && c->tl != NULL && c->tl->ms == ms &&
      !(c->flags & LODE__CONN_CLOSED)) {
    /* Still in the right list (stopped lazily, or restarted): a move to
     * the tail, as activity. */
    c->timeout = ms;
    c->last_active = uv_now(c->srv->loop);
    if (c->tl->tail != c) {
      lode__tlist_t* l = c->tl;
      unlink_conn(c);
      append(l, c);
    }
    return;
  }
  unlink_conn(c);
  c->timeout = ms;
  if (ms == 0 || (c->flags & LODE__CONN_CLOSED))
    return;
  lode__tlist_t* l = list_for(c->srv, ms);
  if (l == NULL)
    return;
  c->last_active = uv_now(c->srv->loop);
  append(l, c);
  arm(c->srv, c->last_active + ms);
}

void lode__conn_stop_timeout_lazily(lode__conn_t* c) {
  c->timeout = 0;
}

void lode__conn_touch(lode__conn_t* c) {
  /* A lazily stopped timer keeps its place (and its time): its list
   * stays ordered. */
  if (c->timeout == 0 || (c->flags & LODE__CONN_CLOSED))
    return;
  c->last_active = uv_now(c->srv->loop);
  if (c->tl == NULL) {
    /* Fired before: activity starts a new period, as Node's timer. */
    lode__conn_set_timeout(c, c->timeout);
    return;
  }
  if (c->tl->tail != c) {
    lode__tlist_t* l = c->tl;
    unlink_conn(c);
    append(l, c);
  }
}

static void fire(uv_timer_t* t) {
  lode_http_server_t* srv = t->data;
  uint64_t now = uv_now(srv->loop), next = 0;
  srv->idle_armed = 0;
  for (lode__tlist_t* l = srv->tlists; l != NULL; l = l->next) {
    lode__conn_t* c;
    while ((c = l->head) != NULL && c->last_active + l->ms <= now) {
      unlink_conn(c);  /* one-shot until the next activity */
      if (c->timeout == l->ms)  /* else stopped lazily: just leaves */
        lode__conn_on_timeout(c);
    }
    if (l->head != NULL) {
      uint64_t d = l->head->last_active + l->ms;
      if (next == 0 || d < next)
        next = d;
    }
  }
  if (next != 0)
    arm(srv, next);
}

static void arm(lode_http_server_t* srv, uint64_t deadline) {
  if (srv->idle_armed != 0 && srv->idle_armed <= deadline)
    return;
  if (uv_is_closing((uv_handle_t*) &srv->idle_timer))
    return;
  uint64_t now = uv_now(srv->loop);
  srv->idle_armed = deadline;
  uv_timer_start(&srv->idle_timer, fire, deadline > now ? deadline - now : 0,
                 0);
}

void lode__server_timers_init(lode_http_server_t* srv) {
  uv_timer_init(srv->loop, &srv->idle_timer);
  srv->idle_timer.data = srv;
  uv_unref((uv_handle_t*) &srv->idle_timer);
}

void lode__server_timers_close(lode_http_server_t* srv, uv_close_cb cb) {
  uv_timer_stop(&srv->idle_timer);
  uv_close((uv_handle_t*) &srv->idle_timer, cb);
}
