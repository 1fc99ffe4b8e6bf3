import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readCommand } from './bodies';
import { buildAuthorization, parseChallenge } from './digest';
import { ByteFramer } from './framing';
import { channelIdFor, deviceIdFor } from './ids';
import { seededRandom as prng } from '../helpers/random';


const MESSAGES = [
  'MESSAGE sip:a@b SIP/2.0\r\nVia: SIP/2.0/TCP h;branch=z9hG4bK1\r\nContent-Length: 5\r\n\r\nhello',
  'SIP/2.0 200 OK\r\nl:   0\r\n\r\n',
  'MESSAGE sip:a@b SIP/2.0\nContent-Length: 3\n\nabc',
  'SIP/2.0 401 Unauthorized\r\nCONTENT-LENGTH:0\r\n\r\n',
].map((m) => Buffer.from(m));

describe('simulator TCP framing', () => {
  test('messages cut at random chunk boundaries come out whole and in order', () => {
    const rand = prng(2811);
    for (let round = 0; round < 500; round++) {
      const picked = Array.from({ length: 1 + Math.floor(rand() * 6) }, () => MESSAGES[Math.floor(rand() * MESSAGES.length)]!);
      const stream = Buffer.concat(picked.flatMap((m) => (rand() < 0.3 ? [Buffer.from('\r\n\r\n'), m] : [m])));
      const framer = new ByteFramer();
      const out: Buffer[] = [];
      for (let at = 0; at < stream.length; ) {
        const size = 1 + Math.floor(rand() * 40);
        out.push(...framer.push(stream.subarray(at, at + size)));
        at += size;
      }
      assert.deepEqual(out.map((b) => b.toString()), picked.map((b) => b.toString()), `round ${round}`);
    }
  });

  test('random and truncated bytes never throw and never yield more than was given', () => {
    const rand = prng(7);
    for (let round = 0; round < 3000; round++) {
      const framer = new ByteFramer();
      const base = MESSAGES[round % MESSAGES.length]!;
      const mutated = Buffer.from(base.subarray(0, Math.floor(rand() * (base.length + 1))));
      for (let i = 0; i < mutated.length; i++) if (rand() < 0.05) mutated[i] = Math.floor(rand() * 256);
      const out = framer.push(mutated);
      assert.ok(out.reduce((n, b) => n + b.length, 0) <= mutated.length);
    }
  });

  test('a head without Content-Length marks the stream broken instead of guessing', () => {
    const framer = new ByteFramer();
    assert.deepEqual(framer.push(Buffer.from('OPTIONS sip:a@b SIP/2.0\r\nVia: x\r\n\r\n')), []);
    assert.equal(framer.broken, true);
  });
});

describe('simulator digest and MANSCDP readers', () => {
  test('challenges parse with quoted, bare and odd-case parameters', () => {
    assert.deepEqual(parseChallenge('Digest realm="34020000",algorithm=MD5,nonce="1715926053"'), {
      realm: '34020000',
      nonce: '1715926053',
      qop: [],
      algorithm: 'MD5',
    });
    const c = parseChallenge('DIGEST Realm=3402000000, NONCE="n,1", QOP="auth,auth-int", opaque="o"');
    assert.deepEqual(c?.qop, ['auth', 'auth-int']);
    assert.equal(c?.nonce, 'n,1');
    assert.equal(c?.opaque, 'o');
    assert.equal(parseChallenge('Basic realm="x"'), undefined);
    assert.equal(parseChallenge('Digest realm="x"'), undefined);
  });

  test('the qop response matches the RFC 2617 example computation', () => {
    // RFC 2617 section 3.5 example (HTTP GET), reused because its answer is published.
    const value = buildAuthorization({
      challenge: { realm: 'testrealm@host.com', nonce: 'dcd98b7102dd2f0e8b11d0f600bfb0c093', qop: ['auth'] },
      username: 'Mufasa',
      password: 'Circle Of Life',
      method: 'GET',
      uri: '/dir/index.html',
      nc: 1,
      noQop: false,
      cnonce: '0a4f113b',
    });
    assert.match(value, /response="6629fae49393a05397450978507c4ef1"/);
    assert.match(value, /nc=00000001/);
  });

  test('random header values and bodies never throw', () => {
    const rand = prng(99);
    const alphabet = 'Digest realm="nonce=,qop auth<>/CmdTypeSNQuery\\\r\n 0123';
    for (let i = 0; i < 3000; i++) {
      const s = Array.from({ length: Math.floor(rand() * 80) }, () => alphabet[Math.floor(rand() * alphabet.length)]).join('');
      const c = parseChallenge(s);
      assert.ok(c === undefined || typeof c.nonce === 'string');
      const cmd = readCommand(Buffer.from(s));
      assert.ok(cmd === undefined || typeof cmd.cmdType === 'string');
    }
  });

  test('a Query body yields root, CmdType, SN and DeviceID', () => {
    const body = Buffer.from('<?xml version="1.0"?>\n<Query>\n<CmdType> Catalog </CmdType>\n<SN>17</SN>\n<DeviceID>34020000001320000002</DeviceID>\n</Query>\n');
    assert.deepEqual(readCommand(body), { root: 'Query', cmdType: 'Catalog', sn: '17', deviceId: '34020000001320000002' });
  });
});

describe('simulator IDs', () => {
  test('fleet device IDs are 20 digits and their channels never collide', () => {
    const seen = new Set<string>();
    for (let n = 0; n < 50; n++) {
      const id = deviceIdFor(n, 'nvr');
      assert.match(id, /^3402000000118\d{7}$/);
      for (let c = 0; c < 16; c++) seen.add(channelIdFor(id, c, 'nvr'));
    }
    assert.equal(seen.size, 50 * 16);
    assert.equal(channelIdFor('34020000001240001000', 0, 'door').slice(10, 13), '142');
  });
});
