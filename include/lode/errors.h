/* lode: error codes and the error object.
 * (Conventions for every header: the opening comment of lode.h.)
 *
 * One space of negative integers:
 *   - libuv's codes as they are (UV_ECONNREFUSED is "ECONNREFUSED"),
 *   - LODE_ERR_* (-6000 and below): Node's ERR_* codes,
 *   - LODE_HPE_* (-7000 and below): the HTTP parser's HPE_* codes.
 * lode_err_name() and lode_strerror() name every one of them and never
 * allocate. What Node throws is a negative return value; what Node emits
 * arrives in an on_error callback as a lode_error_t. */
#ifndef LODE_ERRORS_H
#define LODE_ERRORS_H

#include <stddef.h>
#include "lode/buf.h"

#ifdef __cplusplus
extern "C" {
#endif

/* X(NAME, value, Node's message). Messages with a %s are templates: the
 * error object of an event carries the filled-in text. */
#define LODE_ERR_MAP(X)                                                        \
  X(ERR_SERVER_ALREADY_LISTEN, -6001,                                          \
    "Listen method has been called more than once without closing.")           \
  X(ERR_SERVER_NOT_RUNNING, -6002, "Server is not running.")                   \
  X(ERR_SOCKET_CLOSED, -6003, "Socket is closed")                              \
  X(ERR_SOCKET_CLOSED_BEFORE_CONNECTION, -6004,                                \
    "Socket closed before the connection was established")                     \
  X(ERR_SOCKET_BAD_PORT, -6005,                                                \
    "Port should be >= 0 and < 65536. Received %s.")                           \
  X(ERR_SOCKET_CONNECTION_TIMEOUT, -6006, "Socket connection timeout")         \
  X(ERR_STREAM_WRITE_AFTER_END, -6007, "write after end")                      \
  X(ERR_STREAM_DESTROYED, -6008,                                               \
    "Cannot call %s after a stream was destroyed")                             \
  X(ERR_STREAM_ALREADY_FINISHED, -6009,                                        \
    "Cannot call %s after a stream was finished")                              \
  X(ERR_STREAM_PREMATURE_CLOSE, -6010, "Premature close")                      \
  X(ERR_STREAM_NULL_VALUES, -6011, "May not write null values to stream")      \
  X(ERR_INVALID_ARG_TYPE, -6012, "The \"%s\" argument must be %s")             \
  X(ERR_INVALID_ARG_VALUE, -6013, "The argument '%s' is invalid.")             \
  X(ERR_OUT_OF_RANGE, -6014, "The value of \"%s\" is out of range.")           \
  X(ERR_MISSING_ARGS, -6015, "The \"%s\" argument must be specified")          \
  X(ERR_INVALID_IP_ADDRESS, -6016, "Invalid IP address: %s")                   \
  X(ERR_INVALID_ADDRESS_FAMILY, -6017, "Invalid address family: %s")           \
  X(ERR_IP_BLOCKED, -6018, "IP(%s) is blocked by net.BlockList")               \
  X(ERR_INVALID_HANDLE_TYPE, -6019, "This handle type cannot be sent")         \
  X(ERR_INVALID_FD_TYPE, -6020, "Unsupported fd type: %s")                     \
  X(ERR_UNKNOWN_ENCODING, -6021, "Unknown encoding: %s")                       \
  X(ERR_INVALID_STATE, -6022, "Invalid state: %s")                             \
  X(ERR_INVALID_CALLBACK, -6023, "Callback must be a function")                \
  X(ABORT_ERR, -6024, "The operation was aborted")                             \
  X(ERR_SOCKET_CONNECTION_HANG_UP, -6025, "socket hang up")                    \
  X(ERR_AGGREGATE, -6026, "All connection attempts failed")                    \
  X(ERR_INVALID_ADDRESS, -6040, "Invalid socket address")                      \
  X(ERR_HTTP_HEADERS_SENT, -6101,                                              \
    "Cannot %s headers after they are sent to the client")                     \
  X(ERR_HTTP_INVALID_HEADER_VALUE, -6102,                                      \
    "Invalid value \"%s\" for header \"%s\"")                                  \
  X(ERR_INVALID_HTTP_TOKEN, -6103, "%s must be a valid HTTP token [\"%s\"]")   \
  X(ERR_INVALID_CHAR, -6104, "Invalid character in %s")                        \
  X(ERR_HTTP_CONTENT_LENGTH_MISMATCH, -6105,                                   \
    "Response body's content-length of %s byte(s) does not match the "         \
    "content-length of %s byte(s) set in header")                              \
  X(ERR_HTTP_BODY_NOT_ALLOWED, -6106,                                          \
    "Adding content for this request method or response status is not "        \
    "allowed.")                                                                \
  X(ERR_HTTP_INVALID_STATUS_CODE, -6107, "Invalid status code: %s")            \
  X(ERR_HTTP_TRAILER_INVALID, -6108,                                           \
    "Trailers are invalid with this transfer encoding")                        \
  X(ERR_HTTP_REQUEST_TIMEOUT, -6109, "Request timeout")                        \
  X(ERR_HTTP_SOCKET_ENCODING, -6110,                                           \
    "Changing the socket encoding is not allowed per RFC7230 Section 3.")      \
  X(ERR_HTTP_SOCKET_ASSIGNED, -6111,                                           \
    "ServerResponse has an already-assigned socket")                           \
  X(ERR_METHOD_NOT_IMPLEMENTED, -6112, "The %s method is not implemented")     \
  X(ERR_INVALID_PROTOCOL, -6113,                                               \
    "Protocol \"%s\" not supported. Expected \"%s\"")                          \
  X(ERR_UNESCAPED_CHARACTERS, -6114, "%s contains unescaped characters")       \
  X(ERR_INVALID_URL, -6115, "Invalid URL")                                     \
  X(ERR_HTTP_CLIENT_ABORTED, -6116, "aborted")                                 \
  X(ERR_HTTP_BODY_TOO_LARGE, -6117, "The body is larger than %s bytes")        \
  X(ERR_STREAM_CANNOT_PIPE, -6130, "Cannot pipe, not readable")                \
  X(ERR_WS_SYNTAX, -6201, "SyntaxError")                                       \
  X(ERR_WS_INVALID_ACCESS, -6202, "InvalidAccessError")                        \
  X(ERR_WS_INVALID_STATE, -6203, "InvalidStateError")                          \
  X(ERR_WS_PROTOCOL, -6204, "WebSocket protocol error")                        \
  X(ERR_WS_MESSAGE_TOO_BIG, -6205, "Max payload size exceeded")                \
  X(ERR_WS_INVALID_UTF8, -6206, "Invalid UTF-8 sequence")                      \
  X(ERR_SSL, -6301, "OpenSSL error")                                           \
  X(ERR_TLS_CERT_VERIFY, -6302, "certificate verification failed")             \
  X(ERR_TLS_CERT_ALTNAME_INVALID, -6303,                                       \
    "Hostname/IP does not match certificate's altnames: %s")                   \
  X(ERR_TLS_HANDSHAKE_TIMEOUT, -6304, "TLS handshake timeout")                 \
  X(ERR_TLS_INVALID_PROTOCOL_VERSION, -6305,                                   \
    "%s is not a valid %s TLS protocol version")                               \
  X(ERR_TLS_PROTOCOL_VERSION_CONFLICT, -6306,                                  \
    "TLS protocol version %s conflicts with secureProtocol %s")                \
  X(ERR_CRYPTO_OPERATION_FAILED, -6307, "%s")                                  \
  X(ERR_TLS_SESSION_ATTACK, -6308,                                             \
    "TLS session renegotiation attack detected")                               \
  X(ERR_TLS_INVALID_PROTOCOL_METHOD, -6309, "%s")                              \
  X(ERR_TLS_DH_PARAM_SIZE, -6310, "DH parameter size %s is less than 2048")

/* The parser's codes: llhttp's numbering, offset by -7000, then the two
 * that Node adds. Messages are llhttp's generic ones; each error also
 * carries the exact reason of the place that failed. */
#define LODE_HPE_MAP(X)                                                        \
  X(HPE_INTERNAL, -7001, "Internal error")                                     \
  X(HPE_STRICT, -7002, "Strict mode assertion failed")                         \
  X(HPE_LF_EXPECTED, -7003, "Missing expected LF")                             \
  X(HPE_UNEXPECTED_CONTENT_LENGTH, -7004, "Unexpected content-length header")  \
  X(HPE_CLOSED_CONNECTION, -7005, "Data after `Connection: close`")            \
  X(HPE_INVALID_METHOD, -7006, "Invalid method encountered")                   \
  X(HPE_INVALID_URL, -7007, "Invalid characters in url")                       \
  X(HPE_INVALID_CONSTANT, -7008, "Invalid constant string")                    \
  X(HPE_INVALID_VERSION, -7009, "Invalid HTTP version")                        \
  X(HPE_INVALID_HEADER_TOKEN, -7010, "Invalid header token")                   \
  X(HPE_INVALID_CONTENT_LENGTH, -7011, "Invalid character in Content-Length")  \
  X(HPE_INVALID_CHUNK_SIZE, -7012, "Invalid character in chunk size")          \
  X(HPE_INVALID_STATUS, -7013, "Invalid status code")                          \
  X(HPE_INVALID_EOF_STATE, -7014, "Invalid EOF state")                         \
  X(HPE_INVALID_TRANSFER_ENCODING, -7015,                                      \
    "Invalid `Transfer-Encoding` header value")                                \
  X(HPE_PAUSED, -7021, "Paused")                                               \
  X(HPE_PAUSED_UPGRADE, -7022, "Pause on CONNECT/Upgrade")                     \
  X(HPE_PAUSED_H2_UPGRADE, -7023, "Pause on PRI/Upgrade")                      \
  X(HPE_USER, -7024, "User callback error")                                    \
  X(HPE_CR_EXPECTED, -7025, "Missing expected CR")                             \
  X(HPE_UNEXPECTED_SPACE, -7030, "Unexpected space")                           \
  X(HPE_HEADER_OVERFLOW, -7100, "Header overflow")                             \
  X(HPE_CHUNK_EXTENSIONS_OVERFLOW, -7101, "Chunk extensions overflow")

typedef enum {
#define LODE_ERR_ENUM_(name, value, msg) LODE_##name = (value),
  LODE_ERR_MAP(LODE_ERR_ENUM_) LODE_HPE_MAP(LODE_ERR_ENUM_)
#undef LODE_ERR_ENUM_
      LODE__ERR_LAST = -7999
} lode_err_t;

/* The code's name: "ECONNREFUSED", "ERR_SOCKET_CLOSED", "HPE_INVALID_METHOD";
 * "UNKNOWN" for a code that is none of them. Static; never allocates. */
const char* lode_err_name(int code);

/* The code's message: libuv's text for system codes, Node's (template) text
 * for ERR_*, llhttp's for HPE_*. Static; never allocates. */
const char* lode_strerror(int code);

/* What an 'error' event carries. Borrowed for the callback's duration;
 * lode_error_copy() keeps one. Every string is NUL-terminated. */
typedef struct lode_error_s {
  int code;                /* UV_ECONNREFUSED, LODE_ERR_..., LODE_HPE_... */
  const char* name;        /* Node's err.code: "ECONNREFUSED", "HPE_..." */
  const char* message;     /* Node's err.message, filled in */
  const char* syscall;     /* "connect", "listen", "getaddrinfo", or NULL */
  const char* address;     /* or NULL */
  int port;                /* -1 when absent */
  const char* reason;      /* HPE_*: the parser's reason text, else NULL */
  size_t bytes_parsed;     /* HPE_*: Node's err.bytesParsed */
  lode_slice_t raw_packet; /* HPE_*: Node's err.rawPacket (borrowed) */
  const struct lode_error_s* errors; /* ERR_AGGREGATE: each attempt's */
  size_t nerrors;
  /* Storage behind message and address; not for the user. */
  char message_buf_[256];
  char address_buf_[108];
} lode_error_t;

/* Fills `e` for `code`: name, the code's message, no syscall or address. */
void lode_error_init(lode_error_t* e, int code);

/* Node's exceptionWithHostPort: message "connect ECONNREFUSED 1.2.3.4:80"
 * (address and port left out when absent; port <= 0 means absent). */
void lode_error_init_sys(lode_error_t* e, int code, const char* syscall,
                         const char* address, int port);

/* Node's uvExceptionWithHostPort: "listen EADDRINUSE: address already in
 * use :::80", the form Node uses for bind and listen. */
void lode_error_init_uv(lode_error_t* e, int code, const char* syscall,
                        const char* address, int port);

/* Replaces the message with a printf-formatted one. */
void lode_error_set_message(lode_error_t* e, const char* fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* A heap copy of `e` (strings included; raw_packet and errors copied
 * too), or NULL when memory runs out. Free it with lode_error_free. */
lode_error_t* lode_error_copy(const lode_error_t* e);
void lode_error_free(lode_error_t* e);

#ifdef __cplusplus
}
#endif
#endif
