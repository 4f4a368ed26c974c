// The npm ws side of bench/ws: the same server as server.c (text echoed,
// binary dropped, no compression).
'use strict';
const { WebSocketServer } = require('ws');
const wss = new WebSocketServer({ host: '127.0.0.1', port: +(process.argv[2] || 0),
                                  perMessageDeflate: false, maxPayload: 0 }, () => {
  console.log('listening on 127.0.0.1:' + wss.address().port);
});
wss.on('connection', (ws) => {
  ws.on('message', (data, isBinary) => { if (!isBinary) ws.send(data); });
});
