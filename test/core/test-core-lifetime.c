/* The private lifetime helpers: object references, the hold/release
 * pattern around user callbacks, container_of and the intrusive queue. */
#include "core/internal.h"
#include "test.h"

typedef struct thing_s {
  int before;
  lode__obj_t obj;
  void (*on_event)(struct thing_s* t);
  int after_events;
} thing_t;

static int freed;

static void thing_free(lode__obj_t* o) {
  freed++;
  free(lode__container_of(o, thing_t, obj));
}

static thing_t* thing_new(void) {
  thing_t* t = calloc(1, sizeof(*t));
  lode__obj_init(&t->obj, thing_free);
  return t;
}

/* The library side: emit, then touch the object only if it may. */
static void emit(thing_t* t) {
  lode__hold(&t->obj);
  t->on_event(t);
  if (lode__release_stop(&t->obj))
    return;
  t->after_events++;
}

static void do_nothing(thing_t* t) {
  (void) t;
}

/* Destroy and drop the object's own reference inside the callback. */
static void destroy_and_drop(thing_t* t) {
  t->obj.flags |= LODE__F_DESTROYED;
  lode__release(&t->obj);
}

TEST(container_of) {
  thing_t t;
  ASSERT(lode__container_of(&t.obj, thing_t, obj) == &t);
  ASSERT(lode__container_of(&t.after_events, thing_t, after_events) == &t);
}

TEST(refs_free_at_zero) {
  freed = 0;
  thing_t* t = thing_new();
  lode__hold(&t->obj);
  ASSERT_EQ(lode__release(&t->obj), 0);
  ASSERT_EQ(freed, 0);
  ASSERT_EQ(lode__release(&t->obj), 1);
  ASSERT_EQ(freed, 1);
}

TEST(hold_across_callbacks) {
  freed = 0;
  thing_t* t = thing_new();
  t->on_event = do_nothing;
  emit(t);
  ASSERT_EQ(t->after_events, 1);
  /* The callback destroys and drops the last reference: the memory stays
   * until the emitter's release, which then stops. ASan would catch a
   * touch after the free. */
  t->on_event = destroy_and_drop;
  emit(t);
  ASSERT_EQ(freed, 1);
}

TEST(destroyed_but_referenced_stops) {
  freed = 0;
  thing_t* t = thing_new();
  lode__hold(&t->obj); /* a user reference keeps the memory */
  t->on_event = destroy_and_drop;
  emit(t);
  ASSERT_EQ(freed, 0);
  ASSERT_EQ(t->after_events, 0); /* destroyed: the emitter stopped */
  ASSERT_EQ(lode__release(&t->obj), 1);
}

typedef struct item_s {
  int v;
  lode__queue_t q;
} item_t;

static const char* dump(lode__queue_t* q) {
  static char buf[64];
  size_t n = 0;
  lode__queue_t* e;
  buf[0] = '\0';
  lode__queue_foreach(e, q) n += (size_t) snprintf(
      buf + n, sizeof(buf) - n, "%d", lode__container_of(e, item_t, q)->v);
  return buf;
}

TEST(queue) {
  lode__queue_t q, other;
  item_t it[5];
  lode__queue_init(&q);
  lode__queue_init(&other);
  ASSERT(lode__queue_empty(&q));
  ASSERT(lode__queue_head(&q) == &q);
  for (int i = 0; i < 5; i++) {
    it[i].v = i;
    lode__queue_init(&it[i].q);
  }
  lode__queue_insert_tail(&q, &it[1].q);
  lode__queue_insert_tail(&q, &it[2].q);
  lode__queue_insert_head(&q, &it[0].q);
  ASSERT_STR_EQ(dump(&q), "012");
  ASSERT(lode__queue_tail(&q) == &it[2].q);
  lode__queue_remove(&it[1].q);
  lode__queue_remove(&it[1].q); /* removing twice is harmless */
  ASSERT_STR_EQ(dump(&q), "02");
  lode__queue_insert_tail(&other, &it[3].q);
  lode__queue_insert_tail(&other, &it[4].q);
  lode__queue_move(&other, &q);
  ASSERT(lode__queue_empty(&other));
  ASSERT_STR_EQ(dump(&q), "0234");
  lode__queue_move(&other, &q); /* moving an empty queue: nothing */
  ASSERT_STR_EQ(dump(&q), "0234");
  while (!lode__queue_empty(&q))
    lode__queue_remove(lode__queue_head(&q));
  ASSERT_STR_EQ(dump(&q), "");
}

TEST_MAIN(container_of, refs_free_at_zero, hold_across_callbacks,
          destroyed_but_referenced_stops, queue)
