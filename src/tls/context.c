/* Node's tls.createSecureContext on an SSL_CTX. */
#include "tls/socket.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/core_names.h>
#include <openssl/pkcs12.h>
#include <openssl/rand.h>

const char* const lode_tls_default_ciphers =
    "TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:"
    "TLS_AES_128_GCM_SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:DHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-RSA-AES128-SHA256:DHE-RSA-AES128-SHA256:"
    "ECDHE-RSA-AES256-SHA384:DHE-RSA-AES256-SHA384:"
    "ECDHE-RSA-AES256-SHA256:DHE-RSA-AES256-SHA256:HIGH:!aNULL:!eNULL:"
    "!EXPORT:!DES:!RC4:!MD5:!PSK:!SRP:!CAMELLIA";

static int version_of(const char* name, int* out) {
  static const struct {
    const char* name;
    int v;
  } tab[] = {
    { "TLSv1", TLS1_VERSION },
    { "TLSv1.1", TLS1_1_VERSION },
    { "TLSv1.2", TLS1_2_VERSION },
    { "TLSv1.3", TLS1_3_VERSION },
  };
  for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
    if (strcmp(name, tab[i].name) == 0) {
      *out = tab[i].v;
      return 0;
    }
  return -1;
}

static int bad_version(lode_error_t* err, const char* v, const char* which) {
  lode_error_init(err, LODE_ERR_TLS_INVALID_PROTOCOL_VERSION);
  lode_error_set_message(err, "\"%s\" is not a valid %s TLS protocol version",
                         v, which);
  return err->code;
}

static int method_error(lode_error_t* err, int code, const char* fmt,
                        const char* a, const char* b) {
  lode_error_init(err, code);
  lode_error_set_message(err, fmt, a, b);
  return code;
}

/* Node's secureProtocol: a method name fixes both versions. */
static int protocol_method(const lode_tls_context_opts_t* o, int* lo, int* hi,
                           lode_error_t* err) {
  const char* m = o->secure_protocol;
  const char* v = o->min_version ? o->min_version : o->max_version;
  if (v != NULL)
    return method_error(err, LODE_ERR_TLS_PROTOCOL_VERSION_CONFLICT,
                        "TLS protocol version \"%s\" conflicts with "
                        "secureProtocol \"%s\"",
                        v, m);
  static const struct {
    const char* name;
    int lo, hi;
  } tab[] = {
    { "TLS", 0, TLS1_3_VERSION },
    { "SSLv23", 0, TLS1_3_VERSION },
    { "TLSv1", TLS1_VERSION, TLS1_VERSION },
    { "TLSv1_1", TLS1_1_VERSION, TLS1_1_VERSION },
    { "TLSv1_2", TLS1_2_VERSION, TLS1_2_VERSION },
  };
  size_t n = strlen(m);
  size_t base = n;
  static const char* const tails[] = { "_client_method", "_server_method",
                                       "_method" }; /* longest first */
  for (size_t i = 0; i < 3 && base == n; i++) {
    size_t t = strlen(tails[i]);
    if (n > t && strcmp(m + n - t, tails[i]) == 0)
      base = n - t;
  }
  for (size_t i = 0; base < n && i < sizeof(tab) / sizeof(tab[0]); i++)
    if (strlen(tab[i].name) == base && strncmp(m, tab[i].name, base) == 0) {
      *lo = tab[i].lo;
      *hi = tab[i].hi;
      return 0;
    }
  if (base < n &&
      (strncmp(m, "SSLv2", base) == 0 || strncmp(m, "SSLv3", base) == 0) &&
      base == 5)
    return method_error(err, LODE_ERR_TLS_INVALID_PROTOCOL_METHOD,
                        "%.5s methods disabled", m, "");
  return method_error(err, LODE_ERR_TLS_INVALID_PROTOCOL_METHOD,
                      "Unknown method: %s", m, "");
}

