/* http.Agent: reuse, limits, scheduling, timeouts, the keep-alive hint,
 * free sockets that the server closes, and lode's retry. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include "client-test.h"

static uv_loop_t loop;
static lode_agent_t* agent;
static lode_stream_t* sockets[8];
static int nsockets;
static int reused[8];
static int ndone;

static void p_socket(lode_http_request_t* r, lode_stream_t* s) {
  test_trace("socket");
  if (nsockets < 8)
    sockets[nsockets++] = s;
}

static void p_close(lode_http_request_t* r) {
  if (ndone < 8)
    reused[ndone] = lode_http_request_reused_socket(r);
  ndone++;
  test_trace("close");
}

/* The response's 'close' is not traced: on a reused socket it comes
 * before or after the request's, as the request's write is reported done
 * before or after the answer (scheduling, as in Node). */
static const lode_http_incoming_events_t p_res_events = {
  ct_res_data, ct_res_end, ct_res_aborted, ct_res_error, NULL, NULL
};

static void p_response(lode_http_request_t* r, lode_http_incoming_t* m) {
  test_trace("response(%d)", lode_http_incoming_status_code(m));
  lode_http_incoming_set_events(m, &p_res_events);
}

static const lode_http_request_events_t p_events = {
  p_socket, p_response, NULL, NULL, NULL,     NULL,
  NULL,     NULL,       NULL, NULL, ct_error, p_close
};

static void setup(const lode_agent_opts_t* o) {
  uv_loop_init(&loop);
  ct_start_peer();
  ASSERT_OK(lode_agent_create(&loop, o, &agent));
  nsockets = ndone = 0;
}

static void teardown(void) {
  lode_agent_destroy(agent);
  test_run_loop(&loop, 5000);
  test_loop_close(&loop);
  test_peer_kill(ct_peer);
}

static lode_http_request_t* get(const char* path) {
  lode_http_request_opts_t o = {
    .host = "127.0.0.1", .port = ct_port, .path = path, .agent = agent
  };
  lode_http_request_t* r;
  ASSERT_OK(lode_http_request(&loop, &o, &p_events, &r));
  lode_http_request_end(r, (lode_slice_t){ NULL, 0 }, NULL, NULL);
  return r;
}

/* Runs the loop (free sockets do not hold it) until cond() or 5 s. */
static int (*wait_cond)(void);
static void poll_cb(uv_timer_t* t) {
  if (wait_cond())
    uv_close((uv_handle_t*) t, NULL);
}

static void wait_until(int (*cond)(void)) {
  uv_timer_t t;
  wait_cond = cond;
  uv_timer_init(&loop, &t);
  uv_timer_start(&t, poll_cb, 5, 5);
  test_run_loop(&loop, 5000);
}

static char name[64];

static void set_name(void) {
  snprintf(name, sizeof(name), "127.0.0.1:%d:", ct_port);
}

TEST(reuse) {
  setup(&(lode_agent_opts_t){ .keep_alive = 1 });
  get("/ok");
  test_run_loop(&loop, 5000); /* the free socket lets the loop end */
  set_name();
  ASSERT_EQ(lode_agent_free_sockets(agent, name), 1);
  ASSERT_EQ(lode_agent_sockets(agent, NULL), 0);
  get("/ok");
  ASSERT_EQ(lode_agent_free_sockets(agent, NULL), 0);
  ASSERT_EQ(lode_agent_sockets(agent, name), 1);
  test_run_loop(&loop, 5000);
  ASSERT_EQ(nsockets, 2);
  ASSERT(sockets[0] == sockets[1]);
  ASSERT_EQ(reused[0], 0);
  ASSERT_EQ(reused[1], 1);
  ASSERT_TRACE(
      "socket,response(200),data(2),end,close,"
      "socket,response(200),data(2),end,close");
  teardown();
}

/* The client end of the connection to the peer: the fd whose peer port
 * is the server's (the server itself runs in another process). */
static int peer_fd(void) {
  for (int fd = 3; fd < 1024; fd++) {
    struct sockaddr_in sa;
    socklen_t len = sizeof(sa);
    if (getpeername(fd, (struct sockaddr*) &sa, &len) == 0 &&
        sa.sin_family == AF_INET && ntohs(sa.sin_port) == ct_port)
      return fd;
  }
  return -1;
}

