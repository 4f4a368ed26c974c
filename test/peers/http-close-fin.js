// Node's side of test-http-server-close-fin: every request answered at
// once with "ok" (no Date header), whatever its body. Prints
// "listening on 127.0.0.1:PORT".
'use strict';
const http = require('http');

const server = http.createServer((req, res) => {
  res.sendDate = false;
  res.end('ok');
});
server.listen(0, '127.0.0.1', () => {
  console.log(`listening on 127.0.0.1:${server.address().port}`);
});
