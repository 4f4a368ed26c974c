// Connects to 127.0.0.1:PORT (argv[2]), writes "hello", and once it has
// come back resets the connection (RST), or with argv[3] "end" ends it
// (and closes at the peer's end). Prints "echoed hello".
'use strict';
const net = require('net');
const s = net.connect(Number(process.argv[2]), '127.0.0.1');
let got = '';
s.setEncoding('utf8');
s.on('error', () => {});
s.write('hello');
s.on('data', (d) => {
  got += d;
  if (got === 'hello') {
    console.log('echoed hello');
    if (process.argv[3] === 'end') s.end();
    else s.resetAndDestroy();
  }
});
