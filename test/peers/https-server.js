// Node's https server for lode's https client tests.
//   node https-server.js DIR NAME
// Serves with DIR/NAME.{key,crt} on 127.0.0.1, port 0; prints "listening
// on 127.0.0.1:PORT". Every request gets 200 and the body
// "URL conn=N reused=R": N numbers the TLS connections, R is whether the
// connection resumed a session. A POST's body is appended after " body=".
// Runs until killed.
'use strict';
const https = require('https');
const fs = require('fs');
const path = require('path');
const [dir, name] = process.argv.slice(2);
let conns = 0;
const srv = https.createServer({
  key: fs.readFileSync(path.join(dir, name + '.key')),
  cert: fs.readFileSync(path.join(dir, name + '.crt')),
}, (req, res) => {
  let body = '';
  req.on('data', (d) => { body += d; });
  req.on('end', () => {
    const s = req.socket;
    res.end(`${req.url} conn=${s.connNo} reused=${s.isSessionReused()}` +
            (req.method === 'POST' ? ` body=${body}` : ''));
  });
});
srv.on('secureConnection', (s) => { s.connNo = ++conns; });
srv.listen(0, '127.0.0.1', () => {
  console.log('listening on 127.0.0.1:' + srv.address().port);
});
