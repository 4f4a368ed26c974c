/* Outgoing headers (Node's kOutHeaders): an insertion-ordered list with
 * case-insensitive lookup and several values per name. Removal leaves a
 * tombstone so indices of the live entries keep their order. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http/common.h"

lode__out_header_t* lode__out_headers_find(const lode__out_headers_t* h,
                                           const char* name) {
  for (uint32_t i = 0; i < h->n; i++) {
    lode__out_header_t* e = &h->items[i];
    if (!e->removed && strcasecmp(e->lower, name) == 0)
      return e;
  }
  return NULL;
}

static lode__out_header_t* add_entry(lode__out_headers_t* h, lode__arena_t* a,
                                     const char* name) {
  if (h->n == h->cap) {
    uint32_t cap = h->cap ? h->cap * 2 : 8;
    lode__out_header_t* p = realloc(h->items, cap * sizeof(*p));
    if (p == NULL)
      return NULL;
    h->items = p;
    h->cap = cap;
  }
  size_t len = strlen(name);
  char* raw = lode__arena_strndup(a, name, len);
  char* lower = lode__arena_strndup(a, name, len);
  if (raw == NULL || lower == NULL)
    return NULL;
  for (size_t i = 0; i < len; i++)
    if (lower[i] >= 'A' && lower[i] <= 'Z')
      lower[i] |= 0x20;
  lode__out_header_t* e = &h->items[h->n++];
  memset(e, 0, sizeof(*e));
  e->raw = raw;
  e->lower = lower;
  h->live++;
  return e;
}

static int add_values(lode__out_header_t* e, lode__arena_t* a,
                      const char* const* values, size_t n) {
  if (e->nvalues + n > e->cap) {
    uint32_t cap = e->cap ? e->cap : 1;
    while (cap < e->nvalues + n)
      cap *= 2;
    const char** v = lode__arena_alloc(a, cap * sizeof(*v));
    if (v == NULL)
      return UV_ENOMEM;
    if (e->nvalues > 0)
      memcpy(v, e->values, e->nvalues * sizeof(*v));
    e->values = v;
    e->cap = cap;
  }
  for (size_t i = 0; i < n; i++) {
    char* s = lode__arena_strndup(a, values[i], strlen(values[i]));
    if (s == NULL)
      return UV_ENOMEM;
    e->values[e->nvalues++] = s;
  }
  return 0;
}

int lode__out_headers_set(lode__out_headers_t* h, lode__arena_t* a,
                          const char* name, const char* const* values, size_t n,
                          int append) {
  lode__out_header_t* e = lode__out_headers_find(h, name);
  if (e != NULL && !append) {
    /* Node replaces the [name, value] pair in place: the key keeps its
     * position in insertion order but takes the new spelling. */
    char* raw = lode__arena_strndup(a, name, strlen(name));
    if (raw == NULL)
      return UV_ENOMEM;
    e->raw = raw;
    e->nvalues = 0;
  }
  if (e == NULL && (e = add_entry(h, a, name)) == NULL)
    return UV_ENOMEM;
  return add_values(e, a, values, n);
}

void lode__out_headers_remove(lode__out_headers_t* h, const char* name) {
  lode__out_header_t* e = lode__out_headers_find(h, name);
  if (e == NULL)
    return;
  e->removed = 1;
  h->live--;
}

const lode__out_header_t* lode__out_headers_at(const lode__out_headers_t* h,
                                               size_t i) {
  for (uint32_t k = 0; k < h->n; k++) {
    if (h->items[k].removed)
      continue;
    if (i-- == 0)
      return &h->items[k];
  }
  return NULL;
}

void lode__out_headers_reset(lode__out_headers_t* h) {
  h->n = h->live = 0;
}

void lode__out_headers_free(lode__out_headers_t* h) {
  free(h->items);
  memset(h, 0, sizeof(*h));
}
