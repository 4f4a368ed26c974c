/* Node's agent.getName(): the key that groups an agent's sockets. */
#include <stdio.h>

#include "lode/http_client.h"

size_t lode_agent_get_name(const lode_agent_name_opts_t* o, char* out,
                           size_t cap) {
  char port[16] = "";
  char family[4] = "";
  if (o->port > 0)
    snprintf(port, sizeof(port), "%d", o->port);
  if (o->family == 4 || o->family == 6)
    snprintf(family, sizeof(family), ":%d", o->family);
  const char* host = o->host && o->host[0] ? o->host : "localhost";
  const char* local = o->local_address ? o->local_address : "";
  int has_path = o->socket_path != NULL && o->socket_path[0] != '\0';
  int n = snprintf(out, out ? cap : 0, "%s:%s:%s%s%s%s", host, port, local,
                   family, has_path ? ":" : "", has_path ? o->socket_path : "");
  return n < 0 ? 0 : (size_t) n;
}
