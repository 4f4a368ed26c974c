/* The IncomingMessage object (lib/_http_incoming.js), shared by the
 * server's requests and the client's responses: its structure, its state
 * bits, and what the server (server.c) and the client (client.c) call in
 * incoming.c. */
#ifndef LODE_HTTP_INCOMING_H
#define LODE_HTTP_INCOMING_H

#include "lode/http.h"
#include "lode/http_parser.h"
#include "http/common.h"
#include "net/internal.h"

typedef struct lode__conn_s lode__conn_t;
typedef struct lode__response_s lode__response_t;

/* A header as Node's message.headers has it. */
typedef struct lode__in_header_s {
  const char* name;
  const char* value;
} lode__in_header_t;

typedef struct lode__in_fields_s {
  const char** raw; /* name, value, name, value... */
  size_t nraw;
  lode__in_header_t* items;
  size_t n;
} lode__in_fields_t;

enum {
  LODE__IN_COMPLETE = 1 << 0,
  LODE__IN_ABORTED = 1 << 1,
  LODE__IN_END_EMITTED = 1 << 2,
  LODE__IN_PAUSED = 1 << 3, /* the user paused it */
  LODE__IN_DUMPED = 1 << 4, /* the body is being discarded */
  LODE__IN_CLOSED = 1 << 5,
  LODE__IN_DESTROYED = 1 << 6,
  LODE__IN_FLUSH_QUEUED = 1 << 7,
  LODE__IN_UPGRADE = 1 << 8,
  LODE__IN_READING = 1 << 9,        /* the body is still arriving */
  LODE__IN_GOT_BODY = 1 << 10,      /* body bytes have arrived */
  LODE__IN_HEADERS_BUILT = 1 << 11, /* message.headers exists */
  LODE__IN_ABORT_PENDING = 1 << 12, /* 'aborted' sent, its error not yet */
  /* A client's response destroyed before its last byte, which came in
   * the same read: Node still ends it after 'aborted' (its body's end is
   * pushed before the destroyed stream closes). */
  LODE__IN_END_AFTER_ABORT = 1 << 13
};

/* A client's response has no server connection: its owner (client.c)
 * answers what the connection would. NULL on a server's request. */
typedef struct lode__incoming_owner_s {
  uv_loop_t* (*loop)(const lode_http_incoming_t* m);
  void (*resume_reading)(lode_http_incoming_t* m);
  void (*destroy)(lode_http_incoming_t* m, const lode_error_t* err);
  void (*set_timeout)(lode_http_incoming_t* m, uint64_t ms);
  lode_stream_t* (*socket)(const lode_http_incoming_t* m);
  void (*free)(lode_http_incoming_t* m);
  /* Before the user's on_end: Node's responseOnEnd is the response's
   * first 'end' listener. */
  void (*on_end)(lode_http_incoming_t* m);
  /* 0 holds the close back; the owner calls lode__incoming_maybe_close
   * again when it may come (Node closes a response ticks after its end). */
  int (*may_close)(lode_http_incoming_t* m);
} lode__incoming_owner_t;

struct lode_http_incoming_s {
  const lode_http_incoming_events_t* ev;
  void* data;
  unsigned refs;
  uint32_t flags;
  lode__conn_t* conn;
  lode__response_t* res;
  lode__arena_t arena;
  const char* method;
  const char* url;
  char version[8];
  int major, minor;
  lode__in_fields_t headers;
  size_t max_headers; /* maxHeadersCount for message.headers */
  lode__in_fields_t trailers;
  lode__buf_t body; /* body held while nobody reads it */
  lode_encoding_t enc;
  lode_decoder_t decoder;
  struct lode_http_incoming_s* next_free;
  /* Client responses only (see lode__incoming_owner_t). */
  const lode__incoming_owner_t* owner;
  void* owner_ctx;
  int join_duplicates;
  int status_code;
  const char* status_message;
  lode_http_incoming_cb timeout_cb; /* setTimeout's callback */
  void* timeout_arg;
  lode__tick_t flush_tick;         /* held body delivered on a later turn */
  lode__tick_t destroy_tick;       /* destroy()'s events, on the next tick */
  lode_error_t* destroy_err;       /* the error destroy() was given (copy) */
  struct lode__collect_s* collect; /* lode_http_incoming_collect's state */
};

/* Messages done with, kept for the next ones (a server's requests, an
 * agent's responses) so that a message costs no allocation: each keeps
 * its arena's chunk and a body buffer of at most `keep` bytes; at most
 * `max` are kept. Zeroed is empty (set max and keep before the first
 * put). */
typedef struct lode__incoming_pool_s {
  struct lode_http_incoming_s* head;
  unsigned n;
  unsigned max;
  size_t keep;
} lode__incoming_pool_t;

/* incoming.c */
/* A message in a new one's state (one reference): the pool's first, else
 * a new one; NULL without memory. */
lode_http_incoming_t* lode__incoming_pool_get(lode__incoming_pool_t* p);
/* Into the pool, or freed when it holds `max` already. */
void lode__incoming_pool_put(lode__incoming_pool_t* p, lode_http_incoming_t* m);
/* Frees every message the pool holds. */
void lode__incoming_pool_clear(lode__incoming_pool_t* p);
/* A recycled message back to a new one's state: zeroed but for the memory
 * of its arena (reset by the caller) and body buffer; one reference. */
void lode__incoming_renew(lode_http_incoming_t* m);
/* Copies the head (h's views end before head_end) into the message, once,
 * and points its strings into the copy; message.headers is built on first
 * use. */
int lode__incoming_fill(lode_http_incoming_t* m, const lode_http_head_t* h,
                        const char* head_end, size_t max_headers);
/* The first value of a raw header (any case), without building
 * message.headers. */
const char* lode__incoming_raw_find(const lode_http_incoming_t* m,
                                    const char* name);
int lode__incoming_set_trailers(lode_http_incoming_t* m,
                                const lode_http_header_t* t, size_t n);
/* Client responses: the head (status line and headers copied) of a
 * message with an owner (lode__incoming_owner_t). */
int lode__incoming_fill_response(lode_http_incoming_t* m,
                                 const lode_http_head_t* h, size_t max_headers);
/* A piece of body: delivered or held. Returns 1 when the connection
 * should stop reading (held bytes reached the high-water mark). */
int lode__incoming_push(lode_http_incoming_t* m, lode_slice_t data);
void lode__incoming_end(lode_http_incoming_t* m);
/* The connection went away: 'aborted', error, close as Node orders them.
 * In two steps when responses are closed in between (Node emits
 * 'aborted' at once, the error and 'close' a tick later): mark_aborted
 * emits 'aborted' (once, for an incomplete message), abort_error the
 * error and 'close' that follow it. */
void lode__incoming_abort(lode_http_incoming_t* m);
void lode__incoming_mark_aborted(lode_http_incoming_t* m);
void lode__incoming_abort_error(lode_http_incoming_t* m);
/* The response finished: discard an unread body (Node's _dump). */
void lode__incoming_dump(lode_http_incoming_t* m);
/* Emits 'close' once both the body and the response are done. */
void lode__incoming_maybe_close(lode_http_incoming_t* m);

#endif
