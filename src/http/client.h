/* Private structures of the HTTP client: the request, the agent and the
 * agent's record of each connection. The agent is the reader of every
 * stream it owns and hands the events to the request on it. */
#ifndef LODE_HTTP_CLIENT_PRIV_H
#define LODE_HTTP_CLIENT_PRIV_H

#include "core/internal.h"
#include "lode/http_client.h"
#include "lode/http_parser.h"
#include "http/server.h"
#include "net/internal.h"

/* A pool of this many requests (and as many responses) per agent covers
 * the ones that a burst of responses lets go of before the next ones are
 * made: 50 requests kept in flight over keep-alive connections leave at
 * most a few in it at a time. Each keeps its 4 KB arena chunk. */
#define LODE__REQ_POOL_MAX 16
/* An input or body buffer kept across requests, at most. */
#define LODE__REQ_KEEP_IN 16384

typedef struct lode__client_req_s lode__client_req_t;
typedef struct lode__agent_sock_s lode__agent_sock_t;
typedef struct lode__agent_group_s lode__agent_group_t;

/* One name of an agent (Node's sockets[name], freeSockets[name],
 * requests[name]). */
struct lode__agent_group_s {
  lode__queue_t link;
  char* name;
  lode__queue_t busy;    /* lode__agent_sock_t, in order of creation */
  lode__queue_t free;    /* the free list (push at tail) */
  lode__queue_t waiting; /* lode__client_req_t waiting for a socket */
  size_t nbusy, nfree, nwaiting;
};

enum {
  LODE__AS_FREE = 1 << 0,
  LODE__AS_DEAD = 1 << 1,     /* ended, errored or destroyed */
  LODE__AS_CLOSED = 1 << 2,   /* the stream closed */
  LODE__AS_DETACHED = 1 << 3, /* upgraded: the stream is the user's */
  LODE__AS_LISTED = 1 << 4    /* in a group queue */
};

struct lode__agent_sock_s {
  lode__queue_t link;
  lode_agent_t* agent;
  lode__agent_group_t* g;
  lode_stream_t* stream;
  lode_socket_t* sock;     /* when the stream is a lode socket */
  lode__client_req_t* req; /* the request using it, or NULL */
  lode__idle_t idle;       /* idle timeout (free or busy) */
  uint64_t hint_end;       /* the server's Keep-Alive: timeout= less
                                * a second (loop time), 0: none */
  uint32_t flags;
  unsigned refs; /* stream open + holds */
};

struct lode_agent_s {
  uv_loop_t* loop;
  lode__loop_t* lp; /* held: the loop's idle timers */
  lode_agent_opts_t o;
  unsigned refs; /* the user's, each request, each socket */
  int destroyed;
  int is_global;
  const char* protocol; /* Node's agent.protocol: "http:" or "https:" */
  struct lode__https_agent_s* https; /* an https.Agent's part (https.c) */
  lode__queue_t groups;
  size_t total; /* totalSocketCount */
  /* Requests done with, kept for the next ones (client.c): a request
   * costs no allocation once the pool holds one. */
  lode__client_req_t* free_reqs;
  unsigned nfree_reqs;
  lode__incoming_pool_t res_pool; /* and their responses */
  /* https: the last agent name made for a request without TLS options of
   * its own, and the base name and host it was made from (client_new.c). */
  char* name_key;
  char* name_full;
};

enum {
  LODE__CR_DESTROYED = 1 << 0,
  LODE__CR_ABORTED = 1 << 1,
  LODE__CR_CLOSED = 1 << 2,
  LODE__CR_HAD_ERROR = 1 << 3,  /* socket._hadError */
  LODE__CR_KEEP_ALIVE = 1 << 4, /* shouldKeepAlive */
  LODE__CR_REUSED = 1 << 5,
  LODE__CR_GOT_BYTES = 1 << 6, /* a byte of the response arrived */
  LODE__CR_ENDED = 1 << 7,     /* the response ended (_ended) */
  LODE__CR_WAITING = 1 << 8,   /* queued in the agent */
  LODE__CR_ON_SOCKET = 1 << 9, /* onSocket is pending */
  LODE__CR_RETRYING = 1 << 10,
  LODE__CR_RETRIED = 1 << 11,
  LODE__CR_INFO = 1 << 12, /* parsing a 1xx */
  LODE__CR_UPGRADED = 1 << 13,
  LODE__CR_FREED = 1 << 14,   /* the socket went back to the agent */
  LODE__CR_GOT_RES = 1 << 15, /* Node's req.res was set */
  LODE__CR_ABORT_PENDING = 1 << 16,
  LODE__CR_COMPLETE = 1 << 17,       /* the final response is complete */
  LODE__CR_RES_DESTROYED = 1 << 18,  /* res.destroy() before its end */
  LODE__CR_RES_CLOSE_WAIT = 1 << 19, /* the response's close is held */
  LODE__CR_RES_CLOSE_OK = 1 << 20    /* ... and may come now */
};

