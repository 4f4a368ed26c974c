/* The conformance harness: the same named handlers as
 * test/peers/http-conformance-server.js, one lode server per
 * configuration, and test/peers/http-conformance-driver.js sending every
 * scenario of test/conformance/scenarios.js to both servers and comparing
 * the responses byte for byte (Date aside). */
#include <stdlib.h>
#include <string.h>

#include "lode.h"
#include "test.h"
#include "../../examples/echo-json.h"
#include "http-child.h"

typedef void (*handler_fn)(lode_http_incoming_t* req,
                           lode_http_response_t* res);

#define OK_SLICE(s) lode_slice_str(s)
static const lode_slice_t none = { NULL, 0 };

/* Node's tryRun: an error code answers 500 with the code as the body, or,
 * once the header is out, destroys the response. */
static void fail(lode_http_response_t* res, int code) {
  if (code >= 0)
    return;
  if (lode_http_outgoing_headers_sent(res)) {
    lode_http_outgoing_destroy(res, NULL);
    return;
  }
  lode_http_response_set_status_code(res, 500);
  lode_http_outgoing_end(res, OK_SLICE(lode_err_name(code)), NULL, NULL);
}

static void end_str(lode_http_response_t* res, const char* s) {
  fail(res, lode_http_outgoing_end(res, OK_SLICE(s), NULL, NULL));
}

static void h_hello(lode_http_incoming_t* req, lode_http_response_t* res) {
  end_str(res, "hello world");
}

/* /echo: collects the body, answers the JSON document. */
static void h_echo(lode_http_incoming_t* req, lode_http_response_t* res) {
  echo_handle(req, res);
}

static void h_chunked(lode_http_incoming_t* req, lode_http_response_t* res) {
  lode_http_outgoing_set_header(res, "Content-Type", "text/plain");
  lode_http_outgoing_write(res, OK_SLICE("a"), NULL, NULL);
  lode_http_outgoing_write(res, OK_SLICE("bc"), NULL, NULL);
  end_str(res, "def");
}

static void h_trailers(lode_http_incoming_t* req, lode_http_response_t* res) {
  static const char* const t[] = { "X-Sum", "abc", "X-Two", "2", NULL };
  lode_http_outgoing_write(res, OK_SLICE("abc"), NULL, NULL);
  lode_http_outgoing_add_trailers(res, t);
  lode_http_outgoing_end(res, none, NULL, NULL);
}

static void h_trailer_header(lode_http_incoming_t* req,
                             lode_http_response_t* res) {
  static const char* const t[] = { "X-Sum", "abc", NULL };
  lode_http_outgoing_set_header(res, "Trailer", "X-Sum");
  fail(res, lode_http_outgoing_write(res, OK_SLICE("abc"), NULL, NULL));
  if (lode_http_outgoing_writable_ended(res))
    return;
  lode_http_outgoing_add_trailers(res, t);
  lode_http_outgoing_end(res, none, NULL, NULL);
}

static void h_empty(lode_http_incoming_t* req, lode_http_response_t* res) {
  lode_http_outgoing_end(res, none, NULL, NULL);
}

static void h_write_empty(lode_http_incoming_t* req,
                          lode_http_response_t* res) {
  lode_http_outgoing_write(res, none, NULL, NULL);
  lode_http_outgoing_end(res, none, NULL, NULL);
}

static void h_headers(lode_http_incoming_t* req, lode_http_response_t* res) {
  static const char* const multi[] = { "a", "b", "c" };
  static const char* const cookie[] = { "c1=1", "c2=2" };
  static const char* const set_cookie[] = { "s1=1", "s2=2" };
  lode_http_outgoing_set_header(res, "X-One", "1");
  lode_http_outgoing_set_header_values(res, "x-multi", multi, 3);
  lode_http_outgoing_set_header_values(res, "Cookie", cookie, 2);
  lode_http_outgoing_set_header_values(res, "Set-Cookie", set_cookie, 2);
  lode_http_outgoing_append_header(res, "X-App", "p");
  lode_http_outgoing_append_header(res, "x-app", "q");
  lode_http_outgoing_set_header(res, "X-Replaced", "old");
  lode_http_outgoing_set_header(res, "X-REPLACED", "new");
  lode_http_outgoing_set_header(res, "X-Gone", "x");
  lode_http_outgoing_remove_header(res, "x-gone");
  end_str(res, "h");
}

