/* Parser benchmark: nanoseconds per message and bytes per second on
 * real-world inputs, lode against llhttp and picohttpparser in the same
 * run (each when built in, see bench.cmake). All of them start a fresh
 * parser per input and go through every message of it, heads and bodies:
 * llhttp runs with no callbacks but message-complete; lode hands out its
 * views (which cost nothing more) and runs with merge_complete (a
 * message's end on the event that ends it); picohttpparser parses each
 * head into its header array and, where the input has a body, finds the
 * framing a server needs (Content-Length or chunked, by header name) and
 * goes through the body (phr_decode_chunked on a copy, as it decodes in
 * place). pico checks far less than the other two (no framing rules, no
 * duplicate Content-Length, bare LF accepted). LODE_SIMD=0/1/2 forces
 * lode's scanning path.
 *
 *   bench-parser-http [iterations [input [lode|llhttp|pico]]]
 *
 * With an input number (0-4) and a parser name, runs only that pair and
 * prints nothing but its result: a run to count instructions of, e.g.
 *   valgrind --tool=callgrind bench-parser-http 10000 0 lode
 * (bench/parser/callgrind.sh makes the whole table that way). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "lode/http_parser.h"
#ifdef HAVE_LLHTTP
#include "llhttp.h"
#endif
#ifdef HAVE_PICO
#include "picohttpparser.h"
#endif

typedef struct {
  const char* name;
  int response;
  char* data;
  size_t len;
  int messages;
  int body; /* some message has a body: pico looks for its framing */
} input_t;

static char* dup_str(const char* s) {
  size_t n = strlen(s);
  char* d = malloc(n + 1);
  memcpy(d, s, n + 1);
  return d;
}

static const char curl_get[] =
    "GET /index.html HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n"
    "User-Agent: curl/7.88.1\r\nAccept: */*\r\n\r\n";

static const char browser_get[] =
    "GET /wp-content/uploads/2024/01/landscape-photo.jpg?w=1200&q=80 "
    "HTTP/1.1\r\n"
    "Host: www.example-news-site.com\r\n"
    "Connection: keep-alive\r\n"
    "sec-ch-ua: \"Chromium\";v=\"122\", \"Not(A:Brand\";v=\"24\", "
    "\"Google Chrome\";v=\"122\"\r\n"
    "sec-ch-ua-mobile: ?0\r\n"
    "User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36\r\n"
    "sec-ch-ua-platform: \"Linux\"\r\n"
    "Accept: image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;"
    "q=0.8\r\n"
    "Sec-Fetch-Site: same-origin\r\n"
    "Sec-Fetch-Mode: no-cors\r\n"
    "Sec-Fetch-Dest: image\r\n"
    "Referer: https://www.example-news-site.com/2024/01/15/a-long-article-"
    "title-about-something-interesting/\r\n"
    "Accept-Encoding: gzip, deflate, br, zstd\r\n"
    "Accept-Language: en-US,en;q=0.9,fr;q=0.8,de;q=0.7\r\n"
    "Cookie: _ga=GA1.1.1234567890.1700000000; session_id=6f1c2a7e9b3d4f50"
    "8a1e2c3d4b5a6f70; consent=eyJhbmFseXRpY3MiOnRydWUsImFkcyI6ZmFsc2V9; "
    "_ga_ABCDEF1234=GS1.1.1705312345.12.1.1705312399.0.0.0; theme=dark; "
    "recently_viewed=1234%2C5678%2C9012%2C3456\r\n"
    "If-None-Match: \"5f3c-60a1b2c3d4e5f\"\r\n"
    "If-Modified-Since: Mon, 15 Jan 2024 10:20:30 GMT\r\n\r\n";

static const char chunked_post[] =
    "POST /api/v1/events HTTP/1.1\r\nHost: collector.internal\r\n"
    "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
    "1e\r\n{\"event\":\"click\",\"x\":10,\"y\":2}\r\n"
    "21\r\n{\"event\":\"scroll\",\"dy\":300,\"t\":7}\r\n"
    "0\r\n\r\n";

static const char response[] =
    "HTTP/1.1 200 OK\r\nDate: Mon, 15 Jan 2024 10:20:30 GMT\r\n"
    "Content-Type: text/html; charset=utf-8\r\nContent-Length: 48\r\n"
    "Connection: keep-alive\r\nKeep-Alive: timeout=5\r\n"
    "Cache-Control: no-cache\r\nX-Request-Id: 3f2a9c1e-77b0-4e1f\r\n\r\n"
    "<html><body><h1>Hello, world!</h1></body></html>";

