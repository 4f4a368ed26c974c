/* lode: Node's http module.
 * (Conventions for every header: the opening comment of lode.h.)
 *
 * Sections: common pieces (METHODS, STATUS_CODES, header validation),
 * IncomingMessage, OutgoingMessage (shared by ServerResponse and
 * ClientRequest), ServerResponse, Server. The HTTP client has its own
 * section at the end.
 *
 * Lifetime (see docs/design.md and docs/lifetime.md): every object here
 * is allocated by the library.
 * A pointer handed to a callback stays valid until that object's on_close
 * has returned; lode_http_*_hold/release keep one longer. Any callback may
 * end or destroy any object: the library re-checks state afterwards.
 *
 * Strings: names and values passed in are copied during the call (they are
 * NUL-terminated C strings); strings handed out are NUL-terminated and
 * owned by the object they come from (valid until its on_close returns).
 *
 * Name/value arrays, given and returned, are NULL-terminated with no count:
 * { "Content-Type", "text/plain", "X-A", "1", NULL }. A name whose value
 * is NULL is an error (LODE_ERR_HTTP_INVALID_HEADER_VALUE), so a missing
 * value can never be read past. */
#ifndef LODE_HTTP_H
#define LODE_HTTP_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>
#include "lode/buf.h"
#include "lode/errors.h"
#include "lode/net.h"
#include "lode/stream.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ===================================================================== *
 * Common                                                                 *
 * ===================================================================== */

/* Node: http.METHODS. The methods the parser accepts, sorted as Node sorts
 * them; *count receives their number. The array is static. */
const char* const* lode_http_methods(size_t* count);

/* Node: http.STATUS_CODES[code]. The reason phrase, or NULL for a code
 * Node does not name. Static. */
const char* lode_http_status_text(int code);

/* Node: http.maxHeaderSize (16384): the default maxHeaderSize. */
size_t lode_http_max_header_size(void);

/* Node: http.validateHeaderName(name[, label]). Returns 0, or
 * LODE_ERR_INVALID_HTTP_TOKEN when `name` is NULL, empty or not a token. */
int lode_http_validate_header_name(const char* name);

/* Node: http.validateHeaderValue(name, value). Returns 0,
 * LODE_ERR_HTTP_INVALID_HEADER_VALUE for a NULL value (Node's undefined),
 * or LODE_ERR_INVALID_CHAR for a byte outside \t, 0x20-0x7e, 0x80-0xff. */
int lode_http_validate_header_value(const char* name, const char* value);

/* Node: http.setMaxIdleHTTPParsers(max) (default 1000): how many idle
 * parsers each server keeps for reuse (a connection holds one only while
 * a message is being read). Process-wide; set it before servers run in
 * other threads. Returns 0, or LODE_ERR_OUT_OF_RANGE for max < 1. */
int lode_http_set_max_idle_http_parsers(int max);

/* ===================================================================== *
 * IncomingMessage (a server's request; a client's response)              *
 * ===================================================================== */

typedef struct lode_http_incoming_s lode_http_incoming_t;

/* Node: message's events. Every slot may be NULL. With on_data NULL the
 * body is not consumed (Node's paused stream: up to 16 KiB is buffered,
 * then the connection stops reading) until a table with on_data is set or
 * the response finishes (then the rest of the body is discarded, as in
 * Node's req._dump()). `chunk` is borrowed until the callback returns. */
/* A per-call completion on a message (setTimeout's `callback`): status 0
 * or a negative error code. */
typedef void (*lode_http_incoming_cb)(lode_http_incoming_t* msg, int status,
                                      void* arg);

typedef struct lode_http_incoming_events_s {
  void (*on_data)(lode_http_incoming_t* msg, lode_slice_t chunk);
  void (*on_end)(lode_http_incoming_t* msg);
  /* Node: 'aborted' (the connection closed before the body ended). */
  void (*on_aborted)(lode_http_incoming_t* msg);
  /* ECONNRESET "aborted" after on_aborted, or what destroy() was given. */
  void (*on_error)(lode_http_incoming_t* msg, const lode_error_t* err);
  /* Node: message.setTimeout's 'timeout'. */
  void (*on_timeout)(lode_http_incoming_t* msg);
  void (*on_close)(lode_http_incoming_t* msg);
} lode_http_incoming_events_t;

/* Sets the event table (borrowed: it must outlive the message; normally a
 * static const). Setting one with on_data starts the flow of the body,
 * buffered bytes first (asynchronously), unless paused. */
