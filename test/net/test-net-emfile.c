/* Accepting survives running out of file descriptors: while the process
 * is at RLIMIT_NOFILE, libuv sheds each connection with its reserve
 * descriptor (accept, close) without calling back and without spinning;
 * once descriptors are free again the same listener accepts as before. */
#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>
#include "net-test.h"

#define MAX_HOARD 4096

static lode_server_t* server;
static int hoard[MAX_HOARD], nhoard, accept_errors, accepted;
static char trigger[128], failed_mark[128];
static uv_timer_t watch;
static uv_prepare_t counter;
static unsigned long iterations, watch_fires;

static void release_fds(void) {
  for (int i = 0; i < nhoard; i++)
    close(hoard[i]);
  nhoard = 0;
}

static void s_error(lode_server_t* srv, const lode_error_t* e) {
  accept_errors++; /* libuv sheds EMFILE itself; anything else counts */
}
/* The peer marks its third failed connection; then the descriptors go. */
static void on_watch(uv_timer_t* t) {
  watch_fires++;
  if (access(failed_mark, F_OK) != 0)
    return;
  release_fds();
  uv_close((uv_handle_t*) t, NULL);
}
static void on_iteration(uv_prepare_t* p) {
  iterations++;
}
static void s_data(lode_socket_t* s, lode_slice_t d) {
  lode_socket_write(s, d, NULL, NULL);
}
static void s_close(lode_socket_t* s, int e) {
  lode_server_close(server, NULL, NULL);
}
static const lode_socket_events_t echo = {
  .on_data = s_data,
  .on_close = s_close,
};
static void s_conn(lode_server_t* srv, lode_socket_t* s) {
  accepted++;
}
static const lode_server_events_t sev = {
  .on_connection = s_conn,
  .on_error = s_error,
};

TEST(emfile) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  lode_server_opts_t so = { .socket_events = &echo };
  ASSERT_OK(lode_net_create_server(&loop, &so, &sev, &server));
  int port = listen_local(&loop, server);
  snprintf(trigger, sizeof(trigger), "/tmp/lode-emfile-%d", (int) getpid());
  unlink(trigger);
  snprintf(failed_mark, sizeof(failed_mark), "/tmp/lode-emfile-%d.failed",
           (int) getpid());
  unlink(failed_mark);
  char port_s[16];
  snprintf(port_s, sizeof(port_s), "%d", port);
  const char* argv[] = { "node",      "test/peers/net-retry-client.js",
                         port_s,      trigger,
                         failed_mark, NULL };
  test_peer_t* peer = test_peer_start(argv); /* before the limit drops */

  /* Lower the limit a little above what is open, then take the rest. */
  int top = open("/dev/null", O_RDONLY);
  ASSERT_GE(top, 0);
  close(top);
  struct rlimit old, low;
  ASSERT_OK(getrlimit(RLIMIT_NOFILE, &old));
  low = old;
  low.rlim_cur = (rlim_t) top + 64;
  ASSERT_OK(setrlimit(RLIMIT_NOFILE, &low));
  int fd;
  while (nhoard < MAX_HOARD && (fd = open("/dev/null", O_RDONLY)) >= 0)
    hoard[nhoard++] = fd;
  ASSERT_GT(nhoard, 0);
  ASSERT_LT(nhoard, MAX_HOARD);

  /* Tell the peer to start (a file made without a new descriptor left:
   * free one for a moment). */
  close(hoard[--nhoard]);
  FILE* f = fopen(trigger, "w");
  ASSERT_NOT_NULL(f);
  fclose(f);
  hoard[nhoard++] = open("/dev/null", O_RDONLY);

  uv_timer_init(&loop, &watch);
  uv_timer_start(&watch, on_watch, 10, 10);
  uv_prepare_init(&loop, &counter);
  uv_prepare_start(&counter, on_iteration);
  uv_unref((uv_handle_t*) &counter);
  test_run_loop(&loop, 50000);
  uv_close((uv_handle_t*) &counter, NULL);
  release_fds();
  ASSERT_OK(setrlimit(RLIMIT_NOFILE, &old));
  char line[128];
  test_peer_line(peer, line, sizeof(line), 10000);
  int failures = -1;
  ASSERT_EQ(sscanf(line, "ok after %d failures", &failures), 1);
  ASSERT_EQ(test_peer_finish(peer, 10000, NULL), 0);
  unlink(trigger);
  unlink(failed_mark);
  ASSERT_GE(failures, 3);
  ASSERT_EQ(accept_errors, 0);
  ASSERT_EQ(accepted, 1);
  /* No busy loop: the loop turned for the watch timer and a few times
   * per connection, not endlessly on a listener that stays readable. */
  printf("emfile: %d shed, %lu loop turns, %lu watch ticks\n", failures,
         iterations, watch_fires);
  ASSERT_LE(iterations, watch_fires + 8 * (unsigned long) (failures + 1) + 50);
  test_loop_close(&loop);
}

TEST_MAIN(emfile)
