/* Node's tls.TLSSocket: a duplex stream over another one, with OpenSSL fed
 * through a BIO (bio.c). The TLS socket is the reader of the stream
 * under it: ciphertext comes in through on_data and is read in place
 * through the BIO, and what OpenSSL writes to it is written to the
 * stream under it at once.
 * Every event comes from a callback of the stream under it (or the
 * socket's timers), so none is emitted inside the call that caused it. */
#include "tls/socket.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

#define HIGH_WATER_MARK (16 * 1024)
#define READ_CHUNK (16 * 1024)
#define DEFAULT_HANDSHAKE_TIMEOUT 120000

static lode_tls_socket_t* tls_of(const lode_stream_t* s) {
  return lode__container_of(s, lode_tls_socket_t, stream);
}

static int has(const lode_tls_socket_t* t, uint32_t f) {
  return (t->obj.flags & f) != 0;
}

static int dead(const lode_tls_socket_t* t) {
  return has(t, LODE__F_DESTROYED);
}

static void hold(lode_tls_socket_t* t) {
  lode__hold(&t->obj);
}

/* The handshake timeout and a pending read kick, stopped. */
static void stop_timers(lode_tls_socket_t* t) {
  if (!has(t, TF_TIMER))
    return;
  lode__idle_set(t->lp, &t->hs_timer, 0);
  lode__tick_cancel(t->lp, &t->kick);
}

/* ---- Completions ---- */

static void complete(lode_tls_socket_t* t, void (*cb)(void), void* arg,
                     int tls_form, int status) {
  if (cb == NULL)
    return;
  if (tls_form)
    ((lode_tls_socket_cb) cb)(t, status, arg);
  else
    ((lode_stream_cb) cb)(&t->stream, status, arg);
}

static tls_req_t* req_new(lode_tls_socket_t* t, void (*cb)(void), void* arg,
                          int tls_form, size_t len) {
  tls_req_t* r = malloc(sizeof(*r) + len);
  if (r == NULL)
    return NULL;
  r->t = t;
  r->cb = cb;
  r->arg = arg;
  r->tls_form = tls_form;
  r->is_end = 0;
  r->len = len;
  lode__queue_init(&r->q);
  return r;
}

/* The stream under it finished a write (or end) that carried a user's. */
static void under_done(lode_stream_t* under, int status, void* arg) {
  tls_req_t* r = arg;
  lode_tls_socket_t* t = r->t;
  void (*cb)(void) = r->cb;
  void* cb_arg = r->arg;
  int form = r->tls_form;
  free(r);
  if (status == LODE_ERR_STREAM_DESTROYED || status == UV_ECANCELED)
    status = LODE_ERR_STREAM_DESTROYED;
  hold(t);
  complete(t, cb, cb_arg, form, status);
  lode__release(&t->obj);
}

/* ---- Events, reader first ---- */

static void emit_error_now(lode_tls_socket_t* t, const lode_error_t* e) {
  lode_stream_emit_error(&t->stream, e);
  if (t->ev != NULL && t->ev->on_error != NULL)
    t->ev->on_error(t, e);
}

static void emit_drain(lode_tls_socket_t* t) {
  t->obj.flags &= ~(uint32_t) TF_NEED_DRAIN;
  hold(t);
  lode_stream_emit_drain(&t->stream);
  if (!dead(t) && t->ev != NULL && t->ev->on_drain != NULL)
    t->ev->on_drain(t);
  lode__release(&t->obj);
}

/* Keeps the first error, for on_close's time. */
static void set_error(lode_tls_socket_t* t, const lode_error_t* e) {
  t->obj.flags |= TF_HAD_ERROR;
  if (t->err != NULL || e == NULL)
    return;
  t->err = lode_error_copy(e);
  if (t->err == NULL) {
    lode_error_t c;
    lode_error_init(&c, e->code);
    t->err = lode_error_copy(&c);
  }
}

/* ---- Output ---- */

/* Writes what OpenSSL produced to the stream under it; `r` (may be NULL)
 * completes with that write. Returns the write's answer (1 when nothing
 * was pending). */
static int flush_out(lode_tls_socket_t* t, tls_req_t* r) {
  size_t n = t->out_len;
  int rc = 1;
  if (n > 0 && !has(t, TF_UNDER_CLOSED)) {
    /* The stream copies what it cannot send at once. */
    rc = lode_stream_write(t->under, (lode_slice_t){ t->out, n },
                           r ? under_done : NULL, r);
    if (rc < 0 && r != NULL) {
      /* The stream under it is gone: the write fails later, as Node's. */
      lode__queue_insert_tail(&t->pending, &r->q);
      r = NULL;
    } else {
      r = NULL;
    }
  }
  lode__tls_out_drop(t);
  if (r != NULL) {
    /* Nothing to send (an empty write): complete it with the stream's
     * next write, or at once when there is none. */
    int w = lode_stream_write(t->under, (lode_slice_t){ "", 0 }, under_done, r);
    if (w < 0)
      lode__queue_insert_tail(&t->pending, &r->q);
  }
  return rc;
}

static void destroy_with(lode_tls_socket_t* t, const lode_error_t* e) {
  if (dead(t))
    return;
  t->obj.flags |= LODE__F_DESTROYED;
  if (e != NULL)
    set_error(t, e);
  stop_timers(t);
  if (!has(t, TF_UNDER_CLOSED))
    lode_stream_destroy(t->under, NULL);
}

static void destroy_code(lode_tls_socket_t* t, int code) {
  lode_error_t e;
  lode_error_init(&e, code);
  destroy_with(t, &e);
}

#define RECORD (16 * 1024) /* the plain text of one TLS record, at most */

/* Encrypts `len` bytes (at most a record's) into t->out, first handing
 * on what is there once it reaches a record's size, so it never grows
 * much past one record. Returns 0, or the error the socket is destroyed
 * with. */
static int seal(lode_tls_socket_t* t, const char* p, size_t len) {
  while (len > 0) {
    if (t->out_len >= RECORD)
      flush_out(t, NULL);
    int n = SSL_write(t->ssl, p, (int) len);
    if (n <= 0) {
      lode_error_t e;
      lode__tls_error_from_queue(&e, LODE_ERR_SSL);
      destroy_with(t, &e);
      return e.code;
    }
    p += n;
    len -= (size_t) n;
  }
  return 0;
}

/* Encrypts one write and hands it on; `r` completes with the last of it.
 * The buffers of a write are gathered into records of up to RECORD
 * bytes, as Node's TLSWrap copies a write of several buffers into one:
 * an HTTP chunk's size line, data and CRLF are one record in one write
 * to the stream under it, not three. */
static int send_plain(lode_tls_socket_t* t, const lode_slice_t* bufs,
                      size_t nbufs, tls_req_t* r) {
  char gather[RECORD];
  size_t glen = 0;
  int rc = 0;
  for (size_t i = 0; i < nbufs && rc == 0; i++) {
    const char* p = bufs[i].base;
    size_t len = bufs[i].len;
    while (len > 0 && rc == 0) {
      if (glen == 0 && (len >= RECORD || i == nbufs - 1)) {
        size_t n = len > RECORD ? RECORD : len; /* straight from the buffer */
        rc = seal(t, p, n);
        p += n;
        len -= n;
        continue;
      }
      size_t n = RECORD - glen < len ? RECORD - glen : len;
      memcpy(gather + glen, p, n);
      glen += n;
      p += n;
      len -= n;
      if (glen == RECORD) {
        rc = seal(t, gather, glen);
        glen = 0;
      }
    }
  }
  if (rc == 0 && glen > 0)
    rc = seal(t, gather, glen);
  if (rc != 0) {
    free(r);
    return rc;
  }
  return flush_out(t, r);
}

