/* The HTTP tunneling proxy of Node's http.ClientRequest 'connect' event
 * documentation, in C:
 *
 *   const proxy = http.createServer((req, res) => {
 *     res.writeHead(200, { 'Content-Type': 'text/plain' });
 *     res.end('okay');
 *   });
 *   proxy.on('connect', (req, clientSocket, head) => {
 *     const { port, hostname } = new URL(`http://${req.url}`);
 *     const serverSocket = net.connect(port || 80, hostname, () => {
 *       clientSocket.write('HTTP/1.1 200 Connection Established\r\n' +
 *                          'Proxy-agent: Node.js-Proxy\r\n' +
 *                          '\r\n');
 *       serverSocket.write(head);
 *       serverSocket.pipe(clientSocket);
 *       clientSocket.pipe(serverSocket);
 *     });
 *   });
 *   proxy.listen(1337, '127.0.0.1', () => {
 *     const req = http.request({ port: 1337, host: '127.0.0.1',
 *                                method: 'CONNECT',
 *                                path: 'www.google.com:80' });
 *     req.end();
 *     req.on('connect', (res, socket, head) => {
 *       console.log('got connected!');
 *       socket.write('GET / HTTP/1.1\r\nHost: www.google.com:80\r\n' +
 *                    'Connection: close\r\n\r\n');
 *       socket.on('data', (chunk) => console.log(chunk.toString()));
 *       socket.on('end', () => proxy.close());
 *     });
 *   });
 *
 * Usage: http-connect-proxy PORT [HOST:PORT]. The first line of output is
 * "listening on ADDRESS:PORT". With HOST:PORT the program does what the
 * example's listen callback does, through itself, to that origin (instead
 * of www.google.com:80), prints what comes back and exits; without it the
 * proxy serves until it is stopped (curl -p -x http://127.0.0.1:PORT ...).
 *
 * Beyond the example: when either side of a tunnel fails or closes, the
 * other is destroyed too (Node's pipe leaves that to the program). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lode.h"

static lode_http_server_t* proxy;
static const char* target;

/* ---- The tunnel: one client stream, one origin socket ---- */

typedef struct tunnel_s {
  lode_stream_t* client; /* held until the tunnel goes */
  lode_socket_t* origin; /* NULL once it has closed */
  char* head;
  size_t head_len;
} tunnel_t;

static void tunnel_client_gone(void* ctx, lode_stream_t* s, int had_error) {
  tunnel_t* t = ctx;
  (void) s, (void) had_error;
  if (t->origin != NULL)
    lode_socket_destroy(t->origin, NULL);
}

static void tunnel_client_error(void* ctx, lode_stream_t* s,
                                const lode_error_t* err) {
  (void) s;
  fprintf(stderr, "client: %s\n", err->message);
  tunnel_client_gone(ctx, s, 1);
}

/* Set on the client stream before the pipes: it keeps hearing the
 * stream's events after them. */
static const lode_stream_reader_t client_watch = {
  .on_error = tunnel_client_error,
  .on_close = tunnel_client_gone,
};

static void origin_connected(lode_socket_t* origin) {
  tunnel_t* t = lode_socket_get_data(origin);
  lode_stream_t* server_socket = lode_socket_stream(origin);
  lode_stream_write(t->client,
                    LODE_SLICE("HTTP/1.1 200 Connection Established\r\n"
                               "Proxy-agent: Node.js-Proxy\r\n"
                               "\r\n"),
                    NULL, NULL);
  lode_stream_write(server_socket, (lode_slice_t){ t->head, t->head_len }, NULL,
                    NULL);
  lode_stream_set_reader(t->client, &client_watch, t);
  lode_stream_pipe(server_socket, t->client, NULL);
  lode_stream_pipe(t->client, server_socket, NULL);
}

static void origin_error(lode_socket_t* origin, const lode_error_t* err) {
  fprintf(stderr, "origin: %s\n", err->message);
}

static void origin_closed(lode_socket_t* origin, int had_error) {
  tunnel_t* t = lode_socket_get_data(origin);
  (void) had_error;
  t->origin = NULL;
  lode_stream_set_reader(t->client, NULL, NULL);
  lode_stream_destroy(t->client, NULL);
  lode_stream_release(t->client);
  free(t->head);
  free(t);
}

static const lode_socket_events_t origin_events = {
  .on_connect = origin_connected,
  .on_error = origin_error,
  .on_close = origin_closed,
};

