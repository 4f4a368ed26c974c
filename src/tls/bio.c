/* The BIO between OpenSSL and the stream under a TLS socket, one for
 * both ways (a BIO costs some 200 bytes with its lock, per connection).
 * OpenSSL reads ciphertext straight from the slice the stream lent (only
 * what a pass leaves unread, a partial record, is copied), and writes
 * into a buffer that is handed to the stream and freed at each flush. So
 * an idle connection keeps no buffer of its own here (and OpenSSL's own
 * are released, SSL_MODE_RELEASE_BUFFERS); memory BIOs would keep the
 * largest size ever seen, per connection. */
#include "tls/socket.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

static BIO_METHOD* method;
static int method_type;
static pthread_once_t method_once = PTHREAD_ONCE_INIT;

static lode_tls_socket_t* owner(BIO* b) {
  return BIO_get_data(b);
}

static size_t in_pending(const lode_tls_socket_t* t) {
  return (t->keep_len - t->keep_off) + (t->cur_len - t->cur_off);
}

static size_t take(const char* src, size_t* off, size_t len, char* dst,
                   size_t want) {
  size_t n = len - *off < want ? len - *off : want;
  if (n == 0)
    return 0;
  memcpy(dst, src + *off, n);
  *off += n;
  return n;
}

/* The kept bytes first (they came before), then the lent slice. */
static int in_read(BIO* b, char* out, int size) {
  lode_tls_socket_t* t = owner(b);
  BIO_clear_retry_flags(b);
  size_t want = size > 0 ? (size_t) size : 0;
  size_t got = take(t->keep, &t->keep_off, t->keep_len, out, want);
  if (t->keep_off == t->keep_len && t->keep != NULL) {
    free(t->keep);
    t->keep = NULL;
    t->keep_len = t->keep_off = 0;
  }
  got += take(t->cur, &t->cur_off, t->cur_len, out + got, want - got);
  if (got == 0) {
    BIO_set_retry_read(b);
    return -1;
  }
  return (int) got;
}

static int out_write(BIO* b, const char* in, int size) {
  lode_tls_socket_t* t = owner(b);
  BIO_clear_retry_flags(b);
  size_t n = size > 0 ? (size_t) size : 0;
  if (t->out_len + n > t->out_cap) {
    size_t cap = t->out_cap ? t->out_cap : 4096;
    while (cap < t->out_len + n)
      cap *= 2;
    char* p = realloc(t->out, cap);
    if (p == NULL)
      return -1;
    t->out = p;
    t->out_cap = cap;
  }
  memcpy(t->out + t->out_len, in, n);
  t->out_len += n;
  return size;
}

static long bio_ctrl(BIO* b, int cmd, long num, void* ptr) {
  switch (cmd) {
    case BIO_CTRL_PENDING:
      return (long) in_pending(owner(b));
    case BIO_CTRL_WPENDING:
      return (long) owner(b)->out_len;
    case BIO_CTRL_FLUSH:
      return 1;
    default:
      return 0;
  }
}

static int bio_create(BIO* b) {
  BIO_set_init(b, 1);
  return 1;
}

static void make_method(void) {
  method_type = BIO_get_new_index() | BIO_TYPE_SOURCE_SINK;
  method = BIO_meth_new(method_type, "lode tls");
  if (method != NULL) {
    BIO_meth_set_read(method, in_read);
    BIO_meth_set_write(method, out_write);
    BIO_meth_set_ctrl(method, bio_ctrl);
    BIO_meth_set_create(method, bio_create);
  }
}

BIO* lode__tls_bio_new(lode_tls_socket_t* t) {
  pthread_once(&method_once, make_method);
  BIO* b = method != NULL ? BIO_new(method) : NULL;
  if (b != NULL)
    BIO_set_data(b, t);
  return b;
}

/* The socket is found through its BIO, not the SSL's ex_data: setting
 * ex_data allocates a stack (two blocks, some 96 bytes) per connection. */
lode_tls_socket_t* lode__tls_of_ssl(SSL* ssl) {
  BIO* b = SSL_get_rbio(ssl);
  if (b == NULL || method == NULL || BIO_method_type(b) != method_type)
    return NULL;
  return owner(b);
}

size_t lode__tls_in_pending(const lode_tls_socket_t* t) {
  return in_pending(t);
}

void lode__tls_in_lend(lode_tls_socket_t* t, lode_slice_t d) {
  t->cur = d.base;
  t->cur_len = d.len;
  t->cur_off = 0;
}

/* What the pass left of the lent slice is kept (it will be gone). */
int lode__tls_in_return(lode_tls_socket_t* t) {
  size_t left = t->cur_len - t->cur_off;
  int rc = 0;
  if (left > 0) {
    size_t keep = t->keep_len - t->keep_off;
    char* p = malloc(keep + left);
    if (p == NULL) {
      rc = UV_ENOMEM;
    } else {
      if (keep > 0)
        memcpy(p, t->keep + t->keep_off, keep);
      memcpy(p + keep, t->cur + t->cur_off, left);
      free(t->keep);
      t->keep = p;
      t->keep_len = keep + left;
      t->keep_off = 0;
    }
  }
  t->cur = NULL;
  t->cur_len = t->cur_off = 0;
  return rc;
}

void lode__tls_out_drop(lode_tls_socket_t* t) {
  free(t->out);
  t->out = NULL;
  t->out_len = t->out_cap = 0;
}

void lode__tls_bio_free_buffers(lode_tls_socket_t* t) {
  lode__tls_out_drop(t);
  free(t->keep);
  t->keep = NULL;
}
