// undici (npm): N GETs with C in flight over a Pool of C connections.
// Prints "requests seconds cpu_seconds".
'use strict';
const { Pool } = require('../../test/peers/node_modules/undici');
const [port, total = 100000, conc = 50] = process.argv.slice(2).map(Number);
const pool = new Pool(`http://127.0.0.1:${port}`, { connections: conc,
                                                     pipelining: 1 });
let started = 0, done = 0;
const t0 = process.hrtime.bigint();
const c0 = process.cpuUsage();
async function worker() {
  while (started < total) {
    started++;
    const { body } = await pool.request({ path: '/', method: 'GET' });
    for await (const _ of body) { /* discard */ }
    done++;
  }
}
Promise.all(Array.from({ length: conc }, worker)).then(() => {
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  const c = process.cpuUsage(c0);
  console.log(`${done} ${secs.toFixed(3)} ${((c.user + c.system) / 1e6).toFixed(3)}`);
  return pool.close();
});
