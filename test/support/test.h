/* lode's test harness.
 *
 * A test file holds one or more TEST(name) functions and ends with
 * TEST_MAIN(name, name, ...). Each test runs in its own child process with a
 * time limit, so a hang or a crash fails only that test, and LeakSanitizer
 * checks each one as its process exits. `./test-x name` runs one test in the
 * foreground, for a debugger.
 *
 * Async tests record events with test_trace() and compare the whole trace at
 * the end; they finish with test_loop_close(), which fails the test if any
 * libuv handle is still open. */
#ifndef LODE_TEST_H
#define LODE_TEST_H

#include <inttypes.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <uv.h>

typedef void (*test_fn)(void);
typedef struct {
  const char* name;
  test_fn fn;
} test_case_t;

#define TEST(name) static void test_##name(void)

#define TEST_CASE_(name) { #name, test_##name },
#define TEST_MAIN(...)                                                         \
  int main(int argc, char** argv) {                                            \
    static const test_case_t cases_[] = { TEST_FOREACH_(TEST_CASE_,            \
                                                        __VA_ARGS__) };        \
    return test_run_all(argc, argv, cases_,                                    \
                        sizeof(cases_) / sizeof(cases_[0]));                   \
  }

/* Up to 64 tests per file. */
#define TEST_FOREACH_(m, ...)                                                  \
  TEST_FE_N_(__VA_ARGS__, TEST_FE_SEQ_)(m, __VA_ARGS__)
#define TEST_FE_N_(...) TEST_FE_PICK_(__VA_ARGS__)
#define TEST_FE_PICK_(_1, _2, _3, _4, _5, _6, _7, _8, _9, _10, _11, _12, _13,  \
                      _14, _15, _16, _17, _18, _19, _20, _21, _22, _23, _24,   \
                      _25, _26, _27, _28, _29, _30, _31, _32, _33, _34, _35,   \
                      _36, _37, _38, _39, _40, _41, _42, _43, _44, _45, _46,   \
                      _47, _48, _49, _50, _51, _52, _53, _54, _55, _56, _57,   \
                      _58, _59, _60, _61, _62, _63, _64, N, ...)               \
  N
#define TEST_FE_SEQ_                                                           \
  TEST_FE64_, TEST_FE63_, TEST_FE62_, TEST_FE61_, TEST_FE60_, TEST_FE59_,      \
      TEST_FE58_, TEST_FE57_, TEST_FE56_, TEST_FE55_, TEST_FE54_, TEST_FE53_,  \
      TEST_FE52_, TEST_FE51_, TEST_FE50_, TEST_FE49_, TEST_FE48_, TEST_FE47_,  \
      TEST_FE46_, TEST_FE45_, TEST_FE44_, TEST_FE43_, TEST_FE42_, TEST_FE41_,  \
      TEST_FE40_, TEST_FE39_, TEST_FE38_, TEST_FE37_, TEST_FE36_, TEST_FE35_,  \
      TEST_FE34_, TEST_FE33_, TEST_FE32_, TEST_FE31_, TEST_FE30_, TEST_FE29_,  \
      TEST_FE28_, TEST_FE27_, TEST_FE26_, TEST_FE25_, TEST_FE24_, TEST_FE23_,  \
      TEST_FE22_, TEST_FE21_, TEST_FE20_, TEST_FE19_, TEST_FE18_, TEST_FE17_,  \
      TEST_FE16_, TEST_FE15_, TEST_FE14_, TEST_FE13_, TEST_FE12_, TEST_FE11_,  \
      TEST_FE10_, TEST_FE9_, TEST_FE8_, TEST_FE7_, TEST_FE6_, TEST_FE5_,       \
      TEST_FE4_, TEST_FE3_, TEST_FE2_, TEST_FE1_
