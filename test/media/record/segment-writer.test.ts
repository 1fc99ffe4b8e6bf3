import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { silentLogger } from '../../../src/logger';
import { nodeRecordFs, type RecordFs } from '../../../src/media/record/record-fs';
import { SegmentWriter } from '../../../src/media/record/segment-writer';
import type { FinishedSegment } from '../../../src/media/record/types';
import { hasFfmpeg } from '../helpers/media-files';
import { decodeErrors, FIRST_PTS, firstFrameIsKey, liveStream, probeFile, type Stream } from './helpers';

/** 23:59:00 UTC: a three-minute recording crosses midnight into the next day's folder. */
const T0 = Date.UTC(2024, 0, 15, 23, 59, 0);
const CHANNEL = '34020000001320000001';
const DEVICE = '34020000001110000001';

interface Recording {
  writer: SegmentWriter;
  segments: FinishedSegment[];
  errors: Error[];
}

/** Feeds a stream as a MediaSource would, with the wall clock following the media time. */
function record(root: string, stream: Stream, options: { count?: number; end?: boolean; fs?: RecordFs; segmentSeconds?: number } = {}): Recording {
  const segments: FinishedSegment[] = [];
  const errors: Error[] = [];
  let now = T0;
  const writer = new SegmentWriter({
    root,
    channelId: CHANNEL,
    deviceId: DEVICE,
    segmentSeconds: options.segmentSeconds ?? 59,
    clock: () => now,
    logger: silentLogger(),
    onSegment: (s) => segments.push(s),
    onError: (e) => errors.push(e),
    ...(options.fs ? { fs: options.fs } : {}),
  });
  writer.start(stream.tracks);
  for (const au of stream.units.slice(0, options.count ?? stream.units.length)) {
    now = T0 + (au.dts - FIRST_PTS) / 90;
    writer.write(au);
  }
  if (options.end !== false) writer.end('stream-ended');
  return { writer, segments, errors };
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(dir.length + 1))
    .sort();
}

