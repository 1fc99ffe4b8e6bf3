import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Longer clips than test/media/helpers/media-files.ts makes (several 2 s segments are needed),
 * made and cached the same way: in the shared temp cache, written under a temporary name.
 */
const CACHE = join(tmpdir(), 'gbvms-test-media-v1');

const RECIPES: Record<string, string[]> = {
  'hls-h264-640x360-6s.h264': ['-f', 'lavfi', '-i', 'testsrc=size=640x360:rate=25', '-t', '6', '-pix_fmt', 'yuv420p', '-c:v', 'libx264', '-preset', 'veryfast', '-g', '25', '-bf', '0', '-f', 'h264'],
  'hls-h265-640x360-6s.hevc': ['-f', 'lavfi', '-i', 'testsrc=size=640x360:rate=25', '-t', '6', '-pix_fmt', 'yuv420p', '-c:v', 'libx265', '-preset', 'veryfast', '-g', '25', '-bf', '0', '-x265-params', 'log-level=error', '-f', 'hevc'],
  'hls-aac-48k-6s.aac': ['-f', 'lavfi', '-i', 'sine=frequency=1000:sample_rate=48000', '-t', '6', '-c:a', 'aac', '-ac', '1', '-f', 'adts'],
};

export function readHlsMedia(name: string): Buffer {
  const recipe = RECIPES[name];
  if (!recipe) throw new Error(`no recipe for test media ${name}`);
  const path = join(CACHE, name);
  if (!existsSync(path)) {
    mkdirSync(CACHE, { recursive: true });
    const partial = `${path}.${process.pid}.part`;
    execFileSync('ffmpeg', ['-v', 'error', '-y', ...recipe, partial], { stdio: ['ignore', 'ignore', 'pipe'], timeout: 60_000 });
    renameSync(partial, path);
  }
  return readFileSync(path);
}
