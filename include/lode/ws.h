/* lode: WebSocket.
 * (Conventions for every header: the opening comment of lode.h.)
 *
 * lode_websocket_t is Node's browser-style WebSocket client (the WHATWG
 * interface, RFC 6455 with permessage-deflate, RFC 7692), and the same
 * object on the server side of a connection: a server accepts it from an
 * HTTP 'upgrade' (lode_websocket_accept) or from a fresh stream whose
 * request head it reads itself (lode_websocket_serve). Both roles share the
 * message API: send, close, and the events open, message, error, close.
 *
 * WebSocket speaks to a lode_stream_t (a TCP socket, a TLS socket for
 * wss:, the in-memory pair, or any implementation), never to the socket
 * itself.
 *
 * Lifetime: the library allocates the object. An open WebSocket keeps
 * itself alive; the pointer stays valid until on_close has returned (take
 * lode_websocket_hold to keep it longer). on_close comes last, exactly
 * once; any callback may call close or terminate. */
#ifndef LODE_WS_H
#define LODE_WS_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>
#include "lode/buf.h"
#include "lode/errors.h"
#include "lode/stream.h"
#include "lode/tls.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct lode_websocket_s lode_websocket_t;

/* WebSocket.CONNECTING, OPEN, CLOSING, CLOSED (readyState values). */
enum {
  LODE_WEBSOCKET_CONNECTING = 0,
  LODE_WEBSOCKET_OPEN = 1,
  LODE_WEBSOCKET_CLOSING = 2,
  LODE_WEBSOCKET_CLOSED = 3
};

/* Close codes (RFC 6455 7.4.1 and IANA's registry; Node: CloseEvent.code,
 * the code of npm ws's close). What each role may send:
 *   a client (the browser rule, as Node's WebSocket): NORMAL or
 *     APP_FIRST..APP_LAST;
 *   a server (npm ws's rule): NORMAL..INVALID_DATA except RESERVED,
 *     NO_STATUS and ABNORMAL, then POLICY_VIOLATION..BAD_GATEWAY and
 *     APP_FIRST..APP_LAST.
 * A peer's close frame is checked by the server's rule in both roles, as
 * Node and ws do. NO_STATUS and ABNORMAL are never sent: on_close reports
 * them for a close frame without a code and for no close frame at all. */
enum {
  LODE_WEBSOCKET_CLOSE_NORMAL = 1000,
  LODE_WEBSOCKET_CLOSE_GOING_AWAY = 1001,
  LODE_WEBSOCKET_CLOSE_PROTOCOL_ERROR = 1002,
  LODE_WEBSOCKET_CLOSE_UNSUPPORTED_DATA = 1003,
  LODE_WEBSOCKET_CLOSE_RESERVED = 1004,
  LODE_WEBSOCKET_CLOSE_NO_STATUS = 1005,
  LODE_WEBSOCKET_CLOSE_ABNORMAL = 1006,
  LODE_WEBSOCKET_CLOSE_INVALID_DATA = 1007, /* e.g. text not UTF-8 */
  LODE_WEBSOCKET_CLOSE_POLICY_VIOLATION = 1008,
  LODE_WEBSOCKET_CLOSE_MESSAGE_TOO_BIG = 1009,
  LODE_WEBSOCKET_CLOSE_MANDATORY_EXTENSION = 1010,
  LODE_WEBSOCKET_CLOSE_INTERNAL_ERROR = 1011,
  LODE_WEBSOCKET_CLOSE_SERVICE_RESTART = 1012,
  LODE_WEBSOCKET_CLOSE_TRY_AGAIN_LATER = 1013,
  LODE_WEBSOCKET_CLOSE_BAD_GATEWAY = 1014,
  LODE_WEBSOCKET_CLOSE_TLS_HANDSHAKE = 1015, /* never in a frame */
  /* 3000..3999 are registered with IANA, 4000..4999 for private use. */
  LODE_WEBSOCKET_CLOSE_APP_FIRST = 3000,
  LODE_WEBSOCKET_CLOSE_APP_LAST = 4999
};

/* The events (Node: ws.onopen, onmessage, onerror, onclose). The table is
 * borrowed and must outlive the object (normally a static const). Every
 * slot may be NULL: the event is then dropped, as in Node without a
 * listener; an error without on_error still closes the connection. */