struct lode__client_req_s {
  lode_http_outgoing_t out; /* first: a request is an outgoing */
  const lode_http_request_events_t* ev;
  lode_agent_t* agent;
  lode__agent_group_t* g;
  lode__agent_sock_t* as;
  lode_http_incoming_t* res;
  lode__queue_t wait_link;
  uint32_t flags;
  const char* method;
  const char* path;
  const char* host;
  const char* protocol;
  const char* name;
  int method_num;
  lode_agent_conn_opts_t conn;
  lode_agent_create_connection_fn create_connection;
  void* cc_arg;
  struct lode__https_tls_s* tls; /* https: its TLS options (https.c) */
  /* The request gave no TLS options of its own: `tls` is the agent's
   * alone, the same for each such request, and stays with the request
   * in the agent's pool for the next one. */
  int tls_plain;
  lode_http_header_t* hdrs; /* a larger header array, when needed */
  size_t hdrs_cap;
  lode__buf_t in;
  lode__buf_t replay; /* the whole request, kept for the retry
                                  * when it has a body */
  size_t max_header_size;
  unsigned lenient;
  int join;
  unsigned max_headers_count;
  int has_timeout;
  unsigned timeout;
  lode_http_outgoing_cb timeout_cb;
  void* timeout_arg;
  int no_delay;  /* -1: leave; else apply on socket */
  int ka_enable; /* -1: leave */
  unsigned ka_delay;
  lode_abort_signal_t* signal;
  lode_abort_listener_t abort_l;
  lode_error_t* err;           /* kError: what destroy() was given, or
                                  * res.destroy() (RES_DESTROYED) */
  lode__loop_t* lp;            /* for Node's nextTick (lode__tick) */
  lode__tick_t socket_tick;    /* onSocketNT */
  lode__tick_t abort_tick;     /* emitAbortNT */
  lode__tick_t error_tick;     /* destroy(err)'s error from the socket */
  lode__tick_t free_tick;      /* emitFreeNT */
  lode__tick_t res_close_tick; /* the response's close (two ticks) */
  lode__agent_sock_t* freeing; /* the socket emitFreeNT hands back */
  long long ka_hint;           /* Keep-Alive: timeout= seconds, or -1 */
  int socket_err;
  lode__client_req_t* next_free; /* in the agent's pool */
  /* Last: a request taken from the pool is zeroed up to the parser's
   * header array (2 KB), which init fills before any use. */
  lode_http_parser_t parser;
};

/* client.c: the request's OutgoingMessage hooks and event table. */
extern const lode__outgoing_ops_t lode__client_ops;
extern const lode_http_outgoing_events_t lode__client_fwd_events;

/* client.c: "METHOD PATH HTTP/1.1\r\n" in buf (cap bytes) or, when
 * longer, in a new block the caller frees; NULL: no memory. */
char* lode__client_request_line(const lode__client_req_t* r, char* buf,
                                size_t cap, size_t* len);

/* client.c: a request for `a`: one from its pool, set back to what a
 * new one is (zeroed but for kept memory), or a new one. */
lode__client_req_t* lode__client_req_alloc(lode_agent_t* a, uv_loop_t* loop);
/* Frees the agent's pools (requests and responses). */
void lode__client_req_pool_free(lode_agent_t* a);

/* agent.c */
void lode__agent_hold(lode_agent_t* a);
void lode__agent_release(lode_agent_t* a);
/* Node's addRequest: a free socket, a new one, or the queue. The socket
 * arrives through lode__client_on_socket. */
void lode__agent_add_request(lode_agent_t* a, lode__client_req_t* req);
/* A new connection for a request (the retry). */
void lode__agent_new_socket(lode_agent_t* a, lode__client_req_t* req);
/* A waiting request that is destroyed leaves the queue. */
void lode__agent_forget_request(lode_agent_t* a, lode__client_req_t* req);
/* Node's 'free': the request is done with the socket; req (NULL: none to
 * keep it for) says whether it may stay in the pool. */
void lode__agent_free_socket(lode__agent_sock_t* as,
                             const lode__client_req_t* req);
/* Keeps the record of a socket allocated across a tick. */
void lode__agent_sock_hold(lode__agent_sock_t* as);
void lode__agent_sock_release(lode__agent_sock_t* as);
/* Node's 'agentRemove': the socket leaves the agent for good. */
void lode__agent_detach_socket(lode__agent_sock_t* as);
void lode__agent_sock_touch(lode__agent_sock_t* as);
void lode__agent_sock_set_timeout(lode__agent_sock_t* as, uint64_t ms);

/* client.c: what the agent tells a request. */
void lode__client_on_socket(lode__client_req_t* req, lode__agent_sock_t* as,
                            int err);
void lode__client_data(lode__client_req_t* req, lode_slice_t data);
void lode__client_end(lode__client_req_t* req);
void lode__client_error(lode__client_req_t* req, const lode_error_t* err);
void lode__client_close(lode__client_req_t* req);
void lode__client_drain(lode__client_req_t* req);
void lode__client_timeout(lode__client_req_t* req);

#endif
