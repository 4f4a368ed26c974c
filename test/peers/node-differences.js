// Node 20's side of the differences lode keeps on purpose
// (docs/node-differences.md, test/http/test-http-differences.c). Usage:
// node node-differences.js <scenario>; prints one line, JSON.
//   pipeline-before-error, pipeline-after-close: the bytes a server
//     answering on the request's 'end' (the URL as the body) sends back
//     to a client that half-closes after the request bytes (Date removed).
//   header-lines <maxHeadersCount|default>: for a request with 2,500
//     header lines, the number of names in req.headers and of lines in
//     req.rawHeaders.
//   close-extra: the events of http.get for a response with
//     Connection: close followed by bytes.
//   early-hints-bad-value: whether writeEarlyHints with a control byte in
//     a value sends the 103 ("sent as is") or not.
'use strict';
const http = require('http');
const net = require('net');

const get = (p, extra = '') => `GET ${p} HTTP/1.1\r\nHost: h\r\n${extra}\r\n`;

function exchange(port, bytes) {
  return new Promise((resolve) => {
    let got = '';
    const c = net.connect(port, '127.0.0.1', () => c.end(bytes));
    c.on('data', (d) => { got += d.toString('latin1'); });
    c.on('error', () => {});
    c.on('close', () => resolve(got.replace(/Date: [^\r]*\r\n/g, '')));
  });
}

async function serve(handler, bytes, setup = () => {}) {
  const server = http.createServer(handler);
  setup(server);
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const got = await exchange(server.address().port, bytes);
  server.close();
  return got;
}

const onEnd = (req, res) => {
  req.resume();
  req.on('end', () => res.end(req.url));
};

const scenarios = {
  'pipeline-before-error': () =>
    serve(onEnd, get('/a') + get('/b') + 'BAD\r\n\r\n'),
  'pipeline-after-close': () =>
    serve(onEnd, get('/a') + get('/b', 'Connection: close\r\n') + get('/c')),
  'header-lines': async (max) => {
    let lines = '';
    for (let i = 1; i < 2500; i++) lines += `x${i}: v\r\n`;
    const got = await serve((req, res) => {
      res.end(`${Object.keys(req.headers).length} ` +
              `${req.rawHeaders.length / 2}`);
    }, get('/', lines), (s) => {
      if (max !== 'default') s.maxHeadersCount = Number(max);
    });
    return got.slice(got.indexOf('\r\n\r\n') + 4);
  },
  'early-hints-bad-value': async () => {
    const got = await serve((req, res) => {
      res.writeEarlyHints({ link: '</a>; rel=preload', 'x-a': 'a\x01b' });
      res.end('ok');
    }, get('/'));
    return got.startsWith('HTTP/1.1 103') && got.includes('a\x01b')
      ? 'sent as is' : 'not sent';
  },
  'close-extra': () => new Promise((resolve) => {
    const server = net.createServer((s) => s.once('data', () => {
      s.end('HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n' +
            '\r\nokEXTRA');
    }));
    server.listen(0, '127.0.0.1', () => {
      const ev = [];
      const req = http.get({ host: '127.0.0.1', port: server.address().port },
                           (res) => {
        ev.push(`response(${res.statusCode})`);
        res.on('data', (d) => ev.push(`data(${d.length})`));
        res.on('end', () => ev.push('end'));
        res.on('close', () => ev.push('res close'));
      });
      req.on('error', (e) => ev.push(`error(${e.code})`));
      req.on('close', () => {
        ev.push('close');
        server.close(() => resolve(ev.join(',')));
      });
    });
  }),
};

scenarios[process.argv[2]](process.argv[3])
  .then((out) => console.log(JSON.stringify(out)));
