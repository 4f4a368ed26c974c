/* The TLS load generator: OpenSSL clients on non-blocking sockets and
 * epoll, against any HTTPS server that answers GET / with "hello world"
 * (and GET /bulk with a large body). Every mode is bounded in count and in
 * time. The client offers one cipher suite and one group (X25519), so
 * every server negotiates the same thing (LOAD_VERBOSE=1 prints what the
 * first connection got).
 *
 *   bench-tls-load hs   PORT VER N SECS CONC [resume]
 *       N connections, CONC at a time: handshake, one GET, close_notify,
 *       close. With "resume" each slot offers the session of its last
 *       connection. Prints "connections seconds resumed".
 *   bench-tls-load ka   PORT VER N SECS CONC
 *       N keep-alive GETs over CONC connections, one in flight on each.
 *       Prints "requests seconds".
 *   bench-tls-load bulk PORT VER BYTES SECS
 *       GET /bulk on one connection, reads BYTES of body. Prints "bytes
 *       seconds".
 *   bench-tls-load idle PORT VER N SECS
 *       Opens N connections (50 at a time, one GET each), prints "ready",
 *       then holds them until SIGTERM or SECS.
 * VER is 1.2 or 1.3. Exit status 1 when a connection failed. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum { M_HS, M_KA, M_BULK, M_IDLE };
enum { S_HANDSHAKE, S_SEND, S_READ, S_IDLE };

typedef struct conn_s {
  int fd;
  SSL* ssl;
  int state;
  SSL_SESSION* sess; /* this slot's last session (resume) */
  char carry[16];    /* the tail of the last read, for split markers */
  size_t carry_len;
  int head_done; /* bulk: the response head has been read */
} conn_t;

static int mode, port, conc, resume;
static long total, started, done, resumed, failed;
static long long bulk_want, bulk_got;
static double deadline;
static int ep;
static SSL_CTX* ctx;
static conn_t* conns;
static const char get_req[] = "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n";
static const char bulk_req[] = "GET /bulk HTTP/1.1\r\nHost: localhost\r\n\r\n";
static volatile sig_atomic_t stop;

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void on_term(int sig) {
  (void) sig;
  stop = 1;
}

static void watch(conn_t* c, int op, uint32_t events) {
  struct epoll_event e = { .events = events, .data.ptr = c };
  epoll_ctl(ep, op, c->fd, &e);
}

static void conn_close(conn_t* c, int clean) {
  if (c->ssl != NULL) {
    if (clean) {
      if (resume && mode == M_HS) {
        SSL_SESSION_free(c->sess);
        c->sess = SSL_get1_session(c->ssl);
      }
      SSL_shutdown(c->ssl); /* close_notify; the peer's is not awaited */
    }
    SSL_free(c->ssl);
    c->ssl = NULL;
  }
  if (c->fd >= 0) {
    close(c->fd); /* also leaves the epoll set */
    c->fd = -1;
  }
}

static int conn_open(conn_t* c) {
  struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  if (c->fd < 0)
    return -1;
  int one = 1;
  setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  if (connect(c->fd, (struct sockaddr*) &a, sizeof(a)) != 0 &&
      errno != EINPROGRESS)
    return -1;
  c->ssl = SSL_new(ctx);
  SSL_set_fd(c->ssl, c->fd);
  SSL_set_connect_state(c->ssl);
  if (c->sess != NULL)
    SSL_set_session(c->ssl, c->sess);
  c->state = S_HANDSHAKE;
  c->carry_len = 0;
  c->head_done = 0;
  if (mode != M_KA)
    started++; /* in ka, started counts requests */
  watch(c, EPOLL_CTL_ADD, EPOLLOUT | EPOLLIN);
  return 0;
}

/* Counts the "hello world" bodies in what was read (a marker may be split
 * between two reads). */
