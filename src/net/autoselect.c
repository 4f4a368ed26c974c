/* Happy eyeballs: one connection attempt at a time over the ordered
 * addresses, each but the last limited by the attempt timeout, as Node's
 * internalConnectMultiple does. Every attempt gets a fresh handle (a
 * handle whose connect failed cannot be reused); the winner's descriptor
 * is duplicated for the owner and the engine's handle closed, so the
 * owner's own handle never goes through failed attempts. */
#include "net/autoselect.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct attempt_s {
  uv_tcp_t tcp;
  uv_connect_t req;
  lode__autoselect_t* he;
  size_t index;
  int abandoned; /* timed out or cancelled: its result no longer counts */
} attempt_t;

struct lode__autoselect_s {
  uv_loop_t* loop;
  uv_timer_t timer;
  lode__he_addr_t* addrs;
  size_t n, current;
  int port, local_port;
  unsigned timeout;
  lode_block_list_t* bl;
  const lode__autoselect_cbs_t* cbs;
  void* owner;
  char** attempted;
  attempt_t* live;
  lode_error_t* errors;
  size_t nerrors;
  int finished;     /* cancelled or on_done called */
  unsigned handles; /* open handles (timer included) */
};

int lode__autoselect_order(const lode__he_addr_t* in, size_t n,
                           lode__he_addr_t* out) {
  lode__he_addr_t* valid = malloc((n ? n : 1) * sizeof(*valid));
  if (valid == NULL)
    return UV_ENOMEM;
  size_t nvalid = 0;
  int first = 0;
  for (size_t i = 0; i < n; i++) {
    int fam = in[i].family, seen = 0;
    if ((fam != 4 && fam != 6) || !lode_net_is_ip(in[i].ip))
      continue;
    if (first == 0)
      first = fam;
    for (size_t k = 0; k < nvalid && !seen; k++)
      seen = valid[k].family == fam && strcmp(valid[k].ip, in[i].ip) == 0;
    if (!seen)
      valid[nvalid++] = in[i];
  }
  /* The k-th address of the first family, then the k-th of the other. */
  size_t w = 0;
  for (size_t k = 0; w < nvalid; k++) {
    for (int g = 0; g < 2; g++) {
      size_t seen = 0;
      for (size_t i = 0; i < nvalid; i++) {
        if ((valid[i].family == first) != (g == 0))
          continue;
        if (seen++ == k) {
          out[w++] = valid[i];
          break;
        }
      }
    }
  }
  free(valid);
  return (int) w;
}

static void maybe_free(lode__autoselect_t* he) {
  if (!he->finished || he->handles != 0)
    return;
  free(he->errors);
  free(he->addrs);
  lode_block_list_release(he->bl);
  free(he);
}

static void on_handle_closed(uv_handle_t* h) {
  lode__autoselect_t* he;
  if (h->type == UV_TIMER) {
    he = h->data;
  } else {
    attempt_t* a = h->data;
    he = a->he;
    free(a);
  }
  he->handles--;
  maybe_free(he);
}

static void close_attempt(attempt_t* a) {
  a->abandoned = 1;
  if (a->he->live == a)
    a->he->live = NULL;
  uv_close((uv_handle_t*) &a->tcp, on_handle_closed);
}

/* Stops the timer and the live attempt; callbacks end here. */
static void finish(lode__autoselect_t* he) {
  he->finished = 1;
  uv_timer_stop(&he->timer);
  if (he->live != NULL)
    close_attempt(he->live);
  uv_close((uv_handle_t*) &he->timer, on_handle_closed);
}

/* Every error the engine keeps has its text in its own buffers, so after
 * the array moves each element's pointers are set back into itself. */
static int push_error(lode__autoselect_t* he, const lode_error_t* e) {
  lode_error_t* v = realloc(he->errors, (he->nerrors + 1) * sizeof(*v));
  if (v == NULL)
    return UV_ENOMEM;
  he->errors = v;
  v[he->nerrors++] = *e;
  for (size_t i = 0; i < he->nerrors; i++) {
    v[i].message = v[i].message_buf_;
    if (v[i].address != NULL)
      v[i].address = v[i].address_buf_;
  }
  return 0;
}

