/* How a connection ends, as the client sees it: the bytes, then the FIN
 * (recv() returns 0) or a reset (ECONNRESET). lode's server closes a
 * connection whose client asked to close, and whose request it has read
 * whole, without a half-close first (the close sends the FIN); where the
 * kernel may still hold bytes the server did not read, it half-closes
 * first, as Node does. Each case runs against Node's http server
 * (test/peers/http-close-fin.js) and lode's, both answering "ok" at once
 * without a Date, and both must end the same way. */
#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/syscall.h>

#include "../stress/stress.h"

/* The server's system calls that the kernel makes unnecessary, counted:
 * these definitions in the program come before libc's for libuv's and
 * lode's calls, and pass each call on. */
static atomic_int nshutdown;
static atomic_int nepoll_del;

int shutdown(int fd, int how) {
  atomic_fetch_add(&nshutdown, 1);
  return (int) syscall(SYS_shutdown, fd, how);
}

int epoll_ctl(int epfd, int op, int fd, struct epoll_event* ev) {
  if (op == EPOLL_CTL_DEL)
    atomic_fetch_add(&nepoll_del, 1);
  return (int) syscall(SYS_epoll_ctl, epfd, op, fd, ev);
}

static void on_request(lode_http_server_t* srv, lode_http_incoming_t* req,
                       lode_http_response_t* res) {
  stress_server_t* s = lode_http_server_get_data(srv);
  (void) req;
  atomic_fetch_add(&s->requests, 1);
  lode_http_response_set_send_date(res, 0);
  lode_http_outgoing_end(res, LODE_SLICE("ok"), NULL, NULL);
}

static const lode_http_server_events_t events = {
  .on_request = on_request,
  .on_listening = stress_on_listening,
  .on_close = stress_on_close,
  .on_error = stress_on_error,
};

/* Reads until the connection ends; appends "|FIN" or "|RST" to the bytes
 * (printable in these cases) in a static buffer. */
static const char* read_to_end(int fd) {
  static char got[4096];
  size_t len = 0;
  long end = stress_now_ms() + 10000;
  for (;;) {
    long left = end - stress_now_ms();
    if (left <= 0 || stress_poll(fd, POLLIN, (int) left) == 0)
      test_fail(__FILE__, __LINE__, "the server kept the connection open");
    char buf[65536];
    ssize_t n = recv(fd, buf, sizeof(buf), 0);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      ASSERT(n == 0 || errno == ECONNRESET);
      snprintf(got + len, sizeof(got) - len, "|%s", n == 0 ? "FIN" : "RST");
      return got;
    }
    ASSERT_LT(len + (size_t) n, sizeof(got) - 8);
    memcpy(got + len, buf, (size_t) n);
    len += (size_t) n;
    got[len] = '\0';
  }
}

/* Sends `head` and then `extra` bytes of `fill` in one send, optionally
 * half-closing, and returns how the connection ended. */
static const char* exchange(int port, const char* head, size_t extra, char fill,
                            int half_close) {
  int fd = stress_connect(port);
  ASSERT_GE(fd, 0);
  size_t hl = strlen(head);
  char* all = malloc(hl + extra);
  ASSERT_NOT_NULL(all);
  memcpy(all, head, hl);
  memset(all + hl, fill, extra);
  stress_send(fd, all, hl + extra);
  free(all);
  if (half_close)
    shutdown(fd, SHUT_WR);
  const char* r = read_to_end(fd);
  close(fd);
  return r;
}

#define GET "GET / HTTP/1.1\r\nHost: h\r\n"
#define OK_CLOSE                                                               \
  "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok"
#define OK_KEEP_ALIVE                                                          \
  "HTTP/1.1 200 OK\r\nConnection: keep-alive\r\n"                              \
  "Keep-Alive: timeout=5\r\nContent-Length: 2\r\n\r\nok"
#define POST_CLOSE(len)                                                        \
  "POST / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n"                        \
  "Content-Length: " len "\r\n\r\n"

typedef struct {
  const char* name;
  const char* head;
  size_t extra;
  char fill;
  int half_close;
  const char* want;
} case_t;

