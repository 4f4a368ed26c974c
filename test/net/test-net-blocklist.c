/* net.BlockList: random lists checked against Node over the same table
 * (test/peers/addr-oracle.js), the specification's example, argument
 * errors, and a list shared by threads. */
#include "net-test.h"

#include <stdio.h>

/* Adds one rule the way the oracle did; returns the error name or "ok". */
static const char* add(lode_block_list_t* bl, const char* kind, const char* a,
                       const char* fa, const char* b, const char* fb) {
  int rc;
  if (strcmp(kind, "address") == 0) {
    rc = lode_block_list_add_address(bl, a, fa);
  } else if (strcmp(kind, "subnet") == 0) {
    rc = lode_block_list_add_subnet(bl, a, atoi(b), fa);
  } else if (strcmp(fa, fb) == 0) {
    rc = lode_block_list_add_range(bl, a, b, fa);
  } else {
    /* Mixed families: Node's addRange with two SocketAddresses. */
    lode_socket_address_t *sa = NULL, *sb = NULL;
    rc = lode_socket_address_new(
        &(lode_socket_address_opts_t){ .address = a, .family = fa }, &sa);
    if (rc == 0)
      rc = lode_socket_address_new(
          &(lode_socket_address_opts_t){ .address = b, .family = fb }, &sb);
    if (rc == 0)
      rc = lode_block_list_add_range_sa(bl, sa, sb);
    lode_socket_address_free(sa);
    lode_socket_address_free(sb);
  }
  return rc == 0 ? "ok" : lode_err_name(rc);
}

TEST(random_lists_match_node) {
  char* out = addr_oracle("blocklist");
  lode_block_list_t* bl = NULL;
  int checks = 0, lists = 0;
  char* save = NULL;
  for (char* line = strtok_r(out, "\n", &save);
       line != NULL && strcmp(line, "end") != 0;
       line = strtok_r(NULL, "\n", &save)) {
    char w[6][256], a[256], b[256];
    int n = sscanf(line, "%255s %255s %255s %255s %255s %255s %255s", w[0],
                   w[1], w[2], w[3], w[4], w[5], a);
    if (strcmp(w[0], "new") == 0) {
      lode_block_list_release(bl);
      ASSERT_OK(lode_block_list_new(&bl));
      lists++;
    } else if (strcmp(w[0], "add") == 0) {
      ASSERT_EQ(n, 7);
      char ha[256], hb[256];
      addr_unhex(w[2], ha, sizeof(ha));
      if (strcmp(w[1], "range") == 0)
        addr_unhex(w[4], hb, sizeof(hb));
      else
        snprintf(hb, sizeof(hb), "%s", w[4]);
      const char* got = add(bl, w[1], ha, w[3], hb, w[5]);
      if (strcmp(got, a) != 0)
        test_fail(__FILE__, __LINE__, "%s %s(%s) %s(%s): node %s, lode %s",
                  w[1], ha, w[3], hb, w[5], a, got);
    } else if (strcmp(w[0], "check") == 0) {
      addr_unhex(w[1], a, sizeof(a));
      int got = lode_block_list_check(bl, a, w[2]);
      if (got != atoi(w[3]))
        test_fail(__FILE__, __LINE__,
                  "list %d: check(%s, %s): node %s, "
                  "lode %d",
                  lists, a, w[2], w[3], got);
      checks++;
    } else if (strcmp(w[0], "rules") == 0) {
      size_t count = (size_t) atoi(w[1]);
      ASSERT_EQ(lode_block_list_rules_count(bl), count);
      for (size_t i = 0; i < count; i++) {
        line = strtok_r(NULL, "\n", &save);
        ASSERT_NOT_NULL(line);
        addr_unhex(line + 5, b, sizeof(b));
        char text[LODE_BLOCK_LIST_RULE_MAX];
        ASSERT_GT(lode_block_list_rule(bl, i, text, sizeof(text)), 0);
        ASSERT_STR_EQ(text, b);
      }
    }
  }
  lode_block_list_release(bl);
  ASSERT_GE(checks, 2000);
  free(out);
}

/* The specification's example, in examples/blocklist.c, prints exactly
 * what the specification says. */
#define main blocklist_example_main
#include "../../examples/blocklist.c"
#undef main

