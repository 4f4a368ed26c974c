/* The hooks of the body stream views (body_stream.c): a message with a
 * view keeps the view's event table, and a table the user sets later goes
 * behind the view. Each returns the table the message must keep: `ev`
 * itself when the message has no view. */
#ifndef LODE_HTTP_BODY_STREAM_H
#define LODE_HTTP_BODY_STREAM_H

#include "lode/http_client.h"

const lode_http_incoming_events_t* lode__incoming_view_events(
    lode_http_incoming_t* m, const lode_http_incoming_events_t* ev);
const lode_http_outgoing_events_t* lode__outgoing_view_events(
    lode_http_outgoing_t* o, const lode_http_outgoing_events_t* ev);
const lode_http_request_events_t* lode__request_view_events(
    lode_http_request_t* o, const lode_http_request_events_t* ev);

#endif
