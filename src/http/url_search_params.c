/* Node's URLSearchParams: an ordered list of name/value pairs read from
 * and written to application/x-www-form-urlencoded text, with the URL
 * standard's parser and serializer. Names and values are kept as valid
 * UTF-8 (what a JavaScript string holds), each with a NUL after it. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "core/ascii.h"
#include "lode/buf.h"
#include "lode/url.h"

typedef struct {
  char* s; /* UTF-8, NUL-terminated, may hold NULs before n */
  size_t n;
} text_t;

typedef struct {
  text_t name, value;
} pair_t;

struct lode_url_search_params_s {
  pair_t* v;
  size_t n, cap;
  char* str; /* toString()'s cache, dropped by every change */
};

/* Bytes to the string Node would hold: UTF-8 with U+FFFD for each
 * invalid sequence (core's decoder, as buf.toString('utf8')). */
static int to_text(const char* b, size_t n, text_t* t) {
  lode_slice_t in = { b, n };
  size_t len = lode_encode(LODE_ENC_UTF8, in, NULL, 0);
  t->s = malloc(len + 1);
  if (t->s == NULL)
    return UV_ENOMEM;
  lode_encode(LODE_ENC_UTF8, in, t->s, len);
  t->s[len] = '\0';
  t->n = len;
  return 0;
}

/* The form-urlencoded decoding of s[0..n): '+' is a space, %XX a byte
 * (a '%' without two hex digits stays), then UTF-8 to text. */
static int form_decode(const char* s, size_t n, text_t* t) {
  char* b = malloc(n + 1);
  if (b == NULL)
    return UV_ENOMEM;
  size_t w = lode__percent_decode(s, n, b, 1);
  int rc = to_text(b, w, t);
  free(b);
  return rc;
}

static void changed(lode_url_search_params_t* p) {
  free(p->str);
  p->str = NULL;
}

static int push(lode_url_search_params_t* p, pair_t pr) {
  if (p->n == p->cap) {
    size_t cap = p->cap ? p->cap * 2 : 8;
    pair_t* v = realloc(p->v, cap * sizeof(*v));
    if (v == NULL)
      return UV_ENOMEM;
    p->v = v;
    p->cap = cap;
  }
  p->v[p->n++] = pr;
  changed(p);
  return 0;
}

static void pair_free(pair_t* pr) {
  free(pr->name.s);
  free(pr->value.s);
}

/* One "name[=value]" sequence of the form-urlencoded parser. */
static int parse_one(lode_url_search_params_t* p, const char* s, size_t n) {
  const char* eq = memchr(s, '=', n);
  size_t nn = eq != NULL ? (size_t) (eq - s) : n;
  pair_t pr = { { NULL, 0 }, { NULL, 0 } };
  int rc = form_decode(s, nn, &pr.name);
  if (rc == 0)
    rc = eq != NULL ? form_decode(eq + 1, n - nn - 1, &pr.value)
                    : to_text("", 0, &pr.value);
  if (rc == 0)
    rc = push(p, pr);
  if (rc != 0)
    pair_free(&pr);
  return rc;
}

int lode_url_search_params_new(const char* init,
                               lode_url_search_params_t** out) {
  if (out == NULL)
    return UV_EINVAL;
  *out = NULL;
  lode_url_search_params_t* p = calloc(1, sizeof(*p));
  if (p == NULL)
    return UV_ENOMEM;
  const char* s = init != NULL ? init : "";
  if (*s == '?')
    s++;
  while (*s != '\0') {
    size_t n = strcspn(s, "&");
    int rc = n > 0 ? parse_one(p, s, n) : 0;
    if (rc != 0) {
      lode_url_search_params_free(p);
      return rc;
    }
    s += n + (s[n] == '&');
  }
  *out = p;
  return 0;
}

void lode_url_search_params_free(lode_url_search_params_t* p) {
  if (p == NULL)
    return;
  for (size_t i = 0; i < p->n; i++)
    pair_free(&p->v[i]);
  free(p->v);
  free(p->str);
  free(p);
}

size_t lode_url_search_params_size(const lode_url_search_params_t* p) {
  return p->n;
}

