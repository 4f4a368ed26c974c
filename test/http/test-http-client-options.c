/* ClientRequest options and calls not covered elsewhere: setNoDelay and
 * setSocketKeepAlive before and after the socket, flushHeaders,
 * writableEnded/writableFinished, defaultPort, localPort, family and hints
 * reaching the lookup, 'information' for several 102s, trailers, the
 * keep-alive decision for each HTTP version and Connection value (Node's
 * test-http-should-keep-alive), maxTotalSockets across origins, and the
 * agent's scheduling value checked. */
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include "client-test.h"
#include "net/internal.h"

static uv_loop_t loop;
static lode_agent_t* agent;
static lode_http_request_t* req;

static void setup(const lode_agent_opts_t* ao) {
  uv_loop_init(&loop);
  ct_start_peer();
  ASSERT_OK(lode_agent_create(&loop, ao, &agent));
  test_trace_reset();
}

static void teardown(void) {
  lode_agent_destroy(agent);
  test_run_loop(&loop, 5000);
  test_loop_close(&loop);
  test_peer_kill(ct_peer);
}

static lode_http_request_t* start(lode_http_request_opts_t* o,
                                  const lode_http_request_events_t* ev) {
  if (o->host == NULL)
    o->host = "127.0.0.1";
  if (o->port == 0)
    o->port = ct_port;
  o->agent = agent;
  ASSERT_OK(lode_http_request(&loop, o, ev, &req));
  return req;
}

static void end_now(lode_http_request_t* r) {
  lode_http_request_end(r, (lode_slice_t){ NULL, 0 }, NULL, NULL);
}

static int sockopt(lode_stream_t* st, int level, int name) {
  lode_socket_t* s = lode_socket_from_stream(st);
  uv_os_fd_t fd;
  ASSERT_NOT_NULL(s);
  ASSERT_OK(uv_fileno(&s->h.handle, &fd));
  int v = -1;
  socklen_t len = sizeof(v);
  ASSERT_OK(getsockopt(fd, level, name, &v, &len));
  return v;
}

/* Set before the socket: applied once it comes (the agent's sockets start
 * with noDelay on, so 0 shows the call took effect). After the socket:
 * applied at once. */
static void opt_response(lode_http_request_t* r, lode_http_incoming_t* m) {
  lode_stream_t* s = lode_http_request_socket(r);
  test_trace("response(nodelay %d, keepalive %d, idle %d)",
             sockopt(s, IPPROTO_TCP, TCP_NODELAY),
             sockopt(s, SOL_SOCKET, SO_KEEPALIVE),
             sockopt(s, IPPROTO_TCP, TCP_KEEPIDLE));
  lode_http_request_set_no_delay(r, 1);
  lode_http_request_set_socket_keep_alive(r, 0, 0);
  test_trace("after(nodelay %d, keepalive %d)",
             sockopt(s, IPPROTO_TCP, TCP_NODELAY),
             sockopt(s, SOL_SOCKET, SO_KEEPALIVE));
  lode_http_incoming_resume(m);
}

static const lode_http_request_events_t opt_events = {
  .on_response = opt_response, .on_error = ct_error, .on_close = ct_close
};

TEST(socket_options_before_and_after) {
  setup(NULL);
  lode_http_request_opts_t o = { .path = "/ok" };
  start(&o, &opt_events);
  ASSERT_NULL(lode_http_request_socket(req));
  lode_http_request_set_no_delay(req, 0);
  lode_http_request_set_socket_keep_alive(req, 1, 7000);
  end_now(req);
  test_run_loop(&loop, 5000);
  ASSERT_TRACE(
      "response(nodelay 0, keepalive 1, idle 7),"
      "after(nodelay 1, keepalive 0),close");
  teardown();
}

/* flushHeaders sends the head before any body or end(): lode's server
 * answers on the head alone, and the answer arrives while the request is
 * still open. writableEnded follows end(). The connection is not kept, so
 * the response's end has ended the socket before the user's 'end': the
 * request's last bytes are held, never sent, and 'finish' never comes
 * (Node 20 does the same: no 'finish', no error, then 'close'). */
static lode_http_server_t* server;

static void flush_on_request(lode_http_server_t* s, lode_http_incoming_t* rq,
                             lode_http_response_t* res) {
  test_trace("server request(%s)", lode_http_incoming_method(rq));
  lode_http_outgoing_end(res, LODE_SLICE("early"), NULL, NULL);
}

static const lode_http_server_events_t flush_server_events = {
  .on_request = flush_on_request
};

static void flush_res_end(lode_http_incoming_t* m) {
  test_trace("end(ended %d)", lode_http_outgoing_writable_ended(req));
  end_now(req);
  test_trace("ended %d, finished %d", lode_http_outgoing_writable_ended(req),
             lode_http_outgoing_writable_finished(req));
}

