/* net.Socket construction and connect(): DNS lookup with Node's dns.lookup
 * semantics (the first result, `family`, `hints`, a custom lookup), the
 * 'lookup' event, local binding, IPC paths (abstract names included) and
 * the abort signal. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include "lode/net_addr.h"
#include "net/autoselect.h"
#include "net/internal.h"

#define DEAD(s) (((s)->flags & LODE__SK_DESTROYED) != 0)
/* The connect in progress (kept in the socket's extra part). */
#define CONN(s) ((s)->extra != NULL ? (s)->extra->conn : NULL)

typedef struct lode__connect_s {
  lode_socket_t* s;
  uv_getaddrinfo_t gai;
  uv_connect_t req;
  lode_lookup_t* lookup;
  int gai_active;
  int port;
  int family;
  int hints;
  int local_port;
  char* host;
  char* local_address;
  char* path;
  size_t path_len;
  lode_lookup_fn lookup_fn;
  void* lookup_arg;
  int autoselect; /* ask for every address */
  unsigned attempt_timeout;
  lode__autoselect_t* he; /* happy eyeballs running */
  lode_block_list_t* block_list;
  lode_socket_cb cb; /* connect()'s callback */
  void* cb_arg;
  char ip[64];
} lode__connect_t;

#define MAX_ADDRS 64

struct lode_lookup_s {
  lode__connect_t* c; /* NULL once the socket gave up on it */
  lode_socket_t* s;
};

static void conn_free(lode__connect_t* c) {
  if (c->block_list != NULL)
    lode_block_list_release(c->block_list);
  free(c->host);
  free(c->local_address);
  free(c->path);
  free(c);
}

static char* dup_str(const char* p) {
  return p ? strdup(p) : NULL;
}

/* ---- Abort signal ----------------------------------------------------- */

static void abort_error(lode_error_t* e) {
  lode_error_init(e, LODE_ABORT_ERR);
}

static void on_abort(lode_abort_listener_t* l, lode_abort_signal_t* sig) {
  lode__sk_extra_t* x = lode__container_of(l, lode__sk_extra_t, abort_listener);
  lode_socket_t* s = x->socket;
  x->signal = NULL;
  lode_error_t e;
  abort_error(&e);
  lode_socket_destroy(s, &e);
}

static void watch_signal(lode_socket_t* s, lode_abort_signal_t* sig) {
  if (sig == NULL)
    return;
  if (lode_abort_signal_aborted(sig)) {
    lode_error_t e;
    abort_error(&e);
    lode_socket_destroy(s, &e); /* the events still come asynchronously */
    return;
  }
  lode__sk_extra_t* x = lode__socket_extra(s);
  if (x == NULL) {
    lode__socket_fail(s, NULL);
    return;
  }
  x->signal = sig;
  x->abort_listener.fn = on_abort;
  lode_abort_signal_add(sig, &x->abort_listener);
}

/* ---- Construction ----------------------------------------------------- */

static int open_fd(uv_loop_t* loop, const lode_socket_opts_t* o,
                   const lode_socket_events_t* ev, lode_socket_t** out) {
  uv_handle_type type = uv_guess_handle(o->fd);
  if (type != UV_TCP && type != UV_NAMED_PIPE)
    return LODE_ERR_INVALID_FD_TYPE;
  lode_socket_t* s;
  int r = lode__socket_new(loop, type, ev, &s);
  if (r != 0)
    return r;
  r = type == UV_TCP ? uv_tcp_open(&s->h.tcp, o->fd)
                     : uv_pipe_open(&s->h.pipe, o->fd);
  if (r != 0) {
    /* The handle was initialised, so it must be closed; the socket frees
     * itself after that without calling anything (no events table). */
    s->ev = NULL;
    lode_socket_destroy(s, NULL);
    return r;
  }
  if (o->readable < 0)
    s->flags |= LODE__SK_READ_ENDED;
  if (o->writable < 0)
    s->flags |= LODE__SK_WRITE_ENDED;
  *out = s;
  return 0;
}

