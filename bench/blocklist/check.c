/* BlockList.check with 100,000 rules: lode against Node's BlockList on
 * the same rules and addresses (node-check.js, run from here), printed as
 * time per check and a ratio. Not a test: nothing is asserted.
 * Usage: bench-blocklist-check [rules] [checks] [path/to/node-check.js] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lode.h"

static unsigned seed = 12345;
static unsigned rnd(void) { /* xorshift32, as in node-check.js */
  seed ^= seed << 13;
  seed ^= seed >> 17;
  seed ^= seed << 5;
  return seed;
}

static void v4(unsigned x, char* out) {
  sprintf(out, "%u.%u.%u.%u", x >> 24, (x >> 16) & 255, (x >> 8) & 255,
          x & 255);
}

static void add_rules(lode_block_list_t* bl, int n) {
  char a[64], b[64];
  for (int i = 0; i < n; i++) {
    unsigned x = rnd(), kind = rnd() % 4;
    v4(x, a);
    if (kind == 0) {
      lode_block_list_add_address(bl, a, NULL);
    } else if (kind == 1) {
      v4(x + rnd() % 1000 > x ? x + rnd() % 1000 : x, b);
      lode_block_list_add_range(bl, a, b, NULL);
    } else if (kind == 2) {
      lode_block_list_add_subnet(bl, a, 20 + (int) (rnd() % 13), NULL);
    } else {
      sprintf(a, "2001:db8:%x::%x", x >> 16, x & 0xffff);
      lode_block_list_add_address(bl, a, "ipv6");
    }
  }
}

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char** argv) {
  int nrules = argc > 1 ? atoi(argv[1]) : 100000;
  int nchecks = argc > 2 ? atoi(argv[2]) : 1000000;
  const char* script = argc > 3 ? argv[3] : "bench/blocklist/node-check.js";
  lode_block_list_t* bl;
  if (lode_block_list_new(&bl) != 0)
    return 1;
  double t0 = now();
  add_rules(bl, nrules);
  char a[64];
  lode_block_list_check(bl, "1.2.3.4", NULL); /* merges the rules */
  double t1 = now();
  int hits = 0;
  for (int i = 0; i < nchecks; i++) {
    v4(rnd(), a);
    hits += lode_block_list_check(bl, a, NULL);
  }
  double t2 = now();
  double lode_ns = (t2 - t1) * 1e9 / nchecks;
  printf("lode: %d rules built in %.1f ms; %d checks, %d hits, %.0f ns/check\n",
         nrules, (t1 - t0) * 1e3, nchecks, hits, lode_ns);
  lode_block_list_release(bl);

  char cmd[512];
  snprintf(cmd, sizeof(cmd), "node %s %d 200", script, nrules);
  FILE* p = popen(cmd, "r");
  double node_ns = 0;
  char line[256];
  while (p != NULL && fgets(line, sizeof(line), p) != NULL) {
    fputs(line, stdout);
    sscanf(line,
           "node: %*d rules built in %*f ms; %*d checks, %*d hits, "
           "%lf ns/check",
           &node_ns);
  }
  if (p != NULL)
    pclose(p);
  if (node_ns > 0)
    printf("ratio: lode is %.0fx faster per check\n", node_ns / lode_ns);
  return 0;
}
