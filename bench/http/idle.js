// Opens N idle keep-alive connections, 50 at a time (each makes one request
// and keeps the connection), prints "ready", keeps them until killed. The
// batches keep the server's peak of requests in flight small, so the RSS
// growth measures idle connections, not a burst of requests.
'use strict';
const net = require('net');
const [port, n] = [Number(process.argv[2]), Number(process.argv[3])];
const socks = [];
let opened = 0;

function batch() {
  const size = Math.min(50, n - opened);
  if (size === 0) { console.log('ready'); return; }
  let done = 0;
  for (let i = 0; i < size; i++) {
    const s = net.connect(port, '127.0.0.1', () => {
      s.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    });
    s.once('data', () => { if (++done === size) batch(); });
    s.on('error', () => {});
    socks.push(s);
  }
  opened += size;
}
batch();
process.on('SIGTERM', () => process.exit(0));
