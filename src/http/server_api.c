/* http.Server: options, listening through the net server, close, and the
 * properties Node exposes on it. */
#include <stdlib.h>
#include <string.h>

#include "http/server.h"

/* Node's process-wide http.setMaxIdleHTTPParsers value (default 1000):
 * here it caps each server's pool of idle parsers. */
int lode__max_idle_parsers = 1000;

int lode_http_set_max_idle_http_parsers(int max) {
  if (max < 1)
    return LODE_ERR_OUT_OF_RANGE;
  lode__max_idle_parsers = max;
  return 0;
}

static uint64_t opt_ms(uint64_t v, uint64_t dflt) {
  if (v == LODE_HTTP_TIMEOUT_NONE)
    return 0;
  return v ? v : dflt;
}

static int copy_unique(lode_http_server_t* srv, const char* const* names) {
  size_t n = 0;
  while (names[n] != NULL)
    n++;
  srv->unique = calloc(n + 1, sizeof(char*));
  if (srv->unique == NULL)
    return UV_ENOMEM;
  for (size_t i = 0; i < n; i++) {
    size_t len = strlen(names[i]);
    char* p = malloc(len + 1);
    if (p == NULL)
      return UV_ENOMEM;
    for (size_t k = 0; k <= len; k++)
      p[k] = names[i][k] >= 'A' && names[i][k] <= 'Z' ? names[i][k] | 0x20
                                                      : names[i][k];
    srv->unique[i] = p;
  }
  return 0;
}

static void server_free(lode_http_server_t* srv) {
  lode__incoming_pool_clear(&srv->req_pool);
  lode__response_free_all(srv);
  lode__buf_free(&srv->batch);
  free(srv->batch_cbs);
  while (srv->free_slots != NULL) {
    lode__parser_slot_t* s = srv->free_slots;
    srv->free_slots = s->next;
    lode__unpoison(s, sizeof(*s));
    free(s);
  }
  if (srv->unique != NULL)
    for (char** p = (char**) srv->unique; *p != NULL; p++)
      free(*p);
  free(srv->unique);
  lode__loop_put(srv->lp);
  free(srv);
}

static void apply_opts(lode_http_server_t* srv,
                       const lode_http_server_opts_t* o) {
  srv->request_timeout = opt_ms(o->request_timeout, 300000);
  uint64_t dflt_headers = srv->request_timeout && srv->request_timeout < 60000
                              ? srv->request_timeout
                              : 60000;
  srv->headers_timeout = opt_ms(o->headers_timeout, dflt_headers);
  srv->keep_alive_timeout = opt_ms(o->keep_alive_timeout, 5000);
  srv->check_interval = opt_ms(o->connections_checking_interval, 30000);
  srv->max_header_size = o->max_header_size ? o->max_header_size
                                            : LODE_HTTP_DEFAULT_MAX_HEADER_SIZE;
  srv->lenient = o->insecure_http_parser ? LODE_HTTP_LENIENT_ALL : 0;
  srv->join_duplicates = o->join_duplicate_headers;
  srv->reject_body = o->reject_non_standard_body_writes;
  srv->require_host = LODE_OPT_BOOL(o->require_host_header, 1);
  srv->no_delay = LODE_OPT_BOOL(o->no_delay, 1);
  srv->keep_alive = o->keep_alive;
  srv->keep_alive_delay = o->keep_alive_initial_delay;
  srv->hwm = o->high_water_mark ? o->high_water_mark : LODE__HIGH_WATER_MARK;
}

int lode_http_create_server(uv_loop_t* loop,
                            const lode_http_server_opts_t* opts,
                            const lode_http_server_events_t* ev,
                            lode_http_server_t** out) {
  static const lode_http_server_opts_t none = { 0 };
  static const lode_http_server_events_t no_events = { 0 };
  const lode_http_server_opts_t* o = opts ? opts : &none;
  *out = NULL;
  lode_http_server_t* srv = calloc(1, sizeof(*srv));
  if (srv == NULL)
    return UV_ENOMEM;
  srv->loop = loop;
  srv->ev = ev ? ev : &no_events;
  srv->req_pool.max = LODE__FREE_MAX;
  srv->req_pool.keep = LODE__HIGH_WATER_MARK;
  apply_opts(srv, o);
  if ((srv->request_timeout && srv->headers_timeout &&
       srv->headers_timeout > srv->request_timeout) ||
      srv->max_header_size > LODE_HTTP_LIMIT_MAX) {
    free(srv);
    return LODE_ERR_OUT_OF_RANGE;
  }
  if ((o->unique_headers != NULL && copy_unique(srv, o->unique_headers)) ||
      (srv->lp = lode__loop_get(loop)) == NULL) {
    server_free(srv);
    return UV_ENOMEM;
  }
  uv_timer_init(loop, &srv->check_timer);
  srv->check_timer.data = srv;
  uv_unref((uv_handle_t*) &srv->check_timer);
  srv->handles = 1;
  *out = srv;
  return 0;
}

