/* A reset parser parses exactly as a new one (a server's parser pool, a
 * client's reused parser): after every kind of parse error, and after a
 * message cut at every byte, lode_http_parser_reset() and then a set of
 * valid messages must give the same events, bodies, headers and trailers
 * as a new parser, fed whole and byte by byte. */
#include "test.h"
#include "driver.h"

/* A bad input and the error it must give (so the list provably reaches
 * every code the parser can return). */
typedef struct {
  drv_opts_t o;
  const char* in;
  int code;
} bad_t;

#define CHUNKED_POST                                                           \
  "POST /p HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
#define REQ_ LODE_HTTP_REQUEST
#define RES_ LODE_HTTP_RESPONSE
#define LENIENT_ALL_ LODE_HTTP_LENIENT_ALL
/* 40 bytes: over the limits the bad inputs set (the good ones fit) */
#define LONG_ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"

static const bad_t bad[] = {
  /* the chunk framing, failing in each of its states */
  { { .type = REQ_ }, CHUNKED_POST "1\r\na\rX", LODE_HPE_STRICT },
  { { .type = REQ_ }, CHUNKED_POST "1\r\na\n", LODE_HPE_CR_EXPECTED },
  { { .type = REQ_ }, CHUNKED_POST "3\r\nab", LODE_HPE_INVALID_EOF_STATE },
  { { .type = REQ_ }, CHUNKED_POST "1f;x=\"a\\", LODE_HPE_INVALID_EOF_STATE },
  { { .type = REQ_ }, CHUNKED_POST "zz\r\n", LODE_HPE_INVALID_CHUNK_SIZE },
  { { .type = REQ_ },
    CHUNKED_POST "12345678901234567\r\n",
    LODE_HPE_INVALID_CHUNK_SIZE },
  { { .type = REQ_ }, CHUNKED_POST "1;a b\r\n", LODE_HPE_STRICT },
  { { .type = REQ_ }, CHUNKED_POST "1;a=\"\x01\"\r\n", LODE_HPE_STRICT },
  { { .type = REQ_ }, CHUNKED_POST "1\rX", LODE_HPE_STRICT },
  { { .type = REQ_ }, CHUNKED_POST "1\n", LODE_HPE_CR_EXPECTED },
  { { .type = REQ_, .max_chunk_extensions = 20 },
    CHUNKED_POST "1;" LONG_ "\r\n",
    LODE_HPE_CHUNK_EXTENSIONS_OVERFLOW },
  { { .type = REQ_ },
    CHUNKED_POST "1\r\na\r\n0\r\nT: 1\r\nX Y: 2\r\n\r\n",
    LODE_HPE_INVALID_HEADER_TOKEN },
  { { .type = REQ_ },
    CHUNKED_POST "0\r\nT: 1\r\n",
    LODE_HPE_INVALID_EOF_STATE },
  /* lenient framing: the states only lenient flags reach */
  { { .type = REQ_, .lenient = LENIENT_ALL_ },
    CHUNKED_POST "2 \t \r\nab\rX\n",
    LODE_HPE_INVALID_CHUNK_SIZE },
  { { .type = REQ_, .lenient = LENIENT_ALL_ },
    CHUNKED_POST "2\nab\r",
    LODE_HPE_INVALID_EOF_STATE },
  /* heads: start line and header lines, request and response */
  { { .type = REQ_ }, "XYZ / HTTP/1.1\r\n\r\n", LODE_HPE_INVALID_METHOD },
  { { .type = REQ_ }, "GET /\x01 HTTP/1.1\r\n\r\n", LODE_HPE_INVALID_URL },
  { { .type = REQ_ }, "GET / XTTP/1.1\r\n\r\n", LODE_HPE_INVALID_CONSTANT },
  { { .type = REQ_ }, "GET / HTTP/2.1\r\n\r\n", LODE_HPE_INVALID_VERSION },
  { { .type = REQ_ },
    "GET / HTTP/1.1\r\nHost: h\r\nX Y: z\r\n\r\n",
    LODE_HPE_INVALID_HEADER_TOKEN },
  { { .type = REQ_ },
    "GET / HTTP/1.1\r\n Host: h\r\n\r\n",
    LODE_HPE_UNEXPECTED_SPACE },
  { { .type = REQ_ }, "GET / HTTP/1.1\r\nA: b\r\x01", LODE_HPE_LF_EXPECTED },
  { { .type = REQ_ },
    "GET / HTTP/1.1\r\nHost: h\r\nX: a\x01"
    "b\r\n\r\n",
    LODE_HPE_INVALID_HEADER_TOKEN },
  { { .type = REQ_ }, "GET / HTTP/1.1\r\nHost: h\n\r\n", LODE_HPE_CR_EXPECTED },
  { { .type = REQ_ },
    "POST / HTTP/1.1\r\nContent-Length: 1x\r\n\r\n",
    LODE_HPE_INVALID_CONTENT_LENGTH },
  { { .type = REQ_ },
    "POST / HTTP/1.1\r\nContent-Length: 1\r\n"
    "Content-Length: 2\r\n\r\n",
    LODE_HPE_UNEXPECTED_CONTENT_LENGTH },
  { { .type = REQ_ },
    "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n"
    "Content-Length: 2\r\n\r\n",
    LODE_HPE_INVALID_CONTENT_LENGTH },
  { { .type = REQ_ },
    "POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n",
    LODE_HPE_INVALID_TRANSFER_ENCODING },
  { { .type = REQ_ },
    "POST / HTTP/1.1\r\nTransfer-Encoding: chunked, x\r\n\r\n",
    LODE_HPE_INVALID_TRANSFER_ENCODING },
  { { .type = REQ_, .max_header_size = 64 },
    "GET /" LONG_ " HTTP/1.1\r\nAbc: " LONG_ "\r\n\r\n",
    LODE_HPE_HEADER_OVERFLOW },
  { { .type = REQ_, .max_header_size = 64 },
    "GET / HTTP/1.1\r\nX: " LONG_ LONG_,
    LODE_HPE_HEADER_OVERFLOW },
  { { .type = REQ_ },
    "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
    LODE_HPE_PAUSED_H2_UPGRADE },
  { { .type = REQ_ },
    "GET / HTTP/1.1\r\nConnection: close\r\n\r\nX",
    LODE_HPE_CLOSED_CONNECTION },
  { { .type = REQ_ },
    "POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\nab",
    LODE_HPE_INVALID_EOF_STATE },
  { { .type = REQ_ },
    "GET / HTTP/1.1\r\nHost: h\r\n\r\nGET /2 HTTP/1.1\r\nA\r\n\r\n",
    LODE_HPE_INVALID_HEADER_TOKEN },
  { { .type = RES_ }, "HTTP/1.1 2x0 OK\r\n\r\n", LODE_HPE_INVALID_STATUS },
  { { .type = RES_ },
    "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\naHTTP/9.9 200\r\n",
    LODE_HPE_INVALID_VERSION },
  { { .type = RES_ }, "HTTX/1.1 200 OK\r\n\r\n", LODE_HPE_INVALID_CONSTANT },
  { { .type = RES_ },
    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
    "2\r\nab\r\nx",
    LODE_HPE_INVALID_CHUNK_SIZE },
  { { .type = RES_, .max_header_size = 64 },
    "HTTP/1.1 200 OK" LONG_ LONG_ "\r\n\r\n",
    LODE_HPE_HEADER_OVERFLOW },
  { { .type = RES_ },
    "HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nab",
    LODE_HPE_INVALID_EOF_STATE },
};

