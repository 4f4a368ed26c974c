/* The rest of Node's tls API: tls.getCiphers, tls.rootCertificates, and
 * the TLS socket's less common calls (setMaxSendFragment,
 * exportKeyingMaterial, disableRenegotiation, getFinished,
 * getPeerFinished, getEphemeralKeyInfo, getTLSTicket). */
#include "tls/socket.h"

#include <ctype.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/err.h>
#include <openssl/pem.h>

/* ---- Process-wide lists, made once ---- */

static char** ciphers;
static char** roots;
static pthread_once_t lists_once = PTHREAD_ONCE_INIT;

static int by_name(const void* a, const void* b) {
  return strcmp(*(char* const*) a, *(char* const*) b);
}

/* Node's getCiphers(): a default SSL's ciphers and the TLS 1.3 suites,
 * lower-cased, without duplicates, sorted. */
static char** make_ciphers(void) {
  static const char* const tls13[] = {
    "tls_aes_256_gcm_sha384", "tls_chacha20_poly1305_sha256",
    "tls_aes_128_gcm_sha256", "tls_aes_128_ccm_8_sha256",
    "tls_aes_128_ccm_sha256",
  };
  SSL_CTX* c = SSL_CTX_new(TLS_method());
  SSL* ssl = c != NULL ? SSL_new(c) : NULL;
  STACK_OF(SSL_CIPHER)* list = ssl != NULL ? SSL_get_ciphers(ssl) : NULL;
  int n = list != NULL ? sk_SSL_CIPHER_num(list) : 0;
  char** out = calloc((size_t) n + 6, sizeof(*out));
  size_t count = 0;
  for (int i = 0; out != NULL && i < n + 5; i++) {
    const char* name = i < n ? SSL_CIPHER_get_name(sk_SSL_CIPHER_value(list, i))
                             : tls13[i - n];
    char* low = strdup(name);
    if (low == NULL)
      break;
    for (char* p = low; *p != '\0'; p++)
      *p = (char) tolower((unsigned char) *p);
    int dup = 0;
    for (size_t j = 0; j < count && !dup; j++)
      dup = strcmp(out[j], low) == 0;
    if (dup)
      free(low);
    else
      out[count++] = low;
  }
  if (out != NULL)
    qsort(out, count, sizeof(*out), by_name);
  SSL_free(ssl);
  SSL_CTX_free(c);
  ERR_clear_error();
  return out;
}

/* The trusted certificates of the default store, in PEM. */
static char** make_roots(void) {
  const char* file = getenv(X509_get_default_cert_file_env());
  if (file == NULL)
    file = X509_get_default_cert_file();
  BIO* in = BIO_new_file(file, "r");
  size_t cap = 16, n = 0;
  char** out = calloc(cap + 1, sizeof(*out));
  X509* x;
  while (in != NULL && out != NULL &&
         (x = PEM_read_bio_X509(in, NULL, NULL, NULL)) != NULL) {
    BIO* b = BIO_new(BIO_s_mem());
    char* pem = NULL;
    if (b != NULL && PEM_write_bio_X509(b, x)) {
      char* p;
      long len = BIO_get_mem_data(b, &p);
      if ((pem = malloc((size_t) len + 1)) != NULL) {
        memcpy(pem, p, (size_t) len);
        pem[len] = '\0';
      }
    }
    BIO_free(b);
    X509_free(x);
    if (pem == NULL)
      continue;
    if (n == cap) {
      char** more = realloc(out, (cap * 2 + 1) * sizeof(*out));
      if (more == NULL) {
        free(pem);
        break;
      }
      out = more;
      cap *= 2;
    }
    out[n++] = pem;
    out[n] = NULL;
  }
  BIO_free(in);
  ERR_clear_error();
  return out;
}

static void make_lists(void) {
  ciphers = make_ciphers();
  roots = make_roots();
}

const char* const* lode_tls_get_ciphers(void) {
  pthread_once(&lists_once, make_lists);
  static const char* const none[] = { NULL };
  return ciphers != NULL ? (const char* const*) ciphers : none;
}

const char* const* lode_tls_root_certificates(void) {
  pthread_once(&lists_once, make_lists);
  static const char* const none[] = { NULL };
  return roots != NULL ? (const char* const*) roots : none;
}

/* ---- The socket's calls ---- */

int lode_tls_socket_set_max_send_fragment(lode_tls_socket_t* t, size_t size) {
  if (size < 512 || size > 16384)
    return LODE_ERR_OUT_OF_RANGE;
  return SSL_set_max_send_fragment(t->ssl, (long) size) == 1 ? 0 : UV_EINVAL;
}

int lode_tls_socket_export_keying_material(lode_tls_socket_t* t, char* out,
                                           size_t len, const char* label,
                                           lode_slice_t context) {
  if (out == NULL || label == NULL)
    return UV_EINVAL;
  if (!(t->obj.flags & TF_SECURE))
    return UV_ENOTCONN;
  int ok = SSL_export_keying_material(
      t->ssl, (unsigned char*) out, len, label, strlen(label),
      (const unsigned char*) context.base, context.len, context.base != NULL);
  if (ok == 1)
    return 0;
  lode_error_t e;
  return lode__tls_error_from_queue(&e, LODE_ERR_SSL);
}