static void h_write_head(lode_http_incoming_t* req, lode_http_response_t* res) {
  static const char* const h[] = { "X-Head", "h", "Content-Type", "a/b", NULL };
  lode_http_outgoing_set_header(res, "X-Pre", "p");
  fail(res, lode_http_response_write_head(res, 201, "Made It", h));
  end_str(res, "created");
}

static void h_write_head_array(lode_http_incoming_t* req,
                               lode_http_response_t* res) {
  static const char* const h[] = { "X-A", "1", "X-A", "2", "Content-Length",
                                   "2",   NULL };
  fail(res, lode_http_response_write_head(res, 200, NULL, h));
  end_str(res, "ok");
}

static void h_write_head_plain(lode_http_incoming_t* req,
                               lode_http_response_t* res) {
  lode_http_response_write_head(res, 202, NULL, NULL);
  lode_http_outgoing_end(res, none, NULL, NULL);
}

static void h_status_msg(lode_http_incoming_t* req, lode_http_response_t* res) {
  lode_http_response_set_status_code(res, 299);
  end_str(res, "x");
}

static void h_custom_msg(lode_http_incoming_t* req, lode_http_response_t* res) {
  lode_http_response_set_status_message(res, "Fine Thanks");
  end_str(res, "x");
}

static void h_no_date(lode_http_incoming_t* req, lode_http_response_t* res) {
  lode_http_response_set_send_date(res, 0);
  end_str(res, "x");
}

static void h_user_date(lode_http_incoming_t* req, lode_http_response_t* res) {
  lode_http_outgoing_set_header(res, "Date", "Thu, 01 Jan 1970 00:00:00 GMT");
  end_str(res, "x");
}

static void h_close(lode_http_incoming_t* req, lode_http_response_t* res) {
  lode_http_outgoing_set_header(res, "Connection", "close");
  end_str(res, "bye");
}

static void h_ka_header(lode_http_incoming_t* req, lode_http_response_t* res) {
  lode_http_outgoing_set_header(res, "Keep-Alive", "timeout=10");
  end_str(res, "x");
}

static void h_user_cl(lode_http_incoming_t* req, lode_http_response_t* res) {
  lode_http_outgoing_set_header(res, "Content-Length", "5");
  lode_http_outgoing_write(res, OK_SLICE("hel"), NULL, NULL);
  end_str(res, "lo");
}

static void h_user_te(lode_http_incoming_t* req, lode_http_response_t* res) {
  lode_http_outgoing_set_header(res, "Transfer-Encoding", "chunked");
  end_str(res, "abc");
}

static void h_no_framing(lode_http_incoming_t* req, lode_http_response_t* res) {
  lode_http_outgoing_remove_header(res, "Content-Length");
  lode_http_outgoing_remove_header(res, "Transfer-Encoding");
  lode_http_outgoing_write(res, OK_SLICE("abc"), NULL, NULL);
  end_str(res, "def");
}

static void h_no_connection(lode_http_incoming_t* req,
                            lode_http_response_t* res) {
  lode_http_outgoing_remove_header(res, "Connection");
  end_str(res, "x");
}

static void h_flush(lode_http_incoming_t* req, lode_http_response_t* res) {
  lode_http_outgoing_flush_headers(res);
  end_str(res, "late");
}

static void status_end(lode_http_response_t* res, int code) {
  lode_http_response_set_status_code(res, code);
  lode_http_outgoing_end(res, none, NULL, NULL);
}

static void h_204(lode_http_incoming_t* req, lode_http_response_t* res) {
  status_end(res, 204);
}

static void h_304(lode_http_incoming_t* req, lode_http_response_t* res) {
  status_end(res, 304);
}

static void h_204_te(lode_http_incoming_t* req, lode_http_response_t* res) {
  lode_http_response_set_status_code(res, 204);
  lode_http_outgoing_set_header(res, "Transfer-Encoding", "chunked");
  lode_http_outgoing_end(res, none, NULL, NULL);
}

static void h_204_body(lode_http_incoming_t* req, lode_http_response_t* res) {
  lode_http_response_set_status_code(res, 204);
  end_str(res, "nope");
}

