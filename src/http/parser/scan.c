/* Character classes and the scanners behind the hot loops: method, URL,
 * header names and values, and the one-pass head parser built on them. A
 * scalar table-driven path everywhere, and SSE4.2 / AVX2 paths chosen
 * once at run time (the primitives are in simd.h). */
#include <pthread.h>

#include "http/parser/simd.h"

/* One row per 16 bytes. */
/* clang-format off */
const uint8_t lode__http_class[256] = {
  0x00, 0x40, 0x40, 0x40, 0x40, 0x40, 0x40, 0x40, 0x40, 0xec, 0x00, 0x40, 0x40, 0x00, 0x40, 0x40,
  0x40, 0x40, 0x40, 0x40, 0x40, 0x40, 0x40, 0x40, 0x40, 0x40, 0x40, 0x40, 0x40, 0x40, 0x40, 0x40,
  0xec, 0xff, 0xce, 0xed, 0xff, 0xff, 0xff, 0xff, 0xfe, 0xfe, 0xff, 0xff, 0xf6, 0xff, 0xff, 0xee,
  0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe, 0xfe, 0xee, 0xfe, 0xee, 0xec,
  0xee, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
  0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe, 0xce, 0xfe, 0xef, 0xff,
  0xef, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
  0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xee, 0xef, 0xee, 0xff, 0x40,
  0xec, 0xec, 0xec, 0xec, 0xec, 0xec, 0xec, 0xec, 0xec, 0xec, 0xec, 0xec, 0xec, 0xec, 0xec, 0xec,
  0xec, 0xec, 0xec, 0xec, 0xec, 0xec, 0xec, 0xec, 0xec, 0xec, 0xec, 0xec, 0xec, 0xec, 0xec, 0xec,
  0xec, 0xec, 0xec, 0xec, 0xec, 0xec, 0xec, 0xec, 0xec, 0xec, 0xec, 0xec, 0xec, 0xec, 0xec, 0xec,
  0xec, 0xec, 0xec, 0xec, 0xec, 0xec, 0xec, 0xec, 0xec, 0xec, 0xec, 0xec, 0xec, 0xec, 0xec, 0xec,
  0xec, 0xec, 0xec, 0xec, 0xec, 0xec, 0xec, 0xec, 0xec, 0xec, 0xec, 0xec, 0xec, 0xec, 0xec, 0xec,
  0xec, 0xec, 0xec, 0xec, 0xec, 0xec, 0xec, 0xec, 0xec, 0xec, 0xec, 0xec, 0xec, 0xec, 0xec, 0xec,
  0xec, 0xec, 0xec, 0xec, 0xec, 0xec, 0xec, 0xec, 0xec, 0xec, 0xec, 0xec, 0xec, 0xec, 0xec, 0xec,
  0xec, 0xec, 0xec, 0xec, 0xec, 0xec, 0xec, 0xec, 0xec, 0xec, 0xec, 0xec, 0xec, 0xec, 0xec, 0xec,
};
/* clang-format on */

static const char* scalar_token(const char* s, const char* e) {
  return lode__scalar_token(s, e);
}

static const char* scalar_url(const char* s, const char* e) {
  return lode__scalar_url(s, e);
}

static const char* scalar_value(const char* s, const char* e) {
  return lode__scalar_value(s, e);
}

static const lode__scanners_t scalar = { scalar_token, scalar_url, scalar_value,
                                         lode__fast_head_scalar };

#ifdef LODE__X86
__attribute__((target("sse4.2"))) static const char* sse_token(const char* s,
                                                               const char* e) {
  return lode__sse_token(s, e);
}

__attribute__((target("sse4.2"))) static const char* sse_url(const char* s,
                                                             const char* e) {
  return lode__sse_url(s, e);
}

__attribute__((target("sse4.2"))) static const char* sse_value(const char* s,
                                                               const char* e) {
  return lode__sse_value(s, e);
}

static const lode__scanners_t sse42 = { sse_token, sse_url, sse_value,
                                        lode__fast_head_sse42 };

__attribute__((target("avx2"))) static const char* avx_token(const char* s,
                                                             const char* e) {
  return lode__avx_token(s, e);
}

__attribute__((target("avx2"))) static const char* avx_url(const char* s,
                                                           const char* e) {
  return lode__avx_url(s, e);
}

__attribute__((target("avx2"))) static const char* avx_value(const char* s,
                                                             const char* e) {
  return lode__avx_value(s, e);
}

static const lode__scanners_t avx2 = { avx_token, avx_url, avx_value,
                                       lode__fast_head_avx2 };
#endif

static int best_level(void) {
#ifdef LODE__X86
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx2"))
    return LODE_HTTP_SIMD_AVX2;
  if (__builtin_cpu_supports("sse4.2"))
    return LODE_HTTP_SIMD_SSE42;
#endif
  return LODE_HTTP_SIMD_SCALAR;
}

static const lode__scanners_t* for_level(int level) {
#ifdef LODE__X86
  if (level == LODE_HTTP_SIMD_AVX2)
    return &avx2;
  if (level == LODE_HTTP_SIMD_SSE42)
    return &sse42;
#endif
  return &scalar;
}

/* Starts on a table whose entries make the choice (once, under
 * pthread_once, so loops in several threads (reusePort) all see it made
 * before their first parse) and then call on; from then on the pointer
 * holds a complete, constant table and costs a parse nothing. */
static pthread_once_t chosen = PTHREAD_ONCE_INIT;
static void choose_best(void);

static const lode__scanners_t* first_use(void) {
  pthread_once(&chosen, choose_best);
  return lode__http_scan_get();
}

static const char* first_token(const char* s, const char* e) {
  return first_use()->token(s, e);
}

static const char* first_url(const char* s, const char* e) {
  return first_use()->url(s, e);
}

static const char* first_value(const char* s, const char* e) {
  return first_use()->value(s, e);
}

static long first_head(lode_http_parser_t* p, const char* s, const char* e) {
  return first_use()->head(p, s, e);
}

static const lode__scanners_t undecided = { first_token, first_url, first_value,
                                            first_head };

_Atomic(const lode__scanners_t*) lode__http_scan = &undecided;

static void set_level(int level) {
  atomic_store_explicit(&lode__http_scan, for_level(level),
                        memory_order_release);
}

static void choose_best(void) {
  set_level(best_level());
}

int lode_http_parser_use_simd(int level) {
  pthread_once(&chosen, choose_best); /* a later first use keeps this */
  int best = best_level();
  if (level == LODE_HTTP_SIMD_AUTO || level > best)
    level = best;
  if (level < LODE_HTTP_SIMD_SCALAR)
    level = LODE_HTTP_SIMD_SCALAR;
  set_level(level);
  return level;
}
