/* The specification's http.get example: GET a URL (default
 * http://localhost:8000/), insist on 200 and a JSON content type, collect
 * the body as text and print it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lode.h"

static char* raw_data;
static size_t raw_len;

static void on_data(lode_http_incoming_t* res, lode_slice_t chunk) {
  char* p = realloc(raw_data, raw_len + chunk.len + 1);
  if (p == NULL)
    return;
  memcpy(p + raw_len, chunk.base, chunk.len);
  raw_len += chunk.len;
  p[raw_len] = '\0';
  raw_data = p;
}

static void on_end(lode_http_incoming_t* res) {
  printf("%s\n", raw_data ? raw_data : "");
}

static const lode_http_incoming_events_t body_events = { .on_data = on_data,
                                                         .on_end = on_end };

static void on_response(lode_http_request_t* req, lode_http_incoming_t* res) {
  int status = lode_http_incoming_status_code(res);
  const char* type = lode_http_incoming_header(res, "content-type");
  if (status != 200) {
    fprintf(stderr, "Request Failed.\nStatus Code: %d\n", status);
  } else if (type == NULL || strncmp(type, "application/json", 16) != 0) {
    fprintf(stderr,
            "Invalid content-type.\nExpected application/json but "
            "received %s\n",
            type ? type : "undefined");
  } else {
    /* Node: res.setEncoding('utf8') and listeners for data and end. */
    lode_http_incoming_set_encoding(res, LODE_ENC_UTF8);
    lode_http_incoming_set_events(res, &body_events);
    return;
  }
  /* Node: res.resume() to free the socket; with no on_data lode
   * discards the body once the response is done with. */
  lode_http_incoming_resume(res);
}

static void on_error(lode_http_request_t* req, const lode_error_t* e) {
  fprintf(stderr, "Got error: %s\n", e->message);
}

static const lode_http_request_events_t events = { .on_response = on_response,
                                                   .on_error = on_error };

int main(int argc, char** argv) {
  uv_loop_t* loop = uv_default_loop();
  lode_http_request_opts_t o = { .url = argc > 1 ? argv[1]
                                                 : "http://localhost:8000/" };
  lode_http_request_t* req;
  int rc = lode_http_get(loop, &o, &events, &req);
  if (rc != 0) {
    fprintf(stderr, "%s: %s\n", lode_err_name(rc), lode_strerror(rc));
    return 1;
  }
  uv_run(loop, UV_RUN_DEFAULT);
  lode_agent_destroy(lode_http_global_agent(loop));
  uv_run(loop, UV_RUN_DEFAULT);
  free(raw_data);
  return 0;
}
