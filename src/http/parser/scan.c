/* Character classes and the scanners behind the hot loops: method, URL,
 * header names and values. A scalar table-driven path everywhere, and
 * SSE4.2 / AVX2 paths chosen once at run time. Each SIMD path classifies
 * 16 or 32 bytes at a time and falls back to the table for the tail, so
 * it never reads past `e`. */
#include "http/parser/internal.h"

#if defined(__x86_64__) || defined(__i386__)
#define LODE__X86 1
#include <immintrin.h>
#endif

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

#define SCALAR_SCAN(name, cls)                                              \
  static const char* name(const char* s, const char* e) {                  \
    while (e - s >= 4) {                                                    \
      if (!LODE__IS(s[0], cls)) return s;                                   \
      if (!LODE__IS(s[1], cls)) return s + 1;                               \
      if (!LODE__IS(s[2], cls)) return s + 2;                               \
      if (!LODE__IS(s[3], cls)) return s + 3;                               \
      s += 4;                                                               \
    }                                                                       \
    while (s < e && LODE__IS(*s, cls)) s++;                                 \
    return s;                                                               \
  }

SCALAR_SCAN(scalar_token, LODE__C_TOKEN)
SCALAR_SCAN(scalar_url, LODE__C_URL)
SCALAR_SCAN(scalar_value, LODE__C_VALUE)

static const lode__scanners_t scalar = { scalar_token, scalar_url,
                                         scalar_value };

#ifdef LODE__X86
/* Membership in a set of ASCII bytes by nibbles: lo[l] has bit h set when
 * byte (h << 4 | l) is in the set; hi[h] = 1 << h for h < 8, so bytes of
 * 0x80 and up are never in it. */
static const uint8_t token_lo[16] = {
  0xe8, 0xfc, 0xf8, 0xfc, 0xfc, 0xfc, 0xfc, 0xfc,
  0xf8, 0xf8, 0xf4, 0x54, 0xd0, 0x54, 0xf4, 0x70 };
static const uint8_t url_lo[16] = {
  0xf8, 0xfc, 0xfc, 0xf8, 0xfc, 0xfc, 0xfc, 0xfc,
  0xfc, 0xfc, 0xfc, 0xfc, 0xfc, 0xfc, 0xfc, 0x74 };
static const uint8_t hi_bits[16] = { 1, 2, 4, 8, 16, 32, 64, 128,
                                     0, 0, 0, 0, 0, 0, 0, 0 };

__attribute__((target("sse4.2")))
static inline unsigned sse_outside(__m128i b, __m128i lo, __m128i hi) {
  __m128i nib = _mm_set1_epi8(0x0f);
  __m128i l = _mm_shuffle_epi8(lo, _mm_and_si128(b, nib));
  __m128i h = _mm_shuffle_epi8(hi, _mm_and_si128(_mm_srli_epi16(b, 4), nib));
  __m128i in = _mm_and_si128(l, h);
  return (unsigned) _mm_movemask_epi8(
      _mm_cmpeq_epi8(in, _mm_setzero_si128()));
}

__attribute__((target("sse4.2")))
static const char* sse_set(const char* s, const char* e, const uint8_t* lot,
                           uint8_t cls) {
  __m128i lo = _mm_loadu_si128((const __m128i*) lot);
  __m128i hi = _mm_loadu_si128((const __m128i*) hi_bits);
  while (e - s >= 16) {
    __m128i b = _mm_loadu_si128((const __m128i*) s);
    unsigned m = sse_outside(b, lo, hi);
    if (m != 0) return s + __builtin_ctz(m);
    s += 16;
  }
  while (s < e && LODE__IS(*s, cls)) s++;
  return s;
}

__attribute__((target("sse4.2")))
static const char* sse_token(const char* s, const char* e) {
  return sse_set(s, e, token_lo, LODE__C_TOKEN);
}

__attribute__((target("sse4.2")))
static const char* sse_url(const char* s, const char* e) {
  return sse_set(s, e, url_lo, LODE__C_URL);
}

