import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { silentLogger } from '../../../src/logger';
import { ExportError } from '../../../src/media/export/errors';
import { exportClip } from '../../../src/media/export/export-clip';
import type { ExportClipOptions, ExportResult, SegmentRef } from '../../../src/media/export/types';
import { decodeErrors, fakeFfmpeg, firstFrameIsKey, GOP_MS, hasFfmpeg, layFootage, probe, slowFfmpeg, T0, until, videoOf } from './helpers';

/** One AAC frame at 8 kHz: audio may end this much past the video. */
const AUDIO_FRAME_S = 0.128;
const FRAME_S = 0.04;

/** The clip's video runs from `startMs` to the first frame at or after `endMs` (both from T0). */
function assertVideoSpan(file: string, startMs: number, endMs: number): void {
  const actual = videoOf(probe(file)).duration;
  const wanted = (endMs - startMs) / 1000;
  assert.ok(actual >= wanted - 0.001 && actual < wanted + FRAME_S, `video lasts ${actual} s, wanted ${wanted} s to one frame more`);
}

describe('exportClip', { skip: !hasFfmpeg && 'ffmpeg is not installed' }, () => {
  let tmp: string;
  let root: string;
  let segments: SegmentRef[];
  let n = 0;
  const out = () => join(tmp, 'out', `clip-${++n}.mp4`);
  const run = (o: Partial<ExportClipOptions> & Pick<ExportClipOptions, 'from' | 'to'>) => exportClip({ root, segments, outFile: out(), logger: silentLogger(), ...o });

  before(() => {
    tmp = mkdtempSync(join(tmpdir(), 'gbvms-export-'));
    root = join(tmp, 'footage');
    segments = layFootage(root);
    mkdirSync(join(tmp, 'out'));
  });
  after(() => rmSync(tmp, { recursive: true, force: true }));

  describe('a clip across two segment boundaries (3.5 s to 13.2 s of three 5 s files)', () => {
    const from = T0 + 3500;
    const to = T0 + 13_200;
    const progress: number[] = [];
    let result: ExportResult;
    before(async () => {
      result = await run({ from, to, onProgress: (f) => progress.push(f) });
    });

    test('starts at the key frame at or before the start and ends at the asked end', () => {
      assert.equal(result.startedAt, T0 + 3000);
      assert.ok(result.startedAt <= from && from - result.startedAt <= GOP_MS, 'at most one GOP early');
      assert.equal(result.endedAt, to);
      assert.deepEqual(result.skipped, []);
    });

    test('ffprobe finds the asked length within one GOP: video from the key frame to the end, exact to a frame', () => {
      const p = probe(result.outFile);
      const asked = (to - from) / 1000;
      assertVideoSpan(result.outFile, result.startedAt - T0, to - T0);
      assert.ok(p.duration >= asked && p.duration <= asked + GOP_MS / 1000 + AUDIO_FRAME_S, `duration ${p.duration}`);
      assert.ok(Math.abs(result.durationMs / 1000 - p.duration) < 0.001, `${result.durationMs} ms`);
    });

    test('is an MP4 with the footage codecs copied: H.264 320x240 and AAC', () => {
      const p = probe(result.outFile);
      assert.equal(videoOf(p).codec_name, 'h264');
      assert.equal(videoOf(p).width, 320);
      assert.deepEqual(p.streams.map((s) => s.codec_name).sort(), ['aac', 'h264']);
      assert.equal(readFileSync(result.outFile).toString('latin1', 4, 8), 'ftyp');
      // +faststart: the movie header comes before the media.
      assert.ok(readFileSync(result.outFile).subarray(0, 64).includes('moov'), 'moov first');
    });

    test('starts with a key frame and plays without decode errors', () => {
      assert.ok(firstFrameIsKey(result.outFile), 'first frame is a key frame');
      assert.equal(decodeErrors(result.outFile), '');
    });

    test('reports progress up to 1, never going back', () => {
      assert.equal(progress[progress.length - 1], 1);
      assert.ok(progress.every((f, i) => f > 0 && f <= 1 && (i === 0 || f > progress[i - 1]!)), progress.join(','));
    });

    test('the sha256 and size are those of the file, and nothing else is left beside it', () => {
      const bytes = readFileSync(result.outFile);
      assert.equal(result.sha256, createHash('sha256').update(bytes).digest('hex'));
      assert.equal(result.bytes, bytes.length);
      assert.deepEqual(readdirSync(join(tmp, 'out')).filter((f) => f.startsWith('clip-1.')), ['clip-1.mp4']);
    });
  });

  test('a range inside one segment starts at its key frame and ends at the asked end', async () => {
    const r = await run({ from: T0 + 6200, to: T0 + 8700 });
    assert.equal(r.startedAt, T0 + 6000);
    assert.equal(r.endedAt, T0 + 8700);
    assertVideoSpan(r.outFile, 6000, 8700);
    assert.ok(firstFrameIsKey(r.outFile), 'first frame is a key frame');
    assert.equal(decodeErrors(r.outFile), '');
  });

  test('a range starting on a key frame starts exactly there', async () => {
    const r = await run({ from: T0 + 5000, to: T0 + 7000 });
    assert.equal(r.startedAt, T0 + 5000);
    assertVideoSpan(r.outFile, 5000, 7000);
  });

  test('a range with a gap in the recordings holds what exists, end to end', async () => {
    const withGap = segments.filter((_, k) => k !== 2);
    const r = await run({ segments: withGap, from: T0 + 2000, to: T0 + 18_000 });
    assert.equal(r.startedAt, T0 + 2000);
    assert.equal(r.endedAt, T0 + 18_000);
    // 2-5 s, 5-10 s and 15-18 s.
    assertVideoSpan(r.outFile, 0, 11_000);
    assert.equal(decodeErrors(r.outFile), '');
  });

  test('a range reaching past the recordings ends with the last file', async () => {
    const r = await run({ from: T0 + 16_000, to: T0 + 60_000 });
    assert.equal(r.startedAt, T0 + 16_000);
    assert.equal(r.endedAt, T0 + 20_000);
    assertVideoSpan(r.outFile, 16_000, 20_000);
  });

  test('no recordings in the range is an ExportError no-footage, and no file is made', async () => {
    const outFile = out();
    await assert.rejects(exportClip({ root, segments, from: T0 + 30_000, to: T0 + 40_000, outFile, logger: silentLogger() }), (e: unknown) => e instanceof ExportError && e.failure === 'no-footage' && e.code === 'not_found');
    await assert.rejects(run({ segments: [], from: T0, to: T0 + 1000 }), (e: unknown) => e instanceof ExportError && e.failure === 'no-footage');
    assert.equal(existsSync(outFile), false);
  });

  test('an empty or backward range is a bad-range error', async () => {
    await assert.rejects(run({ from: T0 + 5000, to: T0 + 5000 }), (e: unknown) => e instanceof ExportError && e.failure === 'bad-range' && e.httpStatus === 400);
    await assert.rejects(run({ from: Number.NaN, to: T0 }), (e: unknown) => e instanceof ExportError && e.failure === 'bad-range');
  });

  describe('damaged footage', () => {
    let damaged: string;
    let refs: SegmentRef[];
    before(() => {
      damaged = join(tmp, 'damaged');
      refs = layFootage(damaged);
      // The second file is overwritten with noise and the fourth is gone.
      writeFileSync(join(damaged, refs[1]!.path), Buffer.from(Array.from({ length: 50_000 }, (_, i) => (i * 7919) & 0xff)));
      rmSync(join(damaged, refs[3]!.path));
    });

    test('a corrupt segment in the middle and a missing one are skipped and reported; the clip holds the rest', async () => {
      const r = await exportClip({ root: damaged, segments: refs, from: T0 + 1000, to: T0 + 19_000, outFile: out(), logger: silentLogger() });
      assert.deepEqual(r.skipped, [
        { path: refs[1]!.path, reason: 'unreadable' },
        { path: refs[3]!.path, reason: 'missing' },
      ]);
      assert.equal(r.startedAt, T0 + 1000);
      assert.equal(r.endedAt, T0 + 15_000);
      // 1-5 s of the first file and all of the third.
      assertVideoSpan(r.outFile, 1000, 10_000);
      assert.ok(firstFrameIsKey(r.outFile), 'first frame is a key frame');
      assert.equal(decodeErrors(r.outFile), '');
    });

    test('a file cut short (its second half lost) gives what it still holds', async () => {
      const cut = join(tmp, 'cut');
      const cutRefs = layFootage(cut);
      const file = join(cut, cutRefs[2]!.path);
      truncateSync(file, Math.floor(statSync(file).size / 2 / 188) * 188);
      const r = await exportClip({ root: cut, segments: cutRefs, from: T0 + 8000, to: T0 + 14_000, outFile: out(), logger: silentLogger() });
      assert.deepEqual(r.skipped, []);
      const video = videoOf(probe(r.outFile)).duration;
      // 8-10 s, then about half of the third file's 5 s.
      assert.ok(video > 2 + 1.5 && video < 2 + 3.5, `video lasts ${video} s`);
      assert.ok(firstFrameIsKey(r.outFile), 'first frame is a key frame');
      // Only the frame the cut went through may be damaged.
      assert.doesNotMatch(decodeErrors(r.outFile), /^exit/);
    });

    test('when no segment in the range can be read it is no-footage, naming the count', async () => {
      await assert.rejects(
        exportClip({ root: damaged, segments: refs, from: T0 + 5000, to: T0 + 10_000, outFile: out(), logger: silentLogger() }),
        (e: unknown) => e instanceof ExportError && e.failure === 'no-footage' && /none of the 1 recordings/.test(e.message),
      );
    });

    test('a segment path leading out of the footage root is skipped', async () => {
      const escaping = [{ ...refs[0]!, path: `../footage/${refs[0]!.path}` }, refs[2]!];
      const r = await exportClip({ root: damaged, segments: escaping, from: T0, to: T0 + 12_000, outFile: out(), logger: silentLogger() });
      assert.deepEqual(r.skipped, [{ path: escaping[0]!.path, reason: 'outside-root' }]);
    });
  });

  describe('ffmpeg trouble', () => {
    test('an ffmpeg that is not there fails with ffmpeg-missing and leaves nothing', async () => {
      const outFile = out();
      await assert.rejects(run({ from: T0, to: T0 + 2000, outFile, ffmpegPath: join(tmp, 'no-such-ffmpeg') }), (e: unknown) => e instanceof ExportError && e.failure === 'ffmpeg-missing');
      assert.deepEqual(readdirSync(join(tmp, 'out')).filter((f) => f.startsWith(outFile.split('/').pop()!)), []);
    });

    test("an ffmpeg that fails gives its error output in the message and leaves no partial file", async () => {
      const outFile = out();
      const failing = fakeFfmpeg(tmp, 'failing-ffmpeg', 'for a; do last="$a"; done; echo partial > "$last"; echo "Invalid data found when processing input" >&2; exit 1');
      await assert.rejects(run({ from: T0, to: T0 + 2000, outFile, ffmpegPath: failing }), (e: unknown) => e instanceof ExportError && e.failure === 'ffmpeg-failed' && /exited with 1: Invalid data found/.test(e.message));
      assert.deepEqual(readdirSync(join(tmp, 'out')).filter((f) => f.startsWith(outFile.split('/').pop()!)), []);
    });

    test('aborting kills ffmpeg mid-write and removes the partial output', async () => {
      const outFile = out();
      const controller = new AbortController();
      const started = Date.now();
      const pending = run({ from: T0, to: T0 + 20_000, outFile, ffmpegPath: slowFfmpeg(tmp), signal: controller.signal });
      await until(() => existsSync(`${outFile}.part`));
      controller.abort();
      await assert.rejects(pending, (e: unknown) => e instanceof ExportError && e.failure === 'aborted');
      assert.ok(Date.now() - started < 5000, 'stopped well before the 20 s the slow ffmpeg would take');
      assert.deepEqual(readdirSync(join(tmp, 'out')).filter((f) => f.startsWith(outFile.split('/').pop()!)), []);
    });

    test('an export aborted before it starts does not run', async () => {
      const outFile = out();
      await assert.rejects(run({ from: T0, to: T0 + 2000, outFile, signal: AbortSignal.abort() }), (e: unknown) => e instanceof ExportError && e.failure === 'aborted');
      assert.equal(existsSync(outFile), false);
    });
  });

  test('H.265 footage without audio exports as hvc1-tagged HEVC that plays from a key frame', async () => {
    const hevcRoot = join(tmp, 'hevc');
    const refs = layFootage(hevcRoot, 'h265', false);
    const r = await exportClip({ root: hevcRoot, segments: refs, from: T0 + 4500, to: T0 + 6500, outFile: out(), logger: silentLogger() });
    const p = probe(r.outFile);
    assert.deepEqual(p.streams.map((s) => [s.codec_name, s.codec_tag_string]), [['hevc', 'hvc1']]);
    assert.equal(r.startedAt, T0 + 4000);
    assertVideoSpan(r.outFile, 4000, 6500);
    assert.ok(firstFrameIsKey(r.outFile), 'first frame is a key frame');
    assert.equal(decodeErrors(r.outFile), '');
  });
});

