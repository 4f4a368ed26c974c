/* Happy eyeballs engine (src/net/autoselect.c) on loopback addresses:
 * refusing ones (a bound port nobody listens on), a slow one (a listener
 * whose accept queue is full, so SYNs go unanswered), a blocked one, and
 * a listening one. Expected traces are what Node 20 emits for the same
 * lookups (checked by hand with node against the same kind of peers). */
#include "lode.h"
#include "net/autoselect.h"
#include "test.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

static int port;
static uv_os_sock_t won = -1;
static char* attempted;
static lode__autoselect_t* engine;
static int cancel_on_attempt;

static void on_attempt(void* owner, const char* ip, int p, int family) {
  test_trace("attempt %s %d", ip, family);
  if (cancel_on_attempt)
    lode__autoselect_cancel(engine);
}
static void on_failed(void* owner, const char* ip, int p, int family,
                      const lode_error_t* e) {
  test_trace("failed %s %d %s", ip, family, e->message);
}
static void on_timeout(void* owner, const char* ip, int p, int family) {
  test_trace("timeout %s %d", ip, family);
}
static void on_done(void* owner, uv_os_sock_t fd, const lode_error_t* e) {
  if (e == NULL) {
    won = fd;
    test_trace("done");
    return;
  }
  test_trace("error %s \"%s\"", e->name, e->message);
  for (size_t i = 0; i < e->nerrors; i++)
    test_trace("[%s|%s|%s|%s|%d]", e->errors[i].name, e->errors[i].message,
               e->errors[i].syscall, e->errors[i].address, e->errors[i].port);
}

static const lode__autoselect_cbs_t cbs = {
  .on_attempt = on_attempt,
  .on_attempt_failed = on_failed,
  .on_attempt_timeout = on_timeout,
  .on_done = on_done,
};

/* A port bound (not listening) on every address: connects are refused. */
static int refusing_port(int* keep) {
  if (!test_have_ipv6())
    test_skip("no IPv6 on loopback (::1)");
  int fd = socket(AF_INET6, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  int off = 0;
  setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off));
  struct sockaddr_in6 a = { .sin6_family = AF_INET6, .sin6_addr = in6addr_any };
  ASSERT_OK(bind(fd, (struct sockaddr*) &a, sizeof(a)));
  socklen_t len = sizeof(a);
  ASSERT_OK(getsockname(fd, (struct sockaddr*) &a, &len));
  *keep = fd;
  return ntohs(a.sin6_port);
}

/* 127.0.0.1:p with a full accept queue (backlog 0, one connection parked
 * in it, never accepted): further SYNs get no answer. Returns the port;
 * fds[0..1] are the listener and the parked client. */
static int slow_port(int fds[2]) {
  int l = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = { .sin_family = AF_INET };
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_OK(bind(l, (struct sockaddr*) &a, sizeof(a)));
  ASSERT_OK(listen(l, 0));
  socklen_t len = sizeof(a);
  ASSERT_OK(getsockname(l, (struct sockaddr*) &a, &len));
  int c = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_OK(connect(c, (struct sockaddr*) &a, sizeof(a)));
  fds[0] = l;
  fds[1] = c;
  return ntohs(a.sin_port);
}

static void on_conn(uv_stream_t* server, int status) {
  (void) server;
  (void) status;
}

/* A libuv listener on ip:p (never accepts; connects still complete). */
static void listen_on(uv_loop_t* loop, uv_tcp_t* srv, const char* ip, int p) {
  struct sockaddr_in a;
  ASSERT_OK(uv_ip4_addr(ip, p, &a));
  ASSERT_OK(uv_tcp_init(loop, srv));
  ASSERT_OK(uv_tcp_bind(srv, (struct sockaddr*) &a, 0));
  ASSERT_OK(uv_listen((uv_stream_t*) srv, 8, on_conn));
}

/* Only the slow address (whose SYN is never answered) may time out: a
 * refusal or a connect on loopback must always come first, even when a
 * loaded machine leaves the process unscheduled for a while (libuv runs
 * due timers before it polls, so a short timeout would win that race). */
#define ATTEMPT_TIMEOUT 1000

