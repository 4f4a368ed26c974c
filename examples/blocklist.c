/* The BlockList example of Node's documentation (blockList.check), in C.
 * Prints: true, true, false, true, true (one per line). */
#include <stdio.h>

#include "lode.h"

static const char* yes_no(int hit) {
  return hit ? "true" : "false";
}

int main(void) {
  lode_block_list_t* block_list;
  if (lode_block_list_new(&block_list) != 0)
    return 1;
  lode_block_list_add_address(block_list, "123.123.123.123", NULL);
  lode_block_list_add_range(block_list, "10.0.0.1", "10.0.0.10", NULL);
  lode_block_list_add_subnet(block_list, "8592:757c:efae:4e45::", 64, "ipv6");

  printf("%s\n",
         yes_no(lode_block_list_check(block_list, "123.123.123.123", NULL)));
  printf("%s\n", yes_no(lode_block_list_check(block_list, "10.0.0.3", NULL)));
  printf("%s\n",
         yes_no(lode_block_list_check(block_list, "222.111.111.222", NULL)));

  /* IPv6 notation for IPv4 addresses works: */
  printf("%s\n",
         yes_no(lode_block_list_check(block_list, "::ffff:7b7b:7b7b", "ipv6")));
  printf("%s\n", yes_no(lode_block_list_check(
                     block_list, "::ffff:123.123.123.123", "ipv6")));
  lode_block_list_release(block_list);
  return 0;
}
