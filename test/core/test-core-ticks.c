/* The per-loop tick queue (Node's process.nextTick): a tick queued from
 * outside the library's callbacks runs before the loop polls, one queued
 * inside a callback runs when that callback's lode__ticks_run drains the
 * queue, and either way the loop ends once nothing else is left (the idle
 * handle that carries the queue never keeps it turning). */
#include "core/loop.h"
#include "lode.h"
#include "test.h"

static lode__loop_t* lp;
static lode__tick_t ticks[3];
static int ran[3];

static void count(lode__tick_t* t) {
  int i = (int) (t - ticks);
  ran[i]++;
  test_trace("tick%d", i);
  if (i == 0 && ran[0] < 3)
    lode__tick(lp, t, count); /* re-queued twice from inside itself */
}

static void reset(uv_loop_t* loop) {
  test_trace_reset();
  for (int i = 0; i < 3; i++) {
    ticks[i] = (lode__tick_t){ 0 };
    ran[i] = 0;
  }
  ASSERT_OK(uv_loop_init(loop));
  lp = lode__loop_get(loop);
  ASSERT_NOT_NULL(lp);
}

static void finish(uv_loop_t* loop) {
  lode__loop_put(lp);
  ASSERT_EQ(uv_run(loop, UV_RUN_DEFAULT), 0);
  ASSERT_OK(uv_loop_close(loop));
}

/* Queued before uv_run: the idle phase runs it (and what it re-queues, on
 * the next turns), then the loop has nothing left and returns. */
TEST(tick_from_outside_runs_then_loop_ends) {
  uv_loop_t loop;
  reset(&loop);
  lode__tick(lp, &ticks[0], count);
  ASSERT_EQ(uv_run(&loop, UV_RUN_DEFAULT), 0);
  ASSERT_EQ(ran[0], 3);
  ASSERT_TRACE("tick0,tick0,tick0");
  finish(&loop);
}

/* Inside a callback (here a timer's, as the library's own end with
 * lode__ticks_run): the queue drains before the callback returns, ticks
 * queued meanwhile included, in order; the loop then ends. */
static void on_timer(uv_timer_t* t) {
  lode__tick(lp, &ticks[1], count);
  lode__tick(lp, &ticks[0], count);
  lode__tick(lp, &ticks[2], count);
  test_trace("drain");
  lode__ticks_run(lp);
  test_trace("drained");
  uv_close((uv_handle_t*) t, NULL);
}

TEST(ticks_run_drains_in_callback_then_loop_ends) {
  uv_loop_t loop;
  uv_timer_t timer;
  reset(&loop);
  ASSERT_OK(uv_timer_init(&loop, &timer));
  ASSERT_OK(uv_timer_start(&timer, on_timer, 0, 0));
  ASSERT_EQ(uv_run(&loop, UV_RUN_DEFAULT), 0);
  ASSERT_TRACE("drain,tick1,tick0,tick2,tick0,tick0,drained");
  ASSERT_EQ(uv_loop_alive(&loop), 0);
  finish(&loop);
}

/* Many callbacks in one turn, each queueing and draining: every tick runs
 * inside its own callback and the loop still ends. */
static void on_many(uv_timer_t* t) {
  lode__tick(lp, &ticks[1], count);
  lode__ticks_run(lp);
  uv_close((uv_handle_t*) t, NULL);
}

TEST(many_callbacks_one_turn) {
  uv_loop_t loop;
  uv_timer_t timers[8];
  reset(&loop);
  for (int i = 0; i < 8; i++) {
    ASSERT_OK(uv_timer_init(&loop, &timers[i]));
    ASSERT_OK(uv_timer_start(&timers[i], on_many, 0, 0));
  }
  ASSERT_EQ(uv_run(&loop, UV_RUN_DEFAULT), 0);
  ASSERT_EQ(ran[1], 8);
  ASSERT_EQ(uv_loop_alive(&loop), 0);
  finish(&loop);
}

TEST_MAIN(tick_from_outside_runs_then_loop_ends,
          ticks_run_drains_in_callback_then_loop_ends, many_callbacks_one_turn)
