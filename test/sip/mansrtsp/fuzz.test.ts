import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildMansrtsp, parseMansrtsp } from '../../../src/sip/mansrtsp';
import type { MansrtspCommand, MansrtspMethod } from '../../../src/sip/mansrtsp';
import { mutate, pick, randomBytes, randomInt, seededRandom } from '../../helpers/random';
import { mansrtspTraces } from './trace-bodies';

const METHODS: readonly MansrtspMethod[] = ['PLAY', 'PAUSE', 'TEARDOWN'];
const SEEDS = [
  ...mansrtspTraces().map((t) => t.body),
  Buffer.from('PLAY RTSP/1.0\r\nCSeq: 4\r\nRange: npt=100-\r\n\r\n'),
  Buffer.from('PLAY RTSP/1.0\r\nCSeq: 4\r\nRange: clock=20240517T155229Z-20240517T165229Z\r\nScale: -1.0\r\n\r\n'),
  Buffer.from('RTSP/1.0 200 OK\r\nCSeq: 6\r\nRange: npt=0:01:40-\r\nRTP-Info: seq=18139;rtptime=3119600838\r\n\r\n'),
];

function assertSane(input: Buffer | string): boolean {
  const result = parseMansrtsp(input);
  if (!result.ok) {
    assert.equal(typeof result.error, 'string');
    return false;
  }
  const v = result.value;
  assert.ok(Number.isInteger(v.cseq) && v.cseq >= 0 && v.cseq <= 0xffffffff);
  if (v.kind === 'request') {
    assert.ok(METHODS.includes(v.method));
    assert.ok(v.scale === null || (Number.isFinite(v.scale) && v.scale !== 0));
    assert.ok(v.pauseTime === null || v.pauseTime === 'now' || (Number.isFinite(v.pauseTime) && v.pauseTime >= 0));
  } else {
    assert.ok(Number.isInteger(v.status) && v.status >= 100 && v.status <= 999);
    assert.equal(typeof v.reason, 'string');
  }
  if (v.range) {
    for (const p of [v.range.start, v.range.end]) assert.ok(p === null || p === 'now' || (Number.isFinite(p) && p >= 0));
  }
  return true;
}

test('6,000 random and damaged bodies never throw and give an error or a sane message', () => {
  const rand = seededRandom(0x28181);
  let parsed = 0;
  for (let i = 0; i < 6000; i++) {
    const seed = pick(rand, SEEDS);
    let input = mutate(rand, seed);
    if (i % 3 === 0) input = mutate(rand, input);
    if (i % 10 === 0) input = randomBytes(rand, randomInt(rand, 0, 200));
    if (assertSane(i % 2 === 0 ? input : input.toString('latin1'))) parsed++;
  }
  // Both paths must be exercised: damage that leaves a readable message, and damage that does not.
  assert.ok(parsed > 300 && parsed < 5700, `${parsed} of 6000 parsed`);
});

test('2,000 random commands always build text that parses back to the same method and CSeq', () => {
  const rand = seededRandom(20220);
  const oddNumbers = [Number.NaN, Number.POSITIVE_INFINITY, -1, 0, 1e30, -1e-9, 0.1 + 0.2];
  const num = (scale: number): number => (rand() < 0.1 ? pick(rand, oddNumbers) : (rand() - 0.3) * scale);
  for (let i = 0; i < 2000; i++) {
    const cmd: MansrtspCommand = { method: pick(rand, METHODS), cseq: rand() < 0.05 ? pick(rand, oddNumbers) : randomInt(rand, 0, 1e6) };
    if (rand() < 0.5) cmd.scale = num(8);
    if (rand() < 0.5) cmd.rangeStartSec = rand() < 0.2 ? 'now' : num(10_000);
    if (rand() < 0.3) cmd.rangeEndSec = num(10_000);
    if (rand() < 0.5) cmd.pauseTime = rand() < 0.5 ? 'now' : num(100);
    const text = buildMansrtsp(cmd);
    assert.ok(text.endsWith('\r\n\r\n') && !/[^\r]\n/.test(text), JSON.stringify(text));
    const result = parseMansrtsp(text);
    assert.ok(result.ok, `${JSON.stringify(cmd)} -> ${JSON.stringify(text)}: ${result.ok ? '' : result.error}`);
    assert.equal(result.value.kind, 'request');
    if (result.value.kind !== 'request') continue;
    assert.equal(result.value.method, cmd.method);
    if (Number.isInteger(cmd.cseq) && cmd.cseq >= 0 && cmd.cseq <= 1e6) assert.equal(result.value.cseq, cmd.cseq);
  }
});
