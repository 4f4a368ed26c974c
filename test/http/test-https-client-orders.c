/* lode's https client where TLS changes what a request goes through,
 * with Node 20's https client's event orders for the same cases:
 *   - a server that accepts and never answers the ClientHello: the
 *     request's timeout fires during the handshake (Node's socket
 *     timeout), destroy() then ends it with "socket hang up";
 *   - destroy() in on_socket, the agent destroyed, or the request's
 *     AbortSignal aborted, before the handshake ends;
 *   - an agent with maxSockets 1 and two requests to a server whose
 *     certificate does not verify: each fails alone, the second on a
 *     socket of its own after the first's close;
 *   - Expect: 100-continue over TLS: on_continue, then the body, to a
 *     server that answers at once and closes (no EPIPE afterwards);
 *   - a server that asks for a client certificate and gets none (TLS
 *     1.3: its alert is the request's error);
 *   - https.get over a Unix socket (socketPath);
 *   - a kept connection the server closes (closeIdleConnections, with
 *     close_notify) leaves the agent's free list, and the next request
 *     resumes the session on a new connection;
 *   - an upgrade: on_upgrade with the TLS socket and the bytes after the
 *     101's head, then the request's close, as Node's. */
#include "https-peer.h"

static uv_loop_t loop;
static lode_https_server_t* server;
static int port;

/* ---- A TCP server that accepts and never reads ---- */

static uv_tcp_t silent, silent_conn[4];
static int nsilent;

static void silent_accept(uv_stream_t* s, int status) {
  ASSERT_OK(status);
  ASSERT_LT(nsilent, 4);
  uv_tcp_t* c = &silent_conn[nsilent++];
  ASSERT_OK(uv_tcp_init(&loop, c));
  ASSERT_OK(uv_accept(s, (uv_stream_t*) c));
}

static int silent_listen(void) {
  struct sockaddr_in a;
  ASSERT_OK(uv_ip4_addr("127.0.0.1", 0, &a));
  ASSERT_OK(uv_tcp_init(&loop, &silent));
  ASSERT_OK(uv_tcp_bind(&silent, (const struct sockaddr*) &a, 0));
  ASSERT_OK(uv_listen((uv_stream_t*) &silent, 8, silent_accept));
  struct sockaddr_in got;
  int len = sizeof(got);
  ASSERT_OK(uv_tcp_getsockname(&silent, (struct sockaddr*) &got, &len));
  return ntohs(got.sin_port);
}

static void silent_close(void) {
  for (int i = 0; i < nsilent; i++)
    uv_close((uv_handle_t*) &silent_conn[i], NULL);
  uv_close((uv_handle_t*) &silent, NULL);
}

/* Runs the loop a turn at a time until the trace holds `mark` (a free
 * socket of an agent does not hold the loop). */
static void run_until(const char* mark) {
  while (strstr(test_trace_get(), mark) == NULL)
    uv_run(&loop, UV_RUN_ONCE);
}

/* Closes the silent server or the https one, then the loop. */
static void finish(int silent) {
  if (silent)
    silent_close();
  else
    ASSERT_OK(lode_https_server_close(server, NULL, NULL));
  test_run_loop(&loop, 10000);
  test_loop_close(&loop);
}

/* ---- The requests: every event traced as "name:event" ---- */

static const char* req_name(lode_http_request_t* r) {
  return lode_http_outgoing_get_data(r);
}

static void r_socket(lode_http_request_t* r, lode_stream_t* s) {
  test_trace("%s:socket", req_name(r));
  if (strcmp(req_name(r), "h") == 0)
    lode_http_request_destroy(r, NULL);
}

static void r_timeout(lode_http_request_t* r) {
  test_trace("%s:timeout", req_name(r));
  lode_http_request_destroy(r, NULL);
}

static void r_error(lode_http_request_t* r, const lode_error_t* e) {
  test_trace("%s:error(%s|%s)", req_name(r), e->name, e->message);
}

static void r_close(lode_http_request_t* r) {
  test_trace("%s:close", req_name(r));
}

static void r_end(lode_http_incoming_t* m) {
  test_trace("end");
}

static void r_data(lode_http_incoming_t* m, lode_slice_t d) {
  test_trace("data(%.*s)", (int) d.len, d.base);
}

static const lode_http_incoming_events_t res_events = { .on_data = r_data,
                                                        .on_end = r_end };

