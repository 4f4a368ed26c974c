// A Node net echo server for lode's clients: prints "listening on
// ADDR:PORT", echoes every connection, reports each connection's events on
// stdout, and exits after `count` connections (argv[2], default 1) closed.
'use strict';
const net = require('net');
const count = Number(process.argv[2] || 1);
let closed = 0;
const server = net.createServer((c) => {
  const events = [];
  c.on('data', (d) => { events.push('data:' + d.length); c.write(d); });
  c.on('end', () => events.push('end'));
  c.on('close', (hadError) => {
    events.push('close:' + hadError);
    console.log('server ' + events.join(','));
    if (++closed === count) server.close();
  });
  c.on('error', (e) => events.push('error:' + e.code));
});
server.listen(0, '127.0.0.1', () => {
  const a = server.address();
  console.log(`listening on ${a.address}:${a.port}`);
});
