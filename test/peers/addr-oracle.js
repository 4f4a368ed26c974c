// Node's answers for lode's addressing tests. Prints one line per case:
// the input(s) in hex, then what Node answers. The C tests feed the same
// inputs to lode and compare. Usage: node addr-oracle.js <table> [seed]
'use strict';
const net = require('net');

let seed = Number(process.argv[3] || 1) >>> 0;
function rand(n) {  // xorshift32: the same table on every run
  seed ^= seed << 13; seed >>>= 0;
  seed ^= seed >>> 17;
  seed ^= seed << 5; seed >>>= 0;
  return seed % n;
}
const pick = (a) => a[rand(a.length)];
const hex = (s) => Buffer.from(s, 'utf8').toString('hex') || '-';
const out = [];
const emit = (...f) => out.push(f.join(' '));

const v4 = ['0.0.0.0', '1.2.3.4', '127.0.0.1', '255.255.255.255',
  '10.0.0.10', '192.168.1.1', '8.8.8.8'];
const v6 = ['::', '::1', '1::', 'fe80::1', '1:2:3:4:5:6:7:8', '::ffff:1.2.3.4',
  '2001:db8::ff00:42:8329', '1:2:3:4:5:6:1.2.3.4', 'abcd:ef01::',
  '::1.2.3.4', 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', '1:2::3:4',
  '1::2:3:4:5:6:7', 'fe80::a%eth0', '::ffff:7b7b:7b7b'];

function mutate(s) {
  const alpha = '0123456789abcdefABCDEFgxX:.%-/[] ';
  const i = rand(s.length + 1);
  switch (rand(4)) {
    case 0: return s.slice(0, i) + pick(alpha) + s.slice(i);
    case 1: return s.slice(0, i) + s.slice(i + 1);
    case 2: return s.slice(0, i) + pick(alpha) + s.slice(i + 1);
    default: return s + s.slice(i);
  }
}

function randomV6() {
  const groups = [];
  const n = 1 + rand(8);
  for (let i = 0; i < n; i++) groups.push(rand(0x10000).toString(16));
  const at = rand(n + 1);
  const text = rand(2) ? groups.slice(0, at).join(':') + '::' +
    groups.slice(at).join(':') : groups.join(':');
  return rand(4) === 0 ? text + ':' + pick(v4) : text;
}

