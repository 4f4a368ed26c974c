/* The HTTP server on real sockets, with real clients: Node's http client
 * (keep-alive agent, a slow reader, Expect: 100-continue) and curl; the
 * keep-alive timeout and server.close() on idle connections. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lode.h"
#include "test.h"
#include "http-child.h"

static uv_loop_t loop;
static lode_http_server_t* srv;
static int port;
static int close_after_child = 1;

static void on_listening(lode_http_server_t* s) {
  port = lode_http_server_port(s);
}

static void child_exit(void) {
  if (close_after_child)
    lode_http_server_close(srv, NULL, NULL);
}

/* Runs argv (argv[0] "node" or "curl") while the loop serves. */
static void spawn(const char** argv) {
  http_child_spawn(&loop, argv, child_exit);
}

static void start(const lode_http_server_opts_t* opts,
                  const lode_http_server_events_t* ev) {
  port = 0;
  close_after_child = 1;
  test_trace_reset();
  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(lode_http_create_server(&loop, opts, ev, &srv));
  ASSERT_OK(lode_http_server_listen(
      srv, &(lode_listen_opts_t){ .host = "127.0.0.1" }, NULL, NULL));
  while (port == 0)
    uv_run(&loop, UV_RUN_ONCE);
}

static void run_node(const char* mode) {
  char p[16];
  static char script[4096];
  snprintf(p, sizeof(p), "%d", port);
  snprintf(script, sizeof(script), "%s",
           test_src_path("test/peers/http-client-keepalive.js"));
  const char* argv[] = { "node", script, p, mode, NULL };
  spawn(argv);
  test_run_loop(&loop, 20000);
  test_loop_close(&loop);
}

/* Handlers. */
static void numbered(lode_http_server_t* s, lode_http_incoming_t* req,
                     lode_http_response_t* res) {
  const char* url = lode_http_incoming_url(req);
  lode_http_outgoing_end(res, lode_slice_str(url + 1), NULL, NULL);
}

static const lode_http_server_events_t numbered_ev = {
  .on_request = numbered,
  .on_listening = on_listening,
};

TEST(node_client_keep_alive) {
  start(NULL, &numbered_ev);
  run_node("keepalive");
  ASSERT_EQ(http_child.status, 0);
  ASSERT_STR_EQ(http_child.text,
                "200 n0 false\n200 n1 true\n200 n2 true\n"
                "200 n3 true\n200 n4 true\ndone\n");
}

TEST(curl_client) {
  start(NULL, &numbered_ev);
  char url[64];
  snprintf(url, sizeof(url), "http://127.0.0.1:%d/hi", port);
  const char* argv[] = { "curl", "-s", "-i", url, url, NULL };
  spawn(argv);
  test_run_loop(&loop, 20000);
  test_loop_close(&loop);
  ASSERT_EQ(http_child.status, 0);
  /* Two requests over one connection (curl reuses it), same bytes. */
  const char* one = strstr(http_child.text, "\r\n\r\nhi");
  ASSERT_NOT_NULL(one);
  ASSERT_NOT_NULL(strstr(one + 6, "\r\n\r\nhi"));
  ASSERT_NOT_NULL(
      strstr(http_child.text, "Keep-Alive: timeout=5\r\nContent-Length: 2"));
}

/* A response bigger than the socket buffers to a client that does not
 * read for a while: write() returns 0, then 'drain'. */
static int drains;

static void big_drain(lode_http_outgoing_t* res) {
  drains++;
  test_trace("drain");
}

static void fill(lode_http_response_t* res) {
  static char block[65536];
  memset(block, 'b', sizeof(block));
  int* left = lode_http_outgoing_get_data(res);
  while (*left > 0) {
    (*left)--;
    if (*left == 0) {
      lode_http_outgoing_end(res, (lode_slice_t){ block, sizeof(block) }, NULL,
                             NULL);
      return;
    }
    if (lode_http_outgoing_write(res, (lode_slice_t){ block, sizeof(block) },
                                 NULL, NULL) == 0) {
      test_trace("full");
      return;
    }
  }
}