void lode_http_incoming_set_events(lode_http_incoming_t* msg,
                                   const lode_http_incoming_events_t* ev);
void lode_http_incoming_set_data(lode_http_incoming_t* msg, void* data);
void* lode_http_incoming_get_data(const lode_http_incoming_t* msg);

/* Memory references (not Node's ref/unref): hold keeps the object
 * allocated after its on_close; release drops the hold. */
void lode_http_incoming_hold(lode_http_incoming_t* msg);
void lode_http_incoming_release(lode_http_incoming_t* msg);

/* Node: message.method ("GET"), message.url (the request target as sent),
 * message.httpVersion ("1.1"), httpVersionMajor/Minor. For a client's
 * response, method and url are NULL. */
const char* lode_http_incoming_method(const lode_http_incoming_t* msg);
const char* lode_http_incoming_url(const lode_http_incoming_t* msg);
const char* lode_http_incoming_http_version(const lode_http_incoming_t* msg);
int lode_http_incoming_http_version_major(const lode_http_incoming_t* msg);
int lode_http_incoming_http_version_minor(const lode_http_incoming_t* msg);

/* Node: message.statusCode, message.statusMessage (client responses; 0 and
 * NULL on a server's request). */
int lode_http_incoming_status_code(const lode_http_incoming_t* msg);
const char* lode_http_incoming_status_message(const lode_http_incoming_t* msg);

/* Node: message.headers. Entry i of the object as Node builds it: names
 * lowercased, duplicates joined by Node's rules (", " for most, "; " for
 * cookie, first value kept for the single-valued ones such as
 * content-type, all kept with joinDuplicateHeaders), in first-seen order.
 * set-cookie (an array in Node) has one entry per value. Returns the
 * count; `name`/`value` may be NULL. */
size_t lode_http_incoming_headers_count(const lode_http_incoming_t* msg);
void lode_http_incoming_headers_at(const lode_http_incoming_t* msg, size_t i,
                                   const char** name, const char** value);
/* Node: message.headers[name] (name in any case), or NULL. For set-cookie,
 * the first value. */
const char* lode_http_incoming_header(const lode_http_incoming_t* msg,
                                      const char* name);

/* Node: message.headersDistinct[name]: every value of `name` in arrival
 * order. Writes up to `cap` pointers to `out`; returns how many exist. */
size_t lode_http_incoming_header_distinct(const lode_http_incoming_t* msg,
                                          const char* name, const char** out,
                                          size_t cap);

/* Node: message.rawHeaders: names and values alternating, as received,
 * NULL-terminated (see the header's opening comment). Writes the number
 * of pairs to *npairs (may be NULL). Owned by the message. */
const char* const* lode_http_incoming_raw_headers(
    const lode_http_incoming_t* msg, size_t* npairs);

/* Node: message.trailers / rawTrailers / trailersDistinct, filled when the
 * body has ended (empty before). Same shapes as the header accessors. */
size_t lode_http_incoming_trailers_count(const lode_http_incoming_t* msg);
void lode_http_incoming_trailers_at(const lode_http_incoming_t* msg, size_t i,
                                    const char** name, const char** value);
const char* lode_http_incoming_trailer(const lode_http_incoming_t* msg,
                                       const char* name);
size_t lode_http_incoming_trailer_distinct(const lode_http_incoming_t* msg,
                                           const char* name, const char** out,
                                           size_t cap);
/* Node: message.rawTrailers, as lode_http_incoming_raw_headers. */
const char* const* lode_http_incoming_raw_trailers(
    const lode_http_incoming_t* msg, size_t* npairs);

/* Node: message.complete (the whole message arrived), message.aborted. */
int lode_http_incoming_complete(const lode_http_incoming_t* msg);
int lode_http_incoming_aborted(const lode_http_incoming_t* msg);

/* Node: message.socket / message.connection: the stream the message came
 * on (NULL once the connection is gone). */
lode_stream_t* lode_http_incoming_socket(const lode_http_incoming_t* msg);

/* Node: message.pause() / message.resume(). Pausing stops reading the
 * connection once 16 KiB of body is buffered; resume delivers the buffered
 * bytes asynchronously, then reads again. Resuming with no on_data
 * discards the body (Node's resume() with no 'data' listener). */
void lode_http_incoming_pause(lode_http_incoming_t* msg);
void lode_http_incoming_resume(lode_http_incoming_t* msg);
int lode_http_incoming_is_paused(const lode_http_incoming_t* msg);

