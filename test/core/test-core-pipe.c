/* lode_stream_pipe / unpipe / pipeline on in-memory pairs, each scenario
 * compared with Node doing the same (test/peers/pipe-ref.js): what every
 * stream emits, in order, and the bytes the far end receives. Plus what
 * Node's output cannot show: the bytes held stay bounded with a stalled
 * destination, both directions at once, a stream piped to itself, and
 * the arguments refused.
 *
 * Topology: the test writes into `inp`, whose peer `src` is piped into
 * `dst`, whose peer `far` records what arrives. */
#include "lode.h"
#include "test.h"

static uv_loop_t loop;
static int tracing;

/* ---- The reference ---- */

/* One line of pipe-ref.js's output per scenario, read once. */
static char* node_out;

static const char* node_line(const char* name) {
  if (node_out == NULL) {
    const char* argv[] = { "node", "test/peers/pipe-ref.js", NULL };
    ASSERT_EQ(test_peer_finish(test_peer_start(argv), 30000, &node_out), 0);
  }
  static char line[4096];
  size_t n = strlen(name);
  for (const char* p = node_out; p != NULL && *p != '\0';) {
    const char* eol = strchr(p, '\n');
    size_t len = eol ? (size_t) (eol - p) : strlen(p);
    if (len > n + 2 && strncmp(p, name, n) == 0 && p[n] == ':') {
      ASSERT_LT(len - n - 2, sizeof(line));
      memcpy(line, p + n + 2, len - n - 2);
      line[len - n - 2] = '\0';
      return line;
    }
    p = eol ? eol + 1 : NULL;
  }
  test_fail(__FILE__, __LINE__, "no reference line for %s", name);
}

/* The items of `trace` whose stream (the part before ':') is `who`. */
static void project(const char* trace, const char* who, char* out, size_t cap) {
  size_t wl = strlen(who), k = 0;
  out[0] = '\0';
  for (const char* p = trace; *p != '\0';) {
    const char* end = strchr(p, ',');
    size_t len = end ? (size_t) (end - p) : strlen(p);
    /* an item's own commas are inside parentheses only in data(...) */
    if (len > wl && strncmp(p, who, wl) == 0 && p[wl] == ':') {
      ASSERT_LT(k + len + 2, cap);
      if (k > 0)
        out[k++] = ',';
      memcpy(out + k, p, len);
      k += len;
      out[k] = '\0';
    }
    p = end ? end + 1 : p + len;
  }
}

/* Each stream's events, in order, are Node's (the interleaving of
 * different streams depends on how each implementation schedules). */
static void assert_like_node(const char* scenario) {
  const char* want = node_line(scenario);
  const char* got = test_trace_get();
  static const char* const who[] = { "src", "dst", "far", "a",  "c",
                                     "s0",  "s1",  "s2",  "cb", NULL };
  for (const char* const* w = who; *w != NULL; w++) {
    char g[2048], n[2048];
    project(got, *w, g, sizeof(g));
    project(want, *w, n, sizeof(n));
    if (strcmp(g, n) != 0)
      test_fail(__FILE__, __LINE__,
                "%s, stream %s:\n  lode: %s\n  node: %s\n"
                "  (lode's whole trace: %s)",
                scenario, *w, g, n, got);
  }
}

/* ---- Streams that trace ---- */

static void (*far_data_once)(void);

static void on_data(void* ctx, lode_stream_t* s, lode_slice_t d) {
  (void) s;
  if (tracing)
    test_trace("%s:data(%.*s)", (const char*) ctx, (int) d.len, d.base);
  if (far_data_once != NULL && strcmp(ctx, "far") == 0) {
    void (*fn)(void) = far_data_once;
    far_data_once = NULL;
    fn();
  }
}

static void (*far_end_fn)(void);
static int far_ends;

