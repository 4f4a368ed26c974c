// Node's own WebSocket (undici) as a client of lode's server: offers the
// subprotocol "chat", sends text, binary, empty and 1 MiB messages,
// checks each echo, then closes with 4001 "bye" and prints what it saw.
// Node 20 needs --experimental-websocket. argv[2]: the URL.
'use strict';
const ws = new WebSocket(process.argv[2], ['chat']);
ws.binaryType = 'arraybuffer';
const sent = ['hello', new Uint8Array([0, 1, 2, 255]), '', 'x'.repeat(1 << 20)];
let i = 0;
ws.onopen = () => {
  console.log('open ' + ws.protocol + ' ' + ws.extensions);
  for (const m of sent) ws.send(m);
};
ws.onmessage = (e) => {
  const w = sent[i++];
  const text = typeof e.data === 'string';
  const ok = text ? e.data === w
                  : Buffer.compare(Buffer.from(e.data), Buffer.from(w)) === 0;
  console.log('message ' + (text ? 'text ' + e.data.length
                                 : 'binary ' + e.data.byteLength) +
              (ok ? ' ok' : ' WRONG'));
  if (i === sent.length) ws.close(4001, 'bye');
};
ws.onerror = (e) => console.log('error ' + e.message);
ws.onclose = (e) => console.log('close ' + e.code + ' ' + e.reason + ' ' +
                                e.wasClean);
