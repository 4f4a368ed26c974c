/* The set of open connections (npm ws's wss.clients), the broadcast over
 * it, and the drain event: membership from just before on_open to just
 * before on_close, in join order; broadcast to lode clients over the pair
 * with every permessage-deflate variant (shared and own compression); on_drain
 * at the default mark and at a set one; and 100 npm ws clients in one
 * Node process, one of which stops reading: the others get every message,
 * the slow one is skipped once over the limit (its buffer stays bounded),
 * and on_drain comes when it reads again. */
#include <sys/socket.h>
#include <netinet/in.h>
#include <unistd.h>
#include "lode/net.h"
#include "test.h"
#include "ws/internal.h"

/* --- Membership over the in-memory pair ---------------------------------- */

#define NPAIRS 3
#define NB 7

static lode_websocket_clients_t* set;
static lode_websocket_t* servers[NB];
static lode_websocket_t* clients[NB];

static int index_of(lode_websocket_t* const* v, lode_websocket_t* ws) {
  for (int i = 0; i < NB; i++)
    if (v[i] == ws)
      return i;
  return -1;
}

/* The members, in order, as "s0 s1 ...". */
static const char* members(void) {
  static char buf[64];
  size_t n = 0;
  buf[0] = '\0';
  for (lode_websocket_t* ws = lode_websocket_clients_next(set, NULL);
       ws != NULL; ws = lode_websocket_clients_next(set, ws))
    n += (size_t) snprintf(buf + n, sizeof(buf) - n, "%ss%d", n ? " " : "",
                           index_of(servers, ws));
  return buf;
}

static void m_open(lode_websocket_t* ws) {
  int s = index_of(servers, ws);
  if (s < 0) {
    test_trace("c%d-open", index_of(clients, ws));
    return;
  }
  test_trace("s%d-open(size %zu, has %d, [%s])", s,
             lode_websocket_clients_size(set),
             lode_websocket_clients_has(set, ws), members());
}

static void m_close(lode_websocket_t* ws, int clean, int code,
                    lode_slice_t reason) {
  int s = index_of(servers, ws);
  if (s < 0) {
    test_trace("c%d-close(%d)", index_of(clients, ws), code);
    /* The next client goes once this one is gone: closes in order. */
    int c = index_of(clients, ws) + 1;
    if (c < NPAIRS)
      lode_websocket_close(clients[c], LODE_WEBSOCKET_CLOSE_NORMAL,
                           LODE_SLICE(""));
    return;
  }
  test_trace("s%d-close(%d, size %zu, has %d, [%s])", s, code,
             lode_websocket_clients_size(set),
             lode_websocket_clients_has(set, ws), members());
}

static int nopen;
static void m_open_then_close(lode_websocket_t* ws) {
  m_open(ws);
  if (index_of(servers, ws) < 0 && ++nopen == NPAIRS)
    lode_websocket_close(clients[0], LODE_WEBSOCKET_CLOSE_NORMAL,
                         LODE_SLICE(""));
}

static const lode_websocket_events_t m_events = {
  .on_open = m_open_then_close,
  .on_close = m_close,
};

/* A lode client on `a` for a lode server on `b`. */
static void pair_up(uv_loop_t* loop, const lode_websocket_opts_t* so,
                    const lode_websocket_opts_t* co,
                    const lode_websocket_events_t* ev, int i) {
  lode_stream_t *a, *b;
  ASSERT_OK(lode_stream_pair(loop, &a, &b));
  ASSERT_OK(lode_websocket_serve(b, so, ev, &servers[i]));
  lode_websocket_opts_t o = co != NULL ? *co : (lode_websocket_opts_t){ 0 };
  o.stream = a;
  ASSERT_OK(
      lode_websocket_create(loop, "ws://h/", NULL, 0, &o, ev, &clients[i]));
}

