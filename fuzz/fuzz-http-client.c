/* libFuzzer target: lode's HTTP client and keep-alive agent over the
 * in-memory pair. The first byte picks what the response handler does
 * (top three bits) and the size of the pieces the rest is written in
 * (low five bits, plus one); the rest is what the server answers, written
 * once the first request's head has come, and then the server ends its
 * side. Two requests go one after the other through one agent (the
 * second from the first's close), so pooled requests and responses are
 * reused. Whatever comes, each request closes and the loop runs dry; a
 * response left unread is the handler's to destroy (as in Node, where
 * the garbage collector takes it), and then, once the agent is
 * destroyed, nothing is left: no handle (the loop closes), no memory
 * (LeakSanitizer). Pooled objects are unaddressable
 * under ASan while they wait, so one used after its release is reported.
 * No timer is set, so a replay is the same every run. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lode.h"

static uv_loop_t loop;
static lode_agent_t* agent;
static unsigned mode;
static const uint8_t* input;
static size_t input_len, step;
static int nrequests, nclosed;
static lode_http_incoming_t* responses[2]; /* held until the end */

/* ---- The server: the input, in pieces, after the first request's head */

static void server_data(void* ctx, lode_stream_t* s, lode_slice_t d) {
  int* answered = ctx;
  (void) d;
  if (*answered)
    return;
  *answered = 1;
  for (size_t at = 0; at < input_len; at += step) {
    size_t k = input_len - at < step ? input_len - at : step;
    lode_stream_write(s, (lode_slice_t){ (const char*) input + at, k }, NULL,
                      NULL);
  }
  lode_stream_end(s, NULL, NULL);
}

static void server_end(void* ctx, lode_stream_t* s) {
  (void) ctx;
  lode_stream_destroy(s, NULL);
}

static void server_close(void* ctx, lode_stream_t* s, int had_error) {
  (void) s;
  (void) had_error;
  free(ctx);
}

static const lode_stream_reader_t server_reader = {
  .on_data = server_data,
  .on_end = server_end,
  .on_close = server_close,
};

static int pair_connection(lode_agent_t* a, const lode_agent_conn_opts_t* o,
                           lode_stream_t** out, void* arg) {
  (void) a, (void) o, (void) arg;
  lode_stream_t* server;
  int* answered = calloc(1, sizeof(*answered));
  if (answered == NULL)
    abort();
  int rc = lode_stream_pair(&loop, out, &server);
  if (rc != 0)
    abort();
  lode_stream_set_reader(server, &server_reader, answered);
  return 0;
}

/* ---- The client ---- */

static void request(void);

static void res_data(lode_http_incoming_t* m, lode_slice_t d) {
  (void) m;
  (void) d;
}

static void res_end(lode_http_incoming_t* m) {
  (void) m;
}

static const lode_http_incoming_events_t res_events = {
  .on_data = res_data,
  .on_end = res_end,
};

static void collected(lode_http_incoming_t* m, int status, lode_slice_t body,
                      void* arg) {
  (void) m, (void) status, (void) body, (void) arg;
}

static void on_response(lode_http_request_t* r, lode_http_incoming_t* m) {
  lode_http_incoming_hold(m);
  responses[nrequests - 1] = m;
  switch (mode) {
    case 0:
      lode_http_incoming_set_events(m, &res_events);
      break;
    case 1:
      break; /* no listener: the body is discarded */
    case 2:
      lode_http_request_destroy(r, NULL);
      break;
    case 3:
      lode_http_incoming_destroy(m, NULL);
      break;
    case 4:
      lode_http_incoming_set_events(m, &res_events);
      lode_http_incoming_pause(m);
      break;
    case 5:
      lode_http_incoming_set_encoding(m, LODE_ENC_UTF8);
      lode_http_incoming_set_events(m, &res_events);
      break;
    case 6:
      lode_http_incoming_collect(m, 64, collected, NULL);
      break;
    case 7:
      lode_http_incoming_set_events(m, &res_events);
      lode_http_request_destroy(r, NULL);
      break;
  }
}

/* The stream is the handler's: it goes. */
static void on_upgrade(lode_http_request_t* r, lode_http_incoming_t* m,
                       lode_stream_t* s, lode_slice_t head) {
  (void) r, (void) m, (void) head;
  lode_stream_destroy(s, NULL);
}

static void on_close(lode_http_request_t* r) {
  (void) r;
  nclosed++;
  if (nrequests < 2)
    request();
}

static const lode_http_request_events_t req_events = {
  .on_response = on_response,
  .on_upgrade = on_upgrade,
  .on_connect = on_upgrade,
  .on_close = on_close,
};

static void request(void) {
  nrequests++;
  lode_http_request_opts_t o = {
    .agent = agent, .host = "x", .port = 1, .path = "/"
  };
  o.method = nrequests == 2 && (mode & 1) ? "HEAD" : "GET";
  lode_http_request_t* r;
  if (lode_http_request(&loop, &o, &req_events, &r) != 0)
    abort();
  lode_http_request_end(r, (lode_slice_t){ NULL, 0 }, NULL, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1)
    return 0;
  mode = data[0] >> 5;
  step = (size_t) (data[0] & 0x1f) + 1;
  input = data + 1;
  input_len = size - 1;
  nrequests = nclosed = 0;
  uv_loop_init(&loop);
  lode_agent_opts_t ao = { .keep_alive = 1,
                           .create_connection = pair_connection };
  if (lode_agent_create(&loop, &ao, &agent) != 0)
    abort();
  request();
  uv_run(&loop, UV_RUN_DEFAULT);
  /* Both requests closed, but where a response is left unread (ignored
   * or paused): its socket waits for the reader, as Node's does. */
  if (nclosed != 2 && mode != 1 && mode != 4)
    abort();
  for (int i = 0; i < 2; i++)
    if (responses[i] != NULL) {
      lode_http_incoming_destroy(responses[i], NULL); /* if still open */
      lode_http_incoming_release(responses[i]);
      responses[i] = NULL;
    }
  lode_agent_destroy(agent);
  uv_run(&loop, UV_RUN_DEFAULT);
  if (uv_loop_close(&loop) != 0)
    abort(); /* a handle left open */
  return 0;
}