static void drained_again(lode_http_outgoing_t* res) {
  big_drain(res);
  fill(res);
}

static const lode_http_outgoing_events_t refill_events = {
  .on_drain = drained_again,
};

static int blocks;

static void big(lode_http_server_t* s, lode_http_incoming_t* req,
                lode_http_response_t* res) {
  lode_http_outgoing_set_data(res, &blocks);
  lode_http_outgoing_set_events(res, &refill_events);
  fill(res);
}

static const lode_http_server_events_t big_ev = {
  .on_request = big,
  .on_listening = on_listening,
};

TEST(slow_reader_drain) {
  /* More than this machine's loopback buffers hold while the client does
   * not read, and 2 MiB for what Node's client reads before it stops. */
  blocks = (int) (test_loopback_capacity() / 65536) + 32;
  char want[64];
  snprintf(want, sizeof(want), "%zu\ndone\n", (size_t) blocks * 65536);
  drains = 0;
  start(NULL, &big_ev);
  run_node("slow");
  ASSERT_EQ(http_child.status, 0);
  ASSERT_STR_EQ(http_child.text, want);
  ASSERT_GT(drains, 0);
  ASSERT(strncmp(test_trace_get(), "full,drain", 10) == 0);
}

/* Expect: 100-continue with Node's client: the automatic 100. */
static void echo_len(lode_http_incoming_t* req, lode_slice_t d) {
  lode_http_response_t* res = lode_http_incoming_get_data(req);
  lode_http_outgoing_write(res, d, NULL, NULL);
}

static void echo_end(lode_http_incoming_t* req) {
  lode_http_outgoing_end(lode_http_incoming_get_data(req),
                         (lode_slice_t){ NULL, 0 }, NULL, NULL);
}

static const lode_http_incoming_events_t echo_events = {
  .on_data = echo_len,
  .on_end = echo_end,
};

static void echo(lode_http_server_t* s, lode_http_incoming_t* req,
                 lode_http_response_t* res) {
  lode_http_incoming_set_data(req, res);
  lode_http_incoming_set_events(req, &echo_events);
}

static const lode_http_server_events_t echo_ev = {
  .on_request = echo,
  .on_listening = on_listening,
};

TEST(node_expect_continue) {
  start(NULL, &echo_ev);
  run_node("expect");
  ASSERT_EQ(http_child.status, 0);
  ASSERT_STR_EQ(http_child.text, "continue\nhello\ndone\n");
}

/* curl uploading a chunked body after "Expect: 100-continue": the
 * automatic 100, then the body echoed back (chunked). */
TEST(curl_chunked_upload_expect) {
  start(NULL, &echo_ev);
  char url[64];
  snprintf(url, sizeof(url), "http://127.0.0.1:%d/up", port);
  const char* argv[] = { "curl",
                         "-s",
                         "-i",
                         "-H",
                         "Transfer-Encoding: chunked",
                         "-H",
                         "Expect: 100-continue",
                         "--data-binary",
                         "chunked upload body",
                         url,
                         NULL };
  spawn(argv);
  test_run_loop(&loop, 20000);
  test_loop_close(&loop);
  ASSERT_EQ(http_child.status, 0);
  static const char head[] =
      "HTTP/1.1 100 Continue\r\n\r\n"
      "HTTP/1.1 200 OK\r\n";
  ASSERT(strncmp(http_child.text, head, sizeof(head) - 1) == 0);
  ASSERT_NOT_NULL(strstr(http_child.text, "Transfer-Encoding: chunked\r\n"));
  ASSERT_NOT_NULL(strstr(http_child.text, "\r\n\r\nchunked upload body"));
}

/* keepAliveTimeout: the idle connection goes after timeout + 1 s (Node's
 * buffer); server.close() with an idle connection closes it at once. */
