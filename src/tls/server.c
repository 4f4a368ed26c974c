/* Node's tls.Server (a net server whose connections are wrapped) and
 * tls.connect (a net connection wrapped by a client). */
#include "tls/socket.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

typedef struct sni_s {
  struct sni_s* next;
  lode_tls_context_t* ctx;
  char name[];
} sni_t;

struct lode_tls_server_s {
  lode__obj_t obj;
  lode_server_t* net;
  lode_tls_context_t* ctx;
  lode_tls_opts_t opts;     /* strings and ALPN borrowed from ctx */
  const char** alpn;        /* owned copy, NULL-terminated */
  unsigned char* alpn_wire; /* its wire form, lent to every socket */
  unsigned alpn_wire_len;
  const lode_tls_server_events_t* ev;
  const lode_tls_socket_events_t* socket_events;
  lode__queue_t sockets; /* in their handshake or open */
  sni_t* sni;
};

/* ---- SNI: server.addContext ---- */

/* Node's addContext pattern: '*' stands for any run of characters but
 * '.'; everything else is literal (host names compare without case). */
static int sni_match(const char* p, const char* name) {
  for (; *p != '\0'; p++, name++) {
    if (*p == '*') {
      for (;; name++) {
        if (sni_match(p + 1, name))
          return 1;
        if (*name == '\0' || *name == '.')
          return 0;
      }
    }
    if (*name == '\0' ||
        tolower((unsigned char) *p) != tolower((unsigned char) *name))
      return 0;
  }
  return *name == '\0';
}

/* Switches the connection to `ctx`, keeping its own verify settings. */
static void switch_context(SSL* ssl, lode_tls_context_t* ctx) {
  int mode = SSL_get_verify_mode(ssl);
  SSL_verify_cb cb = SSL_get_verify_callback(ssl);
  SSL_set_SSL_CTX(ssl, ctx->ctx);
  SSL_set_verify(ssl, mode, cb);
  /* The connection's verify store went with its old context's settings. */
  if (mode & SSL_VERIFY_PEER)
    lode__tls_use_system_store(ssl, ctx);
}

/* SNI: SNICallback first, then the contexts of addContext. */
static int on_servername(SSL* ssl, int* alert, void* arg) {
  lode_tls_socket_t* t = lode__tls_of_ssl(ssl);
  const char* name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
  if (t == NULL || t->server == NULL || name == NULL)
    return SSL_TLSEXT_ERR_OK;
  lode_tls_server_t* srv = t->server;
  if (srv->opts.sni_callback != NULL) {
    lode_tls_context_t* ctx = srv->opts.sni_callback(
        name, srv->opts.sni_callback_arg);
    if (ctx != NULL)
      switch_context(ssl, ctx);
    return SSL_TLSEXT_ERR_OK;
  }
  for (sni_t* s = srv->sni; s != NULL; s = s->next)
    if (sni_match(s->name, name)) {
      switch_context(ssl, s->ctx);
      break;
    }
  return SSL_TLSEXT_ERR_OK;
}

int lode_tls_server_add_context(lode_tls_server_t* srv, const char* hostname,
                                lode_tls_context_t* ctx) {
  if (srv == NULL || hostname == NULL || ctx == NULL)
    return UV_EINVAL;
  size_t n = strlen(hostname);
  sni_t* s = malloc(sizeof(*s) + n + 1);
  if (s == NULL)
    return UV_ENOMEM;
  memcpy(s->name, hostname, n + 1);
  lode_tls_context_hold(ctx);
  s->ctx = ctx;
  s->next = srv->sni; /* later calls come first */
  srv->sni = s;
  return 0;
}

/* ---- Connections ---- */

static lode_tls_server_t* of_net(lode_server_t* net) {
  return lode_server_get_data(net);
}

