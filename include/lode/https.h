/* lode: Node's https module: https.createServer and https.Server,
 * https.request, https.get, https.Agent and https.globalAgent.
 * (Conventions for every header: the opening comment of lode.h.)
 *
 * An HTTPS server is a TLS server (lode/tls.h) whose secure connections
 * are served by an HTTP server (lode/http.h): every request, response and
 * http.Server event is the HTTP server's, with the same objects and
 * orders. The HTTP server never listens itself; the TLS server does.
 *
 * An HTTPS request is an HTTP request (lode/http_client.h) whose agent
 * makes its connections with lode_tls_connect. */
#ifndef LODE_HTTPS_H
#define LODE_HTTPS_H

#include <stddef.h>
#include <uv.h>
#include "lode/http.h"
#include "lode/http_client.h"
#include "lode/tls.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ===================================================================== *
 * Server                                                                 *
 * ===================================================================== */

typedef struct lode_https_server_s lode_https_server_t;

/* Node: https.createServer's options: http.createServer's and
 * tls.createServer's in one bag (zero is Node's default for each).
 * tls.socket_events is not used (the HTTP server reads the connections).
 * tls.tls.alpn_protocols NULL offers "http/1.1", as Node's https.Server.
 * tls.net.no_delay is taken from http.no_delay (default true). */
typedef struct lode_https_server_opts_s {
  lode_http_server_opts_t http;
  lode_tls_server_opts_t tls;
} lode_https_server_opts_t;

/* Node: https.Server's events: http.Server's (the `http` table, called
 * with the HTTP server, lode_https_server_http) and tls.Server's.
 *   http.on_connection: Node's 'connection', the TCP connection before
 *     its handshake (a net socket's stream);
 *   http.on_listening, on_error, on_close: the server's own, as Node's;
 *   on_secure_connection: after the HTTP server has started reading the
 *     connection, as Node's own listener comes first;
 *   on_tls_client_error: a failed handshake (that connection only).
 *     As Node's https.Server, http.on_client_error hears it first (with
 *     the TLS socket's stream and the TLS error); the socket is
 *     destroyed after both, whatever they do with it;
 *   on_keylog, on_new_session, on_resume_session, on_ocsp_request: as
 *     lode_tls_server_events_t's. */
typedef struct lode_https_server_events_s {
  lode_http_server_events_t http;
  void (*on_secure_connection)(lode_https_server_t* srv, lode_tls_socket_t* t);
  void (*on_tls_client_error)(lode_https_server_t* srv, const lode_error_t* err,
                              lode_tls_socket_t* t);
  void (*on_keylog)(lode_https_server_t* srv, lode_slice_t line,
                    lode_tls_socket_t* t);
  void (*on_new_session)(lode_https_server_t* srv, lode_slice_t id,
                         lode_slice_t data);
  lode_bytes_t* (*on_resume_session)(lode_https_server_t* srv, lode_slice_t id);
  lode_bytes_t* (*on_ocsp_request)(lode_https_server_t* srv,
                                   lode_slice_t certificate,
                                   lode_slice_t issuer, lode_tls_socket_t* t);
} lode_https_server_events_t;

/* Node: https.createServer([options][, requestListener]). `opts` (may be
 * NULL, though a server without a certificate fails every handshake) is
 * read during the call; `ev` is borrowed and must outlive the server.
 * Returns 0, UV_ENOMEM, what lode_http_create_server returns, or a
 * context error with `err` (may be NULL) filled. */
int lode_https_create_server(uv_loop_t* loop,
                             const lode_https_server_opts_t* opts,
                             const lode_https_server_events_t* ev,
                             lode_https_server_t** out, lode_error_t* err);

typedef void (*lode_https_server_cb)(lode_https_server_t* srv, int status,
                                     void* arg);
/* Node: server.listen(options[, callback]) / close([callback]) /
 * address(), as lode_http_server_listen / close / address. close stops
 * listening and closes idle connections; http.on_close and `cb` come when
 * the last connection has gone (the server is freed after them). close
 * returns 0 or LODE_ERR_SERVER_NOT_RUNNING (a second close; `cb` then
 * gets it too, asynchronously). */
int lode_https_server_listen(lode_https_server_t* srv,
                             const lode_listen_opts_t* opts,
                             lode_https_server_cb cb, void* arg);
int lode_https_server_close(lode_https_server_t* srv, lode_https_server_cb cb,
                            void* arg);
int lode_https_server_address(lode_https_server_t* srv,
                              lode_net_address_t* out);

/* The HTTP server (for its setters: timeouts, maxHeadersCount,
 * closeAllConnections...) and the TLS server (addContext,
 * setSecureContext, ticket keys) inside. Owned by the HTTPS server. */
lode_http_server_t* lode_https_server_http(lode_https_server_t* srv);
lode_tls_server_t* lode_https_server_tls(lode_https_server_t* srv);

/* User data: the HTTP server's (lode_http_server_get_data in its
 * callbacks returns the same). */
