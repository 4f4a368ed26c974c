/* ASCII helpers every layer may use, the HTTP parser included: inline,
 * header-only and libc-free, so including this file adds no link
 * dependency to the layer that does. */
#ifndef LODE_CORE_ASCII_H
#define LODE_CORE_ASCII_H

#include <stddef.h>

/* The value of one hexadecimal digit (either case), or -1. Takes an int
 * holding an unsigned char value, as <ctype.h> does. */
static inline int lode__hexval(int c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  c |= 0x20;
  return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Percent-decodes s[0..n) into out, which has room for n bytes and may
 * be s itself (decoding never lengthens). A '%' without two hex digits
 * after it stays as it is, as the URL standard says; with `plus`, '+' is
 * a space (application/x-www-form-urlencoded). Returns the length. */
static inline size_t lode__percent_decode(const char* s, size_t n, char* out,
                                          int plus) {
  size_t w = 0;
  for (size_t i = 0; i < n; i++) {
    int hi = i + 2 < n ? lode__hexval((unsigned char) s[i + 1]) : -1;
    int lo = hi >= 0 ? lode__hexval((unsigned char) s[i + 2]) : -1;
    if (s[i] == '%' && lo >= 0) {
      out[w++] = (char) (hi * 16 + lo);
      i += 2;
    } else {
      out[w++] = plus && s[i] == '+' ? ' ' : s[i];
    }
  }
  return w;
}

#endif