/* Node: message.setEncoding(enc): body chunks arrive as text in `enc`
 * (a multi-byte character is never split). LODE_ENC_BUFFER undoes it. */
void lode_http_incoming_set_encoding(lode_http_incoming_t* msg,
                                     lode_encoding_t enc);

/* Node: message.destroy([error]). Nothing is called back from inside the
 * call; on the next tick, as Node: on_aborted when the body was not read
 * to its end (and then the connection under a server's request is
 * destroyed, as Node destroys req.socket), on_error with a copy of `err`
 * (borrowed; may be NULL), then on_close. No body byte comes after the
 * call, even one already read. (A client's response whose last byte
 * comes in the same read as the call still ends, after on_aborted, as
 * Node's does.) */
void lode_http_incoming_destroy(lode_http_incoming_t* msg,
                                const lode_error_t* err);

/* Node: message.setTimeout(msecs[, callback]): an idle timeout on the
 * connection (0 disables). On expiry, while the message is not complete,
 * on_timeout and then `cb` run (Node's 'timeout' listeners); with no
 * listener on the request, its response or the server, the connection is
 * destroyed. `cb` (may be NULL: keep the one set before) replaces an
 * earlier callback. On a server's request; a client's response takes the
 * timeout but only on_timeout is called; `cb`'s status is 0. Returns 0. */
int lode_http_incoming_set_timeout(lode_http_incoming_t* msg, uint64_t msecs,
                                   lode_http_incoming_cb cb, void* arg);

/* The whole body in one callback: what undici's body.arrayBuffer() and
 * Express's body parsers give Node users, for a server's request or a
 * client's response. Takes the message's events over (the collector is
 * its reader; do not set events after) and calls `cb` exactly once:
 *   - status 0 and the body (borrowed: valid until cb returns; copy it to
 *     keep it) after the last byte;
 *   - LODE_ERR_HTTP_BODY_TOO_LARGE as soon as the body passes `limit`
 *     bytes (the rest is read and dropped, so answering 413 from cb is
 *     safe: the request still ends and closes in order, and the connection
 *     can be kept);
 *   - the message's own error, LODE_ERR_HTTP_CLIENT_ABORTED when it was
 *     aborted or closed first, or UV_ENOMEM; the body is then empty.
 * Returns 0, LODE_ERR_INVALID_ARG_TYPE (cb NULL) or LODE_ERR_INVALID_STATE
 * (already collecting, or the body has ended or been discarded). */
typedef void (*lode_http_collect_cb)(lode_http_incoming_t* msg, int status,
                                     lode_slice_t body, void* arg);
int lode_http_incoming_collect(lode_http_incoming_t* msg, size_t limit,
                               lode_http_collect_cb cb, void* arg);

/* ===================================================================== *
 * OutgoingMessage (base of ServerResponse and ClientRequest)             *
 * ===================================================================== */

typedef struct lode_http_outgoing_s lode_http_outgoing_t;

/* A per-call completion (Node's write/end `callback`). */
typedef void (*lode_http_outgoing_cb)(lode_http_outgoing_t* msg, int status,
                                      void* arg);

/* Node: OutgoingMessage's events. Every slot may be NULL. Order: prefinish
 * (when end() has queued the last bytes), finish (when they are handed to
 * the connection), close (last, once). on_error: an error Node emits (for
 * example write after end, sent asynchronously). */
typedef struct lode_http_outgoing_events_s {
  void (*on_drain)(lode_http_outgoing_t* msg);
  void (*on_prefinish)(lode_http_outgoing_t* msg);
  void (*on_finish)(lode_http_outgoing_t* msg);
  void (*on_error)(lode_http_outgoing_t* msg, const lode_error_t* err);
  void (*on_timeout)(lode_http_outgoing_t* msg);
  void (*on_close)(lode_http_outgoing_t* msg);
} lode_http_outgoing_events_t;

void lode_http_outgoing_set_events(lode_http_outgoing_t* msg,
                                   const lode_http_outgoing_events_t* ev);
void lode_http_outgoing_set_data(lode_http_outgoing_t* msg, void* data);
void* lode_http_outgoing_get_data(const lode_http_outgoing_t* msg);
void lode_http_outgoing_hold(lode_http_outgoing_t* msg);
void lode_http_outgoing_release(lode_http_outgoing_t* msg);

