/* Certificates as Node's getPeerCertificate() shows them, Node's
 * checkServerIdentity, and the TLS socket's getters. */
#include "tls/socket.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

/* ---- Building a lode_tls_cert_t ---- */

/* The certificate's block: the public struct and what it points at,
 * each allocated on its own and freed together. */
typedef struct cert_s {
  lode_tls_cert_t pub;
  char** subject;
  char** issuer;
  char* strs[12];
  int nstrs;
  int failed;
} cert_t;

static char* keep(cert_t* c, char* s) {
  if (s == NULL) {
    c->failed = 1;
    return NULL;
  }
  c->strs[c->nstrs++] = s;
  return s;
}

/* The text written to a memory BIO, as a string. An empty BIO has no
 * data at all (NULL), as for a subjectAltName with no name in it. */
static char* bio_text(BIO* b) {
  char* p = NULL;
  long n = BIO_get_mem_data(b, &p);
  char* s = malloc((size_t) n + 1);
  if (s == NULL)
    return NULL;
  if (n > 0)
    memcpy(s, p, (size_t) n);
  s[n] = '\0';
  return s;
}

/* Node's subject and issuer: short names, UTF-8 values. */
static char** name_pairs(const X509_NAME* n, int* failed) {
  int count = X509_NAME_entry_count(n);
  char** a = calloc((size_t) count * 2 + 1, sizeof(*a));
  if (a == NULL) {
    *failed = 1;
    return NULL;
  }
  for (int i = 0, at = 0; i < count; i++) {
    const X509_NAME_ENTRY* e = X509_NAME_get_entry(n, i);
    int nid = OBJ_obj2nid(X509_NAME_ENTRY_get_object(e));
    const char* key = nid != NID_undef ? OBJ_nid2sn(nid) : "UNDEF";
    unsigned char* v = NULL;
    int len = ASN1_STRING_to_UTF8(&v, X509_NAME_ENTRY_get_data(e));
    if (len < 0)
      continue;
    char* k = strdup(key);
    char* val = malloc((size_t) len + 1);
    if (k != NULL && val != NULL) {
      memcpy(val, v, (size_t) len);
      val[len] = '\0';
      a[at++] = k;
      a[at++] = val;
    } else {
      free(k);
      free(val);
      *failed = 1;
    }
    OPENSSL_free(v);
  }
  return a;
}

static void free_pairs(char** a) {
  if (a == NULL)
    return;
  for (char** p = a; *p != NULL; p += 2) {
    free(p[0]);
    free(p[1]);
  }
  free(a);
}

/* "DNS:a, IP Address:1.2.3.4": OpenSSL's form of each name, as Node's. */
static char* alt_names(X509* x) {
  GENERAL_NAMES* names = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
  if (names == NULL)
    return NULL;
  BIO* b = BIO_new(BIO_s_mem());
  char* s = NULL;
  if (b != NULL) {
    for (int i = 0; i < sk_GENERAL_NAME_num(names); i++) {
      if (i > 0)
        BIO_puts(b, ", ");
      GENERAL_NAME_print(b, sk_GENERAL_NAME_value(names, i));
    }
    s = bio_text(b);
    BIO_free(b);
  }
  GENERAL_NAMES_free(names);
  return s;
}

static char* time_text(const ASN1_TIME* t) {
  BIO* b = BIO_new(BIO_s_mem());
  if (b == NULL)
    return NULL;
  ASN1_TIME_print(b, t);
  char* s = bio_text(b);
  BIO_free(b);
  return s;
}

static char* fingerprint(X509* x, const EVP_MD* md) {
  unsigned char d[EVP_MAX_MD_SIZE];
  unsigned n = 0;
  if (!X509_digest(x, md, d, &n) || n == 0)
    return strdup("");
  char* s = malloc(n * 3);
  if (s == NULL)
    return NULL;
  static const char hex[] = "0123456789ABCDEF";
  for (unsigned i = 0; i < n; i++) {
    s[i * 3] = hex[d[i] >> 4];
    s[i * 3 + 1] = hex[d[i] & 15];
    s[i * 3 + 2] = i + 1 < n ? ':' : '\0';
  }
  return s;
}

