// Sends every scenario of test/conformance/scenarios.js as raw bytes to the
// lode server and to the Node server of the same configuration, and
// compares the responses byte for byte, the Date value aside.
// Usage: node http-conformance-driver.js '<lode ports JSON>' '<node ports JSON>'
// Prints "ok NAME" or "FAIL NAME" with both responses; exits 1 on failure.
'use strict';
const { execFile } = require('child_process');
const net = require('net');
const path = require('path');
const scenarios = require(path.join(__dirname, '../conformance/scenarios.js'));

const lodePorts = JSON.parse(process.argv[2]);
const nodePorts = JSON.parse(process.argv[3]);
const only = process.argv[4];

function normalize(s) {
  return s.replace(/\r\nDate: [A-Za-z]{3}, \d\d [A-Za-z]{3} \d{4} \d\d:\d\d:\d\d GMT/g,
                   '\r\nDate: X');
}

// The kernel's queues of both ends of the loopback connection between
// local ports `a` and `b` (ss asks the kernel, filtered there): calls
// back with { [from]: [recvQ, sendQ] } for each end still open. recvQ
// counts bytes received and not yet read by the process, sendQ bytes sent
// and not yet acknowledged.
function queues(a, b, cb) {
  const filter = `( sport = :${a} and dport = :${b} ) or ` +
                 `( sport = :${b} and dport = :${a} )`;
  execFile('ss', ['-tnH', filter], (err, out) => {
    if (err) throw err;
    const q = {};
    for (const line of out.split('\n')) {
      const f = line.trim().split(/\s+/);
      if (f.length < 5 || f[0] === 'TIME-WAIT') continue;
      q[f[3].slice(f[3].lastIndexOf(':') + 1)] = [Number(f[1]), Number(f[2])];
    }
    cb(q);
  });
}

// Calls `done` once the server has read every byte sent so far: first our
// end's bytes are all acknowledged (so they are in the server's queue),
// then, in a later look, the server's queue is empty. Each part is then
// one read of its own, whatever the machine's load.
function whenRead(sock, port, done) {
  let acked = false;
  const look = () => queues(sock.localPort, port, (q) => {
    if (sock.destroyed) return;
    const mine = q[sock.localPort], theirs = q[port];
    if (acked && (theirs === undefined || theirs[0] === 0)) return done();
    acked = acked || mine === undefined || mine[1] === 0;
    look();
  });
  look();
}

// One exchange: connect, send the parts (each once the server has read
// the one before; with `afterReply` the last once response bytes came),
// half-close unless the scenario waits for the server,
// and collect everything until the server closes (bounded).
function exchange(port, sc) {
  return new Promise((resolve) => {
    const sock = net.connect(port, '127.0.0.1');
    const chunks = [];
    let done = false;
    const finish = (why) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      resolve(Buffer.concat(chunks).toString('latin1') + (why || ''));
    };
    // A bound for a hung exchange (no scenario ends by it unless it says
    // so with `limit`).
    const timer = setTimeout(() => finish('<timeout>'), sc.limit || 30000);
    let replied = null;  // waiting for the first response bytes
    const afterReply = (fn) => {
      if (chunks.length > 0) fn();
      else replied = fn;
    };
    sock.on('data', (d) => {
      chunks.push(d);
      if (replied) {
        const fn = replied;
        replied = null;
        fn();
      }
    });
    sock.on('close', () => finish(''));
    sock.on('error', () => {});
    sock.on('connect', () => {
      const parts = sc.send.slice();
      const next = () => {
        if (parts.length === 0) {
          if (!sc.wait) sock.end();
          return;
        }
        const p = parts.shift();
        sock.write(Buffer.from(p, 'latin1'), () => {
          if (parts.length === 0) next();
          else if (sc.afterReply && parts.length === 1) afterReply(next);
          else whenRead(sock, port, next);
        });
      };
      next();
    });
  });
}

async function runOne(sc) {
  const cfg = sc.config || 'default';
  const [a, b] = await Promise.all([exchange(lodePorts[cfg], sc),
                                    exchange(nodePorts[cfg], sc)]);
  const la = normalize(a), nb = normalize(b);
  if (la === nb) return `ok ${sc.name}`;
  if (sc.known) return `known ${sc.name}: ${sc.known}`;
  const cut = (x) => JSON.stringify(x.length > 600 ? x.slice(0, 600) + '...' : x);
  return `FAIL ${sc.name}\n  lode: ${cut(la)}\n  node: ${cut(nb)}`;
}

(async () => {
  const list = scenarios.filter((s) => !only || s.name.includes(only));
  let failed = 0, known = 0;
  const width = 6;
  for (let i = 0; i < list.length; i += width) {
    const out = await Promise.all(list.slice(i, i + width).map(runOne));
    for (const line of out) {
      if (line.startsWith('FAIL')) failed++;
      if (line.startsWith('known')) known++;
      console.log(line);
    }
  }
  console.log(`${list.length - failed - known}/${list.length} scenarios ` +
              `identical, ${known} known differences, ${failed} failed`);
  process.exit(failed ? 1 : 0);
})();
