// Node's https and tls clients against an HTTPS server (lode's in
// test/http/test-https-scenarios.c), one scenario per run:
//   node https-scenarios.js SCENARIO PORT CAFILE [ARG]
// Every connection trusts CAFILE and checks the name "localhost".
//   keepalive  GET /k1, POST /echo (a chunked body), GET /k3 through one
//              https.Agent({ keepAlive: true, maxSockets: 1 }); one line
//              per response: status, body, reusedSocket, and whether the
//              local port is the first request's
//   pipeline   a raw TLS client writes three requests in one write (the
//              last with Connection: close) and prints every byte it got,
//              then how the connection ended
//   upgrade    https.request with Upgrade: echo: prints the 101, the head
//              the client got (the server's first bytes), then what the
//              server echoes of "ping"
//   raw        a raw TLS client writes ARG (JSON string) and prints what
//              comes back and how the connection ended (for the timeouts)
//   rawend     the same, then ends its side at once (close_notify, FIN)
//   bytewise   the same as raw, one write (one TLS record) per byte
//   plain      a plain TCP client writes ARG (JSON string) to the TLS
//              port and prints what comes back and how it ended
//   badrecord  a TLS client that sends GET /b and, once the answer comes,
//              writes a record of garbage straight on its TCP socket;
//              prints what came back and how the connection ended
//   resume     two GETs through one https.Agent without keep-alive: two
//              connections; prints whether each resumed a session
//   abort      GET /download?ARG, destroyed after its first MiB
//   idle       GET /close-server through a keep-alive agent, then waits
//              for the server to close the idle connection
//   upload     POST /upload with ARG bytes of the pattern below, written
//              as fast as the connection takes them; prints the response
//   download   GET /download?ARG; checks every byte against the pattern,
//              stopping for a moment after every 4 MiB (a slow reader);
//              prints "length N same true|false"
//   serve      (node https-scenarios.js serve DIR) Node's https server with
//              DIR/server.{key,crt} on 127.0.0.1, port 0, printing
//              "listening on 127.0.0.1:PORT": POST /upload checks the
//              body against the pattern and answers "length N same B";
//              GET /download?N sends N bytes of it, waiting for 'drain'
// The pattern: byte i of a body is byteAt(i).
'use strict';
const https = require('https');
const tls = require('tls');
const net = require('net');
const fs = require('fs');
const [scenario, port, caFile, arg] = process.argv.slice(2);
const ca = scenario === 'serve' ? null : fs.readFileSync(caFile);
const base = { host: '127.0.0.1', port: Number(port), servername: 'localhost', ca };
const byteAt = (i) => (i * 7 + Math.floor(i / 4099)) & 0xff;

function request(opts, body) {
  return new Promise((resolve, reject) => {
    const r = https.request({ ...base, ...opts }, (res) => {
      let b = '';
      res.setEncoding('latin1');
      res.on('data', (d) => { b += d; });
      res.on('end', () => resolve({ res, body: b, req: r }));
    });
    r.on('error', reject);
    if (Array.isArray(body)) {
      for (const part of body) r.write(part);
      r.end();
    } else {
      r.end(body);
    }
  });
}

// A raw TLS connection (plain TCP when `how` is 'plain'): writes `bytes`,
// collects what comes back; resolves with the bytes and the events seen
// ('end', 'error CODE', 'close').
function raw(bytes, how) {
  return new Promise((resolve) => {
    const connect = how === 'plain'
      ? (cb) => net.connect(base.port, base.host, cb) : (cb) => tls.connect(base, cb);
    const s = connect(() => {
      if (how === 'bytewise') {
        for (const c of bytes) s.write(c, 'latin1');
      } else {
        s.write(bytes);
      }
      if (how === 'end') s.end();
    });
    let got = '';
    const events = [];
    s.setEncoding('latin1');
    s.on('data', (d) => { got += d; });
    s.on('end', () => events.push('end'));
    s.on('error', (e) => events.push(`error ${e.code}`));
    s.on('close', () => { events.push('close'); resolve({ got, events }); });
  });
}

async function keepalive() {
  const agent = new https.Agent({ keepAlive: true, maxSockets: 1 });
  let firstPort = 0;
  const show = (r) => {
    const p = r.req.socket.localPort;
    if (!firstPort) firstPort = p;
    console.log(`${r.res.statusCode} ${JSON.stringify(r.body)} ` +
                `reused=${r.req.reusedSocket} same=${p === firstPort}`);
  };
  show(await request({ path: '/k1', agent }));
  show(await request({ path: '/echo', method: 'POST', agent }, ['chunk1,', 'chunk2']));
  show(await request({ path: '/k3', agent }));
  agent.destroy();
}

async function pipeline() {
  const r = await raw('GET /p1 HTTP/1.1\r\nHost: localhost\r\n\r\n' +
                      'POST /echo HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5\r\n\r\nhello' +
                      'GET /p3 HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n');
  console.log(JSON.stringify(r.got));
  console.log(r.events.join(','));
}

function upgrade() {
  return new Promise((resolve, reject) => {
    const r = https.request({ ...base, path: '/up',
                              headers: { Connection: 'Upgrade', Upgrade: 'echo' } });
    r.on('upgrade', (res, socket, head) => {
      console.log(`${res.statusCode} ${res.headers.upgrade} head=${JSON.stringify(head.toString())}`);
      let got = '';
      socket.setEncoding('latin1');
      socket.on('data', (d) => {
        got += d;
        if (got === 'ping') socket.end();
      });
      socket.on('end', () => { console.log(`echo ${JSON.stringify(got)}`); });
      socket.on('close', resolve);
      socket.write('ping');
    });
    r.on('error', reject);
    r.end();
  });
}

