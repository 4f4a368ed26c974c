/* lode: the HTTP/1.1 parser, usable on its own (libc only, no libuv).
 * (Conventions for every header: the opening comment of lode.h.)
 *
 * Strict by default, with llhttp's verdicts (llhttp is the parser inside
 * Node): the same HPE_* codes, the same reason texts, the same offsets.
 * Each of llhttp's lenient flags can be turned on alone; all of them
 * together are Node's `insecureHTTPParser`.
 *
 * Pull style and zero-copy. The caller owns the bytes and calls
 * lode_http_parser_execute() with the bytes it has not yet seen consumed;
 * each call reports one event and how many bytes it consumed:
 *
 *   while (len > 0) {
 *     lode_http_event_t ev;
 *     int r = lode_http_parser_execute(&p, buf, len, &ev);
 *     if (r < 0) ...             // LODE_HPE_*; see lode_http_parser_error_*
 *     buf += ev.consumed; len -= ev.consumed;
 *     if (ev.type == LODE_HTTP_EV_NEED_MORE) break;  // keep buf[0..len)
 *     if (ev.type == LODE_HTTP_EV_UPGRADE) break;    // buf[0..len) is the
 *     ...                                         // other protocol's
 *   }
 *
 * With opts.merge_complete the end of a message rides on the event that
 * ends it (ev.complete) when it can: the HEAD of a message without a body,
 * the last BODY piece of a Content-Length or chunked body, the TRAILERS.
 * A whole bodiless request then takes one call instead of three. After an
 * event with ev.complete, an empty input has nothing left to report, so
 * the loop above may stop when len reaches 0.
 *
 * NEED_MORE may leave bytes unconsumed (a head, a chunk-size line or
 * trailers that are not complete yet): keep them, append what arrives next
 * so they stay contiguous, and call again starting at the first of them.
 * The parser remembers how far it checked them (whole lines), so a slow
 * client's head is not re-checked from the start on every read.
 *
 * Views (head, headers, body pieces, trailers) point into the caller's
 * buffer: they stay valid as long as the caller keeps those bytes, which
 * is at least until the next call. Body pieces come without the chunk
 * framing; a head arrives only once it is complete. */
#ifndef LODE_HTTP_PARSER_H
#define LODE_HTTP_PARSER_H

#include <stddef.h>
#include <stdint.h>
#include "lode/buf.h"
#include "lode/errors.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Methods, with llhttp's numbers. X(number, C name, text). Requests accept
 * all of them with RTSP/ICE rules as llhttp has them; Node's http.METHODS
 * are the HTTP ones. */
/* clang-format off */
#define LODE_HTTP_METHOD_MAP(X)                                              \
  X(0, DELETE, "DELETE") X(1, GET, "GET") X(2, HEAD, "HEAD")                 \
  X(3, POST, "POST") X(4, PUT, "PUT") X(5, CONNECT, "CONNECT")               \
  X(6, OPTIONS, "OPTIONS") X(7, TRACE, "TRACE") X(8, COPY, "COPY")           \
  X(9, LOCK, "LOCK") X(10, MKCOL, "MKCOL") X(11, MOVE, "MOVE")               \
  X(12, PROPFIND, "PROPFIND") X(13, PROPPATCH, "PROPPATCH")                  \
  X(14, SEARCH, "SEARCH") X(15, UNLOCK, "UNLOCK") X(16, BIND, "BIND")        \
  X(17, REBIND, "REBIND") X(18, UNBIND, "UNBIND") X(19, ACL, "ACL")          \
  X(20, REPORT, "REPORT") X(21, MKACTIVITY, "MKACTIVITY")                    \
  X(22, CHECKOUT, "CHECKOUT") X(23, MERGE, "MERGE")                          \
  X(24, MSEARCH, "M-SEARCH") X(25, NOTIFY, "NOTIFY")                         \
  X(26, SUBSCRIBE, "SUBSCRIBE") X(27, UNSUBSCRIBE, "UNSUBSCRIBE")            \
  X(28, PATCH, "PATCH") X(29, PURGE, "PURGE")                                \
  X(30, MKCALENDAR, "MKCALENDAR") X(31, LINK, "LINK")                        \
  X(32, UNLINK, "UNLINK") X(33, SOURCE, "SOURCE") X(34, PRI, "PRI")          \
  X(35, DESCRIBE, "DESCRIBE") X(36, ANNOUNCE, "ANNOUNCE")                    \
  X(37, SETUP, "SETUP") X(38, PLAY, "PLAY") X(39, PAUSE, "PAUSE")            \
  X(40, TEARDOWN, "TEARDOWN") X(41, GET_PARAMETER, "GET_PARAMETER")          \
  X(42, SET_PARAMETER, "SET_PARAMETER") X(43, REDIRECT, "REDIRECT")          \
  X(44, RECORD, "RECORD") X(45, FLUSH, "FLUSH") X(46, QUERY, "QUERY")

