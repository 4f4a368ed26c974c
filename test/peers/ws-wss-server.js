// An npm ws server over Node's https, for lode's wss: client tests. Echoes
// every message and exits after its one connection closes, or at once when
// the handshake fails. argv[2]: the certificate directory; argv[3]: the
// certificate's base name (server, self...).
'use strict';
const fs = require('fs');
const https = require('https');
const { WebSocketServer } = require('ws');

const dir = process.argv[2];
const name = process.argv[3] || 'server';
const srv = https.createServer({
  key: fs.readFileSync(`${dir}/${name}.key`),
  cert: fs.readFileSync(`${dir}/${name}.crt`),
});
const wss = new WebSocketServer({ server: srv });
wss.on('connection', (ws, req) => {
  console.log('connection ' + req.url);
  ws.on('message', (d, binary) => ws.send(d, { binary }));
  ws.on('close', (code, reason) => {
    console.log(`close ${code} ${reason}`);
    srv.close();
  });
});
srv.on('tlsClientError', (e) => {
  console.log('tlsClientError');
  srv.close();
});
srv.listen(0, '127.0.0.1', () => {
  console.log('listening on 127.0.0.1:' + srv.address().port);
});
