/* The scanning primitives, as inline functions, so that both the scanner
 * tables (scan.c) and the one-pass head parser (fast.c) get them compiled
 * into their own code for each instruction set. Each returns the first
 * byte in [s, e) outside its class, or e, and never reads past e: the SIMD
 * ones classify 16 or 32 bytes at a time while that many remain and
 * finish with the class table. */
#ifndef LODE_HTTP_PARSER_SIMD_H
#define LODE_HTTP_PARSER_SIMD_H

#include "http/parser/internal.h"

#if defined(__x86_64__) || defined(__i386__)
#define LODE__X86 1
#include <immintrin.h>
#endif

/* Inlined even where the compiler would rather call: each is small, and a
 * call per header name or value costs more than the scan. */
#define LODE__INLINE static inline __attribute__((always_inline))

LODE__INLINE const char* lode__scalar_set(const char* s, const char* e,
                                          uint8_t cls) {
  while (e - s >= 4) {
    if (!LODE__IS(s[0], cls))
      return s;
    if (!LODE__IS(s[1], cls))
      return s + 1;
    if (!LODE__IS(s[2], cls))
      return s + 2;
    if (!LODE__IS(s[3], cls))
      return s + 3;
    s += 4;
  }
  while (s < e && LODE__IS(*s, cls))
    s++;
  return s;
}

LODE__INLINE const char* lode__scalar_token(const char* s, const char* e) {
  return lode__scalar_set(s, e, LODE__C_TOKEN);
}

LODE__INLINE const char* lode__scalar_url(const char* s, const char* e) {
  return lode__scalar_set(s, e, LODE__C_URL);
}

LODE__INLINE const char* lode__scalar_value(const char* s, const char* e) {
  return lode__scalar_set(s, e, LODE__C_VALUE);
}

#ifdef LODE__X86
/* Membership in a set of ASCII bytes by nibbles: lo[l] has bit h set when
 * byte (h << 4 | l) is in the set; hi[h] = 1 << h for h < 8, so bytes of
 * 0x80 and up are never in it. */
static const uint8_t lode__token_lo[16] = { 0xe8, 0xfc, 0xf8, 0xfc, 0xfc, 0xfc,
                                            0xfc, 0xfc, 0xf8, 0xf8, 0xf4, 0x54,
                                            0xd0, 0x54, 0xf4, 0x70 };
static const uint8_t lode__url_lo[16] = { 0xf8, 0xfc, 0xfc, 0xf8, 0xfc, 0xfc,
                                          0xfc, 0xfc, 0xfc, 0xfc, 0xfc, 0xfc,
                                          0xfc, 0xfc, 0xfc, 0x74 };
static const uint8_t lode__hi_bits[16] = { 1, 2, 4, 8, 16, 32, 64, 128,
                                           0, 0, 0, 0, 0,  0,  0,  0 };

LODE__INLINE __attribute__((target("sse4.2"))) const char* lode__sse_set(
    const char* s, const char* e, const uint8_t* lot, uint8_t cls) {
  __m128i lo = _mm_loadu_si128((const __m128i*) lot);
  __m128i hi = _mm_loadu_si128((const __m128i*) lode__hi_bits);
  __m128i nib = _mm_set1_epi8(0x0f);
  while (e - s >= 16) {
    __m128i b = _mm_loadu_si128((const __m128i*) s);
    __m128i l = _mm_shuffle_epi8(lo, _mm_and_si128(b, nib));
    __m128i h = _mm_shuffle_epi8(hi, _mm_and_si128(_mm_srli_epi16(b, 4), nib));
    unsigned m = (unsigned) _mm_movemask_epi8(
        _mm_cmpeq_epi8(_mm_and_si128(l, h), _mm_setzero_si128()));
    if (m != 0)
      return s + __builtin_ctz(m);
    s += 16;
  }
  return lode__scalar_set(s, e, cls);
}

