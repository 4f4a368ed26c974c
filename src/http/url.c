/* WHATWG URL parsing for the URLs http.request takes (Node's new URL()
 * followed by urlToHttpOptions). Special schemes other than file: are
 * parsed in full; any other scheme only as far as its protocol, which is
 * all http.request needs to refuse it. Hosts are ASCII (non-ASCII host
 * names are refused rather than mapped: lode has no IDNA tables). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <uv.h>

#include "core/ascii.h"
#include "lode/errors.h"
#include "lode/url.h"
#include "net/addr.h"

typedef struct sbuf_s {
  char* p;
  size_t len, cap;
  int oom;
} sbuf_t;

static void sb_putc(sbuf_t* b, char c) {
  if (b->len + 2 > b->cap) {
    size_t cap = b->cap ? b->cap * 2 : 128;
    char* p = realloc(b->p, cap);
    if (p == NULL) {
      b->oom = 1;
      return;
    }
    b->p = p;
    b->cap = cap;
  }
  b->p[b->len++] = c;
  b->p[b->len] = '\0';
}

static void sb_puts(sbuf_t* b, const char* s, size_t n) {
  for (size_t i = 0; i < n; i++)
    sb_putc(b, s[i]);
}

static void sb_pct(sbuf_t* b, unsigned char c) {
  static const char hex[] = "0123456789ABCDEF";
  sb_putc(b, '%');
  sb_putc(b, hex[c >> 4]);
  sb_putc(b, hex[c & 15]);
}

/* Percent-encode sets, as bit tests on one byte. */
enum { SET_C0, SET_FRAGMENT, SET_PATH, SET_SPECIAL_QUERY, SET_USERINFO };

static int in_set(unsigned char c, int set) {
  if (c < 0x20 || c > 0x7e)
    return 1;
  switch (set) {
    case SET_C0:
      return 0;
    case SET_FRAGMENT:
      return c == ' ' || c == '"' || c == '<' || c == '>' || c == '`';
    case SET_SPECIAL_QUERY:
      return c == ' ' || c == '"' || c == '#' || c == '<' || c == '>' ||
             c == '\'';
    case SET_PATH:
      return c == ' ' || c == '"' || c == '#' || c == '<' || c == '>' ||
             c == '?' || c == '`' || c == '{' || c == '}';
    default: /* userinfo */
      return in_set(c, SET_PATH) || c == '/' || c == ':' || c == ';' ||
             c == '=' || c == '@' || (c >= '[' && c <= '^') || c == '|';
  }
}

static void sb_enc(sbuf_t* b, const char* s, size_t n, int set) {
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char) s[i];
    if (in_set(c, set))
      sb_pct(b, c);
    else
      sb_putc(b, (char) c);
  }
}

/* Appends s[0..n) percent-decoded (decodeURIComponent). Returns 1 when
 * an escape is malformed (kept as it is, where decodeURIComponent would
 * throw), else 0. */
static int sb_decode(sbuf_t* b, const char* s, size_t n) {
  int bad = 0;
  for (size_t i = 0; i < n; i++)
    bad |= s[i] == '%' &&
           (i + 2 >= n || lode__hexval((unsigned char) s[i + 1]) < 0 ||
            lode__hexval((unsigned char) s[i + 2]) < 0);
  size_t at = b->len;
  sb_puts(b, s, n);
  if (!b->oom && n > 0) {
    b->len = at + lode__percent_decode(b->p + at, n, b->p + at, 0);
    b->p[b->len] = '\0';
  }
  return bad;
}

static void ipv6_serialize(sbuf_t* b, const uint16_t a[8]) {
  int best = -1, best_len = 1;
  for (int i = 0; i < 8;) {
    int j = i;
    while (j < 8 && a[j] == 0)
      j++;
    if (j - i > best_len) {
      best = i;
      best_len = j - i;
    }
    i = j > i ? j : i + 1;
  }
  char tmp[8];
  sb_putc(b, '[');
  for (int i = 0; i < 8; i++) {
    if (i == best) {
      sb_puts(b, i == 0 ? "::" : ":", i == 0 ? 2 : 1);
      i += best_len - 1;
      continue;
    }
    int k = snprintf(tmp, sizeof(tmp), "%x", a[i]);
    sb_puts(b, tmp, (size_t) k);
    if (i < 7)
      sb_putc(b, ':');
  }
  sb_putc(b, ']');
}

