// The npm ws side of bench/ws: the same load as client.c.
//   node ws-client.js URL echo CONNS SECONDS SIZE
//   node ws-client.js URL stream MIB CHUNK
'use strict';
const WebSocket = require('ws');
const [url, mode] = process.argv.slice(2, 4);
const opts = { perMessageDeflate: false };
if (mode === 'echo') {
  const conns = +(process.argv[4] || 50), secs = +(process.argv[5] || 5);
  const msg = 'x'.repeat(+(process.argv[6] || 64));
  let rt = 0, closing = false, start = 0, rt0 = 0, rate = 0;
  process.on('exit', () => {
    console.log('echo: ' + rate + ' round trips/s, ' + rt + ' in all');
  });
  for (let i = 0; i < conns; i++) {
    const ws = new WebSocket(url, opts);
    ws.on('open', () => ws.send(msg));
    ws.on('message', () => { rt++; closing ? ws.close(1000) : ws.send(msg); });
  }
  setTimeout(() => {
    start = process.hrtime.bigint(); rt0 = rt;
    setTimeout(() => {
      const s = Number(process.hrtime.bigint() - start) / 1e9;
      rate = Math.round((rt - rt0) / s);
      closing = true;
    }, secs * 1000);
  }, 1000);
} else {
  const total = (+(process.argv[4] || 1024)) * 1048576;
  const chunk = Buffer.alloc(+(process.argv[5] || 65536), 'x');
  const ws = new WebSocket(url, opts);
  let sent = 0, t0;
  const pump = () => {
    while (sent < total && ws.bufferedAmount < (4 << 20)) {
      ws.send(chunk, { binary: true });
      sent += chunk.length;
    }
    if (sent < total) setImmediate(pump); else ws.send('end');
  };
  ws.on('open', () => { t0 = process.hrtime.bigint(); pump(); });
  ws.on('message', () => {
    const s = Number(process.hrtime.bigint() - t0) / 1e9;
    console.log('stream: ' + total / 1048576 + ' MiB in ' + s.toFixed(3) +
                ' s: ' + (total / 1048576 / s).toFixed(1) + ' MiB/s');
    ws.close(1000);
  });
}
