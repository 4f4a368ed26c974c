/* lode-fetch: a small command-line HTTP client with curl's options and
 * exit codes.
 *
 *   lode-fetch [-i] [-s] [-S] [-o FILE] [-m|--max-time SECONDS]
 *              [-k|--insecure] [--cacert FILE]
 *              [-X METHOD] [-H 'Name: value']... [-d @FILE | -d DATA] URL
 *
 * An https: URL is fetched over TLS, the server's certificate checked
 * against the system's trust store, or the CAs of --cacert FILE (PEM)
 * instead; -k skips the check, as curl's.
 *
 * Writes the body, as it arrives, to stdout (or FILE with -o; "-" is
 * stdout). -i first writes the status line and the response headers in
 * the order received, then an empty line. -d sends DATA or the bytes of
 * FILE (POST unless -X says otherwise). --max-time bounds the whole
 * transfer. A failure prints "lode-fetch: (N) why" on stderr (nothing
 * with -s, unless -S too) and exits with curl's code N:
 *    2  bad usage, or a request lode refuses to make
 *    3  bad URL
 *    6  host not found
 *    7  cannot connect
 *    8  the answer is not HTTP (a parse error)
 *   18  the body was cut short: the connection closed before the
 *       Content-Length or the last chunk (what came is written)
 *   23  cannot write the output
 *   26  cannot read -d @FILE
 *   28  --max-time reached
 *   35  the TLS handshake failed
 *   52  the server closed without answering
 *   56  any other failure while receiving
 *   60  the server's certificate does not verify
 *   77  cannot read the --cacert FILE
 * An HTTP error status (404, 500) is a response like any other: exit 0. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lode.h"
#include "util.h"

static struct {
  const char* out_path;
  FILE* out;
  int include_head;
  int silent, show_error;
  double max_time;
  uv_timer_t timer;
  lode_http_request_t* req;
  const char* host;
  int got_response, ended;
  uint64_t received;
  long long expected; /* Content-Length, or -1 */
  int code;           /* the first failure's exit code, 0: none */
  char why[400];
} f = { .expected = -1 };

/* Keeps the first failure: what comes after it is its consequence. */
static void fail(int code, const char* fmt, ...) {
  if (f.code != 0)
    return;
  f.code = code;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(f.why, sizeof(f.why), fmt, ap);
  va_end(ap);
}

static void write_out(const void* p, size_t n) {
  if (f.code == 23 || n == 0)
    return;
  if (fwrite(p, 1, n, f.out) != n) {
    fail(23, "Failure writing output to destination: %s", strerror(errno));
    lode_http_request_destroy(f.req, NULL);
  }
}

static void on_data(lode_http_incoming_t* res, lode_slice_t chunk) {
  f.received += chunk.len;
  write_out(chunk.base, chunk.len);
}

static void on_end(lode_http_incoming_t* res) {
  f.ended = 1;
}

/* The response's own 'error' ("aborted"): the end that never came says
 * it after the run. */
static void on_res_error(lode_http_incoming_t* res, const lode_error_t* e) {
}

static const lode_http_incoming_events_t body_events = {
  .on_data = on_data, .on_end = on_end, .on_error = on_res_error
};

static void write_head(lode_http_incoming_t* res) {
  char line[1024];
  size_t n;
  const char* const* raw = lode_http_incoming_raw_headers(res, &n);
  int len = snprintf(line, sizeof(line), "HTTP/%s %d %s\r\n",
                     lode_http_incoming_http_version(res),
                     lode_http_incoming_status_code(res),
                     lode_http_incoming_status_message(res));
  write_out(line, (size_t) len < sizeof(line) ? (size_t) len : 0);
  for (size_t i = 0; i < 2 * n; i += 2) {
    write_out(raw[i], strlen(raw[i]));
    write_out(": ", 2);
    write_out(raw[i + 1], strlen(raw[i + 1]));
    write_out("\r\n", 2);
  }
  write_out("\r\n", 2);
}

