/* net.BlockList.
 *
 * Node keeps a list of rules and tries each one in turn; lode keeps the
 * same list (for `rules`) and, for check(), two sorted sets of disjoint
 * 128-bit intervals, so a check is one binary search whatever the number
 * of rules. IPv4 values live in the set as their mapped form ::ffff:a.b.c.d.
 *
 * Node's rules compare an IPv4 address with an IPv6 one only when the IPv6
 * one is IPv4-mapped; otherwise the comparison fails and the rule does not
 * match (node_sockaddr.cc). That decides what each rule adds to each set:
 *   - `v6set`, asked about IPv6 addresses: every rule, except that a range
 *     with an IPv4 end is clipped to the mapped block (an unmapped address
 *     cannot be compared with that end);
 *   - `v4set`, asked about IPv4 addresses: every rule, except ranges with
 *     an unmapped IPv6 end, which never match an IPv4 address.
 * New rules wait in a pending list and are merged in by the next check. */
#include "net/addr.h"
#include "net/blocklist.h"
#include "lode/errors.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#define BLOCK_LIST_MAGIC 0x6c6f6462u /* "lodb" */

enum { RULE_ADDRESS, RULE_RANGE, RULE_SUBNET };

typedef struct {
  uint8_t kind;
  uint8_t prefix;
  uint8_t v6a, v6b; /* families of a and b */
  uint8_t a[16];    /* address, range start, or network */
  uint8_t b[16];    /* range end */
} rule_t;

struct lode_block_list_s {
  uint32_t magic;
  atomic_int refs;
  uv_mutex_t lock;
  rule_t* rules;
  size_t nrules, caprules;
  lode__iset_t v4set;
  lode__iset_t v6set;
};

int lode_block_list_new(lode_block_list_t** out) {
  if (out == NULL)
    return UV_EINVAL;
  *out = NULL;
  lode_block_list_t* bl = calloc(1, sizeof(*bl));
  if (bl == NULL)
    return UV_ENOMEM;
  if (uv_mutex_init(&bl->lock) != 0) {
    free(bl);
    return UV_ENOMEM;
  }
  bl->magic = BLOCK_LIST_MAGIC;
  atomic_init(&bl->refs, 1);
  *out = bl;
  return 0;
}

void lode_block_list_hold(lode_block_list_t* bl) {
  atomic_fetch_add(&bl->refs, 1);
}

void lode_block_list_release(lode_block_list_t* bl) {
  if (bl == NULL || atomic_fetch_sub(&bl->refs, 1) != 1)
    return;
  bl->magic = 0;
  uv_mutex_destroy(&bl->lock);
  lode__iset_free(&bl->v4set);
  lode__iset_free(&bl->v6set);
  free(bl->rules);
  free(bl);
}

int lode_block_list_is_block_list(const void* value) {
  return value != NULL &&
         ((const lode_block_list_t*) value)->magic == BLOCK_LIST_MAGIC;
}

/* ---- values ------------------------------------------------------------ */

static const uint8_t mapped_prefix[12] = { 0, 0, 0, 0, 0,    0,
                                           0, 0, 0, 0, 0xff, 0xff };

/* The 16 bytes of a sockaddr (IPv4 as ::ffff:a.b.c.d); returns 1 for v6. */
static int to_bytes(const lode_socket_address_t* sa, uint8_t out[16]) {
  if (sa->u.sa.sa_family == AF_INET6) {
    memcpy(out, sa->u.in6.sin6_addr.s6_addr, 16);
    return 1;
  }
  memcpy(out, mapped_prefix, 12);
  memcpy(out + 12, &sa->u.in4.sin_addr, 4);
  return 0;
}

static int is_mapped(const uint8_t b[16]) {
  return memcmp(b, mapped_prefix, 12) == 0;
}

static lode__u128_t from_bytes(const uint8_t b[16]) {
  lode__u128_t v = { 0, 0 };
  for (int i = 0; i < 8; i++) {
    v.hi = v.hi << 8 | b[i];
    v.lo = v.lo << 8 | b[i + 8];
  }
  return v;
}

static lode__u128_t mapped(uint32_t v4) {
  return (lode__u128_t){ 0, 0xffff00000000ull | v4 };
}

/* ---- adding rules ------------------------------------------------------ */

