/* OpenSSL's and curl's own programs as the far end of lode's https:
 *   - `openssl s_server -WWW` and `-HTTP` serving lode's https client: an
 *     HTTP/1.0 body that ends with the connection (close_notify), 1 MiB
 *     of it, and a chunked body with a trailer, written by hand;
 *   - curl against lode's https server: three URLs on one connection
 *     (ALPN http/1.1), 2 MiB uploads with Expect: 100-continue and
 *     chunked, a client certificate asked for and verified, and refused
 *     when missing;
 *   - `openssl s_client` resuming a session of lode's https server
 *     (-sess_out, then -sess_in) over TLS 1.3 and TLS 1.2. */
#include "https-peer.h"

static uv_loop_t loop;
static lode_https_server_t* server;
static int port;
static char tmp[256]; /* a directory for the peers' files */

#define UPLOAD_LEN (2 << 20)

static uint8_t byte_at(size_t i) {
  return (uint8_t) ((i * 7 + i / 4099) & 0xff);
}

static void make_tmp(void) {
  snprintf(tmp, sizeof(tmp), "/tmp/lode-https-peers.XXXXXX");
  ASSERT_NOT_NULL(mkdtemp(tmp));
}

static void rm_tmp(void) {
  char cmd[300];
  snprintf(cmd, sizeof(cmd), "rm -rf %s", tmp);
  ASSERT_OK(system(cmd));
}

/* tmp/name with `len` bytes of the pattern, or `text` when not NULL. */
static const char* tmp_file(const char* name, const char* text, size_t len) {
  static char path[512];
  snprintf(path, sizeof(path), "%s/%s", tmp, name);
  FILE* f = fopen(path, "wb");
  ASSERT_NOT_NULL(f);
  if (text != NULL)
    fputs(text, f);
  for (size_t i = 0; text == NULL && i < len; i++)
    fputc(byte_at(i), f);
  ASSERT_OK(fclose(f));
  return path;
}

/* ---- lode's https client, openssl s_server ---- */

typedef struct got_s {
  int status;
  char message[32];
  char version[8];
  char trailer[32];
  char* body;
  size_t len;
  int ended, closed;
  char err[160];
} got_t;

static void g_body(lode_http_incoming_t* m, int status, lode_slice_t body,
                   void* arg) {
  got_t* g = arg;
  ASSERT_OK(status);
  g->ended++;
  g->body = malloc(body.len + 1);
  ASSERT_NOT_NULL(g->body);
  memcpy(g->body, body.base, body.len);
  g->body[body.len] = '\0';
  g->len = body.len;
  const char* t = lode_http_incoming_trailer(m, "x-sum");
  snprintf(g->trailer, sizeof(g->trailer), "%s", t ? t : "");
}

static void g_response(lode_http_request_t* r, lode_http_incoming_t* m) {
  got_t* g = lode_http_outgoing_get_data(r);
  g->status = lode_http_incoming_status_code(m);
  snprintf(g->message, sizeof(g->message), "%s",
           lode_http_incoming_status_message(m));
  snprintf(g->version, sizeof(g->version), "%s",
           lode_http_incoming_http_version(m));
  ASSERT_OK(lode_http_incoming_collect(m, 4 << 20, g_body, g));
}

static void g_error(lode_http_request_t* r, const lode_error_t* e) {
  got_t* g = lode_http_outgoing_get_data(r);
  snprintf(g->err, sizeof(g->err), "%s|%s", e->name, e->message);
}

static void g_close(lode_http_request_t* r) {
  got_t* g = lode_http_outgoing_get_data(r);
  g->closed++;
}

static const lode_http_request_events_t g_events = {
  .on_response = g_response,
  .on_error = g_error,
  .on_close = g_close,
};

/* openssl s_server in `mode` (-WWW or -HTTP) serving tmp for n
 * connections; *port is its port. */
static test_peer_t* s_server(const char* mode, int n) {
  char cmd[1024];
  snprintf(cmd, sizeof(cmd),
           "cd %s && exec openssl s_server -accept 127.0.0.1:0 -cert %s "
           "-key %s %s -naccept %d 2>/dev/null",
           tmp, tls_path("server.crt"), tls_path("server.key"), mode, n);
  const char* argv[] = { "sh", "-c", cmd, NULL };
  test_peer_t* p = test_peer_start(argv);
  char line[256];
  do
    test_peer_line(p, line, sizeof(line), 10000);
  while (strncmp(line, "ACCEPT ", 7) != 0);
  port = atoi(strrchr(line, ':') + 1);
  return p;
}

