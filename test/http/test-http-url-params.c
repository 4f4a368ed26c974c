/* URLSearchParams (lode_url_search_params_*) on the web-platform-tests
 * vectors and against Node's URLSearchParams on the same inputs
 * (test/peers/url-params-oracle.js).
 *
 * The vectors are data from the web-platform-tests project
 * (github.com/web-platform-tests/wpt): url/resources/
 * urlencoded-parser-data.json, url/urlsearchparams-sort.any.js and
 * url/urlsearchparams-stringifier.any.js; their strings are written here
 * as UTF-8 C literals. */
#include <stdlib.h>
#include <string.h>

#include "lode.h"
#include "lode/url.h"
#include "test.h"

#define FFFD "\xEF\xBF\xBD"
#define BOM "\xEF\xBB\xBF"

typedef struct {
  const char* input;
  const char* out[30]; /* name, value, name, value, ..., NULL */
} vector_t;

/* url/resources/urlencoded-parser-data.json */
static const vector_t parser_vectors[] = {
  { "test", { "test", "", NULL } },
  { BOM "test=" BOM, { BOM "test", BOM, NULL } },
  { "%EF%BB%BFtest=%EF%BB%BF", { BOM "test", BOM, NULL } },
  { "%EF%BF%BF=%EF%BF%BF", { "\xEF\xBF\xBF", "\xEF\xBF\xBF", NULL } },
  { "%FE%FF", { FFFD FFFD, "", NULL } },
  { "%FF%FE", { FFFD FFFD, "", NULL } },
  { "\xE2\x80\xA0&\xE2\x80\xA0=x",
    { "\xE2\x80\xA0", "", "\xE2\x80\xA0", "x", NULL } },
  { "%C2", { FFFD, "", NULL } },
  { "%C2x", { FFFD "x", "", NULL } },
  { "_charset_=windows-1252&test=%C2x",
    { "_charset_", "windows-1252", "test", FFFD "x", NULL } },
  { "", { NULL } },
  { "a", { "a", "", NULL } },
  { "a=b", { "a", "b", NULL } },
  { "a=", { "a", "", NULL } },
  { "=b", { "", "b", NULL } },
  { "&", { NULL } },
  { "&a", { "a", "", NULL } },
  { "a&", { "a", "", NULL } },
  { "a&a", { "a", "", "a", "", NULL } },
  { "a&b&c", { "a", "", "b", "", "c", "", NULL } },
  { "a=b&c=d", { "a", "b", "c", "d", NULL } },
  { "a=b&c=d&", { "a", "b", "c", "d", NULL } },
  { "&&&a=b&&&&c=d&", { "a", "b", "c", "d", NULL } },
  { "a=a&a=b&a=c", { "a", "a", "a", "b", "a", "c", NULL } },
  { "a==a", { "a", "=a", NULL } },
  { "a=a+b+c+d", { "a", "a b c d", NULL } },
  { "%=a", { "%", "a", NULL } },
  { "%a=a", { "%a", "a", NULL } },
  { "%a_=a", { "%a_", "a", NULL } },
  { "%61=a", { "a", "a", NULL } },
  { "%61+%4d%4D=", { "a MM", "", NULL } },
  { "id=0&value=%", { "id", "0", "value", "%", NULL } },
  { "b=%2sf%2a", { "b", "%2sf*", NULL } },
  { "b=%2%2af%2a", { "b", "%2*f*", NULL } },
  { "b=%%2a", { "b", "%*", NULL } },
};

