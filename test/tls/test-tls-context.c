/* tls.createSecureContext's errors and tls.checkServerIdentity, each with
 * the code and message Node 20 gives for the same input. */
#include "tls-test.h"

/* "CODE | message" of a context made with `o`, or "ok". */
static const char* context_result(const lode_tls_context_opts_t* o) {
  static char out[512];
  lode_tls_context_t* ctx = NULL;
  lode_error_t err;
  int rc = lode_tls_create_secure_context(o, &ctx, &err);
  if (rc == 0) {
    lode_tls_context_release(ctx);
    return "ok";
  }
  ASSERT_EQ(rc, err.code);
  snprintf(out, sizeof(out), "%s | %s", err.name, err.message);
  return out;
}

TEST(context_errors_as_node) {
  lode_tls_context_opts_t o = { 0 };
  ASSERT_STR_EQ(context_result(&o), "ok");
  o.key = LODE_SLICE("garbage");
  ASSERT_STR_EQ(context_result(&o),
                "ERR_OSSL_UNSUPPORTED | error:1E08010C:DECODER routines::"
                "unsupported");
  o = (lode_tls_context_opts_t){ .cert = LODE_SLICE("garbage") };
  ASSERT_STR_EQ(context_result(&o),
                "ERR_OSSL_PEM_NO_START_LINE | error:0480006C:PEM routines::"
                "no start line");
  o = (lode_tls_context_opts_t){ .key = tls_file("server.key"),
                                 .cert = tls_file("self.crt") };
  ASSERT_STR_EQ(context_result(&o),
                "ERR_OSSL_X509_KEY_VALUES_MISMATCH | error:05800074:x509 "
                "certificate routines::key values mismatch");
  o = (lode_tls_context_opts_t){ .key = tls_file("enc.key"),
                                 .cert = tls_file("server.crt") };
  ASSERT_STR_EQ(context_result(&o),
                "ERR_OSSL_BAD_DECRYPT | error:1C800064:Provider routines::"
                "bad decrypt");
  o.passphrase = "bad";
  ASSERT_STR_EQ(context_result(&o),
                "ERR_OSSL_BAD_DECRYPT | error:1C800064:Provider routines::"
                "bad decrypt");
  o.passphrase = "secret";
  ASSERT_STR_EQ(context_result(&o), "ok");
  o = (lode_tls_context_opts_t){ .ca = LODE_SLICE("garbage") };
  ASSERT_STR_EQ(context_result(&o), "ok"); /* Node ignores it too */
  o = (lode_tls_context_opts_t){ .ciphers = "NOPE" };
  ASSERT_STR_EQ(context_result(&o),
                "ERR_SSL_NO_CIPHER_MATCH | error:0A0000B9:SSL routines::"
                "no cipher match");
  o = (lode_tls_context_opts_t){ .min_version = "TLSv1.5" };
  ASSERT_STR_EQ(context_result(&o),
                "ERR_TLS_INVALID_PROTOCOL_VERSION | \"TLSv1.5\" is not a "
                "valid minimum TLS protocol version");
  o = (lode_tls_context_opts_t){ .ecdh_curve = "nope" };
  ASSERT_STR_EQ(context_result(&o),
                "ERR_CRYPTO_OPERATION_FAILED | Failed to set ECDH curve");
  o = (lode_tls_context_opts_t){ .ecdh_curve = "P-256:X25519" };
  ASSERT_STR_EQ(context_result(&o), "ok");
  o = (lode_tls_context_opts_t){ .secure_protocol = "TLSv1_2_method" };
  ASSERT_STR_EQ(context_result(&o), "ok");
  o.secure_protocol = "TLS_client_method";
  ASSERT_STR_EQ(context_result(&o), "ok");
  o.secure_protocol = "nope_method";
  ASSERT_STR_EQ(context_result(&o),
                "ERR_TLS_INVALID_PROTOCOL_METHOD | "
                "Unknown method: nope_method");
  o.secure_protocol = "SSLv3_method";
  ASSERT_STR_EQ(context_result(&o),
                "ERR_TLS_INVALID_PROTOCOL_METHOD | "
                "SSLv3 methods disabled");
  o.secure_protocol = "TLSv1_3_method";
  ASSERT_STR_EQ(context_result(&o),
                "ERR_TLS_INVALID_PROTOCOL_METHOD | "
                "Unknown method: TLSv1_3_method");
  o = (lode_tls_context_opts_t){ .secure_protocol = "TLSv1_2_method",
                                 .min_version = "TLSv1.2" };
  ASSERT_STR_EQ(context_result(&o),
                "ERR_TLS_PROTOCOL_VERSION_CONFLICT | TLS protocol version "
                "\"TLSv1.2\" conflicts with secureProtocol \"TLSv1_2_method\"");
  o = (lode_tls_context_opts_t){ .secure_protocol = "TLSv1_2_method",
                                 .max_version = "TLSv1.3" };
  ASSERT_STR_EQ(context_result(&o),
                "ERR_TLS_PROTOCOL_VERSION_CONFLICT | TLS protocol version "
                "\"TLSv1.3\" conflicts with secureProtocol \"TLSv1_2_method\"");
}

