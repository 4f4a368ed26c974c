// Prints Node's http.METHODS (one line, comma-separated), then each of
// http.STATUS_CODES as "code text", then the verdicts of
// validateHeaderName/validateHeaderValue for the inputs given as JSON in
// argv[2] (pairs of [name, value]; value null means undefined).
'use strict';
const http = require('http');
console.log(http.METHODS.join(','));
for (const [code, text] of Object.entries(http.STATUS_CODES))
  console.log(`${code} ${text}`);
for (const [name, value] of JSON.parse(process.argv[2] || '[]')) {
  let n = 'ok', v = 'ok';
  try { http.validateHeaderName(name); } catch (e) { n = e.code; }
  try { http.validateHeaderValue(name, value === null ? undefined : value); }
  catch (e) { v = e.code; }
  console.log(`${n} ${v}`);
}
console.log(`maxHeaderSize ${http.maxHeaderSize}`);
