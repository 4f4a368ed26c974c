/* lode: network addressing. Node's net.isIP/isIPv4/isIPv6,
 * net.SocketAddress, net.BlockList, and the process-wide defaults of the
 * autoSelectFamily ("happy eyeballs") connect option.
 * (Conventions for every header: the opening comment of lode.h.)
 *
 * Everything here is plain data: no loop, no callbacks. Families are named
 * as in Node, by the strings "ipv4" and "ipv6" (NULL means "ipv4", Node's
 * default). What Node throws is a negative return value (lode/errors.h). */
#ifndef LODE_NET_ADDR_H
#define LODE_NET_ADDR_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct sockaddr;

/* ---- isIP ------------------------------------------------------------ */

/* Node: net.isIP(input). Returns 4 for a dotted-decimal IPv4 address with
 * no leading zeroes, 6 for an IPv6 address (zone id "%eth0" and embedded
 * IPv4 allowed, as Node's pattern allows them), else 0. NULL gives 0.
 * `input` is borrowed for the call. */
int lode_net_is_ip(const char* input);

/* Node: net.isIPv4(input). 1 or 0. */
int lode_net_is_ipv4(const char* input);

/* Node: net.isIPv6(input). 1 or 0. */
int lode_net_is_ipv6(const char* input);

/* ---- autoSelectFamily defaults -------------------------------------- */

/* Node: net.getDefaultAutoSelectFamily(). 1 (the initial value) or 0.
 * Safe to call from any thread. */
int lode_net_get_default_auto_select_family(void);

/* Node: net.setDefaultAutoSelectFamily(value). `value` is 0 or non-zero.
 * Affects connects started afterwards, on every loop. */
void lode_net_set_default_auto_select_family(int value);

/* Node: net.getDefaultAutoSelectFamilyAttemptTimeout(). Milliseconds;
 * initially 250. Safe to call from any thread. */
int lode_net_get_default_auto_select_family_attempt_timeout(void);

/* Node: net.setDefaultAutoSelectFamilyAttemptTimeout(value). Values from 1
 * to 9 become 10. Returns 0, or LODE_ERR_OUT_OF_RANGE when value < 1 (the
 * default is then unchanged). */
int lode_net_set_default_auto_select_family_attempt_timeout(int value);

/* ---- SocketAddress --------------------------------------------------- */

/* Node: net.SocketAddress. A plain value: an address, a port, a family and
 * (IPv6) a flow label. Created by lode_socket_address_new or _parse, freed
 * by lode_socket_address_free; never shared with the library. */
typedef struct lode_socket_address_s lode_socket_address_t;

/* Node: the options of new net.SocketAddress([options]). Zero-initialised
 * means Node's defaults. */
typedef struct lode_socket_address_opts_s {
  /* NULL: "127.0.0.1" when family is exactly "ipv4" (or NULL), else "::"
   * (Node picks the default before it lower-cases the family). */
  const char* address;
  /* NULL: "ipv4". Compared case-insensitively with "ipv4" and "ipv6". */
  const char* family;
  /* IPv6 flow label, 0..0xFFFFF; ignored for IPv4. */
  uint32_t flowlabel;
  /* 0..65535. */
  int port;
} lode_socket_address_opts_t;

/* Node: new net.SocketAddress([options]). `opts` (may be NULL) is borrowed
 * for the call. On success stores a new address in *out and returns 0.
 * Errors, as Node throws them (nothing is allocated then):
 *   LODE_ERR_INVALID_ARG_VALUE  family is not "ipv4" or "ipv6"
 *   LODE_ERR_SOCKET_BAD_PORT    port outside 0..65535
 *   LODE_ERR_OUT_OF_RANGE       flowlabel above 0xFFFFF
 *   LODE_ERR_INVALID_ADDRESS    address is not one of that family
 *   UV_EINVAL                   out is NULL;  UV_ENOMEM */
int lode_socket_address_new(const lode_socket_address_opts_t* opts,
                            lode_socket_address_t** out);

/* Node: SocketAddress.parse(input). Reads "1.2.3.4", "1.2.3.4:1234",
 * "[::1]" or "[::1]:443" the way Node does, through the WHATWG URL host
 * and port rules of "http://" + input: so "0x7f.1" is 127.0.0.1, a bare
 * IPv6 address without brackets is no address, and port 80 (http's
 * default) reads as 0, exactly as in Node. On success stores a new address
 * in *out; when the input is no socket address (Node's undefined) stores
 * NULL. Returns 0 in both cases, or UV_EINVAL (input or out NULL),
 * UV_ENOMEM. */
int lode_socket_address_parse(const char* input, lode_socket_address_t** out);

/* Frees an address from _new or _parse. NULL is ignored. */
void lode_socket_address_free(lode_socket_address_t* sa);

/* Node: socketaddress.address. Canonical text ("::1", "fe80::1": a zone id
 * given at creation is kept only in the sockaddr). Valid while sa is. */
const char* lode_socket_address_address(const lode_socket_address_t* sa);