int lode_socket_create(uv_loop_t* loop, const lode_socket_opts_t* opts,
                       const lode_socket_events_t* ev, lode_socket_t** out) {
  static const lode_socket_opts_t none;
  const lode_socket_opts_t* o = opts ? opts : &none;
  lode_socket_t* s;
  int r = o->has_fd ? open_fd(loop, o, ev, &s)
                    : lode__socket_new(loop, UV_UNKNOWN_HANDLE, ev, &s);
  if (r != 0)
    return r;
  if (o->allow_half_open)
    s->flags |= LODE__SK_HALF_OPEN;
  if (o->onread != NULL && o->onread->callback != NULL) {
    lode__sk_extra_t* x = lode__socket_extra(s);
    if (x == NULL) {
      s->ev = NULL; /* nothing was promised: close without events */
      lode_socket_destroy(s, NULL);
      return UV_ENOMEM;
    }
    x->onread = *o->onread;
    s->flags |= LODE__SK_ONREAD;
  }
  if (o->has_fd)
    lode__socket_opened(s);
  watch_signal(s, o->signal);
  *out = s;
  return 0;
}

/* ---- Validation ------------------------------------------------------- */

static int validate(const lode_socket_opts_t* o) {
  if (o == NULL)
    return LODE_ERR_MISSING_ARGS;
  if (o->path != NULL)
    return 0;
  if (o->port <= 0 || o->port > 65535)
    return o->port == 0 ? LODE_ERR_MISSING_ARGS : LODE_ERR_SOCKET_BAD_PORT;
  if (o->family != 0 && o->family != 4 && o->family != 6)
    return LODE_ERR_INVALID_ARG_VALUE;
  if (o->local_port < 0 || o->local_port > 65535)
    return LODE_ERR_SOCKET_BAD_PORT;
  if (o->local_address != NULL) {
    char tmp[16];
    if (uv_inet_pton(AF_INET, o->local_address, tmp) != 0 &&
        uv_inet_pton(AF_INET6, o->local_address, tmp) != 0)
      return LODE_ERR_INVALID_IP_ADDRESS;
  }
  return 0;
}

static int ip_family(const char* host) {
  char tmp[16];
  if (uv_inet_pton(AF_INET, host, tmp) == 0)
    return 4;
  if (uv_inet_pton(AF_INET6, host, tmp) == 0)
    return 6;
  return 0;
}

/* ---- Failure and success ---------------------------------------------- */

static void fail_sys(lode_socket_t* s, int code, const char* syscall,
                     const char* address, int port) {
  lode_error_t e;
  lode_error_init_sys(&e, code, syscall, address, port);
  if (address != NULL && strlen(address) >= sizeof(e.address_buf_))
    lode_error_set_message(&e, "%s %s %s", syscall, e.name, address);
  lode_socket_destroy(s, &e);
}

static void connected(lode_socket_t* s) {
  lode__connect_t* c = CONN(s);
  lode_socket_cb cb = NULL;
  void* cb_arg = NULL;
  if (c != NULL) {
    s->extra->conn = NULL;
    cb = c->cb;
    cb_arg = c->cb_arg;
    if (c->path == NULL && c->ip[0] != '\0')
      lode__socket_set_remote(s, c->ip, c->port);
    conn_free(c);
  }
  lode__socket_opened(s);
  lode__socket_apply_tcp_opts(s);
  if (DEAD(s))
    return;
  if (s->ev != NULL && s->ev->on_connect != NULL) {
    s->ev->on_connect(s);
    if (DEAD(s))
      return;
  }
  if (s->flags & LODE__SK_RESET) {
    /* resetAndDestroy() while connecting: Node resets from a 'connect'
     * listener added then, after the ones added before. */
    lode_socket_destroy(s, NULL);
    return;
  }
  if (cb != NULL) {
    cb(s, 0, cb_arg);
    if (DEAD(s))
      return;
  }
  if (s->ev != NULL && s->ev->on_ready != NULL)
    s->ev->on_ready(s);
}

/* ---- TCP -------------------------------------------------------------- */

static void on_tcp_connect(uv_connect_t* req, int status) {
  lode__connect_t* c = lode__container_of(req, lode__connect_t, req);
  lode_socket_t* s = c->s;
  if (!DEAD(s)) {
    if (status < 0)
      fail_sys(s, status, "connect", c->ip, c->port);
    else
      connected(s);
  }
  lode__ticks_run(s->nl->core);
  lode__socket_release(s);
}

static int make_addr(const char* ip, int port, struct sockaddr_storage* ss) {
  if (strchr(ip, ':') != NULL)
    return uv_ip6_addr(ip, port, (struct sockaddr_in6*) ss);
  return uv_ip4_addr(ip, port, (struct sockaddr_in*) ss);
}