static void on_response(lode_http_request_t* req, lode_http_incoming_t* res) {
  f.got_response = 1;
  if (f.out == NULL && (f.out = fopen(f.out_path, "wb")) == NULL) {
    fail(23, "Failed to open the file %s: %s", f.out_path, strerror(errno));
    lode_http_request_destroy(req, NULL);
    return;
  }
  const char* cl = lode_http_incoming_header(res, "content-length");
  if (cl != NULL && lode_http_incoming_header(res, "transfer-encoding") == NULL)
    f.expected = strtoll(cl, NULL, 10);
  if (f.include_head)
    write_head(res);
  lode_http_incoming_set_events(res, &body_events);
}

static int starts(const char* s, const char* prefix) {
  return s != NULL && strncmp(s, prefix, strlen(prefix)) == 0;
}

/* The request's error before any response, as curl names it. */
static void on_error(lode_http_request_t* req, const lode_error_t* e) {
  if (f.got_response)
    return; /* a cut body: said after the run */
  const char* n = e->name ? e->name : "";
  if (starts(n, "EAI_") || strcmp(n, "ENOTFOUND") == 0)
    fail(6, "Could not resolve host: %s (%s)", f.host, e->message);
  else if (starts(e->syscall, "connect") || strcmp(n, "ECONNREFUSED") == 0)
    fail(7, "Failed to connect: %s", e->message);
  else if (e->code == LODE_ERR_TLS_CERT_VERIFY ||
           e->code == LODE_ERR_TLS_CERT_ALTNAME_INVALID)
    fail(60, "SSL certificate problem: %s (%s)", e->message, n);
  else if (e->code == LODE_ERR_SSL)
    fail(35, "SSL connect error: %s (%s)", e->message, n);
  else if (starts(n, "HPE_"))
    fail(8, "Weird server reply: %s (%s)", e->message, n);
  else if (strcmp(e->message, "socket hang up") == 0)
    fail(52, "Empty reply from server");
  else
    fail(56, "Failure when receiving data from the peer: %s (%s)", e->message,
         n);
}

static const lode_http_request_events_t events = { .on_response = on_response,
                                                   .on_error = on_error };

static void on_max_time(uv_timer_t* t) {
  if (f.expected >= 0)
    fail(28,
         "Operation timed out after %.0f milliseconds with %" PRIu64
         " out of %lld bytes received",
         f.max_time * 1000, f.received, f.expected);
  else
    fail(28,
         "Operation timed out after %.0f milliseconds with %" PRIu64
         " bytes received",
         f.max_time * 1000, f.received);
  lode_http_request_destroy(f.req, NULL);
}

static int usage(void) {
  fprintf(stderr,
          "usage: lode-fetch [-i] [-s] [-S] [-o FILE] "
          "[-m|--max-time SECONDS] [-k] [--cacert FILE]\n"
          "                  [-X METHOD]"
          "                  [-H 'Name: value']... [-d @FILE | -d DATA] "
          "URL\n");
  return 2;
}

static int finish(char* body) {
  free(body);
  if (f.out != NULL && f.out != stdout && fclose(f.out) != 0)
    fail(23, "Failure writing output to %s", f.out_path);
  else if (f.out == stdout && fflush(stdout) != 0)
    fail(23, "Failure writing output to destination");
  if (f.code != 0 && (!f.silent || f.show_error))
    fprintf(stderr, "lode-fetch: (%d) %s\n", f.code, f.why);
  return f.code;
}