TEST(membership) {
  uv_loop_t loop;
  ASSERT_OK(uv_loop_init(&loop));
  test_trace_reset();
  ASSERT_OK(lode_websocket_clients_create(&set));
  ASSERT_EQ(lode_websocket_clients_size(set), 0);
  ASSERT_NULL(lode_websocket_clients_next(set, NULL));
  lode_websocket_opts_t so = { .clients = set };
  nopen = 0;
  for (int i = 0; i < NPAIRS; i++)
    pair_up(&loop, &so, NULL, &m_events, i);
  /* Not members before they open. */
  ASSERT_EQ(lode_websocket_clients_size(set), 0);
  ASSERT_EQ(lode_websocket_clients_has(set, servers[0]), 0);
  /* The connections hold the set: ours may go now. */
  lode_websocket_clients_t* s = set;
  lode_websocket_clients_hold(s);
  lode_websocket_clients_release(s);
  test_run_loop(&loop, 10000);
  /* The pairs run last made first; members stay in the order they
   * joined, and one that closes has left before its on_close. */
  ASSERT_TRACE(
      "s2-open(size 1, has 1, [s2]),c2-open,"
      "s1-open(size 2, has 1, [s2 s1]),c1-open,"
      "s0-open(size 3, has 1, [s2 s1 s0]),c0-open,"
      "c0-close(1000),s0-close(1000, size 2, has 0, [s2 s1]),"
      "c1-close(1000),s1-close(1000, size 1, has 0, [s2]),"
      "c2-close(1000),s2-close(1000, size 0, has 0, [])");
  ASSERT_EQ(lode_websocket_clients_size(set), 0);
  lode_websocket_clients_release(set);
  test_loop_close(&loop);
}

/* A server closed between accept and on_open never joins (npm ws adds it
 * before 'connection'; lode has no open to add it at), and a client may
 * use a set too. */
static void never_open(lode_websocket_t* ws) {
  test_trace("open");
}
static void never_close(lode_websocket_t* ws, int clean, int code,
                        lode_slice_t reason) {
  test_trace("close(size %zu)", lode_websocket_clients_size(set));
}
static const lode_websocket_events_t never_events = {
  .on_open = never_open,
  .on_close = never_close,
};

TEST(closed_before_open_never_joins) {
  uv_loop_t loop;
  lode_stream_t *a, *b;
  lode_websocket_t* ws;
  static const lode_slice_t headers[] = {
    LODE_SLICE("Upgrade"),
    LODE_SLICE("websocket"),
    LODE_SLICE("Connection"),
    LODE_SLICE("Upgrade"),
    LODE_SLICE("Sec-WebSocket-Key"),
    LODE_SLICE("dGhlIHNhbXBsZSBub25jZQ=="),
    LODE_SLICE("Sec-WebSocket-Version"),
    LODE_SLICE("13"),
  };
  lode_websocket_request_t req = {
    LODE_SLICE("GET"), LODE_SLICE("/"), 1, 1, headers, 8
  };
  ASSERT_OK(uv_loop_init(&loop));
  test_trace_reset();
  ASSERT_OK(lode_websocket_clients_create(&set));
  ASSERT_OK(lode_stream_pair(&loop, &a, &b));
  lode_websocket_opts_t so = { .clients = set, .close_timeout = 50 };
  ASSERT_OK(
      lode_websocket_accept(a, &req, LODE_SLICE(""), &so, &never_events, &ws));
  ASSERT_OK(
      lode_websocket_close(ws, LODE_WEBSOCKET_CLOSE_NORMAL, LODE_SLICE("")));
  lode_stream_destroy(b, NULL);
  lode_websocket_clients_release(set); /* ws holds it */
  test_run_loop(&loop, 10000);
  ASSERT_TRACE("close(size 0)");
  test_loop_close(&loop);
}

/* --- Broadcast over the pair, with each deflate variant ------------------- */

#define NMSG 3
static char text[NMSG][3000];
static char private_text[3000];
static int got[NB];
static int got_private;

static void b_message(lode_websocket_t* ws, lode_slice_t d, int bin) {
  int c = index_of(clients, ws);
  ASSERT(c >= 0);
  ASSERT_EQ(bin, 0);
  if (c == NB - 1 && !got_private) {
    ASSERT_MEM_EQ(d.base, d.len, private_text, sizeof(private_text));
    got_private = 1;
    return;
  }
  ASSERT_MEM_EQ(d.base, d.len, text[got[c]], sizeof(text[0]));
  if (++got[c] == NMSG)
    lode_websocket_close(ws, LODE_WEBSOCKET_CLOSE_NORMAL, LODE_SLICE(""));
}

static int bopen;
static void b_open(lode_websocket_t* ws) {
  if (index_of(clients, ws) < 0 || ++bopen < NB)
    return;
  size_t skipped = 7;
  /* The last server's compressor alone has seen this: the broadcasts that follow
   * refer back to it there, and must not elsewhere. */
  ASSERT_OK(lode_websocket_send_text(
      servers[NB - 1], (lode_slice_t){ private_text, sizeof(private_text) }));
  /* Client 0 is the sender: not sent to. */
  for (int k = 0; k < NMSG; k++) {
    ASSERT_EQ(lode_websocket_clients_broadcast_text(
                  set, (lode_slice_t){ text[k], sizeof(text[k]) }, SIZE_MAX,
                  servers[0], &skipped),
              NB - 1);
    ASSERT_EQ(skipped, 0);
  }
  lode_websocket_close(clients[0], LODE_WEBSOCKET_CLOSE_NORMAL, LODE_SLICE(""));
}