static void send_end(lode_tls_socket_t* t, tls_req_t* r) {
  if (!has(t, TF_UNDER_CLOSED)) {
    /* close_notify, then the end of the stream under it. */
    SSL_shutdown(t->ssl);
    ERR_clear_error();
    t->obj.flags |= TF_SHUT;
    flush_out(t, NULL);
    if (lode_stream_end(t->under, r ? under_done : NULL, r) >= 0)
      return;
  }
  if (r != NULL)
    lode__queue_insert_tail(&t->pending, &r->q);
}

/* After the handshake: what was written before it goes out, in order. */
static void flush_pending(lode_tls_socket_t* t) {
  lode__queue_t q;
  lode__queue_init(&q);
  lode__queue_move(&t->pending, &q);
  while (!lode__queue_empty(&q) && !dead(t)) {
    tls_req_t* r = lode__container_of(lode__queue_head(&q), tls_req_t, q);
    lode__queue_remove(&r->q);
    if (r->is_end) {
      send_end(t, r);
    } else {
      lode_slice_t b = { r->data, r->len };
      tls_req_t* done = req_new(t, r->cb, r->arg, r->tls_form, 0);
      if (done == NULL) {
        lode__queue_insert_tail(&t->pending, &r->q);
        continue;
      }
      send_plain(t, &b, 1, done);
      free(r);
    }
  }
  lode__queue_move(&q, &t->pending); /* left by a destroy: fail later */
  /* A writer told to wait before the handshake waits for this drain if
   * the stream under it took everything. */
  if (!dead(t) && has(t, TF_NEED_DRAIN) &&
      lode_stream_writable_length(t->under) < HIGH_WATER_MARK)
    emit_drain(t);
}

/* Plain text goes out now, or waits for the handshake (the first, or a
 * renegotiation: OpenSSL would refuse it in the middle of one). */
static int writable_now(const lode_tls_socket_t* t) {
  return has(t, TF_SECURE) && !has(t, TF_RENEG);
}

/* The plain text kept for the end of a handshake. */
static size_t pending_len(lode_tls_socket_t* t) {
  size_t n = 0;
  lode__queue_t* e;
  lode__queue_foreach(e, &t->pending)
      n += lode__container_of(e, tls_req_t, q)->len;
  return n;
}

static int do_write(lode_tls_socket_t* t, const lode_slice_t* bufs,
                    size_t nbufs, void (*cb)(void), void* arg, int tls_form) {
  if (dead(t))
    return LODE_ERR_STREAM_DESTROYED;
  if (has(t, TF_ENDING)) {
    lode_error_t e;
    lode_error_init(&e, LODE_ERR_STREAM_WRITE_AFTER_END);
    destroy_with(t, &e);
    return LODE_ERR_STREAM_WRITE_AFTER_END;
  }
  if (writable_now(t)) {
    tls_req_t* r = cb != NULL ? req_new(t, cb, arg, tls_form, 0) : NULL;
    if (cb != NULL && r == NULL)
      return UV_ENOMEM;
    int rc = send_plain(t, bufs, nbufs, r);
    if (rc == 0)
      t->obj.flags |= TF_NEED_DRAIN;
    return rc;
  }
  size_t len = 0;
  for (size_t i = 0; i < nbufs; i++)
    len += bufs[i].len;
  tls_req_t* r = req_new(t, cb, arg, tls_form, len);
  if (r == NULL)
    return UV_ENOMEM;
  len = 0;
  for (size_t i = 0; i < nbufs; i++) {
    if (bufs[i].len > 0)
      memcpy(r->data + len, bufs[i].base, bufs[i].len);
    len += bufs[i].len;
  }
  lode__queue_insert_tail(&t->pending, &r->q);
  if (pending_len(t) < HIGH_WATER_MARK)
    return 1;
  t->obj.flags |= TF_NEED_DRAIN;
  return 0;
}

static int do_end(lode_tls_socket_t* t, void (*cb)(void), void* arg,
                  int tls_form) {
  if (dead(t))
    return LODE_ERR_STREAM_DESTROYED;
  if (has(t, TF_ENDING))
    return LODE_ERR_STREAM_ALREADY_FINISHED;
  tls_req_t* r = cb != NULL ? req_new(t, cb, arg, tls_form, 0) : NULL;
  if (cb != NULL && r == NULL)
    return UV_ENOMEM;
  t->obj.flags |= TF_ENDING;
  if (writable_now(t)) {
    send_end(t, r);
    return 0;
  }
  if (r == NULL && (r = req_new(t, NULL, NULL, 0, 0)) == NULL)
    return UV_ENOMEM;
  r->is_end = 1;
  lode__queue_insert_tail(&t->pending, &r->q);
  return 0;
}

/* ---- The handshake ---- */

static void fail_handshake(lode_tls_socket_t* t, const lode_error_t* e) {
  flush_out(t, NULL); /* the alert, if OpenSSL made one */
  if (t->server != NULL) {
    t->obj.flags |= TF_QUIET;
    t->obj.flags |= TF_HAD_ERROR;
    hold(t);
    lode__tls_server_client_error(t->server, t, e);
    destroy_with(t, NULL);
    lode__release(&t->obj); /* its own reference keeps it till close */
    return;
  }
  destroy_with(t, e);
}

/* Node's onConnectSecure: the chain's result, then the host name. */
/* Node's VerifyPeerCertificate: the chain's result; without a peer
 * certificate UNABLE_TO_GET_ISSUER_CERT, unless a PSK did the
 * authentication (a PSK cipher, or TLS 1.3, where a PSK looks like a
 * resumed session). */
static long verify_result(lode_tls_socket_t* t) {
  X509* peer = SSL_get1_peer_certificate(t->ssl);
  if (peer != NULL) {
    X509_free(peer);
    return SSL_get_verify_result(t->ssl);
  }
  const SSL_CIPHER* c = SSL_get_current_cipher(t->ssl);
  SSL_SESSION* sess = SSL_get_session(t->ssl);
  if ((c != NULL && SSL_CIPHER_get_auth_nid(c) == NID_auth_psk) ||
      (sess != NULL &&
       SSL_SESSION_get_protocol_version(sess) == TLS1_3_VERSION &&
       SSL_session_reused(t->ssl)))
    return X509_V_OK;
  return X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT;
}

/* Node's onConnectSecure: the chain's result, then the host name (with
 * an empty certificate when the server sent none, as Node's {}). */
