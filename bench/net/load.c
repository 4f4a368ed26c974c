/* The load generator of the net benchmark, on libuv alone so that it
 * treats the lode and the Node server the same way.
 *
 *   bench-net-load pingpong PORT CONNS COUNT [DEPTH]
 *                                             64-byte ping-pong, COUNT
 *                                             round trips over CONNS, with
 *                                             DEPTH (default 1) messages
 *                                             in flight per connection
 *   bench-net-load bulk PORT BYTES            one connection streams BYTES
 *                                             and reads the echo back
 *   bench-net-load idle PORT CONNS            opens CONNS connections, one
 *                                             echoed byte each, prints
 *                                             "ready", holds them until
 *                                             SIGTERM
 * Results go to stdout as "key value" lines, with the generator's own CPU
 * time, so a run shows whether the generator or the server was the limit.
 * LOAD_SPIN=1 polls without sleeping (the generator owns its core): the
 * server's replies then never have to wake it. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <uv.h>

#define MSG 64
#define CHUNK (64 * 1024)
#define IN_FLIGHT (4u << 20)
#define MAX_DEPTH 256

typedef struct conn_s {
  uv_tcp_t tcp;
  uv_connect_t creq;
  size_t got; /* bytes of the current message (pingpong, idle) */
} conn_t;

static uv_loop_t* loop;
static struct sockaddr_in addr;
static conn_t* conns;
static int nconns, connected, ready;
static long long count, done_msgs, sent_msgs;
static int depth = 1;
static unsigned long long bulk_total, bulk_sent, bulk_got;
static uint64_t t_start;
static char msgs[MSG * MAX_DEPTH], chunk[CHUNK], rbuf[CHUNK];
static const char* mode;

static void fail(const char* what, int r) {
  fprintf(stderr, "%s: %s\n", what, uv_strerror(r));
  exit(1);
}

static void on_alloc(uv_handle_t* h, size_t hint, uv_buf_t* b) {
  *b = uv_buf_init(rbuf, sizeof(rbuf));
}

static void on_written(uv_write_t* w, int status) {
  if (status < 0)
    fail("write", status);
  free(w);
}

static void send_bytes(conn_t* c, const char* p, size_t n) {
  uv_buf_t b = uv_buf_init((char*) p, (unsigned) n);
  int sent = uv_try_write((uv_stream_t*) &c->tcp, &b, 1);
  if (sent == (int) n)
    return;
  if (sent > 0)
    b = uv_buf_init((char*) p + sent, (unsigned) (n - sent));
  uv_write_t* w = malloc(sizeof(*w));
  int r = uv_write(w, (uv_stream_t*) &c->tcp, &b, 1, on_written);
  if (r < 0)
    fail("write", r);
}

static double secs(void) {
  return (uv_hrtime() - t_start) / 1e9;
}

static void finish(void) {
  for (int i = 0; i < nconns; i++)
    if (!uv_is_closing((uv_handle_t*) &conns[i].tcp))
      uv_close((uv_handle_t*) &conns[i].tcp, NULL);
}

/* ---- pingpong ----------------------------------------------------------- */

/* The generator's CPU time (user + system) in microseconds. */
static double cpu_us(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e6 + ru.ru_utime.tv_usec +
         ru.ru_stime.tv_usec;
}

static double cpu_start;

static void report(const char* what, double n, double per) {
  double t = secs(), cpu = cpu_us() - cpu_start;
  printf("%s %.0f\nseconds %.3f\n%s %.0f\n", what, n, t,
         strcmp(what, "messages") == 0 ? "msgs_per_sec" : "mib_per_sec",
         per / t);
  printf("load_cpu_us %.0f\nload_cpu_util %.2f\n", cpu, cpu / (t * 1e6));
}

/* Sends up to `k` more messages in one write. */
static void pp_send(conn_t* c, long long k) {
  if (k > count - sent_msgs)
    k = count - sent_msgs;
  if (k <= 0)
    return;
  sent_msgs += k;
  send_bytes(c, msgs, (size_t) k * MSG);
}

static void pp_read(uv_stream_t* s, ssize_t n, const uv_buf_t* b) {
  conn_t* c = (conn_t*) s;
  if (n < 0)
    fail("read", (int) n);
  c->got += (size_t) n;
  long long k = (long long) (c->got / MSG);
  c->got %= MSG;
  done_msgs += k;
  if (done_msgs >= count) {
    report("messages", (double) count, (double) count);
    finish();
    return;
  }
  pp_send(c, k);
}

static void pp_start(void) {
  t_start = uv_hrtime();
  cpu_start = cpu_us();
  for (int i = 0; i < nconns; i++)
    pp_send(&conns[i], depth);
}

