/* lode's https client and its agents against nginx with `ssl` on
 * loopback (test/peers/client-nginx.js CERTDIR: the static tree of
 * test-http-client-nginx, served over TLS 1.2/1.3 with the test CA's
 * server certificate, session tickets and a session cache). The
 * certificate verified against the CA and refused without it, keep-alive
 * (nginx's limit of 5 requests a connection), a session resumed on every
 * new connection of an agent (isSessionReused), bodies both ways, and
 * requests in parallel. nginx is a peer the project installs
 * (scripts/deps.sh): a missing nginx, or one without ssl, fails. */
#include "../tls/tls-test.h"
#include "lode/https.h"

#define BIG_LEN 300000

static uv_loop_t loop;
static test_peer_t* peer;
static int port;
static lode_agent_t* agent;

/* One request and what came back. */
typedef struct call_s {
  const char* method;
  const char* path;
  const char* body;
  int status, ended, closed, reused, resumed, authorized;
  char conn[32];
  char err[160];
  lode_stream_t* socket;
  char* got;
  size_t len;
} call_t;

static void start_nginx(const lode_https_agent_opts_t* ao) {
  const char* argv[] = { "node", "test/peers/client-nginx.js", tls_certs_dir(),
                         NULL };
  ASSERT_OK(uv_loop_init(&loop));
  peer = test_peer_start(argv);
  port = test_peer_port(peer);
  lode_https_agent_opts_t o = *ao;
  if (o.tls.context.ca.base == NULL)
    o.tls.context.ca = tls_file("ca.crt");
  ASSERT_OK(lode_https_agent_create(&loop, &o, &agent));
}

static void stop_nginx(void) {
  lode_agent_destroy(agent);
  test_run_loop(&loop, 10000);
  test_loop_close(&loop);
  test_peer_kill(peer);
}

static void c_body(lode_http_incoming_t* m, int status, lode_slice_t body,
                   void* arg) {
  call_t* c = arg;
  ASSERT_OK(status);
  c->ended++;
  c->len = body.len;
  c->got = malloc(body.len + 1);
  ASSERT_NOT_NULL(c->got);
  memcpy(c->got, body.base, body.len);
}

static void c_socket(lode_http_request_t* r, lode_stream_t* s) {
  call_t* c = lode_http_outgoing_get_data(r);
  c->socket = s;
}

/* The TLS socket's state once the response has come. */
static void c_response(lode_http_request_t* r, lode_http_incoming_t* m) {
  call_t* c = lode_http_outgoing_get_data(r);
  c->status = lode_http_incoming_status_code(m);
  const char* v = lode_http_incoming_header(m, "connection");
  snprintf(c->conn, sizeof(c->conn), "%s", v ? v : "");
  lode_tls_socket_t* t = lode_tls_socket_from_stream(c->socket);
  ASSERT_NOT_NULL(t);
  c->resumed = lode_tls_socket_is_session_reused(t);
  c->authorized = lode_tls_socket_authorized(t);
  ASSERT_OK(lode_http_incoming_collect(m, 1 << 20, c_body, c));
}

static void c_error(lode_http_request_t* r, const lode_error_t* e) {
  call_t* c = lode_http_outgoing_get_data(r);
  snprintf(c->err, sizeof(c->err), "%s|%s", e->name, e->message);
}

static void (*on_call_closed)(call_t* c);

static void c_close(lode_http_request_t* r) {
  call_t* c = lode_http_outgoing_get_data(r);
  c->closed++;
  c->reused = lode_http_request_reused_socket(r);
  if (on_call_closed != NULL)
    on_call_closed(c);
}

static const lode_http_request_events_t call_events = {
  .on_socket = c_socket,
  .on_response = c_response,
  .on_error = c_error,
  .on_close = c_close,
};

static void call_start(call_t* c) {
  char url[128];
  snprintf(url, sizeof(url), "https://localhost:%d%s", port, c->path);
  lode_https_request_opts_t o = {
    .http = { .url = url, .method = c->method, .agent = agent }
  };
  lode_http_request_t* r;
  ASSERT_OK(lode_https_request(&loop, &o, &call_events, &r));
  lode_http_outgoing_set_data(r, c);
  lode_slice_t body = c->body ? lode_slice_str(c->body) : (lode_slice_t){ 0 };
  ASSERT_OK(lode_http_request_end(r, body, NULL, NULL));
}

/* Runs one request to its close. */
static void call_run(call_t* c) {
  call_start(c);
  test_run_loop(&loop, 20000);
  ASSERT_EQ(c->closed, 1);
}

static void assert_hello(call_t* c) {
  ASSERT_STR_EQ(c->err, "");
  ASSERT_EQ(c->status, 200);
  ASSERT_EQ(c->ended, 1);
  ASSERT_EQ(c->authorized, 1);
  ASSERT_MEM_EQ(c->got, c->len, "hello nginx\n", 12);
  free(c->got);
  c->got = NULL;
}

#define CALL(m, p)                                                             \
  { .method = (m), .path = (p) }

/* Without the test CA (the system's store) nginx's certificate is
 * refused with Node's code and message; the agent's next connection,
 * with it, works. */
