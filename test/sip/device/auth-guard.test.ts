import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { parseDigestHeader } from '../../../src/sip/auth/digest';
import { AuthGuard } from '../../../src/sip/device/auth-guard';
import { silentLogger } from '../../../src/logger';
import { MemoryStateStore } from '../../../src/storage/memory/state-store';

const md5 = (s: string) => createHash('md5').update(s).digest('hex');
const DEVICE = '34020000001320000001';
const URI = 'sip:34020000002000000001@3402000000';

function answer(challenge: string, password: string): string {
  const nonce = parseDigestHeader(challenge)?.params.get('nonce') ?? '';
  const response = md5(`${md5(`${DEVICE}:3402000000:${password}`)}:${nonce}:${md5(`REGISTER:${URI}`)}`);
  return `Digest username="${DEVICE}", realm="3402000000", nonce="${nonce}", uri="${URI}", response="${response}", algorithm=MD5`;
}

async function guard(nonceTtlMs = 60_000) {
  const state = new MemoryStateStore({ logger: silentLogger() });
  await state.init();
  const g = new AuthGuard(state, {
    realm: '3402000000',
    nonceSecret: Buffer.from('0123456789abcdef0123456789abcdef'),
    nonceTtlMs,
    offerQop: false,
    failureLimit: 3,
    failureWindowMs: 60_000,
    blockMs: 60_000,
  });
  return { g, state };
}

const input = (authorization: string | undefined, password = 'pw', extra: { allowStale?: boolean; source?: string } = {}) => ({
  authorization,
  method: 'REGISTER',
  password,
  source: extra.source ?? '127.0.0.1',
  deviceId: DEVICE,
  ...(extra.allowStale !== undefined ? { allowStale: extra.allowStale } : {}),
});

const headerOf = (outcome: Awaited<ReturnType<AuthGuard['check']>>) => (outcome.kind === 'challenge' ? outcome.header : '');

test('a correct answer to our challenge passes; an expired nonce gets a new challenge with stale=true', async () => {
  const { g, state } = await guard(50);
  const first = await g.check(input(undefined));
  assert.equal(first.kind, 'challenge');
  const creds = answer(headerOf(first), 'pw');
  assert.deepEqual(await g.check(input(creds)), { kind: 'ok' });
  await new Promise((r) => setTimeout(r, 80));
  const stale = await g.check(input(creds));
  assert.equal(stale.kind, 'challenge');
  assert.match(headerOf(stale), /stale=true/i);
  assert.deepEqual(await g.check(input(creds, 'pw', { allowStale: true })), { kind: 'ok' }, 'unregister may use the old nonce');
  await state.close();
});

test('a nonce we never issued is challenged again without counting as a failure', async () => {
  const { g, state } = await guard();
  const forged = answer('Digest realm="3402000000", nonce="bm90LW91ci1ub25jZQ"', 'pw');
  for (let i = 0; i < 5; i++) {
    const outcome = await g.check(input(forged));
    assert.deepEqual([outcome.kind, outcome.kind === 'challenge' && outcome.failed], ['challenge', false]);
  }
  await state.close();
});

test('wrong answers from one source are blocked after the limit; another source is not', async () => {
  const { g, state } = await guard();
  const challenge = await g.check(input(undefined));
  const wrong = answer(headerOf(challenge), 'not-pw');
  const kinds: string[] = [];
  for (let i = 0; i < 4; i++) kinds.push((await g.check(input(wrong))).kind);
  assert.deepEqual(kinds, ['challenge', 'challenge', 'blocked', 'blocked']);
  const right = answer(headerOf(challenge), 'pw');
  assert.equal((await g.check(input(right))).kind, 'blocked', 'even the right password waits out the block');
  assert.equal((await g.check(input(right, 'pw', { source: '127.0.0.2' }))).kind, 'ok');
  await state.close();
});
