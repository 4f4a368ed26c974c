// npm ws clients for lode's broadcast test: argv[3] clients (default 100)
// connect to argv[2] in one process. Client 0 is slow: it says
// "hello slow", then stops reading (its socket is paused). Every other
// client says "hello N", checks every binary message it gets (round k:
// its bytes are (k * 31 + i) & 255, 16 KiB) and answers "ack k". A text
// "resume" makes the slow client read again. When every client has
// closed, prints one line per kind and exits.
'use strict';
const WebSocket = require('ws');

const url = process.argv[2];
const n = Number(process.argv[3] || 100);
const clients = [];
let closed = 0;
let bad = 0;
const received = new Array(n).fill(0);
const closes = [];

function expect(k, data) {
  if (data.length !== 16384) return false;
  for (let i = 0; i < data.length; i++)
    if (data[i] !== ((k * 31 + i) & 255)) return false;
  return true;
}

for (let c = 0; c < n; c++) {
  const ws = new WebSocket(url);
  clients.push(ws);
  ws.on('open', () => {
    if (c === 0) {
      ws.send('hello slow');
      ws._socket.pause();
    } else {
      ws.send('hello ' + c);
    }
  });
  ws.on('message', (data, isBinary) => {
    if (!isBinary) {
      if (data.toString() === 'resume') clients[0]._socket.resume();
      return;
    }
    const k = data[0];  // round k's first byte is (k * 31) & 255
    const round = received[c] + 1;
    if (!expect(round, data) || k !== ((round * 31) & 255)) bad++;
    received[c] = round;
    if (c !== 0) ws.send('ack ' + round);
  });
  ws.on('error', (e) => console.log('error ' + c + ' ' + e.message));
  ws.on('close', (code, reason) => {
    closes.push(code + ' ' + reason);
    if (++closed < n) return;
    const fast = received.slice(1);
    const same = fast.every((r) => r === fast[0]);
    console.log('fast ' + fast.length + ' rounds ' +
                (same ? fast[0] : 'differ') + ' bad ' + bad);
    console.log('slow rounds ' + received[0]);
    console.log('closes ' + closes.filter((x) => x === '1000 bye').length);
  });
}