static const case_t cases[] = {
  /* The client asked to close: the answer, then the FIN. */
  { "close", GET "Connection: close\r\n\r\n", 0, 0, 0, OK_CLOSE "|FIN" },
  { "http/1.0", "GET / HTTP/1.0\r\n\r\n", 0, 0, 0,
    "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nok|FIN" },
  /* The client half-closed after a keep-alive request. */
  { "half-closed", GET "\r\n", 0, 0, 1, OK_KEEP_ALIVE "|FIN" },
  /* A request pipelined after the one that closes (read with it). */
  { "pipelined after close", GET "Connection: close\r\n\r\n" GET "\r\n", 0, 0,
    0, OK_CLOSE "|FIN" },
  /* A body the handler did not wait for: part of it, the rest never
   * sent; and all of it (200 KB). */
  { "body partly sent", POST_CLOSE("200000"), 1000, 'x', 0, OK_CLOSE "|FIN" },
  { "body all sent", POST_CLOSE("200000"), 200000, 'x', 0, OK_CLOSE "|FIN" },
  /* More than the server reads after the request that closes (200 KB of
   * bytes that are no request): some stay unread, the close resets. */
  { "more than was read", GET "Connection: close\r\n\r\n", 200000, 'y', 0,
    OK_CLOSE "|RST" },
  /* The same after a keep-alive request: a parse error, then a reset. */
  { "junk after keep-alive", GET "\r\n", 200000, 'z', 0, OK_KEEP_ALIVE "|RST" },
};

TEST(ends_as_node_ends) {
  const char* argv[] = { "node", "test/peers/http-close-fin.js", NULL };
  test_peer_t* node = test_peer_start(argv);
  int node_port = test_peer_port(node);
  stress_server_t s;
  stress_server_start_ev(&s, NULL, -1, &events);
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    const case_t* c = &cases[i];
    char from_node[4096];
    snprintf(from_node, sizeof(from_node), "%s",
             exchange(node_port, c->head, c->extra, c->fill, c->half_close));
    const char* from_lode = exchange(s.port, c->head, c->extra, c->fill,
                                     c->half_close);
    if (strcmp(from_node, c->want) != 0)
      test_fail(__FILE__, __LINE__, "%s: Node's answer %s", c->name,
                test_escape(from_node, strlen(from_node)));
    if (strcmp(from_lode, c->want) != 0)
      test_fail(__FILE__, __LINE__, "%s: lode's answer %s", c->name,
                test_escape(from_lode, strlen(from_lode)));
  }
  stress_server_stop(&s);
  test_peer_kill(node);
}

/* Many connections one after the other, each closed by the server after
 * its answer: descriptors are reused at once (the server closes them
 * itself after the handle), and every client gets its answer and the FIN. */
TEST(descriptor_reuse) {
  stress_server_t s;
  stress_server_start_ev(&s, NULL, -1, &events);
  for (int i = 0; i < 200; i++)
    ASSERT_STR_EQ(exchange(s.port, GET "Connection: close\r\n\r\n", 0, 0, 0),
                  OK_CLOSE "|FIN");
  ASSERT_EQ(atomic_load(&s.requests), 200);
  stress_server_stop(&s);
}

/* A client that asked to close, its request read whole: the server's
 * close sends the FIN, with no shutdown(SHUT_WR) before it, and no
 * epoll_ctl DEL (the close takes the descriptor out of epoll). A body
 * still to come (the answer did not wait for it): the half-close stays. */
TEST(close_alone_sends_the_fin) {
  stress_server_t s;
  stress_server_start_ev(&s, NULL, -1, &events);
  for (int i = 0; i < 20; i++)
    ASSERT_STR_EQ(exchange(s.port, GET "Connection: close\r\n\r\n", 0, 0, 0),
                  OK_CLOSE "|FIN");
  ASSERT_EQ(atomic_load(&nshutdown), 0);
  ASSERT_EQ(atomic_load(&nepoll_del), 0);
  ASSERT_STR_EQ(exchange(s.port, POST_CLOSE("200000"), 1000, 'x', 0),
                OK_CLOSE "|FIN");
  ASSERT_EQ(atomic_load(&nshutdown), 1);
  stress_server_stop(&s);
}

TEST_MAIN(ends_as_node_ends, descriptor_reuse, close_alone_sends_the_fin)