static int verify_client_side(lode_tls_socket_t* t, lode_error_t* e) {
  long v = verify_result(t);
  int rc = 0;
  if (v != X509_V_OK) {
    rc = lode__tls_error_verify(e, v);
  } else if (!SSL_session_reused(t->ssl)) {
    const char* name = TLS_RARE(t, servername) ? t->rare->servername
                       : TLS_RARE(t, host)     ? t->rare->host
                                               : "localhost";
    static const char* const no_names[] = { NULL };
    static const lode_tls_cert_t empty = { .subject = no_names,
                                           .issuer = no_names };
    X509* peer = SSL_get1_peer_certificate(t->ssl);
    lode_tls_cert_t* c = peer != NULL ? lode__tls_cert_new(peer) : NULL;
    X509_free(peer);
    if (peer != NULL && c == NULL) {
      lode_error_init(e, UV_ENOMEM);
      rc = UV_ENOMEM;
    } else if (TLS_RARE(t, check_identity) != NULL) {
      rc = t->rare->check_identity(name, c ? c : &empty, e,
                                   t->rare->check_identity_arg);
    } else {
      rc = lode_tls_check_server_identity(name, c ? c : &empty, e);
    }
    lode_tls_cert_free(c);
  }
  if (rc != 0 && lode__tls_rare(t) != NULL)
    t->rare->authorization_error = e->name;
  t->authorized = rc == 0;
  return rc;
}

static void record_alpn(lode_tls_socket_t* t) {
  const unsigned char* p;
  unsigned n;
  SSL_get0_alpn_selected(t->ssl, &p, &n);
  if (n == 0 || lode__tls_rare(t) == NULL)
    return;
  char* sel = malloc(n + 1);
  if (sel == NULL)
    return;
  memcpy(sel, p, n);
  sel[n] = '\0';
  t->rare->alpn_selected = sel;
}

/* Node's minDHSize: 'error', then a close without error, as Node. */
static int dh_too_small(lode_tls_socket_t* t) {
  lode_tls_key_info_t k;
  if (lode_tls_socket_get_ephemeral_key_info(t, &k) != 0 ||
      strcmp(k.type, "DH") != 0 || (unsigned) k.size >= t->min_dh_size)
    return 0;
  lode_error_t e;
  lode_error_init(&e, LODE_ERR_TLS_DH_PARAM_SIZE);
  lode_error_set_message(&e, "DH parameter size %d is less than 2048", k.size);
  lode__tls_out_drop(t);
  hold(t);
  emit_error_now(t, &e);
  destroy_with(t, NULL);
  lode__release(&t->obj);
  return 1;
}

static void on_secure(lode_tls_socket_t* t) {
  t->obj.flags |= TF_SECURE;
  t->last_handshake = uv_now(t->stream.loop);
  stop_timers(t);
  record_alpn(t);
  if (t->is_server) {
    flush_out(t, NULL);
    const char* sni = SSL_get_servername(t->ssl, TLSEXT_NAMETYPE_host_name);
    if (sni != NULL && TLS_RARE(t, servername) == NULL &&
        lode__tls_rare(t) != NULL)
      t->rare->servername = strdup(sni);
    if (t->request_cert) {
      long v = verify_result(t);
      t->authorized = v == X509_V_OK;
      if (!t->authorized) {
        if (lode__tls_rare(t) != NULL)
          t->rare->authorization_error = lode__tls_verify_name(v);
        if (t->reject_unauthorized) {
          /* Node destroys it before 'secureConnection'; its server then
           * reports the close as a hang-up in tlsClientError. */
          lode_error_t e;
          lode_error_init(&e, UV_ECONNRESET);
          lode_error_set_message(&e, "socket hang up");
          lode__tls_out_drop(t);
          fail_handshake(t, &e);
          return;
        }
      }
    }
    flush_pending(t);
    if (dead(t))
      return;
    if (t->ev != NULL && t->ev->on_secure != NULL) {
      t->ev->on_secure(t);
      if (dead(t))
        return;
    }
    if (t->server != NULL)
      lode__tls_server_secure(t->server, t);
    return;
  }
  lode_error_t e;
  if (dh_too_small(t))
    return;
  if (verify_client_side(t, &e) != 0 && t->reject_unauthorized) {
    /* As Node, the client's Finished never goes: to the server the
     * connection ends in the middle of its handshake. */
    lode__tls_out_drop(t);
    destroy_with(t, &e);
    return;
  }
  flush_out(t, NULL);
  flush_pending(t);
  if (dead(t))
    return;
  if (t->ev != NULL && t->ev->on_secure_connect != NULL)
    t->ev->on_secure_connect(t);
}

/* Returns 1 when the handshake is done, 0 when it waits for bytes, -1
 * when it failed (the socket is being destroyed). */
static int handshake(lode_tls_socket_t* t) {
  ERR_clear_error();
  int rc = SSL_do_handshake(t->ssl);
  if (rc == 1)
    return 1; /* on_secure sends the last flight */
  int why = SSL_get_error(t->ssl, rc);
  if (why == SSL_ERROR_WANT_READ || why == SSL_ERROR_WANT_WRITE) {
    flush_out(t, NULL);
    return 0;
  }
  lode_error_t e;
  long v = SSL_get_verify_result(t->ssl);
  if (ERR_peek_error() == 0 && v != X509_V_OK)
    lode__tls_error_verify(&e, v);
  else
    lode__tls_error_from_queue(&e, UV_ECONNRESET);
  fail_handshake(t, &e);
  return -1;
}

/* ---- Input ---- */

static void emit_end(lode_tls_socket_t* t) {
  if (has(t, TF_READ_ENDED))
    return;
  t->obj.flags |= TF_READ_ENDED;
  lode_stream_emit_end(&t->stream);
  if (dead(t))
    return;
  if (t->ev != NULL && t->ev->on_end != NULL)
    t->ev->on_end(t);
}

/* An end queued behind a renegotiation goes now (the writes before it
 * cannot: they fail at close). */
static void send_queued_end(lode_tls_socket_t* t) {
  lode__queue_t* e;
  lode__queue_foreach(e, &t->pending) {
    tls_req_t* r = lode__container_of(e, tls_req_t, q);
    if (r->is_end) {
      lode__queue_remove(&r->q);
      send_end(t, r);
      return;
    }
  }
}

/* The peer is done (close_notify, or the end of the stream under it):
 * 'end', then our own end, as a TLS socket is not half-open. A
 * renegotiation under way can never finish now; were the end left
 * waiting for it, the connection would stay open for good. */
static void peer_ended(lode_tls_socket_t* t) {
  int reneg = has(t, TF_RENEG);
  t->obj.flags &= ~(uint32_t) (TF_RENEG | TF_RENEG_DONE);
  emit_end(t);
  if (dead(t))
    return;
  if (!has(t, TF_ENDING))
    do_end(t, NULL, NULL, 0);
  else if (reneg)
    send_queued_end(t);
}

/* Reads what OpenSSL has decrypted, while the socket flows. */
/* Whether OpenSSL has nothing more to give without new input: no
 * ciphertext waits in the BIO and none in OpenSSL (which, without
 * read-ahead, takes one record at a time). */
static int drained(const lode_tls_socket_t* t) {
  return lode__tls_in_pending(t) == 0 && !SSL_has_pending(t->ssl);
}

