/* lode_http_url_parse against Node's new URL() + urlToHttpOptions(), run
 * over the same table by test/peers/client-url-oracle.js. */
#include <stdlib.h>
#include <string.h>

#include "lode.h"
#include "lode/http_client.h"
#include "test.h"

static const char* const inputs[] = {
  "http://example.com",
  "HTTP://EXAMPLE.COM:80/",
  "http://example.com:8080/a/b?c=d#e",
  "http://user:pass@host:1234/p",
  "http://us%20er:p%3Ass@h/",
  "http://a:b:c@h/",
  "http://a@b@c/",
  "http://:@h/",
  "http://u@h",
  "http://[::1]:3000/x",
  "http://[0:0:0:0:0:0:0:1]/",
  "http://[2001:db8::1:0:0:1]/",
  "http://[::ffff:192.168.0.1]/",
  "http://[1:0:0:2:0:0:0:3]/",
  "http://0x7f.1/",
  "http://0177.0.0.1/",
  "http://2130706433/",
  "http://127.1/",
  "http://1.2.3.4./",
  "http://256.0.0.1/",
  "http://999999999999/",
  "http://1.2.3.08/",
  "http://foo.09/",
  "http://ex%41mple.com/",
  "  http://h/p  ",
  "http://h/a\tb\nc",
  "http:h/p",
  "http:/h/p",
  "http:///h/p",
  "http:\\\\h\\a\\b",
  "http://h/a/./b/../c",
  "http://h/a/%2e/b/%2E%2E/c",
  "http://h/..",
  "http://h/a/..",
  "http://h/a/.",
  "http://h/ sp\"<>`{}|^",
  "http://h/?q= \"<>'`#f \"<>`",
  "http://h/\xc3\xa9?\xc3\xa9#\xc3\xa9",
  "http://h/%zz%41",
  "http://h/?",
  "http://h/#",
  "http://h/?#",
  "http://h/p?#x",
  "http://h/p??a#b#c",
  "http://h:/",
  "http://h:0/",
  "http://h:65535/",
  "http://h:65536/",
  "http://h:0080/",
  "http://h:8a/",
  "http://",
  "http://@/",
  "http://u@:80/",
  "http://h h/",
  "http://h<h/",
  "http://h%00/",
  "http://[::1/",
  "http://[::1::2]/",
  "http://[1:2:3:4:5:6:7:8:9]/",
  "http://[g::]/",
  "https://h:443/",
  "https://h:80/",
  "ws://h:80/",
  "ftp://h:21/",
  "file:///etc/passwd",
  "mailto:a@b",
  "foo",
  "",
  "1http://h/",
  "h ttp://h/",
};

#define NIN (sizeof(inputs) / sizeof(inputs[0]))

static char* field(char** p) {
  char* s = *p;
  char* t = strchr(s, '\t');
  if (t != NULL) {
    *t = '\0';
    *p = t + 1;
  } else {
    *p = s + strlen(s);
  }
  return s;
}

static void check_one(const char* input, const char* base, char* line) {
  lode_http_url_t u;
  int r = lode_http_url_parse(input, base, &u);
  char* p = line;
  const char* kind = field(&p);
  test_trace("%s against %s", input, base ? base : "(none)");
  if (strcmp(kind, "err") == 0) {
    ASSERT_EQ(r, LODE_ERR_INVALID_URL);
    test_trace_reset();
    return;
  }
  ASSERT_EQ(r, 0);
  if (strcmp(kind, "other") == 0) {
    ASSERT_STR_EQ(u.protocol, field(&p));
    lode_http_url_free(&u);
    test_trace_reset();
    return;
  }
  const char* want[14];
  for (int i = 0; i < 14; i++)
    want[i] = field(&p);
  ASSERT_STR_EQ(u.href, want[0]);
  ASSERT_STR_EQ(u.protocol, want[1]);
  ASSERT_STR_EQ(u.username, want[2]);
  ASSERT_STR_EQ(u.password, want[3]);
  ASSERT_STR_EQ(u.host, want[4]);
  ASSERT_STR_EQ(u.hostname, want[5]);
  ASSERT_STR_EQ(u.port, want[6]);
  ASSERT_STR_EQ(u.pathname, want[7]);
  ASSERT_STR_EQ(u.search, want[8]);
  ASSERT_STR_EQ(u.hash, want[9]);
  ASSERT_STR_EQ(u.path, want[10]);
  ASSERT_STR_EQ(u.host_bare, want[11]);
  ASSERT_STR_EQ(u.auth ? u.auth : "(none)", want[12]);
  ASSERT_EQ(u.port_num, atoi(want[13]));
  lode_http_url_free(&u);
  test_trace_reset();
}

/* The peer harness takes up to 63 arguments: the table goes in parts. */
static void check_part(const char* const* in, size_t from, size_t n,
                       const char* base) {
  const char* argv[64];
  argv[0] = "node";
  argv[1] = "test/peers/client-url-oracle.js";
  argv[2] = "--base";
  argv[3] = base != NULL ? base : "";
  for (size_t i = 0; i < n; i++)
    argv[4 + i] = in[from + i];
  argv[n + 4] = NULL;
  test_peer_t* peer = test_peer_start(argv);
  char* out = NULL;
  ASSERT_EQ(test_peer_finish(peer, 30000, &out), 0);
  ASSERT_NOT_NULL(out);
  char* line = out;
  for (size_t i = 0; i < n; i++) {
    char* nl = strchr(line, '\n');
    if (nl == NULL)
      test_fail(__FILE__, __LINE__, "line %zu missing", from + i);
    *nl = '\0';
    check_one(in[from + i], base, line);
    line = nl + 1;
  }
  free(out);
}