static const lode_http_incoming_events_t flush_res_events = {
  .on_end = flush_res_end
};

static void flush_response(lode_http_request_t* r, lode_http_incoming_t* m) {
  test_trace("response(%d)", lode_http_incoming_status_code(m));
  lode_http_incoming_set_events(m, &flush_res_events);
  lode_http_incoming_resume(m);
}

static void flush_finish(lode_http_request_t* r) {
  test_trace("finish(finished %d)", lode_http_outgoing_writable_finished(r));
}

static const lode_http_request_events_t flush_events = {
  .on_response = flush_response,
  .on_finish = flush_finish,
  .on_error = ct_error,
  .on_close = ct_close
};

TEST(flush_headers_and_writable_state) {
  uv_loop_init(&loop);
  test_trace_reset();
  ASSERT_OK(
      lode_http_create_server(&loop, NULL, &flush_server_events, &server));
  ct_pair_loop = &loop;
  lode_http_request_opts_t o = { .host = "x",
                                 .port = 1,
                                 .method = "POST",
                                 .create_connection = ct_pair_connection,
                                 .create_connection_arg = server };
  ASSERT_OK(lode_http_request(&loop, &o, &flush_events, &req));
  ASSERT_EQ(lode_http_outgoing_headers_sent(req), 0);
  lode_http_outgoing_flush_headers(req);
  ASSERT_EQ(lode_http_outgoing_headers_sent(req), 1);
  ASSERT_EQ(lode_http_outgoing_writable_ended(req), 0);
  test_run_loop(&loop, 5000);
  ASSERT_TRACE(
      "server request(POST),response(200),end(ended 0),"
      "ended 1, finished 0,close");
  lode_http_server_close(server, NULL, NULL);
  lode_agent_destroy(lode_http_global_agent(&loop));
  test_run_loop(&loop, 5000);
  test_loop_close(&loop);
}

/* defaultPort: a port equal to it is left out of Host. */
TEST(default_port_leaves_host_bare) {
  setup(NULL);
  ct_body_len = 0;
  lode_http_request_opts_t o = { .path = "/echo", .default_port = ct_port };
  start(&o, &ct_events);
  end_now(req);
  test_run_loop(&loop, 5000);
  ASSERT_NOT_NULL(memmem(ct_body, ct_body_len, "\r\nHost: 127.0.0.1\r\n", 19));
  teardown();
}

/* localPort binds the client's end; family and hints reach the lookup. */
static int free_port(void) {
  uv_tcp_t t;
  struct sockaddr_in a;
  struct sockaddr_storage got;
  int len = sizeof(got);
  uv_tcp_init(&loop, &t);
  uv_ip4_addr("127.0.0.1", 0, &a);
  ASSERT_OK(uv_tcp_bind(&t, (const struct sockaddr*) &a, 0));
  ASSERT_OK(uv_tcp_getsockname(&t, (struct sockaddr*) &got, &len));
  uv_close((uv_handle_t*) &t, NULL);
  uv_run(&loop, UV_RUN_DEFAULT);
  return ntohs(((struct sockaddr_in*) &got)->sin_port);
}

static int want_local_port;

static void lp_response(lode_http_request_t* r, lode_http_incoming_t* m) {
  lode_socket_t* s = lode_socket_from_stream(lode_http_request_socket(r));
  test_trace(
      "response(local port %s)",
      lode_socket_local_port(s) == want_local_port ? "as asked" : "other");
  lode_http_incoming_resume(m);
}

static void lp_lookup(lode_lookup_t* l, const char* host, int family, int hints,
                      void* arg) {
  test_trace("lookup(%s, %d, %s)", host, family,
             hints == AI_ADDRCONFIG ? "ADDRCONFIG" : "other");
  lode_lookup_done(l, 0, "127.0.0.1", 4);
}

static const lode_http_request_events_t lp_events = {
  .on_response = lp_response, .on_error = ct_error, .on_close = ct_close
};

TEST(local_port_family_hints) {
  setup(NULL);
  /* The port was free when chosen; another process may bind it before
   * the connection does (EADDRINUSE): then another one. */
  for (int i = 0; i < 5; i++) {
    test_trace_reset();
    want_local_port = free_port();
    lode_http_request_opts_t o = { .host = "server.test",
                                   .path = "/ok",
                                   .local_port = want_local_port,
                                   .family = 4,
                                   .hints = AI_ADDRCONFIG,
                                   .lookup = lp_lookup };
    start(&o, &lp_events);
    end_now(req);
    test_run_loop(&loop, 5000);
    if (strstr(test_trace_get(), "EADDRINUSE") == NULL)
      break;
  }
  ASSERT_TRACE(
      "lookup(server.test, 4, ADDRCONFIG),"
      "response(local port as asked),close");
  teardown();
}