static void on_end(void* ctx, lode_stream_t* s) {
  (void) s;
  if (tracing)
    test_trace("%s:end", (const char*) ctx);
  if (strcmp(ctx, "far") == 0)
    far_ends++;
  if (far_end_fn != NULL && strcmp(ctx, "far") == 0)
    far_end_fn();
}

static void on_error(void* ctx, lode_stream_t* s, const lode_error_t* e) {
  (void) s;
  if (tracing)
    test_trace("%s:error(%s)", (const char*) ctx, lode_err_name(e->code));
}

static void on_close(void* ctx, lode_stream_t* s, int had_error) {
  (void) s;
  (void) had_error;
  if (tracing)
    test_trace("%s:close", (const char*) ctx);
}

/* Node's stream without a 'data' listener: its end, error and close. */
static const lode_stream_reader_t watch = {
  .on_end = on_end,
  .on_error = on_error,
  .on_close = on_close,
};
static const lode_stream_reader_t watch_data = {
  .on_data = on_data,
  .on_end = on_end,
  .on_error = on_error,
  .on_close = on_close,
};

static lode_stream_t *inp, *src, *dst, *far;

/* A reader that takes data (Node's resume() with no listener), for a
 * stream whose peer must be able to end. */
static const lode_stream_reader_t sink = { .on_data = on_data };

/* Every stream a test makes is held, so teardown may destroy them all
 * whether they have closed or not. */
static lode_stream_t* made[8];
static size_t nmade;

static void make_pair(lode_stream_t** a, lode_stream_t** b) {
  ASSERT_OK(lode_stream_pair(&loop, a, b));
  lode_stream_hold(*a);
  lode_stream_hold(*b);
  made[nmade++] = *a;
  made[nmade++] = *b;
}

static void setup(void) {
  ASSERT_OK(uv_loop_init(&loop));
  nmade = 0;
  make_pair(&inp, &src);
  make_pair(&dst, &far);
  lode_stream_set_reader(far, &watch_data, "far");
  tracing = 1;
  far_data_once = NULL;
  far_end_fn = NULL;
  far_ends = 0;
  test_trace_reset();
}

static void run(void) {
  test_run_loop(&loop, 10000);
}

/* Stops tracing (the reference stops there too) and closes what is left. */
static void teardown(void) {
  tracing = 0;
  for (size_t i = 0; i < nmade; i++)
    lode_stream_destroy(made[i], NULL);
  run();
  for (size_t i = 0; i < nmade; i++)
    lode_stream_release(made[i]);
  run();
  test_loop_close(&loop);
}

static void reset_err(lode_error_t* e) {
  lode_error_init_sys(e, UV_ECONNRESET, "read", NULL, 0);
}

/* ---- The scenarios of pipe-ref.js ---- */

static void basic_far_end(void) {
  lode_stream_end(far, NULL, NULL);
  lode_stream_destroy(inp, NULL);
}

TEST(basic) {
  setup();
  lode_stream_set_reader(dst, &sink, "x");
  lode_stream_set_reader(src, &watch, "src");
  ASSERT_OK(lode_stream_pipe(src, dst, NULL));
  lode_stream_write(inp, LODE_SLICE("ab"), NULL, NULL);
  lode_stream_write(inp, LODE_SLICE("cd"), NULL, NULL);
  lode_stream_end(inp, NULL, NULL);
  far_end_fn = basic_far_end;
  run();
  assert_like_node("basic");
  teardown();
}

TEST(end_false) {
  setup();
  lode_stream_set_reader(dst, &sink, "x");
  lode_stream_set_reader(src, &watch, "src");
  lode_stream_pipe_opts_t opts = { .end = LODE_FALSE };
  ASSERT_OK(lode_stream_pipe(src, dst, &opts));
  lode_stream_write(inp, LODE_SLICE("abc"), NULL, NULL);
  lode_stream_end(inp, NULL, NULL);
  run();
  /* The end stayed with the source: the destination still takes bytes. */
  ASSERT_EQ(lode_stream_write(dst, LODE_SLICE("tail"), NULL, NULL), 1);
  ASSERT_OK(lode_stream_end(dst, NULL, NULL));
  far_end_fn = basic_far_end;
  run();
  assert_like_node("end_false");
  teardown();
}

