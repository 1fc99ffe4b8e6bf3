import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { NonceIssuer, parseDigestHeader, verifyDigest } from '../../../src/sip/auth/digest';
import { pick, randomBelow, seededRandom as prng } from '../../helpers/random';

const SEEDS = [
  'Digest username="34020000001320000002", realm="34020000", nonce="1715926053", uri="sip:34020000002000000010@192.168.6.106:5062", response="fa983ee8abd2b6ff36b857c660b06f67", algorithm=MD5',
  'Digest realm="34020000",algorithm=MD5,nonce="1715926053"',
  'Digest username="a", realm="x \\"y\\"", nonce=abc, uri="sip:1@2", qop=auth, nc=00000001, cnonce="c", response="00"',
];
const PIECES = ['"', '\\', ',', '=', ' ', '\t', '\r\n ', 'Digest', 'qop', 'auth', '\u0000', '中', '""', '=,'];

function mutate(rand: () => number, s: string): string {
  let out = s;
  for (let r = 0; r < 1 + randomBelow(rand, 4); r++) {
    const at = randomBelow(rand, out.length + 1);
    switch (randomBelow(rand, 4)) {
      case 0:
        out = out.slice(0, at);
        break;
      case 1:
        out = out.slice(0, at) + pick(rand, PIECES) + out.slice(at);
        break;
      case 2:
        out = out.slice(0, at) + out.slice(at + randomBelow(rand, 20));
        break;
      default:
        out = out.slice(0, at) + String.fromCharCode(randomBelow(rand, 0x3000)) + out.slice(at);
    }
  }
  return out;
}

/**
 * The grammar written with regular expressions, as the parser was before it moved to char codes
 * (a storm parses two headers per registration): the oracle for the differential test below.
 */
function referenceParse(value: string): { scheme: string; params: Map<string, string> } | null {
  const s = value.replace(/\r?\n[ \t]+/g, ' ').trim();
  const scheme = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+/.exec(s)?.[0];
  if (scheme === undefined) return null;
  const params = new Map<string, string>();
  const pair = /([A-Za-z0-9!#$%&'*+.^_`|~-]+)[ \t]*=[ \t]*(?:"((?:[^"\\]|\\[\s\S])*)"|([^\s,"]*))[ \t]*(?:,[ \t]*)*/y;
  pair.lastIndex = scheme.length + (/^[ \t]*/.exec(s.slice(scheme.length))?.[0].length ?? 0);
  while (pair.lastIndex < s.length) {
    const m = pair.exec(s);
    if (m === null) return null;
    const key = (m[1] ?? '').toLowerCase();
    const v = m[2] !== undefined ? m[2].replace(/\\([\s\S])/g, '$1') : (m[3] ?? '');
    if (!params.has(key)) params.set(key, v);
  }
  return { scheme, params };
}

void describe('fuzzing digest header parsing', () => {
  void test('differential: 5,000 mutated headers parse exactly as the regular-expression grammar says', () => {
    const rand = prng(7616);
    let agreed = 0;
    for (let i = 0; i < 5000; i++) {
      const input = mutate(rand, pick(rand, SEEDS));
      const got = parseDigestHeader(input);
      const want = referenceParse(input);
      assert.deepEqual(got && { scheme: got.scheme, params: [...got.params] }, want && { scheme: want.scheme, params: [...want.params] }, JSON.stringify(input));
      if (got !== null) agreed++;
    }
    assert.ok(agreed > 1000, `parsed cases compared: ${agreed}`);
  });

  void test('5,000 mutated and random headers never throw; parsed ones have lower-case names', () => {
    const rand = prng(2617);
    let parsed = 0;
    for (let i = 0; i < 5000; i++) {
      const input =
        rand() < 0.2
          ? Array.from({ length: randomBelow(rand, 60) }, () => String.fromCharCode(randomBelow(rand, 128))).join('')
          : mutate(rand, pick(rand, SEEDS));
      const h = parseDigestHeader(input);
      if (h === null) continue;
      parsed++;
      assert.ok(h.scheme.length > 0, `case ${i}`);
      for (const k of h.params.keys()) assert.equal(k, k.toLowerCase(), `case ${i}`);
      assert.equal(typeof verifyDigest(h.params, 'REGISTER', 'pw'), 'boolean');
    }
    assert.ok(parsed > 500, `only ${parsed} parsed`);
  });

  void test('random nonces never check as valid', () => {
    const rand = prng(99);
    const issuer = new NonceIssuer(Buffer.alloc(32, 1), 60_000);
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    for (let i = 0; i < 2000; i++) {
      const nonce = Array.from({ length: rand() < 0.8 ? 38 : randomBelow(rand, 60) }, () => alphabet[randomBelow(rand, 64)]).join('');
      assert.equal(issuer.check(nonce), 'invalid');
    }
  });
});