async function rawScenario(how) {
  const r = await raw(JSON.parse(arg), how);
  console.log(JSON.stringify(r.got));
  console.log(r.events.join(','));
}

function upload() {
  const total = Number(arg);
  return new Promise((resolve, reject) => {
    const r = https.request({ ...base, path: '/upload', method: 'POST',
                              headers: { 'Content-Length': total } }, (res) => {
      let b = '';
      res.setEncoding('latin1');
      res.on('data', (d) => { b += d; });
      res.on('end', () => { console.log(`${res.statusCode} ${b}`); resolve(); });
    });
    r.on('error', reject);
    const chunk = 1 << 16;
    let sent = 0;
    const pump = () => {
      while (sent < total) {
        const n = Math.min(chunk, total - sent);
        const b = pattern(sent, n);
        sent += n;
        if (!r.write(b)) { r.once('drain', pump); return; }
      }
      r.end();
    };
    pump();
  });
}

function download() {
  return new Promise((resolve, reject) => {
    https.get({ ...base, path: `/download?${arg}` }, (res) => {
      let got = 0;
      let same = true;
      let mark = 4 << 20;
      res.on('data', (d) => {
        for (let i = 0; same && i < d.length; i++) {
          if (d[i] !== byteAt(got + i)) same = false;
        }
        got += d.length;
        if (got >= mark) {
          mark += 4 << 20;
          res.pause();
          setTimeout(() => res.resume(), 20);
        }
      });
      res.on('end', () => { console.log(`length ${got} same ${same}`); resolve(); });
    }).on('error', reject);
  });
}

// `n` bytes of the pattern from offset `at`.
function pattern(at, n) {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = byteAt(at + i);
  return b;
}

function serve() {
  const dir = port;
  const srv = https.createServer({
    key: fs.readFileSync(`${dir}/server.key`),
    cert: fs.readFileSync(`${dir}/server.crt`),
  }, (req, res) => {
    if (req.url === '/upload') {
      let got = 0;
      let same = true;
      req.on('data', (d) => {
        for (let i = 0; same && i < d.length; i++) {
          if (d[i] !== byteAt(got + i)) same = false;
        }
        got += d.length;
      });
      req.on('end', () => res.end(`length ${got} same ${same}`));
      return;
    }
    const total = Number(req.url.split('?')[1]);
    let sent = 0;
    const pump = () => {
      while (sent < total) {
        const n = Math.min(1 << 16, total - sent);
        const b = pattern(sent, n);
        sent += n;
        if (!res.write(b)) { res.once('drain', pump); return; }
      }
      res.end();
    };
    pump();
  });
  srv.listen(0, '127.0.0.1', () => {
    console.log(`listening on 127.0.0.1:${srv.address().port}`);
  });
  return Promise.resolve();
}

function badrecord() {
  return new Promise((resolve) => {
    const sock = net.connect(base.port, base.host, () => {
      const s = tls.connect({ ...base, socket: sock }, () => {
        s.write('GET /b HTTP/1.1\r\nHost: localhost\r\n\r\n');
      });
      let got = '';
      const events = [];
      s.setEncoding('latin1');
      s.on('data', (d) => {
        if (!got) sock.write(Buffer.from('170303000568656c6c6f', 'hex'));
        got += d;
      });
      s.on('end', () => events.push('end'));
      s.on('error', (e) => events.push(`error ${e.code}`));
      s.on('close', () => {
        console.log(JSON.stringify(got));
        console.log(events.concat('close').join(','));
        resolve();
      });
    });
  });
}

async function resume() {
  const agent = new https.Agent({ keepAlive: false });
  for (const path of ['/r1', '/r2']) {
    const r = await request({ path, agent });
    console.log(`${r.body} resumed=${r.req.socket.isSessionReused()}`);
  }
}

function abort() {
  return new Promise((resolve) => {
    const r = https.get({ ...base, path: `/download?${arg}`, agent: false }, (res) => {
      let got = 0;
      res.on('data', (d) => {
        got += d.length;
        if (got >= 1 << 20 && !r.destroyed) {
          console.log('destroyed after 1 MiB');
          r.destroy();
        }
      });
    });
    r.on('error', (e) => console.log(`error ${e.code}`));
    r.on('close', resolve);
  });
}

function idle() {
  return new Promise((resolve, reject) => {
    const agent = new https.Agent({ keepAlive: true });
    // The free socket does not hold the process; this does, until then.
    const hold = setTimeout(() => {}, 60000);
    const r = https.get({ ...base, path: '/close-server', agent }, (res) => {
      res.resume();
      res.on('end', () => console.log(`${res.statusCode} ${res.headers.connection}`));
    });
    r.on('socket', (s) => s.on('close', () => {
      console.log(`closed, free sockets ${Object.keys(agent.freeSockets).length}`);
      clearTimeout(hold);
      resolve();
    }));
    r.on('error', reject);
  });
}

const scenarios = {
  keepalive, pipeline, upgrade, idle, abort, upload, download, serve, resume,
  badrecord,
  raw: rawScenario,
  rawend: () => rawScenario('end'),
  bytewise: () => rawScenario('bytewise'),
  plain: () => rawScenario('plain'),
};
scenarios[scenario]().catch((e) => { console.log(`error ${e.code} ${e.message}`); });
