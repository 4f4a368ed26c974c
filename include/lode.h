/* lode: Node.js's net and http modules, and its WebSocket client, in C on
 * libuv. This header includes every public header of the library.
 *
 * One form per concept, in every header (docs/design.md says why):
 *  - lode_X_hold / lode_X_release are memory references on an object the
 *    library manages; lode_X_free frees a value only the caller owns;
 *    lode_X_ref / lode_X_unref are Node's ref()/unref() (whether the object
 *    keeps the loop running) and nothing else.
 *  - A completion callback is void (*)(lode_X_t* obj, int status, void* arg),
 *    one typedef per object type (lode_X_cb); status 0 or a negative code.
 *    A callback given to a call that returned >= 0 runs exactly once; a
 *    call that returned a negative code calls nothing back.
 *  - Every close returns int; every listen takes lode_listen_opts_t.
 *  - Options are zero-initialised structs: zero is Node's default, names
 *    are Node's, and a boolean whose default is true is a tri-state
 *    (LODE_DEFAULT, LODE_TRUE, LODE_FALSE; lode/options.h).
 *  - Name/value arrays are NULL-terminated, with no count.
 *  - Each function's comment names its Node counterpart, who owns each
 *    pointer, which callbacks it may call and what it returns. */
#ifndef LODE_H
#define LODE_H

#define LODE_VERSION_MAJOR 0
#define LODE_VERSION_MINOR 1
#define LODE_VERSION_PATCH 0
#define LODE_VERSION_STRING "0.1.0"

#include "lode/abort.h"
#include "lode/buf.h"
#include "lode/errors.h"
#include "lode/http_parser.h"
#include "lode/net.h"
#include "lode/net_addr.h"
#include "lode/options.h"
#include "lode/stream.h"
#include "lode/http.h"
#include "lode/http_client.h"
#include "lode/https.h"
#include "lode/tls.h"
#include "lode/ws.h"

#endif
