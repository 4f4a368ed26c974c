/* The harness behind test.h: one child process per test, with a limit. */
#include "test.h"

#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define TEST_LIMIT_S 60

static char trace_buf[16384];
static size_t trace_len;

/* Peers still running; killed if the test fails or exits, so that no
 * process of ours outlives the test. */
struct test_peer_s {
  pid_t pid;
  int out;
  char buf[8192];
  size_t len;
  test_peer_t* next;
};
static test_peer_t* peers;

static void kill_peers(void) {
  for (test_peer_t* p = peers; p != NULL; p = p->next)
    if (p->pid > 0)
      kill(p->pid, SIGKILL);
}

void test_fail(const char* file, int line, const char* fmt, ...) {
  va_list ap;
  fprintf(stderr, "%s:%d: ", file, line);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fprintf(stderr, "\n");
  if (trace_len > 0)
    fprintf(stderr, "trace: %s\n", trace_buf);
  kill_peers();
  fflush(stderr);
  _exit(1);
}

const char* test_escape(const void* p, size_t n) {
  static char bufs[2][4096];
  static int which;
  char* out = bufs[which ^= 1];
  const unsigned char* s = p;
  size_t o = 0;
  out[o++] = '"';
  for (size_t i = 0; i < n && o + 8 < sizeof(bufs[0]); i++) {
    if (s[i] == '\r') {
      out[o++] = '\\';
      out[o++] = 'r';
    } else if (s[i] == '\n') {
      out[o++] = '\\';
      out[o++] = 'n';
    } else if (s[i] == '"' || s[i] == '\\') {
      out[o++] = '\\';
      out[o++] = s[i];
    } else if (s[i] < 0x20 || s[i] >= 0x7f)
      o += (size_t) snprintf(out + o, 5, "\\x%02x", s[i]);
    else
      out[o++] = (char) s[i];
  }
  out[o++] = '"';
  out[o] = '\0';
  return out;
}

const char* test_date_x(const char* in, size_t n, char* out, size_t cap) {
  static const char name[] = "\r\nDate: ";
  const size_t nl = sizeof(name) - 1;
  size_t o = 0, i = 0;
  while (i < n) {
    if (n - i >= nl && memcmp(in + i, name, nl) == 0) {
      if (o + nl + 1 >= cap)
        break;
      memcpy(out + o, name, nl);
      out[o + nl] = 'X';
      o += nl + 1;
      for (i += nl; i < n && in[i] != '\r'; i++) {
      }
    } else {
      if (o + 1 >= cap)
        break;
      out[o++] = in[i++];
    }
  }
  out[o] = '\0';
  return out;
}

void test_trace(const char* fmt, ...) {
  va_list ap;
  if (trace_len > 0 && trace_len + 1 < sizeof(trace_buf))
    trace_buf[trace_len++] = ',';
  va_start(ap, fmt);
  int n = vsnprintf(trace_buf + trace_len, sizeof(trace_buf) - trace_len, fmt,
                    ap);
  va_end(ap);
  if (n > 0)
    trace_len += (size_t) n;
  if (trace_len >= sizeof(trace_buf))
    trace_len = sizeof(trace_buf) - 1;
}

const char* test_trace_get(void) {
  return trace_buf;
}

void test_trace_reset(void) {
  trace_len = 0;
  trace_buf[0] = '\0';
}

static void on_deadline(uv_timer_t* t) {
  test_fail(__FILE__, __LINE__, "the loop did not finish in time");
}

void test_run_loop(uv_loop_t* loop, unsigned ms) {
  uv_timer_t deadline;
  uv_timer_init(loop, &deadline);
  uv_timer_start(&deadline, on_deadline, ms, 0);
  uv_unref((uv_handle_t*) &deadline);
  uv_run(loop, UV_RUN_DEFAULT);
  uv_close((uv_handle_t*) &deadline, NULL);
  uv_run(loop, UV_RUN_NOWAIT);
}

static void report_open(uv_handle_t* h, void* arg) {
  int* n = arg;
  if (uv_is_closing(h))
    return;
  fprintf(stderr, "open handle: %s%s\n", uv_handle_type_name(h->type),
          uv_has_ref(h) ? "" : " (unref'd)");
  (*n)++;
}

