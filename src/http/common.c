/* The common pieces of the http module: methods, status texts, header
 * validation, the arena and buffers, the Date cache. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "http/common.h"
#include "lode/http_parser.h"
#include "http/outgoing.h"

/* Node's http.METHODS: llhttp's request methods, sorted. */
static const char* const methods[] = {
  "ACL",      "BIND",      "CHECKOUT",   "CONNECT",    "COPY",
  "DELETE",   "GET",       "HEAD",       "LINK",       "LOCK",
  "M-SEARCH", "MERGE",     "MKACTIVITY", "MKCALENDAR", "MKCOL",
  "MOVE",     "NOTIFY",    "OPTIONS",    "PATCH",      "POST",
  "PROPFIND", "PROPPATCH", "PURGE",      "PUT",        "QUERY",
  "REBIND",   "REPORT",    "SEARCH",     "SOURCE",     "SUBSCRIBE",
  "TRACE",    "UNBIND",    "UNLINK",     "UNLOCK",     "UNSUBSCRIBE",
};

const char* const* lode_http_methods(size_t* count) {
  if (count != NULL)
    *count = sizeof(methods) / sizeof(methods[0]);
  return methods;
}

/* Node's http.STATUS_CODES, text for text. */
const char* lode_http_status_text(int code) {
  switch (code) {
    case 100:
      return "Continue";
    case 101:
      return "Switching Protocols";
    case 102:
      return "Processing";
    case 103:
      return "Early Hints";
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 202:
      return "Accepted";
    case 203:
      return "Non-Authoritative Information";
    case 204:
      return "No Content";
    case 205:
      return "Reset Content";
    case 206:
      return "Partial Content";
    case 207:
      return "Multi-Status";
    case 208:
      return "Already Reported";
    case 226:
      return "IM Used";
    case 300:
      return "Multiple Choices";
    case 301:
      return "Moved Permanently";
    case 302:
      return "Found";
    case 303:
      return "See Other";
    case 304:
      return "Not Modified";
    case 305:
      return "Use Proxy";
    case 307:
      return "Temporary Redirect";
    case 308:
      return "Permanent Redirect";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 402:
      return "Payment Required";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 406:
      return "Not Acceptable";
    case 407:
      return "Proxy Authentication Required";
    case 408:
      return "Request Timeout";
    case 409:
      return "Conflict";
    case 410:
      return "Gone";
    case 411:
      return "Length Required";
    case 412:
      return "Precondition Failed";
    case 413:
      return "Payload Too Large";
    case 414:
      return "URI Too Long";
    case 415:
      return "Unsupported Media Type";
    case 416:
      return "Range Not Satisfiable";
    case 417:
      return "Expectation Failed";
    case 418:
      return "I'm a Teapot";
    case 421:
      return "Misdirected Request";
    case 422:
      return "Unprocessable Entity";
    case 423:
      return "Locked";
    case 424:
      return "Failed Dependency";
    case 425:
      return "Too Early";
    case 426:
      return "Upgrade Required";
    case 428:
      return "Precondition Required";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 451:
      return "Unavailable For Legal Reasons";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    case 505:
      return "HTTP Version Not Supported";
    case 506:
      return "Variant Also Negotiates";
    case 507:
      return "Insufficient Storage";
    case 508:
      return "Loop Detected";
    case 509:
      return "Bandwidth Limit Exceeded";
    case 510:
      return "Not Extended";
    case 511:
      return "Network Authentication Required";
    default:
      return NULL;
  }
}

size_t lode_http_max_header_size(void) {
  return LODE_HTTP_DEFAULT_MAX_HEADER_SIZE;
}

/* tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." /
 *         "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA   (RFC 9110 5.6.2) */
static int is_tchar(unsigned char c) {
  if ((c | 0x20) >= 'a' && (c | 0x20) <= 'z')
    return 1;
  if (c >= '0' && c <= '9')
    return 1;
  return c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

int lode__http_is_token(const char* s, size_t n) {
  if (n == 0)
    return 0;
  for (size_t i = 0; i < n; i++)
    if (!is_tchar((unsigned char) s[i]))
      return 0;
  return 1;
}

int lode__http_value_ok(const char* s, size_t n) {
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char) s[i];
    if (c != '\t' && (c < 0x20 || c == 0x7f))
      return 0;
  }
  return 1;
}