/* url/urlsearchparams-sort.any.js: the pairs after sort(). */
static const vector_t sort_vectors[] = {
  { "z=b&a=b&z=a&a=a", { "a", "b", "a", "a", "z", "b", "z", "a", NULL } },
  { FFFD "=x&\xEF\xBF\xBC&" FFFD "=a",
    { "\xEF\xBF\xBC", "", FFFD, "x", FFFD, "a", NULL } },
  /* U+1F308 is above U+FB03 as a code point, below it in UTF-16 units */
  { "\xEF\xAC\x83&\xF0\x9F\x8C\x88",
    { "\xF0\x9F\x8C\x88", "", "\xEF\xAC\x83", "", NULL } },
  { "\xC3\xA9&e" FFFD "&e\xCC\x81",
    { "e\xCC\x81", "", "e" FFFD, "", "\xC3\xA9", "", NULL } },
  { "z=z&a=a&z=y&a=b&z=x&a=c&z=w&a=d&z=v&a=e&z=u&a=f&z=t&a=g",
    { "a", "a", "a", "b", "a", "c", "a", "d", "a", "e", "a", "f", "a", "g", "z",
      "z", "z", "y", "z", "x", "z", "w", "z", "v", "z", "u", "z", "t", NULL } },
  { "bbb&bb&aaa&aa=x&aa=y",
    { "aa", "x", "aa", "y", "aaa", "", "bb", "", "bbb", "", NULL } },
  { "z=z&=f&=t&=x", { "", "f", "", "t", "", "x", "z", "z", NULL } },
  { "a\xF0\x9F\x8C\x88&a\xF0\x9F\x92\xA9",
    { "a\xF0\x9F\x8C\x88", "", "a\xF0\x9F\x92\xA9", "", NULL } },
};

#define COUNT(a) (sizeof(a) / sizeof(a[0]))

static void check_pairs(lode_url_search_params_t* p, const vector_t* v) {
  size_t i = 0;
  test_trace("%s", v->input);
  for (; v->out[2 * i] != NULL; i++) {
    const char *name, *value;
    ASSERT_OK(lode_url_search_params_entry(p, i, &name, NULL, &value, NULL));
    ASSERT_STR_EQ(name, v->out[2 * i]);
    ASSERT_STR_EQ(value, v->out[2 * i + 1]);
  }
  test_trace_reset();
}

TEST(wpt_parser) {
  for (size_t k = 0; k < COUNT(parser_vectors); k++) {
    lode_url_search_params_t* p;
    ASSERT_OK(lode_url_search_params_new(parser_vectors[k].input, &p));
    check_pairs(p, &parser_vectors[k]);
    size_t n = 0;
    while (parser_vectors[k].out[2 * n] != NULL)
      n++;
    ASSERT_EQ(lode_url_search_params_size(p), n);
    ASSERT_EQ(lode_url_search_params_entry(p, n, NULL, NULL, NULL, NULL),
              UV_EINVAL);
    lode_url_search_params_free(p);
  }
}

TEST(wpt_sort) {
  for (size_t k = 0; k < COUNT(sort_vectors); k++) {
    lode_url_search_params_t* p;
    ASSERT_OK(lode_url_search_params_new(sort_vectors[k].input, &p));
    ASSERT_OK(lode_url_search_params_sort(p));
    check_pairs(p, &sort_vectors[k]);
    lode_url_search_params_free(p);
  }
  lode_url_search_params_t* p;
  ASSERT_OK(lode_url_search_params_new(
      "z=z&a=a&z=y&a=b&z=x&a=c&z=w&a=d&z=v&a=e&z=u&a=f&z=t&a=g", &p));
  ASSERT_OK(lode_url_search_params_sort(p));
  ASSERT_STR_EQ(lode_url_search_params_to_string(p),
                "a=a&a=b&a=c&a=d&a=e&a=f&a=g&z=z&z=y&z=x&z=w&z=v&z=u&z=t");
  lode_url_search_params_free(p);
}

static void expect_string(lode_url_search_params_t* p, const char* want) {
  ASSERT_STR_EQ(lode_url_search_params_to_string(p), want);
}

