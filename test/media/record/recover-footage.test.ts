import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { silentLogger } from '../../../src/logger';
import { recoverFootage } from '../../../src/media/record/recover-footage';
import { SegmentWriter } from '../../../src/media/record/segment-writer';
import type { FinishedSegment } from '../../../src/media/record/types';
import { randomBytes, seededRandom } from '../../helpers/random';
import { hasFfmpeg } from '../helpers/media-files';
import { decodeErrors, FIRST_PTS, firstFrameIsKey, liveStream, probeFile } from './helpers';

const T0 = Date.UTC(2024, 5, 1, 8, 0, 0);
const CHANNEL = '34020000001320000007';
const DEVICE = '34020000001110000007';
const DAY = `${CHANNEL}/2024-06-01`;

/** Records `seconds` of the stream; with `crash`, stops without end() after handing the bytes to the file. */
async function recordInto(root: string, seconds: number, crash: boolean): Promise<{ segments: FinishedSegment[]; writer: SegmentWriter }> {
  const segments: FinishedSegment[] = [];
  let now = T0;
  const writer = new SegmentWriter({ root, channelId: CHANNEL, deviceId: DEVICE, segmentSeconds: 20, clock: () => now, logger: silentLogger(), onSegment: (s) => segments.push(s) });
  const stream = liveStream(seconds, true);
  writer.start(stream.tracks);
  for (const au of stream.units) {
    now = T0 + (au.dts - FIRST_PTS) / 90;
    writer.write(au);
  }
  if (crash) await writer.flushNow();
  else writer.end('stream-ended');
  await writer.idle();
  return { segments, writer };
}

describe('recoverFootage', { skip: !hasFfmpeg && 'ffmpeg is not installed' }, () => {
  let tmp: string;
  let root: string;
  let finished: FinishedSegment[];
  let crashedPart: string;
  let report: Awaited<ReturnType<typeof recoverFootage>>;
  before(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'gbvms-recover-'));
    // A live recording: 20 s segments, then 13 s of a third one when the process is killed.
    const live = join(tmp, 'live');
    const { segments, writer } = await recordInto(live, 53, true);
    finished = [...segments];
    const parts = readdirSync(join(live, DAY)).filter((n) => n.endsWith('.part'));
    assert.equal(parts.length, 1);
    crashedPart = `${DAY}/${parts[0]!}`;
    // What the disk holds after kill -9: the finished files and the part, its last write cut short.
    root = join(tmp, 'after-crash');
    mkdirSync(join(root, DAY), { recursive: true });
    for (const s of finished) copyFileSync(join(live, s.path), join(root, s.path));
    const part = readFileSync(join(live, crashedPart));
    writeFileSync(join(root, crashedPart), part.subarray(0, part.length - 1000 - 77));
    writer.end('stream-ended');
    await writer.idle();
    // A part that never got a whole frame, and one that is noise.
    const tiny = join(root, `${DAY}/${CHANNEL}_${T0 + 90_000}.ts.part`);
    writeFileSync(tiny, readFileSync(join(root, finished[0]!.path)).subarray(0, 188 * 5 + 50));
    writeFileSync(join(root, `${DAY}/${CHANNEL}_${T0 + 95_000}.ts.part`), randomBytes(seededRandom(7), 20_000));
    report = await recoverFootage(root, silentLogger(), { deviceIdFor: () => DEVICE });
  });
  after(() => rmSync(tmp, { recursive: true, force: true }));

  test('finished segments are reported exactly as the writer reported them', () => {
    assert.equal(finished.length, 2);
    for (const s of finished) assert.deepEqual(report.recovered.find((r) => r.path === s.path), s);
  });

  test('the part being written is cut to its last whole frame, renamed to .ts and plays', () => {
    const repaired = crashedPart.slice(0, -'.part'.length);
    assert.deepEqual(report.repaired, [repaired]);
    assert.ok(!existsSync(join(root, crashedPart)));
    const path = join(root, repaired);
    assert.equal(statSync(path).size % 188, 0);
    assert.equal(decodeErrors(path), '');
    assert.ok(firstFrameIsKey(path));
    const p = probeFile(path);
    assert.deepEqual(p.streams.map((s) => s.codec_name).sort(), ['aac', 'h264']);
    const seg = report.recovered.find((r) => r.path === repaired);
    assert.ok(seg);
    assert.equal(seg.start, T0 + 40_000);
    // 13 s were written; the last frame or so (cut mid-write) is gone.
    assert.ok(seg.end - seg.start > 12_000 && seg.end - seg.start <= 13_000, `${seg.end - seg.start} ms`);
    assert.ok(Math.abs(p.duration * 1000 - (seg.end - seg.start)) < 300, `ffprobe ${p.duration} s`);
    assert.deepEqual([seg.videoCodec, seg.audioCodec, seg.width, seg.height, seg.deviceId], ['h264', 'aac', 320, 240, DEVICE]);
    assert.equal(seg.bytes, statSync(path).size);
  });

  test('parts without a whole key frame, or of noise, are removed', () => {
    assert.deepEqual(report.removed.sort(), [`${DAY}/${CHANNEL}_${T0 + 90_000}.ts.part`, `${DAY}/${CHANNEL}_${T0 + 95_000}.ts.part`]);
    for (const r of report.removed) assert.ok(!existsSync(join(root, r)));
    assert.equal(report.recovered.length, 3);
  });

  test('a second run finds the same segments and changes nothing', async () => {
    const again = await recoverFootage(root, silentLogger(), { deviceIdFor: () => DEVICE });
    assert.deepEqual(again.recovered, report.recovered);
    assert.deepEqual([again.repaired, again.removed, again.unreadable], [[], [], []]);
  });

  test('a .ts that is not a recording is reported unreadable and left alone; other files are ignored', async () => {
    const other = join(tmp, 'other');
    mkdirSync(join(other, DAY), { recursive: true });
    writeFileSync(join(other, `${DAY}/${CHANNEL}_${T0}.ts`), 'hello');
    writeFileSync(join(other, `${DAY}/notes.txt`), 'hello');
    const r = await recoverFootage(other, silentLogger());
    assert.deepEqual(r.unreadable, [`${DAY}/${CHANNEL}_${T0}.ts`]);
    assert.deepEqual(r.recovered, []);
    assert.ok(existsSync(join(other, `${DAY}/${CHANNEL}_${T0}.ts`)));
  });

  test('a missing root is an empty report', async () => {
    const r = await recoverFootage(join(tmp, 'nowhere'), silentLogger());
    assert.deepEqual(r, { recovered: [], repaired: [], removed: [], unreadable: [] });
  });

  test('a large file is described from its head and tail alone, like a full read', async () => {
    const big = join(tmp, 'big');
    const { segments } = await recordInto(big, 20, false);
    const s = segments[0]!;
    assert.ok(s.bytes > 4 * 16384, `${s.bytes} bytes: too small to exercise the tail read`);
    const r = await recoverFootage(big, silentLogger(), { deviceIdFor: () => DEVICE, readWindowBytes: 16384 });
    assert.deepEqual(r.recovered, [s]);
    assert.ok(dirname(s.path).endsWith('2024-06-01'));
  });
});