static int sockopt(int fd, int level, int opt) {
  int v = -1;
  socklen_t len = sizeof(v);
  ASSERT_OK(getsockopt(fd, level, opt, &v, &len));
  return v;
}

/* Node 20: a keep-alive agent's sockets get TCP keep-alive after
 * keepAliveMsecs (whole seconds, 1 by default), and noDelay. A free
 * socket is read back. */
static void keep_alive_msecs(unsigned msecs, int want_idle) {
  setup(&(lode_agent_opts_t){ .keep_alive = 1, .keep_alive_msecs = msecs });
  get("/ok");
  test_run_loop(&loop, 5000);
  ASSERT_EQ(lode_agent_free_sockets(agent, NULL), 1);
  int fd = peer_fd();
  ASSERT_GE(fd, 0);
  ASSERT_NE(sockopt(fd, SOL_SOCKET, SO_KEEPALIVE), 0);
  ASSERT_EQ(sockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE), want_idle);
  ASSERT_NE(sockopt(fd, IPPROTO_TCP, TCP_NODELAY), 0);
  teardown();
}

TEST(keep_alive_msecs_default) {
  keep_alive_msecs(0, 1);
}

TEST(keep_alive_msecs_3000) {
  keep_alive_msecs(3000, 3);
}

TEST(no_keep_alive) {
  setup(NULL);
  get("/echo");
  test_run_loop(&loop, 5000);
  ASSERT_NOT_NULL(strstr(ct_body, "Connection: close\r\n"));
  ASSERT_EQ(lode_agent_free_sockets(agent, NULL), 0);
  teardown();
}

TEST(max_sockets_queue) {
  setup(&(lode_agent_opts_t){ .keep_alive = 1, .max_sockets = 1 });
  get("/ok");
  get("/ok");
  ASSERT_EQ(lode_agent_requests(agent, NULL), 1);
  ASSERT_EQ(lode_agent_sockets(agent, NULL), 1);
  test_run_loop(&loop, 5000);
  ASSERT_EQ(nsockets, 2);
  ASSERT(sockets[0] == sockets[1]);
  ASSERT_EQ(lode_agent_requests(agent, NULL), 0);
  teardown();
}

static void two_free_then_one(int scheduling, int want_index) {
  setup(&(lode_agent_opts_t){ .keep_alive = 1, .scheduling = scheduling });
  get("/ok");
  get("/ok");
  test_run_loop(&loop, 5000);
  set_name();
  ASSERT_EQ(lode_agent_free_sockets(agent, name), 2);
  lode_stream_t* first = lode_agent_free_socket_at(agent, name, 0);
  lode_stream_t* last = lode_agent_free_socket_at(agent, name, 1);
  get("/ok");
  test_run_loop(&loop, 5000);
  ASSERT(sockets[2] == (want_index == 0 ? first : last));
  teardown();
}

TEST(lifo) {
  two_free_then_one(LODE_AGENT_LIFO, 1);
}

TEST(fifo) {
  two_free_then_one(LODE_AGENT_FIFO, 0);
}

TEST(max_free_sockets) {
  setup(&(lode_agent_opts_t){ .keep_alive = 1, .max_free_sockets = 1 });
  get("/ok");
  get("/ok");
  test_run_loop(&loop, 5000);
  ASSERT_EQ(lode_agent_free_sockets(agent, NULL), 1);
  teardown();
}

TEST(max_total_sockets) {
  setup(&(lode_agent_opts_t){ .keep_alive = 1, .max_total_sockets = 1 });
  get("/ok");
  get("/ok?b");
  ASSERT_EQ(lode_agent_requests(agent, NULL), 1);
  test_run_loop(&loop, 5000);
  ASSERT_EQ(ndone, 2);
  teardown();
}

static int no_free(void) {
  return ndone > 0 && lode_agent_free_sockets(agent, NULL) == 0;
}

TEST(server_closes_free_socket) {
  setup(&(lode_agent_opts_t){ .keep_alive = 1 });
  get("/ka-close");
  wait_until(no_free);
  ASSERT_EQ(lode_agent_free_sockets(agent, NULL), 0);
  ASSERT_EQ(lode_agent_sockets(agent, NULL), 0);
  teardown();
}

/* Node's test-http-agent-error-on-idle: a reset on a free socket takes
 * it out of the pool. */
