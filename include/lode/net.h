/* lode: Node's net module (net.Socket, net.Server, net.connect).
 * (Conventions for every header: the opening comment of lode.h.)
 *
 * Lifetime (every object here):
 *   - The library allocates sockets and servers; they are opaque.
 *   - An open object keeps itself alive. A pointer you were given stays
 *     valid until that object's on_close has returned. To keep it longer,
 *     lode_socket_hold() it and lode_socket_release() it later (memory
 *     references; Node's ref()/unref() are lode_socket_ref/unref).
 *   - destroy never frees on the spot. on_close is the last callback of an
 *     object and comes exactly once, asynchronously.
 *   - Any callback may destroy any object; the library re-checks state
 *     after every callback it makes.
 *
 * Events are typed tables (const, borrowed, must outlive the objects that
 * use them; normally static). A NULL slot is "no listener", and lode does
 * what Node does without one. An 'error' nobody listens to still destroys
 * the object; it never ends the process.
 *
 * A socket starts flowing: it reads from the kernel unless paused (or
 * created with pause_on_connect). Data that neither a stream reader nor
 * on_data/onread consumes is dropped, as in Node after resume() with no
 * 'data' listener.
 *
 * Sockets implement the duplex stream interface (lode/stream.h): the
 * stream's reader (HTTP, WebSocket) is told of each event before the
 * socket's own callbacks.
 *
 * Inside any libuv program: lode may be called from the application's own
 * libuv callbacks (timers, checks, asyncs) or before uv_run; what such a
 * call defers (write callbacks, 'drain', 'close') runs on the next turn of
 * the loop. While deferred calls wait, the loop does not block in poll and
 * stays alive; with none waiting, lode adds nothing to the loop.
 *
 * SIGPIPE: Node ignores it at start-up; lode does the same the first time
 * a socket or server is made in the process, if SIGPIPE still has its
 * default action (a handler or SIG_IGN set by the application is kept).
 * A write to a peer that reset then fails with EPIPE or ECONNRESET in
 * on_error instead of ending the process. */
#ifndef LODE_NET_H
#define LODE_NET_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>
#include "lode/abort.h"
#include "lode/buf.h"
#include "lode/errors.h"
#include "lode/options.h"
#include "lode/stream.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct lode_socket_s lode_socket_t;
typedef struct lode_server_s lode_server_t;

/* An address as Node's address() returns it: { address, family, port }.
 * For a Unix socket `address` is the path (a leading '@' stands for the
 * NUL of a Linux abstract name), family is "" and port 0. */
typedef struct lode_net_address_s {
  char address[110];
  char family[8]; /* "IPv4", "IPv6" or "" */
  int port;
} lode_net_address_t;

/* Per-call completion (Node's write/end/connect `callback`): status 0 or a
 * negative code. */
typedef void (*lode_socket_cb)(lode_socket_t* s, int status, void* arg);

/* ------------------------------------------------------------------ */
/* Events                                                              */

/* Node's net.Socket events. Order for a client, as in Node:
 *   lookup (host names only; one per address with autoSelectFamily),
 *   [connectionAttempt, connectionAttemptFailed/Timeout ...], connect,
 *   ready, data..., end, close(0)
 * and on failure: [lookup], error, close(1). Accepted sockets have no
 * lookup, connect or ready.
 * `data` is borrowed until the callback returns (decoded text after
 * lode_socket_set_encoding, raw bytes otherwise). `err` is borrowed. */
typedef struct lode_socket_events_s {
  void (*on_connect)(lode_socket_t* s);
  void (*on_ready)(lode_socket_t* s);
  void (*on_data)(lode_socket_t* s, lode_slice_t data);
  void (*on_end)(lode_socket_t* s);
  void (*on_drain)(lode_socket_t* s);
  void (*on_error)(lode_socket_t* s, const lode_error_t* err);
  void (*on_close)(lode_socket_t* s, int had_error);
  /* err 0 or a negative code; address/family the result; host asked. */
  void (*on_lookup)(lode_socket_t* s, int err, const char* address, int family,
                    const char* host);
  void (*on_timeout)(lode_socket_t* s);
  /* Happy eyeballs (autoSelectFamily). */
  void (*on_connection_attempt)(lode_socket_t* s, const char* ip, int port,
                                int family);
  void (*on_connection_attempt_failed)(lode_socket_t* s, const char* ip,
                                       int port, int family,
                                       const lode_error_t* err);
  void (*on_connection_attempt_timeout)(lode_socket_t* s, const char* ip,
                                        int port, int family);
} lode_socket_events_t;

