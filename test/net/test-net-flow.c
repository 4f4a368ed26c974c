/* Flow: allowHalfOpen, pause/resume with real kernel backpressure,
 * pauseOnConnect, setEncoding across split characters, onread. */
#include "net-test.h"

static side_trace_t ct, st;
static lode_server_t* server;
static lode_socket_t* accepted;

/* Some tests need both ends up: the client's connect and the server's
 * connection come in either order. */
static lode_socket_t* connected_client;
static void (*both_up)(lode_socket_t* client);
static void maybe_both_up(void) {
  if (accepted != NULL && connected_client != NULL && both_up != NULL) {
    void (*fn)(lode_socket_t*) = both_up;
    both_up = NULL;
    fn(connected_client);
  }
}
static void srv_conn(lode_server_t* srv, lode_socket_t* s) {
  accepted = s;
  side(&st, "connection");
  maybe_both_up();
}
static const lode_server_events_t srv_ev = { .on_connection = srv_conn };

/* ---- allowHalfOpen ----------------------------------------------------- */

static void ho_s_data(lode_socket_t* s, lode_slice_t d) {
  side(&st, "data:%.*s", (int) d.len, d.base);
}
static void ho_s_end(lode_socket_t* s) {
  side(&st, "end");
}
static void ho_s_close(lode_socket_t* s, int e) {
  side(&st, "close(%d)", e);
  lode_server_close(server, NULL, NULL);
}
static const lode_socket_events_t ho_srv_sock = {
  .on_data = ho_s_data,
  .on_end = ho_s_end,
  .on_close = ho_s_close,
};
static void ho_srv_conn(lode_server_t* srv, lode_socket_t* s) {
  side(&st, "connection");
  lode_socket_end(s, LODE_SLICE("bye"), NULL, NULL);
}
static const lode_server_events_t ho_srv_ev = { .on_connection = ho_srv_conn };

static void ho_c_data(lode_socket_t* s, lode_slice_t d) {
  side(&ct, "data:%.*s", (int) d.len, d.base);
}
static void ho_c_finish(lode_socket_t* s, int status, void* arg) {
  side(&ct, "finish(%d)", status);
}
static void ho_c_end(lode_socket_t* s) {
  side(&ct, "end");
  /* Half-open: no longer readable, still writable. */
  ASSERT_STR_EQ(lode_socket_ready_state(s), "writeOnly");
  ASSERT_EQ(lode_socket_write(s, LODE_SLICE("reply"), NULL, NULL), 1);
  lode_socket_end(s, (lode_slice_t){ 0 }, ho_c_finish, NULL);
}
static void ho_c_close(lode_socket_t* s, int e) {
  side(&ct, "close(%d)", e);
}
static const lode_socket_events_t ho_client = {
  .on_data = ho_c_data,
  .on_end = ho_c_end,
  .on_close = ho_c_close,
};

TEST(allow_half_open) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  lode_server_opts_t so = { .allow_half_open = 1,
                            .socket_events = &ho_srv_sock };
  ASSERT_OK(lode_net_create_server(&loop, &so, &ho_srv_ev, &server));
  int port = listen_local(&loop, server);
  lode_socket_t* c;
  lode_socket_opts_t o = { .host = "127.0.0.1",
                           .port = port,
                           .allow_half_open = 1 };
  ASSERT_OK(lode_net_connect(&loop, &o, &ho_client, &c));
  test_run_loop(&loop, 5000);
  ASSERT_STR_EQ(ct.buf, "data:bye,end,finish(0),close(0)");
  ASSERT_STR_EQ(st.buf, "connection,data:reply,end,close(0)");
  test_loop_close(&loop);
}

/* Without allowHalfOpen the socket answers the peer's FIN with its own:
 * 'end', then the FIN ('finish'), then 'close'. */
static void nh_c_end(lode_socket_t* s) {
  side(&ct, "end");
  ASSERT_EQ(lode_socket_destroyed(s), 0);
}
static const lode_socket_events_t nh_client = {
  .on_data = ho_c_data,
  .on_end = nh_c_end,
  .on_close = ho_c_close,
};

TEST(no_half_open) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  lode_server_opts_t so = { .allow_half_open = 1,
                            .socket_events = &ho_srv_sock };
  int port = serve(&loop, &so, &ho_srv_ev, &server);
  dial(&loop, port, &nh_client);
  test_run_loop(&loop, 5000);
  ASSERT_STR_EQ(ct.buf, "data:bye,end,close(0)");
  ASSERT_STR_EQ(st.buf, "connection,end,close(0)");
  test_loop_close(&loop);
}

/* ---- pause/resume: the kernel buffer fills, the writer feels it -------- */

static char chunk[65536];
static uint64_t sent, received_before_resume;
static int backpressure, resumed;

