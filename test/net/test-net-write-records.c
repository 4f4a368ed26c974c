/* Write callbacks of writes the kernel takes at once: their records come
 * from a per-loop cache and go back to it after the callback, so these
 * tests write more than the cache holds, from callbacks (while records are
 * being reported), on two sockets one after the other (the second reuses
 * the first one's records), and close a socket with callbacks still to
 * report. Under ASan a record used after its return fails here. */
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

TEST_MAIN(callbacks_in_order_across_reuse, destroy_with_callbacks_pending)