static void read_plain(lode_tls_socket_t* t) {
  char buf[READ_CHUNK];
  while (!dead(t) && !has(t, TF_PAUSED | TF_READ_ENDED)) {
    if (ERR_peek_error() != 0) /* SSL_get_error reads the queue */
      ERR_clear_error();
    int n = SSL_read(t->ssl, buf, sizeof(buf));
    if (n > 0) {
      lode_slice_t d = { buf, (size_t) n };
      lode_stream_emit_data(&t->stream, d);
      if (dead(t))
        return;
      if (t->ev != NULL && t->ev->on_data != NULL)
        t->ev->on_data(t, d);
      if (dead(t) || !drained(t))
        continue;
      /* All read: the SSL_read that would only say so is skipped (a
       * third of a small request's read path). */
      if (t->out_len > 0)
        flush_out(t, NULL);
      if (has(t, TF_PEER_EOF) && !has(t, TF_PAUSED | TF_READ_ENDED))
        peer_ended(t);
      return;
    }
    int why = SSL_get_error(t->ssl, n);
    flush_out(t, NULL); /* replies OpenSSL makes while reading */
    if (why == SSL_ERROR_WANT_READ || why == SSL_ERROR_WANT_WRITE) {
      /* Without auto-retry OpenSSL stops after a record that carried no
       * data (a session ticket, a key update): go on while bytes wait. */
      if (lode__tls_in_pending(t) > 0)
        continue;
      /* The stream ended without close_notify: Node reports it as an
       * end too, once what came before it is read. */
      if (has(t, TF_PEER_EOF))
        peer_ended(t);
      return;
    }
    if (why == SSL_ERROR_ZERO_RETURN) { /* close_notify */
      peer_ended(t);
      return;
    }
    lode_error_t e;
    lode__tls_error_from_queue(&e, UV_ECONNRESET);
    destroy_with(t, &e);
    return;
  }
}

/* ---- Renegotiation (TLS 1.2 and older) ---- */

#define CLIENT_RENEG_LIMIT 3       /* Node's tls.CLIENT_RENEG_LIMIT */
#define CLIENT_RENEG_WINDOW 600000 /* ms; Node's CLIENT_RENEG_WINDOW */

/* Node's onhandshakestart: more than CLIENT_RENEG_LIMIT renegotiations
 * with less than CLIENT_RENEG_WINDOW between them is an attack. */
static void count_renegotiation(lode_tls_socket_t* t) {
  uint64_t now = uv_now(t->stream.loop);
  if (now - t->last_handshake >= CLIENT_RENEG_WINDOW)
    t->renegotiations = 0;
  t->last_handshake = now;
  if (++t->renegotiations > CLIENT_RENEG_LIMIT) {
    lode_error_t e;
    lode_error_init(&e, LODE_ERR_TLS_SESSION_ATTACK);
    destroy_with(t, &e);
  }
}

/* OpenSSL's info callback: a handshake that starts after the first one
 * is a renegotiation; plain text waits while it lasts. */
static void on_info(const SSL* ssl, int where, int ret) {
  lode_tls_socket_t* t = lode__tls_of_ssl((SSL*) ssl);
  if (t == NULL || !has(t, TF_SECURE) || dead(t) ||
      SSL_version(ssl) >= TLS1_3_VERSION)
    return;
  if (where & SSL_CB_HANDSHAKE_START) {
    t->obj.flags |= TF_RENEG;
    if (t->is_server)
      count_renegotiation(t);
  }
  if ((where & SSL_CB_HANDSHAKE_DONE) && has(t, TF_RENEG) &&
      !SSL_renegotiate_pending((SSL*) ssl))
    t->obj.flags |= TF_RENEG_DONE;
}

static void renegotiated(lode_tls_socket_t* t) {
  t->obj.flags &= ~(uint32_t) (TF_RENEG | TF_RENEG_DONE);
  flush_pending(t);
  lode_tls_socket_cb cb = TLS_RARE(t, reneg_cb);
  if (cb != NULL)
    t->rare->reneg_cb = NULL;
  if (cb != NULL && !dead(t))
    cb(t, 0, t->rare->reneg_arg);
}

int lode_tls_socket_renegotiate(lode_tls_socket_t* t, lode_tls_socket_cb cb,
                                void* arg) {
  if (t == NULL)
    return UV_EINVAL;
  if (dead(t))
    return LODE_ERR_STREAM_DESTROYED;
  if (!has(t, TF_SECURE) || has(t, TF_RENEG) || TLS_RARE(t, reneg_cb) != NULL)
    return UV_EBUSY;
  if (lode__tls_rare(t) == NULL)
    return UV_ENOMEM;
  ERR_clear_error();
  if (SSL_renegotiate(t->ssl) != 1) {
    lode_error_t e;
    return lode__tls_error_from_queue(&e, LODE_ERR_SSL);
  }
  t->obj.flags |= TF_RENEG;
  t->rare->reneg_cb = cb;
  t->rare->reneg_arg = arg;
  SSL_do_handshake(t->ssl); /* the new hello; the rest comes as data */
  ERR_clear_error();
  flush_out(t, NULL);
  return 0;
}

/* One pass: the handshake while it lasts, then the plain text. */
static void pump(lode_tls_socket_t* t) {
  hold(t);
  if (!has(t, TF_SECURE)) {
    int h = handshake(t);
    if (h == 1)
      on_secure(t);
    if (h != 1 || dead(t))
      goto out;
  }
  read_plain(t);
  if (!dead(t) && has(t, TF_RENEG_DONE))
    renegotiated(t);
out:
  lode__release(&t->obj);
}

static void on_under_data(void* ctx, lode_stream_t* s, lode_slice_t d) {
  lode_tls_socket_t* t = ctx;
  if (dead(t))
    return;
  /* OpenSSL reads what the last pass left first, then `d` in place. */
  lode__tls_in_lend(t, d);
  hold(t);
  pump(t);
  if (dead(t))
    lode__tls_in_lend(t, (lode_slice_t){ NULL, 0 });
  else if (lode__tls_in_return(t) != 0)
    destroy_code(t, UV_ENOMEM);
  lode__release(&t->obj);
}

static void disconnected(lode_tls_socket_t* t) {
  lode_error_t e;
  if (t->is_server) {
    lode_error_init(&e, UV_ECONNRESET);
    lode_error_set_message(&e, "socket hang up");
  } else {
    lode_error_init(&e, UV_ECONNRESET);
    lode_error_set_message(&e,
                           "Client network socket disconnected before "
                           "secure TLS connection was established");
    if (t->sock != NULL) {
      const char* a = lode_socket_remote_address(t->sock);
      if (a != NULL) {
        snprintf(e.address_buf_, sizeof(e.address_buf_), "%s", a);
        e.address = e.address_buf_;
      }
      int port = lode_socket_remote_port(t->sock);
      e.port = port > 0 ? port : -1;
    }
  }
  fail_handshake(t, &e);
}

static void on_under_end(void* ctx, lode_stream_t* s) {
  lode_tls_socket_t* t = ctx;
  if (dead(t))
    return;
  hold(t);
  t->obj.flags |= TF_PEER_EOF;
  if (!has(t, TF_SECURE))
    disconnected(t);
  else if (!has(t, TF_PAUSED))
    read_plain(t); /* a paused socket ends when resumed */
  lode__release(&t->obj);
}

static void on_under_drain(void* ctx, lode_stream_t* s) {
  lode_tls_socket_t* t = ctx;
  if (!dead(t) && has(t, TF_NEED_DRAIN))
    emit_drain(t);
}

