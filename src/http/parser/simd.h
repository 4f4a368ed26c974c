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
/* The lowest set bit's index of a non-zero mask, as an offset: one
 * instruction (the compiler's count extends its int and, tuned for CPUs
 * where the counting instruction has a false dependency, clears the
 * destination first). */
#ifdef __x86_64__
LODE__INLINE size_t lode__ctz(uint64_t m) {
  uint64_t i;
  __asm__("bsfq %1, %0" : "=r"(i) : "rm"(m) : "cc");
  return (size_t) i;
}
#define LODE__CTZ(m) lode__ctz(m)
#else
#define LODE__CTZ(m) ((size_t) __builtin_ctzll(m))
#endif

/* The classes the one-pass parser scans by (see lode__sse_scan). */
enum { LODE__K_VALUE, LODE__K_TOKEN, LODE__K_TARGET };

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
 * 0x80 and up are never in it. The tables as lists first, for the AVX2
 * constants too (lode__avx_consts). */
#define LODE__X16(b) b, b, b, b, b, b, b, b, b, b, b, b, b, b, b, b
#define LODE__TWICE(t) t, t
#define LODE__HI_BITS 1, 2, 4, 8, 16, 32, 64, 128, 0, 0, 0, 0, 0, 0, 0, 0
#define LODE__TOKEN_LO                                                         \
  0xe8, 0xfc, 0xf8, 0xfc, 0xfc, 0xfc, 0xfc, 0xfc, 0xf8, 0xf8, 0xf4, 0x54,      \
      0xd0, 0x54, 0xf4, 0x70
/* the request-target's bytes: URL_CHAR and '?' '#' (the one-pass
 * parser takes a path, query and fragment alike; head.c splits them) */
#define LODE__TARGET_LO                                                        \
  0xf8, 0xfc, 0xfc, 0xfc, 0xfc, 0xfc, 0xfc, 0xfc, 0xfc, 0xfc, 0xfc, 0xfc,      \
      0xfc, 0xfc, 0xfc, 0x7c
/* The bytes that end a header value (lode__sse_ctl's set) by the same
 * nibbles: high nibble 0 but HTAB, high nibble 1, and DEL. The one-pass
 * parser's AVX2 path tests them beside the token bytes, sharing the
 * nibbles. */
#define LODE__CTL_LO                                                           \
  0x03, 0x03, 0x03, 0x03, 0x03, 0x03, 0x03, 0x03, 0x03, 0x02, 0x03, 0x03,      \
      0x03, 0x03, 0x03, 0x83
static const uint8_t lode__token_lo[16] = { LODE__TOKEN_LO };
static const uint8_t lode__url_lo[16] = { 0xf8, 0xfc, 0xfc, 0xf8, 0xfc, 0xfc,
                                          0xfc, 0xfc, 0xfc, 0xfc, 0xfc, 0xfc,
                                          0xfc, 0xfc, 0xfc, 0x74 };
static const uint8_t lode__hi_bits[16] = { LODE__HI_BITS };
static const uint8_t lode__target_lo[16] = { LODE__TARGET_LO };

/* PCMPISTRI/PCMPISTRM: the first byte of a block outside the ranges, or a
 * NUL (which ends the string and is outside them too), lowest first; the
 * mask form as bits, every byte from a NUL on set. The ranges end at
 * their first zero byte. (valgrind runs this mode; it does not run
 * PCMPESTRI's ranges with positive polarity.) */
#define LODE__RANGES                                                           \
  (_SIDD_UBYTE_OPS | _SIDD_CMP_RANGES | _SIDD_NEGATIVE_POLARITY |              \
   _SIDD_LEAST_SIGNIFICANT)
/* The ranges: header values (HTAB, SP to '~', obs-text); a request-
 * target in the one-pass parser ('!' to '~'); URL_CHAR (that but '#' and
 * '?'). */
#define LODE__VALUE_RANGES 0x09, 0x09, 0x20, 0x7e, 0x80, 0xff
#define LODE__TARGET_RANGES 0x21, 0x7e
static const uint8_t lode__value_ranges[16] = { LODE__VALUE_RANGES };
static const uint8_t lode__url_ranges[16] = {
  0x21, 0x22, 0x24, 0x3e, 0x40, 0x7e
};

/* The first byte in [s, e) outside the ranges (cls: the same set). */
LODE__INLINE __attribute__((target("sse4.2"))) const char* lode__sse_ranges(
    const char* s, const char* e, const uint8_t* ranges, uint8_t cls) {
  __m128i r = _mm_loadu_si128((const __m128i*) ranges);
  while (e - s >= 16) {
    __m128i b = _mm_loadu_si128((const __m128i*) s);
    if (_mm_cmpistrc(r, b, LODE__RANGES))
      return s + _mm_cmpistri(r, b, LODE__RANGES);
    s += 16;
  }
  return lode__scalar_set(s, e, cls);
}

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
      return s + LODE__CTZ(m);
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
  return lode__sse_ranges(s, e, lode__url_ranges, LODE__C_URL);
}

