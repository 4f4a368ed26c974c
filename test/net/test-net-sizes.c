/* What an accepted connection costs: the socket's own fields (beside
 * libuv's handle) stay within a budget, so that an idle keep-alive HTTP
 * connection stays under 768 bytes all-in (bench/http/idle-rss.sh).
 * Fields only some sockets use belong in the extra part
 * (lode__sk_extra_t), made on demand. 64-bit only (the budget counts
 * 8-byte pointers). */
#include <stdint.h>

#include "net/internal.h"
#include "test.h"

TEST(socket_within_budget) {
#if UINTPTR_MAX == 0xffffffffffffffffu
  /* 208: the fields every connection uses (600 - 264 = 336 before the
   * client's and the rare fields moved out). */
  ASSERT_LE(sizeof(lode_socket_t) - sizeof(lode__handle_t), 208);
#endif
}

TEST_MAIN(socket_within_budget)
