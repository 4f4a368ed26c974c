// Node 20's event order for one case of test-http-client-destroy.c, which
// runs it to get its expectation. Usage:
//   node client-orders.js PORT CASE
// against test/peers/client-server.js on PORT; prints the trace in the
// test's format on one line. A case is WHEN-HOW-KA: WHEN now, socket,
// data (the first data), end, response (on 'response', the whole body
// come with the head) or responsehold (on 'response', the body not
// whole); HOW destroy, destroy(err), abort,
// res.destroy or res.destroy(err); KA 1 for a keep-alive agent, 0 not.
'use strict';
const http = require('http');

const [port, name] = [Number(process.argv[2]), process.argv[3]];
const [when, how, ka] = name.split('-');
const boom = () => Object.assign(new Error('boom'), { code: 'ECANCELED' });
const t = [];
const agent = new http.Agent({ keepAlive: ka === '1' });
const paths = { data: '/hold', end: '/ok', response: '/ok',
                responsehold: '/hold' };
const path = paths[when] || '/slow';
const req = http.request({ host: '127.0.0.1', port, path, agent });
let res = null;
let reqClosed = false;
let resClosed = false;

const act = () => {
  if (how === 'abort') req.abort();
  else if (how === 'destroy') req.destroy();
  else if (how === 'destroy(err)') req.destroy(boom());
  else if (how === 'res.destroy') res.destroy();
  else res.destroy(boom());
};

// Done once the request and its response (if any) have closed, and what
// those closes queued has run.
const maybeDone = () => {
  if (!reqClosed || (res !== null && !resClosed)) return;
  setImmediate(() => {
    agent.destroy();
    console.log(t.join(','));
  });
};

req.on('socket', () => { t.push('socket'); if (when === 'socket') act(); });
req.on('response', (r) => {
  res = r;
  t.push(`response(${res.statusCode})`);
  res.on('data', (c) => {
    t.push(`data(${c.length})`);
    if (when === 'data') act();
  });
  res.on('end', () => { t.push('end'); if (when === 'end') act(); });
  res.on('aborted', () => t.push('aborted'));
  res.on('error', (e) => t.push(`res error(${e.code} ${e.message})`));
  res.on('close', () => { t.push('res close'); resClosed = true; maybeDone(); });
  if (when.startsWith('response')) act();
});
req.on('abort', () => t.push('abort'));
req.on('error', (e) => t.push(`error(${e.code} ${e.message})`));
req.on('close', () => {
  t.push(`close(destroyed ${+req.destroyed} aborted ${+req.aborted})`);
  reqClosed = true;
  maybeDone();
});
req.end();
if (when === 'now') act();
