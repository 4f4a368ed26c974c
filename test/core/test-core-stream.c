/* The in-memory stream pair: asynchronous delivery, Node's event order,
 * backpressure against the 16 KiB high-water mark, pause and cork, destroy
 * from inside every callback, and nothing left open or allocated. */
#include "lode.h"
#include "test.h"

static uv_loop_t loop;
static lode_stream_t* sa;
static lode_stream_t* sb;

static const char* name_of(lode_stream_t* s) {
  return s == sa ? "a" : "b";
}

static size_t data_total;

/* What a test wants done from inside a callback. */
typedef enum {
  ACT_NONE,
  ACT_DESTROY_SELF,
  ACT_DESTROY_PEER,
  ACT_DESTROY_BOTH,
  ACT_END,
  ACT_WRITE_BACK
} act_t;
static act_t act_on_data, act_on_end, act_on_drain, act_on_error, act_on_close,
    act_on_write_cb, act_on_end_cb;

static void act(lode_stream_t* s, act_t what) {
  lode_stream_t* peer = s == sa ? sb : sa;
  if (what == ACT_DESTROY_SELF || what == ACT_DESTROY_BOTH)
    lode_stream_destroy(s, NULL);
  if (what == ACT_DESTROY_PEER || what == ACT_DESTROY_BOTH)
    lode_stream_destroy(peer, NULL);
  if (what == ACT_END)
    lode_stream_end(s, NULL, NULL);
  if (what == ACT_WRITE_BACK && data_total < 12)
    lode_stream_write(s, LODE_SLICE("re"), NULL, NULL);
}

static void on_data(void* ctx, lode_stream_t* s, lode_slice_t d) {
  data_total += d.len;
  if (d.len <= 16)
    test_trace("%s:data(%.*s)", name_of(s), (int) d.len, d.base);
  else
    test_trace("%s:data(%zu)", name_of(s), d.len);
  act(s, act_on_data);
}

static void on_end(void* ctx, lode_stream_t* s) {
  test_trace("%s:end", name_of(s));
  act(s, act_on_end);
}

static void on_drain(void* ctx, lode_stream_t* s) {
  test_trace("%s:drain", name_of(s));
  act(s, act_on_drain);
}

static void on_error(void* ctx, lode_stream_t* s, const lode_error_t* e) {
  test_trace("%s:error(%s)", name_of(s), e->name);
  ASSERT(e->message != NULL);
  act(s, act_on_error);
}

static void on_close(void* ctx, lode_stream_t* s, int had_error) {
  test_trace("%s:close(%d)", name_of(s), had_error);
  act(s, act_on_close);
}

static const lode_stream_reader_t reader = {
  .on_data = on_data,
  .on_end = on_end,
  .on_drain = on_drain,
  .on_error = on_error,
  .on_close = on_close,
};

static void on_written(lode_stream_t* s, int status, void* arg) {
  test_trace("%s:%s(%s)", name_of(s), (const char*) arg,
             status == 0 ? "ok" : lode_err_name(status));
  act(s, act_on_write_cb);
}

static void on_ended(lode_stream_t* s, int status, void* arg) {
  test_trace("%s:%s(%s)", name_of(s), (const char*) arg,
             status == 0 ? "ok" : lode_err_name(status));
  act(s, act_on_end_cb);
}

static void setup(void) {
  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(lode_stream_pair(&loop, &sa, &sb));
  lode_stream_set_reader(sa, &reader, NULL);
  lode_stream_set_reader(sb, &reader, NULL);
}

static void run(void) {
  test_run_loop(&loop, 10000);
}

static void teardown(void) {
  test_loop_close(&loop);
}

TEST(write_end_close_order) {
  setup();
  ASSERT_EQ(lode_stream_write(sa, LODE_SLICE("hello"), on_written, "w1"), 1);
  ASSERT_EQ(lode_stream_write(sa, LODE_SLICE("world"), on_written, "w2"), 1);
  ASSERT_OK(lode_stream_end(sa, on_ended, "fin"));
  ASSERT_EQ(lode_stream_writable_length(sa), 10);
  ASSERT_TRACE(""); /* nothing happens inside the calls */
  run();
  /* a's end is delivered; b stays open (half-open) until it ends too. */
  ASSERT_TRACE(
      "b:data(hello),a:w1(ok),b:data(world),a:w2(ok),b:end,"
      "a:fin(ok)");
  ASSERT_EQ(lode_stream_writable_length(sa), 0);
  ASSERT_OK(lode_stream_end(sb, NULL, NULL));
  run();
  ASSERT_TRACE(
      "b:data(hello),a:w1(ok),b:data(world),a:w2(ok),b:end,"
      "a:fin(ok),a:end,a:close(0),b:close(0)");
  teardown();
}

