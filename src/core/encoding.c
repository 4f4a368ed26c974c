/* Node's encodings: bytes to text (buf.toString(enc)) and text to bytes
 * (Buffer.from(str, enc)).
 *
 * Text on the C side is UTF-8. Text handed to lode_decode is read the way
 * Node reads those bytes with toString('utf8') (an invalid sequence is one
 * U+FFFD), and then treated as the JavaScript string it would be: a
 * sequence of UTF-16 code units. That is what makes latin1 of an emoji two
 * bytes, and why hex and base64 look at each unit's low byte only, as
 * Node's decoders do.
 *
 * Every converter counts what it would write and writes at most `cap`
 * bytes; the hot loops are table lookups with a word-at-a-time ASCII scan. */
#include "lode/buf.h"

#include <stdint.h>
#include <string.h>

#define PUT(c)                                                                 \
  do {                                                                         \
    if (o < cap)                                                               \
      out[o] = (char) (c);                                                     \
    o++;                                                                       \
  } while (0)

/* Copies a run of bytes as far as the room allows; counts all of it. */
#define PUT_RUN(src, len)                                                      \
  do {                                                                         \
    size_t len_ = (len);                                                       \
    if (o < cap)                                                               \
      memcpy(out + o, (src), cap - o < len_ ? cap - o : len_);                 \
    o += len_;                                                                 \
  } while (0)

#define PUT_CP(cp)                                                             \
  do {                                                                         \
    uint32_t c_ = (cp);                                                        \
    if (c_ < 0x80) {                                                           \
      PUT(c_);                                                                 \
    } else if (c_ < 0x800) {                                                   \
      PUT(0xC0 | (c_ >> 6));                                                   \
      PUT(0x80 | (c_ & 0x3F));                                                 \
    } else if (c_ < 0x10000) {                                                 \
      PUT(0xE0 | (c_ >> 12));                                                  \
      PUT(0x80 | ((c_ >> 6) & 0x3F));                                          \
      PUT(0x80 | (c_ & 0x3F));                                                 \
    } else {                                                                   \
      PUT(0xF0 | (c_ >> 18));                                                  \
      PUT(0x80 | ((c_ >> 12) & 0x3F));                                         \
      PUT(0x80 | ((c_ >> 6) & 0x3F));                                          \
      PUT(0x80 | (c_ & 0x3F));                                                 \
    }                                                                          \
  } while (0)

#define REPLACEMENT 0xFFFD
#define INVALID 0x110000 /* utf8_next's mark for an invalid sequence */

/* UTF-8 lead bytes by class: 0 invalid (80-C1, F5-FF), 1 ASCII, 2 C2-DF,
 * 3 E1-EC/EE-EF, 4 E0, 5 ED, 6 F1-F3, 7 F0, 8 F4. The class gives the
 * length and the allowed range of the second byte (WHATWG's decoder). */
static const uint8_t utf8_class[256] = {
#define R1(x) x, x, x, x, x, x, x, x, x, x, x, x, x, x, x, x
  R1(1), R1(1), R1(1), R1(1), R1(1), R1(1), R1(1), R1(1), R1(0), R1(0), R1(0),
  R1(0), 0,     0,     2,     2,     2,     2,     2,     2,     2,     2,
  2,     2,     2,     2,     2,     2,     R1(2), 4,     3,     3,     3,
  3,     3,     3,     3,     3,     3,     3,     3,     3,     5,     3,
  3,     7,     6,     6,     6,     8,     0,     0,     0,     0,     0,
  0,     0,     0,     0,     0,     0,
#undef R1
};
static const uint8_t class_len[9] = { 0, 1, 2, 3, 3, 3, 4, 4, 4 };
static const uint8_t class_lo[9] = { 0,    0,    0x80, 0x80, 0xA0,
                                     0x80, 0x80, 0x90, 0x80 };
static const uint8_t class_hi[9] = { 0,    0,    0xBF, 0xBF, 0xBF,
                                     0x9F, 0xBF, 0xBF, 0x8F };

/* Reads the non-ASCII character at p[0..n): stores its code point, or
 * INVALID for an invalid sequence, and returns the bytes it used (for an
 * invalid sequence, its maximal subpart, so the next byte is read anew). */
