// Node's side of the tls tests (Node 20 is the reference).
//   node tls-peer.js server DIR NAME [ALPN,...|-] [HANDSHAKE-TIMEOUT]
//     A TLS echo server with DIR/NAME.{key,crt} on 127.0.0.1, port 0;
//     prints "listening on 127.0.0.1:PORT", then for its first connection
//     the server's events in order (one line), and exits.
//   node tls-peer.js client PORT DIR HOST CA SIZE [SERVERNAME]
//     A TLS client to 127.0.0.1:PORT checking HOST (the servername, unless
//     an IP), trusting DIR/CA ("-" for the system store); writes SIZE
//     patterned bytes, ends, and prints its events in the form the C
//     tests print lode's.
'use strict';
const tls = require('tls');
const fs = require('fs');
const path = require('path');
const [mode, ...args] = process.argv.slice(2);
const byte = (i) => (i * 7 + 1) & 0xff;

if (mode === 'server') {
  const [dir, name, alpn, timeout] = args;
  const opts = {
    key: fs.readFileSync(path.join(dir, name + '.key')),
    cert: fs.readFileSync(path.join(dir, name + '.crt')),
  };
  if (alpn && alpn !== '-') opts.ALPNProtocols = alpn.split(',');
  if (timeout) opts.handshakeTimeout = Number(timeout);
  const events = [];
  const done = () => { console.log(events.join(',')); srv.close(); };
  const srv = tls.createServer(opts, (s) => {
    events.push('secureConnection(' + (s.servername || '-') + ',' +
                (s.alpnProtocol || '-') + ')');
    let n = 0;
    s.on('data', (d) => { n += d.length; s.write(d); });
    s.on('end', () => { events.push('end(' + n + ')'); s.end(); });
    s.on('close', (h) => { events.push('close(' + h + ')'); done(); });
  });
  srv.on('tlsClientError', (e) => {
    events.push('tlsClientError(' + e.code + ')');
    done();
  });
  srv.listen(0, '127.0.0.1', () => {
    console.log('listening on 127.0.0.1:' + srv.address().port);
  });
} else {
  const [port, dir, host, ca, size, servername] = args;
  const opts = { port: Number(port), host: '127.0.0.1' };
  if (ca !== '-') opts.ca = fs.readFileSync(path.join(dir, ca));
  if (servername) opts.servername = servername;
  else if (!require('net').isIP(host)) opts.servername = host;
  opts.checkServerIdentity = (h, cert) => tls.checkServerIdentity(host, cert);
  const events = [];
  const len = Number(size);
  let got = 0, bad = false;
  const s = tls.connect(opts, () => {
    events.push('secureConnect(' + (s.authorized ? 1 : 0) + ',' +
                (s.authorizationError || '-') + ')');
    const b = Buffer.alloc(len);
    for (let i = 0; i < len; i++) b[i] = byte(i);
    s.end(b);
  });
  s.on('data', (d) => {
    for (let i = 0; i < d.length; i++) if (d[i] !== byte(got + i)) bad = true;
    got += d.length;
  });
  s.on('end', () => events.push('end(' + (got === len && !bad ? 'all' : 'short') + ')'));
  s.on('error', (e) => events.push('error(' + e.code + '|' + e.message + ')'));
  s.on('close', (h) => { events.push('close(' + (h ? 1 : 0) + ')'); console.log(events.join(',')); });
}
