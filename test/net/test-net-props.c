/* net.Socket's state properties (readyState, pending, connecting,
 * destroyed, bytesRead, bytesWritten, bufferSize) at every step of a
 * half-open exchange, compared line by line with Node doing the same steps
 * (test/peers/net-props.js); and destroySoon. */
#include "net-test.h"

static char lines[4096];
static size_t lines_len;
static lode_server_t* server;

/* Each line holds what lode returns, bufferSize included. */
static void line(const char* tag, const lode_socket_t* s) {
  lines_len += (size_t) snprintf(
      lines + lines_len, sizeof(lines) - lines_len,
      "%s %s %d %d %d %" PRIu64 " %" PRIu64 " %zu\n", tag,
      lode_socket_ready_state(s), lode_socket_pending(s),
      lode_socket_connecting(s), lode_socket_destroyed(s),
      lode_socket_bytes_read(s), lode_socket_bytes_written(s),
      lode_socket_buffer_size(s));
}

/* Node's line as lode must print it: bufferSize is undefined in Node
 * without a handle (before connect, after destroy; the peer prints "-"),
 * and lode's is documented to be 0 there (include/lode/net.h). */
static void node_to_lode(char* one) {
  size_t n = strlen(one);
  if (n >= 3 && strcmp(one + n - 3, " -\n") == 0)
    strcpy(one + n - 2, "0\n");
}

/* The server: half-open, answers the client's end with "bye". */
static void s_end(lode_socket_t* s) {
  lode_socket_end(s, LODE_SLICE("bye"), NULL, NULL);
}
static const lode_socket_events_t srv_sock = { .on_end = s_end };

static void finished(lode_socket_t* s, int status, void* arg) {
  ASSERT_OK(status);
  line("finish", s);
}
static void c_connect(lode_socket_t* s) {
  line("connect", s);
  lode_socket_write(s, LODE_SLICE("hello"), NULL, NULL);
  line("write", s);
  lode_socket_end(s, (lode_slice_t){ NULL, 0 }, finished, NULL);
  line("end-called", s);
}
static void c_end(lode_socket_t* s) {
  line("end", s);
}
static void c_close(lode_socket_t* s, int e) {
  line("close", s);
  lode_server_close(server, NULL, NULL);
}
static const lode_socket_events_t cev = {
  .on_connect = c_connect,
  .on_end = c_end,
  .on_close = c_close,
};

TEST(states_like_node) {
  const char* argv[] = { "node", "test/peers/net-props.js", NULL };
  test_peer_t* peer = test_peer_start(argv);
  uv_loop_t loop;
  uv_loop_init(&loop);
  lode_socket_t* fresh;
  ASSERT_OK(lode_socket_create(&loop, NULL, NULL, &fresh));
  line("fresh", fresh);
  lode_socket_t* gone;
  ASSERT_OK(lode_socket_create(&loop, NULL, NULL, &gone));
  lode_socket_destroy(gone, NULL);
  line("fresh-destroyed", gone);
  lode_socket_destroy(fresh, NULL);
  lode_server_opts_t so = { .allow_half_open = 1, .socket_events = &srv_sock };
  int port = serve(&loop, &so, NULL, &server);
  lode_socket_t* c;
  lode_socket_opts_t o = { .host = "127.0.0.1",
                           .port = port,
                           .allow_half_open = 1 };
  ASSERT_OK(lode_net_connect(&loop, &o, &cev, &c));
  line("connecting", c);
  test_run_loop(&loop, 5000);
  test_loop_close(&loop);
  char* want;
  ASSERT_EQ(test_peer_finish(peer, 10000, &want), 0);
  /* 'finish' and 'end' race on the wire; compare each tag's line. */
  size_t want_len = 0;
  for (char* l = want; *l != '\0';) {
    char* nl = strchr(l, '\n');
    size_t n = nl ? (size_t) (nl - l) + 1 : strlen(l);
    char one[256];
    snprintf(one, sizeof(one), "%.*s", (int) n, l);
    node_to_lode(one);
    if (strstr(lines, one) == NULL)
      test_fail(__FILE__, __LINE__, "Node's line %s is not in lode's:\n%s", one,
                lines);
    want_len += strlen(one);
    l += n;
  }
  ASSERT_EQ(want_len, lines_len);
  free(want);
}

/* destroySoon: the queued bytes all reach the peer, then the socket closes
 * without waiting for the peer's end (Node destroys on 'finish'). */
static side_trace_t ct, st;
static size_t srv_got;
static void ds_data(lode_socket_t* s, lode_slice_t d) {
  srv_got += d.len;
}
/* Once the client closed and the server saw everything. */
static lode_socket_t* accepted;
static int ds_done;
static void ds_finish(void) {
  lode_socket_destroy(accepted, NULL);
  lode_server_close(server, NULL, NULL);
}
static void ds_end(lode_socket_t* s) {
  side(&st, "end:%zu", srv_got); /* half-open: our side stays open */
  if (++ds_done == 2)
    ds_finish();
}
static void ds_close(lode_socket_t* s, int e) {
  side(&st, "close(%d)", e);
}
static const lode_socket_events_t ds_srv = {
  .on_data = ds_data,
  .on_end = ds_end,
  .on_close = ds_close,
};

/* The server reads only once the client's queue waits on it. */
static int soon_called;
static void maybe_resume(void) {
  if (accepted != NULL && soon_called)
    lode_socket_resume(accepted);
}
static void ds_conn(lode_server_t* srv, lode_socket_t* s) {
  accepted = s;
  maybe_resume();
}
static const lode_server_events_t ds_sev = { .on_connection = ds_conn };

static char big[1 << 20];
static void dc_connect(lode_socket_t* s) {
  side(&ct, "connect");
  lode_socket_write(s, (lode_slice_t){ big, sizeof(big) }, NULL, NULL);
  lode_socket_destroy_soon(s);
  side(&ct, "soon:%s:%d", lode_socket_ready_state(s), lode_socket_destroyed(s));
  soon_called = 1;
  maybe_resume();
}
static void dc_close(lode_socket_t* s, int e) {
  side(&ct, "close(%d):%" PRIu64, e, lode_socket_bytes_written(s));
  if (++ds_done == 2)
    ds_finish();
}
static const lode_socket_events_t dcev = {
  .on_connect = dc_connect,
  .on_close = dc_close,
};

TEST(destroy_soon) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  lode_server_opts_t so = { .allow_half_open = 1,
                            .pause_on_connect = 1,
                            .socket_events = &ds_srv };
  int port = serve(&loop, &so, &ds_sev, &server);
  dial(&loop, port, &dcev);
  test_run_loop(&loop, 10000);
  /* The client closed although the server never ended its side. */
  ASSERT_STR_EQ(ct.buf, "connect,soon:readOnly:0,close(0):1048576");
  ASSERT_STR_EQ(st.buf, "end:1048576,close(0)");
  test_loop_close(&loop);
}

TEST_MAIN(states_like_node, destroy_soon)
