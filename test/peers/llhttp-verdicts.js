// Verdicts of the llhttp inside Node for a batch of inputs, for lode's
// differential parser test and the fuzzer's judge (test/parser/verdict.h).
// The file holds records: 1 byte type ('q' request, 's' response, 'h'
// response to HEAD: its head is answered "skip the body"), 4 bytes lenient
// flags, 4 bytes maxHeaderSize (0: Node's default), 4 bytes length (all
// little-endian), then the bytes. Prints "<messages> <HPE name or OK>
// <offset>" per record, the offset being where an error stopped parsing
// (Node's bytesParsed; the input's length when there was none). Node
// reports CONNECT/Upgrade as a normal return: that is OK. A response's
// head is answered as Node's client answers it (and lode's parser when
// nobody answers): the body of a 1xx other than 101 is skipped.
'use strict';
const fs = require('fs');
const { HTTPParser } = require('_http_common');
const buf = fs.readFileSync(process.argv[2]);
const out = [];
for (let at = 0; at < buf.length;) {
  const type = buf[at] === 0x71 ? HTTPParser.REQUEST : HTTPParser.RESPONSE;
  const skipBody = buf[at] === 0x68 ? 1 : 0;
  const lenient = buf.readUInt32LE(at + 1);
  const maxHeaderSize = buf.readUInt32LE(at + 5);
  const len = buf.readUInt32LE(at + 9);
  const input = buf.subarray(at + 13, at + 13 + len);
  at += 13 + len;
  const p = new HTTPParser();
  let messages = 0;
  p[HTTPParser.kOnHeadersComplete] = (major, minor, headers, method, url,
                                      status) =>
    skipBody || (status >= 100 && status < 200 && status !== 101) ? 1 : 0;
  p[HTTPParser.kOnMessageComplete] = () => { messages++; };
  p[HTTPParser.kOnBody] = () => {};
  p[HTTPParser.kOnHeaders] = () => {};
  p.initialize(type, {}, maxHeaderSize, lenient);
  const r = p.execute(input);
  const failed = r instanceof Error;
  out.push(`${messages} ${failed ? r.code : 'OK'} ` +
           `${failed ? r.bytesParsed : input.length}`);
  p.close();
}
process.stdout.write(out.join('\n') + '\n');
