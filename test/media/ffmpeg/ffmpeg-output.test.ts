import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ffmpegOutput } from '../../../src/media/ffmpeg/ffmpeg-output';

// Real FFmpeg (Debian's, installed by .ci/run): a generated test tone as raw A-law on stdout.
const tone = (seconds: number) => ['-v', 'error', '-nostdin', '-f', 'lavfi', '-i', `sine=frequency=440:duration=${seconds}`, '-ac', '1', '-ar', '8000', '-c:a', 'pcm_alaw', '-f', 'alaw', 'pipe:1'];

describe('ffmpegOutput', () => {
  test('collects what FFmpeg writes to stdout', async () => {
    const result = await ffmpegOutput({ ffmpegPath: 'ffmpeg', args: tone(1), timeoutMs: 10_000, maxBytes: 1 << 20 });
    assert.ok(result.ok);
    assert.equal(result.output.length, 8000);
  });

  test('output past maxBytes stops FFmpeg and says so', async () => {
    const result = await ffmpegOutput({ ffmpegPath: 'ffmpeg', args: tone(5), timeoutMs: 10_000, maxBytes: 1000 });
    assert.deepEqual(result, { ok: false, reason: 'too-large' });
  });

  test('a run past the timeout is killed', async () => {
    const args = ['-v', 'error', '-nostdin', '-re', '-f', 'lavfi', '-i', 'sine=duration=30', '-f', 'alaw', 'pipe:1'];
    const t0 = Date.now();
    const result = await ffmpegOutput({ ffmpegPath: 'ffmpeg', args, timeoutMs: 300, maxBytes: 1 << 20 });
    assert.deepEqual(result, { ok: false, reason: 'timeout' });
    assert.ok(Date.now() - t0 < 5000);
  });

  test('a failing run gives its exit code and the end of its error output', async () => {
    const result = await ffmpegOutput({ ffmpegPath: 'ffmpeg', args: ['-v', 'error', '-nostdin', '-i', '/nonexistent/input.wav', '-f', 'alaw', 'pipe:1'], timeoutMs: 10_000, maxBytes: 1 << 20 });
    assert.equal(result.ok, false);
    assert.ok(!result.ok && result.reason === 'exit');
    assert.ok(result.reason === 'exit' && result.code !== 0 && /nonexistent/.test(result.stderrTail), JSON.stringify(result));
  });

  test('a missing binary is reported as missing, not thrown', async () => {
    const result = await ffmpegOutput({ ffmpegPath: '/nonexistent/ffmpeg', args: [], timeoutMs: 1000, maxBytes: 10 });
    assert.equal(result.ok, false);
    assert.ok(!result.ok && result.reason === 'missing');
  });
});
