/* net.SocketAddress: the constructor's defaults and validation, and
 * SocketAddress.parse.
 *
 * Node builds the address with libuv's uv_ip4_addr/uv_ip6_addr and prints
 * it with inet_ntop, so lode does the same and accepts exactly the texts
 * Node accepts. SocketAddress.parse in Node is URL.parse("http://" +
 * input) followed by the constructor; the host and port rules of the
 * WHATWG URL standard that can lead to an address are reproduced below. */
#include "net/addr.h"
#include "core/ascii.h"
#include "lode/errors.h"

#include <stdlib.h>
#include <string.h>
#include <uv.h>

static int lower_eq(const char* s, const char* want) {
  for (; *s != '\0' && *want != '\0'; s++, want++) {
    char c = *s >= 'A' && *s <= 'Z' ? (char) (*s + 32) : *s;
    if (c != *want)
      return 0;
  }
  return *s == '\0' && *want == '\0';
}

static void set_text(lode_socket_address_t* sa) {
  if (sa->u.sa.sa_family == AF_INET)
    uv_inet_ntop(AF_INET, &sa->u.in4.sin_addr, sa->address,
                 sizeof(sa->address));
  else
    uv_inet_ntop(AF_INET6, &sa->u.in6.sin6_addr, sa->address,
                 sizeof(sa->address));
}

int lode__socket_address_init(lode_socket_address_t* sa,
                              const lode_socket_address_opts_t* opts) {
  static const lode_socket_address_opts_t none;
  if (opts == NULL)
    opts = &none;
  const char* family = opts->family != NULL ? opts->family : "ipv4";
  /* Node picks the default address from the family as given, before it
   * lower-cases the family: {family: 'IPV4'} defaults to '::'. */
  const char* address = opts->address;
  if (address == NULL)
    address = strcmp(family, "ipv4") == 0 ? "127.0.0.1" : "::";
  int v6;
  if (lower_eq(family, "ipv4"))
    v6 = 0;
  else if (lower_eq(family, "ipv6"))
    v6 = 1;
  else
    return LODE_ERR_INVALID_ARG_VALUE;
  if (opts->port < 0 || opts->port > 65535)
    return LODE_ERR_SOCKET_BAD_PORT;
  /* Node accepts any uint32 here and then aborts on a label wider than
   * the 20 bits IPv6 has; lode refuses it instead. */
  if (opts->flowlabel > 0xFFFFF)
    return LODE_ERR_OUT_OF_RANGE;
  memset(sa, 0, sizeof(*sa));
  if (!v6) {
    if (uv_ip4_addr(address, opts->port, &sa->u.in4) != 0)
      return LODE_ERR_INVALID_ADDRESS;
  } else {
    if (uv_ip6_addr(address, opts->port, &sa->u.in6) != 0)
      return LODE_ERR_INVALID_ADDRESS;
    sa->u.in6.sin6_flowinfo = htonl(opts->flowlabel);
  }
  set_text(sa);
  return 0;
}

int lode__socket_address_from(lode_socket_address_t* sa,
                              const struct sockaddr* addr) {
  memset(sa, 0, sizeof(*sa));
  if (addr == NULL)
    return UV_EINVAL;
  if (addr->sa_family == AF_INET)
    memcpy(&sa->u.in4, addr, sizeof(sa->u.in4));
  else if (addr->sa_family == AF_INET6)
    memcpy(&sa->u.in6, addr, sizeof(sa->u.in6));
  else
    return UV_EAFNOSUPPORT;
  set_text(sa);
  return 0;
}

int lode_socket_address_new(const lode_socket_address_opts_t* opts,
                            lode_socket_address_t** out) {
  if (out == NULL)
    return UV_EINVAL;
  *out = NULL;
  lode_socket_address_t tmp;
  int rc = lode__socket_address_init(&tmp, opts);
  if (rc != 0)
    return rc;
  lode_socket_address_t* sa = malloc(sizeof(*sa));
  if (sa == NULL)
    return UV_ENOMEM;
  *sa = tmp;
  *out = sa;
  return 0;
}