static char* serial_text(X509* x) {
  BIGNUM* bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
  if (bn == NULL)
    return NULL;
  char* h = BN_bn2hex(bn);
  BN_free(bn);
  char* s = h != NULL ? strdup(h) : NULL;
  OPENSSL_free(h);
  return s;
}

/* RSA's exponent as Node writes it: "0x10001". */
static char* exponent_text(EVP_PKEY* k) {
  BIGNUM* e = NULL;
  if (!EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_RSA_E, &e)) {
    ERR_clear_error();
    return NULL;
  }
  char* h = BN_bn2hex(e);
  BN_free(e);
  if (h == NULL)
    return NULL;
  const char* p = h;
  while (*p == '0' && p[1] != '\0')
    p++;
  size_t n = strlen(p);
  char* s = malloc(n + 3);
  if (s != NULL) {
    s[0] = '0';
    s[1] = 'x';
    for (size_t i = 0; i <= n; i++)
      s[i + 2] = (char) (p[i] >= 'A' && p[i] <= 'F' ? p[i] + 32 : p[i]);
  }
  OPENSSL_free(h);
  return s;
}

static void key_fields(cert_t* c, X509* x) {
  EVP_PKEY* k = X509_get0_pubkey(x);
  if (k == NULL)
    return;
  c->pub.bits = EVP_PKEY_get_bits(k);
  if (EVP_PKEY_get_base_id(k) == EVP_PKEY_RSA) {
    c->pub.exponent = keep(c, exponent_text(k));
  } else if (EVP_PKEY_get_base_id(k) == EVP_PKEY_EC) {
    char group[64];
    size_t len = 0;
    if (EVP_PKEY_get_group_name(k, group, sizeof(group), &len)) {
      c->pub.asn1_curve = keep(c, strdup(group));
      int nid = OBJ_sn2nid(group);
      const char* nist = nid != NID_undef ? EC_curve_nid2nist(nid) : NULL;
      if (nist != NULL)
        c->pub.nist_curve = keep(c, strdup(nist));
    }
  }
  ERR_clear_error();
}

lode_tls_cert_t* lode__tls_cert_new(X509* x) {
  cert_t* c = calloc(1, sizeof(*c));
  if (c == NULL)
    return NULL;
  c->subject = name_pairs(X509_get_subject_name(x), &c->failed);
  c->issuer = name_pairs(X509_get_issuer_name(x), &c->failed);
  c->pub.subject = (const char* const*) c->subject;
  c->pub.issuer = (const char* const*) c->issuer;
  char* san = alt_names(x);
  if (san != NULL)
    c->pub.subjectaltname = keep(c, san);
  c->pub.ca = X509_check_ca(x) == 1;
  key_fields(c, x);
  c->pub.valid_from = keep(c, time_text(X509_get0_notBefore(x)));
  c->pub.valid_to = keep(c, time_text(X509_get0_notAfter(x)));
  c->pub.fingerprint = keep(c, fingerprint(x, EVP_sha1()));
  c->pub.fingerprint256 = keep(c, fingerprint(x, EVP_sha256()));
  c->pub.fingerprint512 = keep(c, fingerprint(x, EVP_sha512()));
  c->pub.serial_number = keep(c, serial_text(x));
  unsigned char* der = NULL;
  int n = i2d_X509(x, &der);
  if (n > 0) {
    char* raw = keep(c, malloc((size_t) n));
    if (raw != NULL)
      memcpy(raw, der, (size_t) n);
    c->pub.raw = (lode_slice_t){ raw, raw ? (size_t) n : 0 };
  }
  OPENSSL_free(der);
  ERR_clear_error();
  if (c->failed) {
    lode_tls_cert_free(&c->pub);
    return NULL;
  }
  return &c->pub;
}

