/* lode: Node's WHATWG URL (new URL(input[, base]), with the
 * urlToHttpOptions view http.request uses) and URLSearchParams.
 * (Conventions for every header: the opening comment of lode.h.)
 *
 * Scope: the special schemes http, https, ws and wss (and ftp) are parsed
 * in full. Any other scheme parses only as far as `protocol`, which is all
 * http.request needs to refuse it; file: is one of those. Host names are
 * ASCII: lode has no IDNA tables, so a non-ASCII host is refused (pass its
 * xn-- form).
 *
 * Text is UTF-8 on both sides. Ownership: a parsed lode_http_url_t owns
 * its strings (lode_http_url_free). A lode_url_search_params_t is a value
 * object the library allocates (lode_url_search_params_free); every string
 * it returns is borrowed and stays valid until the next call that changes
 * it (append, set, delete, sort) or frees it. */
#ifndef LODE_URL_H
#define LODE_URL_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ===================================================================== *
 * URL                                                                    *
 * ===================================================================== */

/* A parsed URL: WHATWG's fields (new URL(input)) and Node's
 * urlToHttpOptions view of them. Every string is NUL-terminated and owned
 * by the struct (freed by lode_http_url_free). */
typedef struct lode_http_url_s {
  const char* href;     /* the serialised URL */
  const char* protocol; /* "http:" (lowercase scheme and ':') */
  const char* username; /* percent-encoded, as WHATWG keeps it */
  const char* password;
  const char* host;     /* hostname[:port] */
  const char* hostname; /* "[::1]" keeps its brackets, as WHATWG */
  const char* port;     /* "" for none or the scheme's default */
  const char* pathname; /* "/" at least */
  const char* search;   /* "" or "?..." */
  const char* hash;     /* "" or "#..." */
  /* urlToHttpOptions */
  const char* path;      /* pathname + search */
  const char* host_bare; /* hostname without IPv6 brackets */
  const char* auth;      /* "user:pass" percent-decoded, or NULL */
  int port_num;          /* the port as a number, -1 when `port` is "" */
  char* buf_;            /* storage; not for the user */
} lode_http_url_t;

/* Node: new URL(input, base), or new URL(input) when base is NULL, with
 * WHATWG's rules for the special schemes: tabs and newlines dropped, "\"
 * as "/", userinfo, IPv4 in every notation (0x7f.1), IPv6 compressed,
 * default ports dropped, "." and ".." segments resolved, percent-encoding
 * of what must be; path and query otherwise kept as given.
 *
 * With a base, a relative input resolves against it as WHATWG says: ""
 * (the base without its fragment), "?q", "#f", "/path", "path" (against
 * the base's directory, "." and ".." applied), "//host/path" (the base's
 * scheme), and "http:path" (the base's own special scheme without "//").
 * An input with its own scheme ignores the base. The base must parse;
 * only a special base can resolve a relative input (any other gives
 * LODE_ERR_INVALID_URL, where Node would resolve against e.g. "foo://h/").
 * A request target against its host: ("/items?x=1", "http://host").
 *
 * Non-ASCII host names are refused with LODE_ERR_INVALID_URL ("Invalid
 * URL", what Node gives a host that IDNA cannot map), where Node would map
 * "bücher.example" to "xn--bcher-kva.example".
 * Fills *out; free it with lode_http_url_free.
 * Returns 0, LODE_ERR_INVALID_URL, UV_EINVAL (out NULL) or UV_ENOMEM. */
int lode_http_url_parse(const char* input, const char* base,
                        lode_http_url_t* out);
void lode_http_url_free(lode_http_url_t* url);

/* ===================================================================== *
 * URLSearchParams                                                        *
 * ===================================================================== */

/* An ordered list of name/value pairs. Names and values are UTF-8; what
 * is given to append/set is read as Node reads a Buffer's toString(): an
 * invalid UTF-8 sequence becomes U+FFFD. A decoded "%00" is a NUL inside a
 * value: lode_url_search_params_entry gives the lengths; the functions
 * that return a bare string show it up to that NUL. A name or value that
 * is looked up (get, get_all, has, delete) is compared byte for byte, so
 * one with invalid UTF-8 matches nothing. */
typedef struct lode_url_search_params_s lode_url_search_params_t;

/* Node: new URLSearchParams(init) with a string, or url.searchParams of
 * a parsed URL (pass its `search`). `init` is a query string with or
 * without its leading '?' (NULL: empty), parsed as
 * application/x-www-form-urlencoded: split on '&', the first '=' splits
 * name from value, '+' is a space, %XX escapes are bytes (an invalid
 * escape stays as it is) and the bytes are then UTF-8 with U+FFFD for
 * invalid sequences. Returns 0, UV_EINVAL (out NULL) or UV_ENOMEM. */
int lode_url_search_params_new(const char* init,
                               lode_url_search_params_t** out);
void lode_url_search_params_free(lode_url_search_params_t* p);

/* Node: params.size. */
size_t lode_url_search_params_size(const lode_url_search_params_t* p);

/* Node: the i-th pair of params.entries() (for...of, forEach), i below
 * size. Stores borrowed name and value and their lengths (any pointer may
 * be NULL). Returns 0, or UV_EINVAL when i is out of range. */
int lode_url_search_params_entry(const lode_url_search_params_t* p, size_t i,
                                 const char** name, size_t* name_len,
                                 const char** value, size_t* value_len);

/* Node: params.get(name): the first value for name, borrowed, or NULL
 * (Node's null) when there is none. */
const char* lode_url_search_params_get(const lode_url_search_params_t* p,
                                       const char* name);

/* Node: params.getAll(name): stores up to `cap` borrowed values for name
 * in order in values[] (values may be NULL with cap 0 to count) and
 * returns how many there are in all. */
size_t lode_url_search_params_get_all(const lode_url_search_params_t* p,
                                      const char* name, const char** values,
                                      size_t cap);

/* Node: params.has(name[, value]): 1 when a pair has that name (and that
 * value, when value is not NULL), else 0. */
int lode_url_search_params_has(const lode_url_search_params_t* p,
                               const char* name, const char* value);

/* Node: params.append(name, value): adds a pair at the end.
 * Returns 0, UV_EINVAL (a NULL argument) or UV_ENOMEM. */
int lode_url_search_params_append(lode_url_search_params_t* p, const char* name,
                                  const char* value);

/* Node: params.set(name, value): the first pair with that name takes the
 * value and the others with that name go; without one, appends.
 * Returns 0, UV_EINVAL (a NULL argument) or UV_ENOMEM. */
int lode_url_search_params_set(lode_url_search_params_t* p, const char* name,
                               const char* value);

/* Node: params.delete(name[, value]): removes every pair with that name
 * (and that value, when value is not NULL). */
void lode_url_search_params_delete(lode_url_search_params_t* p,
                                   const char* name, const char* value);

/* Node: params.sort(): a stable sort by name, comparing UTF-16 code units
 * as JavaScript does. Returns 0 or UV_ENOMEM (the order is then kept). */
int lode_url_search_params_sort(lode_url_search_params_t* p);

/* Node: params.toString(): the application/x-www-form-urlencoded
 * serialisation (no leading '?'): a space is '+', and every byte but
 * ASCII alphanumerics and "*-._" is %XX (uppercase hex). Borrowed; NULL
 * when memory runs out. */
const char* lode_url_search_params_to_string(lode_url_search_params_t* p);

#ifdef __cplusplus
}
#endif
#endif
