/* What the HTTP client and the agent ask of https.c: an owned copy of a
 * request's TLS options, the TLS connection of an https.Agent, and its
 * session cache. */
#ifndef LODE_HTTP_HTTPS_AGENT_H
#define LODE_HTTP_HTTPS_AGENT_H

#include "http/client.h"
#include "lode/https.h"

/* TLS options copied with everything they point to (freed with
 * lode__https_tls_free). */
typedef struct lode__https_tls_s lode__https_tls_t;
const lode_tls_opts_t* lode__https_tls_opts(const lode__https_tls_t* t);
void lode__https_tls_free(lode__https_tls_t* t);

/* An https.Agent's own part: its TLS options and session cache. */
typedef struct lode__https_agent_s lode__https_agent_t;
void lode__https_agent_free(lode__https_agent_t* h);

/* A request's TLS options: `req`'s, with the agent's over them (Node's
 * addRequest merges the agent's options last). NULL without memory. */
lode__https_tls_t* lode__https_tls_for(const lode_agent_t* a,
                                       const lode_tls_opts_t* req);
/* The agent name's TLS part, as Node's https.Agent getName appends it. */
char* lode__https_name(const char* base, const char* host,
                       const lode_tls_opts_t* o);

/* Node's https.Agent createConnection: tls.connect with the request's
 * options and a cached session for its name. */
int lode__https_connect(lode_agent_t* a, lode__client_req_t* req,
                        const lode_socket_opts_t* net, lode_stream_t** out);

/* client_new.c: http.request with TLS options (NULL for http:) and the
 * protocol of the default agent ("http:" or "https:"). */
int lode__http_request_tls(uv_loop_t* loop,
                           const lode_http_request_opts_t* opts,
                           const lode_tls_opts_t* tls,
                           const lode_http_request_events_t* ev,
                           lode_http_request_t** out);
/* agent.c: the loop's global agent of either kind. */
lode_agent_t* lode__global_agent(uv_loop_t* loop, int https);

#endif