/* Node's 'drop' event data. */
typedef struct lode_drop_s {
  const char* local_address;
  int local_port;
  const char* local_family;
  const char* remote_address;
  int remote_port;
  const char* remote_family;
} lode_drop_t;

/* Node's net.Server events.
 * on_connection receives an accepted socket that already uses the table
 * given in lode_server_opts_t.socket_events (change it with
 * lode_socket_set_events). The socket does not read before on_connection
 * returns, so a stream reader set there sees every byte. */
typedef struct lode_server_events_s {
  void (*on_connection)(lode_server_t* srv, lode_socket_t* s);
  void (*on_listening)(lode_server_t* srv);
  void (*on_error)(lode_server_t* srv, const lode_error_t* err);
  void (*on_close)(lode_server_t* srv);
  void (*on_drop)(lode_server_t* srv, const lode_drop_t* drop);
} lode_server_events_t;

/* ------------------------------------------------------------------ */
/* Sockets                                                             */

/* A custom DNS lookup (Node's `lookup` option). The library calls `fn`
 * (on the loop, after connect() returned) with a request; `fn` must call
 * lode_lookup_done(req, ...) exactly once, at once or later; the socket
 * stays allocated until then. `host` is borrowed until then. */
typedef struct lode_lookup_s lode_lookup_t;
typedef void (*lode_lookup_fn)(lode_lookup_t* req, const char* host, int family,
                               int hints, void* arg);
/* status 0 with `address` (an IP literal) and family 4 or 6, or a negative
 * code (UV_EAI_NONAME becomes Node's ENOTFOUND). */
void lode_lookup_done(lode_lookup_t* req, int status, const char* address,
                      int family);
/* The same with every address found (Node's lookup with `all: true`,
 * which a connect with autoSelectFamily asks for): addresses[i] of
 * families[i] (4 or 6), i < n. With one address it is lode_lookup_done. */
void lode_lookup_done_all(lode_lookup_t* req, int status,
                          const char* const* addresses, const int* families,
                          size_t n);

/* Node's `onread` option: reads go into `buffer` and `callback` instead of
 * 'data' events. Return 0 from callback to pause (Node: return false). */
typedef struct lode_onread_s {
  char* buffer;
  size_t len;
  int (*callback)(lode_socket_t* s, size_t nread, char* buf, void* arg);
  void* arg;
} lode_onread_t;

/* Options of new net.Socket(options), socket.connect(options) and
 * net.connect(options), in one bag (zero = Node's default). Which call
 * reads which field is marked; net.connect reads all. */
typedef struct lode_socket_opts_s {
  /* Constructor (lode_socket_create). */
  int has_fd; /* wrap `fd` (Node's fd option) */
  int fd;
  int readable; /* with fd: 0 = open (Node's behaviour), */
  int writable; /* -1 = that side closed from the start */
  int allow_half_open;
  lode_abort_signal_t* signal;
  const lode_onread_t* onread; /* copied */
  /* Connect (lode_socket_connect). */
  int port;         /* TCP: required (1..65535) */
  const char* host; /* NULL = "localhost" */
  const char* path; /* IPC instead of TCP; "\0name" abstract */
  size_t path_len;  /* 0 = strlen(path); needed for abstract names */
  int family;       /* 0, 4 or 6 (dns.lookup family) */
  int hints;        /* getaddrinfo ai_flags */
  const char* local_address;
  int local_port;
  lode_lookup_fn lookup; /* NULL = uv_getaddrinfo, Node's dns.lookup */
  void* lookup_arg;
  int keep_alive;
  unsigned keep_alive_initial_delay; /* ms */
  int no_delay;
  unsigned timeout; /* ms; Node's `timeout` option (setTimeout) */
  /* Node 23's blockList: connecting to a blocked address fails with
   * LODE_ERR_IP_BLOCKED (lode_net_addr.h; a reference is taken). */
  const struct lode_block_list_s* block_list;
  /* Happy eyeballs (Node's autoSelectFamily): 0 = the process default
   * (lode_net_get_default_auto_select_family, on), 1 = on, -1 = off. It
   * runs when family is 0, no local_address is set and the lookup gives
   * several addresses: 'lookup' fires for each, then the attempts with
   * their events, one at a time. */
  int auto_select_family;
  unsigned auto_select_family_attempt_timeout; /* ms; 0 = default 250 */
} lode_socket_opts_t;

