// A Node http client for lode's server tests. Usage:
//   node http-client-keepalive.js PORT MODE
// MODE "keepalive": 5 sequential GETs over one keep-alive agent socket,
//   prints "status body reused" per request, then "done".
// MODE "slow": one GET whose body the client reads only after 300 ms of
//   pause, prints the byte count, then "done".
// MODE "expect": a POST with Expect: 100-continue that sends its body on
//   'continue', prints "continue" and the response body, then "done".
'use strict';
const http = require('http');
const [port, mode] = [Number(process.argv[2]), process.argv[3]];
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

function get(path) {
  return new Promise((resolve, reject) => {
    const req = http.get({ port, host: '127.0.0.1', path, agent }, (res) => {
      let body = '';
      res.setEncoding('latin1');
      res.on('data', (d) => { body += d; });
      res.on('end', () => resolve({ res, body, reused: req.reusedSocket }));
    });
    req.on('error', reject);
  });
}

async function main() {
  if (mode === 'keepalive') {
    for (let i = 0; i < 5; i++) {
      const { res, body, reused } = await get(`/n${i}`);
      console.log(`${res.statusCode} ${body} ${reused}`);
    }
  } else if (mode === 'slow') {
    await new Promise((resolve) => {
      http.get({ port, host: '127.0.0.1', path: '/big' }, (res) => {
        res.pause();
        let n = 0;
        setTimeout(() => {
          res.on('data', (d) => { n += d.length; });
          res.on('end', () => { console.log(n); resolve(); });
          res.resume();
        }, 300);
      });
    });
  } else if (mode === 'expect') {
    await new Promise((resolve) => {
      const req = http.request({ port, host: '127.0.0.1', method: 'POST',
        path: '/echo', headers: { Expect: '100-continue',
                                  'Content-Length': 5 } }, (res) => {
        let body = '';
        res.on('data', (d) => { body += d; });
        res.on('end', () => { console.log(body); resolve(); });
      });
      req.on('continue', () => { console.log('continue'); req.end('hello'); });
    });
  }
  agent.destroy();
  console.log('done');
}
main().catch((e) => { console.log('error ' + e.code); process.exit(1); });