typedef struct lode_websocket_events_s {
  /* The handshake succeeded; readyState is OPEN. */
  void (*on_open)(lode_websocket_t* ws);
  /* One whole message. `data` is borrowed until the callback returns; a
   * text message (is_binary 0) is valid UTF-8. A client drops a leading
   * byte order mark from text, as Node's WebSocket (TextDecoder) does; a
   * server passes the bytes as they came, as npm ws does. */
  void (*on_message)(lode_websocket_t* ws, lode_slice_t data, int is_binary);
  /* The connection failed (bad handshake, protocol violation, message too
   * big, network error before open). on_close follows. `err` is borrowed:
   * code LODE_ERR_WS_* or a libuv code, message as Node words it. */
  void (*on_error)(lode_websocket_t* ws, const lode_error_t* err);
  /* Last callback. was_clean: both close frames went through and the
   * transport closed after them. code: the peer's close code,
   * LODE_WEBSOCKET_CLOSE_NO_STATUS when its close frame had none,
   * LODE_WEBSOCKET_CLOSE_ABNORMAL when no close frame came. `reason` is
   * borrowed (UTF-8; a client drops a leading byte order mark, as Node
   * does). */
  void (*on_close)(lode_websocket_t* ws, int was_clean, int code,
                   lode_slice_t reason);
  /* Not in the browser API (Node answers pings itself and so does lode,
   * before this is called): pings and pongs, for servers that watch
   * liveness. `payload` is borrowed. */
  void (*on_ping)(lode_websocket_t* ws, lode_slice_t payload);
  void (*on_pong)(lode_websocket_t* ws, lode_slice_t payload);
  /* Not in the browser API (npm ws users wait for the socket's 'drain';
   * a browser polls bufferedAmount): bufferedAmount went above
   * opts.drain_mark and has come back to drain_mark or less. It comes
   * once per such crossing, only while readyState is OPEN, from the loop
   * after the stream has taken the bytes; sending from it is the way to
   * resume. With the default mark (0) it means what Node's 'drain' means:
   * everything sent so far has been handed to the stream. Set it before
   * sending: a listener added while bytes are buffered is told at the
   * latest when the stream's queue empties. */
  void (*on_drain)(lode_websocket_t* ws);
} lode_websocket_events_t;

/* A set of open WebSockets: npm ws's wss.clients (the server's
 * clientTracking), with a broadcast helper. See below. */
typedef struct lode_websocket_clients_s lode_websocket_clients_t;

/* Options; zero-initialised means the defaults. */
typedef struct lode_websocket_opts_s {
  /* Largest message accepted (after decompression); a bigger one fails the
   * connection with close code LODE_WEBSOCKET_CLOSE_MESSAGE_TOO_BIG. 0
   * means 100 MiB (Node 20's client bounds only inflated messages, at 4
   * MiB; lode bounds both kinds alike); SIZE_MAX means none. */
  size_t max_payload;
  /* permessage-deflate: 0 = default (the client offers it, as Node does
   * with "permessage-deflate; client_max_window_bits"; a server declines),
   * 1 = offer / accept it, -1 = never. */
  int per_message_deflate;
  /* Asked for in the client's offer, or imposed by the server's answer. */
  int server_no_context_takeover;
  int client_no_context_takeover;
  /* 9..15; 0 = leave unrestricted. */
  int server_max_window_bits;
  int client_max_window_bits;
  /* Messages shorter than this are sent uncompressed even when deflate is
   * on. 0 means 1024 (the npm ws default); SIZE_MAX never compresses. */
  size_t deflate_threshold;
  /* Milliseconds to wait for the close handshake and for the transport to
   * close after it, before destroying the transport. 0 means 30000. */
  unsigned close_timeout;
  /* Client: milliseconds for the connection and the opening handshake;
   * lode_websocket_serve: for the request head to arrive. 0 means none
   * (Node's WebSocket has none). */
  unsigned handshake_timeout;
  /* Client: run over this stream instead of connecting (Node's
   * createConnection); the WebSocket becomes its reader and destroys it at
   * the end. The url's host still goes in the Host header. */
  lode_stream_t* stream;
  /* Client, wss: the TLS options (ca, reject_unauthorized, servername...;
   * read during lode_websocket_create). NULL: Node's defaults, the system
   * trust store and the URL's host name checked. */
  const lode_tls_opts_t* tls;
  /* Server: the subprotocols it speaks. The first protocol the client
   * offers that is in this list is chosen; without a list, the client's
   * first (the npm ws default). Borrowed for the call. */
  const char* const* protocols;
  size_t nprotocols;
  /* on_drain's mark, in bytes of bufferedAmount. 0 (the default) is
   * "everything written". */
  size_t drain_mark;
  /* The set this WebSocket joins (npm ws's clientTracking: wss.clients;
   * usually a server's, any role may): it is a member from just before
   * on_open until just before on_close, as with ws, where the set drops a
   * connection in the first 'close' listener. NULL: none. The WebSocket
   * holds a reference on the set from the call that makes it until it is
   * freed. */
  lode_websocket_clients_t* clients;
} lode_websocket_opts_t;

