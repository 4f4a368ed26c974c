/* WebSocket internals: the pure pieces (SHA-1 and base64 for the accept
 * key, frames, UTF-8, close codes, permessage-deflate, the handshake head)
 * and the connection object they serve. */
#ifndef LODE_WS_INTERNAL_H
#define LODE_WS_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include "core/internal.h"    /* lode__buf_t: the growable byte buffer */
#include "lode/http_parser.h" /* LODE_HTTP_INLINE_HEADERS */
#include "lode/ws.h"

/* --- SHA-1, base64, the accept key --------------------------------------- */

void lode__ws_sha1(const void* data, size_t len, uint8_t out[20]);
/* Writes 4 * ceil(len / 3) characters and a NUL; returns the count. */
size_t lode__ws_base64(const uint8_t* in, size_t len, char* out);
/* Sec-WebSocket-Accept for a key: base64(SHA-1(key + GUID)), 28 chars. */
void lode__ws_accept_key(const char* key, size_t len, char out[29]);
/* A fresh Sec-WebSocket-Key: base64 of 16 random bytes, 24 chars. */
int lode__ws_new_key(char out[25]);
/* Random bytes for keys and mask keys (uv_random); 0 or a uv error. A
 * fuzzing build (FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION) fills a fixed
 * pattern instead, so a fuzz corpus replays the same way each run. */
int lode__ws_random(uint8_t* buf, size_t len);
/* 1 if `key` is base64 of exactly 16 bytes (what RFC 6455 asks for). */
int lode__ws_key_valid(const char* key, size_t len);

/* --- Frames -------------------------------------------------------------- */

enum {
  LODE__WS_OP_CONT = 0x0,
  LODE__WS_OP_TEXT = 0x1,
  LODE__WS_OP_BINARY = 0x2,
  LODE__WS_OP_CLOSE = 0x8,
  LODE__WS_OP_PING = 0x9,
  LODE__WS_OP_PONG = 0xA
};

#define LODE__WS_MAX_HEADER 14

/* Writes a frame header; returns its length (2 to 14). mask NULL leaves the
 * frame unmasked. */
size_t lode__ws_frame_header(uint8_t* out, int fin, int rsv1, int opcode,
                             uint64_t len, const uint8_t* mask);
/* dst[i] = src[i] ^ key[(offset + i) % 4]; dst may equal src. */
void lode__ws_mask(uint8_t* dst, const uint8_t* src, size_t len,
                   const uint8_t key[4], uint64_t offset);

/* What the decoder reports. */
enum {
  LODE__WS_DEC_NEED = 0,  /* everything consumed; feed more */
  LODE__WS_DEC_FRAME,     /* a header is complete: see dec->frame */
  LODE__WS_DEC_PAYLOAD,   /* a chunk of payload (still masked) */
  LODE__WS_DEC_FRAME_END, /* the frame's payload is complete */
  LODE__WS_DEC_ERROR      /* a framing violation: see dec->error */
};

typedef struct lode__ws_frame_s {
  int fin;
  int rsv1;
  int opcode;
  int masked;
  uint8_t mask[4];
  uint64_t len;
} lode__ws_frame_t;

/* An incremental frame decoder: takes the bytes in any split, checks every
 * rule of RFC 6455 that needs no more than the frame sequence (reserved
 * bits and opcodes, control frame length and fragmentation, the masking
 * each role requires, continuation order, 63-bit lengths). */
typedef struct lode__ws_decoder_s {
  int is_server;  /* frames must be masked (else must not be) */
  int allow_rsv1; /* permessage-deflate was negotiated */
  int state;
  int in_message; /* a fragmented data message is open */
  uint8_t hdr[LODE__WS_MAX_HEADER];
  unsigned hdr_len;
  unsigned hdr_need;
  lode__ws_frame_t frame;
  uint64_t remaining; /* payload bytes not yet reported */
  uint64_t offset;    /* payload offset of the next chunk (for the mask) */
  int error;          /* close code: LODE_WEBSOCKET_CLOSE_PROTOCOL_ERROR */
  const char* reason; /* what was wrong */
} lode__ws_decoder_t;

void lode__ws_decoder_init(lode__ws_decoder_t* d, int is_server);
/* Decodes from p[0..n). Returns an event and sets *used to the bytes it
 * took. PAYLOAD sets *chunk (pointing into p) and *chunk_offset (its
 * offset in the payload, for unmasking). After ERROR, stop. */
int lode__ws_decode(lode__ws_decoder_t* d, const uint8_t* p, size_t n,
                    size_t* used, const uint8_t** chunk, size_t* chunk_len,
                    uint64_t* chunk_offset);

