/* The tls layer's private parts: the secure context, the TLS socket and
 * the error mapping shared by its files. */
#ifndef LODE_TLS_INTERNAL_H
#define LODE_TLS_INTERNAL_H

#include <stdatomic.h>
#include <openssl/ssl.h>
#include "lode/tls.h"
#include "core/internal.h"

struct lode_tls_context_s {
  SSL_CTX* ctx;
  atomic_uint refs;
  unsigned char ticket_keys[48]; /* name, HMAC secret, AES key */
  int system_trust; /* no `ca`: peers verify against the system store */
};

/* The system trust store, loaded once per process on first call (NULL
 * without memory), and how many times it was loaded (for tests). */
X509_STORE* lode__tls_system_store(void);
unsigned lode__tls_system_store_loads(void);
/* Gives a connection that verifies its peer the shared system store when
 * its context has no `ca` (nothing otherwise). 0 or UV_ENOMEM. */
int lode__tls_use_system_store(SSL* ssl, const lode_tls_context_t* ctx);

/* Makes the context of a socket's or server's options: the given one
 * (held) or a new one. Returns 0 or a negative code with `err` filled. */
int lode__tls_opts_context(const lode_tls_opts_t* o, lode_tls_context_t** out,
                           lode_error_t* err);

/* Fills `err` from OpenSSL's error queue (its earliest error; the queue is
 * emptied), as Node's: code LODE_ERR_SSL, name ERR_SSL_* or ERR_OSSL_*,
 * message OpenSSL's string. With an empty queue, `fallback` is used.
 * Returns the code. */
int lode__tls_error_from_queue(lode_error_t* err, int fallback);
/* Fills `err` for an X509 verify result (LODE_ERR_TLS_CERT_VERIFY, name
 * Node's code); returns the code. */
int lode__tls_error_verify(lode_error_t* err, long result);
/* Node's name for an X509 verify result ("CERT_HAS_EXPIRED"). */
const char* lode__tls_verify_name(long result);

/* A lode_tls_cert_t of `x` (NULL without memory). */
lode_tls_cert_t* lode__tls_cert_new(X509* x);

/* The callbacks every context carries (sessions for 'session'). */
void lode__tls_context_callbacks(SSL_CTX* c);

/* Whether `h` is an IPv4 or IPv6 address (Node's net.isIP). */
int lode__tls_is_ip(const char* h);

#endif