static int set_versions(SSL_CTX* c, const lode_tls_context_opts_t* o,
                        lode_error_t* err) {
  int lo, hi;
  if (o->secure_protocol != NULL) {
    int rc = protocol_method(o, &lo, &hi, err);
    if (rc != 0)
      return rc;
    if (lo < TLS1_2_VERSION)
      SSL_CTX_set_security_level(c, 0);
    SSL_CTX_set_min_proto_version(c, lo);
    SSL_CTX_set_max_proto_version(c, hi);
    return 0;
  }
  const char* min = o->min_version ? o->min_version
                                   : LODE_TLS_DEFAULT_MIN_VERSION;
  const char* max = o->max_version ? o->max_version
                                   : LODE_TLS_DEFAULT_MAX_VERSION;
  if (version_of(min, &lo) != 0)
    return bad_version(err, min, "minimum");
  if (version_of(max, &hi) != 0)
    return bad_version(err, max, "maximum");
  /* TLS 1.0 and 1.1 need OpenSSL's security level 0, as Node sets. */
  if (lo < TLS1_2_VERSION)
    SSL_CTX_set_security_level(c, 0);
  SSL_CTX_set_min_proto_version(c, lo);
  SSL_CTX_set_max_proto_version(c, hi);
  return 0;
}

/* Node's cipher string holds TLS 1.3 suites (TLS_*) and older ciphers;
 * OpenSSL takes them apart. */
static int set_ciphers(SSL_CTX* c, const lode_tls_context_opts_t* o,
                       lode_error_t* err) {
  const char* all = o->ciphers ? o->ciphers : lode_tls_default_ciphers;
  size_t n = strlen(all);
  char* v13 = malloc(n + 1);
  char* v12 = malloc(n + 1);
  int rc = 0;
  if (v13 == NULL || v12 == NULL) {
    rc = UV_ENOMEM;
    goto out;
  }
  size_t l13 = 0, l12 = 0;
  for (const char* p = all; *p != '\0';) {
    size_t len = strcspn(p, ":");
    int is13 = strncmp(p, "TLS_", 4) == 0;
    char* dst = is13 ? v13 : v12;
    size_t* l = is13 ? &l13 : &l12;
    if (*l > 0)
      dst[(*l)++] = ':';
    memcpy(dst + *l, p, len);
    *l += len;
    p += len + (p[len] == ':');
  }
  v13[l13] = v12[l12] = '\0';
  /* Node: a list of only TLS 1.3 suites leaves the older ciphers empty. */
  if (!SSL_CTX_set_cipher_list(c, l12 > 0 ? v12 : "")) {
    if (l12 > 0 || l13 == 0) {
      rc = lode__tls_error_from_queue(err, LODE_ERR_SSL);
      goto out;
    }
    ERR_clear_error();
  }
  const char* suites = o->ciphersuites ? o->ciphersuites : v13;
  if (o->ciphersuites != NULL || l13 > 0)
    if (!SSL_CTX_set_ciphersuites(c, suites)) {
      rc = lode__tls_error_from_queue(err, LODE_ERR_SSL);
      goto out;
    }
out:
  free(v13);
  free(v12);
  return rc;
}

static BIO* bio_of(lode_slice_t s) {
  return BIO_new_mem_buf(s.base, (int) s.len);
}

static int pass_cb(char* buf, int size, int rw, void* u) {
  const char* p = u;
  if (p == NULL)
    return 0;
  int n = (int) strlen(p);
  if (n > size)
    n = size;
  memcpy(buf, p, (size_t) n);
  return n;
}

/* The chain: the first certificate is the leaf, the rest go with it. */
static int use_cert(SSL_CTX* c, lode_slice_t pem, lode_error_t* err) {
  BIO* b = bio_of(pem);
  if (b == NULL)
    return UV_ENOMEM;
  X509* leaf = PEM_read_bio_X509_AUX(b, NULL, NULL, NULL);
  int rc = 0;
  if (leaf == NULL || !SSL_CTX_use_certificate(c, leaf)) {
    rc = lode__tls_error_from_queue(err, LODE_ERR_SSL);
    goto out;
  }
  SSL_CTX_clear_chain_certs(c);
  X509* x;
  while ((x = PEM_read_bio_X509(b, NULL, NULL, NULL)) != NULL)
    if (!SSL_CTX_add0_chain_cert(c, x))
      X509_free(x);
  ERR_clear_error(); /* the end of the text */
out:
  X509_free(leaf);
  BIO_free(b);
  return rc;
}

static int use_key(SSL_CTX* c, lode_slice_t pem, const char* pass,
                   lode_error_t* err) {
  BIO* b = bio_of(pem);
  if (b == NULL)
    return UV_ENOMEM;
  EVP_PKEY* k = PEM_read_bio_PrivateKey(b, NULL, pass_cb, (void*) pass);
  BIO_free(b);
  int rc = 0;
  if (k == NULL || !SSL_CTX_use_PrivateKey(c, k))
    rc = lode__tls_error_from_queue(err, LODE_ERR_SSL);
  EVP_PKEY_free(k);
  return rc;
}

