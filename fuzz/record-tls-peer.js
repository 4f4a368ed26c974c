// The real peer record-tls.sh records: Node's tls, over loopback.
//   node record-tls-peer.js client PORT VERSION [OPTION]
//     connects to lode's server, sends a line and ends once it came back;
//     OPTION: a number (a long line in records of that many bytes), "big"
//     (20,400 bytes) or "reneg" (a renegotiation, then the line again);
//   node record-tls-peer.js server DIR VERSION [OPTION]
//     serves one connection with DIR/key.pem and DIR/cert.pem (prints
//     "port N" first) and echoes it; OPTION: "request-cert" (asks for a
//     client certificate) or "reneg" (renegotiates at once).
// VERSION is the highest TLS version ("TLSv1.3", "TLSv1.2").
'use strict';
const tls = require('tls');
const fs = require('fs');
const path = require('path');

const [role, arg, version, extra] = process.argv.slice(2);
if (role === 'client') {
  const repeat = extra === 'big' ? 1200 : +extra > 0 ? 80 : 1;
  const line = 'hello from node, '.repeat(repeat) + '\n';
  const s = tls.connect({ port: +arg, host: '127.0.0.1',
                          servername: 'localhost', maxVersion: version,
                          ALPNProtocols: ['http/1.1'],
                          rejectUnauthorized: false }, () => {
    if (+extra > 0)
      s.setMaxSendFragment(+extra);
    s.write(line);
  });
  let got = 0, rounds = extra === 'reneg' ? 2 : 1;
  s.on('data', (d) => {
    got += d.length;
    if (got < line.length)
      return;
    got = 0;
    if (--rounds > 0)
      s.renegotiate({ rejectUnauthorized: false }, () => s.write(line));
    else
      s.end();
  });
  s.on('error', (e) => { console.error(e); process.exitCode = 1; });
} else if (role === 'server') {
  const srv = tls.createServer({
    key: fs.readFileSync(path.join(arg, 'key.pem')),
    cert: fs.readFileSync(path.join(arg, 'cert.pem')),
    maxVersion: version, ALPNProtocols: ['http/1.1'],
    requestCert: extra === 'request-cert', rejectUnauthorized: false,
  }, (s) => {
    srv.close();
    if (extra === 'reneg')
      s.renegotiate({ rejectUnauthorized: false }, () => {});
    s.pipe(s);
    s.on('error', () => {});
  });
  srv.listen(0, '127.0.0.1', () => {
    console.log('port ' + srv.address().port);
  });
} else {
  console.error('usage: record-tls-peer.js client PORT VERSION [OPTION]' +
                ' | server DIR VERSION [OPTION]');
  process.exit(2);
}
