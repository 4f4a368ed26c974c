// Opens N idle keep-alive connections (one request each), prints "ready",
// keeps them until killed.
'use strict';
const net = require('net');
const [port, n] = [Number(process.argv[2]), Number(process.argv[3])];
let open = 0;
const socks = [];
for (let i = 0; i < n; i++) {
  const s = net.connect(port, '127.0.0.1', () => {
    s.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
  });
  s.once('data', () => { if (++open === n) console.log('ready'); });
  s.on('error', () => {});
  socks.push(s);
}
process.on('SIGTERM', () => process.exit(0));