static void note_attempted(lode__autoselect_t* he, const lode__he_addr_t* a) {
  if (he->attempted == NULL)
    return;
  size_t old = *he->attempted ? strlen(*he->attempted) : 0;
  size_t add = strlen(a->ip) + 8;
  char* s = realloc(*he->attempted, old + add + 1);
  if (s == NULL)
    return;
  snprintf(s + old, add + 1, "%s%s:%d", old ? "," : "", a->ip, he->port);
  *he->attempted = s;
}

static void fail_all(lode__autoselect_t* he) {
  lode_error_t e;
  if (he->nerrors == 0) {
    lode_error_init(&e, LODE_ERR_SOCKET_CONNECTION_TIMEOUT);
  } else {
    /* Node's NodeAggregateError: the first error's code, no message. */
    lode_error_init(&e, he->errors[0].code);
    e.message_buf_[0] = '\0';
    e.errors = he->errors;
    e.nerrors = he->nerrors;
  }
  finish(he);
  if (he->cbs->on_done != NULL)
    he->cbs->on_done(he->owner, (uv_os_sock_t) -1, &e);
}

static void attempt_failed(lode__autoselect_t* he, const lode__he_addr_t* a,
                           const lode_error_t* e, int emit) {
  if (push_error(he, e) != 0) {
    lode_error_t oom;
    lode_error_init(&oom, UV_ENOMEM);
    finish(he);
    if (he->cbs->on_done != NULL)
      he->cbs->on_done(he->owner, (uv_os_sock_t) -1, &oom);
    return;
  }
  if (emit && he->cbs->on_attempt_failed != NULL)
    he->cbs->on_attempt_failed(he->owner, a->ip, he->port, a->family, e);
}

static void next_attempt(lode__autoselect_t* he);

static void on_connect(uv_connect_t* req, int status) {
  attempt_t* a = req->data;
  lode__autoselect_t* he = a->he;
  if (a->abandoned || he->finished)
    return; /* timed out, or the owner gave up: the handle is closing */
  uv_timer_stop(&he->timer);
  const lode__he_addr_t* addr = &he->addrs[a->index];
  if (status == 0) {
    uv_os_fd_t fd;
    int dupfd = -1;
    if (uv_fileno((uv_handle_t*) &a->tcp, &fd) == 0)
      dupfd = dup(fd);
    if (dupfd < 0) {
      lode_error_t e;
      lode_error_init_sys(&e, UV_EMFILE, "connect", addr->ip, he->port);
      finish(he);
      if (he->cbs->on_done != NULL)
        he->cbs->on_done(he->owner, (uv_os_sock_t) -1, &e);
      return;
    }
    finish(he);
    if (he->cbs->on_done != NULL)
      he->cbs->on_done(he->owner, dupfd, NULL);
    else
      close(dupfd);
    return;
  }
  close_attempt(a);
  lode_error_t e;
  lode_error_init_sys(&e, status, "connect", addr->ip, he->port);
  attempt_failed(he, addr, &e, 1);
  if (he->finished)
    return;
  if (status == UV_ECANCELED) {
    fail_all(he);
    return;
  }
  next_attempt(he);
}

static void on_timeout(uv_timer_t* t) {
  lode__autoselect_t* he = t->data;
  attempt_t* a = he->live;
  if (a == NULL || he->finished)
    return;
  const lode__he_addr_t* addr = &he->addrs[a->index];
  if (he->cbs->on_attempt_timeout != NULL)
    he->cbs->on_attempt_timeout(he->owner, addr->ip, he->port, addr->family);
  if (he->finished)
    return;
  close_attempt(a);
  lode_error_t e;
  lode_error_init_sys(&e, UV_ETIMEDOUT, "connect", addr->ip, he->port);
  attempt_failed(he, addr, &e, 0);
  if (!he->finished)
    next_attempt(he);
}

/* Binds to the wildcard address of the family with the local port, as
 * Node does for localPort under autoSelectFamily. */
static int bind_local(lode__autoselect_t* he, attempt_t* a, int family,
                      lode_error_t* e) {
  struct sockaddr_storage ss;
  const char* any = family == 4 ? "0.0.0.0" : "::";
  if (family == 4)
    uv_ip4_addr(any, he->local_port, (struct sockaddr_in*) &ss);
  else
    uv_ip6_addr(any, he->local_port, (struct sockaddr_in6*) &ss);
  int rc = uv_tcp_bind(&a->tcp, (struct sockaddr*) &ss, 0);
  if (rc != 0)
    lode_error_init_sys(e, rc, "bind", any, he->local_port);
  return rc;
}

