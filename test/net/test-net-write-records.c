/* Write callbacks of writes the kernel takes at once: their records come
 * from a per-loop cache and go back to it after the callback, so these
 * tests write more than the cache holds, from callbacks (while records are
 * being reported), on two sockets one after the other (the second reuses
 * the first one's records), and close a socket with callbacks still to
 * report. Under ASan a record used after its return fails here. And a
 * writer that goes on while write() says yes keeps no copy that
 * writableLength does not count. */
#include "net-test.h"

#define WRITES 300 /* more than the cache keeps (64) */

static lode_server_t* server;
static int srv_port;
static int next_arg, reported, in_write, bad_order, bad_status;
static int closed;

static void sink(lode_socket_t* s, lode_slice_t d) {
}
static const lode_socket_events_t sink_events = { .on_data = sink };

static void w_done(lode_socket_t* s, int status, void* arg);

static void write_one(lode_socket_t* s) {
  in_write = 1;
  int r = lode_socket_write(s, LODE_SLICE("0123456789abcdef"), w_done,
                            (void*) (intptr_t) next_arg++);
  in_write = 0;
  ASSERT_EQ(r, 1);
}

/* In write order, never inside write(), status 0; each writes again
 * until WRITES, so records are taken while others are being reported. */
static void w_done(lode_socket_t* s, int status, void* arg) {
  ASSERT_EQ(in_write, 0);
  if ((int) (intptr_t) arg != reported)
    bad_order++;
  if (status != 0)
    bad_status++;
  reported++;
  if (next_arg < WRITES)
    write_one(s);
  if (reported == WRITES)
    lode_socket_destroy(s, NULL);
}

static void c_connect(lode_socket_t* s) {
  while (next_arg < WRITES / 2)
    write_one(s);
}
static void c_close(lode_socket_t* s, int had_error) {
  ASSERT_EQ(had_error, 0);
  closed++;
}
static const lode_socket_events_t client_events = {
  .on_connect = c_connect,
  .on_close = c_close,
};

static void start(uv_loop_t* loop) {
  lode_server_opts_t so = { .socket_events = &sink_events };
  srv_port = serve(loop, &so, NULL, &server);
}

static void one_client(uv_loop_t* loop, int n) {
  next_arg = reported = 0;
  dial(loop, srv_port, &client_events);
  run_until_n(loop, &closed, n, 5000);
  ASSERT_EQ(reported, WRITES);
  ASSERT_EQ(bad_order, 0);
  ASSERT_EQ(bad_status, 0);
}

TEST(callbacks_in_order_across_reuse) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  start(&loop);
  one_client(&loop, 1);
  one_client(&loop, 2); /* takes the records the first one returned */
  lode_server_close(server, NULL, NULL);
  test_run_loop(&loop, 5000);
  test_loop_close(&loop);
}

/* Destroyed right after writing: the callbacks still to report run before
 * 'close' with status 0 (the bytes went out), and their records return. */
static int early_cbs;
static void early_done(lode_socket_t* s, int status, void* arg) {
  ASSERT_EQ(status, 0);
  ASSERT_EQ(closed, 0);
  early_cbs++;
}
static void early_connect(lode_socket_t* s) {
  for (int i = 0; i < 100; i++)
    ASSERT_EQ(lode_socket_write(s, LODE_SLICE("x"), early_done, NULL), 1);
  lode_socket_destroy(s, NULL);
}
static const lode_socket_events_t early_events = {
  .on_connect = early_connect,
  .on_close = c_close,
};

TEST(destroy_with_callbacks_pending) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  start(&loop);
  closed = 0;
  dial(&loop, srv_port, &early_events);
  run_until_n(&loop, &closed, 1, 5000);
  ASSERT_EQ(early_cbs, 100);
  lode_server_close(server, NULL, NULL);
  test_run_loop(&loop, 5000);
  test_loop_close(&loop);
}

/* Writes the kernel takes at once while a uv write is in flight (its
 * callback comes when the loop turns), as many as write() allows: each
 * goes straight to the kernel, as Node's, or lode counts what it keeps.
 * lode used to copy each into a uv write whose bytes left writableLength
 * at once but whose copy lived until the loop turned: a writer going on
 * while write() said yes piled them up (most of a 64 MiB TLS upload). */
#define GO_ON_CHUNK 4096
/* 256 KiB: the kernel of a new loopback connection takes them at once. */
#define GO_ON_WRITES 64
static int go_on_writes;
static void go_on_connect(lode_socket_t* s) {
  static char chunk[GO_ON_CHUNK];
  lode_stream_t* st = lode_socket_stream(s);
  /* More buffers than a direct write takes: a uv write. */
  lode_slice_t many[17];
  for (int i = 0; i < 17; i++)
    many[i] = LODE_SLICE("m");
  ASSERT_EQ(lode_stream_writev(st, many, 17, NULL, NULL), 1);
  size_t before = test_heap_in_use();
  while (go_on_writes < GO_ON_WRITES) {
    int r = lode_socket_write(s, (lode_slice_t){ chunk, sizeof(chunk) }, NULL,
                              NULL);
    go_on_writes++;
    size_t now = test_heap_in_use();
    size_t kept = now > before ? now - before : 0;
    if (kept > lode_stream_writable_length(st) + GO_ON_CHUNK)
      test_fail(__FILE__, __LINE__,
                "write %d: %zu bytes kept, writableLength %zu", go_on_writes,
                kept, lode_stream_writable_length(st));
    if (r == 0)
      break;
  }
  lode_socket_destroy(s, NULL);
}
static const lode_socket_events_t go_on_events = {
  .on_connect = go_on_connect,
  .on_close = c_close,
};

TEST(writer_going_on_keeps_no_uncounted_copy) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  start(&loop);
  closed = 0;
  dial(&loop, srv_port, &go_on_events);
  run_until_n(&loop, &closed, 1, 5000);
  ASSERT_GE(go_on_writes, 5);
  lode_server_close(server, NULL, NULL);
  test_run_loop(&loop, 5000);
  test_loop_close(&loop);
}

TEST_MAIN(callbacks_in_order_across_reuse, destroy_with_callbacks_pending,
          writer_going_on_keeps_no_uncounted_copy)
