/* Internals shared by the addressing files (addr*.c, blocklist*.c,
 * autoselect*.c). */
#ifndef LODE_NET_ADDR_INTERNAL_H
#define LODE_NET_ADDR_INTERNAL_H

#include "lode/net_addr.h"

#include <netinet/in.h>
#include <sys/socket.h>

struct lode_socket_address_s {
  union {
    struct sockaddr sa;
    struct sockaddr_in in4;
    struct sockaddr_in6 in6;
  } u;
  char address[INET6_ADDRSTRLEN];
};

/* Node's SocketAddress constructor into caller memory (no allocation):
 * 0 or the constructor's error code. */
int lode__socket_address_init(lode_socket_address_t* sa,
                              const lode_socket_address_opts_t* opts);

/* Fills sa from a sockaddr_in/sockaddr_in6; UV_EAFNOSUPPORT otherwise. */
int lode__socket_address_from(lode_socket_address_t* sa,
                              const struct sockaddr* addr);

#endif
