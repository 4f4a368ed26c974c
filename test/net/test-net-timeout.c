/* setTimeout: 'timeout' after the idle time (never before it), activity
 * pushes it back, the callback runs once, 0 disables, the socket stays
 * open; and many sockets share one loop timer. */
#include "net-test.h"
#include "net/internal.h"

static side_trace_t ct;
static lode_server_t* server;
static uint64_t t0;

static void s_conn(lode_server_t* srv, lode_socket_t* s) {
}
static const lode_server_events_t sev = { .on_connection = s_conn };

static void c_close(lode_socket_t* s, int e) {
  side(&ct, "close(%d)", e);
  lode_server_close(server, NULL, NULL);
}

/* ---- fires after the idle time ------------------------------------------ */

static void t_timeout(lode_socket_t* s) {
  uint64_t waited = uv_now(lode_socket_loop(s)) - t0;
  side(&ct, "timeout");
  ASSERT_GE(waited, 50);
  ASSERT_EQ(lode_socket_destroyed(s), 0); /* the socket stays open */
  lode_socket_destroy(s, NULL);
}
static void t_cb(lode_socket_t* s, int status, void* arg) {
  side(&ct, "timeout-cb");
}
static void t_connect(lode_socket_t* s) {
  side(&ct, "connect");
  t0 = uv_now(lode_socket_loop(s));
  lode_socket_set_timeout(s, 50, t_cb, NULL);
  ASSERT_EQ(lode_socket_timeout(s), 50);
}
static const lode_socket_events_t tev = {
  .on_connect = t_connect,
  .on_timeout = t_timeout,
  .on_close = c_close,
};

static void connect_local(uv_loop_t* loop, const lode_socket_events_t* ev,
                          unsigned timeout) {
  ASSERT_OK(lode_net_create_server(loop, NULL, &sev, &server));
  int port = listen_local(loop, server);
  lode_socket_t* c;
  lode_socket_opts_t o = { .host = "127.0.0.1",
                           .port = port,
                           .timeout = timeout };
  ASSERT_OK(lode_net_connect(loop, &o, ev, &c));
}

TEST(fires_after_idle) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  connect_local(&loop, &tev, 0);
  test_run_loop(&loop, 5000);
  /* The 'timeout' listener destroyed the socket: Node still runs the
   * other listener (the callback) of the same emit. */
  ASSERT_STR_EQ(ct.buf, "connect,timeout,timeout-cb,close(0)");
  test_loop_close(&loop);
}

/* The connect option `timeout` arms it before connecting. */
static void o_timeout(lode_socket_t* s) {
  side(&ct, "timeout");
  lode_socket_destroy(s, NULL);
}
static void o_connect(lode_socket_t* s) {
  side(&ct, "connect");
}
static const lode_socket_events_t oev = {
  .on_connect = o_connect,
  .on_timeout = o_timeout,
  .on_close = c_close,
};

TEST(option_timeout) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  connect_local(&loop, &oev, 30);
  test_run_loop(&loop, 5000);
  ASSERT_STR_EQ(ct.buf, "connect,timeout,close(0)");
  test_loop_close(&loop);
}

/* ---- activity pushes the deadline back ---------------------------------- */

static uv_timer_t pinger;
static lode_socket_t* pinged;
static int pings;
static void ping(uv_timer_t* t) {
  lode_socket_write(pinged, LODE_SLICE("p"), NULL, NULL);
  side(&ct, "ping");
  if (++pings == 3)
    uv_close((uv_handle_t*) t, NULL);
}
static void a_connect(lode_socket_t* s) {
  pinged = s;
  lode_socket_set_timeout(s, 60, NULL, NULL);
  uv_timer_init(lode_socket_loop(s), &pinger);
  uv_timer_start(&pinger, ping, 30, 30);
}
static void a_timeout(lode_socket_t* s) {
  side(&ct, "timeout");
  ASSERT_EQ(pings, 3);
  lode_socket_destroy(s, NULL);
}
static const lode_socket_events_t aev = {
  .on_connect = a_connect,
  .on_timeout = a_timeout,
  .on_close = c_close,
};

TEST(activity_refreshes) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  connect_local(&loop, &aev, 0);
  test_run_loop(&loop, 5000);
  ASSERT_STR_EQ(ct.buf, "ping,ping,ping,timeout,close(0)");
  test_loop_close(&loop);
}

/* ---- 0 disables ---------------------------------------------------------- */

