/* A small JSON reader for the parser tests: enough for the llhttp corpus
 * (objects, arrays, strings with escapes, numbers, true/false/null). The
 * whole document is one allocation-per-node tree; json_free releases it. */
#ifndef LODE_TEST_JSON_MINI_H
#define LODE_TEST_JSON_MINI_H

#include <stdlib.h>
#include <string.h>

typedef enum { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ } json_kind_t;

typedef struct json_s {
  json_kind_t kind;
  double num;
  char* str; /* J_STR value, or the key inside an object */
  char* key;
  struct json_s* child; /* first element / member */
  struct json_s* next;
} json_t;

static inline void json_free(json_t* j) {
  while (j != NULL) {
    json_t* n = j->next;
    json_free(j->child);
    free(j->str);
    free(j->key);
    free(j);
    j = n;
  }
}

static void json_ws(const char** s) {
  while (**s == ' ' || **s == '\n' || **s == '\r' || **s == '\t')
    (*s)++;
}

static char* json_string(const char** s) {
  const char* p = *s + 1;
  char* out = malloc(strlen(p) + 1);
  size_t n = 0;
  while (*p && *p != '"') {
    if (*p != '\\') {
      out[n++] = *p++;
      continue;
    }
    p++;
    switch (*p) {
      case 'n':
        out[n++] = '\n';
        break;
      case 'r':
        out[n++] = '\r';
        break;
      case 't':
        out[n++] = '\t';
        break;
      case 'b':
        out[n++] = '\b';
        break;
      case 'f':
        out[n++] = '\f';
        break;
      case 'u': {
        unsigned v = (unsigned) strtoul((char[5]){ p[1], p[2], p[3], p[4], 0 },
                                        NULL, 16);
        p += 4;
        if (v < 0x80) {
          out[n++] = (char) v;
        } else if (v < 0x800) {
          out[n++] = (char) (0xc0 | (v >> 6));
          out[n++] = (char) (0x80 | (v & 0x3f));
        } else {
          out[n++] = (char) (0xe0 | (v >> 12));
          out[n++] = (char) (0x80 | ((v >> 6) & 0x3f));
          out[n++] = (char) (0x80 | (v & 0x3f));
        }
        break;
      }
      default:
        out[n++] = *p;
    }
    p++;
  }
  out[n] = 0;
  *s = *p ? p + 1 : p;
  return out;
}

static inline json_t* json_value(const char** s) {
  json_ws(s);
  json_t* j = calloc(1, sizeof(*j));
  if (**s == '{' || **s == '[') {
    int obj = **s == '{';
    j->kind = obj ? J_OBJ : J_ARR;
    (*s)++;
    json_t** tail = &j->child;
    for (;;) {
      json_ws(s);
      if (**s == '}' || **s == ']') {
        (*s)++;
        break;
      }
      if (**s == ',') {
        (*s)++;
        continue;
      }
      if (**s == 0)
        break;
      char* key = NULL;
      if (obj) {
        key = json_string(s);
        json_ws(s);
        if (**s == ':')
          (*s)++;
      }
      json_t* v = json_value(s);
      v->key = key;
      *tail = v;
      tail = &v->next;
    }
  } else if (**s == '"') {
    j->kind = J_STR;
    j->str = json_string(s);
  } else if (strncmp(*s, "null", 4) == 0) {
    *s += 4;
  } else if (strncmp(*s, "true", 4) == 0 || strncmp(*s, "false", 5) == 0) {
    j->kind = J_BOOL;
    j->num = **s == 't';
    *s += **s == 't' ? 4 : 5;
  } else {
    char* end;
    j->kind = J_NUM;
    j->num = strtod(*s, &end);
    *s = end > *s ? end : *s + 1;
  }
  return j;
}

static inline json_t* json_get(const json_t* o, const char* key) {
  if (o == NULL || o->kind != J_OBJ)
    return NULL;
  for (json_t* m = o->child; m != NULL; m = m->next)
    if (m->key && strcmp(m->key, key) == 0)
      return m;
  return NULL;
}

static inline const char* json_str(const json_t* o, const char* key) {
  json_t* v = json_get(o, key);
  return v && v->kind == J_STR ? v->str : NULL;
}

static inline int json_truthy(const json_t* o, const char* key) {
  json_t* v = json_get(o, key);
  return v != NULL && v->kind == J_BOOL && v->num != 0;
}

static inline size_t base64_decode(const char* in, unsigned char* out) {
  size_t n = 0;
  unsigned acc = 0;
  int bits = 0;
  for (; *in && *in != '='; in++) {
    const char* tab =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const char* f = strchr(tab, *in);
    if (f == NULL)
      continue;
    acc = (acc << 6) | (unsigned) (f - tab);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[n++] = (unsigned char) (acc >> bits);
    }
  }
  return n;
}

static inline char* read_file(const char* path, size_t* len) {
  FILE* f = fopen(path, "rb");
  if (f == NULL)
    return NULL;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  char* buf = malloc((size_t) n + 1);
  size_t got = fread(buf, 1, (size_t) n, f);
  buf[got] = 0;
  fclose(f);
  if (len)
    *len = got;
  return buf;
}

#endif
