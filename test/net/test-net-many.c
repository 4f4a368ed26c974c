/* 10,000 connections opened and closed (at most 256 at a time), with a
 * byte each way: every socket closes cleanly on both sides and nothing
 * leaks (LeakSanitizer checks at exit, test_loop_close checks handles). */
#include "net-test.h"

#define TOTAL 10000
#define AT_ONCE 256

static lode_server_t* server;
static int port, started, client_closed, server_closed, accepted, errors;
static uv_loop_t loop;

static void start_one(void);

static void c_connect(lode_socket_t* s) {
  lode_socket_end(s, LODE_SLICE("x"), NULL, NULL);
}
static void c_error(lode_socket_t* s, const lode_error_t* e) {
  errors++;
  fprintf(stderr, "client error: %s\n", e->message);
}
static void c_close(lode_socket_t* s, int had_error) {
  client_closed++;
  if (started < TOTAL)
    start_one();
}
static const lode_socket_events_t cev = {
  .on_connect = c_connect,
  .on_error = c_error,
  .on_close = c_close,
};

static void s_data(lode_socket_t* s, lode_slice_t d) {
  lode_socket_write(s, d, NULL, NULL);
}
static void s_close(lode_socket_t* s, int had_error) {
  if (had_error)
    errors++;
  if (++server_closed == TOTAL)
    lode_server_close(server, NULL, NULL);
}
static const lode_socket_events_t sock_ev = {
  .on_data = s_data,
  .on_close = s_close,
};
static void s_conn(lode_server_t* srv, lode_socket_t* s) {
  accepted++;
}
static const lode_server_events_t sev = { .on_connection = s_conn };

static void start_one(void) {
  lode_socket_t* c;
  lode_socket_opts_t o = { .host = "127.0.0.1", .port = port };
  started++;
  ASSERT_OK(lode_net_connect(&loop, &o, &cev, &c));
}

TEST(ten_thousand) {
  uv_loop_init(&loop);
  lode_server_opts_t so = { .socket_events = &sock_ev };
  ASSERT_OK(lode_net_create_server(&loop, &so, &sev, &server));
  port = listen_local(&loop, server);
  for (int i = 0; i < AT_ONCE; i++)
    start_one();
  test_run_loop(&loop, 100000);
  ASSERT_EQ(errors, 0);
  ASSERT_EQ(started, TOTAL);
  ASSERT_EQ(accepted, TOTAL);
  ASSERT_EQ(client_closed, TOTAL);
  ASSERT_EQ(server_closed, TOTAL);
  test_loop_close(&loop);
}

TEST_MAIN(ten_thousand)
