/* https.createServer: Node's https client against lode's HTTPS server
 * (test/peers/https-client.js): a GET, a POST with a body, two requests
 * on one kept TLS connection, and a plain-text request to the port,
 * which fails its handshake alone while the server goes on. */
#include "../tls/tls-test.h"
#include "lode/https.h"

static uv_loop_t loop;
static lode_https_server_t* server;
static char trace[2048];
static int nsecure, nconn;

static void add(const char* s) {
  size_t n = strlen(trace);
  snprintf(trace + n, sizeof(trace) - n, "%s%s", n ? "," : "", s);
}

static void on_body(lode_http_incoming_t* req, int status, lode_slice_t body,
                    void* arg) {
  lode_http_response_t* res = arg;
  ASSERT_OK(status);
  lode_http_outgoing_end(res, body, NULL, NULL);
}

static void on_request(lode_http_server_t* srv, lode_http_incoming_t* req,
                       lode_http_response_t* res) {
  const char* url = lode_http_incoming_url(req);
  char line[256];
  snprintf(line, sizeof(line), "%s %s", lode_http_incoming_method(req), url);
  add(line);
  ASSERT(lode_http_server_get_data(srv) == &loop);
  if (strcmp(url, "/echo") == 0) {
    ASSERT_OK(lode_http_incoming_collect(req, 1 << 20, on_body, res));
    return;
  }
  snprintf(line, sizeof(line), "body of %s", url);
  lode_http_outgoing_end(res, (lode_slice_t){ line, strlen(line) }, NULL, NULL);
  if (strcmp(url, "/after") == 0)
    ASSERT_OK(lode_https_server_close(server, NULL, NULL));
}

static void on_connection(lode_http_server_t* srv, lode_stream_t* s) {
  nconn++;
}

static void on_secure(lode_https_server_t* srv, lode_tls_socket_t* t) {
  ASSERT_STR_EQ(lode_tls_socket_servername(t), "localhost");
  nsecure++;
}

static void on_client_error(lode_https_server_t* srv, const lode_error_t* e,
                            lode_tls_socket_t* t) {
  char line[128];
  snprintf(line, sizeof(line), "tlsClientError %s", e->name);
  add(line);
}

static void on_close(lode_http_server_t* srv) {
  add("close");
}

static const lode_https_server_events_t events = {
  .http = { .on_request = on_request,
            .on_connection = on_connection,
            .on_close = on_close },
  .on_secure_connection = on_secure,
  .on_tls_client_error = on_client_error,
};

TEST(node_client) {
  ASSERT_OK(uv_loop_init(&loop));
  lode_https_server_opts_t o = { 0 };
  o.tls.tls.context.key = tls_file("server.key");
  o.tls.tls.context.cert = tls_file("server.crt");
  lode_error_t err;
  ASSERT_OK(lode_https_create_server(&loop, &o, &events, &server, &err));
  lode_https_server_set_data(server, &loop);
  lode_listen_opts_t l = { .port = 0, .host = "127.0.0.1" };
  ASSERT_OK(lode_https_server_listen(server, &l, NULL, NULL));
  lode_net_address_t a;
  ASSERT_OK(lode_https_server_address(server, &a));
  char port[16];
  snprintf(port, sizeof(port), "%d", a.port);
  const char* argv[] = { "node", "test/peers/https-client.js", port,
                         tls_path("ca.crt"), NULL };
  test_peer_t* p = test_peer_start(argv);
  test_run_loop(&loop, 60000);
  test_loop_close(&loop);
  char* out = NULL;
  ASSERT_EQ(test_peer_finish(p, 20000, &out), 0);
  ASSERT_STR_EQ(out,
                "GET 200 body of /a\n"
                "POST 200 hello body\n"
                "keep-alive body of /k1 body of /k2 reused=true\n"
                "plain \"\"\n"
                "after 200 body of /after\n");
  free(out);
  ASSERT_STR_EQ(trace,
                "GET /a,POST /echo,GET /k1,GET /k2,"
                "tlsClientError ERR_SSL_HTTP_REQUEST,GET /after,close");
  ASSERT_EQ(nconn, 5); /* every TCP connection, the plain one too */
  ASSERT_EQ(nsecure, 4);
}

TEST_MAIN(node_client)