/* Codes no input gives: INTERNAL (a bad state or type), PAUSED and USER
 * (lode has no pause and no callbacks), PAUSED_UPGRADE (an upgrade is an
 * event, LODE_HTTP_EV_UPGRADE). */
static int unreachable(int code) {
  return code == LODE_HPE_INTERNAL || code == LODE_HPE_PAUSED ||
         code == LODE_HPE_USER || code == LODE_HPE_PAUSED_UPGRADE;
}

/* The valid messages run after each reset, pipelined in one input. */
static const char good_requests[] = CHUNKED_POST
    "3;a=b;c=\"d\\\"e\"\r\nabc\r\n1\r\nz\r\n0;last\r\n"
    "T1: x\r\nT2: y\r\n\r\n"
    "POST /l HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello"
    "GET /g HTTP/1.1\r\nHost: h\r\n\r\n" CHUNKED_POST
    "2\r\nab\r\n0\r\n\r\n"
    "DELETE /d HTTP/1.1\r\nContent-Length: 0\r\n\r\n";
static const char good_responses[] =
    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
    "3;a=b\r\nabc\r\n0\r\nT: v\r\n\r\n"
    "HTTP/1.1 204 No Content\r\n\r\n"
    "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
    "HTTP/1.1 304 Not Modified\r\nETag: x\r\n\r\n"
    "HTTP/1.0 200 OK\r\n\r\nuntil close";

static const char* hpe_name(int code) {
#define NAME_(name, value, msg)                                                \
  if (code == (value))                                                         \
    return #name;
  LODE_HPE_MAP(NAME_)
#undef NAME_
  return code == 0 ? "no error" : "?";
}

static int same(const sbuf_t* a, const sbuf_t* b) {
  return strcmp(a->s ? a->s : "", b->s ? b->s : "") == 0;
}

/* The good input of o's type, on `p` (reset already) and on a new
 * parser, whole and byte by byte, must give the same results. */
