/* The opening handshake's HTTP head: a small parser for the one request or
 * response line and its headers, and the header lookups both roles need.
 * (The HTTP layer's own parser handles everything that reaches a server
 * through 'upgrade'; this one serves the client and lode_websocket_serve.)
 */
#include "ws/internal.h"

#include <string.h>

static int lower(int c) {
  return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

int lode__ws_slice_ieq(lode_slice_t a, const char* b) {
  size_t n = strlen(b);
  if (a.len != n)
    return 0;
  for (size_t i = 0; i < n; i++)
    if (lower((unsigned char) a.base[i]) != lower((unsigned char) b[i]))
      return 0;
  return 1;
}

lode_slice_t lode__ws_header(const lode_slice_t* raw, size_t nraw,
                             const char* name) {
  for (size_t i = 0; i + 1 < nraw; i += 2)
    if (lode__ws_slice_ieq(raw[i], name))
      return raw[i + 1];
  return (lode_slice_t){ NULL, 0 };
}

int lode__ws_list_next(lode_slice_t value, size_t* pos, lode_slice_t* item) {
  if (*pos > value.len)
    return 0;
  const char* p = value.base + *pos;
  const char* end = value.base + value.len;
  const char* comma = memchr(p, ',', (size_t) (end - p));
  const char* stop = comma ? comma : end;
  const char* a = p;
  const char* b = stop;
  while (a < b && (*a == ' ' || *a == '\t')) a++;
  while (b > a && (b[-1] == ' ' || b[-1] == '\t')) b--;
  *item = (lode_slice_t){ a, (size_t) (b - a) };
  *pos = (size_t) (stop - value.base) + 1;
  return 1;
}

int lode__ws_list_has(lode_slice_t value, const char* token) {
  size_t pos = 0;
  lode_slice_t item;
  if (value.base == NULL)
    return 0;
  while (lode__ws_list_next(value, &pos, &item))
    if (lode__ws_slice_ieq(item, token))
      return 1;
  return 0;
}

/* Finds the end of the line starting at p: returns the length of its text
 * and sets *next past the CRLF (or bare LF). */
static size_t line(const char* p, const char* end, const char** next) {
  const char* lf = memchr(p, '\n', (size_t) (end - p));
  size_t len = (size_t) (lf - p);
  if (len > 0 && p[len - 1] == '\r')
    len--;
  *next = lf + 1;
  return len;
}

static int parse_version(const char* p, size_t n, lode__ws_head_t* h) {
  if (n != 8 || memcmp(p, "HTTP/", 5) != 0 || p[6] != '.' || p[5] < '0' ||
      p[5] > '9' || p[7] < '0' || p[7] > '9')
    return -1;
  h->http_major = p[5] - '0';
  h->http_minor = p[7] - '0';
  return 0;
}

static int parse_start(const char* p, size_t n, int is_request,
                       lode__ws_head_t* h) {
  const char* sp1 = memchr(p, ' ', n);
  if (sp1 == NULL)
    return -1;
  size_t rest = n - (size_t) (sp1 + 1 - p);
  const char* sp2 = memchr(sp1 + 1, ' ', rest);
  if (is_request) {
    if (sp2 == NULL || sp1 == p || sp2 == sp1 + 1)
      return -1;
    h->method = (lode_slice_t){ p, (size_t) (sp1 - p) };
    h->url = (lode_slice_t){ sp1 + 1, (size_t) (sp2 - sp1 - 1) };
    return parse_version(sp2 + 1, n - (size_t) (sp2 + 1 - p), h);
  }
  if (parse_version(p, (size_t) (sp1 - p), h) != 0)
    return -1;
  size_t slen = sp2 ? (size_t) (sp2 - sp1 - 1) : rest;
  if (slen != 3)
    return -1;
  h->status = 0;
  for (int i = 1; i <= 3; i++) {
    if (sp1[i] < '0' || sp1[i] > '9')
      return -1;
    h->status = h->status * 10 + sp1[i] - '0';
  }
  return 0;
}

static int parse_header(const char* p, size_t n, lode__ws_head_t* h) {
  const char* colon = memchr(p, ':', n);
  if (colon == NULL || colon == p || h->nraw + 2 > 2 * LODE__WS_MAX_HEADERS)
    return -1;
  for (const char* q = p; q < colon; q++)
    if (*q == ' ' || *q == '\t')
      return -1;
  const char* v = colon + 1;
  const char* end = p + n;
  while (v < end && (*v == ' ' || *v == '\t')) v++;
  while (end > v && (end[-1] == ' ' || end[-1] == '\t')) end--;
  h->raw[h->nraw++] = (lode_slice_t){ p, (size_t) (colon - p) };
  h->raw[h->nraw++] = (lode_slice_t){ v, (size_t) (end - v) };
  return 0;
}

long lode__ws_head_parse(const char* p, size_t n, int is_request,
                         lode__ws_head_t* h) {
  const char* end = NULL;
  for (size_t i = 0; i + 1 < n && end == NULL; i++)
    if (p[i] == '\n' && (p[i + 1] == '\n' ||
                         (p[i + 1] == '\r' && i + 2 < n && p[i + 2] == '\n')))
      end = p + i + (p[i + 1] == '\n' ? 2 : 3);
  if (end == NULL)
    return n > LODE__WS_MAX_HEAD ? -1 : 0;
  if (end - p > LODE__WS_MAX_HEAD)
    return -1;
  memset(h, 0, sizeof(*h));
  const char* next;
  size_t len = line(p, end, &next);
  if (parse_start(p, len, is_request, h) != 0)
    return -1;
  for (const char* q = next; q < end;) {
    len = line(q, end, &next);
    if (len == 0)
      break;
    if (parse_header(q, len, h) != 0)
      return -1;
    q = next;
  }
  return (long) (end - p);
}
