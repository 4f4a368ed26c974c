/* lode: Node's HTTP client: http.request, http.get, ClientRequest,
 * http.Agent and http.globalAgent, and the URL parsing they rely on.
 * (Conventions for every header: the opening comment of lode.h.)
 *
 * A ClientRequest is an OutgoingMessage: every lode_http_outgoing_*
 * function (setHeader, write, end, cork, flushHeaders...) takes a
 * lode_http_request_t as it is. Its response is a lode_http_incoming_t
 * (lode/http.h) with status_code and status_message set.
 *
 * Lifetime (docs/design.md): the library allocates requests and agents. A
 * request pointer stays valid until its on_close has returned (hold it to
 * keep it longer); on_close comes last, exactly once. Any callback may
 * destroy or abort any request.
 *
 * Event orders are Node's (the "http.request" section of the spec):
 *   success:             socket, response, [res data...], res end, close
 *   connection error:    socket, error, close
 *   closed before reply: socket, error (ECONNRESET "socket hang up"), close
 *   closed mid-body:     socket, response, [data], res aborted, close,
 *                        res error (ECONNRESET "aborted"), res close
 *   destroy() before a socket: error ("socket hang up" or the error
 *                        given), close; after 'socket' the same;
 *   destroy() after the response: as closed mid-body;
 *   destroy(err) after the response: error (err), then as closed
 *                        mid-body ("aborted" on the response);
 *   res destroy([err]) mid-body: res aborted, [error (err), res error
 *                        (err)], res close, close;
 *   abort() before a socket: abort, close; after 'socket': abort, error
 *                        ("socket hang up"), close; after the response:
 *                        abort, res aborted, res error, close, res close.
 * Each is compared with Node 20 when the tests run (test-http-client-
 * destroy.c runs test/peers/client-orders.js). Node differs from the
 * specification in three places; lode chooses:
 *   - abort() before a socket: Node emits close, then abort. lode keeps
 *     the specification's abort, close: close is always an object's last
 *     callback (after it the pointer is gone).
 *   - abort() after the response: Node emits close before the response's
 *     error. lode keeps the specification's explicit order (res error,
 *     close).
 *   - destroy(err) after the response: the specification names err as
 *     the response's error; Node gives err to the request ('error' before
 *     'aborted') and "aborted" to the response, which still contains the
 *     specification's list in its order. lode does what Node does, as for
 *     destroy(err) at every other point.
 * On a kept connection the socket goes back to the agent as in Node 20:
 * at the response's end, before the user's on_end, the request is
 * destroyed (lode_http_request_destroyed is 1, destroy() does nothing)
 * and the response has no socket; on the next tick the request's close
 * comes, then the socket goes to the first waiting request (or the free
 * list), then the response's close. So a request started in on_end waits
 * (agent.requests counts it) and takes the socket at once; one started
 * after that tick finds it taken or free. Without keep-alive the socket
 * is ended before the user's on_end: what the request writes then is
 * held, never sent (no 'finish'), as in Node.
 * After the response's end (connection not kept), destroy(err) and abort()
 * still give the request its error or abort, on the next tick as Node's,
 * before the response's close (two ticks after its end, as Node's) and
 * the request's.
 * Every event is asynchronous to the call that caused it. */
#ifndef LODE_HTTP_CLIENT_H
#define LODE_HTTP_CLIENT_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>
#include "lode/abort.h"
#include "lode/buf.h"
#include "lode/errors.h"
#include "lode/http.h"
#include "lode/net.h"
#include "lode/stream.h"
#include "lode/url.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ===================================================================== *
 * Agent                                                                  *
 * ===================================================================== */

typedef struct lode_agent_s lode_agent_t;
typedef struct lode_http_request_opts_s lode_http_request_opts_t;

/* A ClientRequest is an OutgoingMessage. */
typedef lode_http_outgoing_t lode_http_request_t;

/* Node's agent.getName(options) inputs. */
typedef struct lode_agent_name_opts_s {
  const char* host; /* NULL: "localhost" */
  int port;         /* 0: none */
  const char* local_address;
  int family;              /* 4 or 6 add ":4" / ":6"; 0 nothing */
  const char* socket_path; /* Node's options.socketPath (path) */
} lode_agent_name_opts_t;

enum { LODE_AGENT_LIFO = 0, LODE_AGENT_FIFO = 1 };

/* What a createConnection hook gets: the request's connection options,
 * resolved (host, port, family, local address, lookup, socket path). */