static void r_response(lode_http_request_t* r, lode_http_incoming_t* m) {
  test_trace("%s:response %d", req_name(r), lode_http_incoming_status_code(m));
  lode_http_incoming_set_events(m, &res_events);
}

static void r_continue(lode_http_request_t* r) {
  test_trace("%s:continue", req_name(r));
  lode_http_request_end(r, LODE_SLICE("abc"), NULL, NULL);
}

static const lode_http_request_events_t req_events = {
  .on_socket = r_socket,
  .on_timeout = r_timeout,
  .on_error = r_error,
  .on_close = r_close,
  .on_response = r_response,
  .on_continue = r_continue,
};

/* A request named `name` (its trace prefix) to `host`:`p` with the
 * test CA. */
static lode_http_request_t* request(const char* name, const char* host, int p,
                                    lode_https_request_opts_t* o) {
  char url[128];
  snprintf(url, sizeof(url), "https://%s:%d/", host, p);
  o->http.url = url;
  if (o->http.agent == NULL)
    o->http.agent = LODE_AGENT_FALSE;
  o->tls.context.ca = tls_file("ca.crt");
  lode_http_request_t* r;
  ASSERT_OK(lode_https_request(&loop, o, &req_events, &r));
  lode_http_outgoing_set_data(r, (void*) name);
  return r;
}

/* Node: f:socket,f:timeout,f:error(ECONNRESET|socket hang up),f:close */
TEST(timeout_during_handshake) {
  ASSERT_OK(uv_loop_init(&loop));
  int p = silent_listen();
  lode_https_request_opts_t o = { .http = { .has_timeout = 1,
                                            .timeout = 200 } };
  lode_http_request_t* r = request("f", "127.0.0.1", p, &o);
  lode_http_request_end(r, (lode_slice_t){ 0 }, NULL, NULL);
  run_until("f:close");
  ASSERT_TRACE(
      "f:socket,f:timeout,f:error(ECONNRESET|socket hang up),"
      "f:close");
  finish(1);
}

/* Node: h:socket,h:error(ECONNRESET|socket hang up),h:close */
TEST(destroy_in_socket_before_handshake) {
  ASSERT_OK(uv_loop_init(&loop));
  int p = silent_listen();
  lode_https_request_opts_t o = { 0 };
  lode_http_request_t* r = request("h", "127.0.0.1", p, &o);
  lode_http_request_end(r, (lode_slice_t){ 0 }, NULL, NULL);
  run_until("h:close");
  ASSERT_TRACE("h:socket,h:error(ECONNRESET|socket hang up),h:close");
  finish(1);
}

static void srv_request(lode_http_server_t* srv, lode_http_incoming_t* req,
                        lode_http_response_t* res) {
  lode_http_outgoing_end(res, LODE_SLICE("x"), NULL, NULL);
}

/* The upgraded connection: "welcome" with the 101, then an echo. */
static void up_data(void* ctx, lode_stream_t* s, lode_slice_t d) {
  lode_stream_write(s, d, NULL, NULL);
}
static void up_end(void* ctx, lode_stream_t* s) {
  lode_stream_end(s, NULL, NULL);
}
static const lode_stream_reader_t up_reader = { .on_data = up_data,
                                                .on_end = up_end };

static void srv_upgrade(lode_http_server_t* srv, lode_http_incoming_t* req,
                        lode_stream_t* s, lode_slice_t head) {
  lode_stream_write(s,
                    LODE_SLICE("HTTP/1.1 101 Switching Protocols\r\n"
                               "Upgrade: echo\r\nConnection: Upgrade\r\n"
                               "\r\nwelcome"),
                    NULL, NULL);
  lode_stream_set_reader(s, &up_reader, NULL);
}

static void srv_closed(lode_http_server_t* srv) {
  server = NULL;
}

static const lode_https_server_events_t srv_events = {
  .http = { .on_request = srv_request,
            .on_upgrade = srv_upgrade,
            .on_close = srv_closed },
};

/* Node: g1:socket,g1:error(DEPTH_ZERO_SELF_SIGNED_CERT|self-signed
 * certificate),g1:close,g2:socket,g2:error(...),g2:close */