static void on_connect(lode_http_server_t* srv, lode_http_incoming_t* req,
                       lode_stream_t* client_socket, lode_slice_t head) {
  (void) srv;
  /* new URL(`http://${req.url}`) */
  char input[1024];
  lode_http_url_t u;
  snprintf(input, sizeof(input), "http://%s", lode_http_incoming_url(req));
  tunnel_t* t = calloc(1, sizeof(*t));
  if (t == NULL || lode_http_url_parse(input, NULL, &u) != 0) {
    free(t);
    lode_stream_destroy(client_socket, NULL);
    return;
  }
  t->client = client_socket;
  lode_stream_hold(client_socket);
  t->head = malloc(head.len ? head.len : 1);
  if (t->head != NULL && head.len > 0)
    memcpy(t->head, head.base, head.len);
  t->head_len = t->head != NULL ? head.len : 0;
  lode_socket_opts_t o = {
    .port = u.port_num > 0 ? u.port_num : 80,
    .host = u.host_bare,
  };
  int r = lode_net_connect(client_socket->loop, &o, &origin_events, &t->origin);
  lode_http_url_free(&u);
  if (r != 0) {
    lode_stream_destroy(client_socket, NULL);
    lode_stream_release(client_socket);
    free(t->head);
    free(t);
    return;
  }
  lode_socket_set_data(t->origin, t);
}

static void on_request(lode_http_server_t* srv, lode_http_incoming_t* req,
                       lode_http_response_t* res) {
  (void) srv, (void) req;
  static const char* const h[] = { "Content-Type", "text/plain", NULL };
  lode_http_response_write_head(res, 200, NULL, h);
  lode_http_outgoing_end(res, LODE_SLICE("okay"), NULL, NULL);
}

/* ---- The example's own request through the proxy ---- */

static void tunnel_data(void* ctx, lode_stream_t* s, lode_slice_t chunk) {
  (void) ctx, (void) s;
  printf("%.*s\n", (int) chunk.len, chunk.base);
}

static void tunnel_end(void* ctx, lode_stream_t* s) {
  (void) ctx;
  lode_stream_destroy(s, NULL);
  lode_http_server_close(proxy, NULL, NULL);
}

static const lode_stream_reader_t tunnel_reader = {
  .on_data = tunnel_data,
  .on_end = tunnel_end,
};

static void on_tunnel(lode_http_request_t* req, lode_http_incoming_t* res,
                      lode_stream_t* socket, lode_slice_t head) {
  (void) req, (void) res, (void) head;
  printf("got connected!\n");
  char get[1200];
  int n = snprintf(get, sizeof(get),
                   "GET / HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n",
                   target);
  lode_stream_set_reader(socket, &tunnel_reader, NULL);
  lode_stream_write(socket, (lode_slice_t){ get, (size_t) n }, NULL, NULL);
}

static void on_request_error(lode_http_request_t* req,
                             const lode_error_t* err) {
  (void) req;
  fprintf(stderr, "request: %s\n", err->message);
  lode_http_server_close(proxy, NULL, NULL);
}

static const lode_http_request_events_t tunnel_events = {
  .on_connect = on_tunnel,
  .on_error = on_request_error,
};

static void on_listening(lode_http_server_t* srv) {
  lode_net_address_t a;
  lode_http_server_address(srv, &a);
  printf("listening on %s:%d\n", a.address, a.port);
  fflush(stdout);
  if (target == NULL)
    return;
  lode_http_request_opts_t o = {
    .port = a.port,
    .host = "127.0.0.1",
    .method = "CONNECT",
    .path = target,
  };
  lode_http_request_t* req;
  if (lode_http_request(uv_default_loop(), &o, &tunnel_events, &req) == 0)
    lode_http_request_end(req, (lode_slice_t){ NULL, 0 }, NULL, NULL);
  else
    lode_http_server_close(proxy, NULL, NULL);
}

static void on_server_error(lode_http_server_t* srv, const lode_error_t* e) {
  (void) srv;
  fprintf(stderr, "%s\n", e->message);
  exit(1);
}

static const lode_http_server_events_t proxy_events = {
  .on_request = on_request,
  .on_connect = on_connect,
  .on_listening = on_listening,
  .on_error = on_server_error,
};

int main(int argc, char** argv) {
  int port = argc > 1 ? atoi(argv[1]) : 1337;
  target = argc > 2 ? argv[2] : NULL;
  uv_loop_t* loop = uv_default_loop();
  int r = lode_http_create_server(loop, NULL, &proxy_events, &proxy);
  lode_listen_opts_t lo = { .port = port, .host = "127.0.0.1" };
  if (r == 0)
    r = lode_http_server_listen(proxy, &lo, NULL, NULL);
  if (r != 0) {
    fprintf(stderr, "listen: %s\n", lode_strerror(r));
    return 1;
  }
  uv_run(loop, UV_RUN_DEFAULT);
  lode_agent_destroy(lode_http_global_agent(loop));
  uv_run(loop, UV_RUN_DEFAULT);
  return 0;
}