static void on_under_error(void* ctx, lode_stream_t* s,
                           const lode_error_t* err) {
  lode_tls_socket_t* t = ctx;
  if (has(t, TF_SHUT) && err->syscall != NULL &&
      strcmp(err->syscall, "write") == 0) {
    /* As Node's TLSWrap ("ignoring error after shutdown"): a write that
     * fails once close_notify is sent, a peer that answered and closed
     * (EPIPE), is no error of the socket; it just closes. */
    t->obj.flags |= LODE__F_DESTROYED | TF_LATE_WRITE;
    return;
  }
  if (!has(t, TF_SECURE) && t->server != NULL && !dead(t)) {
    hold(t);
    fail_handshake(t, err);
    lode__release(&t->obj);
    return;
  }
  set_error(t, err);
  t->obj.flags |= LODE__F_DESTROYED;
}

/* The last events: error, the callbacks of what was never written,
 * close; then the socket's own reference goes. */
static void on_under_close(void* ctx, lode_stream_t* s, int had_error) {
  lode_tls_socket_t* t = ctx;
  t->obj.flags |= TF_UNDER_CLOSED | LODE__F_DESTROYED;
  stop_timers(t);
  hold(t);
  lode_error_t* err = t->err;
  t->err = NULL;
  if (err != NULL && !has(t, TF_QUIET))
    emit_error_now(t, err);
  while (!lode__queue_empty(&t->pending)) {
    tls_req_t* r = lode__container_of(lode__queue_head(&t->pending), tls_req_t,
                                      q);
    lode__queue_remove(&r->q);
    complete(t, r->cb, r->arg, r->tls_form, LODE_ERR_STREAM_DESTROYED);
    free(r);
  }
  if (TLS_RARE(t, reneg_cb) != NULL) {
    lode_tls_socket_cb cb = t->rare->reneg_cb;
    t->rare->reneg_cb = NULL;
    cb(t, LODE_ERR_STREAM_DESTROYED, t->rare->reneg_arg);
  }
  int had = err != NULL || has(t, TF_HAD_ERROR) ||
            (had_error && !has(t, TF_LATE_WRITE));
  t->obj.flags |= LODE__F_CLOSED;
  lode_stream_emit_close(&t->stream, had);
  if (t->ev != NULL && t->ev->on_close != NULL)
    t->ev->on_close(t, had);
  if (t->server != NULL)
    lode__tls_server_socket_closed(t->server, t);
  lode_error_free(err);
  lode__release(&t->obj);
  lode__release(&t->obj); /* its own */
}

static const lode_stream_reader_t under_reader = {
  .on_data = on_under_data,
  .on_end = on_under_end,
  .on_drain = on_under_drain,
  .on_error = on_under_error,
  .on_close = on_under_close,
};

/* ---- Timers: the handshake timeout, and read passes after resume ---- */

static void on_handshake_timeout(lode__idle_t* it) {
  lode_tls_socket_t* t = lode__container_of(it, lode_tls_socket_t, hs_timer);
  lode__idle_set(t->lp, it, 0); /* once */
  if (dead(t) || has(t, TF_SECURE))
    return;
  lode_error_t e;
  lode_error_init(&e, LODE_ERR_TLS_HANDSHAKE_TIMEOUT);
  hold(t);
  fail_handshake(t, &e);
  lode__release(&t->obj);
}

static void on_kick(lode__tick_t* k) {
  lode_tls_socket_t* t = lode__container_of(k, lode_tls_socket_t, kick);
  if (dead(t) || !has(t, TF_KICK))
    return;
  t->obj.flags &= ~(uint32_t) TF_KICK;
  pump(t);
}

/* ---- The stream interface ---- */

static int ops_write(lode_stream_t* s, const lode_slice_t* bufs, size_t nbufs,
                     lode_stream_cb cb, void* arg) {
  return do_write(tls_of(s), bufs, nbufs, (void (*)(void)) cb, arg, 0);
}

static int ops_end(lode_stream_t* s, lode_stream_cb cb, void* arg) {
  return do_end(tls_of(s), (void (*)(void)) cb, arg, 0);
}

static void ops_destroy(lode_stream_t* s, const lode_error_t* err) {
  destroy_with(tls_of(s), err);
}

static void ops_pause(lode_stream_t* s) {
  lode_tls_socket_t* t = tls_of(s);
  t->obj.flags |= TF_PAUSED;
  lode_stream_pause(t->under);
}

static void ops_resume(lode_stream_t* s) {
  lode_tls_socket_t* t = tls_of(s);
  if (!has(t, TF_PAUSED))
    return;
  t->obj.flags &= ~(uint32_t) TF_PAUSED;
  lode_stream_resume(t->under);
  /* OpenSSL may hold decrypted bytes no new input will bring out. */
  if (has(t, TF_SECURE) && !dead(t) && has(t, TF_TIMER)) {
    t->obj.flags |= TF_KICK;
    lode__later(t->lp, &t->kick, on_kick); /* where a 0 ms timer runs */
  }
}

static void ops_cork(lode_stream_t* s) {
  lode_stream_cork(tls_of(s)->under);
}
static void ops_uncork(lode_stream_t* s) {
  lode_stream_uncork(tls_of(s)->under);
}

/* Node's writableLength: the plain text kept for the handshake counts,
 * as in Node's stream buffer, and, once secure, what the stream under it
 * holds (before, only the handshake's own records: none of the user's). */
static size_t ops_writable_length(const lode_stream_t* s) {
  lode_tls_socket_t* t = tls_of(s);
  size_t under = has(t, TF_SECURE) ? lode_stream_writable_length(t->under) : 0;
  return pending_len(t) + under;
}

static void ops_hold(lode_stream_t* s) {
  lode__hold(&tls_of(s)->obj);
}
static void ops_release(lode_stream_t* s) {
  lode__release(&tls_of(s)->obj);
}

static const lode_stream_ops_t tls_ops = {
  .write = ops_write,
  .end = ops_end,
  .destroy = ops_destroy,
  .pause = ops_pause,
  .resume = ops_resume,
  .cork = ops_cork,
  .uncork = ops_uncork,
  .writable_length = ops_writable_length,
  .hold = ops_hold,
  .release = ops_release,
};

/* ---- Sessions and key logs (Node's 'session' and 'keylog') ---- */

/* OpenSSL's new-session callback: a client's session (a TLS 1.3 ticket
 * comes after the handshake) goes to on_session as DER. Returns 0: the
 * library keeps no reference. */
static int on_new_session(SSL* ssl, SSL_SESSION* sess) {
  lode_tls_socket_t* t = lode__tls_of_ssl(ssl);
  if (t == NULL || dead(t))
    return 0;
  int server = t->is_server && t->server != NULL &&
               lode__tls_server_wants_sessions(t->server);
  if (!server && (t->is_server || t->ev == NULL || t->ev->on_session == NULL))
    return 0;
  int n = i2d_SSL_SESSION(sess, NULL);
  unsigned char* der = n > 0 ? malloc((size_t) n) : NULL;
  if (der == NULL)
    return 0;
  unsigned char* p = der;
  i2d_SSL_SESSION(sess, &p);
  lode_slice_t data = { (char*) der, (size_t) n };
  hold(t);
  if (server) {
    unsigned id_len;
    const unsigned char* id = SSL_SESSION_get_id(sess, &id_len);
    lode__tls_server_new_session(
        t->server, (lode_slice_t){ (const char*) id, id_len }, data);
  } else {
    t->ev->on_session(t, data);
  }
  lode__release(&t->obj);
  free(der);
  return 0;
}

