/* The error space: names, Node's messages, and the error object's forms. */
#include "lode.h"
#include "test.h"

TEST(names) {
  ASSERT_STR_EQ(lode_err_name(UV_ECONNREFUSED), "ECONNREFUSED");
  ASSERT_STR_EQ(lode_err_name(UV_EAI_NONAME), "EAI_NONAME");
  ASSERT_STR_EQ(lode_err_name(LODE_ERR_SERVER_NOT_RUNNING),
                "ERR_SERVER_NOT_RUNNING");
  ASSERT_STR_EQ(lode_err_name(LODE_HPE_HEADER_OVERFLOW), "HPE_HEADER_OVERFLOW");
  ASSERT_STR_EQ(lode_err_name(-5555), "UNKNOWN");
  ASSERT_STR_EQ(lode_strerror(LODE_ERR_STREAM_WRITE_AFTER_END),
                "write after end");
  ASSERT_STR_EQ(lode_strerror(UV_EADDRINUSE), "address already in use");
}

TEST(sys_messages) {
  lode_error_t e;
  lode_error_init_sys(&e, UV_ECONNREFUSED, "connect", "127.0.0.1", 8080);
  ASSERT_STR_EQ(e.message, "connect ECONNREFUSED 127.0.0.1:8080");
  ASSERT_EQ(e.port, 8080);
  ASSERT_STR_EQ(e.address, "127.0.0.1");
  lode_error_init_uv(&e, UV_EADDRINUSE, "listen", "::", 80);
  ASSERT_STR_EQ(e.message, "listen EADDRINUSE: address already in use :::80");
  lode_error_init_sys(&e, UV_ECONNREFUSED, "connect", "/tmp/x.sock", 0);
  ASSERT_STR_EQ(e.message, "connect ECONNREFUSED /tmp/x.sock");
  ASSERT_EQ(e.port, -1);
}

TEST(copy) {
  lode_error_t e, parts[2];
  lode_error_init_sys(&parts[0], UV_ECONNREFUSED, "connect", "::1", 1);
  lode_error_init_sys(&parts[1], UV_ETIMEDOUT, "connect", "127.0.0.1", 1);
  lode_error_init(&e, LODE_HPE_INVALID_METHOD);
  e.raw_packet = LODE_SLICE("BAD / HTTP/1.1");
  e.errors = parts;
  e.nerrors = 2;
  lode_error_t* c = lode_error_copy(&e);
  ASSERT_NOT_NULL(c);
  ASSERT_STR_EQ(c->message, "Invalid method encountered");
  ASSERT_MEM_EQ(c->raw_packet.base, c->raw_packet.len, "BAD / HTTP/1.1", 14);
  ASSERT_STR_EQ(c->errors[1].message, "connect ETIMEDOUT 127.0.0.1:1");
  ASSERT_STR_EQ(c->errors[0].address, "::1");
  lode_error_free(c);
}

TEST_MAIN(names, sys_messages, copy)