/* Header values: everything but CTLs other than HTAB, and DEL. */
LODE__INLINE __attribute__((target("sse4.2"))) const char* lode__sse_value(
    const char* s, const char* e) {
  return lode__sse_ranges(s, e, lode__value_ranges, LODE__C_VALUE);
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
      return s + LODE__CTZ(m);
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
      return s + LODE__CTZ(m);
    s += 32;
  }
  return lode__sse_value(s, e);
}

/* ---- whole blocks, for the one-pass head parser ------------------------
 * A block is the 16 (SSE4.2) or 32 (AVX2) bytes at q, classified at once
 * into masks: bit i set when q[i] stops a scan of that class. Near the
 * end of the input the block is the last W bytes before e, its masks
 * shifted so that bit 0 is still q and no bit is set from e on (an input
 * shorter than W is first copied to the end of a zeroed block): nothing
 * is read past e. The constants are made once per head (`k`), as the
 * compiler would make them again for each line. */
typedef struct {
  uint32_t tok; /* no tchar */
  uint32_t ctl; /* ends a header value: a CTL but HTAB, or DEL (never the
                   input's last byte) */
} lode__stops_t;

typedef struct {
  __m128i nib, hi, tok, target, c1f, tab, del, value_rng, target_rng;
  /* the input's end less a block and a byte: from q up to it, a whole
   * block with a byte after it (a value end found in it has its LF) */
  uintptr_t lim;
} lode__sse_k_t;

/* Hides where the constants come from: the compiler would otherwise
 * build them from immediates, several instructions each, instead of one
 * load. */
#define LODE__OPAQUE_PTR(v) __asm__("" : "+r"(v))

/* The constants as they are loaded, one aligned load each: 0x0f, the
 * nibble tables, then 0x1f, HTAB and DEL in every byte (twice over for
 * AVX2's 32 bytes). SSE4.2 also has the byte ranges of a header value
 * and of a request-target for its string instructions (LODE__RANGES). */
/* clang-format off */
#define LODE__K_ROWS(T)                                                        \
  { T(LODE__X16(0x0f)) }, { T(LODE__HI_BITS) }, { T(LODE__TOKEN_LO) },         \
  { T(LODE__TARGET_LO) }, { T(LODE__CTL_LO) }, { T(LODE__X16(0x1f)) },         \
  { T(LODE__X16(0x09)) }, { T(LODE__X16(0x7f)) }
#define LODE__ONCE(t) t
static const uint8_t lode__sse_consts[10][16] __attribute__((aligned(16))) = {
  LODE__K_ROWS(LODE__ONCE),
  { LODE__VALUE_RANGES },
  { LODE__TARGET_RANGES },
};
/* clang-format on */

LODE__INLINE __attribute__((target("sse4.2"))) void lode__sse_k(
    lode__sse_k_t* k, const char* e) {
  k->lim = (uintptr_t) e - 17;
  const __m128i* c = (const __m128i*) lode__sse_consts;
  LODE__OPAQUE_PTR(c);
  k->nib = _mm_load_si128(c);
  k->hi = _mm_load_si128(c + 1);
  k->tok = _mm_load_si128(c + 2);
  k->target = _mm_load_si128(c + 3);
  k->c1f = _mm_load_si128(c + 5);
  k->tab = _mm_load_si128(c + 6);
  k->del = _mm_load_si128(c + 7);
  k->value_rng = _mm_load_si128(c + 8);
  k->target_rng = _mm_load_si128(c + 9);
}

/* The block at q (q < e); *past: how many of its bits are past e. */
LODE__INLINE __attribute__((target("sse4.2"))) __m128i lode__sse_block(
    const char* q, const char* s, const char* e, unsigned* past) {
  if (e - q >= 16) {
    *past = 0;
    return _mm_loadu_si128((const __m128i*) q);
  }
  *past = 16 - (unsigned) (e - q);
  if (e - s >= 16) /* the last 16 bytes, q's byte to bit 0 by lode__fix */
    return _mm_loadu_si128((const __m128i*) (e - 16));
  char b[16] = { 0 };
  memcpy(b + *past, q, (size_t) (e - q));
  return _mm_loadu_si128((const __m128i*) b);
}

/* A block's mask as if it was loaded at q (past: how many of its bytes
 * lie before q, the bytes from e on being none of its). */
LODE__INLINE uint32_t lode__fix(uint32_t m, unsigned past) {
  return m >> past;
}

/* The bits of a last block (q < e) but the input's last byte's: a value
 * end there has no LF after it, and one found elsewhere in a block
 * always has a byte after it. */
