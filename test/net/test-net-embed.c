/* lode inside any libuv program: calls made from the application's own
 * libuv callbacks (a uv_timer, a uv_check) get their deferred events
 * without waiting for some later lode callback; and a write to a peer
 * that reset does not kill a process that left SIGPIPE alone. */
#include <signal.h>
#include <unistd.h>
#include "net-test.h"

/* ---- The peer: a bare libuv server that only reads ---------------------- */

typedef struct peer_s {
  uv_tcp_t listener;
  uv_tcp_t conn;
  int accepted;
  char got[64];
  size_t got_len;
  int events; /* write callbacks + reads seen */
} peer_t;

static peer_t peer;
static lode_socket_t* client;
static int connected;

static void peer_alloc(uv_handle_t* h, size_t hint, uv_buf_t* buf) {
  buf->base = peer.got + peer.got_len;
  buf->len = sizeof(peer.got) - peer.got_len - 1;
}

static void peer_read(uv_stream_t* st, ssize_t n, const uv_buf_t* buf) {
  if (n <= 0)
    return;
  test_trace("peer:%.*s", (int) n, buf->base);
  peer.got_len += (size_t) n;
  peer.events++;
}

static void peer_accept(uv_stream_t* l, int status) {
  ASSERT_OK(status);
  uv_tcp_init(l->loop, &peer.conn);
  ASSERT_OK(uv_accept(l, (uv_stream_t*) &peer.conn));
  peer.accepted = 1;
  uv_read_start((uv_stream_t*) &peer.conn, peer_alloc, peer_read);
}

static int peer_listen(uv_loop_t* loop) {
  struct sockaddr_in sa;
  memset(&peer, 0, sizeof(peer));
  uv_tcp_init(loop, &peer.listener);
  uv_ip4_addr("127.0.0.1", 0, &sa);
  ASSERT_OK(uv_tcp_bind(&peer.listener, (struct sockaddr*) &sa, 0));
  ASSERT_OK(uv_listen((uv_stream_t*) &peer.listener, 8, peer_accept));
  int len = sizeof(sa);
  uv_tcp_getsockname(&peer.listener, (struct sockaddr*) &sa, &len);
  return ntohs(sa.sin_port);
}

static void peer_close(void) {
  if (peer.accepted)
    uv_close((uv_handle_t*) &peer.conn, NULL);
  uv_close((uv_handle_t*) &peer.listener, NULL);
}

/* ---- The lode client ------------------------------------------------------ */

static void c_connect(lode_socket_t* s) {
  connected = 1;
}
static void c_close(lode_socket_t* s, int e) {
  test_trace("close(%d)", e);
}
static const lode_socket_events_t cev = {
  .on_connect = c_connect,
  .on_close = c_close,
};

static void wrote(lode_socket_t* s, int status, void* arg) {
  test_trace("write-cb(%d)", status);
  peer.events++;
}

/* Connects the client to the peer and runs until both sides see it. */
static void connect_client(uv_loop_t* loop) {
  connected = 0;
  client = dial(loop, peer_listen(loop), &cev);
  run_until(loop, &connected, 5000);
  run_until(loop, &peer.accepted, 5000);
  test_trace_reset();
}

static void finish(uv_loop_t* loop) {
  lode_socket_destroy(client, NULL);
  peer_close();
  test_run_loop(loop, 5000);
  test_loop_close(loop);
}

static void from_timer(uv_timer_t* t) {
  int r = lode_socket_write(client, lode_slice_str("T"), wrote, NULL);
  ASSERT_EQ(r, 1);
  uv_close((uv_handle_t*) t, NULL);
}

/* Nothing else happens after the timer: the peer only reads, so no lode
 * callback would come to run the write's callback for it. */
TEST(write_from_user_timer) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  connect_client(&loop);
  uv_timer_t t;
  uv_timer_init(&loop, &t);
  uv_timer_start(&t, from_timer, 1, 0);
  run_until_n(&loop, &peer.events, 2, 5000);
  ASSERT(strstr(test_trace_get(), "write-cb(0)") != NULL);
  ASSERT(strstr(test_trace_get(), "peer:T") != NULL);
  finish(&loop);
}

static void from_check(uv_check_t* c) {
  int r = lode_socket_write(client, lode_slice_str("C"), wrote, NULL);
  ASSERT_EQ(r, 1);
  uv_close((uv_handle_t*) c, NULL);
}

