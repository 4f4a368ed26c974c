/* A child process (node, curl) run while the test's loop serves: its
 * stdout is collected, its exit status kept. Shared by the HTTP server
 * tests; one child at a time. */
#ifndef LODE_TEST_HTTP_CHILD_H
#define LODE_TEST_HTTP_CHILD_H

#include <string.h>
#include <uv.h>
#include "test.h"

typedef struct http_child_s {
  uv_process_t proc;
  uv_pipe_t out;
  char text[1 << 20];
  size_t len;
  int64_t status;
  void (*on_exit)(void);
} http_child_t;

static http_child_t http_child;

static void http_child_alloc(uv_handle_t* h, size_t size, uv_buf_t* buf) {
  static char slab[65536];
  (void) h;
  (void) size;
  buf->base = slab;
  buf->len = sizeof(slab);
}

static void http_child_read(uv_stream_t* s, ssize_t n, const uv_buf_t* buf) {
  if (n < 0) {
    uv_close((uv_handle_t*) s, NULL);
    return;
  }
  if (http_child.len + (size_t) n < sizeof(http_child.text) - 1) {
    memcpy(http_child.text + http_child.len, buf->base, (size_t) n);
    http_child.len += (size_t) n;
    http_child.text[http_child.len] = '\0';
  }
}

static void http_child_exit(uv_process_t* p, int64_t status, int sig) {
  (void) sig;
  http_child.status = status;
  uv_close((uv_handle_t*) p, NULL);
  if (http_child.on_exit != NULL)
    http_child.on_exit();
}

/* Starts argv (argv[0] looked up in PATH); on_exit runs after it ends. */
static void http_child_spawn(uv_loop_t* loop, const char** argv,
                             void (*on_exit)(void)) {
  http_child.len = 0;
  http_child.text[0] = '\0';
  http_child.status = -1;
  http_child.on_exit = on_exit;
  uv_pipe_init(loop, &http_child.out, 0);
  uv_stdio_container_t stdio[3] = {
    { .flags = UV_IGNORE },
    { .flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE,
      .data.stream = (uv_stream_t*) &http_child.out },
    { .flags = UV_INHERIT_FD, .data.fd = 2 },
  };
  uv_process_options_t o = {
    .file = argv[0],
    .args = (char**) argv,
    .exit_cb = http_child_exit,
    .stdio_count = 3,
    .stdio = stdio,
  };
  ASSERT_OK(uv_spawn(loop, &http_child.proc, &o));
  ASSERT_OK(uv_read_start((uv_stream_t*) &http_child.out, http_child_alloc,
                          http_child_read));
}

#endif