/* Node: new net.Socket([options]). Makes an unconnected socket, or wraps
 * opts->fd. `opts` may be NULL and is read during the call; `ev` (may be
 * NULL) is borrowed. Calls nothing synchronously. A wrapped fd starts
 * reading at once (if readable).
 * Returns 0, UV_ENOMEM, UV_EINVAL, or LODE_ERR_INVALID_FD_TYPE. */
int lode_socket_create(uv_loop_t* loop, const lode_socket_opts_t* opts,
                       const lode_socket_events_t* ev, lode_socket_t** out);

/* Node: socket.connect(options[, connectListener]) and its path / port
 * forms. Reads the connect fields of `opts` during the call. `cb` runs once
 * on success, after on_connect (Node's connectListener), never on failure.
 * Lookup and connection failures arrive in on_error (then on_close(1)),
 * asynchronously. Returns 0, or a negative code for what Node throws:
 * LODE_ERR_SOCKET_BAD_PORT, LODE_ERR_INVALID_ARG_VALUE (family),
 * LODE_ERR_INVALID_IP_ADDRESS (local_address), LODE_ERR_MISSING_ARGS (no
 * port and no path); UV_EALREADY while connecting, UV_EISCONN when
 * connected, LODE_ERR_SOCKET_CLOSED after destroy, UV_EINVAL for a path
 * on a wrapped TCP fd (or the reverse). */
int lode_socket_connect(lode_socket_t* s, const lode_socket_opts_t* opts,
                        lode_socket_cb cb, void* arg);

/* Node: net.connect(options[, connectListener]), net.connect(port[, host]),
 * net.connect(path): create + connect. The socket pointer is valid as
 * soon as this returns 0; on a non-zero return nothing was created. */
int lode_net_connect(uv_loop_t* loop, const lode_socket_opts_t* opts,
                     const lode_socket_events_t* ev, lode_socket_t** out);
/* Node: net.createConnection(...); the same as lode_net_connect. */
int lode_net_create_connection(uv_loop_t* loop, const lode_socket_opts_t* opts,
                               const lode_socket_events_t* ev,
                               lode_socket_t** out);

/* Replaces the event table (borrowed; NULL = no listeners). */
void lode_socket_set_events(lode_socket_t* s, const lode_socket_events_t* ev);
const lode_socket_events_t* lode_socket_events(const lode_socket_t* s);
/* The user pointer (never touched by the library). */
void lode_socket_set_data(lode_socket_t* s, void* data);
void* lode_socket_get_data(const lode_socket_t* s);

/* Node: socket.write(data[, encoding][, callback]). Copies `data`.
 * Returns 1 while the queue is below the high-water mark (16 KiB unless the
 * server set highWaterMark) or empty, 0 when the writer should wait for
 * on_drain, or a negative code (then `cb` is not called). As in Node 20
 * the answer comes after the kernel was tried: what it took at once does
 * not count; the copy lode keeps of the rest of a write made while
 * connected and uncorked counts until the write's callback time, even
 * when libuv sends it sooner, as the copy lives until then (a writer going
 * on while this says 1 cannot pile copies up). `cb` runs once, always
 * asynchronously, with 0 or the error of the write.
 * Writing after end: returns 0; `cb` gets LODE_ERR_STREAM_WRITE_AFTER_END,
 * then on_error gets it and the socket is destroyed (as Node). Writing
 * while connecting queues the bytes until connected. */
