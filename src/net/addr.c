/* net.isIP, net.isIPv4, net.isIPv6 and the autoSelectFamily defaults.
 *
 * Node answers isIP with two regular expressions (lib/internal/net.js).
 * To give exactly its answers, this file evaluates the same expressions:
 * each piece of a pattern maps the set of positions where it may start to
 * the set where it may end (a bit set; an address part longer than 63
 * characters cannot match anyway). That is the regular language itself,
 * with no backtracking and no approximation. */
#include "lode/net_addr.h"
#include "lode/errors.h"

#include <stdatomic.h>
#include <string.h>

typedef uint64_t pos_t; /* bit p: "the match may stand at position p" */

typedef struct {
  const char* s;
  size_t n;
} text_t;

static int is_hex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
         (c >= 'A' && c <= 'F');
}

static int is_digit(char c) {
  return c >= '0' && c <= '9';
}

/* Literal character c. */
static pos_t lit(text_t t, pos_t from, char c) {
  pos_t to = 0;
  for (size_t p = 0; p < t.n; p++)
    if ((from >> p & 1) && t.s[p] == c)
      to |= (pos_t) 1 << (p + 1);
  return to;
}

/* (?:[0-9a-fA-F]{1,4}) */
static pos_t v6seg(text_t t, pos_t from) {
  pos_t to = 0;
  for (size_t p = 0; p < t.n; p++) {
    if (!(from >> p & 1))
      continue;
    for (size_t k = 0; k < 4 && p + k < t.n && is_hex(t.s[p + k]); k++)
      to |= (pos_t) 1 << (p + k + 1);
  }
  return to;
}

/* (?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9][0-9]|[0-9]) */
static pos_t v4seg(text_t t, pos_t from) {
  pos_t to = 0;
  for (size_t p = 0; p < t.n; p++) {
    if (!(from >> p & 1) || !is_digit(t.s[p]))
      continue;
    const char* d = t.s + p;
    size_t left = t.n - p;
    to |= (pos_t) 1 << (p + 1);
    if (left >= 2 && d[0] != '0' && is_digit(d[1]))
      to |= (pos_t) 1 << (p + 2);
    if (left >= 3 && is_digit(d[1]) && is_digit(d[2]) &&
        (d[0] == '1' || (d[0] == '2' && d[1] <= '4') ||
         (d[0] == '2' && d[1] == '5' && d[2] <= '5')))
      to |= (pos_t) 1 << (p + 3);
  }
  return to;
}

/* (?:v4seg\.){3}v4seg */
static pos_t v4str(text_t t, pos_t from) {
  for (int i = 0; i < 3; i++)
    from = lit(t, v4seg(t, from), '.');
  return v4seg(t, from);
}

/* (?:v6seg:){k} */
static pos_t segs_colon(text_t t, pos_t from, int k) {
  for (int i = 0; i < k && from != 0; i++)
    from = lit(t, v6seg(t, from), ':');
  return from;
}

/* (?::v6seg){lo,hi} */
static pos_t colon_segs(text_t t, pos_t from, int lo, int hi) {
  pos_t all = lo == 0 ? from : 0;
  for (int i = 1; i <= hi && from != 0; i++) {
    from = v6seg(t, lit(t, from, ':'));
    if (i >= lo)
      all |= from;
  }
  return all;
}

/* The tail after (?:v6seg:){k}, for k = 0..7, as Node writes it: an
 * embedded IPv4 address after up to (k < 6 ? 4 - k + 1 : 0) more groups,
 * one to (7 - k) more groups, or a lone ':' (the "::" ending). */
static pos_t v6tail(text_t t, pos_t at, int k) {
  pos_t end = lit(t, at, ':');
  if (k == 7)
    return v6seg(t, at) | end;
  if (k == 6)
    return v4str(t, at) | colon_segs(t, at, 1, 1) | end;
  if (k == 5)
    return v4str(t, lit(t, at, ':')) | colon_segs(t, at, 1, 2) | end;
  int more = 5 - k; /* k = 4: {0,1}; k = 1: {0,4}; k = 0 (after ':'): {0,5} */
  if (k == 0)
    more = 5;
  return v4str(t, lit(t, colon_segs(t, at, 0, more), ':')) |
         colon_segs(t, at, 1, 7 - k) | end;
}

static int match_v6_address(text_t t) {
  pos_t start = 1, done = 0;
  for (int k = 1; k <= 7; k++)
    done |= v6tail(t, segs_colon(t, start, k), k);
  done |= v6tail(t, lit(t, start, ':'), 0);
  return (done >> t.n) & 1;
}

/* (?:%[0-9a-zA-Z-.:]{1,})?$ */
static int valid_zone(const char* z) {
  if (*z == '\0')
    return 0;
  for (; *z != '\0'; z++) {
    char c = *z;
    if (!(is_hex(c) || (c >= 'g' && c <= 'z') || (c >= 'G' && c <= 'Z') ||
          c == '-' || c == '.' || c == ':'))
      return 0;
  }
  return 1;
}

int lode_net_is_ipv4(const char* input) {
  if (input == NULL)
    return 0;
  size_t n = strlen(input);
  if (n > 15)
    return 0;
  text_t t = { input, n };
  return (v4str(t, 1) >> n) & 1;
}

int lode_net_is_ipv6(const char* input) {
  if (input == NULL)
    return 0;
  /* Neither the address part nor the zone has a '%', so the first one
   * splits them; the longest address text is 45 characters. */
  const char* pct = strchr(input, '%');
  size_t n = pct != NULL ? (size_t) (pct - input) : strlen(input);
  if (n > 45)
    return 0;
  if (pct != NULL && !valid_zone(pct + 1))
    return 0;
  text_t t = { input, n };
  return match_v6_address(t);
}

int lode_net_is_ip(const char* input) {
  if (lode_net_is_ipv4(input))
    return 4;
  if (lode_net_is_ipv6(input))
    return 6;
  return 0;
}

/* Process-wide, as in Node; atomics make them safe to read from any
 * loop's thread. */
static atomic_int default_auto_select_family = 1;
static atomic_int default_attempt_timeout = 250;

int lode_net_get_default_auto_select_family(void) {
  return atomic_load(&default_auto_select_family);
}

void lode_net_set_default_auto_select_family(int value) {
  atomic_store(&default_auto_select_family, value != 0);
}

int lode_net_get_default_auto_select_family_attempt_timeout(void) {
  return atomic_load(&default_attempt_timeout);
}

int lode_net_set_default_auto_select_family_attempt_timeout(int value) {
  if (value < 1)
    return LODE_ERR_OUT_OF_RANGE;
  atomic_store(&default_attempt_timeout, value < 10 ? 10 : value);
  return 0;
}