/* Node: setHeader(name, value), with a string value. Replaces any values
 * of `name` (any case); the name keeps its case on the wire. Returns 0,
 * LODE_ERR_HTTP_HEADERS_SENT, LODE_ERR_INVALID_HTTP_TOKEN,
 * LODE_ERR_HTTP_INVALID_HEADER_VALUE, LODE_ERR_INVALID_CHAR or UV_ENOMEM. */
int lode_http_outgoing_set_header(lode_http_outgoing_t* msg, const char* name,
                                  const char* value);
/* Node: setHeader(name, [v1, v2, ...]): one header line per value (joined
 * with "; " for Cookie and for uniqueHeaders names). */
int lode_http_outgoing_set_header_values(lode_http_outgoing_t* msg,
                                         const char* name,
                                         const char* const* values, size_t n);
/* Node: appendHeader(name, value). Same returns as setHeader. */
int lode_http_outgoing_append_header(lode_http_outgoing_t* msg,
                                     const char* name, const char* value);
/* Node: setHeaders(headers): a sequence of setHeader calls, with every
 * set-cookie value gathered into one array (as Node does for a Headers or
 * Map). `pairs` is a NULL-terminated name/value array. */
int lode_http_outgoing_set_headers(lode_http_outgoing_t* msg,
                                   const char* const* pairs);
/* Node: getHeader(name): the first value or NULL; the count of values (an
 * array's length in Node; 1 for a string) goes to *count if not NULL. */
const char* lode_http_outgoing_get_header(const lode_http_outgoing_t* msg,
                                          const char* name, size_t* count);
/* Value i of header `name` (NULL when out of range). */
const char* lode_http_outgoing_get_header_value(const lode_http_outgoing_t* msg,
                                                const char* name, size_t i);
/* Node: hasHeader(name). */
int lode_http_outgoing_has_header(const lode_http_outgoing_t* msg,
                                  const char* name);
/* Node: removeHeader(name). Returns 0 or LODE_ERR_HTTP_HEADERS_SENT. */
int lode_http_outgoing_remove_header(lode_http_outgoing_t* msg,
                                     const char* name);
/* Node: getHeaderNames() (lowercase) / getRawHeaderNames() / getHeaders():
 * header i in insertion order. Returns the count. */
size_t lode_http_outgoing_header_count(const lode_http_outgoing_t* msg);
const char* lode_http_outgoing_header_name(const lode_http_outgoing_t* msg,
                                           size_t i);
const char* lode_http_outgoing_raw_header_name(const lode_http_outgoing_t* msg,
                                               size_t i);

/* Node: headersSent, writableEnded (end() called), writableFinished
 * (finish emitted), finished (= writableEnded), writableLength (bytes
 * queued here and in the connection), writableHighWaterMark (a
 * response's: the server's highWaterMark, 16384 by default),
 * writableCorked, writableObjectMode (always 0). */
int lode_http_outgoing_headers_sent(const lode_http_outgoing_t* msg);
int lode_http_outgoing_writable_ended(const lode_http_outgoing_t* msg);
int lode_http_outgoing_writable_finished(const lode_http_outgoing_t* msg);
size_t lode_http_outgoing_writable_length(const lode_http_outgoing_t* msg);
size_t lode_http_outgoing_writable_high_water_mark(
    const lode_http_outgoing_t* msg);
int lode_http_outgoing_writable_corked(const lode_http_outgoing_t* msg);

/* Node: write(chunk[, encoding][, callback]). Copies `chunk`. Sends the
 * header block first if not yet sent, frames the chunk for chunked
 * encoding. Returns 1 when under the high-water mark, 0 when the caller
 * should wait for on_drain, or a negative code (nothing written):
 * LODE_ERR_HTTP_CONTENT_LENGTH_MISMATCH (strictContentLength),
 * LODE_ERR_HTTP_BODY_NOT_ALLOWED (rejectNonStandardBodyWrites). Write
 * after end gives 0, and LODE_ERR_STREAM_WRITE_AFTER_END goes to `cb` and
 * on_error asynchronously, as in Node. `cb` may be NULL; when the call
 * returns >= 0 it runs exactly once, with LODE_ERR_STREAM_DESTROYED if
 * the message goes before the bytes are written (Node drops such
 * callbacks); on a negative return (UV_ENOMEM: nothing was written) it
 * never runs. */
int lode_http_outgoing_write(lode_http_outgoing_t* msg, lode_slice_t chunk,
                             lode_http_outgoing_cb cb, void* arg);