TEST(spec_example_output) {
  char path[] = "/tmp/lode-blocklist-XXXXXX";
  int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  fflush(stdout);
  int saved = dup(1);
  dup2(fd, 1);
  int rc = blocklist_example_main();
  fflush(stdout);
  dup2(saved, 1);
  close(saved);
  ASSERT_EQ(rc, 0);
  char buf[256] = { 0 };
  ASSERT_GE(pread(fd, buf, sizeof(buf) - 1, 0), 0);
  close(fd);
  unlink(path);
  ASSERT_STR_EQ(buf, "true\ntrue\nfalse\ntrue\ntrue\n");
}

/* Node's answers (Node 20) for argument errors: nothing is added. */
TEST(argument_errors) {
  lode_block_list_t* bl;
  ASSERT_OK(lode_block_list_new(&bl));
  ASSERT_EQ(lode_block_list_add_subnet(bl, "1.2.3.4", 33, NULL),
            LODE_ERR_OUT_OF_RANGE);
  ASSERT_EQ(lode_block_list_add_subnet(bl, "1.2.3.4", -1, "ipv4"),
            LODE_ERR_OUT_OF_RANGE);
  ASSERT_EQ(lode_block_list_add_subnet(bl, "::", 129, "ipv6"),
            LODE_ERR_OUT_OF_RANGE);
  ASSERT_EQ(lode_block_list_add_range(bl, "1.2.3.5", "1.2.3.4", NULL),
            LODE_ERR_INVALID_ARG_VALUE);
  ASSERT_EQ(lode_block_list_add_range(bl, "::2", "::1", "ipv6"),
            LODE_ERR_INVALID_ARG_VALUE);
  ASSERT_EQ(lode_block_list_add_range(bl, "1.2.3.4", "::1", NULL),
            LODE_ERR_INVALID_ADDRESS);
  ASSERT_EQ(lode_block_list_add_address(bl, "1.2.3", NULL),
            LODE_ERR_INVALID_ADDRESS);
  ASSERT_EQ(lode_block_list_add_address(bl, "1.2.3.4", "ipv5"),
            LODE_ERR_INVALID_ARG_VALUE);
  ASSERT_EQ(lode_block_list_add_address(bl, NULL, NULL), UV_EINVAL);
  ASSERT_EQ(lode_block_list_rules_count(bl), 0);
  ASSERT_EQ(lode_block_list_check(bl, "1.2.3", NULL), 0);
  ASSERT_EQ(lode_block_list_check(bl, "1.2.3.4", "ipv7"), 0);
  ASSERT_EQ(lode_block_list_check(bl, NULL, NULL), 0);
  char text[8];
  ASSERT_EQ(lode_block_list_rule(bl, 0, text, sizeof(text)), UV_EINVAL);
  ASSERT_OK(lode_block_list_add_subnet(bl, "::ffff:1.2.3.4", 120, "ipv6"));
  ASSERT_EQ(lode_block_list_rule(bl, 0, text, sizeof(text)), UV_ENOBUFS);
  ASSERT_EQ(lode_block_list_new(NULL), UV_EINVAL);
  lode_block_list_release(bl);
}

