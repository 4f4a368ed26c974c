/* net.Server: listen in all its forms, accept, maxConnections and 'drop',
 * close() that waits for the connections, and the server's lifetime.
 *
 * Each listen gets its own handle (a "listener"), so a server can listen
 * again at once after a failed listen or a close while the old handle is
 * still closing. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include "lode/net_addr.h"
#include "net/internal.h"

#define DEFAULT_BACKLOG 511

enum { TICK_LISTENING = 1, TICK_ERROR = 2, TICK_CLOSE = 4 };

typedef struct listener_s {
  lode__handle_t h;
  lode_server_t* srv; /* NULL once the server let go of it */
  int pipe;
  /* noDelay: the listening socket has TCP_NODELAY, which Linux hands to
   * every accepted socket; checked on the first one (1 inherited, -1 set
   * on each, 0 not known yet), so a connection costs no setsockopt. */
  int nodelay_inherited;
  uv__io_cb libuv_io; /* libuv's accept callback (see accept_some) */
} listener_t;

typedef struct closer_s {
  lode_server_cb cb;
  void* arg;
  int status;
} closer_t;

struct lode_server_s {
  uv_loop_t* loop;
  lode__netloop_t* nl;
  listener_t* l;
  const lode_server_events_t* ev;
  void* data;
  lode_server_opts_t opts;
  unsigned refs;
  unsigned connections;
  int max_connections;
  int drop_max;
  int unref;
  int close_pending;
  int own_ref;         /* the server's reference on itself is held */
  unsigned listen_gen; /* counts listen calls: did on_close listen? */
  unsigned tick_flags;
  lode__tick_t tick;
  lode_error_t* error;
  lode_server_cb listen_cb;
  void* listen_arg;
  closer_t* closers;
  size_t nclosers;
  /* A listen waiting for its host's lookup. */
  uv_getaddrinfo_t gai;
  int gai_active;
  int gai_abandoned; /* closed meanwhile: drop the result */
  lode_listen_opts_t pending;
  lode_abort_signal_t* signal;
  lode_abort_listener_t abort_listener;
};

static void on_tick(lode__tick_t* t);

int lode_net_create_server(uv_loop_t* loop, const lode_server_opts_t* opts,
                           const lode_server_events_t* ev,
                           lode_server_t** out) {
  if (loop == NULL || out == NULL)
    return UV_EINVAL;
  lode_server_t* srv = calloc(1, sizeof(*srv));
  if (srv == NULL)
    return UV_ENOMEM;
  srv->nl = lode__netloop_get(loop);
  if (srv->nl == NULL) {
    free(srv);
    return UV_ENOMEM;
  }
  srv->loop = loop;
  srv->ev = ev;
  srv->refs = 1; /* held until on_close has run */
  srv->own_ref = 1;
  srv->max_connections = -1;
  if (opts != NULL)
    srv->opts = *opts;
  if (srv->opts.block_list != NULL)
    lode_block_list_hold((lode_block_list_t*) srv->opts.block_list);
  *out = srv;
  return 0;
}

void lode_server_hold(lode_server_t* srv) {
  srv->refs++;
}

void lode_server_release(lode_server_t* srv) {
  if (--srv->refs > 0)
    return;
  lode__tick_cancel(srv->nl->core, &srv->tick);
  if (srv->opts.block_list != NULL)
    lode_block_list_release((lode_block_list_t*) srv->opts.block_list);
  lode_error_free(srv->error);
  free(srv->closers);
  lode__netloop_put(srv->nl);
  free(srv);
}

static void schedule(lode_server_t* srv, unsigned what) {
  srv->tick_flags |= what;
  lode__tick(srv->nl->core, &srv->tick, on_tick);
}

/* ---- Listening -------------------------------------------------------- */

static void on_listener_closed(uv_handle_t* h) {
  free(h->data);
}

static void drop_listener(listener_t* l) {
  l->srv = NULL;
  uv_close(&l->h.handle, on_listener_closed);
}