/* Node: end([data][, callback]). `chunk` may be {NULL, 0}. With no header
 * sent yet and a known length, sends Content-Length. `cb` runs at finish,
 * or with LODE_ERR_STREAM_DESTROYED before 'close' when the message goes
 * unfinished (out of memory, the end could not be queued: the message is
 * destroyed with UV_ENOMEM and 0 returned). Returns 0 or a negative code
 * as for write. */
int lode_http_outgoing_end(lode_http_outgoing_t* msg, lode_slice_t chunk,
                           lode_http_outgoing_cb cb, void* arg);
/* Node: write(string, encoding[, callback]) and end(string, encoding[,
 * callback]): `text` is read as the JavaScript string Node would get and
 * turned into bytes in `enc` (lode_decode: "hex", "base64", "latin1", ...;
 * LODE_ENC_UTF8 and LODE_ENC_BUFFER take the bytes as they are), then
 * written as by lode_http_outgoing_write / _end, with the same returns and
 * callbacks; Content-Length counts the bytes. LODE_ERR_UNKNOWN_ENCODING
 * for a value outside lode_encoding_t (nothing written). */
int lode_http_outgoing_write_str(lode_http_outgoing_t* msg, lode_slice_t text,
                                 lode_encoding_t enc, lode_http_outgoing_cb cb,
                                 void* arg);
int lode_http_outgoing_end_str(lode_http_outgoing_t* msg, lode_slice_t text,
                               lode_encoding_t enc, lode_http_outgoing_cb cb,
                               void* arg);
/* Node: flushHeaders(). */
void lode_http_outgoing_flush_headers(lode_http_outgoing_t* msg);
/* Node: cork() / uncork(): writes collect until the matching uncork. */
void lode_http_outgoing_cork(lode_http_outgoing_t* msg);
void lode_http_outgoing_uncork(lode_http_outgoing_t* msg);
/* Node: addTrailers(headers): a NULL-terminated name/value array, sent
 * after the last chunk. Returns 0, LODE_ERR_INVALID_HTTP_TOKEN or
 * LODE_ERR_INVALID_CHAR. */
int lode_http_outgoing_add_trailers(lode_http_outgoing_t* msg,
                                    const char* const* pairs);
/* Node: destroy([error]): destroys the connection under the message. */
void lode_http_outgoing_destroy(lode_http_outgoing_t* msg,
                                const lode_error_t* err);
/* Node: socket / connection (NULL when detached). */
lode_stream_t* lode_http_outgoing_socket(const lode_http_outgoing_t* msg);
/* Node: setTimeout(msecs[, callback]): see lode_http_incoming_set_timeout;
 * expiry calls this message's on_timeout, then `cb` (may be NULL: keep the
 * one set before). For a ClientRequest, lode_http_request_set_timeout
 * takes the callback. `cb`'s status is 0. Returns 0. */
int lode_http_outgoing_set_timeout(lode_http_outgoing_t* msg, uint64_t msecs,
                                   lode_http_outgoing_cb cb, void* arg);
/* Node: outgoingMessage.pipe(): an OutgoingMessage is not readable.
 * Returns LODE_ERR_STREAM_CANNOT_PIPE. */
int lode_http_outgoing_pipe(lode_http_outgoing_t* msg);

/* ===================================================================== *
 * Bodies as streams (docs/streams.md)                                    *
 * ===================================================================== */

/* The message's body as a readable lode_stream_t, for lode_stream_pipe and
 * lode_stream_pipeline (Node pipes the message itself): the stream emits
 * the body's data and end, the message's error, and close with the
 * message's close; pause/resume are the message's (a paused server
 * request stops reading its connection once 16 KiB are held). write and
 * end return LODE_ERR_METHOD_NOT_IMPLEMENTED; destroy is the message's
 * destroy, on a later turn. The stream's reader hears each event before
 * the message's own callbacks, which keep working (a table set later with
 * lode_http_incoming_set_events goes behind the stream). A message with
 * no on_data stays paused until the stream is resumed (a pipe does it).
 * A body that had already ended gives the stream its end on a later turn
 * (so a pipe made then still ends its destination, as Node's does).
 * One stream per message (a second call returns the same); it belongs to
 * the message: valid until its on_close has returned (hold it to keep it
 * longer). NULL when the message has closed, is being collected
 * (lode_http_incoming_collect), or memory runs out. */
lode_stream_t* lode_http_incoming_stream(lode_http_incoming_t* msg);

