/* The HTTP scenarios that matter, over TLS: lode's https server with
 * Node's https and tls clients and `openssl s_client` as peers
 * (test/peers/https-scenarios.js), and lode's https client against Node's
 * https server. Keep-alive and session resumption through Node's agent;
 * pipelined requests (in one write, one record per byte, a first answer
 * that comes late; exact bytes back, in order); a client that ends right
 * after its request; server.close() with an idle kept connection and
 * during a handshake; an upgrade with the bytes after its head; the
 * server's timeouts (headersTimeout, requestTimeout, keepAliveTimeout,
 * server.timeout; small values, no time asserted); a failed handshake as
 * 'clientError' and 'tlsClientError'; and 64 MiB both ways with every
 * byte checked and the heap bytes in use bounded at every write and read
 * (the receiver pauses, the sender waits for 'drain'), and a client that
 * goes mid-body.
 * The expected outputs of the cases with Node's clients were first taken
 * from Node 20's https server answering the same peer. */
#include "https-peer.h"

#define BULK ((uint64_t) 64 << 20)
#define CHUNK (64 * 1024)
/* Heap bytes in use allowed over those before the body, at every write
 * and read of 64 MiB: what backpressure leaves in flight (socket and TLS
 * buffers, a chunk, 4 MiB between pauses in the kernel) is far less; a
 * layer that keeps the body, or copies it faster than it frees them,
 * needs much more. In-use bytes, not RSS: they count what lode holds,
 * not what the allocator keeps mapped. */
#define IN_USE_BOUND ((size_t) 8 << 20)

static uv_loop_t loop;
static lode_https_server_t* server;
static int port;

static uint8_t byte_at(uint64_t i) {
  return (uint8_t) ((i * 7 + i / 4099) & 0xff);
}

/* ---- A body of the pattern, checked or made in pieces ---- */

typedef struct bulk_s {
  uint64_t done, total, mark;
  int same;
  size_t in_use0;
  uv_timer_t resume; /* a slow reader: stops after every 4 MiB */
  lode_http_incoming_t* msg;
  lode_http_outgoing_t* out;
} bulk_t;

static bulk_t bulk;

static void bulk_start(uint64_t total) {
  bulk.done = 0;
  bulk.total = total;
  bulk.mark = 4 << 20;
  bulk.same = 1;
  bulk.in_use0 = test_heap_in_use();
}

/* After each write and read of the body. */
static void bulk_sample(void) {
  size_t n = test_heap_in_use();
  if (n > bulk.in_use0 + IN_USE_BOUND)
    test_fail(__FILE__, __LINE__,
              "%zu KiB more in use than before the body, at byte %" PRIu64,
              (n - bulk.in_use0) >> 10, bulk.done);
}

static void resume_fire(uv_timer_t* t) {
  lode_http_incoming_resume(bulk.msg);
}

/* Checks a piece of an incoming body; pauses it after every 4 MiB. */
static void bulk_check(lode_http_incoming_t* m, lode_slice_t d) {
  const uint8_t* p = (const uint8_t*) d.base;
  for (size_t i = 0; bulk.same && i < d.len; i++)
    if (p[i] != byte_at(bulk.done + i))
      bulk.same = 0;
  bulk.done += d.len;
  bulk_sample();
  if (bulk.done >= bulk.mark) {
    bulk.mark += 4 << 20;
    bulk.msg = m;
    lode_http_incoming_pause(m);
    uv_timer_start(&bulk.resume, resume_fire, 20, 0);
  }
}

/* Writes the pattern until the message says wait (or all is written). */
static void bulk_pump(lode_http_outgoing_t* out) {
  static char chunk[CHUNK];
  while (bulk.done < bulk.total) {
    size_t n = bulk.total - bulk.done < CHUNK ? bulk.total - bulk.done : CHUNK;
    for (size_t i = 0; i < n; i++)
      chunk[i] = (char) byte_at(bulk.done + i);
    bulk.done += n;
    lode_slice_t s = { chunk, n };
    if (bulk.done == bulk.total) {
      ASSERT_OK(lode_http_outgoing_end(out, s, NULL, NULL));
      bulk_sample();
      return;
    }
    int rc = lode_http_outgoing_write(out, s, NULL, NULL);
    bulk_sample();
    ASSERT_GE(rc, 0);
    if (rc == 0)
      return; /* on_drain goes on */
  }
}

