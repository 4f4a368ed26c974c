/* lode's own parser cases: views, pipelining, framing, limits, upgrade,
 * and each request-smuggling pattern. Every check runs on every scanning
 * path the CPU has, fed whole, split at every byte and byte by byte. */
#include "test.h"
#include "driver.h"

/* Runs `in` every way (each scanning path, whole, split at every byte,
 * byte by byte, with and without merge_complete) and checks that all
 * ways agree with `want` (the llhttp-style log); returns the whole-input
 * result for more checks. */
static void expect_log(const drv_opts_t* o, const char* in, const char* want,
                       drv_result_t* out) {
  size_t n = strlen(in);
  drv_opts_t m = *o;
  for (m.merge = 0; m.merge < 2; m.merge++) {
    for (int l = LODE_HTTP_SIMD_SCALAR; l <= LODE_HTTP_SIMD_AVX2; l++) {
      if (lode_http_parser_use_simd(l) != l)
        continue;
      for (size_t k = 0; k <= n; k++) {
        drv_result_t r;
        drv_run(&m, (const unsigned char*) in, n, k == n ? 1 : n, k, &r);
        if (strcmp(r.log.s ? r.log.s : "", want) != 0) {
          fprintf(stderr,
                  "simd %d, merge %d, first piece %zu\n--- want\n%s"
                  "--- got\n%s",
                  l, m.merge, k, want, r.log.s ? r.log.s : "");
          ASSERT(0);
        }
        drv_free(&r);
      }
    }
  }
  lode_http_parser_use_simd(LODE_HTTP_SIMD_AUTO);
  if (out)
    drv_run(o, (const unsigned char*) in, n, 0, 0, out);
}

static const drv_opts_t REQ = { .type = LODE_HTTP_REQUEST };
static const drv_opts_t RES = { .type = LODE_HTTP_RESPONSE };

TEST(views_and_pipelining) {
  const char* in =
      "POST /a?b=1 HTTP/1.1\r\nHost: x\r\nX-Pad:  v 1 \t\r\n"
      "Content-Length: 3\r\n\r\nabc"
      "GET * HTTP/1.1\r\n\r\n";
  drv_result_t r;
  expect_log(&REQ, in,
             "off=67 headers complete method=3 v=1/1 flags=20 "
             "content_length=3\n"
             "off=70 message complete\n"
             "off=88 headers complete method=1 v=1/1 flags=0 "
             "content_length=0\n"
             "off=88 message complete\n",
             &r);
  ASSERT_STR_EQ(r.headers.s, "Host: x\nX-Pad: v 1\nContent-Length: 3\n");
  ASSERT_STR_EQ(r.body.s, "abc||");
  drv_free(&r);
  /* The head's own views, straight from the API. */
  lode_http_parser_t p;
  lode_http_event_t ev;
  ASSERT_OK(lode_http_parser_init(&p, LODE_HTTP_REQUEST, NULL));
  ASSERT_OK(lode_http_parser_execute(&p, in, strlen(in), &ev));
  ASSERT_EQ(ev.type, LODE_HTTP_EV_HEAD);
  const lode_http_head_t* h = lode_http_parser_head(&p);
  ASSERT_MEM_EQ(h->url.base, h->url.len, "/a?b=1", 6);
  ASSERT_MEM_EQ(h->method_name.base, h->method_name.len, "POST", 4);
  ASSERT(h->url.base == in + 5); /* a view, not a copy */
  ASSERT_EQ(h->keep_alive, 1);
  ASSERT_STR_EQ(lode_http_method_name(h->method), "POST");
}

TEST(chunked_with_extensions_and_trailers) {
  drv_result_t r;
  expect_log(&REQ,
             "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
             "3;a=b;c=\"d\\\"e\"\r\nabc\r\n10\r\n0123456789abcdef\r\n"
             "0\r\nX-T: 1\r\nY: two\r\n\r\n",
             "off=47 headers complete method=3 v=1/1 flags=208 "
             "content_length=0\n"
             "off=111 message complete\n",
             &r);
  ASSERT_STR_EQ(r.body.s, "abc0123456789abcdef|");
  ASSERT_STR_EQ(r.trailers.s, "X-T: 1\nY: two\n");
  drv_free(&r);
}

/* CL.TE and TE.CL: both framings in one request are refused. */
TEST(smuggling_cl_te) {
  expect_log(&REQ,
             "POST / HTTP/1.1\r\nContent-Length: 6\r\n"
             "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\nG",
             "off=54 error code=15 reason=\"Transfer-Encoding can't be "
             "present with Content-Length\"\n",
             NULL);
  expect_log(&REQ,
             "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n"
             "Content-Length: 3\r\n\r\n8\r\nSMUGGLED\r\n0\r\n\r\n",
             "off=60 error code=11 reason=\"Content-Length can't be "
             "present with Transfer-Encoding\"\n",
             NULL);
  /* With LENIENT_CHUNKED_LENGTH chunked wins, as in llhttp. */
  drv_opts_t o = REQ;
  o.lenient = LODE_HTTP_LENIENT_CHUNKED_LENGTH;
  drv_result_t r;
  expect_log(&o,
             "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n"
             "Content-Length: 3\r\n\r\n1\r\nA\r\n0\r\n\r\n",
             "off=66 headers complete method=3 v=1/1 flags=228 "
             "content_length=3\n"
             "off=77 message complete\n",
             &r);
  ASSERT_STR_EQ(r.body.s, "A|");
  drv_free(&r);
}