/* Node emits listen errors (bind included) as 'error', on the next tick,
 * with the message of uvExceptionWithHostPort. */
static void listen_failed(lode_server_t* srv, listener_t* l, int code,
                          const char* address, int port) {
  if (l != NULL)
    drop_listener(l);
  lode_error_t e;
  lode_error_init_uv(&e, code, "listen", address, port);
  if (address != NULL && strlen(address) >= sizeof(e.address_buf_))
    /* A path longer than the error's address field: keep it whole in the
     * message at least. */
    lode_error_set_message(&e, "listen %s: %s %s", e.name, lode_strerror(code),
                           address);
  lode_error_free(srv->error);
  srv->error = lode_error_copy(&e);
  schedule(srv, TICK_ERROR);
}

static void on_connection(uv_stream_t* h, int status);

#ifdef __linux__
/* How many connections one readiness of the listener may take: one on a
 * light loop; more when the poll that reported it brought many events, as
 * a loaded loop turns slowly and one accept per turn would leave
 * connections waiting. libuv (1.44) keeps the size of the batch it is
 * going through beside its watcher array; where it does not, that reads
 * 0 and the budget stays one. */
static unsigned accept_budget(const uv_loop_t* loop) {
  uintptr_t nfds = (uintptr_t) loop->watchers[loop->nwatchers + 1];
  return 1 + (unsigned) (nfds < 1024 ? nfds : 1024) / 16;
}

/* Accepting by readiness of the listener. libuv's own callback accepts
 * until the kernel says EAGAIN: with connections arriving one at a time
 * that is a failed accept4 for each, and the kernel makes (and frees) a
 * socket and a file before it finds the queue empty. Here a readiness
 * takes one connection (as nginx without multi_accept) or, on a busy
 * loop, a few (accept_budget), and leaves the rest of the queue to the
 * loop's next poll, which reports the listener again at once (epoll is
 * level-triggered here). An error other than EAGAIN goes to libuv's
 * callback, which reports it and sheds connections with its reserve
 * descriptor on EMFILE. Linux only, as it reads libuv's watcher (its
 * descriptor and callback) and loop. */
static void accept_some(uv_loop_t* loop, uv__io_t* w, unsigned int events) {
  uv_stream_t* st = lode__container_of(w, uv_stream_t, io_watcher);
  listener_t* l = st->data;
  unsigned n = accept_budget(loop);
  while (n-- > 0 && !uv_is_closing((uv_handle_t*) st)) {
    int fd;
    do
      fd = accept4(w->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    while (fd < 0 && errno == EINTR);
    if (fd < 0) {
      if (errno != EAGAIN && errno != EWOULDBLOCK)
        l->libuv_io(loop, w, events);
      return;
    }
    st->accepted_fd = fd;
    st->connection_cb(st, 0);
    /* Not taken (no memory for a socket): shed, and go on listening. (A
     * listener closed meanwhile has closed it already.) */
    if (st->accepted_fd != -1) {
      close(st->accepted_fd);
      st->accepted_fd = -1;
    }
  }
}
#endif

static int start(lode_server_t* srv, listener_t* l, int backlog) {
  if (!l->pipe && srv->opts.no_delay && uv_tcp_nodelay(&l->h.tcp, 1) != 0)
    l->nodelay_inherited = -1;
  int r = uv_listen(&l->h.stream, backlog > 0 ? backlog : DEFAULT_BACKLOG,
                    on_connection);
  if (r != 0)
    return r;
#ifdef __linux__
  l->libuv_io = l->h.stream.io_watcher.cb;
  l->h.stream.io_watcher.cb = accept_some;
#endif
  srv->l = l;
  if (srv->unref)
    uv_unref(&l->h.handle);
  schedule(srv, TICK_LISTENING);
  return 0;
}

static listener_t* listener_new(lode_server_t* srv, int pipe) {
  listener_t* l = calloc(1, sizeof(*l));
  if (l == NULL)
    return NULL;
  l->srv = srv;
  l->pipe = pipe;
  if (pipe)
    uv_pipe_init(srv->loop, &l->h.pipe, 0);
  else
    uv_tcp_init(srv->loop, &l->h.tcp);
  l->h.handle.data = l;
  return l;
}

/* SO_REUSEPORT needs the option before bind, so lode makes the fd. */
static int open_reuse_port(listener_t* l, int family) {
  int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return -errno;
  int one = 1;
  if (setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) != 0) {
    int r = -errno;
    close(fd);
    return r;
  }
  int r = uv_tcp_open(&l->h.tcp, fd);
  if (r != 0)
    close(fd);
  return r;
}