static void bp_s_data(lode_socket_t* s, lode_slice_t d) {
}
static void bp_s_close(lode_socket_t* s, int e) {
  ASSERT_EQ(lode_socket_bytes_read(s), sent);
  lode_server_close(server, NULL, NULL);
}
static const lode_socket_events_t bp_srv_sock = {
  .on_data = bp_s_data,
  .on_close = bp_s_close,
};

static void bp_drain(lode_socket_t* s) {
  side(&ct, "drain");
  ASSERT_EQ(resumed, 1);
  lode_socket_end(s, (lode_slice_t){ 0 }, NULL, NULL);
}
static void bp_start(lode_socket_t* s) {
  /* Write until the kernel refuses bytes (bounded at 256 MiB). */
  for (int i = 0; i < 4096 && lode_socket_buffer_size(s) == 0; i++) {
    lode_socket_write(s, (lode_slice_t){ chunk, sizeof(chunk) }, NULL, NULL);
    sent += sizeof(chunk);
  }
  backpressure = lode_socket_buffer_size(s) > 0;
  ASSERT(backpressure);
  side(&ct, "backpressure");
  /* The paused server has read nothing from the kernel. */
  received_before_resume = lode_socket_bytes_read(accepted);
  ASSERT_EQ(received_before_resume, 0);
  ASSERT_EQ(lode_socket_is_paused(accepted), 1);
  resumed = 1;
  lode_socket_resume(accepted);
}
static void bp_connect(lode_socket_t* s) {
  connected_client = s;
  both_up = bp_start;
  maybe_both_up();
}
static void bp_close(lode_socket_t* s, int e) {
  side(&ct, "close(%d)", e);
}
static const lode_socket_events_t bp_client = {
  .on_connect = bp_connect,
  .on_drain = bp_drain,
  .on_close = bp_close,
};

TEST(pause_on_connect_backpressure) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  lode_server_opts_t so = { .pause_on_connect = 1,
                            .socket_events = &bp_srv_sock };
  int port = serve(&loop, &so, &srv_ev, &server);
  dial(&loop, port, &bp_client);
  /* The server must have accepted before the client's connect callback
   * uses `accepted`: run until both are up. */
  test_run_loop(&loop, 20000);
  ASSERT_STR_EQ(ct.buf, "backpressure,drain,close(0)");
  test_loop_close(&loop);
}

/* Pause in the middle: after the first data the server stops reading;
 * the client's queue grows; resume lets it drain. */
static uint64_t mid_read;
static void mp_s_data(lode_socket_t* s, lode_slice_t d) {
  mid_read += d.len;
  if (!resumed && !lode_socket_is_paused(s)) {
    side(&st, "pause");
    lode_socket_pause(s);
  }
}
static const lode_socket_events_t mp_srv_sock = {
  .on_data = mp_s_data,
  .on_close = bp_s_close,
};
static uv_timer_t poll_timer;
static lode_socket_t* mp_client;
static void mp_poll(uv_timer_t* t) {
  /* Keep the client writing until the kernel pushes back. */
  lode_socket_t* s = mp_client;
  if (accepted == NULL)
    return;
  if (lode_socket_buffer_size(s) == 0) {
    for (int i = 0; i < 64 && lode_socket_buffer_size(s) == 0; i++) {
      lode_socket_write(s, (lode_slice_t){ chunk, sizeof(chunk) }, NULL, NULL);
      sent += sizeof(chunk);
    }
    if (sent < (1u << 28))
      return;
  }
  uv_timer_stop(t);
  uv_close((uv_handle_t*) t, NULL);
  side(&ct, "backpressure");
  ASSERT(mid_read < sent);
  uint64_t at_pause = mid_read;
  ASSERT_EQ(lode_socket_bytes_read(accepted), at_pause);
  resumed = 1;
  side(&st, "resume");
  lode_socket_resume(accepted);
}
static void mp_connect(lode_socket_t* s) {
  mp_client = s;
  lode_socket_write(s, LODE_SLICE("first"), NULL, NULL);
  sent += 5;
  uv_timer_init(lode_socket_loop(s), &poll_timer);
  uv_timer_start(&poll_timer, mp_poll, 1, 1);
}
static const lode_socket_events_t mp_client_ev = {
  .on_connect = mp_connect,
  .on_drain = bp_drain,
  .on_close = bp_close,
};

TEST(pause_resume_midway) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  lode_server_opts_t so = { .socket_events = &mp_srv_sock };
  int port = serve(&loop, &so, &srv_ev, &server);
  dial(&loop, port, &mp_client_ev);
  test_run_loop(&loop, 30000);
  ASSERT_STR_EQ(ct.buf, "backpressure,drain,close(0)");
  ASSERT_STR_EQ(st.buf, "connection,pause,resume");
  ASSERT_EQ(mid_read, sent);
  test_loop_close(&loop);
}

/* ---- setEncoding: a character split across reads ----------------------- */

static lode_socket_t* enc_client;
static void enc_s_data(lode_socket_t* s, lode_slice_t d) {
  side(&st, "text:%.*s", (int) d.len, d.base);
}
/* The stream's reader sees the raw bytes first, and acknowledges each
 * read, so the next bytes come in another read. */