void lode_socket_address_free(lode_socket_address_t* sa) {
  free(sa);
}

const char* lode_socket_address_address(const lode_socket_address_t* sa) {
  return sa->address;
}

const char* lode_socket_address_family(const lode_socket_address_t* sa) {
  return sa->u.sa.sa_family == AF_INET6 ? "ipv6" : "ipv4";
}

uint32_t lode_socket_address_flowlabel(const lode_socket_address_t* sa) {
  if (sa->u.sa.sa_family != AF_INET6)
    return 0;
  return ntohl(sa->u.in6.sin6_flowinfo) & 0xFFFFF;
}

int lode_socket_address_port(const lode_socket_address_t* sa) {
  if (sa->u.sa.sa_family == AF_INET6)
    return ntohs(sa->u.in6.sin6_port);
  return ntohs(sa->u.in4.sin_port);
}

const struct sockaddr* lode_socket_address_sockaddr(
    const lode_socket_address_t* sa) {
  return &sa->u.sa;
}

/* ---- The URL standard's host parser, and SocketAddress.parse ---------- */

typedef struct {
  char* s;
  size_t n;
} span_t;

/* The URL standard's "IPv4 number parser": decimal, 0x hex, 0 octal.
 * Returns 0 and the value (saturated at 2^40, already out of any range),
 * or -1 for failure. */
static int ipv4_number(const char* s, size_t n, uint64_t* out) {
  if (n == 0)
    return -1;
  int radix = 10;
  if (n >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    s += 2, n -= 2, radix = 16;
  } else if (n >= 2 && s[0] == '0') {
    s += 1, n -= 1, radix = 8;
  }
  uint64_t v = 0;
  for (size_t i = 0; i < n; i++) {
    int d = lode__hexval((unsigned char) s[i]);
    if (d < 0 || d >= radix)
      return -1;
    v = v * (uint64_t) radix + (uint64_t) d;
    if (v > ((uint64_t) 1 << 40))
      v = (uint64_t) 1 << 40;
  }
  *out = v;
  return 0;
}

/* Splits on '.', dropping one empty last part; returns the part count
 * (at most 5 are recorded; more means "too many"). */
static size_t dot_parts(span_t h, span_t parts[5]) {
  size_t count = 0, start = 0;
  for (size_t i = 0; i <= h.n; i++) {
    if (i < h.n && h.s[i] != '.')
      continue;
    if (count < 5)
      parts[count] = (span_t){ h.s + start, i - start };
    count++;
    start = i + 1;
  }
  if (count > 1 && count <= 5 && parts[count - 1].n == 0)
    count--;
  return count;
}

/* "ends in a number": the last dot-separated part (a trailing empty one
 * dropped) is all digits or an IPv4 number. */
static int ends_in_number(span_t h) {
  size_t end = h.n;
  if (end > 0 && h.s[end - 1] == '.')
    end--;
  size_t start = end;
  while (start > 0 && h.s[start - 1] != '.')
    start--;
  if (start == end)
    return 0;
  int digits = 1;
  for (size_t i = start; i < end; i++)
    digits &= h.s[i] >= '0' && h.s[i] <= '9';
  uint64_t v;
  return digits || ipv4_number(h.s + start, end - start, &v) == 0;
}

static int ipv4_parse(span_t h, uint32_t* out) {
  span_t parts[5];
  size_t count = dot_parts(h, parts);
  if (count > 4)
    return -1;
  uint64_t nums[4];
  for (size_t i = 0; i < count; i++)
    if (ipv4_number(parts[i].s, parts[i].n, &nums[i]) != 0)
      return -1;
  for (size_t i = 0; i + 1 < count; i++)
    if (nums[i] > 255)
      return -1;
  if (nums[count - 1] >= (uint64_t) 1 << (8 * (5 - count)))
    return -1;
  uint64_t v = nums[count - 1];
  for (size_t i = 0; i + 1 < count; i++)
    v += nums[i] << (8 * (3 - i));
  *out = (uint32_t) v;
  return 0;
}

