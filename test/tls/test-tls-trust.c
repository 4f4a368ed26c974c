/* The system trust store: loaded once per process, on the first
 * connection that verifies against it, shared by every context without
 * `ca`; never by making a context or by a server that asks no client for
 * a certificate. `ca` replaces it. Counted through the loader's counter. */
#include "tls-test.h"
#include "tls/internal.h"

static uv_loop_t loop;
static lode_tls_server_t* server;
static int port, closed;
static unsigned loads_at_secure[3];
static int authorized[3];
static char auth_error[3][64];

static void start(int i);

static void c_secure(lode_tls_socket_t* t) {
  int i = (int) (intptr_t) lode_tls_socket_get_data(t);
  loads_at_secure[i] = lode__tls_system_store_loads();
  authorized[i] = lode_tls_socket_authorized(t);
  const char* e = lode_tls_socket_authorization_error(t);
  snprintf(auth_error[i], sizeof(auth_error[i]), "%s", e ? e : "");
  lode_tls_socket_destroy(t, NULL);
}

static void c_close(lode_tls_socket_t* t, int had_error) {
  int i = (int) (intptr_t) lode_tls_socket_get_data(t);
  ASSERT_EQ(had_error, 0);
  closed++;
  if (i < 2)
    start(i + 1);
  else
    ASSERT_OK(lode_tls_server_close(server, NULL, NULL));
}

static const lode_tls_socket_events_t client_events = {
  .on_secure_connect = c_secure,
  .on_close = c_close,
};

/* Client 0 trusts only the test CA (its `ca` replaces the system store,
 * which is not loaded for it); clients 1 and 2 the system store, which
 * does not hold the test CA. */
static void start(int i) {
  lode_socket_opts_t n = { .port = port, .host = "127.0.0.1" };
  lode_tls_opts_t to = { .host = "localhost", .reject_unauthorized = -1 };
  if (i == 0)
    to.context.ca = tls_file("ca.crt");
  lode_tls_socket_t* t;
  ASSERT_OK(lode_tls_connect(&loop, &n, &to, &client_events, &t, NULL));
  lode_tls_socket_set_data(t, (void*) (intptr_t) i);
}

TEST(system_store_loaded_once_when_verifying) {
  ASSERT_EQ(lode__tls_system_store_loads(), 0);
  lode_tls_context_t* a;
  lode_tls_context_t* b;
  ASSERT_OK(lode_tls_create_secure_context(NULL, &a, NULL));
  ASSERT_OK(lode_tls_create_secure_context(NULL, &b, NULL));
  lode_tls_context_release(a);
  lode_tls_context_release(b);
  ASSERT_EQ(lode__tls_system_store_loads(), 0);

  ASSERT_OK(uv_loop_init(&loop));
  lode_tls_server_opts_t o = tls_server_opts("server-ec", tls_echo_events());
  server = tls_listen(&loop, &o, NULL, &port);
  start(0);
  test_run_loop(&loop, 30000);
  test_loop_close(&loop);
  ASSERT_EQ(closed, 3);
  /* Neither the server, which verifies no client, nor the client with
   * `ca` loaded it; the first client without `ca` did, the next shared
   * it. */
  ASSERT_EQ(loads_at_secure[0], 0);
  ASSERT_EQ(loads_at_secure[1], 1);
  ASSERT_EQ(loads_at_secure[2], 1);
  ASSERT_EQ(authorized[0], 1);
  ASSERT_STR_EQ(auth_error[0], "");
  ASSERT_EQ(authorized[1], 0);
  ASSERT_STR_EQ(auth_error[1], "UNABLE_TO_VERIFY_LEAF_SIGNATURE");
  ASSERT_EQ(authorized[2], 0);
  ASSERT_STR_EQ(auth_error[2], "UNABLE_TO_VERIFY_LEAF_SIGNATURE");
  ASSERT_EQ(lode__tls_system_store(), lode__tls_system_store());
  ASSERT_EQ(lode__tls_system_store_loads(), 1);
}

TEST_MAIN(system_store_loaded_once_when_verifying)
