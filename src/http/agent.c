/* http.Agent: Node's lib/_http_agent.js. Connections are grouped by name
 * (getName); each group has busy sockets, free sockets and waiting
 * requests. The agent reads every stream it owns, so a free socket that
 * the server closes leaves the pool at once and is never handed out. */
#include <stdlib.h>
#include <string.h>

#include "http/client.h"
#include "http/https_agent.h"

#define DEFAULT_MAX_FREE 256
#define DEFAULT_KEEP_ALIVE_MSECS 1000

/* ---- The agent ---- */

static void agent_free(lode_agent_t* a) {
  while (!lode__queue_empty(&a->groups)) {
    lode__queue_t* q = lode__queue_head(&a->groups);
    lode__agent_group_t* g = lode__container_of(q, lode__agent_group_t, link);
    lode__queue_remove(q);
    free(g->name);
    free(g);
  }
  lode__client_req_pool_free(a);
  free(a->name_key);
  free(a->name_full);
  lode__https_agent_free(a->https);
  lode__loop_put(a->lp);
  free(a);
}

void lode__agent_hold(lode_agent_t* a) {
  a->refs++;
}

void lode__agent_release(lode_agent_t* a) {
  if (--a->refs == 0)
    agent_free(a);
}

int lode_agent_create(uv_loop_t* loop, const lode_agent_opts_t* opts,
                      lode_agent_t** out) {
  if (loop == NULL || out == NULL)
    return UV_EINVAL;
  if (opts != NULL && opts->scheduling != LODE_AGENT_LIFO &&
      opts->scheduling != LODE_AGENT_FIFO)
    return LODE_ERR_INVALID_ARG_VALUE;
  lode_agent_t* a = calloc(1, sizeof(*a));
  if (a == NULL || (a->lp = lode__loop_get(loop)) == NULL) {
    free(a);
    return UV_ENOMEM;
  }
  a->loop = loop;
  a->protocol = "http:";
  a->res_pool.max = LODE__REQ_POOL_MAX;
  a->res_pool.keep = LODE__REQ_KEEP_IN;
  if (opts != NULL)
    a->o = *opts;
  if (a->o.keep_alive_msecs == 0)
    a->o.keep_alive_msecs = DEFAULT_KEEP_ALIVE_MSECS;
  if (a->o.max_free_sockets == 0)
    a->o.max_free_sockets = DEFAULT_MAX_FREE;
  if (a->o.default_port == 0)
    a->o.default_port = 80;
  a->refs = 1;
  lode__queue_init(&a->groups);
  *out = a;
  return 0;
}

/* http.globalAgent and https.globalAgent: one of each per loop, found
 * through a small process-wide table (loops live on different threads,
 * hence the lock). */
typedef struct global_s {
  struct global_s* next;
  uv_loop_t* loop;
  lode_agent_t* agent;
  int https;
} global_t;

static global_t* globals;
static uv_mutex_t globals_lock;
static uv_once_t globals_once = UV_ONCE_INIT;

static void globals_init(void) {
  uv_mutex_init(&globals_lock);
}

/* Node 20's global agents: keepAlive, lifo, timeout 5000. */
static lode_agent_t* global_new(uv_loop_t* loop, int https) {
  lode_agent_t* a = NULL;
  if (https) {
    lode_https_agent_opts_t o = { .agent = { .keep_alive = 1,
                                             .timeout = 5000 } };
    return lode_https_agent_create(loop, &o, &a) == 0 ? a : NULL;
  }
  lode_agent_opts_t o = { .keep_alive = 1, .timeout = 5000 };
  return lode_agent_create(loop, &o, &a) == 0 ? a : NULL;
}

lode_agent_t* lode__global_agent(uv_loop_t* loop, int https) {
  uv_once(&globals_once, globals_init);
  uv_mutex_lock(&globals_lock);
  global_t* g;
  for (g = globals; g != NULL && (g->loop != loop || g->https != https);
       g = g->next) {
  }
  lode_agent_t* a = g ? g->agent : NULL;
  if (a == NULL && (g = malloc(sizeof(*g))) != NULL) {
    if ((a = global_new(loop, https)) != NULL) {
      a->is_global = 1;
      *g = (global_t){ globals, loop, a, https };
      globals = g;
    } else {
      free(g);
    }
  }
  uv_mutex_unlock(&globals_lock);
  return a;
}

lode_agent_t* lode_http_global_agent(uv_loop_t* loop) {
  return lode__global_agent(loop, 0);
}