static void enc_raw(void* ctx, lode_stream_t* stream, lode_slice_t d) {
  side(&st, "raw:%zu", d.len);
  lode_socket_t* s = lode_socket_from_stream(stream);
  ASSERT_NOT_NULL(s);
  lode_socket_write(s, LODE_SLICE("k"), NULL, NULL);
}
static const lode_stream_reader_t enc_reader = { .on_data = enc_raw };
static void enc_s_end(lode_socket_t* s) {
  side(&st, "end");
}
static void enc_s_close(lode_socket_t* s, int e) {
  lode_server_close(server, NULL, NULL);
}
static const lode_socket_events_t enc_srv_sock = {
  .on_data = enc_s_data,
  .on_end = enc_s_end,
  .on_close = enc_s_close,
};
static void enc_srv_conn(lode_server_t* srv, lode_socket_t* s) {
  ASSERT_OK(lode_socket_set_encoding(s, LODE_ENC_UTF8));
  lode_stream_set_reader(lode_socket_stream(s), &enc_reader, NULL);
}
static const lode_server_events_t enc_srv_ev = {
  .on_connection = enc_srv_conn,
};

/* "a€" is 61 e2 82 ac: sent as "a\xe2", "\x82", "\xac" + "b". */
static const char* const parts[] = { "a\xe2", "\x82",
                                     "\xac"
                                     "b" };
static int part;
static void enc_c_connect(lode_socket_t* s) {
  lode_socket_write(s, lode_slice_str(parts[part++]), NULL, NULL);
}
static void enc_c_data(lode_socket_t* s, lode_slice_t d) {
  if (part < 3)
    lode_socket_write(s, lode_slice_str(parts[part++]), NULL, NULL);
  else if (part++ == 3)
    lode_socket_end(s, (lode_slice_t){ 0 }, NULL, NULL);
}
static const lode_socket_events_t enc_client_ev = {
  .on_connect = enc_c_connect,
  .on_data = enc_c_data,
};

TEST(set_encoding_split_char) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  lode_server_opts_t so = { .socket_events = &enc_srv_sock };
  ASSERT_OK(lode_net_create_server(&loop, &so, &enc_srv_ev, &server));
  int port = listen_local(&loop, server);
  lode_socket_opts_t o = { .host = "127.0.0.1", .port = port };
  ASSERT_OK(lode_net_connect(&loop, &o, &enc_client_ev, &enc_client));
  test_run_loop(&loop, 5000);
  /* The middle read yields no text at all, as in Node. */
  ASSERT_STR_EQ(st.buf,
                "raw:2,text:a,raw:1,raw:2,text:\xe2\x82\xac"
                "b,end");
  test_loop_close(&loop);
}

/* ---- onread: a user buffer instead of 'data' --------------------------- */

static char user_buf[4];
static int onread_calls;
static int or_cb(lode_socket_t* s, size_t n, char* buf, void* arg) {
  ASSERT(buf == user_buf);
  ASSERT_LE(n, sizeof(user_buf));
  side(&st, "read:%.*s", (int) n, buf);
  onread_calls++;
  return 1;
}
static const lode_onread_t onread = { user_buf, sizeof(user_buf), or_cb, NULL };
static void or_c_data(lode_socket_t* s, lode_slice_t d) {
  side(&ct, "data:%.*s", (int) d.len, d.base);
  lode_socket_end(s, (lode_slice_t){ 0 }, NULL, NULL);
}
static void or_c_close(lode_socket_t* s, int e) {
  side(&ct, "close(%d)", e);
  lode_server_close(server, NULL, NULL);
}
static const lode_socket_events_t or_client_ev = {
  .on_data = or_c_data,
  .on_close = or_c_close,
};
static void or_srv_conn(lode_server_t* srv, lode_socket_t* s) {
  lode_socket_end(s, LODE_SLICE("abcdefghij"), NULL, NULL);
}
static const lode_server_events_t or_srv_ev = { .on_connection = or_srv_conn };

TEST(onread_user_buffer) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  ASSERT_OK(lode_net_create_server(&loop, NULL, &or_srv_ev, &server));
  int port = listen_local(&loop, server);
  lode_socket_t* c;
  lode_socket_opts_t o = { .host = "127.0.0.1",
                           .port = port,
                           .onread = &onread };
  ASSERT_OK(lode_net_connect(&loop, &o, &or_client_ev, &c));
  test_run_loop(&loop, 5000);
  /* The client reads through onread (4 bytes at a time); no 'data'. */
  ASSERT_STR_EQ(st.buf, "read:abcd,read:efgh,read:ij");
  ASSERT_STR_EQ(ct.buf, "close(0)");
  test_loop_close(&loop);
}

TEST_MAIN(allow_half_open, no_half_open, pause_on_connect_backpressure,
          pause_resume_midway, set_encoding_split_char, onread_user_buffer)
