/* Slices, owned bytes, and the converters' contract (measuring, partial
 * output, bad input). What each encoding produces is checked against Node
 * in test-core-encoding.c. */
#include "lode.h"
#include "test.h"

TEST(slices) {
  lode_slice_t s = lode_slice_str("abc");
  ASSERT_MEM_EQ(s.base, s.len, "abc", 3);
  s = lode_slice_str(NULL);
  ASSERT_NOT_NULL(s.base);
  ASSERT_EQ(s.len, 0);
  s = LODE_SLICE("a\0b");
  ASSERT_EQ(s.len, 3);
}

TEST(bytes_copy_and_refs) {
  char src[] = "hello";
  lode_bytes_t* b = lode_bytes_copy((lode_slice_t){ src, 5 });
  ASSERT_NOT_NULL(b);
  src[0] = 'j'; /* a copy: the caller's memory is free at return */
  lode_slice_t v = lode_bytes_view(b);
  ASSERT_MEM_EQ(v.base, v.len, "hello", 5);
  ASSERT_EQ(lode_bytes_len(b), 5);
  lode_bytes_hold(b);
  lode_bytes_release(b);
  ASSERT_MEM_EQ(lode_bytes_data(b), 5, "hello", 5); /* still one ref */
  lode_bytes_release(b);
  lode_bytes_release(NULL);
  lode_bytes_hold(NULL); /* ignored */
}

TEST(bytes_alloc_and_adopt) {
  lode_bytes_t* b = lode_bytes_alloc(3);
  ASSERT_NOT_NULL(b);
  memcpy(lode_bytes_data(b), "xyz", 3);
  ASSERT_MEM_EQ(lode_bytes_view(b).base, 3, "xyz", 3);
  lode_bytes_release(b);
  char* heap = malloc(4);
  memcpy(heap, "abcd", 4);
  b = lode_bytes_adopt(heap, 4); /* freed at the last unref (ASan checks) */
  ASSERT(lode_bytes_data(b) == heap);
  lode_bytes_release(b);
  b = lode_bytes_alloc(0);
  ASSERT_NOT_NULL(b);
  ASSERT_EQ(lode_bytes_len(b), 0);
  lode_bytes_release(b);
  b = lode_bytes_copy((lode_slice_t){ NULL, 0 });
  ASSERT_NOT_NULL(b);
  lode_bytes_release(b);
}

TEST(bytes_bad_input) {
  ASSERT_NULL(lode_bytes_copy((lode_slice_t){ NULL, 5 }));
  ASSERT_NULL(lode_bytes_adopt(NULL, 5));
  ASSERT_NULL(lode_bytes_alloc(SIZE_MAX));
  ASSERT_NULL(lode_bytes_alloc(SIZE_MAX - 8));
}

TEST(encoding_names) {
  ASSERT_EQ(lode_encoding_parse("UTF-8"), LODE_ENC_UTF8);
  ASSERT_EQ(lode_encoding_parse("Binary"), LODE_ENC_LATIN1);
  ASSERT_EQ(lode_encoding_parse("ucs-2"), LODE_ENC_UTF16LE);
  ASSERT_EQ(lode_encoding_parse("buffer"), LODE_ERR_UNKNOWN_ENCODING);
  ASSERT_EQ(lode_encoding_parse(NULL), LODE_ERR_UNKNOWN_ENCODING);
  ASSERT_EQ(lode_encoding_parse("utf8x"), LODE_ERR_UNKNOWN_ENCODING);
  ASSERT_EQ(lode_encoding_parse("utf"), LODE_ERR_UNKNOWN_ENCODING);
  ASSERT_STR_EQ(lode_encoding_name(LODE_ENC_BASE64URL), "base64url");
  ASSERT_STR_EQ(lode_encoding_name(LODE_ENC_BUFFER), "buffer");
  ASSERT_NULL(lode_encoding_name((lode_encoding_t) 99));
}

/* The converters measure with out == NULL, write at most cap bytes, and
 * always return the full length. */