TEST(verification) {
  lode_https_agent_opts_t ao = { 0 };
  start_nginx(&ao);
  lode_agent_t* with_ca = agent;
  lode_https_agent_opts_t sys = { 0 };
  ASSERT_OK(lode_https_agent_create(&loop, &sys, &agent));
  call_t bad = CALL("GET", "/hello.txt");
  call_run(&bad);
  ASSERT_STR_EQ(bad.err,
                "UNABLE_TO_VERIFY_LEAF_SIGNATURE|"
                "unable to verify the first certificate");
  ASSERT_EQ(bad.status, 0);
  lode_agent_destroy(agent);
  agent = with_ca;
  call_t good = CALL("GET", "/hello.txt");
  call_run(&good);
  assert_hello(&good);
  stop_nginx();
}

/* A keep-alive agent: five requests on one TLS connection (nginx's
 * keepalive_requests), the fifth answered with Connection: close; the
 * sixth goes on a new connection that resumes the first's session. */
TEST(keep_alive_then_resumed) {
  lode_https_agent_opts_t ao = { .agent = { .keep_alive = 1 } };
  start_nginx(&ao);
  call_t c[6];
  for (int i = 0; i < 6; i++) {
    c[i] = (call_t) CALL("GET", "/hello.txt");
    call_run(&c[i]);
    assert_hello(&c[i]);
  }
  for (int i = 1; i < 5; i++) {
    ASSERT(c[i].socket == c[0].socket);
    ASSERT_EQ(c[i].reused, 1);
  }
  ASSERT_STR_EQ(c[3].conn, "keep-alive");
  ASSERT_STR_EQ(c[4].conn, "close");
  ASSERT_EQ(c[0].resumed, 0);
  ASSERT_EQ(c[5].reused, 0);
  ASSERT_EQ(c[5].resumed, 1);
  stop_nginx();
}

/* Without keep-alive every request has its own connection; from the
 * second on each resumes a session from the agent's cache, over TLS 1.3
 * (tickets) and over TLS 1.2 (nginx's session cache or tickets). */
static void resumed_each_time(const char* max_version) {
  lode_https_agent_opts_t ao = { 0 };
  ao.tls.context.max_version = max_version;
  start_nginx(&ao);
  for (int i = 0; i < 3; i++) {
    call_t c = CALL("GET", "/hello.txt");
    call_run(&c);
    ASSERT_EQ(c.reused, 0);
    ASSERT_EQ(c.resumed, i > 0);
    assert_hello(&c);
  }
  stop_nginx();
}

TEST(session_resumed_tls13) {
  resumed_each_time("TLSv1.3");
}

TEST(session_resumed_tls12) {
  resumed_each_time("TLSv1.2");
}

/* maxCachedSessions 0 (lode's -1): no session kept, none resumed. */
TEST(no_session_cache) {
  lode_https_agent_opts_t ao = { .max_cached_sessions = -1 };
  start_nginx(&ao);
  for (int i = 0; i < 2; i++) {
    call_t c = CALL("GET", "/hello.txt");
    call_run(&c);
    ASSERT_EQ(c.resumed, 0);
    assert_hello(&c);
  }
  stop_nginx();
}

/* Whether `got` is /big.txt: 3,000 lines, line i 99 times the letter
 * 'a' + i % 26. */
static int is_big(const char* got, size_t len) {
  if (len != BIG_LEN)
    return 0;
  for (size_t i = 0; i < len; i++)
    if (got[i] != (i % 100 == 99 ? '\n' : 'a' + (char) (i / 100 % 26)))
      return 0;
  return 1;
}

/* Bodies: 300,000 bytes with a length and chunked (SSI), and a POST,
 * all on one TLS connection. */
TEST(bodies) {
  lode_https_agent_opts_t ao = { .agent = { .keep_alive = 1 } };
  start_nginx(&ao);
  call_t plain = CALL("GET", "/big.txt"), ssi = CALL("GET", "/ssi/big.html");
  call_t post = { .method = "POST", .path = "/post", .body = "name=lode&x=1" };
  call_run(&plain);
  call_run(&ssi);
  call_run(&post);
  ASSERT(is_big(plain.got, plain.len));
  ASSERT(is_big(ssi.got, ssi.len));
  ASSERT_EQ(post.status, 201);
  ASSERT_MEM_EQ(post.got, post.len, "posted\n", 7);
  ASSERT(ssi.socket == plain.socket && post.socket == plain.socket);
  free(plain.got);
  free(ssi.got);
  free(post.got);
  stop_nginx();
}

/* 100 requests, 16 in flight, over at most 4 TLS connections (each
 * closed by nginx after 5 requests, the next resuming a session). */
#define PAR_TOTAL 100
#define PAR_IN_FLIGHT 16
static call_t par[PAR_TOTAL];
static int par_started, par_closed;

static void par_next(call_t* done) {
  par_closed++;
  if (par_started < PAR_TOTAL)
    call_start(&par[par_started++]);
}

TEST(parallel) {
  lode_https_agent_opts_t ao = { .agent = { .keep_alive = 1,
                                            .max_sockets = 4 } };
  start_nginx(&ao);
  for (int i = 0; i < PAR_TOTAL; i++)
    par[i] = (call_t) CALL("GET", "/hello.txt");
  on_call_closed = par_next;
  for (par_started = 0; par_started < PAR_IN_FLIGHT; par_started++)
    call_start(&par[par_started]);
  test_run_loop(&loop, 60000);
  ASSERT_EQ(par_closed, PAR_TOTAL);
  int resumed = 0;
  for (int i = 0; i < PAR_TOTAL; i++) {
    resumed += par[i].resumed;
    assert_hello(&par[i]);
  }
  ASSERT_GT(resumed, 0);
  stop_nginx();
}

TEST_MAIN(verification, keep_alive_then_resumed, session_resumed_tls13,
          session_resumed_tls12, no_session_cache, bodies, parallel)