static void bulk_drain(lode_http_outgoing_t* out) {
  bulk_pump(out);
}

/* ---- lode's https server ---- */

static void body_collected(lode_http_incoming_t* req, int status,
                           lode_slice_t body, void* arg) {
  lode_http_response_t* res = arg;
  if (status != 0) {
    test_trace("body-error %s", lode_err_name(status));
    return;
  }
  lode_http_outgoing_end(res, body, NULL, NULL);
}

static void upload_end(lode_http_incoming_t* req) {
  lode_http_response_t* res = lode_http_incoming_get_data(req);
  char line[64];
  snprintf(line, sizeof(line), "length %" PRIu64 " same %s", bulk.done,
           bulk.same ? "true" : "false");
  lode_http_outgoing_end(res, lode_slice_str(line), NULL, NULL);
}

static const lode_http_incoming_events_t upload_events = {
  .on_data = bulk_check,
  .on_end = upload_end,
};

static void download_finish(lode_http_outgoing_t* out) {
  test_trace("finish");
}

static void download_close(lode_http_outgoing_t* out) {
  test_trace("response-close");
}

static const lode_http_outgoing_events_t download_events = {
  .on_drain = bulk_drain,
  .on_finish = download_finish,
  .on_close = download_close,
};

/* /slow is answered a moment later, from a timer. */
static lode_http_response_t* slow_res;

static void slow_fire(uv_timer_t* t) {
  lode_http_outgoing_end(slow_res, LODE_SLICE("slow"), NULL, NULL);
}

static void on_request(lode_http_server_t* srv, lode_http_incoming_t* req,
                       lode_http_response_t* res) {
  const char* url = lode_http_incoming_url(req);
  test_trace("%s %s", lode_http_incoming_method(req), url);
  lode_http_response_set_send_date(res, 0);
  if (strcmp(url, "/echo") == 0) {
    ASSERT_OK(lode_http_incoming_collect(req, 1 << 20, body_collected, res));
  } else if (strcmp(url, "/upload") == 0) {
    bulk_start(BULK);
    lode_http_incoming_set_data(req, res);
    lode_http_incoming_set_events(req, &upload_events);
  } else if (strcmp(url, "/slow") == 0) {
    slow_res = res;
    uv_timer_start(&bulk.resume, slow_fire, 30, 0);
  } else if (strncmp(url, "/download?", 10) == 0) {
    bulk_start(strtoull(url + 10, NULL, 10));
    lode_http_outgoing_set_events(res, &download_events);
    bulk_pump(res);
  } else {
    char body[256];
    snprintf(body, sizeof(body), "body of %s", url);
    lode_http_outgoing_end(res, lode_slice_str(body), NULL, NULL);
    if (strcmp(url, "/close-server") == 0)
      ASSERT_OK(lode_https_server_close(server, NULL, NULL));
  }
}

/* An upgraded connection: "welcome" and the bytes after the request's
 * head go back at once; with no such bytes it echoes until the end. */
static void up_data(void* ctx, lode_stream_t* s, lode_slice_t d) {
  lode_stream_write(s, d, NULL, NULL);
}
static void up_end(void* ctx, lode_stream_t* s) {
  lode_stream_end(s, NULL, NULL);
}
static const lode_stream_reader_t up_reader = { .on_data = up_data,
                                                .on_end = up_end };

static void on_upgrade(lode_http_server_t* srv, lode_http_incoming_t* req,
                       lode_stream_t* s, lode_slice_t head) {
  test_trace("upgrade %s head=%.*s", lode_http_incoming_url(req),
             (int) head.len, head.base);
  ASSERT_NOT_NULL(lode_tls_socket_from_stream(s));
  lode_slice_t parts[] = {
    LODE_SLICE("HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\n"
               "Connection: Upgrade\r\n\r\nwelcome"),
    head,
  };
  lode_stream_writev(s, parts, 2, NULL, NULL);
  if (head.len > 0)
    lode_stream_end(s, NULL, NULL);
  else
    lode_stream_set_reader(s, &up_reader, NULL);
}