void test_loop_close(uv_loop_t* loop) {
  int open = 0;
  uv_run(loop, UV_RUN_NOWAIT);
  uv_walk(loop, report_open, &open);
  if (open)
    test_fail(__FILE__, __LINE__, "%d handles left open", open);
  uv_run(loop, UV_RUN_DEFAULT);
  int rc = uv_loop_close(loop);
  if (rc != 0)
    test_fail(__FILE__, __LINE__, "uv_loop_close: %s", uv_strerror(rc));
}

/* The n-th number (from 0) in a /proc/sys file; fails the test if the
 * file cannot be read. */
static size_t sysctl_field(const char* path, int n) {
  FILE* f = fopen(path, "r");
  if (f == NULL)
    test_fail(__FILE__, __LINE__, "%s: %s", path, strerror(errno));
  unsigned long v = 0;
  for (int i = 0; i <= n; i++)
    if (fscanf(f, "%lu", &v) != 1)
      test_fail(__FILE__, __LINE__, "%s: no field %d", path, n);
  fclose(f);
  return v;
}

static size_t max_size(size_t a, size_t b) {
  return a > b ? a : b;
}

size_t test_loopback_capacity(void) {
  size_t snd = max_size(sysctl_field("/proc/sys/net/ipv4/tcp_wmem", 2),
                        2 * sysctl_field("/proc/sys/net/core/wmem_max", 0));
  size_t rcv = max_size(sysctl_field("/proc/sys/net/ipv4/tcp_rmem", 2),
                        2 * sysctl_field("/proc/sys/net/core/rmem_max", 0));
  return snd + rcv;
}

size_t __sanitizer_get_current_allocated_bytes(void) __attribute__((weak));

size_t test_heap_in_use(void) {
  if (__sanitizer_get_current_allocated_bytes != NULL)
    return __sanitizer_get_current_allocated_bytes();
  struct mallinfo2 m = mallinfo2();
  return m.uordblks + m.hblkhd;
}

int test_have_ipv6(void) {
  int fd = socket(AF_INET6, SOCK_STREAM, 0);
  if (fd < 0)
    return 0;
  struct sockaddr_in6 a = { .sin6_family = AF_INET6,
                            .sin6_addr = IN6ADDR_LOOPBACK_INIT };
  int ok = bind(fd, (struct sockaddr*) &a, sizeof(a)) == 0;
  close(fd);
  return ok;
}

void test_skip(const char* why) {
  fprintf(stderr, "skipped: %s\n", why);
  kill_peers();
  fflush(stderr);
  _exit(TEST_SKIP_CODE);
}

const char* test_src_path(const char* rel) {
  static char path[4096];
  const char* dir = getenv("LODE_SOURCE_DIR");
  snprintf(path, sizeof(path), "%s/%s", dir ? dir : ".", rel);
  return path;
}

test_peer_t* test_peer_start(const char* const* argv) {
  int fds[2];
  if (pipe(fds) != 0)
    test_fail(__FILE__, __LINE__, "pipe: %s", strerror(errno));
  const char* args[64];
  size_t n = 0;
  for (; argv[n] != NULL && n < 63; n++) {
    const char* a = argv[n];
    if (strncmp(a, "test/", 5) == 0 || strncmp(a, "bench/", 6) == 0)
      a = strdup(test_src_path(a));
    args[n] = a;
  }
  args[n] = NULL;
  fflush(stdout);
  fflush(stderr);
  pid_t pid = fork();
  if (pid < 0)
    test_fail(__FILE__, __LINE__, "fork: %s", strerror(errno));
  if (pid == 0) {
    dup2(fds[1], 1);
    close(fds[0]);
    close(fds[1]);
    execvp(args[0], (char* const*) args);
    fprintf(stderr, "exec %s: %s\n", args[0], strerror(errno));
    _exit(127);
  }
  for (size_t i = 0; i < n; i++)
    if (args[i] != argv[i])
      free((void*) args[i]);
  close(fds[1]);
  test_peer_t* p = calloc(1, sizeof(*p));
  p->pid = pid;
  p->out = fds[0];
  p->next = peers;
  peers = p;
  return p;
}

static int wait_readable(int fd, unsigned ms) {
  struct pollfd pfd = { .fd = fd, .events = POLLIN };
  int r;
  do
    r = poll(&pfd, 1, (int) ms);
  while (r < 0 && errno == EINTR);
  return r > 0;
}

