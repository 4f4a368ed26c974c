/* What fuzz-tls-record.c (the libFuzzer target) and record-tls.c (the
 * program that records its seeds from real peers) share: a fixed test key
 * pair, OpenSSL's randomness made one fixed sequence, and lode's side of
 * the connection with its checks.
 *
 * Determinism: every random byte OpenSSL uses (hello randoms, key shares,
 * ECDSA nonces, session ids, ticket keys) comes from a counter-based
 * generator that restarts at the same value for each connection. So lode
 * sends the same hello and the same flight for the same input, and a
 * recorded peer's later bytes (its Finished, its encrypted data) still
 * fit when the record is replayed: the seeds reach the record layer, and
 * each run of the corpus takes the same paths. The one thing left that
 * depends on the clock, a session ticket's time, is kept out of what
 * lode's server sends (no tickets).
 *
 * The first input byte is the mode:
 *   0x80 lode is the server (the input is the client's bytes), else the
 *        client (the input is the server's bytes);
 *   0x40 lode pauses at each data event and resumes when the write made
 *        there completes (pause, resume and the read kick);
 *   0x20 lode writes before the handshake ends (the pending queue);
 *   0x10 lode destroys its socket at the first data event;
 *   0x0f the input is written to lode in pieces of 1 << n bytes.
 * lode as server echoes what it reads; as client it sends GREETING once
 * secure and ends once as many bytes came back. */
#ifndef LODE_FUZZ_TLS_FUZZ_H
#define LODE_FUZZ_TLS_FUZZ_H

#define OPENSSL_SUPPRESS_DEPRECATED /* RAND_set_rand_method */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>

#include "lode/tls.h"

/* A TEST KEY, FOR THE FUZZ TARGET ONLY: an ECDSA P-256 key and its
 * self-signed certificate (CN and subjectAltName localhost, 127.0.0.1;
 * valid until 2126), made once with
 *   openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes
 *     -days 36500 -subj "/O=lode fuzz test/CN=localhost"
 *     -addext "subjectAltName=DNS:localhost,IP:127.0.0.1"
 * It is fixed because the recorded seeds hold the certificate and the
 * signatures made with it. It protects nothing. */