/* Node's src.isPaused(): whether `src` takes nothing more (a probe that
 * `inp` writes stays queued). */
static void trace_src_paused(void) {
  tracing = 0;
  lode_stream_write(inp, LODE_SLICE("probe"), NULL, NULL);
  run();
  tracing = 1;
  test_trace("src:paused(%s)",
             lode_stream_writable_length(inp) > 0 ? "true" : "false");
}

static void dest_error_once(void) {
  lode_error_t e;
  reset_err(&e);
  lode_stream_destroy(dst, &e);
  lode_stream_write(inp, LODE_SLICE("two"), NULL, NULL);
}

/* src piped into dst, "one" written, `once` run at its arrival. */
static void flow_one(int watch_dst, void (*once)(void)) {
  setup();
  lode_stream_set_reader(src, &watch, "src");
  if (watch_dst)
    lode_stream_set_reader(dst, &watch, "dst");
  ASSERT_OK(lode_stream_pipe(src, dst, NULL));
  lode_stream_write(inp, LODE_SLICE("one"), NULL, NULL);
  far_data_once = once;
  run();
}

TEST(dest_error) {
  flow_one(1, dest_error_once);
  /* Node does not destroy the source: it is unpiped. (Node also pauses
   * it; lode leaves it flowing, docs/streams.md, but with no reader that
   * takes data a pair side takes nothing either.) */
  trace_src_paused();
  lode_stream_destroy(inp, NULL);
  lode_stream_destroy(src, NULL);
  run();
  assert_like_node("dest_error");
  teardown();
}

static void src_reset_once(void) {
  lode_error_t e;
  reset_err(&e);
  lode_stream_destroy(src, &e);
}

TEST(src_reset) {
  flow_one(1, src_reset_once);
  /* The destination is neither ended nor destroyed: it still writes. */
  ASSERT_EQ(lode_stream_write(dst, LODE_SLICE("x"), NULL, NULL), 1);
  tracing = 0;
  run();
  tracing = 1;
  test_trace("dst:ended(%s)", far_ends > 0 ? "true" : "false");
  lode_stream_destroy(inp, NULL);
  lode_stream_destroy(dst, NULL);
  run();
  assert_like_node("src_reset");
  teardown();
}

static void unpipe_once(void) {
  lode_stream_unpipe(src, dst);
  lode_stream_write(inp, LODE_SLICE("two"), NULL, NULL);
}

TEST(unpipe) {
  flow_one(0, unpipe_once);
  trace_src_paused();
  lode_stream_destroy(inp, NULL);
  lode_stream_destroy(src, NULL);
  lode_stream_destroy(dst, NULL);
  run();
  assert_like_node("unpipe");
  teardown();
}

/* One source, two destinations: each gets every chunk, then the end. */
TEST(two_destinations) {
  setup();
  lode_stream_t *d2, *c;
  make_pair(&d2, &c);
  lode_stream_set_reader(dst, &sink, "x");
  lode_stream_set_reader(d2, &sink, "x");
  lode_stream_set_reader(c, &watch_data, "c");
  ASSERT_OK(lode_stream_pipe(src, dst, NULL));
  ASSERT_OK(lode_stream_pipe(src, d2, NULL));
  lode_stream_write(inp, LODE_SLICE("ab"), NULL, NULL);
  lode_stream_write(inp, LODE_SLICE("cd"), NULL, NULL);
  lode_stream_end(inp, NULL, NULL);
  run();
  assert_like_node("two_destinations");
  teardown();
}

