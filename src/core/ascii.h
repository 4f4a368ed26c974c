/* ASCII helpers every layer may use, the HTTP parser included: inline,
 * header-only and libc-free, so including this file adds no link
 * dependency to the layer that does. */
#ifndef LODE_CORE_ASCII_H
#define LODE_CORE_ASCII_H

/* The value of one hexadecimal digit (either case), or -1. Takes an int
 * holding an unsigned char value, as <ctype.h> does. */
static inline int lode__hexval(int c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  c |= 0x20;
  return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

#endif