#define TEST_FE1_(m, x) m(x)
#define TEST_FE2_(m, x, ...) m(x) TEST_FE1_(m, __VA_ARGS__)
#define TEST_FE3_(m, x, ...) m(x) TEST_FE2_(m, __VA_ARGS__)
#define TEST_FE4_(m, x, ...) m(x) TEST_FE3_(m, __VA_ARGS__)
#define TEST_FE5_(m, x, ...) m(x) TEST_FE4_(m, __VA_ARGS__)
#define TEST_FE6_(m, x, ...) m(x) TEST_FE5_(m, __VA_ARGS__)
#define TEST_FE7_(m, x, ...) m(x) TEST_FE6_(m, __VA_ARGS__)
#define TEST_FE8_(m, x, ...) m(x) TEST_FE7_(m, __VA_ARGS__)
#define TEST_FE9_(m, x, ...) m(x) TEST_FE8_(m, __VA_ARGS__)
#define TEST_FE10_(m, x, ...) m(x) TEST_FE9_(m, __VA_ARGS__)
#define TEST_FE11_(m, x, ...) m(x) TEST_FE10_(m, __VA_ARGS__)
#define TEST_FE12_(m, x, ...) m(x) TEST_FE11_(m, __VA_ARGS__)
#define TEST_FE13_(m, x, ...) m(x) TEST_FE12_(m, __VA_ARGS__)
#define TEST_FE14_(m, x, ...) m(x) TEST_FE13_(m, __VA_ARGS__)
#define TEST_FE15_(m, x, ...) m(x) TEST_FE14_(m, __VA_ARGS__)
#define TEST_FE16_(m, x, ...) m(x) TEST_FE15_(m, __VA_ARGS__)
#define TEST_FE17_(m, x, ...) m(x) TEST_FE16_(m, __VA_ARGS__)
#define TEST_FE18_(m, x, ...) m(x) TEST_FE17_(m, __VA_ARGS__)
#define TEST_FE19_(m, x, ...) m(x) TEST_FE18_(m, __VA_ARGS__)
#define TEST_FE20_(m, x, ...) m(x) TEST_FE19_(m, __VA_ARGS__)
#define TEST_FE21_(m, x, ...) m(x) TEST_FE20_(m, __VA_ARGS__)
#define TEST_FE22_(m, x, ...) m(x) TEST_FE21_(m, __VA_ARGS__)
#define TEST_FE23_(m, x, ...) m(x) TEST_FE22_(m, __VA_ARGS__)
#define TEST_FE24_(m, x, ...) m(x) TEST_FE23_(m, __VA_ARGS__)
#define TEST_FE25_(m, x, ...) m(x) TEST_FE24_(m, __VA_ARGS__)
#define TEST_FE26_(m, x, ...) m(x) TEST_FE25_(m, __VA_ARGS__)
#define TEST_FE27_(m, x, ...) m(x) TEST_FE26_(m, __VA_ARGS__)
#define TEST_FE28_(m, x, ...) m(x) TEST_FE27_(m, __VA_ARGS__)
#define TEST_FE29_(m, x, ...) m(x) TEST_FE28_(m, __VA_ARGS__)
#define TEST_FE30_(m, x, ...) m(x) TEST_FE29_(m, __VA_ARGS__)
#define TEST_FE31_(m, x, ...) m(x) TEST_FE30_(m, __VA_ARGS__)
#define TEST_FE32_(m, x, ...) m(x) TEST_FE31_(m, __VA_ARGS__)
#define TEST_FE33_(m, x, ...) m(x) TEST_FE32_(m, __VA_ARGS__)
#define TEST_FE34_(m, x, ...) m(x) TEST_FE33_(m, __VA_ARGS__)
#define TEST_FE35_(m, x, ...) m(x) TEST_FE34_(m, __VA_ARGS__)
#define TEST_FE36_(m, x, ...) m(x) TEST_FE35_(m, __VA_ARGS__)
#define TEST_FE37_(m, x, ...) m(x) TEST_FE36_(m, __VA_ARGS__)
#define TEST_FE38_(m, x, ...) m(x) TEST_FE37_(m, __VA_ARGS__)
#define TEST_FE39_(m, x, ...) m(x) TEST_FE38_(m, __VA_ARGS__)
#define TEST_FE40_(m, x, ...) m(x) TEST_FE39_(m, __VA_ARGS__)
#define TEST_FE41_(m, x, ...) m(x) TEST_FE40_(m, __VA_ARGS__)
#define TEST_FE42_(m, x, ...) m(x) TEST_FE41_(m, __VA_ARGS__)
#define TEST_FE43_(m, x, ...) m(x) TEST_FE42_(m, __VA_ARGS__)
#define TEST_FE44_(m, x, ...) m(x) TEST_FE43_(m, __VA_ARGS__)
#define TEST_FE45_(m, x, ...) m(x) TEST_FE44_(m, __VA_ARGS__)
#define TEST_FE46_(m, x, ...) m(x) TEST_FE45_(m, __VA_ARGS__)
#define TEST_FE47_(m, x, ...) m(x) TEST_FE46_(m, __VA_ARGS__)
#define TEST_FE48_(m, x, ...) m(x) TEST_FE47_(m, __VA_ARGS__)
#define TEST_FE49_(m, x, ...) m(x) TEST_FE48_(m, __VA_ARGS__)
#define TEST_FE50_(m, x, ...) m(x) TEST_FE49_(m, __VA_ARGS__)
#define TEST_FE51_(m, x, ...) m(x) TEST_FE50_(m, __VA_ARGS__)
#define TEST_FE52_(m, x, ...) m(x) TEST_FE51_(m, __VA_ARGS__)
#define TEST_FE53_(m, x, ...) m(x) TEST_FE52_(m, __VA_ARGS__)
#define TEST_FE54_(m, x, ...) m(x) TEST_FE53_(m, __VA_ARGS__)
#define TEST_FE55_(m, x, ...) m(x) TEST_FE54_(m, __VA_ARGS__)
#define TEST_FE56_(m, x, ...) m(x) TEST_FE55_(m, __VA_ARGS__)
#define TEST_FE57_(m, x, ...) m(x) TEST_FE56_(m, __VA_ARGS__)
#define TEST_FE58_(m, x, ...) m(x) TEST_FE57_(m, __VA_ARGS__)
#define TEST_FE59_(m, x, ...) m(x) TEST_FE58_(m, __VA_ARGS__)
#define TEST_FE60_(m, x, ...) m(x) TEST_FE59_(m, __VA_ARGS__)
#define TEST_FE61_(m, x, ...) m(x) TEST_FE60_(m, __VA_ARGS__)
#define TEST_FE62_(m, x, ...) m(x) TEST_FE61_(m, __VA_ARGS__)
#define TEST_FE63_(m, x, ...) m(x) TEST_FE62_(m, __VA_ARGS__)
#define TEST_FE64_(m, x, ...) m(x) TEST_FE63_(m, __VA_ARGS__)