/* An OutgoingMessage (a ServerResponse or a ClientRequest) as a writable
 * lode_stream_t: write and end are lode_http_outgoing_write / _end (the
 * header is sent first as they send it; set it before the first write),
 * with their returns, except end() after the finish returns
 * LODE_ERR_STREAM_ALREADY_FINISHED and calls after the message's close
 * LODE_ERR_STREAM_DESTROYED; end's callback comes at 'finish'. The stream
 * emits the message's drain, error and close (a request's from its
 * lode_http_request_events_t, which keep being called after the
 * stream's reader). writable_length, cork and uncork are the message's;
 * destroy is the message's destroy, on a later turn; pause/resume do
 * nothing. A table set later (lode_http_outgoing_set_events, or for a
 * request lode_http_request_set_events) goes behind the stream. One
 * stream per message, owned by it as lode_http_incoming_stream's. NULL
 * when the message has closed or memory runs out. */
lode_stream_t* lode_http_outgoing_stream(lode_http_outgoing_t* msg);

/* ===================================================================== *
 * ServerResponse                                                         *
 * ===================================================================== */

/* A ServerResponse is an OutgoingMessage: every lode_http_outgoing_*
 * function takes it as it is. */
typedef lode_http_outgoing_t lode_http_response_t;

/* The ServerResponse of a server's request (Node keeps it reachable as
 * req.res in Express; here for body callbacks that get only the request),
 * or NULL for a client's response and once the response is gone (after
 * its on_close). Owned by the server. */
lode_http_response_t* lode_http_incoming_response(
    const lode_http_incoming_t* msg);

/* Node: response.statusCode (default 200) and response.statusMessage
 * (NULL: Node's STATUS_CODES text, or "unknown"). Set before the header
 * is sent. set_status_code returns 0 or LODE_ERR_HTTP_INVALID_STATUS_CODE
 * when the header block is built (checked there, as in Node). */
int lode_http_response_status_code(const lode_http_response_t* res);
void lode_http_response_set_status_code(lode_http_response_t* res, int code);
const char* lode_http_response_status_message(const lode_http_response_t* res);
int lode_http_response_set_status_message(lode_http_response_t* res,
                                          const char* msg);

/* Node: response.writeHead(statusCode[, statusMessage][, headers]).
 * `message` may be NULL; `pairs` is a NULL-terminated name/value array
 * (may be NULL), each pair applied with setHeader. Returns 0, LODE_ERR_HTTP_HEADERS_SENT,
 * LODE_ERR_HTTP_INVALID_STATUS_CODE, LODE_ERR_INVALID_CHAR (status
 * message), or a setHeader error. */
int lode_http_response_write_head(lode_http_response_t* res, int status,
                                  const char* message,
                                  const char* const* pairs);

/* Node: response.writeContinue() / writeProcessing(): "HTTP/1.1 100
 * Continue" / "102 Processing" right away. */
void lode_http_response_write_continue(lode_http_response_t* res);
void lode_http_response_write_processing(lode_http_response_t* res);
/* Node: response.writeEarlyHints(hints[, callback]): a 103 with the Link
 * values (`links`, a NULL-terminated list, joined by ", ") and the
 * NULL-terminated name/value array `pairs` (may be NULL), in one write. Nothing is sent (and `cb` is not called) without
 * links. `cb` (may be NULL) runs asynchronously once the 103 is written,
 * with 0 or the write's error; not at all if the connection is destroyed
 * first (as Node's _writeRaw). Returns 0, or LODE_ERR_INVALID_ARG_VALUE
 * for a bad link / LODE_ERR_INVALID_CHAR for a bad value (where Node
 * would send the bytes as they are; nothing is sent). */
int lode_http_response_write_early_hints(lode_http_response_t* res,
                                         const char* const* links,
                                         const char* const* pairs,
                                         lode_http_outgoing_cb cb, void* arg);

/* Node: response.sendDate (default 1). */
void lode_http_response_set_send_date(lode_http_response_t* res, int on);
int lode_http_response_send_date(const lode_http_response_t* res);
/* Node: response.strictContentLength (default 0). */
void lode_http_response_set_strict_content_length(lode_http_response_t* res,
                                                  int on);
/* Node: response.req. */
lode_http_incoming_t* lode_http_response_req(const lode_http_response_t* res);

/* ===================================================================== *
 * Server                                                                 *
 * ===================================================================== */

typedef struct lode_http_server_s lode_http_server_t;

/* Node: http.createServer's options. Zero means Node's default. A timeout
 * that should be 0 (disabled) is asked for with LODE_HTTP_TIMEOUT_NONE. */