TEST(writev_and_empty_write) {
  setup();
  lode_slice_t parts[] = { LODE_SLICE("ab"), { NULL, 0 }, LODE_SLICE("cd") };
  ASSERT_EQ(lode_stream_writev(sa, parts, 3, on_written, "v"), 1);
  ASSERT_EQ(lode_stream_write(sa, (lode_slice_t){ NULL, 0 }, on_written, "e"),
            1);
  lode_stream_destroy(sa, NULL);
  lode_stream_destroy(sb, NULL);
  ASSERT_TRACE("");
  run();
  ASSERT_TRACE(
      "a:v(ERR_STREAM_DESTROYED),a:e(ERR_STREAM_DESTROYED),"
      "a:close(0),b:close(0)");
  teardown();
}

TEST(bad_arguments) {
  ASSERT_EQ(lode_stream_pair(NULL, &sa, &sb), UV_EINVAL);
  setup();
  ASSERT_EQ(lode_stream_writev(sa, NULL, 1, NULL, NULL),
            LODE_ERR_STREAM_NULL_VALUES);
  ASSERT_EQ(lode_stream_write(sa, (lode_slice_t){ NULL, 3 }, NULL, NULL),
            LODE_ERR_STREAM_NULL_VALUES);
  ASSERT_EQ(lode_stream_write(NULL, LODE_SLICE("x"), NULL, NULL), UV_EINVAL);
  ASSERT_EQ(lode_stream_end(NULL, NULL, NULL), UV_EINVAL);
  lode_stream_destroy(NULL, NULL);
  lode_stream_pause(NULL);
  ASSERT_EQ(lode_stream_writable_length(NULL), 0);
  lode_stream_destroy(sa, NULL);
  lode_stream_destroy(sb, NULL);
  run();
  ASSERT_TRACE("a:close(0),b:close(0)");
  teardown();
}

/* Node: write() returns false once 16 KiB are queued; 'drain' comes when
 * the queue is empty again, after the write callbacks. */
TEST(backpressure_and_drain) {
  setup();
  static char big[8192];
  memset(big, 'x', sizeof(big));
  lode_slice_t s = { big, sizeof(big) };
  ASSERT_EQ(lode_stream_write(sa, s, on_written, "w1"), 1);
  ASSERT_EQ(lode_stream_write(sa, s, on_written, "w2"), 0);
  ASSERT_EQ(lode_stream_writable_length(sa), 16384);
  lode_stream_pause(sb);
  run(); /* the paused reader takes nothing: no callback, no drain */
  ASSERT_TRACE("");
  ASSERT_EQ(lode_stream_writable_length(sa), 16384);
  lode_stream_resume(sb);
  run();
  ASSERT_TRACE("b:data(8192),a:w1(ok),b:data(8192),a:w2(ok),a:drain");
  ASSERT_EQ(data_total, 16384);
  lode_stream_destroy(sa, NULL);
  lode_stream_destroy(sb, NULL);
  run();
  teardown();
}

TEST(pause_holds_the_end_back) {
  setup();
  lode_stream_pause(sb);
  lode_stream_write(sa, LODE_SLICE("x"), NULL, NULL);
  lode_stream_end(sa, on_ended, "fin");
  run();
  ASSERT_TRACE("");
  lode_stream_resume(sb);
  lode_stream_pause(sb); /* paused again before the loop ran */
  run();
  ASSERT_TRACE("");
  lode_stream_resume(sb);
  run();
  ASSERT_TRACE("b:data(x),b:end,a:fin(ok)");
  lode_stream_destroy(sb, NULL);
  run();
  ASSERT_TRACE("b:data(x),b:end,a:fin(ok),b:close(0),a:end,a:close(0)");
  teardown();
}

TEST(no_data_listener_is_paused) {
  static const lode_stream_reader_t only_close = { .on_close = on_close };
  setup();
  lode_stream_set_reader(sb, &only_close, NULL);
  lode_stream_write(sa, LODE_SLICE("x"), on_written, "w");
  run();
  ASSERT_TRACE("");
  lode_stream_set_reader(sb, &reader, NULL);
  lode_stream_resume(sb);
  run();
  ASSERT_TRACE("b:data(x),a:w(ok)");
  lode_stream_destroy(sa, NULL);
  lode_stream_destroy(sb, NULL);
  run();
  teardown();
}

