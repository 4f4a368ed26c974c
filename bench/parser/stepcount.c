/* Counts the user-space instructions a program executes by single-stepping
 * it under ptrace: for code that valgrind cannot decode (picohttpparser's
 * SSE4.2 path uses PCMPESTRI with a mode valgrind 3.19 lacks) on a
 * machine without performance counters. Slow (a trap per instruction),
 * exact, and whatever the instruction set.
 *
 *   bench-parser-stepcount PROGRAM [ARGS...]
 *
 * prints the count on stderr as callgrind does ("Collected : N"), so
 * bench/parser/callgrind.sh reads either. A string instruction with a REP
 * prefix counts once per repetition, as callgrind counts it. Linux only. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s PROGRAM [ARGS...]\n", argv[0]);
    return 2;
  }
  pid_t pid = fork();
  if (pid < 0) {
    perror("fork");
    return 2;
  }
  if (pid == 0) {
    if (ptrace(PTRACE_TRACEME, 0, NULL, NULL) < 0)
      _exit(127);
    execvp(argv[1], argv + 1);
    _exit(127);
  }
  int status;
  uint64_t n = 0;
  if (waitpid(pid, &status, 0) < 0 || !WIFSTOPPED(status)) /* at exec */
    return 2;
  ptrace(PTRACE_SETOPTIONS, pid, NULL, (void*) PTRACE_O_EXITKILL);
  int sig = 0;
  for (;;) {
    if (ptrace(PTRACE_SINGLESTEP, pid, NULL, (void*) (intptr_t) sig) < 0) {
      perror("ptrace");
      return 2;
    }
    if (waitpid(pid, &status, 0) < 0) {
      if (errno == EINTR)
        continue;
      perror("waitpid");
      return 2;
    }
    if (WIFEXITED(status) || WIFSIGNALED(status))
      break;
    n++;
    sig = WSTOPSIG(status) == SIGTRAP ? 0 : WSTOPSIG(status);
  }
  fprintf(stderr, "==%d== Collected : %" PRIu64 "\n", (int) pid, n);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}
