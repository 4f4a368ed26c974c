/* The client and its keep-alive agent against nginx on loopback
 * (test/peers/client-nginx.js: static files, SSI and autoindex for chunked
 * bodies, return 204, HEAD, Keep-Alive: timeout=30, at most 5 requests a
 * connection). Requests in sequence and in parallel, every byte checked.
 * nginx is a peer the project installs (scripts/deps.sh): a missing nginx,
 * or one that does not start, fails every test here, saying why. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lode.h"
#include "test.h"

#define BIG_LEN 300000

static uv_loop_t loop;
static test_peer_t* peer;
static int port;
static lode_agent_t* agent;

/* One request and what came back. */
typedef struct job_s {
  const char* method;
  const char* path;
  const char* body; /* NULL: none */
  int chunked;      /* the body in two writes, no length */
  int status;
  char te[32];   /* Transfer-Encoding */
  char conn[32]; /* Connection */
  char ka[32];   /* Keep-Alive */
  char* got;
  size_t len, cap;
  int ended, closed, errors, reused;
  lode_stream_t* socket;
} job_t;

#define JOB(m, p)                                                              \
  { .method = (m), .path = (p) }

static void (*on_job_closed)(job_t* j);

/* Starts nginx (test_peer_port fails the test with what the peer said
 * when it could not). */
static void start_nginx(void) {
  const char* argv[] = { "node", "test/peers/client-nginx.js", NULL };
  ASSERT_OK(uv_loop_init(&loop));
  peer = test_peer_start(argv);
  port = test_peer_port(peer);
  lode_agent_opts_t ao = { .keep_alive = 1, .max_sockets = 4 };
  ASSERT_OK(lode_agent_create(&loop, &ao, &agent));
  on_job_closed = NULL;
}

static void stop_nginx(void) {
  lode_agent_destroy(agent);
  test_run_loop(&loop, 5000);
  test_loop_close(&loop);
  test_peer_kill(peer);
}

static void copy_header(lode_http_incoming_t* m, const char* name, char* out,
                        size_t cap) {
  const char* v = lode_http_incoming_header(m, name);
  snprintf(out, cap, "%s", v ? v : "");
}

static void j_data(lode_http_incoming_t* m, lode_slice_t d) {
  job_t* j = lode_http_incoming_get_data(m);
  if (j->len + d.len > j->cap) {
    j->cap = (j->len + d.len) * 2;
    j->got = realloc(j->got, j->cap);
    ASSERT_NOT_NULL(j->got);
  }
  memcpy(j->got + j->len, d.base, d.len);
  j->len += d.len;
}

static void j_end(lode_http_incoming_t* m) {
  job_t* j = lode_http_incoming_get_data(m);
  j->ended++;
}

static const lode_http_incoming_events_t job_res_events = { .on_data = j_data,
                                                            .on_end = j_end };

static void j_socket(lode_http_request_t* r, lode_stream_t* s) {
  job_t* j = lode_http_outgoing_get_data(r);
  j->socket = s;
}

static void j_response(lode_http_request_t* r, lode_http_incoming_t* m) {
  job_t* j = lode_http_outgoing_get_data(r);
  j->status = lode_http_incoming_status_code(m);
  copy_header(m, "transfer-encoding", j->te, sizeof(j->te));
  copy_header(m, "connection", j->conn, sizeof(j->conn));
  copy_header(m, "keep-alive", j->ka, sizeof(j->ka));
  lode_http_incoming_set_data(m, j);
  lode_http_incoming_set_events(m, &job_res_events);
}

static void j_error(lode_http_request_t* r, const lode_error_t* e) {
  job_t* j = lode_http_outgoing_get_data(r);
  fprintf(stderr, "%s %s: %s %s\n", j->method, j->path, e->name, e->message);
  j->errors++;
}

static void j_close(lode_http_request_t* r) {
  job_t* j = lode_http_outgoing_get_data(r);
  j->closed++;
  j->reused = lode_http_request_reused_socket(r);
  if (on_job_closed != NULL)
    on_job_closed(j);
}

static const lode_http_request_events_t job_events = {
  .on_socket = j_socket,
  .on_response = j_response,
  .on_error = j_error,
  .on_close = j_close
};

