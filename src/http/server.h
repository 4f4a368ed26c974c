/* Private structures of the HTTP server: the server, its connections,
 * their parsers and the response of each request (the request itself is
 * in incoming.h). */
#ifndef LODE_HTTP_SERVER_H
#define LODE_HTTP_SERVER_H

#include "lode/http.h"
#include "lode/http_parser.h"
#include "lode/net.h"
#include "http/common.h"
#include "http/outgoing.h"
#include "http/incoming.h"

/* Recycled requests and responses a server keeps (each with its 4 KB
 * arena): beyond this a burst's objects are freed. */
#define LODE__FREE_MAX 256

/* A parser with its header array, lent to a connection while a message
 * is being read (an idle keep-alive connection holds none). */
typedef struct lode__parser_slot_s {
  struct lode__parser_slot_s* next;
  lode_http_parser_t parser;
  size_t max_headers;
} lode__parser_slot_t;

struct lode__response_s {
  lode_http_outgoing_t out; /* first: a response is an outgoing */
  lode__conn_t* conn;
  lode_http_incoming_t* req;
  lode__response_t* next; /* the connection's response queue */
  const char* status_message;
  int expect_continue;
  int sent100;
  lode__response_t* next_free;
};

enum {
  LODE__CONN_PARSING = 1 << 0,
  LODE__CONN_PAUSED = 1 << 1,  /* responses piled up (socket._paused) */
  LODE__CONN_IN_HEAD = 1 << 2, /* a message has begun, head not done */
  LODE__CONN_ERRORED = 1 << 3, /* a client error stopped parsing */
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
  lode__buf_t in;                  /* input not consumed yet */
  lode_slice_t last_read;          /* this read's bytes (rawPacket) */
  size_t last_read_at;             /* where they start in the input */
  lode_http_incoming_t* incoming;  /* whose body is being parsed */
  lode_http_incoming_t* upgrading; /* an accepted Upgrade or CONNECT */
  lode__response_t* res_head;      /* the attached response */
  lode__response_t* res_tail;
  size_t nres;        /* responses not finished */
  size_t held;        /* bytes held by unattached responses */
  uint64_t msg_start; /* loop ms when the message began */
  unsigned requests;
  uint32_t flags;
  unsigned refs;
  lode__tick_t end_tick; /* the peer's FIN, acted on later */
  lode__idle_t idle;     /* the socket timeout (core/loop.h) */
};

struct lode_http_server_s {
  uv_loop_t* loop;
  lode__loop_t* lp; /* held: later queue and idle timers */
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
  unsigned nalive; /* connection objects not yet freed */
  int listening;
  int check_running;
  void (*close_cb)(lode_http_server_t* srv, int status, void* arg);
  void* close_arg;
  lode_http_server_cb listen_cb; /* listen()'s callback, until it runs */
  void* listen_arg;
  lode_stream_cb timeout_cb; /* setTimeout's callback */
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
  const char** unique; /* lowercase, NULL-terminated */
  lode__date_cache_t date;
  lode__parser_slot_t* free_slots;
  size_t nfree_slots;
  lode__incoming_pool_t req_pool; /* requests done with */
  lode__response_t* free_res;
  size_t nfree_res;
  unsigned handles; /* open uv handles (the check timer) */
  /* The write batch of the connection being parsed (one at a time). */
  lode__conn_t* batch_owner;
  lode__buf_t batch;
  struct lode__batch_cb_s* batch_cbs;
  size_t nbatch_cbs;
  size_t batch_cap;
};

/* server.c */
void lode__conn_resume_reading(lode__conn_t* c);
void lode__conn_destroy(lode__conn_t* c, const lode_error_t* err);
/* The connection's socket timeout (server.timeout, keepAliveTimeout,
 * req/res.setTimeout), an item of the loop's idle timers: sets it (0
 * disables) and starts it from now. A connection that has gone arms
 * none. */
static inline void lode__conn_set_timeout(lode__conn_t* c, uint64_t ms) {
  lode__idle_set(c->srv->lp, &c->idle, (c->flags & LODE__CONN_CLOSED) ? 0 : ms);
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