/* Binds and listens; returns 1 when bind failed and the caller may fall
 * back to IPv4, else 0 (success or an error already reported). */
static int listen_tcp(lode_server_t* srv, const char* ip, int port,
                      const lode_listen_opts_t* o, int may_fall_back) {
  listener_t* l = listener_new(srv, 0);
  if (l == NULL) {
    listen_failed(srv, NULL, UV_ENOMEM, ip, port);
    return 0;
  }
  struct sockaddr_storage ss;
  int v6 = strchr(ip, ':') != NULL;
  int r = v6 ? uv_ip6_addr(ip, port, (struct sockaddr_in6*) &ss)
             : uv_ip4_addr(ip, port, (struct sockaddr_in*) &ss);
  if (r == 0 && o->reuse_port)
    r = open_reuse_port(l, v6 ? AF_INET6 : AF_INET);
  if (r == 0)
    r = uv_tcp_bind(&l->h.tcp, (struct sockaddr*) &ss,
                    o->ipv6_only && v6 ? UV_TCP_IPV6ONLY : 0);
  if (r != 0 && may_fall_back) {
    drop_listener(l);
    return 1;
  }
  if (r == 0)
    r = start(srv, l, o->backlog);
  if (r != 0)
    listen_failed(srv, l, r, ip, port);
  return 0;
}

static int bind_abstract(listener_t* l, const char* path, size_t len) {
  struct sockaddr_un sa;
  memset(&sa, 0, sizeof(sa));
  sa.sun_family = AF_UNIX;
  memcpy(sa.sun_path, path, len);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return -errno;
  socklen_t sl = (socklen_t) (offsetof(struct sockaddr_un, sun_path) + len);
  int r = bind(fd, (struct sockaddr*) &sa, sl) == 0 ? 0 : -errno;
  if (r == 0)
    r = uv_pipe_open(&l->h.pipe, fd);
  if (r != 0)
    close(fd);
  return r;
}

static void listen_pipe(lode_server_t* srv, const lode_listen_opts_t* o) {
  size_t len = o->path_len ? o->path_len : strlen(o->path);
  char shown[256];
  lode__pipe_name(o->path, len, shown, sizeof(shown));
  if (len >= sizeof(((struct sockaddr_un*) 0)->sun_path)) {
    listen_failed(srv, NULL, UV_ENAMETOOLONG, shown, 0);
    return;
  }
  listener_t* l = listener_new(srv, 1);
  if (l == NULL) {
    listen_failed(srv, NULL, UV_ENOMEM, shown, 0);
    return;
  }
  int r;
  if (o->path[0] == '\0') {
    r = bind_abstract(l, o->path, len);
  } else {
    char path[sizeof(((struct sockaddr_un*) 0)->sun_path)];
    memcpy(path, o->path, len);
    path[len] = '\0';
    r = uv_pipe_bind(&l->h.pipe, path); /* libuv unlinks it at close */
  }
  if (r == 0 && (o->readable_all || o->writable_all))
    r = uv_pipe_chmod(&l->h.pipe, (o->readable_all ? UV_READABLE : 0) |
                                      (o->writable_all ? UV_WRITABLE : 0));
  if (r == 0)
    r = start(srv, l, o->backlog);
  if (r != 0)
    listen_failed(srv, l, r, shown, 0);
}