void lode_tls_cert_free(lode_tls_cert_t* cert) {
  while (cert != NULL) {
    cert_t* c = (cert_t*) cert;
    const lode_tls_cert_t* next = cert->issuer_certificate;
    free_pairs(c->subject);
    free_pairs(c->issuer);
    for (int i = 0; i < c->nstrs; i++)
      free(c->strs[i]);
    free(c);
    cert = (lode_tls_cert_t*) next;
  }
}

/* ---- checkServerIdentity (Node's lib/tls.js, rule for rule) ---- */

/* Node's splitHost: no trailing dot, A-Z lower-cased, split on '.'. The
 * parts point into `buf`. Returns the count, or -1 when too many. */
static int split_host(const char* host, char* buf, size_t cap, char** parts,
                      int max) {
  size_t n = strlen(host);
  if (n > 0 && host[n - 1] == '.')
    n--;
  if (n >= cap)
    n = cap - 1;
  for (size_t i = 0; i < n; i++)
    buf[i] = (char) (host[i] >= 'A' && host[i] <= 'Z' ? host[i] + 32 : host[i]);
  buf[n] = '\0';
  int count = 0;
  char* p = buf;
  for (;;) {
    if (count == max)
      return -1;
    parts[count++] = p;
    char* dot = strchr(p, '.');
    if (dot == NULL)
      break;
    *dot = '\0';
    p = dot + 1;
  }
  return count;
}

static int bad_part(const char* s) {
  for (; *s != '\0'; s++)
    if ((unsigned char) *s < 0x21 || (unsigned char) *s > 0x7f)
      return 1;
  return 0;
}

#define MAX_PARTS 128

static int check_name(char** host, int nhost, const char* pattern) {
  if (pattern == NULL || *pattern == '\0')
    return 0;
  char buf[1024];
  char* pat[MAX_PARTS];
  int npat = split_host(pattern, buf, sizeof(buf), pat, MAX_PARTS);
  if (npat != nhost)
    return 0;
  for (int i = 0; i < npat; i++)
    if (*pat[i] == '\0' || bad_part(pat[i]))
      return 0;
  for (int i = nhost - 1; i > 0; i--)
    if (strcmp(host[i], pat[i]) != 0)
      return 0;
  const char* sub = host[0];
  const char* psub = pat[0];
  const char* star = strchr(psub, '*');
  if (star == NULL || strstr(psub, "xn--") != NULL)
    return strcmp(sub, psub) == 0;
  if (strchr(star + 1, '*') != NULL)
    return 0; /* one wildcard at most */
  if (npat <= 2)
    return 0; /* never *.tld */
  size_t plen = (size_t) (star - psub), slen = strlen(star + 1);
  size_t hlen = strlen(sub);
  if (plen + slen > hlen)
    return 0;
  return strncmp(sub, psub, plen) == 0 &&
         strcmp(sub + hlen - slen, star + 1) == 0;
}

/* inet_pton then inet_ntop: Node's canonicalizeIP. */
static int canonical_ip(const char* ip, char* out, size_t cap) {
  unsigned char b[16];
  if (uv_inet_pton(AF_INET, ip, b) == 0)
    return uv_inet_ntop(AF_INET, b, out, cap);
  if (uv_inet_pton(AF_INET6, ip, b) == 0)
    return uv_inet_ntop(AF_INET6, b, out, cap);
  return -1;
}

static void append(char* buf, size_t cap, size_t* len, const char* s) {
  int n = snprintf(buf + *len, cap - *len, "%s", s);
  if (n > 0)
    *len = *len + (size_t) n < cap ? *len + (size_t) n : cap - 1;
}