/* Node: new WebSocket(url, protocols). Parses `url` (http: becomes ws:,
 * https: wss:), checks the protocols, then connects (wss: over TLS, with
 * opts->tls; or takes opts->stream) and sends the opening request, the
 * one Node 20 sends. Returns 0 and sets *out, or, with nothing allocated
 * and no callback:
 *   LODE_ERR_WS_SYNTAX (Node's SyntaxError): a bad URL, a scheme other
 *   than ws/wss/http/https, a fragment, an invalid or repeated protocol;
 *   a net error from connecting (LODE_ERR_SOCKET_BAD_PORT...); UV_ENOMEM;
 *   UV_EINVAL for a NULL loop or out, or NULL protocols with a count.
 * Later, asynchronously: on_open; or on_error then on_close (ABNORMAL) when
 * the connection or the handshake fails (a connect error carries the
 * socket's code and message; a bad answer LODE_ERR_WS_PROTOCOL with
 * Node's message, such as "Incorrect hash received in
 * Sec-WebSocket-Accept header."; a certificate that does not verify, the
 * TLS error: DEPTH_ZERO_SELF_SIGNED_CERT...). `url` and `protocols` are
 * copied. */
int lode_websocket_create(uv_loop_t* loop, const char* url,
                          const char* const* protocols, size_t nprotocols,
                          const lode_websocket_opts_t* opts,
                          const lode_websocket_events_t* events,
                          lode_websocket_t** out);

/* The request a server accepts (what Node's 'upgrade' hands over as req). */
typedef struct lode_websocket_request_s {
  lode_slice_t method;        /* must be GET */
  lode_slice_t url;           /* the request target, kept as ws's url */
  int http_major, http_minor; /* must be 1.1 or later */
  /* Node's req.rawHeaders: name, value, name, value... (borrowed). */
  const lode_slice_t* raw_headers;
  size_t nraw_headers;
} lode_websocket_request_t;

/* Server side of an 'upgrade' (npm ws's handleUpgrade): validates the
 * request as ws does (GET, Upgrade: websocket, a Sec-WebSocket-Key of 16
 * bytes, version 13 or 8), negotiates the subprotocol and (with
 * per_message_deflate = 1) permessage-deflate, writes the 101 answer and
 * takes the stream over: it becomes the stream's reader and destroys it
 * at the end; `head` (copied), the bytes read past the request head, is
 * the start of the frames. on_open comes on the next loop turn. A bad
 * request gets ws's refusal (405 "Invalid HTTP method", or 400 with the
 * reason, plus "Sec-WebSocket-Version: 13, 8" for a bad version), the
 * stream is ended and destroyed, and the call returns
 * LODE_ERR_WS_PROTOCOL (or UV_ENOMEM); no callback is called then.
 * A NULL stream, req or out, or a NULL in opts->protocols, is UV_EINVAL
 * (nothing is written). `req` is read during the call only. */
int lode_websocket_accept(lode_stream_t* stream,
                          const lode_websocket_request_t* req,
                          lode_slice_t head, const lode_websocket_opts_t* opts,
                          const lode_websocket_events_t* events,
                          lode_websocket_t** out);

/* The same from an HTTP server's on_upgrade (npm ws's handleUpgrade):
 * takes the request's method, url, version and raw headers, the socket
 * and head as the event gives them. Same returns as lode_websocket_accept.
 */
