/* libFuzzer target: the WebSocket frame decoder, both roles, the input cut
 * into pieces at lengths taken from its first bytes; text payloads go
 * through the UTF-8 validator and compressed ones through inflate. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "ws/internal.h"

static void run(const uint8_t* data, size_t size, int is_server, int rsv1,
                size_t step) {
  lode__ws_decoder_t d;
  lode__ws_decoder_init(&d, is_server);
  d.allow_rsv1 = rsv1;
  lode__utf8_t u;
  lode__utf8_init(&u);
  lode__pmd_params_t params = { 0 };
  lode__pmd_t* z = rsv1 ? lode__pmd_new(is_server, &params) : NULL;
  lode__buf_t out = { 0 };
  uint8_t tmp[4096];
  size_t at = 0;
  while (at < size) {
    size_t len = size - at < step ? size - at : step;
    const uint8_t* p = data + at;
    at += len;
    for (;;) {
      size_t used, clen;
      const uint8_t* chunk;
      uint64_t off;
      int ev = lode__ws_decode(&d, p, len, &used, &chunk, &clen, &off);
      p += used;
      len -= used;
      if (ev == LODE__WS_DEC_NEED || ev == LODE__WS_DEC_ERROR)
        break;
      if (ev != LODE__WS_DEC_PAYLOAD)
        continue;
      size_t n = clen < sizeof(tmp) ? clen : sizeof(tmp);
      lode__ws_mask(tmp, chunk, n, d.frame.mask, off);
      lode__utf8_feed(&u, tmp, n);
      if (z != NULL && d.frame.rsv1)
        lode__pmd_decompress(z, tmp, n, 0, 1 << 20, &out);
    }
    if (d.error)
      break;
  }
  lode__pmd_free(z);
  lode__buf_free(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2)
    return 0;
  size_t step = (size_t) data[0] % 32 + 1;
  int flags = data[1];
  run(data + 2, size - 2, flags & 1, (flags >> 1) & 1, step);
  return 0;
}
