// The reference of test-http-pipe-net.c: a TCP proxy made of two pipe()
// calls (client c to upstream u and back), u connected to the echo server
// on port argv[2]. Prints "listening on ADDR:PORT", then one line of what
// c and u emitted, and exits:
//   argv[3] "reset" (the client resets): at c's close, with the state u
//     was left in (then u is destroyed);
//   argv[3] "end" (the client ends): once both have closed, each end
//     having been passed on.
'use strict';
const net = require('net');
const echoPort = Number(process.argv[2]);
const mode = process.argv[3] || 'reset';
const out = [];
const server = net.createServer((c) => {
  const u = net.connect(echoPort, '127.0.0.1');
  let closed = 0;
  const done = () => {
    server.close();
    console.log(out.join(','));
  };
  for (const [name, s] of [['c', c], ['u', u]]) {
    s.on('end', () => out.push(`${name}:end`));
    s.on('error', (e) => out.push(`${name}:error(${e.code})`));
    s.on('close', () => {
      out.push(`${name}:close`);
      if (mode === 'end' && ++closed === 2) done();
    });
  }
  c.pipe(u);
  u.pipe(c);
  if (mode === 'reset') {
    c.on('close', () => {
      out.push(`u:state(${u.readyState},${u.destroyed})`);
      u.destroy();
      done();
      out.length = 0;
    });
  }
});
server.listen(0, '127.0.0.1', () => {
  const a = server.address();
  console.log(`listening on ${a.address}:${a.port}`);
});