int lode_socket_write(lode_socket_t* s, lode_slice_t data, lode_socket_cb cb,
                      void* arg);
/* The same for text in an encoding (Node: write(string, encoding)); an
 * unknown encoding gives LODE_ERR_UNKNOWN_ENCODING. */
int lode_socket_write_str(lode_socket_t* s, lode_slice_t text,
                          lode_encoding_t enc, lode_socket_cb cb, void* arg);
/* Zero-copy: takes a reference to each of `bufs` until written; the caller
 * keeps its own references. Same returns as lode_socket_write. */
int lode_socket_write_bytes(lode_socket_t* s, lode_bytes_t* const* bufs,
                            size_t nbufs, lode_socket_cb cb, void* arg);

/* Node: socket.end([data][, callback]). Writes `data` (may be empty),
 * then half-closes (FIN) after every queued write. `cb` runs once the FIN
 * is sent ('finish'), or with an error. Returns 0 or a negative code. */
int lode_socket_end(lode_socket_t* s, lode_slice_t data, lode_socket_cb cb,
                    void* arg);

/* Node: socket.destroy([error]). Closes now; `err` (borrowed, may be NULL)
 * goes to on_error, then on_close(had_error) follows; both asynchronous.
 * Destroying twice does nothing. */
void lode_socket_destroy(lode_socket_t* s, const lode_error_t* err);
/* The same with an error made from a code (0 = no error). */
void lode_socket_destroy_code(lode_socket_t* s, int code);
/* Node: socket.destroySoon(): end, and destroy once the writes are out. */
void lode_socket_destroy_soon(lode_socket_t* s);
/* Node: socket.resetAndDestroy(): closes with a TCP RST (peer sees
 * ECONNRESET). A socket that never connected is destroyed with
 * LODE_ERR_SOCKET_CLOSED. Returns 0 or LODE_ERR_INVALID_HANDLE_TYPE for a
 * Unix socket. */
int lode_socket_reset_and_destroy(lode_socket_t* s);

/* Node: socket.pause() / socket.resume(): stop and restart reading from
 * the kernel (a paused socket leaves data in the kernel, so the peer feels
 * backpressure). */
void lode_socket_pause(lode_socket_t* s);
void lode_socket_resume(lode_socket_t* s);
int lode_socket_is_paused(const lode_socket_t* s);

/* Node: socket.setEncoding([encoding]). LODE_ENC_BUFFER turns decoding
 * off. on_data then gets text (UTF-8 output for utf8/latin1/utf16le; hex
 * and base64 for those), never a broken character. Returns 0,
 * LODE_ERR_UNKNOWN_ENCODING for a value outside lode_encoding_t, or
 * UV_ENOMEM (the decoder is made on the first call). */
int lode_socket_set_encoding(lode_socket_t* s, lode_encoding_t enc);
/* Node: socket.setKeepAlive([enable][, initialDelay]) (delay in ms, used
 * in whole seconds as Node does; under 1000 the system's idle time stays).
 * Before connect the setting is kept and applied on connect. */
int lode_socket_set_keep_alive(lode_socket_t* s, int enable,
                               unsigned initial_delay_ms);
/* Node: socket.setNoDelay([noDelay]). */
int lode_socket_set_no_delay(lode_socket_t* s, int no_delay);
/* Node: socket.setTimeout(timeout[, callback]). 0 disables. on_timeout
 * (then `cb`, once) fires after `ms` of no reads or writes; the socket
 * stays open. `cb` NULL keeps a callback set earlier; with ms == 0 it is
 * removed. Above 2^31 - 1 ms it is clamped, as Node does. Precise to the
 * millisecond; one timer per loop. */
void lode_socket_set_timeout(lode_socket_t* s, unsigned ms, lode_socket_cb cb,
                             void* arg);
/* Node: socket.timeout (ms, 0 when none). */
unsigned lode_socket_timeout(const lode_socket_t* s);

/* Node: socket.ref() / socket.unref(): whether the socket holds the loop
 * open. */
void lode_socket_ref(lode_socket_t* s);
void lode_socket_unref(lode_socket_t* s);
/* Memory references (not Node's): keep the pointer valid past on_close. */
void lode_socket_hold(lode_socket_t* s);
void lode_socket_release(lode_socket_t* s);

