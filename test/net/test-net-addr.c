/* net.isIP/isIPv4/isIPv6, net.SocketAddress and SocketAddress.parse,
 * checked against Node run over the same generated tables
 * (test/peers/addr-oracle.js), and the autoSelectFamily defaults. */
#include "net-test.h"

#include <stdatomic.h>

/* Splits the next line off *cursor; NULL at "end". */
static char* next_line(char** cursor) {
  char* line = *cursor;
  char* nl = strchr(line, '\n');
  ASSERT_NOT_NULL(nl);
  *nl = '\0';
  *cursor = nl + 1;
  return strcmp(line, "end") == 0 ? NULL : line;
}

TEST(is_ip_matches_node) {
  char* out = addr_oracle("isip");
  char* cur = out;
  char* line;
  int cases = 0;
  while ((line = next_line(&cur)) != NULL) {
    char h[512], in[256];
    int ip, v4, v6;
    ASSERT_EQ(sscanf(line, "%511s %d %d %d", h, &ip, &v4, &v6), 4);
    addr_unhex(h, in, sizeof(in));
    if (lode_net_is_ip(in) != ip || lode_net_is_ipv4(in) != v4 ||
        lode_net_is_ipv6(in) != v6)
      test_fail(__FILE__, __LINE__, "\"%s\": node %d %d %d, lode %d %d %d",
                test_escape(in, strlen(in)), ip, v4, v6, lode_net_is_ip(in),
                lode_net_is_ipv4(in), lode_net_is_ipv6(in));
    cases++;
  }
  ASSERT_GE(cases, 1000);
  free(out);
}

TEST(is_ip_spec_examples) {
  ASSERT_EQ(lode_net_is_ip("::1"), 6);
  ASSERT_EQ(lode_net_is_ip("127.0.0.1"), 4);
  ASSERT_EQ(lode_net_is_ip("127.000.000.001"), 0);
  ASSERT_EQ(lode_net_is_ip("127.0.0.1/24"), 0);
  ASSERT_EQ(lode_net_is_ip("fhqwhgads"), 0);
  ASSERT_EQ(lode_net_is_ipv4("127.0.0.1"), 1);
  ASSERT_EQ(lode_net_is_ipv4("127.000.000.001"), 0);
  ASSERT_EQ(lode_net_is_ipv6("::1"), 1);
  ASSERT_EQ(lode_net_is_ipv6("fhqwhgads"), 0);
  ASSERT_EQ(lode_net_is_ip(NULL), 0);
}

TEST(parse_matches_node) {
  char* out = addr_oracle("parse");
  char* cur = out;
  char* line;
  int cases = 0;
  while ((line = next_line(&cur)) != NULL) {
    char h[512], in[256], want[128], got[128];
    char* sp = strchr(line, ' ');
    ASSERT_NOT_NULL(sp);
    *sp = '\0';
    snprintf(h, sizeof(h), "%s", line);
    snprintf(want, sizeof(want), "%s", sp + 1);
    addr_unhex(h, in, sizeof(in));
    lode_socket_address_t* sa = (lode_socket_address_t*) 1;
    ASSERT_OK(lode_socket_address_parse(in, &sa));
    if (sa == NULL)
      snprintf(got, sizeof(got), "undefined");
    else
      snprintf(got, sizeof(got), "%s %d %s", lode_socket_address_address(sa),
               lode_socket_address_port(sa), lode_socket_address_family(sa));
    lode_socket_address_free(sa);
    if (strcmp(got, want) != 0)
      test_fail(__FILE__, __LINE__, "parse(\"%s\"): node %s, lode %s",
                test_escape(in, strlen(in)), want, got);
    cases++;
  }
  ASSERT_GE(cases, 500);
  free(out);
}

static const char* sa_text(const lode_socket_address_opts_t* o) {
  static char buf[128];
  lode_socket_address_t* sa;
  int rc = lode_socket_address_new(o, &sa);
  if (rc != 0)
    return lode_err_name(rc);
  snprintf(buf, sizeof(buf), "%s %d %s %u", lode_socket_address_address(sa),
           lode_socket_address_port(sa), lode_socket_address_family(sa),
           (unsigned) lode_socket_address_flowlabel(sa));
  lode_socket_address_free(sa);
  return buf;
}