static void on_listen_gai(uv_getaddrinfo_t* req, int status,
                          struct addrinfo* res) {
  lode_server_t* srv = lode__container_of(req, lode_server_t, gai);
  srv->gai_active = 0;
  int wanted = !srv->gai_abandoned;
  srv->gai_abandoned = 0;
  if (status == 0 && res != NULL && wanted) {
    char ip[64];
    int port;
    lode__sockaddr_name(res->ai_addr, ip, sizeof(ip), &port);
    listen_tcp(srv, ip, srv->pending.port, &srv->pending, 0);
  } else if (status != UV_EAI_CANCELED && wanted) {
    lode_error_t e;
    lode_error_init_sys(&e, status, "getaddrinfo", NULL, 0);
    if (status == UV_EAI_NONAME || status == UV_EAI_NODATA)
      e.name = "ENOTFOUND";
    lode_error_set_message(&e, "getaddrinfo %s %s", e.name, srv->pending.host);
    srv->error = lode_error_copy(&e);
    schedule(srv, TICK_ERROR);
  }
  free((char*) srv->pending.host);
  srv->pending.host = NULL;
  uv_freeaddrinfo(res);
  lode__ticks_run(srv->nl->core);
  lode_server_release(srv);
}

static int listen_host(lode_server_t* srv, const lode_listen_opts_t* o) {
  srv->pending = *o;
  srv->pending.path = NULL;
  srv->pending.signal = NULL;
  srv->pending.host = strdup(o->host);
  if (srv->pending.host == NULL)
    return UV_ENOMEM;
  struct addrinfo hints;
  memset(&hints, 0, sizeof(hints));
  hints.ai_socktype = SOCK_STREAM;
  int r = uv_getaddrinfo(srv->loop, &srv->gai, on_listen_gai, srv->pending.host,
                         NULL, &hints);
  if (r != 0) {
    free((char*) srv->pending.host);
    srv->pending.host = NULL;
    return r;
  }
  srv->gai_active = 1;
  srv->refs++;
  return 0;
}

static void on_abort(lode_abort_listener_t* al, lode_abort_signal_t* sig) {
  lode_server_t* srv = lode__container_of(al, lode_server_t, abort_listener);
  srv->signal = NULL;
  lode_server_close(srv, NULL, NULL);
}

static void watch_signal(lode_server_t* srv, lode_abort_signal_t* sig) {
  if (sig == NULL)
    return;
  if (lode_abort_signal_aborted(sig)) {
    lode_server_close(srv, NULL, NULL);
    return;
  }
  srv->signal = sig;
  srv->abort_listener.fn = on_abort;
  lode_abort_signal_add(sig, &srv->abort_listener);
}

static int is_ip(const char* host) {
  char tmp[16];
  return uv_inet_pton(AF_INET, host, tmp) == 0 ||
         uv_inet_pton(AF_INET6, host, tmp) == 0;
}

/* A listen starts: a server closed before (its own reference dropped, a
 * user's hold keeping it) holds itself again until its next close. */
static void listen_begins(lode_server_t* srv) {
  srv->listen_gen++;
  if (!srv->own_ref) {
    srv->own_ref = 1;
    srv->refs++;
  }
}

int lode_server_listen(lode_server_t* srv, const lode_listen_opts_t* opts,
                       lode_server_cb cb, void* arg) {
  static const lode_listen_opts_t none;
  const lode_listen_opts_t* o = opts ? opts : &none;
  if (srv->l != NULL || srv->gai_active)
    return LODE_ERR_SERVER_ALREADY_LISTEN;
  if (o->path == NULL && (o->port < 0 || o->port > 65535))
    return LODE_ERR_SOCKET_BAD_PORT;
  srv->close_pending = 0;
  listen_begins(srv);
  srv->listen_cb = cb;
  srv->listen_arg = arg;
  if (o->path != NULL) {
    listen_pipe(srv, o);
  } else if (o->host == NULL) {
    /* Node: "::" (dual stack) when IPv6 is there, else "0.0.0.0". */
    if (listen_tcp(srv, "::", o->port, o, 1))
      listen_tcp(srv, "0.0.0.0", o->port, o, 0);
  } else if (is_ip(o->host)) {
    listen_tcp(srv, o->host, o->port, o, 0);
  } else {
    int r = listen_host(srv, o);
    if (r != 0)
      return r;
  }
  watch_signal(srv, o->signal);
  return 0;
}