static void on_client_error(lode_http_server_t* srv, const lode_error_t* err,
                            lode_stream_t* s) {
  test_trace("clientError %s", err->name);
  lode_stream_write(s,
                    LODE_SLICE("HTTP/1.1 408 Request Timeout\r\n"
                               "Connection: close\r\n\r\n"),
                    NULL, NULL);
  lode_stream_end(s, NULL, NULL);
}

/* A failed handshake, or a TLS error later: the listener destroys the
 * socket, as one does in Node's. */
static void on_handshake_client_error(lode_http_server_t* srv,
                                      const lode_error_t* err,
                                      lode_stream_t* s) {
  test_trace("clientError %s", err->name);
  ASSERT_NOT_NULL(lode_tls_socket_from_stream(s));
  lode_stream_destroy(s, NULL);
}

static void on_tls_client_error(lode_https_server_t* srv,
                                const lode_error_t* err, lode_tls_socket_t* t) {
  test_trace("tlsClientError %s", err->name);
}

static void on_timeout(lode_http_server_t* srv, lode_stream_t* s) {
  test_trace("timeout");
  ASSERT_NOT_NULL(lode_tls_socket_from_stream(s));
  lode_stream_destroy(s, NULL);
}

static int close_on_connection; /* server.close() in 'connection' */

static void on_connection(lode_http_server_t* srv, lode_stream_t* s) {
  test_trace("connection");
  if (close_on_connection)
    ASSERT_OK(lode_https_server_close(server, NULL, NULL));
}

static void on_secure(lode_https_server_t* srv, lode_tls_socket_t* t) {
  test_trace("secure");
}

static void on_server_close(lode_http_server_t* srv) {
  test_trace("server-close");
  server = NULL; /* freed after this */
}

static lode_https_server_events_t events = {
  .http = { .on_request = on_request,
            .on_upgrade = on_upgrade,
            .on_connection = on_connection,
            .on_close = on_server_close },
  .on_secure_connection = on_secure,
};

static void start_server(const lode_http_server_opts_t* http) {
  test_trace_reset();
  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_timer_init(&loop, &bulk.resume));
  lode_https_server_opts_t o = { 0 };
  if (http != NULL)
    o.http = *http;
  server = https_listen(&loop, &o, &events, &port);
}

/* Runs argv against the server until it exits; returns its output
 * (static, the previous one freed). */
static const char* run_peer(const char* const* argv) {
  static char* out;
  free(out);
  out = https_run_peer(&loop, &server, (uv_handle_t*) &bulk.resume, argv);
  return out;
}

/* Node's client in `scenario`, with `arg` (may be NULL). */
static const char* run_node(const char* scenario, const char* arg) {
  char p[16];
  snprintf(p, sizeof(p), "%d", port);
  const char* argv[] = { "node",
                         "test/peers/https-scenarios.js",
                         scenario,
                         p,
                         tls_path("ca.crt"),
                         arg,
                         NULL };
  return run_peer(argv);
}

/* ---- keep-alive and pipelining ---- */

TEST(keep_alive_node_agent) {
  start_server(NULL);
  ASSERT_STR_EQ(run_node("keepalive", NULL),
                "200 \"body of /k1\" reused=false same=true\n"
                "200 \"chunk1,chunk2\" reused=true same=true\n"
                "200 \"body of /k3\" reused=true same=true\n");
  ASSERT_TRACE("connection,secure,GET /k1,POST /echo,GET /k3,server-close");
}

/* Node's agent keeps the first connection's session and the second
 * connection resumes it on lode's server (TLS 1.3 tickets). */
TEST(session_resumed_node_agent) {
  start_server(NULL);
  ASSERT_STR_EQ(run_node("resume", NULL),
                "body of /r1 resumed=false\nbody of /r2 resumed=true\n");
  ASSERT_TRACE(
      "connection,secure,GET /r1,connection,secure,GET /r2,"
      "server-close");
}

#define PIPELINED                                                              \
  "GET /p1 HTTP/1.1\r\nHost: localhost\r\n\r\n"                                \
  "POST /echo HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5\r\n\r\nhello"   \
  "GET /p3 HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
#define PIPELINED_ANSWERS                                                      \
  "HTTP/1.1 200 OK\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5\r\n"     \
  "Content-Length: 11\r\n\r\nbody of /p1"                                      \
  "HTTP/1.1 200 OK\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5\r\n"     \
  "Content-Length: 5\r\n\r\nhello"                                             \
  "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 11\r\n\r\n"         \
  "body of /p3"