void lode_http_server_set_data(lode_http_server_t* srv, void* data) {
  srv->data = data;
}

void* lode_http_server_get_data(const lode_http_server_t* srv) {
  return srv->data;
}

static void check_fire(uv_timer_t* t) {
  lode_http_server_t* srv = t->data;
  if (srv->headers_timeout || srv->request_timeout)
    lode__server_check_connections(srv);
}

void lode__server_start_checking(lode_http_server_t* srv) {
  if (srv->check_running || srv->closing || srv->check_interval == 0)
    return;
  srv->check_running = 1;
  uv_timer_start(&srv->check_timer, check_fire, srv->check_interval,
                 srv->check_interval);
}

/* The net server's events. */
static void net_connection(lode_server_t* net, lode_socket_t* s) {
  lode_http_server_t* srv = lode_server_get_data(net);
  lode_stream_t* st = lode_socket_stream(s);
  /* noDelay came with the net server's options (one setsockopt, at the
   * accept, as Node's). */
  if (srv->keep_alive)
    lode_socket_set_keep_alive(s, 1, srv->keep_alive_delay);
  if (srv->ev->on_connection != NULL)
    srv->ev->on_connection(srv, st);
  lode_http_server_serve(srv, st);
}

static void net_listening(lode_server_t* net) {
  lode_http_server_t* srv = lode_server_get_data(net);
  srv->listening = 1;
  lode__server_start_checking(srv);
  if (srv->ev->on_listening != NULL)
    srv->ev->on_listening(srv);
}

static void net_error(lode_server_t* net, const lode_error_t* err) {
  lode_http_server_t* srv = lode_server_get_data(net);
  if (srv->ev->on_error != NULL)
    srv->ev->on_error(srv, err);
}

static void net_close(lode_server_t* net) {
  lode_http_server_t* srv = lode_server_get_data(net);
  srv->listening = 0;
  srv->net_closed = 1;
  lode__server_maybe_closed(srv);
}

static const lode_server_events_t net_events = {
  .on_connection = net_connection,
  .on_listening = net_listening,
  .on_error = net_error,
  .on_close = net_close,
};

/* The net server under the HTTP server, made on the first listen. */
static int ensure_net(lode_http_server_t* srv) {
  if (srv->closing)
    return LODE_ERR_SERVER_NOT_RUNNING;
  if (srv->net != NULL)
    return 0;
  lode_server_opts_t o = { .allow_half_open = 1,
                           .no_delay = srv->no_delay,
                           .high_water_mark = srv->hwm };
  int r = lode_net_create_server(srv->loop, &o, &net_events, &srv->net);
  if (r != 0)
    return r;
  lode_server_set_data(srv->net, srv);
  return 0;
}

static void listen_done(lode_server_t* net, int status, void* arg) {
  lode_http_server_t* srv = lode_server_get_data(net);
  lode_http_server_cb cb = srv->listen_cb;
  (void) arg;
  srv->listen_cb = NULL;
  if (cb != NULL)
    cb(srv, status, srv->listen_arg);
}

static int listen_with(lode_http_server_t* srv, const lode_listen_opts_t* lo,
                       int fd, int backlog, lode_http_server_cb cb, void* arg) {
  int r = ensure_net(srv);
  if (r != 0)
    return r;
  lode_server_cb done = cb != NULL ? listen_done : NULL;
  r = lo != NULL ? lode_server_listen(srv->net, lo, done, NULL)
                 : lode_server_listen_fd(srv->net, fd, backlog, done, NULL);
  if (r == 0 && cb != NULL) {
    srv->listen_cb = cb;
    srv->listen_arg = arg;
  }
  return r;
}

int lode_http_server_listen(lode_http_server_t* srv,
                            const lode_listen_opts_t* opts,
                            lode_http_server_cb cb, void* arg) {
  if (opts == NULL)
    return LODE_ERR_INVALID_ARG_TYPE;
  return listen_with(srv, opts, -1, 0, cb, arg);
}