/* Starts attempt i; returns 0 when a connect is under way. */
static int start_attempt(lode__autoselect_t* he, size_t i) {
  const lode__he_addr_t* addr = &he->addrs[i];
  lode_error_t e;
  if (he->bl != NULL &&
      lode_block_list_check(he->bl, addr->ip,
                            addr->family == 6 ? "ipv6" : "ipv4")) {
    lode_error_init(&e, LODE_ERR_IP_BLOCKED);
    lode_error_set_message(&e, "IP(%s) is blocked by net.BlockList", addr->ip);
    attempt_failed(he, addr, &e, 1);
    return -1;
  }
  attempt_t* a = calloc(1, sizeof(*a));
  if (a == NULL || uv_tcp_init(he->loop, &a->tcp) != 0) {
    free(a);
    lode_error_init_sys(&e, UV_ENOMEM, "connect", addr->ip, he->port);
    attempt_failed(he, addr, &e, 1);
    return -1;
  }
  a->he = he;
  a->index = i;
  a->tcp.data = a;
  a->req.data = a;
  he->handles++;
  he->live = a;
  if (he->local_port > 0 && bind_local(he, a, addr->family, &e) != 0) {
    close_attempt(a);
    attempt_failed(he, addr, &e, 0);
    return -1;
  }
  if (he->cbs->on_attempt != NULL)
    he->cbs->on_attempt(he->owner, addr->ip, he->port, addr->family);
  if (he->finished)
    return 0;
  note_attempted(he, addr);
  struct sockaddr_storage ss;
  int rc = addr->family == 4
               ? uv_ip4_addr(addr->ip, he->port, (struct sockaddr_in*) &ss)
               : uv_ip6_addr(addr->ip, he->port, (struct sockaddr_in6*) &ss);
  if (rc == 0)
    rc = uv_tcp_connect(&a->req, &a->tcp, (struct sockaddr*) &ss, on_connect);
  if (rc != 0) {
    close_attempt(a);
    lode_error_init_sys(&e, rc, "connect", addr->ip, he->port);
    attempt_failed(he, addr, &e, 1);
    return -1;
  }
  if (i + 1 < he->n)
    uv_timer_start(&he->timer, on_timeout, he->timeout, 0);
  return 0;
}

static void next_attempt(lode__autoselect_t* he) {
  while (!he->finished) {
    if (he->current == he->n) {
      fail_all(he);
      return;
    }
    if (start_attempt(he, he->current++) == 0)
      return;
  }
}

int lode__autoselect_start(uv_loop_t* loop, const lode__autoselect_opts_t* o,
                           const lode__autoselect_cbs_t* cbs, void* owner,
                           lode__autoselect_t** out) {
  if (loop == NULL || o == NULL || cbs == NULL || out == NULL || o->naddrs == 0)
    return UV_EINVAL;
  lode__autoselect_t* he = calloc(1, sizeof(*he));
  if (he == NULL)
    return UV_ENOMEM;
  he->addrs = malloc(o->naddrs * sizeof(*he->addrs));
  if (he->addrs == NULL) {
    free(he);
    return UV_ENOMEM;
  }
  memcpy(he->addrs, o->addrs, o->naddrs * sizeof(*he->addrs));
  he->loop = loop;
  he->n = o->naddrs;
  he->port = o->port;
  he->local_port = o->local_port;
  he->timeout = o->attempt_timeout < 10 ? 10 : o->attempt_timeout;
  he->bl = (lode_block_list_t*) o->block_list;
  if (he->bl != NULL)
    lode_block_list_hold(he->bl);
  he->cbs = cbs;
  he->owner = owner;
  he->attempted = o->attempted;
  uv_timer_init(loop, &he->timer);
  he->timer.data = he;
  he->handles = 1;
  *out = he;
  next_attempt(he);
  return 0;
}

void lode__autoselect_cancel(lode__autoselect_t* he) {
  if (he == NULL || he->finished)
    return;
  finish(he);
}