static int push_rule(lode_block_list_t* bl, const rule_t* r) {
  if (bl->nrules == bl->caprules) {
    size_t cap = bl->caprules ? bl->caprules * 2 : 16;
    rule_t* rules = realloc(bl->rules, cap * sizeof(*rules));
    if (rules == NULL)
      return UV_ENOMEM;
    bl->rules = rules;
    bl->caprules = cap;
  }
  bl->rules[bl->nrules++] = *r;
  return 0;
}

/* Records the rule and what it adds to each set, all or nothing. */
static int add_rule(lode_block_list_t* bl, const rule_t* r, lode__span_t s4,
                    int in4, lode__span_t s6, int in6) {
  uv_mutex_lock(&bl->lock);
  int rc = lode__iset_reserve(&bl->v4set, 1);
  if (rc == 0)
    rc = lode__iset_reserve(&bl->v6set, 1);
  if (rc == 0)
    rc = push_rule(bl, r);
  if (rc == 0) {
    if (in4)
      lode__iset_add(&bl->v4set, s4);
    if (in6)
      lode__iset_add(&bl->v6set, s6);
  }
  uv_mutex_unlock(&bl->lock);
  return rc;
}

int lode_block_list_add_address_sa(lode_block_list_t* bl,
                                   const lode_socket_address_t* address) {
  if (bl == NULL || address == NULL)
    return UV_EINVAL;
  rule_t r = { .kind = RULE_ADDRESS };
  r.v6a = (uint8_t) to_bytes(address, r.a);
  lode__u128_t v = from_bytes(r.a);
  lode__span_t s = { v, v };
  return add_rule(bl, &r, s, 1, s, 1);
}

static int clip_to_mapped(lode__span_t* s) {
  lode__span_t block = { mapped(0), mapped(0xffffffffu) };
  if (lode__u128_cmp(s->lo, block.lo) < 0)
    s->lo = block.lo;
  if (lode__u128_cmp(s->hi, block.hi) > 0)
    s->hi = block.hi;
  return lode__u128_cmp(s->lo, s->hi) <= 0;
}

int lode_block_list_add_range_sa(lode_block_list_t* bl,
                                 const lode_socket_address_t* start,
                                 const lode_socket_address_t* end) {
  if (bl == NULL || start == NULL || end == NULL)
    return UV_EINVAL;
  rule_t r = { .kind = RULE_RANGE };
  r.v6a = (uint8_t) to_bytes(start, r.a);
  r.v6b = (uint8_t) to_bytes(end, r.b);
  lode__span_t s = { from_bytes(r.a), from_bytes(r.b) };
  int same = r.v6a == r.v6b;
  /* Node refuses start > end only when the two can be compared. */
  int comparable = same || (r.v6a ? is_mapped(r.a) : is_mapped(r.b));
  int ordered = lode__u128_cmp(s.lo, s.hi) <= 0;
  if (comparable && !ordered)
    return LODE_ERR_INVALID_ARG_VALUE;
  int in4 = ordered && (!r.v6a || is_mapped(r.a)) && (!r.v6b || is_mapped(r.b));
  lode__span_t s6 = s;
  int in6 = ordered && (same ? 1 : clip_to_mapped(&s6));
  return add_rule(bl, &r, s, in4, s6, in6);
}

int lode_block_list_add_subnet_sa(lode_block_list_t* bl,
                                  const lode_socket_address_t* net,
                                  int prefix) {
  if (bl == NULL || net == NULL)
    return UV_EINVAL;
  rule_t r = { .kind = RULE_SUBNET };
  r.v6a = (uint8_t) to_bytes(net, r.a);
  if (prefix < 0 || prefix > (r.v6a ? 128 : 32))
    return LODE_ERR_OUT_OF_RANGE;
  r.prefix = (uint8_t) prefix;
  /* An IPv4 /p is the mapped /(96 + p). */
  int bits = r.v6a ? prefix : 96 + prefix;
  uint8_t lo[16], hi[16];
  for (int i = 0; i < 16; i++) {
    int keep = bits >= 8 * (i + 1) ? 8 : bits <= 8 * i ? 0 : bits - 8 * i;
    uint8_t mask = (uint8_t) (0xff00u >> keep);
    lo[i] = r.a[i] & mask;
    hi[i] = (uint8_t) (r.a[i] | (uint8_t) ~mask);
  }
  lode__span_t s = { from_bytes(lo), from_bytes(hi) };
  return add_rule(bl, &r, s, 1, s, 1);
}