LODE__INLINE uint32_t lode__below_last(const char* q, const char* e) {
  return (1u << (e - q - 1)) - 1;
}

LODE__INLINE __attribute__((target("sse4.2"))) uint32_t lode__sse_not_in(
    __m128i b, __m128i lo, const lode__sse_k_t* k) {
  __m128i l = _mm_shuffle_epi8(lo, _mm_and_si128(b, k->nib));
  __m128i h = _mm_shuffle_epi8(k->hi,
                               _mm_and_si128(_mm_srli_epi16(b, 4), k->nib));
  return (uint32_t) _mm_movemask_epi8(
      _mm_cmpeq_epi8(_mm_and_si128(l, h), _mm_setzero_si128()));
}

LODE__INLINE __attribute__((target("sse4.2"))) uint32_t lode__sse_ctl(
    __m128i b, const lode__sse_k_t* k) {
  __m128i low = _mm_cmpeq_epi8(_mm_min_epu8(b, k->c1f), b);
  __m128i bad = _mm_or_si128(_mm_andnot_si128(_mm_cmpeq_epi8(b, k->tab), low),
                             _mm_cmpeq_epi8(b, k->del));
  return (uint32_t) _mm_movemask_epi8(bad);
}

LODE__INLINE __attribute__((target("sse4.2"))) lode__stops_t lode__sse_stops(
    const char* q, const char* s, const char* e, const void* kp) {
  const lode__sse_k_t* k = kp;
  if ((uintptr_t) q <= k->lim) { /* the value's end by the ranges */
    __m128i b = _mm_loadu_si128((const __m128i*) q);
    lode__stops_t m = { lode__sse_not_in(b, k->tok, k),
                        (uint32_t) _mm_cvtsi128_si32(
                            _mm_cmpistrm(k->value_rng, b, LODE__RANGES)) };
    return m;
  }
  /* (a NUL before q in a last block, a reason phrase's or a copied short
   * input's leading zero, ends the string early: every byte after it is
   * then a stop, so a stop is never missed, at worst one comes at q and
   * fails the line, which head.c then parses) */
  unsigned past;
  __m128i b = lode__sse_block(q, s, e, &past);
  uint32_t ctl = (uint32_t) _mm_cvtsi128_si32(
      _mm_cmpistrm(k->value_rng, b, LODE__RANGES));
  lode__stops_t m = { lode__fix(lode__sse_not_in(b, k->tok, k), past),
                      lode__fix(ctl, past) & lode__below_last(q, e) };
  return m;
}

LODE__INLINE __attribute__((target("sse4.2"))) uint32_t lode__sse_class(
    __m128i b, int cls, const lode__sse_k_t* k) {
  if (cls == LODE__K_VALUE)
    return lode__sse_ctl(b, k);
  return lode__sse_not_in(b, cls == LODE__K_TOKEN ? k->tok : k->target, k);
}

/* The first byte in [q, e) outside the class (LODE__K_*), or e; s <= q
 * is where the input may be read from. */
LODE__INLINE __attribute__((target("sse4.2"))) const char* lode__sse_scan(
    const char* q, const char* s, const char* e, int cls, const void* kp) {
  const lode__sse_k_t* k = kp;
  if (cls == LODE__K_TOKEN) {
    for (; (uintptr_t) q <= k->lim; q += 16) {
      uint32_t m = lode__sse_not_in(_mm_loadu_si128((const __m128i*) q), k->tok,
                                    k);
      if (m != 0)
        return q + LODE__CTZ(m);
    }
  } else { /* by the ranges, a block per instruction */
    __m128i r = cls == LODE__K_VALUE ? k->value_rng : k->target_rng;
    for (; (uintptr_t) q <= k->lim; q += 16) {
      __m128i b = _mm_loadu_si128((const __m128i*) q);
      if (_mm_cmpistrc(r, b, LODE__RANGES))
        return q + _mm_cmpistri(r, b, LODE__RANGES);
    }
  }
  if (q >= e)
    return e;
  unsigned past;
  __m128i b = lode__sse_block(q, s, e, &past);
  uint32_t m = lode__fix(lode__sse_class(b, cls, k), past);
  return m ? q + LODE__CTZ(m) : e;
}

typedef struct {
  __m256i nib, hi, tok, target, ctl, c1f, tab, del;
  uintptr_t lim;
} lode__avx_k_t;

static const uint8_t lode__avx_consts[8][32]
    __attribute__((aligned(32))) = { LODE__K_ROWS(LODE__TWICE) };

