/* Many connections at once on one server: good clients (each echoing its
 * own bytes) mixed with clients that send garbage, end mid-handshake or
 * fail verification. Every good one gets its echo, every bad one fails
 * alone, and nothing is left (LeakSanitizer, no handle open). */
#include "tls-test.h"

#define GOOD 120
#define BAD 60

static uv_loop_t loop;
static lode_tls_server_t* server;
static int port;
static int good_done, bad_done, client_errors, secure_connections;

static void maybe_stop(void) {
  if (good_done + bad_done == GOOD + BAD)
    ASSERT_OK(lode_tls_server_close(server, NULL, NULL));
}

/* ---- The server echoes ---- */

static void s_secure(lode_tls_server_t* srv, lode_tls_socket_t* t) {
  secure_connections++;
}
static void s_client_error(lode_tls_server_t* srv, const lode_error_t* e,
                           lode_tls_socket_t* t) {
  client_errors++;
}
static const lode_tls_server_events_t server_events = {
  .on_secure_connection = s_secure,
  .on_tls_client_error = s_client_error,
};

/* ---- Good clients: each sends 3000 bytes of its own ---- */

typedef struct {
  int id;
  size_t got;
} good_t;

static char pattern(int id, size_t i) {
  return (char) (id * 31 + i * 7);
}

static void g_secure(lode_tls_socket_t* t) {
  good_t* g = lode_tls_socket_get_data(t);
  char buf[3000];
  for (size_t i = 0; i < sizeof(buf); i++)
    buf[i] = pattern(g->id, i);
  lode_tls_socket_write(t, (lode_slice_t){ buf, sizeof(buf) }, NULL, NULL);
  lode_tls_socket_end(t, NULL, NULL);
}
static void g_data(lode_tls_socket_t* t, lode_slice_t d) {
  good_t* g = lode_tls_socket_get_data(t);
  for (size_t i = 0; i < d.len; i++)
    ASSERT_EQ(d.base[i], pattern(g->id, g->got + i));
  g->got += d.len;
}
static void g_close(lode_tls_socket_t* t, int had_error) {
  good_t* g = lode_tls_socket_get_data(t);
  ASSERT_EQ(had_error, 0);
  ASSERT_EQ(g->got, 3000);
  free(g);
  good_done++;
  maybe_stop();
}
static const lode_tls_socket_events_t good_events = {
  .on_secure_connect = g_secure,
  .on_data = g_data,
  .on_close = g_close,
};

/* ---- Bad clients: garbage, a cut hello, an untrusting client ---- */

static const char hello_start[] = { 0x16, 3, 1, 0, (char) 200, 1, 0, 0 };

static void raw_connect(lode_socket_t* s) {
  intptr_t kind = (intptr_t) lode_socket_get_data(s);
  if (kind == 0)
    lode_socket_write(s, LODE_SLICE("GET / HTTP/1.1\r\n\r\n"), NULL, NULL);
  else
    lode_socket_write(s, (lode_slice_t){ hello_start, sizeof(hello_start) },
                      NULL, NULL);
  if (kind == 1)
    lode_socket_end(s, (lode_slice_t){ NULL, 0 }, NULL, NULL);
}
static void raw_close(lode_socket_t* s, int had_error) {
  bad_done++;
  maybe_stop();
}
static const lode_socket_events_t raw_events = {
  .on_connect = raw_connect,
  .on_close = raw_close,
};
static void untrusting_close(lode_tls_socket_t* t, int had_error) {
  ASSERT_EQ(had_error, 1);
  bad_done++;
  maybe_stop();
}
static const lode_tls_socket_events_t untrusting_events = {
  .on_close = untrusting_close,
};

TEST(many_at_once) {
  ASSERT_OK(uv_loop_init(&loop));
  lode_tls_server_opts_t o = tls_server_opts("server-ec", tls_echo_events());
  server = tls_listen(&loop, &o, &server_events, &port);
  lode_socket_opts_t n = { .port = port, .host = "127.0.0.1" };
  lode_tls_context_opts_t co = { .ca = tls_file("ca.crt") };
  lode_tls_context_t* ctx; /* one context for every good client */
  ASSERT_OK(lode_tls_create_secure_context(&co, &ctx, NULL));
  for (int i = 0; i < GOOD + BAD; i++) {
    if (i % 3 == 2) { /* every third is bad, in three kinds */
      int kind = (i / 3) % 3;
      if (kind < 2) {
        lode_socket_t* s;
        ASSERT_OK(lode_net_connect(&loop, &n, &raw_events, &s));
        lode_socket_set_data(s, (void*) (intptr_t) kind);
      } else {
        lode_tls_socket_t* t; /* trusts nothing: the system store */
        ASSERT_OK(
            lode_tls_connect(&loop, &n, NULL, &untrusting_events, &t, NULL));
      }
      continue;
    }
    lode_tls_opts_t to = { .secure_context = ctx, .host = "localhost" };
    lode_tls_socket_t* t;
    ASSERT_OK(lode_tls_connect(&loop, &n, &to, &good_events, &t, NULL));
    good_t* g = calloc(1, sizeof(*g));
    g->id = i;
    lode_tls_socket_set_data(t, g);
  }
  lode_tls_context_release(ctx); /* the sockets hold it */
  test_run_loop(&loop, 60000);
  test_loop_close(&loop);
  ASSERT_EQ(good_done, GOOD);
  ASSERT_EQ(bad_done, BAD);
  ASSERT_EQ(secure_connections, GOOD);
  ASSERT_EQ(client_errors, BAD);
}

TEST_MAIN(many_at_once)