/* url/urlsearchparams-stringifier.any.js */
TEST(wpt_stringifier) {
  lode_url_search_params_t* p;
  ASSERT_OK(lode_url_search_params_new(NULL, &p));
  expect_string(p, "");
  ASSERT_OK(lode_url_search_params_append(p, "a", "b c"));
  expect_string(p, "a=b+c");
  lode_url_search_params_delete(p, "a", NULL);
  ASSERT_OK(lode_url_search_params_append(p, "a b", "c"));
  expect_string(p, "a+b=c");
  lode_url_search_params_delete(p, "a b", NULL);
  ASSERT_OK(lode_url_search_params_append(p, "a", ""));
  ASSERT_OK(lode_url_search_params_append(p, "a", ""));
  ASSERT_OK(lode_url_search_params_append(p, "", "b"));
  ASSERT_OK(lode_url_search_params_append(p, "", ""));
  expect_string(p, "a=&a=&=b&=");
  lode_url_search_params_free(p);
  static const char* const pairs[][3] = {
    { "a", "b+c", "a=b%2Bc" },
    { "a+b", "c", "a%2Bb=c" },
    { "=", "a", "%3D=a" },
    { "b", "=", "b=%3D" },
    { "&", "a", "%26=a" },
    { "b", "&", "b=%26" },
    { "a", "*-._", "a=*-._" },
    { "*-._", "c", "*-._=c" },
    { "a", "b%c", "a=b%25c" },
    { "a%b", "c", "a%25b=c" },
    { "a",
      "b\xF0\x9F\x92\xA9"
      "c",
      "a=b%F0%9F%92%A9c" },
    { "a\nb", "c\rd", "a%0Ab=c%0Dd" },
    { "e\n\rf", "g\r\nh", "e%0A%0Df=g%0D%0Ah" },
    { "a", "b,c", "a=b%2Cc" },
  };
  for (size_t i = 0; i < COUNT(pairs); i++) {
    ASSERT_OK(lode_url_search_params_new("", &p));
    ASSERT_OK(lode_url_search_params_append(p, pairs[i][0], pairs[i][1]));
    expect_string(p, pairs[i][2]);
    lode_url_search_params_free(p);
  }
  static const char* const round[][2] = {
    { "a=b&c=d&&e&&", "a=b&c=d&e=" },
    { "a = b &a=b&c=d%20", "a+=+b+&a=b&c=d+" },
    { "a=&a=b", "a=&a=b" },
    { "b=%2sf%2a", "b=%252sf*" },
    { "b=%2%2af%2a", "b=%252*f*" },
    { "b=%%2a", "b=%25*" },
    { "id=0&value=%", "id=0&value=%25" },
    { "a=b%00c", "a=b%00c" },
  };
  for (size_t i = 0; i < COUNT(round); i++) {
    ASSERT_OK(lode_url_search_params_new(round[i][0], &p));
    expect_string(p, round[i][1]);
    lode_url_search_params_free(p);
  }
}

/* get, getAll, has, set, delete, a leading '?', a decoded NUL. */
TEST(read_and_build) {
  lode_url_search_params_t* p;
  ASSERT_OK(lode_url_search_params_new("?a=1&b=2&a=3&c&a=4", &p));
  ASSERT_EQ(lode_url_search_params_size(p), 5);
  ASSERT_STR_EQ(lode_url_search_params_get(p, "a"), "1");
  ASSERT_STR_EQ(lode_url_search_params_get(p, "c"), "");
  ASSERT_NULL(lode_url_search_params_get(p, "d"));
  const char* all[2];
  ASSERT_EQ(lode_url_search_params_get_all(p, "a", all, 2), 3);
  ASSERT_STR_EQ(all[0], "1");
  ASSERT_STR_EQ(all[1], "3");
  ASSERT_EQ(lode_url_search_params_get_all(p, "d", NULL, 0), 0);
  ASSERT_EQ(lode_url_search_params_has(p, "b", NULL), 1);
  ASSERT_EQ(lode_url_search_params_has(p, "b", "2"), 1);
  ASSERT_EQ(lode_url_search_params_has(p, "b", "3"), 0);
  ASSERT_EQ(lode_url_search_params_has(p, "?a", NULL), 0);
  lode_url_search_params_delete(p, "a", "3");
  expect_string(p, "a=1&b=2&c=&a=4");
  ASSERT_OK(lode_url_search_params_set(p, "a", "x y"));
  expect_string(p, "a=x+y&b=2&c=");
  ASSERT_OK(lode_url_search_params_set(p, "d", "\xFF"));
  expect_string(p, "a=x+y&b=2&c=&d=%EF%BF%BD");
  lode_url_search_params_delete(p, "b", NULL);
  lode_url_search_params_delete(p, "nope", NULL);
  expect_string(p, "a=x+y&c=&d=%EF%BF%BD");
  ASSERT_EQ(lode_url_search_params_append(p, NULL, "v"), UV_EINVAL);
  ASSERT_EQ(lode_url_search_params_set(p, "n", NULL), UV_EINVAL);
  ASSERT_EQ(lode_url_search_params_new("", NULL), UV_EINVAL);
  lode_url_search_params_free(p);
  lode_url_search_params_free(NULL);

  ASSERT_OK(lode_url_search_params_new("k=a%00b", &p));
  const char* v;
  size_t vn;
  ASSERT_OK(lode_url_search_params_entry(p, 0, NULL, NULL, &v, &vn));
  ASSERT_EQ(vn, 3);
  ASSERT_MEM_EQ(v, vn, "a\0b", 3);
  lode_url_search_params_free(p);
}

