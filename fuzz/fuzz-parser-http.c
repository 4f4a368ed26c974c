/* libFuzzer target: the HTTP parser. The first byte picks requests or
 * responses and the lenient flags, the second the size of the pieces the
 * rest is fed in; unconsumed bytes are kept contiguous in an exact-size
 * copy per call, as a socket reader would, so any over-read is caught.
 * Checks the API's promises too: views stay inside the input, consumed
 * never exceeds what was given, an error repeats once set. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lode/http_parser.h"

#define CHECK(c) do { if (!(c)) abort(); } while (0)

static void inside(lode_slice_t v, const char* b, size_t len) {
  if (v.len == 0) return;
  CHECK(v.base >= b && v.base + v.len <= b + len);
}

static void check_head(const lode_http_parser_t* p, const char* b,
                       size_t len) {
  const lode_http_head_t* h = lode_http_parser_head(p);
  inside(h->url, b, len);
  inside(h->method_name, b, len);
  inside(h->status_text, b, len);
  for (size_t i = 0; i < h->num_headers; i++) {
    inside(h->headers[i].name, b, len);
    inside(h->headers[i].value, b, len);
  }
}

static void run(const uint8_t* in, size_t n, uint8_t mode, size_t piece) {
  lode_http_parser_t p;
  lode_http_parser_opts_t o = {
    .lenient = (mode & 0x40) ? LODE_HTTP_LENIENT_ALL : (mode & 0x3f) << 4,
    .max_header_size = (mode & 0x80) ? 256 : 0,
    .method = (mode & 3) == 3 ? LODE_HTTP_HEAD : 0,
  };
  lode_http_parser_init(&p, (mode & 1) ? LODE_HTTP_RESPONSE
                                       : LODE_HTTP_REQUEST, &o);
  size_t start = 0, avail = 0;
  while (avail < n) {
    avail = avail + piece > n ? n : avail + piece;
    for (;;) {
      size_t len = avail - start;
      char* copy = malloc(len ? len : 1);
      memcpy(copy, in + start, len);
      lode_http_event_t ev;
      int rc = lode_http_parser_execute(&p, copy, len, &ev);
      if (rc < 0) {
        CHECK(lode_http_parser_error_offset(&p) <= len);
        CHECK(lode_http_parser_execute(&p, copy, len, &ev) == rc);
        free(copy);
        return;
      }
      CHECK(ev.consumed <= len);
      if (ev.type == LODE_HTTP_EV_HEAD) check_head(&p, copy, len);
      if (ev.type == LODE_HTTP_EV_BODY) inside(ev.data, copy, len);
      for (size_t i = 0; i < ev.num_trailers; i++)
        inside(ev.trailers[i].value, copy, len);
      free(copy);
      start += ev.consumed;
      if (ev.type == LODE_HTTP_EV_UPGRADE) return;
      if (ev.type == LODE_HTTP_EV_NEED_MORE) break;
    }
  }
  lode_http_event_t ev;
  lode_http_parser_finish(&p, &ev);
}

int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  size_t piece = data[1] % 16 == 0 ? size : data[1] % 16;
  run(data + 2, size - 2, data[0], piece);
  return 0;
}