static int bind_local(lode__connect_t* c, int family) {
  if (c->local_address == NULL && c->local_port == 0)
    return 0;
  const char* ip = c->local_address;
  if (ip == NULL)
    ip = family == 6 ? "::" : "0.0.0.0";
  struct sockaddr_storage ss;
  int r = make_addr(ip, c->local_port, &ss);
  if (r == 0)
    r = uv_tcp_bind(&c->s->h.tcp, (struct sockaddr*) &ss, 0);
  if (r != 0)
    fail_sys(c->s, r, "bind", ip, c->local_port);
  return r;
}

static void tcp_connect(lode_socket_t* s) {
  lode__connect_t* c = CONN(s);
  struct sockaddr_storage ss;
  int r = make_addr(c->ip, c->port, &ss);
  if (r != 0) {
    lode_error_t e;
    lode_error_init(&e, LODE_ERR_INVALID_IP_ADDRESS);
    lode_error_set_message(&e, "Invalid IP address: %s", c->ip);
    lode_socket_destroy(s, &e);
    return;
  }
  if (c->block_list != NULL &&
      lode_block_list_check_sockaddr(c->block_list, (struct sockaddr*) &ss)) {
    lode_error_t e;
    lode_error_init(&e, LODE_ERR_IP_BLOCKED);
    lode_error_set_message(&e, "IP(%s) is blocked by net.BlockList", c->ip);
    lode_socket_destroy(s, &e);
    return;
  }
  if (bind_local(c, ss.ss_family == AF_INET6 ? 6 : 4) != 0)
    return;
  r = uv_tcp_connect(&c->req, &s->h.tcp, (struct sockaddr*) &ss,
                     on_tcp_connect);
  if (r != 0) {
    fail_sys(s, r, "connect", c->ip, c->port);
    return;
  }
  lode__socket_hold(s);
}

/* ---- Lookup ----------------------------------------------------------- */

static void lookup_failed(lode_socket_t* s, int status) {
  lode__connect_t* c = CONN(s);
  /* Node's dnsException: "getaddrinfo ENOTFOUND host". */
  lode_error_t e;
  lode_error_init_sys(&e, status, "getaddrinfo", NULL, 0);
  if (status == UV_EAI_NONAME || status == UV_EAI_NODATA)
    e.name = "ENOTFOUND";
  lode_error_set_message(&e, "getaddrinfo %s %s", e.name, c->host);
  lode_socket_destroy(s, &e);
}

static void invalid_ip(lode_socket_t* s, const char* ip) {
  lode_error_t e;
  lode_error_init(&e, LODE_ERR_INVALID_IP_ADDRESS);
  lode_error_set_message(&e, "Invalid IP address: %s", ip ? ip : "undefined");
  lode_socket_destroy(s, &e);
}

/* ---- Happy eyeballs ----------------------------------------------------- */

static void he_attempt(void* owner, const char* ip, int port, int family) {
  lode_socket_t* s = owner;
  if (s->ev != NULL && s->ev->on_connection_attempt != NULL)
    s->ev->on_connection_attempt(s, ip, port, family);
}

static void he_failed(void* owner, const char* ip, int port, int family,
                      const lode_error_t* err) {
  lode_socket_t* s = owner;
  if (s->ev != NULL && s->ev->on_connection_attempt_failed != NULL)
    s->ev->on_connection_attempt_failed(s, ip, port, family, err);
}

static void he_timeout(void* owner, const char* ip, int port, int family) {
  lode_socket_t* s = owner;
  if (s->ev != NULL && s->ev->on_connection_attempt_timeout != NULL)
    s->ev->on_connection_attempt_timeout(s, ip, port, family);
}

static void he_done(void* owner, uv_os_sock_t fd, const lode_error_t* err) {
  lode_socket_t* s = owner;
  CONN(s)->he = NULL;
  if (err != NULL) {
    lode_socket_destroy(s, err);
  } else {
    int r = uv_tcp_open(&s->h.tcp, fd);
    if (r != 0) {
      close(fd);
      lode_socket_destroy_code(s, r);
    } else {
      connected(s);
    }
  }
  lode__socket_release(s);
}

static const lode__autoselect_cbs_t he_cbs = {
  .on_attempt = he_attempt,
  .on_attempt_failed = he_failed,
  .on_attempt_timeout = he_timeout,
  .on_done = he_done,
};