static void job_start(job_t* j) {
  lode_http_request_opts_t o = { .host = "127.0.0.1",
                                 .port = port,
                                 .path = j->path,
                                 .method = j->method,
                                 .agent = agent };
  lode_http_request_t* r;
  ASSERT_OK(lode_http_request(&loop, &o, &job_events, &r));
  lode_http_outgoing_set_data(r, j);
  lode_slice_t none = { NULL, 0 };
  if (j->body != NULL && j->chunked) {
    size_t n = strlen(j->body);
    lode_http_request_write(r, (lode_slice_t){ j->body, n / 2 }, NULL, NULL);
    lode_http_request_write(r, (lode_slice_t){ j->body + n / 2, n - n / 2 },
                            NULL, NULL);
    lode_http_request_end(r, none, NULL, NULL);
  } else {
    lode_http_request_end(r, j->body ? lode_slice_str(j->body) : none, NULL,
                          NULL);
  }
}

/* Runs one request to its close. */
static void job_run(job_t* j) {
  job_start(j);
  test_run_loop(&loop, 10000);
  ASSERT_EQ(j->errors, 0);
  ASSERT_EQ(j->closed, 1);
}

static void job_free(job_t* j) {
  free(j->got);
  j->got = NULL;
}

/* The 300,000 bytes of /big.txt: line i is 99 times 'a' + i % 26. */
static char* big_body(void) {
  char* b = malloc(BIG_LEN);
  ASSERT_NOT_NULL(b);
  for (int i = 0; i < BIG_LEN / 100; i++) {
    memset(b + i * 100, 'a' + i % 26, 99);
    b[i * 100 + 99] = '\n';
  }
  return b;
}

static void assert_hello(const job_t* j) {
  ASSERT_EQ(j->status, 200);
  ASSERT_EQ(j->ended, 1);
  ASSERT_MEM_EQ(j->got, j->len, "hello nginx\n", 12);
}

/* Three GETs in sequence share one connection; nginx's Keep-Alive hint
 * (timeout=30) keeps it in the pool. */
TEST(sequence_reuses_connection) {
  start_nginx();
  job_t j[3] = { JOB("GET", "/hello.txt"), JOB("GET", "/hello.txt"),
                 JOB("GET", "/hello.txt") };
  for (int i = 0; i < 3; i++) {
    job_run(&j[i]);
    assert_hello(&j[i]);
    ASSERT_EQ(j[i].reused, i > 0);
    ASSERT(j[i].socket == j[0].socket);
    ASSERT_STR_EQ(j[i].ka, "timeout=30");
    job_free(&j[i]);
  }
  ASSERT_EQ(lode_agent_free_sockets(agent, NULL), 1);
  stop_nginx();
}

/* HEAD (a Content-Length, no body), 204 and a chunked body in one
 * connection: each response ends where it must, or the next would fail. */
TEST(head_204_chunked_on_one_connection) {
  start_nginx();
  job_t head = JOB("HEAD", "/hello.txt"), empty = JOB("GET", "/empty");
  job_t dir = JOB("GET", "/dir/"), after = JOB("GET", "/hello.txt");
  job_run(&head);
  ASSERT_EQ(head.status, 200);
  ASSERT_EQ(head.ended, 1);
  ASSERT_EQ(head.len, 0);
  job_run(&empty);
  ASSERT_EQ(empty.status, 204);
  ASSERT_EQ(empty.ended, 1);
  ASSERT_EQ(empty.len, 0);
  job_run(&dir);
  ASSERT_EQ(dir.status, 200);
  ASSERT_STR_EQ(dir.te, "chunked");
  ASSERT_NOT_NULL(memmem(dir.got, dir.len, "href=\"three\"", 12));
  ASSERT_NOT_NULL(memmem(dir.got, dir.len, "</html>", 7));
  job_run(&after);
  assert_hello(&after);
  ASSERT(empty.socket == head.socket && dir.socket == head.socket &&
         after.socket == head.socket);
  ASSERT_EQ(after.reused, 1);
  job_free(&dir);
  job_free(&after);
  stop_nginx();
}

/* 300,000 bytes with a length and the same bytes chunked (SSI). */
TEST(big_bodies) {
  start_nginx();
  char* want = big_body();
  job_t plain = JOB("GET", "/big.txt");
  job_t ssi = JOB("GET", "/ssi/big.html");
  job_run(&plain);
  ASSERT_EQ(plain.status, 200);
  ASSERT_STR_EQ(plain.te, "");
  ASSERT_MEM_EQ(plain.got, plain.len, want, BIG_LEN);
  job_run(&ssi);
  ASSERT_EQ(ssi.status, 200);
  ASSERT_STR_EQ(ssi.te, "chunked");
  ASSERT_MEM_EQ(ssi.got, ssi.len, want, BIG_LEN);
  ASSERT(ssi.socket == plain.socket);
  free(want);
  job_free(&plain);
  job_free(&ssi);
  stop_nginx();
}

