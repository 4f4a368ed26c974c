// The client of test-http-pipe.c. node pipe-http-client.js PORT MODE
//   echo:  POSTs 4 MiB (a fixed byte pattern) in 64 KiB chunks, reading the
//          response slowly (paused between chunks); prints the status, the
//          length and whether every byte came back as sent.
//   abort: POSTs 64 KiB of a chunked body, waits for the first byte of the
//          echo, then destroys the connection; prints "aborted".
'use strict';
const http = require('http');
const port = Number(process.argv[2]);
const mode = process.argv[3] || 'echo';
const total = 4 << 20;
const byteAt = (i) => (i * 7 + Math.floor(i / 4099)) & 0xff;

const req = http.request({ port, host: '127.0.0.1', method: 'POST', path: '/' });
let sent = 0;
function feed() {
  while (sent < total) {
    const n = Math.min(65536, total - sent);
    const b = Buffer.alloc(n);
    for (let i = 0; i < n; i++) b[i] = byteAt(sent + i);
    sent += n;
    if (mode === 'abort') return req.write(b);
    if (!req.write(b)) return req.once('drain', feed);
  }
  req.end();
}
req.on('response', (res) => {
  let got = 0;
  let same = true;
  res.on('data', (d) => {
    if (mode === 'abort') {
      console.log('aborted');
      req.destroy();
      return;
    }
    for (let i = 0; i < d.length; i++) if (d[i] !== byteAt(got + i)) same = false;
    got += d.length;
    res.pause();
    setImmediate(() => res.resume());
  });
  res.on('end', () => console.log(`status ${res.statusCode} length ${got} same ${same}`));
});
req.on('error', () => {});
feed();