/* Edges checked one by one against Node 20. */
TEST(mapped_and_whole_space_edges) {
  lode_block_list_t* bl;
  ASSERT_OK(lode_block_list_new(&bl));
  ASSERT_OK(lode_block_list_add_subnet(bl, "1.2.3.4", 0, NULL));
  ASSERT_EQ(lode_block_list_check(bl, "9.9.9.9", NULL), 1);
  ASSERT_EQ(lode_block_list_check(bl, "::1", "ipv6"), 0);
  ASSERT_EQ(lode_block_list_check(bl, "::ffff:9.9.9.9", "ipv6"), 1);
  lode_block_list_release(bl);
  ASSERT_OK(lode_block_list_new(&bl));
  ASSERT_OK(lode_block_list_add_subnet(bl, "::", 0, "ipv6"));
  ASSERT_EQ(lode_block_list_check(bl, "9.9.9.9", NULL), 1);
  ASSERT_EQ(lode_block_list_check(bl,
                                  "ffff:ffff:ffff:ffff:ffff:ffff:ffff:"
                                  "ffff",
                                  "ipv6"),
            1);
  lode_block_list_release(bl);
  ASSERT_OK(lode_block_list_new(&bl));
  ASSERT_OK(
      lode_block_list_add_range(bl, "::1", "::ffff:255.255.255.255", "ipv6"));
  ASSERT_EQ(lode_block_list_check(bl, "1.2.3.4", NULL), 0);
  ASSERT_EQ(lode_block_list_check(bl, "::ffff:1.2.3.4", "ipv6"), 1);
  ASSERT_OK(lode_block_list_add_address(bl, "FE80::A%eth0", "ipv6"));
  ASSERT_EQ(lode_block_list_check(bl, "fe80::a%lo", "ipv6"), 1);
  char text[LODE_BLOCK_LIST_RULE_MAX];
  ASSERT_GT(lode_block_list_rule(bl, 0, text, sizeof(text)), 0);
  ASSERT_STR_EQ(text, "Address: IPv6 fe80::a");
  ASSERT_GT(lode_block_list_rule(bl, 1, text, sizeof(text)), 0);
  ASSERT_STR_EQ(text, "Range: IPv6 ::1-::ffff:255.255.255.255");
  ASSERT(lode_block_list_is_block_list(bl));
  lode_block_list_t* again = bl;
  lode_block_list_hold(again);
  lode_block_list_release(bl);
  ASSERT(lode_block_list_is_block_list(again));
  lode_block_list_release(again);
  ASSERT(!lode_block_list_is_block_list(NULL));
  static const uint64_t other[4];
  ASSERT(!lode_block_list_is_block_list(other));
}

/* sockaddr checks, as a server or socket makes them. */
TEST(check_sockaddr) {
  lode_block_list_t* bl;
  ASSERT_OK(lode_block_list_new(&bl));
  ASSERT_OK(lode_block_list_add_address(bl, "127.0.0.2", NULL));
  struct sockaddr_in in;
  struct sockaddr_in6 in6;
  ASSERT_OK(uv_ip4_addr("127.0.0.2", 80, &in));
  ASSERT_EQ(lode_block_list_check_sockaddr(bl, (struct sockaddr*) &in), 1);
  ASSERT_OK(uv_ip4_addr("127.0.0.1", 80, &in));
  ASSERT_EQ(lode_block_list_check_sockaddr(bl, (struct sockaddr*) &in), 0);
  ASSERT_OK(uv_ip6_addr("::ffff:127.0.0.2", 80, &in6));
  ASSERT_EQ(lode_block_list_check_sockaddr(bl, (struct sockaddr*) &in6), 1);
  ASSERT_EQ(lode_block_list_check_sockaddr(bl, NULL), 0);
  lode_block_list_release(bl);
}

/* Node's BlockList is shared between workers: adds and checks from
 * several threads at once must neither race nor lose rules. */
static lode_block_list_t* shared;
static void adder(void* arg) {
  int base = *(int*) arg;
  char a[32];
  for (int i = 0; i < 2000; i++) {
    snprintf(a, sizeof(a), "10.%d.%d.%d", base, i / 256, i % 256);
    if (lode_block_list_add_address(shared, a, NULL) != 0)
      abort();
    lode_block_list_check(shared, "11.0.0.1", NULL);
  }
}

TEST(threads_share_a_list) {
  ASSERT_OK(lode_block_list_new(&shared));
  uv_thread_t t[2];
  int base[2] = { 1, 2 };
  for (int i = 0; i < 2; i++)
    ASSERT_OK(uv_thread_create(&t[i], adder, &base[i]));
  for (int i = 0; i < 2; i++)
    ASSERT_OK(uv_thread_join(&t[i]));
  ASSERT_EQ(lode_block_list_rules_count(shared), 4000);
  ASSERT_EQ(lode_block_list_check(shared, "10.1.7.207", NULL), 1);
  ASSERT_EQ(lode_block_list_check(shared, "10.2.0.0", NULL), 1);
  ASSERT_EQ(lode_block_list_check(shared, "10.3.0.0", NULL), 0);
  lode_block_list_release(shared);
}

TEST_MAIN(random_lists_match_node, spec_example_output, argument_errors,
          mapped_and_whole_space_edges, check_sockaddr, threads_share_a_list)