/* Node: socketaddress.family. "ipv4" or "ipv6" (static string). */
const char* lode_socket_address_family(const lode_socket_address_t* sa);

/* Node: socketaddress.flowlabel. 0 for IPv4. */
uint32_t lode_socket_address_flowlabel(const lode_socket_address_t* sa);

/* Node: socketaddress.port. */
int lode_socket_address_port(const lode_socket_address_t* sa);

/* The address as a struct sockaddr_in or sockaddr_in6 (port, flow label
 * and scope id set), for libuv calls. Valid while sa is. */
const struct sockaddr* lode_socket_address_sockaddr(
    const lode_socket_address_t* sa);

/* ---- BlockList ------------------------------------------------------- */

/* Node: net.BlockList. A set of rules (addresses, ranges, subnets) of both
 * families. IPv4-mapped IPv6 addresses (::ffff:a.b.c.d) match IPv4 rules
 * and IPv4 addresses match rules written in that IPv6 form, as in Node.
 * check() is logarithmic in the number of rules. Safe to use from several
 * threads at once (Node's BlockList is shared between workers).
 *
 * Reference-counted: _new returns one reference, lode_block_list_hold adds
 * one, lode_block_list_release drops one. A server or socket given a list in
 * its options takes its own reference. */
typedef struct lode_block_list_s lode_block_list_t;

/* Node: new net.BlockList(). Returns 0 and stores the list in *out, or
 * UV_EINVAL (out NULL), UV_ENOMEM. */
int lode_block_list_new(lode_block_list_t** out);

/* Adds a reference. */
void lode_block_list_hold(lode_block_list_t* bl);

/* Drops a reference; the last one frees the list. NULL is ignored. */
void lode_block_list_release(lode_block_list_t* bl);

/* Node: blockList.addAddress(address[, type]). `type` "ipv4" (or NULL) or
 * "ipv6". Returns 0, or (nothing added) LODE_ERR_INVALID_ARG_VALUE for a
 * bad type, LODE_ERR_INVALID_ADDRESS for an address not of that type,
 * UV_EINVAL for NULL arguments, UV_ENOMEM. */
int lode_block_list_add_address(lode_block_list_t* bl, const char* address,
                                const char* type);

/* Node: blockList.addRange(start, end[, type]), both ends inclusive.
 * Errors as add_address, plus LODE_ERR_INVALID_ARG_VALUE ("The argument
 * 'start' must come before end.") when start is after end. */
int lode_block_list_add_range(lode_block_list_t* bl, const char* start,
                              const char* end, const char* type);

/* Node: blockList.addSubnet(net, prefix[, type]). Errors as add_address,
 * plus LODE_ERR_OUT_OF_RANGE when prefix is outside 0..32 (IPv4) or
 * 0..128 (IPv6). */
int lode_block_list_add_subnet(lode_block_list_t* bl, const char* net,
                               int prefix, const char* type);

/* The same three with net.SocketAddress arguments (borrowed for the call);
 * a range's ends may then be of different families, as in Node. */
int lode_block_list_add_address_sa(lode_block_list_t* bl,
                                   const lode_socket_address_t* address);
int lode_block_list_add_range_sa(lode_block_list_t* bl,
                                 const lode_socket_address_t* start,
                                 const lode_socket_address_t* end);
int lode_block_list_add_subnet_sa(lode_block_list_t* bl,
                                  const lode_socket_address_t* net, int prefix);

/* Node: blockList.check(address[, type]). 1 if any rule matches, else 0;
 * an invalid address or type gives 0, as in Node. */
int lode_block_list_check(const lode_block_list_t* bl, const char* address,
                          const char* type);

/* check() for a SocketAddress, and for a sockaddr_in/sockaddr_in6 (what
 * servers and sockets call; other families give 0). */
int lode_block_list_check_sa(const lode_block_list_t* bl,
                             const lode_socket_address_t* address);
int lode_block_list_check_sockaddr(const lode_block_list_t* bl,
                                   const struct sockaddr* address);

/* Node: blockList.rules. Rule i (0 is the newest, as in Node) in Node's
 * text form: "Address: IPv4 1.2.3.4", "Range: IPv6 ::1-::2",
 * "Subnet: IPv4 10.0.0.0/8". lode_block_list_rules_count gives the number
 * of rules; lode_block_list_rule writes rule i, NUL-terminated, into buf
 * (LODE_BLOCK_LIST_RULE_MAX bytes always suffice) and returns its length,
 * or UV_EINVAL for i out of range, UV_ENOBUFS when size is too small. */
#define LODE_BLOCK_LIST_RULE_MAX 128
size_t lode_block_list_rules_count(const lode_block_list_t* bl);
int lode_block_list_rule(const lode_block_list_t* bl, size_t i, char* buf,
                         size_t size);

/* Node: BlockList.isBlockList(value). 1 when value points to a live
 * lode_block_list_t, 0 for NULL or a pointer to another lode object. */
int lode_block_list_is_block_list(const void* value);

#ifdef __cplusplus
}
#endif
#endif
