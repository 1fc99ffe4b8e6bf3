import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ProgressReader } from '../../../src/media/export/progress-reader';
import { mutate, randomBytes, seededRandom } from '../../helpers/random';

/** Two blocks as ffmpeg 5.1 writes them with `-progress pipe:1`. */
const SAMPLE = [
  'frame=120', 'fps=0.00', 'stream_0_0_q=-1.0', 'bitrate=N/A', 'total_size=48', 'out_time_us=N/A', 'out_time_ms=N/A', 'out_time=N/A', 'dup_frames=0', 'drop_frames=0', 'speed=N/A', 'progress=continue',
  'frame=255', 'fps=0.00', 'stream_0_0_q=-1.0', 'bitrate= 196.2kbits/s', 'total_size=251102', 'out_time_us=10240000', 'out_time_ms=10240000', 'out_time=00:00:10.240000', 'dup_frames=0', 'drop_frames=0', 'speed= 825x', 'progress=end',
].join('\n') + '\n';

describe('ProgressReader', () => {
  test('reads the output time and the end from ffmpeg -progress blocks, N/A ignored', () => {
    const r = new ProgressReader();
    assert.equal(r.push(SAMPLE), true);
    assert.equal(r.outTimeUs, 10_240_000);
    assert.equal(r.ended, true);
  });

  test('gives the same answer however the output is split into chunks', () => {
    for (let cut = 0; cut <= SAMPLE.length; cut++) {
      const r = new ProgressReader();
      r.push(Buffer.from(SAMPLE.slice(0, cut)));
      r.push(Buffer.from(SAMPLE.slice(cut)));
      assert.equal(r.outTimeUs, 10_240_000, `cut at ${cut}`);
      assert.equal(r.ended, true);
    }
  });

  test('CRLF lines and a time that goes back are taken as ffmpeg means them: never backwards', () => {
    const r = new ProgressReader();
    r.push('out_time_us=5000000\r\nprogress=continue\r\n');
    assert.equal(r.outTimeUs, 5_000_000);
    assert.equal(r.push('out_time_us=4000000\n'), false);
    assert.equal(r.outTimeUs, 5_000_000);
    assert.equal(r.ended, false);
  });

  test('random and damaged output never throws and keeps a sane time (fuzz, seeded)', () => {
    const rand = seededRandom(0xe4);
    for (let i = 0; i < 3000; i++) {
      const r = new ProgressReader();
      const input = i % 3 === 0 ? randomBytes(rand, Math.floor(rand() * 400)) : mutate(rand, Buffer.from(SAMPLE));
      r.push(input);
      r.push(input.subarray(0, Math.floor(rand() * input.length)));
      assert.ok(Number.isSafeInteger(r.outTimeUs) && r.outTimeUs >= -1, `outTimeUs ${r.outTimeUs}`);
      assert.equal(typeof r.ended, 'boolean');
    }
  });

  test('a line without an end does not grow without bound', () => {
    const r = new ProgressReader();
    for (let i = 0; i < 100; i++) r.push('x'.repeat(1000));
    r.push('\nout_time_us=7\n');
    assert.equal(r.outTimeUs, 7);
  });
});
