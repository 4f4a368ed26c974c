/* lode: Node's tls module (tls.createSecureContext, tls.TLSSocket,
 * tls.connect, tls.createServer, tls.checkServerIdentity), on OpenSSL 3.
 * (Conventions for every header: the opening comment of lode.h.)
 *
 * A TLS socket is a duplex stream (lode/stream.h) over another duplex
 * stream: a lode_socket_t, the in-memory pair, or any implementation. It
 * feeds OpenSSL through buffers of its own and becomes the reader of the
 * stream under it, so HTTP and WebSocket can run over it unchanged. The
 * stream under it is destroyed with it.
 *
 * Lifetime is as in lode/net.h: the library allocates TLS sockets and
 * servers; an open one keeps itself alive; a pointer handed to you stays
 * valid until its on_close has returned (lode_tls_socket_hold to keep it
 * longer); destroy never frees on the spot; on_close is the last callback
 * and comes once. Secure contexts are shared values, held by every socket
 * that uses them (lode_tls_context_hold/release).
 *
 * Errors (lode/errors.h) carry Node's err.code in `name`:
 *  - OpenSSL's own errors: code LODE_ERR_SSL, name "ERR_SSL_<REASON>" for
 *    the SSL library's, "ERR_OSSL_<LIB>_<REASON>" for the libraries Node
 *    lists and "ERR_OSSL_<REASON>" for the others (as Node names them:
 *    "ERR_SSL_WRONG_VERSION_NUMBER", "ERR_OSSL_PEM_NO_START_LINE",
 *    "ERR_OSSL_BAD_DECRYPT"), message OpenSSL's error string
 *    ("error:0A00010B:SSL routines::wrong version number").
 *  - Certificate verification: code LODE_ERR_TLS_CERT_VERIFY, name the
 *    X509 code as Node names it ("DEPTH_ZERO_SELF_SIGNED_CERT",
 *    "SELF_SIGNED_CERT_IN_CHAIN", "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
 *    "CERT_HAS_EXPIRED", ...), message OpenSSL's ("self-signed
 *    certificate").
 *  - The host name check: LODE_ERR_TLS_CERT_ALTNAME_INVALID with Node's
 *    message ("Hostname/IP does not match certificate's altnames: Host:
 *    localhost. is not in the cert's altnames: DNS:wrong.example").
 *  - LODE_ERR_TLS_HANDSHAKE_TIMEOUT, LODE_ERR_TLS_INVALID_PROTOCOL_VERSION,
 *    LODE_ERR_TLS_PROTOCOL_VERSION_CONFLICT,
 *    LODE_ERR_TLS_INVALID_PROTOCOL_METHOD, LODE_ERR_TLS_DH_PARAM_SIZE,
 *    LODE_ERR_TLS_SESSION_ATTACK, LODE_ERR_CRYPTO_OPERATION_FAILED
 *    ("Failed to set ECDH curve"), and a
 *    peer that goes before the handshake ends: UV_ECONNRESET with Node's
 *    message ("Client network socket disconnected before secure TLS
 *    connection was established" on a client, "socket hang up" in a
 *    server's on_tls_client_error). */
#ifndef LODE_TLS_H
#define LODE_TLS_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>
#include "lode/buf.h"
#include "lode/errors.h"
#include "lode/net.h"
#include "lode/options.h"
#include "lode/stream.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct lode_tls_context_s lode_tls_context_t;
typedef struct lode_tls_socket_s lode_tls_socket_t;
typedef struct lode_tls_server_s lode_tls_server_t;

/* Node's tls.DEFAULT_MIN_VERSION, DEFAULT_MAX_VERSION, DEFAULT_CIPHERS
 * (TLS 1.3 suites and TLS 1.2 ciphers in one string, as Node's) and
 * DEFAULT_ECDH_CURVE. */
#define LODE_TLS_DEFAULT_MIN_VERSION "TLSv1.2"
#define LODE_TLS_DEFAULT_MAX_VERSION "TLSv1.3"
#define LODE_TLS_DEFAULT_ECDH_CURVE "auto"
extern const char* const lode_tls_default_ciphers;

/* ------------------------------------------------------------------ */
/* Secure contexts                                                     */

/* Node: tls.createSecureContext(options). Zero is Node's default for
 * every field. Key, certificate and CA material is PEM text; one slice may
 * hold several PEM blocks (a chain, several CAs), as Node's arrays do. */