TEST(context_hold_release) {
  lode_tls_context_t* ctx;
  ASSERT_OK(lode_tls_create_secure_context(NULL, &ctx, NULL));
  lode_tls_context_hold(ctx);
  lode_tls_context_release(ctx);
  lode_tls_context_release(ctx);
}

/* A certificate with just the fields checkServerIdentity reads. */
static int check(const char* host, const char* san, const char* cn, char* msg,
                 size_t cap) {
  const char* subject[] = { "CN", cn, NULL };
  lode_tls_cert_t c = { 0 };
  c.subject = cn != NULL ? subject : subject + 2;
  c.subjectaltname = san;
  lode_error_t err;
  int rc = lode_tls_check_server_identity(host, &c, &err);
  snprintf(msg, cap, "%s", rc == 0 ? "ok" : err.message);
  if (rc != 0)
    ASSERT_STR_EQ(err.name, "ERR_TLS_CERT_ALTNAME_INVALID");
  return rc;
}

#define CHECK(host, san, cn, want)                                             \
  do {                                                                         \
    char m_[1024];                                                             \
    check(host, san, cn, m_, sizeof(m_));                                      \
    ASSERT_STR_EQ(m_, want);                                                   \
  } while (0)
#define PRE "Hostname/IP does not match certificate's altnames: "

/* Node 20's answers (tls.checkServerIdentity(host, { subject, subjectaltname })). */
TEST(check_server_identity_as_node) {
  CHECK("localhost", "DNS:localhost", NULL, "ok");
  CHECK("LocalHost.", "DNS:localhost", NULL, "ok");
  CHECK("a.example.com", "DNS:*.example.com", NULL, "ok");
  CHECK("a.b.example.com", "DNS:*.example.com", NULL,
        PRE
        "Host: a.b.example.com. is not in the cert's altnames: "
        "DNS:*.example.com");
  CHECK("example.com", "DNS:*.com", NULL,
        PRE "Host: example.com. is not in the cert's altnames: DNS:*.com");
  CHECK("foo.example.com", "DNS:f*.example.com", NULL, "ok");
  CHECK("bar.example.com", "DNS:f*.example.com", NULL,
        PRE
        "Host: bar.example.com. is not in the cert's altnames: "
        "DNS:f*.example.com");
  CHECK("xn--a.example.com", "DNS:*.example.com", NULL, "ok");
  CHECK("a.example.com", "DNS:xn--*.example.com", NULL,
        PRE
        "Host: a.example.com. is not in the cert's altnames: "
        "DNS:xn--*.example.com");
  CHECK("localhost", NULL, "localhost", "ok");
  CHECK("other", NULL, "localhost",
        PRE "Host: other. is not cert's CN: localhost");
  CHECK("localhost", "DNS:other", "localhost",
        PRE "Host: localhost. is not in the cert's altnames: DNS:other");
  CHECK("localhost", NULL, NULL, PRE "Cert does not contain a DNS name");
  CHECK("127.0.0.1", "DNS:localhost, IP Address:127.0.0.1", NULL, "ok");
  CHECK("::1", "IP Address:0:0:0:0:0:0:0:1", NULL, "ok");
  CHECK("127.0.0.2",
        "DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1", NULL,
        PRE "IP: 127.0.0.2 is not in the cert's list: 127.0.0.1, ::1");
  CHECK("127.0.0.1", NULL, "127.0.0.1",
        PRE "IP: 127.0.0.1 is not in the cert's list: ");
}

TEST_MAIN(context_errors_as_node, context_hold_release,
          check_server_identity_as_node)