void lode_https_server_set_data(lode_https_server_t* srv, void* data);
void* lode_https_server_get_data(const lode_https_server_t* srv);

/* ===================================================================== *
 * Agent                                                                  *
 * ===================================================================== */

/* Node: new https.Agent(options). An http.Agent (every lode_agent_*
 * function takes it) whose protocol is "https:" and default port 443,
 * connecting with lode_tls_connect.
 *   tls: TLS options every request through the agent takes; those set
 *     here win over a request's own (Node spreads agent.options last).
 *     What they point to is copied; secure_context is held. ALPN, a
 *     session and the server-side fields are not taken.
 *   max_cached_sessions: Node's maxCachedSessions, TLS sessions kept (one
 *     per agent name, the oldest going first) and offered again on the
 *     next connection of that name; 0: 100; -1: none (Node's 0). A
 *     connection that closes with an error takes its name's out. */
typedef struct lode_https_agent_opts_s {
  lode_agent_opts_t agent;
  lode_tls_opts_t tls;
  int max_cached_sessions;
  /* Node: agent.on('keylog', (line, tlsSocket) => ...): one NSS key log
   * line (borrowed until the call returns) of a connection the agent
   * made. NULL: none (key logs are then not made at all). */
  void (*on_keylog)(lode_agent_t* agent, lode_slice_t line,
                    lode_tls_socket_t* t, void* arg);
  void* keylog_arg;
} lode_https_agent_opts_t;

/* Returns 0, UV_EINVAL, LODE_ERR_INVALID_ARG_VALUE or UV_ENOMEM, as
 * lode_agent_create. Destroy it with lode_agent_destroy. */
int lode_https_agent_create(uv_loop_t* loop,
                            const lode_https_agent_opts_t* opts,
                            lode_agent_t** out);

/* Node: https.globalAgent for `loop` (keepAlive, timeout 5000, as Node
 * 20's), made on first use; NULL when memory runs out. */
lode_agent_t* lode_https_global_agent(uv_loop_t* loop);

/* Node: https.Agent's getName(options): lode_agent_get_name's, then the
 * TLS options in Node's order, each after a ':' (empty when unset): ca,
 * cert, clientCertEngine (always empty), ciphers, key, pfx (in hex: Node
 * appends the Buffer as text), rejectUnauthorized ("true"/"false" when
 * set), servername (when not the host), minVersion, maxVersion,
 * secureProtocol, crl, honorCipherOrder, ecdhCurve, dhparam,
 * secureOptions, sessionIdContext, sigalgs (in double quotes),
 * privateKeyIdentifier, privateKeyEngine (always empty). `tls` may be
 * NULL. Writes at most cap bytes with a NUL; returns the length it needs
 * (0 when memory runs out). */
size_t lode_https_agent_get_name(const lode_agent_name_opts_t* opts,
                                 const lode_tls_opts_t* tls, char* out,
                                 size_t cap);

/* ===================================================================== *
 * Requests                                                               *
 * ===================================================================== */

/* Node: https.request's options: http.request's and tls.connect's.
 *   http.agent NULL: https.globalAgent; LODE_AGENT_FALSE: a new
 *     https.Agent for this request alone; an http.Agent fails (below).
 *   http.protocol / the URL's: "https:" unless given.
 *   tls: the connection's TLS options (copied during the call). As in
 *     Node the certificate is verified by default (reject_unauthorized)
 *     against `ca` or else the system's trust store, and the host name
 *     is checked; SNI is the host's unless it is an IP address. The
 *     agent's options win over these; connections are pooled by the
 *     name lode_https_agent_get_name gives. */
typedef struct lode_https_request_opts_s {
  lode_http_request_opts_t http;
  lode_tls_opts_t tls;
} lode_https_request_opts_t;

/* Node: https.request(url, options, callback): lode_http_request over
 * TLS, with its events and returns. A protocol other than the agent's
 * fails with LODE_ERR_INVALID_PROTOCOL, as Node's: an http: URL here
 * ('Protocol "http:" not supported. Expected "https:"'), and an https:
 * URL given to lode_http_request ('Protocol "https:" not supported.
 * Expected "http:"'). A certificate that does not verify is the
 * request's on_error with the TLS layer's error (LODE_ERR_TLS_CERT_VERIFY
 * named "DEPTH_ZERO_SELF_SIGNED_CERT", ..., or
 * LODE_ERR_TLS_CERT_ALTNAME_INVALID), then on_close. */
int lode_https_request(uv_loop_t* loop, const lode_https_request_opts_t* opts,
                       const lode_http_request_events_t* ev,
                       lode_http_request_t** out);
/* Node: https.get(...): lode_https_request with GET, then end(). */
int lode_https_get(uv_loop_t* loop, const lode_https_request_opts_t* opts,
                   const lode_http_request_events_t* ev,
                   lode_http_request_t** out);

#ifdef __cplusplus
}
#endif
#endif