typedef struct lode_tls_context_opts_s {
  lode_slice_t key;       /* private key(s), PEM; may be encrypted */
  const char* passphrase; /* for an encrypted key or pfx */
  lode_slice_t cert;      /* certificate chain, PEM, leaf first */
  /* Trusted CAs, PEM. Set, they replace the default trust store (the
   * system's: OpenSSL's default paths, /etc/ssl/certs on Debian), as in
   * Node. Text that holds no certificate is ignored, as Node does. The
   * system store is loaded once per process, by the first connection
   * that verifies its peer against it, and shared. */
  lode_slice_t ca;
  lode_slice_t pfx;         /* PKCS#12 (DER): key, cert and CAs */
  const char* ciphers;      /* TLS <= 1.2 cipher list; NULL = Node's */
  const char* ciphersuites; /* TLS 1.3 suites; NULL = Node's */
  const char* ecdh_curve;   /* NULL = "auto" (OpenSSL's choice) */
  const char* sigalgs;      /* NULL = OpenSSL's */
  const char* min_version;  /* "TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3" */
  const char* max_version;  /* NULL = TLSv1.2 / TLSv1.3 */
  int honor_cipher_order;   /* server: prefer its own order; default off */
  unsigned session_timeout; /* seconds; 0 = 300, OpenSSL's and Node's */
  /* Certificate revocation lists, PEM: with them, every certificate of a
   * chain is checked (CERT_REVOKED). */
  lode_slice_t crl;
  /* Diffie-Hellman parameters, PEM, for DHE ciphers; "auto" (as text)
   * lets OpenSSL choose. Empty: no DHE, as Node. */
  lode_slice_t dhparam;
  long secure_options; /* SSL_OP_* bits, as Node's secureOptions */
  /* Node's ticketKeys: 48 bytes (16 key name, 16 HMAC secret, 16 AES
   * key) that encrypt session tickets; empty = random ones. Contexts with
   * the same keys resume each other's sessions. */
  lode_slice_t ticket_keys;
  /* Node's secureProtocol, the legacy form of min/max_version:
   * "TLS_method" (or "SSLv23_method"), "TLSv1_method", "TLSv1_1_method",
   * "TLSv1_2_method", each also with _client or _server. Not together
   * with min/max_version (LODE_ERR_TLS_PROTOCOL_VERSION_CONFLICT); an
   * unknown or SSL method is LODE_ERR_TLS_INVALID_PROTOCOL_METHOD. */
  const char* secure_protocol;
} lode_tls_context_opts_t;

/* Makes a context. `opts` (may be NULL) is read during the call. Returns
 * 0, or a negative code with `err` (may be NULL) filled with Node's error:
 * LODE_ERR_SSL named "ERR_OSSL_PEM_NO_START_LINE" for a certificate that
 * is not PEM, "ERR_OSSL_UNSUPPORTED" for a key that is not one,
 * "ERR_OSSL_X509_KEY_VALUES_MISMATCH" for a key that is not the
 * certificate's, "ERR_OSSL_BAD_DECRYPT" for a wrong passphrase,
 * "ERR_SSL_NO_CIPHER_MATCH" for ciphers that match none;
 * LODE_ERR_TLS_INVALID_PROTOCOL_VERSION, LODE_ERR_CRYPTO_OPERATION_FAILED
 * (ecdh_curve); UV_ENOMEM. The context starts with one reference, the
 * caller's. */
int lode_tls_create_secure_context(const lode_tls_context_opts_t* opts,
                                   lode_tls_context_t** out, lode_error_t* err);
void lode_tls_context_hold(lode_tls_context_t* ctx);
void lode_tls_context_release(lode_tls_context_t* ctx);

/* ------------------------------------------------------------------ */
/* TLS sockets                                                         */

/* Node's tls.TLSSocket events. A client: secureConnect, data..., end,
 * close(0); on failure error, close(1). A server side (made by a server or
 * with is_server): on_secure (Node's 'secure'), then data.... `data` and
 * `err` are borrowed for the callback. on_session (a client's new session,
 * DER, for lode_tls_opts_t.session) and on_keylog (one NSS key log line,
 * without its newline) are Node's 'session' and 'keylog'. */