/* Each answer is what Node 20 prints for the same options. */
TEST(socket_address_options) {
  typedef lode_socket_address_opts_t o_t;
  ASSERT_STR_EQ(sa_text(NULL), "127.0.0.1 0 ipv4 0");
  ASSERT_STR_EQ(sa_text(&(o_t){ .family = "ipv6" }), ":: 0 ipv6 0");
  ASSERT_STR_EQ(sa_text(&(o_t){ .family = "IPv6" }), ":: 0 ipv6 0");
  /* The default address is chosen before the family is lower-cased. */
  ASSERT_STR_EQ(sa_text(&(o_t){ .family = "IPV4" }), "ERR_INVALID_ADDRESS");
  ASSERT_STR_EQ(sa_text(&(o_t){ .family = "ipv5" }), "ERR_INVALID_ARG_VALUE");
  ASSERT_STR_EQ(sa_text(&(o_t){ .family = "ipv4 " }), "ERR_INVALID_ARG_VALUE");
  ASSERT_STR_EQ(sa_text(&(o_t){ .address = "1.2.3" }), "ERR_INVALID_ADDRESS");
  ASSERT_STR_EQ(sa_text(&(o_t){ .address = "::1" }), "ERR_INVALID_ADDRESS");
  ASSERT_STR_EQ(sa_text(&(o_t){ .address = "001.2.3.4" }),
                "ERR_INVALID_ADDRESS");
  ASSERT_STR_EQ(sa_text(&(o_t){ .address = "1.2.3.4", .family = "ipv6" }),
                "ERR_INVALID_ADDRESS");
  ASSERT_STR_EQ(sa_text(&(o_t){ .port = 65536 }), "ERR_SOCKET_BAD_PORT");
  ASSERT_STR_EQ(sa_text(&(o_t){ .port = -1 }), "ERR_SOCKET_BAD_PORT");
  ASSERT_STR_EQ(sa_text(&(o_t){ .port = 65535 }), "127.0.0.1 65535 ipv4 0");
  ASSERT_STR_EQ(sa_text(&(o_t){ .flowlabel = 5 }), "127.0.0.1 0 ipv4 0");
  ASSERT_STR_EQ(sa_text(&(o_t){ .address = "::1",
                                .family = "ipv6",
                                .flowlabel = 0xFFFFF,
                                .port = 7 }),
                "::1 7 ipv6 1048575");
  ASSERT_STR_EQ(
      sa_text(
          &(o_t){ .address = "::1", .family = "ipv6", .flowlabel = 0x100000 }),
      "ERR_OUT_OF_RANGE");
  ASSERT_STR_EQ(
      sa_text(&(o_t){ .address = "0:0:0:0:0:0:0:1", .family = "ipv6" }),
      "::1 0 ipv6 0");
  ASSERT_STR_EQ(
      sa_text(&(o_t){ .address = "::ffff:1.2.3.4", .family = "ipv6" }),
      "::ffff:1.2.3.4 0 ipv6 0");
  ASSERT_STR_EQ(sa_text(&(o_t){ .address = "FE80::1%lo", .family = "ipv6" }),
                "fe80::1 0 ipv6 0");
  ASSERT_EQ(lode_socket_address_new(NULL, NULL), UV_EINVAL);
}

TEST(socket_address_sockaddr) {
  lode_socket_address_t* sa;
  ASSERT_OK(lode_socket_address_new(
      &(lode_socket_address_opts_t){ .address = "10.1.2.3", .port = 8080 },
      &sa));
  const struct sockaddr_in* in = (const struct sockaddr_in*)
      lode_socket_address_sockaddr(sa);
  ASSERT_EQ(in->sin_family, AF_INET);
  ASSERT_EQ(ntohs(in->sin_port), 8080);
  ASSERT_EQ(ntohl(in->sin_addr.s_addr), 0x0a010203);
  lode_socket_address_free(sa);
  ASSERT_EQ(lode_socket_address_parse(NULL, &sa), UV_EINVAL);
  ASSERT_EQ(lode_socket_address_parse("1.2.3.4", NULL), UV_EINVAL);
}

TEST(auto_select_family_defaults) {
  ASSERT_EQ(lode_net_get_default_auto_select_family(), 1);
  ASSERT_EQ(lode_net_get_default_auto_select_family_attempt_timeout(), 250);
  lode_net_set_default_auto_select_family(0);
  ASSERT_EQ(lode_net_get_default_auto_select_family(), 0);
  lode_net_set_default_auto_select_family(7);
  ASSERT_EQ(lode_net_get_default_auto_select_family(), 1);
  ASSERT_EQ(lode_net_set_default_auto_select_family_attempt_timeout(0),
            LODE_ERR_OUT_OF_RANGE);
  ASSERT_EQ(lode_net_set_default_auto_select_family_attempt_timeout(-1),
            LODE_ERR_OUT_OF_RANGE);
  ASSERT_EQ(lode_net_get_default_auto_select_family_attempt_timeout(), 250);
  ASSERT_OK(lode_net_set_default_auto_select_family_attempt_timeout(1));
  ASSERT_EQ(lode_net_get_default_auto_select_family_attempt_timeout(), 10);
  ASSERT_OK(lode_net_set_default_auto_select_family_attempt_timeout(9));
  ASSERT_EQ(lode_net_get_default_auto_select_family_attempt_timeout(), 10);
  ASSERT_OK(lode_net_set_default_auto_select_family_attempt_timeout(1000));
  ASSERT_EQ(lode_net_get_default_auto_select_family_attempt_timeout(), 1000);
}

/* Readers on other threads see a value some setter stored, never a torn
 * or stale-forever one. */
static atomic_int stop_readers;
static void reader(void* arg) {
  int* bad = arg;
  while (!atomic_load(&stop_readers)) {
    int v = lode_net_get_default_auto_select_family_attempt_timeout();
    if (v != 300 && v != 400)
      (*bad)++;
  }
}

TEST(defaults_across_threads) {
  ASSERT_OK(lode_net_set_default_auto_select_family_attempt_timeout(300));
  uv_thread_t t[2];
  int bad[2] = { 0, 0 };
  for (int i = 0; i < 2; i++)
    ASSERT_OK(uv_thread_create(&t[i], reader, &bad[i]));
  for (int i = 0; i < 20000; i++)
    ASSERT_OK(lode_net_set_default_auto_select_family_attempt_timeout(
        i % 2 ? 300 : 400));
  atomic_store(&stop_readers, 1);
  for (int i = 0; i < 2; i++)
    ASSERT_OK(uv_thread_join(&t[i]));
  ASSERT_EQ(bad[0] + bad[1], 0);
}

TEST_MAIN(is_ip_matches_node, is_ip_spec_examples, parse_matches_node,
          socket_address_options, socket_address_sockaddr,
          auto_select_family_defaults, defaults_across_threads)