static void get(const char* path, got_t* g) {
  char url[128];
  snprintf(url, sizeof(url), "https://localhost:%d%s", port, path);
  lode_https_request_opts_t o = { .http = { .url = url,
                                            .agent = LODE_AGENT_FALSE } };
  o.tls.context.ca = tls_file("ca.crt");
  lode_http_request_t* r;
  ASSERT_OK(lode_https_get(&loop, &o, &g_events, &r));
  lode_http_outgoing_set_data(r, g);
  test_run_loop(&loop, 30000);
  ASSERT_STR_EQ(g->err, "");
  ASSERT_EQ(g->closed, 1);
  ASSERT_EQ(g->ended, 1);
}

/* s_server -WWW answers "HTTP/1.0 200 ok" and the file, and closes: the
 * body is all that comes before the TLS connection's end. */
TEST(lode_client_s_server_www) {
  make_tmp();
  tmp_file("hello.txt", "hello from s_server\n", 0);
  tmp_file("big.bin", NULL, 1 << 20);
  test_peer_t* p = s_server("-WWW", 2);
  ASSERT_OK(uv_loop_init(&loop));
  got_t hello = { 0 }, big = { 0 };
  get("/hello.txt", &hello);
  ASSERT_EQ(hello.status, 200);
  ASSERT_STR_EQ(hello.message, "ok");
  ASSERT_STR_EQ(hello.version, "1.0");
  ASSERT_STR_EQ(hello.body, "hello from s_server\n");
  get("/big.bin", &big);
  ASSERT_EQ(big.len, 1 << 20);
  for (size_t i = 0; i < big.len; i++)
    if ((uint8_t) big.body[i] != byte_at(i))
      test_fail(__FILE__, __LINE__, "byte %zu differs", i);
  test_loop_close(&loop);
  ASSERT_EQ(test_peer_finish(p, 10000, NULL), 0);
  free(hello.body);
  free(big.body);
  rm_tmp();
}

/* s_server -HTTP sends the file as the whole response: a chunked body
 * with a trailer, then the connection's end. */
TEST(lode_client_s_server_http_chunked) {
  make_tmp();
  tmp_file("chunked.http",
           "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
           "Trailer: X-Sum\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n"
           "X-Sum: 11\r\n\r\n",
           0);
  test_peer_t* p = s_server("-HTTP", 1);
  ASSERT_OK(uv_loop_init(&loop));
  got_t g = { 0 };
  get("/chunked.http", &g);
  ASSERT_EQ(g.status, 200);
  ASSERT_STR_EQ(g.version, "1.1");
  ASSERT_STR_EQ(g.body, "hello world");
  ASSERT_STR_EQ(g.trailer, "11");
  test_loop_close(&loop);
  ASSERT_EQ(test_peer_finish(p, 10000, NULL), 0);
  free(g.body);
  rm_tmp();
}

/* ---- lode's https server, curl and s_client ---- */

typedef struct sum_s {
  size_t len;
  int same;
  lode_http_response_t* res;
} sum_t;

static void sum_data(lode_http_incoming_t* req, lode_slice_t d) {
  sum_t* s = lode_http_incoming_get_data(req);
  for (size_t i = 0; s->same && i < d.len; i++)
    if ((uint8_t) d.base[i] != byte_at(s->len + i))
      s->same = 0;
  s->len += d.len;
}

static void sum_end(lode_http_incoming_t* req) {
  sum_t* s = lode_http_incoming_get_data(req);
  char line[64];
  snprintf(line, sizeof(line), "length %zu same %s\n", s->len,
           s->same ? "true" : "false");
  lode_http_outgoing_end(s->res, lode_slice_str(line), NULL, NULL);
  free(s);
}

static const lode_http_incoming_events_t sum_events = { .on_data = sum_data,
                                                        .on_end = sum_end };

static const char* peer_cn(lode_tls_socket_t* t);