typedef struct lode_tls_socket_events_s {
  void (*on_secure_connect)(lode_tls_socket_t* t);
  void (*on_secure)(lode_tls_socket_t* t);
  void (*on_data)(lode_tls_socket_t* t, lode_slice_t data);
  void (*on_end)(lode_tls_socket_t* t);
  void (*on_drain)(lode_tls_socket_t* t);
  void (*on_error)(lode_tls_socket_t* t, const lode_error_t* err);
  void (*on_close)(lode_tls_socket_t* t, int had_error);
  void (*on_session)(lode_tls_socket_t* t, lode_slice_t session);
  void (*on_keylog)(lode_tls_socket_t* t, lode_slice_t line);
  /* Node's 'OCSPResponse' (a client with request_ocsp), before
   * on_secure_connect: the server's stapled response, or {NULL, 0} (Node's
   * null) when it sent none. lode does not check it. */
  void (*on_ocsp_response)(lode_tls_socket_t* t, lode_slice_t response);
} lode_tls_socket_events_t;

/* A certificate as Node's getPeerCertificate() gives it. Every string is
 * NUL-terminated and owned by the certificate; free it with
 * lode_tls_cert_free. subject and issuer are NULL-terminated name/value
 * arrays in certificate order, short names as Node's keys:
 * { "C", "US", "O", "lode", "CN", "lode test CA", NULL } (a repeated name
 * is Node's array value). */
typedef struct lode_tls_cert_s {
  const char* const* subject;
  const char* const* issuer;
  const char* subjectaltname; /* "DNS:localhost, IP Address:127.0.0.1";
                                  NULL when the certificate has none */
  int ca;                     /* basicConstraints CA */
  int bits;                   /* key size: RSA modulus, EC curve bits */
  const char* exponent;       /* RSA: "0x10001"; else NULL */
  const char* asn1_curve;     /* EC: "prime256v1"; else NULL */
  const char* nist_curve;     /* EC: "P-256"; else NULL */
  const char* valid_from;     /* "Dec  4 17:44:36 2026 GMT" */
  const char* valid_to;
  const char* fingerprint; /* SHA-1, "7D:1D:...", upper-case hex */
  const char* fingerprint256;
  const char* fingerprint512;
  const char* serial_number; /* Node's serialNumber: upper-case hex */
  lode_slice_t raw;          /* DER */
  /* Node's issuerCertificate (detailed form): the next certificate of the
   * peer's chain, or NULL (never itself; a self-signed root ends it). */
  const struct lode_tls_cert_s* issuer_certificate;
} lode_tls_cert_t;
void lode_tls_cert_free(lode_tls_cert_t* cert);

/* Node's checkServerIdentity option: return 0 to accept, or a negative
 * code with `err` filled (lode_tls_check_server_identity is the default). */
typedef int (*lode_tls_check_identity_fn)(const char* hostname,
                                          const lode_tls_cert_t* cert,
                                          lode_error_t* err, void* arg);

/* What Node's pskCallback returns: the key, and on a client the identity
 * to send (both copied by lode after the callback returns). */
typedef struct lode_tls_psk_s {
  const char* identity;
  lode_slice_t psk;
} lode_tls_psk_t;

/* The options of new tls.TLSSocket(socket, options), tls.connect and
 * tls.createServer, in one bag; zero is Node's default. */
