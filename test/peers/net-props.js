// Prints a socket's state properties at each step of a half-open
// exchange, one line per step: "tag rs pending connecting destroyed
// bytesRead bytesWritten bufferSize" (bufferSize '-' when undefined).
// test-net-props runs the same steps with lode and compares the lines.
const net = require('net');

function line(tag, s) {
  const bs = s.bufferSize === undefined ? '-' : s.bufferSize;
  console.log([tag, s.readyState, +s.pending, +s.connecting, +s.destroyed,
               s.bytesRead, s.bytesWritten, bs].join(' '));
}

line('fresh', new net.Socket());
const gone = new net.Socket();
gone.destroy();
line('fresh-destroyed', gone);

const srv = net.createServer({ allowHalfOpen: true }, (c) => {
  c.resume();
  c.on('end', () => c.end('bye'));
});
srv.listen(0, '127.0.0.1', () => {
  const s = net.connect({ port: srv.address().port, host: '127.0.0.1',
                          allowHalfOpen: true });
  line('connecting', s);
  s.on('connect', () => {
    line('connect', s);
    s.write('hello');
    line('write', s);
    s.end(() => line('finish', s));
    line('end-called', s);
  });
  s.resume();
  s.on('end', () => line('end', s));
  s.on('close', () => {
    line('close', s);
    srv.close();
  });
});