/* c.pipe(c): what `a` writes comes back to it, then its end. */
TEST(self) {
  setup();
  lode_stream_t *a, *c;
  make_pair(&a, &c);
  lode_stream_set_reader(a, &watch_data, "a");
  lode_stream_set_reader(c, &watch, "c");
  ASSERT_OK(lode_stream_pipe(c, c, NULL));
  lode_stream_write(a, LODE_SLICE("hello"), NULL, NULL);
  lode_stream_end(a, NULL, NULL);
  run();
  assert_like_node("self");
  teardown();
}

/* ---- Pipelines ---- */

static lode_stream_t *s0, *s1, *s2, *echo;

static void on_pipeline(lode_stream_t* last, int status, void* arg) {
  ASSERT(last == s2);
  if (tracing)
    test_trace("cb(%s)", status ? lode_err_name(status) : "0");
  if (arg != NULL) { /* the reference's clean-up, traced as there */
    lode_stream_destroy(inp, NULL);
    lode_stream_destroy(echo, NULL);
    lode_stream_end(far, NULL, NULL);
  }
}

static void setup_pipeline(int watch_all) {
  setup();
  s0 = src;
  s2 = dst;
  make_pair(&s1, &echo);
  ASSERT_OK(lode_stream_pipe(echo, echo, NULL));
  if (watch_all) {
    lode_stream_set_reader(s0, &watch, "s0");
    lode_stream_set_reader(s1, &watch, "s1");
    lode_stream_set_reader(s2, &watch, "s2");
  } else {
    lode_stream_set_reader(s2, &sink, "x");
  }
  lode_stream_t* const all[] = { s0, s1, s2 };
  ASSERT_OK(
      lode_stream_pipeline(all, 3, on_pipeline, watch_all ? "clean" : NULL));
}

TEST(pipeline_ok) {
  setup_pipeline(0);
  lode_stream_set_reader(far, &watch_data, "far");
  lode_stream_write(inp, LODE_SLICE("ab"), NULL, NULL);
  lode_stream_write(inp, LODE_SLICE("cd"), NULL, NULL);
  lode_stream_end(inp, NULL, NULL);
  far_end_fn = basic_far_end;
  run();
  assert_like_node("pipeline_ok");
  teardown();
}

static void destroy_s1_reset(void) {
  lode_error_t e;
  reset_err(&e);
  lode_stream_destroy(s1, &e);
}

TEST(pipeline_error) {
  setup_pipeline(1);
  lode_stream_write(inp, LODE_SLICE("one"), NULL, NULL);
  far_data_once = destroy_s1_reset;
  run();
  /* Every stream was destroyed with the middle one's error. */
  assert_like_node("pipeline_error");
  teardown();
}

static void destroy_s1(void) {
  lode_stream_destroy(s1, NULL);
}

TEST(pipeline_premature) {
  setup_pipeline(1);
  lode_stream_write(inp, LODE_SLICE("one"), NULL, NULL);
  far_data_once = destroy_s1;
  run();
  /* Only s0, s2 and the callback are in the reference. */
  char* t = strdup(test_trace_get());
  test_trace_reset();
  for (char* p = strtok(t, ","); p != NULL; p = strtok(NULL, ","))
    if (strncmp(p, "far:", 4) != 0 && strncmp(p, "s1:", 3) != 0)
      test_trace("%s", p);
  free(t);
  assert_like_node("pipeline_premature");
  teardown();
}

/* A pipeline that settles leaves the program's own pipes of its streams
 * alone: here s1, the pipeline's last stream, also feeds x. */
static lode_stream_t *peer1, *x_far;

static void after_two(lode_stream_t* last, int status, void* arg) {
  (void) arg;
  test_trace("cb(%s)", status ? lode_err_name(status) : "0");
  lode_stream_write(peer1, LODE_SLICE("later"), NULL, NULL);
  lode_stream_end(peer1, NULL, NULL);
  (void) last;
}

