/* net.Socket properties: addresses (looked up once, on demand, and kept
 * after close as Node keeps _peername/_sockname), counters and states. */
#include <stdlib.h>
#include <string.h>
#include "net/internal.h"

typedef struct lode__sknames_s {
  int have_local;
  int have_remote;
  int local_port;
  int remote_port;
  const char* local_family;
  const char* remote_family;
  char local[64];
  char remote[64];
} lode__sknames_t;

void lode__pipe_name(const char* path, size_t len, char* out, size_t cap) {
  /* An abstract name (leading NUL) reads as "@name", as ss(8) shows it. */
  if (len > 0 && path[0] == '\0')
    snprintf(out, cap, "@%.*s", (int) (len - 1), path + 1);
  else
    snprintf(out, cap, "%.*s", (int) len, path);
}

int lode__sockaddr_name(const struct sockaddr* sa, char* ip, size_t iplen,
                        int* port) {
  if (sa->sa_family == AF_INET) {
    const struct sockaddr_in* in = (const struct sockaddr_in*) sa;
    uv_ip4_name(in, ip, iplen);
    *port = ntohs(in->sin_port);
    return 4;
  }
  if (sa->sa_family == AF_INET6) {
    const struct sockaddr_in6* in6 = (const struct sockaddr_in6*) sa;
    uv_ip6_name(in6, ip, iplen);
    *port = ntohs(in6->sin6_port);
    return 6;
  }
  return 0;
}

static lode__sknames_t* names(lode_socket_t* s) {
  if (s->names == NULL)
    s->names = calloc(1, sizeof(lode__sknames_t));
  return s->names;
}

static int open_handle(const lode_socket_t* s) {
  return (s->flags & LODE__SK_CONNECTED) && !(s->flags & LODE__SK_CLOSED) &&
         !uv_is_closing(&s->h.handle);
}

static int usable(const lode_socket_t* s) {
  return open_handle(s) && !(s->flags & LODE__SK_PIPE);
}

static lode__sknames_t* local(lode_socket_t* s) {
  lode__sknames_t* n = names(s);
  if (n == NULL || n->have_local || !usable(s))
    return n;
  struct sockaddr_storage ss;
  int len = sizeof(ss);
  if (uv_tcp_getsockname(&s->h.tcp, (struct sockaddr*) &ss, &len) != 0)
    return n;
  int f = lode__sockaddr_name((struct sockaddr*) &ss, n->local,
                              sizeof(n->local), &n->local_port);
  n->local_family = f == 6 ? "IPv6" : "IPv4";
  n->have_local = f != 0;
  return n;
}

static lode__sknames_t* remote(lode_socket_t* s) {
  lode__sknames_t* n = names(s);
  if (n == NULL || n->have_remote || !usable(s))
    return n;
  struct sockaddr_storage ss;
  int len = sizeof(ss);
  if (uv_tcp_getpeername(&s->h.tcp, (struct sockaddr*) &ss, &len) != 0)
    return n;
  int f = lode__sockaddr_name((struct sockaddr*) &ss, n->remote,
                              sizeof(n->remote), &n->remote_port);
  n->remote_family = f == 6 ? "IPv6" : "IPv4";
  n->have_remote = f != 0;
  return n;
}

void lode__socket_set_remote(lode_socket_t* s, const char* ip, int port) {
  lode__sknames_t* n = names(s);
  if (n == NULL)
    return;
  snprintf(n->remote, sizeof(n->remote), "%s", ip);
  n->remote_port = port;
  n->remote_family = strchr(ip, ':') ? "IPv6" : "IPv4";
  n->have_remote = 1;
}