/* What the peer prints for PIPELINED_ANSWERS (JSON) and the end. */
#define PIPELINED_PRINTED                                                      \
  "\"HTTP/1.1 200 OK\\r\\nConnection: keep-alive\\r\\n"                        \
  "Keep-Alive: timeout=5\\r\\nContent-Length: 11\\r\\n\\r\\nbody of /p1"       \
  "HTTP/1.1 200 OK\\r\\nConnection: keep-alive\\r\\n"                          \
  "Keep-Alive: timeout=5\\r\\nContent-Length: 5\\r\\n\\r\\nhello"              \
  "HTTP/1.1 200 OK\\r\\nConnection: close\\r\\nContent-Length: 11"             \
  "\\r\\n\\r\\nbody of /p3\"\nend,close\n"

TEST(pipelining_node_tls) {
  start_server(NULL);
  ASSERT_STR_EQ(run_node("pipeline", NULL), PIPELINED_PRINTED);
  ASSERT_TRACE("connection,secure,GET /p1,POST /echo,GET /p3,server-close");
}

/* The first answer comes later than the second is ready: the second
 * still waits for it, as in Node. */
TEST(pipelining_slow_first) {
  start_server(NULL);
  ASSERT_STR_EQ(run_node("raw",
                         "\"GET /slow HTTP/1.1\\r\\nHost: localhost\\r\\n\\r\\n"
                         "GET /p2 HTTP/1.1\\r\\nHost: localhost\\r\\n"
                         "Connection: close\\r\\n\\r\\n\""),
                "\"HTTP/1.1 200 OK\\r\\nConnection: keep-alive\\r\\n"
                "Keep-Alive: timeout=5\\r\\nContent-Length: 4\\r\\n\\r\\nslow"
                "HTTP/1.1 200 OK\\r\\nConnection: close\\r\\nContent-Length: 11"
                "\\r\\n\\r\\nbody of /p2\"\nend,close\n");
  ASSERT_TRACE("connection,secure,GET /slow,GET /p2,server-close");
}

/* The same requests, one TLS record per byte. */
TEST(pipelining_one_byte_records) {
  start_server(NULL);
  ASSERT_STR_EQ(run_node("bytewise",
                         "\"GET /p1 HTTP/1.1\\r\\nHost: localhost\\r\\n\\r\\n"
                         "POST /echo HTTP/1.1\\r\\nHost: localhost\\r\\n"
                         "Content-Length: 5\\r\\n\\r\\nhello"
                         "GET /p3 HTTP/1.1\\r\\nHost: localhost\\r\\n"
                         "Connection: close\\r\\n\\r\\n\""),
                PIPELINED_PRINTED);
  ASSERT_TRACE("connection,secure,GET /p1,POST /echo,GET /p3,server-close");
}

/* A client that ends its side (close_notify, then FIN) right after its
 * request still gets the response, then the end. */
TEST(request_then_client_end) {
  start_server(NULL);
  ASSERT_STR_EQ(
      run_node("rawend",
               "\"GET /e HTTP/1.1\\r\\nHost: localhost\\r\\n\\r\\n\""),
      "\"HTTP/1.1 200 OK\\r\\nConnection: keep-alive\\r\\n"
      "Keep-Alive: timeout=5\\r\\nContent-Length: 10\\r\\n\\r\\n"
      "body of /e\"\nend,close\n");
  ASSERT_TRACE("connection,secure,GET /e,server-close");
}

/* server.close() with a keep-alive TLS connection: the connection is
 * closed once idle (Node 19+), and then the server. */
TEST(close_with_idle_keep_alive) {
  start_server(NULL);
  ASSERT_STR_EQ(run_node("idle", NULL),
                "200 keep-alive\nclosed, free sockets 0\n");
  ASSERT_TRACE("connection,secure,GET /close-server,server-close");
}

/* openssl s_client writes the three requests (one read of its stdin)
 * and prints exactly what comes back (-quiet), until the server closes. */
