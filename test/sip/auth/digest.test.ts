import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { REAL_DEVICE_FIXTURES } from '../../helpers/paths';
import {
  computeDigestResponse,
  formatDigestChallenge,
  formatDigestCredentials,
  parseDigestHeader,
  verifyDigest,
} from '../../../src/sip/auth/digest';

const md5 = (s: string): string => createHash('md5').update(s).digest('hex');

function traceHeader(file: string, name: string): string {
  const text = readFileSync(`${REAL_DEVICE_FIXTURES}/dahua-dome/${file}`, 'utf8');
  const line = text.split('\n').find((l) => l.toLowerCase().startsWith(`${name.toLowerCase()}:`));
  assert.ok(line, `${name} in ${file}`);
  return line.slice(name.length + 1).trim();
}

void describe('digest responses', () => {
  void test('the RFC 2617 §3.5 example (Mufasa, qop=auth) computes to its published response', () => {
    const response = computeDigestResponse({
      username: 'Mufasa',
      realm: 'testrealm@host.com',
      password: 'Circle Of Life',
      method: 'GET',
      uri: '/dir/index.html',
      nonce: 'dcd98b7102dd2f0e8b11d0f600bfb0c093',
      qop: 'auth',
      nc: '00000001',
      cnonce: '0a4f113b',
    });
    assert.equal(response, '6629fae49393a05397450978507c4ef1');
  });

  void test('without qop (RFC 2069 style, as GB devices answer) the response is MD5(HA1:nonce:HA2)', () => {
    const input = {
      username: '34020000001320000002',
      realm: '3402000000',
      password: '12345678',
      method: 'REGISTER',
      uri: 'sip:34020000002000000010@3402000000',
      nonce: '1715926053',
    };
    const ha1 = md5(`${input.username}:${input.realm}:${input.password}`);
    const ha2 = md5(`${input.method}:${input.uri}`);
    assert.equal(computeDigestResponse(input), md5(`${ha1}:${input.nonce}:${ha2}`));
    assert.equal(computeDigestResponse({ ...input, algorithm: 'md5' }), md5(`${ha1}:${input.nonce}:${ha2}`));
  });

  void test('MD5-sess folds nonce and cnonce into HA1', () => {
    const base = { username: 'u', realm: 'r', password: 'p', method: 'REGISTER', uri: 'sip:x', nonce: 'n', cnonce: 'c' };
    const ha1 = md5(`${md5('u:r:p')}:n:c`);
    assert.equal(computeDigestResponse({ ...base, algorithm: 'MD5-sess' }), md5(`${ha1}:n:${md5('REGISTER:sip:x')}`));
    assert.equal(computeDigestResponse({ ...base, algorithm: 'MD5-sess', cnonce: '' }), null);
  });

  void test('unsupported algorithms and qop values, or qop=auth without nc/cnonce, give null', () => {
    const base = { username: 'u', realm: 'r', password: 'p', method: 'REGISTER', uri: 'sip:x', nonce: 'n' };
    assert.equal(computeDigestResponse({ ...base, algorithm: 'SHA-512' }), null);
    assert.equal(computeDigestResponse({ ...base, qop: 'auth-int', nc: '00000001', cnonce: 'c' }), null);
    assert.equal(computeDigestResponse({ ...base, qop: 'auth', cnonce: 'c' }), null);
    assert.equal(computeDigestResponse({ ...base, qop: 'auth', nc: '00000001' }), null);
    assert.match(computeDigestResponse({ ...base, algorithm: 'SHA-256' }) ?? '', /^[0-9a-f]{64}$/);
  });
});

