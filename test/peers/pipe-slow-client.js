// A client that reads slowly: GETs URL (argv[2]), checks the fixed byte
// pattern of pipe-origin.js's /big, and stops for a moment after every
// 4 MiB so that the proxy in between has to hold back. Prints
// "length N same true|false" at the end, and "rss?" lines are the test's.
'use strict';
const http = require('http');
const byteAt = (i) => (i * 7 + Math.floor(i / 4099)) & 0xff;
http.get(process.argv[2], (res) => {
  let got = 0;
  let same = true;
  let mark = 4 << 20;
  res.on('data', (d) => {
    for (let i = 0; i < d.length; i++) if (d[i] !== byteAt(got + i)) { same = false; break; }
    got += d.length;
    if (got >= mark) {
      mark += 4 << 20;
      res.pause();
      setTimeout(() => res.resume(), 20);
    }
  });
  res.on('end', () => console.log(`length ${got} same ${same}`));
}).on('error', (e) => { console.log(`error ${e.code}`); process.exit(1); });