/* Node's test-http-information-processing: several 102s, each an
 * 'information' before the response. Trailers of a chunked response. */
static void tr_end(lode_http_incoming_t* m) {
  size_t n = 0;
  const char* const* t = lode_http_incoming_raw_trailers(m, &n);
  test_trace("end(%zu trailers: %s=%s, t=%s)", n, n ? t[0] : "", n ? t[1] : "",
             lode_http_incoming_trailer(m, "t"));
}

static const lode_http_incoming_events_t tr_res_events = {
  .on_end = tr_end, .on_close = ct_res_close
};

static void tr_response(lode_http_request_t* r, lode_http_incoming_t* m) {
  test_trace("response(%d)", lode_http_incoming_status_code(m));
  lode_http_incoming_set_events(m, &tr_res_events);
  lode_http_incoming_resume(m);
}

static const lode_http_request_events_t tr_events = {
  .on_response = tr_response,
  .on_information = ct_information,
  .on_error = ct_error,
  .on_close = ct_close
};

TEST(processing_and_trailers) {
  setup(NULL);
  lode_http_request_opts_t o = { .path = "/processing" };
  start(&o, &tr_events);
  end_now(req);
  test_run_loop(&loop, 5000);
  ASSERT_TRACE(
      "information(102 Processing),information(102 Processing),"
      "response(200),end(1 trailers: T=v, t=v),res close,close");
  teardown();
}

/* Node's test-http-should-keep-alive: the socket is reused only after a
 * 1.0 response with keep-alive, or a 1.1 response without close. */
static lode_stream_t* seen[2];
static int nseen;

static void ka_socket(lode_http_request_t* r, lode_stream_t* s) {
  if (nseen < 2)
    seen[nseen++] = s;
}

static void ka_response(lode_http_request_t* r, lode_http_incoming_t* m) {
  lode_http_incoming_resume(m);
}

static const lode_http_request_events_t ka_events = {
  .on_socket = ka_socket, .on_response = ka_response, .on_error = ct_error
};

static int reused_after(const char* path) {
  setup(&(lode_agent_opts_t){ .keep_alive = 1 });
  nseen = 0;
  lode_http_request_opts_t o = { .path = path };
  end_now(start(&o, &ka_events));
  test_run_loop(&loop, 5000);
  lode_http_request_opts_t o2 = { .path = "/ok" };
  end_now(start(&o2, &ka_events));
  int reused = lode_http_request_reused_socket(req);
  test_run_loop(&loop, 5000);
  ASSERT_EQ(nseen, 2);
  ASSERT_EQ(reused, seen[0] == seen[1]);
  teardown();
  return reused;
}

TEST(should_keep_alive) {
  ASSERT_EQ(reused_after("/v10"), 0);
  ASSERT_EQ(reused_after("/v10ka"), 1);
  ASSERT_EQ(reused_after("/v10close"), 0);
  ASSERT_EQ(reused_after("/ok"), 1);
  ASSERT_EQ(reused_after("/v11ka"), 1);
  ASSERT_EQ(reused_after("/close"), 0);
}

/* maxTotalSockets across origins (the local address makes a second
 * name): the second origin waits, then gets a connection once the first
 * is done with its socket, which is not kept while another origin waits. */
static void mt_socket(lode_http_request_t* r, lode_stream_t* s) {
  test_trace(
      "socket(%s, total %zu, waiting %zu)", lode_http_request_path(r),
      lode_agent_sockets(agent, NULL) + lode_agent_free_sockets(agent, NULL),
      lode_agent_requests(agent, NULL));
}

static void mt_close(lode_http_request_t* r) {
  test_trace("close(%s)", lode_http_request_path(r));
}

static const lode_http_request_events_t mt_events = {
  .on_socket = mt_socket,
  .on_response = ka_response,
  .on_error = ct_error,
  .on_close = mt_close
};

TEST(max_total_sockets_across_origins) {
  setup(&(lode_agent_opts_t){ .keep_alive = 1, .max_total_sockets = 1 });
  lode_http_request_opts_t a = { .path = "/a" };
  lode_http_request_opts_t b = { .path = "/b", .local_address = "127.0.0.1" };
  end_now(start(&a, &mt_events));
  end_now(start(&b, &mt_events));
  ASSERT_EQ(lode_agent_sockets(agent, NULL), 1);
  ASSERT_EQ(lode_agent_requests(agent, NULL), 1);
  char name[64];
  snprintf(name, sizeof(name), "127.0.0.1:%d:127.0.0.1", ct_port);
  ASSERT_EQ(lode_agent_requests(agent, name), 1);
  test_run_loop(&loop, 5000);
  ASSERT_TRACE(
      "socket(/a, total 1, waiting 1),close(/a),"
      "socket(/b, total 1, waiting 0),close(/b)");
  ASSERT_EQ(lode_agent_free_sockets(agent, name), 1);
  ASSERT_EQ(lode_agent_free_sockets(agent, NULL), 1);
  teardown();
}

