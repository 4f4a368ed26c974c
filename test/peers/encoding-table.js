// Prints Node's answers for lode's encoding tests, one per line:
//   to <enc> <bytes-hex> <text-hex>       buf.toString(enc)
//   from <enc> <text-hex> <bytes-hex>     Buffer.from(text, enc), where the
//                                         text is the utf8 reading of the
//                                         given bytes
//   dec <enc> <bytes-hex> <cuts> <out-hex>|<out-hex>|...
//                                         StringDecoder over the chunks cut
//                                         at <cuts> (comma list, "-" none);
//                                         each write's and end()'s text
//   name <name> <canonical or ->          Buffer.isEncoding / normalisation
'use strict';
const { StringDecoder } = require('string_decoder');

const encodings = ['utf8', 'latin1', 'ascii', 'hex', 'base64', 'base64url',
                   'utf16le'];
const hex = (b) => Buffer.from(b).toString('hex') || '-';
const textHex = (s) => hex(Buffer.from(s, 'utf8'));

const bytes = [
  [], [0x41], [0x00, 0x7f, 0x80, 0xff], [0xc3, 0xa9], [0xe2, 0x82, 0xac],
  [0xf0, 0x9f, 0x98, 0x80], [0xed, 0xa0, 0x80], [0xed, 0x9f, 0xbf],
  [0xf4, 0x90, 0x80, 0x80], [0xf4, 0x8f, 0xbf, 0xbf], [0xe0, 0x80],
  [0xe0, 0xa0, 0x80], [0xc0, 0x80], [0xc1, 0xbf], [0xc2], [0xf0, 0x9f, 0x41],
  [0xf0, 0x9f, 0x98], [0xf5, 0x80, 0x80, 0x80], [0xfe, 0xff],
  [0x80, 0x80, 0x80, 0x80, 0x80], [0xe2, 0x82, 0xe2, 0x82, 0xac],
  [0x3d, 0xd8, 0x00, 0xde], [0x3d, 0xd8, 0x41, 0x00], [0x00, 0xde, 0x3d, 0xd8],
  [0x41, 0x00, 0x42], [0x3d, 0xd8, 0x3d, 0xd8, 0x00, 0xde],
  [0xfb, 0xff], [0xfb, 0xff, 0xbf], [0x01, 0x02, 0x03, 0x04],
  [0xef, 0xbf, 0xbd], [0xef, 0xbb, 0xbf, 0x68, 0x69],
  [...Buffer.from('hello, w\u00f6rld \u20ac \u{1f600}!')],
  [...Buffer.from('0123456789abcdefghijklmnopqrstuvwxyz')],
];

// Texts given to Buffer.from, as the raw bytes lode receives.
const texts = [
  '', 'hello', 'caf\u00e9', '\u0141\u00e9A', '\u{1f600}x', '\u20ac',
  '00ff7F', 'abc', '12zz34', 'zz', 'a\u0141', '\u0141a', '0g', 'aG',
  'QUJD', 'QUI=', 'QQ==', 'QQ', 'Q', 'QUJDR', 'Q Q\nQ', 'QQ=QQ', '-_-_',
  '+/+/', 'QU\u0142=', 'QUJD\u{1f600}QUJD', 'QUJ\u00e9D', ' \t\r\nQUJD ',
  '=QUJD', 'QUJDRA==RA', 'SGVsbG8sIHdvcmxk', 'SGVsbG8sIHdvcmxk\n',
].map((t) => [...Buffer.from(t, 'utf8')]).concat([
  [0xff, 0x41], [0xed, 0xa0, 0x80, 0x41], [0xc3], [0xf0, 0x9f, 0x98],
  [0x41, 0xc3, 0x42],
]);

for (const enc of encodings) {
  for (const b of bytes)
    console.log(`to ${enc} ${hex(b)} ${textHex(Buffer.from(b).toString(enc))}`);
  for (const t of texts) {
    const s = Buffer.from(t).toString('utf8');
    console.log(`from ${enc} ${hex(t)} ${hex(Buffer.from(s, enc))}`);
  }
}

// Every way to cut each input in two and in three, and byte by byte.
function cutsOf(n) {
  const all = [[]];
  for (let i = 1; i < n; i++) all.push([i]);
  for (let i = 1; i < n; i++)
    for (let j = i + 1; j < n; j++) all.push([i, j]);
  if (n > 3) all.push(Array.from({ length: n - 1 }, (_, i) => i + 1));
  return all;
}

// Seeded pseudo-random inputs from bytes that matter to the decoders
// (ASCII, continuation bytes, lead bytes, surrogate halves, base64 edges).
let seed = 12345;
const rand = (n) => {
  seed = (seed * 1103515245 + 12345) % 2147483648;
  return seed % n;
};
const alphabet = [0x41, 0x00, 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0,
                  0xc2, 0xdf, 0xe0, 0xe2, 0xed, 0xef, 0xf0, 0xf4, 0xf5, 0xff,
                  0xd8, 0xdc, 0x3d, 0xde];
const randomInputs = [];
for (let i = 0; i < 150; i++)
  randomInputs.push(Array.from({ length: 1 + rand(10) },
                               () => alphabet[rand(alphabet.length)]));
for (const enc of encodings) {
  for (const b of randomInputs) {
    console.log(`to ${enc} ${hex(b)} ${textHex(Buffer.from(b).toString(enc))}`);
    const s = Buffer.from(b).toString('utf8');
    console.log(`from ${enc} ${hex(b)} ${hex(Buffer.from(s, enc))}`);
  }
}

const decInputs = bytes.filter((b) => b.length <= 12).concat(randomInputs, [
  [...Buffer.from('a\u20acb\u{1f600}c')],
  [0x41, 0xc3, 0xe2, 0x82, 0xf0, 0x9f, 0x98, 0x80, 0x42],
  [0x3d, 0xd8, 0x00, 0xde, 0x3d, 0xd8, 0x3d, 0xd8, 0x00, 0xde, 0x41],
]);
for (const enc of encodings) {
  for (const b of decInputs) {
    for (const cuts of cutsOf(b.length)) {
      const d = new StringDecoder(enc);
      const outs = [];
      let from = 0;
      for (const c of cuts.concat([b.length])) {
        outs.push(textHex(d.write(Buffer.from(b.slice(from, c)))));
        from = c;
      }
      outs.push(textHex(d.end()));
      console.log(`dec ${enc} ${hex(b)} ${cuts.join(',') || '-'} ` +
                  outs.join('|'));
    }
  }
}

const names = ['utf8', 'UTF8', 'utf-8', 'Utf-8', 'hex', 'HEX', 'base64',
               'base64url', 'BASE64URL', 'ascii', 'latin1', 'binary',
               'BINARY', 'ucs2', 'UCS-2', 'utf16le', 'utf-16le', 'UTF-16LE',
               'buffer', 'utf16', 'utf-16', 'utf32', 'latin-1', 'base-64',
               '', 'utf8 ', 'raw'];
for (const n of names) {
  const ok = Buffer.isEncoding(n);
  const canon = ok ? new StringDecoder(n).encoding : '-';
  console.log(`name ${hex(Buffer.from(n))} ${canon}`);
}
console.log('done');