static void h_404(lode_http_incoming_t* req, lode_http_response_t* res) {
  lode_http_response_set_status_code(res, 404);
  end_str(res, "nf");
}

static void h_500(lode_http_incoming_t* req, lode_http_response_t* res) {
  status_end(res, 500);
}

static void h_999(lode_http_incoming_t* req, lode_http_response_t* res) {
  status_end(res, 999);
}

static void h_103(lode_http_incoming_t* req, lode_http_response_t* res) {
  static const char* const links[] = { "</a.css>; rel=preload", NULL };
  lode_http_response_write_early_hints(res, links, NULL, NULL, NULL);
  end_str(res, "after");
}

static void end_after_hints(lode_http_outgoing_t* res, int status, void* arg) {
  ASSERT_OK(status);
  end_str(res, arg);
}

static void h_103_cb(lode_http_incoming_t* req, lode_http_response_t* res) {
  static const char* const links[] = { "</a.css>; rel=preload",
                                       "</b.js>; rel=preload", NULL };
  static const char* const more[] = { "x-hint", "v", NULL };
  ASSERT_OK(lode_http_response_write_early_hints(res, links, more,
                                                 end_after_hints, "after-cb"));
}

/* No link: nothing is sent and the callback never runs. */
static void h_103_none(lode_http_incoming_t* req, lode_http_response_t* res) {
  static const char* const more[] = { "x-hint", "v", NULL };
  ASSERT_OK(lode_http_response_write_early_hints(res, NULL, more,
                                                 end_after_hints, "never"));
  end_str(res, "no-link");
}

/* write(string, encoding) / end(string, encoding). */
static void h_encodings(lode_http_incoming_t* req, lode_http_response_t* res) {
  lode_http_outgoing_write_str(res, OK_SLICE("68656c6c6f"), LODE_ENC_HEX, NULL,
                               NULL);
  lode_http_outgoing_write_str(res, OK_SLICE("IHdvcmxk"), LODE_ENC_BASE64, NULL,
                               NULL);
  lode_http_outgoing_write_str(res, OK_SLICE("IQ"), LODE_ENC_BASE64URL, NULL,
                               NULL);
  fail(res, lode_http_outgoing_end_str(res, OK_SLICE("caf\xc3\xa9"),
                                       LODE_ENC_LATIN1, NULL, NULL));
}

static void h_end_utf16(lode_http_incoming_t* req, lode_http_response_t* res) {
  fail(res, lode_http_outgoing_end_str(res, OK_SLICE("h\xc3\xa9"),
                                       LODE_ENC_UTF16LE, NULL, NULL));
}

/* strictContentLength counts the decoded bytes (3), not the text (6). */
static void h_end_hex_strict(lode_http_incoming_t* req,
                             lode_http_response_t* res) {
  lode_http_response_set_strict_content_length(res, 1);
  lode_http_outgoing_set_header(res, "Content-Length", "3");
  fail(res, lode_http_outgoing_end_str(res, OK_SLICE("616263"), LODE_ENC_HEX,
                                       NULL, NULL));
}

/* A Trailer header needs chunked encoding (ERR_HTTP_TRAILER_INVALID). */
static void h_trailer_cl(lode_http_incoming_t* req, lode_http_response_t* res) {
  lode_http_outgoing_set_header(res, "Trailer", "X-T");
  lode_http_outgoing_set_header(res, "Content-Length", "2");
  int r = lode_http_outgoing_end(res, OK_SLICE("ok"), NULL, NULL);
  if (r < 0) {
    lode_http_outgoing_remove_header(res, "Trailer");
    lode_http_outgoing_remove_header(res, "Content-Length");
    fail(res, r);
  }
}

/* /late: answers 30 ms later from a timer. */
static uv_loop_t loop;

typedef struct late_s {
  uv_timer_t timer;
  lode_http_response_t* res;
} late_t;

static void late_closed(uv_handle_t* h) {
  late_t* l = h->data;
  lode_http_outgoing_release(l->res);
  free(l);
}

static void late_fire(uv_timer_t* t) {
  late_t* l = t->data;
  lode_http_outgoing_end(l->res, OK_SLICE("late"), NULL, NULL);
  uv_close((uv_handle_t*) t, late_closed);
}