typedef struct lode_agent_conn_opts_s {
  const char* host;
  int port;
  const char* socket_path;
  int family;
  int hints;
  const char* local_address;
  int local_port;
  lode_lookup_fn lookup;
  void* lookup_arg;
  unsigned timeout;
} lode_agent_conn_opts_t;

/* Node: agent.createConnection(options[, callback]) (and the request's
 * createConnection option). Return 0 and the stream in *out (the agent
 * then owns it: it becomes the stream's reader and destroys it when
 * done), or a negative code, which reaches the request's on_error. */
typedef int (*lode_agent_create_connection_fn)(
    lode_agent_t* agent, const lode_agent_conn_opts_t* opts,
    lode_stream_t** out, void* arg);

/* Node: new Agent(options). Zero = Node's default. */
typedef struct lode_agent_opts_s {
  int keep_alive;             /* keep free sockets for reuse */
  unsigned keep_alive_msecs;  /* TCP keep-alive delay; 0: 1000 */
  unsigned max_sockets;       /* per name; 0: Infinity */
  unsigned max_total_sockets; /* 0: Infinity */
  unsigned max_free_sockets;  /* per name; 0: 256 */
  int scheduling;             /* LODE_AGENT_LIFO (default) or FIFO */
  unsigned timeout;           /* socket idle timeout, ms; 0: none */
  int default_port;           /* 0: 80 */
  /* Hooks (Node's overridable methods); NULL = Node's own. */
  lode_agent_create_connection_fn create_connection;
  /* keepSocketAlive: return 0 to close the socket instead of keeping it
   * (after lode's own checks, which honour Keep-Alive: timeout=). */
  int (*keep_socket_alive)(lode_agent_t* agent, lode_stream_t* s, void* arg);
  /* reuseSocket: told before a free socket goes to `req`. */
  void (*reuse_socket)(lode_agent_t* agent, lode_stream_t* s,
                       lode_http_request_t* req, void* arg);
  /* Node: 'agentRemove' as the agent lets go of a socket for good (an
   * upgrade, a CONNECT tunnel). */
  void (*on_agent_remove)(lode_agent_t* agent, lode_stream_t* s, void* arg);
  void* hook_arg;
  /* Beyond Node: by default a request that fails on a reused keep-alive
   * socket (reset or closed before any byte of the response, the server
   * having closed it as the request went out) is sent again once on a new
   * connection, when its method is idempotent (GET, HEAD, OPTIONS, TRACE,
   * PUT, DELETE) and the request is whole: no body, or a body ended
   * before the socket was assigned (end() in the same turn as
   * http.request), whose bytes lode keeps until the first byte of the
   * answer. A body still being written when the socket came is not sent
   * again ("socket hang up", as in Node). A tri-state (lode/options.h):
   * on by default, LODE_FALSE turns it off. */
  int retry;
} lode_agent_opts_t;

/* Node: new Agent([options]). `opts` may be NULL (read during the call).
 * Returns 0, UV_EINVAL (loop or out NULL), LODE_ERR_INVALID_ARG_VALUE
 * (scheduling neither LIFO nor FIFO) or UV_ENOMEM.
 * With maxTotalSockets reached, a socket done with its request is not
 * kept free while a request of another name waits: it closes, and the
 * waiting request gets a new connection (as Node's removeSocket). */
int lode_agent_create(uv_loop_t* loop, const lode_agent_opts_t* opts,
                      lode_agent_t** out);

/* Node: http.globalAgent for `loop`: keepAlive, lifo, timeout 5000
 * (Node 20's). Created on first use, one per loop; destroyed by
 * lode_agent_destroy like any other. Returns NULL when memory runs out. */
lode_agent_t* lode_http_global_agent(uv_loop_t* loop);

/* Node: agent.destroy(): destroys every socket (in use or free); the
 * agent is freed once the last of its requests has closed. Requests
 * waiting for a socket get "socket hang up". Until then the agent keeps
 * the memory of up to 16 finished requests and responses for its next
 * ones (no allocation per request); destroy frees it. */
void lode_agent_destroy(lode_agent_t* agent);

/* Node: agent.getName([options]): "host:port:localAddress[:family]" or
 * with socketPath "host:port:localAddress:socketPath". Writes at most cap
 * bytes with a NUL; returns the length it needs (without the NUL). */
size_t lode_agent_get_name(const lode_agent_name_opts_t* opts, char* out,
                           size_t cap);

/* Node: agent.sockets / agent.freeSockets / agent.requests. The counts
 * for one name (NULL: all names). *_at gives socket i of a name, in
 * Node's array order. */
