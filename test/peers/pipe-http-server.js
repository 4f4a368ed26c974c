// The reference server of test-http-pipe.c: Node piping a request's body
// into its response, as the lode server of the test does.
//   node pipe-http-server.js pipe|pipeline
// Prints "listening on ADDR:PORT", then per request what the server saw:
// "pipeline cb(CODE)" for the pipeline mode, "res close" when the response
// closes. Exits after one request.
'use strict';
const http = require('http');
const { pipeline } = require('stream');
const mode = process.argv[2] || 'pipe';
const server = http.createServer((req, res) => {
  req.on('error', (e) => console.log(`req error(${e.code})`));
  req.on('close', () => console.log('req close'));
  res.writeHead(200, { 'Content-Type': 'application/octet-stream' });
  if (mode === 'pipeline') {
    pipeline(req, res, (err) => {
      console.log(`pipeline cb(${err ? err.code : 0})`);
    });
  } else {
    req.pipe(res);
  }
  res.on('close', () => {
    console.log('res close');
    server.close();
  });
});
server.listen(0, '127.0.0.1', () => {
  const a = server.address();
  console.log(`listening on ${a.address}:${a.port}`);
});
