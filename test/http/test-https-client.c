/* https.request, https.get and https.Agent against Node's https server
 * (test/peers/https-server.js): verification with the test CA, a
 * self-signed server rejected with Node's code and message, and accepted
 * with rejectUnauthorized false, a kept connection reused, a session
 * resumed on a new connection, Node's protocol errors and agent names. */
#include "../tls/tls-test.h"
#include "lode/https.h"

static uv_loop_t loop;
static char trace[4096];

static void add(const char* fmt, const char* a, const char* b) {
  size_t n = strlen(trace);
  if (n > 0)
    trace[n++] = ',';
  snprintf(trace + n, sizeof(trace) - n, fmt, a, b);
}

typedef struct call_s {
  char body[512];
  size_t len;
  int status;
  int reused;
  lode_agent_t* agent; /* destroyed at the response's end */
} call_t;

static call_t calls[4];
static int ncalls;

static void on_body(lode_http_incoming_t* res, int status, lode_slice_t body,
                    void* arg) {
  call_t* c = arg;
  ASSERT_OK(status);
  c->len = body.len < sizeof(c->body) - 1 ? body.len : sizeof(c->body) - 1;
  memcpy(c->body, body.base, c->len);
  c->body[c->len] = '\0';
  add("body(%s)%s", c->body, "");
}

static void on_response(lode_http_request_t* req, lode_http_incoming_t* res) {
  call_t* c = lode_http_outgoing_get_data(req);
  c->status = lode_http_incoming_status_code(res);
  c->reused = lode_http_request_reused_socket(req);
  char st[16];
  snprintf(st, sizeof(st), "%d", c->status);
  add("response(%s)%s", st, "");
  ASSERT_OK(lode_http_incoming_collect(res, 1 << 20, on_body, c));
}

static void on_error(lode_http_request_t* req, const lode_error_t* e) {
  add("error(%s|%s)", e->name, e->message);
}

static void on_close(lode_http_request_t* req) {
  add("close%s%s", "", "");
}

static const lode_http_request_events_t events = {
  .on_response = on_response,
  .on_error = on_error,
  .on_close = on_close,
};

static test_peer_t* start_server(const char* cert, int* port) {
  const char* argv[] = { "node", "test/peers/https-server.js", tls_certs_dir(),
                         cert, NULL };
  test_peer_t* p = test_peer_start(argv);
  *port = test_peer_port(p);
  return p;
}

/* One GET of `path` on `o` (url made from the port), run to its close. */
static call_t* get(int port, const char* path, lode_https_request_opts_t* o) {
  char url[128];
  snprintf(url, sizeof(url), "https://127.0.0.1:%d%s", port, path);
  o->http.url = url;
  call_t* c = &calls[ncalls++];
  lode_http_request_t* req;
  ASSERT_OK(lode_https_get(&loop, o, &events, &req));
  lode_http_outgoing_set_data(req, c);
  test_run_loop(&loop, 30000);
  return c;
}

static void finish(test_peer_t* p) {
  test_peer_kill(p);
  test_loop_close(&loop);
}

/* A Node https server with the test CA's certificate, the loop, and an
 * https.Agent made with `ao` and the test CA. */
static test_peer_t* start_with_agent(lode_https_agent_opts_t ao, int* port,
                                     lode_agent_t** agent) {
  test_peer_t* p = start_server("server", port);
  ASSERT_OK(uv_loop_init(&loop));
  ao.tls.context.ca = tls_file("ca.crt");
  ASSERT_OK(lode_https_agent_create(&loop, &ao, agent));
  return p;
}

/* Destroys the agent, lets its sockets close, and ends the peer. */
static void finish_agent(test_peer_t* p, lode_agent_t* agent) {
  lode_agent_destroy(agent);
  test_run_loop(&loop, 30000);
  finish(p);
}

TEST(get_with_ca) {
  int port;
  test_peer_t* p = start_server("server", &port);
  ASSERT_OK(uv_loop_init(&loop));
  lode_https_request_opts_t o = { .http = { .agent = LODE_AGENT_FALSE } };
  o.tls.context.ca = tls_file("ca.crt");
  call_t* c = get(port, "/a", &o);
  ASSERT_STR_EQ(trace, "response(200),body(/a conn=1 reused=false),close");
  ASSERT_EQ(c->status, 200);
  finish(p);
}

