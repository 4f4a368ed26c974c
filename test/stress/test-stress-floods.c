/* Header and body floods: a client that sends header lines without end,
 * or a body of a gigabyte to a handler that does not read it. The server
 * holds at most maxHeaderSize of a head (then 431 and close) and 16 KiB of
 * an unread body (then it stops reading, as Node's paused request does),
 * so the client soon cannot write more; what it got through is bounded by
 * the small socket buffers of both sides. */
#include "stress.h"

#define FLOOD (64u << 20)
#define BOUND (2u << 20) /* far above 16 KiB and the kernel's buffers */

static const char head[] = "GET / HTTP/1.1\r\nHost: h\r\n";

/* The connection ends (end of stream or reset) within the deadline. */
static void wait_cut(int fd) {
  char buf[16384];
  long end = stress_now_ms() + 10000;
  for (;;) {
    ASSERT_LT(stress_now_ms(), end);
    if (stress_poll(fd, POLLIN, 1000) == 0)
      continue;
    ssize_t n = recv(fd, buf, sizeof(buf), 0);
    if (n <= 0)
      return;
  }
}

TEST(header_flood) {
  stress_server_t s;
  stress_server_start(&s, NULL, stress_small_listener());
  int fd = stress_connect_small(s.port);
  stress_send(fd, head, strlen(head));
  size_t sent = stress_flood(fd, "X-Flood: 0123456789abcdef\r\n", FLOOD, 300);
  printf("header flood: %zu bytes through\n", sent);
  ASSERT_LT(sent, BOUND);
  wait_cut(fd);
  close(fd);
  ASSERT_EQ(atomic_load(&s.requests), 0);
  ASSERT_EQ(stress_exchange(s.port, head, strlen(head)), 400);
  stress_server_stop(&s);
}

/* The handler takes the request and neither reads nor answers it. */
static void ignore(lode_http_server_t* srv, lode_http_incoming_t* req,
                   lode_http_response_t* res) {
  stress_server_t* s = lode_http_server_get_data(srv);
  atomic_fetch_add(&s->requests, 1);
}

static const lode_http_server_events_t ignoring = {
  .on_request = ignore,
  .on_listening = stress_on_listening,
  .on_close = stress_on_close,
};

/* A paused connection does not see the client's reset (neither does
 * Node's: nothing reads it); requestTimeout, short here, lets it go. */
TEST(unread_body_flood) {
  static const char post[] =
      "POST / HTTP/1.1\r\nHost: h\r\n"
      "Content-Length: 1000000000\r\n\r\n";
  lode_http_server_opts_t o = {
    .request_timeout = 1000,
    .connections_checking_interval = 100,
  };
  stress_server_t s;
  stress_server_start_ev(&s, &o, stress_small_listener(), &ignoring);
  int start = stress_fd_count();
  int fd = stress_connect_small(s.port);
  stress_send(fd, post, strlen(post));
  size_t sent = stress_flood(fd, "x", FLOOD, 300);
  printf("unread body flood: %zu bytes through\n", sent);
  ASSERT_LT(sent, BOUND);
  ASSERT_EQ(atomic_load(&s.requests), 1);
  stress_reset(fd);
  stress_wait_fds(start, 10000);
  stress_server_stop(&s);
}

TEST_MAIN(header_flood, unread_body_flood)