/* The URL standard's IPv6 parser, into 8 pieces. */
static int ipv6_embedded_v4(const char* s, size_t n, size_t* p, uint16_t* a,
                            int* piece) {
  int seen = 0;
  while (*p < n) {
    int v = -1;
    if (seen > 0) {
      if (s[*p] == '.' && seen < 4)
        (*p)++;
      else
        return -1;
    }
    if (*p >= n || s[*p] < '0' || s[*p] > '9')
      return -1;
    while (*p < n && s[*p] >= '0' && s[*p] <= '9') {
      int d = s[*p] - '0';
      if (v == -1)
        v = d;
      else if (v == 0)
        return -1;
      else
        v = v * 10 + d;
      if (v > 255)
        return -1;
      (*p)++;
    }
    a[*piece] = (uint16_t) (a[*piece] * 0x100 + v);
    seen++;
    if (seen == 2 || seen == 4)
      (*piece)++;
  }
  return seen == 4 ? 0 : -1;
}

static int ipv6_parse(const char* s, size_t n, uint16_t a[8]) {
  int piece = 0, compress = -1;
  size_t p = 0;
  memset(a, 0, 8 * sizeof(a[0]));
  if (p < n && s[p] == ':') {
    if (p + 1 >= n || s[p + 1] != ':')
      return -1;
    p += 2;
    compress = ++piece;
  }
  while (p < n) {
    if (piece == 8)
      return -1;
    if (s[p] == ':') {
      if (compress != -1)
        return -1;
      p++;
      compress = ++piece;
      continue;
    }
    int value = 0, len = 0;
    while (len < 4 && p < n && lode__hexval((unsigned char) s[p]) >= 0)
      value = value * 16 + lode__hexval((unsigned char) s[p++]), len++;
    if (p < n && s[p] == '.') {
      if (len == 0 || piece > 6)
        return -1;
      p -= (size_t) len;
      if (ipv6_embedded_v4(s, n, &p, a, &piece) != 0)
        return -1;
      break;
    } else if (p < n && s[p] == ':') {
      if (++p >= n)
        return -1;
    } else if (p < n) {
      return -1;
    }
    a[piece++] = (uint16_t) value;
  }
  if (compress != -1) {
    int swaps = piece - compress;
    for (piece = 7; piece != 0 && swaps > 0; piece--, swaps--) {
      uint16_t t = a[piece];
      a[piece] = a[compress + swaps - 1];
      a[compress + swaps - 1] = t;
    }
  } else if (piece != 8) {
    return -1;
  }
  return 0;
}

/* The forbidden domain code points of the URL standard (ASCII). */
static int forbidden_domain(unsigned char c) {
  return c <= 0x20 || c == 0x7f || strchr("#%/:<>?@[\\]^|", c) != NULL;
}

int lode__url_host_parse(char* s, size_t n, lode__url_host_t* out) {
  memset(out, 0, sizeof(*out));
  if (n > 0 && s[0] == '[') {
    out->kind = LODE__HOST_IPV6;
    return s[n - 1] == ']' && ipv6_parse(s + 1, n - 2, out->ipv6) == 0 ? 0 : -1;
  }
  span_t h = { s, lode__percent_decode(s, n, s, 0) };
  if (h.n == 0)
    return -1;
  for (size_t i = 0; i < h.n; i++) {
    unsigned char c = (unsigned char) h.s[i];
    /* Non-ASCII hosts go through IDNA mapping, which lode does not
     * carry: they are refused. */
    if (c >= 0x80 || forbidden_domain(c))
      return -1;
    if (c >= 'A' && c <= 'Z')
      h.s[i] = (char) (c | 0x20);
  }
  out->n = h.n;
  if (!ends_in_number(h))
    return 0;
  out->kind = LODE__HOST_IPV4;
  return ipv4_parse(h, &out->ipv4);
}