/* cork()/uncork(): the writes after cork() stay with the request's
 * connection until uncork() (the far end of an in-memory pair sees each
 * write as one 'data', at once when not corked). */
static lode_stream_t* far;
static int corking;
static uv_timer_t write_timer;

static void far_data(void* ctx, lode_stream_t* s, lode_slice_t d) {
  test_trace("far data(%zu)", d.len);
  if (d.len >= 5 && memcmp(d.base + d.len - 5, "0\r\n\r\n", 5) == 0) {
    lode_stream_write(s,
                      LODE_SLICE("HTTP/1.1 200 OK\r\nContent-Length: 0"
                                 "\r\n\r\n"),
                      NULL, NULL);
    lode_stream_end(s, NULL, NULL);
  }
}

static void far_end(void* ctx, lode_stream_t* s) {
}

static const lode_stream_reader_t far_reader = { .on_data = far_data,
                                                 .on_end = far_end };

static int far_connection(lode_agent_t* a, const lode_agent_conn_opts_t* c,
                          lode_stream_t** out, void* arg) {
  int rc = lode_stream_pair(&loop, out, &far);
  if (rc == 0)
    lode_stream_set_reader(far, &far_reader, NULL);
  return rc;
}

static void uncork_later(uv_timer_t* t) {
  test_trace("uncork");
  if (corking)
    lode_http_outgoing_uncork(req);
  end_now(req);
  uv_close((uv_handle_t*) t, NULL);
}

static void write_later(uv_timer_t* t) {
  if (corking)
    lode_http_outgoing_cork(req);
  lode_http_request_write(req, LODE_SLICE("aa"), NULL, NULL);
  lode_http_request_write(req, LODE_SLICE("bbb"), NULL, NULL);
  uv_timer_start(t, uncork_later, 1, 0);
}

static void cork_socket(lode_http_request_t* r, lode_stream_t* s) {
  uv_timer_init(&loop, &write_timer);
  uv_timer_start(&write_timer, write_later, 1, 0);
}

static const lode_http_request_events_t cork_events = {
  .on_socket = cork_socket,
  .on_response = ka_response,
  .on_error = ct_error,
  .on_close = ct_close
};

static void cork_case(int cork, const char* want) {
  uv_loop_init(&loop);
  test_trace_reset();
  corking = cork;
  lode_http_request_opts_t o = { .host = "x",
                                 .port = 1,
                                 .method = "POST",
                                 .create_connection = far_connection };
  ASSERT_OK(lode_http_request(&loop, &o, &cork_events, &req));
  test_run_loop(&loop, 5000);
  ASSERT_TRACE(want);
  lode_agent_destroy(lode_http_global_agent(&loop));
  test_run_loop(&loop, 5000);
  test_loop_close(&loop);
}

TEST(cork_uncork) {
  /* head + "2\r\naa\r\n", "3\r\nbbb\r\n", then "0\r\n\r\n" */
  cork_case(1, "uncork,far data(84),far data(8),far data(5),close");
  cork_case(0, "far data(84),far data(8),uncork,far data(5),close");
}

/* Node's test-http-agent-timeout-option: the agent's timeout is the
 * socket's, and its 'timeout' reaches the request. */
static void at_timeout(lode_http_request_t* r) {
  test_trace("timeout");
  lode_http_request_destroy(r, NULL);
}

static const lode_http_request_events_t at_events = { .on_socket = ct_socket,
                                                      .on_timeout = at_timeout,
                                                      .on_error = ct_error,
                                                      .on_close = ct_close };

TEST(agent_timeout_reaches_request) {
  setup(&(lode_agent_opts_t){ .keep_alive = 1, .timeout = 40 });
  lode_http_request_opts_t o = { .path = "/slow" };
  end_now(start(&o, &at_events));
  test_run_loop(&loop, 5000);
  ASSERT_TRACE("socket,timeout,error(ECONNRESET socket hang up),close");
  teardown();
}

/* Node: scheduling other than 'fifo' or 'lifo' is ERR_INVALID_ARG_VALUE. */
TEST(bad_scheduling) {
  uv_loop_init(&loop);
  lode_agent_t* a = NULL;
  lode_agent_opts_t o = { .scheduling = 2 };
  ASSERT_EQ(lode_agent_create(&loop, &o, &a), LODE_ERR_INVALID_ARG_VALUE);
  ASSERT_NULL(a);
  test_loop_close(&loop);
}

TEST_MAIN(socket_options_before_and_after, flush_headers_and_writable_state,
          default_port_leaves_host_bare, local_port_family_hints,
          processing_and_trailers, should_keep_alive,
          max_total_sockets_across_origins, bad_scheduling, cork_uncork,
          agent_timeout_reaches_request)
