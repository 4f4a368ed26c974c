/* record-tls: records real handshakes for fuzz-tls-record's corpus (run
 * by record-tls.sh). lode's side is the fuzz target's own (tls-fuzz.h:
 * same options, same random sequence) over the in-memory pair, whose far
 * end is relayed to a TCP connection with a real peer; the bytes that
 * peer sends are the record.
 *
 *   record-tls pem DIR               the test key and certificate, as
 *                                    DIR/key.pem and DIR/cert.pem
 *   record-tls server MODE OUT       lode serves one connection on
 *                                    127.0.0.1 (prints "port N" first)
 *   record-tls client MODE PORT OUT  lode connects to 127.0.0.1:PORT
 *   record-tls replay FILE...        replays records as the fuzz target
 *                                    does and says how each ended
 *
 * MODE is the mode byte (tls-fuzz.h), OUT gets it and the peer's bytes.
 * The record is then replayed in memory as the fuzz target does, and the
 * two runs must end the same way (printed), else the exit status is 1. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tls-fuzz.h"

typedef struct relay_s {
  lode_stream_t* net; /* the TCP connection's stream */
  lode_stream_t* b;   /* the pair's far end */
  uint8_t* rec;       /* the mode byte, then what the peer sent */
  size_t len, cap;
  int mode;
  const char* out;
  tf_conn_t conn;
} relay_t;

static relay_t relay;

static void append(relay_t* r, const void* p, size_t n) {
  if (r->len + n > r->cap) {
    r->cap = (r->len + n) * 2;
    r->rec = realloc(r->rec, r->cap);
    if (r->rec == NULL)
      abort();
  }
  memcpy(r->rec + r->len, p, n);
  r->len += n;
}

/* The peer's side: recorded, then handed to lode. */
static void net_data(void* ctx, lode_stream_t* s, lode_slice_t d) {
  append(&relay, d.base, d.len);
  lode_stream_write(relay.b, d, NULL, NULL);
}
static void net_end(void* ctx, lode_stream_t* s) {
  lode_stream_end(relay.b, NULL, NULL);
}
static void net_close(void* ctx, lode_stream_t* s, int had_error) {
  lode_stream_destroy(relay.b, NULL);
}
static const lode_stream_reader_t net_reader = {
  .on_data = net_data,
  .on_end = net_end,
  .on_close = net_close,
};

/* lode's side, on to the peer. */
static void pair_data(void* ctx, lode_stream_t* s, lode_slice_t d) {
  lode_stream_write(relay.net, d, NULL, NULL);
}
static void pair_end(void* ctx, lode_stream_t* s) {
  lode_stream_end(relay.net, NULL, NULL);
}
static void pair_close(void* ctx, lode_stream_t* s, int had_error) {
  lode_stream_destroy(relay.net, NULL);
}
static const lode_stream_reader_t pair_reader = {
  .on_data = pair_data,
  .on_end = pair_end,
  .on_close = pair_close,
};

static void start(uv_loop_t* loop, lode_socket_t* sock) {
  lode_stream_t* a;
  relay.net = lode_socket_stream(sock);
  lode_stream_set_reader(relay.net, &net_reader, NULL);
  lode_stream_pair(loop, &a, &relay.b);
  /* Both stay allocated till the end: each one's close destroys the
   * other, which may be closed already. */
  lode_stream_hold(relay.net);
  lode_stream_hold(relay.b);
  lode_stream_set_reader(relay.b, &pair_reader, NULL);
  tf_start(&relay.conn, a, relay.mode);
}

static void on_connection(lode_server_t* srv, lode_socket_t* s) {
  lode_server_close(srv, NULL, NULL); /* one connection */
  start(lode_socket_stream(s)->loop, s);
}

static void on_listening(lode_server_t* srv) {
  lode_net_address_t a;
  lode_server_address(srv, &a);
  printf("port %d\n", a.port);
  fflush(stdout);
}

static const lode_server_events_t server_events = {
  .on_connection = on_connection,
  .on_listening = on_listening,
};

