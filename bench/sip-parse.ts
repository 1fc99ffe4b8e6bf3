// Parses and serializes a typical REGISTER and a Keepalive MESSAGE N times each and prints messages/s.
// Run: node --import tsx bench/sip-parse.ts [iterations]
import { parseSipMessage, serializeSipMessage, SipStreamFramer, type SipMessage } from '../src/sip/message';
import { KEEPALIVE_TEXT, REGISTER_TEXT } from '../test/sip/message/helpers';

// The same typical messages the parser tests use.
const REGISTER = Buffer.from(REGISTER_TEXT);
const KEEPALIVE = Buffer.from(KEEPALIVE_TEXT);

const iterations = Number(process.argv[2] ?? 200_000);

function time(label: string, n: number, fn: () => void): void {
  const started = process.hrtime.bigint();
  fn();
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  console.log(`${label.padEnd(28)} ${Math.round(n / seconds).toLocaleString('en-US').padStart(12)} messages/s  (${n} in ${seconds.toFixed(3)} s)`);
}

function parseOrDie(buf: Buffer): SipMessage {
  const r = parseSipMessage(buf);
  if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`);
  return r.message;
}

for (const [name, wire] of [['REGISTER', REGISTER], ['Keepalive MESSAGE', KEEPALIVE]] as const) {
  const message = parseOrDie(wire);
  for (let i = 0; i < 20_000; i++) {
    parseOrDie(wire);
    serializeSipMessage(message);
  }
  let sink = 0;
  time(`parse ${name}`, iterations, () => {
    for (let i = 0; i < iterations; i++) sink += parseOrDie(wire).body.length;
  });
  time(`serialize ${name}`, iterations, () => {
    for (let i = 0; i < iterations; i++) sink += serializeSipMessage(message).length;
  });
  time(`parse+serialize ${name}`, iterations, () => {
    for (let i = 0; i < iterations; i++) sink += serializeSipMessage(parseOrDie(wire)).length;
  });
  const stream = Buffer.concat(Array.from({ length: 100 }, () => wire));
  time(`TCP framer ${name}`, iterations, () => {
    const framer = new SipStreamFramer();
    for (let i = 0; i < iterations / 100; i++) sink += framer.push(stream).length;
  });
  if (sink === 0) console.log('unreachable');
}