typedef struct lode_tls_opts_s {
  /* Node's secureContext; held by the socket. NULL: a context made from
   * `context` (with no CA given, the system store). */
  lode_tls_context_t* secure_context;
  lode_tls_context_opts_t context;
  int is_server; /* new TLSSocket: the server side */
  /* A client: fail unless the server's certificate verifies (Node's
   * default, true). A server with request_cert: drop unverified clients
   * (default true). */
  int reject_unauthorized; /* tri-state, default true */
  int request_cert;        /* server: ask for a client certificate */
  /* A client's SNI name (Node's servername). NULL: the host connected to,
   * unless that is an IP address (no SNI is sent for those, as in Node).
   * The host name check uses servername, else host. */
  const char* servername;
  const char* host; /* new TLSSocket client: the name to check */
  /* ALPN protocols in order of preference, NULL-terminated. */
  const char* const* alpn_protocols;
  lode_tls_check_identity_fn check_server_identity;
  void* check_server_identity_arg;
  /* A session (from on_session or lode_tls_socket_get_session) to resume;
   * an unusable one is ignored, as in Node. */
  lode_slice_t session;
  /* Node's handshakeTimeout (server sides, ms): 0 = 120000; a handshake
   * not done by then fails with LODE_ERR_TLS_HANDSHAKE_TIMEOUT. */
  unsigned handshake_timeout;
  /* Node's SNICallback (server sides), synchronous: the context for the
   * name the client sent (held by lode while it needs it), or NULL for
   * the server's own. Called only when the client sent a name. */
  lode_tls_context_t* (*sni_callback)(const char* servername, void* arg);
  void* sni_callback_arg;
  /* Node's ALPNCallback (server sides, instead of alpn_protocols): one of
   * the client's `protocols` (NULL-terminated), or NULL to fail the
   * handshake with no_application_protocol. */
  const char* (*alpn_callback)(const char* servername,
                               const char* const* protocols, void* arg);
  void* alpn_callback_arg;
  /* Node's pskCallback, synchronous. A client's gets the server's
   * identity hint (`name`, may be NULL) and fills out->identity and
   * out->psk; a server's gets the client's identity and fills out->psk.
   * Return 0, or -1 to refuse (the handshake then fails). Only PSK
   * ciphers (TLS 1.2, set with `ciphers`) or TLS 1.3 use it; without a
   * certificate the host name check fails on TLS 1.2 unless
   * check_server_identity accepts it, as in Node. */
  int (*psk_callback)(lode_tls_socket_t* t, const char* name,
                      lode_tls_psk_t* out, void* arg);
  void* psk_callback_arg;
  const char* psk_identity_hint; /* server: Node's pskIdentityHint */
  int request_ocsp;              /* client: ask for a stapled OCSP response */
  /* Node's minDHSize (client): a DHE key exchange with a smaller group
   * fails with LODE_ERR_TLS_DH_PARAM_SIZE (then a close without error,
   * as Node). 0 = 1024. */
  unsigned min_dh_size;
  /* Node's sessionIdContext (server): the context sessions resume in.
   * NULL = lode's fixed one. At most 32 bytes. */
  const char* session_id_context;
  int enable_trace; /* Node's enableTrace option: see below */
} lode_tls_opts_t;

/* Node: new tls.TLSSocket(socket, options). Wraps `under` (any duplex
 * stream; the TLS socket becomes its reader and holds it) and starts the
 * handshake: a client sends its hello at once. `opts` is read during the
 * call; `ev` is borrowed. Returns 0, UV_EINVAL, UV_ENOMEM, or a context
 * error (with `err`, may be NULL, filled as lode_tls_create_secure_context
 * does). On failure `under` is left as it was. */
int lode_tls_socket_create(lode_stream_t* under, const lode_tls_opts_t* opts,
                           const lode_tls_socket_events_t* ev,
                           lode_tls_socket_t** out, lode_error_t* err);

/* Node: tls.connect(options[, callback]): a net connection made with
 * `net` (lode_net_connect's options; host NULL = "localhost") wrapped by a
 * client TLS socket with `tls` (may be NULL). The socket pointer is valid
 * as soon as this returns 0. Connection errors arrive in on_error, then
 * on_close(1). Returns 0 or what lode_net_connect or
 * lode_tls_socket_create returns (nothing was created then). */
int lode_tls_connect(uv_loop_t* loop, const lode_socket_opts_t* net,
                     const lode_tls_opts_t* tls,
                     const lode_tls_socket_events_t* ev,
                     lode_tls_socket_t** out, lode_error_t* err);

/* The TLS socket as a duplex stream (its reader sees events before the
 * table's callbacks), and back (NULL when `s` is not a TLS socket). */
lode_stream_t* lode_tls_socket_stream(lode_tls_socket_t* t);
lode_tls_socket_t* lode_tls_socket_from_stream(lode_stream_t* s);
/* The stream under it, and the net socket under it when that is one. */
lode_stream_t* lode_tls_socket_under(lode_tls_socket_t* t);
lode_socket_t* lode_tls_socket_socket(lode_tls_socket_t* t);

void lode_tls_socket_set_events(lode_tls_socket_t* t,
                                const lode_tls_socket_events_t* ev);
void lode_tls_socket_set_data(lode_tls_socket_t* t, void* data);
void* lode_tls_socket_get_data(const lode_tls_socket_t* t);