static void run(uv_loop_t* loop, const lode__he_addr_t* addrs, size_t n,
                const lode_block_list_t* bl) {
  lode__autoselect_opts_t o = { .addrs = addrs,
                                .naddrs = n,
                                .port = port,
                                .attempt_timeout = ATTEMPT_TIMEOUT,
                                .block_list = bl,
                                .attempted = &attempted };
  ASSERT_OK(lode__autoselect_start(loop, &o, &cbs, NULL, &engine));
}

static void reset(void) {
  test_trace_reset();
  free(attempted);
  attempted = NULL;
  won = -1;
}

TEST(order_like_node) {
  lode__he_addr_t in[] = {
    { "127.0.0.2", 4 }, { "::1", 6 },   { "127.0.0.3", 4 }, { "127.0.0.2", 4 },
    { "fe80::1", 6 },   { "bogus", 4 }, { "1.2.3.4", 5 },   { "10.0.0.1", 4 },
  };
  lode__he_addr_t out[8];
  int n = lode__autoselect_order(in, 8, out);
  ASSERT_EQ(n, 5);
  const char* want[] = { "127.0.0.2", "::1", "127.0.0.3", "fe80::1",
                         "10.0.0.1" };
  for (int i = 0; i < n; i++)
    ASSERT_STR_EQ(out[i].ip, want[i]);
  lode__he_addr_t v6first[] = {
    { "::1", 6 }, { "1.1.1.1", 4 }, { "2.2.2.2", 4 }, { "::2", 6 }
  };
  ASSERT_EQ(lode__autoselect_order(v6first, 4, out), 4);
  ASSERT_STR_EQ(out[0].ip, "::1");
  ASSERT_STR_EQ(out[1].ip, "1.1.1.1");
  ASSERT_STR_EQ(out[2].ip, "::2");
  ASSERT_STR_EQ(out[3].ip, "2.2.2.2");
  ASSERT_EQ(lode__autoselect_order(in + 5, 1, out), 0);
}

TEST(all_refused_aggregate) {
  uv_loop_t loop;
  int keep;
  ASSERT_OK(uv_loop_init(&loop));
  reset();
  port = refusing_port(&keep);
  lode__he_addr_t a[] = { { "127.0.0.2", 4 },
                          { "::1", 6 },
                          { "127.0.0.3", 4 } };
  run(&loop, a, 3, NULL);
  test_run_loop(&loop, 10000);
  char want[1024];
  snprintf(want, sizeof(want),
           "attempt 127.0.0.2 4,failed 127.0.0.2 4 connect ECONNREFUSED "
           "127.0.0.2:%d,attempt ::1 6,failed ::1 6 connect ECONNREFUSED "
           "::1:%d,attempt 127.0.0.3 4,failed 127.0.0.3 4 connect "
           "ECONNREFUSED 127.0.0.3:%d,error ECONNREFUSED \"\","
           "[ECONNREFUSED|connect ECONNREFUSED 127.0.0.2:%d|connect|"
           "127.0.0.2|%d],[ECONNREFUSED|connect ECONNREFUSED ::1:%d|connect|"
           "::1|%d],[ECONNREFUSED|connect ECONNREFUSED 127.0.0.3:%d|connect|"
           "127.0.0.3|%d]",
           port, port, port, port, port, port, port, port, port);
  ASSERT_TRACE(want);
  snprintf(want, sizeof(want), "127.0.0.2:%d,::1:%d,127.0.0.3:%d", port, port,
           port);
  ASSERT_STR_EQ(attempted, want);
  close(keep);
  test_loop_close(&loop);
  reset();
}