/* ---- bulk --------------------------------------------------------------- */

static void bulk_pump(conn_t* c);

static void bulk_written(uv_write_t* w, int status) {
  if (status < 0)
    fail("write", status);
  conn_t* c = w->data;
  free(w);
  bulk_pump(c);
}

static void bulk_pump(conn_t* c) {
  uv_stream_t* s = (uv_stream_t*) &c->tcp;
  while (bulk_sent < bulk_total && s->write_queue_size < IN_FLIGHT) {
    size_t n = bulk_total - bulk_sent < CHUNK ? bulk_total - bulk_sent : CHUNK;
    uv_buf_t b = uv_buf_init(chunk, (unsigned) n);
    uv_write_t* w = malloc(sizeof(*w));
    w->data = c;
    int r = uv_write(w, s, &b, 1, bulk_written);
    if (r < 0)
      fail("write", r);
    bulk_sent += n;
  }
}

static void bulk_read(uv_stream_t* s, ssize_t n, const uv_buf_t* b) {
  if (n < 0)
    fail("read", (int) n);
  bulk_got += (unsigned long long) n;
  if (bulk_got == bulk_total) {
    report("bytes", (double) bulk_total, bulk_total / (1024.0 * 1024.0));
    finish();
  }
}

/* ---- idle --------------------------------------------------------------- */

static uv_signal_t term;
static void on_term(uv_signal_t* h, int sig) {
  finish();
  uv_close((uv_handle_t*) h, NULL);
}

static void idle_read(uv_stream_t* s, ssize_t n, const uv_buf_t* b) {
  if (n < 0)
    fail("read", (int) n);
  conn_t* c = (conn_t*) s;
  if (c->got == 0 && n > 0) {
    c->got = 1;
    if (++ready == nconns) {
      printf("ready %d\n", nconns);
      fflush(stdout);
    }
  }
}

/* ---- common ------------------------------------------------------------- */

static void on_connect(uv_connect_t* req, int status) {
  if (status < 0)
    fail("connect", status);
  conn_t* c = req->data;
  uv_read_cb cb = strcmp(mode, "bulk") == 0   ? bulk_read
                  : strcmp(mode, "idle") == 0 ? idle_read
                                              : pp_read;
  uv_read_start((uv_stream_t*) &c->tcp, on_alloc, cb);
  if (strcmp(mode, "idle") == 0) {
    send_bytes(c, "x", 1);
    return;
  }
  if (++connected < nconns)
    return;
  if (strcmp(mode, "bulk") == 0) {
    t_start = uv_hrtime();
    cpu_start = cpu_us();
    bulk_pump(c);
  } else {
    pp_start();
  }
}

static void open_conns(void) {
  conns = calloc((size_t) nconns, sizeof(*conns));
  for (int i = 0; i < nconns; i++) {
    uv_tcp_init(loop, &conns[i].tcp);
    uv_tcp_nodelay(&conns[i].tcp, 1);
    conns[i].creq.data = &conns[i];
    int r = uv_tcp_connect(&conns[i].creq, &conns[i].tcp,
                           (struct sockaddr*) &addr, on_connect);
    if (r < 0)
      fail("connect", r);
  }
}

int main(int argc, char** argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: %s pingpong|bulk|idle PORT N [COUNT]\n", argv[0]);
    return 2;
  }
  mode = argv[1];
  loop = uv_default_loop();
  uv_ip4_addr("127.0.0.1", atoi(argv[2]), &addr);
  memset(msgs, 'm', sizeof(msgs));
  memset(chunk, 'b', sizeof(chunk));
  if (strcmp(mode, "pingpong") == 0) {
    nconns = atoi(argv[3]);
    count = argc > 4 ? atoll(argv[4]) : 1000000;
    depth = argc > 5 ? atoi(argv[5]) : 1;
    if (depth < 1 || depth > MAX_DEPTH) {
      fprintf(stderr, "DEPTH must be 1..%d\n", MAX_DEPTH);
      return 2;
    }
  } else if (strcmp(mode, "bulk") == 0) {
    nconns = 1;
    bulk_total = strtoull(argv[3], NULL, 10);
  } else {
    nconns = atoi(argv[3]);
    uv_signal_init(loop, &term);
    uv_signal_start(&term, on_term, SIGTERM);
  }
  open_conns();
  const char* spin = getenv("LOAD_SPIN");
  if (spin != NULL && strcmp(spin, "1") == 0)
    while (uv_run(loop, UV_RUN_NOWAIT) != 0) {
    }
  else
    uv_run(loop, UV_RUN_DEFAULT);
  free(conns);
  return 0;
}