static void forget_global(lode_agent_t* a) {
  uv_mutex_lock(&globals_lock);
  for (global_t** p = &globals; *p != NULL; p = &(*p)->next) {
    if ((*p)->agent == a) {
      global_t* g = *p;
      *p = g->next;
      free(g);
      break;
    }
  }
  uv_mutex_unlock(&globals_lock);
}

static lode__agent_group_t* group_find(const lode_agent_t* a,
                                       const char* name) {
  lode__queue_t* q;
  lode__queue_foreach(q, &a->groups) {
    lode__agent_group_t* g = lode__container_of(q, lode__agent_group_t, link);
    if (strcmp(g->name, name) == 0)
      return g;
  }
  return NULL;
}

static lode__agent_group_t* group_get(lode_agent_t* a, const char* name) {
  lode__agent_group_t* g = group_find(a, name);
  if (g != NULL)
    return g;
  if ((g = calloc(1, sizeof(*g))) == NULL || (g->name = strdup(name)) == NULL) {
    free(g);
    return NULL;
  }
  lode__queue_init(&g->busy);
  lode__queue_init(&g->free);
  lode__queue_init(&g->waiting);
  lode__queue_insert_tail(&a->groups, &g->link);
  return g;
}

/* ---- Sockets ---- */

static void sock_release(lode__agent_sock_t* as) {
  if (--as->refs > 0)
    return;
  lode_agent_t* a = as->agent;
  free(as);
  lode__agent_release(a);
}

void lode__agent_sock_hold(lode__agent_sock_t* as) {
  as->refs++;
}

void lode__agent_sock_release(lode__agent_sock_t* as) {
  sock_release(as);
}

static void unlist(lode__agent_sock_t* as) {
  if (!(as->flags & LODE__AS_LISTED))
    return;
  as->flags &= ~LODE__AS_LISTED;
  lode__queue_remove(&as->link);
  if (as->flags & LODE__AS_FREE)
    as->g->nfree--;
  else
    as->g->nbusy--;
  as->agent->total--;
}

static void sock_destroy(lode__agent_sock_t* as) {
  as->flags |= LODE__AS_DEAD;
  lode_stream_destroy(as->stream, NULL);
}

static void process_waiting(lode_agent_t* a, lode__agent_group_t* g);

static void r_data(void* ctx, lode_stream_t* s, lode_slice_t data) {
  lode__agent_sock_t* as = ctx;
  lode__idle_touch(as->agent->lp, &as->idle);
  if (as->req != NULL)
    lode__client_data(as->req, data);
  else
    sock_destroy(as); /* a free socket has nothing to say */
}

static void r_end(void* ctx, lode_stream_t* s) {
  lode__agent_sock_t* as = ctx;
  as->flags |= LODE__AS_DEAD;
  if (as->req != NULL)
    lode__client_end(as->req);
  else
    sock_destroy(as);
}

static void r_drain(void* ctx, lode_stream_t* s) {
  lode__agent_sock_t* as = ctx;
  if (as->req != NULL)
    lode__client_drain(as->req);
}

static void r_error(void* ctx, lode_stream_t* s, const lode_error_t* err) {
  lode__agent_sock_t* as = ctx;
  as->flags |= LODE__AS_DEAD;
  if (as->req != NULL)
    lode__client_error(as->req, err);
}

static void r_close(void* ctx, lode_stream_t* s, int had_error) {
  lode__agent_sock_t* as = ctx;
  lode_agent_t* a = as->agent;
  lode__agent_group_t* g = as->g;
  as->flags |= LODE__AS_DEAD | LODE__AS_CLOSED;
  unlist(as);
  lode__idle_set(a->lp, &as->idle, 0);
  lode__client_req_t* req = as->req;
  lode__agent_hold(a);
  as->req = NULL;
  /* Node's removeSocket runs before the request's close listener: a
   * waiting request gets the freed place before the user's 'close' can
   * add another one. */
  if (!(as->flags & LODE__AS_DETACHED) &&
      (req == NULL || !(req->flags & LODE__CR_RETRYING)))
    process_waiting(a, g);
  if (req != NULL)
    lode__client_close(req);
  sock_release(as);
  lode__agent_release(a);
}

static const lode_stream_reader_t agent_reader = { r_data, r_end, r_drain,
                                                   r_error, r_close };

/* The socket's timeout (the agent's `timeout`, or the request's): one
 * of the loop's idle timers, which never hold the loop (Node's socket
 * timeouts are unref'd). */
static void idle_fire(lode__idle_t* it) {
  lode__agent_sock_t* as = lode__container_of(it, lode__agent_sock_t, idle);
  if (as->flags & LODE__AS_DEAD)
    return;
  if (as->flags & LODE__AS_FREE)
    sock_destroy(as);
  else if (as->req != NULL)
    lode__client_timeout(as->req);
}

