/* destroy() called inside every callback: after it, only the callbacks
 * that report the failure of pending work and the one close follow; no
 * crash, no leak (ASan checks), no hang. */
#include "net-test.h"

static side_trace_t ct;
static const char* kill_at;
static lode_server_t* server;
static int closes;

/* Records the event; destroys the socket when it is the chosen one. */
static void ev(lode_socket_t* s, const char* name) {
  side(&ct, "%s", name);
  if (kill_at != NULL && strcmp(kill_at, name) == 0) {
    lode_socket_destroy(s, NULL);
    lode_socket_destroy(s, NULL);
  }
}

static void lookup_fn(lode_lookup_t* req, const char* host, int family,
                      int hints, void* arg) {
  lode_lookup_done(req, 0, "127.0.0.1", 4);
}
static void wcb(lode_socket_t* s, int status, void* arg) {
  side(&ct, "write-cb(%s)", status ? lode_err_name(status) : "0");
  if (kill_at && strcmp(kill_at, "write-cb(0)") == 0)
    lode_socket_destroy(s, 0);
}
static void ecb(lode_socket_t* s, int status, void* arg) {
  side(&ct, "end-cb(%s)", status ? lode_err_name(status) : "0");
  if (kill_at && strcmp(kill_at, "end-cb(0)") == 0)
    lode_socket_destroy(s, 0);
}
static void c_lookup(lode_socket_t* s, int e, const char* a, int f,
                     const char* h) {
  ev(s, "lookup");
}
/* More than the kernel can take at once on this machine, so the write
 * queues and 'drain' follows; the server answers once it has read it
 * all. */
static char* big;
static size_t big_len;
static void c_connect(lode_socket_t* s) {
  ASSERT_EQ(lode_socket_write(s, (lode_slice_t){ big, big_len }, wcb, NULL), 0);
  ev(s, "connect");
}
static void c_ready(lode_socket_t* s) {
  ev(s, "ready");
}
static void c_data(lode_socket_t* s, lode_slice_t d) {
  ev(s, "data");
}
static void c_end(lode_socket_t* s) {
  ev(s, "end");
  lode_socket_end(s, (lode_slice_t){ 0 }, ecb, NULL);
}
static void c_drain(lode_socket_t* s) {
  ev(s, "drain");
}
static void c_timeout(lode_socket_t* s) {
  ev(s, "timeout");
}
static void c_error(lode_socket_t* s, const lode_error_t* e) {
  side(&ct, "error:%s", e->name);
  lode_socket_destroy(s, NULL);
}
static void c_close(lode_socket_t* s, int had_error) {
  side(&ct, "close(%d)", had_error);
  lode_socket_destroy(s, NULL);
  closes++;
  if (server != NULL)
    lode_server_close(server, NULL, NULL);
}
static const lode_socket_events_t cev = {
  .on_lookup = c_lookup,
  .on_connect = c_connect,
  .on_ready = c_ready,
  .on_data = c_data,
  .on_end = c_end,
  .on_drain = c_drain,
  .on_timeout = c_timeout,
  .on_error = c_error,
  .on_close = c_close,
};

/* The server reads the client's bytes, then says hello and ends. */
static size_t sunk;
static void sink(lode_socket_t* s, lode_slice_t d) {
  sunk += d.len;
  if (sunk == big_len)
    lode_socket_end(s, LODE_SLICE("hello"), NULL, NULL);
}
static const lode_socket_events_t server_sock = { .on_data = sink };
static void s_conn(lode_server_t* srv, lode_socket_t* s) {
  sunk = 0;
}
static const lode_server_events_t sev = { .on_connection = s_conn };

static void run_client(const char* at) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  big_len = test_loopback_capacity() + (1 << 20);
  big = calloc(1, big_len);
  ASSERT_NOT_NULL(big);
  ct.len = 0;
  ct.buf[0] = '\0';
  closes = 0;
  kill_at = at;
  lode_server_opts_t so = { .socket_events = &server_sock };
  ASSERT_OK(lode_net_create_server(&loop, &so, &sev, &server));
  int port = listen_local(&loop, server);
  lode_socket_t* c;
  lode_socket_opts_t o = { .host = "peer.test",
                           .port = port,
                           .lookup = lookup_fn };
  ASSERT_OK(lode_net_connect(&loop, &o, &cev, &c));
  test_run_loop(&loop, 20000);
  free(big);
  ASSERT_EQ(closes, 1);
  if (at == NULL) {
    ASSERT_STR_EQ(ct.buf,
                  "lookup,connect,ready,drain,write-cb(0),data,end,"
                  "end-cb(0),close(0)");
    test_loop_close(&loop);
    return;
  }
  /* After the kill, only write callbacks (a write the kernel took still
   * reports success, as in Node), failure reports and the close. */
  const char* p = strstr(ct.buf, at);
  ASSERT_NOT_NULL(p);
  p += strlen(at);
  char rest[512];
  snprintf(rest, sizeof(rest), "%s", p);
  for (char* tok = strtok(rest, ","); tok != NULL; tok = strtok(NULL, ","))
    if (strncmp(tok, "write-cb(", 9) != 0 &&
        strncmp(tok, "end-cb(ERR", 10) != 0 && strcmp(tok, "close(0)") != 0)
      test_fail(__FILE__, __LINE__, "after %s: %s in %s", at, tok, ct.buf);
  test_loop_close(&loop);
}

