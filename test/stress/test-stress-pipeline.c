/* A pipelining flood: one client writes 100,000 requests back to back and
 * does not read the responses. The server must stop reading once its
 * answers pile up (Node's socket._paused: the write queue over the
 * highWaterMark), so what it holds stays bounded and the client soon cannot
 * write more; when the client then reads, every request is answered.
 *
 * Socket buffers are made small on both sides so that the kernel does not
 * swallow the whole flood. The flood's first phase ends when the client
 * cannot write and the server has stopped taking requests (no progress for
 * 300 ms); should a slow machine end it early, the bounds still hold. */
#include "stress.h"

#define N 100000
/* The most a connection may hold queued when a request arrives: the
 * highWaterMark (16 KiB) plus what one read of requests answers before the
 * pause takes effect, with room to spare. Unbounded would be ~8 MB. */
#define MAX_QUEUED (512 * 1024)

static const char req[] = "GET / HTTP/1.1\r\nHost: h\r\n\r\n";

/* Writes from the flood at *sent; returns how many bytes went. */
static size_t push(int fd, size_t* sent, size_t total) {
  static char flood[64 * (sizeof(req) - 1)];
  if (flood[0] == 0)
    for (size_t i = 0; i < 64; i++)
      memcpy(flood + i * (sizeof(req) - 1), req, sizeof(req) - 1);
  size_t went = 0;
  while (*sent < total) {
    size_t at = *sent % sizeof(flood);
    size_t n = sizeof(flood) - at;
    if (n > total - *sent)
      n = total - *sent;
    ssize_t r = send(fd, flood + at, n, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (r < 0 && errno == EINTR)
      continue;
    if (r < 0) {
      ASSERT(errno == EAGAIN || errno == EWOULDBLOCK);
      break;
    }
    *sent += (size_t) r;
    went += (size_t) r;
  }
  return went;
}

TEST(pipeline_flood) {
  stress_server_t s;
  stress_server_start(&s, NULL, stress_small_listener());
  int fd = stress_connect_small(s.port);
  size_t total = N * (sizeof(req) - 1), sent = 0;

  /* Phase 1: write, never read, until neither side moves. */
  long deadline = stress_now_ms() + 30000;
  long seen = -1;
  for (;;) {
    ASSERT_LT(stress_now_ms(), deadline);
    push(fd, &sent, total);
    if (sent == total)
      break; /* the server took the whole flood: the bounds below fail */
    if (stress_poll(fd, POLLOUT, 300) & POLLOUT)
      continue;
    long now_seen = atomic_load(&s.requests);
    if (now_seen == seen)
      break;
    seen = now_seen;
  }
  size_t queued = atomic_load(&s.max_queued);
  long answered = atomic_load(&s.requests);
  printf(
      "stalled after %zu of %zu bytes, %ld requests taken, at most %zu "
      "bytes queued\n",
      sent, total, answered, queued);
  ASSERT_LT(sent, total / 4);
  ASSERT_LT(answered, N / 4);
  ASSERT_LE(queued, MAX_QUEUED);

  /* Phase 2: read every answer while writing the rest. */
  size_t got = 0, one = 0;
  char buf[65536], first[512];
  while (sent < total || got < one * N || one == 0) {
    ASSERT_LT(stress_now_ms(), deadline);
    if (sent < total)
      push(fd, &sent, total);
    short ev = sent < total ? POLLIN | POLLOUT : POLLIN;
    if (!(stress_poll(fd, ev, 1000) & POLLIN))
      continue;
    ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
      continue;
    ASSERT_GT(n, 0);
    if (one == 0) {
      /* Every answer is the same: the first one's length. */
      size_t keep = sizeof(first) - got < (size_t) n ? sizeof(first) - got
                                                     : (size_t) n;
      memcpy(first + got, buf, keep);
      const char* end = memmem(first, got + keep, "\r\n\r\nok", 6);
      if (end != NULL)
        one = (size_t) (end - first) + 6;
    }
    got += (size_t) n;
  }
  ASSERT_EQ(got, one * N);
  shutdown(fd, SHUT_WR);
  ASSERT_EQ(stress_read_all(fd, buf, sizeof(buf), 10000), 0);
  close(fd);
  ASSERT_EQ(atomic_load(&s.requests), N);
  ASSERT_LE(atomic_load(&s.max_queued), MAX_QUEUED);
  stress_server_stop(&s);
}

TEST_MAIN(pipeline_flood)