/* The system's trust store (OpenSSL's default file and directory),
 * loaded on first need and shared by every context without `ca`:
 * reading /etc/ssl/certs costs tens of milliseconds and a few MB, once
 * per process rather than per context. Never freed (the process keeps
 * it to the end, as Node's root store). */
static pthread_once_t system_once = PTHREAD_ONCE_INIT;
static X509_STORE* system_store;
static atomic_uint system_loads;

static void load_system_store(void) {
  atomic_fetch_add(&system_loads, 1);
  system_store = X509_STORE_new();
  /* No system store: nothing verifies, as in Node. */
  if (system_store != NULL)
    X509_STORE_set_default_paths(system_store);
  ERR_clear_error();
}

X509_STORE* lode__tls_system_store(void) {
  pthread_once(&system_once, load_system_store);
  return system_store;
}

unsigned lode__tls_system_store_loads(void) {
  return atomic_load(&system_loads);
}

int lode__tls_use_system_store(SSL* ssl, const lode_tls_context_t* ctx) {
  X509_STORE* st = ctx->system_trust ? lode__tls_system_store() : NULL;
  return st == NULL || SSL_set1_verify_cert_store(ssl, st) == 1 ? 0 : UV_ENOMEM;
}

/* `ca` replaces the default store: certificates only from the text. */
static int use_ca(SSL_CTX* c, lode_slice_t pem) {
  X509_STORE* st = X509_STORE_new();
  BIO* b = bio_of(pem);
  if (st == NULL || b == NULL) {
    X509_STORE_free(st);
    BIO_free(b);
    return UV_ENOMEM;
  }
  X509* x;
  while ((x = PEM_read_bio_X509(b, NULL, NULL, NULL)) != NULL) {
    X509_STORE_add_cert(st, x);
    SSL_CTX_add_client_CA(c, x);
    X509_free(x);
  }
  ERR_clear_error();
  BIO_free(b);
  SSL_CTX_set_cert_store(c, st);
  return 0;
}

static int use_pfx(SSL_CTX* c, lode_slice_t der, const char* pass,
                   lode_error_t* err) {
  BIO* b = bio_of(der);
  if (b == NULL)
    return UV_ENOMEM;
  PKCS12* p12 = d2i_PKCS12_bio(b, NULL);
  BIO_free(b);
  EVP_PKEY* k = NULL;
  X509* x = NULL;
  STACK_OF(X509)* extra = NULL;
  int rc = 0;
  if (p12 == NULL || !PKCS12_parse(p12, pass ? pass : "", &k, &x, &extra) ||
      !SSL_CTX_use_certificate(c, x) || !SSL_CTX_use_PrivateKey(c, k)) {
    rc = lode__tls_error_from_queue(err, LODE_ERR_SSL);
  } else {
    for (int i = 0; i < sk_X509_num(extra); i++) {
      X509* ca = sk_X509_value(extra, i);
      SSL_CTX_add1_chain_cert(c, ca);
    }
  }
  sk_X509_pop_free(extra, X509_free);
  X509_free(x);
  EVP_PKEY_free(k);
  PKCS12_free(p12);
  return rc;
}

/* CRLs join the trust store, and every certificate of a chain is
 * checked against them (as Node's addCRL). */
static int use_crl(SSL_CTX* c, lode_slice_t pem, lode_error_t* err) {
  BIO* b = bio_of(pem);
  if (b == NULL)
    return UV_ENOMEM;
  X509_STORE* st = SSL_CTX_get_cert_store(c);
  X509_CRL* crl;
  int n = 0;
  while ((crl = PEM_read_bio_X509_CRL(b, NULL, NULL, NULL)) != NULL) {
    X509_STORE_add_crl(st, crl);
    X509_CRL_free(crl);
    n++;
  }
  BIO_free(b);
  if (n == 0)
    return lode__tls_error_from_queue(err, LODE_ERR_SSL);
  ERR_clear_error();
  X509_STORE_set_flags(st, X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL);
  return 0;
}

static int use_dhparam(SSL_CTX* c, lode_slice_t pem, lode_error_t* err) {
  if (pem.len == 4 && memcmp(pem.base, "auto", 4) == 0) {
    SSL_CTX_set_dh_auto(c, 1);
    return 0;
  }
  BIO* b = bio_of(pem);
  if (b == NULL)
    return UV_ENOMEM;
  EVP_PKEY* dh = PEM_read_bio_Parameters(b, NULL);
  BIO_free(b);
  if (dh == NULL || !SSL_CTX_set0_tmp_dh_pkey(c, dh)) {
    EVP_PKEY_free(dh);
    return lode__tls_error_from_queue(err, LODE_ERR_SSL);
  }
  return 0;
}