describe('SegmentWriter', { skip: !hasFfmpeg && 'ffmpeg is not installed' }, () => {
  let tmp: string;
  before(() => {
    tmp = mkdtempSync(join(tmpdir(), 'gbvms-record-'));
  });
  after(() => rmSync(tmp, { recursive: true, force: true }));

  describe('three minutes of a 2 s GOP camera with AAC, cut at 59 s', () => {
    let root: string;
    let rec: Recording;
    const started = Date.now();
    before(async () => {
      root = join(tmp, 'three-minutes');
      rec = record(root, liveStream(180, true));
      await rec.writer.idle();
    });

    test('is written in well under a few seconds of real time', () => {
      assert.ok(Date.now() - started < 5000, `${Date.now() - started} ms`);
    });

    test('segments are cut at the first key frame after the length: three of 60 s, end to end', () => {
      assert.deepEqual(rec.errors, []);
      assert.deepEqual(
        rec.segments.map((s) => [s.start - T0, s.end - T0]),
        [
          [0, 60_000],
          [60_000, 120_000],
          [120_000, 180_000],
        ],
      );
    });

    test('files are placed per channel and UTC day, named by start, with no part left over', () => {
      assert.deepEqual(filesUnder(root), [
        `${CHANNEL}/2024-01-15/${CHANNEL}_${T0}.ts`,
        `${CHANNEL}/2024-01-16/${CHANNEL}_${T0 + 60_000}.ts`,
        `${CHANNEL}/2024-01-16/${CHANNEL}_${T0 + 120_000}.ts`,
      ]);
      assert.deepEqual(
        rec.segments.map((s) => s.path),
        filesUnder(root),
      );
    });

    test('FinishedSegment fields describe the file', () => {
      for (const s of rec.segments) {
        assert.equal(s.id, `${CHANNEL}_${s.start}`);
        assert.equal(s.channelId, CHANNEL);
        assert.equal(s.deviceId, DEVICE);
        assert.equal(s.bytes, statSync(join(root, s.path)).size);
        assert.equal(s.bytes % 188, 0);
        assert.equal(s.videoCodec, 'h264');
        assert.equal(s.audioCodec, 'aac');
        assert.equal(s.width, 320);
        assert.equal(s.height, 240);
      }
    });

    test('each segment plays in ffprobe: H.264 320x240 and AAC, about 60 s, starting on a key frame', () => {
      for (const s of rec.segments) {
        const path = join(root, s.path);
        const p = probeFile(path);
        const video = p.streams.find((x) => x.codec_type === 'video');
        assert.equal(video?.codec_name, 'h264');
        assert.equal(video.width, 320);
        assert.equal(video.height, 240);
        assert.equal(p.streams.find((x) => x.codec_type === 'audio')?.codec_name, 'aac');
        assert.ok(Math.abs(p.duration - 60) < 0.5, `duration ${p.duration}`);
        assert.ok(firstFrameIsKey(path), `${s.path} starts with a key frame`);
      }
    });

    test('the first segment decodes without a single error', () => {
      assert.equal(decodeErrors(join(root, rec.segments[0]!.path)), '');
    });
  });

  test('a G.711 stream is recorded video-only; audioCodec is null', async () => {
    const root = join(tmp, 'g711');
    const stream = liveStream(4, false);
    stream.tracks = { ...stream.tracks, audio: { kind: 'audio', codec: 'g711a', sampleRate: 8000, channels: 1 } };
    stream.units.push({ kind: 'audio', codec: 'g711a', pts: FIRST_PTS + 3600, dts: FIRST_PTS + 3600, keyframe: true, data: Buffer.alloc(320, 0xd5) });
    stream.units.sort((a, b) => a.dts - b.dts);
    const rec = record(root, stream);
    await rec.writer.idle();
    assert.equal(rec.segments.length, 1);
    assert.equal(rec.segments[0]!.audioCodec, null);
    assert.equal(rec.segments[0]!.end - rec.segments[0]!.start, 4000);
    assert.deepEqual(probeFile(join(root, rec.segments[0]!.path)).streams.map((s) => s.codec_name), ['h264']);
  });

  test('frames before the first key frame are dropped; recording begins at a key frame', async () => {
    const root = join(tmp, 'late-join');
    const stream = liveStream(6, false);
    stream.units = stream.units.slice(10);
    const rec = record(root, stream);
    await rec.writer.idle();
    assert.equal(rec.writer.stats.droppedWaitingForKeyframe, 40);
    assert.equal(rec.segments[0]!.start, T0 + 2000);
    assert.ok(firstFrameIsKey(join(root, rec.segments[0]!.path)));
  });

  test('a timestamp jump closes the segment and the next one starts on the wall clock', async () => {
    const root = join(tmp, 'jump');
    const stream = liveStream(8, false);
    // The camera's clock steps back by an hour at 4 s (a key frame); the wall clock goes on.
    let now = T0;
    const segments: FinishedSegment[] = [];
    const writer = new SegmentWriter({ root, channelId: CHANNEL, deviceId: DEVICE, clock: () => now, logger: silentLogger(), onSegment: (s) => segments.push(s) });
    writer.start(stream.tracks);
    for (const [i, au] of stream.units.entries()) {
      now = T0 + i * 40;
      const shift = i >= 100 ? -3600 * 90000 : 0;
      writer.write({ ...au, pts: au.pts + shift + 3600 * 90000 * 2, dts: au.dts + shift + 3600 * 90000 * 2 });
    }
    writer.end('stream-ended');
    await writer.idle();
    assert.equal(writer.stats.discontinuities, 1);
    assert.deepEqual(
      segments.map((s) => [s.start - T0, s.end - T0]),
      [
        [0, 4000],
        [4000, 8000],
      ],
    );
    for (const s of segments) assert.equal(decodeErrors(join(root, s.path)), '');
  });

  test('when the footage root is a file, onError is called once, nothing is thrown and nothing is written', async () => {
    const root = join(tmp, 'root-is-a-file');
    writeFileSync(root, 'not a directory');
    const rec = record(root, liveStream(6, false), { segmentSeconds: 2 });
    await rec.writer.idle();
    assert.equal(rec.errors.length, 1);
    assert.match(rec.errors[0]!.message, /ENOTDIR|EEXIST/);
    assert.deepEqual(rec.segments, []);
    assert.doesNotThrow(() => rec.writer.write(liveStream(1, false).units[0]!));
  });

  test('a full disk mid-segment: onError, the part is removed, earlier segments stay, recording stops', async () => {
    const root = join(tmp, 'disk-full');
    let budget = 600_000;
    const fullDisk: RecordFs = {
      ...nodeRecordFs,
      create: async (path) => {
        const file = await nodeRecordFs.create(path);
        return {
          writev: async (buffers) => {
            const size = buffers.reduce((n, b) => n + b.length, 0);
            budget -= size;
            if (budget < 0) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
            return file.writev(buffers);
          },
          sync: () => file.sync(),
          close: () => file.close(),
        };
      },
    };
    const rec = record(root, liveStream(60, false), { fs: fullDisk, segmentSeconds: 10 });
    await rec.writer.idle();
    assert.equal(rec.errors.length, 1);
    assert.match(rec.errors[0]!.message, /ENOSPC/);
    assert.ok(rec.segments.length >= 1, 'segments finished before the disk filled stay');
    assert.deepEqual(filesUnder(root), rec.segments.map((s) => s.path));
    for (const s of rec.segments) assert.ok(existsSync(join(root, s.path)));
  });

  test('writes are batched: far fewer write calls than frames', async () => {
    const root = join(tmp, 'batched');
    let writes = 0;
    const counting: RecordFs = {
      ...nodeRecordFs,
      create: async (path) => {
        const file = await nodeRecordFs.create(path);
        return { writev: (b) => (writes++, file.writev(b)), sync: () => file.sync(), close: () => file.close() };
      },
    };
    const rec = record(root, liveStream(20, false), { fs: counting });
    await rec.writer.idle();
    assert.equal(rec.segments.length, 1);
    assert.ok(writes > 0 && writes <= 500 / 8 + 2, `${writes} writes for 500 frames`);
  });
});