static void b_close(lode_websocket_t* ws, int clean, int code,
                    lode_slice_t reason) {
  int c = index_of(clients, ws);
  if (c >= 0)
    test_trace("c%d(%d,%d)", c, got[c], clean);
}

static const lode_websocket_events_t b_events = {
  .on_open = b_open,
  .on_message = b_message,
  .on_close = b_close,
};

/* Plain (the sender, left out, and another), deflate without context
 * takeover at 9 bits (twice: one compression shared) and at 15, and with
 * it (twice: each keeps its own stream, and only the last has seen a
 * private message). The last joined first (the pairs run last made
 * first), so its frame is the first made at 15 bits. The messages are nearly
 * the same random text, so a compressor that keeps its context refers to
 * earlier ones, and a frame shared where it must not be fails to inflate
 * or inflates wrong. */
TEST(broadcast_deflate_variants) {
  uv_loop_t loop;
  ASSERT_OK(uv_loop_init(&loop));
  test_trace_reset();
  uint32_t seed = 12345;
  for (size_t i = 0; i < sizeof(private_text); i++) {
    seed = seed * 1103515245 + 12345;
    private_text[i] = (char) ('a' + (seed >> 16) % 26);
  }
  for (int k = 0; k < NMSG; k++) {
    memcpy(text[k], private_text, sizeof(text[k]));
    text[k][0] = (char) ('0' + k);
  }
  got_private = 0;
  ASSERT_OK(lode_websocket_clients_create(&set));
  lode_websocket_opts_t so[NB] = {
    { .per_message_deflate = -1 },
    { .per_message_deflate = -1 },
    { .per_message_deflate = 1,
      .server_no_context_takeover = 1,
      .server_max_window_bits = 9 },
    { .per_message_deflate = 1,
      .server_no_context_takeover = 1,
      .server_max_window_bits = 9 },
    { .per_message_deflate = 1, .server_no_context_takeover = 1 },
    { .per_message_deflate = 1 },
    { .per_message_deflate = 1 },
  };
  bopen = 0;
  memset(got, 0, sizeof(got));
  for (int i = 0; i < NB; i++) {
    so[i].clients = set;
    pair_up(&loop, &so[i], NULL, &b_events, i);
  }
  test_run_loop(&loop, 10000);
  ASSERT_TRACE("c0(0,1),c6(3,1),c5(3,1),c4(3,1),c3(3,1),c2(3,1),c1(3,1)");
  ASSERT_EQ(lode_websocket_clients_size(set), 0);
  lode_websocket_clients_release(set);
  test_loop_close(&loop);
}

TEST(broadcast_arguments) {
  size_t skipped = 7;
  ASSERT_OK(lode_websocket_clients_create(&set));
  ASSERT_EQ(lode_websocket_clients_broadcast_text(NULL, LODE_SLICE("x"), 0,
                                                  NULL, &skipped),
            UV_EINVAL);
  ASSERT_EQ(lode_websocket_clients_broadcast_text(set, LODE_SLICE("\xff"), 0,
                                                  NULL, NULL),
            LODE_ERR_WS_SYNTAX);
  ASSERT_EQ(lode_websocket_clients_broadcast_binary(
                set, (lode_slice_t){ NULL, 1 }, 0, NULL, NULL),
            LODE_ERR_STREAM_NULL_VALUES);
  ASSERT_EQ(lode_websocket_clients_broadcast_binary(set, LODE_SLICE("\xff"), 0,
                                                    NULL, &skipped),
            0);
  ASSERT_EQ(skipped, 0);
  ASSERT_EQ(lode_websocket_clients_create(NULL), UV_EINVAL);
  ASSERT_EQ(lode_websocket_clients_size(NULL), 0);
  lode_websocket_clients_release(NULL);
  lode_websocket_clients_release(set);
}

/* --- Drain over the pair ------------------------------------------------- */

static lode_stream_t* client_side;
static char chunk[3000];
static int dgot;

static void d_open(lode_websocket_t* ws) {
  if (index_of(servers, ws) != 0)
    return;
  /* The client reads nothing yet: every message stays buffered. */
  lode_stream_pause(client_side);
  for (int k = 0; k < 3; k++)
    ASSERT_OK(
        lode_websocket_send_binary(ws, (lode_slice_t){ chunk, sizeof(chunk) }));
  test_trace("sent(%zu)", lode_websocket_buffered_amount(ws));
  lode_stream_resume(client_side);
}

