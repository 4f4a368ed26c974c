/* libFuzzer target: lode's HTTP server over the in-memory pair. The first
 * byte picks how the handler answers (top three bits) and the size of
 * the pieces the rest is written in (low five bits, plus one); the rest
 * is what the client sends, and then the client ends its side. Whatever
 * comes, the server answers or closes, every request closes once the
 * loop has run dry, and after closeAllConnections and close nothing is
 * left: no handle (the loop closes), no memory (LeakSanitizer). Pooled messages are unaddressable
 * under ASan while they wait, so one used after its release is reported.
 * The server's timers never fire (unref'd and longer than any input
 * takes), so a replay is the same every run. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lode.h"

static unsigned mode;
static int nrequests, nclosed;

static void answer(lode_http_response_t* res, const char* text) {
  lode_http_outgoing_end(res, (lode_slice_t){ text, strlen(text) }, NULL, NULL);
}

static void body_data(lode_http_incoming_t* req, lode_slice_t d) {
  (void) req;
  (void) d;
}

/* Answered at the body's end (mode 1, and mode 7 with the body decoded
 * as UTF-8). Not at the request's close: lode closes a request after its
 * response, where Node 20 closes it after its end, so an answer written
 * there never goes (a difference left open). */
static void body_end(lode_http_incoming_t* req) {
  lode_http_response_t* res = lode_http_incoming_response(req);
  if (res != NULL && (mode == 1 || mode == 7))
    answer(res, "end");
}

static void body_close(lode_http_incoming_t* req) {
  (void) req;
  nclosed++;
}

static const lode_http_incoming_events_t body_events = {
  .on_data = body_data,
  .on_end = body_end,
  .on_close = body_close,
};

/* The other handlers leave the body unread. */
static const lode_http_incoming_events_t close_events = {
  .on_close = body_close,
};

static void on_request(lode_http_server_t* srv, lode_http_incoming_t* req,
                       lode_http_response_t* res) {
  (void) srv;
  static const char* const pairs[] = { "X-A", "1", "Set-Cookie", "a=b", NULL };
  nrequests++;
  if (mode != 1 && mode != 7)
    lode_http_incoming_set_events(req, &close_events);
  switch (mode) {
    case 0:
      answer(res, "ok");
      break;
    case 1:
    case 7:
      if (mode == 7)
        lode_http_incoming_set_encoding(req, LODE_ENC_UTF8);
      lode_http_incoming_set_events(req, &body_events);
      break;
    case 2:
      lode_http_response_write_head(res, 201, "Made", pairs);
      lode_http_outgoing_write(res, LODE_SLICE("a"), NULL, NULL);
      lode_http_outgoing_write(res, LODE_SLICE("b"), NULL, NULL);
      answer(res, "c");
      break;
    case 3:
      lode_http_incoming_destroy(req, NULL);
      break;
    case 4:
      lode_http_outgoing_destroy(res, NULL);
      break;
    case 5:
      lode_http_incoming_pause(req); /* the body is never read */
      answer(res, "paused");
      break;
    case 6:
      lode_http_response_write_continue(res);
      lode_http_response_write_processing(res);
      answer(res, "six");
      break;
  }
}

/* The stream is the handler's: a word, then it goes. */
static void on_upgrade(lode_http_server_t* srv, lode_http_incoming_t* req,
                       lode_stream_t* s, lode_slice_t head) {
  (void) srv;
  (void) req;
  (void) head;
  lode_stream_write(s, LODE_SLICE("up"), NULL, NULL);
  lode_stream_destroy(s, NULL);
}

static const lode_http_server_events_t events = {
  .on_request = on_request,
  .on_check_continue = on_request,
  .on_upgrade = on_upgrade,
  .on_connect = on_upgrade,
};

/* The client reads everything (a reader without on_data is paused). */
static void client_data(void* ctx, lode_stream_t* s, lode_slice_t d) {
  (void) ctx;
  (void) s;
  (void) d;
}

static void client_end(void* ctx, lode_stream_t* s) {
  (void) ctx;
  lode_stream_destroy(s, NULL);
}

static const lode_stream_reader_t client_reader = {
  .on_data = client_data,
  .on_end = client_end,
};

int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1)
    return 0;
  mode = data[0] >> 5;
  nrequests = nclosed = 0;
  size_t step = (size_t) (data[0] & 0x1f) + 1;
  uv_loop_t loop;
  uv_loop_init(&loop);
  lode_http_server_t* srv;
  lode_stream_t *a, *b;
  if (lode_http_create_server(&loop, NULL, &events, &srv) != 0 ||
      lode_stream_pair(&loop, &a, &b) != 0)
    abort();
  lode_stream_set_reader(b, &client_reader, NULL);
  lode_stream_hold(b); /* the client's side is this function's to end */
  if (lode_http_server_serve(srv, a) == 0) {
    for (size_t at = 1; at < size; at += step) {
      size_t k = size - at < step ? size - at : step;
      lode_stream_write(b, (lode_slice_t){ (const char*) data + at, k }, NULL,
                        NULL);
    }
    lode_stream_end(b, NULL, NULL);
  }
  uv_run(&loop, UV_RUN_DEFAULT);
  if (nclosed != nrequests)
    abort();                    /* a request left open with the client gone */
  lode_stream_destroy(b, NULL); /* when the server left it open */
  lode_stream_release(b);
  lode_http_server_close_all_connections(srv);
  lode_http_server_close(srv, NULL, NULL);
  uv_run(&loop, UV_RUN_DEFAULT);
  if (uv_loop_close(&loop) != 0)
    abort(); /* a handle left open */
  return 0;
}
