/* Node's agent.getName(): the key that groups an agent's sockets. Made
 * for every request, so written out by hand rather than by snprintf. */
#include <string.h>

#include "lode/http_client.h"

typedef struct out_s {
  char* p;
  size_t cap, len;
} out_t;

/* Appends what fits (out->cap counts the NUL) and counts it all. */
static void put(out_t* o, const char* s, size_t n) {
  if (o->len + 1 < o->cap) {
    size_t room = o->cap - 1 - o->len;
    memcpy(o->p + o->len, s, n < room ? n : room);
  }
  o->len += n;
}

static void put_int(out_t* o, int v) {
  char d[12];
  size_t i = sizeof(d);
  unsigned u = v < 0 ? 0u - (unsigned) v : (unsigned) v;
  do
    d[--i] = (char) ('0' + u % 10);
  while ((u /= 10) != 0);
  if (v < 0)
    d[--i] = '-';
  put(o, d + i, sizeof(d) - i);
}

static void put_str(out_t* o, const char* s) {
  put(o, s, strlen(s));
}

size_t lode_agent_get_name(const lode_agent_name_opts_t* o, char* out,
                           size_t cap) {
  out_t b = { out, out ? cap : 0, 0 };
  put_str(&b, o->host && o->host[0] ? o->host : "localhost");
  put(&b, ":", 1);
  if (o->port > 0)
    put_int(&b, o->port);
  put(&b, ":", 1);
  if (o->local_address)
    put_str(&b, o->local_address);
  if (o->family == 4 || o->family == 6) {
    put(&b, ":", 1);
    put_int(&b, o->family);
  }
  if (o->socket_path != NULL && o->socket_path[0] != '\0') {
    put(&b, ":", 1);
    put_str(&b, o->socket_path);
  }
  if (b.cap > 0)
    b.p[b.len < b.cap ? b.len : b.cap - 1] = '\0';
  return b.len;
}
