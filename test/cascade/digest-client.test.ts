import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';
import { DigestClient, readDigestChallenge } from '../../src/cascade/digest-client';
import { rewriteDeviceIds, expectsResult } from '../../src/cascade/control-forward';
import { backoffMs, grantedExpires } from '../../src/cascade/upper-link';
import { createResponse, createRequest } from '../../src/sip/message';
import { pick, randomInt, seededRandom } from '../helpers/random';

const md5 = (s: string): string => createHash('md5').update(s).digest('hex');

function params(value: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of value.matchAll(/([a-z]+)=(?:"([^"]*)"|([^,\s]+))/gi)) out.set(m[1]!.toLowerCase(), m[2] ?? m[3] ?? '');
  return out;
}

describe('digest client (our side of an upper platform challenge)', () => {
  test('answers a qop=auth challenge as RFC 2617 computes it, with nc counting up per nonce', () => {
    const read = readDigestChallenge('Digest realm="3501000000", nonce="abc123", qop="auth", algorithm=MD5, opaque="op"');
    assert.ok(read.ok);
    const client = new DigestClient('34020000002000000001', 'secret');
    const first = params(client.authorize(read.challenge, 'REGISTER', 'sip:35010000002000000001@127.0.0.1:5060')!);
    const second = params(client.authorize(read.challenge, 'REGISTER', 'sip:35010000002000000001@127.0.0.1:5060')!);
    assert.equal(first.get('nc'), '00000001');
    assert.equal(second.get('nc'), '00000002');
    assert.equal(first.get('opaque'), 'op');
    const ha1 = md5('34020000002000000001:3501000000:secret');
    const ha2 = md5('REGISTER:sip:35010000002000000001@127.0.0.1:5060');
    assert.equal(first.get('response'), md5(`${ha1}:abc123:00000001:${first.get('cnonce')}:auth:${ha2}`));
  });

  test('answers a challenge without qop RFC 2069 style (no nc, no cnonce)', () => {
    const read = readDigestChallenge('Digest realm="3501000000",nonce="n1"');
    assert.ok(read.ok);
    const value = new DigestClient('34020000002000000001', 'pw').authorize(read.challenge, 'REGISTER', 'sip:x@h')!;
    const p = params(value);
    assert.equal(p.has('nc'), false);
    assert.equal(p.has('cnonce'), false);
    assert.equal(p.get('response'), md5(`${md5('34020000002000000001:3501000000:pw')}:n1:${md5('REGISTER:sip:x@h')}`));
  });

  test('a qop list that includes auth is answered with auth; auth-int alone, other schemes and missing nonces are refused', () => {
    const list = readDigestChallenge('Digest realm="r", nonce="n", qop="auth-int,auth"');
    assert.ok(list.ok && list.challenge.qop === 'auth');
    assert.equal(readDigestChallenge('Digest realm="r", nonce="n", qop="auth-int"').ok, false);
    assert.equal(readDigestChallenge('Basic realm="r"').ok, false);
    assert.equal(readDigestChallenge('Digest realm="r"').ok, false);
    assert.equal(readDigestChallenge('Digest realm="r", nonce="n", algorithm=SHA-512').ok, false);
    assert.equal(readDigestChallenge(undefined).ok, false);
    const stale = readDigestChallenge('Digest realm="r", nonce="n", stale=TRUE');
    assert.ok(stale.ok && stale.challenge.stale);
  });

  test('fuzz: thousands of random and mutated challenges never throw and always give a typed result', () => {
    const rand = seededRandom(0xc45cade);
    const seeds = [
      'Digest realm="3501000000", nonce="abc", qop="auth", algorithm=MD5',
      'Digest realm=3501000000,nonce=abc,qop=auth',
      'digest REALM="x" , NONCE = "y", opaque="z", stale=false',
    ];
    const alphabet = ['"', ',', '=', ' ', '\\', 'a', 'Digest', 'qop', 'nonce', '\r\n ', '\u00ff', '\u0000'];
    const client = new DigestClient('34020000002000000001', 'pw');
    for (let i = 0; i < 5000; i++) {
      let text = pick(rand, seeds);
      const edits = randomInt(rand, 0, 6);
      for (let e = 0; e < edits; e++) {
        const at = randomInt(rand, 0, text.length);
        const op = randomInt(rand, 0, 2);
        if (op === 0) text = text.slice(0, at) + pick(rand, alphabet) + text.slice(at);
        else if (op === 1) text = text.slice(0, at) + text.slice(at + randomInt(rand, 1, 5));
        else text = text.slice(0, at);
      }
      const read = readDigestChallenge(text);
      assert.equal(typeof read.ok, 'boolean');
      if (read.ok) {
        assert.equal(typeof read.challenge.nonce, 'string');
        const value = client.authorize(read.challenge, 'REGISTER', 'sip:a@b');
        assert.ok(value === null || value.startsWith('Digest '));
      }
    }
  });
});

