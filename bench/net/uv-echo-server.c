/* The floor the net benchmark measures lode against: an echo server on
 * bare libuv, with nothing between the loop and the socket (one read
 * buffer for all connections, uv_try_write first, a copy only for what the
 * kernel does not take, reading paused while a copy is queued), Nagle off.
 * Usage: bench-net-uv-echo-server [PORT]; prints "listening on ADDR:PORT". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

static char rbuf[64 * 1024];

typedef struct {
  uv_write_t req;
  char data[];
} wreq_t;

static void on_alloc(uv_handle_t* h, size_t hint, uv_buf_t* b) {
  *b = uv_buf_init(rbuf, sizeof(rbuf));
}

static void on_closed(uv_handle_t* h) {
  free(h);
}

static void on_read(uv_stream_t* s, ssize_t n, const uv_buf_t* b);

static void on_written(uv_write_t* req, int status) {
  uv_stream_t* s = req->handle;
  free(req);
  if (status < 0) {
    if (!uv_is_closing((uv_handle_t*) s))
      uv_close((uv_handle_t*) s, on_closed);
    return;
  }
  if (s->write_queue_size == 0)
    uv_read_start(s, on_alloc, on_read);
}

static void on_read(uv_stream_t* s, ssize_t n, const uv_buf_t* b) {
  if (n <= 0) {
    if (n < 0)
      uv_close((uv_handle_t*) s, on_closed);
    return;
  }
  uv_buf_t out = uv_buf_init(b->base, (unsigned) n);
  int r = uv_try_write(s, &out, 1);
  if (r == n)
    return;
  if (r < 0 && r != UV_EAGAIN) {
    uv_close((uv_handle_t*) s, on_closed);
    return;
  }
  size_t done = r > 0 ? (size_t) r : 0;
  wreq_t* w = malloc(sizeof(*w) + (size_t) n - done);
  if (w == NULL)
    abort();
  memcpy(w->data, b->base + done, (size_t) n - done);
  out = uv_buf_init(w->data, (unsigned) ((size_t) n - done));
  if (uv_write(&w->req, s, &out, 1, on_written) != 0)
    abort();
  uv_read_stop(s);
}

static void on_connection(uv_stream_t* srv, int status) {
  if (status < 0)
    return;
  uv_tcp_t* c = malloc(sizeof(*c));
  if (c == NULL)
    abort();
  uv_tcp_init(srv->loop, c);
  if (uv_accept(srv, (uv_stream_t*) c) != 0) {
    uv_close((uv_handle_t*) c, on_closed);
    return;
  }
  uv_tcp_nodelay(c, 1);
  uv_read_start((uv_stream_t*) c, on_alloc, on_read);
}

int main(int argc, char** argv) {
  uv_loop_t* loop = uv_default_loop();
  uv_tcp_t srv;
  struct sockaddr_in a;
  uv_ip4_addr("127.0.0.1", argc > 1 ? atoi(argv[1]) : 0, &a);
  uv_tcp_init(loop, &srv);
  if (uv_tcp_bind(&srv, (struct sockaddr*) &a, 0) != 0 ||
      uv_listen((uv_stream_t*) &srv, 511, on_connection) != 0)
    return 1;
  int len = sizeof(a);
  uv_tcp_getsockname(&srv, (struct sockaddr*) &a, &len);
  printf("listening on 127.0.0.1:%d\n", ntohs(a.sin_port));
  fflush(stdout);
  return uv_run(loop, UV_RUN_DEFAULT);
}