/* The same from a check handle, which runs after libuv's poll: the
 * deferred callback must not wait for the next I/O to end a poll. */
TEST(write_from_user_check) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  connect_client(&loop);
  uv_check_t c;
  uv_check_init(&loop, &c);
  uv_check_start(&c, from_check);
  /* run_until_n's ticker (a plain uv_timer) ends each poll; it runs no
   * lode code, so only lode's own arrangement can run the callback. */
  run_until_n(&loop, &peer.events, 2, 5000);
  ASSERT(strstr(test_trace_get(), "write-cb(0)") != NULL);
  ASSERT(strstr(test_trace_get(), "peer:C") != NULL);
  finish(&loop);
}

/* A write made before the loop runs at all, outside every callback. */
TEST(write_outside_callbacks) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  connect_client(&loop);
  ASSERT_EQ(lode_socket_write(client, lode_slice_str("O"), wrote, NULL), 1);
  run_until_n(&loop, &peer.events, 2, 5000);
  ASSERT(strstr(test_trace_get(), "write-cb(0)") != NULL);
  finish(&loop);
}

/* ---- SIGPIPE ---------------------------------------------------------- */

static lode_server_t* closer;
static uv_timer_t writer;
static int writes;
static int failed; /* the error code */

static void closer_conn(lode_server_t* srv, lode_socket_t* s) {
  lode_socket_destroy(s, NULL); /* FIN; whatever comes later meets RST */
  lode_server_close(srv, NULL, NULL);
}
static const lode_server_events_t closer_ev = { .on_connection = closer_conn };

/* Keeps writing until the kernel refuses: the write after the peer's RST
 * fails with EPIPE, which without SIGPIPE ignored ends the process. */
static void write_again(uv_timer_t* t) {
  if (failed || ++writes > 5000) {
    uv_close((uv_handle_t*) t, NULL);
    return;
  }
  lode_socket_write(client, lode_slice_str("x"), NULL, NULL);
}

static void hp_end(lode_socket_t* s) {
  test_trace("end");
  uv_timer_init(lode_socket_loop(s), &writer);
  uv_timer_start(&writer, write_again, 1, 1);
}
static void hp_error(lode_socket_t* s, const lode_error_t* e) {
  failed = e->code;
  test_trace("error:%s", e->syscall ? e->syscall : "");
}
static const lode_socket_events_t half_open_ev = {
  .on_end = hp_end,
  .on_error = hp_error,
  .on_close = c_close,
};

TEST(sigpipe_write_to_reset_peer) {
  /* A process that never touched SIGPIPE (the harness ignores it). */
  signal(SIGPIPE, SIG_DFL);
  uv_loop_t loop;
  uv_loop_init(&loop);
  int port = serve(&loop, NULL, &closer_ev, &closer);
  struct sigaction sa;
  ASSERT_OK(sigaction(SIGPIPE, NULL, &sa));
  ASSERT(sa.sa_handler == SIG_IGN); /* lode's first loop state did it */
  lode_socket_opts_t o = {
    .host = "127.0.0.1",
    .port = port,
    .allow_half_open = 1,
  };
  ASSERT_OK(lode_net_connect(&loop, &o, &half_open_ev, &client));
  test_run_loop(&loop, 10000);
  ASSERT_TRACE("end,error:write,close(1)");
  ASSERT(failed == UV_EPIPE || failed == UV_ECONNRESET);
  test_loop_close(&loop);
}

static int handled;
static void on_sigpipe(int sig) {
  handled++;
}

/* An application's own disposition stays. */
TEST(sigpipe_handler_kept) {
  signal(SIGPIPE, on_sigpipe);
  uv_loop_t loop;
  uv_loop_init(&loop);
  lode_server_t* srv;
  ASSERT_OK(lode_net_create_server(&loop, NULL, NULL, &srv));
  struct sigaction sa;
  ASSERT_OK(sigaction(SIGPIPE, NULL, &sa));
  ASSERT(sa.sa_handler == on_sigpipe);
  lode_server_close(srv, NULL, NULL);
  test_run_loop(&loop, 5000);
  test_loop_close(&loop);
}

TEST_MAIN(write_from_user_timer, write_from_user_check, write_outside_callbacks,
          sigpipe_write_to_reset_peer, sigpipe_handler_kept)
