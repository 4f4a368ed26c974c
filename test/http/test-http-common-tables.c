/* http.METHODS, http.STATUS_CODES, validateHeaderName/Value and
 * maxHeaderSize, compared with what Node 20 prints for the same inputs. */
#include <string.h>

#include "lode.h"
#include "test.h"

static const char* const names[] = {
  "Content-Type", "x",    "",    "a b", "a:b", "ok!#$%&'*+-.^_`|~",
  "\xe9",         "a\tb", "(x)", "X-Y", "a/b", "a\"b",
};
static const char* const values[] = {
  "text/plain",      "",   "tab\tok",    "ctl\x01", "nl\nx", "cr\rx", "del\x7f",
  "latin1 \xe9\xff", NULL, "  spaces  ", "nul\x7e", "\x1f",
};

static const char* verdict(int rc) {
  return rc == 0 ? "ok" : lode_err_name(rc);
}

/* JSON for the peer: [["name","value"],...] with \u escapes. */
static void json_str(char* out, size_t* o, const char* s) {
  if (s == NULL) {
    *o += (size_t) sprintf(out + *o, "null");
    return;
  }
  out[(*o)++] = '"';
  for (const unsigned char* p = (const unsigned char*) s; *p; p++)
    *o += (size_t) sprintf(out + *o, "\\u%04x", *p);
  out[(*o)++] = '"';
}

TEST(against_node) {
  static char json[8192];
  size_t o = 0;
  size_t n = sizeof(names) / sizeof(names[0]);
  json[o++] = '[';
  for (size_t i = 0; i < n; i++) {
    o += (size_t) sprintf(json + o, "%s[", i ? "," : "");
    json_str(json, &o, names[i]);
    json[o++] = ',';
    json_str(json, &o, values[i]);
    json[o++] = ']';
  }
  json[o++] = ']';
  json[o] = '\0';
  const char* argv[] = { "node", "test/peers/http-common-tables.js", json,
                         NULL };
  test_peer_t* p = test_peer_start(argv);
  char line[512];
  test_peer_line(p, line, sizeof(line), 10000);
  size_t count;
  const char* const* m = lode_http_methods(&count);
  char mine[1024] = "";
  for (size_t i = 0; i < count; i++) {
    if (i > 0)
      strcat(mine, ",");
    strcat(mine, m[i]);
  }
  ASSERT_STR_EQ(mine, line);
  int codes = 0;
  for (;;) {
    test_peer_line(p, line, sizeof(line), 10000);
    int code;
    char text[256];
    if (sscanf(line, "%d %255[^\n]", &code, text) != 2)
      break;
    ASSERT_STR_EQ(lode_http_status_text(code), text);
    codes++;
  }
  ASSERT_EQ(codes, 63);
  for (int c = 0; c < 1000; c++) {
    int named = lode_http_status_text(c) != NULL;
    ASSERT(!named || c >= 100);
  }
  for (size_t i = 0; i < n; i++) {
    char mine_v[128];
    snprintf(mine_v, sizeof(mine_v), "%s %s",
             verdict(lode_http_validate_header_name(names[i])),
             verdict(lode_http_validate_header_value(names[i], values[i])));
    ASSERT_STR_EQ(mine_v, line);
    test_peer_line(p, line, sizeof(line), 10000);
  }
  char want[64];
  snprintf(want, sizeof(want), "maxHeaderSize %zu",
           lode_http_max_header_size());
  ASSERT_STR_EQ(want, line);
  ASSERT_EQ(test_peer_finish(p, 10000, NULL), 0);
}

TEST(set_max_idle_parsers) {
  ASSERT_EQ(lode_http_set_max_idle_http_parsers(0), LODE_ERR_OUT_OF_RANGE);
  ASSERT_OK(lode_http_set_max_idle_http_parsers(1000));
}

/* A maxHeaderSize the parser cannot take is refused when the server or
 * request is made, not by failing every message later. */
TEST(max_header_size_out_of_range) {
  uv_loop_t loop;
  ASSERT_OK(uv_loop_init(&loop));
  lode_http_server_t* srv;
  lode_http_server_opts_t so = { .max_header_size = LODE_HTTP_LIMIT_MAX + 1 };
  ASSERT_EQ(lode_http_create_server(&loop, &so, NULL, &srv),
            LODE_ERR_OUT_OF_RANGE);
  lode_http_request_t* r;
  lode_http_request_opts_t ro = { .max_header_size = (size_t) 1 << 32 };
  ASSERT_EQ(lode_http_request(&loop, &ro, NULL, &r), LODE_ERR_OUT_OF_RANGE);
  so.max_header_size = LODE_HTTP_LIMIT_MAX;
  ASSERT_OK(lode_http_create_server(&loop, &so, NULL, &srv));
  ASSERT_OK(lode_http_server_close(srv, NULL, NULL) ==
                    LODE_ERR_SERVER_NOT_RUNNING
                ? 0
                : 1);
  test_run_loop(&loop, 5000);
  test_loop_close(&loop);
}

TEST_MAIN(against_node, set_max_idle_parsers, max_header_size_out_of_range)
