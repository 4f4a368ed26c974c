// Node 20's answers to a batch of raw requests, for lode's mutated-request
// stress test (test/stress/test-stress-mutate.c). The file holds records of
// a 4-byte little-endian length and the bytes. Each is sent on a new
// connection to an http.Server with default options that answers 200 "ok"
// once the request's body has ended; the client half-closes after the
// bytes and reads until the server closes. Prints one line per record: the
// status code of the first response (0 when none came), and 1 when the
// first request reached the handler whole (req.complete), else 0. The
// second tells what Node accepted where its answers were dropped: after a
// parse error Node sends only its 400, not the answers to the requests
// before it.
'use strict';
const fs = require('fs');
const http = require('http');
const net = require('net');

const buf = fs.readFileSync(process.argv[2]);
const inputs = [];
for (let at = 0; at < buf.length;) {
  const len = buf.readUInt32LE(at);
  inputs.push(buf.subarray(at + 4, at + 4 + len));
  at += 4 + len;
}

let first = null;  // the first request of the connection under way
const server = http.createServer((req, res) => {
  if (first === null) first = req;
  req.on('data', () => {});
  req.on('end', () => res.end('ok'));
});
server.on('connect', (req, socket) => socket.destroy());

function exchange(port, bytes) {
  return new Promise((resolve) => {
    const chunks = [];
    const c = net.connect(port, '127.0.0.1', () => c.end(bytes));
    c.on('data', (d) => chunks.push(d));
    c.on('error', () => {});
    c.on('close', () => {
      const m = /^HTTP\/1\.1 (\d{3}) /.exec(
        Buffer.concat(chunks).subarray(0, 16).toString('latin1'));
      const accepted = first !== null && first.complete ? 1 : 0;
      first = null;
      resolve(`${m ? Number(m[1]) : 0} ${accepted}`);
    });
  });
}

server.listen(0, '127.0.0.1', async () => {
  const out = [];
  for (const bytes of inputs)
    out.push(await exchange(server.address().port, bytes));
  process.stdout.write(out.join('\n') + '\n');
  server.close();
});
