/* libcurl's multi interface: N GETs with C easy handles in flight, each
 * reused (keep-alive connections in the multi handle's pool). Prints
 * "requests seconds cpu_seconds". Usage: bench-client-curl PORT [N] [C]
 * [CA]: with CA (a PEM file), HTTPS to localhost verified against it
 * (libcurl's TLS, OpenSSL in Debian's libcurl4-openssl-dev). */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

static size_t discard(char* p, size_t size, size_t n, void* ud) {
  return size * n;
}

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double cpu_now(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
         (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

int main(int argc, char** argv) {
  if (argc < 2)
    return 2;
  char url[64];
  const char* ca = argc > 4 ? argv[4] : NULL;
  snprintf(url, sizeof(url),
           ca ? "https://localhost:%d/" : "http://127.0.0.1:%d/",
           atoi(argv[1]));
  int total = argc > 2 ? atoi(argv[2]) : 100000;
  int conc = argc > 3 ? atoi(argv[3]) : 50;
  curl_global_init(CURL_GLOBAL_DEFAULT);
  CURLM* m = curl_multi_init();
  curl_multi_setopt(m, CURLMOPT_MAX_HOST_CONNECTIONS, (long) conc);
  int started = 0, done = 0, failed = 0, running = 0;
  double c0 = cpu_now(), t0 = now();
  for (int i = 0; i < conc && started < total; i++, started++) {
    CURL* e = curl_easy_init();
    curl_easy_setopt(e, CURLOPT_URL, url);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, discard);
    if (ca != NULL) {
      curl_easy_setopt(e, CURLOPT_CAINFO, ca);
      curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long) CURL_HTTP_VERSION_1_1);
    }
    curl_multi_add_handle(m, e);
  }
  while (done < total) {
    curl_multi_perform(m, &running);
    CURLMsg* msg;
    int left;
    while ((msg = curl_multi_info_read(m, &left)) != NULL) {
      if (msg->msg != CURLMSG_DONE)
        continue;
      CURL* e = msg->easy_handle;
      if (msg->data.result != CURLE_OK && failed++ == 0)
        fprintf(stderr, "curl: %s\n", curl_easy_strerror(msg->data.result));
      done++;
      curl_multi_remove_handle(m, e);
      if (started < total) {
        started++;
        curl_multi_add_handle(m, e); /* the same handle, its connection */
      } else {
        curl_easy_cleanup(e);
      }
    }
    if (done < total)
      curl_multi_poll(m, NULL, 0, 1000, NULL);
  }
  printf("%d %.3f %.3f\n", done, now() - t0, cpu_now() - c0);
  curl_multi_cleanup(m);
  curl_global_cleanup();
  return failed > 0;
}
