// nginx on loopback for lode's client tests: a config, a static tree and
// the server itself in a temporary directory, removed on exit. Prints
// "listening on 127.0.0.1:PORT" once nginx accepts connections, or
// "failed: WHY" (and exits 1) when nginx is not there or does not start:
// the project installs it, so its absence fails the tests.
//   /hello.txt       static, Content-Length (also for HEAD)
//   /big.txt         static, 300,000 bytes
//   /ssi/big.html    the same bytes through SSI: chunked
//   /dir/            autoindex: chunked
//   /empty           return 204
//   /post            return 201 (the request body is read and dropped)
// Keep-alive: 30 s, announced as "Keep-Alive: timeout=30"; a connection
// serves at most 5 requests (nginx then answers with Connection: close).
// With an argument CERTDIR it serves HTTPS (listen ... ssl) with
// CERTDIR/server.{crt,key}, TLS 1.2 and 1.3, session tickets and a
// session cache (so either kind of resumption works).
'use strict';
const fs = require('fs');
const net = require('net');
const os = require('os');
const path = require('path');
const { spawn, spawnSync } = require('child_process');

// LODE_NGINX names another binary (or a missing one, to see the failure).
const bin = (process.env.LODE_NGINX ? [process.env.LODE_NGINX]
  : ['/usr/sbin/nginx', '/usr/local/sbin/nginx', '/usr/bin/nginx'])
  .find((p) => fs.existsSync(p));
if (!bin || spawnSync(bin, ['-v']).status !== 0) {
  console.log('failed: nginx is not installed (scripts/deps.sh test installs it)');
  process.exit(1);
}

const certDir = process.argv[2];
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lode-nginx-'));
let child = null;
const cleanup = () => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
  fs.rmSync(dir, { recursive: true, force: true });
};
process.on('exit', cleanup);
for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP']) {
  process.on(sig, () => process.exit(0));
}

// The files: a body of 300,000 bytes that every test can rebuild (line i
// is 99 times the letter 'a' + i % 26, then a newline).
const www = path.join(dir, 'www');
fs.mkdirSync(path.join(www, 'dir'), { recursive: true });
fs.mkdirSync(path.join(www, 'ssi'));
fs.writeFileSync(path.join(www, 'hello.txt'), 'hello nginx\n');
let big = '';
for (let i = 0; i < 3000; i++) {
  big += String.fromCharCode(97 + (i % 26)).repeat(99) + '\n';
}
fs.writeFileSync(path.join(www, 'big.txt'), big);
fs.writeFileSync(path.join(www, 'ssi', 'big.html'),
                 '<!--# include file="/big.txt" -->');
for (const f of ['one', 'two', 'three']) {
  fs.writeFileSync(path.join(www, 'dir', f), f);
}

function config(port) {
  const t = (n) => `${n}_temp_path ${path.join(dir, n)};`;
  return `daemon off;
master_process off;
worker_processes 1;
pid ${path.join(dir, 'nginx.pid')};
error_log ${path.join(dir, 'error.log')} warn;
events { worker_connections 256; }
http {
  access_log off;
  ${['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map(t).join('\n  ')}
  keepalive_timeout 30 30;
  keepalive_requests 5;
  gzip off;
  types { text/plain txt; text/html html; }
  server {
    listen 127.0.0.1:${port}${certDir ? ' ssl' : ''};
    ${certDir ? `ssl_certificate ${path.join(certDir, 'server.crt')};
    ssl_certificate_key ${path.join(certDir, 'server.key')};
    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_session_cache shared:lode:1m;
    ssl_session_tickets on;` : ''}
    root ${www};
    location /dir/ { autoindex on; }
    location /ssi/ { ssi on; }
    location = /empty { return 204; }
    location = /post { return 201 "posted\\n"; }
  }
}
`;
}

// A free port, then nginx on it; tried again if another process takes
// the port in between.
function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

function waitUp(port, deadline) {
  return new Promise((resolve) => {
    const tryOnce = () => {
      if (child.exitCode !== null || Date.now() > deadline) return resolve(false);
      const c = net.connect(port, '127.0.0.1');
      c.on('connect', () => { c.destroy(); resolve(true); });
      c.on('error', () => setTimeout(tryOnce, 20));
    };
    tryOnce();
  });
}

(async () => {
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    const conf = path.join(dir, 'nginx.conf');
    fs.writeFileSync(conf, config(port));
    // When this script is killed (a failed test kills its peers with
    // SIGKILL), nginx goes with it: setpriv's parent-death signal.
    const args = ['-e', path.join(dir, 'error.log'), '-p', dir, '-c', conf];
    child = fs.existsSync('/usr/bin/setpriv')
      ? spawn('/usr/bin/setpriv', ['--pdeathsig', 'KILL', bin, ...args],
              { stdio: 'ignore' })
      : spawn(bin, args, { stdio: 'ignore' });
    if (await waitUp(port, Date.now() + 5000)) {
      console.log(`listening on 127.0.0.1:${port}`);
      child.on('exit', () => process.exit(1));
      return;
    }
    if (child.exitCode === null) child.kill('SIGKILL');
  }
  let log = '';
  try { log = fs.readFileSync(path.join(dir, 'error.log'), 'latin1'); } catch {}
  console.log(`failed: nginx does not start: ${log.split('\n')[0]}`);
  process.exit(1);
})();