static uv_timer_t ender;
static void end_it(uv_timer_t* t) {
  side(&ct, "end-timer");
  lode_socket_destroy(pinged, NULL);
  uv_close((uv_handle_t*) t, NULL);
}
static void z_connect(lode_socket_t* s) {
  pinged = s;
  lode_socket_set_timeout(s, 20, t_cb, NULL);
  lode_socket_set_timeout(s, 0, NULL, NULL);
  ASSERT_EQ(lode_socket_timeout(s), 0);
  uv_timer_init(lode_socket_loop(s), &ender);
  uv_timer_start(&ender, end_it, 80, 0);
}
static const lode_socket_events_t zev = {
  .on_connect = z_connect,
  .on_timeout = o_timeout,
  .on_close = c_close,
};

TEST(zero_disables) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  connect_local(&loop, &zev, 0);
  test_run_loop(&loop, 5000);
  ASSERT_STR_EQ(ct.buf, "end-timer,close(0)");
  test_loop_close(&loop);
}

/* ---- many sockets, one loop timer --------------------------------------- */

#define MANY 200
static int many_timeouts, many_closed;
static lode_socket_t* many[MANY];
static void m_timeout(lode_socket_t* s) {
  many_timeouts++;
  lode_socket_destroy(s, NULL);
}
static void m_close(lode_socket_t* s, int e) {
  if (++many_closed == MANY)
    lode_server_close(server, NULL, NULL);
}
static void walk(uv_handle_t* h, void* arg) {
  if (h->type == UV_TIMER)
    (*(int*) arg)++;
}
static int count_timers(uv_loop_t* loop) {
  int n = 0;
  uv_walk(loop, walk, &n);
  return n;
}

static int many_connected, base_timers;
static void m_connect(lode_socket_t* s) {
  /* Before any socket's timeout: the net layer's own timers (the idle
   * deadline, the later queue) and the test's deadline. */
  if (many_connected++ == 0)
    base_timers = count_timers(lode_socket_loop(s));
  /* Durations from 10 to 29 ms: several lists on the same timer. */
  lode_socket_set_timeout(s, 10 + (unsigned) many_connected % 20, NULL, NULL);
  /* Every socket's timeout armed: no timer more. */
  if (many_connected == MANY)
    ASSERT_EQ(count_timers(lode_socket_loop(s)), base_timers);
}
static const lode_socket_events_t mev = {
  .on_connect = m_connect,
  .on_timeout = m_timeout,
  .on_close = m_close,
};

TEST(many_sockets_one_timer) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  ASSERT_OK(lode_net_create_server(&loop, NULL, &sev, &server));
  int port = listen_local(&loop, server);
  lode_socket_opts_t o = { .host = "127.0.0.1", .port = port };
  for (int i = 0; i < MANY; i++)
    ASSERT_OK(lode_net_connect(&loop, &o, &mev, &many[i]));
  test_run_loop(&loop, 10000);
  ASSERT_EQ(many_connected, MANY);
  ASSERT_EQ(many_timeouts, MANY);
  test_loop_close(&loop);
}

/* The per-loop idle timers themselves: 100,000 items, each refreshed ten
 * times (O(1) each), all firing within one batch of loop turns; no item
 * fires before its time. */
#define ITEMS 100000
static lode__idle_t items[ITEMS];
static uint64_t armed_at;
static int fired, early;
static uv_loop_t big_loop;
static void item_check(lode__idle_t* it) {
  if (uv_now(&big_loop) < armed_at + it->ms)
    early++;
  fired++;
}
static void hold_cb(uv_timer_t* t) {
}

TEST(idle_timers_100k) {
  uv_loop_init(&big_loop);
  lode__loop_t* l = lode__loop_get(&big_loop);
  ASSERT_NOT_NULL(l);
  uv_update_time(&big_loop);
  for (int round = 0; round < 10; round++)
    for (int i = 0; i < ITEMS; i++) {
      items[i].fn = item_check;
      if (round == 0)
        lode__idle_set(l, &items[i], 20 + (unsigned) (i % 3));
      else
        lode__idle_touch(l, &items[i]);
    }
  armed_at = uv_now(&big_loop);
  /* The loop's one idle timer is unref'd (idle timeouts never hold a
   * loop open): hold the loop with a timer of our own until all fired. */
  uv_timer_t hold;
  uv_timer_init(&big_loop, &hold);
  uv_timer_start(&hold, hold_cb, 5, 5);
  while (fired < ITEMS) {
    ASSERT_LT(uv_now(&big_loop) - armed_at, 10000);
    uv_run(&big_loop, UV_RUN_ONCE);
  }
  uv_close((uv_handle_t*) &hold, NULL);
  ASSERT_EQ(early, 0);
  lode__loop_put(l);
  test_run_loop(&big_loop, 1000);
  test_loop_close(&big_loop);
}

TEST_MAIN(fires_after_idle, option_timeout, activity_refreshes, zero_disables,
          many_sockets_one_timer, idle_timers_100k)