struct lode_http_incoming_s;
int lode_websocket_handle_upgrade(struct lode_http_incoming_s* req,
                                  lode_stream_t* socket, lode_slice_t head,
                                  const lode_websocket_opts_t* opts,
                                  const lode_websocket_events_t* events,
                                  lode_websocket_t** out);

/* Server side on a fresh stream (an accepted socket): reads the request
 * head itself (with lode's HTTP parser, at most 16 KiB, Node's
 * maxHeaderSize; its first 2000 header lines are looked at, Node's
 * maxHeadersCount), then does what lode_websocket_accept does; on_open comes
 * as soon as the 101 is written. A request without "Connection: upgrade"
 * gets 426 Upgrade Required (what ws's own HTTP server answers). Returns 0
 * or UV_ENOMEM (UV_EINVAL for a NULL stream or out, or a NULL in
 * opts->protocols) at once; a bad request later gives on_error
 * (LODE_ERR_WS_PROTOCOL with ws's message) then on_close (ABNORMAL), and so
 * does a head that has not come whole within opts->handshake_timeout
 * (UV_ETIMEDOUT, "Opening handshake has timed out"; the stream is
 * destroyed). */
int lode_websocket_serve(lode_stream_t* stream,
                         const lode_websocket_opts_t* opts,
                         const lode_websocket_events_t* events,
                         lode_websocket_t** out);

/* Node: ws.send(string) and ws.send(buffer). `data` is copied. Returns 0,
 * or LODE_ERR_WS_INVALID_STATE while CONNECTING, LODE_ERR_WS_SYNTAX for
 * text that is not UTF-8, LODE_ERR_STREAM_NULL_VALUES for a NULL base
 * with a length, UV_ENOMEM, UV_EINVAL for a NULL ws. While CLOSING or
 * CLOSED it returns 0 and sends nothing, as the browser does. */
int lode_websocket_send_text(lode_websocket_t* ws, lode_slice_t data);
int lode_websocket_send_binary(lode_websocket_t* ws, lode_slice_t data);

/* Not in the browser API: a ping (payload <= 125 bytes). Returns 0,
 * LODE_ERR_WS_INVALID_STATE unless OPEN, LODE_ERR_WS_SYNTAX if too long,
 * UV_EINVAL for a NULL ws. */
int lode_websocket_ping(lode_websocket_t* ws, lode_slice_t payload);

/* Node: ws.close(code, reason) (the browser's on a client, npm ws's on a
 * server). code 0 means absent; reason.base NULL means absent; a reason
 * without a code is not sent (both do so). Returns
 * LODE_ERR_WS_INVALID_ACCESS for a code the role may not send (see the
 * close codes above: a client NORMAL or APP_FIRST..APP_LAST, a server
 * also GOING_AWAY, POLICY_VIOLATION, INTERNAL_ERROR and the other codes
 * ws sends; npm ws throws a TypeError there), LODE_ERR_WS_SYNTAX for a
 * reason over 123 bytes or not UTF-8, else 0: CONNECTING fails the
 * connection (on_error, on_close ABNORMAL), OPEN starts the closing
 * handshake, later does nothing (UV_EINVAL for a NULL ws). A server
 * between lode_websocket_accept and on_open has sent its 101 and is open
 * for its peer (npm ws's server is OPEN from then on): close starts the
 * closing handshake there too, and on_open is not called. Callbacks are
 * asynchronous.
 * The answer to a peer's close frame is automatic: a server echoes its
 * code and reason (as npm ws), a client its code alone (as Node's
 * WebSocket); a close frame without a code gets one without a code. */
int lode_websocket_close(lode_websocket_t* ws, int code, lode_slice_t reason);

/* Not in the browser API: drops the connection now (npm ws's terminate).
 * on_close (ABNORMAL, not clean) follows asynchronously. NULL does
 * nothing. */
void lode_websocket_terminate(lode_websocket_t* ws);

/* Node: ws.readyState, url, protocol, extensions, bufferedAmount. Strings
 * are owned by ws and valid until on_close returns. */
int lode_websocket_ready_state(const lode_websocket_t* ws);
const char* lode_websocket_url(const lode_websocket_t* ws);
const char* lode_websocket_protocol(const lode_websocket_t* ws);
const char* lode_websocket_extensions(const lode_websocket_t* ws);
/* Bytes of message data passed to send and not yet handed to the stream;
 * on_drain tells when it is back to opts.drain_mark. */