TEST(agent_queue_after_failed_handshakes) {
  ASSERT_OK(uv_loop_init(&loop));
  lode_https_server_opts_t so = { 0 };
  so.tls.tls.context.key = tls_file("self.key");
  so.tls.tls.context.cert = tls_file("self.crt");
  server = https_listen(&loop, &so, &srv_events, &port);
  lode_https_agent_opts_t ao = { .agent = { .keep_alive = 1,
                                            .max_sockets = 1 } };
  lode_agent_t* agent;
  ASSERT_OK(lode_https_agent_create(&loop, &ao, &agent));
  lode_https_request_opts_t o = { .http = { .agent = agent } };
  lode_http_request_t* g1 = request("g1", "localhost", port, &o);
  lode_http_request_t* g2 = request("g2", "localhost", port, &o);
  lode_http_request_end(g1, (lode_slice_t){ 0 }, NULL, NULL);
  lode_http_request_end(g2, (lode_slice_t){ 0 }, NULL, NULL);
  run_until("g2:close");
  ASSERT_TRACE(
      "g1:socket,g1:error(DEPTH_ZERO_SELF_SIGNED_CERT|self-signed "
      "certificate),g1:close,g2:socket,g2:error(DEPTH_ZERO_SELF_"
      "SIGNED_CERT|self-signed certificate),g2:close");
  lode_agent_destroy(agent);
  finish(0);
}

/* Node: i:socket,i:continue,i:response 200,[data],end,i:close */
TEST(expect_continue) {
  ASSERT_OK(uv_loop_init(&loop));
  server = https_listen(&loop, NULL, &srv_events, &port);
  const char* headers[] = { "Expect", "100-continue", NULL };
  lode_https_request_opts_t o = { .http = { .method = "POST",
                                            .headers = headers } };
  /* As Node, the head goes at once when Expect is set. */
  request("i", "localhost", port, &o);
  run_until("i:close");
  ASSERT_TRACE("i:socket,i:continue,i:response 200,data(x),end,i:close");
  finish(0);
}

/* Node: k1:socket,k1:response 200,data(x),end,k1:close; then, once the
 * server has closed the idle connection, k2 on a new one. (The free
 * socket does not hold the loop: it runs a turn at a time.) */
static int resumed;
static void k_response(lode_http_request_t* r, lode_http_incoming_t* m) {
  lode_tls_socket_t* t = lode_tls_socket_from_stream(
      lode_http_incoming_socket(m));
  ASSERT_NOT_NULL(t);
  resumed = lode_tls_socket_is_session_reused(t);
  r_response(r, m);
}

static const lode_http_request_events_t k_events = {
  .on_socket = r_socket,
  .on_error = r_error,
  .on_close = r_close,
  .on_response = k_response,
};

TEST(agent_drops_socket_server_closed) {
  ASSERT_OK(uv_loop_init(&loop));
  server = https_listen(&loop, NULL, &srv_events, &port);
  lode_https_agent_opts_t ao = { .agent = { .keep_alive = 1 } };
  ao.tls.context.ca = tls_file("ca.crt");
  lode_agent_t* agent;
  ASSERT_OK(lode_https_agent_create(&loop, &ao, &agent));
  char url[128];
  snprintf(url, sizeof(url), "https://localhost:%d/", port);
  lode_https_request_opts_t o = { .http = { .url = url, .agent = agent } };
  lode_http_request_t* r;
  ASSERT_OK(lode_https_get(&loop, &o, &k_events, &r));
  lode_http_outgoing_set_data(r, "k1");
  run_until("k1:close");
  ASSERT_EQ(resumed, 0);
  while (lode_agent_free_sockets(agent, NULL) == 0)
    uv_run(&loop, UV_RUN_ONCE);
  lode_http_server_close_idle_connections(lode_https_server_http(server));
  while (lode_agent_free_sockets(agent, NULL) == 1)
    uv_run(&loop, UV_RUN_ONCE);
  ASSERT_EQ(lode_agent_sockets(agent, NULL), 0);
  ASSERT_OK(lode_https_get(&loop, &o, &k_events, &r));
  lode_http_outgoing_set_data(r, "k2");
  run_until("k2:close");
  ASSERT_TRACE(
      "k1:socket,k1:response 200,data(x),end,k1:close,"
      "k2:socket,k2:response 200,data(x),end,k2:close");
  ASSERT_EQ(resumed, 1);
  lode_agent_destroy(agent);
  finish(0);
}