TEST(smuggling_te_obfuscation) {
  /* chunked not last: no body length for a request. */
  expect_log(&REQ,
             "POST / HTTP/1.1\r\nTransfer-Encoding: chunked, identity\r\n\r\n",
             "off=44 error code=15 reason=\"Invalid `Transfer-Encoding` "
             "header value\"\n",
             NULL);
  expect_log(&REQ, "POST / HTTP/1.1\r\nTransfer-Encoding: xchunked\r\n\r\n",
             "off=48 headers complete method=3 v=1/1 flags=200 "
             "content_length=0\n"
             "off=48 error code=15 reason=\"Request has invalid "
             "`Transfer-Encoding`\"\n",
             NULL);
  /* A vertical tab is not whitespace: not chunked, refused. */
  expect_log(&REQ,
             "POST / HTTP/1.1\r\nTransfer-Encoding:\x0b"
             "chunked\r\n\r\n",
             "off=35 error code=10 reason=\"Invalid header value char\"\n",
             NULL);
  /* Case does not matter, spaces after it do not either. */
  expect_log(&REQ,
             "POST / HTTP/1.1\r\nTransfer-Encoding: ChUnKeD  \r\n\r\n0\r\n\r\n",
             "off=49 headers complete method=3 v=1/1 flags=208 "
             "content_length=0\n"
             "off=54 message complete\n",
             NULL);
}

TEST(smuggling_duplicate_and_bad_content_length) {
  expect_log(&REQ,
             "GET / HTTP/1.1\r\nContent-Length: 1\r\n"
             "Content-Length: 1\r\n\r\nA",
             "off=51 error code=4 reason=\"Duplicate Content-Length\"\n", NULL);
  expect_log(&REQ, "GET / HTTP/1.1\r\nContent-Length: +1\r\n\r\nA",
             "off=32 error code=11 reason=\"Invalid character in "
             "Content-Length\"\n",
             NULL);
  expect_log(&REQ, "GET / HTTP/1.1\r\nContent-Length: 1,1\r\n\r\nA",
             "off=33 error code=11 reason=\"Invalid character in "
             "Content-Length\"\n",
             NULL);
  /* Overlong numbers: 2^64 does not fit. */
  expect_log(&REQ,
             "GET / HTTP/1.1\r\nContent-Length: 18446744073709551616"
             "\r\n\r\n",
             "off=52 error code=11 reason=\"Content-Length overflow\"\n", NULL);
  expect_log(&REQ,
             "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
             "10000000000000000\r\n",
             "off=47 headers complete method=3 v=1/1 flags=208 "
             "content_length=0\n"
             "off=64 error code=12 reason=\"Chunk size overflow\"\n",
             NULL);
}

TEST(smuggling_folding_bare_cr_lf_nul) {
  /* Folded header lines: refused unless LENIENT_HEADERS. */
  expect_log(&REQ, "GET / HTTP/1.1\r\nX: a\r\n b\r\n\r\n",
             "off=22 error code=10 reason=\"Unexpected whitespace after "
             "header value\"\n",
             NULL);
  /* A folded Transfer-Encoding is not chunked even when lenient. */
  drv_opts_t o = REQ;
  o.lenient = LODE_HTTP_LENIENT_HEADERS;
  expect_log(&o, "GET / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n x\r\n\r\n",
             "off=50 headers complete method=1 v=1/1 flags=200 "
             "content_length=0\n"
             "off=50 error code=15 reason=\"Request has invalid "
             "`Transfer-Encoding`\"\n",
             NULL);
  /* Bare CR, bare LF, NUL. */
  expect_log(&REQ, "GET / HTTP/1.1\r\nX: a\rY: b\r\n\r\n",
             "off=21 error code=3 reason=\"Missing expected LF after header "
             "value\"\n",
             NULL);
  expect_log(&REQ, "GET / HTTP/1.1\r\nX: a\nY: b\r\n\r\n",
             "off=20 error code=25 reason=\"Missing expected CR after header "
             "value\"\n",
             NULL);
  const char nul[] = "GET / HTTP/1.1\r\nX: a\0b\r\n\r\n";
  drv_result_t r;
  drv_run(&REQ, (const unsigned char*) nul, sizeof(nul) - 1, 0, 0, &r);
  ASSERT_STR_EQ(r.log.s,
                "off=20 error code=10 reason=\"Invalid header value "
                "char\"\n");
  drv_free(&r);
  /* Space before the colon. */
  expect_log(&REQ, "GET / HTTP/1.1\r\nContent-Length : 1\r\n\r\nA",
             "off=31 error code=10 reason=\"Invalid header field char\"\n",
             NULL);
}