static void d_message(lode_websocket_t* ws, lode_slice_t d, int bin) {
  test_trace("c-msg");
  if (++dgot == 3)
    lode_websocket_close(ws, LODE_WEBSOCKET_CLOSE_NORMAL, LODE_SLICE(""));
}

static void d_drain(lode_websocket_t* ws) {
  test_trace("s-drain(%zu)", lode_websocket_buffered_amount(ws));
}

static const lode_websocket_events_t d_events = {
  .on_open = d_open,
  .on_message = d_message,
  .on_drain = d_drain,
};

static const char* drain_with(size_t mark) {
  uv_loop_t loop;
  lode_stream_t *a, *b;
  ASSERT_OK(uv_loop_init(&loop));
  test_trace_reset();
  dgot = 0;
  ASSERT_OK(lode_stream_pair(&loop, &a, &b));
  client_side = a;
  lode_websocket_opts_t so = { .drain_mark = mark };
  ASSERT_OK(lode_websocket_serve(b, &so, &d_events, &servers[0]));
  lode_websocket_opts_t co = { .stream = a };
  ASSERT_OK(lode_websocket_create(&loop, "ws://h/", NULL, 0, &co, &d_events,
                                  &clients[0]));
  test_run_loop(&loop, 10000);
  test_loop_close(&loop);
  return test_trace_get();
}

TEST(drain_marks) {
  /* Default: all written. */
  ASSERT_STR_EQ(drain_with(0), "sent(9000),c-msg,c-msg,c-msg,s-drain(0)");
  /* Back to 5000 or less: once, after the second message. */
  ASSERT_STR_EQ(drain_with(5000), "sent(9000),c-msg,c-msg,s-drain(3000),c-msg");
  /* Never over the mark: no drain. */
  ASSERT_STR_EQ(drain_with(9000), "sent(9000),c-msg,c-msg,c-msg");
}

/* --- 100 npm ws clients, one of which stops reading ---------------------- */

#define NCLIENTS 100
#define MSG (16 << 10)
#define LIMIT (64 << 10)

static uv_loop_t loop;
static lode_server_t* server;
static lode_websocket_t* slow;
static int nhello, round_no, acks, slow_rounds, skip_rounds, resumed;
static int early_drains;
static size_t slow_max_buffered;
static uint8_t msg[MSG];

static void next_round(void) {
  round_no++;
  acks = 0;
  for (size_t i = 0; i < MSG; i++)
    msg[i] = (uint8_t) (round_no * 31 + (int) i);
  size_t skipped = 7;
  int sent = lode_websocket_clients_broadcast_binary(
      set, (lode_slice_t){ (const char*) msg, MSG }, LIMIT, NULL, &skipped);
  ASSERT_EQ((size_t) sent + skipped, NCLIENTS);
  size_t b = lode_websocket_buffered_amount(slow);
  if (b > slow_max_buffered)
    slow_max_buffered = b;
  if (skipped == 0) {
    ASSERT_EQ(skip_rounds, 0); /* once skipped, skipped until it reads */
    slow_rounds++;
    return;
  }
  /* Only the slow one, only once over the limit. */
  ASSERT_EQ(skipped, 1);
  ASSERT_GT(b, LIMIT);
  if (skip_rounds++ == 0)
    test_trace("first-skip");
}

static void big_open(lode_websocket_t* ws) {
  ASSERT_EQ(lode_websocket_clients_size(set), (size_t) ++nopen);
  ASSERT(lode_websocket_clients_has(set, ws));
  if (nopen == NCLIENTS)
    test_trace("all-open");
}

static void big_message(lode_websocket_t* ws, lode_slice_t d, int bin) {
  ASSERT_EQ(bin, 0);
  if (d.len > 6 && memcmp(d.base, "hello ", 6) == 0) {
    if (d.len == 10 && memcmp(d.base, "hello slow", 10) == 0)
      slow = ws;
    if (++nhello == NCLIENTS)
      next_round();
    return;
  }
  char ack[16];
  ASSERT(d.len > 4 && d.len < sizeof(ack) && memcmp(d.base, "ack ", 4) == 0);
  snprintf(ack, sizeof(ack), "%.*s", (int) d.len - 4, d.base + 4);
  ASSERT_EQ(atoi(ack), round_no);
  if (++acks < NCLIENTS - 1)
    return;
  if (skip_rounds < 3) {
    next_round();
    return;
  }
  /* Any fast client makes the slow one read again. */
  test_trace("resume");
  resumed = 1;
  ASSERT_OK(lode_websocket_send_text(ws, LODE_SLICE("resume")));
}