/* A client resumes by session id (or a TLS 1.3 stateful ticket): the
 * server's resumeSession gives the session back, or none. */
static SSL_SESSION* on_get_session(SSL* ssl, const unsigned char* id,
                                   int id_len, int* copy) {
  lode_tls_socket_t* t = lode__tls_of_ssl(ssl);
  *copy = 0;
  if (t == NULL || dead(t) || t->server == NULL)
    return NULL;
  lode_bytes_t* b = lode__tls_server_resume_session(
      t->server, (lode_slice_t){ (const char*) id, (size_t) id_len });
  if (b == NULL)
    return NULL;
  lode_slice_t v = lode_bytes_view(b);
  const unsigned char* p = (const unsigned char*) v.base;
  SSL_SESSION* sess = d2i_SSL_SESSION(NULL, &p, (long) v.len);
  lode_bytes_release(b);
  ERR_clear_error();
  return sess;
}

static void on_keylog_line(const SSL* ssl, const char* line) {
  lode_tls_socket_t* t = lode__tls_of_ssl((SSL*) ssl);
  if (t == NULL || dead(t))
    return;
  lode_slice_t l = { line, strlen(line) };
  hold(t);
  if (t->server != NULL)
    lode__tls_server_keylog(t->server, t, l);
  if (!dead(t) && t->ev != NULL && t->ev->on_keylog != NULL)
    t->ev->on_keylog(t, l);
  lode__release(&t->obj);
}

/* OpenSSL makes key log lines only while a callback is set: set it once a
 * socket or its server listens for them (as Node turns keylog on with
 * its listener). */
static void watch_events(lode_tls_socket_t* t) {
  int want = (t->ev != NULL && t->ev->on_keylog != NULL) ||
             (t->server != NULL && lode__tls_server_wants_keylog(t->server));
  if (want && t->ctx != NULL)
    SSL_CTX_set_keylog_callback(t->ctx->ctx, on_keylog_line);
}

/* OCSP stapling. A client: the response (or none) goes to
 * on_ocsp_response. A server: on_ocsp_request gives one, or none. */
static int client_ocsp(lode_tls_socket_t* t) {
  const unsigned char* resp = NULL;
  long len = SSL_get_tlsext_status_ocsp_resp(t->ssl, &resp);
  lode_slice_t r = len > 0 ? (lode_slice_t){ (const char*) resp, (size_t) len }
                           : (lode_slice_t){ NULL, 0 };
  if (t->ev != NULL && t->ev->on_ocsp_response != NULL) {
    hold(t);
    t->ev->on_ocsp_response(t, r);
    lode__release(&t->obj);
  }
  return dead(t) ? 0 : 1;
}

static lode_slice_t der_of(X509* x, unsigned char** buf) {
  int n = x != NULL ? i2d_X509(x, buf) : 0;
  return n > 0 ? (lode_slice_t){ (const char*) *buf, (size_t) n }
               : (lode_slice_t){ NULL, 0 };
}

static int server_ocsp(lode_tls_socket_t* t) {
  X509* leaf = SSL_get_certificate(t->ssl);
  if (leaf == NULL || t->server == NULL)
    return SSL_TLSEXT_ERR_NOACK;
  X509* issuer = NULL;
  STACK_OF(X509)* chain = NULL;
  SSL_get0_chain_certs(t->ssl, &chain);
  for (int i = 0; i < sk_X509_num(chain) && issuer == NULL; i++)
    if (X509_check_issued(sk_X509_value(chain, i), leaf) == X509_V_OK)
      issuer = sk_X509_value(chain, i);
  unsigned char* leaf_der = NULL;
  unsigned char* issuer_der = NULL;
  lode_slice_t l = der_of(leaf, &leaf_der);
  lode_slice_t i = der_of(issuer, &issuer_der);
  hold(t);
  lode_bytes_t* resp = lode__tls_server_ocsp_request(t->server, l, i, t);
  lode__release(&t->obj);
  OPENSSL_free(leaf_der);
  OPENSSL_free(issuer_der);
  if (resp == NULL)
    return SSL_TLSEXT_ERR_NOACK;
  lode_slice_t v = lode_bytes_view(resp);
  unsigned char* copy = v.len > 0 ? OPENSSL_malloc(v.len) : NULL;
  if (copy != NULL) {
    memcpy(copy, v.base, v.len);
    SSL_set_tlsext_status_ocsp_resp(t->ssl, copy, (long) v.len);
  }
  lode_bytes_release(resp);
  return copy != NULL ? SSL_TLSEXT_ERR_OK : SSL_TLSEXT_ERR_NOACK;
}

static int on_status(SSL* ssl, void* arg) {
  lode_tls_socket_t* t = lode__tls_of_ssl(ssl);
  if (t == NULL || dead(t))
    return t != NULL && t->is_server ? SSL_TLSEXT_ERR_NOACK : 1;
  return t->is_server ? server_ocsp(t) : client_ocsp(t);
}

void lode__tls_context_callbacks(SSL_CTX* c) {
  SSL_CTX_set_tlsext_status_cb(c, on_status);
  SSL_CTX_set_session_cache_mode(c, SSL_SESS_CACHE_CLIENT |
                                        SSL_SESS_CACHE_SERVER |
                                        SSL_SESS_CACHE_NO_INTERNAL_STORE);
  SSL_CTX_sess_set_new_cb(c, on_new_session);
  SSL_CTX_sess_set_get_cb(c, on_get_session);
}

/* ---- Making one ---- */

static void free_tls(lode__obj_t* o) {
  lode_tls_socket_t* t = lode__container_of(o, lode_tls_socket_t, obj);
  lode_error_free(t->err);
  SSL_free(t->ssl); /* frees the BIO */
  lode__tls_bio_free_buffers(t);
  lode_tls_context_release(t->ctx);
  if (t->under != NULL)
    lode_stream_release(t->under);
  if (!has(t, TF_ALPN_LENT))
    free(t->alpn);
  if (t->rare != NULL) {
    free(t->rare->servername);
    free(t->rare->host);
    free(t->rare->alpn_selected);
    free(t->rare->sigalgs);
    BIO_free(t->rare->trace);
    free(t->rare);
  }
  if (has(t, TF_TIMER)) {
    stop_timers(t);
    lode__loop_put(t->lp);
  }
  free(t);
}

/* ALPN's wire form: each name with its length byte before it. */
int lode__tls_alpn_wire(const char* const* names, unsigned char** out,
                        unsigned* len) {
  size_t n = 0;
  for (const char* const* p = names; *p != NULL; p++) {
    size_t l = strlen(*p);
    if (l == 0 || l > 255)
      return UV_EINVAL;
    n += l + 1;
  }
  if (n == 0 || n > 65535)
    return n == 0 ? 0 : UV_EINVAL;
  unsigned char* w = malloc(n);
  if (w == NULL)
    return UV_ENOMEM;
  size_t at = 0;
  for (const char* const* p = names; *p != NULL; p++) {
    size_t l = strlen(*p);
    w[at++] = (unsigned char) l;
    memcpy(w + at, *p, l);
    at += l;
  }
  *out = w;
  *len = (unsigned) n;
  return 0;
}