void lode__agent_sock_touch(lode__agent_sock_t* as) {
  lode__idle_touch(as->agent->lp, &as->idle);
}

void lode__agent_sock_set_timeout(lode__agent_sock_t* as, uint64_t ms) {
  if (!(as->flags & LODE__AS_CLOSED))
    lode__idle_set(as->agent->lp, &as->idle, ms);
}

static lode__agent_sock_t* sock_new(lode_agent_t* a, lode__agent_group_t* g,
                                    lode_stream_t* s) {
  lode__agent_sock_t* as = calloc(1, sizeof(*as));
  if (as == NULL)
    return NULL;
  as->agent = a;
  as->g = g;
  as->stream = s;
  as->sock = lode_socket_from_stream(s);
  lode_tls_socket_t* t = lode_tls_socket_from_stream(s);
  if (t != NULL) /* ref/unref and socket options: the TCP socket under it */
    as->sock = lode_tls_socket_socket(t);
  as->refs = 1; /* the stream's, until its close */
  as->idle.fn = idle_fire;
  lode__agent_hold(a);
  lode__queue_insert_tail(&g->busy, &as->link);
  as->flags |= LODE__AS_LISTED;
  g->nbusy++;
  a->total++;
  lode_stream_set_reader(s, &agent_reader, as);
  return as;
}

/* Node's createSocket: the request's createConnection, the agent's, or
 * net.createConnection. */
static int connect_stream(lode_agent_t* a, lode__client_req_t* req,
                          lode_stream_t** out) {
  if (req->create_connection != NULL)
    return req->create_connection(a, &req->conn, out, req->cc_arg);
  if (a->o.create_connection != NULL)
    return a->o.create_connection(a, &req->conn, out, a->o.hook_arg);
  const lode_agent_conn_opts_t* c = &req->conn;
  lode_socket_opts_t o = { .host = c->host,
                           .port = c->port,
                           .path = c->socket_path,
                           .family = c->family,
                           .hints = c->hints,
                           .local_address = c->local_address,
                           .local_port = c->local_port,
                           .lookup = c->lookup,
                           .lookup_arg = c->lookup_arg,
                           .no_delay = 1 };
  if (req->tls != NULL)
    return lode__https_connect(a, req, &o, out);
  lode_socket_t* s;
  int r = lode_net_connect(a->loop, &o, NULL, &s);
  if (r == 0)
    *out = lode_socket_stream(s);
  return r;
}

void lode__agent_new_socket(lode_agent_t* a, lode__client_req_t* req) {
  lode_stream_t* s = NULL;
  lode__agent_group_t* g = req->g;
  int r = connect_stream(a, req, &s);
  if (r == 0 && s == NULL)
    r = UV_EINVAL;
  if (r != 0) {
    lode__client_on_socket(req, NULL, r);
    return;
  }
  lode__agent_sock_t* as = sock_new(a, g, s);
  if (as == NULL) {
    lode_stream_destroy(s, NULL);
    lode__client_on_socket(req, NULL, UV_ENOMEM);
    return;
  }
  if (a->o.timeout > 0)
    lode__agent_sock_set_timeout(as, a->o.timeout);
  as->req = req;
  lode__client_on_socket(req, as, 0);
}

static unsigned max_or_inf(unsigned v) {
  return v == 0 ? (unsigned) -1 : v;
}

static lode__agent_sock_t* take_free(lode__agent_group_t* g, int fifo) {
  while (g->nfree > 0) {
    lode__queue_t* q = fifo ? lode__queue_head(&g->free)
                            : lode__queue_tail(&g->free);
    lode__agent_sock_t* as = lode__container_of(q, lode__agent_sock_t, link);
    lode__queue_remove(q);
    g->nfree--;
    as->flags &= ~LODE__AS_FREE;
    lode__queue_insert_tail(&g->busy, &as->link);
    g->nbusy++;
    if (as->hint_end != 0 && uv_now(as->agent->loop) >= as->hint_end)
      as->flags |= LODE__AS_DEAD;
    if (!(as->flags & LODE__AS_DEAD))
      return as;
    sock_destroy(as);
  }
  return NULL;
}