static uv_timer_t* probe; /* started by the response's arrival */
static void on_probe(uv_timer_t* t);

static void cli_data(void* ctx, lode_stream_t* s, lode_slice_t d) {
  test_trace("data");
  if (probe != NULL)
    uv_timer_start(probe, on_probe, 600, 0);
  if (ctx != NULL)
    lode_http_server_close(srv, NULL, NULL);
}

static void cli_end(void* ctx, lode_stream_t* s) {
  test_trace("end");
  lode_stream_end(s, NULL, NULL);
}

static void cli_close(void* ctx, lode_stream_t* s, int had_error) {
  test_trace("client-close");
  if (ctx == NULL)
    lode_http_server_close(srv, NULL, NULL);
}

static const lode_stream_reader_t cli_reader = {
  .on_data = cli_data,
  .on_end = cli_end,
  .on_close = cli_close,
};

static void srv_closed(lode_http_server_t* s) {
  test_trace("server-close");
}

static void connected(lode_socket_t* s, int status, void* arg) {
  ASSERT_OK(status);
  lode_stream_t* st = lode_socket_stream(s);
  lode_stream_set_reader(st, &cli_reader, arg);
  lode_stream_write(st, LODE_SLICE("GET /x HTTP/1.1\r\nHost: x\r\n\r\n"), NULL,
                    NULL);
}

static const lode_http_server_events_t idle_ev = {
  .on_request = numbered,
  .on_listening = on_listening,
  .on_close = srv_closed,
};

static void connect_client(void* close_on_data) {
  lode_socket_opts_t so = { .host = "127.0.0.1", .port = port };
  lode_socket_t* s;
  ASSERT_OK(lode_socket_create(&loop, NULL, NULL, &s));
  ASSERT_OK(lode_socket_connect(s, &so, connected, close_on_data));
}

/* Node closes an idle keep-alive socket a second after keepAliveTimeout
 * (the socket timeout is keepAliveTimeout + 1000 ms, started when the
 * response went out). A probe 600 ms after the response arrived, halfway
 * between the two, must see the connection still open; the server, not
 * the test's bound, closes it afterwards. */
static void on_probe(uv_timer_t* t) {
  test_trace("probe");
  uv_close((uv_handle_t*) t, NULL);
  probe = NULL;
}

TEST(keep_alive_timeout_closes_idle) {
  lode_http_server_opts_t o = { .keep_alive_timeout = 100 };
  static uv_timer_t probe_timer;
  start(&o, &idle_ev);
  uv_timer_init(&loop, &probe_timer);
  probe = &probe_timer;
  connect_client(NULL);
  test_run_loop(&loop, 10000);
  ASSERT_TRACE("data,probe,end,client-close,server-close");
  test_loop_close(&loop);
}

TEST(close_closes_idle_connections) {
  start(NULL, &idle_ev);
  connect_client((void*) 1);
  test_run_loop(&loop, 10000);
  /* The server's close and the client's end race, as in Node. */
  const char* t = test_trace_get();
  ASSERT(strcmp(t, "data,end,client-close,server-close") == 0 ||
         strcmp(t, "data,server-close,end,client-close") == 0 ||
         strcmp(t, "data,end,server-close,client-close") == 0);
  test_loop_close(&loop);
}

/* server.listen's other forms: a Unix socket path (options with a
 * callback), an fd already bound, and a failing listen whose callback
 * never runs. */
static void traced_listening(lode_http_server_t* s) {
  test_trace("listening");
}

static void listen_cb(lode_http_server_t* s, int status, void* arg) {
  test_trace("listen-cb:%d:%s", status, (const char*) arg);
}

static lode_http_server_t* first;

static void listen_error(lode_http_server_t* s, const lode_error_t* e) {
  test_trace("error:%s:%s", e->name, e->syscall ? e->syscall : "-");
  lode_http_server_close(s, NULL, NULL);
  lode_http_server_close(first, NULL, NULL);
}

