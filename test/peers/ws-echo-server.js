// An npm ws server for lode's client tests. Echoes every message, obeys
// "cmd:" text messages, logs pings, pongs and the close, and exits after
// its one connection closes. argv[2]: JSON options for WebSocketServer.
'use strict';
const { WebSocketServer } = require('ws');

const opts = JSON.parse(process.argv[2] || '{}');
const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, ...opts }, () => {
  console.log('listening on 127.0.0.1:' + wss.address().port);
});

function command(ws, cmd) {
  const [, name, a, b] = cmd.split(':');
  if (name === 'fragmented') {
    ws.send('part1-', { fin: false });
    ws.send('part2-', { fin: false });
    ws.send('part3', { fin: true });
  } else if (name === 'bigfrag') {
    // Three 100 KiB fragments (compressed when deflate is on).
    for (let i = 0; i < 3; i++)
      ws.send(String.fromCharCode(97 + i).repeat(102400), { fin: i === 2 });
  } else if (name === 'zeros') {
    ws.send(Buffer.alloc(Number(a)), { binary: true });
  } else if (name === 'ping') {
    ws.ping(a);
  } else if (name === 'close') {
    ws.close(Number(a), b);
  } else if (name === 'terminate') {
    ws.terminate();
  } else if (name === 'params') {
    // What ws agreed to, and the bytes it has read (compression shows).
    const pmd = ws._extensions['permessage-deflate'];
    ws.send('params=' + (pmd ? JSON.stringify(pmd.params) : 'none') +
            ' read=' + ws._socket.bytesRead);
  } else if (name === 'ext') {
    ws.send('ext=' + Object.keys(ws._extensions || {}).join(','));
  }
}

wss.on('connection', (ws, req) => {
  console.log('protocol ' + ws.protocol + ' ext ' + req.headers['sec-websocket-extensions']);
  ws.on('message', (data, isBinary) => {
    const s = isBinary ? '' : data.toString();
    if (s.startsWith('cmd:')) command(ws, s);
    else ws.send(data, { binary: isBinary });
  });
  ws.on('ping', (d) => console.log('ping ' + d));
  ws.on('pong', (d) => console.log('pong ' + d));
  ws.on('error', (e) => console.log('error ' + e.message));
  ws.on('close', (code, reason) => {
    console.log('close ' + code + ' ' + reason);
    wss.close();
  });
});
