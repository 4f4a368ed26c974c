// The Node net echo server the benchmark compares against: c.pipe(c),
// with Nagle off as in the lode server.
'use strict';
const net = require('net');
const server = net.createServer({ noDelay: true }, (c) => {
  c.pipe(c);
  c.on('error', () => {});
});
server.listen(Number(process.argv[2] || 0), '127.0.0.1', () => {
  const a = server.address();
  console.log(`listening on ${a.address}:${a.port}`);
});
