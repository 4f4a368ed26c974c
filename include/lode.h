/* lode: Node.js's net and http modules, and its WebSocket client, in C on
 * libuv. This header includes every public header of the library. */
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
#include "lode/ws.h"

#endif