static void h_late(lode_http_incoming_t* req, lode_http_response_t* res) {
  late_t* l = calloc(1, sizeof(*l));
  ASSERT_NOT_NULL(l);
  l->res = res;
  lode_http_outgoing_hold(res);
  uv_timer_init(&loop, &l->timer);
  l->timer.data = l;
  uv_timer_start(&l->timer, late_fire, 30, 0);
}

static void h_processing(lode_http_incoming_t* req, lode_http_response_t* res) {
  lode_http_response_write_processing(res);
  end_str(res, "done");
}

static void h_continue(lode_http_incoming_t* req, lode_http_response_t* res) {
  lode_http_response_write_continue(res);
  end_str(res, "cont");
}

static void h_strict_ok(lode_http_incoming_t* req, lode_http_response_t* res) {
  lode_http_response_set_strict_content_length(res, 1);
  lode_http_outgoing_set_header(res, "Content-Length", "4");
  end_str(res, "four");
}

static void h_strict_bad(lode_http_incoming_t* req, lode_http_response_t* res) {
  lode_http_response_set_strict_content_length(res, 1);
  lode_http_outgoing_set_header(res, "Content-Length", "4");
  end_str(res, "fives");
}

static void h_bad_header(lode_http_incoming_t* req, lode_http_response_t* res) {
  fail(res, lode_http_outgoing_set_header(res, "Bad Name", "x"));
  if (!lode_http_outgoing_writable_ended(res))
    end_str(res, "not reached");
}

static void h_bad_value(lode_http_incoming_t* req, lode_http_response_t* res) {
  fail(res, lode_http_outgoing_set_header(res, "X-Bad", "a\nb"));
  if (!lode_http_outgoing_writable_ended(res))
    end_str(res, "not reached");
}

static void h_headers_sent(lode_http_incoming_t* req,
                           lode_http_response_t* res) {
  lode_http_outgoing_write(res, OK_SLICE("x"), NULL, NULL);
  fail(res, lode_http_outgoing_set_header(res, "X-Late", "1"));
  if (!lode_http_outgoing_writable_ended(res) &&
      lode_http_outgoing_socket(res) != NULL)
    end_str(res, "not reached");
}

typedef void (*fields_at_fn)(const lode_http_incoming_t*, size_t, const char**,
                             const char**);
typedef size_t (*distinct_fn)(const lode_http_incoming_t*, const char*,
                              const char**, size_t);

/* headersDistinct or trailersDistinct as JSON: each name once, in the order
 * names first came, with every value. The headers list repeats set-cookie
 * (one entry per value), so a name already written is skipped. */
static void distinct_json(echo_buf_t* b, const lode_http_incoming_t* req,
                          size_t n, fields_at_fn at, distinct_fn all) {
  echo_put(b, "{", 1);
  for (size_t i = 0; i < n; i++) {
    const char *name, *prev, *vals[64];
    at(req, i, &name, NULL);
    size_t k = 0;
    while (k < i && (at(req, k, &prev, NULL), strcmp(prev, name) != 0))
      k++;
    if (k < i)
      continue;
    size_t nv = all(req, name, vals, 64);
    if (i > 0)
      echo_put(b, ",", 1);
    echo_str(b, name);
    echo_put(b, ":[", 2);
    for (k = 0; k < nv && k < 64; k++) {
      if (k > 0)
        echo_put(b, ",", 1);
      echo_str(b, vals[k]);
    }
    echo_put(b, "]", 1);
  }
  echo_put(b, "}", 1);
}

/* "METHOD URL VERSION {headersDistinct as JSON}". */
static void h_req_info(lode_http_incoming_t* req, lode_http_response_t* res) {
  echo_buf_t b = { 0 };
  const char* parts[] = { lode_http_incoming_method(req),       " ",
                          lode_http_incoming_url(req),          " ",
                          lode_http_incoming_http_version(req), " " };
  for (size_t i = 0; i < 6; i++)
    echo_put(&b, parts[i], strlen(parts[i]));
  distinct_json(&b, req, lode_http_incoming_headers_count(req),
                lode_http_incoming_headers_at,
                lode_http_incoming_header_distinct);
  lode_http_outgoing_end(res, (lode_slice_t){ b.base, b.len }, NULL, NULL);
  free(b.base);
}