/* Node: u:socket,u:upgrade 101 head=welcome,u:close, then the echo. */
static void u_data(void* ctx, lode_stream_t* s, lode_slice_t d) {
  test_trace("echo(%.*s)", (int) d.len, d.base);
  lode_stream_end(s, NULL, NULL);
}
static void u_close(void* ctx, lode_stream_t* s, int had_error) {
  test_trace("socket-close(%d)", had_error);
  ASSERT_OK(lode_https_server_close(server, NULL, NULL));
}
static const lode_stream_reader_t u_reader = { .on_data = u_data,
                                               .on_close = u_close };

static void u_upgrade(lode_http_request_t* r, lode_http_incoming_t* m,
                      lode_stream_t* s, lode_slice_t head) {
  test_trace("%s:upgrade %d head=%.*s", req_name(r),
             lode_http_incoming_status_code(m), (int) head.len, head.base);
  ASSERT_NOT_NULL(lode_tls_socket_from_stream(s));
  lode_stream_set_reader(s, &u_reader, NULL);
  lode_stream_write(s, LODE_SLICE("ping"), NULL, NULL);
}

static const lode_http_request_events_t u_events = {
  .on_socket = r_socket,
  .on_error = r_error,
  .on_close = r_close,
  .on_upgrade = u_upgrade,
};

TEST(client_upgrade) {
  ASSERT_OK(uv_loop_init(&loop));
  server = https_listen(&loop, NULL, &srv_events, &port);
  char url[128];
  snprintf(url, sizeof(url), "https://localhost:%d/up", port);
  const char* headers[] = { "Connection", "Upgrade", "Upgrade", "echo", NULL };
  lode_https_request_opts_t o = {
    .http = { .url = url, .headers = headers, .agent = LODE_AGENT_FALSE }
  };
  o.tls.context.ca = tls_file("ca.crt");
  lode_http_request_t* r;
  ASSERT_OK(lode_https_get(&loop, &o, &u_events, &r));
  lode_http_outgoing_set_data(r, "u");
  test_run_loop(&loop, 20000);
  test_loop_close(&loop);
  ASSERT_TRACE(
      "u:socket,u:upgrade 101 head=welcome,u:close,echo(ping),"
      "socket-close(0)");
}

/* Node: a:socket,a:error(ECONNRESET|socket hang up),a:close when the
 * agent is destroyed during the handshake. */
static lode_agent_t* doomed;

static void a_socket(lode_http_request_t* r, lode_stream_t* s) {
  r_socket(r, s);
  lode_agent_destroy(doomed);
}

static const lode_http_request_events_t a_events = {
  .on_socket = a_socket,
  .on_error = r_error,
  .on_close = r_close,
};

TEST(agent_destroyed_during_handshake) {
  ASSERT_OK(uv_loop_init(&loop));
  int p = silent_listen();
  lode_https_agent_opts_t ao = { .agent = { .keep_alive = 1 } };
  ASSERT_OK(lode_https_agent_create(&loop, &ao, &doomed));
  char url[128];
  snprintf(url, sizeof(url), "https://127.0.0.1:%d/", p);
  lode_https_request_opts_t o = { .http = { .url = url, .agent = doomed } };
  lode_http_request_t* r;
  ASSERT_OK(lode_https_get(&loop, &o, &a_events, &r));
  lode_http_outgoing_set_data(r, "a");
  run_until("a:close");
  ASSERT_TRACE("a:socket,a:error(ECONNRESET|socket hang up),a:close");
  finish(1);
}

/* Node: socket,error(ABORT_ERR|The operation was aborted),close when the
 * request's signal aborts during the handshake. */
static lode_abort_controller_t* ac;

static void s_socket(lode_http_request_t* r, lode_stream_t* s) {
  r_socket(r, s);
  lode_abort_controller_abort(ac, 0);
}

static const lode_http_request_events_t s_events = {
  .on_socket = s_socket,
  .on_error = r_error,
  .on_close = r_close,
};