int lode__http_ieq(const char* s, size_t n, const char* lower) {
  size_t i;
  for (i = 0; i < n; i++) {
    unsigned char c = (unsigned char) s[i];
    if (c >= 'A' && c <= 'Z')
      c |= 0x20;
    if (lower[i] == '\0' || c != (unsigned char) lower[i])
      return 0;
  }
  return lower[i] == '\0';
}

static int is_word_char(unsigned char c) {
  return (c | 0x20) >= 'a' && (c | 0x20) <= 'z'
             ? 1
             : (c >= '0' && c <= '9') || c == '_';
}

int lode__http_has_word(const char* s, size_t n, const char* lower) {
  size_t w = strlen(lower);
  for (size_t i = 0; i + w <= n; i++) {
    if (i > 0 && is_word_char((unsigned char) s[i - 1]))
      continue;
    if (!lode__http_ieq(s + i, w, lower))
      continue;
    if (i + w == n || !is_word_char((unsigned char) s[i + w]))
      return 1;
  }
  return 0;
}

int lode_http_validate_header_name(const char* name) {
  if (name == NULL || !lode__http_is_token(name, strlen(name)))
    return LODE_ERR_INVALID_HTTP_TOKEN;
  return 0;
}

int lode_http_validate_header_value(const char* name, const char* value) {
  (void) name;
  if (value == NULL)
    return LODE_ERR_HTTP_INVALID_HEADER_VALUE;
  if (!lode__http_value_ok(value, strlen(value)))
    return LODE_ERR_INVALID_CHAR;
  return 0;
}

size_t lode__http_utoa(char* out, uint64_t v) {
  if (v < 100) { /* a short body's length, a timeout in seconds */
    if (v < 10) {
      out[0] = (char) ('0' + v);
      return 1;
    }
    out[0] = (char) ('0' + v / 10);
    out[1] = (char) ('0' + v % 10);
    return 2;
  }
  /* The digit count first, then the digits from the last: no reversal. */
  size_t n = 1;
  for (uint64_t t = v; t >= 10; t /= 10)
    n++;
  for (size_t i = n; i-- > 0; v /= 10)
    out[i] = (char) ('0' + v % 10);
  return n;
}

size_t lode__http_xtoa(char* out, uint64_t v) {
  static const char hex[] = "0123456789abcdef";
  char tmp[16];
  size_t n = 0;
  do {
    tmp[n++] = hex[v & 15];
    v >>= 4;
  } while (v != 0);
  for (size_t i = 0; i < n; i++)
    out[i] = tmp[n - 1 - i];
  return n;
}

/* Arena. Chunks of 4 KiB or the request, whichever is larger: a 2 KB
 * request head fits the first chunk, which recycled messages keep. */
struct lode__arena_chunk_s {
  lode__arena_chunk_t* next;
  size_t used;
  size_t cap;
  max_align_t data[];
};

/* A new chunk in front, for n (aligned) bytes. Out of line: the common
 * allocation fits and stays a few instructions. */
static __attribute__((noinline)) void* arena_grow(lode__arena_t* a, size_t n) {
  size_t cap = n > 4096 ? n : 4096;
  lode__arena_chunk_t* nc = malloc(sizeof(*nc) + cap);
  if (nc == NULL)
    return NULL;
  nc->used = n;
  nc->cap = cap;
  /* Keep the first (recycled) chunk at the tail so reset finds it. */
  nc->next = a->head;
  a->head = nc;
  return nc->data;
}

void* lode__arena_alloc(lode__arena_t* a, size_t n) {
  lode__arena_chunk_t* c = a->head;
  n = (n + sizeof(max_align_t) - 1) & ~(sizeof(max_align_t) - 1);
  if (c == NULL || c->cap - c->used < n)
    return arena_grow(a, n);
  void* p = (char*) c->data + c->used;
  c->used += n;
  lode__unpoison(p, n);
  return p;
}

