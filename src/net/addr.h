/* Internals shared by the addressing files (addr*.c, blocklist*.c,
 * autoselect*.c). */
#ifndef LODE_NET_ADDR_INTERNAL_H
#define LODE_NET_ADDR_INTERNAL_H

#include "lode/net_addr.h"

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
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

/* What the URL standard's host parser found. */
enum { LODE__HOST_DOMAIN, LODE__HOST_IPV4, LODE__HOST_IPV6 };
typedef struct lode__url_host_s {
  int kind;         /* LODE__HOST_* */
  uint32_t ipv4;    /* IPV4: the address, host order */
  uint16_t ipv6[8]; /* IPV6: the eight pieces */
  size_t n;         /* DOMAIN and IPV4: length of the decoded text */
} lode__url_host_t;

/* The URL standard's host parser for special URLs, shared by
 * SocketAddress.parse and the http layer's URL parser: "[v6]", an IPv4
 * address in any of its forms (0x hex, 0 octal, fewer than four parts),
 * or an ASCII domain (lode has no IDNA: a non-ASCII host is refused).
 * Works in place: the percent-decoded, lower-cased text is left in
 * s[0..out->n). Returns 0, or -1 when the host is invalid. */
int lode__url_host_parse(char* s, size_t n, lode__url_host_t* out);

#endif
