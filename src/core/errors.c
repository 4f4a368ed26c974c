/* Names and messages for the one negative error space, and the error
 * object's constructors. Nothing here allocates except lode_error_copy. */
#include "lode/errors.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

const char* lode_err_name(int code) {
  switch (code) {
#define NAME_(name, msg)                                                       \
  case UV_##name:                                                              \
    return #name;
    UV_ERRNO_MAP(NAME_)
#undef NAME_
#define NAME_(name, value, msg)                                                \
  case LODE_##name:                                                            \
    return #name;
    LODE_ERR_MAP(NAME_)
    LODE_HPE_MAP(NAME_)
#undef NAME_
    default:
      return "UNKNOWN";
  }
}

const char* lode_strerror(int code) {
  switch (code) {
#define MSG_(name, msg)                                                        \
  case UV_##name:                                                              \
    return msg;
    UV_ERRNO_MAP(MSG_)
#undef MSG_
#define MSG_(name, value, msg)                                                 \
  case LODE_##name:                                                            \
    return msg;
    LODE_ERR_MAP(MSG_)
    LODE_HPE_MAP(MSG_)
#undef MSG_
    default:
      return "unknown error";
  }
}

void lode_error_init(lode_error_t* e, int code) {
  memset(e, 0, sizeof(*e));
  e->code = code;
  e->name = lode_err_name(code);
  e->port = -1;
  snprintf(e->message_buf_, sizeof(e->message_buf_), "%s", lode_strerror(code));
  e->message = e->message_buf_;
}

static void set_address(lode_error_t* e, const char* address, int port) {
  if (address != NULL) {
    snprintf(e->address_buf_, sizeof(e->address_buf_), "%s", address);
    e->address = e->address_buf_;
  }
  e->port = port > 0 ? port : -1;
}

/* Node appends " address:port" when the port is positive, else " address"
 * when there is one. */
static void append_details(lode_error_t* e, size_t len) {
  char* m = e->message_buf_;
  size_t cap = sizeof(e->message_buf_);
  if (len >= cap)
    return;
  if (e->address != NULL && e->port > 0)
    snprintf(m + len, cap - len, " %s:%d", e->address, e->port);
  else if (e->address != NULL)
    snprintf(m + len, cap - len, " %s", e->address);
}

void lode_error_init_sys(lode_error_t* e, int code, const char* syscall,
                         const char* address, int port) {
  lode_error_init(e, code);
  e->syscall = syscall;
  set_address(e, address, port);
  int n = snprintf(e->message_buf_, sizeof(e->message_buf_), "%s %s",
                   syscall ? syscall : "", e->name);
  append_details(e, n < 0 ? 0 : (size_t) n);
}

void lode_error_init_uv(lode_error_t* e, int code, const char* syscall,
                        const char* address, int port) {
  lode_error_init(e, code);
  e->syscall = syscall;
  set_address(e, address, port);
  int n = snprintf(e->message_buf_, sizeof(e->message_buf_), "%s %s: %s",
                   syscall ? syscall : "", e->name, lode_strerror(code));
  append_details(e, n < 0 ? 0 : (size_t) n);
}

void lode_error_set_message(lode_error_t* e, const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(e->message_buf_, sizeof(e->message_buf_), fmt, ap);
  va_end(ap);
  e->message = e->message_buf_;
}

/* Copies one error into `dst`, re-pointing the inline strings; the strings
 * that point elsewhere (name, syscall, reason) are static. */
static int copy_into(lode_error_t* dst, const lode_error_t* src) {
  *dst = *src;
  dst->message = dst->message_buf_;
  if (src->message != src->message_buf_)
    snprintf(dst->message_buf_, sizeof(dst->message_buf_), "%s",
             src->message ? src->message : "");
  if (src->address != NULL) {
    if (src->address != src->address_buf_)
      snprintf(dst->address_buf_, sizeof(dst->address_buf_), "%s",
               src->address);
    dst->address = dst->address_buf_;
  }
  dst->raw_packet = (lode_slice_t){ NULL, 0 };
  dst->errors = NULL;
  dst->nerrors = 0;
  if (src->raw_packet.len > 0) {
    char* p = malloc(src->raw_packet.len);
    if (p == NULL)
      return -1;
    memcpy(p, src->raw_packet.base, src->raw_packet.len);
    dst->raw_packet = (lode_slice_t){ p, src->raw_packet.len };
  }
  return 0;
}

lode_error_t* lode_error_copy(const lode_error_t* e) {
  lode_error_t* c = malloc(sizeof(*c));
  if (c == NULL)
    return NULL;
  if (copy_into(c, e) != 0) {
    free(c);
    return NULL;
  }
  if (e->nerrors > 0) {
    lode_error_t* list = calloc(e->nerrors, sizeof(*list));
    if (list == NULL) {
      lode_error_free(c);
      return NULL;
    }
    c->errors = list;
    c->nerrors = e->nerrors;
    for (size_t i = 0; i < e->nerrors; i++)
      if (copy_into(&list[i], &e->errors[i]) != 0) {
        lode_error_free(c);
        return NULL;
      }
  }
  return c;
}

void lode_error_free(lode_error_t* e) {
  if (e == NULL)
    return;
  for (size_t i = 0; i < e->nerrors; i++)
    free((void*) e->errors[i].raw_packet.base);
  free((void*) e->errors);
  free((void*) e->raw_packet.base);
  free(e);
}
