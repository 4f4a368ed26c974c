/* Slices, reference-counted bytes, encoding names, the string decoder,
 * and the library's growable byte buffer (lode__buf_t).
 * The byte <-> text converters themselves are in encoding.c. */
#include "core/internal.h"
#include "lode/buf.h"
#include "lode/errors.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <uv.h>

lode_slice_t lode_slice_str(const char* s) {
  if (s == NULL)
    return (lode_slice_t){ "", 0 };
  return (lode_slice_t){ s, strlen(s) };
}

/* One allocation for copied and allocated bytes (the data follows the
 * header); adopted bytes point at the caller's malloc'd block. */
struct lode_bytes_s {
  size_t refs;
  size_t len;
  char* base;
  int adopted;
  char inline_[];
};

lode_bytes_t* lode_bytes_alloc(size_t len) {
  if (len > SIZE_MAX - sizeof(lode_bytes_t))
    return NULL;
  lode_bytes_t* b = malloc(sizeof(*b) + len);
  if (b == NULL)
    return NULL;
  b->refs = 1;
  b->len = len;
  b->base = b->inline_;
  b->adopted = 0;
  return b;
}

lode_bytes_t* lode_bytes_copy(lode_slice_t from) {
  if (from.base == NULL && from.len > 0)
    return NULL;
  lode_bytes_t* b = lode_bytes_alloc(from.len);
  if (b != NULL && from.len > 0)
    memcpy(b->base, from.base, from.len);
  return b;
}

lode_bytes_t* lode_bytes_adopt(char* base, size_t len) {
  if (base == NULL && len > 0)
    return NULL;
  lode_bytes_t* b = malloc(sizeof(*b));
  if (b == NULL)
    return NULL;
  b->refs = 1;
  b->len = len;
  b->base = base;
  b->adopted = 1;
  return b;
}

char* lode_bytes_data(lode_bytes_t* b) {
  return b->base;
}

lode_slice_t lode_bytes_view(const lode_bytes_t* b) {
  return (lode_slice_t){ b->base, b->len };
}

size_t lode_bytes_len(const lode_bytes_t* b) {
  return b->len;
}

void lode_bytes_hold(lode_bytes_t* b) {
  if (b != NULL)
    b->refs++;
}

void lode_bytes_release(lode_bytes_t* b) {
  if (b == NULL || --b->refs > 0)
    return;
  if (b->adopted)
    free(b->base);
  free(b);
}

/* Node's Buffer.isEncoding list; "buffer" is not an encoding there. */
static const struct {
  const char* name;
  lode_encoding_t enc;
} encoding_names[] = {
  { "utf8", LODE_ENC_UTF8 },
  { "utf-8", LODE_ENC_UTF8 },
  { "hex", LODE_ENC_HEX },
  { "base64", LODE_ENC_BASE64 },
  { "base64url", LODE_ENC_BASE64URL },
  { "ascii", LODE_ENC_ASCII },
  { "latin1", LODE_ENC_LATIN1 },
  { "binary", LODE_ENC_LATIN1 },
  { "ucs2", LODE_ENC_UTF16LE },
  { "ucs-2", LODE_ENC_UTF16LE },
  { "utf16le", LODE_ENC_UTF16LE },
  { "utf-16le", LODE_ENC_UTF16LE },
};

static int name_equal(const char* a, const char* lower) {
  for (; *a != '\0' && *lower != '\0'; a++, lower++) {
    char c = (*a >= 'A' && *a <= 'Z') ? (char) (*a + 32) : *a;
    if (c != *lower)
      return 0;
  }
  return *a == *lower;
}

int lode_encoding_parse(const char* name) {
  if (name == NULL)
    return LODE_ERR_UNKNOWN_ENCODING;
  size_t n = sizeof(encoding_names) / sizeof(encoding_names[0]);
  for (size_t i = 0; i < n; i++)
    if (name_equal(name, encoding_names[i].name))
      return encoding_names[i].enc;
  return LODE_ERR_UNKNOWN_ENCODING;
}

