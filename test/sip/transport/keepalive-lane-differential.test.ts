/**
 * The keepalive lane (native/sip-udp/src/keepalive.c) against the JavaScript stack it stands in
 * for: every datagram the lane answers must be one the stack would answer 200 as a keepalive of
 * the admitted device, with the same bytes (the tag aside). Real traces and common variants must
 * be answered by the lane; mutated, truncated and random datagrams must never crash it, and
 * whatever it is unsure of goes to JavaScript.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { isPlainKeepalive } from '../../../src/sip/manscdp';
import { createResponse, parseCSeq, parseSipMessage, serializeSipMessage } from '../../../src/sip/message';
import type { SipPeer } from '../../../src/sip/message/types';
import { senderId } from '../../../src/sip/device/registrar';
import { tagOf } from '../../../src/sip/transaction/header-params';
import { stampTopVia } from '../../../src/sip/transaction/via';
import { frameFixture, loadFixtures, seededRandom } from '../message/helpers';
import { DEVICE_ID, keepalive, LaneHarness, USER_AGENT, type Outcome } from './lane-harness';

/** What the JS stack answers to `datagram` from `peer` when it is a keepalive of DEVICE_ID; null otherwise. */
function stackAnswer(datagram: Buffer, peer: SipPeer, toTag: string): Buffer | null {
  const parsed = parseSipMessage(datagram);
  if (!parsed.ok || parsed.message.type !== 'request') return null;
  const request = parsed.message;
  if (request.method !== 'MESSAGE' || senderId(request) !== DEVICE_ID) return null;
  if (tagOf(request.headers.get('to')) !== undefined) return null; // in-dialog: not the router's
  if (!(request.headers.get('content-type') ?? '').toLowerCase().includes('manscdp')) return null;
  if (!isPlainKeepalive(request.body)) return null;
  if (stampTopVia(request.headers, peer) === null || request.headers.get('call-id') === undefined) return null;
  if (parseCSeq(request.headers.get('cseq') ?? '') === null) return null;
  return serializeSipMessage(createResponse(request, 200, 'OK', { toTag, headers: [['User-Agent', USER_AGENT]] }));
}

function answeredTag(bytes: Buffer): string {
  const m = /\r\nTo: [^\r]*;tag=(\d+)\r\n/.exec(bytes.toString('latin1'));
  assert.ok(m, 'the answer has a To tag');
  return m[1]!;
}

/** Header section and body of a message, so that mutations can keep Content-Length true. */
function split(datagram: Buffer): { head: string; body: Buffer } {
  const at = datagram.indexOf('\r\n\r\n');
  return { head: datagram.subarray(0, at).toString('latin1'), body: datagram.subarray(at + 4) };
}

function reframe(head: string, body: Buffer): Buffer {
  const fixed = head.replace(/^(Content-Length|l)[ \t]*:[^\r\n]*/im, (_m, name: string) => `${name}: ${body.length}`);
  return Buffer.concat([Buffer.from(`${fixed}\r\n\r\n`, 'latin1'), body]);
}

const dahua = loadFixtures().find((f) => f.name.endsWith('05_dev_MESSAGE_Keepalive.sip'));

/** Keepalives the lane is meant to take: the real trace and the layouts devices commonly use. */
function corpus(): Array<[string, Buffer]> {
  assert.ok(dahua, 'the Dahua keepalive trace');
  const std = keepalive();
  const { head, body } = split(std);
  const cases: Array<[string, Buffer]> = [
    ['Dahua dome trace', frameFixture(dahua)],
    ['usual layout', std],
    ['compact header names', reframe(head.replace(/^Via:/m, 'v:').replace(/^From:/m, 'f:').replace(/^To:/m, 't:').replace(/^Call-ID:/m, 'i:').replace(/^Content-Type:/m, 'c:').replace(/^Content-Length:/m, 'l:'), body)],
    ['no rport', keepalive({ via: 'SIP/2.0/UDP 192.168.6.71:5060;branch=z9hG4bK1' })],
    ['rport with a value', keepalive({ via: 'SIP/2.0/UDP 192.168.6.71:5060;rport=5060;branch=z9hG4bK1' })],
    ['sent-by is the source', keepalive({ via: 'SIP/2.0/UDP 127.0.0.1;rport;branch=z9hG4bK1' })],
    ['sent-by without port', keepalive({ via: 'SIP/2.0/UDP 192.168.6.71;branch=z9hG4bK1;rport' })],
    ['display name', keepalive({ from: `IPC <sip:${DEVICE_ID}@3402000000>;tag=5` })],
    ['bare From URI', keepalive({ from: `sip:${DEVICE_ID}@3402000000;tag=5` })],
    ['spaces around values', reframe(head.replace(/^Call-ID: (.*)$/m, 'Call-ID:    $1   ').replace(/^CSeq/m, 'CSeq '), body)],
    ['BOM, no declaration, CRLF body', keepalive({ body: `\ufeff<Notify>\r\n<CmdType>Keepalive</CmdType>\r\n<SN>7</SN>\r\n<DeviceID>${DEVICE_ID}</DeviceID>\r\n<Status>OK</Status>\r\n</Notify>\r\n`.replace('\ufeff', '\xef\xbb\xbf') })],
    ['lower-case tags, trailing NULs', keepalive({ body: `<?xml version="1.0" encoding="UTF-8"?><notify><cmdtype>keepalive</cmdtype><SN>1</SN><DeviceID>${DEVICE_ID}</DeviceID></notify>\0\0` })],
    ['NVR with faulty channels', keepalive({ body: `<?xml version="1.0" encoding="GB2312"?>\n<Notify>\n<CmdType>Keepalive</CmdType>\n<SN>2</SN>\n<DeviceID>${DEVICE_ID}</DeviceID>\n<Status>OK</Status>\n<Info>\n<DeviceID>34020000001310000001</DeviceID>\n</Info>\n</Notify>\n` })],
    ['other headers the lane ignores', keepalive({ extraHeaders: ['X-GB-Ver: 3.0', 'Expires: 0', 'Subject: x'] })],
  ];
  return cases;
}