static void on_connection(lode_server_t* net, lode_socket_t* s) {
  lode_tls_server_t* srv = of_net(net);
  if (srv->ev != NULL && srv->ev->on_connection != NULL) {
    lode__hold(&srv->obj);
    srv->ev->on_connection(srv, s);
    if (lode__release(&srv->obj) || lode_socket_destroyed(s))
      return;
  }
  lode_tls_context_hold(srv->ctx);
  lode_tls_socket_t* t;
  lode_tls_opts_t o = srv->opts;
  o.is_server = 1;
  lode_slice_t alpn = { (const char*) srv->alpn_wire,
                        srv->alpn_wire ? srv->alpn_wire_len : 0 };
  int rc = lode__tls_socket_new(lode_socket_stream(s), &o, srv->ctx,
                                srv->socket_events, alpn, &t, NULL);
  if (rc != 0) {
    lode_tls_context_release(srv->ctx);
    lode_socket_destroy_code(s, rc);
    return;
  }
  t->sock = s;
  t->server = srv;
  lode__hold(&srv->obj); /* the socket's, until it closes */
  lode__queue_insert_tail(&srv->sockets, &t->server_node);
  lode__tls_socket_start(t);
}

void lode__tls_server_secure(lode_tls_server_t* srv, lode_tls_socket_t* t) {
  if (srv->ev != NULL && srv->ev->on_secure_connection != NULL)
    srv->ev->on_secure_connection(srv, t);
}

void lode__tls_server_client_error(lode_tls_server_t* srv, lode_tls_socket_t* t,
                                   const lode_error_t* err) {
  if (srv->ev != NULL && srv->ev->on_tls_client_error != NULL)
    srv->ev->on_tls_client_error(srv, err, t);
}

void lode__tls_server_keylog(lode_tls_server_t* srv, lode_tls_socket_t* t,
                             lode_slice_t line) {
  if (srv->ev != NULL && srv->ev->on_keylog != NULL)
    srv->ev->on_keylog(srv, line, t);
}

int lode__tls_server_wants_keylog(const lode_tls_server_t* srv) {
  return srv->ev != NULL && srv->ev->on_keylog != NULL;
}

int lode__tls_server_wants_sessions(const lode_tls_server_t* srv) {
  return srv->ev != NULL && srv->ev->on_new_session != NULL;
}

void lode__tls_server_new_session(lode_tls_server_t* srv, lode_slice_t id,
                                  lode_slice_t data) {
  srv->ev->on_new_session(srv, id, data);
}

lode_bytes_t* lode__tls_server_resume_session(lode_tls_server_t* srv,
                                              lode_slice_t id) {
  if (srv->ev == NULL || srv->ev->on_resume_session == NULL)
    return NULL;
  return srv->ev->on_resume_session(srv, id);
}

lode_bytes_t* lode__tls_server_ocsp_request(lode_tls_server_t* srv,
                                            lode_slice_t cert,
                                            lode_slice_t issuer,
                                            lode_tls_socket_t* t) {
  if (srv->ev == NULL || srv->ev->on_ocsp_request == NULL)
    return NULL;
  return srv->ev->on_ocsp_request(srv, cert, issuer, t);
}

void lode__tls_server_socket_closed(lode_tls_server_t* srv,
                                    lode_tls_socket_t* t) {
  lode__queue_remove(&t->server_node);
  t->server = NULL;
  if (t->obj.flags & TF_ALPN_LENT) { /* the server may go now */
    t->alpn = NULL;
    t->alpn_len = 0;
  }
  lode__release(&srv->obj);
}

static void on_listening(lode_server_t* net) {
  lode_tls_server_t* srv = of_net(net);
  if (srv->ev != NULL && srv->ev->on_listening != NULL)
    srv->ev->on_listening(srv);
}

static void on_error(lode_server_t* net, const lode_error_t* err) {
  lode_tls_server_t* srv = of_net(net);
  if (srv->ev != NULL && srv->ev->on_error != NULL)
    srv->ev->on_error(srv, err);
}

static void on_close(lode_server_t* net) {
  lode_tls_server_t* srv = of_net(net);
  if (srv->ev != NULL && srv->ev->on_close != NULL)
    srv->ev->on_close(srv);
}

/* Without an on_error of its own, a net server closes on a listen error;
 * so the table has one only when the user's has. */