static double now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static const lode_http_parser_opts_t merged = { .merge_complete = 1 };

static int lode_parse(const input_t* in) {
  lode_http_parser_t p;
  lode_http_parser_init(
      &p, in->response ? LODE_HTTP_RESPONSE : LODE_HTTP_REQUEST, &merged);
  const char* q = in->data;
  size_t len = in->len;
  int done = 0;
  for (;;) {
    lode_http_event_t ev;
    if (lode_http_parser_execute(&p, q, len, &ev) < 0)
      return -1;
    q += ev.consumed;
    len -= ev.consumed;
    if (ev.type == LODE_HTTP_EV_MESSAGE_COMPLETE || ev.complete)
      done++;
    if (ev.type == LODE_HTTP_EV_NEED_MORE || (ev.complete && len == 0))
      return done;
  }
}

#ifdef HAVE_LLHTTP
static int ll_done;
static int ll_complete(llhttp_t* p) {
  (void) p;
  ll_done++;
  return 0;
}

static int llhttp_parse(const input_t* in) {
  static llhttp_settings_t s;
  llhttp_t p;
  llhttp_settings_init(&s);
  s.on_message_complete = ll_complete;
  llhttp_init(&p, in->response ? HTTP_RESPONSE : HTTP_REQUEST, &s);
  ll_done = 0;
  if (llhttp_execute(&p, in->data, in->len) != HPE_OK)
    return -1;
  return ll_done;
}
#endif

#ifdef HAVE_PICO
/* The framing a server on pico finds among the headers: the body's
 * length (-1: none), or chunked. */
static long pico_framing(const struct phr_header* h, size_t n, int* chunked) {
  long cl = -1;
  for (size_t i = 0; i < n; i++) {
    if (h[i].name_len == 14 &&
        strncasecmp(h[i].name, "content-length", 14) == 0) {
      cl = 0;
      for (size_t k = 0; k < h[i].value_len; k++)
        cl = cl * 10 + (h[i].value[k] - '0');
    } else if (h[i].name_len == 17 &&
               strncasecmp(h[i].name, "transfer-encoding", 17) == 0) {
      *chunked = h[i].value_len == 7 &&
                 strncasecmp(h[i].value, "chunked", 7) == 0;
    }
  }
  return cl;
}

static int pico_parse(const input_t* in) {
  struct phr_header h[64];
  const char* q = in->data;
  size_t len = in->len;
  int done = 0;
  while (len > 0) {
    const char *m, *path, *msg;
    size_t mlen, plen, msglen, n = 64;
    int minor, status, r;
    if (in->response)
      r = phr_parse_response(q, len, &minor, &status, &msg, &msglen, h, &n, 0);
    else
      r = phr_parse_request(q, len, &m, &mlen, &path, &plen, &minor, h, &n, 0);
    if (r < 0)
      return -1;
    q += r, len -= (size_t) r;
    if (in->body) {
      int chunked = 0;
      long cl = pico_framing(h, n, &chunked);
      if (chunked) {
        char copy[4096];
        struct phr_chunked_decoder d = { .consume_trailer = 1 };
        size_t sz = len < sizeof(copy) ? len : sizeof(copy);
        memcpy(copy, q, sz);
        ssize_t left = phr_decode_chunked(&d, copy, &sz);
        if (left < 0)
          return -1;
        q += len - (size_t) left, len = (size_t) left;
      } else if (cl > 0) {
        if ((size_t) cl > len)
          return -1;
        q += cl, len -= (size_t) cl;
      }
    }
    done++;
  }
  return done;
}
#endif

typedef int (*parse_fn)(const input_t*);

static double run(parse_fn f, const input_t* in, long iters) {
  volatile int sink = 0;
  for (long i = 0; i < iters / 10; i++)
    sink += f(in); /* warm up */
  double t0 = now_ns();
  for (long i = 0; i < iters; i++)
    sink += f(in);
  double t = now_ns() - t0;
  (void) sink;
  return t / ((double) iters * in->messages);
}

/* Wall time swings on a shared machine: rounds alternate the two parsers
 * and the median of each is reported. */
#define ROUNDS 5

static int by_value(const void* a, const void* b) {
  double x = *(const double*) a, y = *(const double*) b;
  return x < y ? -1 : x > y;
}