void lode__agent_add_request(lode_agent_t* a, lode__client_req_t* req) {
  /* A request made outside uv_run (or after a long callback) would start
   * the socket's timer from a stale loop time and time out at once. */
  uv_update_time(a->loop);
  lode__agent_group_t* g = group_get(a, req->name);
  if (g == NULL) {
    lode__client_on_socket(req, NULL, UV_ENOMEM);
    return;
  }
  req->g = g;
  lode__agent_sock_t* as = take_free(g, a->o.scheduling == LODE_AGENT_FIFO);
  if (as != NULL) {
    req->flags |= LODE__CR_REUSED;
    if (as->sock != NULL)
      lode_socket_ref(as->sock);
    if (a->o.reuse_socket != NULL)
      a->o.reuse_socket(a, as->stream, &req->out, a->o.hook_arg);
    lode__agent_sock_set_timeout(as, a->o.timeout);
    as->req = req;
    lode__client_on_socket(req, as, 0);
  } else if (g->nbusy + g->nfree < max_or_inf(a->o.max_sockets) &&
             a->total < max_or_inf(a->o.max_total_sockets)) {
    lode__agent_new_socket(a, req);
  } else {
    req->flags |= LODE__CR_WAITING;
    lode__queue_insert_tail(&g->waiting, &req->wait_link);
    g->nwaiting++;
  }
}

void lode__agent_forget_request(lode_agent_t* a, lode__client_req_t* req) {
  if (!(req->flags & LODE__CR_WAITING))
    return;
  req->flags &= ~LODE__CR_WAITING;
  lode__queue_remove(&req->wait_link);
  req->g->nwaiting--;
}

static lode__client_req_t* pop_waiting(lode__agent_group_t* g) {
  if (g->nwaiting == 0)
    return NULL;
  lode__queue_t* q = lode__queue_head(&g->waiting);
  lode__client_req_t* req = lode__container_of(q, lode__client_req_t,
                                               wait_link);
  lode__queue_remove(q);
  g->nwaiting--;
  req->flags &= ~LODE__CR_WAITING;
  return req;
}

/* Node's removeSocket tail: a socket went, so a waiting request (of this
 * name first, else of a name with no socket) gets a new one. */
static void process_waiting(lode_agent_t* a, lode__agent_group_t* g) {
  if (a->destroyed || a->total >= max_or_inf(a->o.max_total_sockets))
    return;
  if (g->nwaiting == 0) {
    lode__queue_t* q;
    g = NULL;
    lode__queue_foreach(q, &a->groups) {
      lode__agent_group_t* o = lode__container_of(q, lode__agent_group_t, link);
      if (o->nwaiting > 0 && o->nbusy + o->nfree == 0) {
        g = o;
        break;
      }
    }
    if (g == NULL)
      return;
  }
  if (g->nbusy + g->nfree >= max_or_inf(a->o.max_sockets))
    return;
  lode__client_req_t* req = pop_waiting(g);
  if (req != NULL)
    lode__agent_new_socket(a, req);
}

/* Node's keepSocketAlive. The server's hint, less a second, lowers the
 * agent's timeout (only one that is set, as in Node); a hint of a second
 * or less means the socket is not kept. Beyond Node, the hint's end is
 * remembered even without an agent timeout: a free socket past it is
 * never handed out (take_free), since the server is closing it. */
static int keep_socket_alive(lode__agent_sock_t* as,
                             const lode__client_req_t* req) {
  lode_agent_t* a = as->agent;
  uint64_t timeout = a->o.timeout;
  long long secs = req->ka_hint;
  as->hint_end = 0;
  if (secs >= 0 && secs <= 1)
    return 0;
  if (secs > 1) {
    uint64_t ms = (uint64_t) (secs - 1) * 1000;
    if (ms < timeout)
      timeout = ms;
    as->hint_end = uv_now(a->loop) + ms;
  }
  if (as->sock != NULL) {
    lode_socket_set_keep_alive(as->sock, 1, a->o.keep_alive_msecs);
    lode_socket_unref(as->sock);
  }
  lode__agent_sock_set_timeout(as, timeout);
  return a->o.keep_socket_alive == NULL ||
         a->o.keep_socket_alive(a, as->stream, a->o.hook_arg);
}

/* Whether a request of another name waits for a place under
 * maxTotalSockets (Node's removeSocket then makes it a socket). */
static int others_wait(const lode_agent_t* a, const lode__agent_group_t* g) {
  lode__queue_t* q;
  if (a->total < max_or_inf(a->o.max_total_sockets))
    return 0;
  lode__queue_foreach(q, &a->groups) {
    const lode__agent_group_t* o = lode__container_of(q, lode__agent_group_t,
                                                      link);
    if (o != g && o->nwaiting > 0)
      return 1;
  }
  return 0;
}