static int fail_identity(lode_error_t* err, const char* reason) {
  if (err != NULL) {
    lode_error_init(err, LODE_ERR_TLS_CERT_ALTNAME_INVALID);
    lode_error_set_message(err,
                           "Hostname/IP does not match certificate's "
                           "altnames: %s",
                           reason);
  }
  return LODE_ERR_TLS_CERT_ALTNAME_INVALID;
}

/* The altnames, split as Node splits them (", "), into `buf`. */
static int split_alt(const char* alt, char* buf, size_t cap, char** out,
                     int max) {
  if (alt == NULL)
    return 0;
  snprintf(buf, cap, "%s", alt);
  int n = 0;
  for (char* p = buf; p != NULL && n < max;) {
    out[n++] = p;
    char* sep = strstr(p, ", ");
    if (sep != NULL) {
      *sep = '\0';
      p = sep + 2;
    } else {
      p = NULL;
    }
  }
  return n;
}

static int check_ip(const char* host, char** alts, int nalt,
                    lode_error_t* err) {
  char want[64], got[64], reason[768];
  canonical_ip(host, want, sizeof(want));
  size_t len = 0;
  reason[0] = '\0';
  append(reason, sizeof(reason), &len, "IP: ");
  append(reason, sizeof(reason), &len, host);
  append(reason, sizeof(reason), &len, " is not in the cert's list: ");
  int first = 1;
  for (int i = 0; i < nalt; i++) {
    if (strncmp(alts[i], "IP Address:", 11) != 0)
      continue;
    if (canonical_ip(alts[i] + 11, got, sizeof(got)) != 0)
      snprintf(got, sizeof(got), "%s", alts[i] + 11);
    if (strcmp(got, want) == 0)
      return 0;
    if (!first)
      append(reason, sizeof(reason), &len, ", ");
    append(reason, sizeof(reason), &len, got);
    first = 0;
  }
  return fail_identity(err, reason);
}

int lode_tls_check_server_identity(const char* hostname,
                                   const lode_tls_cert_t* cert,
                                   lode_error_t* err) {
  if (hostname == NULL || cert == NULL)
    return UV_EINVAL;
  char host[1024];
  snprintf(host, sizeof(host), "%s", hostname);
  size_t hl = strlen(host);
  if (hl > 0 && host[hl - 1] == '.')
    host[--hl] = '\0';
  char altbuf[4096];
  char* alts[256];
  int nalt = split_alt(cert->subjectaltname, altbuf, sizeof(altbuf), alts, 256);
  unsigned char ipbuf[16];
  if (uv_inet_pton(AF_INET, host, ipbuf) == 0 ||
      uv_inet_pton(AF_INET6, host, ipbuf) == 0)
    return check_ip(host, alts, nalt, err);
  int ndns = 0;
  for (int i = 0; i < nalt; i++)
    ndns += strncmp(alts[i], "DNS:", 4) == 0;
  char cns[512];
  size_t cnlen = 0;
  cns[0] = '\0';
  for (const char* const* p = cert->subject; p != NULL && *p != NULL; p += 2)
    if (strcmp(p[0], "CN") == 0) {
      if (cnlen > 0)
        append(cns, sizeof(cns), &cnlen, ",");
      append(cns, sizeof(cns), &cnlen, p[1]);
    }
  if (ndns == 0 && cnlen == 0)
    return fail_identity(err, "Cert does not contain a DNS name");
  char hbuf[1024];
  char* parts[MAX_PARTS];
  int nparts = split_host(host, hbuf, sizeof(hbuf), parts, MAX_PARTS);
  char reason[5200];
  if (ndns > 0) {
    for (int i = 0; i < nalt; i++)
      if (strncmp(alts[i], "DNS:", 4) == 0 && nparts > 0 &&
          check_name(parts, nparts, alts[i] + 4))
        return 0;
    snprintf(reason, sizeof(reason),
             "Host: %s. is not in the cert's altnames: %s", host,
             cert->subjectaltname);
    return fail_identity(err, reason);
  }
  for (const char* const* p = cert->subject; *p != NULL; p += 2)
    if (strcmp(p[0], "CN") == 0 && nparts > 0 &&
        check_name(parts, nparts, p[1]))
      return 0;
  snprintf(reason, sizeof(reason), "Host: %s. is not cert's CN: %s", host, cns);
  return fail_identity(err, reason);
}