static void check_table(const char* const* in, size_t n, const char* base) {
  for (size_t i = 0; i < n; i += 40)
    check_part(in, i, n - i < 40 ? n - i : 40, base);
}

TEST(against_node) {
  check_table(inputs, NIN, NULL);
}

/* new URL(input, base): request targets and relative references. */
static const char* const relative[] = {
  "/items?x=1",
  "/items?x=1#top",
  "",
  "  ",
  "?",
  "?q=2",
  "#",
  "#f",
  "g",
  "g/",
  "./g",
  "../g",
  "../../../g",
  ".",
  "..",
  "./",
  "../",
  "g?y#s",
  "/./g",
  "/../g",
  "g.",
  ".g",
  "g..",
  "..g",
  "./../g",
  "./g/.",
  "g/./h",
  "g/../h",
  "g;x=1/./y",
  "g;x=1/../y",
  "%2e%2E/g",
  "\\g\\h",
  "\\x",
  "//g",
  "//g:81/p?q#f",
  "///g",
  "/\\g/x",
  "//u:p@g/",
  "//[::1]:8/",
  "//0x7f.1/",
  "http:g",
  "http:/g",
  "http://g",
  "HTTP:g",
  "http:\\g\\h",
  "https:g",
  "https:/g",
  "ws:g",
  "mailto:a@b",
  "a:b",
  ":g",
  "g:h",
  "1http://g/",
  " /items ",
  "/a\tb\nc",
  "/p?q r#f g",
  "//",
  "//@/",
  "//h h/",
  "?a=\"<>'",
  "#\xc3\xa9",
};

TEST(against_node_with_base) {
  static const char* const bases[] = {
    "http://a/b/c/d;p?q#frag", "http://host", "https://u:p@h:8443/a/",
    "ws://[::1]:9000/x/y?z",   "http://h/?",  "http://h/p#",
  };
  for (size_t i = 0; i < sizeof(bases) / sizeof(bases[0]); i++)
    check_table(relative, sizeof(relative) / sizeof(relative[0]), bases[i]);
}

/* A base that does not parse fails whatever the input; a base of another
 * scheme cannot resolve a relative input (Node can: documented). */
TEST(bad_base) {
  lode_http_url_t u;
  ASSERT_EQ(lode_http_url_parse("/x", "nope", &u), LODE_ERR_INVALID_URL);
  ASSERT_EQ(lode_http_url_parse("http://h/", "http://[", &u),
            LODE_ERR_INVALID_URL);
  ASSERT_EQ(lode_http_url_parse("/x", "foo://h/", &u), LODE_ERR_INVALID_URL);
  ASSERT_OK(lode_http_url_parse("http://h/a", "foo://h/", &u));
  ASSERT_STR_EQ(u.href, "http://h/a");
  lode_http_url_free(&u);
}

TEST(bad_args) {
  lode_http_url_t u;
  ASSERT_EQ(lode_http_url_parse(NULL, NULL, &u), LODE_ERR_INVALID_URL);
  ASSERT_EQ(lode_http_url_parse("http://h/", NULL, NULL), UV_EINVAL);
  lode_http_url_free(NULL);
}

/* lode has no IDNA mapping: a host that is not ASCII is refused with
 * the error Node gives a host IDNA cannot map (ERR_INVALID_URL, "Invalid
 * URL"), through http.request as well; its ASCII form (xn--) works. */
TEST(non_ascii_host) {
  static const char* const bad[] = {
    "http://b\xc3\xbc"
    "cher.example/",
    "http://B\xc3\x9c"
    "CHER.example/",
    "http://\xe4\xbe\x8b.jp/", "http://user@b\xc3\xbc.example:81/p"
  };
  lode_http_url_t u;
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
    ASSERT_EQ(lode_http_url_parse(bad[i], NULL, &u), LODE_ERR_INVALID_URL);
  ASSERT_STR_EQ(lode_strerror(LODE_ERR_INVALID_URL), "Invalid URL");
  ASSERT_STR_EQ(lode_err_name(LODE_ERR_INVALID_URL), "ERR_INVALID_URL");
  ASSERT_OK(lode_http_url_parse("http://xn--bcher-kva.example/", NULL, &u));
  ASSERT_STR_EQ(u.host, "xn--bcher-kva.example");
  lode_http_url_free(&u);
  uv_loop_t loop;
  lode_http_request_t* r = NULL;
  uv_loop_init(&loop);
  lode_http_request_opts_t o = { .url = bad[0] };
  ASSERT_EQ(lode_http_request(&loop, &o, NULL, &r), LODE_ERR_INVALID_URL);
  ASSERT_NULL(r);
  test_loop_close(&loop);
}

TEST(agent_get_name) {
  char buf[128];
  lode_agent_name_opts_t o = { 0 };
  ASSERT_EQ(lode_agent_get_name(&o, buf, sizeof(buf)), 11);
  ASSERT_STR_EQ(buf, "localhost::");
  o = (lode_agent_name_opts_t){
    .host = "a.b", .port = 80, .local_address = "127.0.0.2", .family = 6
  };
  lode_agent_get_name(&o, buf, sizeof(buf));
  ASSERT_STR_EQ(buf, "a.b:80:127.0.0.2:6");
  o = (lode_agent_name_opts_t){ .host = "h",
                                .port = 1,
                                .socket_path = "/tmp/s" };
  lode_agent_get_name(&o, buf, sizeof(buf));
  ASSERT_STR_EQ(buf, "h:1::/tmp/s");
  ASSERT_EQ(lode_agent_get_name(&o, buf, 4), 11);
  ASSERT_STR_EQ(buf, "h:1");
}

TEST_MAIN(against_node, against_node_with_base, bad_base, bad_args,
          non_ascii_host, agent_get_name)