function isipTable() {
  const hand = [
    '', ' ', '1', '1.2.3', '1.2.3.4.5', '127.000.000.001', '127.0.0.1/24',
    'fhqwhgads', '01.2.3.4', '1.02.3.4', '256.1.1.1', '1.1.1.256', '0.0.0.0',
    '00.0.0.0', '1.2.3.4 ', ' 1.2.3.4', '1.2.3.4\n', '1..3.4', '.1.2.3',
    '1.2.3.', '249.250.251.252', '199.200.201.255', '300.1.1.1', '1e1.1.1.1',
    '0x7f.0.0.1', ':', ':::', '::1', '1::', '1:::', '::1::', '1::2::3',
    '1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8:9', '1:2:3:4:5:6:7::',
    '1:2:3:4:5:6:7', '1:2:3:4:5:6::8', '1:2:3:4:5::7:8', '12345::',
    'ffff::', 'FFFF::', 'fffff::', 'g::', '::g', '1:2:3:4:5:6:1.2.3.4',
    '1:2:3:4:5:1.2.3.4', '1:2:3:4:5::1.2.3.4', '1:2:3:4::1.2.3.4',
    '1:2:3::1.2.3.4', '::1.2.3.4', ':1.2.3.4', '::ffff:1.2.3.4',
    '::ffff:01.2.3.4', '::ffff:1.2.3', '::ffff:256.2.3.4', '::1.2.3.4.5',
    '1:2:3:4:5:6:7:1.2.3.4', '1::2:3:4:5:6:1.2.3.4', 'fe80::1%eth0',
    'fe80::1%', 'fe80::1%%', 'fe80::1%a%b', 'fe80::1%a-b.c:d', 'fe80::1%a_b',
    'fe80::1%1', '::%1', '%1', '1.2.3.4%1', '::1 ', ' ::1', '[::1]',
    '::ffff:1.2.3.4%x', '0:0:0:0:0:0:0:0', '0::0', '::0:0:0:0:0:0:0',
    '::0:0:0:0:0:0', '0:0:0:0:0:0:0::', '0:0:0:0:0:0::', '1:2:3:4:5:6:7:8%z',
    '1::2:3:4:5:6:7', '1::2:3:4:5:6:7:8', 'a:b:c:d:e:f:0:1', '::a:b:c:d:e:f:0',
    'a::b:c:d:e:f:0', ':a:b:c:d:e:f:0:1', 'a:b:c:d:e:f:0:1:', '1:2',
    '1:2:3:4:5:6:7:8:', '::ffff:1.2.3.4:5', '::1.2.3.04', 'ABCD:EF01::',
    '2001:db8:85a3::8a2e:370:7334', '2001:0db8:85a3:0000:0000:8a2e:0370:7334',
    '::2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8.', '1.2.3.4:80', '1.2.3.4.',
    '\u0661.2.3.4', '1.2.3.\uff14', '::\u0661', 'fe80::1%\u00e9',
  ];
  const all = new Set(hand);
  for (const s of v4.concat(v6)) all.add(s);
  while (all.size < 1500) {
    let s = rand(3) === 0 ? pick(v4) : rand(2) ? pick(v6) : randomV6();
    const n = rand(3);
    for (let i = 0; i < n; i++) s = mutate(s);
    all.add(s);
  }
  for (const s of all)
    emit(hex(s), net.isIP(s), net.isIPv4(s) ? 1 : 0, net.isIPv6(s) ? 1 : 0);
}

// SocketAddress.parse as Node 22 writes it (Node 20 has no URL.parse).
function parse(input) {
  try {
    const { hostname: address, port } = new URL(`http://${input}`);
    if (address.startsWith('[') && address.endsWith(']')) {
      return new net.SocketAddress({ address: address.slice(1, -1),
        port: port | 0, family: 'ipv6' });
    }
    return new net.SocketAddress({ address, port: port | 0 });
  } catch {
    return undefined;
  }
}

function parseTable() {
  const hand = [
    '1.2.3.4:80', '1.2.3.4:81', '[::1]:443', '[::1]', '1.2.3.4', '::1',
    '123.1.2.3:1234', '[1::1]:1234', '', ':80', '1.2.3.4:', '1.2.3.4:65535',
    '1.2.3.4:65536', '1.2.3.4:0080', '1.2.3.4:-1', '1.2.3.4:8a', '0x7f.1',
    '0x7F.0.0.1:99', '2130706433', '017700000001', '127.1', '1.2.3.4.',
    '1.2.3.4..', '1.256.3.4', '1.2.65535', '1.2.65536', '4294967295',
    '4294967296', '0x', '0x.0x.0x.0x', '09.1.1.1', '1.2.3.4/path',
    '1.2.3.4?q', '1.2.3.4#f', 'user@1.2.3.4:81', 'u:p@1.2.3.4', '@1.2.3.4',
    '1.2.3.4@', 'a@b@1.2.3.4:82', '//1.2.3.4', '\\\\1.2.3.4', '1.2.3.4 ',
    ' 1.2.3.4', '1.2.\t3.4', '1.2.3.4\n', '%31.2.3.4', '1.2.3.%34:83',
    '1.2.3.%zz', 'example.com', 'localhost:80', 'EXAMPLE.COM:1',
    '[::ffff:1.2.3.4]:5', '[::ffff:102:304]', '[FE80::A]', '[fe80::1%25eth0]',
    '[::1', '::1]', '[::1]x', '[::1]:x', '[]', '[::1.2.3]', '[::01.2.3.4]',
    '[1:2:3:4:5:6:7:8]', '[1:2:3:4:5:6:7:8:9]', '[1::2::3]', '[::1]:0',
    '[0:0::0]:65535', '1.2.3.4:1:2', '[1.2.3.4]', '1.2.3.4]', 'a.b.c.1',
    '1.2.3.0x4', '1.2.3.08', '1.2.3.07', '0.0.0.0:1',
  ];
  const all = new Set(hand);
  const ports = ['', ':80', ':8080', ':0', ':65535', ':99999', ':x'];
  while (all.size < 600) {
    let s = rand(2) ? pick(v4) : '[' + (rand(2) ? pick(v6) : randomV6()) + ']';
    if (rand(3) === 0) s = mutate(s);
    all.add(s + pick(ports));
  }
  for (const s of all) {
    const sa = parse(s);
    emit(hex(s), sa ? `${sa.address} ${sa.port} ${sa.family}` : 'undefined');
  }
}


