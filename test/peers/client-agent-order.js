// Node 20's order of a keep-alive agent's hand-over, for
// test-http-agent-pool.c:agent_order_matches_node. Usage:
//   node client-agent-order.js PORT
// against test/peers/client-server.js: 100 GETs of /ok over maxSockets 10;
// the 'end' of each of the first 5 responses starts one more. Prints one
// line of tokens (the lode test builds the same line):
//   S<reused>            'socket'
//   E<w>/<s>/<f>/<d><r>  the response's 'end': waiting requests, busy and
//                        free sockets, req.destroyed, res.socket set
//   N<w>                 after a request started from 'end'
//   C<w>/<f><k>          the request's 'close', k: req.socket set
//   X<w>/<f>             the response's 'close'
'use strict';
const http = require('http');
const port = Number(process.argv[2]);
const agent = new http.Agent({ keepAlive: true, maxSockets: 10 });
const name = `127.0.0.1:${port}:`;
const trace = [];
const len = (o) => (o[name] || []).length;
let ends = 0;
let closed = 0;
const total = 105;

function get() {
  const req = http.get({ host: '127.0.0.1', port, path: '/ok', agent },
                       (res) => {
    res.on('data', () => {});
    res.on('end', () => {
      trace.push(`E${len(agent.requests)}/${len(agent.sockets)}/` +
                 `${len(agent.freeSockets)}/${+req.destroyed}` +
                 `${+!!res.socket}`);
      if (++ends <= 5) {
        get();
        trace.push(`N${len(agent.requests)}`);
      }
    });
    res.on('close', () => {
      trace.push(`X${len(agent.requests)}/${len(agent.freeSockets)}`);
      if (++closed === total) {
        agent.destroy();
        console.log(trace.join(','));
      }
    });
  });
  req.on('socket', () => trace.push(`S${+req.reusedSocket}`));
  req.on('close', () => trace.push(`C${len(agent.requests)}/` +
                                   `${len(agent.freeSockets)}${+!!req.socket}`));
}

for (let i = 0; i < 100; i++) get();