int lode_url_search_params_entry(const lode_url_search_params_t* p, size_t i,
                                 const char** name, size_t* name_len,
                                 const char** value, size_t* value_len) {
  if (i >= p->n)
    return UV_EINVAL;
  const pair_t* pr = &p->v[i];
  if (name != NULL)
    *name = pr->name.s;
  if (name_len != NULL)
    *name_len = pr->name.n;
  if (value != NULL)
    *value = pr->value.s;
  if (value_len != NULL)
    *value_len = pr->value.n;
  return 0;
}

static int text_is(const text_t* t, const char* s) {
  return s != NULL && strlen(s) == t->n && memcmp(t->s, s, t->n) == 0;
}

/* Whether pair i matches name, and value when that is not NULL. The
 * arguments are compared as given: lode_url_search_params_append stores
 * text, so invalid UTF-8 in a name looked up never matches. */
static int matches(const lode_url_search_params_t* p, size_t i,
                   const char* name, const char* value) {
  return text_is(&p->v[i].name, name) &&
         (value == NULL || text_is(&p->v[i].value, value));
}

const char* lode_url_search_params_get(const lode_url_search_params_t* p,
                                       const char* name) {
  for (size_t i = 0; i < p->n; i++)
    if (matches(p, i, name, NULL))
      return p->v[i].value.s;
  return NULL;
}

size_t lode_url_search_params_get_all(const lode_url_search_params_t* p,
                                      const char* name, const char** values,
                                      size_t cap) {
  size_t k = 0;
  for (size_t i = 0; i < p->n; i++)
    if (matches(p, i, name, NULL)) {
      if (k < cap)
        values[k] = p->v[i].value.s;
      k++;
    }
  return k;
}

int lode_url_search_params_has(const lode_url_search_params_t* p,
                               const char* name, const char* value) {
  for (size_t i = 0; i < p->n; i++)
    if (matches(p, i, name, value))
      return 1;
  return 0;
}

int lode_url_search_params_append(lode_url_search_params_t* p, const char* name,
                                  const char* value) {
  if (p == NULL || name == NULL || value == NULL)
    return UV_EINVAL;
  pair_t pr = { { NULL, 0 }, { NULL, 0 } };
  int rc = to_text(name, strlen(name), &pr.name);
  if (rc == 0)
    rc = to_text(value, strlen(value), &pr.value);
  if (rc == 0)
    rc = push(p, pr);
  if (rc != 0)
    pair_free(&pr);
  return rc;
}

/* Removes the pairs that match, from index `from` on. */
static void remove_from(lode_url_search_params_t* p, size_t from,
                        const char* name, const char* value) {
  size_t w = from;
  for (size_t r = from; r < p->n; r++) {
    if (matches(p, r, name, value))
      pair_free(&p->v[r]);
    else
      p->v[w++] = p->v[r];
  }
  p->n = w;
  changed(p);
}

int lode_url_search_params_set(lode_url_search_params_t* p, const char* name,
                               const char* value) {
  if (p == NULL || name == NULL || value == NULL)
    return UV_EINVAL;
  text_t t;
  if (to_text(name, strlen(name), &t) != 0)
    return UV_ENOMEM;
  size_t i = 0;
  while (i < p->n &&
         !(p->v[i].name.n == t.n && memcmp(p->v[i].name.s, t.s, t.n) == 0))
    i++;
  free(t.s);
  if (i == p->n)
    return lode_url_search_params_append(p, name, value);
  if (to_text(value, strlen(value), &t) != 0)
    return UV_ENOMEM;
  free(p->v[i].value.s);
  p->v[i].value = t;
  remove_from(p, i + 1, p->v[i].name.s, NULL);
  return 0;
}

void lode_url_search_params_delete(lode_url_search_params_t* p,
                                   const char* name, const char* value) {
  if (p != NULL && name != NULL)
    remove_from(p, 0, name, value);
}

