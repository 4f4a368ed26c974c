// The reference for test/core/test-core-pipe.c: the same pipes and
// pipelines on Node's streams, printing what each stream emits and what the
// far end of each pipe receives, one scenario per block.
//
// Topology (as in the C test): a connected pair per link. The test writes
// into `in` (the source's peer); `src` is piped into `dst`; `far` is the
// peer of `dst` and records what arrives. A pair side here is a Duplex
// whose writes are pushed to its peer, as lode's in-memory pair does.
'use strict';
const { Duplex, pipeline } = require('stream');

function pair() {
  const make = () => new Duplex({
    read() {},
    write(chunk, enc, cb) { this.peer.push(chunk); cb(); },
    final(cb) { this.peer.push(null); cb(); },
    // As lode's pair (and a socket): the peer of a destroyed side reads
    // the end of the stream.
    destroy(err, cb) {
      if (!this.peer.readableEnded && !this.peer.destroyed) this.peer.push(null);
      cb(err);
    },
  });
  const a = make(), b = make();
  a.peer = b;
  b.peer = a;
  return [a, b];
}

const out = [];
function trace(s) { out.push(s); }

function watch(name, s, opts = {}) {
  s.on('error', (e) => trace(`${name}:error(${e.code})`));
  if (opts.data) s.on('data', (d) => trace(`${name}:data(${d})`));
  s.on('end', () => trace(`${name}:end`));
  s.on('close', () => trace(`${name}:close`));
}

function reset() {
  const e = new Error('read ECONNRESET');
  e.code = 'ECONNRESET';
  return e;
}

// src piped into dst, 'one' written, then(link) at its arrival.
function flowOne(watchDst, then) {
  const [inp, src] = pair();
  const [dst, far] = pair();
  watch('src', src);
  if (watchDst) watch('dst', dst);
  watch('far', far, { data: true });
  src.pipe(dst);
  inp.write('one');
  far.once('data', () => then({ inp, src, dst, far }));
}

const scenarios = {
  basic(done) {
    const [inp, src] = pair();
    const [dst, far] = pair();
    dst.resume();
    watch('src', src);
    watch('far', far, { data: true });
    src.pipe(dst);
    inp.write('ab');
    inp.end('cd');
    far.on('end', () => { far.end(); inp.destroy(); setImmediate(done); });
  },
  end_false(done) {
    const [inp, src] = pair();
    const [dst, far] = pair();
    dst.resume();
    watch('src', src);
    watch('far', far, { data: true });
    src.pipe(dst, { end: false });
    inp.end('abc');
    src.on('end', () => setImmediate(() => {
      dst.end('tail');
      far.on('end', () => { far.end(); inp.end(); setImmediate(done); });
    }));
  },
  dest_error(done) {
    flowOne(true, ({ inp, src, dst }) => {
      dst.destroy(reset());
      inp.write('two');
      setTimeout(() => {
        trace(`src:paused(${src.isPaused()})`);
        inp.destroy();
        src.destroy();
        setImmediate(done);
      }, 20);
    });
  },
  src_reset(done) {
    flowOne(true, ({ inp, src, dst }) => {
      src.destroy(reset());
      setTimeout(() => {
        trace(`dst:ended(${dst.writableEnded})`);
        inp.destroy();
        dst.destroy();
        setImmediate(done);
      }, 20);
    });
  },
  unpipe(done) {
    flowOne(false, ({ inp, src, dst }) => {
      src.unpipe(dst);
      inp.write('two');
      setTimeout(() => {
        trace(`src:paused(${src.isPaused()})`);
        inp.destroy();
        src.destroy();
        dst.destroy();
        setImmediate(done);
      }, 20);
    });
  },
  two_destinations(done) {
    const [inp, src] = pair();
    const [d1, far] = pair();
    const [d2, c] = pair();
    d1.resume();
    d2.resume();
    watch('far', far, { data: true });
    watch('c', c, { data: true });
    src.pipe(d1);
    src.pipe(d2);
    inp.write('ab');
    inp.end('cd');
    let ends = 0;
    const onEnd = () => { if (++ends === 2) setImmediate(done); };
    far.on('end', onEnd);
    c.on('end', onEnd);
  },
  self(done) {
    const [a, c] = pair();
    watch('a', a, { data: true });
    watch('c', c);
    c.pipe(c);
    a.write('hello');
    a.end();
    a.on('close', () => setImmediate(done));
  },
  pipeline_ok(done) {
    const [inp, s0] = pair();
    const [s1, echo] = pair();
    const [s2, far] = pair();
    echo.pipe(echo);
    s2.resume();
    watch('far', far, { data: true });
    pipeline(s0, s1, s2, (err) => {
      trace(`cb(${err ? err.code : 0})`);
      far.end();
      setImmediate(done);
    });
    inp.write('ab');
    inp.end('cd');
  },
  pipeline_error(done) {
    const [inp, s0] = pair();
    const [s1, echo] = pair();
    const [s2, far] = pair();
    echo.pipe(echo);
    watch('s0', s0);
    watch('s1', s1);
    watch('s2', s2);
    watch('far', far, { data: true });
    pipeline(s0, s1, s2, (err) => {
      trace(`cb(${err ? err.code : 0})`);
      inp.destroy();
      echo.destroy();
      far.end();
      far.on('close', () => setImmediate(done));
    });
    inp.write('one');
    far.once('data', () => s1.destroy(reset()));
  },
  pipeline_premature(done) {
    const [inp, s0] = pair();
    const [s1, echo] = pair();
    const [s2, far] = pair();
    echo.pipe(echo);
    watch('s0', s0);
    watch('s2', s2);
    pipeline(s0, s1, s2, (err) => {
      trace(`cb(${err ? err.code : 0})`);
      inp.destroy();
      echo.destroy();
      far.destroy();
      setImmediate(done);
    });
    inp.write('one');
    far.once('data', () => s1.destroy());
  },
};

const only = process.argv[2];
const names = Object.keys(scenarios).filter((n) => !only || n === only);
(function next(i) {
  if (i === names.length) return;
  out.length = 0;
  scenarios[names[i]](() => {
    // Per stream, in order: the C test compares each stream's events.
    console.log(`${names[i]}: ${out.join(',')}`);
    next(i + 1);
  });
})(0);