TEST(signal_aborts_during_handshake) {
  ASSERT_OK(uv_loop_init(&loop));
  int p = silent_listen();
  ASSERT_OK(lode_abort_controller_create(&ac));
  char url[128];
  snprintf(url, sizeof(url), "https://127.0.0.1:%d/", p);
  lode_https_request_opts_t o = {
    .http = { .url = url,
              .agent = LODE_AGENT_FALSE,
              .signal = lode_abort_controller_signal(ac) }
  };
  lode_http_request_t* r;
  ASSERT_OK(lode_https_get(&loop, &o, &s_events, &r));
  lode_http_outgoing_set_data(r, "a");
  run_until("a:close");
  ASSERT_TRACE(
      "a:socket,a:error(ABORT_ERR|The operation was aborted),"
      "a:close");
  lode_abort_controller_release(ac);
  finish(1);
}

/* A server that asks for a client certificate and gets none: TLS 1.3's
 * client is done with its handshake and sends its request; the server's
 * alert is the request's error. Node: socket, (server tlsClientError
 * ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE), error(ERR_SSL_TLSV13_
 * ALERT_CERTIFICATE_REQUIRED), close. */
static void cert_tls_client_error(lode_https_server_t* srv,
                                  const lode_error_t* e, lode_tls_socket_t* t) {
  test_trace("server:tlsClientError(%s)", e->name);
}

static void c_error_code(lode_http_request_t* r, const lode_error_t* e) {
  test_trace("%s:error(%s)", req_name(r), e->name); /* OpenSSL's text */
}

static const lode_https_server_events_t cert_srv_events = {
  .http = { .on_request = srv_request },
  .on_tls_client_error = cert_tls_client_error,
};

static const lode_http_request_events_t c_events = {
  .on_socket = r_socket,
  .on_error = c_error_code,
  .on_close = r_close,
  .on_response = r_response,
};

TEST(client_certificate_required) {
  ASSERT_OK(uv_loop_init(&loop));
  lode_https_server_opts_t so = { 0 };
  so.tls.tls.context.key = tls_file("server.key");
  so.tls.tls.context.cert = tls_file("server.crt");
  so.tls.tls.context.ca = tls_file("ca.crt");
  so.tls.tls.request_cert = 1;
  server = https_listen(&loop, &so, &cert_srv_events, &port);
  char url[128];
  snprintf(url, sizeof(url), "https://localhost:%d/", port);
  lode_https_request_opts_t o = { .http = { .url = url,
                                            .agent = LODE_AGENT_FALSE } };
  o.tls.context.ca = tls_file("ca.crt");
  lode_http_request_t* r;
  ASSERT_OK(lode_https_get(&loop, &o, &c_events, &r));
  lode_http_outgoing_set_data(r, "c");
  run_until("c:close");
  ASSERT_TRACE(
      "c:socket,server:tlsClientError(ERR_SSL_PEER_DID_NOT_RETURN_A_"
      "CERTIFICATE),c:error(ERR_SSL_TLSV13_ALERT_CERTIFICATE_"
      "REQUIRED),c:close");
  finish(0);
}

/* Node: https.get({ socketPath, ... }) over a Unix socket, verified by
 * the name "localhost" (the Host header's). */
TEST(unix_socket) {
  ASSERT_OK(uv_loop_init(&loop));
  char path[64];
  snprintf(path, sizeof(path), "/tmp/lode-https-%d.sock", (int) getpid());
  unlink(path);
  lode_https_server_t* srv;
  lode_error_t err;
  lode_https_server_opts_t so = { 0 };
  so.tls.tls.context.key = tls_file("server.key");
  so.tls.tls.context.cert = tls_file("server.crt");
  ASSERT_OK(lode_https_create_server(&loop, &so, &srv_events, &srv, &err));
  server = srv;
  lode_listen_opts_t l = { .path = path };
  ASSERT_OK(lode_https_server_listen(srv, &l, NULL, NULL));
  lode_https_request_opts_t o = {
    .http = { .socket_path = path, .path = "/", .agent = LODE_AGENT_FALSE }
  };
  o.tls.context.ca = tls_file("ca.crt");
  lode_http_request_t* r;
  ASSERT_OK(lode_https_get(&loop, &o, &req_events, &r));
  lode_http_outgoing_set_data(r, "s");
  run_until("s:close");
  ASSERT_TRACE("s:socket,s:response 200,data(x),end,s:close");
  finish(0);
}

TEST_MAIN(timeout_during_handshake, destroy_in_socket_before_handshake,
          agent_queue_after_failed_handshakes, expect_continue,
          agent_drops_socket_server_closed, client_upgrade, unix_socket,
          agent_destroyed_during_handshake, client_certificate_required,
          signal_aborts_during_handshake)
