import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSipMessage, SipStreamFramer, type SipParseResult, type SipParseErrorCode } from '../../../src/sip/message';
import { KEEPALIVE_TEXT, REGISTER_TEXT, frameFixture, loadFixtures, seededRandom } from './helpers';

const CODES: ReadonlySet<SipParseErrorCode> = new Set(['empty', 'bad-start-line', 'bad-header', 'missing-header', 'bad-content-length', 'truncated', 'too-large']);

/** A result of the documented shape, whatever the input. */
function assertSane(result: SipParseResult, input: Buffer): void {
  if (result.ok) {
    const m = result.message;
    assert.ok(m.type === 'request' || m.type === 'response');
    if (m.type === 'request') assert.ok(m.method.length > 0 && m.uri.length > 0);
    else assert.ok(m.status >= 100 && m.status <= 699);
    assert.ok(Buffer.isBuffer(m.body) && m.body.length <= input.length);
    for (const name of ['via', 'from', 'to', 'call-id', 'cseq']) assert.ok(m.headers.has(name));
  } else {
    assert.ok(CODES.has(result.error.code), result.error.code);
    assert.equal(typeof result.error.message, 'string');
    if (result.error.partial) assert.ok(typeof result.error.partial.headers.get === 'function');
  }
}

const seeds = [
  Buffer.from(REGISTER_TEXT),
  Buffer.from(KEEPALIVE_TEXT),
  ...loadFixtures().map((f) => frameFixture(f)),
];
const ALPHABET = Buffer.from('\r\n\r\n :;,<>"@=\t/SIP2.0RGEVMa1z9\\\u007f\u0000\u00ff');

function mutate(src: Buffer, rnd: () => number): Buffer {
  const out = Buffer.from(src);
  const edits = 1 + Math.floor(rnd() * 8);
  let buf = out;
  for (let e = 0; e < edits; e++) {
    const at = Math.floor(rnd() * buf.length);
    const kind = rnd();
    if (kind < 0.4) {
      buf[at] = rnd() < 0.5 ? Math.floor(rnd() * 256) : (ALPHABET[Math.floor(rnd() * ALPHABET.length)] as number);
    } else if (kind < 0.6) {
      buf = Buffer.concat([buf.subarray(0, at), buf.subarray(at + 1 + Math.floor(rnd() * 20))]);
    } else if (kind < 0.8) {
      const insert = Buffer.from(Array.from({ length: 1 + Math.floor(rnd() * 10) }, () => ALPHABET[Math.floor(rnd() * ALPHABET.length)] as number));
      buf = Buffer.concat([buf.subarray(0, at), insert, buf.subarray(at)]);
    } else {
      buf = buf.subarray(0, at);
    }
  }
  return buf;
}

void describe('fuzz (seeded, reproducible)', () => {
  void test('5,000 random byte strings never throw and give a valid result', () => {
    const rnd = seededRandom(0x5eed);
    for (let i = 0; i < 5000; i++) {
      const len = Math.floor(rnd() * 600);
      const buf = Buffer.alloc(len);
      const textish = rnd() < 0.5;
      for (let j = 0; j < len; j++) {
        buf[j] = textish ? (ALPHABET[Math.floor(rnd() * ALPHABET.length)] as number) : Math.floor(rnd() * 256);
      }
      const input = rnd() < 0.3 ? Buffer.concat([Buffer.from('MESSAGE sip:a@b SIP/2.0\r\n'), buf]) : buf;
      assertSane(parseSipMessage(input), input);
    }
  });

  void test('5,000 mutated real messages never throw and give a valid result', () => {
    const rnd = seededRandom(20240517);
    let ok = 0;
    for (let i = 0; i < 5000; i++) {
      const input = mutate(seeds[i % seeds.length] as Buffer, rnd);
      const result = parseSipMessage(input);
      assertSane(result, input);
      if (result.ok) ok++;
    }
    // Mutations that leave a message valid exist; a parser rejecting everything would be broken too.
    assert.ok(ok > 200, `${ok} mutated messages still parsed`);
  });

  void test('every trace truncated at every byte offset never throws', () => {
    for (const full of seeds) {
      for (let n = 0; n < full.length; n++) {
        const input = full.subarray(0, n);
        const result = parseSipMessage(input);
        assertSane(result, input);
      }
    }
  });

  void test('the framer survives 2,000 mutated streams in random chunks', () => {
    const rnd = seededRandom(77);
    for (let i = 0; i < 2000; i++) {
      const stream = Buffer.concat([mutate(seeds[i % seeds.length] as Buffer, rnd), seeds[(i + 1) % seeds.length] as Buffer]);
      const framer = new SipStreamFramer({ maxMessageSize: 4096 });
      for (let p = 0; p < stream.length && !framer.broken; ) {
        const n = 1 + Math.floor(rnd() * 200);
        const chunk = stream.subarray(p, p + n);
        for (const r of framer.push(chunk)) assertSane(r, stream);
        p += n;
      }
    }
  });
});