typedef enum {
#define LODE_HTTP_METHOD_ENUM_(num, name, text) LODE_HTTP_##name = (num),
  LODE_HTTP_METHOD_MAP(LODE_HTTP_METHOD_ENUM_)
#undef LODE_HTTP_METHOD_ENUM_
  LODE_HTTP_METHOD_NONE = -1
} lode_http_method_t;
/* clang-format on */

/* "GET" for LODE_HTTP_GET; NULL for a number that is no method. */
const char* lode_http_method_name(int method);

typedef enum {
  LODE_HTTP_REQUEST = 1,
  LODE_HTTP_RESPONSE = 2
} lode_http_parser_type_t;

/* llhttp's lenient flags, same bits (Node's HTTPParser.kLenient*). Each one
 * re-opens a door that strict parsing closes; docs/parser.md names the
 * attack behind each. */
enum {
  LODE_HTTP_LENIENT_HEADERS = 1 << 0,           /* bad value chars, folding */
  LODE_HTTP_LENIENT_CHUNKED_LENGTH = 1 << 1,    /* TE together with CL */
  LODE_HTTP_LENIENT_KEEP_ALIVE = 1 << 2,        /* go on after close */
  LODE_HTTP_LENIENT_TRANSFER_ENCODING = 1 << 3, /* TE not ending chunked */
  LODE_HTTP_LENIENT_VERSION = 1 << 4,           /* any HTTP/x.y */
  LODE_HTTP_LENIENT_DATA_AFTER_CLOSE = 1 << 5,
  LODE_HTTP_LENIENT_OPTIONAL_LF_AFTER_CR = 1 << 6,
  LODE_HTTP_LENIENT_OPTIONAL_CRLF_AFTER_CHUNK = 1 << 7,
  LODE_HTTP_LENIENT_OPTIONAL_CR_BEFORE_LF = 1 << 8,
  LODE_HTTP_LENIENT_SPACES_AFTER_CHUNK_SIZE = 1 << 9,
  LODE_HTTP_LENIENT_HEADER_VALUE_RELAXED = 1 << 10, /* CTLs in values */
  /* Node's insecureHTTPParser (llhttp's LENIENT_ALL: the first ten). */
  LODE_HTTP_LENIENT_ALL = (1 << 10) - 1
};

/* llhttp's message flags (F_*), as reported in head.flags. */
enum {
  LODE_HTTP_F_CONNECTION_KEEP_ALIVE = 1 << 0,
  LODE_HTTP_F_CONNECTION_CLOSE = 1 << 1,
  LODE_HTTP_F_CONNECTION_UPGRADE = 1 << 2,
  LODE_HTTP_F_CHUNKED = 1 << 3,
  LODE_HTTP_F_UPGRADE = 1 << 4,
  LODE_HTTP_F_CONTENT_LENGTH = 1 << 5,
  LODE_HTTP_F_SKIPBODY = 1 << 6,
  LODE_HTTP_F_TRAILING = 1 << 7,
  LODE_HTTP_F_TRANSFER_ENCODING = 1 << 9
};

/* A header line as received: name in its original case, value without
 * the whitespace around it (as Node's rawHeaders). Both are views. With
 * LENIENT_HEADERS a folded value spans its continuation lines, CRLFs
 * included. */
typedef struct lode_http_header_s {
  lode_slice_t name;
  lode_slice_t value;
} lode_http_header_t;

/* A message head, complete, as views into the caller's buffer. */
typedef struct lode_http_head_s {
  int method; /* requests: LODE_HTTP_*; responses: -1 */
  lode_slice_t method_name;
  lode_slice_t url;         /* request-target as sent (origin, absolute,
                              authority for CONNECT, or "*") */
  int status_code;          /* responses; 0 for requests */
  lode_slice_t status_text; /* the reason phrase, possibly empty */
  int http_major;           /* 0.9 for a request line without a version */
  int http_minor;
  lode_http_header_t* headers; /* the parser's header array */
  size_t num_headers;          /* headers stored in it */
  size_t headers_seen;         /* header lines in the message, even those that
                              did not fit the array (Node's
                              maxHeadersCount drops those too) */
  uint64_t content_length;     /* the Content-Length value, 0 when absent */
  unsigned flags;              /* LODE_HTTP_F_* at the end of the head */
  int keep_alive;              /* llhttp_should_keep_alive() */
  int upgrade;                 /* the bytes after this message are another
                              protocol (Upgrade accepted, CONNECT) */
} lode_http_head_t;

