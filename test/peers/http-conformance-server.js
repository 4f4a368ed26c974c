// The Node side of the conformance harness: one http.Server per named
// configuration, each running the same named handlers (chosen by the
// request path) as test/http/test-http-conformance.c. Prints
// "NAME PORT" per server, then "ready".
'use strict';
const http = require('http');

function echo(req, res) {
  const chunks = [];
  req.on('data', (d) => chunks.push(d));
  req.on('end', () => {
    const body = JSON.stringify({
      method: req.method, url: req.url, httpVersion: req.httpVersion,
      headers: req.headers, rawHeaders: req.rawHeaders,
      trailers: req.trailers,
      body: Buffer.concat(chunks).toString('base64'),
    });
    res.setHeader('Content-Type', 'application/json');
    res.end(body);
  });
}

function tryRun(res, fn) {
  try { fn(); } catch (e) {
    if (!res.headersSent) { res.statusCode = 500; res.end(e.code); }
    else res.destroy();
  }
}

const handlers = {
  '/hello': (req, res) => res.end('hello world'),
  '/echo': echo,
  '/chunked': (req, res) => {
    res.setHeader('Content-Type', 'text/plain');
    res.write('a'); res.write('bc'); res.end('def');
  },
  '/trailers': (req, res) => {
    res.write('abc');
    res.addTrailers({ 'X-Sum': 'abc', 'X-Two': '2' });
    res.end();
  },
  '/trailer-header': (req, res) => {
    res.setHeader('Trailer', 'X-Sum');
    res.write('abc');
    res.addTrailers({ 'X-Sum': 'abc' });
    res.end();
  },
  '/empty': (req, res) => res.end(),
  '/write-empty': (req, res) => { res.write(''); res.end(); },
  '/headers': (req, res) => {
    res.setHeader('X-One', '1');
    res.setHeader('x-multi', ['a', 'b', 'c']);
    res.setHeader('Cookie', ['c1=1', 'c2=2']);
    res.setHeader('Set-Cookie', ['s1=1', 's2=2']);
    res.appendHeader('X-App', 'p');
    res.appendHeader('x-app', 'q');
    res.setHeader('X-Replaced', 'old');
    res.setHeader('X-REPLACED', 'new');
    res.setHeader('X-Gone', 'x');
    res.removeHeader('x-gone');
    res.end('h');
  },
  '/write-head': (req, res) => {
    res.setHeader('X-Pre', 'p');
    res.writeHead(201, 'Made It', { 'X-Head': 'h', 'Content-Type': 'a/b' });
    res.end('created');
  },
  '/write-head-array': (req, res) => {
    res.writeHead(200, ['X-A', '1', 'X-A', '2', 'Content-Length', '2']);
    res.end('ok');
  },
  '/write-head-plain': (req, res) => {
    res.writeHead(202);
    res.end();
  },
  '/status-msg': (req, res) => {
    res.statusCode = 299;
    res.end('x');
  },
  '/custom-msg': (req, res) => {
    res.statusMessage = 'Fine Thanks';
    res.end('x');
  },
  '/no-date': (req, res) => { res.sendDate = false; res.end('x'); },
  '/user-date': (req, res) => {
    res.setHeader('Date', 'Thu, 01 Jan 1970 00:00:00 GMT');
    res.end('x');
  },
  '/close': (req, res) => {
    res.setHeader('Connection', 'close');
    res.end('bye');
  },
  '/keep-alive-header': (req, res) => {
    res.setHeader('Keep-Alive', 'timeout=10');
    res.end('x');
  },
  '/user-cl': (req, res) => {
    res.setHeader('Content-Length', '5');
    res.write('hel'); res.end('lo');
  },
  '/user-te': (req, res) => {
    res.setHeader('Transfer-Encoding', 'chunked');
    res.end('abc');
  },
  '/no-framing': (req, res) => {
    res.removeHeader('Content-Length');
    res.removeHeader('Transfer-Encoding');
    res.write('abc'); res.end('def');
  },
  '/no-connection': (req, res) => {
    res.removeHeader('Connection');
    res.end('x');
  },
  '/flush': (req, res) => {
    res.flushHeaders();
    res.end('late');
  },
  '/status/204': (req, res) => { res.statusCode = 204; res.end(); },
  '/status/304': (req, res) => { res.statusCode = 304; res.end(); },
  '/status/204-te': (req, res) => {
    res.statusCode = 204;
    res.setHeader('Transfer-Encoding', 'chunked');
    res.end();
  },
  '/status/204-body': (req, res) => {
    res.statusCode = 204;
    tryRun(res, () => res.end('nope'));
  },
  '/status/404': (req, res) => { res.statusCode = 404; res.end('nf'); },
  '/status/500': (req, res) => { res.statusCode = 500; res.end(); },
  '/status/999': (req, res) => { res.statusCode = 999; res.end(); },
  '/status/103': (req, res) => {
    res.writeEarlyHints({ link: '</a.css>; rel=preload' });
    res.end('after');
  },
  '/status/103-cb': (req, res) => {
    res.writeEarlyHints({
      link: ['</a.css>; rel=preload', '</b.js>; rel=preload'],
      'x-hint': 'v',
    }, () => res.end('after-cb'));
  },
  '/status/103-none': (req, res) => {
    res.writeEarlyHints({ 'x-hint': 'v' }, () => res.end('never'));
    res.end('no-link');
  },
  '/encodings': (req, res) => {
    res.write('68656c6c6f', 'hex');
    res.write('IHdvcmxk', 'base64');
    res.write('IQ', 'base64url');
    res.end('caf\u00e9', 'latin1');
  },
  '/end-utf16': (req, res) => res.end('h\u00e9', 'utf16le'),
  '/end-hex-strict': (req, res) => {
    res.strictContentLength = true;
    res.setHeader('Content-Length', '3');
    tryRun(res, () => res.end('616263', 'hex'));
  },
  '/trailer-cl': (req, res) => {
    res.setHeader('Trailer', 'X-T');
    res.setHeader('Content-Length', '2');
    try { res.end('ok'); } catch (e) {
      res.removeHeader('Trailer');
      res.removeHeader('Content-Length');
      res.statusCode = 500;
      res.end(e.code);
    }
  },
  '/late': (req, res) => setTimeout(() => res.end('late'), 30),
  '/processing': (req, res) => { res.writeProcessing(); res.end('done'); },
  '/continue': (req, res) => { res.writeContinue(); res.end('cont'); },
  '/strict-ok': (req, res) => {
    res.strictContentLength = true;
    res.setHeader('Content-Length', '4');
    tryRun(res, () => res.end('four'));
  },
  '/strict-bad': (req, res) => {
    res.strictContentLength = true;
    res.setHeader('Content-Length', '4');
    tryRun(res, () => res.end('fives'));
  },
  '/bad-header': (req, res) => {
    tryRun(res, () => res.setHeader('Bad Name', 'x'));
    if (!res.writableEnded) res.end('not reached');
  },
  '/bad-value': (req, res) => {
    tryRun(res, () => res.setHeader('X-Bad', 'a\nb'));
    if (!res.writableEnded) res.end('not reached');
  },
  '/headers-sent': (req, res) => {
    res.write('x');
    tryRun(res, () => res.setHeader('X-Late', '1'));
    if (!res.writableEnded) res.end('not reached');
  },
  '/req-info': (req, res) => {
    res.end(`${req.method} ${req.url} ${req.httpVersion} ` +
            `${JSON.stringify(req.headersDistinct)}`);
  },
  '/distinct': (req, res) => {
    req.resume();
    req.on('end', () => res.end(`${JSON.stringify(req.headersDistinct)} ` +
                                `${JSON.stringify(req.trailersDistinct)}`));
  },
  '/big': (req, res) => { res.end('x'.repeat(100000)); },
  '/big-chunked': (req, res) => {
    for (let i = 0; i < 20; i++) res.write('y'.repeat(5000));
    res.end();
  },
};