int lode_server_listen_fd(lode_server_t* srv, int fd, int backlog,
                          lode_server_cb cb, void* arg) {
  if (srv->l != NULL || srv->gai_active)
    return LODE_ERR_SERVER_ALREADY_LISTEN;
  uv_handle_type type = uv_guess_handle(fd);
  if (type != UV_TCP && type != UV_NAMED_PIPE)
    return LODE_ERR_INVALID_FD_TYPE;
  listener_t* l = listener_new(srv, type == UV_NAMED_PIPE);
  if (l == NULL)
    return UV_ENOMEM;
  int r = l->pipe ? uv_pipe_open(&l->h.pipe, fd) : uv_tcp_open(&l->h.tcp, fd);
  if (r != 0) {
    drop_listener(l);
    return r;
  }
  srv->close_pending = 0;
  listen_begins(srv);
  srv->listen_cb = cb;
  srv->listen_arg = arg;
  r = start(srv, l, backlog);
  if (r != 0)
    listen_failed(srv, l, r, NULL, 0);
  return 0;
}

/* ---- Accepting -------------------------------------------------------- */

static void drop(lode_server_t* srv, lode_socket_t* s) {
  lode_socket_set_events(s, NULL);
  if (srv->ev != NULL && srv->ev->on_drop != NULL) {
    lode_drop_t d = {
      .local_address = lode_socket_local_address(s),
      .local_port = lode_socket_local_port(s),
      .local_family = lode_socket_local_family(s),
      .remote_address = lode_socket_remote_address(s),
      .remote_port = lode_socket_remote_port(s),
      .remote_family = lode_socket_remote_family(s),
    };
    srv->ev->on_drop(srv, &d);
  }
  lode_socket_destroy(s, NULL);
}

/* Whether the accepted socket already has TCP_NODELAY from the listener
 * (asked of the kernel once per listener). */
static int nodelay_inherited(listener_t* l, lode_socket_t* s) {
  if (l->nodelay_inherited == 0) {
    uv_os_fd_t fd;
    int on = 0;
    socklen_t len = sizeof(on);
    l->nodelay_inherited = uv_fileno(&s->h.handle, &fd) == 0 &&
                                   getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on,
                                              &len) == 0 &&
                                   on
                               ? 1
                               : -1;
  }
  return l->nodelay_inherited > 0;
}

static void adopt(lode_server_t* srv, listener_t* l, lode_socket_t* s) {
  const lode_server_opts_t* o = &srv->opts;
  s->server = srv;
  srv->refs++;
  srv->connections++;
  if (o->allow_half_open)
    s->flags |= LODE__SK_HALF_OPEN;
  if (o->high_water_mark > 0)
    s->hwm = o->high_water_mark;
  if (o->pause_on_connect)
    s->flags |= LODE__SK_PAUSED;
  if (o->no_delay) {
    s->flags |= LODE__SK_NO_DELAY;
    if (!l->pipe && nodelay_inherited(l, s))
      s->flags |= LODE__SK_NO_DELAY_ON;
  }
  if (o->keep_alive)
    lode_socket_set_keep_alive(s, 1, o->keep_alive_initial_delay);
  else
    lode__socket_apply_tcp_opts(s);
}

static int blocked(lode_server_t* srv, lode_socket_t* s) {
  if (srv->opts.block_list == NULL || (s->flags & LODE__SK_PIPE))
    return 0;
  struct sockaddr_storage ss;
  int len = sizeof(ss);
  if (uv_tcp_getpeername(&s->h.tcp, (struct sockaddr*) &ss, &len) != 0)
    return 0;
  return lode_block_list_check_sockaddr(srv->opts.block_list,
                                        (struct sockaddr*) &ss);
}