TEST(reset_free_socket) {
  setup(&(lode_agent_opts_t){ .keep_alive = 1 });
  get("/ka-reset");
  wait_until(no_free);
  ASSERT_EQ(lode_agent_free_sockets(agent, NULL), 0);
  ASSERT_EQ(lode_agent_sockets(agent, NULL), 0);
  teardown();
}

TEST(agent_timeout) {
  setup(&(lode_agent_opts_t){ .keep_alive = 1, .timeout = 30 });
  get("/ok");
  test_run_loop(&loop, 5000);
  ASSERT_EQ(lode_agent_free_sockets(agent, NULL), 1);
  wait_until(no_free);
  teardown();
}

TEST(keep_alive_hint) {
  /* timeout=1: less than a second of margin, so the socket is not kept. */
  setup(&(lode_agent_opts_t){ .keep_alive = 1 });
  get("/hint");
  test_run_loop(&loop, 5000);
  ASSERT_EQ(lode_agent_free_sockets(agent, NULL), 0);
  teardown();
}

static void on_wait_done(uv_timer_t* t) {
  uv_close((uv_handle_t*) t, NULL);
}

/* Waits on a timer for ms (the hint's second has to pass in loop time). */
static void wait_ms(unsigned ms) {
  uv_timer_t t;
  uv_timer_init(&loop, &t);
  uv_timer_start(&t, on_wait_done, ms, 0);
  test_run_loop(&loop, ms + 5000);
}

/* timeout=2 without an agent timeout: Node sets no timer (the hint only
 * lowers an agent timeout), so the socket stays free; past the hint's
 * second lode no longer hands it out: a new connection is made. */
TEST(keep_alive_hint_without_agent_timeout) {
  setup(&(lode_agent_opts_t){ .keep_alive = 1 });
  get("/hint2");
  test_run_loop(&loop, 5000);
  ASSERT_EQ(lode_agent_free_sockets(agent, NULL), 1);
  wait_ms(1100);
  ASSERT_EQ(lode_agent_free_sockets(agent, NULL), 1);
  get("/ok");
  ASSERT_EQ(lode_agent_free_sockets(agent, NULL), 0);
  test_run_loop(&loop, 5000);
  ASSERT_EQ(nsockets, 2);
  ASSERT(sockets[0] != sockets[1]);
  ASSERT_EQ(reused[1], 0);
  teardown();
}

/* Within the hint the socket is reused. */
TEST(keep_alive_hint_reuse_within) {
  setup(&(lode_agent_opts_t){ .keep_alive = 1 });
  get("/hint2");
  test_run_loop(&loop, 5000);
  get("/ok");
  test_run_loop(&loop, 5000);
  ASSERT(sockets[0] == sockets[1]);
  ASSERT_EQ(reused[1], 1);
  teardown();
}

/* With an agent timeout longer than the hint, the hint less a second
 * wins (Node's rule): the free socket closes after a second, long before
 * the agent's 20 s (the wait is bounded by 5 s). */
TEST(keep_alive_hint_lowers_agent_timeout) {
  setup(&(lode_agent_opts_t){ .keep_alive = 1, .timeout = 20000 });
  get("/hint2");
  test_run_loop(&loop, 5000);
  ASSERT_EQ(lode_agent_free_sockets(agent, NULL), 1);
  wait_until(no_free);
  ASSERT_EQ(lode_agent_free_sockets(agent, NULL), 0);
  teardown();
}

static void retry_case(int no_retry, const char* want) {
  setup(&(lode_agent_opts_t){ .keep_alive = 1,
                              .retry = no_retry ? LODE_FALSE : LODE_DEFAULT });
  get("/once");
  test_run_loop(&loop, 5000);
  ASSERT_EQ(lode_agent_free_sockets(agent, NULL), 1);
  get("/ok");
  test_run_loop(&loop, 5000);
  ASSERT_TRACE(want);
  teardown();
}

TEST(retry_on_reused_socket) {
  retry_case(0,
             "socket,response(200),data(1),end,close,"
             "socket,response(200),data(2),end,close");
}

TEST(retry_off) {
  retry_case(1,
             "socket,response(200),data(1),end,close,"
             "socket,error(ECONNRESET socket hang up),close");
}

/* A request with a body on a socket the server drops: sent again on a
 * new connection when the body was whole before the socket came (the
 * echo shows every byte arrived), not otherwise. */
