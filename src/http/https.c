/* https.Server: a TLS server whose secure connections an HTTP server
 * serves. The TLS server listens; the HTTP server only serves streams. */
#include <stdlib.h>
#include <string.h>

#include "lode/https.h"
#include "lode/options.h"

struct lode_https_server_s {
  uv_loop_t* loop;
  lode_http_server_t* http;
  lode_tls_server_t* tls;
  const lode_https_server_events_t* ev;
  /* The tables the two servers borrow: the user's, less what the
   * HTTPS server says itself. */
  lode_http_server_events_t hev;
  lode_tls_server_events_t tev;
  lode_https_server_cb listen_cb;
  void* listen_arg;
  lode_https_server_cb close_cb;
  void* close_arg;
  int close_status;
  int closing;
  int refs;
};

static void server_release(lode_https_server_t* s) {
  if (--s->refs > 0)
    return;
  free(s);
}

static lode_https_server_t* of_tls(lode_tls_server_t* t) {
  return lode_tls_server_get_data(t);
}

/* ---- The TLS server's events ---- */

static void t_connection(lode_tls_server_t* t, lode_socket_t* sock) {
  lode_https_server_t* s = of_tls(t);
  if (s != NULL && s->ev->http.on_connection != NULL)
    s->ev->http.on_connection(s->http, lode_socket_stream(sock));
}

/* Node's https.Server serves a connection from its own 'secureConnection'
 * listener, before the user's. A connection whose handshake ends after
 * the server has gone is dropped. */
static void t_secure(lode_tls_server_t* t, lode_tls_socket_t* ts) {
  lode_https_server_t* s = of_tls(t);
  if (s == NULL || s->closing) {
    lode_tls_socket_destroy(ts, NULL);
    return;
  }
  lode_tls_socket_hold(ts);
  lode_http_server_serve(s->http, lode_tls_socket_stream(ts));
  if (s->ev->on_secure_connection != NULL)
    s->ev->on_secure_connection(s, ts);
  lode_tls_socket_release(ts);
}

static void t_client_error(lode_tls_server_t* t, const lode_error_t* err,
                           lode_tls_socket_t* ts) {
  lode_https_server_t* s = of_tls(t);
  if (s != NULL && s->ev->on_tls_client_error != NULL)
    s->ev->on_tls_client_error(s, err, ts);
}

static void t_listening(lode_tls_server_t* t) {
  lode_https_server_t* s = of_tls(t);
  if (s != NULL && s->ev->http.on_listening != NULL)
    s->ev->http.on_listening(s->http);
}

static void t_error(lode_tls_server_t* t, const lode_error_t* err) {
  lode_https_server_t* s = of_tls(t);
  if (s != NULL && s->ev->http.on_error != NULL)
    s->ev->http.on_error(s->http, err);
}

static void t_keylog(lode_tls_server_t* t, lode_slice_t line,
                     lode_tls_socket_t* ts) {
  lode_https_server_t* s = of_tls(t);
  if (s != NULL)
    s->ev->on_keylog(s, line, ts);
}

static void t_new_session(lode_tls_server_t* t, lode_slice_t id,
                          lode_slice_t data) {
  lode_https_server_t* s = of_tls(t);
  if (s != NULL)
    s->ev->on_new_session(s, id, data);
}

static lode_bytes_t* t_resume_session(lode_tls_server_t* t, lode_slice_t id) {
  lode_https_server_t* s = of_tls(t);
  return s != NULL ? s->ev->on_resume_session(s, id) : NULL;
}

static lode_bytes_t* t_ocsp(lode_tls_server_t* t, lode_slice_t cert,
                            lode_slice_t issuer, lode_tls_socket_t* ts) {
  lode_https_server_t* s = of_tls(t);
  return s != NULL ? s->ev->on_ocsp_request(s, cert, issuer, ts) : NULL;
}

/* The TLS layer acts on whether a slot is set (a key log is made only
 * with a listener, a listen error closes a server without one), so the
 * table has the slots the user's has. */
static void tls_table(lode_https_server_t* s) {
  const lode_https_server_events_t* ev = s->ev;
  lode_tls_server_events_t* t = &s->tev;
  t->on_secure_connection = t_secure;
  t->on_tls_client_error = t_client_error;
  t->on_connection = t_connection;
  t->on_listening = t_listening;
  t->on_error = ev->http.on_error ? t_error : NULL;
  t->on_keylog = ev->on_keylog ? t_keylog : NULL;
  t->on_new_session = ev->on_new_session ? t_new_session : NULL;
  t->on_resume_session = ev->on_resume_session ? t_resume_session : NULL;
  t->on_ocsp_request = ev->on_ocsp_request ? t_ocsp : NULL;
}

static int make_tls(uv_loop_t* loop, lode_https_server_t* s,
                    const lode_https_server_opts_t* o, lode_error_t* err) {
  static const char* const http11[] = { "http/1.1", NULL };
  lode_tls_server_opts_t to = o->tls;
  to.socket_events = NULL;
  if (to.tls.alpn_protocols == NULL && to.tls.alpn_callback == NULL)
    to.tls.alpn_protocols = http11;
  to.net.no_delay = LODE_OPT_BOOL(o->http.no_delay, 1);
  if (o->http.keep_alive) {
    to.net.keep_alive = 1;
    to.net.keep_alive_initial_delay = o->http.keep_alive_initial_delay;
  }
  if (to.net.high_water_mark == 0)
    to.net.high_water_mark = o->http.high_water_mark;
  tls_table(s);
  int rc = lode_tls_create_server(loop, &to, &s->tev, &s->tls, err);
  if (rc != 0)
    return rc;
  lode_tls_server_hold(s->tls);
  lode_tls_server_set_data(s->tls, s);
  return 0;
}