static void on_connection(uv_stream_t* h, int status) {
  listener_t* l = h->data;
  lode_server_t* srv = l->srv;
  if (srv == NULL)
    return;
  if (status < 0) {
    /* libuv has already shed the connection (EMFILE included); the server
     * keeps listening. Reported if someone listens, else ignored. */
    if (srv->ev != NULL && srv->ev->on_error != NULL) {
      lode_error_t e;
      lode_error_init_sys(&e, status, "accept", NULL, 0);
      srv->ev->on_error(srv, &e);
    }
    return;
  }
  lode_socket_t* s;
  if (lode__socket_new(srv->loop, l->pipe ? UV_NAMED_PIPE : UV_TCP,
                       srv->opts.socket_events, &s) != 0)
    return;
  if (uv_accept(h, &s->h.stream) != 0) {
    lode_socket_set_events(s, NULL);
    lode_socket_destroy(s, NULL);
    return;
  }
  s->flags |= LODE__SK_CONNECTED;
  if (blocked(srv, s)) {
    lode_socket_set_events(s, NULL);
    lode_socket_destroy(s, NULL);
    return;
  }
  if (srv->max_connections >= 0 &&
      srv->connections >= (unsigned) srv->max_connections) {
    drop(srv, s);
    return;
  }
  adopt(srv, l, s);
  lode_server_hold(srv);
  if (srv->ev != NULL && srv->ev->on_connection != NULL)
    srv->ev->on_connection(srv, s);
  /* Reading starts after the listener returns, so a reader set there
   * sees every byte. */
  if (!(s->flags & LODE__SK_DESTROYED))
    lode__socket_opened(s);
  lode__ticks_run(srv->nl->core);
  lode_server_release(srv);
}

/* ---- Closing ---------------------------------------------------------- */

static void maybe_emit_close(lode_server_t* srv) {
  if (srv->close_pending && srv->l == NULL && srv->connections == 0)
    schedule(srv, TICK_CLOSE);
}

void lode__server_socket_closed(lode_server_t* srv) {
  srv->connections--;
  maybe_emit_close(srv);
  lode_server_release(srv);
}

int lode_server_close(lode_server_t* srv, lode_server_cb cb, void* arg) {
  int status = srv->l != NULL ? 0 : LODE_ERR_SERVER_NOT_RUNNING;
  if (cb != NULL) {
    /* Out of memory: nothing is done and `cb` is never called. */
    closer_t* c = realloc(srv->closers, (srv->nclosers + 1) * sizeof(*c));
    if (c == NULL)
      return UV_ENOMEM;
    srv->closers = c;
    c[srv->nclosers++] = (closer_t){ cb, arg, status };
  }
  if (srv->l != NULL) {
    drop_listener(srv->l);
    srv->l = NULL;
  }
  if (srv->gai_active) {
    srv->gai_abandoned = 1;
    uv_cancel((uv_req_t*) &srv->gai);
  }
  if (srv->signal != NULL) {
    lode_abort_signal_remove(srv->signal, &srv->abort_listener);
    srv->signal = NULL;
  }
  srv->close_pending = 1;
  maybe_emit_close(srv);
  return status;
}

static void emit_close(lode_server_t* srv) {
  unsigned gen = srv->listen_gen;
  srv->close_pending = 0;
  closer_t* list = srv->closers;
  size_t n = srv->nclosers;
  srv->closers = NULL;
  srv->nclosers = 0;
  if (srv->ev != NULL && srv->ev->on_close != NULL)
    srv->ev->on_close(srv);
  for (size_t i = 0; i < n; i++)
    list[i].cb(srv, list[i].status, list[i].arg);
  free(list);
  /* Unless a callback listened again, the server is done (a cancelled
   * lookup still in flight holds its own reference). A close of a server
   * already closed emits 'close' again, as Node, but its reference on
   * itself was dropped the first time. */
  if (srv->listen_gen == gen && srv->own_ref) {
    srv->own_ref = 0;
    lode_server_release(srv);
  }
}