/* Session tickets under the context's own keys, so they can be read
 * (getTicketKeys) and shared (ticketKeys): AES-128-CBC and HMAC-SHA256,
 * as Node's. */
static int ticket_key_cb(SSL* ssl, unsigned char name[16], unsigned char iv[16],
                         EVP_CIPHER_CTX* cctx, EVP_MAC_CTX* hctx, int enc) {
  lode_tls_socket_t* t = lode__tls_of_ssl(ssl);
  if (t == NULL || t->ctx == NULL)
    return -1;
  const unsigned char* k = t->ctx->ticket_keys;
  if (enc) {
    if (RAND_bytes(iv, 16) != 1)
      return -1;
    memcpy(name, k, 16);
  } else if (memcmp(name, k, 16) != 0) {
    return 0; /* another key's ticket: a full handshake */
  }
  OSSL_PARAM params[] = {
    OSSL_PARAM_construct_octet_string(OSSL_MAC_PARAM_KEY, (void*) (k + 16), 16),
    OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, "SHA256", 0),
    OSSL_PARAM_construct_end(),
  };
  if (!EVP_MAC_CTX_set_params(hctx, params))
    return -1;
  int ok = enc ? EVP_EncryptInit_ex(cctx, EVP_aes_128_cbc(), NULL, k + 32, iv)
               : EVP_DecryptInit_ex(cctx, EVP_aes_128_cbc(), NULL, k + 32, iv);
  return ok ? 1 : -1;
}

static int use_ticket_keys(lode_tls_context_t* t, lode_slice_t keys) {
  if (keys.len == 0)
    return RAND_bytes(t->ticket_keys, 48) == 1 ? 0 : UV_EIO;
  if (keys.len != 48)
    return UV_EINVAL;
  memcpy(t->ticket_keys, keys.base, 48);
  return 0;
}

/* A certificate given without its chain gets one from the trust store,
 * built here once. Left to OpenSSL, the same chain is built at every
 * handshake, each time a lookup in the store (for the system's, a walk
 * of /etc/ssl/certs): a third of a full handshake's CPU. A chain that
 * cannot be built is left as OpenSSL would have it (the handshake
 * decides). The current certificate is restored. */
static void build_chains(SSL_CTX* c) {
  X509* current = SSL_CTX_get0_certificate(c);
  int more = SSL_CTX_set_current_cert(c, SSL_CERT_SET_FIRST);
  while (more == 1) {
    STACK_OF(X509)* chain = NULL;
    if (SSL_CTX_get0_chain_certs(c, &chain) == 1 && chain == NULL &&
        SSL_CTX_build_cert_chain(c, SSL_BUILD_CHAIN_FLAG_IGNORE_ERROR) == 0)
      SSL_CTX_clear_chain_certs(c);
    more = SSL_CTX_set_current_cert(c, SSL_CERT_SET_NEXT);
  }
  more = SSL_CTX_set_current_cert(c, SSL_CERT_SET_FIRST);
  while (more == 1 && SSL_CTX_get0_certificate(c) != current)
    more = SSL_CTX_set_current_cert(c, SSL_CERT_SET_NEXT);
  ERR_clear_error();
}