/* Node sends SNI for names, never for IP addresses. */
int lode__tls_is_ip(const char* h) {
  unsigned char buf[16];
  return uv_inet_pton(AF_INET, h, buf) == 0 ||
         uv_inet_pton(AF_INET6, h, buf) == 0;
}

/* Node's ALPNCallback: the client's list as strings; the answer must be
 * one of them. */
static int alpn_by_callback(lode_tls_socket_t* t, const unsigned char** out,
                            unsigned char* outlen, const unsigned char* in,
                            unsigned inlen) {
  const char* names[128];
  char buf[1024];
  size_t n = 0, at = 0;
  for (unsigned i = 0; i < inlen && n + 1 < 128;) {
    unsigned l = in[i++];
    if (l == 0 || i + l > inlen || at + l + 1 > sizeof(buf))
      break;
    memcpy(buf + at, in + i, l);
    buf[at + l] = '\0';
    names[n++] = buf + at;
    at += l + 1;
    i += l;
  }
  names[n] = NULL;
  const char* sni = SSL_get_servername(t->ssl, TLSEXT_NAMETYPE_host_name);
  hold(t);
  const char* pick = t->rare->alpn_cb(sni, names, t->rare->alpn_cb_arg);
  lode__release(&t->obj);
  for (unsigned i = 0; pick != NULL && i < inlen;) {
    unsigned l = in[i++];
    if (i + l > inlen)
      break;
    if (strlen(pick) == l && memcmp(in + i, pick, l) == 0) {
      *out = in + i;
      *outlen = (unsigned char) l;
      return SSL_TLSEXT_ERR_OK;
    }
    i += l;
  }
  return SSL_TLSEXT_ERR_ALERT_FATAL;
}

static int alpn_select(SSL* ssl, const unsigned char** out,
                       unsigned char* outlen, const unsigned char* in,
                       unsigned inlen, void* arg) {
  lode_tls_socket_t* t = lode__tls_of_ssl(ssl);
  if (t != NULL && TLS_RARE(t, alpn_cb) != NULL)
    return alpn_by_callback(t, out, outlen, in, inlen);
  if (t == NULL || t->alpn == NULL)
    return SSL_TLSEXT_ERR_NOACK;
  /* The server's order first, as Node's. */
  int rc = SSL_select_next_proto((unsigned char**) out, outlen, t->alpn,
                                 t->alpn_len, in, inlen);
  return rc == OPENSSL_NPN_NEGOTIATED ? SSL_TLSEXT_ERR_OK
                                      : SSL_TLSEXT_ERR_ALERT_FATAL;
}

/* Node's pskCallback: a client's gets the server's hint and gives an
 * identity and a key; a server's gets the identity and gives the key. */
static unsigned psk_client(SSL* ssl, const char* hint, char* identity,
                           unsigned max_identity, unsigned char* psk,
                           unsigned max_psk) {
  lode_tls_socket_t* t = lode__tls_of_ssl(ssl);
  lode_tls_psk_t out = { 0 };
  if (t == NULL || dead(t) ||
      t->rare->psk_cb(t, hint, &out, t->rare->psk_cb_arg) != 0 ||
      out.identity == NULL)
    return 0;
  size_t n = strlen(out.identity);
  if (n + 1 > max_identity || out.psk.len > max_psk || out.psk.len == 0)
    return 0;
  memcpy(identity, out.identity, n + 1);
  memcpy(psk, out.psk.base, out.psk.len);
  return (unsigned) out.psk.len;
}

static unsigned psk_server(SSL* ssl, const char* identity, unsigned char* psk,
                           unsigned max_psk) {
  lode_tls_socket_t* t = lode__tls_of_ssl(ssl);
  lode_tls_psk_t out = { 0 };
  if (t == NULL || dead(t) ||
      t->rare->psk_cb(t, identity, &out, t->rare->psk_cb_arg) != 0 ||
      out.psk.len == 0 || out.psk.len > max_psk)
    return 0;
  memcpy(psk, out.psk.base, out.psk.len);
  return (unsigned) out.psk.len;
}

/* The chain's result is kept (SSL_get_verify_result) and judged after
 * the handshake, as Node does. */
static int accept_any(int ok, X509_STORE_CTX* c) {
  return 1;
}

static int configure_ssl(lode_tls_socket_t* t, const lode_tls_opts_t* o) {
  SSL* ssl = t->ssl;
  if (o->alpn_protocols != NULL && t->alpn == NULL) {
    int rc = lode__tls_alpn_wire(o->alpn_protocols, &t->alpn, &t->alpn_len);
    if (rc != 0)
      return rc;
  }
  SSL_set_info_callback(ssl, on_info);
  if (t->is_server) {
    SSL_set_accept_state(ssl);
    /* A session id context (a server's only, as Node's), so sessions
     * resume also where client certificates are asked for. */
    const char* sid = o->session_id_context ? o->session_id_context : "lode";
    if (!SSL_set_session_id_context(ssl, (const unsigned char*) sid,
                                    (unsigned) strlen(sid)))
      return UV_EINVAL;
    /* Node lets clients renegotiate, within its limit (on_info). */
    SSL_set_options(ssl, SSL_OP_ALLOW_CLIENT_RENEGOTIATION);
    if (TLS_RARE(t, psk_cb) != NULL) {
      SSL_set_psk_server_callback(ssl, psk_server);
      if (o->psk_identity_hint != NULL &&
          !SSL_use_psk_identity_hint(ssl, o->psk_identity_hint))
        return UV_EINVAL;
    }
    if (t->alpn != NULL || TLS_RARE(t, alpn_cb) != NULL)
      SSL_CTX_set_alpn_select_cb(t->ctx->ctx, alpn_select, NULL);
    /* Node: a client without a certificate fails the handshake when
     * unauthorized clients are rejected; one whose certificate does not
     * verify is dropped after it (on_secure). */
    if (t->request_cert) {
      SSL_set_verify(
          ssl,
          SSL_VERIFY_PEER |
              (t->reject_unauthorized ? SSL_VERIFY_FAIL_IF_NO_PEER_CERT : 0),
          accept_any);
      return lode__tls_use_system_store(ssl, t->ctx);
    }
    return 0;
  }
  SSL_set_connect_state(ssl);
  if (o->request_ocsp > 0)
    SSL_set_tlsext_status_type(ssl, TLSEXT_STATUSTYPE_ocsp);
  if (TLS_RARE(t, psk_cb) != NULL)
    SSL_set_psk_client_callback(ssl, psk_client);
  /* Verification happens after the handshake (Node's onConnectSecure), so
   * the chain's result is only recorded during it. */
  SSL_set_verify(ssl, SSL_VERIFY_PEER, accept_any);
  if (lode__tls_use_system_store(ssl, t->ctx) != 0)
    return UV_ENOMEM;
  const char* sn = TLS_RARE(t, servername);
  if (sn != NULL && !lode__tls_is_ip(sn))
    SSL_set_tlsext_host_name(ssl, sn);
  if (t->alpn != NULL && SSL_set_alpn_protos(ssl, t->alpn, t->alpn_len) != 0)
    return UV_ENOMEM;
  if (o->session.len > 0) {
    const unsigned char* p = (const unsigned char*) o->session.base;
    SSL_SESSION* sess = d2i_SSL_SESSION(NULL, &p, (long) o->session.len);
    if (sess != NULL)
      SSL_set_session(ssl, sess);
    SSL_SESSION_free(sess);
    ERR_clear_error();
  }
  return 0;
}

