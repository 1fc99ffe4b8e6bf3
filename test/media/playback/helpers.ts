import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import type { Logger } from '../../../src/logger';
import { silentLogger } from '../../../src/logger';
import type { AccessUnit, VideoCodec } from '../../../src/media/codec/types';
import { videoParamsOf } from '../../../src/media/out/http/inband-params';
import type { RecordingSegmentRef } from '../../../src/media/playback/segment-reading';
import { SegmentWriter } from '../../../src/media/record/segment-writer';
import type { FinishedSegment } from '../../../src/media/record/types';
import type { MediaSink, SinkEndReason, StreamTracks } from '../../../src/media/source/types';
import { aac8kFrames } from '../helpers/aac-frames';
import { readMedia } from '../helpers/media-files';
import { framesOf } from '../helpers/ps-stream';

/** 2024-03-01 10:00:00 UTC: the recordings start here. */
export const T0 = Date.UTC(2024, 2, 1, 10, 0, 0);
export const FRAME_TICKS = 3600;
const CHANNEL = '34020000001320000001';

export interface RecordedStream {
  codec: VideoCodec;
  units: AccessUnit[];
  tracks: StreamTracks;
}

/**
 * `seconds` of a 25 fps 640x360 camera with a key frame every second (an ffmpeg-made 2 s clip,
 * looped), optionally with 8 kHz AAC, in decoding order, timed from `firstPts`.
 */
export function cameraStream(codec: VideoCodec, seconds: number, withAudio: boolean, firstPts = 90000): RecordedStream {
  const clip = codec === 'h264' ? 'h264-640x360.h264' : 'h265-640x360.hevc';
  const frames = framesOf(readMedia(clip), codec, 0);
  const units: AccessUnit[] = [];
  for (let i = 0; i < seconds * 25; i++) {
    const f = frames[i % frames.length]!;
    const pts = firstPts + i * FRAME_TICKS;
    units.push({ kind: 'video', codec, pts, dts: pts, keyframe: f.keyframe, data: f.data });
  }
  const video = videoParamsOf(units[0]!)!;
  const tracks: StreamTracks = { video };
  if (withAudio) {
    const adts = aac8kFrames();
    for (let i = 0; (i + 1) * 11520 <= seconds * 90000; i++) {
      const pts = firstPts + i * 11520;
      units.push({ kind: 'audio', codec: 'aac', pts, dts: pts, keyframe: true, data: adts[i % adts.length]! });
    }
    units.sort((a, b) => a.dts - b.dts || (a.kind === 'video' ? -1 : 1));
    tracks.audio = { kind: 'audio', codec: 'aac', sampleRate: 8000, channels: 1 };
  }
  return { codec, units, tracks };
}

/**
 * Records a stream with the real SegmentWriter (the wall clock following media time from T0) into
 * `root`, cut every `segmentSeconds`; returns the finished segments as the player takes them.
 */
export async function recordSegments(root: string, stream: RecordedStream, segmentSeconds = 4): Promise<RecordingSegmentRef[]> {
  mkdirSync(root, { recursive: true });
  const finished: FinishedSegment[] = [];
  const errors: Error[] = [];
  const first = stream.units[0]!.dts;
  let now = T0;
  const writer = new SegmentWriter({
    root,
    channelId: CHANNEL,
    deviceId: '34020000001110000001',
    segmentSeconds,
    clock: () => now,
    logger: silentLogger(),
    onSegment: (s) => finished.push(s),
    onError: (e) => errors.push(e),
  });
  writer.start(stream.tracks);
  for (const au of stream.units) {
    now = T0 + (au.dts - first) / 90;
    writer.write(au);
  }
  writer.end('stream-ended');
  await writer.idle();
  if (errors.length > 0) throw errors[0];
  return finished.map((s) => ({ path: join(root, s.path), start: s.start, end: s.end }));
}

export interface Written {
  au: AccessUnit;
  /** performance.now() when the source handed it over. */
  at: number;
}

/** A MediaSink that keeps what it is given, with the time it arrived. */
export class RecordingSink implements MediaSink {
  readonly kind = 'test-recorder';
  readonly written: Written[] = [];
  readonly starts: StreamTracks[] = [];
  readonly changes: StreamTracks[] = [];
  endReason: SinkEndReason | null = null;

  start(tracks: StreamTracks): void {
    this.starts.push(tracks);
  }

  tracksChanged(tracks: StreamTracks): void {
    this.changes.push(tracks);
  }

  write(au: AccessUnit): void {
    this.written.push({ au, at: performance.now() });
  }

  pendingBytes(): number {
    return 0;
  }

  end(reason: SinkEndReason): void {
    this.endReason = reason;
  }

  get video(): Written[] {
    return this.written.filter((w) => w.au.kind === 'video');
  }

  get audio(): Written[] {
    return this.written.filter((w) => w.au.kind === 'audio');
  }
}

export interface LogLine {
  level: number;
  msg: string;
  [key: string]: unknown;
}

/** A real pino logger whose lines end up in `lines`. */
export function capturingLogger(): { logger: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim() !== '') lines.push(JSON.parse(line) as LogLine);
      done();
    },
  });
  return { logger: pino({ level: 'info' }, stream), lines };
}

/** Resolves after `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Resolves when `predicate` holds (checked every 10 ms), rejects after `timeoutMs`. */
export async function waitFor(predicate: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const until = performance.now() + timeoutMs;
  while (!predicate()) {
    if (performance.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

/** Largest step between consecutive decoding times (90 kHz), and whether they ever stood still or went back. */
export function steps(units: readonly AccessUnit[]): { maxStep: number; minStep: number } {
  let maxStep = 0;
  let minStep = Infinity;
  for (let i = 1; i < units.length; i++) {
    const d = units[i]!.dts - units[i - 1]!.dts;
    maxStep = Math.max(maxStep, d);
    minStep = Math.min(minStep, d);
  }
  return { maxStep, minStep };
}
