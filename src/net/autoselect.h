/* Happy eyeballs (Node's autoSelectFamily; RFC 8305 section 5 as Node
 * implements it in lib/net.js): the engine that a socket's connect path
 * runs when the lookup returned more than one address.
 *
 * The socket's connect code calls, after its lookup (all = true):
 *   n = lode__autoselect_order(found, nfound, ordered);
 *   n == 0: Node's error for the first address (ERR_INVALID_IP_ADDRESS...);
 *   n == 1: an ordinary single connect to ordered[0] (Node does this too,
 *           and then sets no attempted-address list);
 *   n >= 2: lode__autoselect_start(...), and on destroy before on_done,
 *           lode__autoselect_cancel().
 * The engine connects on its own handles, one attempt at a time, and hands
 * the winner over as a connected descriptor for uv_tcp_open. */
#ifndef LODE_NET_AUTOSELECT_H
#define LODE_NET_AUTOSELECT_H

#include <uv.h>

#include "lode/errors.h"
#include "lode/net_addr.h"

typedef struct {
  char ip[46];
  int family; /* 4 or 6 */
} lode__he_addr_t;

typedef struct lode__autoselect_s lode__autoselect_t;

/* Node's events, with the owner given at start. Any of them may call
 * lode__autoselect_cancel (the user destroyed the socket); the engine then
 * stops at once. NULL slots are skipped. */
typedef struct {
  void (*on_attempt)(void* owner, const char* ip, int port, int family);
  void (*on_attempt_failed)(void* owner, const char* ip, int port, int family,
                            const lode_error_t* err);
  void (*on_attempt_timeout)(void* owner, const char* ip, int port, int family);
  /* Last call, exactly once unless cancelled first. Success: `fd` is a
   * connected TCP descriptor the owner now owns (uv_tcp_open it), `err`
   * NULL. Failure: fd -1 and err is Node's AggregateError (code and name of
   * the first attempt's error, message "", `errors`/`nerrors` each
   * attempt's), or ERR_SOCKET_CONNECTION_TIMEOUT when nothing was tried.
   * `err` is borrowed for the call. The engine frees itself afterwards. */
  void (*on_done)(void* owner, uv_os_sock_t fd, const lode_error_t* err);
} lode__autoselect_cbs_t;

typedef struct {
  const lode__he_addr_t* addrs; /* in attempt order; copied */
  size_t naddrs;
  int port;
  unsigned attempt_timeout;            /* ms; values under 10 become 10 */
  int local_port;                      /* 0: none; else bind 0.0.0.0 / :: */
  const lode_block_list_t* block_list; /* may be NULL; referenced */
  /* Node's autoSelectFamilyAttemptedAddresses: the engine keeps
   * *attempted (malloc'd, "ip:port" joined by ',') up to date until
   * on_done or cancel; the owner frees it. */
  char** attempted;
} lode__autoselect_opts_t;

/* Node's ordering: keeps IP literals of family 4 or 6, each once, groups
 * them by family with the first valid address's family first, and
 * interleaves the groups. `out` has room for n. Returns the count, or
 * UV_ENOMEM. */
int lode__autoselect_order(const lode__he_addr_t* in, size_t n,
                           lode__he_addr_t* out);

/* Starts the first attempt synchronously (its on_attempt runs before this
 * returns). Returns 0, or UV_ENOMEM / UV_EINVAL with nothing started. */
int lode__autoselect_start(uv_loop_t* loop, const lode__autoselect_opts_t* o,
                           const lode__autoselect_cbs_t* cbs, void* owner,
                           lode__autoselect_t** out);

/* Stops everything; no callback follows. Safe inside the engine's
 * callbacks. The engine frees itself once its handles have closed. */
void lode__autoselect_cancel(lode__autoselect_t* he);

#endif