size_t lode_agent_sockets(const lode_agent_t* agent, const char* name);
size_t lode_agent_free_sockets(const lode_agent_t* agent, const char* name);
size_t lode_agent_requests(const lode_agent_t* agent, const char* name);
lode_stream_t* lode_agent_free_socket_at(const lode_agent_t* agent,
                                         const char* name, size_t i);

/* Node: agent.maxSockets, maxFreeSockets, maxTotalSockets (0 for
 * Infinity), agent.keepAlive. */
unsigned lode_agent_max_sockets(const lode_agent_t* agent);
unsigned lode_agent_max_free_sockets(const lode_agent_t* agent);
unsigned lode_agent_max_total_sockets(const lode_agent_t* agent);
void lode_agent_set_max_sockets(lode_agent_t* agent, unsigned n);
void lode_agent_set_max_free_sockets(lode_agent_t* agent, unsigned n);
void lode_agent_set_max_total_sockets(lode_agent_t* agent, unsigned n);

/* ===================================================================== *
 * ClientRequest                                                          *
 * ===================================================================== */

/* Information about a 1xx response ('information'). Borrowed for the
 * callback: `raw_headers` alternates names and values (2 * n strings). */
typedef struct lode_http_information_s {
  int status_code;
  const char* status_message;
  int http_version_major;
  int http_version_minor;
  const char* const* raw_headers;
  size_t nraw_headers;
} lode_http_information_t;

/* Node: ClientRequest's events. Every slot may be NULL:
 *   on_response NULL: the body is discarded (Node's res._dump()).
 *   on_upgrade / on_connect NULL: the connection is destroyed.
 *   on_error NULL: nothing more (the request still closes).
 * on_upgrade / on_connect hand over the stream: it is the user's from
 * then on (lode no longer reads it; destroy or end it when done); `head`
 * holds the bytes after the response head; `res` is valid until the
 * callback returns. */
typedef struct lode_http_request_events_s {
  void (*on_socket)(lode_http_request_t* req, lode_stream_t* socket);
  void (*on_response)(lode_http_request_t* req, lode_http_incoming_t* res);
  void (*on_information)(lode_http_request_t* req,
                         const lode_http_information_t* info);
  void (*on_continue)(lode_http_request_t* req);
  void (*on_upgrade)(lode_http_request_t* req, lode_http_incoming_t* res,
                     lode_stream_t* socket, lode_slice_t head);
  void (*on_connect)(lode_http_request_t* req, lode_http_incoming_t* res,
                     lode_stream_t* socket, lode_slice_t head);
  void (*on_timeout)(lode_http_request_t* req);
  void (*on_finish)(lode_http_request_t* req);
  void (*on_drain)(lode_http_request_t* req);
  void (*on_abort)(lode_http_request_t* req);
  void (*on_error)(lode_http_request_t* req, const lode_error_t* err);
  void (*on_close)(lode_http_request_t* req);
} lode_http_request_events_t;

/* Node's `agent: false` in lode_http_request_opts_t.agent. */
#define LODE_AGENT_FALSE ((lode_agent_t*) (uintptr_t) 1)

/* Node: http.request's options (zero = Node's default). With a `url` the
 * URL's parts are taken first and the fields set here win. */
struct lode_http_request_opts_s {
  const char* url;
  /* NULL: the loop's global agent; LODE_AGENT_FALSE: Node's agent: false
   * (a new default Agent for this request alone). */
  lode_agent_t* agent;
  const char* auth; /* "user:pass" -> Authorization: Basic */
  lode_agent_create_connection_fn create_connection;
  void* create_connection_arg;
  int default_port; /* 0: the agent's (80) */
  int family;       /* 4 or 6 */
  int hints;
  /* headers: a NULL-terminated name/value array (see lode/http.h),
   * applied with setHeader in order; a name given several times is one
   * header with several values (Node's array value). headers_raw: Node's
   * array form (sent exactly as given). */
  const char* const* headers;
  int headers_raw;
  const char* host;     /* NULL: "localhost" */
  const char* hostname; /* wins over host */
  int insecure_http_parser;
  int join_duplicate_headers;
  const char* local_address;
  int local_port;
  lode_lookup_fn lookup;
  void* lookup_arg;
  size_t max_header_size;  /* 0: 16384 */
  const char* method;      /* NULL: GET; upper-cased */
  const char* path;        /* NULL: "/" */
  int port;                /* 0: default_port */
  const char* protocol;    /* NULL: "http:"; anything else fails */
  int set_default_headers; /* tri-state (lode/options.h): true */
  int set_host;            /* tri-state: set_default_headers */
  lode_abort_signal_t* signal;
  const char* socket_path;
  int has_timeout; /* `timeout` given (0 is meaningful) */
  unsigned timeout;
  const char* const* unique_headers; /* NULL-terminated, or NULL */
};

