// The benchmark's Node HTTPS server: the same handlers as server.c
// (GET /bulk: 1 GiB of a 64 KiB block, written as the socket drains).
// Usage: node node-server.js PORT CERT KEY
'use strict';
const https = require('https');
const fs = require('fs');
const [port, cert, key] = process.argv.slice(2);
const BULK = 1024 * 1024 * 1024;
const block = Buffer.alloc(64 * 1024, 'x');
const srv = https.createServer(
  { cert: fs.readFileSync(cert), key: fs.readFileSync(key) },
  (req, res) => {
    if (req.url !== '/bulk') return res.end('hello world');
    res.setHeader('Content-Length', BULK);
    let left = BULK;
    const pump = () => {
      while (left > 0) {
        const n = Math.min(left, block.length);
        left -= n;
        const b = n === block.length ? block : block.subarray(0, n);
        if (left === 0) return res.end(b);
        if (!res.write(b)) return res.once('drain', pump);
      }
    };
    pump();
  });
srv.keepAliveTimeout = 0; // idle connections stay, as lode's and nginx's
srv.listen(Number(port), '127.0.0.1', () =>
  console.log(`listening on 127.0.0.1:${srv.address().port}`));