/* /distinct: at the body's end, "{headersDistinct} {trailersDistinct}". */
static void distinct_on_end(lode_http_incoming_t* req) {
  echo_buf_t b = { 0 };
  distinct_json(&b, req, lode_http_incoming_headers_count(req),
                lode_http_incoming_headers_at,
                lode_http_incoming_header_distinct);
  echo_put(&b, " ", 1);
  distinct_json(&b, req, lode_http_incoming_trailers_count(req),
                lode_http_incoming_trailers_at,
                lode_http_incoming_trailer_distinct);
  lode_http_outgoing_end(lode_http_incoming_get_data(req),
                         (lode_slice_t){ b.base, b.len }, NULL, NULL);
  free(b.base);
}

static const lode_http_incoming_events_t distinct_events = {
  .on_end = distinct_on_end,
};

static void h_distinct(lode_http_incoming_t* req, lode_http_response_t* res) {
  lode_http_incoming_set_data(req, res);
  lode_http_incoming_set_events(req, &distinct_events);
  lode_http_incoming_resume(req);
}

static void h_big(lode_http_incoming_t* req, lode_http_response_t* res) {
  char* big = malloc(100000);
  memset(big, 'x', 100000);
  lode_http_outgoing_end(res, (lode_slice_t){ big, 100000 }, NULL, NULL);
  free(big);
}

static void h_big_chunked(lode_http_incoming_t* req,
                          lode_http_response_t* res) {
  char y[5000];
  memset(y, 'y', sizeof(y));
  for (int i = 0; i < 20; i++)
    lode_http_outgoing_write(res, (lode_slice_t){ y, sizeof(y) }, NULL, NULL);
  lode_http_outgoing_end(res, none, NULL, NULL);
}

static const struct {
  const char* path;
  handler_fn fn;
} routes[] = {
  { "/hello", h_hello },
  { "/echo", h_echo },
  { "/chunked", h_chunked },
  { "/trailers", h_trailers },
  { "/trailer-header", h_trailer_header },
  { "/empty", h_empty },
  { "/write-empty", h_write_empty },
  { "/headers", h_headers },
  { "/write-head", h_write_head },
  { "/write-head-array", h_write_head_array },
  { "/write-head-plain", h_write_head_plain },
  { "/status-msg", h_status_msg },
  { "/custom-msg", h_custom_msg },
  { "/no-date", h_no_date },
  { "/user-date", h_user_date },
  { "/close", h_close },
  { "/keep-alive-header", h_ka_header },
  { "/user-cl", h_user_cl },
  { "/user-te", h_user_te },
  { "/no-framing", h_no_framing },
  { "/no-connection", h_no_connection },
  { "/flush", h_flush },
  { "/status/204", h_204 },
  { "/status/304", h_304 },
  { "/status/204-te", h_204_te },
  { "/status/204-body", h_204_body },
  { "/status/404", h_404 },
  { "/status/500", h_500 },
  { "/status/999", h_999 },
  { "/status/103", h_103 },
  { "/status/103-cb", h_103_cb },
  { "/status/103-none", h_103_none },
  { "/encodings", h_encodings },
  { "/end-utf16", h_end_utf16 },
  { "/end-hex-strict", h_end_hex_strict },
  { "/trailer-cl", h_trailer_cl },
  { "/late", h_late },
  { "/processing", h_processing },
  { "/continue", h_continue },
  { "/strict-ok", h_strict_ok },
  { "/strict-bad", h_strict_bad },
  { "/bad-header", h_bad_header },
  { "/bad-value", h_bad_value },
  { "/headers-sent", h_headers_sent },
  { "/req-info", h_req_info },
  { "/distinct", h_distinct },
  { "/big", h_big },
  { "/big-chunked", h_big_chunked },
};

static void route(lode_http_server_t* srv, lode_http_incoming_t* req,
                  lode_http_response_t* res) {
  const char* url = lode_http_incoming_url(req);
  size_t n = strcspn(url, "?");
  for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
    if (strlen(routes[i].path) == n && memcmp(routes[i].path, url, n) == 0) {
      routes[i].fn(req, res);
      return;
    }
  }
  h_hello(req, res);
}