const char* lode_encoding_name(lode_encoding_t enc) {
  switch (enc) {
    case LODE_ENC_BUFFER:
      return "buffer";
    case LODE_ENC_UTF8:
      return "utf8";
    case LODE_ENC_LATIN1:
      return "latin1";
    case LODE_ENC_ASCII:
      return "ascii";
    case LODE_ENC_HEX:
      return "hex";
    case LODE_ENC_BASE64:
      return "base64";
    case LODE_ENC_BASE64URL:
      return "base64url";
    case LODE_ENC_UTF16LE:
      return "utf16le";
  }
  return NULL;
}

/* The string decoder follows Node's (src/string_decoder.cc): `pending`
 * holds the start of a character cut at the end of a chunk, `need` the
 * bytes still missing. The held bytes are only judged by their lead
 * byte; the text decoder then treats the joined bytes exactly as it would
 * inside one chunk, so the output matches Node's chunk for chunk. */
void lode_decoder_init(lode_decoder_t* d, lode_encoding_t enc) {
  memset(d, 0, sizeof(*d));
  d->enc = enc;
}

static int holds_back(lode_encoding_t enc) {
  return enc == LODE_ENC_UTF8 || enc == LODE_ENC_UTF16LE ||
         enc == LODE_ENC_BASE64 || enc == LODE_ENC_BASE64URL;
}

size_t lode_decoder_max(const lode_decoder_t* d, size_t chunk_len) {
  size_t n = chunk_len + d->pending_len;
  /* Worst cases: a U+FFFD (3 bytes) per input byte in utf8; 4 base64
   * characters per 3 bytes; latin1 and hex double. */
  if (n > SIZE_MAX / 3 - 4)
    return SIZE_MAX;
  return n * 3 + 4;
}

/* UTF-8: finds where a character cut at the end of the chunk starts; 0
 * when the chunk ends on a whole character or on bytes that can never
 * become one (then the text decoder replaces them now, as Node does). */
static unsigned utf8_cut(const unsigned char* p, size_t n, unsigned* need) {
  unsigned held = 0;
  for (size_t i = n; i-- > 0;) {
    held++;
    unsigned c = p[i];
    if ((c & 0xC0) == 0x80) {
      if (held >= 4 || i == 0)
        return 0;
      continue;
    }
    unsigned len = (c & 0xE0) == 0xC0   ? 2
                   : (c & 0xF0) == 0xE0 ? 3
                   : (c & 0xF8) == 0xF0 ? 4
                                        : 0;
    if (len == 0 || held >= len)
      return 0;
    *need = len - held;
    return held;
  }
  return 0;
}

static unsigned cut_tail(lode_decoder_t* d, const unsigned char* p, size_t n) {
  switch (d->enc) {
    case LODE_ENC_UTF8:
      return (p[n - 1] & 0x80) ? utf8_cut(p, n, &d->need) : 0;
    case LODE_ENC_UTF16LE:
      if (n % 2 == 1)
        return d->need = 1;
      /* A high surrogate waits for its low half. */
      if ((p[n - 1] & 0xFC) == 0xD8)
        return d->need = 2;
      return 0;
    case LODE_ENC_BASE64:
    case LODE_ENC_BASE64URL:
      if (n % 3 == 0)
        return 0;
      d->need = 3 - (unsigned) (n % 3);
      return (unsigned) (n % 3);
    default:
      return 0;
  }
}

/* Feeds the start of a chunk to the held-back character. Returns how many
 * bytes of the chunk it used; *done says the character is complete (or,
 * for utf8, broken off by a byte that cannot continue it). */
static size_t fill_pending(lode_decoder_t* d, const unsigned char* p, size_t n,
                           int* done) {
  size_t used = 0;
  if (d->enc == LODE_ENC_UTF8) {
    for (size_t i = 0; i < n && i < d->need; i++)
      if ((p[i] & 0xC0) != 0x80) {
        memcpy(d->pending + d->pending_len, p, i);
        d->pending_len += (unsigned) i;
        d->need = 0;
        *done = 1;
        return i;
      }
  }
  used = n < d->need ? n : d->need;
  memcpy(d->pending + d->pending_len, p, used);
  d->pending_len += (unsigned) used;
  d->need -= (unsigned) used;
  *done = d->need == 0;
  return used;
}