static lode_http_request_t* late;
static char echo_want[256]; /* the echo of the request sent again */

/* The first part is on the socket: the end comes after it. */
static void end_late(lode_http_outgoing_t* o, int status, void* arg) {
  ASSERT_OK(status);
  lode_http_request_end(late, lode_slice_str("c"), NULL, NULL);
}

static void body_retry_case(const char* method, int whole, const char* want) {
  setup(&(lode_agent_opts_t){ .keep_alive = 1 });
  get("/once");
  test_run_loop(&loop, 5000);
  ct_body_len = 0;
  static const char* const h[] = { "Content-Length", "3", NULL };
  lode_http_request_opts_t o = { .host = "127.0.0.1",
                                 .port = ct_port,
                                 .path = "/echo",
                                 .agent = agent,
                                 .method = method,
                                 .headers = h };
  ASSERT_OK(lode_http_request(&loop, &o, &p_events, &late));
  if (whole)
    lode_http_request_end(late, lode_slice_str("abc"), NULL, NULL);
  else /* the end comes after the socket */
    lode_http_request_write(late, lode_slice_str("ab"), end_late, NULL);
  test_run_loop(&loop, 5000);
  char trace[256];
  if (want == NULL) { /* the retry answers with the request's bytes */
    snprintf(echo_want, sizeof(echo_want),
             "%s /echo HTTP/1.1\r\n"
             "Content-Length: 3\r\nHost: 127.0.0.1:%d\r\nConnection: "
             "keep-alive\r\n\r\nabc",
             method, ct_port);
    snprintf(trace, sizeof(trace),
             "socket,response(200),data(1),end,"
             "close,socket,response(200),data(%zu),end,close",
             strlen(echo_want));
    want = trace;
  }
  ASSERT_TRACE(want);
  teardown();
}

TEST(retry_with_whole_body) {
  body_retry_case("PUT", 1, NULL);
  ASSERT_MEM_EQ(ct_body, ct_body_len, echo_want, strlen(echo_want));
}

TEST(no_retry_for_late_body) {
  body_retry_case("PUT", 0,
                  "socket,response(200),data(1),end,close,"
                  "socket,error(ECONNRESET socket hang up),close");
}

TEST(no_retry_for_post) {
  body_retry_case("POST", 1,
                  "socket,response(200),data(1),end,close,"
                  "socket,error(ECONNRESET socket hang up),close");
}

TEST(global_agent) {
  uv_loop_init(&loop);
  ct_start_peer();
  agent = lode_http_global_agent(&loop);
  ASSERT_NOT_NULL(agent);
  ASSERT(agent == lode_http_global_agent(&loop));
  lode_http_request_opts_t o = { .host = "127.0.0.1",
                                 .port = ct_port,
                                 .path = "/echo" };
  lode_http_request_t* r;
  ct_body_len = 0;
  ASSERT_OK(lode_http_request(&loop, &o, &p_events, &r));
  lode_http_request_end(r, (lode_slice_t){ NULL, 0 }, NULL, NULL);
  test_run_loop(&loop, 5000);
  ASSERT_NOT_NULL(strstr(ct_body, "Connection: keep-alive\r\n"));
  ASSERT_EQ(lode_agent_free_sockets(agent, NULL), 1);
  teardown();
}

static void on_agent_remove(lode_agent_t* a, lode_stream_t* s, void* arg) {
  test_trace("agentRemove(%d)", (int) lode_agent_sockets(a, NULL));
}

static void p_upgrade(lode_http_request_t* r, lode_http_incoming_t* m,
                      lode_stream_t* s, lode_slice_t head) {
  test_trace("upgrade(%d)", (int) lode_agent_sockets(agent, NULL));
  lode_stream_destroy(s, NULL);
}

static const lode_http_request_events_t upgrade_events = {
  NULL, NULL, NULL, NULL, p_upgrade, NULL,
  NULL, NULL, NULL, NULL, ct_error,  p_close
};

