/* IPC: Unix socket paths, Linux abstract names, paths too long for a
 * socket address, readableAll/writableAll, the socket file removed on
 * close, connect errors. */
#include <sys/stat.h>
#include <unistd.h>
#include "net-test.h"

static side_trace_t st, ct;
static lode_server_t* server;

static void s_listening(lode_server_t* srv) {
  lode_net_address_t a;
  ASSERT_OK(lode_server_address(srv, &a));
  side(&st, "listening:%s", a.address);
}
static void s_error(lode_server_t* srv, const lode_error_t* e) {
  side(&st, "error:%s", e->message);
}
static void s_close(lode_server_t* srv) {
  side(&st, "close");
}
static void s_conn(lode_server_t* srv, lode_socket_t* s) {
  side(&st, "connection");
  ASSERT_NULL(lode_socket_remote_address(s));
  ASSERT_EQ(lode_socket_reset_and_destroy(s), LODE_ERR_INVALID_HANDLE_TYPE);
  lode_socket_end(s, LODE_SLICE("over ipc"), NULL, NULL);
}
static const lode_server_events_t sev = {
  .on_listening = s_listening,
  .on_error = s_error,
  .on_close = s_close,
  .on_connection = s_conn,
};

static void c_connect(lode_socket_t* s) {
  side(&ct, "connect");
}
static void c_data(lode_socket_t* s, lode_slice_t d) {
  side(&ct, "data:%.*s", (int) d.len, d.base);
}
static void c_error(lode_socket_t* s, const lode_error_t* e) {
  side(&ct, "error:%s:%s", e->name, e->message);
}
static void c_close(lode_socket_t* s, int e) {
  side(&ct, "close(%d)", e);
  if (server != NULL)
    lode_server_close(server, NULL, NULL);
}
static const lode_socket_events_t cev = {
  .on_connect = c_connect,
  .on_data = c_data,
  .on_error = c_error,
  .on_close = c_close,
};

static void sock_path(char* buf, size_t n) {
  snprintf(buf, n, "/tmp/lode-net-ipc-%d.sock", (int) getpid());
}

TEST(path) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  char path[108];
  sock_path(path, sizeof(path));
  unlink(path);
  ASSERT_OK(lode_net_create_server(&loop, NULL, &sev, &server));
  lode_listen_opts_t lo = { .path = path,
                            .readable_all = 1,
                            .writable_all = 1 };
  ASSERT_OK(lode_server_listen(server, &lo, NULL, NULL));
  struct stat sb;
  ASSERT_OK(stat(path, &sb));
  ASSERT_EQ(sb.st_mode & 0666, 0666);
  lode_socket_t* c;
  lode_socket_opts_t o = { .path = path };
  ASSERT_OK(lode_net_connect(&loop, &o, &cev, &c));
  test_run_loop(&loop, 5000);
  char want[256];
  snprintf(want, sizeof(want), "listening:%s,connection,close", path);
  ASSERT_STR_EQ(st.buf, want);
  ASSERT_STR_EQ(ct.buf, "connect,data:over ipc,close(0)");
  /* The socket file is gone with the server. */
  ASSERT_NE(stat(path, &sb), 0);
  test_loop_close(&loop);
}

TEST(abstract_name) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  char name[64];
  int n = snprintf(name, sizeof(name), "%clode-abstract-%d", '\0',
                   (int) getpid());
  ASSERT_OK(lode_net_create_server(&loop, NULL, &sev, &server));
  lode_listen_opts_t lo = { .path = name, .path_len = (size_t) n };
  ASSERT_OK(lode_server_listen(server, &lo, NULL, NULL));
  lode_socket_t* c;
  lode_socket_opts_t o = { .path = name, .path_len = (size_t) n };
  ASSERT_OK(lode_net_connect(&loop, &o, &cev, &c));
  test_run_loop(&loop, 5000);
  char want[256];
  snprintf(want, sizeof(want), "listening:@%s,connection,close", name + 1);
  ASSERT_STR_EQ(st.buf, want);
  ASSERT_STR_EQ(ct.buf, "connect,data:over ipc,close(0)");
  test_loop_close(&loop);
}

TEST(abstract_name_refused) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  server = NULL;
  char name[64];
  int n = snprintf(name, sizeof(name), "%clode-nobody-%d", '\0',
                   (int) getpid());
  lode_socket_t* c;
  lode_socket_opts_t o = { .path = name, .path_len = (size_t) n };
  ASSERT_OK(lode_net_connect(&loop, &o, &cev, &c));
  test_run_loop(&loop, 5000);
  char want[256];
  snprintf(want, sizeof(want),
           "error:ECONNREFUSED:connect ECONNREFUSED "
           "@%s,close(1)",
           name + 1);
  ASSERT_STR_EQ(ct.buf, want);
  test_loop_close(&loop);
}

TEST(path_too_long) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  char path[300];
  memset(path, 'x', sizeof(path));
  memcpy(path, "/tmp/", 5);
  path[200] = '\0';
  ASSERT_OK(lode_net_create_server(&loop, NULL, &sev, &server));
  lode_listen_opts_t lo = { .path = path };
  ASSERT_OK(lode_server_listen(server, &lo, NULL, NULL));
  lode_socket_t* c;
  lode_socket_opts_t o = { .path = path };
  ASSERT_OK(lode_net_connect(&loop, &o, &cev, &c));
  test_run_loop(&loop, 5000);
  char want[512];
  snprintf(want, sizeof(want),
           "error:listen ENAMETOOLONG: name too long "
           "%s,close",
           path);
  ASSERT_STR_EQ(st.buf, want);
  snprintf(want, sizeof(want),
           "error:ENAMETOOLONG:connect ENAMETOOLONG "
           "%s,close(1)",
           path);
  ASSERT_STR_EQ(ct.buf, want);
  test_loop_close(&loop);
}

TEST(connect_enoent) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  server = NULL;
  lode_socket_t* c;
  lode_socket_opts_t o = { .path = "/tmp/lode-no-such.sock" };
  ASSERT_OK(lode_net_connect(&loop, &o, &cev, &c));
  test_run_loop(&loop, 5000);
  ASSERT_STR_EQ(ct.buf,
                "error:ENOENT:connect ENOENT /tmp/lode-no-such.sock,"
                "close(1)");
  test_loop_close(&loop);
}

TEST(path_in_use) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  char path[108];
  sock_path(path, sizeof(path));
  unlink(path);
  lode_server_t* first;
  ASSERT_OK(lode_net_create_server(&loop, NULL, NULL, &first));
  lode_listen_opts_t lo = { .path = path };
  ASSERT_OK(lode_server_listen(first, &lo, NULL, NULL));
  ASSERT_OK(lode_net_create_server(&loop, NULL, &sev, &server));
  ASSERT_OK(lode_server_listen(server, &lo, NULL, NULL));
  lode_server_close(first, NULL, NULL);
  lode_server_close(server, NULL, NULL);
  test_run_loop(&loop, 5000);
  char want[256];
  snprintf(want, sizeof(want),
           "error:listen EADDRINUSE: address already in "
           "use %s,close",
           path);
  ASSERT_STR_EQ(st.buf, want);
  test_loop_close(&loop);
}

TEST_MAIN(path, abstract_name, abstract_name_refused, path_too_long,
          connect_enoent, path_in_use)