void test_peer_line(test_peer_t* p, char* buf, size_t size, unsigned ms) {
  for (;;) {
    char* nl = memchr(p->buf, '\n', p->len);
    if (nl != NULL) {
      size_t l = (size_t) (nl - p->buf);
      snprintf(buf, size, "%.*s", (int) l, p->buf);
      memmove(p->buf, nl + 1, p->len - l - 1);
      p->len -= l + 1;
      return;
    }
    if (p->len == sizeof(p->buf) || !wait_readable(p->out, ms))
      test_fail(__FILE__, __LINE__, "peer %d wrote no line", (int) p->pid);
    ssize_t r = read(p->out, p->buf + p->len, sizeof(p->buf) - p->len);
    if (r <= 0)
      test_fail(__FILE__, __LINE__, "peer %d closed its output", (int) p->pid);
    p->len += (size_t) r;
  }
}

int test_peer_port(test_peer_t* p) {
  char line[256];
  test_peer_line(p, line, sizeof(line), 10000);
  const char* colon = strrchr(line, ':');
  if (strncmp(line, "listening on ", 13) != 0 || colon == NULL)
    test_fail(__FILE__, __LINE__, "peer said: %s", line);
  return atoi(colon + 1);
}

static void unlink_peer(test_peer_t* p) {
  for (test_peer_t** pp = &peers; *pp != NULL; pp = &(*pp)->next)
    if (*pp == p) {
      *pp = p->next;
      break;
    }
  close(p->out);
  free(p);
}

int test_peer_finish(test_peer_t* p, unsigned ms, char** out) {
  size_t cap = p->len + 4096, len = p->len;
  char* all = malloc(cap);
  memcpy(all, p->buf, len);
  struct timespec t0, t;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  int status = 0, killed = 0;
  for (;;) {
    clock_gettime(CLOCK_MONOTONIC, &t);
    long spent = (t.tv_sec - t0.tv_sec) * 1000 +
                 (t.tv_nsec - t0.tv_nsec) / 1000000;
    if (spent >= (long) ms) {
      kill(p->pid, SIGKILL);
      killed = 1;
      break;
    }
    if (!wait_readable(p->out, (unsigned) (ms - (unsigned long) spent)))
      continue;
    if (cap - len < 4096)
      all = realloc(all, cap *= 2);
    ssize_t r = read(p->out, all + len, cap - len - 1);
    if (r < 0 && errno == EINTR)
      continue;
    if (r <= 0)
      break;
    len += (size_t) r;
  }
  waitpid(p->pid, &status, 0);
  all[len] = '\0';
  if (out != NULL)
    *out = all;
  else
    free(all);
  unlink_peer(p);
  if (killed || !WIFEXITED(status))
    return -1;
  return WEXITSTATUS(status);
}

void test_peer_kill(test_peer_t* p) {
  int status;
  kill(p->pid, SIGTERM);
  waitpid(p->pid, &status, 0);
  unlink_peer(p);
}

static int run_one(const test_case_t* c) {
  fflush(stdout);
  pid_t pid = fork();
  if (pid < 0)
    return -1;
  if (pid == 0) {
    signal(SIGPIPE, SIG_IGN);
    alarm(TEST_LIMIT_S);
    c->fn();
    kill_peers();
    fflush(stdout);
    exit(0);
  }
  int status;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status))
    return WEXITSTATUS(status);
  fprintf(stderr, "%s: killed by signal %d%s\n", c->name, WTERMSIG(status),
          WTERMSIG(status) == SIGALRM ? " (time limit)" : "");
  return 128 + WTERMSIG(status);
}

int test_run_all(int argc, char** argv, const test_case_t* cases, size_t n) {
  if (argc > 1) {
    for (size_t i = 0; i < n; i++)
      if (strcmp(cases[i].name, argv[1]) == 0) {
        signal(SIGPIPE, SIG_IGN);
        cases[i].fn();
        kill_peers();
        return 0;
      }
    fprintf(stderr, "no test named %s\n", argv[1]);
    return 2;
  }
  size_t failed = 0, skipped = 0;
  for (size_t i = 0; i < n; i++) {
    int rc = run_one(&cases[i]);
    printf("%s %s\n",
           rc == 0                ? "ok  "
           : rc == TEST_SKIP_CODE ? "skip"
                                  : "FAIL",
           cases[i].name);
    if (rc == TEST_SKIP_CODE)
      skipped++;
    else if (rc != 0)
      failed++;
  }
  printf("%zu passed, %zu failed, %zu skipped\n", n - failed - skipped, failed,
         skipped);
  /* A skip shows in ctest's summary (SKIP_RETURN_CODE), unless something
   * failed. */
  return failed ? 1 : skipped ? TEST_SKIP_CODE : 0;
}