TEST(slow_then_connected) {
  uv_loop_t loop;
  uv_tcp_t srv;
  int fds[2];
  ASSERT_OK(uv_loop_init(&loop));
  reset();
  port = slow_port(fds);
  listen_on(&loop, &srv, "127.0.0.2", port);
  lode__he_addr_t a[] = { { "127.0.0.1", 4 }, { "127.0.0.2", 4 } };
  run(&loop, a, 2, NULL);
  /* The listener keeps the loop alive: run until the engine is done. */
  for (int i = 0; i < 1000 && won < 0; i++)
    uv_run(&loop, UV_RUN_ONCE);
  ASSERT_TRACE(
      "attempt 127.0.0.1 4,timeout 127.0.0.1 4,"
      "attempt 127.0.0.2 4,done");
  char want[64];
  snprintf(want, sizeof(want), "127.0.0.1:%d,127.0.0.2:%d", port, port);
  ASSERT_STR_EQ(attempted, want);
  /* The descriptor is the connected socket, ready for uv_tcp_open. */
  uv_tcp_t c;
  ASSERT_OK(uv_tcp_init(&loop, &c));
  ASSERT_OK(uv_tcp_open(&c, won));
  struct sockaddr_storage peer;
  int len = sizeof(peer);
  ASSERT_OK(uv_tcp_getpeername(&c, (struct sockaddr*) &peer, &len));
  char ip[64];
  uv_ip4_name((struct sockaddr_in*) &peer, ip, sizeof(ip));
  ASSERT_STR_EQ(ip, "127.0.0.2");
  uv_close((uv_handle_t*) &c, NULL);
  uv_close((uv_handle_t*) &srv, NULL);
  test_run_loop(&loop, 5000);
  close(fds[0]);
  close(fds[1]);
  test_loop_close(&loop);
  reset();
}

TEST(slow_then_refused) {
  uv_loop_t loop;
  int fds[2];
  ASSERT_OK(uv_loop_init(&loop));
  reset();
  port = slow_port(fds);
  lode__he_addr_t a[] = { { "127.0.0.1", 4 }, { "127.0.0.3", 4 } };
  run(&loop, a, 2, NULL);
  test_run_loop(&loop, 10000);
  char want[1024];
  snprintf(want, sizeof(want),
           "attempt 127.0.0.1 4,timeout 127.0.0.1 4,attempt 127.0.0.3 4,"
           "failed 127.0.0.3 4 connect ECONNREFUSED 127.0.0.3:%d,"
           "error ETIMEDOUT \"\",[ETIMEDOUT|connect ETIMEDOUT 127.0.0.1:%d|"
           "connect|127.0.0.1|%d],[ECONNREFUSED|connect ECONNREFUSED "
           "127.0.0.3:%d|connect|127.0.0.3|%d]",
           port, port, port, port, port);
  ASSERT_TRACE(want);
  close(fds[0]);
  close(fds[1]);
  test_loop_close(&loop);
  reset();
}

TEST(blocked_address_skipped) {
  uv_loop_t loop;
  uv_tcp_t srv;
  int keep;
  ASSERT_OK(uv_loop_init(&loop));
  reset();
  port = refusing_port(&keep);
  close(keep);
  listen_on(&loop, &srv, "127.0.0.2", port);
  lode_block_list_t* bl;
  ASSERT_OK(lode_block_list_new(&bl));
  ASSERT_OK(lode_block_list_add_address(bl, "127.0.0.1", NULL));
  lode__he_addr_t a[] = { { "127.0.0.1", 4 }, { "127.0.0.2", 4 } };
  run(&loop, a, 2, bl);
  lode_block_list_release(bl); /* the engine holds its own reference */
  for (int i = 0; i < 1000 && won < 0; i++)
    uv_run(&loop, UV_RUN_ONCE);
  ASSERT_TRACE(
      "failed 127.0.0.1 4 IP(127.0.0.1) is blocked by "
      "net.BlockList,attempt 127.0.0.2 4,done");
  char want[64];
  snprintf(want, sizeof(want), "127.0.0.2:%d", port);
  ASSERT_STR_EQ(attempted, want);
  close(won);
  uv_close((uv_handle_t*) &srv, NULL);
  test_run_loop(&loop, 5000);
  test_loop_close(&loop);
  reset();
}

TEST(cancel_inside_attempt) {
  uv_loop_t loop;
  int keep;
  ASSERT_OK(uv_loop_init(&loop));
  reset();
  port = refusing_port(&keep);
  cancel_on_attempt = 1;
  lode__he_addr_t a[] = { { "127.0.0.2", 4 }, { "127.0.0.3", 4 } };
  run(&loop, a, 2, NULL);
  test_run_loop(&loop, 5000);
  cancel_on_attempt = 0;
  ASSERT_TRACE("attempt 127.0.0.2 4");
  close(keep);
  test_loop_close(&loop);
  reset();
}

TEST_MAIN(order_like_node, all_refused_aggregate, slow_then_connected,
          slow_then_refused, blocked_address_skipped, cancel_inside_attempt)
