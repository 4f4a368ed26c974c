/* The attack tests' common parts: lode's HTTP server on its own loop in a
 * thread of the test process, and raw blocking sockets on 127.0.0.1 as the
 * hostile clients in the test's main thread (every wait bounded by poll()
 * with a deadline that only fails a hang).
 *
 * By default the server answers every request with 200 "ok" once the
 * request's body has ended (Node's req.on('end', () => res.end('ok'))), and
 * keeps counts the main thread reads: requests seen and the most bytes a
 * connection held queued for writing when a request arrived. */
#ifndef LODE_TEST_STRESS_H
#define LODE_TEST_STRESS_H

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "lode.h"
#include "test.h"

/* ---- The server thread ---- */

typedef struct stress_server_s {
  uv_loop_t loop;
  uv_async_t stop;
  pthread_t thread;
  lode_http_server_t* srv;
  lode_http_server_opts_t opts;
  const lode_http_server_events_t* events;
  int listen_fd; /* a prepared listener, or -1 */
  atomic_int port;
  atomic_long requests;
  atomic_size_t max_queued; /* lode_stream_writable_length at a request */
  atomic_int closed;
} stress_server_t;

static void stress_req_end(lode_http_incoming_t* req) {
  lode_http_response_t* res = lode_http_incoming_get_data(req);
  lode_http_response_set_send_date(res, 0);
  lode_http_outgoing_end(res, LODE_SLICE("ok"), NULL, NULL);
}

static void stress_req_data(lode_http_incoming_t* req, lode_slice_t d) {
}

static void stress_req_close(lode_http_incoming_t* req) {
  lode_http_outgoing_release(lode_http_incoming_get_data(req));
}

static const lode_http_incoming_events_t stress_req_events = {
  .on_data = stress_req_data,
  .on_end = stress_req_end,
  .on_close = stress_req_close,
};

static void stress_on_request(lode_http_server_t* srv,
                              lode_http_incoming_t* req,
                              lode_http_response_t* res) {
  stress_server_t* s = lode_http_server_get_data(srv);
  atomic_fetch_add(&s->requests, 1);
  size_t q = lode_stream_writable_length(lode_http_incoming_socket(req));
  size_t m = atomic_load(&s->max_queued);
  while (q > m && !atomic_compare_exchange_weak(&s->max_queued, &m, q)) {
  }
  lode_http_outgoing_hold(res);
  lode_http_incoming_set_data(req, res);
  lode_http_incoming_set_events(req, &stress_req_events);
}

static void stress_on_listening(lode_http_server_t* srv) {
  stress_server_t* s = lode_http_server_get_data(srv);
  atomic_store(&s->port, lode_http_server_port(srv));
}

static void stress_on_close(lode_http_server_t* srv) {
  stress_server_t* s = lode_http_server_get_data(srv);
  atomic_store(&s->closed, 1);
}

/* Accept errors (EMFILE is shed by libuv) must not stop the listener. */
static void stress_on_error(lode_http_server_t* srv, const lode_error_t* e) {
}

static const lode_http_server_events_t stress_events = {
  .on_request = stress_on_request,
  .on_listening = stress_on_listening,
  .on_close = stress_on_close,
  .on_error = stress_on_error,
};

static void stress_stop_cb(uv_async_t* a) {
  stress_server_t* s = a->data;
  lode_http_server_close(s->srv, NULL, NULL);
  lode_http_server_close_all_connections(s->srv);
  uv_close((uv_handle_t*) a, NULL);
}

static void* stress_thread(void* arg) {
  stress_server_t* s = arg;
  ASSERT_OK(lode_http_create_server(&s->loop, &s->opts, s->events, &s->srv));
  lode_http_server_set_data(s->srv, s);
  if (s->listen_fd >= 0)
    ASSERT_OK(
        lode_http_server_listen_fd(s->srv, s->listen_fd, 511, NULL, NULL));
  else
    ASSERT_OK(lode_http_server_listen(
        s->srv, &(lode_listen_opts_t){ .host = "127.0.0.1", .backlog = 511 },
        NULL, NULL));
  test_run_loop(&s->loop, 55000);
  ASSERT(atomic_load(&s->closed));
  test_loop_close(&s->loop);
  return NULL;
}

static inline long stress_now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (long) t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* Starts the server (opts may be NULL) with the events `ev` (whose
 * on_listening and on_close must be stress_on_listening and
 * stress_on_close) on a fresh port, or on `listen_fd` if it is not -1, and
 * returns once it listens. */
static inline void stress_server_start_ev(stress_server_t* s,
                                          const lode_http_server_opts_t* opts,
                                          int listen_fd,
                                          const lode_http_server_events_t* ev) {
  memset(s, 0, sizeof(*s));
  s->events = ev;
  if (opts != NULL)
    s->opts = *opts;
  s->listen_fd = listen_fd;
  ASSERT_OK(uv_loop_init(&s->loop));
  ASSERT_OK(uv_async_init(&s->loop, &s->stop, stress_stop_cb));
  s->stop.data = s;
  ASSERT_OK(pthread_create(&s->thread, NULL, stress_thread, s));
  long end = stress_now_ms() + 10000;
  while (atomic_load(&s->port) == 0) {
    if (stress_now_ms() > end)
      test_fail(__FILE__, __LINE__, "the server did not listen");
    usleep(1000);
  }
}

/* The same with the default events (200 "ok" at the end of the body). */
static inline void stress_server_start(stress_server_t* s,
                                       const lode_http_server_opts_t* opts,
                                       int listen_fd) {
  stress_server_start_ev(s, opts, listen_fd, &stress_events);
}

