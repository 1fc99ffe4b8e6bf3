import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { SSRC_ACCEPT, SSRC_REJECT, SSRC_SWITCHED, SsrcGate } from '../../../src/media/ingest/ssrc-gate';
import type { SsrcPolicy } from '../../../src/media/ingest/types';
import { capturingLogger } from './helpers';

function gate(policy: SsrcPolicy, expected?: number, lockTimeoutMs = 1000): { g: SsrcGate; warnings: () => number } {
  const logs = capturingLogger();
  return { g: new SsrcGate(policy, expected, lockTimeoutMs, logs.logger), warnings: () => logs.lines.filter((l) => l.level === 40).length };
}

describe('which SSRC on a port is the stream', () => {
  test('"first" locks the first SSRC and rejects the others', () => {
    const { g } = gate('first');
    assert.equal(g.ssrc, undefined);
    assert.equal(g.admit(7, 0), SSRC_ACCEPT);
    assert.equal(g.admit(8, 1), SSRC_REJECT);
    assert.equal(g.admit(7, 2), SSRC_ACCEPT);
    assert.equal(g.ssrc, 7);
  });

  test('"first" accepts SSRC 0 like any other', () => {
    const { g } = gate('first', 200000001); // y=0200000001
    assert.equal(g.admit(0, 0), SSRC_ACCEPT);
    assert.equal(g.admit(200000001, 1), SSRC_SWITCHED, 'the expected SSRC still wins when it shows up');
  });

  test('"first" logs a mismatch with the expected SSRC once, and a dropped SSRC once', () => {
    const { g, warnings } = gate('first', 5);
    g.admit(6, 0);
    g.admit(6, 1);
    assert.equal(warnings(), 1);
    g.admit(9, 2);
    g.admit(9, 3);
    g.admit(10, 4);
    assert.equal(warnings(), 2);
  });

  test('"first": the answered SSRC takes over when its packets arrive, not before', () => {
    const { g } = gate('first', 1);
    g.admit(50, 0);
    g.setExpected(60);
    assert.equal(g.ssrc, 50, 'an answer alone does not move the lock');
    assert.equal(g.admit(50, 1), SSRC_ACCEPT);
    assert.equal(g.admit(60, 2), SSRC_SWITCHED);
    assert.equal(g.admit(50, 3), SSRC_REJECT);
    assert.equal(g.ssrc, 60);
  });

  test('"first": a locked SSRC silent for the lock time gives way to another', () => {
    const { g } = gate('first', undefined, 100);
    g.admit(1, 1000);
    g.admit(1, 1050);
    assert.equal(g.admit(2, 1149), SSRC_REJECT);
    assert.equal(g.admit(2, 1150), SSRC_SWITCHED);
    assert.equal(g.admit(1, 1160), SSRC_REJECT);
  });

  test('"first": reset() lets the next SSRC start the stream afresh', () => {
    const { g } = gate('first');
    g.admit(1, 0);
    g.reset();
    assert.equal(g.admit(2, 1), SSRC_ACCEPT);
    assert.equal(g.ssrc, 2);
  });

  test('"expected" accepts only the expected SSRC, nothing before one is known', () => {
    const { g } = gate('expected');
    assert.equal(g.admit(3, 0), SSRC_REJECT);
    g.setExpected(3);
    assert.equal(g.admit(3, 1), SSRC_ACCEPT);
    assert.equal(g.admit(4, 2_000_000), SSRC_REJECT, 'no take-over by silence');
    g.setExpected(4);
    assert.equal(g.admit(4, 2_000_001), SSRC_SWITCHED);
    assert.equal(g.admit(3, 2_000_002), SSRC_REJECT);
  });

  test('"any" accepts everything and reports each change of SSRC', () => {
    const { g } = gate('any', 1);
    assert.equal(g.admit(1, 0), SSRC_ACCEPT);
    assert.equal(g.admit(2, 0), SSRC_SWITCHED);
    assert.equal(g.admit(2, 0), SSRC_ACCEPT);
    assert.equal(g.admit(1, 0), SSRC_SWITCHED);
  });

  test('SSRCs are taken as unsigned 32-bit numbers', () => {
    const { g } = gate('expected', -1);
    assert.equal(g.expectedSsrc, 0xffffffff);
    assert.equal(g.admit(0xffffffff, 0), SSRC_ACCEPT);
  });
});