static inline size_t utf8_next(const uint8_t* p, size_t n, uint32_t* cp) {
  unsigned cls = utf8_class[p[0]];
  unsigned len = class_len[cls];
  *cp = INVALID;
  if (len == 0 || n < 2 || p[1] < class_lo[cls] || p[1] > class_hi[cls])
    return 1;
  uint32_t c = ((uint32_t) p[0] & (0xFFu >> (len + 1))) << 6 | (p[1] & 0x3F);
  for (size_t i = 2; i < len; i++) {
    if (i >= n || (p[i] & 0xC0) != 0x80)
      return i;
    c = c << 6 | (p[i] & 0x3F);
  }
  *cp = c;
  return len;
}

/* Length of the ASCII run at the start of p, eight bytes at a time. */
static inline size_t ascii_run(const uint8_t* p, size_t n) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t w;
    memcpy(&w, p + i, 8);
    if (w & 0x8080808080808080ull)
      break;
  }
  while (i < n && p[i] < 0x80)
    i++;
  return i;
}

static size_t utf8_to_text(const uint8_t* p, size_t n, char* out, size_t cap) {
  size_t i = 0, o = 0;
  while (i < n) {
    size_t run = ascii_run(p + i, n - i);
    PUT_RUN(p + i, run);
    i += run;
    if (i == n)
      break;
    uint32_t cp;
    size_t used = utf8_next(p + i, n - i, &cp);
    if (cp != INVALID)
      PUT_RUN(p + i, used); /* valid: the bytes are already the text */
    else
      PUT_CP(REPLACEMENT);
    i += used;
  }
  return o;
}

static size_t latin1_to_text(const uint8_t* p, size_t n, char* out,
                             size_t cap) {
  size_t i = 0, o = 0;
  while (i < n) {
    size_t run = ascii_run(p + i, n - i);
    PUT_RUN(p + i, run);
    for (i += run; i < n && p[i] >= 0x80; i++) {
      PUT(0xC0 | (p[i] >> 6));
      PUT(0x80 | (p[i] & 0x3F));
    }
  }
  return o;
}

/* Node's ascii decoding drops the high bit of every byte. */
static size_t ascii_to_text(const uint8_t* p, size_t n, char* out, size_t cap) {
  size_t o = 0;
  for (size_t i = 0; i < n; i++)
    PUT(p[i] & 0x7F);
  return o;
}

static const char hex_digits[] = "0123456789abcdef";

static size_t hex_to_text(const uint8_t* p, size_t n, char* out, size_t cap) {
  size_t o = 0;
  if (cap / 2 >= n) { /* room for all of it: no per-byte bound checks */
    for (size_t i = 0; i < n; i++) {
      out[2 * i] = hex_digits[p[i] >> 4];
      out[2 * i + 1] = hex_digits[p[i] & 15];
    }
    return 2 * n;
  }
  for (size_t i = 0; i < n; i++) {
    PUT(hex_digits[p[i] >> 4]);
    PUT(hex_digits[p[i] & 15]);
  }
  return o;
}

