/* The benchmark's lode server: every request gets the 11-byte "hello
 * world" through res.end(), the same handler as node-server.js.
 * Usage: bench-http-server PORT [LOOPS]. With LOOPS > 1, that many
 * threads each run their own loop and server on the same port
 * (reusePort), the way lode uses several cores. Prints
 * "listening on 127.0.0.1:PORT" once every loop listens. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "lode.h"

#define MAX_LOOPS 16

static int port;
static int nloops;
static int nlistening;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static void on_request(lode_http_server_t* srv, lode_http_incoming_t* req,
                       lode_http_response_t* res) {
  (void) srv;
  (void) req;
  lode_http_outgoing_end(res, LODE_SLICE("hello world"), NULL, NULL);
}

static void on_listening(lode_http_server_t* srv) {
  pthread_mutex_lock(&lock);
  if (++nlistening == nloops) {
    printf("listening on 127.0.0.1:%d\n", lode_http_server_port(srv));
    fflush(stdout);
  }
  pthread_mutex_unlock(&lock);
}

static const lode_http_server_events_t events = {
  .on_request = on_request,
  .on_listening = on_listening,
};

static void* run_loop(void* arg) {
  uv_loop_t* loop = arg;
  lode_http_server_t* srv;
  lode_listen_opts_t o = {
    .port = port,
    .host = "127.0.0.1",
    .reuse_port = nloops > 1,
  };
  if (lode_http_create_server(loop, NULL, &events, &srv) != 0 ||
      lode_http_server_listen(srv, &o, NULL, NULL) != 0) {
    fprintf(stderr, "listen on %d failed\n", port);
    exit(1);
  }
  uv_run(loop, UV_RUN_DEFAULT);
  return NULL;
}

int main(int argc, char** argv) {
  static uv_loop_t loops[MAX_LOOPS];
  pthread_t threads[MAX_LOOPS];
  port = argc > 1 ? atoi(argv[1]) : 8080;
  nloops = argc > 2 ? atoi(argv[2]) : 1;
  if (nloops < 1 || nloops > MAX_LOOPS)
    return 2;
  for (int i = 1; i < nloops; i++) {
    uv_loop_init(&loops[i]);
    if (pthread_create(&threads[i], NULL, run_loop, &loops[i]) != 0)
      return 1;
  }
  run_loop(uv_default_loop());
  return 0;
}