TEST(agent_remove_on_upgrade) {
  setup(&(lode_agent_opts_t){ .keep_alive = 1,
                              .on_agent_remove = on_agent_remove });
  static const char* const h[] = { "Connection", "Upgrade", "Upgrade", "x",
                                   NULL };
  lode_http_request_opts_t o = { .host = "127.0.0.1",
                                 .port = ct_port,
                                 .path = "/upgrade",
                                 .agent = agent,
                                 .headers = h };
  lode_http_request_t* r;
  ASSERT_OK(lode_http_request(&loop, &o, &upgrade_events, &r));
  lode_http_request_end(r, (lode_slice_t){ NULL, 0 }, NULL, NULL);
  test_run_loop(&loop, 5000);
  ASSERT_TRACE("agentRemove(0),upgrade(0),close");
  ASSERT_EQ(lode_agent_free_sockets(agent, NULL), 0);
  teardown();
}

TEST(abort_queued_request_keeps_socket) {
  setup(&(lode_agent_opts_t){ .keep_alive = 1, .max_sockets = 1 });
  get("/ok");
  lode_http_request_t* queued = get("/ok");
  ASSERT_EQ(lode_agent_requests(agent, NULL), 1);
  lode_http_request_abort(queued);
  ASSERT_EQ(lode_agent_requests(agent, NULL), 0);
  test_run_loop(&loop, 5000);
  ASSERT_TRACE("socket,close,response(200),data(2),end,close");
  ASSERT_EQ(lode_agent_free_sockets(agent, NULL), 1);
  ASSERT_EQ(nsockets, 1);
  teardown();
}

static int keep_verdict;

static int keep_hook(lode_agent_t* a, lode_stream_t* s, void* arg) {
  test_trace("keepSocketAlive");
  return keep_verdict;
}

static void reuse_hook(lode_agent_t* a, lode_stream_t* s,
                       lode_http_request_t* r, void* arg) {
  test_trace("reuseSocket(%d)", s == sockets[0]);
}

static void quiet_response(lode_http_request_t* r, lode_http_incoming_t* m) {
  lode_http_incoming_resume(m);
}

static const lode_http_request_events_t quiet_events = {
  p_socket, quiet_response, NULL, NULL, NULL,     NULL,
  NULL,     NULL,           NULL, NULL, ct_error, p_close
};

static lode_http_request_t* get_quiet(const char* path) {
  lode_http_request_opts_t o = {
    .host = "127.0.0.1", .port = ct_port, .path = path, .agent = agent
  };
  lode_http_request_t* r;
  ASSERT_OK(lode_http_request(&loop, &o, &quiet_events, &r));
  lode_http_request_end(r, (lode_slice_t){ NULL, 0 }, NULL, NULL);
  return r;
}

static void hooks_case(int verdict, const char* want) {
  keep_verdict = verdict;
  setup(&(lode_agent_opts_t){ .keep_alive = 1,
                              .keep_socket_alive = keep_hook,
                              .reuse_socket = reuse_hook });
  get_quiet("/ok");
  test_run_loop(&loop, 5000);
  get_quiet("/ok");
  test_run_loop(&loop, 5000);
  ASSERT_TRACE(want);
  teardown();
}

TEST(keep_and_reuse_hooks) {
  hooks_case(1,
             "socket,close,keepSocketAlive,reuseSocket(1),socket,close,"
             "keepSocketAlive");
}

TEST(keep_hook_refuses) {
  hooks_case(0,
             "socket,close,keepSocketAlive,socket,close,"
             "keepSocketAlive"); /* no reuseSocket */
}

static void destroy_agent_soon(lode_http_request_t* r, lode_stream_t* s) {
  test_trace("socket");
  lode_agent_destroy(agent);
}

static const lode_http_request_events_t destroy_events = {
  destroy_agent_soon, NULL,   NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
  ct_error,           p_close
};

TEST(destroy_with_requests_in_flight) {
  setup(&(lode_agent_opts_t){ .keep_alive = 1, .max_sockets = 1 });
  lode_http_request_opts_t o = {
    .host = "127.0.0.1", .port = ct_port, .path = "/slow", .agent = agent
  };
  for (int i = 0; i < 3; i++) {
    lode_http_request_t* r;
    ASSERT_OK(lode_http_request(&loop, &o, &destroy_events, &r));
    lode_http_request_end(r, (lode_slice_t){ NULL, 0 }, NULL, NULL);
  }
  test_run_loop(&loop, 5000);
  ASSERT_TRACE(
      "socket,error(ECONNRESET socket hang up),close,"
      "error(ECONNRESET socket hang up),close,"
      "error(ECONNRESET socket hang up),close");
  test_loop_close(&loop);
  test_peer_kill(ct_peer);
}

