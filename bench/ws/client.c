/* The lode side of bench/ws: a load client.
 *
 *   bench-ws-client URL echo CONNS SECONDS SIZE
 *     CONNS connections each send a SIZE-byte text message and send the
 *     next when the echo is back, for SECONDS; prints round trips/s and,
 *     at the end, every round trip counted (warm-up and close included).
 *   bench-ws-client URL stream MIB CHUNK
 *     one connection sends MIB MiB as binary messages of CHUNK bytes
 *     (keeping at most 4 MiB in bufferedAmount), then a text "end" whose
 *     echo marks the end; prints MiB/s.
 * The browser API has no drain event: a prepare handle tops the queue up
 * before the loop blocks (the write callbacks that lower bufferedAmount
 * may run in any phase). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <lode.h>

static uv_loop_t* loop;
static int echo_mode;
static char* payload;
static size_t size;
static uint64_t round_trips;
static int open_conns, closing;
static uint64_t to_send, sent;
static uint64_t t0;
static uv_prepare_t pump;
static uv_timer_t stop_timer;
static lode_websocket_t* stream_ws;

static void close_all(lode_websocket_t* ws) {
  lode_websocket_close(ws, 1000, LODE_SLICE("done"));
}

static void top_up(uv_prepare_t* c) {
  lode_websocket_t* ws = stream_ws;
  while (sent < to_send && lode_websocket_buffered_amount(ws) < (4 << 20)) {
    lode_websocket_send_binary(ws, (lode_slice_t){ payload, size });
    sent += size;
  }
  if (sent >= to_send) {
    lode_websocket_send_text(ws, LODE_SLICE("end"));
    uv_prepare_stop(c);
  }
}

static void on_open(lode_websocket_t* ws) {
  if (echo_mode) {
    lode_websocket_send_text(ws, (lode_slice_t){ payload, size });
    return;
  }
  stream_ws = ws;
  t0 = uv_hrtime();
  uv_prepare_start(&pump, top_up);
}

static void on_message(lode_websocket_t* ws, lode_slice_t d, int bin) {
  if (!echo_mode) {
    double s = (double) (uv_hrtime() - t0) / 1e9;
    printf("stream: %.0f MiB in %.3f s: %.1f MiB/s\n",
           (double) to_send / (1 << 20), s, (double) to_send / (1 << 20) / s);
    close_all(ws);
    return;
  }
  round_trips++;
  if (closing)
    close_all(ws);
  else
    lode_websocket_send_text(ws, (lode_slice_t){ payload, size });
}

static void on_error(lode_websocket_t* ws, const lode_error_t* e) {
  fprintf(stderr, "error: %s\n", e->message);
}

static void on_close(lode_websocket_t* ws, int clean, int code,
                     lode_slice_t r) {
  if (--open_conns == 0) {
    uv_close((uv_handle_t*) &pump, NULL);
    uv_close((uv_handle_t*) &stop_timer, NULL);
  }
}

static const lode_websocket_events_t events = {
  .on_open = on_open,
  .on_message = on_message,
  .on_error = on_error,
  .on_close = on_close,
};

static uint64_t t_start, rt_start;
static double rate;
static void on_stop(uv_timer_t* t) {
  double s = (double) (uv_hrtime() - t_start) / 1e9;
  rate = (double) (round_trips - rt_start) / s;
  closing = 1;
}

/* The first second warms up; the measured window starts after it. */
static void on_warm(uv_timer_t* t) {
  t_start = uv_hrtime();
  rt_start = round_trips;
  uv_timer_start(t, on_stop, (uint64_t) t->data, 0);
}

int main(int argc, char** argv) {
  if (argc < 3)
    return 2;
  loop = uv_default_loop();
  echo_mode = strcmp(argv[2], "echo") == 0;
  int conns = 1;
  uv_prepare_init(loop, &pump);
  uv_timer_init(loop, &stop_timer);
  if (echo_mode) {
    conns = argc > 3 ? atoi(argv[3]) : 50;
    stop_timer.data = (void*) (uint64_t) (1000 *
                                          (argc > 4 ? atoi(argv[4]) : 5));
    size = argc > 5 ? (size_t) atoi(argv[5]) : 64;
    uv_timer_start(&stop_timer, on_warm, 1000, 0);
  } else {
    to_send = (uint64_t) (argc > 3 ? atoi(argv[3]) : 1024) << 20;
    size = argc > 4 ? (size_t) atoi(argv[4]) : 65536;
  }
  payload = malloc(size);
  memset(payload, 'x', size);
  lode_websocket_opts_t o = { .per_message_deflate = -1 };
  for (int i = 0; i < conns; i++) {
    lode_websocket_t* ws;
    if (lode_websocket_create(loop, argv[1], NULL, 0, &o, &events, &ws) != 0)
      return 1;
    open_conns++;
  }
  uv_run(loop, UV_RUN_DEFAULT);
  if (echo_mode)
    printf("echo: %.0f round trips/s, %llu in all\n", rate,
           (unsigned long long) round_trips);
  free(payload);
  return 0;
}