/* --- UTF-8 and close codes ------------------------------------------------ */

/* An incremental UTF-8 validator (RFC 3629: no overlongs, surrogates or
 * code points past U+10FFFF), failing at the first bad byte even when a
 * character spans chunks. */
typedef struct lode__utf8_s {
  uint8_t need; /* continuation bytes still expected */
  uint8_t lo;   /* allowed range of the next continuation byte */
  uint8_t hi;
} lode__utf8_t;

static inline void lode__utf8_init(lode__utf8_t* u) {
  u->need = 0;
  u->lo = 0x80;
  u->hi = 0xBF;
}
/* 0, or -1 at the first byte that cannot be UTF-8. */
int lode__utf8_feed(lode__utf8_t* u, const uint8_t* p, size_t n);
/* 1 when no character is left unfinished. */
static inline int lode__utf8_complete(const lode__utf8_t* u) {
  return u->need == 0;
}
/* Whole-buffer check: 1 if valid and complete. */
int lode__utf8_valid(const uint8_t* p, size_t n);

/* A code a peer may send in a close frame (RFC 6455 7.4, as Node's client
 * and npm ws check it): 1000-1003, 1007-1014, 3000-4999. */
int lode__ws_close_code_valid(int code);
/* A code lode_websocket_close takes: a server every valid code (npm ws's
 * rule), a client only 1000 and 3000-4999 (the browser's). */
int lode__ws_close_code_sendable(int is_server, int code);

/* --- permessage-deflate -------------------------------------------------- */

typedef struct lode__pmd_params_s {
  int server_no_context_takeover;
  int client_no_context_takeover;
  int server_max_window_bits; /* 0: absent */
  int client_max_window_bits; /* 0: absent, -1: present without value */
} lode__pmd_params_t;

/* Walks a Sec-WebSocket-Extensions value one extension at a time: returns
 * 1 and the extension's name and parameter text, or 0 at the end, or -1
 * on bad syntax. *pos starts at 0. */
int lode__ws_ext_next(const char* s, size_t len, size_t* pos,
                      lode_slice_t* name, lode_slice_t* params);
/* Parses permessage-deflate parameters; 0, or -1 for an unknown, repeated
 * or malformed one. */
int lode__pmd_parse(lode_slice_t params, lode__pmd_params_t* out);
/* Appends params as an extension value ("permessage-deflate; ...") to
 * out: 0 or UV_ENOMEM. */
int lode__pmd_format(const lode__pmd_params_t* p, lode__buf_t* out);

/* Server: picks the first acceptable offer from the client's header value;
 * 1 and the agreed parameters, 0 for none acceptable, -1 malformed. */
int lode__pmd_server_negotiate(const char* offers, size_t len,
                               const lode_websocket_opts_t* opts,
                               lode__pmd_params_t* agreed);
/* Client: checks the server's answer against what the client offered; 0
 * and the agreed parameters, or -1. */
int lode__pmd_client_accept(lode_slice_t params,
                            const lode_websocket_opts_t* opts,
                            lode__pmd_params_t* agreed);

typedef struct lode__pmd_s lode__pmd_t;
/* The compressor and decompressor for one side of a connection. */
lode__pmd_t* lode__pmd_new(int is_server, const lode__pmd_params_t* p);
void lode__pmd_free(lode__pmd_t* z);
/* Compresses one whole message, appending to out (the 00 00 ff ff tail
 * removed). 0 or UV_ENOMEM / LODE_ERR_WS_PROTOCOL. */
int lode__pmd_compress(lode__pmd_t* z, const uint8_t* in, size_t n,
                       lode__buf_t* out);
/* Decompresses a piece of a message, appending to out; `last` adds the
 * tail. Returns 0, LODE_ERR_WS_MESSAGE_TOO_BIG when out would pass `max`,
 * LODE_ERR_WS_PROTOCOL for bad data, UV_ENOMEM. */
int lode__pmd_decompress(lode__pmd_t* z, const uint8_t* in, size_t n, int last,
                         size_t max, lode__buf_t* out);

/* --- HTTP head ------------------------------------------------------------ */

#define LODE__WS_MAX_HEAD LODE_HTTP_DEFAULT_MAX_HEADER_SIZE
/* Header lines of a handshake head that are looked at: Node's HTTP
 * server's maxHeadersCount (the rest are checked, not kept). */
#define LODE__WS_MAX_HEADERS 2000
/* Kept without an allocation. */
#define LODE__WS_INLINE_HEADERS LODE_HTTP_INLINE_HEADERS