static void on_request(lode_http_server_t* srv, lode_http_incoming_t* req,
                       lode_http_response_t* res) {
  const char* url = lode_http_incoming_url(req);
  const char* expect = lode_http_incoming_header(req, "expect");
  const char* te = lode_http_incoming_header(req, "transfer-encoding");
  test_trace("%s %s%s%s%s%s", lode_http_incoming_method(req), url,
             expect ? " expect=" : "", expect ? expect : "", te ? " te=" : "",
             te ? te : "");
  if (strcmp(url, "/cert") == 0) /* Node: req.socket.getPeerCertificate() */
    test_trace(
        "req.socket peer=%s",
        peer_cn(lode_tls_socket_from_stream(lode_http_incoming_socket(req))));
  if (strcmp(url, "/sum") == 0) {
    sum_t* s = calloc(1, sizeof(*s));
    ASSERT_NOT_NULL(s);
    s->same = 1;
    s->res = res;
    lode_http_incoming_set_data(req, s);
    lode_http_incoming_set_events(req, &sum_events);
    return;
  }
  char body[256];
  snprintf(body, sizeof(body), "body of %s", url);
  lode_http_outgoing_end(res, lode_slice_str(body), NULL, NULL);
}

/* The CN of the socket's peer certificate, or "none" (static buffer). */
static const char* peer_cn(lode_tls_socket_t* t) {
  static char cn[64];
  lode_tls_cert_t* c = lode_tls_socket_get_peer_certificate(t, 0);
  snprintf(cn, sizeof(cn), "none");
  for (size_t i = 0; c != NULL && c->subject[i] != NULL; i += 2)
    if (strcmp(c->subject[i], "CN") == 0)
      snprintf(cn, sizeof(cn), "%s", c->subject[i + 1]);
  lode_tls_cert_free(c);
  return cn;
}

static void on_secure(lode_https_server_t* srv, lode_tls_socket_t* t) {
  const char* alpn = lode_tls_socket_alpn_protocol(t);
  test_trace("secure(%s,reused=%d,authorized=%d,peer=%s)", alpn ? alpn : "none",
             lode_tls_socket_is_session_reused(t),
             lode_tls_socket_authorized(t), peer_cn(t));
}

static void on_tls_client_error(lode_https_server_t* srv, const lode_error_t* e,
                                lode_tls_socket_t* t) {
  test_trace("tlsClientError(%s)", e->name);
}

static const lode_https_server_events_t events = {
  .http = { .on_request = on_request },
  .on_secure_connection = on_secure,
  .on_tls_client_error = on_tls_client_error,
};

static void start_server(const lode_https_server_opts_t* o) {
  test_trace_reset();
  ASSERT_OK(uv_loop_init(&loop));
  server = https_listen(&loop, o, &events, &port);
}

/* `sh -c cmd` against the server; its output. */
static char* run_sh(const char* cmd) {
  const char* argv[] = { "sh", "-c", cmd, NULL };
  return https_run_peer(&loop, &server, NULL, argv);
}

/* curl with the test CA and `args`, its body and -w output on stdout. */
static char* curl(const char* args) {
  char cmd[2048];
  snprintf(cmd, sizeof(cmd),
           "curl -sS --max-time 60 --cacert %s %s; echo \"exit=$?\"",
           tls_path("ca.crt"), args);
  return run_sh(cmd);
}

TEST(curl_three_urls_one_connection) {
  start_server(NULL);
  char args[512];
  snprintf(args, sizeof(args),
           "-w ' %%{num_connects} %%{http_version}\\n' "
           "https://localhost:%d/c1 https://localhost:%d/c2 "
           "https://localhost:%d/c3",
           port, port, port);
  char* out = curl(args);
  ASSERT_STR_EQ(out,
                "body of /c1 1 1.1\nbody of /c2 0 1.1\n"
                "body of /c3 0 1.1\nexit=0\n");
  ASSERT_TRACE(
      "secure(http/1.1,reused=0,authorized=0,peer=none),"
      "GET /c1,GET /c2,GET /c3");
  free(out);
}

/* 2 MiB from a file: curl asks with Expect: 100-continue (the server
 * answers 100 itself, as Node's without a checkContinue listener). */
