// Node's side of bench-blocklist-check: the same rules (same generator and
// seed as check.c), then `checks` checks of random IPv4 addresses.
'use strict';
const net = require('net');
const nrules = Number(process.argv[2] || 100000);
const nchecks = Number(process.argv[3] || 200);
let seed = 12345;
function rnd() {
  seed ^= seed << 13; seed >>>= 0;
  seed ^= seed >>> 17;
  seed ^= seed << 5; seed >>>= 0;
  return seed;
}
const v4 = (x) => `${x >>> 24}.${(x >>> 16) & 255}.${(x >>> 8) & 255}.${x & 255}`;
const bl = new net.BlockList();
let t0 = process.hrtime.bigint();
for (let i = 0; i < nrules; i++) {
  const x = rnd(), kind = rnd() % 4;
  if (kind === 0) bl.addAddress(v4(x));
  else if (kind === 1) {
    const y = (x + rnd() % 1000) >>> 0;
    bl.addRange(v4(x), v4(y > x ? (x + rnd() % 1000) >>> 0 : x));
  } else if (kind === 2) bl.addSubnet(v4(x), 20 + rnd() % 13);
  else bl.addAddress(`2001:db8:${(x >>> 16).toString(16)}::${(x & 0xffff).toString(16)}`, 'ipv6');
}
const t1 = process.hrtime.bigint();
let hits = 0;
for (let i = 0; i < nchecks; i++) hits += bl.check(v4(rnd())) ? 1 : 0;
const t2 = process.hrtime.bigint();
console.log(`node: ${nrules} rules built in ${(Number(t1 - t0) / 1e6).toFixed(1)} ms; ` +
  `${nchecks} checks, ${hits} hits, ${(Number(t2 - t1) / nchecks).toFixed(0)} ns/check`);