/* Node: socket.address(): the local address. Returns 0 or a negative
 * code (UV_EBADF before connect). */
int lode_socket_address(lode_socket_t* s, lode_net_address_t* out);
/* Node: localAddress/localPort/localFamily, remoteAddress/remotePort/
 * remoteFamily. NULL (or 0) when unknown. Strings are owned by the socket
 * and valid until its on_close returns. */
const char* lode_socket_local_address(lode_socket_t* s);
int lode_socket_local_port(lode_socket_t* s);
const char* lode_socket_local_family(lode_socket_t* s);
const char* lode_socket_remote_address(lode_socket_t* s);
int lode_socket_remote_port(lode_socket_t* s);
const char* lode_socket_remote_family(lode_socket_t* s);

/* Node: bytesRead, bytesWritten (bytes accepted by write, sent or queued),
 * bufferSize (= writableLength: queued, not yet sent; 0 where Node's is
 * undefined, before connect and after destroy). All readable until the
 * socket is freed, as Node keeps them after 'close'. */
uint64_t lode_socket_bytes_read(const lode_socket_t* s);
uint64_t lode_socket_bytes_written(const lode_socket_t* s);
size_t lode_socket_buffer_size(const lode_socket_t* s);
/* Node: readyState: "opening", "open", "readOnly", "writeOnly", "closed".
 * As in Node, a new socket that has not connected reads "open" (it is
 * readable and writable) and a destroyed one "closed". */
const char* lode_socket_ready_state(const lode_socket_t* s);
/* Node: pending (not connected yet, or destroyed: Node's `!_handle ||
 * connecting`), connecting, destroyed. */
int lode_socket_pending(const lode_socket_t* s);
int lode_socket_connecting(const lode_socket_t* s);
int lode_socket_destroyed(const lode_socket_t* s);
/* Node: socket.autoSelectFamilyAttemptedAddresses, "ip:port" joined by
 * ',' ("" when happy eyeballs did not run). Owned by the socket. */
const char* lode_socket_auto_select_family_attempted_addresses(
    const lode_socket_t* s);

/* The socket as a duplex stream (the stream's reader sees events first),
 * and back: NULL when the stream is not a lode socket. */
lode_stream_t* lode_socket_stream(lode_socket_t* s);
lode_socket_t* lode_socket_from_stream(lode_stream_t* st);
uv_loop_t* lode_socket_loop(const lode_socket_t* s);
/* The server that accepted the socket, or NULL. */
lode_server_t* lode_socket_server(const lode_socket_t* s);

/* ------------------------------------------------------------------ */
/* Servers                                                             */

/* Node: net.createServer(options) options (zero = Node's defaults). */
typedef struct lode_server_opts_s {
  int allow_half_open;
  size_t high_water_mark; /* accepted sockets' write hwm; 0 = 16 KiB */
  int keep_alive;
  unsigned keep_alive_initial_delay; /* ms */
  int no_delay;
  int pause_on_connect;
  /* The event table every accepted socket starts with (may be NULL). */
  const lode_socket_events_t* socket_events;
  /* Node 23's blockList: connections from blocked addresses are closed at
   * once, without 'connection' (a reference is taken). */
  const struct lode_block_list_s* block_list;
} lode_server_opts_t;

/* Node: net.createServer([options][, connectionListener]) and
 * new net.Server(). `opts` (may be NULL) is read during the call; `ev`
 * is borrowed. Calls nothing. Returns 0 or UV_ENOMEM.
 * The server lives until its on_close has returned after lode_server_close
 * (listen again from on_close, or hold it, to reuse it). */
int lode_net_create_server(uv_loop_t* loop, const lode_server_opts_t* opts,
                           const lode_server_events_t* ev, lode_server_t** out);

typedef void (*lode_server_cb)(lode_server_t* srv, int status, void* arg);

/* Node: server.listen(options[, callback]) and every positional form.
 * TCP: `port` (0 = any) on `host`; no host means "::" with dual stack, or
 * "0.0.0.0" where IPv6 is missing. A host name is looked up first.
 * IPC: `path` (path_len for abstract names starting with NUL). */
