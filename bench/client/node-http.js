// Node's http client: N GETs with C in flight over a keep-alive Agent
// (maxSockets C). Prints "requests seconds cpu_seconds".
// Usage: node node-http.js PORT [N] [C] [CA]: with CA (a PEM file), https
// to localhost through an https.Agent that verifies against it.
'use strict';
const fs = require('fs');
const [port, total = 100000, conc = 50] = process.argv.slice(2, 5).map(Number);
const ca = process.argv[5] ? fs.readFileSync(process.argv[5]) : null;
const http = require(ca ? 'https' : 'http');
const host = ca ? 'localhost' : '127.0.0.1';
const agent = new http.Agent({ keepAlive: true, maxSockets: conc, ca });
let started = 0, done = 0;
const t0 = process.hrtime.bigint();
const c0 = process.cpuUsage();
function one() {
  started++;
  const req = http.get({ host, port, path: '/', agent }, (res) => {
    res.on('data', () => {});
    res.on('end', () => {
      if (++done === total) finish();
    });
  });
  req.on('close', () => { if (started < total) one(); });
  req.on('error', (e) => { console.error(e.message); process.exit(1); });
}
function finish() {
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  const c = process.cpuUsage(c0);
  console.log(`${done} ${secs.toFixed(3)} ${((c.user + c.system) / 1e6).toFixed(3)}`);
  agent.destroy();
}
for (let i = 0; i < conc; i++) one();
