// Node's https client against an HTTPS server (lode's in the C tests).
//   node https-client.js PORT CAFILE
// Prints one line per step, in order:
//   GET /a: status, body
//   POST /echo with a body: status, the body echoed
//   keep-alive: two GETs through one keep-alive agent, whether the second
//     reused the first's connection
//   plain: a plain-text HTTP request to the port: the bytes it got back
//   after: one more GET, to show the server goes on
'use strict';
const https = require('https');
const net = require('net');
const fs = require('fs');
const [port, caFile] = process.argv.slice(2);
const base = { host: '127.0.0.1', port: Number(port), servername: 'localhost',
               ca: fs.readFileSync(caFile) };

function req(opts, body) {
  return new Promise((resolve, reject) => {
    const r = https.request({ ...base, ...opts }, (res) => {
      let b = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { b += d; });
      res.on('end', () => resolve({ res, body: b, reused: r.reusedSocket }));
    });
    r.on('error', reject);
    r.end(body);
  });
}

function plain() {
  return new Promise((resolve) => {
    const c = net.connect(Number(port), '127.0.0.1', () => {
      c.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    });
    let got = '';
    c.on('data', (d) => { got += d; });
    c.on('error', () => {});
    c.on('close', () => resolve(got));
  });
}

(async () => {
  let r = await req({ path: '/a', agent: false });
  console.log(`GET ${r.res.statusCode} ${r.body}`);
  r = await req({ path: '/echo', method: 'POST', agent: false }, 'hello body');
  console.log(`POST ${r.res.statusCode} ${r.body}`);
  const agent = new https.Agent({ keepAlive: true });
  const r1 = await req({ path: '/k1', agent });
  const r2 = await req({ path: '/k2', agent });
  console.log(`keep-alive ${r1.body} ${r2.body} reused=${r2.reused}`);
  agent.destroy();
  console.log(`plain ${JSON.stringify(await plain())}`);
  r = await req({ path: '/after', agent: false });
  console.log(`after ${r.res.statusCode} ${r.body}`);
})().catch((e) => { console.log(`error ${e.code} ${e.message}`); });
