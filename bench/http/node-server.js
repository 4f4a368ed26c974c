// The benchmark's Node server: the same handler as server.c.
'use strict';
const http = require('http');
const srv = http.createServer((req, res) => res.end('hello world'));
srv.listen(Number(process.argv[2]), '127.0.0.1', () =>
  console.log(`listening on 127.0.0.1:${srv.address().port}`));
