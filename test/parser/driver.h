/* A driver for the parser tests: feeds bytes in pieces the way a socket
 * would (keeping unconsumed bytes contiguous, in a fresh exact-size copy
 * each call so ASan sees any over-read) and writes llhttp's event-log
 * lines for what the parser reports, so results compare with llhttp's
 * expected logs: headers complete, message complete, error, finish. */
#ifndef LODE_TEST_PARSER_DRIVER_H
#define LODE_TEST_PARSER_DRIVER_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lode/http_parser.h"

typedef struct {
  char* s;
  size_t len, cap;
} sbuf_t;

static inline void sb_add(sbuf_t* b, const char* data, size_t n) {
  if (b->len + n + 1 > b->cap) {
    b->cap = (b->len + n + 1) * 2;
    b->s = realloc(b->s, b->cap);
  }
  memcpy(b->s + b->len, data, n);
  b->len += n;
  b->s[b->len] = 0;
}

static inline void sb_printf(sbuf_t* b, const char* fmt, ...) {
  char tmp[512];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
  va_end(ap);
  sb_add(b, tmp, n < 0 ? 0 : (size_t) n);
}

typedef struct {
  lode_http_parser_type_t type;
  unsigned lenient;
  int skip_body; /* answer every head with "no body" (llhttp's 1) */
  int finish;    /* call finish at the end of input */
  int method;    /* responses: the request's method (0: GET) */
  size_t max_header_size;
  size_t max_chunk_extensions;
  int merge; /* opts.merge_complete */
} drv_opts_t;

typedef struct {
  sbuf_t log;      /* llhttp-style lines */
  sbuf_t body;     /* every body byte, messages separated by '|' */
  sbuf_t trailers; /* "name: value\n" per trailer */
  sbuf_t headers;  /* "name: value\n" per header */
  int messages;
  int error;            /* LODE_HPE_* or 0 */
  size_t error_at;      /* where in the whole input the error stopped */
  int error_in_upgrade; /* the error came inside a message that upgrades
                            (Upgrade accepted, CONNECT) */
  const char* reason;
} drv_result_t;

static inline void drv_free(drv_result_t* r) {
  free(r->log.s);
  free(r->body.s);
  free(r->trailers.s);
  free(r->headers.s);
  memset(r, 0, sizeof(*r));
}

/* llhttp's number for a code (Node's own two have none there). */
static inline int drv_llhttp_code(int code) {
  return -code - 7000;
}

static void drv_head_line(drv_result_t* r, const lode_http_parser_t* p,
                          size_t off) {
  const lode_http_head_t* h = lode_http_parser_head(p);
  if (p->type == LODE_HTTP_REQUEST)
    sb_printf(&r->log,
              "off=%zu headers complete method=%d v=%d/%d flags=%x "
              "content_length=%llu\n",
              off, h->method, h->http_major, h->http_minor, h->flags,
              (unsigned long long) h->content_length);
  else
    sb_printf(&r->log,
              "off=%zu headers complete status=%d v=%d/%d flags=%x "
              "content_length=%llu\n",
              off, h->status_code, h->http_major, h->http_minor, h->flags,
              (unsigned long long) h->content_length);
  for (size_t i = 0; i < h->num_headers; i++) {
    sb_add(&r->headers, h->headers[i].name.base, h->headers[i].name.len);
    sb_add(&r->headers, ": ", 2);
    sb_add(&r->headers, h->headers[i].value.base, h->headers[i].value.len);
    sb_add(&r->headers, "\n", 1);
  }
}

static void drv_error(drv_result_t* r, const lode_http_parser_t* p, int rc,
                      size_t off) {
  r->error = rc;
  r->error_at = off;
  r->reason = lode_http_parser_error_reason(p);
  sb_printf(&r->log, "off=%zu error code=%d reason=\"%s\"\n", off,
            drv_llhttp_code(rc), r->reason ? r->reason : "");
}

static void drv_complete(drv_result_t* r, size_t off) {
  r->messages++;
  sb_printf(&r->log, "off=%zu message complete\n", off);
  sb_add(&r->body, "|", 1);
}

static int drv_event_type(drv_result_t* r, lode_http_parser_t* p,
                          const drv_opts_t* o, const lode_http_event_t* ev,
                          size_t off);

/* Handles one event; returns 1 when parsing is over. A merged end of
 * message is logged as MESSAGE_COMPLETE is. */