static int write_file(const char* path, const void* p, size_t n) {
  FILE* f = fopen(path, "wb");
  if (f == NULL || fwrite(p, 1, n, f) != n || fclose(f) != 0) {
    perror(path);
    return 1;
  }
  return 0;
}

static int pem(const char* dir) {
  char path[4096];
  snprintf(path, sizeof(path), "%s/key.pem", dir);
  if (write_file(path, tf_test_key, sizeof(tf_test_key) - 1))
    return 1;
  snprintf(path, sizeof(path), "%s/cert.pem", dir);
  return write_file(path, tf_test_cert, sizeof(tf_test_cert) - 1);
}

static int record(int argc, char** argv) {
  int server = strcmp(argv[1], "server") == 0;
  relay.mode = (int) strtol(argv[2], NULL, 0);
  relay.out = argv[server ? 3 : 4];
  if (server != ((relay.mode & TF_SERVER) != 0)) {
    fprintf(stderr, "record-tls: mode 0x%02x is not a %s's\n", relay.mode,
            argv[1]);
    return 2;
  }
  uint8_t m = (uint8_t) relay.mode;
  append(&relay, &m, 1);
  tf_init();
  uv_loop_t loop;
  uv_loop_init(&loop);
  if (server) {
    lode_server_opts_t so = { .allow_half_open = 1 };
    lode_listen_opts_t lo = { .port = 0, .host = "127.0.0.1" };
    lode_server_t* srv;
    if (lode_net_create_server(&loop, &so, &server_events, &srv) != 0 ||
        lode_server_listen(srv, &lo, NULL, NULL) != 0)
      return 1;
  } else {
    lode_socket_opts_t o = { .allow_half_open = 1,
                             .host = "127.0.0.1",
                             .port = atoi(argv[3]) };
    lode_socket_t* s;
    if (lode_net_connect(&loop, &o, NULL, &s) != 0)
      return 1;
    start(&loop, s);
  }
  uv_run(&loop, UV_RUN_DEFAULT);
  if (relay.net == NULL) {
    fprintf(stderr, "record-tls: no connection\n");
    return 1;
  }
  lode_stream_release(relay.net);
  lode_stream_release(relay.b);
  uv_run(&loop, UV_RUN_DEFAULT);
  tf_check(&relay.conn);
  char live[200], replayed[200];
  tf_describe(&relay.conn, live, sizeof(live));
  if (uv_loop_close(&loop) != 0)
    return 1;
  tf_replay(relay.rec, relay.len, replayed, sizeof(replayed));
  printf("%s: %zu bytes\n  live:     %s\n  replayed: %s\n", relay.out,
         relay.len, live, replayed);
  int rc = write_file(relay.out, relay.rec, relay.len);
  free(relay.rec);
  if (strcmp(live, replayed) != 0) {
    fprintf(stderr, "record-tls: the replay ended differently\n");
    return 1;
  }
  return rc;
}

/* Replays FILEs (one process) as the fuzz target does, and says how
 * each ended. */
static int replay(int n, char** files) {
  for (int i = 0; i < n; i++) {
    FILE* f = fopen(files[i], "rb");
    if (f == NULL) {
      perror(files[i]);
      return 1;
    }
    static uint8_t buf[1 << 20];
    size_t len = fread(buf, 1, sizeof(buf), f);
    fclose(f);
    char what[200];
    tf_replay(buf, len, what, sizeof(what));
    printf("%s: %s\n", files[i], what);
  }
  return 0;
}

int main(int argc, char** argv) {
  if (argc == 3 && strcmp(argv[1], "pem") == 0)
    return pem(argv[2]);
  if (argc >= 3 && strcmp(argv[1], "replay") == 0)
    return replay(argc - 2, argv + 2);
  if ((argc == 4 && strcmp(argv[1], "server") == 0) ||
      (argc == 5 && strcmp(argv[1], "client") == 0))
    return record(argc, argv);
  fprintf(stderr,
          "usage: record-tls pem DIR | server MODE OUT | "
          "client MODE PORT OUT | replay FILE...\n");
  return 2;
}