typedef struct lode_listen_opts_s {
  int port;
  const char* host;
  const char* path;
  size_t path_len;
  int backlog; /* 0 = 511 */
  int ipv6_only;
  int reuse_port;   /* SO_REUSEPORT: several loops share a port */
  int readable_all; /* IPC: chmod the socket file readable by all */
  int writable_all;
  /* Node's cluster flag; lode has no cluster, so every listen is
   * exclusive and this field changes nothing. */
  int exclusive;
  lode_abort_signal_t* signal; /* aborting closes the server */
} lode_listen_opts_t;

/* Starts listening. Node: server.listen(...).
 * `cb` (may be NULL) runs once after on_listening, asynchronously, with
 * status 0 (Node adds it as a 'listening' listener; a listen that fails
 * or is closed first never calls it). Bind and listen
 * failures (EADDRINUSE, EACCES, ENOTFOUND for the host) arrive in on_error
 * asynchronously, then the server may listen again; with no on_error the
 * server closes instead (on_close follows). Accept errors other than
 * EMFILE/ENFILE (which libuv absorbs) go to on_error only if it is set;
 * they never stop a listening server.
 * A path longer than a Unix socket address holds fails with ENAMETOOLONG
 * in on_error (lode never truncates it).
 * Returns 0, LODE_ERR_SERVER_ALREADY_LISTEN or LODE_ERR_SOCKET_BAD_PORT. */
int lode_server_listen(lode_server_t* srv, const lode_listen_opts_t* opts,
                       lode_server_cb cb, void* arg);
/* Node: server.listen(handle[, backlog][, callback]) with { fd }: listens
 * on an already bound TCP or Unix socket fd (taken over by the server). */
int lode_server_listen_fd(lode_server_t* srv, int fd, int backlog,
                          lode_server_cb cb, void* arg);

/* Node: server.close([callback]). Stops accepting now; on_close (then `cb`)
 * fires once every accepted connection has closed. When the server was
 * not listening, `cb` gets LODE_ERR_SERVER_NOT_RUNNING (on_close still
 * fires, as in Node). Asynchronous. The socket file of a path server is
 * removed. After on_close and the callbacks have returned the server is
 * freed, unless one of them listened again or a hold is taken. Returns 0,
 * LODE_ERR_SERVER_NOT_RUNNING when it was not listening (as the HTTP
 * server's close; the close still happens), or UV_ENOMEM (nothing done,
 * `cb` not called). */
int lode_server_close(lode_server_t* srv, lode_server_cb cb, void* arg);

/* Node: server.address(). Returns 0, or UV_ENOTCONN when not listening
 * (Node returns null). */
int lode_server_address(lode_server_t* srv, lode_net_address_t* out);
/* Node: server.getConnections(callback): the count, synchronously. */
int lode_server_get_connections(const lode_server_t* srv);
/* Node: server.listening. */
int lode_server_listening(const lode_server_t* srv);
/* Node: server.maxConnections. n < 0 means no limit (Node's default,
 * undefined); 0 drops every connection. Dropped connections are closed at
 * once and reported in on_drop. */
void lode_server_set_max_connections(lode_server_t* srv, int n);
int lode_server_max_connections(const lode_server_t* srv);
/* Node: server.dropMaxConnection. Only affects cluster mode in Node; lode
 * keeps the flag and always drops over the limit. */
void lode_server_set_drop_max_connection(lode_server_t* srv, int drop);
int lode_server_drop_max_connection(const lode_server_t* srv);
/* Node: server.ref() / server.unref(). */
void lode_server_ref(lode_server_t* srv);
void lode_server_unref(lode_server_t* srv);
/* Memory references. */
void lode_server_hold(lode_server_t* srv);
void lode_server_release(lode_server_t* srv);
void lode_server_set_events(lode_server_t* srv, const lode_server_events_t* ev);
void lode_server_set_data(lode_server_t* srv, void* data);
void* lode_server_get_data(const lode_server_t* srv);
uv_loop_t* lode_server_loop(const lode_server_t* srv);

#ifdef __cplusplus
}
#endif
#endif