/* The 'listeners' configuration. */
static void on_check_continue(lode_http_server_t* srv,
                              lode_http_incoming_t* req,
                              lode_http_response_t* res) {
  lode_http_response_write_continue(res);
  route(srv, req, res);
}

static void on_check_expectation(lode_http_server_t* srv,
                                 lode_http_incoming_t* req,
                                 lode_http_response_t* res) {
  char body[256];
  snprintf(body, sizeof(body), "expect %s",
           lode_http_incoming_header(req, "expect"));
  lode_http_response_write_head(res, 402, NULL, NULL);
  end_str(res, body);
}

static void send_and_end(lode_stream_t* s, const char* a, const char* b,
                         lode_slice_t head) {
  lode_slice_t parts[3] = { lode_slice_str(a), lode_slice_str(b), head };
  lode_stream_writev(s, parts, 3, NULL, NULL);
  lode_stream_end(s, NULL, NULL);
}

static void on_upgrade(lode_http_server_t* srv, lode_http_incoming_t* req,
                       lode_stream_t* s, lode_slice_t head) {
  send_and_end(s,
               "HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\n"
               "Connection: Upgrade\r\n\r\n",
               "head=", head);
}

static void on_connect(lode_http_server_t* srv, lode_http_incoming_t* req,
                       lode_stream_t* s, lode_slice_t head) {
  char line[512];
  snprintf(line, sizeof(line), "%s head=", lode_http_incoming_url(req));
  send_and_end(s, "HTTP/1.1 200 Connection Established\r\n\r\n", line, head);
}

/* JSON.stringify of rawPacket read as latin1 (then sent as UTF-8). */
static size_t json_latin1(char* out, lode_slice_t raw) {
  size_t o = 0;
  out[o++] = '"';
  for (size_t i = 0; i < raw.len && o < 900; i++) {
    unsigned char ch = (unsigned char) raw.base[i];
    if (ch == '"' || ch == '\\')
      o += sprintf(out + o, "\\%c", ch);
    else if (ch == '\r' || ch == '\n' || ch == '\t')
      o += sprintf(out + o, "\\%c", ch == '\r' ? 'r' : ch == '\n' ? 'n' : 't');
    else if (ch < 0x20)
      o += sprintf(out + o, "\\u%04x", ch);
    else if (ch >= 0x80)
      o += sprintf(out + o, "%c%c", 0xc0 | (ch >> 6), 0x80 | (ch & 0x3f));
    else
      out[o++] = (char) ch;
  }
  out[o++] = '"';
  out[o] = '\0';
  return o;
}

static void on_client_error(lode_http_server_t* srv, const lode_error_t* e,
                            lode_stream_t* s) {
  char reply[1200], raw[1000];
  json_latin1(raw, e->raw_packet);
  snprintf(reply, sizeof(reply),
           "HTTP/1.1 400 Bad Request\r\nX-Code: %s\r\nX-Bytes: %zu\r\n"
           "X-Raw: %s\r\n\r\n",
           e->name, e->bytes_parsed, raw);
  lode_stream_write(s, lode_slice_str(reply), NULL, NULL);
  lode_stream_end(s, NULL, NULL);
}

static void on_drop(lode_http_server_t* srv, lode_http_incoming_t* req,
                    lode_stream_t* s) {
}

static const lode_http_server_events_t plain_events = { .on_request = route };
static const lode_http_server_events_t listener_events = {
  .on_request = route,
  .on_check_continue = on_check_continue,
  .on_check_expectation = on_check_expectation,
  .on_upgrade = on_upgrade,
  .on_connect = on_connect,
  .on_client_error = on_client_error,
  .on_drop_request = on_drop,
};

static const char* const unique[] = { "x-multi", "cookie", NULL };

typedef struct config_s {
  const char* name;
  lode_http_server_opts_t opts;
  const lode_http_server_events_t* ev;
  lode_http_server_t* srv;
  int port;
} config_t;