TEST(responses_without_body) {
  /* 204 and 304 have no body whatever they say; HEAD's answer neither. */
  expect_log(&RES,
             "HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n"
             "HTTP/1.1 304 Not Modified\r\n\r\n",
             "off=46 headers complete status=204 v=1/1 flags=20 "
             "content_length=5\n"
             "off=46 message complete\n"
             "off=75 headers complete status=304 v=1/1 flags=0 "
             "content_length=0\n"
             "off=75 message complete\n",
             NULL);
  drv_opts_t o = RES;
  o.method = LODE_HTTP_HEAD;
  expect_log(&o,
             "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n"
             "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
             "off=38 headers complete status=200 v=1/1 flags=20 "
             "content_length=5\n"
             "off=38 message complete\n"
             "off=85 headers complete status=200 v=1/1 flags=208 "
             "content_length=0\n"
             "off=85 message complete\n",
             NULL);
  /* 1xx before the final response. */
  drv_result_t r;
  expect_log(&RES,
             "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\n"
             "Link: </a>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
             "off=25 headers complete status=100 v=1/1 flags=0 "
             "content_length=0\n"
             "off=25 message complete\n"
             "off=65 headers complete status=103 v=1/1 flags=0 "
             "content_length=0\n"
             "off=65 message complete\n"
             "off=103 headers complete status=200 v=1/1 flags=20 "
             "content_length=2\n"
             "off=105 message complete\n",
             &r);
  ASSERT_STR_EQ(r.body.s, "||ok|");
  drv_free(&r);
}

TEST(response_until_close) {
  drv_opts_t o = RES;
  o.finish = 1;
  drv_result_t r;
  expect_log(&o, "HTTP/1.1 200 OK\r\n\r\nhello world",
             "off=19 headers complete status=200 v=1/1 flags=0 "
             "content_length=0\n"
             "off=NULL finish=1\n",
             &r);
  ASSERT_STR_EQ(r.body.s, "hello world");
  ASSERT_EQ(r.messages, 1);
  drv_free(&r);
  /* Cut short inside a body: Invalid EOF state. */
  lode_http_parser_t p;
  lode_http_event_t ev;
  const char* in = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nab";
  ASSERT_OK(lode_http_parser_init(&p, LODE_HTTP_RESPONSE, NULL));
  size_t off = 0;
  do {
    ASSERT_OK(lode_http_parser_execute(&p, in + off, strlen(in) - off, &ev));
    off += ev.consumed;
  } while (ev.type != LODE_HTTP_EV_NEED_MORE);
  ASSERT_EQ(lode_http_parser_finish(&p, &ev), LODE_HPE_INVALID_EOF_STATE);
  ASSERT_STR_EQ(lode_http_parser_error_reason(&p), "Invalid EOF state");
}

TEST(upgrade_and_connect) {
  const char* in =
      "GET /chat HTTP/1.1\r\nConnection: Upgrade\r\n"
      "Upgrade: websocket\r\n\r\n\x81\x05hello";
  lode_http_parser_t p;
  lode_http_event_t ev;
  ASSERT_OK(lode_http_parser_init(&p, LODE_HTTP_REQUEST, NULL));
  ASSERT_OK(lode_http_parser_execute(&p, in, strlen(in), &ev));
  ASSERT_EQ(ev.type, LODE_HTTP_EV_HEAD);
  ASSERT_EQ(lode_http_parser_head(&p)->upgrade, 1);
  size_t off = ev.consumed;
  ASSERT_OK(lode_http_parser_execute(&p, in + off, strlen(in) - off, &ev));
  ASSERT_EQ(ev.type, LODE_HTTP_EV_MESSAGE_COMPLETE);
  ASSERT_OK(lode_http_parser_execute(&p, in + off, strlen(in) - off, &ev));
  ASSERT_EQ(ev.type, LODE_HTTP_EV_UPGRADE);
  ASSERT_EQ(ev.consumed, 0);
  ASSERT_EQ((unsigned char) in[off], 0x81); /* the other protocol */
  /* Nobody takes the upgrade: the parser goes on with HTTP. */
  const char* two =
      "GET / HTTP/1.1\r\nConnection: upgrade\r\nUpgrade: x\r\n"
      "\r\nGET /b HTTP/1.1\r\n\r\n";
  ASSERT_OK(lode_http_parser_init(&p, LODE_HTTP_REQUEST, NULL));
  ASSERT_OK(lode_http_parser_execute(&p, two, strlen(two), &ev));
  lode_http_parser_after_head(&p, 0, 0);
  off = ev.consumed;
  ASSERT_OK(lode_http_parser_execute(&p, two + off, strlen(two) - off, &ev));
  ASSERT_EQ(ev.type, LODE_HTTP_EV_MESSAGE_COMPLETE);
  ASSERT_OK(lode_http_parser_execute(&p, two + off, strlen(two) - off, &ev));
  ASSERT_EQ(ev.type, LODE_HTTP_EV_HEAD);
  ASSERT_MEM_EQ(lode_http_parser_head(&p)->url.base, 2, "/b", 2);
  /* A response to CONNECT is a tunnel, whatever follows. */
  drv_opts_t o = RES;
  o.method = LODE_HTTP_CONNECT;
  expect_log(&o,
             "HTTP/1.1 200 Connection established\r\n"
             "Content-Length: 10\r\n\r\n\x16\x03\x01",
             "off=59 headers complete status=200 v=1/1 flags=20 "
             "content_length=10\n"
             "off=59 message complete\n"
             "off=59 error code=22 reason=\"Pause on CONNECT/Upgrade\"\n",
             NULL);
}

