// An origin server for the proxy examples' tests. Prints "listening on
// ADDR:PORT". GET / answers "hello from origin"; any other request echoes
// its method, URL, x-* headers and body length as a JSON line, then its
// body, when the body has ended. GET .../big?n=N streams N bytes of a fixed
// pattern, writing as fast as the connection takes them. Each request's
// line "origin: METHOD URL" goes to stdout.
'use strict';
const http = require('http');
const byteAt = (i) => (i * 7 + Math.floor(i / 4099)) & 0xff;
const server = http.createServer((req, res) => {
  console.log(`origin: ${req.method} ${req.url}`);
  if (req.method === 'GET' && req.url === '/') {
    res.end('hello from origin');
    return;
  }
  if (req.method === 'GET' && new URL(req.url, 'http://x').pathname.endsWith('/big')) {
    const total = Number(new URL(req.url, 'http://x').searchParams.get('n'));
    let sent = 0;
    res.writeHead(200, { 'Content-Type': 'application/octet-stream' });
    const feed = () => {
      while (sent < total) {
        const n = Math.min(65536, total - sent);
        const b = Buffer.alloc(n);
        for (let i = 0; i < n; i++) b[i] = byteAt(sent + i);
        sent += n;
        if (!res.write(b)) return res.once('drain', feed);
      }
      res.end();
    };
    feed();
    return;
  }
  const chunks = [];
  req.on('data', (d) => chunks.push(d));
  req.on('end', () => {
    const body = Buffer.concat(chunks);
    const x = {};
    for (const [k, v] of Object.entries(req.headers)) if (k.startsWith('x-')) x[k] = v;
    res.setHeader('X-Origin', 'yes');
    const line = JSON.stringify({ method: req.method, url: req.url, x, length: body.length });
    res.end(Buffer.concat([Buffer.from(line + '\n'), body]));
  });
});
server.keepAliveTimeout = 60000;
server.listen(0, '127.0.0.1', () => {
  const a = server.address();
  console.log(`listening on ${a.address}:${a.port}`);
});
process.on('SIGTERM', () => process.exit(0));
