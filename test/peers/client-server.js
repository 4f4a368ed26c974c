// A scripted HTTP server for lode's client tests: raw TCP, exact bytes.
// The request path picks the script; "/echo" answers with the request's
// own bytes as the body. Prints "listening on 127.0.0.1:PORT".
'use strict';
const net = require('net');

const scripts = {
  '/ok': (s) => s.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi'),
  '/close': (s) => s.end('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n' +
                         'Connection: close\r\n\r\nhi'),
  '/eof': (s) => s.end('HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nto the end'),
  '/mid': (s) => {
    s.write('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhi');
    setTimeout(() => s.destroy(), 30);
  },
  '/early': (s) => s.destroy(),
  '/reset': (s) => s.resetAndDestroy(),
  '/chunked': (s) => s.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n' +
                             'X-A: 1\r\nx-a: 2\r\n\r\n3\r\nabc\r\n' +
                             '2;ext=1\r\nde\r\n0\r\nT: v\r\n\r\n'),
  '/info': (s) => s.write('HTTP/1.1 100 Continue\r\n\r\n' +
                          'HTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\n' +
                          'HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n'),
  '/upgrade': (s) => s.write('HTTP/1.1 101 Switching Protocols\r\n' +
                             'Upgrade: foo\r\nConnection: Upgrade\r\n\r\nfirst'),
  '/bad': (s) => s.write('HTTP/1.1 200 OK\r\nBad Header\r\n\r\n'),
  '/hint': (s) => s.write('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n' +
                          'Keep-Alive: timeout=1\r\n\r\n'),
  '/processing': (s) => s.write('HTTP/1.1 102 Processing\r\n\r\n' +
                                'HTTP/1.1 102 Processing\r\n\r\n' +
                                'HTTP/1.1 200 OK\r\nTransfer-Encoding: ' +
                                'chunked\r\n\r\n1\r\nx\r\n0\r\n' +
                                'T: v\r\n\r\n'),
  // The keep-alive table of Node's test-http-should-keep-alive.
  '/v10': (s) => s.end('HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n'),
  '/v10ka': (s) => s.write('HTTP/1.0 200 OK\r\nConnection: keep-alive\r\n' +
                           'Content-Length: 0\r\n\r\n'),
  '/v10close': (s) => s.end('HTTP/1.0 200 OK\r\nConnection: close\r\n' +
                            'Content-Length: 0\r\n\r\n'),
  '/v11ka': (s) => s.write('HTTP/1.1 200 OK\r\nConnection: keep-alive\r\n' +
                           'Content-Length: 0\r\n\r\n'),
  '/te-cl': (s) => s.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n' +
                           'Content-Length: 3\r\n\r\n1\r\nx\r\n0\r\n\r\n'),
  '/extra': (s) => s.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n' +
                           'hiEXTRA'),
  '/hint2': (s) => s.write('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n' +
                           'Keep-Alive: timeout=2, max=5\r\n\r\n'),
  '/big': (s) => {
    const body = 'x'.repeat(200000);
    s.write(`HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
  },
  '/slow': () => {},
  '/ctl': (s) => s.write('HTTP/1.1 200 OK\r\nX-C: a\x01b\r\n' +
                         'Content-Length: 0\r\n\r\n'),
  '/dup': (s) => s.write('HTTP/1.1 200 OK\r\nContent-Type: a\r\n' +
                         'Content-Type: b\r\nContent-Length: 0\r\n\r\n'),
  '/many': (s) => {
    let h = '';
    for (let i = 0; i < 100; i++) h += `X-H${i}: ${i}\r\n`;
    s.write(`HTTP/1.1 200 OK\r\n${h}Content-Length: 0\r\n\r\n`);
  },
  '/head': (s) => s.write('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n'),
  '/hold': (s) => s.write('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhi'),
};

const server = net.createServer((s) => {
  let buf = '';
  s.on('error', () => {});
  s.on('data', (d) => {
    buf += d.toString('latin1');
    for (;;) {
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = buf.slice(0, end + 4);
      const m = /content-length: (\d+)/i.exec(head);
      let total = end + 4 + (m ? +m[1] : 0);
      if (/transfer-encoding: chunked/i.test(head)) {
        const z = buf.indexOf('\r\n0\r\n\r\n', end);
        if (z < 0) return;
        total = z + 7;
      }
      if (buf.length < total) return;
      const req = buf.slice(0, total);
      buf = buf.slice(total);
      if (s.killNext) {
        s.destroy();
        return;
      }
      const path = req.split(' ')[1];
      if (path === '/connect' || req.startsWith('CONNECT ')) {
        s.write('HTTP/1.1 200 Connection Established\r\n\r\ntunnel');
        continue;
      }
      if (path === '/echo' || path.startsWith('/echo?')) {
        s.write(`HTTP/1.1 200 OK\r\nContent-Length: ${req.length}\r\n\r\n`);
        s.write(Buffer.from(req, 'latin1'));
        continue;
      }
      if (path === '/once') {
        // Answer, then drop the connection when it is used again, as a
        // server whose keep-alive timeout fires just then.
        s.write('HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\no');
        s.killNext = true;
        continue;
      }
      if (path === '/ka-reset') {
        // Answer, then reset the idle connection.
        s.write('HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nr');
        setTimeout(() => s.resetAndDestroy(), 20);
        continue;
      }
      if (path === '/ka-close') {
        // Answer, then close as the client reuses the socket.
        s.write('HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nk');
        setTimeout(() => s.end(), 20);
        continue;
      }
      (scripts[path] || scripts['/ok'])(s);
    }
  });
});
if (process.argv[2]) {
  // A Unix socket path instead of TCP.
  server.listen(process.argv[2], () => console.log('listening on path:0'));
} else {
  server.listen(0, '127.0.0.1', () => {
    console.log(`listening on 127.0.0.1:${server.address().port}`);
  });
}