static void on_tick(lode__tick_t* t) {
  lode_server_t* srv = lode__container_of(t, lode_server_t, tick);
  unsigned f = srv->tick_flags;
  srv->tick_flags = 0;
  srv->refs++;
  if ((f & TICK_LISTENING) && srv->l != NULL) {
    if (srv->ev != NULL && srv->ev->on_listening != NULL)
      srv->ev->on_listening(srv);
    lode_server_cb cb = srv->listen_cb;
    srv->listen_cb = NULL;
    /* Node's callback is a 'listening' listener: the same emit runs it
     * even when an earlier listener closed the server. */
    if (cb != NULL)
      cb(srv, 0, srv->listen_arg);
  }
  if ((f & TICK_ERROR) && srv->error != NULL) {
    lode_error_t* e = srv->error;
    srv->error = NULL;
    srv->listen_cb = NULL;
    if (srv->ev != NULL && srv->ev->on_error != NULL)
      srv->ev->on_error(srv, e);
    else if (srv->l == NULL && !srv->gai_active)
      /* Nobody listens for the error: the server closes (where Node's
       * process would end). */
      lode_server_close(srv, NULL, NULL);
    lode_error_free(e);
  }
  if ((f & TICK_CLOSE) && srv->close_pending && srv->l == NULL &&
      srv->connections == 0)
    emit_close(srv);
  lode_server_release(srv);
}

/* ---- Properties ------------------------------------------------------- */

int lode_server_address(lode_server_t* srv, lode_net_address_t* out) {
  memset(out, 0, sizeof(*out));
  if (srv->l == NULL)
    return UV_ENOTCONN;
  if (srv->l->pipe) {
    size_t len = sizeof(out->address) - 1;
    int r = uv_pipe_getsockname(&srv->l->h.pipe, out->address, &len);
    if (r == 0 && len > 0 && out->address[0] == '\0')
      out->address[0] = '@';
    return r;
  }
  struct sockaddr_storage ss;
  int len = sizeof(ss);
  int r = uv_tcp_getsockname(&srv->l->h.tcp, (struct sockaddr*) &ss, &len);
  if (r != 0)
    return r;
  int f = lode__sockaddr_name((struct sockaddr*) &ss, out->address,
                              sizeof(out->address), &out->port);
  snprintf(out->family, sizeof(out->family), "%s", f == 6 ? "IPv6" : "IPv4");
  return 0;
}

int lode_server_get_connections(const lode_server_t* srv) {
  return (int) srv->connections;
}

int lode_server_listening(const lode_server_t* srv) {
  return srv->l != NULL;
}

void lode_server_set_max_connections(lode_server_t* srv, int n) {
  srv->max_connections = n < 0 ? -1 : n;
}

int lode_server_max_connections(const lode_server_t* srv) {
  return srv->max_connections;
}

void lode_server_set_drop_max_connection(lode_server_t* srv, int drop) {
  srv->drop_max = drop != 0;
}

int lode_server_drop_max_connection(const lode_server_t* srv) {
  return srv->drop_max;
}

void lode_server_ref(lode_server_t* srv) {
  srv->unref = 0;
  if (srv->l != NULL)
    uv_ref(&srv->l->h.handle);
}

void lode_server_unref(lode_server_t* srv) {
  srv->unref = 1;
  if (srv->l != NULL)
    uv_unref(&srv->l->h.handle);
}

void lode_server_set_events(lode_server_t* srv,
                            const lode_server_events_t* ev) {
  srv->ev = ev;
}

void lode_server_set_data(lode_server_t* srv, void* data) {
  srv->data = data;
}
void* lode_server_get_data(const lode_server_t* srv) {
  return srv->data;
}
uv_loop_t* lode_server_loop(const lode_server_t* srv) {
  return srv->loop;
}
