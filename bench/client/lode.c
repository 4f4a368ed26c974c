/* GET N requests with C in flight over one keep-alive agent (maxSockets
 * C) and print "requests seconds cpu_seconds". Usage: bench-client-lode
 * PORT [N] [C] [CA]: with CA (a PEM file), HTTPS to localhost through an
 * https.Agent that verifies the server against it (bench/tls). */
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>

#include "lode.h"

static uv_loop_t* loop;
static lode_agent_t* agent;
static int port, total, started, done, failed, https;

static void start_one(void);

static void on_data(lode_http_incoming_t* res, lode_slice_t d) {
}

static void on_end(lode_http_incoming_t* res) {
  done++;
}

static const lode_http_incoming_events_t res_events = { .on_data = on_data,
                                                        .on_end = on_end };

static void on_response(lode_http_request_t* req, lode_http_incoming_t* res) {
  lode_http_incoming_set_events(res, &res_events);
}

static void on_error(lode_http_request_t* req, const lode_error_t* e) {
  if (failed++ == 0)
    fprintf(stderr, "error: %s\n", e->message);
}

static void on_close(lode_http_request_t* req) {
  if (started < total)
    start_one();
}

static const lode_http_request_events_t events = { .on_response = on_response,
                                                   .on_error = on_error,
                                                   .on_close = on_close };

static void start_one(void) {
  lode_http_request_opts_t o = {
    .host = "127.0.0.1", .port = port, .path = "/", .agent = agent
  };
  lode_http_request_t* req;
  int rc;
  started++;
  if (https) {
    lode_https_request_opts_t so = { .http = o };
    so.http.host = "localhost"; /* the certificate's name */
    rc = lode_https_request(loop, &so, &events, &req);
  } else {
    rc = lode_http_request(loop, &o, &events, &req);
  }
  if (rc == 0)
    lode_http_request_end(req, (lode_slice_t){ NULL, 0 }, NULL, NULL);
}

/* The agent: an https.Agent trusting the PEM file `ca`, or an http one. */
static int make_agent(const char* ca, unsigned conc) {
  lode_agent_opts_t ao = { .keep_alive = 1, .max_sockets = conc };
  if (ca == NULL)
    return lode_agent_create(loop, &ao, &agent);
  FILE* f = fopen(ca, "rb");
  char pem[65536];
  size_t n = f != NULL ? fread(pem, 1, sizeof(pem), f) : 0;
  if (f != NULL)
    fclose(f);
  if (n == 0)
    return -1;
  https = 1;
  lode_https_agent_opts_t so = { .agent = ao };
  so.tls.context.ca = (lode_slice_t){ pem, n };
  return lode_https_agent_create(loop, &so, &agent);
}

static double cpu_now(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
         (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: bench-client-lode PORT [N] [C]\n");
    return 2;
  }
  port = atoi(argv[1]);
  total = argc > 2 ? atoi(argv[2]) : 100000;
  int conc = argc > 3 ? atoi(argv[3]) : 50;
  loop = uv_default_loop();
  if (make_agent(argc > 4 ? argv[4] : NULL, (unsigned) conc) != 0)
    return 1;
  double c0 = cpu_now();
  uint64_t t0 = uv_hrtime();
  for (int i = 0; i < conc && started < total; i++)
    start_one();
  uv_run(loop, UV_RUN_DEFAULT);
  double secs = (uv_hrtime() - t0) / 1e9;
  double cpu = cpu_now() - c0;
  lode_agent_destroy(agent);
  uv_run(loop, UV_RUN_DEFAULT);
  printf("%d %.3f %.3f\n", done, secs, cpu);
  return failed > 0 || done != total;
}
