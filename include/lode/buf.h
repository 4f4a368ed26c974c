/* lode: bytes.
 * (Conventions for every header: the opening comment of lode.h.)
 *
 * lode_slice_t is a borrowed view: valid for as long as the API that handed
 * it out says (normally until your callback returns). lode_bytes_t is owned
 * and reference-counted: what you keep when a view is not enough, and what a
 * zero-copy write takes a reference to. */
#ifndef LODE_BUF_H
#define LODE_BUF_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct lode_slice_s {
  const char* base;
  size_t len;
} lode_slice_t;

/* A view of a NUL-terminated string (NULL gives the empty view). */
lode_slice_t lode_slice_str(const char* s);
#define LODE_SLICE(lit) ((lode_slice_t){ (lit), sizeof(lit) - 1 })

/* Owned bytes. The layout is private; use the accessors. */
typedef struct lode_bytes_s lode_bytes_t;

/* A new buffer holding a copy of `from`, with one reference, or NULL when
 * memory runs out (or from.base is NULL with a length). Node:
 * Buffer.from(buffer). */
lode_bytes_t* lode_bytes_copy(lode_slice_t from);
/* A new buffer of `len` uninitialised bytes (fill it via lode_bytes_data). */
lode_bytes_t* lode_bytes_alloc(size_t len);
/* Takes ownership of `base` (from malloc); free() runs at the last unref.
 * On failure (NULL) `base` is still the caller's. */
lode_bytes_t* lode_bytes_adopt(char* base, size_t len);
char* lode_bytes_data(lode_bytes_t* b);
lode_slice_t lode_bytes_view(const lode_bytes_t* b);
size_t lode_bytes_len(const lode_bytes_t* b);
/* Memory references: hold adds one (NULL is ignored), release drops one
 * and frees at zero. Not thread-safe, like everything on one loop. */
void lode_bytes_hold(lode_bytes_t* b);
void lode_bytes_release(lode_bytes_t* b);

/* Node's encodings. LODE_ENC_BUFFER (0) means raw bytes (no encoding). */
typedef enum {
  LODE_ENC_BUFFER = 0,
  LODE_ENC_UTF8,
  LODE_ENC_LATIN1, /* also "binary" */
  LODE_ENC_ASCII,
  LODE_ENC_HEX,
  LODE_ENC_BASE64,
  LODE_ENC_BASE64URL,
  LODE_ENC_UTF16LE /* also "ucs2", "ucs-2", "utf-16le" */
} lode_encoding_t;

/* Node's Buffer.isEncoding names, any case ("utf8", "utf-8", "binary",
 * "ucs2", ...; not "buffer"). Returns the encoding (> 0), or
 * LODE_ERR_UNKNOWN_ENCODING (also for NULL). */
int lode_encoding_parse(const char* name);
/* The canonical name ("utf8", "latin1", "utf16le", ...; "buffer" for
 * LODE_ENC_BUFFER), static; NULL for a value that is no encoding. */
const char* lode_encoding_name(lode_encoding_t enc);

/* Encoding bytes to text (Node's buf.toString(enc)) and text to bytes
 * (Buffer.from(str, enc)). Text is UTF-8. Each returns the number of bytes
 * it would produce; it writes at most `cap` of them to `out` (out may be
 * NULL to measure). Output is not NUL-terminated. Invalid UTF-8 becomes
 * U+FFFD as in Node (one per maximal invalid subpart, WHATWG), and a lone
 * UTF-16 surrogate from utf16le becomes U+FFFD.
 *
 * lode_decode reads `text` as the JavaScript string Node would get from
 * those bytes, so each UTF-16 unit counts: latin1 and ascii keep each
 * unit's low byte; hex stops at the first pair that is not two digits;
 * base64 and base64url both accept either alphabet, skip whitespace and
 * other characters, and stop at the first '='. LODE_ENC_BUFFER copies. */
size_t lode_encode(lode_encoding_t enc, lode_slice_t bytes, char* out,
                   size_t cap);
size_t lode_decode(lode_encoding_t enc, lode_slice_t text, char* out,
                   size_t cap);

/* A string decoder (Node's StringDecoder): turns a stream of byte chunks
 * into text without splitting a multi-byte UTF-8 character, a UTF-16 unit
 * or a base64 group across chunks. */
typedef struct lode_decoder_s {
  lode_encoding_t enc;
  unsigned char pending[4];
  unsigned pending_len;
  unsigned need; /* utf8: bytes still expected for the pending char */
} lode_decoder_t;

void lode_decoder_init(lode_decoder_t* d, lode_encoding_t enc);
/* Node: decoder.write(chunk). Decodes `chunk` (with the bytes held back
 * from before). Writes at most `cap` bytes of text and returns how many it
 * produced: a result above `cap` means text was lost, so pass cap >=
 * lode_decoder_max(d, chunk.len). The output is Node's string for this
 * call, as UTF-8. */
size_t lode_decoder_write(lode_decoder_t* d, lode_slice_t chunk, char* out,
                          size_t cap);
/* Node: decoder.end(). What is left at the end of the stream (an
 * incomplete utf8 character becomes U+FFFD, a base64 tail its padded
 * group); the decoder is then ready for a new stream. */
size_t lode_decoder_end(lode_decoder_t* d, char* out, size_t cap);
/* An upper bound on the text one lode_decoder_write of `chunk_len` bytes
 * (or lode_decoder_end, with 0) produces. */
size_t lode_decoder_max(const lode_decoder_t* d, size_t chunk_len);

#ifdef __cplusplus
}
#endif
#endif