LODE__INLINE __attribute__((target("avx2"))) void lode__avx_k(lode__avx_k_t* k,
                                                              const char* e) {
  k->lim = (uintptr_t) e - 33;
  const __m256i* c = (const __m256i*) lode__avx_consts;
  LODE__OPAQUE_PTR(c);
  k->nib = _mm256_load_si256(c);
  k->hi = _mm256_load_si256(c + 1);
  k->tok = _mm256_load_si256(c + 2);
  k->target = _mm256_load_si256(c + 3);
  k->ctl = _mm256_load_si256(c + 4);
  k->c1f = _mm256_load_si256(c + 5);
  k->tab = _mm256_load_si256(c + 6);
  k->del = _mm256_load_si256(c + 7);
}

LODE__INLINE __attribute__((target("avx2"))) __m256i lode__avx_block(
    const char* q, const char* s, const char* e, unsigned* past) {
  if (e - q >= 32) {
    *past = 0;
    return _mm256_loadu_si256((const __m256i*) q);
  }
  *past = 32 - (unsigned) (e - q);
  if (e - s >= 32)
    return _mm256_loadu_si256((const __m256i*) (e - 32));
  char b[32] = { 0 };
  memcpy(b + *past, q, (size_t) (e - q));
  return _mm256_loadu_si256((const __m256i*) b);
}

LODE__INLINE __attribute__((target("avx2"))) uint32_t lode__avx_not_in(
    __m256i b, __m256i lo, const lode__avx_k_t* k) {
  __m256i l = _mm256_shuffle_epi8(lo, _mm256_and_si256(b, k->nib));
  __m256i h = _mm256_shuffle_epi8(
      k->hi, _mm256_and_si256(_mm256_srli_epi16(b, 4), k->nib));
  return (uint32_t) _mm256_movemask_epi8(
      _mm256_cmpeq_epi8(_mm256_and_si256(l, h), _mm256_setzero_si256()));
}

LODE__INLINE __attribute__((target("avx2"))) uint32_t lode__avx_ctl(
    __m256i b, const lode__avx_k_t* k) {
  __m256i low = _mm256_cmpeq_epi8(_mm256_min_epu8(b, k->c1f), b);
  __m256i bad = _mm256_or_si256(
      _mm256_andnot_si256(_mm256_cmpeq_epi8(b, k->tab), low),
      _mm256_cmpeq_epi8(b, k->del));
  return (uint32_t) _mm256_movemask_epi8(bad);
}

/* Both masks of a block from one split into nibbles: the token test and
 * the value-end test (LODE__CTL_LO) share the high nibble's bits. */
LODE__INLINE __attribute__((target("avx2"))) lode__stops_t lode__avx_both(
    __m256i b, const lode__avx_k_t* k) {
  __m256i l = _mm256_and_si256(b, k->nib);
  __m256i h = _mm256_shuffle_epi8(
      k->hi, _mm256_and_si256(_mm256_srli_epi16(b, 4), k->nib));
  __m256i z = _mm256_setzero_si256();
  __m256i t = _mm256_and_si256(_mm256_shuffle_epi8(k->tok, l), h);
  __m256i c = _mm256_and_si256(_mm256_shuffle_epi8(k->ctl, l), h);
  lode__stops_t m = { (uint32_t) _mm256_movemask_epi8(_mm256_cmpeq_epi8(t, z)),
                      ~(uint32_t) _mm256_movemask_epi8(
                          _mm256_cmpeq_epi8(c, z)) };
  return m;
}

LODE__INLINE __attribute__((target("avx2"))) lode__stops_t lode__avx_stops(
    const char* q, const char* s, const char* e, const void* kp) {
  const lode__avx_k_t* k = kp;
  if ((uintptr_t) q <= k->lim)
    return lode__avx_both(_mm256_loadu_si256((const __m256i*) q), k);
  unsigned past;
  lode__stops_t m = lode__avx_both(lode__avx_block(q, s, e, &past), k);
  m.tok = lode__fix(m.tok, past);
  m.ctl = lode__fix(m.ctl, past) & lode__below_last(q, e);
  return m;
}

LODE__INLINE __attribute__((target("avx2"))) uint32_t lode__avx_class(
    __m256i b, int cls, const lode__avx_k_t* k) {
  if (cls == LODE__K_VALUE)
    return lode__avx_ctl(b, k);
  return lode__avx_not_in(b, cls == LODE__K_TOKEN ? k->tok : k->target, k);
}

LODE__INLINE __attribute__((target("avx2"))) const char* lode__avx_scan(
    const char* q, const char* s, const char* e, int cls, const void* kp) {
  const lode__avx_k_t* k = kp;
  for (; (uintptr_t) q <= k->lim; q += 32) {
    uint32_t m = lode__avx_class(_mm256_loadu_si256((const __m256i*) q), cls,
                                 k);
    if (m != 0)
      return q + LODE__CTZ(m);
  }
  if (q >= e)
    return e;
  unsigned past;
  __m256i b = lode__avx_block(q, s, e, &past);
  uint32_t m = lode__fix(lode__avx_class(b, cls, k), past);
  return m ? q + LODE__CTZ(m) : e;
}
#endif

#endif