static const lode_http_server_events_t listen_ev = {
  .on_request = numbered,
  .on_listening = traced_listening,
  .on_error = listen_error,
};

static void serve_curl(const char** argv) {
  close_after_child = 1;
  spawn(argv);
  test_run_loop(&loop, 20000);
  test_loop_close(&loop);
  ASSERT_EQ(http_child.status, 0);
}

TEST(listen_unix_path) {
  char path[64];
  snprintf(path, sizeof(path), "/tmp/lode-http-%d.sock", (int) getpid());
  unlink(path);
  test_trace_reset();
  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(lode_http_create_server(&loop, NULL, &listen_ev, &srv));
  lode_net_address_t a;
  ASSERT_EQ(lode_http_server_address(srv, &a), UV_ENOTCONN);
  lode_listen_opts_t lo = { .path = path };
  ASSERT_OK(lode_http_server_listen(srv, &lo, listen_cb, "unix"));
  ASSERT_EQ(lode_http_server_listen(srv, NULL, NULL, NULL),
            LODE_ERR_INVALID_ARG_TYPE);
  while (!lode_http_server_listening(srv))
    uv_run(&loop, UV_RUN_ONCE);
  ASSERT_OK(lode_http_server_address(srv, &a));
  ASSERT_STR_EQ(a.address, path);
  const char* argv[] = {
    "curl", "-s", "--unix-socket", path, "http://x/over-unix", NULL
  };
  serve_curl(argv);
  ASSERT_STR_EQ(http_child.text, "over-unix");
  ASSERT_TRACE("listening,listen-cb:0:unix");
  ASSERT(access(path, F_OK) != 0); /* close removed the socket file */
}

TEST(listen_fd) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  struct sockaddr_in sa = { .sin_family = AF_INET };
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_OK(bind(fd, (struct sockaddr*) &sa, sizeof(sa)));
  socklen_t len = sizeof(sa);
  ASSERT_OK(getsockname(fd, (struct sockaddr*) &sa, &len));
  test_trace_reset();
  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(lode_http_create_server(&loop, NULL, &listen_ev, &srv));
  ASSERT_OK(lode_http_server_listen_fd(srv, fd, 0, listen_cb, "fd"));
  while (!lode_http_server_listening(srv))
    uv_run(&loop, UV_RUN_ONCE);
  ASSERT_EQ(lode_http_server_port(srv), ntohs(sa.sin_port));
  char url[64];
  snprintf(url, sizeof(url), "http://127.0.0.1:%d/over-fd", ntohs(sa.sin_port));
  const char* argv[] = { "curl", "-s", url, NULL };
  serve_curl(argv);
  ASSERT_STR_EQ(http_child.text, "over-fd");
  ASSERT_TRACE("listening,listen-cb:0:fd");
}

TEST(listen_in_use_skips_callback) {
  test_trace_reset();
  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(lode_http_create_server(&loop, NULL, &listen_ev, &first));
  ASSERT_OK(lode_http_server_listen(
      first, &(lode_listen_opts_t){ .host = "127.0.0.1" }, NULL, NULL));
  while (!lode_http_server_listening(first))
    uv_run(&loop, UV_RUN_ONCE);
  ASSERT_OK(lode_http_create_server(&loop, NULL, &listen_ev, &srv));
  lode_listen_opts_t lo = { .host = "127.0.0.1",
                            .port = lode_http_server_port(first) };
  ASSERT_OK(lode_http_server_listen(srv, &lo, listen_cb, "never"));
  test_run_loop(&loop, 5000);
  ASSERT_TRACE("listening,error:EADDRINUSE:listen");
  test_loop_close(&loop);
}

TEST_MAIN(node_client_keep_alive, curl_client, slow_reader_drain,
          node_expect_continue, keep_alive_timeout_closes_idle,
          close_closes_idle_connections, listen_unix_path, listen_fd,
          listen_in_use_skips_callback, curl_chunked_upload_expect)