static config_t configs[] = {
  { "default", { 0 }, &plain_events, NULL, 0 },
  { "nohost", { .require_host_header = LODE_FALSE }, &plain_events, NULL, 0 },
  { "join", { .join_duplicate_headers = 1 }, &plain_events, NULL, 0 },
  { "unique", { .unique_headers = unique }, &plain_events, NULL, 0 },
  { "insecure", { .insecure_http_parser = 1 }, &plain_events, NULL, 0 },
  { "small", { .max_header_size = 1024 }, &plain_events, NULL, 0 },
  { "timeouts",
    { .headers_timeout = 300,
      .request_timeout = 600,
      .connections_checking_interval = 50 },
    &plain_events,
    NULL,
    0 },
  { "timeouts-long",
    { .headers_timeout = 10000,
      .request_timeout = 20000,
      .connections_checking_interval = 50 },
    &plain_events,
    NULL,
    0 },
  { "reject",
    { .reject_non_standard_body_writes = 1 },
    &plain_events,
    NULL,
    0 },
  { "maxreq", { 0 }, &plain_events, NULL, 0 },
  { "maxheaders", { 0 }, &plain_events, NULL, 0 },
  { "listeners", { 0 }, &listener_events, NULL, 0 },
};
#define NCONFIGS (sizeof(configs) / sizeof(configs[0]))

static uv_loop_t loop;
static int listening;
static char lode_ports[2048], node_ports[2048];

static void on_listening(lode_http_server_t* srv) {
  listening++;
}

static void driver_exit(void) {
  for (size_t i = 0; i < NCONFIGS; i++)
    lode_http_server_close(configs[i].srv, NULL, NULL);
}

static void start_driver(const char* only) {
  static char script[4096];
  snprintf(script, sizeof(script), "%s",
           test_src_path("test/peers/http-conformance-driver.js"));
  const char* args[] = { "node", script, lode_ports, node_ports, only, NULL };
  http_child_spawn(&loop, args, driver_exit);
}

static void run_conformance(const char* only) {
  static const char* const node_argv[] = {
    "node", "test/peers/http-conformance-server.js", NULL
  };
  ASSERT_OK(uv_loop_init(&loop));
  test_peer_t* peer = test_peer_start(node_argv);
  char line[256];
  size_t nl = snprintf(node_ports, sizeof(node_ports), "{");
  for (;;) {
    test_peer_line(peer, line, sizeof(line), 10000);
    if (strcmp(line, "ready") == 0)
      break;
    char name[64];
    int port;
    ASSERT_EQ(sscanf(line, "%63s %d", name, &port), 2);
    nl += snprintf(node_ports + nl, sizeof(node_ports) - nl, "%s\"%s\":%d",
                   nl > 1 ? "," : "", name, port);
  }
  snprintf(node_ports + nl, sizeof(node_ports) - nl, "}");
  static lode_http_server_events_t evs[NCONFIGS];
  for (size_t i = 0; i < NCONFIGS; i++) {
    evs[i] = *configs[i].ev;
    evs[i].on_listening = on_listening;
    ASSERT_OK(lode_http_create_server(&loop, &configs[i].opts, &evs[i],
                                      &configs[i].srv));
    if (strcmp(configs[i].name, "maxreq") == 0)
      lode_http_server_set_max_requests_per_socket(configs[i].srv, 2);
    if (strcmp(configs[i].name, "maxheaders") == 0)
      lode_http_server_set_max_headers_count(configs[i].srv, 3);
    ASSERT_OK(lode_http_server_listen(
        configs[i].srv, &(lode_listen_opts_t){ .host = "127.0.0.1" }, NULL,
        NULL));
  }
  while (listening < (int) NCONFIGS)
    uv_run(&loop, UV_RUN_ONCE);
  size_t ll = snprintf(lode_ports, sizeof(lode_ports), "{");
  for (size_t i = 0; i < NCONFIGS; i++)
    ll += snprintf(lode_ports + ll, sizeof(lode_ports) - ll, "%s\"%s\":%d",
                   i ? "," : "", configs[i].name,
                   lode_http_server_port(configs[i].srv));
  snprintf(lode_ports + ll, sizeof(lode_ports) - ll, "}");
  start_driver(only);
  test_run_loop(&loop, 100000);
  test_peer_kill(peer);
  fprintf(stderr, "%s", http_child.text);
  ASSERT_EQ(http_child.status, 0);
  test_loop_close(&loop);
}

TEST(conformance) {
  const char* only = getenv("LODE_CONFORMANCE_ONLY");
  run_conformance(only ? only : "");
}

TEST_MAIN(conformance)