TEST(keep_alive_rules) {
  drv_result_t r;
  lode_http_parser_t p;
  lode_http_event_t ev;
  const char* in[] = { "GET / HTTP/1.0\r\n\r\n",
                       "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
                       "GET / HTTP/1.1\r\nConnection: foo, close\r\n\r\n",
                       "GET / HTTP/1.1\r\nConnection: closed\r\n\r\n" };
  int want[] = { 0, 1, 0, 1 };
  for (int i = 0; i < 4; i++) {
    ASSERT_OK(lode_http_parser_init(&p, LODE_HTTP_REQUEST, NULL));
    ASSERT_OK(lode_http_parser_execute(&p, in[i], strlen(in[i]), &ev));
    ASSERT_EQ(lode_http_parser_head(&p)->keep_alive, want[i]);
  }
  /* After a message that closes, more data is an error... */
  expect_log(&REQ, "GET / HTTP/1.0\r\n\r\nGET / HTTP/1.0\r\n\r\n",
             "off=18 headers complete method=1 v=1/0 flags=0 "
             "content_length=0\n"
             "off=18 message complete\n"
             "off=19 error code=5 reason=\"Data after `Connection: "
             "close`\"\n",
             &r);
  drv_free(&r);
}

TEST(header_limits) {
  /* maxHeaderSize counts URL, names and values; reaching it fails, at
   * Node's offset (its bytesParsed) for a whole input: the byte after a
   * name's colon, the LF after a value or status text. (Cut inputs fail
   * at their end, in Node as in lode.) */
  static const struct {
    int type;
    size_t max;
    const char* in;
    size_t off;
  } over[] = {
    { LODE_HTTP_REQUEST, 19, "GET /0123456789 HTTP/1.1\r\nAbc: 12345\r\n\r\n",
      37 },
    { LODE_HTTP_REQUEST, 14, "GET /0123456789 HTTP/1.1\r\nAbc: 12345\r\n\r\n",
      30 },
    { LODE_HTTP_RESPONSE, 20, "HTTP/1.1 200 OKKKKKKKKKKKKKKKKKKKKKK\r\n\r\n",
      37 },
  };
  for (size_t i = 0; i < sizeof(over) / sizeof(over[0]); i++) {
    drv_opts_t w = { .type = over[i].type, .max_header_size = over[i].max };
    drv_result_t r;
    drv_run(&w, (const unsigned char*) over[i].in, strlen(over[i].in), 0, 0,
            &r);
    ASSERT_EQ(r.error, LODE_HPE_HEADER_OVERFLOW);
    ASSERT_EQ(r.error_at, over[i].off);
    drv_free(&r);
  }
  drv_opts_t o = REQ;
  o.max_header_size = 20;
  expect_log(&o, "GET /0123456789 HTTP/1.1\r\nAbc: 12345\r\n\r\n",
             "off=40 headers complete method=1 v=1/1 flags=0 "
             "content_length=0\n"
             "off=40 message complete\n",
             NULL);
  /* A slow client's endless header fails once the limit is reached,
   * without waiting for the line to end. */
  lode_http_parser_t p;
  lode_http_event_t ev;
  lode_http_parser_opts_t po = { .max_header_size = 100 };
  ASSERT_OK(lode_http_parser_init(&p, LODE_HTTP_REQUEST, &po));
  char buf[300];
  memcpy(buf, "GET / HTTP/1.1\r\nX: ", 19);
  memset(buf + 19, 'a', sizeof(buf) - 19);
  int rc = 0;
  size_t n;
  for (n = 1; n <= sizeof(buf) && rc == 0; n++) {
    rc = lode_http_parser_execute(&p, buf, n, &ev);
    if (rc == 0)
      ASSERT_EQ(ev.consumed, 0);
  }
  ASSERT_EQ(rc, LODE_HPE_HEADER_OVERFLOW);
  ASSERT_LT(n, 130);
  /* More header lines than the array: kept count, framing obeyed. */
  lode_http_header_t two[2];
  lode_http_parser_opts_t small = { .headers = two, .max_headers = 2 };
  const char* in =
      "POST / HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\n"
      "Content-Length: 1\r\n\r\nZ";
  ASSERT_OK(lode_http_parser_init(&p, LODE_HTTP_REQUEST, &small));
  ASSERT_OK(lode_http_parser_execute(&p, in, strlen(in), &ev));
  const lode_http_head_t* h = lode_http_parser_head(&p);
  ASSERT_EQ(h->num_headers, 2);
  ASSERT_EQ(h->headers_seen, 4);
  ASSERT_EQ(h->content_length, 1);
}