/* Node: http.request(url, options, callback): makes the request and
 * starts getting it a socket. `opts` is read during the call; `ev` is
 * borrowed (normally a static const) and may be NULL. Writes the request
 * to *out. No event comes synchronously; the createConnection and lookup
 * hooks run within the call, as in Node. The request holds a reference
 * on its agent until its on_close.
 * Returns 0, or what Node throws: LODE_ERR_INVALID_URL,
 * LODE_ERR_INVALID_PROTOCOL, LODE_ERR_UNESCAPED_CHARACTERS (path),
 * LODE_ERR_INVALID_HTTP_TOKEN (method), a setHeader error,
 * LODE_ERR_OUT_OF_RANGE (max_header_size above LODE_HTTP_LIMIT_MAX),
 * UV_EINVAL, UV_ENOMEM. Nothing is created then. */
int lode_http_request(uv_loop_t* loop, const lode_http_request_opts_t* opts,
                      const lode_http_request_events_t* ev,
                      lode_http_request_t** out);

/* Node: http.get(...): lode_http_request with GET, then end() (so the
 * request is already ended when this returns 0). */
int lode_http_get(uv_loop_t* loop, const lode_http_request_opts_t* opts,
                  const lode_http_request_events_t* ev,
                  lode_http_request_t** out);

/* Replaces the event table (borrowed). */
void lode_http_request_set_events(lode_http_request_t* req,
                                  const lode_http_request_events_t* ev);

/* Node: request.write / end: lode_http_outgoing_write / _end. */
int lode_http_request_write(lode_http_request_t* req, lode_slice_t chunk,
                            lode_http_outgoing_cb cb, void* arg);
int lode_http_request_end(lode_http_request_t* req, lode_slice_t chunk,
                          lode_http_outgoing_cb cb, void* arg);

/* Node: request.abort(): on_abort, then the close (and on_error "socket
 * hang up" when a socket was assigned) asynchronously. Twice: nothing. */
void lode_http_request_abort(lode_http_request_t* req);
/* Node: request.destroy([error]): see the orders at the top. */
void lode_http_request_destroy(lode_http_request_t* req,
                               const lode_error_t* err);

/* Node: request.aborted, request.destroyed, request.reusedSocket. */
int lode_http_request_aborted(const lode_http_request_t* req);
int lode_http_request_destroyed(const lode_http_request_t* req);
int lode_http_request_reused_socket(const lode_http_request_t* req);

/* Node: request.path, method, host, protocol (owned by the request). */
const char* lode_http_request_path(const lode_http_request_t* req);
const char* lode_http_request_method(const lode_http_request_t* req);
const char* lode_http_request_host(const lode_http_request_t* req);
const char* lode_http_request_protocol(const lode_http_request_t* req);

/* Node: request.socket / request.connection (NULL until 'socket'; kept
 * until the request's close when the socket goes back to the agent). */
lode_stream_t* lode_http_request_socket(const lode_http_request_t* req);

/* Node: request.maxHeadersCount (0: 2000). Set before the response. */
void lode_http_request_set_max_headers_count(lode_http_request_t* req,
                                             unsigned n);
unsigned lode_http_request_max_headers_count(const lode_http_request_t* req);

/* Node: request.setTimeout(ms[, callback]): on_timeout (then cb) after ms
 * without traffic on the request's connection; nothing else happens (the
 * request is not aborted). 0 disables. `cb`'s status is 0. Returns 0. */
int lode_http_request_set_timeout(lode_http_request_t* req, unsigned ms,
                                  lode_http_outgoing_cb cb, void* arg);

/* Node: request.setNoDelay([noDelay]) / setSocketKeepAlive([enable][,
 * initialDelay]): applied to the socket once it is assigned (no effect on
 * a stream that is not a lode socket). */
void lode_http_request_set_no_delay(lode_http_request_t* req, int no_delay);
void lode_http_request_set_socket_keep_alive(lode_http_request_t* req,
                                             int enable,
                                             unsigned initial_delay_ms);

/* The response, once on_response has run (NULL before). */
lode_http_incoming_t* lode_http_request_res(const lode_http_request_t* req);

#ifdef __cplusplus
}
#endif
#endif