static const char b64_std[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char b64_url[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* base64 pads to a multiple of 4 with '='; base64url does not pad. */
static size_t base64_to_text_(const uint8_t* p, size_t n, char* out, size_t cap,
                              int url) {
  const char* a = url ? b64_url : b64_std;
  size_t i = 0, o = 0;
  if (cap / 4 >= n / 3 + 1) { /* room for all of it: unchecked groups */
    for (; i + 3 <= n; i += 3, o += 4) {
      uint32_t v = (uint32_t) p[i] << 16 | (uint32_t) p[i + 1] << 8 | p[i + 2];
      out[o] = a[v >> 18];
      out[o + 1] = a[(v >> 12) & 63];
      out[o + 2] = a[(v >> 6) & 63];
      out[o + 3] = a[v & 63];
    }
  }
  for (; i + 3 <= n; i += 3) {
    uint32_t v = (uint32_t) p[i] << 16 | (uint32_t) p[i + 1] << 8 | p[i + 2];
    PUT(a[v >> 18]);
    PUT(a[(v >> 12) & 63]);
    PUT(a[(v >> 6) & 63]);
    PUT(a[v & 63]);
  }
  if (n - i == 0)
    return o;
  uint32_t v = (uint32_t) p[i] << 16 | (n - i == 2 ? p[i + 1] << 8 : 0);
  PUT(a[v >> 18]);
  PUT(a[(v >> 12) & 63]);
  if (n - i == 2)
    PUT(a[(v >> 6) & 63]);
  else if (!url)
    PUT('=');
  if (!url)
    PUT('=');
  return o;
}

static size_t base64_to_text(const uint8_t* p, size_t n, char* out,
                             size_t cap) {
  return base64_to_text_(p, n, out, cap, 0);
}

static size_t base64url_to_text(const uint8_t* p, size_t n, char* out,
                                size_t cap) {
  return base64_to_text_(p, n, out, cap, 1);
}

/* Pairs of bytes are UTF-16 units; an odd last byte is dropped; a
 * surrogate without its other half is U+FFFD in the UTF-8 text. */
static size_t utf16le_to_text(const uint8_t* p, size_t n, char* out,
                              size_t cap) {
  size_t o = 0;
  n &= ~(size_t) 1;
  for (size_t i = 0; i < n; i += 2) {
    uint32_t u = p[i] | (uint32_t) p[i + 1] << 8;
    if (u >= 0xD800 && u <= 0xDFFF) {
      uint32_t lo = i + 3 < n ? (p[i + 2] | (uint32_t) p[i + 3] << 8) : 0;
      if (u <= 0xDBFF && lo >= 0xDC00 && lo <= 0xDFFF) {
        u = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
        i += 2;
      } else {
        u = REPLACEMENT;
      }
    }
    PUT_CP(u);
  }
  return o;
}

/* The text as the JavaScript string's UTF-16 code units. */
typedef struct {
  const uint8_t* p;
  size_t n;
  size_t i;
  int32_t low; /* the second half of a pair, or -1 */
} units_t;

static inline int32_t next_unit(units_t* u) {
  if (u->low >= 0) {
    int32_t r = u->low;
    u->low = -1;
    return r;
  }
  if (u->i >= u->n)
    return -1;
  if (u->p[u->i] < 0x80)
    return u->p[u->i++];
  uint32_t cp;
  u->i += utf8_next(u->p + u->i, u->n - u->i, &cp);
  if (cp == INVALID)
    return REPLACEMENT;
  if (cp < 0x10000)
    return (int32_t) cp;
  u->low = (int32_t) (0xDC00 | (cp & 0x3FF));
  return (int32_t) (0xD800 | ((cp - 0x10000) >> 10));
}

/* latin1 and ascii keep the low byte of every unit (Node writes both the
 * same way). */
static size_t text_to_latin1(const uint8_t* p, size_t n, char* out,
                             size_t cap) {
  units_t u = { p, n, 0, -1 };
  size_t o = 0;
  while (u.i < n || u.low >= 0) {
    if (u.low < 0) {
      size_t run = ascii_run(p + u.i, n - u.i);
      PUT_RUN(p + u.i, run);
      u.i += run;
    }
    int32_t c = next_unit(&u);
    if (c < 0)
      break;
    PUT(c & 0xFF);
  }
  return o;
}

static size_t text_to_utf16le(const uint8_t* p, size_t n, char* out,
                              size_t cap) {
  units_t u = { p, n, 0, -1 };
  size_t o = 0;
  for (int32_t c; (c = next_unit(&u)) >= 0;) {
    PUT(c & 0xFF);
    PUT(c >> 8);
  }
  return o;
}

/* 0-15 for a hex digit, 255 for anything else. */
static const uint8_t unhex[256] = {
#define R1(x) x, x, x, x, x, x, x, x, x, x, x, x, x, x, x, x
  R1(255), R1(255), R1(255), 0,       1,       2,       3,       4,
  5,       6,       7,       8,       9,       255,     255,     255,
  255,     255,     255,     255,     10,      11,      12,      13,
  14,      15,      255,     255,     255,     255,     255,     255,
  255,     255,     255,     R1(255), 255,     10,      11,      12,
  13,      14,      15,      255,     255,     255,     255,     255,
  255,     255,     255,     255,     R1(255), R1(255), R1(255), R1(255),
  R1(255), R1(255), R1(255), R1(255), R1(255),
#undef R1
};

/* Pairs of digits; decoding stops at the first pair that is not one, and
 * an odd last digit is ignored (Node's hex_decode). */
static size_t text_to_hex(const uint8_t* p, size_t n, char* out, size_t cap) {
  units_t u = { p, n, 0, -1 };
  size_t o = 0;
  for (;;) {
    int32_t a = next_unit(&u), b = next_unit(&u);
    if (a < 0 || b < 0)
      break;
    uint8_t hi = unhex[a & 0xFF], lo = unhex[b & 0xFF];
    if (hi == 255 || lo == 255)
      break;
    PUT(hi << 4 | lo);
  }
  return o;
}

/* Both alphabets' values; 64 for '=', 255 for anything else. */
static const uint8_t unbase64[256] = {
#define R1(x) x, x, x, x, x, x, x, x, x, x, x, x, x, x, x, x
  R1(255), R1(255), 255,     255,     255,     255,     255,     255, 255,
  255,     255,     255,     255,     62,      255,     62,      255, 63,
  52,      53,      54,      55,      56,      57,      58,      59,  60,
  61,      255,     255,     255,     64,      255,     255,     255, 0,
  1,       2,       3,       4,       5,       6,       7,       8,   9,
  10,      11,      12,      13,      14,      15,      16,      17,  18,
  19,      20,      21,      22,      23,      24,      25,      255, 255,
  255,     255,     63,      255,     26,      27,      28,      29,  30,
  31,      32,      33,      34,      35,      36,      37,      38,  39,
  40,      41,      42,      43,      44,      45,      46,      47,  48,
  49,      50,      51,      255,     255,     255,     255,     255, R1(255),
  R1(255), R1(255), R1(255), R1(255), R1(255), R1(255), R1(255),
#undef R1
};

/* Node's decoder takes either alphabet, skips any other character
 * (whitespace included), stops at the first '=', and turns a partial last
 * group into as many whole bytes as it holds. */
static size_t text_to_base64(const uint8_t* p, size_t n, char* out,
                             size_t cap) {
  units_t u = { p, n, 0, -1 };
  size_t o = 0;
  unsigned have = 0, hi = 0;
  for (;;) {
    /* Whole groups of four plain characters, while there is room. */
    while (have == 0 && u.low < 0 && u.i + 4 <= n && o <= cap && cap - o >= 3) {
      const uint8_t* g = p + u.i;
      uint32_t a = unbase64[g[0]], b = unbase64[g[1]], c = unbase64[g[2]],
               d = unbase64[g[3]];
      if ((a | b | c | d) >= 64)
        break; /* '=', other, or non-ASCII */
      uint32_t v = a << 18 | b << 12 | c << 6 | d;
      out[o] = (char) (v >> 16);
      out[o + 1] = (char) (v >> 8);
      out[o + 2] = (char) v;
      o += 3;
      u.i += 4;
    }
    int32_t c = next_unit(&u);
    if (c < 0)
      break;
    unsigned v = unbase64[c & 0xFF];
    if (v == 64)
      break;
    if (v > 64)
      continue;
    if (have == 1)
      PUT(hi << 2 | v >> 4);
    else if (have == 2)
      PUT((hi & 0x0F) << 4 | v >> 2);
    else if (have == 3)
      PUT((hi & 0x03) << 6 | v);
    hi = v;
    have = (have + 1) & 3;
  }
  return o;
}

static size_t copy_bytes(const uint8_t* p, size_t n, char* out, size_t cap) {
  size_t o = 0;
  PUT_RUN(p, n);
  return o;
}

typedef size_t (*convert_fn)(const uint8_t* p, size_t n, char* out, size_t cap);

/* Indexed by lode_encoding_t. */
static const convert_fn to_text[] = {
  copy_bytes,  utf8_to_text,   latin1_to_text,    ascii_to_text,
  hex_to_text, base64_to_text, base64url_to_text, utf16le_to_text,
};
static const convert_fn from_text[] = {
  copy_bytes,  utf8_to_text,   text_to_latin1, text_to_latin1,
  text_to_hex, text_to_base64, text_to_base64, text_to_utf16le,
};

static size_t convert(const convert_fn* table, lode_encoding_t enc,
                      lode_slice_t in, char* out, size_t cap) {
  if ((unsigned) enc > LODE_ENC_UTF16LE)
    return 0;
  return table[enc]((const uint8_t*) in.base, in.base ? in.len : 0, out,
                    out ? cap : 0);
}

size_t lode_encode(lode_encoding_t enc, lode_slice_t bytes, char* out,
                   size_t cap) {
  return convert(to_text, enc, bytes, out, cap);
}

size_t lode_decode(lode_encoding_t enc, lode_slice_t text, char* out,
                   size_t cap) {
  return convert(from_text, enc, text, out, cap);
}