/* A request or response head, parsed from a buffer that holds it whole. */
typedef struct lode__ws_head_s {
  lode_slice_t method; /* request */
  lode_slice_t url;
  int status; /* response */
  int http_major, http_minor;
  lode_slice_t* raw; /* name, value, ... (inline_raw or malloc'd) */
  size_t nraw;
  lode_slice_t inline_raw[2 * LODE__WS_INLINE_HEADERS];
} lode__ws_head_t;

/* Returns the head's length (through the blank line), 0 if incomplete, -1
 * if malformed, -2 when memory runs out. Then lode__ws_head_free (a head
 * with many headers allocates; it may be called after any return). */
long lode__ws_head_parse(const char* p, size_t n, int is_request,
                         lode__ws_head_t* h);
/* A read of a handshake being gathered (a client's 101 or a serve()d
 * request): appended to ws->in, then parsed as lode__ws_head_parse.
 * When memory runs out the connection is failed and -2 returned. On 0
 * and -2 the head is already freed. */
long lode__ws_head_feed(lode_websocket_t* ws, const uint8_t* p, size_t n,
                        int is_request, lode__ws_head_t* h);
void lode__ws_head_free(lode__ws_head_t* h);
/* Appends the line `name` `value` CRLF to a head being built (the name
 * with its ": ", or a whole line with an empty value): 0 or UV_ENOMEM.
 * Heads are built whole in a growable buffer, never cut to a size. */
int lode__ws_head_line(lode__buf_t* b, const char* name, lode_slice_t value);
/* The value of the first header named `name` (any case), or base NULL. */
lode_slice_t lode__ws_header(const lode_slice_t* raw, size_t nraw,
                             const char* name);
/* 1 if `s` is an HTTP token (RFC 7230 tchar, at least one). */
int lode__ws_is_token(lode_slice_t s);
/* Walks a comma-separated list: 1 and the next item (trimmed), or 0 at
 * the end. *pos starts at 0. */
int lode__ws_list_next(lode_slice_t value, size_t* pos, lode_slice_t* item);
/* 1 if the comma-separated list `value` holds `token` (any case). */
int lode__ws_list_has(lode_slice_t value, const char* token);
/* ASCII case-insensitive comparison of a slice and a string. */
int lode__ws_slice_ieq(lode_slice_t a, const char* b);

/* --- The connection ------------------------------------------------------ */

enum {
  LODE__WS_F_SENT_CLOSE = 1 << 0, /* our close frame is queued */
  LODE__WS_F_RECV_CLOSE = 1 << 1, /* the peer's close frame came */
  LODE__WS_F_FAILED = 1 << 2,     /* we failed the connection */
  LODE__WS_F_STOP_READ = 1 << 3,  /* ignore what the stream still says */
  LODE__WS_F_ENDED = 1 << 4,      /* we ended the stream */
  LODE__WS_F_STREAM_CLOSED = 1 << 5,
  LODE__WS_F_CLOSE_EMITTED = 1 << 6,
  LODE__WS_F_DELIVERED = 1 << 7,  /* this frame went out zero-copy */
  LODE__WS_F_ACCEPTING = 1 << 8,  /* server: 101 written, open_now to
                                       come; bytes wait in `in` */
  LODE__WS_F_SERVING = 1 << 9,    /* server: reading the request head */
  LODE__WS_F_REFUSED = 1 << 10,   /* server: a refusal went out */
  LODE__WS_F_NEED_DRAIN = 1 << 11 /* bufferedAmount is over drain_mark */
};

typedef struct lode__ws_client_s lode__ws_client_t;

typedef struct lode__ws_pending_s {
  uint64_t end; /* wbytes after the message's frame */
  size_t size;  /* its payload */
} lode__ws_pending_t;