void lode_tls_socket_disable_renegotiation(lode_tls_socket_t* t) {
  SSL_set_options(t->ssl, SSL_OP_NO_RENEGOTIATION);
}

size_t lode_tls_socket_get_finished(const lode_tls_socket_t* t, char* out,
                                    size_t cap) {
  if (!(t->obj.flags & TF_SECURE))
    return 0;
  return SSL_get_finished(t->ssl, out, cap);
}

size_t lode_tls_socket_get_peer_finished(const lode_tls_socket_t* t, char* out,
                                         size_t cap) {
  if (!(t->obj.flags & TF_SECURE))
    return 0;
  return SSL_get_peer_finished(t->ssl, out, cap);
}

/* Node: { type: 'ECDH', name: 'X25519', size: 253 } on a client; the
 * server side has none (Node's {}). */
int lode_tls_socket_get_ephemeral_key_info(const lode_tls_socket_t* t,
                                           lode_tls_key_info_t* out) {
  memset(out, 0, sizeof(*out));
  EVP_PKEY* k = NULL;
  if (t->is_server || !(t->obj.flags & TF_SECURE) ||
      !SSL_get_peer_tmp_key(t->ssl, &k))
    return UV_ENOENT;
  int id = EVP_PKEY_get_base_id(k);
  out->size = EVP_PKEY_get_bits(k);
  if (id == EVP_PKEY_DH) {
    out->type = "DH";
  } else {
    out->type = "ECDH";
    if (id == EVP_PKEY_X25519) {
      out->name = "X25519";
    } else if (id == EVP_PKEY_X448) {
      out->name = "X448";
    } else {
      char group[64];
      size_t len;
      if (EVP_PKEY_get_group_name(k, group, sizeof(group), &len)) {
        int nid = OBJ_sn2nid(group);
        out->name = nid != NID_undef ? OBJ_nid2sn(nid) : NULL;
      }
    }
  }
  EVP_PKEY_free(k);
  ERR_clear_error();
  return 0;
}

lode_bytes_t* lode_tls_socket_get_tls_ticket(lode_tls_socket_t* t) {
  SSL_SESSION* s = SSL_get_session(t->ssl);
  const unsigned char* p = NULL;
  size_t n = 0;
  if (s == NULL || !SSL_SESSION_has_ticket(s))
    return NULL;
  SSL_SESSION_get0_ticket(s, &p, &n);
  return n > 0 ? lode_bytes_copy((lode_slice_t){ (const char*) p, n }) : NULL;
}

/* Node's names: "RSA-PSS+SHA256", "Ed25519+UNDEF". */
static const char* sign_name(int nid) {
  switch (nid) {
    case EVP_PKEY_RSA:
      return "RSA";
    case EVP_PKEY_RSA_PSS:
      return "RSA-PSS";
    case EVP_PKEY_DSA:
      return "DSA";
    case EVP_PKEY_EC:
      return "ECDSA";
    case NID_ED25519:
      return "Ed25519";
    case NID_ED448:
      return "Ed448";
    default: {
      const char* sn = OBJ_nid2sn(nid);
      return sn != NULL ? sn : "UNDEF";
    }
  }
}

const char* const* lode_tls_socket_get_shared_sigalgs(lode_tls_socket_t* t) {
  int n = SSL_get_shared_sigalgs(t->ssl, 0, NULL, NULL, NULL, NULL, NULL);
  if (n < 0)
    n = 0;
  if (lode__tls_rare(t) == NULL)
    return NULL;
  size_t size = ((size_t) n + 1) * sizeof(char*) + (size_t) n * 48;
  char** list = malloc(size);
  if (list == NULL)
    return NULL;
  char* text = (char*) (list + n + 1);
  for (int i = 0; i < n; i++) {
    int sign = NID_undef, hash = NID_undef;
    SSL_get_shared_sigalgs(t->ssl, i, &sign, &hash, NULL, NULL, NULL);
    const char* h = hash != NID_undef ? OBJ_nid2sn(hash) : NULL;
    snprintf(text, 48, "%s+%s", sign_name(sign), h != NULL ? h : "UNDEF");
    list[i] = text;
    text += 48;
  }
  list[n] = NULL;
  free(t->rare->sigalgs);
  t->rare->sigalgs = list;
  return (const char* const*) list;
}

void lode_tls_socket_enable_trace(lode_tls_socket_t* t) {
  struct tls_rare_s* r = lode__tls_rare(t);
  if (r == NULL)
    return;
  if (r->trace == NULL)
    r->trace = BIO_new_fp(stderr, BIO_NOCLOSE);
  if (r->trace == NULL)
    return;
  SSL_set_msg_callback(t->ssl, SSL_trace);
  SSL_set_msg_callback_arg(t->ssl, r->trace);
}
