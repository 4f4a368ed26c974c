/* The demo HTTP server behind `make run`: a page (/), the echo route
 * (/echo, as examples/http-echo.c), a streamed response (/stream: ten
 * chunks, 100 ms apart, chunked encoding) and the files of examples/demo
 * under /static/.
 *
 * Usage: demo-server [port]   (default 8080; 0 picks a free one). Prints
 * "listening on 127.0.0.1:PORT" first. The files are looked up in
 * $LODE_DEMO_DIR, else examples/demo from the current directory, else next
 * to the source tree the program was built from. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "lode.h"
#include "echo-json.h"

static char demo_dir[1024];

/* /stream: a timer writes one chunk every 100 ms; the response's close
 * (finished, or the client gone) stops it. */
typedef struct stream_s {
  uv_timer_t timer;
  lode_http_response_t* res;
  int sent;
} stream_t;

static void stream_closed(uv_handle_t* h) {
  stream_t* s = h->data;
  lode_http_outgoing_release(s->res);
  free(s);
}

static void stream_tick(uv_timer_t* t) {
  stream_t* s = t->data;
  char line[64];
  int n = snprintf(line, sizeof(line), "chunk %d of 10\n", ++s->sent);
  if (s->sent < 10) {
    lode_http_outgoing_write(s->res, (lode_slice_t){ line, (size_t) n }, NULL,
                             NULL);
    return;
  }
  lode_http_outgoing_end(s->res, (lode_slice_t){ line, (size_t) n }, NULL,
                         NULL);
  uv_close((uv_handle_t*) &s->timer, stream_closed);
}

static void stream_res_close(lode_http_outgoing_t* res) {
  stream_t* s = lode_http_outgoing_get_data(res);
  if (!uv_is_closing((uv_handle_t*) &s->timer))
    uv_close((uv_handle_t*) &s->timer, stream_closed);
}

static const lode_http_outgoing_events_t stream_events = {
  .on_close = stream_res_close,
};

static void serve_stream(lode_http_response_t* res, uv_loop_t* loop) {
  stream_t* s = calloc(1, sizeof(*s));
  if (s == NULL) {
    lode_http_outgoing_destroy(res, NULL);
    return;
  }
  s->res = res;
  lode_http_outgoing_hold(res);
  lode_http_outgoing_set_data(res, s);
  lode_http_outgoing_set_events(res, &stream_events);
  lode_http_outgoing_set_header(res, "Content-Type", "text/plain");
  lode_http_outgoing_flush_headers(res);
  uv_timer_init(loop, &s->timer);
  s->timer.data = s;
  uv_timer_start(&s->timer, stream_tick, 100, 100);
}

/* Static files. */
static const char* content_type(const char* path) {
  const char* dot = strrchr(path, '.');
  if (dot == NULL)
    return "application/octet-stream";
  if (strcmp(dot, ".html") == 0)
    return "text/html; charset=utf-8";
  if (strcmp(dot, ".css") == 0)
    return "text/css";
  if (strcmp(dot, ".js") == 0)
    return "text/javascript";
  if (strcmp(dot, ".txt") == 0)
    return "text/plain; charset=utf-8";
  return "application/octet-stream";
}

static void not_found(lode_http_response_t* res) {
  lode_http_response_set_status_code(res, 404);
  lode_http_outgoing_set_header(res, "Content-Type", "text/plain");
  lode_http_outgoing_end(res, LODE_SLICE("not found\n"), NULL, NULL);
}

static void serve_file(lode_http_response_t* res, const char* name) {
  char path[2048];
  if (strstr(name, "..") != NULL || strchr(name, '\\') != NULL) {
    not_found(res);
    return;
  }
  snprintf(path, sizeof(path), "%s/%s", demo_dir, name);
  /* Only regular files: a directory opens too, but has nothing to send. */
  struct stat st;
  FILE* f = stat(path, &st) == 0 && S_ISREG(st.st_mode) ? fopen(path, "rb")
                                                        : NULL;
  if (f == NULL) {
    not_found(res);
    return;
  }
  char* data = NULL;
  size_t len = 0, cap = 0, n;
  char buf[8192];
  while ((n = fread(buf, 1, sizeof(buf), f)) > 0) {
    if (len + n > cap) {
      cap = (len + n) * 2;
      char* p = realloc(data, cap);
      if (p == NULL)
        break;
      data = p;
    }
    memcpy(data + len, buf, n);
    len += n;
  }
  fclose(f);
  lode_http_outgoing_set_header(res, "Content-Type", content_type(name));
  lode_http_outgoing_end(res, (lode_slice_t){ data, len }, NULL, NULL);
  free(data);
}

static void on_request(lode_http_server_t* srv, lode_http_incoming_t* req,
                       lode_http_response_t* res) {
  (void) srv;
  const char* url = lode_http_incoming_url(req);
  size_t n = strcspn(url, "?");
  if (n == 1 && url[0] == '/')
    serve_file(res, "index.html");
  else if (n == 5 && strncmp(url, "/echo", 5) == 0)
    echo_handle(req, res);
  else if (n == 7 && strncmp(url, "/stream", 7) == 0)
    serve_stream(res, uv_default_loop());
  else if (strncmp(url, "/static/", 8) == 0 && n > 8) {
    char name[1024];
    snprintf(name, sizeof(name), "%.*s", (int) (n - 8), url + 8);
    serve_file(res, name);
  } else {
    not_found(res);
  }
}

static void on_listening(lode_http_server_t* srv) {
  printf("listening on 127.0.0.1:%d\n", lode_http_server_port(srv));
  printf("open http://127.0.0.1:%d/ (files from %s)\n",
         lode_http_server_port(srv), demo_dir);
  fflush(stdout);
}

static void on_error(lode_http_server_t* srv, const lode_error_t* err) {
  fprintf(stderr, "demo-server: %s\n", err->message);
  lode_http_server_close(srv, NULL, NULL);
}

static const lode_http_server_events_t events = {
  .on_request = on_request,
  .on_listening = on_listening,
  .on_error = on_error,
};

static void find_demo_dir(const char* argv0) {
  const char* env = getenv("LODE_DEMO_DIR");
  FILE* f;
  if (env != NULL) {
    snprintf(demo_dir, sizeof(demo_dir), "%s", env);
    return;
  }
  snprintf(demo_dir, sizeof(demo_dir), "examples/demo");
  if ((f = fopen("examples/demo/index.html", "rb")) != NULL) {
    fclose(f);
    return;
  }
  /* build/<dir>/examples/demo-server -> ../../../examples/demo */
  const char* slash = strrchr(argv0, '/');
  int len = slash ? (int) (slash - argv0) : 1;
  snprintf(demo_dir, sizeof(demo_dir), "%.*s/../../../examples/demo", len,
           slash ? argv0 : ".");
}

int main(int argc, char** argv) {
  int port = argc > 1 ? atoi(argv[1]) : 8080;
  lode_http_server_t* srv;
  find_demo_dir(argv[0]);
  if (lode_http_create_server(uv_default_loop(), NULL, &events, &srv) != 0)
    return 1;
  if (lode_http_server_listen(
          srv, &(lode_listen_opts_t){ .port = port, .host = "127.0.0.1" }, NULL,
          NULL) != 0)
    return 1;
  return uv_run(uv_default_loop(), UV_RUN_DEFAULT);
}