TEST(pipelining_openssl_s_client) {
  start_server(NULL);
  char cmd[2048];
  snprintf(cmd, sizeof(cmd),
           "printf '%s' | openssl s_client -connect 127.0.0.1:%d "
           "-servername localhost -CAfile %s -verify_return_error -quiet "
           "2>/dev/null",
           PIPELINED, port, tls_path("ca.crt"));
  const char* argv[] = { "sh", "-c", cmd, NULL };
  const char* out = run_peer(argv);
  ASSERT_MEM_EQ(out, strlen(out), PIPELINED_ANSWERS, strlen(PIPELINED_ANSWERS));
  ASSERT_TRACE("connection,secure,GET /p1,POST /echo,GET /p3,server-close");
}

/* server.close() while a connection is in its handshake: as in Node, the
 * connection is still served once secure and kept until its keep-alive
 * timeout, and the server closes after it. */
TEST(close_during_handshake) {
  lode_http_server_opts_t h = { .keep_alive_timeout = 200 };
  close_on_connection = 1;
  start_server(&h);
  ASSERT_STR_EQ(
      run_node("raw", "\"GET /h HTTP/1.1\\r\\nHost: localhost\\r\\n\\r\\n\""),
      "\"HTTP/1.1 200 OK\\r\\nConnection: keep-alive\\r\\n"
      "Keep-Alive: timeout=0\\r\\nContent-Length: 10\\r\\n\\r\\n"
      "body of /h\"\nend,close\n");
  ASSERT_TRACE("connection,secure,GET /h,server-close");
}

/* ---- upgrade ---- */

/* Node's https.request 'upgrade': the server's first bytes are its head,
 * then the server echoes on the upgraded TLS socket. */
TEST(upgrade_node_client) {
  start_server(NULL);
  ASSERT_STR_EQ(run_node("upgrade", NULL),
                "101 echo head=\"welcome\"\necho \"ping\"\n");
  ASSERT_TRACE("connection,secure,upgrade /up head=,server-close");
}

/* The bytes written with the head (one TLS record) are the upgrade's
 * `head`. */
TEST(upgrade_head_bytes) {
  start_server(NULL);
  ASSERT_STR_EQ(run_node("raw",
                         "\"GET /up HTTP/1.1\\r\\nHost: localhost\\r\\n"
                         "Connection: Upgrade\\r\\nUpgrade: echo\\r\\n\\r\\n"
                         "early\""),
                "\"HTTP/1.1 101 Switching Protocols\\r\\nUpgrade: echo\\r\\n"
                "Connection: Upgrade\\r\\n\\r\\nwelcomeearly\"\nend,close\n");
  ASSERT_TRACE("connection,secure,upgrade /up head=early,server-close");
}

/* ---- timeouts ---- */

#define TIMEOUT_408                                                            \
  "\"HTTP/1.1 408 Request Timeout\\r\\nConnection: close\\r\\n\\r\\n\"\n"      \
  "end,close\n"

/* headersTimeout, with no 'clientError' listener: 408 and the end. */
TEST(headers_timeout) {
  lode_http_server_opts_t h = { .headers_timeout = 200,
                                .request_timeout = 400,
                                .connections_checking_interval = 50 };
  start_server(&h);
  ASSERT_STR_EQ(
      run_node("raw", "\"GET /h HTTP/1.1\\r\\nHost: localhost\\r\\n\""),
      TIMEOUT_408);
  ASSERT_TRACE("connection,secure,server-close");
}

/* A connection that sends nothing: headersTimeout too, as in Node. */
TEST(headers_timeout_idle) {
  lode_http_server_opts_t h = { .headers_timeout = 200,
                                .request_timeout = 400,
                                .connections_checking_interval = 50 };
  start_server(&h);
  ASSERT_STR_EQ(run_node("raw", "\"\""), TIMEOUT_408);
  ASSERT_TRACE("connection,secure,server-close");
}

/* requestTimeout: the head came, the body does not; the 'clientError'
 * listener answers. */
TEST(request_timeout) {
  lode_http_server_opts_t h = { .headers_timeout = 200,
                                .request_timeout = 400,
                                .connections_checking_interval = 50 };
  events.http.on_client_error = on_client_error;
  start_server(&h);
  ASSERT_STR_EQ(run_node("raw",
                         "\"POST /echo HTTP/1.1\\r\\nHost: localhost\\r\\n"
                         "Content-Length: 10\\r\\n\\r\\nabc\""),
                TIMEOUT_408);
  ASSERT_TRACE(
      "connection,secure,POST /echo,"
      "clientError ERR_HTTP_REQUEST_TIMEOUT,body-error "
      "ERR_HTTP_CLIENT_ABORTED,server-close");
}