/* The code point at s[*i] (valid UTF-8, as every stored name is). */
static uint32_t next_cp(const unsigned char* s, size_t* i) {
  uint32_t c = s[(*i)++];
  int more = c >= 0xF0 ? 3 : c >= 0xE0 ? 2 : c >= 0xC0 ? 1 : 0;
  c &= more ? 0x3Fu >> more : 0x7F;
  while (more-- > 0)
    c = c << 6 | (s[(*i)++] & 0x3F);
  return c;
}

/* JavaScript's string order: UTF-16 code units, so a character above
 * U+FFFF (a surrogate pair, D800-DFFF) sorts before U+E000..U+FFFF. */
static int cmp_names(const text_t* a, const text_t* b) {
  size_t i = 0, j = 0;
  const unsigned char* x = (const unsigned char*) a->s;
  const unsigned char* y = (const unsigned char*) b->s;
  while (i < a->n && j < b->n) {
    uint32_t cx = next_cp(x, &i), cy = next_cp(y, &j);
    if (cx == cy)
      continue;
    uint32_t ux = cx >= 0x10000 ? 0xD800 + ((cx - 0x10000) >> 10) : cx;
    uint32_t uy = cy >= 0x10000 ? 0xD800 + ((cy - 0x10000) >> 10) : cy;
    if (ux != uy)
      return ux < uy ? -1 : 1;
    return cx < cy ? -1 : 1; /* same high surrogate: the low one decides */
  }
  return (i < a->n) - (j < b->n);
}

/* Stable merge sort of v[0..n) by name, with tmp of n pairs. */
static void merge_sort(pair_t* v, pair_t* tmp, size_t n) {
  if (n < 2)
    return;
  size_t h = n / 2, i = 0, j = h, k = 0;
  merge_sort(v, tmp, h);
  merge_sort(v + h, tmp, n - h);
  while (i < h && j < n)
    tmp[k++] = cmp_names(&v[j].name, &v[i].name) < 0 ? v[j++] : v[i++];
  while (i < h)
    tmp[k++] = v[i++];
  while (j < n)
    tmp[k++] = v[j++];
  memcpy(v, tmp, n * sizeof(*v));
}

int lode_url_search_params_sort(lode_url_search_params_t* p) {
  if (p->n < 2)
    return 0;
  pair_t* tmp = malloc(p->n * sizeof(*tmp));
  if (tmp == NULL)
    return UV_ENOMEM;
  merge_sort(p->v, tmp, p->n);
  free(tmp);
  changed(p);
  return 0;
}

/* The form-urlencoded byte serializer: the bytes written (or counted
 * when out is NULL). */
static size_t form_encode(const text_t* t, char* out) {
  static const char hex[] = "0123456789ABCDEF";
  size_t o = 0;
  for (size_t i = 0; i < t->n; i++) {
    unsigned char c = (unsigned char) t->s[i];
    int plain = (c >= '0' && c <= '9') ||
                ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') || c == '*' ||
                c == '-' || c == '.' || c == '_';
    if (plain || c == ' ') {
      if (out != NULL)
        out[o] = c == ' ' ? '+' : (char) c;
      o++;
    } else {
      if (out != NULL) {
        out[o] = '%';
        out[o + 1] = hex[c >> 4];
        out[o + 2] = hex[c & 15];
      }
      o += 3;
    }
  }
  return o;
}

/* Writes (or counts, out NULL) "name=value&..." for every pair. */
static size_t serialize(const lode_url_search_params_t* p, char* out) {
  size_t o = 0;
  for (size_t i = 0; i < p->n; i++) {
    if (i > 0 && out != NULL)
      out[o] = '&';
    o += i > 0;
    o += form_encode(&p->v[i].name, out != NULL ? out + o : NULL);
    if (out != NULL)
      out[o] = '=';
    o++;
    o += form_encode(&p->v[i].value, out != NULL ? out + o : NULL);
  }
  return o;
}

const char* lode_url_search_params_to_string(lode_url_search_params_t* p) {
  if (p->str != NULL)
    return p->str;
  size_t n = serialize(p, NULL);
  p->str = malloc(n + 1);
  if (p->str == NULL)
    return NULL;
  serialize(p, p->str);
  p->str[n] = '\0';
  return p->str;
}