TEST(curl_upload_expect_continue) {
  make_tmp();
  const char* file = tmp_file("up.bin", NULL, UPLOAD_LEN);
  start_server(NULL);
  char args[512];
  snprintf(args, sizeof(args), "--data-binary @%s https://localhost:%d/sum",
           file, port);
  char* out = curl(args);
  ASSERT_STR_EQ(out, "length 2097152 same true\nexit=0\n");
  ASSERT_TRACE(
      "secure(http/1.1,reused=0,authorized=0,peer=none),"
      "POST /sum expect=100-continue");
  free(out);
  rm_tmp();
}

TEST(curl_upload_chunked) {
  make_tmp();
  const char* file = tmp_file("up.bin", NULL, UPLOAD_LEN);
  start_server(NULL);
  char args[512];
  snprintf(args, sizeof(args),
           "-H 'Transfer-Encoding: chunked' -H 'Expect:' "
           "--data-binary @%s https://localhost:%d/sum",
           file, port);
  char* out = curl(args);
  ASSERT_STR_EQ(out, "length 2097152 same true\nexit=0\n");
  ASSERT_TRACE(
      "secure(http/1.1,reused=0,authorized=0,peer=none),"
      "POST /sum te=chunked");
  free(out);
  rm_tmp();
}

/* requestCert with the test CA: curl's client certificate is verified
 * and seen by the server; without one the handshake fails for that
 * connection alone. */
TEST(curl_client_certificate) {
  lode_https_server_opts_t o = { 0 };
  o.tls.tls.request_cert = 1;
  o.tls.tls.context.ca = tls_file("ca.crt");
  start_server(&o);
  char cmd[2048];
  snprintf(cmd, sizeof(cmd),
           "curl -sS --max-time 60 --cacert %s --cert %s --key %s "
           "https://localhost:%d/cert; echo \" exit=$?\"; "
           "curl -s --max-time 60 --cacert %s https://localhost:%d/none; "
           "echo \"exit=$?\"",
           tls_path("ca.crt"), tls_path("client.crt"), tls_path("client.key"),
           port, tls_path("ca.crt"), port);
  char* out = run_sh(cmd);
  /* curl reports the refusal (an alert after TLS 1.3's handshake) as
   * a failed receive. */
  ASSERT_STR_EQ(out, "body of /cert exit=0\nexit=56\n");
  ASSERT_TRACE(
      "secure(http/1.1,reused=0,authorized=1,peer=client),"
      "GET /cert,req.socket peer=client,"
      "tlsClientError(ERR_SSL_PEER_DID_NOT_RETURN_A_"
      "CERTIFICATE)");
  free(out);
}

/* s_client saves the session of its first connection and offers it on
 * the second, which the server resumes. */
static void s_client_resumes(const char* version_flag, const char* version) {
  make_tmp();
  start_server(NULL);
  char cmd[3000], one[1024];
  snprintf(one, sizeof(one),
           "printf 'GET /r HTTP/1.1\\r\\nHost: localhost\\r\\n"
           "Connection: close\\r\\n\\r\\n' | openssl s_client -connect "
           "127.0.0.1:%d -servername localhost -CAfile %s "
           "-verify_return_error -ign_eof %s",
           port, tls_path("ca.crt"), version_flag);
  /* s_client prints "New, TLSv1.3, Cipher is ..." and "Reused, ...". */
  snprintf(
      cmd, sizeof(cmd),
      "%s -sess_out %s/sess 2>/dev/null | grep -oE '^(New|Reused), [^,]+'; "
      "%s -sess_in %s/sess 2>/dev/null | grep -oE '^(New|Reused), [^,]+'",
      one, tmp, one, tmp);
  char* out = run_sh(cmd);
  char want[128];
  snprintf(want, sizeof(want), "New, %s\nReused, %s\n", version, version);
  ASSERT_STR_EQ(out, want);
  ASSERT_TRACE(
      "secure(none,reused=0,authorized=0,peer=none),GET /r,"
      "secure(none,reused=1,authorized=0,peer=none),GET /r");
  free(out);
  rm_tmp();
}

TEST(s_client_resumes_tls13) {
  s_client_resumes("-tls1_3", "TLSv1.3");
}

TEST(s_client_resumes_tls12) {
  s_client_resumes("-tls1_2", "TLSv1.2");
}

TEST_MAIN(lode_client_s_server_www, lode_client_s_server_http_chunked,
          curl_three_urls_one_connection, curl_upload_expect_continue,
          curl_upload_chunked, curl_client_certificate, s_client_resumes_tls13,
          s_client_resumes_tls12)