static void start_autoselect(lode_socket_t* s, const lode__he_addr_t* addrs,
                             size_t n) {
  lode__connect_t* c = CONN(s);
  lode__autoselect_opts_t o = {
    .addrs = addrs,
    .naddrs = n,
    .port = c->port,
    .attempt_timeout = c->attempt_timeout,
    .local_port = c->local_port,
    .attempted = &s->extra->attempted,
    .block_list = c->block_list,
  };
  lode__socket_hold(s);
  int r = lode__autoselect_start(s->stream.loop, &o, &he_cbs, s, &c->he);
  if (r != 0) {
    c->he = NULL;
    lode__socket_release(s);
    lode_socket_destroy_code(s, r);
  }
}

/* Node's lookupAndConnect(Multiple): 'lookup' for each address, then one
 * connect, or happy eyeballs over several. */
static void lookup_results(lode_socket_t* s, int status,
                           const lode__he_addr_t* addrs, size_t n) {
  lode__connect_t* c = CONN(s);
  const lode_socket_events_t* ev = s->ev;
  if (status == 0 && n == 0)
    status = UV_EAI_NONAME;
  if (status < 0) {
    if (ev != NULL && ev->on_lookup != NULL)
      ev->on_lookup(s, status, NULL, 0, c->host);
    if (!DEAD(s))
      lookup_failed(s, status);
    return;
  }
  for (size_t i = 0; i < n; i++) {
    if (s->ev != NULL && s->ev->on_lookup != NULL)
      s->ev->on_lookup(s, 0, addrs[i].ip, addrs[i].family, c->host);
    if (DEAD(s))
      return;
  }
  if (!c->autoselect || n == 1) {
    if (ip_family(addrs[0].ip) == 0) {
      invalid_ip(s, addrs[0].ip);
      return;
    }
    snprintf(c->ip, sizeof(c->ip), "%s", addrs[0].ip);
    tcp_connect(s);
    return;
  }
  lode__he_addr_t ordered[MAX_ADDRS];
  size_t m = lode__autoselect_order(addrs, n, ordered);
  if (m == 0) {
    invalid_ip(s, addrs[0].ip);
  } else if (m == 1) {
    snprintf(c->ip, sizeof(c->ip), "%s", ordered[0].ip);
    tcp_connect(s);
  } else {
    start_autoselect(s, ordered, m);
  }
}

static void on_gai(uv_getaddrinfo_t* req, int status, struct addrinfo* res) {
  lode__connect_t* c = lode__container_of(req, lode__connect_t, gai);
  lode_socket_t* s = c->s;
  c->gai_active = 0;
  if (!DEAD(s) && status != UV_EAI_CANCELED) {
    lode__he_addr_t addrs[MAX_ADDRS];
    size_t n = 0;
    for (struct addrinfo* a = res; status == 0 && a != NULL && n < MAX_ADDRS;
         a = a->ai_next) {
      if (a->ai_family != AF_INET && a->ai_family != AF_INET6)
        continue;
      addrs[n].family = a->ai_family == AF_INET6 ? 6 : 4;
      uv_ip_name(a->ai_addr, addrs[n].ip, sizeof(addrs[n].ip));
      n++;
      if (!c->autoselect)
        break; /* dns.lookup: the first result */
    }
    lookup_results(s, status, addrs, n);
  }
  uv_freeaddrinfo(res);
  lode__ticks_run(s->nl->core);
  lode__socket_release(s);
}

static void start_gai(lode_socket_t* s) {
  lode__connect_t* c = CONN(s);
  struct addrinfo hints;
  memset(&hints, 0, sizeof(hints));
  hints.ai_family = c->family == 4   ? AF_INET
                    : c->family == 6 ? AF_INET6
                                     : AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = c->hints;
  int r = uv_getaddrinfo(s->stream.loop, &c->gai, on_gai, c->host, NULL,
                         &hints);
  if (r != 0) {
    lookup_results(s, r, NULL, 0);
    return;
  }
  c->gai_active = 1;
  lode__socket_hold(s);
}

