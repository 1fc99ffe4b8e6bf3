import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Test media made with Debian's ffmpeg on first use and cached in the temp dir (shared by the
 * test files; each file is written under a temporary name and renamed, so parallel runs are safe).
 */
export const hasFfmpeg = spawnSync('ffmpeg', ['-version']).status === 0 && spawnSync('ffprobe', ['-version']).status === 0;

const CACHE = join(tmpdir(), 'gbvms-test-media-v1');

const RECIPES: Record<string, string[]> = {
  'h264-640x360.h264': ['-f', 'lavfi', '-i', 'testsrc=size=640x360:rate=25', '-t', '2', '-pix_fmt', 'yuv420p', '-c:v', 'libx264', '-g', '25', '-bf', '0', '-f', 'h264'],
  'h265-640x360.hevc': ['-f', 'lavfi', '-i', 'testsrc=size=640x360:rate=25', '-t', '2', '-pix_fmt', 'yuv420p', '-c:v', 'libx265', '-g', '25', '-bf', '0', '-x265-params', 'log-level=error', '-f', 'hevc'],
  'h264-320x240.h264': ['-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=25', '-t', '1', '-pix_fmt', 'yuv420p', '-c:v', 'libx264', '-g', '25', '-bf', '0', '-f', 'h264'],
  'h265-320x240.hevc': ['-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=25', '-t', '1', '-pix_fmt', 'yuv420p', '-c:v', 'libx265', '-g', '25', '-bf', '0', '-x265-params', 'log-level=error', '-f', 'hevc'],
  'h264-1080p.h264': ['-f', 'lavfi', '-i', 'testsrc=size=1920x1080:rate=25', '-frames:v', '1', '-pix_fmt', 'yuv420p', '-c:v', 'libx264', '-preset', 'ultrafast', '-f', 'h264'],
  'h264-bframes.h264': ['-f', 'lavfi', '-i', 'testsrc=size=640x360:rate=25', '-t', '1', '-pix_fmt', 'yuv420p', '-c:v', 'libx264', '-g', '25', '-bf', '2', '-f', 'h264'],
  // Noise makes frames far larger than one PES can hold (the key frame is ~200 KB).
  'h264-noise.h264': ['-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=25', '-vf', 'noise=alls=40:allf=t', '-frames:v', '4', '-pix_fmt', 'yuv420p', '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '25', '-bf', '0', '-f', 'h264'],
  'aac-8k.aac': ['-f', 'lavfi', '-i', 'sine=frequency=1000:sample_rate=8000', '-t', '2', '-c:a', 'aac', '-ac', '1', '-f', 'adts'],
  'g711a-8k.alaw': ['-f', 'lavfi', '-i', 'sine=frequency=1000:sample_rate=8000', '-t', '2', '-c:a', 'pcm_alaw', '-f', 'alaw'],
  // ffmpeg's own program stream muxers write no PSM and put H.264 on stream id 0xE2.
  'ffmpeg-h264.vob': ['-f', 'lavfi', '-i', 'testsrc=size=640x360:rate=25', '-t', '2', '-pix_fmt', 'yuv420p', '-c:v', 'libx264', '-g', '25', '-bf', '0', '-f', 'vob'],
  'ffmpeg-h264.mpg': ['-f', 'lavfi', '-i', 'testsrc=size=640x360:rate=25', '-t', '2', '-pix_fmt', 'yuv420p', '-c:v', 'libx264', '-g', '25', '-bf', '0', '-f', 'mpeg'],
  // Long enough for several 2 s HLS segments.
  'hls-h264-640x360-6s.h264': ['-f', 'lavfi', '-i', 'testsrc=size=640x360:rate=25', '-t', '6', '-pix_fmt', 'yuv420p', '-c:v', 'libx264', '-preset', 'veryfast', '-g', '25', '-bf', '0', '-f', 'h264'],
  'hls-h265-640x360-6s.hevc': ['-f', 'lavfi', '-i', 'testsrc=size=640x360:rate=25', '-t', '6', '-pix_fmt', 'yuv420p', '-c:v', 'libx265', '-preset', 'veryfast', '-g', '25', '-bf', '0', '-x265-params', 'log-level=error', '-f', 'hevc'],
  'hls-aac-48k-6s.aac': ['-f', 'lavfi', '-i', 'sine=frequency=1000:sample_rate=48000', '-t', '6', '-c:a', 'aac', '-ac', '1', '-f', 'adts'],
};


export function mediaPath(name: string): string {
  const recipe = RECIPES[name];
  if (!recipe) throw new Error(`no recipe for test media ${name}`);
  const path = join(CACHE, name);
  if (!existsSync(path)) {
    mkdirSync(CACHE, { recursive: true });
    const partial = `${path}.${process.pid}.part`;
    execFileSync('ffmpeg', ['-v', 'error', '-y', ...recipe, partial], { stdio: ['ignore', 'ignore', 'pipe'], timeout: 60_000 });
    renameSync(partial, path);
  }
  return path;
}

export function readMedia(name: string): Buffer {
  return readFileSync(mediaPath(name));
}

/** ffprobe's view of a file: streams with codec, size and decoded frame count. */
export function probe(path: string): { codec_name: string; width?: number; height?: number; nb_read_frames?: string }[] {
  const out = execFileSync('ffprobe', ['-v', 'error', '-show_streams', '-count_frames', '-of', 'json', path], { timeout: 60_000 });
  const parsed = JSON.parse(out.toString('utf8')) as { streams?: { codec_name: string; width?: number; height?: number; nb_read_frames?: string }[] };
  return parsed.streams ?? [];
}

/** Writes `data` to a temporary file, runs ffprobe on it and removes the file again. */
export function probeBytes(name: string, data: Buffer): ReturnType<typeof probe> {
  const dir = join(CACHE, 'scratch');
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${process.pid}-${name}`);
  writeFileSync(path, data);
  try {
    return probe(path);
  } finally {
    rmSync(path, { force: true });
  }
}