/* ---- Getters ---- */

int lode_tls_socket_encrypted(const lode_tls_socket_t* t) {
  return 1;
}

int lode_tls_socket_authorized(const lode_tls_socket_t* t) {
  return t->authorized;
}

const char* lode_tls_socket_authorization_error(const lode_tls_socket_t* t) {
  return TLS_RARE(t, authorization_error);
}

const char* lode_tls_socket_servername(const lode_tls_socket_t* t) {
  const char* sn = TLS_RARE(t, servername);
  if (sn == NULL)
    return NULL;
  return t->is_server || !lode__tls_is_ip(sn) ? sn : NULL;
}

const char* lode_tls_socket_alpn_protocol(const lode_tls_socket_t* t) {
  return TLS_RARE(t, alpn_selected);
}

const char* lode_tls_socket_get_protocol(const lode_tls_socket_t* t) {
  if (!(t->obj.flags & TF_SECURE))
    return NULL;
  return SSL_get_version(t->ssl);
}

int lode_tls_socket_is_session_reused(const lode_tls_socket_t* t) {
  return (t->obj.flags & TF_SECURE) && SSL_session_reused(t->ssl);
}

int lode_tls_socket_get_cipher(const lode_tls_socket_t* t,
                               lode_tls_cipher_t* out) {
  const SSL_CIPHER* c = t->ssl ? SSL_get_current_cipher(t->ssl) : NULL;
  if (c == NULL || !(t->obj.flags & TF_SECURE))
    return UV_ENOTCONN;
  out->name = SSL_CIPHER_get_name(c);
  out->standard_name = SSL_CIPHER_standard_name(c);
  out->version = SSL_CIPHER_get_version(c);
  return 0;
}

lode_tls_cert_t* lode_tls_socket_get_peer_certificate(lode_tls_socket_t* t,
                                                      int detailed) {
  X509* x = SSL_get1_peer_certificate(t->ssl);
  if (x == NULL)
    return NULL;
  lode_tls_cert_t* c = lode__tls_cert_new(x);
  if (c != NULL && detailed) {
    /* The chain the peer sent (a server's starts with its leaf). */
    STACK_OF(X509)* chain = SSL_get_peer_cert_chain(t->ssl);
    lode_tls_cert_t* at = c;
    int start = t->is_server ? 0 : 1;
    for (int i = start; chain != NULL && i < sk_X509_num(chain); i++) {
      X509* next = sk_X509_value(chain, i);
      if (X509_cmp(next, x) == 0)
        continue;
      lode_tls_cert_t* n = lode__tls_cert_new(next);
      if (n == NULL)
        break;
      at->issuer_certificate = n;
      at = n;
    }
  }
  X509_free(x);
  return c;
}

lode_tls_cert_t* lode_tls_socket_get_certificate(lode_tls_socket_t* t) {
  X509* x = SSL_get_certificate(t->ssl);
  return x != NULL ? lode__tls_cert_new(x) : NULL;
}

lode_bytes_t* lode_tls_socket_get_session(lode_tls_socket_t* t) {
  SSL_SESSION* s = SSL_get1_session(t->ssl);
  if (s == NULL)
    return NULL;
  lode_bytes_t* b = NULL;
  int n = i2d_SSL_SESSION(s, NULL);
  if (n > 0 && (b = lode_bytes_alloc((size_t) n)) != NULL) {
    unsigned char* p = (unsigned char*) lode_bytes_data(b);
    i2d_SSL_SESSION(s, &p);
  }
  SSL_SESSION_free(s);
  return b;
}