/* Node's hand-over order (responseOnEnd before the user's 'end', then
 * emitFreeNT: the request's 'close', the socket to the first waiting
 * request, the response's 'close'), against Node 20 run now on the same
 * scenario (test/peers/client-agent-order.js says the tokens). */
static int order_ends, order_closed;

static size_t order_len(size_t (*fn)(const lode_agent_t*, const char*)) {
  return fn(agent, name);
}

static void order_get(void);

static void order_end(lode_http_incoming_t* m) {
  lode_http_request_t* r = lode_http_incoming_get_data(m);
  test_trace("E%zu/%zu/%zu/%d%d", order_len(lode_agent_requests),
             order_len(lode_agent_sockets), order_len(lode_agent_free_sockets),
             lode_http_request_destroyed(r),
             lode_http_incoming_socket(m) != NULL);
  if (++order_ends <= 5) {
    order_get();
    test_trace("N%zu", order_len(lode_agent_requests));
  }
}

static void order_res_close(lode_http_incoming_t* m) {
  test_trace("X%zu/%zu", order_len(lode_agent_requests),
             order_len(lode_agent_free_sockets));
  if (++order_closed == 105)
    lode_agent_destroy(agent);
}

static void order_data(lode_http_incoming_t* m, lode_slice_t d) {
}

static const lode_http_incoming_events_t order_res_events = {
  .on_data = order_data, .on_end = order_end, .on_close = order_res_close
};

static void order_response(lode_http_request_t* r, lode_http_incoming_t* m) {
  lode_http_incoming_set_data(m, r);
  lode_http_incoming_set_events(m, &order_res_events);
}

static void order_socket(lode_http_request_t* r, lode_stream_t* s) {
  test_trace("S%d", lode_http_request_reused_socket(r));
}

static void order_close(lode_http_request_t* r) {
  test_trace("C%zu/%zu%d", order_len(lode_agent_requests),
             order_len(lode_agent_free_sockets),
             lode_http_request_socket(r) != NULL);
}

static const lode_http_request_events_t order_events = {
  .on_socket = order_socket,
  .on_response = order_response,
  .on_error = ct_error,
  .on_close = order_close
};

static void order_get(void) {
  lode_http_request_opts_t o = {
    .host = "127.0.0.1", .port = ct_port, .path = "/ok", .agent = agent
  };
  lode_http_request_t* r;
  ASSERT_OK(lode_http_get(&loop, &o, &order_events, &r));
}

TEST(agent_order_matches_node) {
  uv_loop_init(&loop);
  ct_start_peer();
  ASSERT_OK(lode_agent_create(
      &loop, &(lode_agent_opts_t){ .keep_alive = 1, .max_sockets = 10 },
      &agent));
  set_name();
  order_ends = order_closed = 0;
  for (int i = 0; i < 100; i++)
    order_get();
  test_run_loop(&loop, 20000);
  ASSERT_EQ(order_closed, 105);
  char port[16];
  snprintf(port, sizeof(port), "%d", ct_port);
  const char* argv[] = { "node", "test/peers/client-agent-order.js", port,
                         NULL };
  char* node = NULL;
  ASSERT_EQ(test_peer_finish(test_peer_start(argv), 20000, &node), 0);
  node[strcspn(node, "\n")] = '\0';
  ASSERT_STR_EQ(test_trace_get(), node);
  free(node);
  test_loop_close(&loop);
  test_peer_kill(ct_peer);
}

TEST_MAIN(agent_order_matches_node, destroy_with_requests_in_flight,
          keep_and_reuse_hooks, keep_hook_refuses, agent_remove_on_upgrade,
          abort_queued_request_keeps_socket, reuse, no_keep_alive,
          max_sockets_queue, lifo, fifo, max_free_sockets, max_total_sockets,
          server_closes_free_socket, reset_free_socket, agent_timeout,
          keep_alive_hint, keep_alive_hint_without_agent_timeout,
          keep_alive_hint_reuse_within, keep_alive_hint_lowers_agent_timeout,
          retry_on_reused_socket, retry_off, global_agent,
          retry_with_whole_body, no_retry_for_late_body, no_retry_for_post,
          keep_alive_msecs_default, keep_alive_msecs_3000)