char* lode__arena_strndup(lode__arena_t* a, const char* s, size_t n) {
  char* p = lode__arena_alloc(a, n + 1);
  if (p == NULL)
    return NULL;
  memcpy(p, s, n);
  p[n] = '\0';
  return p;
}

void lode__arena_reset(lode__arena_t* a) {
  lode__arena_chunk_t* c = a->head;
  if (c != NULL && c->next == NULL) { /* the usual: one chunk */
    c->used = 0;
    lode__poison(c->data, c->cap);
    return;
  }
  while (c != NULL && c->next != NULL) {
    lode__arena_chunk_t* next = c->next;
    free(c);
    c = next;
  }
  if (c != NULL) {
    c->used = 0;
    lode__poison(c->data, c->cap);
  }
  a->head = c;
}

void lode__arena_free(lode__arena_t* a) {
  lode__arena_reset(a);
  if (a->head != NULL)
    lode__unpoison(a->head->data, a->head->cap);
  free(a->head);
  a->head = NULL;
}

/* Date: RFC 9110's IMF-fixdate, formatted by hand so no locale applies.
 * Like Node's utcDate(), the text is kept until the next second starts. */
static char* two_digits(char* p, int v) {
  p[0] = (char) ('0' + v / 10 % 10);
  p[1] = (char) ('0' + v % 10);
  return p + 2;
}

const char* lode__date_refresh(lode__date_cache_t* c, uv_loop_t* loop) {
  static const char days[] = "SunMonTueWedThuFriSat";
  static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
  uint64_t now = uv_now(loop);
  struct timespec ts;
  struct tm tm;
  clock_gettime(CLOCK_REALTIME, &ts);
  gmtime_r(&ts.tv_sec, &tm);
  /* "Sun, 06 Nov 1994 08:49:37 GMT", by hand: no locale, no printf. */
  char* p = c->text;
  memcpy(p, days + 3 * tm.tm_wday, 3);
  memcpy(p + 3, ", ", 2);
  p = two_digits(p + 5, tm.tm_mday);
  *p++ = ' ';
  memcpy(p, months + 3 * tm.tm_mon, 3);
  p[3] = ' ';
  p = two_digits(two_digits(p + 4, (tm.tm_year + 1900) / 100),
                 (tm.tm_year + 1900) % 100);
  *p++ = ' ';
  p = two_digits(p, tm.tm_hour);
  *p++ = ':';
  p = two_digits(p, tm.tm_min);
  *p++ = ':';
  p = two_digits(p, tm.tm_sec);
  memcpy(p, " GMT", 5);
  c->text_len = (size_t) (p + 4 - c->text);
  c->expires = now + 1000 - (uint64_t) (ts.tv_nsec / 1000000);
  c->dka_len = 0; /* its Date is stale */
  return c->text;
}

/* The HTTP objects' deferred calls go on the loop's later queue, whose
 * nodes live in the objects: a deferral never allocates, so it cannot
 * fail and lose its callback. The queue exists while a server or a
 * request holds the loop's state; without one the call runs now. */
void lode__http_later(uv_loop_t* loop, lode__tick_t* t,
                      void (*fn)(lode__tick_t* t)) {
  lode__loop_t* l = lode__loop_find(loop);
  if (l == NULL) {
    fn(t);
    return;
  }
  lode__later(l, t, fn);
}

/* Name/value arrays are NULL-terminated (name, value, ..., NULL): counts
 * the pairs; a name without its value is an error. */
int lode__http_pairs(const char* const* pairs, size_t* npairs) {
  size_t n = 0;
  if (pairs != NULL)
    for (; pairs[2 * n] != NULL; n++)
      if (pairs[2 * n + 1] == NULL)
        return LODE_ERR_HTTP_INVALID_HEADER_VALUE;
  *npairs = n;
  return 0;
}

size_t lode__http_strings(const char* const* list) {
  size_t n = 0;
  if (list != NULL)
    while (list[n] != NULL)
      n++;
  return n;
}
