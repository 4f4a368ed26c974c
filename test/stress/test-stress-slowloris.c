/* Slowloris: many connections each trickle a request head one byte at a
 * time and never finish it. With headersTimeout 600 ms (checked every
 * 100 ms) the server cuts every one of them (Node 20 answers 408 with
 * Connection: close, then closes), the trickle not renewing the time, while
 * a normal client that comes in the middle of the attack is served. */
#include "stress.h"

#define SLOW 64

static const char slow_head[] = "GET /slow HTTP/1.1\r\nHost: h\r\nX-A: ";
static const char timeout_reply[] =
    "HTTP/1.1 408 Request Timeout\r\n"
    "Connection: close\r\n\r\n";

TEST(slowloris) {
  lode_http_server_opts_t o = {
    .headers_timeout = 600,
    .request_timeout = 1200,
    .connections_checking_interval = 100,
  };
  stress_server_t s;
  stress_server_start(&s, &o, -1);
  int fds[SLOW], open = SLOW, with_408 = 0;
  char got[SLOW][128];
  size_t got_len[SLOW] = { 0 };
  for (int i = 0; i < SLOW; i++) {
    fds[i] = stress_connect(s.port);
    ASSERT_GE(fds[i], 0);
    stress_send(fds[i], slow_head, strlen(slow_head));
  }
  /* Served in the middle of the attack. */
  static const char ok[] = "GET / HTTP/1.1\r\nHost: h\r\n\r\n";
  ASSERT_EQ(stress_exchange(s.port, ok, strlen(ok)), 200);
  /* One more byte to each slow client every 20 ms until all are cut: the
   * server closing is the event waited for; the deadline fails a hang. */
  long end = stress_now_ms() + 20000;
  while (open > 0) {
    if (stress_now_ms() > end)
      test_fail(__FILE__, __LINE__, "%d slow clients still connected", open);
    struct pollfd p[SLOW];
    for (int i = 0; i < SLOW; i++)
      p[i] = (struct pollfd){ .fd = fds[i], .events = POLLIN };
    if (poll(p, SLOW, 20) == 0) {
      for (int i = 0; i < SLOW; i++)
        if (fds[i] >= 0)
          stress_send(fds[i], "a", 1);
      continue;
    }
    for (int i = 0; i < SLOW; i++) {
      if (fds[i] < 0 || p[i].revents == 0)
        continue;
      char* to = got[i] + got_len[i];
      size_t room = sizeof(got[i]) - got_len[i];
      ssize_t n = recv(fds[i], to, room, 0);
      if (n > 0 && room > 0) {
        got_len[i] += (size_t) n;
        continue;
      }
      /* Closed: the end of stream, or a reset when a trickled byte met
       * the closed socket. */
      close(fds[i]);
      fds[i] = -1;
      open--;
      /* What came is the 408, or the start of it when a reset cut it. */
      ASSERT_LE(got_len[i], strlen(timeout_reply));
      ASSERT_MEM_EQ(got[i], got_len[i], timeout_reply, got_len[i]);
      if (got_len[i] == strlen(timeout_reply))
        with_408++;
    }
  }
  /* Some may have been reset before reading their 408 (a trickled byte
   * crossed it); at least one saw it whole. */
  ASSERT_GT(with_408, 0);
  ASSERT_EQ(atomic_load(&s.requests), 1);
  /* The server still serves after the attack. */
  ASSERT_EQ(stress_exchange(s.port, ok, strlen(ok)), 200);
  stress_server_stop(&s);
}

/* Clients that go with a head half sent leave the parser each held: at
 * most setMaxIdleHTTPParsers of them stay for later connections (here 4),
 * not one for every client gone. */
TEST(abandoned_heads_keep_few_parsers) {
  ASSERT_OK(lode_http_set_max_idle_http_parsers(4));
  stress_server_t s;
  stress_server_start(&s, NULL, -1);
  int fds_at_start = stress_fd_count(); /* no connection yet */
  static const char ok[] = "GET / HTTP/1.1\r\nHost: h\r\n\r\n";
  ASSERT_EQ(stress_exchange(s.port, ok, strlen(ok)), 200);
  stress_wait_fds(fds_at_start, 10000); /* its connection is gone too */
  size_t before = test_heap_in_use();
  int fds[SLOW];
  for (int i = 0; i < SLOW; i++) {
    fds[i] = stress_connect(s.port);
    ASSERT_GE(fds[i], 0);
    stress_send(fds[i], slow_head, strlen(slow_head));
  }
  /* Served after them, so their heads have been read (and each took a
   * parser) by the time it is answered. */
  ASSERT_EQ(stress_exchange(s.port, ok, strlen(ok)), 200);
  for (int i = 0; i < SLOW; i++)
    close(fds[i]);
  /* The server has closed its side of every one (and of the request
   * served after them); one more request, and its connection gone, make
   * sure the last of them was freed after its descriptor was closed. */
  stress_wait_fds(fds_at_start, 10000);
  ASSERT_EQ(stress_exchange(s.port, ok, strlen(ok)), 200);
  stress_wait_fds(fds_at_start, 10000);
  size_t after = test_heap_in_use();
  /* 64 parsers are over 128 KB; four, a connection still closing and
   * the pools' messages, well under 32 KB. */
  ASSERT_LT(after > before ? after - before : 0, 32 * 1024);
  stress_server_stop(&s);
  ASSERT_OK(lode_http_set_max_idle_http_parsers(1000));
}

TEST_MAIN(slowloris, abandoned_heads_keep_few_parsers)