TEST(pipeline_keeps_other_pipes) {
  setup();
  lode_stream_t *s1x, *x;
  make_pair(&s1x, &peer1);
  make_pair(&x, &x_far);
  lode_stream_set_reader(peer1, &sink, "x");
  lode_stream_set_reader(x_far, &watch_data, "c");
  ASSERT_OK(lode_stream_pipe(s1x, x, NULL));
  lode_stream_t* const two[] = { src, s1x };
  ASSERT_OK(lode_stream_pipeline(two, 2, after_two, NULL));
  lode_stream_write(inp, LODE_SLICE("now"), NULL, NULL);
  lode_stream_end(inp, NULL, NULL);
  run();
  ASSERT_TRACE("x:data(now),cb(0),c:data(later),c:end");
  teardown();
}

/* ---- What Node's output cannot show ---- */

/* A destination that reads nothing: the pipe stops taking from the source
 * once the destination is over its mark, so what is held stays bounded
 * (here by the pair's 16 KiB, twice, plus a chunk) however much the
 * writer offers; then everything arrives, in order. */
static size_t sent, got, chunk_size = 4096;
static const size_t total = 8u << 20;
static int far_paused;

static unsigned char byte_at(size_t i) {
  return (unsigned char) (i * 7 + i / 4099);
}

static void feed(void) {
  static unsigned char buf[4096];
  while (sent < total) {
    for (size_t i = 0; i < chunk_size; i++)
      buf[i] = byte_at(sent + i);
    sent += chunk_size;
    if (lode_stream_write(inp, (lode_slice_t){ (char*) buf, chunk_size }, NULL,
                          NULL) == 0)
      return; /* on the writer's drain */
  }
  lode_stream_end(inp, NULL, NULL);
}

static void inp_drain(void* ctx, lode_stream_t* s) {
  (void) ctx;
  (void) s;
  feed();
}

static const lode_stream_reader_t inp_reader = { .on_drain = inp_drain };

static void count_data(void* ctx, lode_stream_t* s, lode_slice_t d) {
  (void) ctx;
  (void) s;
  for (size_t i = 0; i < d.len; i++)
    if ((unsigned char) d.base[i] != byte_at(got + i))
      test_fail(__FILE__, __LINE__, "byte %zu differs", got + i);
  got += d.len;
}

static void count_end(void* ctx, lode_stream_t* s) {
  (void) ctx;
  test_trace("far:end(%zu)", got);
  lode_stream_end(s, NULL, NULL);
}

static const lode_stream_reader_t counter = {
  .on_data = count_data,
  .on_end = count_end,
};

TEST(slow_destination_bounded) {
  setup();
  tracing = 0;
  lode_stream_set_reader(inp, &inp_reader, NULL);
  lode_stream_set_reader(far, &counter, NULL);
  ASSERT_OK(lode_stream_pipe(src, dst, NULL));
  lode_stream_pause(far);
  far_paused = 1;
  feed();
  /* The loop goes idle when nothing can move: the pipe has stopped. */
  run();
  size_t held = lode_stream_writable_length(dst);
  ASSERT_GT(held, 0);
  ASSERT_LE(held, 16 * 1024 + chunk_size);
  ASSERT_LE(lode_stream_writable_length(inp), 16 * 1024 + chunk_size);
  ASSERT_LT(sent, total);
  ASSERT_EQ(got, 0);
  /* Resumed in steps: each step moves a bounded amount, and the holds
   * never grow past the marks. */
  for (int step = 0; got < total && step < 100000; step++) {
    lode_stream_resume(far);
    uv_run(&loop, UV_RUN_NOWAIT);
    lode_stream_pause(far);
    ASSERT_LE(lode_stream_writable_length(dst), 16 * 1024 + chunk_size);
    ASSERT_LE(lode_stream_writable_length(inp), 16 * 1024 + chunk_size);
  }
  lode_stream_resume(far);
  run();
  ASSERT_EQ(got, total);
  ASSERT_TRACE("far:end(8388608)");
  teardown();
}

/* a.pipe(b); b.pipe(a) across two pairs, as a TCP proxy does: each side
 * is the source of one pipe and the destination of the other. */