#define LODE_HTTP_TIMEOUT_NONE UINT64_MAX
typedef struct lode_http_server_opts_s {
  uint64_t headers_timeout;               /* 0: min(60000, request_timeout) */
  uint64_t request_timeout;               /* 0: 300000 */
  uint64_t keep_alive_timeout;            /* 0: 5000 */
  uint64_t connections_checking_interval; /* 0: 30000 */
  size_t max_header_size;                 /* 0: 16384 */
  int insecure_http_parser;               /* lenient parsing */
  int join_duplicate_headers;
  int reject_non_standard_body_writes;
  int require_host_header; /* tri-state (lode/options.h): true */
  int no_delay;            /* tri-state: true */
  int keep_alive;          /* TCP keep-alive on accepted sockets */
  unsigned keep_alive_initial_delay;
  size_t high_water_mark;            /* 0: 16384 */
  const char* const* unique_headers; /* NULL-terminated, or NULL */
} lode_http_server_opts_t;

/* Node: http.Server's events. Every slot may be NULL, with Node's
 * behaviour for no listener:
 *   on_request NULL: requests are answered by nobody (they hang, as in
 *     Node; close the server or set a timeout).
 *   on_check_continue NULL: "100 Continue" is sent, then on_request.
 *   on_check_expectation NULL: 417 and the connection goes on.
 *   on_client_error NULL: 400 / 431 / 413 / 408 with Connection: close
 *     (when nothing was sent yet), then the connection is destroyed. With
 *     it, the user must end or destroy `socket`.
 *   on_upgrade NULL: an Upgrade request is an ordinary request.
 *   on_connect NULL: a CONNECT request's connection is destroyed.
 *   on_timeout NULL: the idle connection is destroyed.
 * In on_upgrade/on_connect the stream becomes the user's (the server no
 * longer reads it or counts it); `req` is valid until the callback
 * returns; `head` holds the bytes that followed the request head. */
typedef struct lode_http_server_events_s {
  void (*on_request)(lode_http_server_t* srv, lode_http_incoming_t* req,
                     lode_http_response_t* res);
  void (*on_check_continue)(lode_http_server_t* srv, lode_http_incoming_t* req,
                            lode_http_response_t* res);
  void (*on_check_expectation)(lode_http_server_t* srv,
                               lode_http_incoming_t* req,
                               lode_http_response_t* res);
  void (*on_client_error)(lode_http_server_t* srv, const lode_error_t* err,
                          lode_stream_t* socket);
  void (*on_upgrade)(lode_http_server_t* srv, lode_http_incoming_t* req,
                     lode_stream_t* socket, lode_slice_t head);
  void (*on_connect)(lode_http_server_t* srv, lode_http_incoming_t* req,
                     lode_stream_t* socket, lode_slice_t head);
  void (*on_connection)(lode_http_server_t* srv, lode_stream_t* socket);
  void (*on_drop_request)(lode_http_server_t* srv, lode_http_incoming_t* req,
                          lode_stream_t* socket);
  void (*on_timeout)(lode_http_server_t* srv, lode_stream_t* socket);
  void (*on_listening)(lode_http_server_t* srv);
  void (*on_error)(lode_http_server_t* srv, const lode_error_t* err);
  void (*on_close)(lode_http_server_t* srv);
} lode_http_server_events_t;

/* Node: http.createServer([options][, requestListener]). `opts` (may be
 * NULL) is read during the call; `ev` is borrowed and must outlive the
 * server. Writes the server to *out. Returns 0, UV_ENOMEM, or
 * LODE_ERR_OUT_OF_RANGE (headersTimeout > requestTimeout, or a
 * maxHeaderSize above LODE_HTTP_LIMIT_MAX). */
int lode_http_create_server(uv_loop_t* loop,
                            const lode_http_server_opts_t* opts,
                            const lode_http_server_events_t* ev,
                            lode_http_server_t** out);

void lode_http_server_set_data(lode_http_server_t* srv, void* data);
void* lode_http_server_get_data(const lode_http_server_t* srv);

/* A server's per-call completion (listen's and close's `callback`). */
typedef void (*lode_http_server_cb)(lode_http_server_t* srv, int status,
                                    void* arg);