static int count_bodies(conn_t* c, const char* p, size_t n) {
  static const char mark[] = "hello world";
  const size_t m = sizeof(mark) - 1;
  char buf[16384 + 16];
  size_t len = c->carry_len;
  memcpy(buf, c->carry, len);
  memcpy(buf + len, p, n);
  len += n;
  int found = 0;
  size_t i = 0;
  while (len >= m && i <= len - m) {
    char* q = memmem(buf + i, len - i, mark, m);
    if (q == NULL)
      break;
    found++;
    i = (size_t) (q - buf) + m;
  }
  size_t keep = len - i < m - 1 ? len - i : m - 1;
  memcpy(c->carry, buf + len - keep, keep);
  c->carry_len = keep;
  return found;
}

static int more_work(void) {
  return started < total && now() < deadline && !stop;
}

/* The connection's next step after a response. Returns 0 to go on driving
 * it, 1 when it is finished with (closed or idle). */
static int after_response(conn_t* c) {
  done++;
  if (mode == M_KA && more_work()) {
    started++;
    c->state = S_SEND;
    return 0;
  }
  if (mode == M_IDLE) {
    c->state = S_IDLE;
    watch(c, EPOLL_CTL_DEL, 0);
    return 1;
  }
  conn_close(c, 1);
  if (mode == M_HS && more_work())
    conn_open(c);
  return 1;
}

static int on_bulk(conn_t* c, const char* p, size_t n) {
  if (!c->head_done) {
    const char* e = memmem(p, n, "\r\n\r\n", 4);
    if (e == NULL)
      return 0; /* a head longer than one read is not expected */
    c->head_done = 1;
    n -= (size_t) (e + 4 - p);
  }
  bulk_got += (long long) n;
  return bulk_got >= bulk_want;
}

static void fail(conn_t* c, const char* what) {
  if (failed++ == 0) {
    unsigned long e = ERR_get_error();
    fprintf(stderr, "%s: %s\n", what,
            e ? ERR_error_string(e, NULL) : strerror(errno));
  }
  conn_close(c, 0);
  if (mode == M_HS && more_work())
    conn_open(c);
}

/* Runs a connection until OpenSSL wants the socket. */
static void drive(conn_t* c) {
  char buf[16384];
  for (;;) {
    int r, want;
    if (c->state == S_HANDSHAKE) {
      r = SSL_do_handshake(c->ssl);
      if (r == 1) {
        if (SSL_session_reused(c->ssl))
          resumed++;
        static int told;
        if (!told++ && getenv("LOAD_VERBOSE") != NULL)
          fprintf(stderr, "%s %s group %d\n", SSL_get_version(c->ssl),
                  SSL_get_cipher_name(c->ssl),
                  (int) SSL_get_negotiated_group(c->ssl));
        c->state = S_SEND;
        if (mode == M_KA || mode == M_IDLE)
          watch(c, EPOLL_CTL_MOD, EPOLLIN);
        continue;
      }
    } else if (c->state == S_SEND) {
      const char* q = mode == M_BULK ? bulk_req : get_req;
      size_t len = mode == M_BULK ? sizeof(bulk_req) - 1 : sizeof(get_req) - 1;
      r = SSL_write(c->ssl, q, (int) len);
      if (r > 0) {
        c->state = S_READ;
        continue;
      }
    } else if (c->state == S_READ) {
      r = SSL_read(c->ssl, buf, sizeof(buf));
      if (r > 0) {
        if (mode == M_BULK) {
          if (on_bulk(c, buf, (size_t) r)) {
            conn_close(c, 1);
            return;
          }
          continue;
        }
        int n = count_bodies(c, buf, (size_t) r);
        if (n > 0 && after_response(c))
          return;
        continue;
      }
    } else {
      return;
    }
    want = SSL_get_error(c->ssl, r);
    if (want == SSL_ERROR_WANT_READ) {
      watch(c, EPOLL_CTL_MOD, EPOLLIN);
      return;
    }
    if (want == SSL_ERROR_WANT_WRITE) {
      watch(c, EPOLL_CTL_MOD, EPOLLIN | EPOLLOUT);
      return;
    }
    fail(c, c->state == S_HANDSHAKE ? "handshake" : "read/write");
    return;
  }
}

static int active(void) {
  int n = 0;
  for (int i = 0; i < conc; i++)
    n += conns[i].fd >= 0 && conns[i].state != S_IDLE;
  return n;
}