TEST(in_lookup) {
  run_client("lookup");
}
TEST(in_connect) {
  run_client("connect");
}
TEST(in_ready) {
  run_client("ready");
}
TEST(in_data) {
  run_client("data");
}
TEST(in_end) {
  run_client("end");
}
TEST(in_drain) {
  run_client("drain");
}
TEST(in_write_cb) {
  run_client("write-cb(0)");
}
TEST(in_end_cb) {
  run_client("end-cb(0)");
}
TEST(in_close) {
  run_client("close(0)");
}

/* The whole run without a kill, for reference. */
TEST(no_kill) {
  run_client(NULL);
}

/* Timeout and error. */
static void t_connect(lode_socket_t* s) {
  lode_socket_set_timeout(s, 5, NULL, NULL);
}
static const lode_socket_events_t tev = {
  .on_connect = t_connect,
  .on_timeout = c_timeout,
  .on_close = c_close,
};
static void idle_conn(lode_server_t* srv, lode_socket_t* s) {
}
static const lode_server_events_t idle_sev = { .on_connection = idle_conn };

TEST(in_timeout) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  kill_at = "timeout";
  int port = serve(&loop, NULL, &idle_sev, &server);
  dial(&loop, port, &tev);
  test_run_loop(&loop, 5000);
  ASSERT_STR_EQ(ct.buf, "timeout,close(0)");
  test_loop_close(&loop);
}

static void reset_conn(lode_server_t* srv, lode_socket_t* s) {
  lode_socket_reset_and_destroy(s);
}
static const lode_server_events_t reset_sev = { .on_connection = reset_conn };
static const lode_socket_events_t eev = {
  .on_error = c_error,
  .on_close = c_close,
  .on_data = c_data,
};

TEST(in_error) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  int port = serve(&loop, NULL, &reset_sev, &server);
  dial(&loop, port, &eev);
  test_run_loop(&loop, 5000);
  ASSERT_STR_EQ(ct.buf, "error:ECONNRESET,close(1)");
  test_loop_close(&loop);
}

/* Server side: destroy the accepted socket inside 'connection', and close
 * the server inside 'listening'. */
static void kill_conn(lode_server_t* srv, lode_socket_t* s) {
  lode_socket_destroy(s, NULL);
  lode_server_close(srv, NULL, NULL);
  lode_server_close(srv, NULL, NULL);
}
static void kill_close(lode_server_t* srv) {
  server = NULL;
}
static const lode_server_events_t kill_sev = {
  .on_connection = kill_conn,
  .on_close = kill_close,
};
static const lode_socket_events_t plain = { .on_close = c_close,
                                            .on_error = c_error };

TEST(in_connection) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  int port = serve(&loop, NULL, &kill_sev, &server);
  dial(&loop, port, &plain);
  test_run_loop(&loop, 5000);
  ASSERT_STR_EQ(ct.buf, "close(0)");
  test_loop_close(&loop);
}

static void l_listening(lode_server_t* srv) {
  side(&ct, "listening");
  lode_server_close(srv, NULL, NULL);
}
static void l_close(lode_server_t* srv) {
  side(&ct, "close");
}
static const lode_server_events_t l_sev = {
  .on_listening = l_listening,
  .on_close = l_close,
};

TEST(in_listening) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  lode_server_t* srv;
  ASSERT_OK(lode_net_create_server(&loop, NULL, &l_sev, &srv));
  ASSERT_OK(lode_server_listen(srv, NULL, NULL, NULL));
  test_run_loop(&loop, 5000);
  ASSERT_STR_EQ(ct.buf, "listening,close");
  test_loop_close(&loop);
}

TEST_MAIN(in_lookup, in_connect, in_ready, in_data, in_end, in_drain,
          in_write_cb, in_end_cb, in_close, no_kill, in_timeout, in_error,
          in_connection, in_listening)