/* The host parser for special URLs (net's, shared with
 * SocketAddress.parse). Appends the serialised host. */
static int parse_host(sbuf_t* b, const char* s, size_t n) {
  char* t = malloc(n + 1);
  if (t == NULL) {
    b->oom = 1;
    return UV_ENOMEM;
  }
  memcpy(t, s, n);
  lode__url_host_t h;
  int r = lode__url_host_parse(t, n, &h);
  if (r == 0 && h.kind == LODE__HOST_IPV6) {
    ipv6_serialize(b, h.ipv6);
  } else if (r == 0 && h.kind == LODE__HOST_IPV4) {
    char tmp[16];
    int k = snprintf(tmp, sizeof(tmp), "%u.%u.%u.%u", h.ipv4 >> 24,
                     (h.ipv4 >> 16) & 255, (h.ipv4 >> 8) & 255, h.ipv4 & 255);
    sb_puts(b, tmp, (size_t) k);
  } else if (r == 0) {
    sb_puts(b, t, h.n);
  }
  free(t);
  return r;
}

/* The default port of a special scheme s[0..n), or -1 for any other. */
static int default_port_n(const char* s, size_t n) {
  static const struct {
    const char* name;
    int port;
  } special[] = { { "http", 80 },
                  { "https", 443 },
                  { "ws", 80 },
                  { "wss", 443 },
                  { "ftp", 21 } };
  for (size_t i = 0; i < sizeof(special) / sizeof(special[0]); i++)
    if (strlen(special[i].name) == n && memcmp(special[i].name, s, n) == 0)
      return special[i].port;
  return -1;
}

static int default_port(const char* scheme) {
  return default_port_n(scheme, strlen(scheme));
}

static int is_dot(const char* s, size_t n) {
  return (n == 1 && s[0] == '.') ||
         (n == 3 && s[0] == '%' && s[1] == '2' && (s[2] | 0x20) == 'e');
}

static int is_dotdot(const char* s, size_t n) {
  if (n < 2 || n > 6)
    return 0;
  if (s[0] == '.')
    return is_dot(s + 1, n - 1);
  return n >= 4 && is_dot(s, 3) && is_dot(s + 3, n - 3);
}

/* The path state for special URLs: segments, "." and "..", '\' as '/'. */
static void parse_path(sbuf_t* b, const char* s, size_t n) {
  size_t base = b->len;
  size_t i = 0;
  if (n > 0 && (s[0] == '/' || s[0] == '\\'))
    i = 1;
  for (;;) {
    size_t j = i;
    while (j < n && s[j] != '/' && s[j] != '\\')
      j++;
    const char* seg = s + i;
    size_t sl = j - i;
    int last = j >= n;
    if (is_dotdot(seg, sl)) {
      while (b->len > base && b->p[b->len - 1] != '/')
        b->len--;
      if (b->len > base)
        b->len--;
      if (last) {
        sb_putc(b, '/');
      }
    } else if (is_dot(seg, sl)) {
      if (last)
        sb_putc(b, '/');
    } else {
      sb_putc(b, '/');
      sb_enc(b, seg, sl, SET_PATH);
    }
    if (last)
      break;
    i = j + 1;
  }
  if (b->len == base)
    sb_putc(b, '/');
  if (b->p != NULL)
    b->p[b->len] = '\0';
}

/* Trims C0 controls and spaces at both ends and drops tab and newlines. */
static char* clean_input(const char* in, size_t* n) {
  size_t a = 0, z = strlen(in);
  while (a < z && (unsigned char) in[a] <= 0x20)
    a++;
  while (z > a && (unsigned char) in[z - 1] <= 0x20)
    z--;
  char* out = malloc(z - a + 1);
  if (out == NULL)
    return NULL;
  size_t k = 0;
  for (size_t i = a; i < z; i++)
    if (in[i] != '\t' && in[i] != '\n' && in[i] != '\r')
      out[k++] = in[i];
  out[k] = '\0';
  *n = k;
  return out;
}