void lode__agent_free_socket(lode__agent_sock_t* as,
                             const lode__client_req_t* req) {
  lode_agent_t* a = as->agent;
  lode__agent_group_t* g = as->g;
  as->req = NULL;
  if (as->flags & LODE__AS_CLOSED)
    return; /* it closed between the response's end and now */
  if (as->flags & LODE__AS_DEAD) {
    sock_destroy(as);
    return;
  }
  lode__client_req_t* next = pop_waiting(g);
  if (next != NULL) {
    as->req = next;
    lode__agent_sock_set_timeout(as, a->o.timeout);
    lode__client_on_socket(next, as, 0);
    return;
  }
  if (req == NULL || !(req->flags & LODE__CR_KEEP_ALIVE) || !a->o.keep_alive ||
      a->destroyed || a->total > max_or_inf(a->o.max_total_sockets) ||
      g->nfree + g->nbusy > max_or_inf(a->o.max_sockets) ||
      g->nfree >= a->o.max_free_sockets || others_wait(a, g) ||
      !keep_socket_alive(as, req)) {
    sock_destroy(as);
    return;
  }
  lode__queue_remove(&as->link);
  g->nbusy--;
  as->flags |= LODE__AS_FREE;
  lode__queue_insert_tail(&g->free, &as->link);
  g->nfree++;
}

void lode__agent_detach_socket(lode__agent_sock_t* as) {
  lode_agent_t* a = as->agent;
  as->flags |= LODE__AS_DETACHED;
  unlist(as);
  as->req = NULL;
  lode__idle_set(a->lp, &as->idle, 0);
  lode_stream_set_reader(as->stream, NULL, NULL);
  if (a->o.on_agent_remove != NULL)
    a->o.on_agent_remove(a, as->stream, a->o.hook_arg);
  sock_release(as); /* the stream is no longer ours */
}

static void destroy_queue(lode__queue_t* q) {
  lode__queue_t* e;
  lode__queue_foreach(e, q) {
    lode__agent_sock_t* as = lode__container_of(e, lode__agent_sock_t, link);
    sock_destroy(as);
  }
}

void lode_agent_destroy(lode_agent_t* a) {
  if (a == NULL || a->destroyed)
    return;
  a->destroyed = 1;
  lode__client_req_pool_free(a);
  if (a->is_global)
    forget_global(a);
  lode__agent_hold(a);
  lode__queue_t* q;
  lode__queue_foreach(q, &a->groups) {
    lode__agent_group_t* g = lode__container_of(q, lode__agent_group_t, link);
    destroy_queue(&g->free);
    destroy_queue(&g->busy);
    lode__client_req_t* req;
    while ((req = pop_waiting(g)) != NULL)
      lode__client_on_socket(req, NULL, 0);
  }
  lode__agent_release(a);
  lode__agent_release(a); /* the user's reference */
}

/* ---- Views ---- */

#define COUNT_FN(fn, field)                                                    \
  size_t fn(const lode_agent_t* a, const char* name) {                         \
    size_t n = 0;                                                              \
    lode__queue_t* q;                                                          \
    lode__queue_foreach(q, &a->groups) {                                       \
      lode__agent_group_t* g = lode__container_of(q, lode__agent_group_t,      \
                                                  link);                       \
      if (name == NULL || strcmp(g->name, name) == 0)                          \
        n += g->field;                                                         \
    }                                                                          \
    return n;                                                                  \
  }

COUNT_FN(lode_agent_sockets, nbusy)
COUNT_FN(lode_agent_free_sockets, nfree)
COUNT_FN(lode_agent_requests, nwaiting)

lode_stream_t* lode_agent_free_socket_at(const lode_agent_t* a,
                                         const char* name, size_t i) {
  lode__agent_group_t* g = group_find(a, name);
  lode__queue_t* q;
  if (g == NULL)
    return NULL;
  lode__queue_foreach(q, &g->free) {
    if (i-- == 0)
      return lode__container_of(q, lode__agent_sock_t, link)->stream;
  }
  return NULL;
}

unsigned lode_agent_max_sockets(const lode_agent_t* a) {
  return a->o.max_sockets;
}

unsigned lode_agent_max_free_sockets(const lode_agent_t* a) {
  return a->o.max_free_sockets;
}

unsigned lode_agent_max_total_sockets(const lode_agent_t* a) {
  return a->o.max_total_sockets;
}

void lode_agent_set_max_sockets(lode_agent_t* a, unsigned n) {
  a->o.max_sockets = n;
}

void lode_agent_set_max_free_sockets(lode_agent_t* a, unsigned n) {
  a->o.max_free_sockets = n ? n : DEFAULT_MAX_FREE;
}

void lode_agent_set_max_total_sockets(lode_agent_t* a, unsigned n) {
  a->o.max_total_sockets = n;
}
