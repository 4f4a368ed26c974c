// Prints, for each argument, what Node's new URL() and urlToHttpOptions()
// make of it: "ok" and the fields, tab-separated, or "err" and the code.
// "--base B" makes the inputs after it new URL(input, B) (B "" for none).
'use strict';
const { urlToHttpOptions } = require('url');
const args = process.argv.slice(2);
let base;
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--base') {
    base = args[++i] || undefined;
    continue;
  }
  const input = args[i];
  let u;
  try {
    u = new URL(input, base);
  } catch (e) {
    console.log(`err\t${e.code}`);
    continue;
  }
  let o;
  try {
    o = urlToHttpOptions(u);
  } catch (e) {
    console.log(`err\t${e.name}`);
    continue;
  }
  const special = ['http:', 'https:', 'ws:', 'wss:', 'ftp:'].includes(u.protocol);
  if (!special) {
    console.log(`other\t${u.protocol}`);
    continue;
  }
  console.log(['ok', u.href, u.protocol, u.username, u.password, u.host,
               u.hostname, u.port, u.pathname, u.search, u.hash, o.path,
               o.hostname, o.auth === undefined ? '(none)' : o.auth,
               o.port === undefined ? -1 : o.port].join('\t'));
}