/* The host of SocketAddress.parse: an IPv4 or IPv6 address; a domain is
 * refused as Node's SocketAddress refuses it. */
static int parse_host(span_t h, lode_socket_address_t* sa) {
  lode__url_host_t host;
  memset(sa, 0, sizeof(*sa));
  if (lode__url_host_parse(h.s, h.n, &host) != 0)
    return -1;
  if (host.kind == LODE__HOST_IPV6) {
    sa->u.in6.sin6_family = AF_INET6;
    for (int i = 0; i < 8; i++) {
      sa->u.in6.sin6_addr.s6_addr[2 * i] = (uint8_t) (host.ipv6[i] >> 8);
      sa->u.in6.sin6_addr.s6_addr[2 * i + 1] = (uint8_t) host.ipv6[i];
    }
    return 0;
  }
  if (host.kind != LODE__HOST_IPV4)
    return -1;
  sa->u.in4.sin_family = AF_INET;
  sa->u.in4.sin_addr.s_addr = htonl(host.ipv4);
  return 0;
}

/* Port state: digits only; http's default port 80 reads as none (0). */
static int parse_port(span_t p, int* port) {
  uint32_t v = 0;
  for (size_t i = 0; i < p.n; i++) {
    if (p.s[i] < '0' || p.s[i] > '9')
      return -1;
    v = v * 10 + (uint32_t) (p.s[i] - '0');
    if (v > 65535)
      return -1;
  }
  *port = v == 80 ? 0 : (int) v;
  return 0;
}

/* Cuts "http://" + input down to the host and port text. */
static int split_authority(char* s, span_t* host, span_t* port) {
  size_t n = strlen(s);
  while (n > 0 && (unsigned char) s[n - 1] <= 0x20)
    n--;
  size_t w = 0;
  for (size_t r = 0; r < n; r++)
    if (s[r] != '\t' && s[r] != '\n' && s[r] != '\r')
      s[w++] = s[r];
  n = w;
  size_t p = 0;
  while (p < n && (s[p] == '/' || s[p] == '\\'))
    p++;
  size_t end = p;
  while (end < n && !strchr("/\\?#", s[end]))
    end++;
  for (size_t i = p; i < end; i++)
    if (s[i] == '@')
      p = i + 1;
  if (p == end)
    return -1;
  int in_brackets = 0;
  for (size_t i = p; i < end; i++) {
    if (s[i] == '[')
      in_brackets = 1;
    else if (s[i] == ']')
      in_brackets = 0;
    else if (s[i] == ':' && !in_brackets) {
      *host = (span_t){ s + p, i - p };
      *port = (span_t){ s + i + 1, end - i - 1 };
      return host->n == 0 ? -1 : 0;
    }
  }
  *host = (span_t){ s + p, end - p };
  *port = (span_t){ s + end, 0 };
  return 0;
}

int lode_socket_address_parse(const char* input, lode_socket_address_t** out) {
  if (out == NULL)
    return UV_EINVAL;
  *out = NULL;
  if (input == NULL)
    return UV_EINVAL;
  char* s = strdup(input);
  if (s == NULL)
    return UV_ENOMEM;
  lode_socket_address_t tmp;
  span_t host, port_text;
  int port = 0;
  int ok = split_authority(s, &host, &port_text) == 0 &&
           parse_port(port_text, &port) == 0 && parse_host(host, &tmp) == 0;
  free(s);
  if (!ok)
    return 0;
  if (tmp.u.sa.sa_family == AF_INET)
    tmp.u.in4.sin_port = htons((uint16_t) port);
  else
    tmp.u.in6.sin6_port = htons((uint16_t) port);
  set_text(&tmp);
  lode_socket_address_t* sa = malloc(sizeof(*sa));
  if (sa == NULL)
    return UV_ENOMEM;
  *sa = tmp;
  *out = sa;
  return 0;
}
