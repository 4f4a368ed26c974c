/* The echo route's JSON, as Node's JSON.stringify writes it for a request:
 * { method, url, httpVersion, headers, rawHeaders, trailers, body }, body
 * in base64. Shared by examples/http-echo.c, examples/demo-server.c and
 * the conformance test, so all three answer the same bytes. */
#ifndef LODE_EXAMPLES_ECHO_JSON_H
#define LODE_EXAMPLES_ECHO_JSON_H

#include <stdlib.h>
#include <string.h>
#include "lode.h"

typedef struct echo_buf_s {
  char* base;
  size_t len;
  size_t cap;
} echo_buf_t;

static void echo_put(echo_buf_t* b, const char* p, size_t n) {
  if (b->len + n + 1 > b->cap) {
    size_t cap = b->cap ? b->cap : 1024;
    while (cap < b->len + n + 1)
      cap *= 2;
    char* q = realloc(b->base, cap);
    if (q == NULL)
      return;
    b->base = q;
    b->cap = cap;
  }
  memcpy(b->base + b->len, p, n);
  b->len += n;
}

/* A JSON string of bytes read as latin1 (Node decodes heads that way),
 * written out in UTF-8. */
static void echo_str(echo_buf_t* b, const char* s) {
  static const char hex[] = "0123456789abcdef";
  echo_put(b, "\"", 1);
  for (const unsigned char* p = (const unsigned char*) s; *p; p++) {
    unsigned char c = *p;
    char esc[8] = "\\u00";
    if (c == '"' || c == '\\') {
      esc[1] = (char) c;
      echo_put(b, esc, 2);
    } else if (c == '\n' || c == '\r' || c == '\t' || c == '\b' || c == '\f') {
      esc[1] = c == '\n'   ? 'n'
               : c == '\r' ? 'r'
               : c == '\t' ? 't'
               : c == '\b' ? 'b'
                           : 'f';
      echo_put(b, esc, 2);
    } else if (c < 0x20) {
      esc[4] = hex[c >> 4];
      esc[5] = hex[c & 15];
      echo_put(b, esc, 6);
    } else if (c >= 0x80) {
      char u[2] = { (char) (0xc0 | (c >> 6)), (char) (0x80 | (c & 0x3f)) };
      echo_put(b, u, 2);
    } else {
      echo_put(b, (const char*) p, 1);
    }
  }
  echo_put(b, "\"", 1);
}

/* An object like Node's message.headers: set-cookie as an array. */
static void echo_fields(echo_buf_t* b, size_t n,
                        void (*at)(const lode_http_incoming_t*, size_t,
                                   const char**, const char**),
                        const lode_http_incoming_t* req) {
  echo_put(b, "{", 1);
  int first = 1, cookies_done = 0;
  for (size_t i = 0; i < n; i++) {
    const char *name, *value;
    at(req, i, &name, &value);
    int cookie = strcmp(name, "set-cookie") == 0;
    if (cookie && cookies_done)
      continue;
    if (!first)
      echo_put(b, ",", 1);
    first = 0;
    echo_str(b, name);
    echo_put(b, ":", 1);
    if (!cookie) {
      echo_str(b, value);
      continue;
    }
    cookies_done = 1;
    echo_put(b, "[", 1);
    for (size_t k = i, m = 0; k < n; k++) {
      const char *kn, *kv;
      at(req, k, &kn, &kv);
      if (strcmp(kn, "set-cookie") != 0)
        continue;
      if (m++ > 0)
        echo_put(b, ",", 1);
      echo_str(b, kv);
    }
    echo_put(b, "]", 1);
  }
  echo_put(b, "}", 1);
}

/* The whole document; `body` is the request body. Returns the buffer
 * (malloc'd; free(b->base) when done). */
static void echo_json(echo_buf_t* b, const lode_http_incoming_t* req,
                      const char* body, size_t body_len) {
  echo_put(b, "{\"method\":", 10);
  echo_str(b, lode_http_incoming_method(req));
  echo_put(b, ",\"url\":", 7);
  echo_str(b, lode_http_incoming_url(req));
  echo_put(b, ",\"httpVersion\":", 15);
  echo_str(b, lode_http_incoming_http_version(req));
  echo_put(b, ",\"headers\":", 11);
  echo_fields(b, lode_http_incoming_headers_count(req),
              lode_http_incoming_headers_at, req);
  echo_put(b, ",\"rawHeaders\":[", 15);
  size_t nraw;
  const char* const* raw = lode_http_incoming_raw_headers(req, &nraw);
  for (size_t i = 0; i < 2 * nraw; i++) {
    if (i > 0)
      echo_put(b, ",", 1);
    echo_str(b, raw[i]);
  }
  echo_put(b, "],\"trailers\":", 13);
  echo_fields(b, lode_http_incoming_trailers_count(req),
              lode_http_incoming_trailers_at, req);
  echo_put(b, ",\"body\":\"", 9);
  lode_slice_t in = { body, body_len };
  size_t n = lode_encode(LODE_ENC_BASE64, in, NULL, 0);
  char* enc = malloc(n + 1);
  if (enc != NULL) {
    lode_encode(LODE_ENC_BASE64, in, enc, n);
    echo_put(b, enc, n);
    free(enc);
  }
  echo_put(b, "\"}", 2);
}

/* The echo route itself: collects the body, then answers the document
 * (Content-Type application/json). Call it from on_request. */
typedef struct echo_req_s {
  echo_buf_t body;
  lode_http_response_t* res;
} echo_req_t;

static void echo_on_data(lode_http_incoming_t* req, lode_slice_t chunk) {
  echo_req_t* e = lode_http_incoming_get_data(req);
  echo_put(&e->body, chunk.base, chunk.len);
}

static void echo_on_end(lode_http_incoming_t* req) {
  echo_req_t* e = lode_http_incoming_get_data(req);
  echo_buf_t out = { 0 };
  echo_json(&out, req, e->body.base, e->body.len);
  lode_http_outgoing_set_header(e->res, "Content-Type", "application/json");
  lode_http_outgoing_end(e->res, (lode_slice_t){ out.base, out.len }, NULL,
                         NULL);
  free(out.base);
}

static void echo_on_close(lode_http_incoming_t* req) {
  echo_req_t* e = lode_http_incoming_get_data(req);
  free(e->body.base);
  free(e);
}

static const lode_http_incoming_events_t echo_req_events = {
  .on_data = echo_on_data,
  .on_end = echo_on_end,
  .on_close = echo_on_close,
};

static void echo_handle(lode_http_incoming_t* req, lode_http_response_t* res) {
  echo_req_t* e = calloc(1, sizeof(*e));
  if (e == NULL) {
    lode_http_outgoing_destroy(res, NULL);
    return;
  }
  e->res = res;
  lode_http_incoming_set_data(req, e);
  lode_http_incoming_set_events(req, &echo_req_events);
}

#endif