int lode_https_create_server(uv_loop_t* loop,
                             const lode_https_server_opts_t* opts,
                             const lode_https_server_events_t* ev,
                             lode_https_server_t** out, lode_error_t* err) {
  static const lode_https_server_opts_t none;
  static const lode_https_server_events_t no_events;
  const lode_https_server_opts_t* o = opts ? opts : &none;
  if (loop == NULL || out == NULL)
    return UV_EINVAL;
  lode_https_server_t* s = calloc(1, sizeof(*s));
  if (s == NULL)
    return UV_ENOMEM;
  s->loop = loop;
  s->refs = 1;
  s->ev = ev ? ev : &no_events;
  /* 'connection' is the TCP connection's (from the TLS server); 'close'
   * comes from the HTTPS server's own close. */
  s->hev = s->ev->http;
  s->hev.on_connection = NULL;
  s->hev.on_close = NULL;
  int rc = lode_http_create_server(loop, &o->http, &s->hev, &s->http);
  if (rc != 0) {
    free(s);
    return rc;
  }
  rc = make_tls(loop, s, o, err);
  if (rc != 0) {
    lode_http_server_close(s->http, NULL, NULL);
    free(s);
    return rc;
  }
  *out = s;
  return 0;
}

/* ---- listen, close, address ---- */

static void listened(lode_tls_server_t* t, int status, void* arg) {
  lode_https_server_t* s = arg;
  lode_https_server_cb cb = s->listen_cb;
  s->listen_cb = NULL;
  if (cb != NULL)
    cb(s, status, s->listen_arg);
}

int lode_https_server_listen(lode_https_server_t* s,
                             const lode_listen_opts_t* opts,
                             lode_https_server_cb cb, void* arg) {
  if (s->closing)
    return LODE_ERR_SERVER_NOT_RUNNING;
  int rc = lode_tls_server_listen(s->tls, opts, listened, s);
  if (rc == 0) {
    s->listen_cb = cb;
    s->listen_arg = arg;
  }
  return rc;
}

int lode_https_server_address(lode_https_server_t* s,
                              lode_net_address_t* out) {
  return lode_tls_server_address(s->tls, out);
}

/* The HTTP server has no connection left: the HTTPS server's 'close'. */
static void http_closed(lode_http_server_t* h, int status, void* arg) {
  lode_https_server_t* s = arg;
  (void) status;
  if (s->ev->http.on_close != NULL)
    s->ev->http.on_close(h);
  if (s->close_cb != NULL)
    s->close_cb(s, s->close_status, s->close_arg);
  lode_tls_server_set_data(s->tls, NULL);
  lode_tls_server_release(s->tls);
  server_release(s);
}

/* The listener is closed: now wait for the connections. */
static void tls_closed(lode_tls_server_t* t, int status, void* arg) {
  lode_https_server_t* s = arg;
  s->close_status = status;
  lode_http_server_close(s->http, http_closed, s);
}

typedef struct again_s {
  uv_timer_t timer;
  lode_https_server_t* srv;
  lode_https_server_cb cb;
  void* arg;
} again_t;

static void again_freed(uv_handle_t* h) {
  again_t* a = h->data;
  server_release(a->srv);
  free(a);
}

static void again_fire(uv_timer_t* t) {
  again_t* a = t->data;
  a->cb(a->srv, LODE_ERR_SERVER_NOT_RUNNING, a->arg);
  uv_close((uv_handle_t*) t, again_freed);
}

/* A second close: its callback gets the error on a later turn. */
static int close_again(lode_https_server_t* s, lode_https_server_cb cb,
                       void* arg) {
  again_t* a = cb ? calloc(1, sizeof(*a)) : NULL;
  if (a != NULL) {
    *a = (again_t){ .srv = s, .cb = cb, .arg = arg };
    uv_timer_init(s->loop, &a->timer);
    a->timer.data = a;
    s->refs++;
    uv_timer_start(&a->timer, again_fire, 0, 0);
  }
  return LODE_ERR_SERVER_NOT_RUNNING;
}

int lode_https_server_close(lode_https_server_t* s, lode_https_server_cb cb,
                            void* arg) {
  if (s->closing)
    return close_again(s, cb, arg);
  s->closing = 1;
  s->close_cb = cb;
  s->close_arg = arg;
  /* Idle connections go now, as the HTTP server's close does. */
  lode_http_server_close_idle_connections(s->http);
  int rc = lode_tls_server_close(s->tls, tls_closed, s);
  return rc == LODE_ERR_SERVER_NOT_RUNNING ? rc : 0;
}

lode_http_server_t* lode_https_server_http(lode_https_server_t* s) {
  return s->http;
}

lode_tls_server_t* lode_https_server_tls(lode_https_server_t* s) {
  return s->tls;
}

void lode_https_server_set_data(lode_https_server_t* s, void* data) {
  lode_http_server_set_data(s->http, data);
}

void* lode_https_server_get_data(const lode_https_server_t* s) {
  return lode_http_server_get_data(s->http);
}
