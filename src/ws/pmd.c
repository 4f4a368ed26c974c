/* permessage-deflate (RFC 7692): the Sec-WebSocket-Extensions grammar, the
 * negotiation of both roles, and compression with zlib's raw deflate. */
#include "ws/internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>
#include <zlib.h>

static int is_tchar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9') || (c != '\0' && strchr("!#$%&'*+-.^_`|~", c));
}

static size_t skip_ows(const char* s, size_t len, size_t i) {
  while (i < len && (s[i] == ' ' || s[i] == '\t'))
    i++;
  return i;
}

static lode_slice_t trim(const char* s, size_t len) {
  while (len > 0 && (*s == ' ' || *s == '\t')) {
    s++;
    len--;
  }
  while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
    len--;
  return (lode_slice_t){ s, len };
}

int lode__ws_ext_next(const char* s, size_t len, size_t* pos,
                      lode_slice_t* name, lode_slice_t* params) {
  size_t i = *pos;
  while (i < len && (s[i] == ' ' || s[i] == '\t' || s[i] == ','))
    i++;
  if (i == len)
    return 0;
  size_t start = i;
  while (i < len && is_tchar(s[i]))
    i++;
  if (i == start)
    return -1;
  *name = (lode_slice_t){ s + start, i - start };
  i = skip_ows(s, len, i);
  size_t pstart = i;
  int quoted = 0;
  for (; i < len && (quoted || s[i] != ','); i++) {
    if (s[i] == '"')
      quoted = !quoted;
    else if (quoted && s[i] == '\\')
      i++;
  }
  if (quoted || (i > pstart && s[pstart] != ';'))
    return -1;
  *params = (lode_slice_t){ s + pstart, i - pstart };
  *pos = i;
  return 1;
}

/* A window-bits value: 8..15, or -1. */
static int window_bits(lode_slice_t v) {
  if (v.len >= 2 && v.base[0] == '"' && v.base[v.len - 1] == '"')
    v = (lode_slice_t){ v.base + 1, v.len - 2 };
  if (v.len == 1 && v.base[0] >= '8' && v.base[0] <= '9')
    return v.base[0] - '0';
  if (v.len == 2 && v.base[0] == '1' && v.base[1] >= '0' && v.base[1] <= '5')
    return 10 + v.base[1] - '0';
  return -1;
}

static int parse_param(lode_slice_t p, lode__pmd_params_t* out) {
  const char* eq = memchr(p.base, '=', p.len);
  lode_slice_t key = trim(p.base, eq ? (size_t) (eq - p.base) : p.len);
  lode_slice_t val = eq ? trim(eq + 1, p.len - (eq + 1 - p.base))
                        : (lode_slice_t){ NULL, 0 };
  int* flag = NULL;
  if (lode__ws_slice_ieq(key, "server_no_context_takeover"))
    flag = &out->server_no_context_takeover;
  else if (lode__ws_slice_ieq(key, "client_no_context_takeover"))
    flag = &out->client_no_context_takeover;
  if (flag != NULL) {
    if (eq != NULL || *flag)
      return -1;
    *flag = 1;
    return 0;
  }
  if (lode__ws_slice_ieq(key, "server_max_window_bits")) {
    if (eq == NULL || out->server_max_window_bits != 0)
      return -1;
    out->server_max_window_bits = window_bits(val);
    return out->server_max_window_bits > 0 ? 0 : -1;
  }
  if (lode__ws_slice_ieq(key, "client_max_window_bits")) {
    if (out->client_max_window_bits != 0)
      return -1;
    out->client_max_window_bits = eq ? window_bits(val) : -1;
    return eq == NULL || out->client_max_window_bits > 0 ? 0 : -1;
  }
  return -1;
}

int lode__pmd_parse(lode_slice_t params, lode__pmd_params_t* out) {
  memset(out, 0, sizeof(*out));
  const char* s = params.base;
  size_t len = params.len, i = 0;
  while (i < len) {
    if (s[i] != ';')
      return -1;
    size_t start = ++i;
    int quoted = 0;
    for (; i < len && (quoted || s[i] != ';'); i++)
      if (s[i] == '"')
        quoted = !quoted;
    if (parse_param((lode_slice_t){ s + start, i - start }, out) != 0)
      return -1;
  }
  return 0;
}

/* "; name" or "; name=bits" for one parameter. */
static int add_param(lode__buf_t* out, const char* name, int bits) {
  char num[16];
  int rc = lode__buf_append(out, "; ", 2);
  if (rc == 0)
    rc = lode__buf_append_str(out, name);
  if (rc == 0 && bits > 0) {
    int n = snprintf(num, sizeof(num), "=%d", bits); /* fits any int */
    rc = lode__buf_append(out, num, (size_t) n);
  }
  return rc;
}

int lode__pmd_format(const lode__pmd_params_t* p, lode__buf_t* out) {
  int rc = lode__buf_append_str(out, "permessage-deflate");
  if (rc == 0 && p->server_no_context_takeover)
    rc = add_param(out, "server_no_context_takeover", 0);
  if (rc == 0 && p->client_no_context_takeover)
    rc = add_param(out, "client_no_context_takeover", 0);
  if (rc == 0 && p->server_max_window_bits > 0)
    rc = add_param(out, "server_max_window_bits", p->server_max_window_bits);
  if (rc == 0 && p->client_max_window_bits != 0)
    rc = add_param(out, "client_max_window_bits", p->client_max_window_bits);
  return rc;
}

/* One client offer against the server's options; 1 if acceptable. zlib's
 * raw deflate cannot use an 8-bit window, so a server asked for one
 * declines the offer. */
static int server_accept(const lode__pmd_params_t* offer,
                         const lode_websocket_opts_t* o,
                         lode__pmd_params_t* a) {
  memset(a, 0, sizeof(*a));
  a->server_no_context_takeover = o->server_no_context_takeover ||
                                  offer->server_no_context_takeover;
  a->client_no_context_takeover = o->client_no_context_takeover ||
                                  offer->client_no_context_takeover;
  a->server_max_window_bits = offer->server_max_window_bits;
  if (o->server_max_window_bits > 0 &&
      (a->server_max_window_bits == 0 ||
       o->server_max_window_bits < a->server_max_window_bits))
    a->server_max_window_bits = o->server_max_window_bits;
  if (a->server_max_window_bits == 8)
    return 0;
  if (o->client_max_window_bits > 0) {
    if (offer->client_max_window_bits == 0)
      return 0;
    a->client_max_window_bits = o->client_max_window_bits;
    if (offer->client_max_window_bits > 0 &&
        offer->client_max_window_bits < a->client_max_window_bits)
      a->client_max_window_bits = offer->client_max_window_bits;
  } else if (offer->client_max_window_bits > 0) {
    a->client_max_window_bits = offer->client_max_window_bits;
  }
  return 1;
}

int lode__pmd_server_negotiate(const char* offers, size_t len,
                               const lode_websocket_opts_t* opts,
                               lode__pmd_params_t* agreed) {
  size_t pos = 0;
  lode_slice_t name, params;
  int rc, found = 0;
  while ((rc = lode__ws_ext_next(offers, len, &pos, &name, &params)) == 1) {
    if (!lode__ws_slice_ieq(name, "permessage-deflate"))
      continue;
    lode__pmd_params_t offer;
    if (lode__pmd_parse(params, &offer) != 0)
      return -1;
    if (!found && server_accept(&offer, opts, agreed))
      found = 1;
  }
  return rc < 0 ? -1 : found;
}

int lode__pmd_client_accept(lode_slice_t params, const lode_websocket_opts_t* o,
                            lode__pmd_params_t* a) {
  if (lode__pmd_parse(params, a) != 0)
    return -1;
  if (a->client_max_window_bits == -1 || a->client_max_window_bits == 8)
    return -1;
  if (o->client_max_window_bits > 0 &&
      (a->client_max_window_bits == 0 ||
       a->client_max_window_bits > o->client_max_window_bits))
    a->client_max_window_bits = o->client_max_window_bits;
  if (o->server_max_window_bits > 0 &&
      (a->server_max_window_bits == 0 ||
       a->server_max_window_bits > o->server_max_window_bits))
    return -1;
  if (o->server_no_context_takeover && !a->server_no_context_takeover)
    return -1;
  if (o->client_no_context_takeover)
    a->client_no_context_takeover = 1;
  return 0;
}

struct lode__pmd_s {
  z_stream def;
  z_stream inf;
  int def_ready;
  int inf_ready;
  int def_bits;
  int def_reset; /* our side may not keep its context between messages */
  int inf_reset;
};

lode__pmd_t* lode__pmd_new(int is_server, const lode__pmd_params_t* p) {
  lode__pmd_t* z = calloc(1, sizeof(*z));
  if (z == NULL)
    return NULL;
  int ours = is_server ? p->server_max_window_bits : p->client_max_window_bits;
  z->def_bits = ours > 0 ? ours : 15;
  z->def_reset = is_server ? p->server_no_context_takeover
                           : p->client_no_context_takeover;
  z->inf_reset = is_server ? p->client_no_context_takeover
                           : p->server_no_context_takeover;
  return z;
}

int lode__pmd_shared_bits(const lode__pmd_t* z) {
  return z->def_reset ? z->def_bits : 0;
}

void lode__pmd_free(lode__pmd_t* z) {
  if (z == NULL)
    return;
  if (z->def_ready)
    deflateEnd(&z->def);
  if (z->inf_ready)
    inflateEnd(&z->inf);
  free(z);
}

/* Runs `strm` (deflate or inflate) over its input with `flush`, appending
 * the output to `out`; stops past `max`. */
static int pump(z_stream* strm, int is_deflate, int flush, size_t max,
                lode__buf_t* out) {
  for (;;) {
    if (lode__buf_reserve(out, 16384) != 0)
      return UV_ENOMEM;
    size_t room = out->cap - out->len;
    if (room > UINT32_MAX)
      room = UINT32_MAX;
    strm->next_out = (Bytef*) out->base + out->len;
    strm->avail_out = (uInt) room;
    int rc = is_deflate ? deflate(strm, flush) : inflate(strm, flush);
    out->len += room - strm->avail_out;
    if (out->len > max)
      return LODE_ERR_WS_MESSAGE_TOO_BIG;
    if (rc == Z_STREAM_END && !is_deflate) {
      /* A final block: whatever follows starts afresh. */
      if (strm->avail_in == 0)
        return 0;
      inflateReset(strm);
      continue;
    }
    if (rc == Z_BUF_ERROR ||
        (rc == Z_OK && strm->avail_out != 0 && strm->avail_in == 0))
      return 0;
    if (rc != Z_OK)
      return rc == Z_MEM_ERROR ? UV_ENOMEM : LODE_ERR_WS_PROTOCOL;
  }
}

int lode__pmd_compress(lode__pmd_t* z, const uint8_t* in, size_t n,
                       lode__buf_t* out) {
  if (!z->def_ready) {
    if (deflateInit2(&z->def, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -z->def_bits,
                     8, Z_DEFAULT_STRATEGY) != Z_OK)
      return UV_ENOMEM;
    z->def_ready = 1;
  }
  size_t start = out->len;
  z->def.next_in = (Bytef*) in;
  do {
    size_t take = n > UINT32_MAX ? UINT32_MAX : n;
    z->def.avail_in = (uInt) take;
    n -= take;
    int rc = pump(&z->def, 1, n == 0 ? Z_SYNC_FLUSH : Z_NO_FLUSH, SIZE_MAX,
                  out);
    if (rc != 0)
      return rc;
  } while (n > 0);
  /* Drop the empty stored block's 00 00 ff ff, as RFC 7692 7.2.1 asks. */
  if (out->len - start >= 4 &&
      memcmp(out->base + out->len - 4, "\x00\x00\xff\xff", 4) == 0)
    out->len -= 4;
  if (z->def_reset)
    deflateReset(&z->def);
  return 0;
}

int lode__pmd_decompress(lode__pmd_t* z, const uint8_t* in, size_t n, int last,
                         size_t max, lode__buf_t* out) {
  static const uint8_t tail[4] = { 0x00, 0x00, 0xff, 0xff };
  if (!z->inf_ready) {
    if (inflateInit2(&z->inf, -15) != Z_OK)
      return UV_ENOMEM;
    z->inf_ready = 1;
  }
  z->inf.next_in = (Bytef*) in;
  while (n > 0) {
    size_t take = n > UINT32_MAX ? UINT32_MAX : n;
    z->inf.avail_in = (uInt) take;
    n -= take;
    int rc = pump(&z->inf, 0, Z_SYNC_FLUSH, max, out);
    if (rc != 0)
      return rc;
  }
  if (!last)
    return 0;
  z->inf.next_in = (Bytef*) tail;
  z->inf.avail_in = 4;
  int rc = pump(&z->inf, 0, Z_SYNC_FLUSH, max, out);
  if (rc == 0 && z->inf_reset)
    inflateReset(&z->inf);
  return rc;
}