/* Node's write/end/destroy on the TLS socket, as lode_stream_write/end/
 * destroy. Writes before the handshake ends are kept and sent after it;
 * lode_stream_writable_length of its stream counts them (Node's
 * writableLength), and once secure what the stream under it holds.
 * end() sends close_notify, then ends the stream under it; a peer's
 * close_notify, or its plain end of stream, is on_end. */
typedef void (*lode_tls_socket_cb)(lode_tls_socket_t* t, int status, void* arg);
int lode_tls_socket_write(lode_tls_socket_t* t, lode_slice_t data,
                          lode_tls_socket_cb cb, void* arg);
int lode_tls_socket_end(lode_tls_socket_t* t, lode_tls_socket_cb cb, void* arg);
void lode_tls_socket_destroy(lode_tls_socket_t* t, const lode_error_t* err);
void lode_tls_socket_pause(lode_tls_socket_t* t);
void lode_tls_socket_resume(lode_tls_socket_t* t);
void lode_tls_socket_hold(lode_tls_socket_t* t);
void lode_tls_socket_release(lode_tls_socket_t* t);

/* Node: tlsSocket.encrypted (always 1), authorized, authorizationError
 * (Node's code name, "DEPTH_ZERO_SELF_SIGNED_CERT", or NULL), servername
 * (the SNI name sent, or received on a server; NULL when none),
 * alpnProtocol (NULL for Node's false), getProtocol() ("TLSv1.3"; NULL
 * before the handshake), isSessionReused(). Strings are owned by the
 * socket and valid until its on_close returns. */
int lode_tls_socket_encrypted(const lode_tls_socket_t* t);
int lode_tls_socket_authorized(const lode_tls_socket_t* t);
const char* lode_tls_socket_authorization_error(const lode_tls_socket_t* t);
const char* lode_tls_socket_servername(const lode_tls_socket_t* t);
const char* lode_tls_socket_alpn_protocol(const lode_tls_socket_t* t);
const char* lode_tls_socket_get_protocol(const lode_tls_socket_t* t);
int lode_tls_socket_is_session_reused(const lode_tls_socket_t* t);

/* Node: getCipher(): { name, standardName, version }. Returns 0 or
 * UV_ENOTCONN before the handshake. Strings are static. */
typedef struct lode_tls_cipher_s {
  const char* name; /* "TLS_AES_256_GCM_SHA384" */
  const char* standard_name;
  const char* version; /* "TLSv1.3" */
} lode_tls_cipher_t;
int lode_tls_socket_get_cipher(const lode_tls_socket_t* t,
                               lode_tls_cipher_t* out);

/* Node: getPeerCertificate([detailed]) and getCertificate(). NULL when
 * there is none (Node's {}) or memory runs out; free with
 * lode_tls_cert_free. `detailed` fills issuer_certificate along the
 * peer's chain. */
lode_tls_cert_t* lode_tls_socket_get_peer_certificate(lode_tls_socket_t* t,
                                                      int detailed);
lode_tls_cert_t* lode_tls_socket_get_certificate(lode_tls_socket_t* t);

/* Node: getSession(): the session in DER (OpenSSL's form, as Node's
 * Buffer), to give to lode_tls_opts_t.session. Returns the bytes (free
 * them with lode_bytes_release) or NULL when there is none. */
lode_bytes_t* lode_tls_socket_get_session(lode_tls_socket_t* t);

/* Node: renegotiate(options, callback) (TLS 1.2 and older): a new
 * handshake on the open connection, with the socket's own settings; `cb`
 * (may be NULL) gets 0 when it is done, or LODE_ERR_STREAM_DESTROYED if
 * the socket closes first. Writes made meanwhile wait for it. Returns 0,
 * UV_EBUSY (before the handshake, or during a renegotiation),
 * LODE_ERR_STREAM_DESTROYED, or LODE_ERR_SSL (TLS 1.3 has no
 * renegotiation: "ERR_SSL_WRONG_SSL_VERSION"). A server allows a client
 * CLIENT_RENEG_LIMIT (3) renegotiations with less than
 * CLIENT_RENEG_WINDOW (600 s) between them, as Node: one more destroys
 * the socket with LODE_ERR_TLS_SESSION_ATTACK. */
int lode_tls_socket_renegotiate(lode_tls_socket_t* t, lode_tls_socket_cb cb,
                                void* arg);

