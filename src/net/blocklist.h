/* Sorted sets of disjoint 128-bit intervals: what makes
 * BlockList.check logarithmic (blocklist_set.c). */
#ifndef LODE_NET_BLOCKLIST_H
#define LODE_NET_BLOCKLIST_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
  uint64_t hi, lo;
} lode__u128_t;

typedef struct {
  lode__u128_t lo, hi; /* inclusive */
} lode__span_t;

typedef struct {
  lode__span_t* v; /* sorted, disjoint, not adjacent */
  size_t n, cap;
  lode__span_t* pending; /* added since the last lookup, unsorted */
  size_t npending, cappending;
} lode__iset_t;

int lode__u128_cmp(lode__u128_t a, lode__u128_t b);

/* Makes room for `more` pending spans: 0 or UV_ENOMEM. */
int lode__iset_reserve(lode__iset_t* set, size_t more);
/* Adds a span (room reserved first; cannot fail). */
void lode__iset_add(lode__iset_t* set, lode__span_t span);
/* 1 if some span holds v. Merges pending spans first; if memory runs out
 * for that, falls back to scanning them. */
int lode__iset_has(lode__iset_t* set, lode__u128_t v);
void lode__iset_free(lode__iset_t* set);

#endif