static const lode_server_events_t net_events = {
  .on_connection = on_connection,
  .on_listening = on_listening,
  .on_error = on_error,
  .on_close = on_close,
};
static const lode_server_events_t net_events_no_error = {
  .on_connection = on_connection,
  .on_listening = on_listening,
  .on_close = on_close,
};

static void free_server(lode__obj_t* o) {
  lode_tls_server_t* srv = lode__container_of(o, lode_tls_server_t, obj);
  while (srv->sni != NULL) {
    sni_t* s = srv->sni;
    srv->sni = s->next;
    lode_tls_context_release(s->ctx);
    free(s);
  }
  free((char*) srv->opts.psk_identity_hint);
  free((char*) srv->opts.session_id_context);
  if (srv->alpn != NULL)
    for (const char** p = srv->alpn; *p != NULL; p++)
      free((char*) *p);
  free(srv->alpn);
  free(srv->alpn_wire);
  lode_tls_context_release(srv->ctx);
  if (srv->net != NULL)
    lode_server_release(srv->net);
  free(srv);
}

static int copy_alpn(lode_tls_server_t* srv, const char* const* names) {
  if (names == NULL)
    return 0;
  size_t n = 0;
  while (names[n] != NULL)
    n++;
  srv->alpn = calloc(n + 1, sizeof(*srv->alpn));
  if (srv->alpn == NULL)
    return UV_ENOMEM;
  for (size_t i = 0; i < n; i++)
    if ((srv->alpn[i] = strdup(names[i])) == NULL)
      return UV_ENOMEM;
  srv->opts.alpn_protocols = srv->alpn;
  /* A list that makes no wire form is left to fail each connection, as
   * before (the socket builds its own). */
  if (lode__tls_alpn_wire(names, &srv->alpn_wire, &srv->alpn_wire_len) != 0)
    srv->alpn_wire = NULL;
  return 0;
}

int lode_tls_create_server(uv_loop_t* loop, const lode_tls_server_opts_t* opts,
                           const lode_tls_server_events_t* ev,
                           lode_tls_server_t** out, lode_error_t* err) {
  static const lode_tls_server_opts_t none;
  if (loop == NULL || out == NULL)
    return UV_EINVAL;
  if (opts == NULL)
    opts = &none;
  lode_tls_server_t* srv = calloc(1, sizeof(*srv));
  if (srv == NULL)
    return UV_ENOMEM;
  lode__obj_init(&srv->obj, free_server);
  lode__queue_init(&srv->sockets);
  srv->ev = ev;
  srv->socket_events = opts->socket_events;
  /* What each connection reads of the options; the context's material
   * is in the context. */
  srv->opts.reject_unauthorized = opts->tls.reject_unauthorized;
  srv->opts.request_cert = opts->tls.request_cert;
  srv->opts.handshake_timeout = opts->tls.handshake_timeout;
  srv->opts.sni_callback = opts->tls.sni_callback;
  srv->opts.sni_callback_arg = opts->tls.sni_callback_arg;
  srv->opts.alpn_callback = opts->tls.alpn_callback;
  srv->opts.alpn_callback_arg = opts->tls.alpn_callback_arg;
  srv->opts.enable_trace = opts->tls.enable_trace;
  srv->opts.psk_callback = opts->tls.psk_callback;
  srv->opts.psk_callback_arg = opts->tls.psk_callback_arg;
  int rc = lode__tls_opts_context(&opts->tls, &srv->ctx, err);
  if (rc == 0)
    rc = copy_alpn(srv, opts->tls.alpn_protocols);
  if (rc == 0 && opts->tls.session_id_context != NULL &&
      (srv->opts.session_id_context = strdup(opts->tls.session_id_context)) ==
          NULL)
    rc = UV_ENOMEM;
  if (rc == 0 && opts->tls.psk_identity_hint != NULL &&
      (srv->opts.psk_identity_hint = strdup(opts->tls.psk_identity_hint)) ==
          NULL)
    rc = UV_ENOMEM;
  if (rc == 0) {
    SSL_CTX_set_tlsext_servername_callback(srv->ctx->ctx, on_servername);
    const lode_server_events_t* nev = ev != NULL && ev->on_error != NULL
                                          ? &net_events
                                          : &net_events_no_error;
    rc = lode_net_create_server(loop, &opts->net, nev, &srv->net);
  }
  if (rc != 0) {
    if (rc == UV_ENOMEM && err != NULL)
      lode_error_init(err, rc);
    free_server(&srv->obj);
    return rc;
  }
  lode_server_set_data(srv->net, srv);
  lode_server_hold(srv->net);
  *out = srv;
  return 0;
}