/* Every size limit takes 1..LODE_HTTP_LIMIT_MAX (0: the default); a
 * value beyond is refused, never cut to 32 bits (2^32 once became 0, the
 * default). A refused parser fails every call, even after a reset. */
TEST(limits_out_of_range) {
  static const size_t bad[] = { LODE_HTTP_LIMIT_MAX + 1, (size_t) 1 << 32,
                                ((size_t) 1 << 32) + 100, SIZE_MAX };
  lode_http_header_t arr[4];
  for (int field = 0; field < 3; field++) {
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
      lode_http_parser_opts_t po = { 0 };
      if (field == 0)
        po.max_header_size = bad[i];
      if (field == 1)
        po.max_chunk_extensions = bad[i];
      if (field == 2)
        po.headers = arr, po.max_headers = bad[i];
      lode_http_parser_t p;
      lode_http_event_t ev;
      ASSERT_EQ(lode_http_parser_init(&p, LODE_HTTP_REQUEST, &po),
                LODE_ERR_OUT_OF_RANGE);
      ASSERT_EQ(lode_http_parser_execute(&p, "GET / HTTP/1.1\r\n\r\n", 18, &ev),
                LODE_ERR_OUT_OF_RANGE);
      ASSERT_EQ(ev.consumed, 0);
      lode_http_parser_reset(&p);
      ASSERT_EQ(lode_http_parser_error(&p), LODE_ERR_OUT_OF_RANGE);
      ASSERT_EQ(lode_http_parser_finish(&p, &ev), LODE_ERR_OUT_OF_RANGE);
    }
  }
  /* The largest limit is taken as it is: a head over Node's default. */
  lode_http_parser_opts_t po = { .max_header_size = LODE_HTTP_LIMIT_MAX,
                                 .max_chunk_extensions = LODE_HTTP_LIMIT_MAX };
  lode_http_parser_t p;
  lode_http_event_t ev;
  ASSERT_OK(lode_http_parser_init(&p, LODE_HTTP_REQUEST, &po));
  size_t n = 20000;
  char* in = malloc(n);
  memcpy(in, "GET / HTTP/1.1\r\nX: ", 19);
  memset(in + 19, 'v', n - 23);
  memcpy(in + n - 4, "\r\n\r\n", 4);
  ASSERT_OK(lode_http_parser_execute(&p, in, n, &ev));
  ASSERT_EQ(ev.type, LODE_HTTP_EV_HEAD);
  free(in);
  /* A bad type is refused the same way. */
  ASSERT_EQ(lode_http_parser_init(&p, (lode_http_parser_type_t) 7, NULL),
            LODE_HPE_INTERNAL);
  ASSERT_EQ(lode_http_parser_execute(&p, "GET / HTTP/1.1\r\n\r\n", 18, &ev),
            LODE_HPE_INTERNAL);
}

TEST(chunk_extensions_capped) {
  lode_http_parser_t p;
  lode_http_event_t ev;
  lode_http_parser_opts_t po = { .max_chunk_extensions = 64 };
  ASSERT_OK(lode_http_parser_init(&p, LODE_HTTP_REQUEST, &po));
  char in[400];
  int n = snprintf(in, sizeof(in),
                   "POST / HTTP/1.1\r\nTransfer-Encoding: "
                   "chunked\r\n\r\n1;");
  memset(in + n, 'x', sizeof(in) - (size_t) n);
  size_t off = 0;
  int rc;
  while ((rc = lode_http_parser_execute(&p, in + off, sizeof(in) - off, &ev)) ==
             0 &&
         ev.type != LODE_HTTP_EV_NEED_MORE)
    off += ev.consumed;
  ASSERT_EQ(rc, LODE_HPE_CHUNK_EXTENSIONS_OVERFLOW);
  ASSERT_STR_EQ(lode_http_parser_error_reason(&p), "Chunk extensions overflow");
}