int main(int argc, char** argv) {
  const char* headers[128];
  size_t nheaders = 0;
  lode_https_request_opts_t ho = { 0 };
  lode_http_request_opts_t o = { 0 };
  char* body = NULL;
  char* cacert = NULL;
  size_t body_len = 0;
  for (int i = 1; i < argc; i++) {
    const char* a = argv[i];
    int has_arg = i + 1 < argc;
    if (strcmp(a, "-X") == 0 && has_arg) {
      o.method = argv[++i];
    } else if (strcmp(a, "-H") == 0 && has_arg && nheaders < 126) {
      char* h = argv[++i];
      char* colon = strchr(h, ':');
      if (colon == NULL)
        return usage();
      *colon = '\0';
      headers[nheaders++] = h;
      headers[nheaders++] = colon + 1 + strspn(colon + 1, " \t");
    } else if (strcmp(a, "-d") == 0 && has_arg) {
      const char* d = argv[++i];
      free(body);
      body = d[0] == '@' ? read_file(d + 1, &body_len) : strdup(d);
      if (body == NULL) {
        fail(26, "Failed to open/read local data from file %s", d + 1);
        return finish(NULL);
      }
      if (d[0] != '@')
        body_len = strlen(body);
      if (o.method == NULL)
        o.method = "POST";
    } else if (strcmp(a, "-o") == 0 && has_arg) {
      f.out_path = argv[++i];
    } else if ((strcmp(a, "-m") == 0 || strcmp(a, "--max-time") == 0) &&
               has_arg) {
      char* end;
      f.max_time = strtod(argv[++i], &end);
      if (*end != '\0' || !(f.max_time > 0) || !isfinite(f.max_time) ||
          f.max_time > 1e9)
        return usage();
    } else if (strcmp(a, "--cacert") == 0 && has_arg) {
      size_t len;
      const char* path = argv[++i];
      free(cacert);
      if ((cacert = read_file(path, &len)) == NULL) {
        free(body);
        fail(77, "error setting certificate file: %s", path);
        return finish(NULL);
      }
      ho.tls.context.ca = (lode_slice_t){ cacert, len };
    } else if (strcmp(a, "-k") == 0 || strcmp(a, "--insecure") == 0) {
      ho.tls.reject_unauthorized = LODE_FALSE;
    } else if (strcmp(a, "-i") == 0) {
      f.include_head = 1;
    } else if (strcmp(a, "-s") == 0) {
      f.silent = 1;
    } else if (strcmp(a, "-S") == 0) {
      f.show_error = 1;
    } else if (a[0] == '-' || o.url != NULL) {
      free(body);
      return usage();
    } else {
      o.url = a;
    }
  }
  if (o.url == NULL)
    return usage();
  if (f.out_path == NULL || strcmp(f.out_path, "-") == 0)
    f.out = stdout;
  headers[nheaders] = NULL;
  o.headers = headers;
  f.host = o.url;
  uv_loop_t* loop = uv_default_loop();
  int https = strncmp(o.url, "https:", 6) == 0;
  ho.http = o;
  int rc = https ? lode_https_request(loop, &ho, &events, &f.req)
                 : lode_http_request(loop, &o, &events, &f.req);
  if (rc != 0) {
    free(cacert);
    fail(rc == LODE_ERR_INVALID_URL ? 3 : 2, "%s: %s", lode_err_name(rc),
         lode_strerror(rc));
    return finish(body);
  }
  f.host = lode_http_request_host(f.req);
  /* Unreferenced: the transfer keeps the loop running, not the timer. */
  uv_timer_init(loop, &f.timer);
  if (f.max_time > 0) {
    uv_timer_start(&f.timer, on_max_time, (uint64_t) ceil(f.max_time * 1000),
                   0);
    uv_unref((uv_handle_t*) &f.timer);
  }
  lode_http_request_end(f.req, (lode_slice_t){ body, body_len }, NULL, NULL);
  uv_run(loop, UV_RUN_DEFAULT);
  if (f.got_response && !f.ended) {
    if (f.expected >= 0 && (uint64_t) f.expected > f.received)
      fail(18, "transfer closed with %" PRIu64 " bytes remaining to read",
           (uint64_t) f.expected - f.received);
    else
      fail(18, "transfer closed with outstanding read data remaining");
  }
  uv_close((uv_handle_t*) &f.timer, NULL);
  lode_agent_destroy(https ? lode_https_global_agent(loop)
                           : lode_http_global_agent(loop));
  uv_run(loop, UV_RUN_DEFAULT);
  free(cacert);
  return finish(body);
}
