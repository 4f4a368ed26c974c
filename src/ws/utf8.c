/* UTF-8 validation for text messages and close reasons (RFC 3629), one
 * byte at a time across chunk boundaries, and the close code rules. */
#include "ws/internal.h"

#include <string.h>

/* Sets the expectations after a lead byte; 0, or -1 if it cannot lead. */
static int lead(lode__utf8_t* u, uint8_t c) {
  u->lo = 0x80;
  u->hi = 0xBF;
  if (c >= 0xC2 && c <= 0xDF) {
    u->need = 1;
  } else if (c >= 0xE0 && c <= 0xEF) {
    u->need = 2;
    if (c == 0xE0)
      u->lo = 0xA0; /* no overlongs */
    if (c == 0xED)
      u->hi = 0x9F; /* no surrogates */
  } else if (c >= 0xF0 && c <= 0xF4) {
    u->need = 3;
    if (c == 0xF0)
      u->lo = 0x90; /* no overlongs */
    if (c == 0xF4)
      u->hi = 0x8F; /* nothing past U+10FFFF */
  } else {
    return -1;
  }
  return 0;
}

int lode__utf8_feed(lode__utf8_t* u, const uint8_t* p, size_t n) {
  size_t i = 0;
  while (i < n) {
    if (u->need == 0) {
      /* ASCII runs eight bytes at a time. */
      while (i + 8 <= n) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        if (w & 0x8080808080808080ull)
          break;
        i += 8;
      }
      if (i == n)
        break;
      uint8_t c = p[i++];
      if (c < 0x80)
        continue;
      if (lead(u, c) != 0)
        return -1;
      continue;
    }
    uint8_t c = p[i++];
    if (c < u->lo || c > u->hi)
      return -1;
    u->lo = 0x80;
    u->hi = 0xBF;
    u->need--;
  }
  return 0;
}

int lode__utf8_valid(const uint8_t* p, size_t n) {
  lode__utf8_t u;
  lode__utf8_init(&u);
  return lode__utf8_feed(&u, p, n) == 0 && lode__utf8_complete(&u);
}

int lode__ws_close_code_valid(int code) {
  if (code >= LODE_WEBSOCKET_CLOSE_NORMAL &&
      code <= LODE_WEBSOCKET_CLOSE_BAD_GATEWAY)
    return code != LODE_WEBSOCKET_CLOSE_RESERVED &&
           code != LODE_WEBSOCKET_CLOSE_NO_STATUS &&
           code != LODE_WEBSOCKET_CLOSE_ABNORMAL;
  return code >= LODE_WEBSOCKET_CLOSE_APP_FIRST &&
         code <= LODE_WEBSOCKET_CLOSE_APP_LAST;
}

int lode__ws_close_code_sendable(int is_server, int code) {
  if (is_server)
    return lode__ws_close_code_valid(code);
  return code == LODE_WEBSOCKET_CLOSE_NORMAL ||
         (code >= LODE_WEBSOCKET_CLOSE_APP_FIRST &&
          code <= LODE_WEBSOCKET_CLOSE_APP_LAST);
}
