/* Private pieces shared by the HTTP server and client: a bump arena for
 * per-message strings, byte classes, the cached Date value, and the
 * outgoing header list. */
#ifndef LODE_HTTP_COMMON_H
#define LODE_HTTP_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>
#include "core/internal.h" /* lode__buf_t */
#include "lode/http.h"

/* A bump allocator: strings of one message live here and go all at once.
 * The first chunk survives lode__arena_reset, so a recycled message
 * allocates nothing for ordinary headers. */
typedef struct lode__arena_chunk_s lode__arena_chunk_t;
typedef struct lode__arena_s {
  lode__arena_chunk_t* head;
} lode__arena_t;

void* lode__arena_alloc(lode__arena_t* a, size_t n);
/* A NUL-terminated copy of s[0..n), or NULL when memory runs out. */
char* lode__arena_strndup(lode__arena_t* a, const char* s, size_t n);
void lode__arena_reset(lode__arena_t* a);
void lode__arena_free(lode__arena_t* a);

/* Byte classes of RFC 9110: tchar for tokens, field-vchar plus SP/HT for
 * header values (Node's checkInvalidHeaderChar). */
int lode__http_is_token(const char* s, size_t n);
int lode__http_value_ok(const char* s, size_t n);
/* ASCII case-insensitive equality of s[0..n) with a lowercase literal. */
int lode__http_ieq(const char* s, size_t n, const char* lower);
/* Node's /(?:^|\W)word(?:$|\W)/i test, for "close", "chunked",
 * "100-continue". */
int lode__http_has_word(const char* s, size_t n, const char* lower);

/* Decimal / lowercase hex digits of v at out (no NUL); returns the count.
 * The header block is built on every response: printf is too slow. */
size_t lode__http_utoa(char* out, uint64_t v);
size_t lode__http_xtoa(char* out, uint64_t v);

/* The Date header value: computed at most once per second per cache.
 * The same owner's Keep-Alive line is kept with it (its numbers rarely
 * change, and every keep-alive response writes it), and so are the lines
 * a default keep-alive response has after its own headers (Date,
 * Connection, Keep-Alive: one copy per response). */
typedef struct lode__date_cache_s {
  uint64_t expires; /* loop time (ms) at which the text goes stale */
  char text[32];    /* "Sun, 06 Nov 1994 08:49:37 GMT" */
  size_t text_len;
  char ka[64];      /* "Keep-Alive: timeout=5\r\n" */
  size_t ka_len;    /* 0: not built yet */
  uint64_t ka_secs; /* the timeout and max it was built for */
  unsigned ka_max;
  /* "Date: <text>\r\nConnection: keep-alive\r\n<ka>", for the text and
   * Keep-Alive line above; 0: not built (or stale). */
  size_t dka_len;
  char dka[128];
} lode__date_cache_t;
/* The Date text (text_len bytes, NUL-terminated), made anew once its
 * second is over. */
const char* lode__date_refresh(lode__date_cache_t* c, uv_loop_t* loop);
static inline const char* lode__date_get(lode__date_cache_t* c,
                                         uv_loop_t* loop) {
  if (c->text[0] != '\0' && uv_now(loop) < c->expires)
    return c->text;
  return lode__date_refresh(c, loop);
}

/* Outgoing headers: insertion order kept, lookups case-insensitive,
 * several values per name (Node's kOutHeaders). Strings live in `arena`. */
typedef struct lode__out_header_s {
  const char* lower;
  const char* raw;
  const char** values;
  uint32_t nvalues;
  uint32_t cap;
  int removed;
} lode__out_header_t;

typedef struct lode__out_headers_s {
  lode__out_header_t* items;
  uint32_t n;    /* slots used, removed ones included */
  uint32_t live; /* slots not removed */
  uint32_t cap;
} lode__out_headers_t;

lode__out_header_t* lode__out_headers_find(const lode__out_headers_t* h,
                                           const char* name);
/* Replaces (set) or extends (append) the values of `name`. Returns 0 or
 * UV_ENOMEM. Names and values are copied into `a`. */
int lode__out_headers_set(lode__out_headers_t* h, lode__arena_t* a,
                          const char* name, const char* const* values, size_t n,
                          int append);
void lode__out_headers_remove(lode__out_headers_t* h, const char* name);
const lode__out_header_t* lode__out_headers_at(const lode__out_headers_t* h,
                                               size_t i);
void lode__out_headers_reset(lode__out_headers_t* h);
void lode__out_headers_free(lode__out_headers_t* h);

/* A NULL-terminated name/value array's pair count (see common.c), and a
 * NULL-terminated string list's length. */
int lode__http_pairs(const char* const* pairs, size_t* npairs);
size_t lode__http_strings(const char* const* list);

#endif
