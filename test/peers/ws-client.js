// An npm ws client for lode's server tests: connects to argv[2], sends
// text, binary, empty, 16 MiB and fragmented messages and a ping, checks
// each echo, then closes with 1000 "done" (or obeys argv[4]) and prints
// what happened. argv[3]: JSON options for the WebSocket.
'use strict';
const WebSocket = require('ws');
const crypto = require('crypto');

const opts = JSON.parse(process.argv[3] || '{}');
const mode = process.argv[4] || 'echo';
const ws = new WebSocket(process.argv[2], opts.protocols || [], opts);
// Mode "abort": close while the handshake is under way.
if (mode === 'abort') ws.close();
const big = Buffer.alloc(16 << 20);
for (let i = 0; i < big.length; i++) big[i] = (i * 7) & 255;
const bigText = 'lode '.repeat((16 << 20) / 5);
const sent = [
  'hello', Buffer.from([0, 1, 2, 255]), '', Buffer.alloc(0), big, bigText,
];
const want = sent.slice();
want.push('fragment-one-two');
const bigFrag = 'x'.repeat(3 << 20) + 'y'.repeat(3 << 20);
want.push(bigFrag);
const hash = (b) => crypto.createHash('sha1').update(b).digest('hex').slice(0, 8);

// Mode "deflate": the same 16 KiB of random text four times (with
// context takeover the repeats shrink to a few bytes), then a fragmented
// 300 KiB message; prints the bytes written, so compression shows.
const seed = { x: 12345 };
const rnd = () => (seed.x = (seed.x * 1103515245 + 12345) & 0x7fffffff);
const alpha = 'abcdefghijklmnopqrstuvwxyz' + 'ABCDEFGHIJKLMNOPQRSTUVWXYZ' +
              '0123456789+/';
const text16k = Array.from({ length: 16384 }, () => alpha[rnd() % 64]).join('');
if (mode === 'deflate') {
  sent.length = 0;
  want.length = 0;
  for (let i = 0; i < 4; i++) want.push(text16k);
  want.push('x'.repeat(100000) + 'y'.repeat(100000) + 'z'.repeat(100000));
}

ws.on('open', () => {
  console.log('open ' + ws.protocol + ' ' + ws.extensions);
  if (mode === 'deflate') {
    for (let i = 0; i < 4; i++) ws.send(text16k);
    ws.send('x'.repeat(100000), { fin: false });
    ws.send('y'.repeat(100000), { fin: false });
    ws.send('z'.repeat(100000), { fin: true });
    return;
  }
  // "close-from-lode:CODE:REASON": lode closes with that code and reason.
  if (mode.startsWith('close-from-lode')) {
    return ws.send('cmd:close' + mode.slice('close-from-lode'.length));
  }
  if (mode === 'terminate-from-lode') return ws.send('cmd:terminate');
  if (mode === 'terminate') return ws.terminate();
  if (mode === 'ping') return;
  if (mode === 'bad-frame') {
    // A text frame with RSV2 set, written raw.
    ws._socket.write(Buffer.from([0xa1, 0x80, 1, 2, 3, 4]));
    return;
  }
  for (const m of sent) ws.send(m, { binary: typeof m !== 'string' });
  ws.send('fragment-', { fin: false });
  ws.send('one-', { fin: false });
  ws.send('two', { fin: true });
  ws.send(bigFrag.slice(0, 3 << 20), { fin: false });
  ws.send(bigFrag.slice(3 << 20), { fin: true });
  ws.ping('are you there');
});
ws.on('message', (data, isBinary) => {
  const w = want.shift();
  const ok = Buffer.compare(Buffer.from(w), data) === 0 &&
             isBinary === (typeof w !== 'string');
  console.log('message ' + (isBinary ? 'binary ' : 'text ') + data.length +
              ' ' + hash(data) + (ok ? ' ok' : ' WRONG'));
  if (want.length === 0) {
    if (mode === 'deflate')
      console.log('written ' + (ws._socket.bytesWritten < 200000 ? 'small'
                                                                 : 'large'));
    ws.close(1000, 'done');
  }
});
ws.on('pong', (d) => console.log('pong ' + d));
// Mode "ping": wait for lode's ping (answered by ws already), then close.
if (mode === 'ping') {
  ws.on('ping', (d) => {
    console.log('ping ' + d);
    ws.close(1000, 'done');
  });
}
ws.on('unexpected-response', (req, res) => console.log('status ' + res.statusCode));
ws.on('error', (e) => console.log('error ' + e.message));
ws.on('close', (code, reason) => console.log('close ' + code + ' ' + reason));