static int configure(lode_tls_context_t* t, const lode_tls_context_opts_t* o,
                     lode_error_t* err) {
  SSL_CTX* c = t->ctx;
  int rc;
  if ((rc = set_versions(c, o, err)) != 0)
    return rc;
  if ((rc = set_ciphers(c, o, err)) != 0)
    return rc;
  if (o->sigalgs != NULL && !SSL_CTX_set1_sigalgs_list(c, o->sigalgs))
    return lode__tls_error_from_queue(err, LODE_ERR_SSL);
  const char* curve = o->ecdh_curve ? o->ecdh_curve
                                    : LODE_TLS_DEFAULT_ECDH_CURVE;
  if (strcmp(curve, "auto") != 0 && !SSL_CTX_set1_groups_list(c, curve)) {
    ERR_clear_error();
    lode_error_init(err, LODE_ERR_CRYPTO_OPERATION_FAILED);
    lode_error_set_message(err, "Failed to set ECDH curve");
    return err->code;
  }
  if (o->pfx.len > 0 && (rc = use_pfx(c, o->pfx, o->passphrase, err)) != 0)
    return rc;
  if (o->cert.len > 0 && (rc = use_cert(c, o->cert, err)) != 0)
    return rc;
  if (o->key.len > 0 && (rc = use_key(c, o->key, o->passphrase, err)) != 0)
    return rc;
  if (o->ca.len > 0) {
    if ((rc = use_ca(c, o->ca)) != 0)
      return rc;
  } else if (o->crl.len == 0) {
    /* The shared system store, given to each connection that verifies
     * its peer (lode__tls_use_system_store): a server that asks no
     * client for a certificate never loads it. */
    t->system_trust = 1;
  } else if (!SSL_CTX_set_default_verify_paths(c)) {
    /* CRLs join the store, so this one is the context's own. */
    ERR_clear_error(); /* no system store: nothing verifies, as in Node */
  }
  if (o->crl.len > 0 && (rc = use_crl(c, o->crl, err)) != 0)
    return rc;
  if (o->dhparam.len > 0 && (rc = use_dhparam(c, o->dhparam, err)) != 0)
    return rc;
  if (o->secure_options != 0)
    SSL_CTX_set_options(c, (uint64_t) o->secure_options);
  if (o->honor_cipher_order)
    SSL_CTX_set_options(c, SSL_OP_CIPHER_SERVER_PREFERENCE);
  SSL_CTX_set_timeout(c, o->session_timeout ? o->session_timeout : 300);
  build_chains(c);
  return 0;
}

int lode_tls_create_secure_context(const lode_tls_context_opts_t* opts,
                                   lode_tls_context_t** out,
                                   lode_error_t* err) {
  lode_error_t scratch;
  if (err == NULL)
    err = &scratch;
  static const lode_tls_context_opts_t none;
  if (opts == NULL)
    opts = &none;
  if (out == NULL) {
    lode_error_init(err, UV_EINVAL);
    return UV_EINVAL;
  }
  ERR_clear_error();
  lode_tls_context_t* t = calloc(1, sizeof(*t));
  SSL_CTX* c = SSL_CTX_new(TLS_method());
  if (t == NULL || c == NULL) {
    free(t);
    SSL_CTX_free(c);
    ERR_clear_error();
    lode_error_init(err, UV_ENOMEM);
    return UV_ENOMEM;
  }
  /* As Node: partial writes allowed, the buffer may move between retries,
   * no automatic retry (lode's BIOs never block), and buffers freed
   * while a connection is idle. */
  SSL_CTX_set_mode(c, SSL_MODE_ENABLE_PARTIAL_WRITE |
                          SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
                          SSL_MODE_RELEASE_BUFFERS);
  SSL_CTX_clear_mode(c, SSL_MODE_AUTO_RETRY);
  SSL_CTX_set_options(c, SSL_OP_NO_COMPRESSION);
  lode__tls_context_callbacks(c);
  t->ctx = c;
  int rc = configure(t, opts, err);
  if (rc == 0 && (rc = use_ticket_keys(t, opts->ticket_keys)) != 0)
    lode_error_init(err, rc);
  if (rc == 0)
    SSL_CTX_set_tlsext_ticket_key_evp_cb(c, ticket_key_cb);
  if (rc != 0) {
    if (rc == UV_ENOMEM)
      lode_error_init(err, UV_ENOMEM);
    SSL_CTX_free(c);
    free(t);
    return rc;
  }
  atomic_init(&t->refs, 1);
  *out = t;
  return 0;
}

/* Contexts may be shared by loops on several threads. */
void lode_tls_context_hold(lode_tls_context_t* ctx) {
  if (ctx != NULL)
    atomic_fetch_add(&ctx->refs, 1);
}

void lode_tls_context_release(lode_tls_context_t* ctx) {
  if (ctx == NULL || atomic_fetch_sub(&ctx->refs, 1) > 1)
    return;
  SSL_CTX_free(ctx->ctx);
  free(ctx);
}

int lode__tls_opts_context(const lode_tls_opts_t* o, lode_tls_context_t** out,
                           lode_error_t* err) {
  if (o != NULL && o->secure_context != NULL) {
    lode_tls_context_hold(o->secure_context);
    *out = o->secure_context;
    return 0;
  }
  return lode_tls_create_secure_context(o ? &o->context : NULL, out, err);
}