TEST(cork_batches_until_uncork) {
  setup();
  lode_stream_cork(sa);
  lode_stream_cork(sa);
  lode_stream_write(sa, LODE_SLICE("1"), NULL, NULL);
  run();
  lode_stream_uncork(sa);
  run();
  ASSERT_TRACE("");
  lode_stream_write(sa, LODE_SLICE("2"), NULL, NULL);
  lode_stream_uncork(sa);
  lode_stream_uncork(sa); /* one too many: harmless */
  run();
  ASSERT_TRACE("b:data(1),b:data(2)");
  lode_stream_cork(sa);
  lode_stream_write(sa, LODE_SLICE("3"), NULL, NULL);
  lode_stream_end(sa, NULL, NULL); /* end() uncorks */
  lode_stream_end(sb, NULL, NULL);
  run();
  /* a's end reaches b before b's reaches a: a writes first in each pass. */
  ASSERT_TRACE(
      "b:data(1),b:data(2),b:data(3),b:end,a:end,a:close(0),"
      "b:close(0)");
  teardown();
}

/* destroy(err): error, then the callbacks of unsent writes, then close;
 * the peer reads the end of the stream and closes once it ends too. */
TEST(destroy_with_error) {
  setup();
  lode_stream_pause(sb);
  lode_stream_write(sa, LODE_SLICE("lost"), on_written, "w");
  lode_stream_end(sa, on_ended, "fin");
  lode_error_t e;
  lode_error_init(&e, UV_ECONNRESET);
  lode_stream_destroy(sa, &e);
  lode_stream_destroy(sa, NULL); /* twice: no effect */
  ASSERT_EQ(lode_stream_write(sa, LODE_SLICE("x"), NULL, NULL),
            LODE_ERR_STREAM_DESTROYED);
  ASSERT_EQ(lode_stream_end(sa, NULL, NULL), LODE_ERR_STREAM_DESTROYED);
  ASSERT_TRACE("");
  run();
  ASSERT_TRACE(
      "a:error(ECONNRESET),a:w(ERR_STREAM_DESTROYED),"
      "a:fin(ERR_STREAM_DESTROYED),a:close(1)");
  lode_stream_resume(sb);
  run();
  ASSERT_TRACE(
      "a:error(ECONNRESET),a:w(ERR_STREAM_DESTROYED),"
      "a:fin(ERR_STREAM_DESTROYED),a:close(1),b:end");
  lode_stream_end(sb, on_ended, "fin");
  run();
  ASSERT_TRACE(
      "a:error(ECONNRESET),a:w(ERR_STREAM_DESTROYED),"
      "a:fin(ERR_STREAM_DESTROYED),a:close(1),b:end,b:fin(ok),"
      "b:close(0)");
  teardown();
}

TEST(write_to_a_gone_peer_is_epipe) {
  setup();
  lode_stream_destroy(sa, NULL);
  ASSERT_EQ(lode_stream_write(sb, LODE_SLICE("x"), on_written, "w"), 1);
  run();
  ASSERT_TRACE(
      "a:close(0),b:end,b:error(EPIPE),b:w(ERR_STREAM_DESTROYED),"
      "b:close(1)");
  teardown();
}

TEST(write_after_end) {
  setup();
  lode_stream_end(sa, NULL, NULL);
  ASSERT_EQ(lode_stream_write(sa, LODE_SLICE("x"), on_written, "w"),
            LODE_ERR_STREAM_WRITE_AFTER_END);
  lode_stream_destroy(sb, NULL);
  run();
  ASSERT_TRACE("a:error(ERR_STREAM_WRITE_AFTER_END),a:close(1),b:close(0)");
  teardown();
}

TEST(end_twice) {
  setup();
  ASSERT_OK(lode_stream_end(sa, on_ended, "e1"));
  ASSERT_OK(lode_stream_end(sa, on_ended, "e2"));
  run();
  ASSERT_EQ(lode_stream_end(sa, NULL, NULL), LODE_ERR_STREAM_ALREADY_FINISHED);
  lode_stream_end(sb, NULL, NULL);
  run();
  ASSERT_TRACE("b:end,a:e1(ok),a:e2(ok),a:end,a:close(0),b:close(0)");
  teardown();
}

/* A memory reference keeps a side readable after its close. */
TEST(hold_outlives_close) {
  setup();
  lode_stream_hold(sa);
  lode_stream_pause(sb);
  lode_stream_write(sa, LODE_SLICE("x"), NULL, NULL);
  lode_stream_destroy(sb, NULL);
  lode_stream_destroy(sa, NULL);
  run();
  ASSERT_TRACE("a:close(0),b:close(0)");
  ASSERT_EQ(lode_stream_writable_length(sa), 0);
  ASSERT(sa->loop == &loop);
  lode_stream_release(sa);
  run();
  teardown();
}