/* Header values: everything but CTLs other than HTAB, and DEL. */
__attribute__((target("sse4.2")))
static const char* sse_value(const char* s, const char* e) {
  __m128i ctl = _mm_set1_epi8(0x1f), tab = _mm_set1_epi8(0x09);
  __m128i del = _mm_set1_epi8(0x7f);
  while (e - s >= 16) {
    __m128i b = _mm_loadu_si128((const __m128i*) s);
    __m128i low = _mm_cmpeq_epi8(_mm_min_epu8(b, ctl), b);
    __m128i bad = _mm_or_si128(_mm_andnot_si128(_mm_cmpeq_epi8(b, tab), low),
                               _mm_cmpeq_epi8(b, del));
    unsigned m = (unsigned) _mm_movemask_epi8(bad);
    if (m != 0) return s + __builtin_ctz(m);
    s += 16;
  }
  while (s < e && LODE__IS(*s, LODE__C_VALUE)) s++;
  return s;
}

static const lode__scanners_t sse42 = { sse_token, sse_url, sse_value };

__attribute__((target("avx2")))
static const char* avx_set(const char* s, const char* e, const uint8_t* lot,
                           uint8_t cls) {
  __m256i lo = _mm256_broadcastsi128_si256(
      _mm_loadu_si128((const __m128i*) lot));
  __m256i hi = _mm256_broadcastsi128_si256(
      _mm_loadu_si128((const __m128i*) hi_bits));
  __m256i nib = _mm256_set1_epi8(0x0f);
  while (e - s >= 32) {
    __m256i b = _mm256_loadu_si256((const __m256i*) s);
    __m256i l = _mm256_shuffle_epi8(lo, _mm256_and_si256(b, nib));
    __m256i h = _mm256_shuffle_epi8(
        hi, _mm256_and_si256(_mm256_srli_epi16(b, 4), nib));
    __m256i out = _mm256_cmpeq_epi8(_mm256_and_si256(l, h),
                                    _mm256_setzero_si256());
    unsigned m = (unsigned) _mm256_movemask_epi8(out);
    if (m != 0) return s + __builtin_ctz(m);
    s += 32;
  }
  return sse_set(s, e, lot, cls);
}

__attribute__((target("avx2")))
static const char* avx_token(const char* s, const char* e) {
  return avx_set(s, e, token_lo, LODE__C_TOKEN);
}

__attribute__((target("avx2")))
static const char* avx_url(const char* s, const char* e) {
  return avx_set(s, e, url_lo, LODE__C_URL);
}

__attribute__((target("avx2")))
static const char* avx_value(const char* s, const char* e) {
  __m256i ctl = _mm256_set1_epi8(0x1f), tab = _mm256_set1_epi8(0x09);
  __m256i del = _mm256_set1_epi8(0x7f);
  while (e - s >= 32) {
    __m256i b = _mm256_loadu_si256((const __m256i*) s);
    __m256i low = _mm256_cmpeq_epi8(_mm256_min_epu8(b, ctl), b);
    __m256i bad = _mm256_or_si256(
        _mm256_andnot_si256(_mm256_cmpeq_epi8(b, tab), low),
        _mm256_cmpeq_epi8(b, del));
    unsigned m = (unsigned) _mm256_movemask_epi8(bad);
    if (m != 0) return s + __builtin_ctz(m);
    s += 32;
  }
  return sse_value(s, e);
}

static const lode__scanners_t avx2 = { avx_token, avx_url, avx_value };
#endif

static int best_level(void) {
#ifdef LODE__X86
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx2")) return LODE_HTTP_SIMD_AVX2;
  if (__builtin_cpu_supports("sse4.2")) return LODE_HTTP_SIMD_SSE42;
#endif
  return LODE_HTTP_SIMD_SCALAR;
}

static const lode__scanners_t* for_level(int level) {
#ifdef LODE__X86
  if (level == LODE_HTTP_SIMD_AVX2) return &avx2;
  if (level == LODE_HTTP_SIMD_SSE42) return &sse42;
#endif
  return &scalar;
}

/* Starts on the scalar path and moves to the best one on first use;
 * every value it can hold is a complete, constant table. */
const lode__scanners_t* lode__http_scan = &scalar;
static int current_level = LODE_HTTP_SIMD_AUTO;

int lode_http_parser_use_simd(int level) {
  int best = best_level();
  if (level == LODE_HTTP_SIMD_AUTO || level > best) level = best;
  if (level < LODE_HTTP_SIMD_SCALAR) level = LODE_HTTP_SIMD_SCALAR;
  current_level = level;
  lode__http_scan = for_level(level);
  return level;
}

void lode__http_scan_init(void) {
  if (current_level == LODE_HTTP_SIMD_AUTO)
    lode_http_parser_use_simd(LODE_HTTP_SIMD_AUTO);
}