/* Node's cleanup: unpiping a destination the source waits for ends the
 * wait, and the source flows again (to its own reader, here). */
static size_t src_got;

static void src_count(void* ctx, lode_stream_t* s, lode_slice_t d) {
  (void) ctx, (void) s;
  src_got += d.len;
}

static const lode_stream_reader_t src_counter = { .on_data = src_count };

TEST(unpipe_while_waiting) {
  setup();
  tracing = 0;
  src_got = 0;
  lode_stream_set_reader(dst, &sink, "x");
  lode_stream_set_reader(src, &src_counter, NULL);
  lode_stream_pause(far);
  ASSERT_OK(lode_stream_pipe(src, dst, NULL));
  static char chunk[8192];
  for (int i = 0; i < 8; i++)
    lode_stream_write(inp, (lode_slice_t){ chunk, sizeof(chunk) }, NULL, NULL);
  run();
  /* The destination is over its mark; the source has stopped. */
  size_t before = src_got;
  ASSERT_GT(lode_stream_writable_length(inp), 0);
  lode_stream_unpipe(src, dst);
  run();
  ASSERT_EQ(lode_stream_writable_length(inp), 0);
  ASSERT_EQ(src_got, 8 * sizeof(chunk));
  ASSERT_LT(before, src_got);
  teardown();
}

TEST(both_directions) {
  setup();
  /* inp <-> src  ==pipe==  dst <-> far, both ways. */
  lode_stream_set_reader(inp, &watch_data, "a");
  lode_stream_set_reader(far, &watch_data, "c");
  ASSERT_OK(lode_stream_pipe(src, dst, NULL));
  ASSERT_OK(lode_stream_pipe(dst, src, NULL));
  lode_stream_write(inp, LODE_SLICE("ping"), NULL, NULL);
  lode_stream_write(far, LODE_SLICE("pong"), NULL, NULL);
  lode_stream_end(inp, NULL, NULL);
  run();
  ASSERT_TRACE("a:data(pong),c:data(ping),c:end");
  lode_stream_end(far, NULL, NULL);
  run();
  /* Every side ended both ways, so each closes (autoDestroy). */
  ASSERT_TRACE("a:data(pong),c:data(ping),c:end,a:end,c:close,a:close");
  teardown();
}

TEST(arguments) {
  setup();
  lode_stream_t* const one[] = { src };
  lode_stream_t* const twice[] = { src, dst, src };
  lode_stream_t* const with_null[] = { src, NULL };
  ASSERT_EQ(lode_stream_pipe(NULL, dst, NULL), UV_EINVAL);
  ASSERT_EQ(lode_stream_pipe(src, NULL, NULL), UV_EINVAL);
  ASSERT_EQ(lode_stream_pipeline(one, 1, NULL, NULL), LODE_ERR_MISSING_ARGS);
  ASSERT_EQ(lode_stream_pipeline(twice, 3, NULL, NULL), UV_EBUSY);
  ASSERT_EQ(lode_stream_pipeline(with_null, 2, NULL, NULL), UV_EINVAL);
  lode_stream_unpipe(NULL, NULL);
  lode_stream_unpipe(src, dst); /* not piped: nothing */
  /* Unpiping every pipe gives the stream its reader back. */
  lode_stream_set_reader(src, &watch, "src");
  ASSERT_OK(lode_stream_pipe(src, dst, NULL));
  ASSERT_OK(lode_stream_pipe(src, far, NULL));
  ASSERT(src->reader != &watch);
  lode_stream_unpipe(src, NULL);
  ASSERT(src->reader == &watch);
  ASSERT(dst->reader == NULL);
  teardown();
}

TEST_MAIN(basic, end_false, dest_error, src_reset, unpipe, self,
          two_destinations, unpipe_while_waiting, pipeline_keeps_other_pipes,
          pipeline_ok, pipeline_error, pipeline_premature,
          slow_destination_bounded, both_directions, arguments)
