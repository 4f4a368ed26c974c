// For lode's EMFILE test: waits until the file argv[3] exists (the server
// has run out of descriptors by then), then connects to 127.0.0.1:PORT
// (argv[2]) again and again, 10 ms apart, until one connection echoes "x".
// After the third failure it makes the file argv[4] (the server may free
// its descriptors then). Prints "ok after N failures" (exit 0), or gives
// up after 500 tries.
'use strict';
const fs = require('fs');
const net = require('net');
const port = Number(process.argv[2]);
const trigger = process.argv[3];
const failedMark = process.argv[4];
let failures = 0;
let waits = 0;

function attempt() {
  let echoed = false;
  const s = net.connect({ port, host: '127.0.0.1' }, () => s.write('x'));
  s.on('data', () => { echoed = true; s.end(); });
  s.on('error', () => {});
  s.on('close', () => {
    if (echoed) {
      console.log(`ok after ${failures} failures`);
      return;
    }
    if (++failures === 3 && failedMark) fs.writeFileSync(failedMark, '');
    if (failures >= 500) {
      console.log('gave up');
      process.exitCode = 1;
      return;
    }
    setTimeout(attempt, 10);
  });
}

(function wait() {
  if (fs.existsSync(trigger)) return attempt();
  if (++waits > 1000) { console.log('no trigger'); process.exitCode = 1; return; }
  setTimeout(wait, 10);
})();
