/* OpenSSL's errors and X509 verify results as Node names them. */
#include "tls/internal.h"

#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/err.h>
#include <openssl/x509_vfy.h>

/* Node's names of the X509 verify results (its X509_ERROR_CODE list). */
const char* lode__tls_verify_name(long r) {
  switch (r) {
#define V_(name)                                                               \
  case X509_V_ERR_##name:                                                      \
    return #name;
    V_(UNABLE_TO_GET_ISSUER_CERT)
    V_(UNABLE_TO_GET_CRL)
    V_(UNABLE_TO_DECRYPT_CERT_SIGNATURE)
    V_(UNABLE_TO_DECRYPT_CRL_SIGNATURE)
    V_(UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY)
    V_(CERT_SIGNATURE_FAILURE)
    V_(CRL_SIGNATURE_FAILURE)
    V_(CERT_NOT_YET_VALID)
    V_(CERT_HAS_EXPIRED)
    V_(CRL_NOT_YET_VALID)
    V_(CRL_HAS_EXPIRED)
    V_(ERROR_IN_CERT_NOT_BEFORE_FIELD)
    V_(ERROR_IN_CERT_NOT_AFTER_FIELD)
    V_(ERROR_IN_CRL_LAST_UPDATE_FIELD)
    V_(ERROR_IN_CRL_NEXT_UPDATE_FIELD)
    V_(OUT_OF_MEM)
    V_(DEPTH_ZERO_SELF_SIGNED_CERT)
    V_(SELF_SIGNED_CERT_IN_CHAIN)
    V_(UNABLE_TO_GET_ISSUER_CERT_LOCALLY)
    V_(UNABLE_TO_VERIFY_LEAF_SIGNATURE)
    V_(CERT_CHAIN_TOO_LONG)
    V_(CERT_REVOKED)
    V_(INVALID_CA)
    V_(PATH_LENGTH_EXCEEDED)
    V_(INVALID_PURPOSE)
    V_(CERT_UNTRUSTED)
    V_(CERT_REJECTED)
    V_(HOSTNAME_MISMATCH)
#undef V_
    default:
      return "UNSPECIFIED";
  }
}

int lode__tls_error_verify(lode_error_t* err, long result) {
  lode_error_init(err, LODE_ERR_TLS_CERT_VERIFY);
  err->name = lode__tls_verify_name(result);
  lode_error_set_message(err, "%s", X509_verify_cert_error_string(result));
  return err->code;
}

/* Node's code of an OpenSSL error is built from its reason text
 * ("ERR_SSL_WRONG_VERSION_NUMBER"), so it is not a fixed list. The names
 * made are kept for the process (error objects point at static names);
 * there are a few hundred reasons at most. */
typedef struct name_s {
  struct name_s* next;
  unsigned long key; /* library and reason */
  char text[];
} name_t;

static pthread_mutex_t names_lock = PTHREAD_MUTEX_INITIALIZER;
static name_t* names;

/* The libraries whose name Node puts in the code. */
static const char* lib_name(int lib) {
  switch (lib) {
#define L_(name)                                                               \
  case ERR_LIB_##name:                                                         \
    return #name "_";
    L_(SYS)
    L_(BN)
    L_(RSA)
    L_(DH)
    L_(EVP)
    L_(BUF)
    L_(OBJ)
    L_(PEM)
    L_(DSA)
    L_(X509)
    L_(ASN1)
    L_(CONF)
    L_(CRYPTO)
    L_(EC)
    L_(SSL)
    L_(BIO)
    L_(PKCS7)
    L_(X509V3)
    L_(PKCS12)
    L_(RAND)
    L_(DSO)
    L_(ENGINE)
    L_(OCSP)
    L_(UI)
    L_(COMP)
    L_(ECDSA)
    L_(ECDH)
    L_(OSSL_STORE)
    L_(FIPS)
    L_(CMS)
    L_(TS)
    L_(HMAC)
    L_(CT)
    L_(ASYNC)
    L_(KDF)
    L_(SM2)
    L_(USER)
#undef L_
    default:
      return "";
  }
}

static const char* error_name(unsigned long e) {
  unsigned long key = ERR_PACK(ERR_GET_LIB(e), 0, ERR_GET_REASON(e));
  const char* reason = ERR_reason_error_string(e);
  if (reason == NULL)
    return "ERR_SSL";
  pthread_mutex_lock(&names_lock);
  name_t* n = names;
  while (n != NULL && n->key != key)
    n = n->next;
  if (n == NULL) {
    const char* lib = lib_name(ERR_GET_LIB(e));
    /* Node: ERR_SSL_*, ERR_OSSL_<LIB>_* for the libraries it knows, else
     * ERR_OSSL_*. */
    const char* prefix = strcmp(lib, "SSL_") == 0 ? "" : "OSSL_";
    size_t len = strlen("ERR_") + strlen(prefix) + strlen(lib) +
                 strlen(reason) + 1;
    n = malloc(sizeof(*n) + len);
    if (n != NULL) {
      int off = snprintf(n->text, len, "ERR_%s%s", prefix, lib);
      for (const char* p = reason; *p != '\0'; p++)
        n->text[off++] = *p == ' ' ? '_' : (char) toupper((unsigned char) *p);
      n->text[off] = '\0';
      n->key = key;
      n->next = names;
      names = n;
    }
  }
  pthread_mutex_unlock(&names_lock);
  return n != NULL ? n->text : "ERR_SSL";
}

int lode__tls_error_from_queue(lode_error_t* err, int fallback) {
  unsigned long e = ERR_get_error();
  /* Node reports the earliest error of the queue (the cause). */
  ERR_clear_error();
  if (e == 0) {
    lode_error_init(err, fallback);
    return fallback;
  }
  lode_error_init(err, LODE_ERR_SSL);
  err->name = error_name(e);
  char text[256];
  ERR_error_string_n(e, text, sizeof(text));
  lode_error_set_message(err, "%s", text);
  return err->code;
}