/* The listen and close callbacks get the TLS server. */
typedef struct call_s {
  lode_tls_server_t* srv;
  lode_tls_server_cb cb;
  void* arg;
} call_t;

static void call_done(lode_server_t* net, int status, void* arg) {
  call_t* c = arg;
  lode_tls_server_t* srv = c->srv;
  if (c->cb != NULL)
    c->cb(srv, status, c->arg);
  free(c);
  lode__release(&srv->obj);
}

static call_t* call_new(lode_tls_server_t* srv, lode_tls_server_cb cb,
                        void* arg) {
  call_t* c = malloc(sizeof(*c));
  if (c == NULL)
    return NULL;
  c->srv = srv;
  c->cb = cb;
  c->arg = arg;
  lode__hold(&srv->obj);
  return c;
}

int lode_tls_server_listen(lode_tls_server_t* srv,
                           const lode_listen_opts_t* opts,
                           lode_tls_server_cb cb, void* arg) {
  if (srv == NULL)
    return UV_EINVAL;
  if (cb == NULL)
    return lode_server_listen(srv->net, opts, NULL, NULL);
  call_t* c = call_new(srv, cb, arg);
  if (c == NULL)
    return UV_ENOMEM;
  int rc = lode_server_listen(srv->net, opts, call_done, c);
  if (rc < 0) {
    free(c);
    lode__release(&srv->obj);
  }
  return rc;
}

/* Node's server.close: stops listening; open connections stay. The
 * server's own reference goes after its first close. */
enum { F_OWN_RELEASED = LODE__F_KIND << 0, F_CLOSE_CALLED = LODE__F_KIND << 1 };

static void closed(lode_tls_server_t* srv, int status, void* arg) {
  call_t* c = arg;
  if (c->cb != NULL)
    c->cb(srv, status, c->arg);
  free(c);
  if (!(srv->obj.flags & F_OWN_RELEASED)) {
    srv->obj.flags |= F_OWN_RELEASED;
    lode__release(&srv->obj);
  }
}

/* A close after the first: on_close again and LODE_ERR_SERVER_NOT_RUNNING
 * to the callback, on the next turn of the loop, as Node's; the net
 * server under it is closed once. */
typedef struct late_s {
  uv_timer_t timer;
  call_t call;
} late_t;

static void late_closed(uv_handle_t* h) {
  free(h);
}

static void late_fire(uv_timer_t* h) {
  late_t* l = (late_t*) h;
  lode_tls_server_t* srv = l->call.srv;
  /* Node emits 'close' again, then calls back with the error. */
  if (srv->ev != NULL && srv->ev->on_close != NULL)
    srv->ev->on_close(srv);
  if (l->call.cb != NULL)
    l->call.cb(srv, LODE_ERR_SERVER_NOT_RUNNING, l->call.arg);
  uv_close((uv_handle_t*) h, late_closed);
  lode__release(&srv->obj);
}

static int close_again(lode_tls_server_t* srv, lode_tls_server_cb cb,
                       void* arg) {
  late_t* l = malloc(sizeof(*l));
  if (l == NULL)
    return UV_ENOMEM;
  if (uv_timer_init(lode_server_loop(srv->net), &l->timer) != 0) {
    free(l);
    return UV_ENOMEM;
  }
  l->call = (call_t){ srv, cb, arg };
  lode__hold(&srv->obj);
  uv_timer_start(&l->timer, late_fire, 0, 0);
  return LODE_ERR_SERVER_NOT_RUNNING;
}

