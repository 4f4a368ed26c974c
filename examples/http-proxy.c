/* A reverse proxy: every request (method, path, headers, body) goes to the
 * upstream through a keep-alive agent, and both bodies stream through, as
 * a Node program does with two pipe() calls:
 *
 *   const agent = new http.Agent({ keepAlive: true });
 *   http.createServer((req, res) => {
 *     const up = http.request({ host, port, agent, method: req.method,
 *                               path: base + req.url, headers }, (ures) => {
 *       res.writeHead(ures.statusCode, ures.statusMessage, headersOf(ures));
 *       ures.pipe(res);
 *     });
 *     up.on('error', () => { ...502 or destroy... });
 *     req.pipe(up);
 *   }).listen(port);
 *
 * Usage: http-proxy PORT UPSTREAM_URL (e.g. http-proxy 8080
 * http://127.0.0.1:3000/api). The first line of output is "listening on
 * ADDRESS:PORT". Hop-by-hop headers (Connection and the names it lists,
 * Keep-Alive, Proxy-Connection, TE, Trailer, Upgrade) are not forwarded;
 * the rest go as received. Neither body is ever held whole: each pipe
 * stops reading its source while the other side is slow. An upstream that
 * cannot be reached gives 502; a client that goes away takes its upstream
 * request with it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "lode.h"

static uv_loop_t* loop;
static lode_agent_t* agent;
static lode_http_url_t upstream;
static char base_path[1024]; /* the upstream URL's path, no final '/' */

/* ---- Headers ---- */

static int hop_by_hop(const char* name, const char* connection) {
  static const char* const hop[] = {
    "connection", "keep-alive", "proxy-connection", "te", "trailer",
    "upgrade",    NULL
  };
  for (const char* const* h = hop; *h != NULL; h++)
    if (strcasecmp(name, *h) == 0)
      return 1;
  /* Connection: close, X-Foo -> X-Foo is hop-by-hop too. */
  size_t n = strlen(name);
  for (const char* p = connection; p != NULL && *p != '\0';) {
    while (*p == ' ' || *p == ',')
      p++;
    const char* end = p + strcspn(p, ", ");
    if ((size_t) (end - p) == n && strncasecmp(p, name, n) == 0)
      return 1;
    p = end;
  }
  return 0;
}

/* The message's raw headers less the hop-by-hop ones, as a NULL-terminated
 * name/value array (malloc'd; the strings are the message's). */
static const char** forward_headers(const lode_http_incoming_t* m,
                                    int drop_framing) {
  size_t n;
  const char* const* raw = lode_http_incoming_raw_headers(m, &n);
  const char* conn = lode_http_incoming_header(m, "connection");
  const char** out = malloc((2 * n + 1) * sizeof(*out));
  if (out == NULL)
    return NULL;
  size_t k = 0;
  for (size_t i = 0; i < n; i++) {
    const char* name = raw[2 * i];
    if (hop_by_hop(name, conn))
      continue;
    if (drop_framing && strcasecmp(name, "transfer-encoding") == 0)
      continue;
    out[k++] = name;
    out[k++] = raw[2 * i + 1];
  }
  out[k] = NULL;
  return out;
}

/* ---- One exchange: the client's request and response, the upstream
 * request; it goes when both the response and the upstream request have
 * closed. ---- */

typedef struct exchange_s {
  lode_http_response_t* res; /* NULL once closed */
  lode_http_request_t* up;   /* NULL once closed */
  int refs;
} exchange_t;

static void exchange_release(exchange_t* x) {
  if (--x->refs == 0)
    free(x);
}

static void on_up_response(lode_http_request_t* up,
                           lode_http_incoming_t* ures) {
  exchange_t* x = lode_http_outgoing_get_data(up);
  if (x->res == NULL)
    return;
  /* The response is framed by lode (Content-Length passed on, or chunked)
   * rather than by the upstream's Transfer-Encoding. */
  const char** h = forward_headers(ures, 1);
  int r = h == NULL ? UV_ENOMEM
                    : lode_http_response_write_head(
                          x->res, lode_http_incoming_status_code(ures),
                          lode_http_incoming_status_message(ures), h);
  free(h);
  lode_stream_t* body = r == 0 ? lode_http_incoming_stream(ures) : NULL;
  lode_stream_t* out = r == 0 ? lode_http_outgoing_stream(x->res) : NULL;
  if (body == NULL || out == NULL || lode_stream_pipe(body, out, NULL) != 0) {
    lode_http_outgoing_destroy(x->res, NULL);
    lode_http_request_destroy(up, NULL);
  }
}