/* Closes the server and every connection, and joins its thread (which
 * fails the test if a handle stays open). */
static inline void stress_server_stop(stress_server_t* s) {
  uv_async_send(&s->stop);
  ASSERT_OK(pthread_join(s->thread, NULL));
}

/* ---- Raw clients ---- */

static inline int stress_connect(int port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return -errno;
  struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, (struct sockaddr*) &a, sizeof(a)) != 0) {
    int e = errno;
    close(fd);
    return -e;
  }
  return fd;
}

static inline void stress_send(int fd, const void* buf, size_t len) {
  const char* p = buf;
  while (len > 0) {
    ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return; /* the server may cut a hostile client at any point */
    p += n;
    len -= (size_t) n;
  }
}

/* Waits up to ms for `events` on fd; returns the revents (0: none). */
static inline int stress_poll(int fd, short events, int ms) {
  struct pollfd p = { .fd = fd, .events = events };
  int r;
  while ((r = poll(&p, 1, ms)) < 0 && errno == EINTR) {
  }
  return r > 0 ? p.revents : 0;
}

/* Reads until the server closes (end of stream or reset) into buf (up to
 * cap bytes kept, the rest counted). Returns the byte count; fails the test
 * when the connection stays open for ms. */
static inline size_t stress_read_all(int fd, char* buf, size_t cap, int ms) {
  size_t len = 0;
  long end = stress_now_ms() + ms;
  char scratch[16384];
  for (;;) {
    long left = end - stress_now_ms();
    if (left <= 0 || stress_poll(fd, POLLIN, (int) left) == 0)
      test_fail(__FILE__, __LINE__, "the server kept a connection open");
    char* to = len < cap ? buf + len : scratch;
    size_t room = len < cap ? cap - len : sizeof(scratch);
    ssize_t n = recv(fd, to, room, 0);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return len;
    len += (size_t) n;
  }
}

/* The status code of the first response in buf, or 0 when there is none. */
static inline int stress_status(const char* buf, size_t len) {
  if (len < 12 || memcmp(buf, "HTTP/1.1 ", 9) != 0)
    return 0;
  return atoi(buf + 9);
}

/* Closes with a reset (SO_LINGER 0) instead of a FIN. */
static inline void stress_reset(int fd) {
  struct linger l = { .l_onoff = 1, .l_linger = 0 };
  setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
  close(fd);
}

/* Small kernel buffers (16 KiB asked for), so that a flood meets the
 * server's own limits and not the kernel's. */
static inline void stress_small_buffers(int fd) {
  int size = 16384;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
  setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
}

/* A bound listener (for stress_server_start) whose accepted sockets
 * inherit small buffers. */
static inline int stress_small_listener(void) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(fd, 0);
  stress_small_buffers(fd);
  struct sockaddr_in a = { .sin_family = AF_INET };
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_OK(bind(fd, (struct sockaddr*) &a, sizeof(a)));
  return fd;
}

/* A client with small buffers, connected. */
static inline int stress_connect_small(int port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(fd, 0);
  stress_small_buffers(fd);
  struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_OK(connect(fd, (struct sockaddr*) &a, sizeof(a)));
  return fd;
}

/* Writes `unit` again and again (non-blocking) until `total` bytes went,
 * the server stopped taking them (no room for quiet_ms: it has stopped
 * reading), or the connection failed (the server cut it). Returns the
 * bytes sent. A slow machine ending the flood early only makes it
 * smaller. */
static inline size_t stress_flood(int fd, const char* unit, size_t total,
                                  int quiet_ms) {
  char buf[16384];
  size_t ulen = strlen(unit), sent = 0;
  for (size_t i = 0; i < sizeof(buf); i++)
    buf[i] = unit[i % ulen];
  size_t cycle = sizeof(buf) - sizeof(buf) % ulen;
  while (sent < total) {
    size_t at = sent % ulen, n = cycle - at;
    if (n > total - sent)
      n = total - sent;
    ssize_t r = send(fd, buf + at, n, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (r < 0 && errno == EINTR)
      continue;
    if (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
      break;
    if (r < 0 && !(stress_poll(fd, POLLOUT, quiet_ms) & POLLOUT))
      break;
    if (r > 0)
      sent += (size_t) r;
  }
  return sent;
}

/* One request on a new connection, half-closed after it; the status of
 * the answer (0: none). */
static inline int stress_exchange(int port, const void* req, size_t len) {
  int fd = stress_connect(port);
  ASSERT_GE(fd, 0);
  stress_send(fd, req, len);
  shutdown(fd, SHUT_WR);
  char buf[256];
  size_t n = stress_read_all(fd, buf, sizeof(buf), 10000);
  close(fd);
  return stress_status(buf, n < sizeof(buf) ? n : sizeof(buf));
}

/* Descriptors this process has open; -1 when it has no room to look (at
 * RLIMIT_NOFILE). */
static inline int stress_fd_count(void) {
  DIR* d = opendir("/proc/self/fd");
  if (d == NULL && (errno == EMFILE || errno == ENFILE))
    return -1;
  ASSERT_NOT_NULL(d);
  int n = 0;
  while (readdir(d) != NULL)
    n++;
  closedir(d);
  return n - 3; /* ".", ".." and the directory's own descriptor */
}

/* Waits (bounded) until the process is back to `want` descriptors. */
static inline void stress_wait_fds(int want, int ms) {
  long end = stress_now_ms() + ms;
  int n;
  while ((n = stress_fd_count()) != want) {
    if (stress_now_ms() > end)
      test_fail(__FILE__, __LINE__, "%d descriptors open, %d at the start", n,
                want);
    usleep(200);
  }
}

#endif