void describe('verifying Authorization headers', () => {
  const password = 'secret-pass';

  function deviceAuthorization(opts: { qop?: boolean; realm?: string; uri?: string } = {}): string {
    const realm = opts.realm ?? '3402000000';
    const uri = opts.uri ?? 'sip:34020000002000000010@3402000000';
    const nonce = 'abc123';
    const base = { username: '34020000001320000002', realm, password, method: 'REGISTER', uri, nonce };
    const response = opts.qop
      ? computeDigestResponse({ ...base, qop: 'auth', nc: '00000001', cnonce: 'x9' })
      : computeDigestResponse(base);
    assert.ok(response);
    return formatDigestCredentials({
      username: base.username,
      realm,
      nonce,
      uri,
      response,
      algorithm: 'MD5',
      ...(opts.qop ? { qop: 'auth', nc: '00000001', cnonce: 'x9' } : {}),
    });
  }

  void test('a right answer verifies, with and without qop; an upper-case hex response too', () => {
    for (const qop of [false, true]) {
      const header = parseDigestHeader(deviceAuthorization({ qop }));
      assert.ok(header);
      assert.equal(verifyDigest(header.params, 'REGISTER', password), true, `qop=${qop}`);
      const upper = new Map(header.params);
      upper.set('response', (upper.get('response') ?? '').toUpperCase());
      assert.equal(verifyDigest(upper, 'REGISTER', password), true);
    }
  });

  void test('a wrong password, method, missing field or realm other than the expected one fails', () => {
    const header = parseDigestHeader(deviceAuthorization());
    assert.ok(header);
    assert.equal(verifyDigest(header.params, 'REGISTER', 'wrong'), false);
    assert.equal(verifyDigest(header.params, 'MESSAGE', password), false);
    assert.equal(verifyDigest(header.params, 'REGISTER', password, { realm: '3402000000' }), true);
    assert.equal(verifyDigest(header.params, 'REGISTER', password, { realm: '34020000' }), false);
    const params: ReadonlyMap<string, string> = header.params;
    for (const field of ['username', 'realm', 'nonce', 'uri', 'response']) {
      const partial = new Map(params);
      partial.delete(field);
      assert.equal(verifyDigest(partial, 'REGISTER', password), false, field);
    }
    const short = new Map(header.params);
    short.set('response', 'abc');
    assert.equal(verifyDigest(short, 'REGISTER', password), false);
  });
});

void describe('digest header text', () => {
  void test("the Dahua dome's Authorization line parses (its response cannot be checked: the password is unknown)", () => {
    const header = parseDigestHeader(traceHeader('03_dev_REGISTER_withauth.sip', 'Authorization'));
    assert.ok(header);
    assert.equal(header.scheme, 'Digest');
    assert.deepEqual(Object.fromEntries(header.params), {
      username: '34020000001320000002',
      realm: '34020000',
      nonce: '1715926053',
      uri: 'sip:34020000002000000010@192.168.6.106:5062',
      response: 'fa983ee8abd2b6ff36b857c660b06f67',
      algorithm: 'MD5',
    });
    assert.equal(verifyDigest(header.params, 'REGISTER', 'not-the-password'), false);
  });

  void test("the trace platform's challenge without spaces or qop parses", () => {
    const header = parseDigestHeader(traceHeader('02_plat_401_REGISTER.sip', 'WWW-Authenticate'));
    assert.ok(header);
    assert.equal(header.params.get('realm'), '34020000');
    assert.equal(header.params.get('algorithm'), 'MD5');
    assert.equal(header.params.get('nonce'), '1715926053');
    assert.equal(header.params.has('qop'), false);
  });

  void test('quoted commas, escaped quotes, spaces around =, upper-case names and bare spaces between params parse', () => {
    const header = parseDigestHeader(
      'digest  USERNAME = "a,b" ,realm="x \\"y\\" z",nonce=abc  uri="sip:1@2;transport=udp" qop=auth,,nc=00000001',
    );
    assert.ok(header);
    assert.equal(header.scheme, 'digest');
    assert.equal(header.params.get('username'), 'a,b');
    assert.equal(header.params.get('realm'), 'x "y" z');
    assert.equal(header.params.get('nonce'), 'abc');
    assert.equal(header.params.get('uri'), 'sip:1@2;transport=udp');
    assert.equal(header.params.get('qop'), 'auth');
    assert.equal(header.params.get('nc'), '00000001');
  });

  void test('the first of a repeated parameter wins', () => {
    assert.equal(parseDigestHeader('Digest nonce="a", nonce="b"')?.params.get('nonce'), 'a');
  });

  void test('malformed values give null', () => {
    for (const bad of ['', '   ', '"Digest"', 'Digest realm', 'Digest realm="open', 'Digest =x', 'Digest realm="a" "b"', 'Digest a=b, ,=c']) {
      assert.equal(parseDigestHeader(bad), null, JSON.stringify(bad));
    }
    assert.equal(parseDigestHeader(`Digest realm="${'x'.repeat(9000)}"`), null);
    assert.equal(parseDigestHeader(42 as unknown as string), null);
    assert.deepEqual(parseDigestHeader('Digest')?.params.size, 0);
  });

  void test('our challenge is what devices expect and parses back', () => {
    const value = formatDigestChallenge({ realm: '3402000000', nonce: 'n0nce', algorithm: 'MD5' });
    assert.equal(value, 'Digest realm="3402000000", nonce="n0nce", algorithm=MD5');
    const full = formatDigestChallenge({ realm: 'r"q', nonce: 'n', qop: 'auth', algorithm: 'MD5', opaque: 'op', stale: true });
    assert.equal(full, 'Digest realm="r\\"q", nonce="n", opaque="op", algorithm=MD5, qop="auth", stale=TRUE');
    const parsed = parseDigestHeader(full);
    assert.equal(parsed?.params.get('realm'), 'r"q');
    assert.equal(parsed?.params.get('stale'), 'TRUE');
  });
});