int lode_tls_server_close(lode_tls_server_t* srv, lode_tls_server_cb cb,
                          void* arg) {
  if (srv == NULL)
    return UV_EINVAL;
  if (srv->obj.flags & F_CLOSE_CALLED)
    return close_again(srv, cb, arg);
  call_t* inner = malloc(sizeof(*inner));
  if (inner == NULL)
    return UV_ENOMEM;
  inner->srv = srv;
  inner->cb = cb;
  inner->arg = arg;
  call_t* c = call_new(srv, (lode_tls_server_cb) closed, inner);
  if (c == NULL) {
    free(inner);
    return UV_ENOMEM;
  }
  int rc = lode_server_close(srv->net, call_done, c);
  if (rc == UV_ENOMEM) {
    free(inner);
    free(c);
    lode__release(&srv->obj);
  } else {
    srv->obj.flags |= F_CLOSE_CALLED;
  }
  return rc;
}

int lode_tls_server_set_secure_context(lode_tls_server_t* srv,
                                       const lode_tls_context_opts_t* opts,
                                       lode_error_t* err) {
  lode_tls_context_t* ctx;
  int rc = lode_tls_create_secure_context(opts, &ctx, err);
  if (rc != 0)
    return rc;
  SSL_CTX_set_tlsext_servername_callback(ctx->ctx, on_servername);
  lode_tls_context_release(srv->ctx); /* open connections hold theirs */
  srv->ctx = ctx;
  return 0;
}

void lode_tls_server_get_ticket_keys(const lode_tls_server_t* srv,
                                     char out[48]) {
  memcpy(out, srv->ctx->ticket_keys, 48);
}

int lode_tls_server_set_ticket_keys(lode_tls_server_t* srv, lode_slice_t keys) {
  if (keys.base == NULL || keys.len != 48)
    return UV_EINVAL;
  memcpy(srv->ctx->ticket_keys, keys.base, 48);
  return 0;
}

int lode_tls_server_address(lode_tls_server_t* srv, lode_net_address_t* out) {
  return lode_server_address(srv->net, out);
}

lode_server_t* lode_tls_server_net(lode_tls_server_t* srv) {
  return srv->net;
}

void lode_tls_server_hold(lode_tls_server_t* srv) {
  lode__hold(&srv->obj);
}
void lode_tls_server_release(lode_tls_server_t* srv) {
  lode__release(&srv->obj);
}
void lode_tls_server_set_data(lode_tls_server_t* srv, void* data) {
  srv->obj.data = data;
}
void* lode_tls_server_get_data(const lode_tls_server_t* srv) {
  return srv->obj.data;
}

/* ---- tls.connect ---- */

int lode_tls_connect(uv_loop_t* loop, const lode_socket_opts_t* net,
                     const lode_tls_opts_t* tls,
                     const lode_tls_socket_events_t* ev,
                     lode_tls_socket_t** out, lode_error_t* err) {
  static const lode_tls_opts_t none;
  if (loop == NULL || net == NULL || out == NULL)
    return UV_EINVAL;
  if (tls == NULL)
    tls = &none;
  lode_tls_context_t* ctx;
  int rc = lode__tls_opts_context(tls, &ctx, err);
  if (rc != 0)
    return rc;
  lode_socket_t* s;
  rc = lode_net_connect(loop, net, NULL, &s);
  if (rc != 0) {
    lode_tls_context_release(ctx);
    return rc;
  }
  lode_tls_opts_t o = *tls;
  o.is_server = 0;
  if (o.host == NULL)
    o.host = net->host != NULL ? net->host : "localhost";
  lode_tls_socket_t* t;
  rc = lode__tls_socket_new(lode_socket_stream(s), &o, ctx, ev,
                            (lode_slice_t){ NULL, 0 }, &t, err);
  if (rc != 0) {
    lode_tls_context_release(ctx);
    lode_socket_destroy(s, NULL);
    return rc;
  }
  t->sock = s;
  lode__tls_socket_start(t);
  *out = t;
  return 0;
}
