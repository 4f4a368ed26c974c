/* Close codes a peer may send (RFC 6455 7.4, as npm ws and Node's
 * WebSocket check them) and codes it may not, for the tests of the check
 * and of the close frames on the wire. */
#ifndef LODE_TEST_WSCODES_H
#define LODE_TEST_WSCODES_H

#include "lode/ws.h"

static const int ws_codes_valid[] = { LODE_WEBSOCKET_CLOSE_NORMAL,
                                      LODE_WEBSOCKET_CLOSE_GOING_AWAY,
                                      LODE_WEBSOCKET_CLOSE_PROTOCOL_ERROR,
                                      LODE_WEBSOCKET_CLOSE_UNSUPPORTED_DATA,
                                      LODE_WEBSOCKET_CLOSE_INVALID_DATA,
                                      LODE_WEBSOCKET_CLOSE_POLICY_VIOLATION,
                                      LODE_WEBSOCKET_CLOSE_MESSAGE_TOO_BIG,
                                      LODE_WEBSOCKET_CLOSE_MANDATORY_EXTENSION,
                                      LODE_WEBSOCKET_CLOSE_INTERNAL_ERROR,
                                      LODE_WEBSOCKET_CLOSE_SERVICE_RESTART,
                                      LODE_WEBSOCKET_CLOSE_TRY_AGAIN_LATER,
                                      LODE_WEBSOCKET_CLOSE_BAD_GATEWAY,
                                      LODE_WEBSOCKET_CLOSE_APP_FIRST,
                                      3999,
                                      4000,
                                      LODE_WEBSOCKET_CLOSE_APP_LAST };

/* Unassigned, reserved, and the two that only on_close reports. */
static const int ws_codes_invalid[] = { 0,
                                        999,
                                        LODE_WEBSOCKET_CLOSE_RESERVED,
                                        LODE_WEBSOCKET_CLOSE_NO_STATUS,
                                        LODE_WEBSOCKET_CLOSE_ABNORMAL,
                                        LODE_WEBSOCKET_CLOSE_TLS_HANDSHAKE,
                                        1016,
                                        1100,
                                        2000,
                                        LODE_WEBSOCKET_CLOSE_APP_FIRST - 1,
                                        LODE_WEBSOCKET_CLOSE_APP_LAST + 1,
                                        65535 };

#define WS_NCODES(a) (sizeof(a) / sizeof((a)[0]))

#endif