static const char tf_test_key[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg3M3riZC656CB6kYg\n"
    "sVdF6nTrVNeEZ1GBzySsmnu7xuahRANCAARLELbwDHjXdnOGtSmzrgl4r4wPgSwP\n"
    "IZ8DuLQVYcUif/3WbFf3T3d2h+jpTDJZ7+Mp5xpqf09zsUBwkNiJOFJ0\n"
    "-----END PRIVATE KEY-----\n";
static const char tf_test_cert[] =
    "-----BEGIN CERTIFICATE-----\n"
    "MIIBzTCCAXOgAwIBAgIUBgCQDaXZqv86oQWYJz/HNyYbfBAwCgYIKoZIzj0EAwIw\n"
    "LTEXMBUGA1UECgwObG9kZSBmdXp6IHRlc3QxEjAQBgNVBAMMCWxvY2FsaG9zdDAg\n"
    "Fw0yNjEyMDQxOTM5MzBaGA8yMTI2MTExMDE5MzkzMFowLTEXMBUGA1UECgwObG9k\n"
    "ZSBmdXp6IHRlc3QxEjAQBgNVBAMMCWxvY2FsaG9zdDBZMBMGByqGSM49AgEGCCqG\n"
    "SM49AwEHA0IABEsQtvAMeNd2c4a1KbOuCXivjA+BLA8hnwO4tBVhxSJ//dZsV/dP\n"
    "d3aH6OlMMlnv4ynnGmp/T3OxQHCQ2Ik4UnSjbzBtMB0GA1UdDgQWBBRFLtWg5FYN\n"
    "npFAGLXMSk4Q38Qz4TAfBgNVHSMEGDAWgBRFLtWg5FYNnpFAGLXMSk4Q38Qz4TAP\n"
    "BgNVHRMBAf8EBTADAQH/MBoGA1UdEQQTMBGCCWxvY2FsaG9zdIcEfwAAATAKBggq\n"
    "hkjOPQQDAgNIADBFAiBAXd04YLAi4YeI5akadFmNUB5plAZSE5ZgzSmgSECArwIh\n"
    "AKvWmnSUXqB5hy/NnkgJLBgx4oaHt8fT66BiCGfsmt7l\n"
    "-----END CERTIFICATE-----\n";

enum {
  TF_SERVER = 0x80,
  TF_PAUSE = 0x40,
  TF_EARLY = 0x20,
  TF_DESTROY = 0x10,
  TF_STEP = 0x0f,
};

#define TF_GREETING "hello from lode\n"

/* ---- Randomness: splitmix64, restarted for each connection ---- */

static uint64_t tf_rng;

static int tf_rand_bytes(unsigned char* buf, int num) {
  for (int i = 0; i < num; i += 8) {
    uint64_t z = (tf_rng += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    z ^= z >> 31;
    for (int k = 0; k < 8 && i + k < num; k++)
      buf[i + k] = (unsigned char) (z >> (8 * k));
  }
  return 1;
}

static int tf_rand_status(void) {
  return 1;
}

static const RAND_METHOD tf_rand = {
  .bytes = tf_rand_bytes,
  .pseudorand = tf_rand_bytes,
  .status = tf_rand_status,
};

static void tf_reseed(void) {
  tf_rng = 0x6c6f6465u; /* "lode" */
}

/* ---- The contexts, made once ---- */

static lode_tls_context_t* tf_server_ctx;
static lode_tls_context_t* tf_client_ctx;
static const char* const tf_alpn[] = { "http/1.1", NULL };

static void tf_init(void) {
  if (tf_server_ctx != NULL)
    return;
  RAND_set_rand_method(&tf_rand);
  tf_reseed();
  /* No session tickets from the server: one holds the time it was made,
   * and in TLS 1.2 it is part of the server's Finished, which a
   * renegotiation hello repeats; a recorded renegotiation would not fit a
   * replay made a second later. */
  lode_tls_context_opts_t s = {
    .key = { tf_test_key, sizeof(tf_test_key) - 1 },
    .cert = { tf_test_cert, sizeof(tf_test_cert) - 1 },
    .secure_options = SSL_OP_NO_TICKET,
  };
  lode_tls_context_opts_t c = {
    .ca = { tf_test_cert, sizeof(tf_test_cert) - 1 },
  };
  if (lode_tls_create_secure_context(&s, &tf_server_ctx, NULL) != 0 ||
      lode_tls_create_secure_context(&c, &tf_client_ctx, NULL) != 0) {
    fprintf(stderr, "tls-fuzz: no secure context\n");
    abort();
  }
}

/* ---- lode's side ---- */

typedef struct tf_conn_s {
  int mode;
  lode_tls_socket_t* t;
  int secure, ends, errors, closes, had_error, late;
  int ending, destroyed;
  size_t data, writes, writes_done;
  char error[64];
} tf_conn_t;

static void tf_fail(const tf_conn_t* c, const char* what) {
  fprintf(stderr, "tls-fuzz: %s (mode 0x%02x)\n", what, c->mode);
  abort();
}

static tf_conn_t* tf_of(lode_tls_socket_t* t) {
  tf_conn_t* c = lode_tls_socket_get_data(t);
  if (c->closes > 0)
    c->late++; /* an event after on_close */
  return c;
}

/* Every getter, as a program might call them in any callback: what
 * they read of the peer's hello, certificate and session must hold up
 * whatever the peer sent, and at close after a failed handshake. */
static void tf_getters(lode_tls_socket_t* t) {
  lode_tls_cipher_t cipher;
  lode_tls_key_info_t key;
  char buf[64];
  size_t n = lode_tls_socket_authorized(t) + lode_tls_socket_encrypted(t) +
             lode_tls_socket_is_session_reused(t) +
             lode_tls_socket_get_cipher(t, &cipher) +
             lode_tls_socket_get_ephemeral_key_info(t, &key) +
             lode_tls_socket_get_finished(t, buf, sizeof(buf)) +
             lode_tls_socket_get_peer_finished(t, buf, sizeof(buf)) +
             lode_tls_socket_export_keying_material(
                 t, buf, 32, "EXPERIMENTAL fuzz", (lode_slice_t){ "x", 1 });
  const char* names[] = { lode_tls_socket_authorization_error(t),
                          lode_tls_socket_servername(t),
                          lode_tls_socket_alpn_protocol(t),
                          lode_tls_socket_get_protocol(t) };
  for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
    n += names[i] != NULL ? strlen(names[i]) : 0;
  const char* const* sigalgs = lode_tls_socket_get_shared_sigalgs(t);
  for (size_t i = 0; sigalgs != NULL && sigalgs[i] != NULL; i++)
    n += strlen(sigalgs[i]);
  lode_tls_cert_free(lode_tls_socket_get_peer_certificate(t, 1));
  lode_tls_cert_free(lode_tls_socket_get_certificate(t));
  lode_bytes_release(lode_tls_socket_get_session(t));
  lode_bytes_release(lode_tls_socket_get_tls_ticket(t));
  (void) n;
}

static void tf_written(lode_tls_socket_t* t, int status, void* arg) {
  tf_conn_t* c = tf_of(t);
  c->writes_done++;
  if ((c->mode & TF_PAUSE) && c->closes == 0)
    lode_tls_socket_resume(t);
}

static void tf_write(tf_conn_t* c, lode_slice_t d) {
  if (c->ending || c->destroyed)
    return;
  if (lode_tls_socket_write(c->t, d, tf_written, NULL) >= 0)
    c->writes++;
}

static void tf_end(tf_conn_t* c) {
  if (c->ending || c->destroyed)
    return;
  c->ending = 1;
  if (lode_tls_socket_end(c->t, tf_written, NULL) >= 0)
    c->writes++;
}

static void tf_secure(lode_tls_socket_t* t) {
  tf_conn_t* c = tf_of(t);
  if (c->secure++)
    tf_fail(c, "secure twice");
  tf_getters(t);
  if (!(c->mode & (TF_SERVER | TF_EARLY)))
    tf_write(c, (lode_slice_t){ TF_GREETING, sizeof(TF_GREETING) - 1 });
}

static void tf_data(lode_tls_socket_t* t, lode_slice_t d) {
  tf_conn_t* c = tf_of(t);
  if (!c->secure || c->ends)
    tf_fail(c, "data before the handshake or after the end");
  if (c->data == 0)
    tf_getters(t);
  c->data += d.len;
  if (c->mode & TF_DESTROY) {
    c->destroyed = 1;
    lode_tls_socket_destroy(t, NULL);
    return;
  }
  int pause = (c->mode & TF_PAUSE) && !c->ending;
  if (pause)
    lode_tls_socket_pause(t);
  /* A server echoes; a client's write is empty, only there to resume. */
  tf_write(c, (c->mode & TF_SERVER) ? d : (lode_slice_t){ "", 0 });
  if (!(c->mode & TF_SERVER) && c->data >= sizeof(TF_GREETING) - 1)
    tf_end(c);
}

static void tf_ended(lode_tls_socket_t* t) {
  tf_conn_t* c = tf_of(t);
  if (c->ends++)
    tf_fail(c, "end twice");
}

static void tf_error(lode_tls_socket_t* t, const lode_error_t* err) {
  tf_conn_t* c = tf_of(t);
  if (c->errors++)
    tf_fail(c, "error twice");
  snprintf(c->error, sizeof(c->error), "%s",
           err->name ? err->name : lode_err_name(err->code));
}

static void tf_closed(lode_tls_socket_t* t, int had_error) {
  tf_conn_t* c = tf_of(t);
  c->closes++;
  c->had_error = had_error;
  tf_getters(t);
}

static const lode_tls_socket_events_t tf_events = {
  .on_secure_connect = tf_secure,
  .on_secure = tf_secure,
  .on_data = tf_data,
  .on_end = tf_ended,
  .on_error = tf_error,
  .on_close = tf_closed,
};

/* Starts lode's side over `under` (which it takes) for mode byte `mode`:
 * the same options and the same random sequence every time. */
static void tf_start(tf_conn_t* c, lode_stream_t* under, int mode) {
  memset(c, 0, sizeof(*c));
  c->mode = mode;
  tf_reseed();
  lode_tls_opts_t o = { .alpn_protocols = tf_alpn };
  if (mode & TF_SERVER) {
    o.secure_context = tf_server_ctx;
    o.is_server = 1;
  } else {
    o.secure_context = tf_client_ctx;
    o.servername = "localhost";
  }
  if (lode_tls_socket_create(under, &o, &tf_events, &c->t, NULL) != 0)
    tf_fail(c, "lode_tls_socket_create failed");
  lode_tls_socket_set_data(c->t, c);
  if (mode & TF_EARLY)
    tf_write(c, (lode_slice_t){ TF_GREETING, sizeof(TF_GREETING) - 1 });
}

/* Once the loop has run dry: every callback came as often as it must. */
static void tf_check(const tf_conn_t* c) {
  if (c->closes != 1)
    tf_fail(c, c->closes ? "close twice" : "no close");
  if (c->late)
    tf_fail(c, "an event after close");
  if (c->writes_done != c->writes)
    tf_fail(c, "a write or end callback missing");
}

/* What happened, in words that do not depend on how bytes were split. */
static void tf_describe(const tf_conn_t* c, char* out, size_t cap) {
  snprintf(out, cap, "%s: secure %d, data %zu, end %d, error %s, close(%d)",
           (c->mode & TF_SERVER) ? "server" : "client", c->secure, c->data,
           c->ends, c->errors ? c->error : "-", c->had_error);
}

/* ---- A replay: the input as the peer's bytes, over the in-memory pair ---- */

typedef struct tf_peer_s {
  lode_stream_t* b;
  const uint8_t* data;
  size_t size;
  size_t step;
} tf_peer_t;

/* What lode sends is read (so its writes complete) and dropped. */
static void tf_peer_data(void* ctx, lode_stream_t* s, lode_slice_t d) {
}

static void tf_peer_end(void* ctx, lode_stream_t* s) {
  lode_stream_destroy(s, NULL);
}

static const lode_stream_reader_t tf_peer_reader = {
  .on_data = tf_peer_data,
  .on_end = tf_peer_end,
};

/* Writes the input in pieces, then ends. */
static void tf_send_input(tf_peer_t* p) {
  for (size_t at = 0; at < p->size; at += p->step) {
    size_t k = p->size - at < p->step ? p->size - at : p->step;
    lode_stream_write(p->b, (lode_slice_t){ (const char*) p->data + at, k },
                      NULL, NULL);
  }
  lode_stream_end(p->b, NULL, NULL);
}

/* Runs one input (mode byte first) to the end and checks it; `what`
 * (may be NULL) gets tf_describe's words. */
static void tf_replay(const uint8_t* data, size_t size, char* what,
                      size_t cap) {
  if (size < 1)
    return;
  tf_init();
  uv_loop_t loop;
  lode_stream_t *a, *b;
  tf_peer_t p = { .data = data + 1, .size = size - 1 };
  p.step = (size_t) 1 << (data[0] & TF_STEP);
  uv_loop_init(&loop);
  lode_stream_pair(&loop, &a, &b);
  p.b = b;
  lode_stream_set_reader(b, &tf_peer_reader, &p);
  tf_conn_t c;
  tf_start(&c, a, data[0]);
  tf_send_input(&p);
  uv_run(&loop, UV_RUN_DEFAULT);
  tf_check(&c);
  if (uv_loop_close(&loop) != 0)
    tf_fail(&c, "a handle left open");
  if (what != NULL)
    tf_describe(&c, what, cap);
}

#endif