// BlockList: random lists over small address spaces (so rules overlap and
// checks hit), each followed by checks and by its rules. Lines:
//   new | add <kind> <hexA> <famA> <hexB|prefix> <famB> <result> |
//   check <hex> <fam> <0|1> | rules <n> then n lines "rule <hex text>"
function blockAddr(fam) {
  if (fam === 'ipv4') {
    return pick(['10.0.0.', '10.0.1.', '1.2.3.']) + rand(256);
  }
  switch (rand(4)) {
    case 0: return '::ffff:10.0.0.' + rand(256);
    case 1: return '2001:db8::' + rand(0x200).toString(16);
    case 2: return '::' + rand(0x200).toString(16);
    default: return pick(['::', '::1', 'ffff::', '::ffff:0:0', 'fe80::1%lo',
      '1.2.3.4', 'bogus', '::ffff:1.2.3.' + rand(256)]);
  }
}
const fams = ['ipv4', 'ipv6'];
const sa = (a, f) => new net.SocketAddress({ address: a, family: f });

function blockAdd(b) {
  const kind = pick(['address', 'range', 'subnet']);
  const fa = pick(fams);
  const fb = kind === 'range' && rand(4) === 0 ? pick(fams) : fa;
  const a = rand(20) === 0 ? pick(['1.2.3', '::g', '']) : blockAddr(fa);
  let b2 = kind === 'range' ? blockAddr(fb) : '-';
  if (kind === 'subnet') {
    b2 = fa === 'ipv4' ? rand(36) - 1 : pick([0, 8, 64, 96, 100, 104, 112,
      120, 125, 128, 129, -1, rand(129)]);
  }
  let res = 'ok';
  try {
    if (kind === 'address') b.addAddress(a, fa);
    else if (kind === 'subnet') b.addSubnet(a, b2, fa);
    else if (fa === fb) b.addRange(a, b2, fa);
    else b.addRange(sa(a, fa), sa(b2, fb));
  } catch (e) {
    res = e.code;
  }
  emit('add', kind, hex(a), fa, kind === 'range' ? hex(b2) : b2, fb, res);
}

function blockTable() {
  for (let list = 0; list < 60; list++) {
    const b = new net.BlockList();
    emit('new');
    const n = 1 + rand(12);
    for (let i = 0; i < n; i++) blockAdd(b);
    for (let i = 0; i < 40; i++) {
      const f = pick(fams);
      const a = blockAddr(f);
      emit('check', hex(a), f, b.check(a, f) ? 1 : 0);
    }
    const rules = b.rules;
    emit('rules', rules.length);
    for (const r of rules) emit('rule', hex(r));
  }
}

const tables = { isip: isipTable, parse: parseTable, blocklist: blockTable };
tables[process.argv[2]]();
process.stdout.write(out.join('\n') + '\nend\n');
