/* The socket as a duplex stream: the reader hears every event before the
 * socket's own callbacks, writes and end through the stream interface
 * report to stream callbacks, and from_stream knows its sockets. */
#include "net-test.h"

static side_trace_t ct;
static lode_server_t* server;

static void r_data(void* ctx, lode_stream_t* st, lode_slice_t d) {
  side(&ct, "reader-data:%.*s", (int) d.len, d.base);
}
static void r_end(void* ctx, lode_stream_t* st) {
  side(&ct, "reader-end");
}
static void r_close(void* ctx, lode_stream_t* st, int had_error) {
  side(&ct, "reader-close(%d)", had_error);
}
static const lode_stream_reader_t reader = {
  .on_data = r_data,
  .on_end = r_end,
  .on_close = r_close,
};

static void st_done(lode_stream_t* st, int status, void* arg) {
  ASSERT_NOT_NULL(lode_socket_from_stream(st));
  side(&ct, "%s(%d)", (const char*) arg, status);
}
static void c_connect(lode_socket_t* s) {
  lode_stream_t* st = lode_socket_stream(s);
  lode_stream_set_reader(st, &reader, NULL);
  ASSERT_EQ(lode_stream_write(st, LODE_SLICE("ping"), st_done, "write"), 1);
  ASSERT_OK(lode_stream_end(st, st_done, "end"));
}
static void c_data(lode_socket_t* s, lode_slice_t d) {
  side(&ct, "data:%.*s", (int) d.len, d.base);
}
static void c_end(lode_socket_t* s) {
  side(&ct, "end");
}
static void c_close(lode_socket_t* s, int e) {
  side(&ct, "close(%d)", e);
  lode_server_close(server, NULL, NULL);
}
static const lode_socket_events_t cev = {
  .on_connect = c_connect,
  .on_data = c_data,
  .on_end = c_end,
  .on_close = c_close,
};

/* The server echoes and ends when the client ends. */
static void s_data(lode_socket_t* s, lode_slice_t d) {
  lode_socket_write(s, d, NULL, NULL);
}
static const lode_socket_events_t echo = { .on_data = s_data };
static void s_conn(lode_server_t* srv, lode_socket_t* s) {
}
static const lode_server_events_t sev = { .on_connection = s_conn };

TEST(reader_first) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  lode_server_opts_t so = { .socket_events = &echo };
  int port = serve(&loop, &so, &sev, &server);
  dial(&loop, port, &cev);
  test_run_loop(&loop, 5000);
  ASSERT_STR_EQ(ct.buf,
                "write(0),end(0),reader-data:ping,data:ping,"
                "reader-end,end,reader-close(0),close(0)");
  test_loop_close(&loop);
}

TEST(from_stream) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  lode_stream_t *a, *b;
  ASSERT_OK(lode_stream_pair(&loop, &a, &b));
  ASSERT_NULL(lode_socket_from_stream(a)); /* not a socket */
  ASSERT_NULL(lode_socket_from_stream(NULL));
  lode_stream_destroy(a, NULL);
  lode_stream_destroy(b, NULL);
  test_run_loop(&loop, 5000);
  test_loop_close(&loop);
}

TEST_MAIN(reader_first, from_stream)