struct lode_websocket_s {
  uv_loop_t* loop;
  const lode_websocket_events_t* ev;
  void* data;
  lode_stream_t* stream;
  int is_server;
  int state; /* readyState */
  unsigned flags;
  unsigned refs;              /* memory: 1 until closed, plus holds */
  uv_timer_t timer;           /* handshake, open (server), close timeouts */
  lode_websocket_opts_t opts; /* defaults filled in; protocols cleared */
  /* Receiving. */
  lode__ws_decoder_t dec;
  lode__utf8_t utf8;
  lode__buf_t msg; /* the message so far (unmasked, inflated) */
  int msg_binary;
  int msg_compressed;
  uint8_t ctl[125];
  size_t ctl_len;
  lode__pmd_t* pmd;
  lode__buf_t in; /* bytes before open: head, early frames */
  /* Sending. */
  lode__buf_t out; /* a frame being built (masked, compressed) */
  lode__buf_t zout;
  uint8_t rnd[256]; /* mask keys, refilled by lode__ws_random */
  size_t rnd_used;
  /* bufferedAmount without a callback per write: every byte lode hands
   * the stream is counted in `wbytes`; a message is still buffered while
   * the stream's writable length reaches back past its last byte. */
  uint64_t wbytes;
  lode__ws_pending_t* pend; /* messages in flight, oldest first (a ring) */
  size_t pend_cap, pend_head, pend_len;
  size_t buffered; /* the sum of their sizes */
  /* Closing. */
  int close_code;
  char close_reason[124];
  size_t close_reason_len;
  /* Attributes. */
  char* url;
  char* protocol;
  char* extensions;
  int binary_arraybuffer;
  lode__ws_client_t* client;
  char** protos; /* copied protocol list (client's offer or
                                the server's own), NULL-free */
  size_t nprotos;
  /* The set (opts.clients, held): a member while in_set, linked in the
   * order members joined. */
  int in_set;
  lode_websocket_t* set_prev;
  lode_websocket_t* set_next;
};

struct lode_websocket_clients_s {
  unsigned refs;
  size_t size;
  lode_websocket_t* head;
  lode_websocket_t* tail;
};

/* Joins opts.clients (just before on_open) and leaves it (just before
 * on_close); both do nothing without a set or when already done. */
void lode__ws_join(lode_websocket_t* ws);
void lode__ws_leave(lode_websocket_t* ws);

/* One message's deflated payload, shared by the members of a broadcast
 * whose compressor starts afresh for every message: such output depends
 * on nothing but the window bits. */
typedef struct lode__ws_zcache_s {
  lode__buf_t z[16]; /* by window bits (9..15) */
  unsigned char done[16];
} lode__ws_zcache_t;

/* The window bits of a compressor without context takeover (its output is
 * then the same for every such compressor with these bits), else 0. */
int lode__pmd_shared_bits(const lode__pmd_t* z);
/* A checked message to an OPEN connection (nothing while the closing
 * handshake has begun: returns 0); compressed as ws compresses, through
 * `zc` when not NULL. 1 when it went out, 0 when not, or an error. */
int lode__ws_send_data(lode_websocket_t* ws, int binary, lode_slice_t d,
                       lode__ws_zcache_t* zc);

/* Makes the object (CONNECTING), the timer included; copies opts with the
 * defaults filled in. NULL when memory runs out. */
lode_websocket_t* lode__ws_new(uv_loop_t* loop, int is_server,
                               const lode_websocket_opts_t* opts,
                               const lode_websocket_events_t* ev);
/* Frees what lode__ws_new made, for a create that fails before anything
 * async started. */
void lode__ws_discard(lode_websocket_t* ws);
/* Copies a protocol list into ws->protos (and opts.protocols). */
int lode__ws_keep_protocols(lode_websocket_t* ws, const char* const* p,
                            size_t n);
/* Becomes the stream's reader. */
void lode__ws_attach(lode_websocket_t* ws, lode_stream_t* stream);
/* OPEN: sets up deflate with the agreed params (NULL: none). */
int lode__ws_open(lode_websocket_t* ws, const lode__pmd_params_t* pmd);
/* Feeds frame bytes to the open connection. */
void lode__ws_feed(lode_websocket_t* ws, const uint8_t* p, size_t n);
/* Fails the connection: error event with `code` and `message`, a close
 * frame with close_code (0: none), then the transport goes. */
void lode__ws_fail(lode_websocket_t* ws, int code, int close_code,
                   const char* message);
/* Ends the stream and arms the close timeout. */
void lode__ws_end_stream(lode_websocket_t* ws);
/* Destroys the transport if it has not closed within opts.close_timeout. */
void lode__ws_arm_close_timeout(lode_websocket_t* ws);
void lode__ws_hold(lode_websocket_t* ws);
/* Returns 1 if that freed the object. */
int lode__ws_release(lode_websocket_t* ws);
/* Role hooks on data before OPEN (client.c, server.c). */
void lode__ws_client_data(lode_websocket_t* ws, const uint8_t* p, size_t n);
void lode__ws_client_free(lode__ws_client_t* c);
void lode__ws_server_data(lode_websocket_t* ws, const uint8_t* p, size_t n);
/* Writes raw bytes (the handshake) to the stream. */
int lode__ws_write_raw(lode_websocket_t* ws, const char* p, size_t n);

#endif
