/* Per-loop state of the net layer: the read slab, a scratch buffer and a
 * cache of write records, kept as net's part of core's per-loop state
 * (core/loop.h: ticks, the later queue, idle timers), made by the first
 * socket or server on the loop and freed with that state. */
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include "net/internal.h"

#define BLOCKS_MAX 64

typedef struct lode__netblock_s block_t;
struct lode__netblock_s {
  block_t* next;
};

/* libuv writes with write(2), which raises SIGPIPE on a connection the
 * peer reset; its default action ends the process. Node ignores SIGPIPE at
 * start-up, so its writes fail with EPIPE instead. lode does the same once,
 * when the first net state is made, and only if the disposition is still
 * the default: an application's own handler (or SIG_IGN) is left alone. */
static void ignore_sigpipe(void) {
  struct sigaction sa;
  if (sigaction(SIGPIPE, NULL, &sa) != 0 || sa.sa_handler != SIG_DFL ||
      (sa.sa_flags & SA_SIGINFO))
    return;
  memset(&sa, 0, sizeof(sa));
  sa.sa_handler = SIG_IGN;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGPIPE, &sa, NULL);
}

static pthread_once_t sigpipe_once = PTHREAD_ONCE_INIT;

static void netloop_free(void* part) {
  lode__netloop_t* nl = part;
  while (nl->blocks != NULL) {
    block_t* b = nl->blocks;
    nl->blocks = b->next;
    lode__unpoison(b, lode__net_block_size);
    free(b);
  }
  free(nl->scratch);
  free(nl);
}

lode__netloop_t* lode__netloop_get(uv_loop_t* loop) {
  lode__loop_t* core = lode__loop_get(loop);
  if (core == NULL)
    return NULL;
  lode__netloop_t* nl = lode__loop_part(core);
  if (nl != NULL)
    return nl;
  pthread_once(&sigpipe_once, ignore_sigpipe);
  if ((nl = calloc(1, sizeof(*nl))) == NULL) {
    lode__loop_put(core);
    return NULL;
  }
  nl->core = core;
  lode__loop_set_part(core, nl, netloop_free);
  return nl;
}

void lode__netloop_put(lode__netloop_t* nl) {
  if (nl != NULL)
    lode__loop_put(nl->core);
}

uv_buf_t lode__netloop_slab(lode__netloop_t* nl) {
  return lode__uv_buf(nl->slab, sizeof(nl->slab));
}

char* lode__netloop_scratch(lode__netloop_t* nl, size_t n) {
  if (n <= nl->scratch_len)
    return nl->scratch;
  char* p = realloc(nl->scratch, n);
  if (p == NULL)
    return NULL;
  nl->scratch = p;
  nl->scratch_len = n;
  return p;
}

void* lode__netloop_block_get(lode__netloop_t* nl) {
  block_t* b = nl->blocks;
  if (b == NULL)
    return NULL;
  nl->blocks = b->next;
  nl->nblocks--;
  lode__unpoison(b, lode__net_block_size);
  return b;
}

int lode__netloop_block_put(lode__netloop_t* nl, void* block) {
  if (nl->nblocks >= BLOCKS_MAX)
    return 0;
  block_t* b = block;
  b->next = nl->blocks;
  nl->blocks = b;
  nl->nblocks++;
  lode__poison_around(b, lode__net_block_size, &b->next, sizeof(b->next));
  return 1;
}