LODE__INLINE __attribute__((target("sse4.2"))) const char* lode__sse_token(
    const char* s, const char* e) {
  return lode__sse_set(s, e, lode__token_lo, LODE__C_TOKEN);
}

LODE__INLINE __attribute__((target("sse4.2"))) const char* lode__sse_url(
    const char* s, const char* e) {
  return lode__sse_set(s, e, lode__url_lo, LODE__C_URL);
}

/* Header values: everything but CTLs other than HTAB, and DEL. */
LODE__INLINE __attribute__((target("sse4.2"))) const char* lode__sse_value(
    const char* s, const char* e) {
  __m128i ctl = _mm_set1_epi8(0x1f), tab = _mm_set1_epi8(0x09);
  __m128i del = _mm_set1_epi8(0x7f);
  while (e - s >= 16) {
    __m128i b = _mm_loadu_si128((const __m128i*) s);
    __m128i low = _mm_cmpeq_epi8(_mm_min_epu8(b, ctl), b);
    __m128i bad = _mm_or_si128(_mm_andnot_si128(_mm_cmpeq_epi8(b, tab), low),
                               _mm_cmpeq_epi8(b, del));
    unsigned m = (unsigned) _mm_movemask_epi8(bad);
    if (m != 0)
      return s + __builtin_ctz(m);
    s += 16;
  }
  return lode__scalar_set(s, e, LODE__C_VALUE);
}

LODE__INLINE __attribute__((target("avx2"))) const char* lode__avx_set(
    const char* s, const char* e, const uint8_t* lot, uint8_t cls) {
  __m256i lo = _mm256_broadcastsi128_si256(
      _mm_loadu_si128((const __m128i*) lot));
  __m256i hi = _mm256_broadcastsi128_si256(
      _mm_loadu_si128((const __m128i*) lode__hi_bits));
  __m256i nib = _mm256_set1_epi8(0x0f);
  while (e - s >= 32) {
    __m256i b = _mm256_loadu_si256((const __m256i*) s);
    __m256i l = _mm256_shuffle_epi8(lo, _mm256_and_si256(b, nib));
    __m256i h = _mm256_shuffle_epi8(
        hi, _mm256_and_si256(_mm256_srli_epi16(b, 4), nib));
    __m256i out = _mm256_cmpeq_epi8(_mm256_and_si256(l, h),
                                    _mm256_setzero_si256());
    unsigned m = (unsigned) _mm256_movemask_epi8(out);
    if (m != 0)
      return s + __builtin_ctz(m);
    s += 32;
  }
  return lode__sse_set(s, e, lot, cls);
}

LODE__INLINE __attribute__((target("avx2"))) const char* lode__avx_token(
    const char* s, const char* e) {
  return lode__avx_set(s, e, lode__token_lo, LODE__C_TOKEN);
}

LODE__INLINE __attribute__((target("avx2"))) const char* lode__avx_url(
    const char* s, const char* e) {
  return lode__avx_set(s, e, lode__url_lo, LODE__C_URL);
}

LODE__INLINE __attribute__((target("avx2"))) const char* lode__avx_value(
    const char* s, const char* e) {
  __m256i ctl = _mm256_set1_epi8(0x1f), tab = _mm256_set1_epi8(0x09);
  __m256i del = _mm256_set1_epi8(0x7f);
  while (e - s >= 32) {
    __m256i b = _mm256_loadu_si256((const __m256i*) s);
    __m256i low = _mm256_cmpeq_epi8(_mm256_min_epu8(b, ctl), b);
    __m256i bad = _mm256_or_si256(
        _mm256_andnot_si256(_mm256_cmpeq_epi8(b, tab), low),
        _mm256_cmpeq_epi8(b, del));
    unsigned m = (unsigned) _mm256_movemask_epi8(bad);
    if (m != 0)
      return s + __builtin_ctz(m);
    s += 32;
  }
  return lode__sse_value(s, e);
}
#endif

#endif
