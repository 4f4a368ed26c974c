/* What goes on the wire for a write of several buffers over TLS: as
 * Node's TLSWrap (which copies such a write into one buffer before
 * SSL_write), one record, not one per buffer. An HTTP chunk is written as
 * its size line, data and CRLF: as three records, each in its own write
 * to the socket, the second could meet the peer's reset (a server that
 * answered and closed) and fail with EPIPE where Node's one write does
 * not. The server counts the records: one 'data' each. */
#include "../tls/tls-test.h"

static uv_loop_t loop;
static lode_tls_server_t* server;

static void srv_data(lode_tls_socket_t* t, lode_slice_t d) {
  test_trace("data(%s)", test_escape(d.base, d.len));
}

static void srv_end(lode_tls_socket_t* t) {
  test_trace("end");
  lode_tls_socket_end(t, NULL, NULL);
  ASSERT_OK(lode_tls_server_close(server, NULL, NULL));
}

static const lode_tls_socket_events_t srv_events = { .on_data = srv_data,
                                                     .on_end = srv_end };

static void cli_secure(lode_tls_socket_t* t) {
  lode_slice_t parts[] = { LODE_SLICE("3\r\n"), LODE_SLICE("abc"),
                           LODE_SLICE("\r\n") };
  ASSERT_GE(lode_stream_writev(lode_tls_socket_stream(t), parts, 3, NULL, NULL),
            0);
  lode_tls_socket_end(t, NULL, NULL);
}

static const lode_tls_socket_events_t cli_events = {
  .on_secure_connect = cli_secure,
};

TEST(writev_is_one_record) {
  ASSERT_OK(uv_loop_init(&loop));
  lode_tls_server_opts_t o = tls_server_opts("server", &srv_events);
  static const lode_tls_server_events_t sev = { 0 };
  int port;
  server = tls_listen(&loop, &o, &sev, &port);
  lode_socket_opts_t net = { .host = "127.0.0.1", .port = port };
  lode_tls_opts_t tls = { .servername = "localhost" };
  tls.context.ca = tls_file("ca.crt");
  lode_tls_socket_t* c;
  lode_error_t err;
  ASSERT_OK(lode_tls_connect(&loop, &net, &tls, &cli_events, &c, &err));
  test_run_loop(&loop, 20000);
  test_loop_close(&loop);
  ASSERT_TRACE("data(\"3\\r\\nabc\\r\\n\"),end");
}

TEST_MAIN(writev_is_one_record)
