import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { NonceIssuer } from '../../../src/sip/auth/digest';

const secret = Buffer.from('a shared secret of the cluster!!');
const TTL = 60_000;
const T0 = 1_715_926_053_000;

function tamper(nonce: string, at: number): string {
  const c = nonce[at] === 'A' ? 'B' : 'A';
  return nonce.slice(0, at) + c + nonce.slice(at + 1);
}

void describe('stateless nonces', () => {
  void test('a fresh nonce is valid on any node sharing the secret, and unique per challenge', () => {
    const a = new NonceIssuer(secret, TTL);
    const b = new NonceIssuer(Buffer.from(secret), TTL);
    const nonce = a.issue(T0);
    assert.match(nonce, /^[A-Za-z0-9_-]{38}$/);
    assert.equal(a.check(nonce, T0), 'valid');
    assert.equal(b.check(nonce, T0 + TTL), 'valid');
    assert.notEqual(a.issue(T0), nonce);
  });

  void test('a nonce older than the TTL is stale; one stamped far in the future is invalid', () => {
    const issuer = new NonceIssuer(secret, TTL);
    assert.equal(issuer.check(issuer.issue(T0), T0 + TTL + 1), 'stale');
    assert.equal(issuer.check(issuer.issue(T0), T0 + 10 * TTL), 'stale');
    assert.equal(issuer.check(issuer.issue(T0 + 10_000), T0), 'valid');
    assert.equal(issuer.check(issuer.issue(T0 + 120_000), T0), 'invalid');
  });

  void test('a tampered nonce, another secret, or garbage is invalid', () => {
    const issuer = new NonceIssuer(secret, TTL);
    const nonce = issuer.issue(T0);
    for (const at of [0, 5, 11, 20, 37]) {
      const changed = tamper(nonce, at);
      assert.equal(issuer.check(changed, T0), 'invalid', `changed at ${at}`);
    }
    assert.equal(new NonceIssuer(Buffer.alloc(32, 7), TTL).check(nonce, T0), 'invalid');
    for (const junk of ['', '1715926053', nonce + 'A', nonce.slice(1), `${nonce.slice(0, 37)}=`, '!'.repeat(38)]) {
      assert.equal(issuer.check(junk, T0), 'invalid', junk);
    }
    assert.equal(issuer.check(undefined as unknown as string, T0), 'invalid');
  });

  void test('bad configuration is refused when the issuer is made', () => {
    assert.throws(() => new NonceIssuer(Buffer.from('short'), TTL), RangeError);
    assert.throws(() => new NonceIssuer(secret, 0), RangeError);
  });

  void test('issuing and checking are cheap enough for a register storm (6,000 challenges/s)', () => {
    const issuer = new NonceIssuer(secret, TTL);
    const start = process.hrtime.bigint();
    for (let i = 0; i < 6000; i++) assert.equal(issuer.check(issuer.issue(T0 + i), T0 + i), 'valid');
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    assert.ok(ms < 1000, `6,000 issue+check took ${ms} ms`);
  });
});
