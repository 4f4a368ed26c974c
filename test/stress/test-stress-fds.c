/* Descriptor exhaustion: the server's process runs under a low
 * RLIMIT_NOFILE and a client process opens connections one after another,
 * keeping each, until the server's accepts fail with EMFILE (libuv sheds
 * those connections with its reserve descriptor). The connections it did
 * accept are served, the shed ones are closed, and once the client lets go
 * and the server's descriptors are free, the same listener serves again.
 *
 * The client is a forked process, not a thread: a thread of the server's
 * process opening descriptors could take the one libuv frees for its
 * EMFILE trick, and libuv would then spin on accept. */
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include "stress.h"

#define ROOM 24 /* descriptors the server may open beyond its start */
#define SHED 3  /* the client stops after this many shed connections */

static const char get[] = "GET / HTTP/1.1\r\nHost: h\r\n\r\n";

/* One request on a kept connection: 200 when served, 0 when shed. */
static int ask(int fd) {
  stress_send(fd, get, strlen(get));
  char buf[512];
  size_t len = 0;
  ssize_t r;
  do {
    if (stress_poll(fd, POLLIN, 10000) == 0)
      _exit(3);
    r = recv(fd, buf + len, sizeof(buf) - len, 0);
  } while (r > 0 && memmem(buf, len += (size_t) r, "\r\n\r\nok", 6) == NULL);
  return r > 0 ? stress_status(buf, len) : 0;
}

static void read_exact(int fd, void* buf, size_t n) {
  ASSERT(stress_poll(fd, POLLIN, 20000) != 0);
  ASSERT_EQ(read(fd, buf, n), (ssize_t) n);
}

/* The client process: once the server listens, reports "served shed",
 * waits for the word that the server's descriptors are free, reports the
 * status of one more request. */
static void client(int port, int from_parent, int to_parent) {
  int fds[1024], n = 0, counts[2] = { 0, 0 };
  char go;
  if (stress_poll(from_parent, POLLIN, 20000) == 0 ||
      read(from_parent, &go, 1) != 1)
    _exit(1);
  while (counts[1] < SHED && n < 1024) {
    fds[n] = stress_connect(port);
    if (fds[n] < 0)
      _exit(2);
    int st = ask(fds[n++]);
    if (st != 0 && st != 200)
      _exit(4);
    counts[st == 0]++;
  }
  for (int i = 0; i < n; i++)
    close(fds[i]);
  if (write(to_parent, counts, sizeof(counts)) != sizeof(counts))
    _exit(5);
  if (stress_poll(from_parent, POLLIN, 20000) == 0 ||
      read(from_parent, &go, 1) != 1)
    _exit(6);
  int fd = stress_connect(port);
  int last = fd >= 0 ? ask(fd) : -1;
  if (write(to_parent, &last, sizeof(last)) != sizeof(last))
    _exit(7);
  _exit(0);
}

TEST(emfile) {
  int listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_in a = { .sin_family = AF_INET };
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t alen = sizeof(a);
  ASSERT_OK(bind(listen_fd, (struct sockaddr*) &a, sizeof(a)));
  ASSERT_OK(getsockname(listen_fd, (struct sockaddr*) &a, &alen));
  int down[2], up[2];
  ASSERT_OK(pipe2(down, O_CLOEXEC));
  ASSERT_OK(pipe2(up, O_CLOEXEC));
  fflush(stdout);
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    close(listen_fd);
    client(ntohs(a.sin_port), down[0], up[1]);
  }
  close(down[0]);
  close(up[1]);

  stress_server_t s;
  stress_server_start(&s, NULL, listen_fd);
  int start = stress_fd_count();
  struct rlimit was, low;
  ASSERT_OK(getrlimit(RLIMIT_NOFILE, &was));
  low = was;
  /* A new descriptor is the lowest free number, below the limit. */
  low.rlim_cur = (rlim_t) (start + 3 + ROOM);
  ASSERT_OK(setrlimit(RLIMIT_NOFILE, &low));
  ASSERT_EQ(write(down[1], "g", 1), 1);

  int counts[2], last;
  read_exact(up[0], counts, sizeof(counts));
  printf("%d connections served, %d shed at EMFILE\n", counts[0], counts[1]);
  ASSERT_GT(counts[0], 0);
  ASSERT_EQ(counts[1], SHED);
  /* The client has closed all: the server lets go of its descriptors. */
  stress_wait_fds(start, 20000);
  ASSERT_EQ(write(down[1], "g", 1), 1);
  read_exact(up[0], &last, sizeof(last));
  ASSERT_EQ(last, 200);
  int status;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  ASSERT_OK(setrlimit(RLIMIT_NOFILE, &was));
  ASSERT_EQ(atomic_load(&s.requests), counts[0] + 1);
  stress_server_stop(&s);
  close(down[1]);
  close(up[0]);
}

TEST_MAIN(emfile)
