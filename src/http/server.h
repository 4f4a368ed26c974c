/* Private structures of the HTTP server: the server, its connections, and
 * the request/response pair of each message. */
#ifndef LODE_HTTP_SERVER_H
#define LODE_HTTP_SERVER_H

#include "lode/http.h"
#include "lode/http_parser.h"
#include "lode/net.h"
#include "http/common.h"
#include "http/outgoing.h"

typedef struct lode__conn_s lode__conn_t;

/* Recycled requests and responses a server keeps (each with its 4 KB
 * arena): beyond this a burst's objects are freed. */
#define LODE__FREE_MAX 256

typedef struct lode__response_s lode__response_t;

/* A parser with its header array, lent to a connection while a message
 * is being read (an idle keep-alive connection holds none). */
typedef struct lode__parser_slot_s {
  struct lode__parser_slot_s* next;
  lode_http_parser_t parser;
  size_t max_headers;
} lode__parser_slot_t;

/* A header as Node's message.headers has it. */
typedef struct lode__in_header_s {
  const char* name;
  const char* value;
} lode__in_header_t;

typedef struct lode__in_fields_s {
  const char** raw;            /* name, value, name, value... */
  size_t nraw;
  lode__in_header_t* items;
  size_t n;
} lode__in_fields_t;

enum {
  LODE__IN_COMPLETE = 1 << 0,
  LODE__IN_ABORTED = 1 << 1,
  LODE__IN_END_EMITTED = 1 << 2,
  LODE__IN_PAUSED = 1 << 3,      /* the user paused it */
  LODE__IN_DUMPED = 1 << 4,      /* the body is being discarded */
  LODE__IN_CLOSED = 1 << 5,
  LODE__IN_DESTROYED = 1 << 6,
  LODE__IN_FLUSH_QUEUED = 1 << 7,
  LODE__IN_UPGRADE = 1 << 8,
  LODE__IN_READING = 1 << 9,     /* the body is still arriving */
  LODE__IN_GOT_BODY = 1 << 10,   /* body bytes have arrived */
  LODE__IN_HEADERS_BUILT = 1 << 11, /* message.headers exists */
  LODE__IN_ABORT_PENDING = 1 << 12  /* 'aborted' sent, its error not yet */
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
  size_t max_headers;            /* maxHeadersCount for message.headers */
  lode__in_fields_t trailers;
  lode__buf_t body;              /* body held while nobody reads it */
  lode_encoding_t enc;
  lode_decoder_t decoder;
  struct lode_http_incoming_s* next_free;
  /* Client responses only (see lode__incoming_owner_t). */
  const lode__incoming_owner_t* owner;
  void* owner_ctx;
  int join_duplicates;
  int status_code;
  const char* status_message;
  lode_http_incoming_cb timeout_cb;   /* setTimeout's callback */
  void* timeout_arg;
  lode__tick_t flush_tick;       /* held body delivered on a later turn */
  struct lode__collect_s* collect;  /* lode_http_incoming_collect's state */
};

struct lode__response_s {
  lode_http_outgoing_t out;      /* first: a response is an outgoing */
  lode__conn_t* conn;
  lode_http_incoming_t* req;
  lode__response_t* next;        /* the connection's response queue */
  const char* status_message;
  int expect_continue;
  int sent100;
  lode__response_t* next_free;
};

enum {
  LODE__CONN_PARSING = 1 << 0,
  LODE__CONN_PAUSED = 1 << 1,     /* responses piled up (socket._paused) */
  LODE__CONN_IN_HEAD = 1 << 2,    /* a message has begun, head not done */
  LODE__CONN_ERRORED = 1 << 3,    /* a client error stopped parsing */
  LODE__CONN_DESTROYED = 1 << 4,
  LODE__CONN_ENDED = 1 << 5,      /* we ended our side */
  LODE__CONN_DETACHED = 1 << 6,   /* upgraded: the stream is the user's */
  LODE__CONN_KA_TIMEOUT = 1 << 7, /* keepAliveTimeout armed */
  LODE__CONN_CLOSED = 1 << 9
};

struct lode__conn_s {
  lode_http_server_t* srv;
  lode_stream_t* stream;
  lode__conn_t* prev;
  lode__conn_t* next;
  lode__parser_slot_t* slot;
  lode__buf_t in;                /* input not consumed yet */
  lode_slice_t last_read;        /* this read's bytes (rawPacket) */
  size_t last_read_at;           /* where they start in the input */
  lode_http_incoming_t* incoming;  /* whose body is being parsed */
  lode_http_incoming_t* upgrading; /* an accepted Upgrade or CONNECT */
  lode__response_t* res_head;    /* the attached response */
  lode__response_t* res_tail;
  size_t nres;                   /* responses not finished */
  size_t held;                   /* bytes held by unattached responses */
  uint64_t msg_start;            /* loop ms when the message began */
  unsigned requests;
  uint32_t flags;
  unsigned refs;
  lode__tick_t end_tick;         /* the peer's FIN, acted on later */
  lode__idle_t idle;             /* the socket timeout (core/loop.h) */
};

