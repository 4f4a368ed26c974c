/* lode-fetch: a small command-line HTTP client.
 *
 *   lode-fetch [-X METHOD] [-H 'Name: value']... [-d @FILE | -d DATA] URL
 *
 * Prints the status line, the response headers in the order received, an
 * empty line, then the body, as it arrives. Exits 1 on an error. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lode.h"

static int failed;

static void on_data(lode_http_incoming_t* res, lode_slice_t chunk) {
  fwrite(chunk.base, 1, chunk.len, stdout);
}

static const lode_http_incoming_events_t body_events = { .on_data = on_data };

static void on_response(lode_http_request_t* req, lode_http_incoming_t* res) {
  size_t n;
  const char* const* raw = lode_http_incoming_raw_headers(res, &n);
  printf("HTTP/%s %d %s\r\n", lode_http_incoming_http_version(res),
         lode_http_incoming_status_code(res),
         lode_http_incoming_status_message(res));
  for (size_t i = 0; i + 1 < n; i += 2)
    printf("%s: %s\r\n", raw[i], raw[i + 1]);
  printf("\r\n");
  lode_http_incoming_set_events(res, &body_events);
}

static void on_error(lode_http_request_t* req, const lode_error_t* e) {
  fprintf(stderr, "lode-fetch: %s (%s)\n", e->message, e->name);
  failed = 1;
}

static const lode_http_request_events_t events = {
  .on_response = on_response, .on_error = on_error
};

static char* read_file(const char* path, size_t* len) {
  FILE* f = fopen(path, "rb");
  if (f == NULL)
    return NULL;
  char* buf = NULL;
  size_t cap = 0, n = 0, got;
  do {
    if (n == cap) {
      char* p = realloc(buf, cap = cap ? cap * 2 : 65536);
      if (p == NULL)
        break;
      buf = p;
    }
    got = fread(buf + n, 1, cap - n, f);
    n += got;
  } while (got > 0);
  fclose(f);
  *len = n;
  return buf;
}

static int usage(void) {
  fprintf(stderr, "usage: lode-fetch [-X METHOD] [-H 'Name: value']... "
          "[-d @FILE | -d DATA] URL\n");
  return 2;
}

int main(int argc, char** argv) {
  const char* headers[128];
  size_t nheaders = 0;
  lode_http_request_opts_t o = { 0 };
  char* body = NULL;
  size_t body_len = 0;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "-X") == 0 && i + 1 < argc) {
      o.method = argv[++i];
    } else if (strcmp(argv[i], "-H") == 0 && i + 1 < argc && nheaders < 126) {
      char* h = argv[++i];
      char* colon = strchr(h, ':');
      if (colon == NULL)
        return usage();
      *colon = '\0';
      headers[nheaders++] = h;
      headers[nheaders++] = colon + 1 + strspn(colon + 1, " \t");
    } else if (strcmp(argv[i], "-d") == 0 && i + 1 < argc) {
      const char* d = argv[++i];
      free(body);
      body = d[0] == '@' ? read_file(d + 1, &body_len) : strdup(d);
      if (body == NULL) {
        fprintf(stderr, "lode-fetch: cannot read %s\n", d);
        return 1;
      }
      if (d[0] != '@')
        body_len = strlen(body);
      if (o.method == NULL)
        o.method = "POST";
    } else if (argv[i][0] == '-' || o.url != NULL) {
      return usage();
    } else {
      o.url = argv[i];
    }
  }
  if (o.url == NULL)
    return usage();
  o.headers = headers;
  o.nheaders = nheaders / 2;
  uv_loop_t* loop = uv_default_loop();
  lode_http_request_t* req;
  int rc = lode_http_request(loop, &o, &events, &req);
  if (rc != 0) {
    fprintf(stderr, "lode-fetch: %s: %s\n", lode_err_name(rc),
            lode_strerror(rc));
    free(body);
    return 1;
  }
  lode_http_request_end(req, (lode_slice_t){ body, body_len }, NULL, NULL);
  uv_run(loop, UV_RUN_DEFAULT);
  lode_agent_destroy(lode_http_global_agent(loop));
  uv_run(loop, UV_RUN_DEFAULT);
  free(body);
  fflush(stdout);
  return failed;
}
