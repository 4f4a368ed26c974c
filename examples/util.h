/* Small helpers shared by the examples, where Node's examples call a
 * built-in: read_file is fs.readFileSync for the examples that load a
 * certificate, a key or a request body. */
#ifndef LODE_EXAMPLES_UTIL_H
#define LODE_EXAMPLES_UTIL_H

#include <stdio.h>
#include <stdlib.h>

/* The whole of PATH in a malloc'd buffer (free it), its size in *len; NULL
 * when the file cannot be opened or memory runs out. Read in a loop rather
 * than sized with fseek, so pipes and /dev/stdin work too. */
static inline char* read_file(const char* path, size_t* len) {
  FILE* in = fopen(path, "rb");
  if (in == NULL)
    return NULL;
  char* buf = NULL;
  size_t cap = 0, n = 0, got;
  do {
    if (n == cap) {
      char* p = realloc(buf, cap = cap ? cap * 2 : 65536);
      if (p == NULL) {
        free(buf);
        fclose(in);
        return NULL;
      }
      buf = p;
    }
    got = fread(buf + n, 1, cap - n, in);
    n += got;
  } while (got > 0);
  fclose(in);
  *len = n;
  return buf;
}

#endif
