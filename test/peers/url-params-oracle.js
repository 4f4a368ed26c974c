// Prints, for each argument, what Node's URLSearchParams makes of it:
// size, toString() and toString() after sort(), tab-separated. toString
// percent-encodes every byte of every name and value but ASCII letters,
// digits and "*-._", so it shows the decoded pairs exactly.
'use strict';
for (const input of process.argv.slice(2)) {
  const p = new URLSearchParams(input);
  const s = p.toString();
  p.sort();
  console.log([p.size, s, p.toString()].join('\t'));
}