static int drv_event(drv_result_t* r, lode_http_parser_t* p,
                     const drv_opts_t* o, const lode_http_event_t* ev,
                     size_t off) {
  int over = drv_event_type(r, p, o, ev, off);
  if (ev->complete)
    drv_complete(r, off);
  return over;
}

static int drv_event_type(drv_result_t* r, lode_http_parser_t* p,
                          const drv_opts_t* o, const lode_http_event_t* ev,
                          size_t off) {
  switch (ev->type) {
    case LODE_HTTP_EV_HEAD:
      drv_head_line(r, p, off);
      if (o->skip_body)
        lode_http_parser_after_head(p, 1, 0);
      return 0;
    case LODE_HTTP_EV_BODY:
      sb_add(&r->body, ev->data.base, ev->data.len);
      return 0;
    case LODE_HTTP_EV_TRAILERS:
      for (size_t i = 0; i < ev->num_trailers; i++) {
        sb_add(&r->trailers, ev->trailers[i].name.base,
               ev->trailers[i].name.len);
        sb_add(&r->trailers, ": ", 2);
        sb_add(&r->trailers, ev->trailers[i].value.base,
               ev->trailers[i].value.len);
        sb_add(&r->trailers, "\n", 1);
      }
      return 0;
    case LODE_HTTP_EV_MESSAGE_COMPLETE:
      drv_complete(r, off);
      return 0;
    case LODE_HTTP_EV_UPGRADE:
      sb_printf(&r->log,
                "off=%zu error code=22 reason=\"Pause on "
                "CONNECT/Upgrade\"\n",
                off);
      return 1;
    default:
      return 0;
  }
}

/* Prepares `p` with the options of `o`. */
static inline int drv_init(const drv_opts_t* o, lode_http_parser_t* p) {
  lode_http_parser_opts_t po = {
    .lenient = o->lenient,
    .method = o->method,
    .max_header_size = o->max_header_size,
    .max_chunk_extensions = o->max_chunk_extensions,
    .merge_complete = o->merge
  };
  return lode_http_parser_init(p, o->type, &po);
}

/* Feeds in[0..n) to a parser the caller prepared (or reused): a first
 * piece of `first` bytes (0: none special), then pieces of `piece` bytes
 * (0: everything at once). */
static inline void drv_run_on(lode_http_parser_t* p, const drv_opts_t* o,
                              const unsigned char* in, size_t n, size_t piece,
                              size_t first, drv_result_t* r) {
  memset(r, 0, sizeof(*r));
  size_t start = 0, avail = 0;
  int over = 0;
  while (!over && avail < n) {
    size_t add = piece == 0 ? n : piece;
    if (first) {
      add = first;
      first = 0;
    }
    avail = avail + add > n ? n : avail + add;
    for (;;) {
      size_t len = avail - start;
      char* copy = malloc(len ? len : 1);
      memcpy(copy, in + start, len);
      lode_http_event_t ev;
      int rc = lode_http_parser_execute(p, copy, len, &ev);
      if (rc < 0) {
        drv_error(r, p, rc, start + lode_http_parser_error_offset(p));
        r->error_in_upgrade = p->upgrade;
        free(copy);
        over = 1;
        break;
      }
      if (ev.consumed > len) { /* never past the input, whatever it is */
        fprintf(stderr, "consumed %zu of %zu bytes\n", ev.consumed, len);
        abort();
      }
      start += ev.consumed;
      over = drv_event(r, p, o, &ev, start);
      free(copy);
      if (over || ev.type == LODE_HTTP_EV_NEED_MORE)
        break;
    }
  }
  if (!over && o->finish) {
    lode_http_event_t ev;
    int rc = lode_http_parser_finish(p, &ev);
    int fin = rc < 0 ? 2 : ev.type == LODE_HTTP_EV_MESSAGE_COMPLETE ? 1 : 0;
    if (fin == 1)
      r->messages++; /* llhttp's log has no line for it */
    sb_printf(&r->log, "off=NULL finish=%d\n", fin);
  }
}

/* drv_run_on() on a new parser. */
static inline void drv_run(const drv_opts_t* o, const unsigned char* in,
                           size_t n, size_t piece, size_t first,
                           drv_result_t* r) {
  lode_http_parser_t p;
  drv_init(o, &p);
  drv_run_on(&p, o, in, n, piece, first, r);
}

#endif