/* keepAliveTimeout: the connection is ended once it has been idle after
 * a response (timeout=0: Node announces whole seconds, rounded down). */
TEST(keep_alive_timeout) {
  lode_http_server_opts_t h = { .keep_alive_timeout = 200 };
  start_server(&h);
  ASSERT_STR_EQ(
      run_node("raw", "\"GET /ka HTTP/1.1\\r\\nHost: localhost\\r\\n\\r\\n\""),
      "\"HTTP/1.1 200 OK\\r\\nConnection: keep-alive\\r\\n"
      "Keep-Alive: timeout=0\\r\\nContent-Length: 11\\r\\n\\r\\n"
      "body of /ka\"\nend,close\n");
  ASSERT_TRACE("connection,secure,GET /ka,server-close");
}

/* server.timeout: the 'timeout' listener gets the TLS socket and
 * destroys it. */
TEST(server_timeout) {
  events.http.on_timeout = on_timeout;
  start_server(NULL);
  lode_http_server_set_timeout(lode_https_server_http(server), 200, NULL, NULL);
  ASSERT_STR_EQ(run_node("raw", "\"\""), "\"\"\nend,close\n");
  ASSERT_TRACE("connection,secure,timeout,server-close");
}

/* ---- a failed handshake ---- */

/* As Node's https.Server: 'clientError' first (its own 'tlsClientError'
 * listener passes the error on), then 'tlsClientError'. */
TEST(handshake_failure_is_client_error) {
  events.http.on_client_error = on_handshake_client_error;
  events.on_tls_client_error = on_tls_client_error;
  start_server(NULL);
  ASSERT_STR_EQ(
      run_node("plain", "\"GET / HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n\""),
      "\"\"\nend,close\n");
  ASSERT_TRACE(
      "connection,clientError ERR_SSL_HTTP_REQUEST,"
      "tlsClientError ERR_SSL_HTTP_REQUEST,server-close");
}

/* A record that does not decrypt, on a connection that has been
 * answered: 'clientError' with OpenSSL's reason (not 'tlsClientError':
 * the handshake was done), as Node's https.Server; the client gets the
 * alert. */
TEST(bad_record_is_client_error) {
  events.http.on_client_error = on_handshake_client_error;
  events.on_tls_client_error = on_tls_client_error;
  start_server(NULL);
  ASSERT_STR_EQ(run_node("badrecord", NULL),
                "\"HTTP/1.1 200 OK\\r\\nConnection: keep-alive\\r\\n"
                "Keep-Alive: timeout=5\\r\\nContent-Length: 10\\r\\n\\r\\n"
                "body of /b\"\nerror ERR_SSL_SSLV3_ALERT_BAD_RECORD_MAC,end,"
                "close\n");
  ASSERT_TRACE(
      "connection,secure,GET /b,clientError "
      "ERR_SSL_DECRYPTION_FAILED_OR_BAD_RECORD_MAC,server-close");
}

/* ---- 64 MiB both ways, lode's server ---- */

TEST(upload_64_mib_to_lode_server) {
  start_server(NULL);
  ASSERT_STR_EQ(run_node("upload", "67108864"),
                "200 length 67108864 same true\n");
  ASSERT_TRACE("connection,secure,POST /upload,server-close");
}

TEST(download_64_mib_from_lode_server) {
  start_server(NULL);
  ASSERT_STR_EQ(run_node("download", "67108864"),
                "length 67108864 same true\n");
  ASSERT_TRACE(
      "connection,secure,GET /download?67108864,finish,"
      "response-close,server-close");
}

/* A client that goes after the first MiB: the response closes without
 * its finish, the server goes on (and nothing is left: ASan). */
TEST(download_aborted_by_client) {
  start_server(NULL);
  ASSERT_STR_EQ(run_node("abort", "67108864"), "destroyed after 1 MiB\n");
  ASSERT_TRACE(
      "connection,secure,GET /download?67108864,response-close,"
      "server-close");
}

/* ---- 64 MiB both ways, lode's client against Node's https server ---- */

static char client_got[128];