struct lode_http_server_s {
  uv_loop_t* loop;
  lode__loop_t* lp;              /* held: later queue and idle timers */
  const lode_http_server_events_t* ev;
  void* data;
  lode_server_t* net;
  lode__conn_t* conns;
  size_t nconns;
  uv_timer_t check_timer;
  int closing;
  int closed;
  int net_closed;
  int freed;
  int close_status;
  unsigned nalive;               /* connection objects not yet freed */
  int listening;
  int check_running;
  void (*close_cb)(lode_http_server_t* srv, int status, void* arg);
  void* close_arg;
  lode_http_server_cb listen_cb;   /* listen()'s callback, until it runs */
  void* listen_arg;
  lode_stream_cb timeout_cb;   /* setTimeout's callback */
  void* timeout_arg;
  uint64_t headers_timeout;
  uint64_t request_timeout;
  uint64_t keep_alive_timeout;
  uint64_t check_interval;
  uint64_t timeout;
  unsigned max_headers_count;
  unsigned max_requests;
  size_t max_header_size;
  size_t hwm;
  unsigned lenient;
  int join_duplicates;
  int reject_body;
  int require_host;
  int no_delay;
  int keep_alive;
  unsigned keep_alive_delay;
  const char** unique;           /* lowercase, NULL-terminated */
  lode__date_cache_t date;
  lode__parser_slot_t* free_slots;
  size_t nfree_slots;
  lode_http_incoming_t* free_reqs;
  lode__response_t* free_res;
  size_t nfree_reqs;
  size_t nfree_res;
  unsigned handles;              /* open uv handles (the check timer) */
  /* The write batch of the connection being parsed (one at a time). */
  lode__conn_t* batch_owner;
  lode__buf_t batch;
  struct lode__batch_cb_s* batch_cbs;
  size_t nbatch_cbs;
  size_t batch_cap;
};

/* incoming.c */
lode_http_incoming_t* lode__incoming_new(lode_http_server_t* srv);
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
/* Client responses: a message owned by `owner`, and its head (status
 * line and headers copied). */
lode_http_incoming_t* lode__incoming_new_client(
    const lode__incoming_owner_t* owner, void* ctx);
int lode__incoming_fill_response(lode_http_incoming_t* m,
                                 const lode_http_head_t* h,
                                 size_t max_headers);
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
void lode__incoming_free_all(lode_http_server_t* srv);

/* server.c */
void lode__conn_resume_reading(lode__conn_t* c);
void lode__conn_destroy(lode__conn_t* c, const lode_error_t* err);
/* The connection's socket timeout (server.timeout, keepAliveTimeout,
 * req/res.setTimeout), an item of the loop's idle timers: sets it (0
 * disables) and starts it from now. A connection that has gone arms
 * none. */
static inline void lode__conn_set_timeout(lode__conn_t* c, uint64_t ms) {
  lode__idle_set(c->srv->lp, &c->idle,
                 (c->flags & LODE__CONN_CLOSED) ? 0 : ms);
}
void lode__conn_hold(lode__conn_t* c);
void lode__conn_release(lode__conn_t* c);

void lode__conn_end(lode__conn_t* c);
/* Adds a response's write to the connection's batch (see
 * the outgoing message's batch hook). */
int lode__conn_batch(lode__conn_t* c, const lode_slice_t* bufs, size_t n,
                     lode_stream_cb cb, void* arg);
/* Sends the batch; returns the stream's write result (1 below the
 * high-water mark, 0 to wait for 'drain'). */
int lode__conn_flush(lode__conn_t* c);
/* The peer ended and no response is left to write. */
int lode__conn_peer_ended(const lode__conn_t* c);
void lode__conn_request_timeout(lode__conn_t* c);
void lode__server_check_connections(lode_http_server_t* srv);

/* server_api.c */
extern int lode__max_idle_parsers;
void lode__server_start_checking(lode_http_server_t* srv);
void lode__server_maybe_closed(lode_http_server_t* srv);

/* response.c */
lode__response_t* lode__response_new(lode__conn_t* c,
                                     lode_http_incoming_t* req);
void lode__response_free_all(lode_http_server_t* srv);

#endif