typedef enum {
  LODE_HTTP_EV_NEED_MORE = 0, /* all usable input consumed; call again with
                                more (keep any unconsumed bytes) */
  LODE_HTTP_EV_HEAD,          /* the head is complete: lode_http_parser_head */
  LODE_HTTP_EV_BODY,          /* ev.data is the next piece of the body */
  LODE_HTTP_EV_TRAILERS,      /* ev.trailers: the chunked trailer fields */
  LODE_HTTP_EV_MESSAGE_COMPLETE,
  LODE_HTTP_EV_UPGRADE /* the input from here on belongs to the
                                other protocol; nothing was consumed */
} lode_http_event_type_t;

typedef struct lode_http_event_s {
  lode_http_event_type_t type;
  size_t consumed;                    /* bytes of this call's input used up */
  lode_slice_t data;                  /* BODY */
  const lode_http_header_t* trailers; /* TRAILERS */
  size_t num_trailers;
  int complete; /* with opts.merge_complete: this HEAD, BODY or
                              TRAILERS event also ends the message, and no
                              MESSAGE_COMPLETE event follows for it */
} lode_http_event_t;

/* Options; zero-initialised means llhttp's strictness and Node's limits. */
typedef struct lode_http_parser_opts_s {
  unsigned lenient;            /* LODE_HTTP_LENIENT_* bits */
  size_t max_header_size;      /* Node's maxHeaderSize: bytes of URL, status
                              text, header names and values; 0 = 16384.
                              Reaching it gives HPE_HEADER_OVERFLOW. At
                              most LODE_HTTP_LIMIT_MAX. */
  size_t max_chunk_extensions; /* bytes of chunk extensions per chunk;
                              0 = 16384 (Node); HPE_CHUNK_EXTENSIONS_OVERFLOW.
                              At most LODE_HTTP_LIMIT_MAX. */
  lode_http_header_t* headers; /* where headers and trailers are stored
                              (borrowed, must outlive the parser); NULL =
                              an array inside the parser */
  size_t max_headers;          /* its capacity (with headers == NULL, at most
                              LODE_HTTP_INLINE_HEADERS); lines beyond it
                              are checked and obeyed but not stored. At
                              most LODE_HTTP_LIMIT_MAX. */
  int method;                  /* responses: the method of the request they
                              answer (see lode_http_parser_set_method);
                              0 means GET here, not DELETE */
  int merge_complete;          /* 1: report a message's end as ev.complete on
                              the event that ends it where possible (see
                              above); 0: always as MESSAGE_COMPLETE */
} lode_http_parser_opts_t;

#define LODE_HTTP_INLINE_HEADERS 64
/* Node's default maxHeaderSize (--max-http-header-size). */
#define LODE_HTTP_DEFAULT_MAX_HEADER_SIZE 16384
/* The largest value of each size limit in the options (256 MiB): the
 * parser counts in 32 bits and buffers up to four times max_header_size
 * of an unfinished head. A larger value is refused by init, never cut. */
#define LODE_HTTP_LIMIT_MAX ((size_t) 1 << 28)

/* The parser. Embed it anywhere (no allocation, no cleanup); the fields
 * are private. */
typedef struct lode_http_parser_s {
  /* configuration: set by init, kept by reset */
  uint8_t type;
  uint8_t merge;
  uint16_t lenient;
  int method_answered_;
  int init_error; /* init refused the options: the parser stays
                              failed with this code, reset or not */
  uint32_t max_header_size;
  uint32_t max_chunk_ext;
  lode_http_header_t* hdrs;
  uint32_t max_hdrs;
  /* message state, from `state` to `error_offset`: reset() zeroes all of
   * it at once and then sets the few fields that do not start at 0, so a
   * field added here is reset without being named */
  uint32_t state;
  uint32_t flags;
  uint32_t header_nread;
  uint32_t scan;  /* bytes of the pending input already checked */
  uint32_t line1; /* where the header lines start (after the
                              start line), 0 while it is pending */
  uint32_t nhdrs;
  uint32_t hdrs_seen;
  uint8_t upgrade;
  uint8_t finish;
  uint8_t crlf_pending; /* chunk data: bytes of CRLF already seen */
  uint8_t chunk_state;  /* where in a chunk-size line */
  int8_t head_result;   /* lode_http_parser_after_head(), -1 if unset */
  uint8_t one_pass;     /* the head's views are real already */
  uint8_t framing;      /* the body's framing as the head found it (2
                              chunked, 3 Content-Length), 0 to decide again */
  uint32_t ext_nread;   /* chunk-extension bytes of this chunk */
  uint32_t trailers_at; /* index of the first trailer in hdrs */
  uint64_t content_length;
  uint64_t remaining;
  lode_http_head_t head;
  /* the last error */
  int error;
  const char* reason;
  size_t error_offset;
  /* (end of the message state) */
  lode_http_header_t inline_[LODE_HTTP_INLINE_HEADERS];
} lode_http_parser_t;

