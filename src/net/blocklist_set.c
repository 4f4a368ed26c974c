/* Interval sets for BlockList.check: additions are appended, and the next
 * lookup sorts them and merges them into the sorted, coalesced array in
 * one pass, so building a list of n rules costs O(n log n) and a lookup
 * is a binary search. */
#include "net/blocklist.h"

#include <stdlib.h>
#include <string.h>
#include <uv.h>

int lode__u128_cmp(lode__u128_t a, lode__u128_t b) {
  if (a.hi != b.hi)
    return a.hi < b.hi ? -1 : 1;
  if (a.lo != b.lo)
    return a.lo < b.lo ? -1 : 1;
  return 0;
}

static int span_cmp(const void* x, const void* y) {
  return lode__u128_cmp(((const lode__span_t*) x)->lo,
                        ((const lode__span_t*) y)->lo);
}

static int is_max(lode__u128_t v) {
  return v.hi == UINT64_MAX && v.lo == UINT64_MAX;
}

static lode__u128_t next(lode__u128_t v) {
  v.lo++;
  if (v.lo == 0)
    v.hi++;
  return v;
}

int lode__iset_reserve(lode__iset_t* set, size_t more) {
  if (set->npending + more <= set->cappending)
    return 0;
  size_t cap = set->cappending ? set->cappending * 2 : 16;
  while (cap < set->npending + more)
    cap *= 2;
  lode__span_t* p = realloc(set->pending, cap * sizeof(*p));
  if (p == NULL)
    return UV_ENOMEM;
  set->pending = p;
  set->cappending = cap;
  return 0;
}

void lode__iset_add(lode__iset_t* set, lode__span_t span) {
  set->pending[set->npending++] = span;
}

/* Appends s to out[0..*n), joining it with the last span when they
 * overlap or touch. */
static void append(lode__span_t* out, size_t* n, lode__span_t s) {
  if (*n > 0) {
    lode__span_t* last = &out[*n - 1];
    if (is_max(last->hi) || lode__u128_cmp(s.lo, next(last->hi)) <= 0) {
      if (lode__u128_cmp(s.hi, last->hi) > 0)
        last->hi = s.hi;
      return;
    }
  }
  out[(*n)++] = s;
}

static int merge_pending(lode__iset_t* set) {
  size_t total = set->n + set->npending;
  lode__span_t* out = malloc(total * sizeof(*out));
  if (out == NULL)
    return UV_ENOMEM;
  qsort(set->pending, set->npending, sizeof(*set->pending), span_cmp);
  size_t i = 0, j = 0, n = 0;
  while (i < set->n || j < set->npending) {
    int take_old = j == set->npending ||
                   (i < set->n && span_cmp(&set->v[i], &set->pending[j]) <= 0);
    append(out, &n, take_old ? set->v[i++] : set->pending[j++]);
  }
  free(set->v);
  set->v = out;
  set->n = n;
  set->cap = total;
  set->npending = 0;
  return 0;
}

int lode__iset_has(lode__iset_t* set, lode__u128_t v) {
  if (set->npending > 0 && merge_pending(set) != 0) {
    for (size_t k = 0; k < set->npending; k++)
      if (lode__u128_cmp(set->pending[k].lo, v) <= 0 &&
          lode__u128_cmp(v, set->pending[k].hi) <= 0)
        return 1;
  }
  /* The last span starting at or before v is the only candidate. */
  size_t lo = 0, hi = set->n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (lode__u128_cmp(set->v[mid].lo, v) <= 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo > 0 && lode__u128_cmp(v, set->v[lo - 1].hi) <= 0;
}

void lode__iset_free(lode__iset_t* set) {
  free(set->v);
  free(set->pending);
  memset(set, 0, sizeof(*set));
}