void lode_lookup_done_all(lode_lookup_t* req, int status,
                          const char* const* addresses, const int* families,
                          size_t n) {
  lode_socket_t* s = req->s;
  lode__connect_t* c = req->c;
  free(req);
  if (c != NULL && !DEAD(s)) {
    c->lookup = NULL;
    lode__he_addr_t addrs[MAX_ADDRS];
    size_t m = 0;
    for (size_t i = 0; status == 0 && i < n && m < MAX_ADDRS; i++) {
      snprintf(addrs[m].ip, sizeof(addrs[m].ip), "%s",
               addresses[i] ? addresses[i] : "");
      addrs[m].family = families[i];
      m++;
    }
    if (status == 0 && n > 0 && m > 0 && addresses[0] == NULL)
      invalid_ip(s, NULL);
    else
      lookup_results(s, status, addrs, m);
  }
  lode__socket_release(s);
}

void lode_lookup_done(lode_lookup_t* req, int status, const char* address,
                      int family) {
  lode_lookup_done_all(req, status, &address, &family, status == 0 ? 1 : 0);
}

static void start_custom_lookup(lode_socket_t* s) {
  lode__connect_t* c = CONN(s);
  lode_lookup_t* req = malloc(sizeof(*req));
  if (req == NULL) {
    lode_socket_destroy_code(s, UV_ENOMEM);
    return;
  }
  req->c = c;
  req->s = s;
  c->lookup = req;
  lode__socket_hold(s);
  c->lookup_fn(req, c->host, c->family, c->hints, c->lookup_arg);
}

/* ---- IPC -------------------------------------------------------------- */

/* Unix-socket connects complete at once (or fail), so a blocking connect
 * on a fresh fd, handed to libuv afterwards, gives every path form
 * (abstract names included) without truncating long paths. */
static void pipe_connect(lode_socket_t* s) {
  lode__connect_t* c = CONN(s);
  struct sockaddr_un sa;
  char shown[256];
  lode__pipe_name(c->path, c->path_len, shown, sizeof(shown));
  if (c->path_len >= sizeof(sa.sun_path)) {
    fail_sys(s, UV_ENAMETOOLONG, "connect", shown, 0);
    return;
  }
  memset(&sa, 0, sizeof(sa));
  sa.sun_family = AF_UNIX;
  memcpy(sa.sun_path, c->path, c->path_len);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    fail_sys(s, -errno, "connect", c->path, 0);
    return;
  }
  socklen_t len = (socklen_t) (offsetof(struct sockaddr_un, sun_path) +
                               c->path_len + (c->path[0] ? 1 : 0));
  int r;
  do
    r = connect(fd, (struct sockaddr*) &sa, len);
  while (r < 0 && errno == EINTR);
  if (r == 0)
    r = uv_pipe_open(&s->h.pipe, fd);
  else
    r = -errno;
  if (r != 0) {
    close(fd);
    fail_sys(s, r, "connect", shown, 0);
    return;
  }
  connected(s);
}

/* ---- connect() -------------------------------------------------------- */

void lode__connect_tick(lode_socket_t* s) {
  lode__connect_t* c = CONN(s);
  if (DEAD(s) || c == NULL)
    return;
  if (c->path != NULL)
    pipe_connect(s);
  else if (c->ip[0] != '\0')
    tcp_connect(s);
  else
    start_custom_lookup(s);
}

void lode__connect_cancel(lode_socket_t* s) {
  lode__connect_t* c = CONN(s);
  if (c == NULL)
    return;
  if (c->gai_active)
    uv_cancel((uv_req_t*) &c->gai);
  if (c->lookup != NULL)
    c->lookup->c = NULL;
  c->lookup = NULL;
  if (c->he != NULL) {
    lode__autoselect_cancel(c->he); /* no callback follows */
    c->he = NULL;
    lode__socket_release(s);
  }
}

void lode__connect_free(lode_socket_t* s) {
  lode__connect_t* c = CONN(s);
  if (c != NULL) {
    conn_free(c);
    s->extra->conn = NULL;
  }
}