/* Prepares `p` for requests (server side) or responses (client side).
 * `opts` may be NULL. Returns 0; LODE_HPE_INTERNAL for a bad type;
 * LODE_ERR_OUT_OF_RANGE for a limit above LODE_HTTP_LIMIT_MAX (Node's
 * ERR_OUT_OF_RANGE for a bad maxHeaderSize). A refused parser is still
 * safe to use: every execute and finish returns that code, even after
 * reset, until an init succeeds. Node: parser.initialize(type, ...,
 * maxHeaderSize, lenient). */
int lode_http_parser_init(lode_http_parser_t* p, lode_http_parser_type_t type,
                          const lode_http_parser_opts_t* opts);

/* Back to the start of a message, keeping the options and the method
 * of lode_http_parser_set_method() (Node's parser reuse between
 * connections). Clears any error and all that was left of the last
 * message, however it ended: the parser then parses exactly as a new
 * one. */
void lode_http_parser_reset(lode_http_parser_t* p);

/* Parses data[0..len) up to the next event and writes it to `ev` (never
 * NULL). Returns 0, or a negative LODE_HPE_* code; after an error every
 * call returns it again until lode_http_parser_reset(). HPE_PAUSED_UPGRADE
 * and HPE_PAUSED_H2_UPGRADE are not errors here: a CONNECT or accepted
 * Upgrade ends in LODE_HTTP_EV_UPGRADE instead, and the HTTP/2 preface
 * ("PRI * HTTP/2.0") is reported as LODE_HPE_PAUSED_H2_UPGRADE. */
int lode_http_parser_execute(lode_http_parser_t* p, const char* data,
                             size_t len, lode_http_event_t* ev);

/* The input ended (the peer's FIN). For a response read until close this
 * is its MESSAGE_COMPLETE (ev set), else ev is NEED_MORE. Returns 0, or
 * LODE_HPE_INVALID_EOF_STATE when a message was cut short (llhttp_finish).
 * The unconsumed bytes of a partial head do not count as a message when
 * they are only CR/LF. */
int lode_http_parser_finish(lode_http_parser_t* p, lode_http_event_t* ev);

/* The head of the current message (valid from LODE_HTTP_EV_HEAD until the
 * next message starts; its views follow the rules above). */
const lode_http_head_t* lode_http_parser_head(const lode_http_parser_t* p);

/* Right after LODE_HTTP_EV_HEAD: this message has no body (a response to
 * HEAD) and, with `upgrade`, what follows is another protocol (llhttp's
 * on_headers_complete returning 1 or 2). Also clears the upgrade of a
 * request whose Upgrade nobody accepts, with skip_body 0 and upgrade 0
 * (Node's server without an 'upgrade' listener). A HEAD that came with
 * ev.complete is merged only when neither can change anything (no body
 * even with skip_body 0, no upgrade): the call does nothing then. */
void lode_http_parser_after_head(lode_http_parser_t* p, int skip_body,
                                 int upgrade);

/* Responses: the method of the request that the next response answers.
 * HEAD means no body; CONNECT means the connection becomes a tunnel after
 * the head (Node's client). Stays until changed. */
void lode_http_parser_set_method(lode_http_parser_t* p, int method);

/* After LODE_HTTP_EV_UPGRADE: go on parsing HTTP (llhttp's
 * resume_after_upgrade). */
void lode_http_parser_resume_after_upgrade(lode_http_parser_t* p);

/* The last error: its LODE_HPE_* code (0 if none), llhttp's reason text
 * for the exact place ("Invalid header value char"), and the offset in
 * the last call's input where parsing stopped (Node's bytesParsed). */
int lode_http_parser_error(const lode_http_parser_t* p);
const char* lode_http_parser_error_reason(const lode_http_parser_t* p);
size_t lode_http_parser_error_offset(const lode_http_parser_t* p);

/* Whether the connection may carry another message after this one
 * (llhttp_should_keep_alive; also in head.keep_alive). */
int lode_http_parser_should_keep_alive(const lode_http_parser_t* p);

/* Which scanning code runs: LODE_HTTP_SIMD_AUTO picks the best the CPU
 * has (the default); the others force a path, for tests and benchmarks.
 * Process-wide: call it before other threads make or run parsers (the
 * automatic choice is made once, safely, by the first parse of any
 * thread). Returns the path now in
 * use (a forced path the CPU lacks falls back to the best available). */
enum {
  LODE_HTTP_SIMD_AUTO = -1,
  LODE_HTTP_SIMD_SCALAR = 0,
  LODE_HTTP_SIMD_SSE42 = 1,
  LODE_HTTP_SIMD_AVX2 = 2
};
int lode_http_parser_use_simd(int level);

#ifdef __cplusplus
}
#endif
#endif