static size_t flush_pending(lode_decoder_t* d, char* out, size_t cap) {
  lode_slice_t held = { (const char*) d->pending, d->pending_len };
  d->pending_len = 0;
  d->need = 0;
  return held.len ? lode_encode(d->enc, held, out, cap) : 0;
}

/* Node joins the completed utf16le character and the rest of the chunk
 * into one string, so a high surrogate completed from the held bytes pairs
 * with a low surrogate at the start of the chunk. */
static size_t flush_utf16(lode_decoder_t* d, const unsigned char** p, size_t* n,
                          char* out, size_t cap) {
  unsigned char joined[6];
  size_t len = d->pending_len;
  memcpy(joined, d->pending, len);
  if ((joined[len - 1] & 0xFC) == 0xD8 && *n >= 2 && ((*p)[1] & 0xFC) == 0xDC) {
    memcpy(joined + len, *p, 2);
    len += 2;
    *p += 2;
    *n -= 2;
  }
  d->pending_len = 0;
  d->need = 0;
  return lode_encode(d->enc, (lode_slice_t){ (const char*) joined, len }, out,
                     cap);
}

size_t lode_decoder_write(lode_decoder_t* d, lode_slice_t chunk, char* out,
                          size_t cap) {
  const unsigned char* p = (const unsigned char*) chunk.base;
  size_t n = chunk.len, o = 0;
  if (out == NULL)
    cap = 0;
  if (!holds_back(d->enc))
    return lode_encode(d->enc, chunk, out, cap);
  if (d->need > 0 && n > 0) {
    int done = 0;
    size_t used = fill_pending(d, p, n, &done);
    p += used;
    n -= used;
    if (done && d->enc == LODE_ENC_UTF16LE)
      o = flush_utf16(d, &p, &n, out, cap);
    else if (done)
      o = flush_pending(d, out, cap);
  }
  if (n == 0)
    return o;
  unsigned keep = cut_tail(d, p, n);
  n -= keep;
  memcpy(d->pending, p + n, keep);
  d->pending_len = keep;
  if (n > 0) {
    size_t room = o < cap ? cap - o : 0;
    o += lode_encode(d->enc, (lode_slice_t){ (const char*) p, n },
                     room ? out + o : NULL, room);
  }
  return o;
}

size_t lode_decoder_end(lode_decoder_t* d, char* out, size_t cap) {
  if (out == NULL)
    cap = 0;
  /* A lone trailing byte of utf16le is dropped, as in Node. */
  if (d->enc == LODE_ENC_UTF16LE && d->pending_len % 2 == 1)
    d->pending_len--;
  return flush_pending(d, out, cap);
}

/* lode__buf_t: the library's growable byte buffer. */
int lode__buf_reserve(lode__buf_t* b, size_t more) {
  if (b->cap - b->len >= more)
    return 0;
  if (more > SIZE_MAX / 2 - b->len) /* the doubling below would wrap */
    return UV_ENOMEM;
  size_t cap = b->cap ? b->cap : 256;
  while (cap - b->len < more)
    cap *= 2;
  char* p = realloc(b->base, cap);
  if (p == NULL)
    return UV_ENOMEM;
  b->base = p;
  b->cap = cap;
  return 0;
}

int lode__buf_append(lode__buf_t* b, const void* p, size_t n) {
  if (lode__buf_reserve(b, n) != 0)
    return UV_ENOMEM;
  if (n > 0)
    memcpy(b->base + b->len, p, n);
  b->len += n;
  return 0;
}

int lode__buf_append_str(lode__buf_t* b, const char* s) {
  return lode__buf_append(b, s, strlen(s));
}

void lode__buf_free(lode__buf_t* b) {
  free(b->base);
  b->base = NULL;
  b->len = b->cap = 0;
}
