// A Node net client for lode's servers: connects to 127.0.0.1:PORT
// (argv[2]), writes argv[3], ends, and prints its events in order; the
// exit status says whether the echo came back whole.
'use strict';
const net = require('net');
const port = Number(process.argv[2]);
const payload = process.argv[3] || 'ping';
const events = [];
let got = '';
const s = net.connect({ port, host: '127.0.0.1' });
s.setEncoding('utf8');
s.on('connect', () => { events.push('connect'); s.end(payload); });
s.on('ready', () => events.push('ready'));
s.on('data', (d) => { got += d; });
s.on('end', () => events.push('end:' + got));
s.on('error', (e) => events.push('error:' + e.code));
s.on('close', (hadError) => {
  events.push('close:' + hadError);
  console.log(events.join(','));
  process.exitCode = got === payload ? 0 : 1;
});