int test_run_all(int argc, char** argv, const test_case_t* cases, size_t n);

/* Failing: prints where and why, then exits the test's process. */
void test_fail(const char* file, int line, const char* fmt, ...)
    __attribute__((noreturn, format(printf, 3, 4)));

#define ASSERT(c)                                                              \
  do {                                                                         \
    if (!(c))                                                                  \
      test_fail(__FILE__, __LINE__, "assert: %s", #c);                         \
  } while (0)
#define ASSERT_INT_(a, op, b)                                                  \
  do {                                                                         \
    intmax_t a_ = (intmax_t) (a), b_ = (intmax_t) (b);                         \
    if (!(a_ op b_))                                                           \
      test_fail(__FILE__, __LINE__, "%s %s %s: %jd vs %jd", #a, #op, #b, a_,   \
                b_);                                                           \
  } while (0)
#define ASSERT_EQ(a, b) ASSERT_INT_(a, ==, b)
#define ASSERT_NE(a, b) ASSERT_INT_(a, !=, b)
#define ASSERT_LT(a, b) ASSERT_INT_(a, <, b)
#define ASSERT_LE(a, b) ASSERT_INT_(a, <=, b)
#define ASSERT_GT(a, b) ASSERT_INT_(a, >, b)
#define ASSERT_GE(a, b) ASSERT_INT_(a, >=, b)
#define ASSERT_OK(a) ASSERT_INT_(a, ==, 0)
#define ASSERT_NULL(a) ASSERT((a) == NULL)
#define ASSERT_NOT_NULL(a) ASSERT((a) != NULL)
#define ASSERT_STR_EQ(a, b)                                                    \
  do {                                                                         \
    const char* a_ = (a);                                                      \
    const char* b_ = (b);                                                      \
    if (a_ == NULL || b_ == NULL || strcmp(a_, b_) != 0)                       \
      test_fail(__FILE__, __LINE__,                                            \
                "%s == %s:\n  got:  \"%s\"\n  want: \"%s\"", #a, #b,           \
                a_ ? a_ : "(null)", b_ ? b_ : "(null)");                       \
  } while (0)
#define ASSERT_MEM_EQ(a, alen, b, blen)                                        \
  do {                                                                         \
    size_t al_ = (alen), bl_ = (blen);                                         \
    if (al_ != bl_ || memcmp((a), (b), al_) != 0)                              \
      test_fail(__FILE__, __LINE__, "%s == %s:\n  got:  %s\n  want: %s", #a,   \
                #b, test_escape((a), al_), test_escape((b), bl_));             \
  } while (0)

/* Escapes bytes for messages (static buffer, one per call site pair). */
const char* test_escape(const void* p, size_t n);

/* Copies the n bytes at `in` into `out` (cap bytes, NUL-terminated) with
 * the value of every "\r\nDate: " header replaced by "X", so that HTTP
 * responses compare exactly. Returns out. */
const char* test_date_x(const char* in, size_t n, char* out, size_t cap);

/* Event trace: items joined with ','. test_trace("close(%d)", had_error). */
void test_trace(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
const char* test_trace_get(void);
void test_trace_reset(void);
#define ASSERT_TRACE(want) ASSERT_STR_EQ(test_trace_get(), want)

/* Runs the loop until it has nothing left, bounded by `ms` (fails on
 * time-out). */
void test_run_loop(uv_loop_t* loop, unsigned ms);
/* Fails if any handle is still open (listing them), then closes the loop. */
void test_loop_close(uv_loop_t* loop);

/* Peers: other processes (node scripts, curl) on the far end of a test.
 * test_peer_start runs argv (NULL-terminated) with stdout on a pipe.
 * "node" as argv[0] runs the machine's node; a script path relative to the
 * source tree (test/peers/x.js) is resolved against LODE_SOURCE_DIR. */
typedef struct test_peer_s test_peer_t;
test_peer_t* test_peer_start(const char* const* argv);
/* Reads one line of the peer's stdout (without newline) into buf; fails
 * the test when nothing comes within ms. */
void test_peer_line(test_peer_t* p, char* buf, size_t size, unsigned ms);
/* Reads "listening on ADDR:PORT" and returns PORT. */
int test_peer_port(test_peer_t* p);
/* Waits up to ms for the peer to exit (then kills it), collects the rest of
 * its stdout (malloc'd into *out if out is not NULL) and returns its exit
 * status, or -1 when it had to be killed. Frees the peer. */
int test_peer_finish(test_peer_t* p, unsigned ms, char** out);
/* Ends the peer now (SIGTERM to the pid it started) and frees it. */
void test_peer_kill(test_peer_t* p);

/* The most bytes one loopback TCP connection can hold unread between a
 * writer and a reader that does not read: the largest send buffer plus
 * the largest receive buffer the kernel would give (autotuned, from the
 * tcp_wmem / tcp_rmem sysctls, or set, up to twice wmem_max / rmem_max).
 * A write bigger than this cannot be taken at once on this machine. */
size_t test_loopback_capacity(void);

/* Heap bytes this process has in use (allocated and not yet freed):
 * ASan's count when built with it (its allocator replaces malloc's, and
 * freed blocks it keeps in quarantine do not count), otherwise glibc's.
 * What lode holds, where RSS also has what the allocator keeps mapped. */
size_t test_heap_in_use(void);

/* Whether this machine has IPv6 on loopback (a TCP socket binds ::1). */
int test_have_ipv6(void);

/* Ends the running test as skipped (why on stderr); the program then
 * exits with TEST_SKIP_CODE unless another test failed. For what the
 * machine lacks, never for what the project installs. */
#define TEST_SKIP_CODE 77
void test_skip(const char* why) __attribute__((noreturn));

/* A path inside the source tree (static buffer). */
const char* test_src_path(const char* rel);

#endif