TEST(echo_from_on_data) {
  setup();
  act_on_data = ACT_WRITE_BACK; /* answers until 12 bytes have come */
  lode_stream_write(sa, LODE_SLICE("ping"), NULL, NULL);
  run();
  act_on_data = ACT_NONE;
  lode_stream_destroy(sa, NULL);
  lode_stream_destroy(sb, NULL);
  run();
  ASSERT_TRACE(
      "b:data(ping),a:data(re),b:data(re),a:data(re),b:data(re),"
      "a:close(0),b:close(0)");
  teardown();
}

/* Destroying from inside each callback: close still comes once and last,
 * and nothing leaks. */
static void destroy_inside(act_t* slot, act_t what, const char* want) {
  setup();
  *slot = what;
  lode_stream_write(sa, LODE_SLICE("hi"), on_written, "w");
  lode_stream_end(sa, on_ended, "fin");
  lode_stream_end(sb, on_ended, "fin");
  run();
  ASSERT_TRACE(want);
  *slot = ACT_NONE;
  teardown();
}

TEST(destroy_in_on_data) {
  destroy_inside(&act_on_data, ACT_DESTROY_SELF,
                 "b:data(hi),a:w(ok),a:end,b:fin(ERR_STREAM_DESTROYED),"
                 "b:close(0),a:fin(ok),a:close(0)");
}

TEST(destroy_both_in_on_data) {
  destroy_inside(&act_on_data, ACT_DESTROY_BOTH,
                 "b:data(hi),a:w(ok),a:fin(ERR_STREAM_DESTROYED),a:close(0),"
                 "b:fin(ERR_STREAM_DESTROYED),b:close(0)");
}

TEST(destroy_in_write_cb) {
  destroy_inside(&act_on_write_cb, ACT_DESTROY_SELF,
                 "b:data(hi),a:w(ok),b:fin(ok),"
                 "a:fin(ERR_STREAM_DESTROYED),a:close(0),b:end,b:close(0)");
}

TEST(destroy_peer_in_on_end) {
  destroy_inside(&act_on_end, ACT_DESTROY_PEER,
                 "b:data(hi),a:w(ok),b:end,a:fin(ok),b:fin(ok),"
                 "a:close(0),b:close(0)");
}

TEST(destroy_in_end_cb) {
  destroy_inside(&act_on_end_cb, ACT_DESTROY_BOTH,
                 "b:data(hi),a:w(ok),b:end,a:fin(ok),"
                 "a:close(0),b:fin(ERR_STREAM_DESTROYED),b:close(0)");
}

TEST(destroy_in_on_close) {
  destroy_inside(&act_on_close, ACT_DESTROY_BOTH,
                 "b:data(hi),a:w(ok),b:end,a:fin(ok),a:end,b:fin(ok),"
                 "a:close(0),b:close(0)");
}

TEST(destroy_in_on_error) {
  setup();
  act_on_error = ACT_DESTROY_BOTH;
  lode_error_t e;
  lode_error_init(&e, LODE_ERR_SOCKET_CLOSED);
  lode_stream_destroy(sa, &e);
  run();
  ASSERT_TRACE("a:error(ERR_SOCKET_CLOSED),a:close(1),b:close(0)");
  teardown();
}

TEST(destroy_in_on_drain) {
  setup();
  act_on_drain = ACT_DESTROY_BOTH;
  static char big[16384];
  ASSERT_EQ(
      lode_stream_write(sa, (lode_slice_t){ big, sizeof(big) }, NULL, NULL), 0);
  run();
  ASSERT_TRACE("b:data(16384),a:drain,a:close(0),b:close(0)");
  teardown();
}

TEST_MAIN(write_end_close_order, writev_and_empty_write, bad_arguments,
          backpressure_and_drain, pause_holds_the_end_back,
          no_data_listener_is_paused, cork_batches_until_uncork,
          destroy_with_error, write_to_a_gone_peer_is_epipe, write_after_end,
          end_twice, hold_outlives_close, echo_from_on_data, destroy_in_on_data,
          destroy_both_in_on_data, destroy_in_write_cb, destroy_peer_in_on_end,
          destroy_in_end_cb, destroy_in_on_close, destroy_in_on_error,
          destroy_in_on_drain)