/* Without `ca` the system's store is used: the test CA is not in it. */
TEST(system_store_rejects_test_ca) {
  int port;
  test_peer_t* p = start_server("server", &port);
  ASSERT_OK(uv_loop_init(&loop));
  lode_https_request_opts_t o = { .http = { .agent = LODE_AGENT_FALSE } };
  get(port, "/", &o);
  ASSERT_STR_EQ(trace,
                "error(UNABLE_TO_VERIFY_LEAF_SIGNATURE|"
                "unable to verify the first certificate),close");
  finish(p);
}

TEST(self_signed_rejected) {
  int port;
  test_peer_t* p = start_server("self", &port);
  ASSERT_OK(uv_loop_init(&loop));
  lode_https_request_opts_t o = { .http = { .agent = LODE_AGENT_FALSE } };
  o.tls.context.ca = tls_file("ca.crt");
  get(port, "/", &o);
  /* Node: DEPTH_ZERO_SELF_SIGNED_CERT | self-signed certificate */
  ASSERT_STR_EQ(trace,
                "error(DEPTH_ZERO_SELF_SIGNED_CERT|self-signed certificate),"
                "close");
  finish(p);
}

TEST(self_signed_accepted_unverified) {
  int port;
  test_peer_t* p = start_server("self", &port);
  ASSERT_OK(uv_loop_init(&loop));
  lode_https_request_opts_t o = { .http = { .agent = LODE_AGENT_FALSE } };
  o.tls.reject_unauthorized = LODE_FALSE;
  get(port, "/u", &o);
  ASSERT_STR_EQ(trace, "response(200),body(/u conn=1 reused=false),close");
  finish(p);
}

/* Two requests through a keep-alive agent: one TLS connection. */
TEST(keep_alive_reuse) {
  int port;
  lode_agent_t* agent;
  lode_https_agent_opts_t ao = { .agent = { .keep_alive = 1 } };
  test_peer_t* p = start_with_agent(ao, &port, &agent);
  lode_https_request_opts_t o = { .http = { .agent = agent } };
  /* The loop stops when the first socket idles: the agent's free socket
   * is unref'd, as in Node. */
  call_t* c1 = get(port, "/1", &o);
  ASSERT_EQ(lode_agent_free_sockets(agent, NULL), 1);
  call_t* c2 = get(port, "/2", &o);
  ASSERT_STR_EQ(c1->body, "/1 conn=1 reused=false");
  ASSERT_STR_EQ(c2->body, "/2 conn=1 reused=false");
  ASSERT_EQ(c1->reused, 0);
  ASSERT_EQ(c2->reused, 1);
  finish_agent(p, agent);
}

/* Requests of one agent with and without TLS options of their own: each
 * name is Node's for its options, and a plain request after one with
 * options finds the first name's free socket again. */
TEST(names_with_and_without_options) {
  int port;
  lode_agent_t* agent;
  lode_https_agent_opts_t ao = { .agent = { .keep_alive = 1 } };
  test_peer_t* p = start_with_agent(ao, &port, &agent);
  lode_https_request_opts_t o = { .http = { .agent = agent } };
  lode_https_request_opts_t sni = o;
  sni.tls.servername = "localhost";
  call_t* c1 = get(port, "/1", &o);
  call_t* c2 = get(port, "/2", &sni);
  call_t* c3 = get(port, "/3", &o);
  ASSERT_STR_EQ(c1->body, "/1 conn=1 reused=false");
  ASSERT_STR_EQ(c2->body, "/2 conn=2 reused=false");
  ASSERT_STR_EQ(c3->body, "/3 conn=1 reused=false");
  ASSERT_EQ(c3->reused, 1);
  char name[2048];
  lode_agent_name_opts_t n = { .host = "127.0.0.1", .port = port };
  lode_tls_opts_t t = { .context.ca = tls_file("ca.crt") };
  lode_https_agent_get_name(&n, &t, name, sizeof(name));
  ASSERT_EQ(lode_agent_free_sockets(agent, name), 1);
  t.servername = "localhost";
  lode_https_agent_get_name(&n, &t, name, sizeof(name));
  ASSERT_EQ(lode_agent_free_sockets(agent, name), 1);
  finish_agent(p, agent);
}

/* Without keep-alive, the second connection resumes the first's session
 * from the agent's cache (Node's maxCachedSessions). */
TEST(session_resumed) {
  int port;
  lode_agent_t* agent;
  test_peer_t* p = start_with_agent((lode_https_agent_opts_t){ 0 }, &port,
                                    &agent);
  lode_https_request_opts_t o = { .http = { .agent = agent } };
  call_t* c1 = get(port, "/1", &o);
  call_t* c2 = get(port, "/2", &o);
  ASSERT_STR_EQ(c1->body, "/1 conn=1 reused=false");
  ASSERT_STR_EQ(c2->body, "/2 conn=2 reused=true");
  finish_agent(p, agent);
}

