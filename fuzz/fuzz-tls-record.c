/* libFuzzer target: a lode TLS socket over the in-memory pair, fed the
 * input as its peer's bytes: the client's when lode is the server, the
 * server's when lode is the client (the first byte is the mode, see
 * tls-fuzz.h). The peer writes the input in pieces, then ends. Checked:
 * no crash or leak (ASan), close exactly once and last, error at most
 * once, every write and end callback once, and the loop runs dry with no
 * handle left. The seeds in corpus/fuzz-tls-record are real handshakes
 * (Node's client and server) recorded by record-tls.sh; OpenSSL's
 * randomness is a fixed sequence (tls-fuzz.h), so they replay past the
 * handshake into the record layer. LODE_FUZZ_TLS_TRACE=1 prints what
 * happened for each input. */
#include <stdint.h>
#include <stdlib.h>

#include "tls-fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  char what[200];
  tf_replay(data, size, what, sizeof(what));
  if (size > 0 && getenv("LODE_FUZZ_TLS_TRACE") != NULL)
    fprintf(stderr, "%s\n", what);
  return 0;
}