TEST(lenient_flags_one_by_one) {
  drv_opts_t o = REQ;
  /* each flag opens exactly its own door */
  o.lenient = LODE_HTTP_LENIENT_OPTIONAL_CR_BEFORE_LF |
              LODE_HTTP_LENIENT_OPTIONAL_LF_AFTER_CR;
  expect_log(&o, "GET / HTTP/1.1\nHost: a\n\n",
             "off=24 headers complete method=1 v=1/1 flags=0 "
             "content_length=0\n"
             "off=24 message complete\n",
             NULL);
  o.lenient = LODE_HTTP_LENIENT_VERSION;
  expect_log(&o, "GET / HTTP/3.7\r\n\r\n",
             "off=18 headers complete method=1 v=3/7 flags=0 "
             "content_length=0\n"
             "off=18 message complete\n",
             NULL);
  o.lenient = LODE_HTTP_LENIENT_DATA_AFTER_CLOSE;
  expect_log(&o, "GET / HTTP/1.1\r\nConnection: close\r\n\r\njunk",
             "off=37 headers complete method=1 v=1/1 flags=2 "
             "content_length=0\n"
             "off=37 message complete\n",
             NULL);
  o.lenient = LODE_HTTP_LENIENT_HEADER_VALUE_RELAXED;
  expect_log(&o,
             "GET / HTTP/1.1\r\nX: a\x01"
             "b\r\n\r\n",
             "off=26 headers complete method=1 v=1/1 flags=0 "
             "content_length=0\n"
             "off=26 message complete\n",
             NULL);
}

/* Every byte value at every position of a request (strict and lenient):
 * whatever the parser makes of it, it must make the same of it whole,
 * split in two at every byte and byte by byte (events, error and offset,
 * body, headers, trailers), and never consume past its input (the
 * driver checks that, and ASan any read past it). */
static int same_result(const drv_result_t* a, const drv_result_t* b);

TEST(bad_input_same_verdict_every_split) {
  const char* base =
      "POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
      "2;a=\"b\"\r\nhi\r\n0\r\nT: 1\r\n\r\n";
  size_t n = strlen(base);
  char* buf = malloc(n);
  for (int lenient = 0; lenient < 2; lenient++) {
    drv_opts_t o = REQ;
    o.lenient = lenient ? LODE_HTTP_LENIENT_ALL : 0;
    o.finish = 1;
    for (size_t i = 0; i < n; i++) {
      for (int b = 0; b < 256; b += 7) {
        memcpy(buf, base, n);
        buf[i] = (char) b;
        drv_result_t whole;
        drv_run(&o, (const unsigned char*) buf, n, 0, 0, &whole);
        /* split at k (k == n: byte by byte); every 5th split for speed,
         * all of them near the changed byte */
        for (size_t k = 1; k <= n; k++) {
          if (k % 5 != 0 && (k + 3 < i || k > i + 3) && k != n)
            continue;
          drv_result_t r;
          drv_run(&o, (const unsigned char*) buf, n, k == n ? 1 : n, k, &r);
          if (!same_result(&whole, &r)) {
            fprintf(stderr,
                    "byte %d at %zu, lenient %d, split at %zu\n"
                    "--- whole\n%s--- split\n%s",
                    b, i, lenient, k, whole.log.s ? whole.log.s : "",
                    r.log.s ? r.log.s : "");
            ASSERT(0);
          }
          drv_free(&r);
        }
        drv_free(&whole);
      }
    }
  }
  free(buf);
}

/* The one-pass head parser (whole heads) and the precise one (heads whose
 * start line came alone) must give the same log, headers and body: every
 * byte of these heads replaced by each byte that matters, on every
 * scanning path, strict and lenient. */
static int same_result(const drv_result_t* a, const drv_result_t* b) {
  const sbuf_t* x[] = { &a->log, &a->headers, &a->body, &a->trailers };
  const sbuf_t* y[] = { &b->log, &b->headers, &b->body, &b->trailers };
  for (int i = 0; i < 4; i++)
    if (strcmp(x[i]->s ? x[i]->s : "", y[i]->s ? y[i]->s : "") != 0)
      return 0;
  return 1;
}

static void one_pass_vs_precise(const drv_opts_t* o, const char* in, size_t n) {
  size_t line = (size_t) (strstr(in, "\r\n") - in) + 2;
  drv_result_t whole, split;
  drv_run(o, (const unsigned char*) in, n, 0, 0, &whole);
  drv_run(o, (const unsigned char*) in, n, n, line, &split);
  if (!same_result(&whole, &split)) {
    fprintf(stderr,
            "input (lenient %x):\n%.*s\n--- one pass\n%s%s"
            "--- precise\n%s%s",
            o->lenient, (int) n, in, whole.log.s ? whole.log.s : "",
            whole.headers.s ? whole.headers.s : "",
            split.log.s ? split.log.s : "",
            split.headers.s ? split.headers.s : "");
    ASSERT(0);
  }
  drv_free(&whole);
  drv_free(&split);
}

/* Short inputs the one-pass parser must not read past (the driver feeds
 * exact-size copies, so ASan sees any over-read). */