/* Any member drains whenever its kernel buffer took a message only in
 * part; the slow one's drain after it reads again is the one traced. */
static void big_drain(lode_websocket_t* ws) {
  if (ws != slow || !resumed) {
    early_drains++;
    return;
  }
  test_trace("slow-drain(%zu)", lode_websocket_buffered_amount(ws));
  for (lode_websocket_t* m = lode_websocket_clients_next(set, NULL); m != NULL;
       m = lode_websocket_clients_next(set, m))
    ASSERT_OK(lode_websocket_close(m, LODE_WEBSOCKET_CLOSE_NORMAL,
                                   LODE_SLICE("bye")));
}

static void big_close(lode_websocket_t* ws, int clean, int code,
                      lode_slice_t reason) {
  ASSERT_EQ(clean, 1);
  ASSERT(!lode_websocket_clients_has(set, ws));
  if (lode_websocket_clients_size(set) > 0)
    return;
  test_trace("all-closed");
  lode_server_close(server, NULL, NULL);
}

static const lode_websocket_events_t big_events = {
  .on_open = big_open,
  .on_message = big_message,
  .on_drain = big_drain,
  .on_close = big_close,
};

static void big_connection(lode_server_t* srv, lode_socket_t* s) {
  lode_websocket_t* ws;
  lode_websocket_opts_t o = { .clients = set };
  ASSERT_OK(lode_websocket_serve(lode_socket_stream(s), &o, &big_events, &ws));
}

static const lode_server_events_t big_server_events = {
  .on_connection = big_connection,
};

/* The listening socket's small send buffer passes to every accepted
 * one, so the slow client's kernel buffers fill after a few hundred KiB
 * and lode's own queue comes into play soon. */
static int small_buffer_listener(void) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT(fd >= 0);
  int size = 16384;
  ASSERT_OK(setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size)));
  struct sockaddr_in a = { .sin_family = AF_INET,
                           .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
  ASSERT_OK(bind(fd, (struct sockaddr*) &a, sizeof(a)));
  return fd;
}

TEST(broadcast_100_with_one_slow) {
  ASSERT_OK(uv_loop_init(&loop));
  test_trace_reset();
  nopen = nhello = round_no = slow_rounds = skip_rounds = resumed = 0;
  early_drains = 0;
  slow_max_buffered = 0;
  slow = NULL;
  ASSERT_OK(lode_websocket_clients_create(&set));
  ASSERT_OK(lode_net_create_server(&loop, NULL, &big_server_events, &server));
  ASSERT_OK(
      lode_server_listen_fd(server, small_buffer_listener(), 511, NULL, NULL));
  lode_net_address_t addr;
  ASSERT_OK(lode_server_address(server, &addr));
  char url[64], n[8];
  snprintf(url, sizeof(url), "ws://127.0.0.1:%d/", addr.port);
  snprintf(n, sizeof(n), "%d", NCLIENTS);
  const char* argv[] = { "node", "test/peers/ws-broadcast-clients.js", url, n,
                         NULL };
  test_peer_t* p = test_peer_start(argv);
  test_run_loop(&loop, 100000);
  test_loop_close(&loop);
  char* out = NULL;
  ASSERT_EQ(test_peer_finish(p, 10000, &out), 0);
  ASSERT_TRACE("all-open,first-skip,resume,slow-drain(0),all-closed");
  /* Every fast client got every round; the slow one those before its
   * first skip, then its buffer held at most one message over the limit. */
  char want[256];
  snprintf(want, sizeof(want),
           "fast %d rounds %d bad 0\nslow rounds %d\n"
           "closes %d\n",
           NCLIENTS - 1, round_no, slow_rounds, NCLIENTS);
  ASSERT_STR_EQ(out, want);
  free(out);
  ASSERT_EQ(round_no, slow_rounds + 3);
  ASSERT_LE(slow_max_buffered, LIMIT + MSG);
  fprintf(stderr, "rounds %d, slow skipped after %d, other drains %d\n",
          round_no, slow_rounds, early_drains);
  lode_websocket_clients_release(set);
}

TEST_MAIN(membership, closed_before_open_never_joins,
          broadcast_deflate_variants, broadcast_arguments, drain_marks,
          broadcast_100_with_one_slow)