static void on_up_error(lode_http_request_t* up, const lode_error_t* err) {
  exchange_t* x = lode_http_outgoing_get_data(up);
  fprintf(stderr, "upstream: %s\n", err->message);
  if (x->res == NULL)
    return;
  if (!lode_http_outgoing_headers_sent(x->res)) {
    static const char* const h[] = { "Content-Type", "text/plain", NULL };
    lode_http_response_write_head(x->res, 502, NULL, h);
    lode_http_outgoing_end(x->res, LODE_SLICE("Bad Gateway\n"), NULL, NULL);
  } else {
    lode_http_outgoing_destroy(x->res, NULL); /* cut the answer short */
  }
}

static void on_up_close(lode_http_request_t* up) {
  exchange_t* x = lode_http_outgoing_get_data(up);
  x->up = NULL;
  exchange_release(x);
}

static const lode_http_request_events_t up_events = {
  .on_response = on_up_response,
  .on_error = on_up_error,
  .on_close = on_up_close,
};

/* The client's response closed: finished, or the client went away (then
 * the upstream request goes too). */
static void on_res_close(lode_http_outgoing_t* res) {
  exchange_t* x = lode_http_outgoing_get_data(res);
  int finished = lode_http_outgoing_writable_finished(res);
  x->res = NULL;
  if (!finished && x->up != NULL)
    lode_http_request_destroy(x->up, NULL);
  exchange_release(x);
}

static const lode_http_outgoing_events_t res_events = {
  .on_close = on_res_close,
};

static void on_request(lode_http_server_t* srv, lode_http_incoming_t* req,
                       lode_http_response_t* res) {
  (void) srv;
  char path[8192];
  snprintf(path, sizeof(path), "%s%s", base_path, lode_http_incoming_url(req));
  const char** h = forward_headers(req, 0);
  exchange_t* x = calloc(1, sizeof(*x));
  lode_http_request_opts_t o = {
    .agent = agent,
    .host = upstream.host_bare,
    .port = upstream.port_num > 0 ? upstream.port_num : 80,
    .method = lode_http_incoming_method(req),
    .path = path,
    .headers = h, /* Host and the body's framing as the client sent */
  };
  lode_http_request_t* up = NULL;
  int r = h != NULL && x != NULL ? lode_http_request(loop, &o, &up_events, &up)
                                 : UV_ENOMEM;
  free(h);
  if (r != 0) {
    free(x);
    lode_http_response_write_head(res, 502, NULL, NULL);
    lode_http_outgoing_end(res, LODE_SLICE("Bad Gateway\n"), NULL, NULL);
    return;
  }
  x->res = res;
  x->up = up;
  x->refs = 2;
  lode_http_outgoing_set_data(res, x);
  lode_http_outgoing_set_data(up, x);
  lode_http_outgoing_set_events(res, &res_events);
  /* req.pipe(up): the body streams to the upstream, and its end ends the
   * upstream request. */
  lode_stream_t* body = lode_http_incoming_stream(req);
  lode_stream_t* to_up = lode_http_outgoing_stream(up);
  if (body == NULL || to_up == NULL || lode_stream_pipe(body, to_up, NULL) != 0)
    lode_http_request_destroy(up, NULL);
}

static void on_listening(lode_http_server_t* srv) {
  lode_net_address_t a;
  lode_http_server_address(srv, &a);
  printf("listening on %s:%d\n", a.address, a.port);
  fflush(stdout);
}

static void on_server_error(lode_http_server_t* srv, const lode_error_t* e) {
  (void) srv;
  fprintf(stderr, "%s\n", e->message);
  exit(1);
}

static const lode_http_server_events_t server_events = {
  .on_request = on_request,
  .on_listening = on_listening,
  .on_error = on_server_error,
};

int main(int argc, char** argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: http-proxy PORT UPSTREAM_URL\n");
    return 2;
  }
  int r = lode_http_url_parse(argv[2], NULL, &upstream);
  if (r != 0 || strcmp(upstream.protocol, "http:") != 0) {
    fprintf(stderr, "%s: not an http URL\n", argv[2]);
    return 2;
  }
  snprintf(base_path, sizeof(base_path), "%s", upstream.pathname);
  size_t bl = strlen(base_path);
  if (bl > 0 && base_path[bl - 1] == '/')
    base_path[bl - 1] = '\0';
  loop = uv_default_loop();
  lode_agent_opts_t ao = { .keep_alive = 1 };
  lode_http_server_t* server;
  r = lode_agent_create(loop, &ao, &agent);
  if (r == 0)
    r = lode_http_create_server(loop, NULL, &server_events, &server);
  lode_listen_opts_t lo = { .port = atoi(argv[1]) };
  if (r == 0)
    r = lode_http_server_listen(server, &lo, NULL, NULL);
  if (r != 0) {
    fprintf(stderr, "listen: %s\n", lode_strerror(r));
    return 1;
  }
  uv_run(loop, UV_RUN_DEFAULT);
  lode_agent_destroy(agent);
  lode_http_url_free(&upstream);
  return 0;
}