TEST(one_pass_edges) {
  expect_log(&REQ, "OPTIONS / HTTP/1.1\r\n\r\n",
             "off=22 headers complete method=6 v=1/1 flags=0 "
             "content_length=0\n"
             "off=22 message complete\n",
             NULL);
  expect_log(&RES, "HTTP/1.1 200 \r\n\r\n",
             "off=17 headers complete status=200 v=1/1 flags=0 "
             "content_length=0\n",
             NULL);
}

TEST(one_pass_agrees_with_precise) {
  static const char* heads[] = {
    "GET /a/b?c=d&e#f?g HTTP/1.1\r\nHost: example.com\r\n"
    "CONNECTION: Keep-Alive\r\nUser-Agent: x/1.0 (y; z)\t\r\n"
    "Empty:\r\nContent-Length: 12 \r\nX: \t v \r\n\r\nhello world!",
    "POST /p HTTP/1.0\r\ntransfer-encoding: Chunked\r\n"
    "Proxy-Connection: close\r\nUpgrade: h2c\r\n"
    "Connection: upgrade\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
    "HTTP/1.1 200 Fine \x80 reason\r\nContent-Length: 3\r\n"
    "Connection: keep-alive\r\nSet-Cookie: a=b; Path=/\r\n\r\nabc",
    "HTTP/1.0 101 Switching\r\nUpgrade: websocket\r\n"
    "Connection: Upgrade\r\n\r\n",
    "OPTIONS / HTTP/1.1\r\nUpgrade:\r\nConnection: upgrade\r\n"
    "Transfer-Encoding:\r\nA:\r\n\r\n",
    /* lines across the SIMD blocks (16 and 32 bytes): a name longer than
     * a block, values ending on and around a block's end, the last lines
     * in the input's final block */
    "PUT /aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa?b=c HTTP/1.1\r\n"
    "X-A-Rather-Long-Header-Name-Here-x: v\r\n"
    "Content-Length: 0000000000000000005\r\n"
    "B: 0123456789abcdef0123456789abcdef0123456789abcdef\t x\r\n"
    "Abcdefghijklmn: 0123456789abcd\r\nC: \t\r\nD: 1\r\n\r\nhello",
    "GET / HTTP/1.1\r\nA:b\r\n\r\n",
    /* a last line whose block reaches back into the status line (a NUL
     * put in the reason phrase ends SSE4.2's implicit-length string) */
    "HTTP/1.1 200 OK\r\nA:b\r\n\r\n",
  };
  static const char bytes[] = "\r\n \t:,;0a\"=\\\x00\x7f\x80\xff-9Ac\x0b";
  lode_http_parser_use_simd(LODE_HTTP_SIMD_AUTO);
  for (size_t h = 0; h < sizeof(heads) / sizeof(heads[0]); h++) {
    drv_opts_t o = { .type = heads[h][0] == 'H' ? LODE_HTTP_RESPONSE
                                                : LODE_HTTP_REQUEST };
    size_t n = strlen(heads[h]);
    char* buf = malloc(n);
    for (int l = LODE_HTTP_SIMD_SCALAR; l <= LODE_HTTP_SIMD_AVX2; l++) {
      if (lode_http_parser_use_simd(l) != l)
        continue;
      for (int lenient = 0; lenient < 2; lenient++) {
        o.lenient = lenient ? LODE_HTTP_LENIENT_ALL : 0;
        one_pass_vs_precise(&o, heads[h], n);
        for (size_t i = 0; i < n; i++) {
          for (size_t b = 0; b < sizeof(bytes) - 1; b++) {
            memcpy(buf, heads[h], n);
            buf[i] = bytes[b];
            if (memchr(buf, '\n', n) == NULL)
              continue;
            one_pass_vs_precise(&o, buf, n);
          }
        }
      }
    }
    free(buf);
  }
  lode_http_parser_use_simd(LODE_HTTP_SIMD_AUTO);
}

/* Runs `in` whole with merge_complete and writes one letter per event:
 * H head, B body, T trailers, C message complete, U upgrade, with '+'
 * after an event that carried the end of its message. */
static void merged_events(const drv_opts_t* o, const char* in, char* out) {
  lode_http_parser_t p;
  lode_http_parser_opts_t po = { .merge_complete = 1, .method = o->method };
  lode_http_parser_init(&p, o->type, &po);
  size_t len = strlen(in);
  for (;;) {
    lode_http_event_t ev;
    ASSERT_OK(lode_http_parser_execute(&p, in, len, &ev));
    in += ev.consumed;
    len -= ev.consumed;
    if (ev.type == LODE_HTTP_EV_NEED_MORE)
      break;
    *out++ = "?HBTCU"[ev.type];
    if (ev.complete)
      *out++ = '+';
    if (ev.type == LODE_HTTP_EV_UPGRADE || (ev.complete && len == 0))
      break;
  }
  *out = 0;
}

