/* Private helpers every layer above core uses: the object header with its
 * memory references, the hold/release pattern around user callbacks,
 * container_of, and an intrusive queue. The rules are in docs/lifetime.md.
 *
 * Everything here is inline; nothing is thread-safe (one loop, one
 * thread). */
#ifndef LODE_CORE_INTERNAL_H
#define LODE_CORE_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

/* Node's default highWaterMark for byte streams: sockets, the in-memory
 * pair, HTTP message bodies both ways. */
#define LODE__HIGH_WATER_MARK 16384

/* A growable byte buffer (an HTTP header block, held-back output, a
 * WebSocket frame being built); zero-initialised is empty. src/core/buf.c */
typedef struct lode__buf_s {
  char* base;
  size_t len;
  size_t cap;
} lode__buf_t;
/* Room for `more` bytes past len. Returns 0 or UV_ENOMEM. */
int lode__buf_reserve(lode__buf_t* b, size_t more);
int lode__buf_append(lode__buf_t* b, const void* p, size_t n);
int lode__buf_append_str(lode__buf_t* b, const char* s);
void lode__buf_free(lode__buf_t* b);

/* Memory kept for reuse (a pooled object, an arena's chunk) is made
 * unaddressable under AddressSanitizer while it waits, so that a use
 * after its release is reported as a use after free() would be; without
 * ASan these do nothing. poison_around leaves [link, link + link_size)
 * addressable: the free list's link inside the object. */
#if defined(__SANITIZE_ADDRESS__)
#define LODE__ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define LODE__ASAN 1
#endif
#endif
#ifdef LODE__ASAN
#include <sanitizer/asan_interface.h>
#define lode__poison(p, n) ASAN_POISON_MEMORY_REGION((p), (n))
#define lode__unpoison(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define lode__poison(p, n) ((void) (p), (void) (n))
#define lode__unpoison(p, n) ((void) (p), (void) (n))
#endif
static inline void lode__poison_around(void* obj, size_t size, void* link,
                                       size_t link_size) {
  char* o = (char*) obj;
  char* l = (char*) link;
  lode__poison(o, (size_t) (l - o));
  lode__poison(l + link_size, size - (size_t) (l - o) - link_size);
}

/* The struct of type `type` whose member `member` is at `ptr`. */
#define lode__container_of(ptr, type, member)                                  \
  ((type*) ((char*) (ptr) -offsetof(type, member)))

/* Object state bits shared by every object kind; a kind may use the bits
 * from LODE__F_KIND upwards for its own states. */
enum {
  LODE__F_DESTROYED = 1u << 0, /* destroy() ran: no more I/O or events but
                                   the ones that finish it (error, close) */
  LODE__F_CLOSED = 1u << 1,    /* on_close has been emitted */
  LODE__F_KIND = 1u << 8
};

typedef struct lode__obj_s lode__obj_t;
typedef void (*lode__free_fn)(lode__obj_t* obj);

/* The header of the stream objects (the in-memory pair's sides, the HTTP
 * body stream views) and of every new object; the older objects keep the
 * same count in fields of their own (see docs/lifetime.md). An open object holds one reference of its own,
 * dropped after its close callback; the user's hold/release and the
 * library's holds around callbacks add to it. The memory goes when the
 * count reaches zero. */
struct lode__obj_s {
  uint32_t refs;
  uint32_t flags;
  void* data;            /* the user's pointer; the library never reads it */
  lode__free_fn free_fn; /* frees the whole object */
};

/* Starts with the object's own reference. */
static inline void lode__obj_init(lode__obj_t* o, lode__free_fn free_fn) {
  o->refs = 1;
  o->flags = 0;
  o->data = NULL;
  o->free_fn = free_fn;
}

static inline void lode__hold(lode__obj_t* o) {
  o->refs++;
}

/* Drops a reference; frees the object at zero. Returns 1 when it freed it
 * (the caller must not touch it again), else 0. */
static inline int lode__release(lode__obj_t* o) {
  if (--o->refs > 0)
    return 0;
  o->free_fn(o);
  return 1;
}

/* After a user callback made under lode__hold: drops that reference and
 * says whether the caller must stop (the object is gone, or the callback
 * destroyed it). The usual form:
 *
 *   lode__hold(&s->obj);
 *   s->ev->on_end(s);
 *   if (lode__release_stop(&s->obj)) return;
 */
static inline int lode__release_stop(lode__obj_t* o) {
  if (lode__release(o))
    return 1;
  return (o->flags & LODE__F_DESTROYED) != 0;
}

/* An intrusive circular doubly linked list. The head is a lode__queue_t of
 * its own; elements embed one and are found with lode__container_of.
 * Removal is O(1) and an element removed with lode__queue_remove is its
 * own empty queue again, so removing twice is harmless. */
typedef struct lode__queue_s {
  struct lode__queue_s* next;
  struct lode__queue_s* prev;
} lode__queue_t;

static inline void lode__queue_init(lode__queue_t* q) {
  q->next = q;
  q->prev = q;
}

static inline int lode__queue_empty(const lode__queue_t* q) {
  return q->next == q;
}

/* The first and last elements; the head itself when empty. */
static inline lode__queue_t* lode__queue_head(const lode__queue_t* q) {
  return q->next;
}
static inline lode__queue_t* lode__queue_tail(const lode__queue_t* q) {
  return q->prev;
}

static inline void lode__queue_insert_tail(lode__queue_t* q, lode__queue_t* e) {
  e->next = q;
  e->prev = q->prev;
  q->prev->next = e;
  q->prev = e;
}

static inline void lode__queue_insert_head(lode__queue_t* q, lode__queue_t* e) {
  e->next = q->next;
  e->prev = q;
  q->next->prev = e;
  q->next = e;
}

static inline void lode__queue_remove(lode__queue_t* e) {
  e->prev->next = e->next;
  e->next->prev = e->prev;
  lode__queue_init(e);
}

/* Moves every element of `from` to the end of `to`; `from` ends empty.
 * Lets a caller walk a snapshot while callbacks add to the original. */
static inline void lode__queue_move(lode__queue_t* from, lode__queue_t* to) {
  if (lode__queue_empty(from))
    return;
  from->next->prev = to->prev;
  to->prev->next = from->next;
  from->prev->next = to;
  to->prev = from->prev;
  lode__queue_init(from);
}

/* for (e = first; e != head; e = next): not safe against removing `e`
 * inside the body; pop from the head instead when callbacks may run. */
#define lode__queue_foreach(e, q)                                              \
  for ((e) = (q)->next; (e) != (q); (e) = (e)->next)

#endif
