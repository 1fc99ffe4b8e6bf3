import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SipStreamFramer, type SipParseResult } from '../../../src/sip/message';
import { KEEPALIVE_TEXT, REGISTER_TEXT, frameFixture, loadFixtures, seededRandom } from './helpers';

const fixtures = loadFixtures();
/** Every trace framed, with CRLF pings between some of them. */
function stream(): { bytes: Buffer; count: number } {
  const parts: Buffer[] = [];
  fixtures.forEach((f, i) => {
    parts.push(frameFixture(f));
    if (i % 3 === 0) parts.push(Buffer.from('\r\n\r\n'));
  });
  return { bytes: Buffer.concat(parts), count: fixtures.length };
}

function callIds(results: SipParseResult[]): string[] {
  return results.map((r) => {
    assert.ok(r.ok, r.ok ? '' : r.error.message);
    return r.message.headers.get('call-id') ?? '';
  });
}

const expectedCallIds = fixtures.map((f) => (f.headerLines.find((l) => l.startsWith('Call-ID:')) ?? '').slice(8).trim());

void describe('SipStreamFramer', () => {
  void test('several messages in one chunk come out in order', () => {
    const { bytes, count } = stream();
    const results = new SipStreamFramer().push(bytes);
    assert.equal(results.length, count);
    assert.deepEqual(callIds(results), expectedCallIds);
  });

  void test('the whole stream pushed one byte at a time', () => {
    const { bytes } = stream();
    const framer = new SipStreamFramer();
    const results: SipParseResult[] = [];
    for (let i = 0; i < bytes.length; i++) results.push(...framer.push(bytes.subarray(i, i + 1)));
    assert.deepEqual(callIds(results), expectedCallIds);
    assert.equal(framer.bufferedBytes, 0);
    results.forEach((r, i) => assert.ok(r.ok && r.message.body.equals((fixtures[i] as (typeof fixtures)[number]).body)));
  });

  void test('the stream in random chunk sizes, many seeds', () => {
    const { bytes } = stream();
    for (let seed = 1; seed <= 30; seed++) {
      const rnd = seededRandom(seed);
      const framer = new SipStreamFramer();
      const results: SipParseResult[] = [];
      for (let i = 0; i < bytes.length; ) {
        const n = 1 + Math.floor(rnd() * (rnd() < 0.5 ? 40 : 3000));
        // copy so no chunk shares memory with the next: the framer must not rely on that
        results.push(...framer.push(Buffer.from(bytes.subarray(i, i + n))));
        i += n;
      }
      assert.deepEqual(callIds(results), expectedCallIds, `seed ${seed}`);
    }
  });

  void test('a message without Content-Length on a stream has an empty body', () => {
    const text = REGISTER_TEXT.replace('Content-Length: 0\r\n', '');
    const results = new SipStreamFramer().push(Buffer.from(text + KEEPALIVE_TEXT));
    assert.equal(results.length, 2);
    assert.ok(results[0]?.ok && results[0].message.body.length === 0);
    assert.ok(results[1]?.ok && results[1].message.type === 'request' && results[1].message.method === 'MESSAGE');
  });

  void test('compact l: and LF-only framing', () => {
    const lf = KEEPALIVE_TEXT.replace(/\r\n/g, '\n').replace('Content-Length:', 'l :');
    const results = new SipStreamFramer().push(Buffer.from(lf + lf));
    assert.equal(results.length, 2);
    assert.ok(results.every((r) => r.ok && r.message.body.length > 100));
  });

  void test('a bad message that still frames is reported and the stream goes on', () => {
    const bad = REGISTER_TEXT.replace('CSeq: 1 REGISTER\r\n', '');
    const results = new SipStreamFramer().push(Buffer.from(bad + REGISTER_TEXT));
    assert.equal(results.length, 2);
    assert.ok(!results[0]?.ok && results[0]?.error.code === 'missing-header');
    assert.ok(results[1]?.ok);
  });

  void test('CRLF pings alone produce nothing and leave nothing buffered', () => {
    const framer = new SipStreamFramer();
    assert.deepEqual(framer.push(Buffer.from('\r\n\r\n')), []);
    assert.deepEqual(framer.push(Buffer.from('\r')), []);
    assert.deepEqual(framer.push(Buffer.from('\n')), []);
    assert.equal(framer.bufferedBytes, 0);
  });

  void test('an oversized message breaks the framer, by declared length or by endless headers', () => {
    const declared = new SipStreamFramer({ maxMessageSize: 1000 });
    const r = declared.push(Buffer.from(KEEPALIVE_TEXT.replace(/Content-Length: \d+/, 'Content-Length: 5000')));
    assert.equal(r.length, 1);
    assert.ok(!r[0]?.ok && r[0]?.error.code === 'too-large');
    assert.equal(declared.broken, true);
    assert.deepEqual(declared.push(Buffer.from(REGISTER_TEXT)), []);

    const endless = new SipStreamFramer({ maxMessageSize: 1000 });
    let out: SipParseResult[] = [];
    for (let i = 0; i < 100 && !endless.broken; i++) out = endless.push(Buffer.from('X-Filler: 0123456789\r\n'.repeat(3)));
    assert.equal(endless.broken, true);
    assert.ok(!out[0]?.ok && out[0]?.error.code === 'too-large');
  });

  void test('an unreadable Content-Length on a stream breaks it', () => {
    const framer = new SipStreamFramer();
    const r = framer.push(Buffer.from(KEEPALIVE_TEXT.replace(/Content-Length: \d+/, 'Content-Length: -5')));
    assert.ok(!r[0]?.ok && r[0]?.error.code === 'bad-content-length');
    assert.equal(framer.broken, true);
  });

  void test('a 60 KB message in 1-byte chunks is framed in linear time', () => {
    // Thousands of short header lines: a framer that rescans from the start on every chunk walks
    // all of them again per byte (quadratic), one that copies its whole buffer per chunk too.
    const body = Buffer.alloc(20000, 0x61);
    const head = REGISTER_TEXT.replace('Content-Length: 0', `Content-Length: ${body.length}`).replace('Expires: 3600\r\n', 'X: y\r\n'.repeat(6500));
    const bytes = Buffer.concat([Buffer.from(head), body]);
    assert.ok(bytes.length > 55000 && bytes.length < 65535);
    const framer = new SipStreamFramer({ maxMessageSize: 65535 });
    const started = process.hrtime.bigint();
    const results: SipParseResult[] = [];
    for (let i = 0; i < bytes.length; i++) results.push(...framer.push(bytes.subarray(i, i + 1)));
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    assert.equal(results.length, 1);
    assert.ok(results[0]?.ok && results[0].message.body.equals(body));
    assert.ok(ms < 1500, `took ${ms} ms`);
  });

  void test('bodies handed out stay intact while the framer keeps receiving', () => {
    const framer = new SipStreamFramer();
    const one = Buffer.from(KEEPALIVE_TEXT);
    const bytes = Buffer.concat([one, Buffer.from(KEEPALIVE_TEXT.replace('<SN>539</SN>', '<SN>540</SN>'))]);
    // The first message is buffered, then one chunk ends it and starts the second.
    const cuts = [0, 100, one.length - 5, one.length + 10, bytes.length];
    const results: SipParseResult[] = [];
    for (let i = 1; i < cuts.length; i++) results.push(...framer.push(Buffer.from(bytes.subarray(cuts[i - 1], cuts[i]))));
    assert.equal(results.length, 2);
    assert.ok(results[0]?.ok && results[0].message.body.toString().includes('<SN>539</SN>'));
    assert.ok(results[1]?.ok && results[1].message.body.toString().includes('<SN>540</SN>'));
  });
});
