/* The opening handshake's HTTP head (through lode's HTTP parser) and the
 * header lookups both roles need. */
#include "ws/internal.h"

#include <stdlib.h>
#include <string.h>
#include "lode/http_parser.h"

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

int lode__ws_is_token(lode_slice_t s) {
  if (s.len == 0)
    return 0;
  for (size_t i = 0; i < s.len; i++) {
    unsigned char c = (unsigned char) s.base[i];
    if (c <= ' ' || c >= 0x7f || strchr("()<>@,;:\\\"/[]?={}", c) != NULL)
      return 0;
  }
  return 1;
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
  while (a < b && (*a == ' ' || *a == '\t'))
    a++;
  while (b > a && (b[-1] == ' ' || b[-1] == '\t'))
    b--;
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

int lode__ws_head_line(lode__buf_t* b, const char* name, lode_slice_t value) {
  if (lode__buf_append_str(b, name) != 0 ||
      lode__buf_append(b, value.base, value.len) != 0 ||
      lode__buf_append(b, "\r\n", 2) != 0)
    return UV_ENOMEM;
  return 0;
}

/* One parse from the start of the buffer, the headers stored in `store`
 * (NULL: the parser's own array). */
static long parse_once(const char* p, size_t n, int is_request,
                       lode_http_header_t* store, size_t cap,
                       lode_http_parser_t* parser) {
  lode_http_parser_opts_t o = { .headers = store, .max_headers = cap };
  lode_http_event_t ev;
  lode_http_parser_init(parser,
                        is_request ? LODE_HTTP_REQUEST : LODE_HTTP_RESPONSE,
                        store != NULL ? &o : NULL);
  if (lode_http_parser_execute(parser, p, n, &ev) < 0)
    return -1;
  return ev.type == LODE_HTTP_EV_HEAD ? (long) ev.consumed : 0;
}

/* Parses with lode's HTTP parser (llhttp's grammar, Node's limits) from
 * the start of the buffer each time: heads are small, and the views then
 * point into the caller's buffer as it is now. A head with more header
 * lines than the parser keeps inline is parsed again into an array of
 * its size, so that no header is missed. */
long lode__ws_head_parse(const char* p, size_t n, int is_request,
                         lode__ws_head_t* h) {
  lode_http_parser_t parser;
  memset(h, 0, sizeof(*h));
  h->raw = h->inline_raw;
  long len = parse_once(p, n, is_request, NULL, 0, &parser);
  if (len <= 0)
    return len;
  const lode_http_head_t* hd = lode_http_parser_head(&parser);
  lode_http_header_t* store = NULL;
  size_t count = hd->headers_seen;
  if (count > LODE__WS_MAX_HEADERS)
    count = LODE__WS_MAX_HEADERS;
  if (count > hd->num_headers) {
    store = malloc(count * sizeof(*store));
    h->raw = malloc(2 * count * sizeof(*h->raw));
    if (store == NULL || h->raw == NULL) {
      free(store);
      lode__ws_head_free(h);
      return -2;
    }
    parse_once(p, n, is_request, store, count, &parser);
    hd = lode_http_parser_head(&parser);
  }
  h->method = hd->method_name;
  h->url = hd->url;
  h->status = hd->status_code;
  h->http_major = hd->http_major;
  h->http_minor = hd->http_minor;
  for (size_t i = 0; i < hd->num_headers; i++) {
    h->raw[h->nraw++] = hd->headers[i].name;
    h->raw[h->nraw++] = hd->headers[i].value;
  }
  free(store);
  return len;
}

void lode__ws_head_free(lode__ws_head_t* h) {
  if (h->raw != h->inline_raw)
    free(h->raw);
  h->raw = h->inline_raw;
  h->nraw = 0;
}

long lode__ws_head_feed(lode_websocket_t* ws, const uint8_t* p, size_t n,
                        int is_request, lode__ws_head_t* h) {
  long len = -2;
  if (lode__buf_append(&ws->in, p, n) == 0)
    len = lode__ws_head_parse((const char*) ws->in.base, ws->in.len, is_request,
                              h);
  if (len == -2)
    lode__ws_fail(ws, UV_ENOMEM, 0, NULL);
  if (len == 0 || len == -2)
    lode__ws_head_free(h); /* nothing to look at: the caller returns */
  return len;
}