size_t lode_websocket_buffered_amount(const lode_websocket_t* ws);

/* Node: ws.binaryType ("blob" by default, or "arraybuffer"). C receives
 * bytes either way; the value is kept for code that mirrors the browser.
 * Setting another value is ignored, as in the browser. */
const char* lode_websocket_binary_type(const lode_websocket_t* ws);
void lode_websocket_set_binary_type(lode_websocket_t* ws, const char* type);

/* Replaces the event table (borrowed; NULL = no listeners). */
void lode_websocket_set_events(lode_websocket_t* ws,
                               const lode_websocket_events_t* events);

/* User data, never touched by the library. */
void* lode_websocket_get_data(const lode_websocket_t* ws);
void lode_websocket_set_data(lode_websocket_t* ws, void* data);

/* Memory references: the object stays allocated (not open) while held. */
void lode_websocket_hold(lode_websocket_t* ws);
void lode_websocket_release(lode_websocket_t* ws);

/* --- The set of open connections (npm ws's wss.clients) -------------------
 *
 * A WebSocket made with opts.clients = set is in the set while it is open
 * (see lode_websocket_opts_t.clients): it joins just before on_open and
 * leaves just before on_close, by itself. A server that closes before
 * on_open (close() between accept and on_open) never joins. */

/* Node (npm ws): new WebSocketServer({ clientTracking: true }).clients, a
 * Set. Returns 0 and *out with one reference (the caller's), UV_EINVAL for
 * a NULL out, or UV_ENOMEM. */
int lode_websocket_clients_create(lode_websocket_clients_t** out);

/* Memory references. Every WebSocket made with the set holds one too, so
 * the caller may release its own while connections remain; the set is
 * freed with the last reference. NULL does nothing. */
void lode_websocket_clients_hold(lode_websocket_clients_t* set);
void lode_websocket_clients_release(lode_websocket_clients_t* set);

/* Node: clients.size. */
size_t lode_websocket_clients_size(const lode_websocket_clients_t* set);

/* Node: clients.has(ws). 1 or 0. */
int lode_websocket_clients_has(const lode_websocket_clients_t* set,
                               const lode_websocket_t* ws);

/* Node: for (const ws of clients): the members in the order they joined.
 * prev NULL gives the first; then the member after prev, NULL at the end:
 *   for (ws = next(set, NULL); ws != NULL; ws = next(set, ws))
 * prev must still be a member. A member leaves only from the loop (its
 * close), never inside a call of yours, so a loop body may send, close or
 * terminate any member. */
lode_websocket_t* lode_websocket_clients_next(
    const lode_websocket_clients_t* set, const lode_websocket_t* prev);

/* Not in npm ws, which leaves it to the application (the "broadcast"
 * idiom of its documentation):
 *   clients.forEach(c => { if (c !== except && c.readyState === OPEN &&
 *                              c.bufferedAmount <= max_buffered) c.send(d) })
 * sends one message to every member whose readyState is OPEN, except
 * `except` (NULL: none; the sender, in a chat) and those whose
 * bufferedAmount is over max_buffered (SIZE_MAX: no limit; 0: only
 * members with nothing buffered), which are skipped. The message is
 * checked once (text must be UTF-8) and compressed once for all the
 * members whose permessage-deflate has no server context takeover and the
 * same window; a member that keeps its context gets its own compression,
 * as each such stream must. `data` is copied (as by send).
 * Returns the number of members it was sent to (>= 0), and sets *skipped
 * (may be NULL) to the number skipped for max_buffered; a member whose
 * send fails (memory) counts in neither. Or, with nothing sent:
 * LODE_ERR_WS_SYNTAX for text that is not UTF-8,
 * LODE_ERR_STREAM_NULL_VALUES for a NULL base with a length, UV_EINVAL for
 * a NULL set. */
int lode_websocket_clients_broadcast_text(lode_websocket_clients_t* set,
                                          lode_slice_t data,
                                          size_t max_buffered,
                                          const lode_websocket_t* except,
                                          size_t* skipped);
int lode_websocket_clients_broadcast_binary(lode_websocket_clients_t* set,
                                            lode_slice_t data,
                                            size_t max_buffered,
                                            const lode_websocket_t* except,
                                            size_t* skipped);

#ifdef __cplusplus
}
#endif
#endif