/* Node: setMaxSendFragment(size): the largest record sent, 512..16384.
 * Returns 0, or LODE_ERR_OUT_OF_RANGE (Node throws it too). */
int lode_tls_socket_set_max_send_fragment(lode_tls_socket_t* t, size_t size);
/* Node: exportKeyingMaterial(length, label[, context]) (RFC 5705) into
 * out[0..len). context.base NULL = no context. Returns 0, UV_ENOTCONN
 * before the handshake, or LODE_ERR_SSL. */
int lode_tls_socket_export_keying_material(lode_tls_socket_t* t, char* out,
                                           size_t len, const char* label,
                                           lode_slice_t context);
/* Node: disableRenegotiation(): the peer's renegotiation requests are
 * refused (OpenSSL's no_renegotiation alert). */
void lode_tls_socket_disable_renegotiation(lode_tls_socket_t* t);
/* Node: getFinished() / getPeerFinished(): the last Finished message
 * sent / received, copied into out (at most cap bytes); returns its full
 * length (0 before the handshake, Node's undefined). */
size_t lode_tls_socket_get_finished(const lode_tls_socket_t* t, char* out,
                                    size_t cap);
size_t lode_tls_socket_get_peer_finished(const lode_tls_socket_t* t, char* out,
                                         size_t cap);
/* Node: getEphemeralKeyInfo(): a client's key exchange, { type: "ECDH",
 * name: "X25519", size: 253 } (name NULL for "DH"). Returns 0, or
 * UV_ENOENT on a server side or before the handshake (Node's {}). */
typedef struct lode_tls_key_info_s {
  const char* type;
  const char* name;
  int size;
} lode_tls_key_info_t;
int lode_tls_socket_get_ephemeral_key_info(const lode_tls_socket_t* t,
                                           lode_tls_key_info_t* out);
/* Node: getTLSTicket(): the session ticket (client), or NULL. Release it
 * with lode_bytes_release. */
lode_bytes_t* lode_tls_socket_get_tls_ticket(lode_tls_socket_t* t);

/* Node: getSharedSigalgs(): the signature algorithms both ends accept,
 * as Node names them ("RSA-PSS+SHA256"), NULL-terminated. Owned by the
 * socket until the next call or its on_close; NULL without memory. */
const char* const* lode_tls_socket_get_shared_sigalgs(lode_tls_socket_t* t);
/* Node: enableTrace(): OpenSSL's trace of the connection's messages, on
 * stderr, from now on. */
void lode_tls_socket_enable_trace(lode_tls_socket_t* t);

/* Node: tls.getCiphers(): the cipher names OpenSSL supports, lower-case,
 * sorted, NULL-terminated; static, made on first use. */
const char* const* lode_tls_get_ciphers(void);
/* Node: tls.rootCertificates: the default trust store's certificates as
 * PEM strings, NULL-terminated; static. lode's default store is the
 * system's (Node's is its own bundled copy of Mozilla's). */
const char* const* lode_tls_root_certificates(void);

/* Node: tls.checkServerIdentity(hostname, cert): RFC 6125 as Node does
 * it (the subject alt names, the CN only when there are none, one
 * wildcard in the first label and never in *.tld, IP addresses against IP
 * entries). Returns 0, or LODE_ERR_TLS_CERT_ALTNAME_INVALID with `err`
 * (may be NULL) filled with Node's message. */
int lode_tls_check_server_identity(const char* hostname,
                                   const lode_tls_cert_t* cert,
                                   lode_error_t* err);

/* ------------------------------------------------------------------ */
/* Servers                                                             */

/* Node's tls.Server events. on_secure_connection gets a TLS socket whose
 * handshake is done (it uses opts->socket_events until changed);
 * on_tls_client_error gets the error of a connection whose handshake
 * failed, and the socket, which is then destroyed (only it: the server
 * goes on). on_connection is net's 'connection', before the handshake. */