struct tls_rare_s* lode__tls_rare(lode_tls_socket_t* t) {
  if (t->rare == NULL)
    t->rare = calloc(1, sizeof(*t->rare));
  return t->rare;
}

static char* dup_or_null(const char* s, int* failed) {
  if (s == NULL)
    return NULL;
  char* d = strdup(s);
  if (d == NULL)
    *failed = 1;
  return d;
}

int lode__tls_socket_new(lode_stream_t* under, const lode_tls_opts_t* o,
                         lode_tls_context_t* ctx,
                         const lode_tls_socket_events_t* ev, lode_slice_t alpn,
                         lode_tls_socket_t** out, lode_error_t* err) {
  lode_tls_socket_t* t = calloc(1, sizeof(*t));
  if (t == NULL)
    return UV_ENOMEM;
  lode__obj_init(&t->obj, free_tls);
  lode__queue_init(&t->pending);
  lode__queue_init(&t->server_node);
  t->stream.ops = &tls_ops;
  t->stream.loop = under->loop;
  t->ctx = ctx;
  t->ev = ev;
  t->is_server = o->is_server;
  t->reject_unauthorized = LODE_OPT_BOOL(o->reject_unauthorized, 1);
  t->request_cert = o->request_cert > 0;
  t->min_dh_size = o->min_dh_size ? o->min_dh_size : 1024;
  if (alpn.len > 0) {
    t->alpn = (unsigned char*) alpn.base;
    t->alpn_len = (unsigned) alpn.len;
    t->obj.flags |= TF_ALPN_LENT;
  }
  int failed = 0;
  if (o->host != NULL || (o->servername != NULL && !o->is_server) ||
      o->check_server_identity != NULL || o->alpn_callback != NULL ||
      o->psk_callback != NULL) {
    struct tls_rare_s* r = lode__tls_rare(t);
    if (r != NULL) {
      r->check_identity = o->check_server_identity;
      r->check_identity_arg = o->check_server_identity_arg;
      r->alpn_cb = o->alpn_callback;
      r->alpn_cb_arg = o->alpn_callback_arg;
      r->psk_cb = o->psk_callback;
      r->psk_cb_arg = o->psk_callback_arg;
      r->host = dup_or_null(o->host, &failed);
      if (!t->is_server)
        r->servername = dup_or_null(o->servername ? o->servername : o->host,
                                    &failed);
    } else {
      failed = 1;
    }
  }
  t->ssl = SSL_new(ctx->ctx);
  t->bio = lode__tls_bio_new(t);
  int rc = failed || t->ssl == NULL || t->bio == NULL ? UV_ENOMEM : 0;
  if (rc == 0) {
    SSL_set_bio(t->ssl, t->bio, t->bio); /* one reference for both */
    rc = configure_ssl(t, o);
    if (rc == 0 && o->enable_trace > 0)
      lode_tls_socket_enable_trace(t);
  } else {
    BIO_free(t->bio); /* not the SSL's yet */
  }
  if (rc == 0 && (t->lp = lode__loop_get(under->loop)) != NULL) {
    t->obj.flags |= TF_TIMER;
    t->hs_timer.fn = on_handshake_timeout;
  }
  if (rc != 0) {
    ERR_clear_error();
    t->ctx = NULL; /* the caller's to release */
    if (err != NULL)
      lode_error_init(err, rc);
    free_tls(&t->obj);
    return rc;
  }
  t->handshake_timeout = o->handshake_timeout ? o->handshake_timeout
                                              : DEFAULT_HANDSHAKE_TIMEOUT;
  watch_events(t);
  lode_stream_hold(under);
  t->under = under;
  *out = t;
  return 0;
}

/* Takes the stream under it and starts: a client sends its hello. */
void lode__tls_socket_start(lode_tls_socket_t* t) {
  lode_stream_set_reader(t->under, &under_reader, t);
  watch_events(t);
  if (t->is_server && has(t, TF_TIMER) && t->server != NULL)
    lode__idle_set(t->lp, &t->hs_timer, t->handshake_timeout);
  if (!t->is_server) {
    hold(t);
    handshake(t);
    lode__release(&t->obj);
  }
}

int lode_tls_socket_create(lode_stream_t* under, const lode_tls_opts_t* opts,
                           const lode_tls_socket_events_t* ev,
                           lode_tls_socket_t** out, lode_error_t* err) {
  static const lode_tls_opts_t none;
  if (under == NULL || out == NULL)
    return UV_EINVAL;
  if (opts == NULL)
    opts = &none;
  lode_tls_context_t* ctx;
  int rc = lode__tls_opts_context(opts, &ctx, err);
  if (rc != 0)
    return rc;
  lode_tls_socket_t* t;
  rc = lode__tls_socket_new(under, opts, ctx, ev, (lode_slice_t){ NULL, 0 }, &t,
                            err);
  if (rc != 0) {
    lode_tls_context_release(ctx);
    return rc;
  }
  t->sock = lode_socket_from_stream(under);
  lode__tls_socket_start(t);
  *out = t;
  return 0;
}

/* ---- The public wrappers ---- */

lode_stream_t* lode_tls_socket_stream(lode_tls_socket_t* t) {
  return t != NULL ? &t->stream : NULL;
}

lode_tls_socket_t* lode_tls_socket_from_stream(lode_stream_t* s) {
  return s != NULL && s->ops == &tls_ops ? tls_of(s) : NULL;
}

lode_stream_t* lode_tls_socket_under(lode_tls_socket_t* t) {
  return t->under;
}

lode_socket_t* lode_tls_socket_socket(lode_tls_socket_t* t) {
  return t->sock;
}

void lode_tls_socket_set_events(lode_tls_socket_t* t,
                                const lode_tls_socket_events_t* ev) {
  t->ev = ev;
  watch_events(t);
}

void lode_tls_socket_set_data(lode_tls_socket_t* t, void* data) {
  t->obj.data = data;
}

void* lode_tls_socket_get_data(const lode_tls_socket_t* t) {
  return t->obj.data;
}

int lode_tls_socket_write(lode_tls_socket_t* t, lode_slice_t data,
                          lode_tls_socket_cb cb, void* arg) {
  if (t == NULL)
    return UV_EINVAL;
  if (data.base == NULL && data.len > 0)
    return LODE_ERR_STREAM_NULL_VALUES;
  return do_write(t, &data, 1, (void (*)(void)) cb, arg, 1);
}

int lode_tls_socket_end(lode_tls_socket_t* t, lode_tls_socket_cb cb,
                        void* arg) {
  return t != NULL ? do_end(t, (void (*)(void)) cb, arg, 1) : UV_EINVAL;
}

void lode_tls_socket_destroy(lode_tls_socket_t* t, const lode_error_t* err) {
  if (t != NULL)
    destroy_with(t, err);
}

void lode_tls_socket_pause(lode_tls_socket_t* t) {
  ops_pause(&t->stream);
}
void lode_tls_socket_resume(lode_tls_socket_t* t) {
  ops_resume(&t->stream);
}
void lode_tls_socket_hold(lode_tls_socket_t* t) {
  lode__hold(&t->obj);
}
void lode_tls_socket_release(lode_tls_socket_t* t) {
  lode__release(&t->obj);
}
