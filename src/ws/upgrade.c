/* The server side from lode's HTTP server: the 'upgrade' event's request,
 * socket and head handed to lode_websocket_accept. */
#include "ws/internal.h"

#include <stdlib.h>
#include <string.h>
#include "lode/http.h"

int lode_websocket_handle_upgrade(lode_http_incoming_t* req,
                                  lode_stream_t* socket, lode_slice_t head,
                                  const lode_websocket_opts_t* opts,
                                  const lode_websocket_events_t* events,
                                  lode_websocket_t** out) {
  if (req == NULL)
    return UV_EINVAL;
  size_t npairs = 0;
  const char* const* raw = lode_http_incoming_raw_headers(req, &npairs);
  size_t n = 2 * npairs;
  /* Node's server takes up to 2000 headers; the WebSocket ones may come
   * after many others. */
  lode_slice_t stack[2 * LODE__WS_INLINE_HEADERS];
  lode_slice_t* slices = stack;
  if (n > sizeof(stack) / sizeof(stack[0]) &&
      (slices = malloc(n * sizeof(*slices))) == NULL)
    return UV_ENOMEM;
  for (size_t i = 0; i < n; i++)
    slices[i] = lode_slice_str(raw[i]);
  lode_websocket_request_t r = {
    lode_slice_str(lode_http_incoming_method(req)),
    lode_slice_str(lode_http_incoming_url(req)),
    lode_http_incoming_http_version_major(req),
    lode_http_incoming_http_version_minor(req),
    slices,
    n,
  };
  int rc = lode_websocket_accept(socket, &r, head, opts, events, out);
  if (slices != stack)
    free(slices);
  return rc;
}
