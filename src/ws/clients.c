/* The set of open WebSockets (npm ws's wss.clients) and the broadcast
 * over it: one check and, where the streams allow, one compression for
 * every member. */
#include "ws/internal.h"

#include <limits.h>
#include <stdlib.h>

int lode_websocket_clients_create(lode_websocket_clients_t** out) {
  if (out == NULL)
    return UV_EINVAL;
  lode_websocket_clients_t* set = calloc(1, sizeof(*set));
  if (set == NULL)
    return UV_ENOMEM;
  set->refs = 1;
  *out = set;
  return 0;
}

void lode_websocket_clients_hold(lode_websocket_clients_t* set) {
  if (set != NULL)
    set->refs++;
}

/* Members hold the set, so the last reference finds it empty. */
void lode_websocket_clients_release(lode_websocket_clients_t* set) {
  if (set != NULL && --set->refs == 0)
    free(set);
}

void lode__ws_join(lode_websocket_t* ws) {
  lode_websocket_clients_t* set = ws->opts.clients;
  if (set == NULL || ws->in_set)
    return;
  ws->in_set = 1;
  ws->set_next = NULL;
  ws->set_prev = set->tail;
  if (set->tail != NULL)
    set->tail->set_next = ws;
  else
    set->head = ws;
  set->tail = ws;
  set->size++;
}

void lode__ws_leave(lode_websocket_t* ws) {
  lode_websocket_clients_t* set = ws->opts.clients;
  if (set == NULL || !ws->in_set)
    return;
  ws->in_set = 0;
  if (ws->set_prev != NULL)
    ws->set_prev->set_next = ws->set_next;
  else
    set->head = ws->set_next;
  if (ws->set_next != NULL)
    ws->set_next->set_prev = ws->set_prev;
  else
    set->tail = ws->set_prev;
  ws->set_prev = ws->set_next = NULL;
  set->size--;
}

size_t lode_websocket_clients_size(const lode_websocket_clients_t* set) {
  return set != NULL ? set->size : 0;
}

int lode_websocket_clients_has(const lode_websocket_clients_t* set,
                               const lode_websocket_t* ws) {
  return set != NULL && ws != NULL && ws->in_set && ws->opts.clients == set;
}

lode_websocket_t* lode_websocket_clients_next(
    const lode_websocket_clients_t* set, const lode_websocket_t* prev) {
  if (set == NULL)
    return NULL;
  return prev == NULL ? set->head : prev->set_next;
}

static int broadcast(lode_websocket_clients_t* set, int binary, lode_slice_t d,
                     size_t max_buffered, const lode_websocket_t* except,
                     size_t* skipped) {
  size_t nskipped = 0;
  int sent = 0;
  if (skipped != NULL)
    *skipped = 0;
  if (set == NULL)
    return UV_EINVAL;
  if (d.base == NULL && d.len > 0)
    return LODE_ERR_STREAM_NULL_VALUES;
  if (!binary && !lode__utf8_valid((const uint8_t*) d.base, d.len))
    return LODE_ERR_WS_SYNTAX;
  lode__ws_zcache_t zc = { 0 };
  lode_websocket_t* next;
  for (lode_websocket_t* ws = set->head; ws != NULL; ws = next) {
    next = ws->set_next;
    if (ws == except || ws->state != LODE_WEBSOCKET_OPEN)
      continue;
    if (lode_websocket_buffered_amount(ws) > max_buffered)
      nskipped++;
    else if (lode__ws_send_data(ws, binary, d, &zc) == 1 && sent < INT_MAX)
      sent++;
  }
  for (size_t i = 0; i < sizeof(zc.z) / sizeof(zc.z[0]); i++)
    lode__buf_free(&zc.z[i]);
  if (skipped != NULL)
    *skipped = nskipped;
  return sent;
}

int lode_websocket_clients_broadcast_text(lode_websocket_clients_t* set,
                                          lode_slice_t data,
                                          size_t max_buffered,
                                          const lode_websocket_t* except,
                                          size_t* skipped) {
  return broadcast(set, 0, data, max_buffered, except, skipped);
}

int lode_websocket_clients_broadcast_binary(lode_websocket_clients_t* set,
                                            lode_slice_t data,
                                            size_t max_buffered,
                                            const lode_websocket_t* except,
                                            size_t* skipped) {
  return broadcast(set, 1, data, max_buffered, except, skipped);
}