static void c_collected(lode_http_incoming_t* res, int status,
                        lode_slice_t body, void* arg) {
  ASSERT_OK(status);
  snprintf(client_got, sizeof(client_got), "%d %.*s",
           lode_http_incoming_status_code(res), (int) body.len, body.base);
}

static void c_download_end(lode_http_incoming_t* res) {
  snprintf(client_got, sizeof(client_got), "length %" PRIu64 " same %s",
           bulk.done, bulk.same ? "true" : "false");
}

/* Node: the request's 'close' can come first, while the response is
 * paused with its end still to come; the timer goes with the response. */
static void c_res_close(lode_http_incoming_t* res) {
  uv_close((uv_handle_t*) &bulk.resume, NULL);
}

static const lode_http_incoming_events_t c_download_events = {
  .on_data = bulk_check,
  .on_close = c_res_close,
  .on_end = c_download_end,
};

static void c_response(lode_http_request_t* req, lode_http_incoming_t* res) {
  if (strcmp(lode_http_request_method(req), "POST") == 0) {
    ASSERT_OK(lode_http_incoming_collect(res, 1024, c_collected, NULL));
  } else {
    ASSERT_EQ(lode_http_incoming_status_code(res), 200);
    lode_http_incoming_set_events(res, &c_download_events);
  }
}

static void c_drain(lode_http_request_t* req) {
  bulk_pump(req);
}

static void c_error(lode_http_request_t* req, const lode_error_t* e) {
  test_fail(__FILE__, __LINE__, "request: %s %s", e->name, e->message);
}

static const lode_http_request_events_t c_events = {
  .on_response = c_response,
  .on_drain = c_drain,
  .on_error = c_error,
};

/* Node's https server (the "serve" scenario) and a request to it. */
static test_peer_t* node_server(lode_https_request_opts_t* o, char* url,
                                size_t cap, const char* path) {
  const char* argv[] = { "node", "test/peers/https-scenarios.js", "serve",
                         tls_certs_dir(), NULL };
  test_peer_t* p = test_peer_start(argv);
  snprintf(url, cap, "https://localhost:%d%s", test_peer_port(p), path);
  ASSERT_OK(uv_loop_init(&loop));
  o->http.url = url;
  o->http.agent = LODE_AGENT_FALSE;
  o->tls.context.ca = tls_file("ca.crt");
  return p;
}

TEST(upload_64_mib_lode_client) {
  char url[128];
  lode_https_request_opts_t o = { 0 };
  test_peer_t* p = node_server(&o, url, sizeof(url), "/upload");
  const char* headers[] = { "Content-Length", "67108864", NULL };
  o.http.method = "POST";
  o.http.headers = headers;
  lode_http_request_t* req;
  ASSERT_OK(lode_https_request(&loop, &o, &c_events, &req));
  bulk_start(BULK);
  bulk_pump(req);
  test_run_loop(&loop, 100000);
  test_loop_close(&loop);
  test_peer_kill(p);
  ASSERT_STR_EQ(client_got, "200 length 67108864 same true");
}

TEST(download_64_mib_lode_client) {
  char url[128];
  lode_https_request_opts_t o = { 0 };
  test_peer_t* p = node_server(&o, url, sizeof(url), "/download?67108864");
  ASSERT_OK(uv_timer_init(&loop, &bulk.resume));
  lode_http_request_t* req;
  ASSERT_OK(lode_https_get(&loop, &o, &c_events, &req));
  bulk_start(BULK);
  test_run_loop(&loop, 100000);
  test_loop_close(&loop);
  test_peer_kill(p);
  ASSERT_STR_EQ(client_got, "length 67108864 same true");
}

TEST_MAIN(keep_alive_node_agent, session_resumed_node_agent,
          pipelining_node_tls, pipelining_openssl_s_client,
          pipelining_slow_first, pipelining_one_byte_records,
          request_then_client_end, close_with_idle_keep_alive,
          close_during_handshake, upgrade_node_client, upgrade_head_bytes,
          headers_timeout, headers_timeout_idle, request_timeout,
          keep_alive_timeout, server_timeout, handshake_failure_is_client_error,
          bad_record_is_client_error, upload_64_mib_to_lode_server,
          download_64_mib_from_lode_server, download_aborted_by_client,
          upload_64_mib_lode_client, download_64_mib_lode_client)