/* The agent's 'keylog': every line of its connections' handshakes, in
 * NSS key log form, with the TLS socket they belong to. */
static int keylog_lines;
static void agent_keylog(lode_agent_t* agent, lode_slice_t line,
                         lode_tls_socket_t* t, void* arg) {
  ASSERT_NOT_NULL(agent);
  ASSERT_NOT_NULL(t);
  ASSERT_STR_EQ(arg, "arg");
  static const char* const kinds[] = {
    "CLIENT_HANDSHAKE_TRAFFIC_SECRET ", "SERVER_HANDSHAKE_TRAFFIC_SECRET ",
    "CLIENT_TRAFFIC_SECRET_0 ", "SERVER_TRAFFIC_SECRET_0 ", "EXPORTER_SECRET "
  };
  int known = 0;
  for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
    if (line.len > strlen(kinds[i]) &&
        memcmp(line.base, kinds[i], strlen(kinds[i])) == 0)
      known = 1;
  ASSERT(known);
  keylog_lines++;
}

TEST(agent_keylog) {
  int port;
  lode_agent_t* agent;
  lode_https_agent_opts_t ao = { .on_keylog = agent_keylog,
                                 .keylog_arg = "arg" };
  test_peer_t* p = start_with_agent(ao, &port, &agent);
  lode_https_request_opts_t o = { .http = { .agent = agent } };
  call_t* c = get(port, "/k", &o);
  ASSERT_EQ(c->status, 200);
  ASSERT_EQ(keylog_lines, 5); /* TLS 1.3's five secrets */
  finish_agent(p, agent);
}

/* Node: http.request('https://...') and https.request('http://...')
 * throw ERR_INVALID_PROTOCOL; so does an http.Agent given to https. */
TEST(protocol_errors) {
  ASSERT_OK(uv_loop_init(&loop));
  lode_http_request_t* req;
  lode_http_request_opts_t h = { .url = "https://localhost/" };
  ASSERT_EQ(lode_http_request(&loop, &h, &events, &req),
            LODE_ERR_INVALID_PROTOCOL);
  lode_https_request_opts_t s = { .http = { .url = "http://localhost/" } };
  ASSERT_EQ(lode_https_request(&loop, &s, &events, &req),
            LODE_ERR_INVALID_PROTOCOL);
  lode_agent_t* plain;
  ASSERT_OK(lode_agent_create(&loop, NULL, &plain));
  s.http.url = "https://localhost/";
  s.http.agent = plain;
  ASSERT_EQ(lode_https_request(&loop, &s, &events, &req),
            LODE_ERR_INVALID_PROTOCOL);
  lode_agent_destroy(plain);
  lode_agent_t* g = lode_https_global_agent(&loop);
  ASSERT(g != NULL && g != lode_http_global_agent(&loop));
  lode_agent_destroy(g);
  lode_agent_destroy(lode_http_global_agent(&loop));
  test_run_loop(&loop, 30000);
  test_loop_close(&loop);
}

/* The names Node 20's https.Agent getName gives for the same options. */
TEST(agent_names) {
  char name[256];
  lode_agent_name_opts_t n = { .host = "h", .port = 1 };
  lode_tls_opts_t t = { .reject_unauthorized = LODE_FALSE, .servername = "s" };
  t.context.ca = (lode_slice_t){ "CA", 2 };
  lode_https_agent_get_name(&n, &t, name, sizeof(name));
  ASSERT_STR_EQ(name, "h:1::CA::::::false:s::::::::::::");
  lode_agent_name_opts_t none = { 0 };
  lode_https_agent_get_name(&none, NULL, name, sizeof(name));
  ASSERT_STR_EQ(name, "localhost::::::::::::::::::::::");
  t = (lode_tls_opts_t){ .servername = "h" }; /* the host: left out */
  t.context.min_version = "TLSv1.3";
  t.context.sigalgs = "ECDSA+SHA256";
  lode_https_agent_get_name(&n, &t, name, sizeof(name));
  ASSERT_STR_EQ(name, "h:1::::::::::TLSv1.3:::::::::\"ECDSA+SHA256\"::");
}

TEST_MAIN(agent_keylog, get_with_ca, system_store_rejects_test_ca,
          self_signed_rejected, self_signed_accepted_unverified,
          keep_alive_reuse, names_with_and_without_options, session_resumed,
          protocol_errors, agent_names)
