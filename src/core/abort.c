/* AbortController / AbortSignal: a controller with one signal and an
 * intrusive list of listeners, held by references. */
#include <stdlib.h>
#include <uv.h>
#include "lode/abort.h"
#include "lode/errors.h"

struct lode_abort_signal_s {
  lode_abort_listener_t* head;
  unsigned refs;
  int aborted;
  int reason;
};

struct lode_abort_controller_s {
  lode_abort_signal_t signal; /* first: the signal is the controller */
};

int lode_abort_controller_create(lode_abort_controller_t** out) {
  lode_abort_controller_t* c = calloc(1, sizeof(*c));
  if (c == NULL)
    return UV_ENOMEM;
  c->signal.refs = 1;
  *out = c;
  return 0;
}

lode_abort_signal_t* lode_abort_controller_signal(lode_abort_controller_t* c) {
  return &c->signal;
}

void lode_abort_controller_hold(lode_abort_controller_t* c) {
  c->signal.refs++;
}

void lode_abort_controller_release(lode_abort_controller_t* c) {
  if (--c->signal.refs == 0)
    free(c);
}

static void unlink_listener(lode_abort_signal_t* sig,
                            lode_abort_listener_t* l) {
  if (l->prev != NULL)
    l->prev->next = l->next;
  else
    sig->head = l->next;
  if (l->next != NULL)
    l->next->prev = l->prev;
  l->next = l->prev = NULL;
}

void lode_abort_controller_abort(lode_abort_controller_t* c, int reason) {
  lode_abort_signal_t* sig = &c->signal;
  if (sig->aborted)
    return;
  sig->aborted = 1;
  sig->reason = reason != 0 ? reason : LODE_ABORT_ERR;
  sig->refs++;
  /* Each listener is unlinked before it runs, so it may remove others. */
  while (sig->head != NULL) {
    lode_abort_listener_t* l = sig->head;
    unlink_listener(sig, l);
    l->fn(l, sig);
    sig->refs--; /* the reference the listener held */
  }
  lode_abort_controller_release(c);
}

int lode_abort_signal_aborted(const lode_abort_signal_t* sig) {
  return sig->aborted;
}

int lode_abort_signal_reason(const lode_abort_signal_t* sig) {
  return sig->aborted ? sig->reason : 0;
}

void lode_abort_signal_add(lode_abort_signal_t* sig, lode_abort_listener_t* l) {
  if (sig->aborted)
    return;
  /* Appended: listeners run in the order they were added. */
  lode_abort_listener_t* last = sig->head;
  while (last != NULL && last->next != NULL)
    last = last->next;
  l->next = NULL;
  l->prev = last;
  if (last != NULL)
    last->next = l;
  else
    sig->head = l;
  sig->refs++;
}

void lode_abort_signal_remove(lode_abort_signal_t* sig,
                              lode_abort_listener_t* l) {
  int linked = sig->head == l || l->prev != NULL || l->next != NULL;
  if (!linked)
    return;
  unlink_listener(sig, l);
  lode_abort_controller_release((lode_abort_controller_t*) sig);
}