TEST(merge_complete_events) {
  char got[64];
  merged_events(&REQ, "GET / HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\n", got);
  ASSERT_STR_EQ(got, "H+H+");
  merged_events(&REQ, "POST / HTTP/1.1\r\nContent-Length: 2\r\n\r\nab", got);
  ASSERT_STR_EQ(got, "HB+");
  merged_events(&REQ,
                "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
                "2\r\nab\r\n1\r\nc\r\n0\r\n\r\n",
                got);
  ASSERT_STR_EQ(got, "HBB+");
  merged_events(&REQ,
                "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
                "2\r\nab\r\n0\r\nT: 1\r\n\r\n",
                got);
  ASSERT_STR_EQ(got, "HBT+");
  /* A chunk extension on the last chunk: the precise way, no merge. */
  merged_events(&REQ,
                "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
                "2\r\nab\r\n0;x\r\n\r\n",
                got);
  ASSERT_STR_EQ(got, "HBC");
  /* An upgrade keeps its own events: MESSAGE_COMPLETE, then UPGRADE. */
  merged_events(&REQ,
                "GET / HTTP/1.1\r\nConnection: upgrade\r\n"
                "Upgrade: ws\r\n\r\nxx",
                got);
  ASSERT_STR_EQ(got, "HCU");
  /* A response to HEAD with a length: after_head may still ask for the
   * body, so the end is not merged into the head. */
  drv_opts_t head = RES;
  head.method = LODE_HTTP_HEAD;
  merged_events(&head, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", got);
  ASSERT_STR_EQ(got, "HC");
  merged_events(&RES, "HTTP/1.1 204 No Content\r\n\r\n", got);
  ASSERT_STR_EQ(got, "H+");
  /* After a merged head, after_head() changes nothing. */
  lode_http_parser_t p;
  lode_http_event_t ev;
  const char* in = "GET / HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\n";
  lode_http_parser_init(&p, LODE_HTTP_REQUEST,
                        &(lode_http_parser_opts_t){ .merge_complete = 1 });
  ASSERT_OK(lode_http_parser_execute(&p, in, strlen(in), &ev));
  ASSERT_EQ(ev.complete, 1);
  lode_http_parser_after_head(&p, 0, 1);
  size_t off = ev.consumed;
  ASSERT_OK(lode_http_parser_execute(&p, in + off, strlen(in) - off, &ev));
  ASSERT_EQ(ev.type, LODE_HTTP_EV_HEAD);
  ASSERT_EQ(ev.complete, 1);
  ASSERT_EQ(ev.consumed, strlen(in) - off);
  ASSERT_OK(lode_http_parser_execute(&p, in, 0, &ev));
  ASSERT_EQ(ev.type, LODE_HTTP_EV_NEED_MORE);
}

/* The framing found at the head is used by the body's first call,
 * unless something it depends on changed in between: after_head() asking
 * to skip the body, set_method() naming HEAD. Either way the body is not
 * read, as when both were known before the head. */
static void head_then(int skip, int method, const char* want_next) {
  const char* in = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello";
  for (int merge = 0; merge <= 1; merge++) {
    lode_http_parser_t p;
    lode_http_event_t ev;
    lode_http_parser_init(
        &p, LODE_HTTP_RESPONSE,
        &(lode_http_parser_opts_t){ .merge_complete = merge });
    ASSERT_OK(lode_http_parser_execute(&p, in, strlen(in), &ev));
    ASSERT_EQ(ev.type, LODE_HTTP_EV_HEAD);
    ASSERT_EQ(ev.complete, 0);
    if (skip)
      lode_http_parser_after_head(&p, 1, 0);
    if (method)
      lode_http_parser_set_method(&p, method);
    size_t off = ev.consumed;
    ASSERT_OK(lode_http_parser_execute(&p, in + off, strlen(in) - off, &ev));
    if (want_next == NULL) {
      ASSERT_EQ(ev.type, LODE_HTTP_EV_MESSAGE_COMPLETE);
      ASSERT_EQ(ev.consumed, 0);
    } else {
      ASSERT_EQ(ev.type, LODE_HTTP_EV_BODY);
      ASSERT_MEM_EQ(ev.data.base, ev.data.len, want_next, strlen(want_next));
      ASSERT_EQ(ev.complete, merge);
    }
  }
}

TEST(framing_decided_again_after_the_head) {
  head_then(0, 0, "hello");
  head_then(0, LODE_HTTP_GET, "hello");
  head_then(1, 0, NULL);
  head_then(0, LODE_HTTP_HEAD, NULL);
}

TEST_MAIN(views_and_pipelining, chunked_with_extensions_and_trailers,
          smuggling_cl_te, smuggling_te_obfuscation,
          smuggling_duplicate_and_bad_content_length,
          smuggling_folding_bare_cr_lf_nul, responses_without_body,
          response_until_close, upgrade_and_connect, keep_alive_rules,
          header_limits, limits_out_of_range, chunk_extensions_capped,
          lenient_flags_one_by_one, bad_input_same_verdict_every_split,
          one_pass_edges, one_pass_agrees_with_precise, merge_complete_events,
          framing_decided_again_after_the_head)
