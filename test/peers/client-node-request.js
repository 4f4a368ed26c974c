// Makes a request with Node's http client to the echo server on PORT and
// prints the bytes the server received, base64. argv: port, case name.
'use strict';
const http = require('http');
const [port, name] = [+process.argv[2], process.argv[3]];
const cases = {
  post: () => {
    const r = http.request({ host: '127.0.0.1', port, method: 'post',
                             path: '/echo', headers: { 'X-A': '1' },
                             auth: 'u:p' });
    r.end('xyz');
    return r;
  },
  url: () => http.request(`http://us%20er:p%3Ass@127.0.0.1:${port}/echo?b#c`,
                          { agent: false }).end(),
  chunked: () => {
    const r = http.request({ host: '127.0.0.1', port, method: 'PUT',
                             path: '/echo' });
    r.write('abc');
    r.write('defg');
    r.end();
    return r;
  },
  get: () => http.get({ host: '127.0.0.1', port, path: '/echo',
                        headers: { cookie: ['a=1', 'b=2'], 'x-m': ['1', '2'] } }),
  unique: () => http.request({ host: '127.0.0.1', port, path: '/echo',
                               uniqueHeaders: ['x-u'],
                               headers: { 'x-u': ['a', 'b'] } }).end(),
  nohost: () => http.request({ host: '127.0.0.1', port, path: '/echo',
                               setHost: false }).end(),
};
const r = cases[name]();
r.on('response', (res) => {
  const parts = [];
  res.on('data', (d) => parts.push(d));
  res.on('end', () => {
    console.log(Buffer.concat(parts).toString('base64'));
    process.exit(0);
  });
});