static void run(double secs) {
  struct epoll_event evs[256];
  double hard = now() + secs + 30; /* nothing hangs past this */
  while (active() > 0 && !stop && now() < hard) {
    int n = epoll_wait(ep, evs, 256, 1000);
    for (int i = 0; i < n; i++)
      drive(evs[i].data.ptr);
    if (mode == M_BULK && now() > deadline)
      break;
  }
}

static SSL_CTX* make_ctx(const char* ver) {
  SSL_CTX* c = SSL_CTX_new(TLS_client_method());
  int v13 = strcmp(ver, "1.3") == 0;
  SSL_CTX_set_min_proto_version(c, v13 ? TLS1_3_VERSION : TLS1_2_VERSION);
  SSL_CTX_set_max_proto_version(c, v13 ? TLS1_3_VERSION : TLS1_2_VERSION);
  SSL_CTX_set_ciphersuites(c, "TLS_AES_128_GCM_SHA256");
  SSL_CTX_set_cipher_list(
      c, "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256");
  /* X25519 for the key exchange; P-256 also offered, as TLS 1.2 lets a
   * server use a P-256 certificate only with a client that lists it. */
  SSL_CTX_set1_groups_list(c, "X25519:P-256");
  SSL_CTX_set_verify(c, SSL_VERIFY_NONE, NULL);
  SSL_CTX_set_mode(c, SSL_MODE_RELEASE_BUFFERS);
  /* The client's own session cache is not used: each slot keeps its
   * last session itself. */
  SSL_CTX_set_session_cache_mode(c, SSL_SESS_CACHE_OFF);
  return c;
}

int main(int argc, char** argv) {
  if (argc < 6) {
    fprintf(stderr,
            "usage: bench-tls-load hs|ka|bulk|idle PORT VER N SECS [CONC] "
            "[resume]\n");
    return 2;
  }
  const char* m = argv[1];
  mode = strcmp(m, "hs") == 0     ? M_HS
         : strcmp(m, "ka") == 0   ? M_KA
         : strcmp(m, "bulk") == 0 ? M_BULK
                                  : M_IDLE;
  port = atoi(argv[2]);
  ctx = make_ctx(argv[3]);
  total = atol(argv[4]);
  double secs = atof(argv[5]);
  conc = argc > 6 ? atoi(argv[6]) : 1;
  resume = argc > 7 && strcmp(argv[7], "resume") == 0;
  if (mode == M_BULK) {
    bulk_want = atoll(argv[4]);
    total = 1;
    conc = 1;
  }
  if (mode == M_IDLE)
    conc = (int) total;
  signal(SIGTERM, on_term);
  signal(SIGPIPE, SIG_IGN);
  ep = epoll_create1(0);
  conns = calloc((size_t) conc, sizeof(*conns));
  for (int i = 0; i < conc; i++)
    conns[i].fd = -1;
  double t0 = now();
  deadline = t0 + secs;
  if (mode == M_IDLE) {
    /* 50 at a time, so the server's peak of requests in flight is small
     * and its RSS growth is that of idle connections. */
    for (int i = 0; i < conc && !stop && now() < deadline; i += 50) {
      for (int j = i; j < i + 50 && j < conc; j++)
        conn_open(&conns[j]);
      run(secs);
    }
    printf("ready %ld %ld\n", done, failed);
    fflush(stdout);
    while (!stop && now() < deadline)
      usleep(100000);
    return failed > 0;
  }
  for (int i = 0; i < conc && i < total; i++) {
    if (mode == M_KA)
      started++; /* its first request */
    conn_open(&conns[i]);
  }
  run(secs);
  double t = now() - t0;
  if (mode == M_BULK)
    printf("%lld %.3f\n", bulk_got, t);
  else if (mode == M_HS)
    printf("%ld %.3f %ld\n", done, t, resumed);
  else
    printf("%ld %.3f\n", done, t);
  for (int i = 0; i < conc; i++) {
    conn_close(&conns[i], 0);
    SSL_SESSION_free(conns[i].sess);
  }
  free(conns);
  SSL_CTX_free(ctx);
  return failed > 0;
}
