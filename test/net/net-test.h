/* Helpers shared by the net tests: a listening server on 127.0.0.1, a
 * per-side event trace (client and server events interleave differently
 * from run to run, each side's order does not), and Node's answers from
 * test/peers/addr-oracle.js. */
#ifndef LODE_NET_TEST_H
#define LODE_NET_TEST_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include "lode.h"
#include "test.h"

typedef struct side_trace_s {
  char buf[2048];
  size_t len;
} side_trace_t;

static inline void side(side_trace_t* t, const char* fmt, ...)
    __attribute__((format(printf, 2, 3), unused));
static inline void side(side_trace_t* t, const char* fmt, ...) {
  if (t->len > 0 && t->len + 1 < sizeof(t->buf))
    t->buf[t->len++] = ',';
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(t->buf + t->len, sizeof(t->buf) - t->len, fmt, ap);
  va_end(ap);
  if (n > 0)
    t->len += (size_t) n;
  if (t->len >= sizeof(t->buf))
    t->len = sizeof(t->buf) - 1;
}

/* A port on 127.0.0.1 held by a socket of ours that is bound and never
 * listens (*fd; close it when the test is done): connects to it are
 * refused, and no other test can take it meanwhile, as it could a port
 * bound and released. With reuse_addr (as libuv binds), a client's bind
 * can share it. */
static inline int hold_port(int* fd, int reuse_addr) __attribute__((unused));
static inline int hold_port(int* fd, int reuse_addr) {
  *fd = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(*fd, 0);
  ASSERT_OK(setsockopt(*fd, SOL_SOCKET, SO_REUSEADDR, &reuse_addr,
                       sizeof(reuse_addr)));
  struct sockaddr_in a = { .sin_family = AF_INET };
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_OK(bind(*fd, (struct sockaddr*) &a, sizeof(a)));
  socklen_t len = sizeof(a);
  ASSERT_OK(getsockname(*fd, (struct sockaddr*) &a, &len));
  return ntohs(a.sin_port);
}

/* Skips the test on a machine without IPv6 on loopback. */
static inline void need_ipv6(void) __attribute__((unused));
static inline void need_ipv6(void) {
  if (!test_have_ipv6())
    test_skip("no IPv6 on loopback (::1)");
}

/* Listens on 127.0.0.1:0 and runs the loop until listening; returns the
 * port. */
static inline int listen_local(uv_loop_t* loop, lode_server_t* srv)
    __attribute__((unused));
static inline int listen_local(uv_loop_t* loop, lode_server_t* srv) {
  lode_listen_opts_t lo = { .host = "127.0.0.1" };
  ASSERT_OK(lode_server_listen(srv, &lo, NULL, NULL));
  for (int i = 0; i < 100 && !lode_server_listening(srv); i++)
    uv_run(loop, UV_RUN_NOWAIT);
  lode_net_address_t a;
  ASSERT_OK(lode_server_address(srv, &a));
  return a.port;
}

/* A server with `so`/`sev` listening on 127.0.0.1 (*out); returns its
 * port. */
static inline int serve(uv_loop_t* loop, const lode_server_opts_t* so,
                        const lode_server_events_t* sev, lode_server_t** out)
    __attribute__((unused));
static inline int serve(uv_loop_t* loop, const lode_server_opts_t* so,
                        const lode_server_events_t* sev, lode_server_t** out) {
  ASSERT_OK(lode_net_create_server(loop, so, sev, out));
  return listen_local(loop, *out);
}

/* A client connecting to 127.0.0.1:port with the events `ev`. */
static inline lode_socket_t* dial(uv_loop_t* loop, int port,
                                  const lode_socket_events_t* ev)
    __attribute__((unused));
static inline lode_socket_t* dial(uv_loop_t* loop, int port,
                                  const lode_socket_events_t* ev) {
  lode_socket_t* c;
  lode_socket_opts_t o = { .host = "127.0.0.1", .port = port };
  ASSERT_OK(lode_net_connect(loop, &o, ev, &c));
  return c;
}

static inline void run_until_tick_(uv_timer_t* t) {
  (void) t;
}

/* Runs the loop until *count reaches n, failing after `ms`. A 5 ms
 * ticker keeps uv_run from blocking past the deadline. */
static inline void run_until_n(uv_loop_t* loop, const int* count, int n,
                               unsigned ms) __attribute__((unused));
static inline void run_until_n(uv_loop_t* loop, const int* count, int n,
                               unsigned ms) {
  uint64_t end = uv_hrtime() + (uint64_t) ms * 1000000u;
  uv_timer_t t;
  uv_timer_init(loop, &t);
  uv_timer_start(&t, run_until_tick_, 5, 5);
  while (*count < n) {
    if (uv_hrtime() > end)
      test_fail(__FILE__, __LINE__, "the awaited event did not come");
    uv_run(loop, UV_RUN_ONCE);
  }
  uv_close((uv_handle_t*) &t, NULL);
  uv_run(loop, UV_RUN_NOWAIT);
}
#define run_until(loop, flag, ms) run_until_n((loop), (flag), 1, (ms))

/* Node's answers over one table of test/peers/addr-oracle.js ("isip",
 * "parse", "blocklist"): its whole output (malloc'd), which must end with
 * its "end" line. */
static inline char* addr_oracle(const char* table) {
  const char* argv[] = { "node", "test/peers/addr-oracle.js", table, NULL };
  test_peer_t* p = test_peer_start(argv);
  char* out = NULL;
  ASSERT_EQ(test_peer_finish(p, 30000, &out), 0);
  ASSERT_NOT_NULL(out);
  ASSERT_NOT_NULL(strstr(out, "\nend\n"));
  return out;
}

/* Decodes one of the oracle's hex fields ("-" is the empty string) into
 * buf. */
static inline const char* addr_unhex(const char* h, char* buf, size_t size) {
  size_t n = 0;
  if (strcmp(h, "-") != 0) {
    for (; h[0] && h[1] && n + 1 < size; h += 2) {
      unsigned v;
      sscanf(h, "%2x", &v);
      buf[n++] = (char) v;
    }
  }
  buf[n] = '\0';
  return buf;
}

#endif
