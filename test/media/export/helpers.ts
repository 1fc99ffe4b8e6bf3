import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { segmentRelativePath } from '../../../src/media/record/layout';
import type { SegmentRef } from '../../../src/media/export/types';

export { decodeErrors, firstFrameIsKey } from '../helpers/ffmpeg-checks';

export const hasFfmpeg = spawnSync('ffmpeg', ['-version']).status === 0 && spawnSync('ffprobe', ['-version']).status === 0;

/** 08:00:00 UTC. */
export const T0 = Date.UTC(2024, 2, 1, 8, 0, 0);
export const CHANNEL = '34020000001320000001';
export const SEGMENT_MS = 5000;
export const GOP_MS = 1000;

const CACHE = join(tmpdir(), 'gbvms-test-media-v1');

export type Codec = 'h264' | 'h265';

/**
 * Four 5 s MPEG-TS files with a key frame every second (320x240, 25 fps; AAC 8 kHz unless
 * `audio` is false), cut by ffmpeg's segment muxer so that timestamps run on across files as a
 * recorder's do. Made once and cached; each call returns the cached paths in order.
 */
export function cachedSegments(codec: Codec, audio = true): string[] {
  const dir = join(CACHE, `export-${codec}${audio ? '-aac' : ''}-4x5s-gop1s`);
  if (!existsSync(dir)) {
    const partial = `${dir}.${process.pid}.part`;
    rmSync(partial, { recursive: true, force: true });
    mkdirSync(partial, { recursive: true });
    const video = codec === 'h264' ? ['-c:v', 'libx264', '-preset', 'ultrafast'] : ['-c:v', 'libx265', '-preset', 'ultrafast', '-x265-params', 'log-level=error'];
    execFileSync('ffmpeg', [
      '-v', 'error', '-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=25',
      ...(audio ? ['-f', 'lavfi', '-i', 'sine=frequency=1000:sample_rate=8000'] : []),
      '-t', String((4 * SEGMENT_MS) / 1000), '-pix_fmt', 'yuv420p', ...video, '-g', '25', '-keyint_min', '25', '-sc_threshold', '0', '-bf', '0',
      ...(audio ? ['-c:a', 'aac', '-ac', '1'] : []),
      '-f', 'segment', '-segment_time', String(SEGMENT_MS / 1000), '-segment_format', 'mpegts', join(partial, 'seg_%d.ts'),
    ], { stdio: ['ignore', 'ignore', 'pipe'], timeout: 60_000 });
    try {
      renameSync(partial, dir);
    } catch {
      rmSync(partial, { recursive: true, force: true }); // another test file made it first
    }
  }
  return readdirSync(dir).filter((n) => n.endsWith('.ts')).sort().map((n) => join(dir, n));
}

/** Copies the cached segments under `root` as the recorder lays them out; returns their index entries. */
export function layFootage(root: string, codec: Codec = 'h264', audio = true): SegmentRef[] {
  return cachedSegments(codec, audio).map((file, k) => {
    const start = T0 + k * SEGMENT_MS;
    const path = segmentRelativePath(CHANNEL, start);
    mkdirSync(join(root, path, '..'), { recursive: true });
    copyFileSync(file, join(root, path));
    return { path, start, end: start + SEGMENT_MS };
  });
}

export interface Probe {
  duration: number;
  streams: { codec_type: string; codec_name: string; codec_tag_string: string; duration: number; width?: number }[];
}

export function probe(path: string): Probe {
  const out = execFileSync('ffprobe', ['-v', 'error', '-show_streams', '-show_format', '-of', 'json', path], { timeout: 30_000 });
  const parsed = JSON.parse(out.toString('utf8')) as { streams: (Omit<Probe['streams'][number], 'duration'> & { duration: string })[]; format: { duration: string } };
  return { duration: Number(parsed.format.duration), streams: parsed.streams.map((s) => ({ ...s, duration: Number(s.duration) })) };
}

export function videoOf(p: Probe): Probe['streams'][number] {
  const v = p.streams.find((s) => s.codec_type === 'video');
  if (!v) throw new Error('no video stream');
  return v;
}

/** An executable script standing in for ffmpeg. */
export function fakeFfmpeg(dir: string, name: string, body: string): string {
  const path = join(dir, name);
  writeFileSync(path, `#!/bin/sh\n${body}\n`);
  chmodSync(path, 0o755);
  return path;
}

/** Real ffmpeg reading its input at the native rate (`-re`): a 10 s clip takes 10 s, long enough to cancel. */
export function slowFfmpeg(dir: string): string {
  return fakeFfmpeg(dir, 'slow-ffmpeg', 'exec ffmpeg -re "$@"');
}

export async function until(check: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 10));
  }
}