typedef struct lode_tls_server_events_s {
  void (*on_secure_connection)(lode_tls_server_t* srv, lode_tls_socket_t* t);
  void (*on_tls_client_error)(lode_tls_server_t* srv, const lode_error_t* err,
                              lode_tls_socket_t* t);
  void (*on_connection)(lode_tls_server_t* srv, lode_socket_t* s);
  void (*on_listening)(lode_tls_server_t* srv);
  void (*on_error)(lode_tls_server_t* srv, const lode_error_t* err);
  void (*on_close)(lode_tls_server_t* srv);
  /* Node's server 'keylog': one NSS key log line of a connection. */
  void (*on_keylog)(lode_tls_server_t* srv, lode_slice_t line,
                    lode_tls_socket_t* t);
  /* Node's 'newSession' and 'resumeSession', synchronous: a session the
   * server made (its id and its DER, both borrowed), for an external
   * cache; and the session a client asks to resume by id, as bytes the
   * callback gives away (lode releases them), or NULL for a full
   * handshake. They serve session ids (and TLS 1.3's stateful tickets);
   * clients resume by stateless tickets without them unless the context
   * has SSL_OP_NO_TICKET in secure_options. */
  void (*on_new_session)(lode_tls_server_t* srv, lode_slice_t id,
                         lode_slice_t data);
  lode_bytes_t* (*on_resume_session)(lode_tls_server_t* srv, lode_slice_t id);
  /* Node's 'OCSPRequest', synchronous: a client asked for the status of
   * the server's certificate (DER; `issuer` is its issuer's from the
   * chain, or {NULL, 0}); return the OCSP response to staple (lode
   * releases the bytes), or NULL for none. */
  lode_bytes_t* (*on_ocsp_request)(lode_tls_server_t* srv,
                                   lode_slice_t certificate,
                                   lode_slice_t issuer, lode_tls_socket_t* t);
} lode_tls_server_events_t;

typedef struct lode_tls_server_opts_s {
  lode_server_opts_t net; /* net.createServer's options */
  lode_tls_opts_t tls;    /* context, request_cert, ALPN, timeout */
  /* The table every accepted TLS socket starts with (may be NULL). */
  const lode_tls_socket_events_t* socket_events;
} lode_tls_server_opts_t;

/* Node: tls.createServer([options][, secureConnectionListener]). `opts`
 * is read during the call (the context is made, or held, now); `ev` is
 * borrowed. Returns 0, UV_ENOMEM, or a context error with `err` filled. */
int lode_tls_create_server(uv_loop_t* loop, const lode_tls_server_opts_t* opts,
                           const lode_tls_server_events_t* ev,
                           lode_tls_server_t** out, lode_error_t* err);

typedef void (*lode_tls_server_cb)(lode_tls_server_t* srv, int status,
                                   void* arg);
/* Node: server.listen / close / address, as lode_server_listen /
 * lode_server_close / lode_server_address. close returns 0 or
 * LODE_ERR_SERVER_NOT_RUNNING. */
int lode_tls_server_listen(lode_tls_server_t* srv,
                           const lode_listen_opts_t* opts,
                           lode_tls_server_cb cb, void* arg);
int lode_tls_server_close(lode_tls_server_t* srv, lode_tls_server_cb cb,
                          void* arg);
int lode_tls_server_address(lode_tls_server_t* srv, lode_net_address_t* out);
/* Node: server.addContext(hostname, context): connections whose SNI
 * name matches `hostname` ("*.example.com" matches one label) use `ctx`
 * (held). Later calls come first. Returns 0, UV_EINVAL or UV_ENOMEM. */
int lode_tls_server_add_context(lode_tls_server_t* srv, const char* hostname,
                                lode_tls_context_t* ctx);
/* Node: server.setSecureContext(options): later connections use a
 * context made from `opts` (those open keep theirs). Returns 0 or a
 * context error with `err` filled. */
int lode_tls_server_set_secure_context(lode_tls_server_t* srv,
                                       const lode_tls_context_opts_t* opts,
                                       lode_error_t* err);
/* Node: server.getTicketKeys() / setTicketKeys(keys): the 48 bytes of
 * the server's context (see ticket_keys). set returns 0 or UV_EINVAL for
 * another length. */
void lode_tls_server_get_ticket_keys(const lode_tls_server_t* srv,
                                     char out[48]);
int lode_tls_server_set_ticket_keys(lode_tls_server_t* srv, lode_slice_t keys);
/* The net server under it. */
lode_server_t* lode_tls_server_net(lode_tls_server_t* srv);
void lode_tls_server_hold(lode_tls_server_t* srv);
void lode_tls_server_release(lode_tls_server_t* srv);
void lode_tls_server_set_data(lode_tls_server_t* srv, void* data);
void* lode_tls_server_get_data(const lode_tls_server_t* srv);

#ifdef __cplusplus
}
#endif
#endif