typedef struct parts_s {
  size_t scheme, user, pass, host, port, path, search, hash;
  size_t user_n, pass_n, host_n, port_n, path_n, search_n, hash_n;
  int portnum;
} parts_t;

/* user[:pass]@ of s[i..at): percent-encoded, ':' and '@' only when a
 * part is not empty. */
static void parse_userinfo(sbuf_t* b, parts_t* pt, const char* s, size_t i,
                           size_t at) {
  size_t colon = at;
  for (size_t k = i; k < at; k++)
    if (s[k] == ':') {
      colon = k;
      break;
    }
  pt->user = b->len;
  sb_enc(b, s + i, colon - i, SET_USERINFO);
  pt->user_n = b->len - pt->user;
  sb_putc(b, ':');
  pt->pass = b->len;
  if (colon < at)
    sb_enc(b, s + colon + 1, at - colon - 1, SET_USERINFO);
  pt->pass_n = b->len - pt->pass;
  if (pt->pass_n == 0)
    b->len--;
  if (pt->user_n + pt->pass_n > 0)
    sb_putc(b, '@');
}

/* The port digits s[0..n): dropped when empty or the scheme's default. */
static int parse_port(sbuf_t* b, parts_t* pt, const char* s, size_t n,
                      const char* scheme) {
  long v = 0;
  for (size_t k = 0; k < n; k++) {
    if (s[k] < '0' || s[k] > '9')
      return -1;
    v = v * 10 + (s[k] - '0');
    if (v > 65535)
      return -1;
  }
  if (n > 0 && v != default_port(scheme)) {
    char tmp[8];
    int k = snprintf(tmp, sizeof(tmp), "%ld", v);
    sb_putc(b, ':');
    pt->port = b->len;
    sb_puts(b, tmp, (size_t) k);
    pt->port_n = (size_t) k;
    pt->portnum = (int) v;
  }
  return 0;
}

/* Path, query and fragment of s[0..n). An empty query or fragment keeps
 * its '?' or '#' in href while search or hash stays "", as WHATWG. */
static void parse_rest(sbuf_t* b, parts_t* pt, const char* s, size_t n) {
  size_t q = 0;
  while (q < n && s[q] != '?' && s[q] != '#')
    q++;
  pt->path = b->len;
  parse_path(b, s, q);
  pt->path_n = b->len - pt->path;
  size_t h = q;
  while (h < n && s[h] != '#')
    h++;
  if (h > q)
    sb_putc(b, '?');
  pt->search = h - q > 1 ? b->len - 1 : b->len;
  sb_enc(b, s + q + (h > q), h - q - (h > q), SET_SPECIAL_QUERY);
  pt->search_n = b->len - pt->search;
  if (h < n)
    sb_putc(b, '#');
  pt->hash = n - h > 1 ? b->len - 1 : b->len;
  sb_enc(b, s + h + (h < n), n - h - (h < n), SET_FRAGMENT);
  pt->hash_n = b->len - pt->hash;
}

/* Everything after "scheme:" for a special scheme: slashes, authority
 * (userinfo, host, port), then the rest. */
static int parse_special(sbuf_t* b, parts_t* pt, const char* s, size_t n,
                         const char* scheme) {
  size_t i = 0;
  while (i < n && (s[i] == '/' || s[i] == '\\'))
    i++;
  size_t end = i;
  while (end < n && s[end] != '/' && s[end] != '\\' && s[end] != '?' &&
         s[end] != '#')
    end++;
  size_t at = end;
  for (size_t k = i; k < end; k++)
    if (s[k] == '@')
      at = k;
  sb_puts(b, "//", 2);
  if (at < end) {
    parse_userinfo(b, pt, s, i, at);
    i = at + 1;
  }
  size_t hend = end, bracket = 0;
  for (size_t k = i; k < end && hend == end; k++) {
    if (s[k] == '[' || s[k] == ']')
      bracket = s[k] == '[';
    else if (s[k] == ':' && !bracket)
      hend = k;
  }
  pt->host = b->len;
  if (hend == i || parse_host(b, s + i, hend - i) != 0)
    return -1;
  pt->host_n = b->len - pt->host;
  pt->portnum = -1;
  if (hend < end &&
      parse_port(b, pt, s + hend + 1, end - hend - 1, scheme) != 0)
    return -1;
  parse_rest(b, pt, s + end, n - end);
  return b->oom ? UV_ENOMEM : 0;
}

