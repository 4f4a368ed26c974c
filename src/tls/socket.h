/* The TLS socket's state, shared by the socket, its getters and the
 * server. */
#ifndef LODE_TLS_SOCKET_H
#define LODE_TLS_SOCKET_H

#include "core/loop.h"
#include "tls/internal.h"

enum {
  TF_SECURE = LODE__F_KIND << 0, /* the handshake is done */
  TF_PAUSED = LODE__F_KIND << 1,
  TF_ENDING = LODE__F_KIND << 2,     /* end() was called */
  TF_READ_ENDED = LODE__F_KIND << 3, /* on_end was emitted */
  TF_UNDER_CLOSED = LODE__F_KIND << 4,
  TF_NEED_DRAIN = LODE__F_KIND << 5,
  TF_TIMER = LODE__F_KIND << 6, /* `lp` is held (the timers below) */
  TF_HAD_ERROR = LODE__F_KIND << 7,
  TF_QUIET = LODE__F_KIND << 8,       /* the server reported the error */
  TF_KICK = LODE__F_KIND << 9,        /* `kick` runs a read pass */
  TF_PEER_EOF = LODE__F_KIND << 10,   /* the stream under it ended */
  TF_RENEG = LODE__F_KIND << 11,      /* a renegotiation is under way */
  TF_RENEG_DONE = LODE__F_KIND << 12, /* ... and has just ended */
  TF_SHUT = LODE__F_KIND << 13,       /* close_notify was sent */
  TF_LATE_WRITE = LODE__F_KIND << 14, /* a write failed after it */
  TF_ALPN_LENT = LODE__F_KIND << 15,  /* `alpn` is its server's */
};

/* A write or end made before the handshake ended, or in flight. */
typedef struct tls_req_s {
  lode__queue_t q;
  struct lode_tls_socket_s* t;
  void (*cb)(void); /* lode_stream_cb or lode_tls_socket_cb */
  void* arg;
  int tls_form; /* cb is a lode_tls_socket_cb */
  int is_end;
  size_t len;
  char data[];
} tls_req_t;

struct lode_tls_socket_s {
  lode_stream_t stream;
  lode__obj_t obj;
  lode_stream_t* under;
  lode_socket_t* sock;       /* when under is a net socket */
  lode_tls_server_t* server; /* the server that accepted it */
  lode__queue_t server_node;
  lode_tls_context_t* ctx;
  SSL* ssl;
  BIO* bio;        /* ciphertext both ways (bio.c) */
  const char* cur; /* the slice lent by on_data */
  size_t cur_len, cur_off;
  char* keep; /* what a pass left unread */
  size_t keep_len, keep_off;
  char* out; /* written by OpenSSL, not sent yet */
  size_t out_len, out_cap;
  const lode_tls_socket_events_t* ev;
  lode__queue_t pending; /* writes before the handshake */
  lode_error_t* err;     /* emitted before on_close */
  /* The loop's timers (core/loop.h), embedded: no handle per socket. */
  lode__loop_t* lp;
  lode__idle_t hs_timer; /* handshake timeout (server sides) */
  lode__tick_t kick;     /* a read pass after resume */
  unsigned handshake_timeout;
  int is_server;
  int reject_unauthorized;
  int request_cert;
  int authorized;
  unsigned min_dh_size;
  unsigned renegotiations; /* since last_handshake (Node's limit) */
  unsigned alpn_len;       /* of `alpn` */
  unsigned char* alpn;     /* wire form (https servers have one) */
  struct tls_rare_s* rare; /* NULL until one of its fields is set */
  uint64_t last_handshake; /* the last handshake's time */
};

/* What a client sets, and a server's socket only for a client's SNI or
 * ALPN, options or rare calls: kept apart so a server's idle connection
 * fits a smaller allocation (480 bytes to 368 with glibc). */
struct tls_rare_s {
  char* servername;
  char* host;
  char* alpn_selected;
  const char* authorization_error;
  lode_tls_check_identity_fn check_identity;
  void* check_identity_arg;
  const char* (*alpn_cb)(const char*, const char* const*, void*);
  void* alpn_cb_arg;
  int (*psk_cb)(lode_tls_socket_t*, const char*, lode_tls_psk_t*, void*);
  void* psk_cb_arg;
  char** sigalgs;              /* getSharedSigalgs' last answer */
  lode_tls_socket_cb reneg_cb; /* renegotiate()'s callback */
  void* reneg_arg;
  BIO* trace; /* enableTrace's output (stderr) */
};

lode_tls_socket_t* lode__tls_of_ssl(SSL* ssl);
/* The rare fields, made on first use; NULL when out of memory. */
struct tls_rare_s* lode__tls_rare(lode_tls_socket_t* t);
/* A rare field's value, or 0 / NULL while there is none. */
#define TLS_RARE(t, f) ((t)->rare != NULL ? (t)->rare->f : 0)

/* bio.c: the BIO, lending it a slice to read for a pass and keeping what
 * it left, dropping what was written, and freeing both buffers. */
BIO* lode__tls_bio_new(lode_tls_socket_t* t);
size_t lode__tls_in_pending(const lode_tls_socket_t* t);
void lode__tls_in_lend(lode_tls_socket_t* t, lode_slice_t d);
int lode__tls_in_return(lode_tls_socket_t* t);
void lode__tls_out_drop(lode_tls_socket_t* t);
void lode__tls_bio_free_buffers(lode_tls_socket_t* t);
/* ALPN names in their wire form (a new buffer; *out NULL for none). */
int lode__tls_alpn_wire(const char* const* names, unsigned char** out,
                        unsigned* len);
/* A server side made by a server (the server hands it the options and,
 * when it has one, its ALPN wire form, lent while the socket is its:
 * else each socket would keep a copy). */
int lode__tls_socket_new(lode_stream_t* under, const lode_tls_opts_t* o,
                         lode_tls_context_t* ctx,
                         const lode_tls_socket_events_t* ev, lode_slice_t alpn,
                         lode_tls_socket_t** out, lode_error_t* err);
void lode__tls_socket_start(lode_tls_socket_t* t);
/* The server's part (server.c). */
void lode__tls_server_secure(lode_tls_server_t* srv, lode_tls_socket_t* t);
void lode__tls_server_client_error(lode_tls_server_t* srv, lode_tls_socket_t* t,
                                   const lode_error_t* err);
void lode__tls_server_keylog(lode_tls_server_t* srv, lode_tls_socket_t* t,
                             lode_slice_t line);
int lode__tls_server_wants_keylog(const lode_tls_server_t* srv);
int lode__tls_server_wants_sessions(const lode_tls_server_t* srv);
void lode__tls_server_new_session(lode_tls_server_t* srv, lode_slice_t id,
                                  lode_slice_t data);
lode_bytes_t* lode__tls_server_resume_session(lode_tls_server_t* srv,
                                              lode_slice_t id);
lode_bytes_t* lode__tls_server_ocsp_request(lode_tls_server_t* srv,
                                            lode_slice_t cert,
                                            lode_slice_t issuer,
                                            lode_tls_socket_t* t);
void lode__tls_server_socket_closed(lode_tls_server_t* srv,
                                    lode_tls_socket_t* t);

#endif