function route(req, res) {
  const path = req.url.split('?')[0];
  const h = handlers[path] || handlers['/hello'];
  tryRun(res, () => h(req, res));
}

const configs = {
  default: {},
  nohost: { requireHostHeader: false },
  join: { joinDuplicateHeaders: true },
  unique: { uniqueHeaders: ['x-multi', 'cookie'] },
  insecure: { insecureHTTPParser: true },
  small: { maxHeaderSize: 1024 },
  timeouts: { headersTimeout: 300, requestTimeout: 600,
              connectionsCheckingInterval: 50 },
  'timeouts-long': { headersTimeout: 10000, requestTimeout: 20000,
                     connectionsCheckingInterval: 50 },
  reject: { rejectNonStandardBodyWrites: true },
};

const servers = [];
function setup(name, opts) {
  const srv = http.createServer(opts, route);
  if (name === 'maxreq') srv.maxRequestsPerSocket = 2;
  if (name === 'maxheaders') srv.maxHeadersCount = 3;
  if (name === 'listeners') {
    srv.on('checkContinue', (req, res) => {
      res.writeContinue();
      route(req, res);
    });
    srv.on('checkExpectation', (req, res) => {
      res.writeHead(402);
      res.end('expect ' + req.headers.expect);
    });
    srv.on('upgrade', (req, socket, head) => {
      socket.end('HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\n' +
                 'Connection: Upgrade\r\n\r\nhead=' + head.toString('latin1'));
    });
    srv.on('connect', (req, socket, head) => {
      socket.end('HTTP/1.1 200 Connection Established\r\n\r\n' + req.url +
                 ' head=' + head.toString('latin1'));
    });
    srv.on('clientError', (err, socket) => {
      const raw = err.rawPacket ? err.rawPacket.toString('latin1') : '';
      socket.end(`HTTP/1.1 400 Bad Request\r\nX-Code: ${err.code}\r\n` +
                 `X-Bytes: ${err.bytesParsed}\r\n` +
                 `X-Raw: ${JSON.stringify(raw)}\r\n\r\n`);
    });
    srv.on('dropRequest', () => {});
  }
  servers.push([name, srv]);
}
for (const [name, opts] of Object.entries(configs)) setup(name, opts);
setup('maxreq', {});
setup('maxheaders', {});
setup('listeners', {});

let pending = servers.length;
for (const [name, srv] of servers) {
  srv.listen(0, '127.0.0.1', () => {
    if (--pending === 0) {
      for (const [n, s] of servers) console.log(`${n} ${s.address().port}`);
      console.log('ready');
    }
  });
}
process.on('SIGTERM', () => process.exit(0));