static double median(double* v) {
  qsort(v, ROUNDS, sizeof(v[0]), by_value);
  return v[ROUNDS / 2];
}

static int check(parse_fn f, const input_t* in, const char* who) {
  if (f(in) == in->messages)
    return 0;
  fprintf(stderr, "%s: %s did not parse it\n", in->name, who);
  return -1;
}

/* The parsers built in, lode first. */
static const struct {
  const char* name;
  parse_fn f;
} parsers[] = {
  { "lode", lode_parse },
#ifdef HAVE_LLHTTP
  { "llhttp", llhttp_parse },
#endif
#ifdef HAVE_PICO
  { "pico", pico_parse },
#endif
};
#define NPARSERS (sizeof(parsers) / sizeof(parsers[0]))

/* Each round runs every parser once, in turn; a parser's figure is the
 * median of its rounds. Ratios are the other parser's time over lode's. */
static int compare(const input_t* in, long iters) {
  double t[NPARSERS][ROUNDS];
  for (size_t k = 0; k < NPARSERS; k++)
    if (check(parsers[k].f, in, parsers[k].name) < 0)
      return -1;
  for (int r = 0; r < ROUNDS; r++)
    for (size_t k = 0; k < NPARSERS; k++)
      t[k][r] = run(parsers[k].f, in, iters / ROUNDS);
  double per = (double) in->len / in->messages, lm = median(t[0]);
  printf("%-18s %6zu %8.1f %8.0f", in->name, in->len, lm, per / lm * 1e3);
  for (size_t k = 1; k < NPARSERS; k++) {
    double m = median(t[k]);
    printf(" %8.1f %8.0f %6.2fx", m, per / m * 1e3, m / lm);
  }
  printf("\n");
  return 0;
}

/* One parser on one input, silently: for callgrind. */
static int alone(const input_t* in, const char* who, long iters) {
  parse_fn f = NULL;
  for (size_t k = 0; k < NPARSERS; k++)
    if (strcmp(who, parsers[k].name) == 0)
      f = parsers[k].f;
  if (f == NULL) {
    fprintf(stderr, "%s: no such parser here\n", who);
    return -1;
  }
  if (check(f, in, who) < 0)
    return -1;
  volatile int sink = 0;
  for (long i = 0; i < iters; i++)
    sink += f(in);
  return 0;
}

int main(int argc, char** argv) {
  long iters = argc > 1 ? atol(argv[1]) : 200000;
  int only = argc > 3 ? atoi(argv[2]) : -1;
  const char* simd = getenv("LODE_SIMD");
  int level = lode_http_parser_use_simd(simd ? atoi(simd)
                                             : LODE_HTTP_SIMD_AUTO);
  input_t in[5] = {
    { "curl GET", 0, dup_str(curl_get), 0, 1, 0 },
    { "browser GET", 0, dup_str(browser_get), 0, 1, 0 },
    { "chunked POST", 0, dup_str(chunked_post), 0, 1, 1 },
    { "16 pipelined GETs", 0, NULL, 0, 16, 0 },
    { "response", 1, dup_str(response), 0, 1, 1 },
  };
  size_t cl = strlen(curl_get);
  in[3].data = malloc(16 * cl + 1);
  for (int i = 0; i < 16; i++)
    memcpy(in[3].data + i * cl, curl_get, cl);
  in[3].data[16 * cl] = 0;
  for (int i = 0; i < 5; i++)
    in[i].len = strlen(in[i].data);
  int rc = 0;
  if (only >= 0 && only < 5) {
    rc = alone(&in[only], argv[3], iters);
  } else {
    printf(
        "lode scanning path: %s; %ld iterations, median of %d rounds; "
        "ns per message, MB/s, and the other's time over lode's\n",
        level == 2   ? "AVX2"
        : level == 1 ? "SSE4.2"
                     : "scalar",
        iters, ROUNDS);
    printf("%-18s %6s %8s %8s", "input", "bytes", "lode ns", "MB/s");
    for (size_t k = 1; k < NPARSERS; k++)
      printf(" %6s ns %8s %7s", parsers[k].name, "MB/s", "ratio");
    printf("\n");
    for (int i = 0; i < 5 && rc == 0; i++)
      rc = compare(&in[i], iters);
  }
  for (int i = 0; i < 5; i++)
    free(in[i].data);
  return rc < 0 ? 1 : 0;
}
