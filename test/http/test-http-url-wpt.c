/* lode_http_url_parse(input, base) on URL test vectors of the
 * web-platform-tests project (github.com/web-platform-tests/wpt,
 * url/resources/urltestdata.json: input, base and the expected href, or
 * failure), written here as C literals. lode parses the special schemes
 * http, https, ws and wss in full: a vector whose result has another
 * scheme is skipped, counted and printed with its reason. */
#include <stdio.h>
#include <string.h>

#include "lode.h"
#include "lode/url.h"
#include "test.h"

#define EX "http://example.org/foo/bar"

typedef struct {
  const char* input;
  const char* base; /* NULL: none */
  const char* href; /* NULL: failure */
  const char* skip; /* why lode does not check it, or NULL */
} vector_t;

#define OTHER "scheme other than http/https/ws/wss"

static const vector_t vectors[] = {
  { "http://example\t.\norg", EX, "http://example.org/", NULL },
  { "http://user:pass@foo:21/bar;par?b#c", EX,
    "http://user:pass@foo:21/bar;par?b#c", NULL },
  { "https://test:@test", "about:blank", "https://test@test/", NULL },
  { "https://:@test", "about:blank", "https://test/", NULL },
  { "non-special://test:@test/x", "about:blank", NULL, OTHER },
  { "non-special://:@test/x", "about:blank", NULL, OTHER },
  { "http:foo.com", EX, "http://example.org/foo/foo.com", NULL },
  { "\t   :foo.com   \n", EX, "http://example.org/foo/:foo.com", NULL },
  { " foo.com  ", EX, "http://example.org/foo/foo.com", NULL },
  { "a:\t foo.com", EX, NULL, OTHER },
  { "http://f:21/ b ? d # e ", EX, "http://f:21/%20b%20?%20d%20#%20e", NULL },
  { "lolscheme:x x#x x", "about:blank", NULL, OTHER },
  { "http://f:/c", EX, "http://f/c", NULL },
  { "http://f:0/c", EX, "http://f:0/c", NULL },
  { "http://f:00000000000000/c", EX, "http://f:0/c", NULL },
  { "http://f:00000000000000000000080/c", EX, "http://f/c", NULL },
  { "http://f:b/c", EX, NULL, NULL },
  { "http://f: /c", EX, NULL, NULL },
  { "http://f:\n/c", EX, "http://f/c", NULL },
  { "http://f:fifty-two/c", EX, NULL, NULL },
  { "http://f:999999/c", EX, NULL, NULL },
  { "non-special://f:999999/c", EX, NULL, OTHER },
  { "http://f: 21 / b ? d # e ", EX, NULL, NULL },
  { "", EX, "http://example.org/foo/bar", NULL },
  { "  \t", EX, "http://example.org/foo/bar", NULL },
  { ":foo.com/", EX, "http://example.org/foo/:foo.com/", NULL },
  { ":foo.com\\", EX, "http://example.org/foo/:foo.com/", NULL },
  { ":", EX, "http://example.org/foo/:", NULL },
  { ":a", EX, "http://example.org/foo/:a", NULL },
  { ":/", EX, "http://example.org/foo/:/", NULL },
  { ":\\", EX, "http://example.org/foo/:/", NULL },
  { ":#", EX, "http://example.org/foo/:#", NULL },
  { "#", EX, "http://example.org/foo/bar#", NULL },
  { "#/", EX, "http://example.org/foo/bar#/", NULL },
  { "#\\", EX, "http://example.org/foo/bar#\\", NULL },
  { "#;?", EX, "http://example.org/foo/bar#;?", NULL },
  { "?", EX, "http://example.org/foo/bar?", NULL },
  { "/", EX, "http://example.org/", NULL },
  { ":23", EX, "http://example.org/foo/:23", NULL },
  { "/:23", EX, "http://example.org/:23", NULL },
  { "\\x", EX, "http://example.org/x", NULL },
  { "\\\\x\\hello", EX, "http://x/hello", NULL },
  { "::", EX, "http://example.org/foo/::", NULL },
  { "::23", EX, "http://example.org/foo/::23", NULL },
  { "foo://", EX, NULL, OTHER },
  { "http://a:b@c:29/d", EX, "http://a:b@c:29/d", NULL },
  { "http::@c:29", EX, "http://example.org/foo/:@c:29", NULL },
  { "http://&a:foo(b]c@d:2/", EX, "http://&a:foo(b%5Dc@d:2/", NULL },
  { "http://::@c@d:2", EX, "http://:%3A%40c@d:2/", NULL },
  { "http://foo.com:b@d/", EX, "http://foo.com:b@d/", NULL },
  { "http://foo.com/\\@", EX, "http://foo.com//@", NULL },
};

TEST(wpt_urltestdata) {
  size_t checked = 0, skipped = 0;
  for (size_t i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
    const vector_t* v = &vectors[i];
    if (v->skip != NULL) {
      printf("# skip %s (base %s): %s\n", v->input, v->base, v->skip);
      skipped++;
      continue;
    }
    test_trace("%s against %s", v->input, v->base ? v->base : "(none)");
    lode_http_url_t u;
    int r = lode_http_url_parse(v->input, v->base, &u);
    if (v->href == NULL) {
      ASSERT_EQ(r, LODE_ERR_INVALID_URL);
    } else {
      ASSERT_OK(r);
      ASSERT_STR_EQ(u.href, v->href);
      lode_http_url_free(&u);
    }
    test_trace_reset();
    checked++;
  }
  printf("# %zu vectors checked, %zu skipped\n", checked, skipped);
  ASSERT_GT(checked, 0);
}

TEST_MAIN(wpt_urltestdata)