TEST(measure_and_truncate) {
  lode_slice_t in = LODE_SLICE("\xe2\x82\xac\xff"); /* euro, bad byte */
  ASSERT_EQ(lode_encode(LODE_ENC_UTF8, in, NULL, 100), 6);
  char out[8];
  memset(out, '#', sizeof(out));
  ASSERT_EQ(lode_encode(LODE_ENC_UTF8, in, out, 4), 6);
  ASSERT_MEM_EQ(out, 5, "\xe2\x82\xac\xef#", 5);
  memset(out, '#', sizeof(out));
  ASSERT_EQ(lode_encode(LODE_ENC_HEX, in, out, 3), 8);
  ASSERT_MEM_EQ(out, 4, "e28#", 4);
  ASSERT_EQ(lode_decode(LODE_ENC_HEX, LODE_SLICE("414243"), out, 2), 3);
  ASSERT_MEM_EQ(out, 3, "AB8", 3); /* the 8 is left from before */
  ASSERT_EQ(lode_encode(LODE_ENC_BASE64, LODE_SLICE("ab"), NULL, 0), 4);
  ASSERT_EQ(lode_encode(LODE_ENC_BUFFER, in, out, sizeof(out)), 4);
  ASSERT_MEM_EQ(out, 4, in.base, 4);
  ASSERT_EQ(lode_encode(LODE_ENC_UTF8, (lode_slice_t){ NULL, 9 }, out, 8), 0);
  ASSERT_EQ(lode_decode(LODE_ENC_LATIN1, (lode_slice_t){ NULL, 9 }, out, 8), 0);
}

/* Long inputs take the word-at-a-time paths; compare with the bytewise
 * result of short pieces. */
TEST(long_inputs) {
  static char in[4099], out[4099 * 3], piece[32];
  for (size_t i = 0; i < sizeof(in); i++)
    in[i] = (char) (i % 97 == 96 ? 0xC3 : i % 97 == 0 ? 0xA9 : 'a' + i % 26);
  size_t n = lode_encode(LODE_ENC_UTF8, (lode_slice_t){ in, sizeof(in) }, out,
                         sizeof(out));
  size_t o = 0;
  lode_decoder_t d;
  lode_decoder_init(&d, LODE_ENC_UTF8);
  for (size_t i = 0; i < sizeof(in); i += 5) {
    size_t len = sizeof(in) - i < 5 ? sizeof(in) - i : 5;
    ASSERT_LE(lode_decoder_max(&d, len), sizeof(piece));
    size_t k = lode_decoder_write(&d, (lode_slice_t){ in + i, len }, piece,
                                  sizeof(piece));
    ASSERT(o + k <= n && memcmp(out + o, piece, k) == 0);
    o += k;
  }
  o += lode_decoder_end(&d, NULL, 0);
  ASSERT_EQ(o, n);
  ASSERT_EQ(
      lode_encode(LODE_ENC_LATIN1, (lode_slice_t){ in, sizeof(in) }, NULL, 0),
      sizeof(in) + 2 * (sizeof(in) / 97) + 1);
}

TEST(decoder_buffer_and_hex) {
  lode_decoder_t d;
  char out[16];
  lode_decoder_init(&d, LODE_ENC_HEX);
  ASSERT_EQ(lode_decoder_write(&d, LODE_SLICE("\x01\xfe"), out, sizeof(out)),
            4);
  ASSERT_MEM_EQ(out, 4, "01fe", 4);
  ASSERT_EQ(lode_decoder_end(&d, out, sizeof(out)), 0);
  lode_decoder_init(&d, LODE_ENC_BUFFER);
  ASSERT_EQ(lode_decoder_write(&d, LODE_SLICE("\xc3"), out, sizeof(out)), 1);
  ASSERT_EQ(lode_decoder_max(&d, 10), 34);
}

TEST_MAIN(slices, bytes_copy_and_refs, bytes_alloc_and_adopt, bytes_bad_input,
          encoding_names, measure_and_truncate, long_inputs,
          decoder_buffer_and_hex)