/* Node validates the family, then builds a SocketAddress from the text. */
static int make_sa(const char* text, const char* type,
                   lode_socket_address_t* sa) {
  if (text == NULL)
    return UV_EINVAL;
  lode_socket_address_opts_t o = { .address = text, .family = type };
  return lode__socket_address_init(sa, &o);
}

int lode_block_list_add_address(lode_block_list_t* bl, const char* address,
                                const char* type) {
  lode_socket_address_t sa;
  int rc = make_sa(address, type, &sa);
  return rc != 0 ? rc : lode_block_list_add_address_sa(bl, &sa);
}

int lode_block_list_add_range(lode_block_list_t* bl, const char* start,
                              const char* end, const char* type) {
  lode_socket_address_t a, b;
  int rc = make_sa(start, type, &a);
  if (rc == 0)
    rc = make_sa(end, type, &b);
  return rc != 0 ? rc : lode_block_list_add_range_sa(bl, &a, &b);
}

int lode_block_list_add_subnet(lode_block_list_t* bl, const char* net,
                               int prefix, const char* type) {
  lode_socket_address_t sa;
  int rc = make_sa(net, type, &sa);
  return rc != 0 ? rc : lode_block_list_add_subnet_sa(bl, &sa, prefix);
}

/* ---- checking ---------------------------------------------------------- */

int lode_block_list_check_sa(const lode_block_list_t* cbl,
                             const lode_socket_address_t* address) {
  if (cbl == NULL || address == NULL)
    return 0;
  /* The sets are merged lazily; the lock makes that safe when several
   * threads check one list. */
  lode_block_list_t* bl = (lode_block_list_t*) cbl;
  uint8_t b[16];
  int v6 = to_bytes(address, b);
  uv_mutex_lock(&bl->lock);
  int hit = lode__iset_has(v6 ? &bl->v6set : &bl->v4set, from_bytes(b));
  uv_mutex_unlock(&bl->lock);
  return hit;
}

int lode_block_list_check_sockaddr(const lode_block_list_t* bl,
                                   const struct sockaddr* address) {
  lode_socket_address_t sa;
  if (lode__socket_address_from(&sa, address) != 0)
    return 0;
  return lode_block_list_check_sa(bl, &sa);
}

int lode_block_list_check(const lode_block_list_t* bl, const char* address,
                          const char* type) {
  lode_socket_address_t sa;
  if (make_sa(address, type, &sa) != 0)
    return 0;
  return lode_block_list_check_sa(bl, &sa);
}

/* ---- rules ------------------------------------------------------------- */

size_t lode_block_list_rules_count(const lode_block_list_t* cbl) {
  lode_block_list_t* bl = (lode_block_list_t*) cbl;
  uv_mutex_lock(&bl->lock);
  size_t n = bl->nrules;
  uv_mutex_unlock(&bl->lock);
  return n;
}

static void ntop(int v6, const uint8_t b[16], char* out, size_t size) {
  if (v6)
    uv_inet_ntop(AF_INET6, b, out, size);
  else
    uv_inet_ntop(AF_INET, b + 12, out, size);
}

static int format_rule(const rule_t* r, char* buf, size_t size) {
  char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];
  const char* fam = r->v6a ? "IPv6" : "IPv4";
  ntop(r->v6a, r->a, a, sizeof(a));
  if (r->kind == RULE_ADDRESS)
    return snprintf(buf, size, "Address: %s %s", fam, a);
  if (r->kind == RULE_SUBNET)
    return snprintf(buf, size, "Subnet: %s %s/%d", fam, a, r->prefix);
  ntop(r->v6b, r->b, b, sizeof(b));
  return snprintf(buf, size, "Range: %s %s-%s", fam, a, b);
}

int lode_block_list_rule(const lode_block_list_t* cbl, size_t i, char* buf,
                         size_t size) {
  lode_block_list_t* bl = (lode_block_list_t*) cbl;
  if (bl == NULL || buf == NULL)
    return UV_EINVAL;
  uv_mutex_lock(&bl->lock);
  int rc = UV_EINVAL;
  if (i < bl->nrules) {
    /* Node lists the newest rule first. */
    rc = format_rule(&bl->rules[bl->nrules - 1 - i], buf, size);
    if (rc >= 0 && (size_t) rc >= size)
      rc = UV_ENOBUFS;
  }
  uv_mutex_unlock(&bl->lock);
  return rc;
}