/* Node: server.listen(options[, callback]), and through the options its
 * port[, host][, backlog] and path forms: TCP port/host (host NULL is
 * Node's default, :: or 0.0.0.0), a Unix socket `path`, backlog,
 * ipv6Only, reusePort, readableAll/writableAll, exclusive, signal (see
 * lode_listen_opts_t in lode/net.h; `opts` is read during the call).
 * on_listening runs asynchronously; bind errors arrive in on_error. `cb`
 * (may be NULL) runs once after on_listening with status 0; it never runs
 * when the listen fails or the server closes first. Returns 0,
 * LODE_ERR_SERVER_ALREADY_LISTEN, LODE_ERR_SOCKET_BAD_PORT,
 * LODE_ERR_SERVER_NOT_RUNNING (after close) or LODE_ERR_INVALID_ARG_TYPE
 * for NULL opts. */
int lode_http_server_listen(lode_http_server_t* srv,
                            const lode_listen_opts_t* opts,
                            lode_http_server_cb cb, void* arg);
/* Node: server.listen(handle[, backlog][, callback]) with { fd }: serves
 * an already bound TCP or Unix socket fd (the server takes it over). */
int lode_http_server_listen_fd(lode_http_server_t* srv, int fd, int backlog,
                               lode_http_server_cb cb, void* arg);
/* Node: server.address(). Returns 0, or UV_ENOTCONN when not listening
 * (Node's null). For a Unix socket `address` is the path. */
int lode_http_server_address(const lode_http_server_t* srv,
                             lode_net_address_t* out);
/* The bound port (after on_listening), or a negative code. */
int lode_http_server_port(const lode_http_server_t* srv);
/* Node: server.listening. */
int lode_http_server_listening(const lode_http_server_t* srv);

/* Node: the 'connection' path without a listener: serves HTTP on `s`
 * (any duplex stream, e.g. one side of lode_stream_pair). The server
 * becomes the stream's reader and, when the connection is done, destroys
 * the stream. Returns 0 or UV_ENOMEM (then `s` is destroyed). */
int lode_http_server_serve(lode_http_server_t* srv, lode_stream_t* s);

/* Node: server.close([callback]): stops accepting, closes idle
 * connections (Node 19+); on_close (and `cb`) when the last connection
 * has gone. Returns 0 or LODE_ERR_SERVER_NOT_RUNNING (then cb gets it
 * asynchronously too). The server is freed after on_close. */
int lode_http_server_close(lode_http_server_t* srv, lode_http_server_cb cb,
                           void* arg);
/* Node: server.closeAllConnections() / closeIdleConnections(). */
void lode_http_server_close_all_connections(lode_http_server_t* srv);
void lode_http_server_close_idle_connections(lode_http_server_t* srv);

/* Node: server.setTimeout([msecs][, callback]) / server.timeout (default
 * 0: none): the idle timeout of each new connection. On expiry the
 * request's and response's listeners hear first, then on_timeout, then
 * `cb`; with no listener anywhere the connection is destroyed. `cb` (may
 * be NULL: keep the one set before) replaces an earlier callback; it gets
 * the connection (Node's 'timeout' listener's socket) and status 0. */
void lode_http_server_set_timeout(lode_http_server_t* srv, uint64_t msecs,
                                  lode_stream_cb cb, void* arg);
uint64_t lode_http_server_timeout(const lode_http_server_t* srv);

/* Node: server.headersTimeout, requestTimeout, keepAliveTimeout,
 * maxHeadersCount (0: 2000, Node's documented default; Node 20 keeps
 * 1,000 lines by default, see docs/node-differences.md) and
 * maxRequestsPerSocket (0: no limit). Setters take effect for later
 * checks and requests. */
void lode_http_server_set_headers_timeout(lode_http_server_t* srv, uint64_t ms);
uint64_t lode_http_server_headers_timeout(const lode_http_server_t* srv);
void lode_http_server_set_request_timeout(lode_http_server_t* srv, uint64_t ms);
uint64_t lode_http_server_request_timeout(const lode_http_server_t* srv);
void lode_http_server_set_keep_alive_timeout(lode_http_server_t* srv,
                                             uint64_t ms);
uint64_t lode_http_server_keep_alive_timeout(const lode_http_server_t* srv);
void lode_http_server_set_max_headers_count(lode_http_server_t* srv,
                                            unsigned n);
unsigned lode_http_server_max_headers_count(const lode_http_server_t* srv);
void lode_http_server_set_max_requests_per_socket(lode_http_server_t* srv,
                                                  unsigned n);
unsigned lode_http_server_max_requests_per_socket(
    const lode_http_server_t* srv);

/* Node: server.ref() / unref() (whether the server holds the loop). */
void lode_http_server_ref(lode_http_server_t* srv);
void lode_http_server_unref(lode_http_server_t* srv);

#ifdef __cplusplus
}
#endif
#endif