int lode_socket_address(lode_socket_t* s, lode_net_address_t* out) {
  memset(out, 0, sizeof(*out));
  if (s->flags & LODE__SK_PIPE) {
    if (!open_handle(s))
      return UV_EBADF;
    size_t len = sizeof(out->address) - 1;
    int r = uv_pipe_getsockname(&s->h.pipe, out->address, &len);
    if (r == 0 && len > 0 && out->address[0] == '\0')
      out->address[0] = '@';
    return r;
  }
  lode__sknames_t* n = local(s);
  if (n == NULL || !n->have_local)
    return UV_EBADF;
  snprintf(out->address, sizeof(out->address), "%s", n->local);
  snprintf(out->family, sizeof(out->family), "%s", n->local_family);
  out->port = n->local_port;
  return 0;
}

const char* lode_socket_local_address(lode_socket_t* s) {
  lode__sknames_t* n = local(s);
  return n && n->have_local ? n->local : NULL;
}

int lode_socket_local_port(lode_socket_t* s) {
  lode__sknames_t* n = local(s);
  return n && n->have_local ? n->local_port : 0;
}

const char* lode_socket_local_family(lode_socket_t* s) {
  lode__sknames_t* n = local(s);
  return n && n->have_local ? n->local_family : NULL;
}

const char* lode_socket_remote_address(lode_socket_t* s) {
  lode__sknames_t* n = remote(s);
  return n && n->have_remote ? n->remote : NULL;
}

int lode_socket_remote_port(lode_socket_t* s) {
  lode__sknames_t* n = remote(s);
  return n && n->have_remote ? n->remote_port : 0;
}

const char* lode_socket_remote_family(lode_socket_t* s) {
  lode__sknames_t* n = remote(s);
  return n && n->have_remote ? n->remote_family : NULL;
}

uint64_t lode_socket_bytes_read(const lode_socket_t* s) {
  return s->bytes_read;
}

uint64_t lode_socket_bytes_written(const lode_socket_t* s) {
  return s->bytes_written;
}

size_t lode_socket_buffer_size(const lode_socket_t* s) {
  return s->queued;
}

/* Node: readable/writable decide it; connecting reads as "opening". A new
 * socket that never connected is readable and writable in Node, so it
 * reads "open" until destroyed. */
const char* lode_socket_ready_state(const lode_socket_t* s) {
  if (s->flags & LODE__SK_CONNECTING)
    return "opening";
  if (s->flags & LODE__SK_DESTROYED)
    return "closed";
  int readable = !(s->flags & LODE__SK_READ_ENDED);
  int writable = !(s->flags & (LODE__SK_ENDING | LODE__SK_WRITE_ENDED));
  if (readable && writable)
    return "open";
  if (readable)
    return "readOnly";
  if (writable)
    return "writeOnly";
  return "closed";
}

/* Node: !this._handle || this.connecting; destroy drops the handle. */
int lode_socket_pending(const lode_socket_t* s) {
  return !(s->flags & LODE__SK_CONNECTED) ||
         (s->flags & (LODE__SK_CONNECTING | LODE__SK_DESTROYED)) != 0;
}

int lode_socket_connecting(const lode_socket_t* s) {
  return (s->flags & LODE__SK_CONNECTING) != 0;
}

int lode_socket_destroyed(const lode_socket_t* s) {
  return (s->flags & LODE__SK_DESTROYED) != 0;
}

const char* lode_socket_auto_select_family_attempted_addresses(
    const lode_socket_t* s) {
  const char* a = s->extra != NULL ? s->extra->attempted : NULL;
  return a != NULL ? a : "";
}

void lode_socket_set_events(lode_socket_t* s, const lode_socket_events_t* ev) {
  s->ev = ev;
}

const lode_socket_events_t* lode_socket_events(const lode_socket_t* s) {
  return s->ev;
}

void lode_socket_set_data(lode_socket_t* s, void* data) {
  s->data = data;
}
void* lode_socket_get_data(const lode_socket_t* s) {
  return s->data;
}
uv_loop_t* lode_socket_loop(const lode_socket_t* s) {
  return s->stream.loop;
}
lode_server_t* lode_socket_server(const lode_socket_t* s) {
  return s->server;
}