static lode__connect_t* conn_new(lode_socket_t* s,
                                 const lode_socket_opts_t* o) {
  lode__connect_t* c = calloc(1, sizeof(*c));
  if (c == NULL)
    return NULL;
  c->s = s;
  c->port = o->port;
  c->family = o->family;
  c->hints = o->hints;
  c->local_port = o->local_port;
  c->lookup_fn = o->lookup;
  c->lookup_arg = o->lookup_arg;
  c->block_list = (lode_block_list_t*) o->block_list;
  if (c->block_list != NULL)
    lode_block_list_hold(c->block_list);
  int as = o->auto_select_family == 0
               ? lode_net_get_default_auto_select_family()
               : o->auto_select_family > 0;
  c->autoselect = as && o->family == 0 && o->local_address == NULL;
  c->attempt_timeout =
      o->auto_select_family_attempt_timeout
          ? o->auto_select_family_attempt_timeout
          : (unsigned)
                lode_net_get_default_auto_select_family_attempt_timeout();
  c->host = strdup(o->host ? o->host : "localhost");
  c->local_address = dup_str(o->local_address);
  if (o->path != NULL) {
    c->path_len = o->path_len ? o->path_len : strlen(o->path);
    c->path = malloc(c->path_len + 1);
    if (c->path != NULL) {
      memcpy(c->path, o->path, c->path_len);
      c->path[c->path_len] = '\0';
    }
  }
  if (c->host == NULL || (o->path != NULL && c->path == NULL) ||
      (o->local_address != NULL && c->local_address == NULL)) {
    conn_free(c);
    return NULL;
  }
  return c;
}

static void init_handle(lode_socket_t* s, int pipe) {
  if (s->flags & LODE__SK_HAS_HANDLE)
    return;
  if (pipe) {
    uv_pipe_init(s->stream.loop, &s->h.pipe, 0);
    s->flags |= LODE__SK_PIPE;
  } else {
    uv_tcp_init(s->stream.loop, &s->h.tcp);
  }
  s->h.handle.data = s;
  s->flags |= LODE__SK_HAS_HANDLE;
  if (s->flags & LODE__SK_UNREF)
    uv_unref(&s->h.handle);
}

int lode_socket_connect(lode_socket_t* s, const lode_socket_opts_t* opts,
                        lode_socket_cb cb, void* arg) {
  if (DEAD(s))
    return LODE_ERR_SOCKET_CLOSED;
  if (s->flags & LODE__SK_CONNECTING)
    return UV_EALREADY;
  if (s->flags & LODE__SK_CONNECTED)
    return UV_EISCONN;
  int r = validate(opts);
  if (r != 0)
    return r;
  int pipe = opts->path != NULL;
  if ((s->flags & LODE__SK_HAS_HANDLE) &&
      pipe != ((s->flags & LODE__SK_PIPE) != 0))
    return UV_EINVAL;
  lode__sk_extra_t* x = lode__socket_extra(s);
  lode__connect_t* c = x != NULL ? conn_new(s, opts) : NULL;
  if (c == NULL)
    return UV_ENOMEM;
  init_handle(s, pipe);
  c->cb = cb;
  c->cb_arg = arg;
  x->conn = c;
  s->flags |= LODE__SK_CONNECTING;
  if (opts->keep_alive)
    lode_socket_set_keep_alive(s, 1, opts->keep_alive_initial_delay);
  if (opts->no_delay)
    lode_socket_set_no_delay(s, 1);
  /* Node connects to an IP literal without a lookup (and no 'lookup'
   * event), on the next tick; IPC and custom lookups start there too. */
  if (pipe || c->lookup_fn != NULL) {
    lode__socket_schedule(s, LODE__SKT_CONNECT);
  } else if (ip_family(c->host) != 0) {
    snprintf(c->ip, sizeof(c->ip), "%s", c->host);
    lode__socket_schedule(s, LODE__SKT_CONNECT);
  } else {
    start_gai(s);
  }
  return 0;
}

int lode_net_connect(uv_loop_t* loop, const lode_socket_opts_t* opts,
                     const lode_socket_events_t* ev, lode_socket_t** out) {
  if (loop == NULL || out == NULL)
    return UV_EINVAL;
  int r = validate(opts);
  if (r != 0)
    return r;
  lode_socket_opts_t o = *opts;
  o.has_fd = 0;
  lode_socket_t* s;
  r = lode_socket_create(loop, &o, ev, &s);
  if (r != 0)
    return r;
  *out = s;
  if (DEAD(s))
    return 0; /* an aborted signal: error and close follow */
  if (opts->timeout > 0)
    lode_socket_set_timeout(s, opts->timeout, NULL, NULL);
  r = lode_socket_connect(s, opts, NULL, NULL);
  if (r != 0 && !DEAD(s)) {
    s->ev = NULL; /* nothing was promised: close without events */
    lode_socket_destroy(s, NULL);
    *out = NULL;
    return r;
  }
  return 0;
}

int lode_net_create_connection(uv_loop_t* loop, const lode_socket_opts_t* opts,
                               const lode_socket_events_t* ev,
                               lode_socket_t** out) {
  return lode_net_connect(loop, opts, ev, out);
}