int lode_http_server_listen_fd(lode_http_server_t* srv, int fd, int backlog,
                               lode_http_server_cb cb, void* arg) {
  return listen_with(srv, NULL, fd, backlog, cb, arg);
}

int lode_http_server_address(const lode_http_server_t* srv,
                             lode_net_address_t* out) {
  if (srv->net == NULL)
    return UV_ENOTCONN;
  return lode_server_address(srv->net, out);
}

int lode_http_server_port(const lode_http_server_t* srv) {
  lode_net_address_t a;
  if (srv->net == NULL)
    return UV_ENOTCONN;
  int r = lode_server_address(srv->net, &a);
  return r < 0 ? r : a.port;
}

int lode_http_server_listening(const lode_http_server_t* srv) {
  return srv->listening;
}

static void check_closed(uv_handle_t* h) {
  lode_http_server_t* srv = h->data;
  srv->handles--;
  lode__server_maybe_closed(srv);
}

/* 'close' once the listener and every connection are gone; the memory
 * goes when the last connection object has been freed too. */
void lode__server_maybe_closed(lode_http_server_t* srv) {
  if (!srv->closing)
    return;
  if (!srv->closed && (srv->net == NULL || srv->net_closed) &&
      srv->nconns == 0 && srv->handles == 0) {
    srv->closed = 1;
    srv->nalive++;
    if (srv->ev->on_close != NULL)
      srv->ev->on_close(srv);
    if (srv->close_cb != NULL)
      srv->close_cb(srv, srv->close_status, srv->close_arg);
    srv->nalive--;
  }
  if (srv->closed && srv->nalive == 0 && !srv->freed) {
    srv->freed = 1;
    server_free(srv);
  }
}

int lode_http_server_close(lode_http_server_t* srv,
                           void (*cb)(lode_http_server_t*, int, void*),
                           void* arg) {
  if (srv->closing)
    return LODE_ERR_SERVER_NOT_RUNNING;
  srv->closing = 1;
  srv->close_cb = cb;
  srv->close_arg = arg;
  srv->close_status = srv->listening ? 0 : LODE_ERR_SERVER_NOT_RUNNING;
  srv->listening = 0; /* Node: server.listening is false once closing */
  lode_http_server_close_idle_connections(srv);
  uv_timer_stop(&srv->check_timer);
  uv_close((uv_handle_t*) &srv->check_timer, check_closed);
  if (srv->net != NULL)
    lode_server_close(srv->net, NULL, NULL);
  return srv->close_status;
}

void lode_http_server_set_timeout(lode_http_server_t* srv, uint64_t ms,
                                  lode_stream_cb cb, void* arg) {
  srv->timeout = ms;
  if (cb != NULL) {
    srv->timeout_cb = cb;
    srv->timeout_arg = arg;
  }
}

uint64_t lode_http_server_timeout(const lode_http_server_t* srv) {
  return srv->timeout;
}

void lode_http_server_set_headers_timeout(lode_http_server_t* srv,
                                          uint64_t ms) {
  srv->headers_timeout = ms;
}

uint64_t lode_http_server_headers_timeout(const lode_http_server_t* srv) {
  return srv->headers_timeout;
}

void lode_http_server_set_request_timeout(lode_http_server_t* srv,
                                          uint64_t ms) {
  srv->request_timeout = ms;
}

uint64_t lode_http_server_request_timeout(const lode_http_server_t* srv) {
  return srv->request_timeout;
}

void lode_http_server_set_keep_alive_timeout(lode_http_server_t* srv,
                                             uint64_t ms) {
  srv->keep_alive_timeout = ms;
}

uint64_t lode_http_server_keep_alive_timeout(const lode_http_server_t* srv) {
  return srv->keep_alive_timeout;
}

void lode_http_server_set_max_headers_count(lode_http_server_t* srv,
                                            unsigned n) {
  srv->max_headers_count = n;
}

unsigned lode_http_server_max_headers_count(const lode_http_server_t* srv) {
  return srv->max_headers_count ? srv->max_headers_count : 2000;
}

void lode_http_server_set_max_requests_per_socket(lode_http_server_t* srv,
                                                  unsigned n) {
  srv->max_requests = n;
}

unsigned lode_http_server_max_requests_per_socket(
    const lode_http_server_t* srv) {
  return srv->max_requests;
}

void lode_http_server_ref(lode_http_server_t* srv) {
  if (srv->net != NULL)
    lode_server_ref(srv->net);
}

void lode_http_server_unref(lode_http_server_t* srv) {
  if (srv->net != NULL)
    lode_server_unref(srv->net);
}