static size_t scheme_len(const char* s, size_t n) {
  size_t i = 0;
  if (n == 0 || !((s[0] | 0x20) >= 'a' && (s[0] | 0x20) <= 'z'))
    return 0;
  for (i = 1; i < n; i++) {
    char c = s[i];
    int ok = ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') ||
             (c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.';
    if (!ok)
      break;
  }
  return i < n && s[i] == ':' ? i : 0;
}

static void piece(sbuf_t* st, size_t* off, int* k, const char* s, size_t n) {
  off[(*k)++] = st->len;
  sb_puts(st, s, n);
  sb_putc(st, '\0');
}

/* Copies the pieces into one block behind out->buf_. */
static int finish(lode_http_url_t* out, const sbuf_t* b, const parts_t* pt,
                  int special) {
  sbuf_t st = { 0 };
  size_t off[16];
  int k = 0;
  const char* s = b->p;
  size_t hn = pt->host_n + (pt->port_n ? pt->port_n + 1 : 0);
  int bracket = special && pt->host_n > 0 && s[pt->host] == '[';
  if (!special)
    hn = 0;
  piece(&st, off, &k, s, b->len);         /* href */
  piece(&st, off, &k, s, pt->scheme + 1); /* protocol */
  piece(&st, off, &k, s + pt->user, pt->user_n);
  piece(&st, off, &k, s + pt->pass, pt->pass_n);
  piece(&st, off, &k, s + pt->host, hn);         /* host */
  piece(&st, off, &k, s + pt->host, pt->host_n); /* hostname */
  piece(&st, off, &k, s + pt->port, pt->port_n);
  piece(&st, off, &k, s + pt->path, pt->path_n); /* pathname */
  piece(&st, off, &k, s + pt->search, pt->search_n);
  piece(&st, off, &k, s + pt->hash, pt->hash_n);
  piece(&st, off, &k, s + pt->path, pt->path_n + pt->search_n); /* path */
  piece(&st, off, &k, s + pt->host + bracket,
        pt->host_n - 2 * (size_t) bracket); /* host_bare */
  off[k++] = st.len;                        /* auth */
  int bad = 0;
  if (pt->user_n + pt->pass_n > 0) {
    bad |= sb_decode(&st, s + pt->user, pt->user_n);
    sb_putc(&st, ':');
    bad |= sb_decode(&st, s + pt->pass, pt->pass_n);
  }
  sb_putc(&st, '\0');
  if (st.oom || bad) {
    free(st.p);
    return bad ? LODE_ERR_INVALID_URL : UV_ENOMEM;
  }
  const char** f[] = { &out->href,     &out->protocol, &out->username,
                       &out->password, &out->host,     &out->hostname,
                       &out->port,     &out->pathname, &out->search,
                       &out->hash,     &out->path,     &out->host_bare,
                       &out->auth };
  for (int i = 0; i < k; i++)
    *f[i] = st.p + off[i];
  if (out->auth[0] == '\0')
    out->auth = NULL;
  out->port_num = pt->portnum;
  out->buf_ = st.p;
  return 0;
}

/* new URL(input) without a base. */
static int parse_absolute(const char* input, lode_http_url_t* out) {
  size_t n;
  char* s = clean_input(input, &n);
  if (s == NULL)
    return UV_ENOMEM;
  sbuf_t b = { 0 };
  parts_t pt = { 0 };
  pt.portnum = -1;
  size_t sl = scheme_len(s, n);
  int r = LODE_ERR_INVALID_URL;
  if (sl > 0) {
    for (size_t i = 0; i < sl; i++)
      sb_putc(&b, (char) (s[i] >= 'A' && s[i] <= 'Z' ? s[i] | 0x20 : s[i]));
    sb_putc(&b, ':');
    pt.scheme = sl;
    b.p[sl] = '\0';
    int special = default_port(b.p) > 0;
    char scheme[8] = "";
    if (special)
      memcpy(scheme, b.p, sl);
    b.p[sl] = ':';
    r = 0;
    if (special)
      r = parse_special(&b, &pt, s + sl + 1, n - sl - 1, scheme);
    else
      sb_puts(&b, s + sl + 1, n - sl - 1);
    if (r == 0)
      r = b.oom ? UV_ENOMEM : finish(out, &b, &pt, special);
    else if (r != UV_ENOMEM)
      r = LODE_ERR_INVALID_URL;
  }
  free(b.p);
  free(s);
  return r;
}

/* The base's href up to its path (exclusive), its query and its
 * fragment: a special URL's serialisation escapes every '/', '?' and '#'
 * that is not a delimiter, so these are plain searches. */
static void base_cuts(const lode_http_url_t* b, size_t* path, size_t* query,
                      size_t* frag) {
  const char* h = b->href;
  const char* auth = h + strlen(b->protocol) + 2;
  *path = (size_t) (strchr(auth, '/') - h);
  *frag = strcspn(h, "#");
  *query = strcspn(h, "?#");
  /* Node (ada) carries no empty query over: new URL("", "http://h/?") is
   * "http://h/", where the URL standard keeps the '?'. */
  if (*frag == *query + 1)
    *frag = *query;
}

/* The URL standard's relative state for input `rel` (cleaned, without a
 * scheme) against a special base: builds the absolute URL text that
 * parses to the same URL. */
static char* join(const lode_http_url_t* b, const char* rel) {
  size_t path, query, frag, keep;
  base_cuts(b, &path, &query, &frag);
  const char* lead = b->href;
  if (rel[0] == '\0') {
    keep = frag;
  } else if (rel[0] == '/' || rel[0] == '\\') {
    keep = rel[1] == '/' || rel[1] == '\\' ? strlen(b->protocol) : path;
  } else if (rel[0] == '?') {
    keep = query;
  } else if (rel[0] == '#') {
    keep = frag;
  } else { /* a path relative to the base's directory */
    keep = query;
    while (lead[keep - 1] != '/')
      keep--;
  }
  size_t rn = strlen(rel);
  char* s = malloc(keep + rn + 1);
  if (s == NULL)
    return NULL;
  memcpy(s, lead, keep);
  memcpy(s + keep, rel, rn + 1);
  return s;
}

/* new URL(input, base): the text to parse without a base, or NULL with
 * *rc set (0: parse input as it is). Only a special base can resolve a
 * relative input. */
static char* resolve(const char* input, const lode_http_url_t* b, int* rc) {
  size_t n;
  char* s = clean_input(input, &n);
  *rc = UV_ENOMEM;
  if (s == NULL)
    return NULL;
  const char* rel = s;
  size_t sl = scheme_len(s, n);
  size_t bl = strlen(b->protocol) - 1;
  int base_special = default_port_n(b->protocol, bl) > 0;
  *rc = 0;
  if (sl > 0) {
    /* An input with its own scheme ignores the base, unless the scheme is
     * the base's special one and no "//" follows ("http:x", "http:/x"). */
    int same = base_special && sl == bl && strncasecmp(s, b->protocol, sl) == 0;
    if (!same || (s[sl + 1] == '/' && s[sl + 2] == '/')) {
      free(s);
      return NULL;
    }
    rel = s + sl + 1;
  } else if (!base_special) {
    *rc = LODE_ERR_INVALID_URL;
    free(s);
    return NULL;
  }
  char* j = join(b, rel);
  if (j == NULL)
    *rc = UV_ENOMEM;
  free(s);
  return j;
}

int lode_http_url_parse(const char* input, const char* base,
                        lode_http_url_t* out) {
  if (out == NULL)
    return UV_EINVAL;
  memset(out, 0, sizeof(*out));
  if (input == NULL)
    return LODE_ERR_INVALID_URL;
  if (base == NULL)
    return parse_absolute(input, out);
  lode_http_url_t b;
  int r = parse_absolute(base, &b);
  if (r != 0)
    return r;
  char* j = resolve(input, &b, &r);
  if (r == 0)
    r = parse_absolute(j != NULL ? j : input, out);
  free(j);
  lode_http_url_free(&b);
  return r;
}

void lode_http_url_free(lode_http_url_t* u) {
  if (u == NULL)
    return;
  free(u->buf_);
  memset(u, 0, sizeof(*u));
}
