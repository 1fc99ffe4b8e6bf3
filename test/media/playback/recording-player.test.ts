import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { open } from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';
import { silentLogger } from '../../../src/logger';
import { RecordingPlayer, type RecordingPlayerOptions } from '../../../src/media/playback/recording-player';
import type { RecordingSegmentRef } from '../../../src/media/playback/segment-reading';
import { MediaSource } from '../../../src/media/source/media-source';
import { randomBytes, seededRandom } from '../../helpers/random';
import { hasFfmpeg } from '../helpers/media-files';
import { cameraStream, capturingLogger, FRAME_TICKS, recordSegments, RecordingSink, sleep, steps, T0, waitFor } from './helpers';

interface Session {
  player: RecordingPlayer;
  sink: RecordingSink;
  source: MediaSource;
  ended: Promise<number>;
}

const GOP_TICKS = 25 * FRAME_TICKS;

describe('RecordingPlayer', { skip: !hasFfmpeg && 'ffmpeg is not installed', concurrency: true }, () => {
  let tmp: string;
  /** Three contiguous 4 s segments, 1 s GOP, H.264 + AAC, from T0. */
  let avc: RecordingSegmentRef[];
  /** The same in H.265 without audio. */
  let hevc: RecordingSegmentRef[];
  const players: RecordingPlayer[] = [];

  before(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'gbvms-playback-'));
    avc = await recordSegments(join(tmp, 'avc'), cameraStream('h264', 12, true));
    hevc = await recordSegments(join(tmp, 'hevc'), cameraStream('h265', 12, false));
  });
  after(() => {
    for (const p of players) p.close();
    rmSync(tmp, { recursive: true, force: true });
  });

  function play(options: Partial<RecordingPlayerOptions> & { segments: RecordingSegmentRef[]; from: number }): Session {
    const source = new MediaSource(`playback-${players.length}`);
    const sink = new RecordingSink();
    source.attach(sink);
    const player = new RecordingPlayer({ source, logger: silentLogger(), ...options });
    players.push(player);
    const ended = new Promise<number>((resolve) => player.once('ended', () => resolve(performance.now())));
    player.start();
    return { player, sink, source, ended };
  }

  test('the three segments are contiguous 4 s files', () => {
    assert.deepEqual(
      avc.map((s) => [s.start - T0, s.end - T0]),
      [
        [0, 4000],
        [4000, 8000],
        [8000, 12000],
      ],
    );
  });

  test('at 1x from the middle of the first segment: a key frame first, no jump at either boundary, wall time = media time, ended at the end', async () => {
    const { player, sink, ended } = play({ segments: avc, from: T0 + 2000 });
    const positions: number[] = [];
    player.on('position', (p) => positions.push(p));
    await waitFor(() => player.position >= T0 + 8600, 9000, 'the second boundary');
    const video = sink.video;
    assert.equal(video[0]?.au.keyframe, true);
    assert.equal(video[0]?.au.codec, 'h264');
    assert.equal(positions[0], T0 + 2000, 'starts at the key frame at 2 s');
    // Every recorded frame from 2 s to here, once: nothing lost or doubled at 4 s and 8 s.
    assert.equal(video.length, (player.position - (T0 + 2000)) / 40 + 1);
    assert.deepEqual(steps(video.map((w) => w.au)), { maxStep: FRAME_TICKS, minStep: FRAME_TICKS });
    const audio = sink.audio.map((w) => w.au);
    assert.ok(audio.length > 40);
    assert.deepEqual(steps(audio), { maxStep: 11520, minStep: 11520 }, 'AAC frames follow each other across the boundaries too');
    const wallMs = video.at(-1)!.at - video[0]!.at;
    const mediaMs = (video.at(-1)!.au.dts - video[0]!.au.dts) / 90;
    assert.ok(Math.abs(wallMs - mediaMs) < 150, `wall ${wallMs.toFixed(0)} ms for ${mediaMs} ms of media`);
    for (let i = 25; i < video.length; i += 25) {
      const late = video[i]!.at - video[0]!.at - (video[i]!.au.dts - video[0]!.au.dts) / 90;
      assert.ok(Math.abs(late) < 100, `frame ${i} off its time by ${late.toFixed(0)} ms`);
    }
    // The rest fast: ended comes after the last segment, timestamps still climbing.
    player.setSpeed(8);
    await ended;
    assert.equal(player.state, 'ended');
    assert.equal(player.position, T0 + 11000, 'the last key frame');
    const after = sink.video.slice(video.length - 1).map((w) => w.au);
    assert.ok(after.length >= 3 && steps(after).minStep > 0);
    assert.equal(player.stats.segmentsPlayed, 3);
  });

  test('H.265 at 2x: every frame, continuous across both boundaries, in half the time', async () => {
    const { player, sink, ended } = play({ segments: hevc, from: T0 + 2000, speed: 2 });
    const endedAt = await ended;
    const video = sink.video;
    assert.equal(video[0]?.au.keyframe, true);
    assert.ok(video.every((w) => w.au.codec === 'h265'));
    assert.equal(video.length, 250, 'every frame from 2 s to 12 s');
    assert.deepEqual(steps(video.map((w) => w.au)), { maxStep: FRAME_TICKS / 2, minStep: FRAME_TICKS / 2 });
    const wallMs = endedAt - video[0]!.at;
    assert.ok(Math.abs(wallMs - 9960 / 2) < 250, `${wallMs.toFixed(0)} ms for 9.96 s at 2x`);
    assert.equal(player.position, T0 + 11960);
  });

  test('4x sends key frames only, paced at a quarter of the recorded time', async () => {
    const { player, sink, ended } = play({ segments: avc, from: T0 + 2000, speed: 4 });
    const endedAt = await ended;
    const video = sink.video;
    assert.deepEqual(
      video.map((w) => w.au.keyframe),
      Array(10).fill(true),
      'the key frames at 2..11 s',
    );
    assert.equal(sink.audio.length, 0, 'no audio away from 1x');
    // One second of recording per key frame, a quarter second apart, across the boundaries too.
    assert.deepEqual(steps(video.map((w) => w.au)), { maxStep: GOP_TICKS / 4, minStep: GOP_TICKS / 4 });
    const wallMs = endedAt - video[0]!.at;
    assert.ok(Math.abs(wallMs - 9000 / 4) < 200, `${wallMs.toFixed(0)} ms for 9 s at 4x`);
    assert.equal(player.stats.keyframesSent, 10);
  });

  test('back from 4x to 1x: full frame rate and audio again from the next key frame, no timestamp jump', async () => {
    const { player, sink } = play({ segments: avc, from: T0 + 1000, speed: 4 });
    await waitFor(() => sink.video.length >= 3, 3000, 'three key frames at 4x');
    player.setSpeed(1);
    const switched = sink.video.length;
    await waitFor(() => sink.video.length >= switched + 30, 3000, 'frames at 1x');
    player.close();
    const video = sink.video.map((w) => w.au);
    assert.ok(video.slice(0, switched).every((au) => au.keyframe));
    assert.equal(video[switched]?.keyframe, true, 'the first frame at 1x is a key frame');
    const s = steps(video);
    assert.ok(s.minStep > 0 && s.maxStep <= GOP_TICKS / 4, `steps ${JSON.stringify(s)}`);
    assert.deepEqual(steps(video.slice(switched)), { maxStep: FRAME_TICKS, minStep: FRAME_TICKS });
    assert.ok(sink.audio.length > 5, 'audio at 1x');
    assert.ok(sink.audio[0]!.au.dts >= video[switched]!.dts - 11520, 'no audio before the switch');
  });

  test('pause stops the frames; resume continues with the next frame slot, not the time that passed', async () => {
    const { player, sink } = play({ segments: avc, from: T0 + 1000 });
    await sleep(600);
    player.pause();
    assert.equal(player.state, 'paused');
    const count = sink.written.length;
    const lastBefore = sink.video.at(-1)!;
    await sleep(600);
    assert.equal(sink.written.length, count, 'nothing while paused');
    player.resume();
    assert.equal(player.state, 'playing');
    await sleep(500);
    const resumed = sink.video.slice(sink.video.indexOf(lastBefore));
    assert.ok(resumed.length >= 10, `${resumed.length} frames after resume`);
    assert.equal(resumed[1]!.au.dts - lastBefore.au.dts, FRAME_TICKS, 'no timestamp jump over the pause');
    assert.ok(resumed[1]!.at - lastBefore.at >= 580, 'the pause took wall time');
    assert.deepEqual(steps(resumed.map((w) => w.au)), { maxStep: FRAME_TICKS, minStep: FRAME_TICKS });
    player.close();
  });

  test('seeking back into another segment starts at the key frame before the time, and timestamps keep climbing', async () => {
    const { player, sink } = play({ segments: avc, from: T0 + 9000, readAheadBytes: 8192 });
    await waitFor(() => player.position >= T0 + 9400, 2000, 'some playing');
    const lastBefore = sink.video.at(-1)!;
    const countBefore = sink.video.length;
    player.seek(T0 + 2500);
    assert.equal(player.position, T0 + 2500, 'the position asked for, until a frame is sent');
    await waitFor(() => sink.video.length >= countBefore + 10, 2000, 'frames after the seek');
    assert.ok(player.position >= T0 + 2000 && player.position < T0 + 3000, `position ${player.position - T0}`);
    const after = sink.video.slice(sink.video.indexOf(lastBefore) + 1);
    assert.equal(after[0]?.au.keyframe, true, 'a key frame first');
    assert.equal(after[0]!.au.dts - lastBefore.au.dts, FRAME_TICKS, 'the new GOP takes the next frame slot');
    assert.deepEqual(steps(sink.video.map((w) => w.au)), { maxStep: FRAME_TICKS, minStep: FRAME_TICKS });
    assert.equal(after.length, (player.position - (T0 + 2000)) / 40 + 1, 'from the key frame at 2 s');
    player.close();
  });

  test('a missing and a corrupt segment in the middle are skipped with a log line; playback goes on to the next', async () => {
    const garbage = join(tmp, 'garbage.ts');
    writeFileSync(garbage, randomBytes(seededRandom(11), 64 * 1024));
    const { logger, lines } = capturingLogger();
    const segments = [
      avc[0]!,
      { path: join(tmp, 'gone.ts'), start: T0 + 4000, end: T0 + 6000 },
      { path: garbage, start: T0 + 6000, end: T0 + 8000 },
      avc[2]!,
    ];
    const skipped: string[] = [];
    const { player, sink, ended } = play({ segments, from: T0 + 2000, speed: 8, logger });
    player.on('segmentSkipped', (path) => skipped.push(path));
    await ended;
    assert.deepEqual(skipped, [join(tmp, 'gone.ts'), garbage]);
    const warned = lines.filter((l) => l.msg === 'recording segment skipped').map((l) => [l.path, l.reason]);
    assert.deepEqual(warned, [
      [join(tmp, 'gone.ts'), 'cannot be read: ENOENT'],
      [garbage, 'no playable frames'],
    ]);
    const video = sink.video.map((w) => w.au);
    assert.equal(video.length, 2 + 4, 'key frames 2, 3 then 8..11 s');
    const s = steps(video);
    assert.ok(s.minStep > 0 && s.maxStep <= GOP_TICKS / 8, `steps ${JSON.stringify(s)}`);
    assert.equal(player.stats.segmentsSkipped, 2);
  });

  test('a damaged segment plays what can be read, and says so', async () => {
    const damaged = join(tmp, 'damaged.ts');
    copyFileSync(avc[1]!.path, damaged);
    const bytes = Buffer.alloc(188 * 30, 0x55);
    
    const fh = await open(damaged, 'r+');
    await fh.write(bytes, 0, bytes.length, 188 * 200);
    await fh.close();
    const { logger, lines } = capturingLogger();
    const { player, sink, ended } = play({ segments: [avc[0]!, { ...avc[1]!, path: damaged }, avc[2]!], from: T0 + 3000, speed: 2, logger, readAheadBytes: 8192 });
    await ended;
    assert.ok(lines.some((l) => l.msg === 'damaged recording segment: played what could be read' && l.path === damaged));
    const video = sink.video.map((w) => w.au);
    assert.ok(video.length > 150 && video.length < 225, `${video.length} frames`);
    assert.ok(steps(video).minStep > 0, 'still monotonic');
    assert.equal(player.stats.segmentsPlayed, 3);
  });

  test('a start inside a gap begins with the next segment; a start after the end ends at once', async () => {
    const gap = play({ segments: [avc[0]!, avc[2]!], from: T0 + 5000, speed: 8 });
    await gap.ended;
    assert.equal(gap.sink.video[0]?.au.keyframe, true);
    assert.deepEqual(
      gap.sink.video.map((w) => w.au.pts - gap.sink.video[0]!.au.pts),
      [0, 1, 2, 3].map((i) => (i * GOP_TICKS) / 8),
    );
    const late = play({ segments: avc, from: T0 + 60_000 });
    await late.ended;
    assert.equal(late.sink.written.length, 0);
    assert.equal(late.player.state, 'ended');
  });

  test('files are read a chunk at a time, only as far ahead as readAheadBytes', async () => {
    const { player, sink } = play({ segments: avc, from: T0, readAheadBytes: 8192 });
    await waitFor(() => sink.video.length > 0, 2000, 'the first frame');
    player.pause();
    await sleep(300);
    const fileBytes = statSync(avc[0]!.path).size;
    assert.ok(player.stats.bytesRead > 0 && player.stats.bytesRead <= 4 * 8192, `${player.stats.bytesRead} bytes read of a ${fileBytes} byte file while paused`);
    assert.ok(fileBytes > 8 * 8192);
    player.close();
  });

  test('speeds outside 0.5..8 are refused', () => {
    const { player } = play({ segments: avc, from: T0 });
    for (const bad of [0.25, 0, -1, 8.5, Number.NaN, Infinity]) assert.throws(() => player.setSpeed(bad), RangeError);
    player.setSpeed(0.5);
    assert.equal(player.speed, 0.5);
    player.close();
  });
});