const SPECIAL = [0x20, 0x09, 0x3b, 0x3a, 0x3c, 0x3e, 0x22, 0x2c, 0x0d, 0x0a, 0x00, 0xa0, 0xff, 0x40, 0x3d, 0x2f];

function mutate(base: Buffer, rand: () => number): Buffer {
  const pick = (n: number): number => Math.floor(rand() * n);
  let { head, body } = split(base);
  const edits = 1 + pick(3);
  for (let e = 0; e < edits; e++) {
    const inHead = rand() < 0.75;
    const bytes = inHead ? Buffer.from(head, 'latin1') : Buffer.from(body);
    if (bytes.length === 0) continue;
    const at = pick(bytes.length);
    const value = rand() < 0.6 ? SPECIAL[pick(SPECIAL.length)]! : pick(256);
    let out: Buffer;
    switch (pick(5)) {
      case 0:
        out = Buffer.from(bytes);
        out[at] = value;
        break;
      case 1:
        out = Buffer.concat([bytes.subarray(0, at), bytes.subarray(at + 1)]);
        break;
      case 2:
        out = Buffer.concat([bytes.subarray(0, at), Buffer.from([value]), bytes.subarray(at)]);
        break;
      case 3: {
        // Upper/lower-case one letter.
        out = Buffer.from(bytes);
        const c = out[at]!;
        if (c >= 0x41 && c <= 0x5a) out[at] = c + 32;
        else if (c >= 0x61 && c <= 0x7a) out[at] = c - 32;
        break;
      }
      default: {
        // Repeat a whole line.
        const text = bytes.toString('latin1');
        const lines = text.split('\r\n');
        const i = pick(lines.length);
        lines.splice(i, 0, lines[i]!);
        out = Buffer.from(lines.join('\r\n'), 'latin1');
      }
    }
    if (inHead) head = out.toString('latin1');
    else body = out;
  }
  // Mostly keep Content-Length true, or the lane (rightly) refuses nearly everything.
  return rand() < 0.8 ? reframe(head, body) : Buffer.concat([Buffer.from(`${head}\r\n\r\n`, 'latin1'), body]);
}

describe('keepalive lane against the JavaScript stack', () => {
  let h: LaneHarness;
  let peer: SipPeer;
  const counts = { answered: 0, forwarded: 0, nothing: 0 };

  before(async () => {
    h = await LaneHarness.open();
    peer = { transport: 'udp', address: '127.0.0.1', port: h.clientPort };
    h.admit(3_600_000);
  });
  after(async () => {
    console.log(`lane differential: ${JSON.stringify(counts)}`);
    await h.close();
  });

  async function check(name: string, datagram: Buffer): Promise<Outcome> {
    const outcome = await h.exchange(datagram, 300);
    counts[outcome.kind] += 1;
    if (outcome.kind === 'answered') {
      const expected = stackAnswer(datagram, peer, answeredTag(outcome.bytes));
      assert.ok(expected, `${name}: the lane answered what the stack would not take as a keepalive:\n${datagram.toString('latin1')}`);
      assert.equal(outcome.bytes.toString('latin1'), expected.toString('latin1'), `${name}: answers differ`);
    }
    return outcome;
  }

  test('answers the real trace and the common layouts exactly as the stack does', async () => {
    for (const [name, datagram] of corpus()) {
      const outcome = await check(name, datagram);
      assert.equal(outcome.kind, 'answered', `${name} is left to JavaScript`);
    }
  });

  test('5,000 mutated keepalives: whatever the lane answers, the stack answers the same', async () => {
    const rand = seededRandom(0x5eed);
    const bases = corpus().map(([, d]) => d);
    let answered = 0;
    for (let i = 0; i < 5000; i++) {
      const datagram = mutate(bases[i % bases.length]!, rand);
      if ((await check(`mutation ${i}`, datagram)).kind === 'answered') answered += 1;
    }
    // Many mutations keep a valid keepalive (a changed SN, a case change): the comparison has teeth.
    assert.ok(answered > 500, `only ${answered} mutations answered by the lane`);
  });

  test('every truncation of a keepalive goes to JavaScript; random bytes never crash the reader', async () => {
    const full = keepalive();
    for (let n = 0; n < full.length; n += 7) {
      const outcome = await check(`truncated to ${n}`, full.subarray(0, n));
      assert.notEqual(outcome.kind, 'answered', `truncated to ${n}`);
    }
    const rand = seededRandom(0xf00d);
    for (let i = 0; i < 1000; i++) {
      const bytes = Buffer.alloc(1 + Math.floor(rand() * 1500));
      for (let k = 0; k < bytes.length; k++) bytes[k] = Math.floor(rand() * 256);
      if (i % 2 === 0) Buffer.from('MESSAGE sip:').copy(bytes); // past the first check
      assert.notEqual((await check(`random ${i}`, bytes)).kind, 'answered');
    }
    // Still answering after all that.
    assert.equal((await check('after fuzzing', keepalive())).kind, 'answered');
  });
});
