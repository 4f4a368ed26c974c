// Prints Node's event orders for the cases of test-http-client-destroy.c
// (same scripted server, same trace format), one "name: trace" a line.
// Not run by the tests: it is how their expectations were checked.
// Usage: node test/peers/client-orders.js
'use strict';
const http = require('http');
const path = require('path');
const { spawn } = require('child_process');

const boom = () => Object.assign(new Error('boom'), { code: 'ECANCELED' });
const cases = [
  // name, when (0 now, 1 socket, 2 first data, 3 end), how, keepAlive
  ['destroy_before_socket', 0, 'destroy', true],
  ['destroy_err_before_socket', 0, 'destroy(err)', true],
  ['destroy_on_socket', 1, 'destroy', true],
  ['destroy_err_on_socket', 1, 'destroy(err)', true],
  ['destroy_after_response', 2, 'destroy', true],
  ['destroy_err_after_response', 2, 'destroy(err)', true],
  ['abort_before_socket', 0, 'abort', true],
  ['abort_on_socket', 1, 'abort', true],
  ['abort_after_response', 2, 'abort', true],
  ['res_destroy_mid_body', 2, 'res.destroy', true],
  ['res_destroy_err_mid_body', 2, 'res.destroy(err)', true],
  ['destroy_err_after_end_keep_alive', 3, 'destroy(err)', true],
  ['destroy_err_after_end', 3, 'destroy(err)', false],
  ['abort_after_end', 3, 'abort', false],
];

function run(port, [, when, how, keepAlive]) {
  return new Promise((resolve) => {
    const t = [];
    const agent = new http.Agent({ keepAlive });
    const p = when === 2 ? '/hold' : when === 3 ? '/ok' : '/slow';
    const req = http.request({ host: '127.0.0.1', port, path: p, agent });
    const act = (res) => {
      if (how === 'abort') req.abort();
      else if (how === 'destroy') req.destroy();
      else if (how === 'destroy(err)') req.destroy(boom());
      else if (how === 'res.destroy') res.destroy();
      else res.destroy(boom());
    };
    req.on('socket', () => { t.push('socket'); if (when === 1) act(); });
    req.on('response', (res) => {
      t.push(`response(${res.statusCode})`);
      res.on('data', (c) => {
        t.push(`data(${c.length})`);
        if (when === 2) act(res);
      });
      res.on('end', () => { t.push('end'); if (when === 3) act(res); });
      res.on('aborted', () => t.push('aborted'));
      res.on('error', (e) => t.push(`res error(${e.code} ${e.message})`));
      res.on('close', () => t.push('res close'));
    });
    req.on('abort', () => t.push('abort'));
    req.on('error', (e) => t.push(`error(${e.code} ${e.message})`));
    req.on('close', () => t.push('close'));
    req.end();
    if (when === 0) act();
    setTimeout(() => { agent.destroy(); resolve(t.join(',')); }, 300);
  });
}

const peer = spawn('node', [path.join(__dirname, 'client-server.js')]);
peer.stdout.once('data', async (d) => {
  const port = +/:(\d+)/.exec(d.toString())[1];
  for (const c of cases) console.log(`${c[0]}: ${await run(port, c)}`);
  peer.kill();
});