/* The same inputs through Node's URLSearchParams: size, toString and
 * toString after sort. */
static const char* const node_inputs[] = {
  "test",
  BOM "test=" BOM,
  "%EF%BB%BFtest=%EF%BB%BF",
  "%EF%BF%BF=%EF%BF%BF",
  "%FE%FF",
  "%FF%FE",
  "\xE2\x80\xA0&\xE2\x80\xA0=x",
  "%C2",
  "%C2x",
  "_charset_=windows-1252&test=%C2x",
  "",
  "a",
  "a=b",
  "a=",
  "=b",
  "&",
  "&a",
  "a&",
  "a&a",
  "a&b&c",
  "a=b&c=d",
  "a=b&c=d&",
  "&&&a=b&&&&c=d&",
  "a=a&a=b&a=c",
  "a==a",
  "a=a+b+c+d",
  "%=a",
  "%a=a",
  "%a_=a",
  "%61=a",
  "%61+%4d%4D=",
  "id=0&value=%",
  "b=%2sf%2a",
  "b=%2%2af%2a",
  "b=%%2a",
  "?a=1&b=2",
  "??a=1",
  "a=%ZZ&b=%e2%82&c=%F0%9F%98&d=%ED%A0%80&e=%C0%80",
  "%F4%90%80%80=%F0%9F%98%80",
  "a+b=c+d&%2B=%20",
  "=&=",
  "a=b=c",
  "z=b&a=b&z=a&a=a",
  "\xEF\xAC\x83&\xF0\x9F\x8C\x88",
  "\xC3\xA9&e" FFFD "&e\xCC\x81",
  "a\xF0\x9F\x8C\x88&a\xF0\x9F\x92\xA9",
  "\xEF\xBF\xBF=1&\xF0\x90\x80\x80=2&\xEE\x80\x80=3",
  "k=%0A%0D%09&~!'()=x",
  "a\xFF"
  "b=\xC3",
  "%zz%4",
  "a=1&a=%31&A=2",
};

TEST(against_node) {
  const char* argv[64] = { "node", "test/peers/url-params-oracle.js" };
  for (size_t i = 0; i < COUNT(node_inputs); i++)
    argv[2 + i] = node_inputs[i];
  test_peer_t* peer = test_peer_start(argv);
  char* out = NULL;
  ASSERT_EQ(test_peer_finish(peer, 30000, &out), 0);
  ASSERT_NOT_NULL(out);
  char* line = out;
  for (size_t i = 0; i < COUNT(node_inputs); i++) {
    char* nl = strchr(line, '\n');
    ASSERT_NOT_NULL(nl);
    *nl = '\0';
    char* t1 = strchr(line, '\t');
    ASSERT_NOT_NULL(t1);
    char* t2 = strchr(t1 + 1, '\t');
    ASSERT_NOT_NULL(t2);
    *t1 = *t2 = '\0';
    test_trace("%s", node_inputs[i]);
    lode_url_search_params_t* p;
    ASSERT_OK(lode_url_search_params_new(node_inputs[i], &p));
    ASSERT_EQ(lode_url_search_params_size(p), (size_t) atoi(line));
    expect_string(p, t1 + 1);
    ASSERT_OK(lode_url_search_params_sort(p));
    expect_string(p, t2 + 1);
    lode_url_search_params_free(p);
    test_trace_reset();
    line = nl + 1;
  }
  free(out);
}

TEST_MAIN(wpt_parser, wpt_sort, wpt_stringifier, read_and_build, against_node)
