/* Many requests, every answer checked: a server that answers each request
 * with "<url>|<body>" (the body's first 64 bytes), and the client's side,
 * where request i goes to "/i" with the body "body-i" and must get
 * "/i|body-i". Nothing is kept outside the requests, so loops in several
 * threads may use it at once. */
#ifndef LODE_TEST_HTTP_URL_ECHO_H
#define LODE_TEST_HTTP_URL_ECHO_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lode.h"
#include "test.h"

typedef struct url_echo_s {
  lode_http_response_t* res;
  char buf[64];
  size_t len;
} url_echo_t;

static inline void url_echo_data(lode_http_incoming_t* m, lode_slice_t d) {
  url_echo_t* e = lode_http_incoming_get_data(m);
  if (e->len + d.len <= sizeof(e->buf)) {
    memcpy(e->buf + e->len, d.base, d.len);
    e->len += d.len;
  }
}

static inline void url_echo_end(lode_http_incoming_t* m) {
  url_echo_t* e = lode_http_incoming_get_data(m);
  char body[160];
  int n = snprintf(body, sizeof(body), "%s|%.*s", lode_http_incoming_url(m),
                   (int) e->len, e->buf);
  lode_http_outgoing_end(e->res, (lode_slice_t){ body, (size_t) n }, NULL,
                         NULL);
}

static inline void url_echo_close(lode_http_incoming_t* m) {
  free(lode_http_incoming_get_data(m));
}

/* The server's on_request. */
static inline void url_echo_request(lode_http_server_t* s,
                                    lode_http_incoming_t* req,
                                    lode_http_response_t* res) {
  static const lode_http_incoming_events_t ev = {
    .on_data = url_echo_data,
    .on_end = url_echo_end,
    .on_close = url_echo_close,
  };
  (void) s;
  url_echo_t* e = calloc(1, sizeof(*e));
  ASSERT_NOT_NULL(e);
  e->res = res;
  lode_http_incoming_set_data(req, e);
  lode_http_incoming_set_events(req, &ev);
}

/* ---- The client's side ---- */

/* Request i: what it sends and what it must get back. */
typedef struct url_echo_want_s {
  int* answered; /* counts the right answers */
  void* owner;   /* the test's (its context, when it has several) */
  char path[32];
  char body[32];
  size_t body_len;
  char text[64];
  char got[160];
  size_t len;
} url_echo_want_t;

/* Made for request i (free it in the request's on_close). */
static inline url_echo_want_t* url_echo_want(int i, int* answered,
                                             void* owner) {
  url_echo_want_t* w = calloc(1, sizeof(*w));
  ASSERT_NOT_NULL(w);
  w->answered = answered;
  w->owner = owner;
  snprintf(w->path, sizeof(w->path), "/%d", i);
  w->body_len = (size_t) snprintf(w->body, sizeof(w->body), "body-%d", i);
  snprintf(w->text, sizeof(w->text), "%s|%s", w->path, w->body);
  return w;
}

static inline void url_echo_got(lode_http_incoming_t* m, lode_slice_t d) {
  url_echo_want_t* w = lode_http_incoming_get_data(m);
  if (w->len + d.len < sizeof(w->got)) {
    memcpy(w->got + w->len, d.base, d.len);
    w->len += d.len;
  }
}

static inline void url_echo_check(lode_http_incoming_t* m) {
  url_echo_want_t* w = lode_http_incoming_get_data(m);
  ASSERT_MEM_EQ(w->got, w->len, w->text, strlen(w->text));
  (*w->answered)++;
}

/* The request's on_response, with its url_echo_want_t as its data: a 200
 * whose body is checked at its end. */
static inline void url_echo_response(lode_http_request_t* r,
                                     lode_http_incoming_t* m) {
  static const lode_http_incoming_events_t ev = {
    .on_data = url_echo_got,
    .on_end = url_echo_check,
  };
  ASSERT_EQ(lode_http_incoming_status_code(m), 200);
  lode_http_incoming_set_data(m, lode_http_outgoing_get_data(r));
  lode_http_incoming_set_events(m, &ev);
}

static inline void url_echo_error(lode_http_request_t* r,
                                  const lode_error_t* e) {
  (void) r;
  test_fail(__FILE__, __LINE__, "request error: %s", e->message);
}

#endif
