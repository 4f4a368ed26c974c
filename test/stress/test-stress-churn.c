/* Connection churn: thousands of short connections, each ended a hostile
 * way (a reset with SO_LINGER 0 before, during or after the request, a
 * half-close after a whole or a partial head, a reset in the middle of a
 * body). Afterwards the process holds exactly the descriptors it had before
 * (the server let go of every connection), the server still answers, and
 * its loop closes with no handle left. */
#include "stress.h"

#define CYCLES 16000

static const char get[] = "GET / HTTP/1.1\r\nHost: h\r\n\r\n";
static const char partial[] = "GET / HTTP/1.1\r\nHost: h\r\nX-Par";
static const char post[] =
    "POST / HTTP/1.1\r\nHost: h\r\n"
    "Content-Length: 1000\r\n\r\n0123456789";

/* Reads until `n` answers (each ends with the body "ok") have come. */
static void read_answers(int fd, int n) {
  char buf[4096];
  size_t len = 0;
  long end = stress_now_ms() + 10000;
  int seen = 0;
  while (seen < n) {
    ASSERT(stress_poll(fd, POLLIN, (int) (end - stress_now_ms())) != 0);
    ssize_t r = recv(fd, buf + len, sizeof(buf) - len, 0);
    ASSERT_GT(r, 0);
    len += (size_t) r;
    seen = 0;
    for (const char* p = buf;
         (p = memmem(p, len - (size_t) (p - buf), "\r\n\r\nok", 6)) != NULL;
         p += 6)
      seen++;
  }
}

/* How a cycle ends its connection. */
enum { RESET, READ_CLOSE, HALF_CLOSE };

/* Each kind: what the client sends, how many answers it reads, and how
 * it goes. */
static const struct {
  const char* send;
  int answers;
  int end;
} kinds[] = {
  { get, 1, READ_CLOSE },     /* served, then an idle keep-alive closed */
  { get, 0, RESET },          /* reset while the answer may be on its way */
  { partial, 0, RESET },      /* reset in the middle of a head */
  { "", 0, RESET },           /* reset before a byte */
  { get, 0, HALF_CLOSE },     /* half-close after a request: 200, closed */
  { partial, 0, HALF_CLOSE }, /* half-close in a head: 400 or nothing */
  { post, 0, RESET },         /* reset in the middle of a body */
  { get, 2, HALF_CLOSE },     /* two pipelined, both read, half-close */
};
#define NKINDS (sizeof(kinds) / sizeof(kinds[0]))

static void cycle(int port, size_t kind) {
  int fd = stress_connect(port);
  ASSERT_GE(fd, 0);
  for (int i = 0; i < (kinds[kind].answers > 1 ? 2 : 1); i++)
    stress_send(fd, kinds[kind].send, strlen(kinds[kind].send));
  if (kinds[kind].answers > 0)
    read_answers(fd, kinds[kind].answers);
  if (kinds[kind].end == RESET) {
    stress_reset(fd);
    return;
  }
  if (kinds[kind].end == HALF_CLOSE) {
    char buf[512];
    shutdown(fd, SHUT_WR);
    size_t n = stress_read_all(fd, buf, sizeof(buf), 10000);
    if (kinds[kind].send == get && kinds[kind].answers == 0)
      ASSERT_EQ(stress_status(buf, n), 200);
  }
  close(fd);
}

TEST(churn) {
  stress_server_t s;
  stress_server_start(&s, NULL, -1);
  int start = stress_fd_count();
  for (int i = 0; i < CYCLES; i++)
    cycle(s.port, (size_t) i % NKINDS);
  printf("%d cycles, %ld requests\n", CYCLES, atomic_load(&s.requests));
  /* The server sees the last resets and ends asynchronously. */
  stress_wait_fds(start, 20000);
  ASSERT_EQ(stress_exchange(s.port, get, strlen(get)), 200);
  stress_wait_fds(start, 20000);
  stress_server_stop(&s);
}

TEST_MAIN(churn)