static void good_after(lode_http_parser_t* p, const drv_opts_t* o,
                       const char* what) {
  ASSERT_EQ(lode_http_parser_error(p), 0);
  ASSERT_EQ(lode_http_parser_error_offset(p), 0);
  drv_opts_t g = *o;
  g.finish = 1;
  const char* in = o->type == LODE_HTTP_REQUEST ? good_requests
                                                : good_responses;
  size_t n = strlen(in);
  for (size_t piece = 0; piece < 2; piece++) {
    drv_result_t fresh, reused;
    drv_run(&g, (const unsigned char*) in, n, piece, 0, &fresh);
    ASSERT_EQ(fresh.error, 0);
    ASSERT_EQ(fresh.messages, 5);
    if (piece == 1) { /* the second run starts from a reset again */
      lode_http_parser_reset(p);
    }
    drv_run_on(p, &g, (const unsigned char*) in, n, piece, 0, &reused);
    if (!same(&fresh.log, &reused.log) || !same(&fresh.body, &reused.body) ||
        !same(&fresh.headers, &reused.headers) ||
        !same(&fresh.trailers, &reused.trailers)) {
      fprintf(stderr,
              "after %s (piece %zu, merge %d)\n--- new parser\n%s"
              "--- reset parser\n%s",
              what, piece, o->merge, fresh.log.s ? fresh.log.s : "",
              reused.log.s ? reused.log.s : "");
      ASSERT(0);
    }
    drv_free(&fresh);
    drv_free(&reused);
  }
}

static int slot(int code) {
  return (-code - 7000) & 255;
}

TEST(reset_after_every_error) {
  int seen[256] = { 0 }; /* by -code - 7000 */
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    for (int merge = 0; merge < 2; merge++) {
      for (size_t piece = 0; piece < 2; piece++) {
        drv_opts_t o = bad[i].o;
        o.merge = merge;
        o.finish = 1; /* INVALID_EOF_STATE comes from finish */
        lode_http_parser_t p;
        ASSERT_OK(drv_init(&o, &p));
        drv_result_t r;
        size_t n = strlen(bad[i].in);
        drv_run_on(&p, &o, (const unsigned char*) bad[i].in, n, piece, 0, &r);
        int got = r.error ? r.error : lode_http_parser_error(&p);
        if (got != bad[i].code) {
          fprintf(stderr, "bad input %zu (piece %zu): want %s, got %s\n%s\n", i,
                  piece, hpe_name(bad[i].code), hpe_name(got),
                  r.log.s ? r.log.s : "");
          ASSERT(0);
        }
        seen[slot(got)] = 1;
        drv_free(&r);
        lode_http_parser_reset(&p);
        char what[64];
        snprintf(what, sizeof(what), "bad input %zu", i);
        o.finish = 0;
        good_after(&p, &o, what);
      }
    }
  }
#define SEEN_(name, value, msg)                                                \
  if (!unreachable(value) && !seen[slot(value)]) {                             \
    fprintf(stderr, "no bad input gives %s\n", #name);                         \
    ASSERT(0);                                                                 \
  }
  LODE_HPE_MAP(SEEN_)
#undef SEEN_
}

/* A message cut at every byte (a connection that ended mid-message,
 * the parser then reset for the next one), in every state it passes. */
TEST(reset_after_every_cut) {
  static const int types[] = { LODE_HTTP_REQUEST, LODE_HTTP_RESPONSE };
  for (int t = 0; t < 2; t++) {
    for (int lenient = 0; lenient < 2; lenient++) {
      drv_opts_t o = { .type = types[t],
                       .lenient = lenient ? LODE_HTTP_LENIENT_ALL : 0 };
      const char* in = o.type == LODE_HTTP_REQUEST ? good_requests
                                                   : good_responses;
      size_t n = strlen(in);
      for (size_t k = 1; k < n; k++) {
        lode_http_parser_t p;
        drv_init(&o, &p);
        drv_result_t r;
        drv_run_on(&p, &o, (const unsigned char*) in, k, 1, 0, &r);
        drv_free(&r);
        lode_http_parser_reset(&p);
        char what[64];
        snprintf(what, sizeof(what), "a cut at %zu", k);
        good_after(&p, &o, what);
      }
    }
  }
}

/* What reset keeps: the options and the method of set_method(). */
TEST(reset_keeps_the_options) {
  lode_http_parser_t p;
  lode_http_parser_opts_t po = { .max_header_size = 20 };
  ASSERT_OK(lode_http_parser_init(&p, LODE_HTTP_RESPONSE, &po));
  lode_http_parser_set_method(&p, LODE_HTTP_HEAD);
  lode_http_parser_reset(&p);
  lode_http_event_t ev;
  const char* head = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n";
  ASSERT_OK(lode_http_parser_execute(&p, head, strlen(head), &ev));
  ASSERT_EQ(ev.type, LODE_HTTP_EV_HEAD);
  ASSERT_OK(lode_http_parser_execute(&p, "", 0, &ev));
  ASSERT_EQ(ev.type, LODE_HTTP_EV_MESSAGE_COMPLETE); /* HEAD: no body */
  lode_http_parser_reset(&p);
  const char* big = "HTTP/1.1 200 OKKKKKKKKKKKKKKKKKKKKKK\r\n\r\n";
  ASSERT_EQ(lode_http_parser_execute(&p, big, strlen(big), &ev),
            LODE_HPE_HEADER_OVERFLOW);
}

TEST_MAIN(reset_after_every_error, reset_after_every_cut,
          reset_keeps_the_options)