describe('control forwarding and link timing helpers', () => {
  test('only DeviceID elements naming the upper-side ID are rewritten; other IDs and vendor fields stay', () => {
    const text = '<Control>\n<DeviceID> 35010000001310000101 </DeviceID>\n<PTZCmd>A50F01</PTZCmd>\n<Info><DeviceID>99</DeviceID><X-Vendor>1</X-Vendor></Info>\n</Control>';
    const out = rewriteDeviceIds(text, '35010000001310000101', '34020000001310000001');
    assert.match(out, /<DeviceID>34020000001310000001<\/DeviceID>/);
    assert.match(out, /<DeviceID>99<\/DeviceID>/);
    assert.match(out, /<X-Vendor>1<\/X-Vendor>/);
    assert.equal(expectsResult(out), false);
    assert.equal(expectsResult('<Control><RecordCmd>Record</RecordCmd></Control>'), true);
  });

  test('fuzz: rewriting random text never throws and leaves text without the ID unchanged', () => {
    const rand = seededRandom(42);
    const parts = ['<DeviceID>', '</DeviceID>', '35010000001310000101', '<', '>', ' ', 'x', '\n', '</deviceid >'];
    for (let i = 0; i < 3000; i++) {
      let text = '';
      for (let n = randomInt(rand, 0, 12); n > 0; n--) text += pick(rand, parts);
      const out = rewriteDeviceIds(text, '35010000001310000101', '34020000001310000001');
      if (!text.includes('35010000001310000101')) assert.equal(out, text);
      assert.ok(!/<DeviceID>\s*35010000001310000101\s*<\/DeviceID>/i.test(out));
    }
  });

  test('retry delays double from the minimum up to the cap, with at most 20 % jitter', () => {
    for (let attempt = 1; attempt <= 12; attempt++) {
      const base = Math.min(8000, 500 * 2 ** (attempt - 1));
      const d = backoffMs(attempt, 500, 8000);
      assert.ok(d >= base && d <= Math.min(8000, base * 1.2) + 1, `attempt ${attempt}: ${d}`);
    }
  });

  test('the granted registration time is the Expires header, else the Contact expires, else what was asked, and never more than asked', () => {
    const request = createRequest({ method: 'REGISTER', uri: 'sip:a@b', headers: [['Via', 'SIP/2.0/UDP h;branch=z9hG4bK1'], ['Call-ID', 'c'], ['CSeq', '1 REGISTER'], ['From', '<sip:a@b>;tag=1'], ['To', '<sip:a@b>']] });
    assert.equal(grantedExpires(createResponse(request, 200, 'OK', { headers: [['Expires', '120']] }), 3600), 120);
    assert.equal(grantedExpires(createResponse(request, 200, 'OK', { headers: [['Contact', '<sip:a@h>;expires=90']] }), 3600), 90);
    assert.equal(grantedExpires(createResponse(request, 200, 'OK'), 3600), 3600);
    // More than asked (here past what a timer can hold) is cut to what was asked.
    assert.equal(grantedExpires(createResponse(request, 200, 'OK', { headers: [['Expires', '4294967295']] }), 3600), 3600);
    assert.equal(grantedExpires(createResponse(request, 200, 'OK', { headers: [['Contact', '<sip:a@h>;expires=99999999']] }), 600), 600);
  });
});