/* Request bodies, with a length and chunked: nginx reads and drops them
 * and the connection goes on. */
TEST(request_bodies) {
  start_nginx();
  job_t a = { .method = "POST", .path = "/post", .body = "name=lode&x=1" };
  job_t b = { .method = "POST",
              .path = "/post",
              .body = "a chunked body in two writes",
              .chunked = 1 };
  job_t c = JOB("GET", "/hello.txt");
  job_run(&a);
  job_run(&b);
  job_run(&c);
  ASSERT_EQ(a.status, 201);
  ASSERT_MEM_EQ(a.got, a.len, "posted\n", 7);
  ASSERT_EQ(b.status, 201);
  ASSERT_MEM_EQ(b.got, b.len, "posted\n", 7);
  assert_hello(&c);
  ASSERT(b.socket == a.socket && c.socket == a.socket);
  job_free(&a);
  job_free(&b);
  job_free(&c);
  stop_nginx();
}

/* nginx serves 5 requests a connection, then answers "Connection:
 * close": the agent drops that socket and the 6th goes on a new one. */
TEST(server_request_limit) {
  start_nginx();
  job_t j[6];
  for (int i = 0; i < 6; i++) {
    j[i] = (job_t) JOB("GET", "/hello.txt");
    job_run(&j[i]);
    assert_hello(&j[i]);
  }
  ASSERT_STR_EQ(j[3].conn, "keep-alive");
  ASSERT_STR_EQ(j[4].conn, "close");
  ASSERT(j[4].socket == j[0].socket);
  ASSERT_EQ(j[5].reused, 0);
  for (int i = 0; i < 6; i++)
    job_free(&j[i]);
  stop_nginx();
}

/* 200 requests, 16 in flight, over at most 4 connections (maxSockets),
 * each connection closed by nginx after 5 requests: every answer
 * complete and right, no error. */
#define PAR_TOTAL 200
#define PAR_IN_FLIGHT 16
static job_t par[PAR_TOTAL];
static int par_started, par_closed, par_peak;
static char* par_big;

static void par_next(job_t* done) {
  par_closed++;
  if (par_started < PAR_TOTAL)
    job_start(&par[par_started++]);
  size_t busy = lode_agent_sockets(agent, NULL);
  if ((int) busy > par_peak)
    par_peak = (int) busy;
}

TEST(parallel) {
  start_nginx();
  static const char* const paths[] = { "/hello.txt", "/empty", "/dir/",
                                       "/ssi/big.html", "/post" };
  par_big = big_body();
  for (int i = 0; i < PAR_TOTAL; i++) {
    const char* p = paths[i % 5];
    par[i] = (job_t){ .method = strcmp(p, "/post") ? "GET" : "POST",
                      .path = p };
    if (i % 5 == 4)
      par[i].body = "x=1";
  }
  on_job_closed = par_next;
  for (par_started = 0; par_started < PAR_IN_FLIGHT; par_started++)
    job_start(&par[par_started]);
  ASSERT_EQ(lode_agent_sockets(agent, NULL), 4);
  ASSERT_EQ(lode_agent_requests(agent, NULL), PAR_IN_FLIGHT - 4);
  test_run_loop(&loop, 60000);
  ASSERT_EQ(par_closed, PAR_TOTAL);
  ASSERT_LE(par_peak, 4);
  for (int i = 0; i < PAR_TOTAL; i++) {
    job_t* j = &par[i];
    ASSERT_EQ(j->errors, 0);
    ASSERT_EQ(j->ended, 1);
    switch (i % 5) {
      case 0:
        assert_hello(j);
        break;
      case 1:
        ASSERT_EQ(j->status, 204);
        break;
      case 2:
        ASSERT_NOT_NULL(memmem(j->got, j->len, "</html>", 7));
        break;
      case 3:
        ASSERT_MEM_EQ(j->got, j->len, par_big, BIG_LEN);
        break;
      case 4:
        ASSERT_MEM_EQ(j->got, j->len, "posted\n", 7);
        break;
    }
    job_free(j);
  }
  free(par_big);
  stop_nginx();
}

TEST_MAIN(sequence_reuses_connection, head_204_chunked_on_one_connection,
          big_bodies, request_bodies, server_request_limit, parallel)
