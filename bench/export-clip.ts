/**
 * Clip export speed: 10 minutes of 1280x720 H.264 at 2 Mbit/s CBR (2 s GOP, AAC 8 kHz mono),
 * recorded as 60 s MPEG-TS segments in the footage layout, then 5 minutes across six of them
 * (02:30 to 07:30) exported to MP4 with exportClip: key-frame search, ffmpeg remux (-c copy),
 * SHA-256 of the result. Prints seconds, x real time (target >= 50x) and MB/s of MP4 written.
 * The footage is made once with ffmpeg (about a minute) and cached in the temp dir.
 *
 * Usage: node --import tsx bench/export-clip.ts [runs=5]
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { silentLogger } from '../src/logger';
import { exportClip } from '../src/media/export/export-clip';
import type { SegmentRef } from '../src/media/export/types';
import { segmentRelativePath } from '../src/media/record/layout';

const runs = Number(process.argv[2] ?? 5);
const CHANNEL = '34020000001320000001';
const T0 = Date.UTC(2024, 5, 1, 10, 0, 0);
const MINUTE = 60_000;
const CACHE = join(tmpdir(), 'gbvms-bench-export-v1');

function makeFootage(): string[] {
  if (!existsSync(CACHE)) {
    const partial = `${CACHE}.${process.pid}.part`;
    rmSync(partial, { recursive: true, force: true });
    mkdirSync(partial, { recursive: true });
    console.log('making 10 min of 720p footage (once)...');
    const t = performance.now();
    execFileSync('ffmpeg', [
      '-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=1280x720:rate=25', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=8000',
      '-t', '600', '-pix_fmt', 'yuv420p', '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '50', '-keyint_min', '50', '-sc_threshold', '0',
      '-b:v', '2M', '-minrate', '2M', '-maxrate', '2M', '-bufsize', '2M', '-x264-params', 'nal-hrd=cbr',
      '-c:a', 'aac', '-ac', '1', '-b:a', '32k',
      '-f', 'segment', '-segment_time', '60', '-segment_format', 'mpegts', join(partial, 'seg_%02d.ts'),
    ], { stdio: ['ignore', 'inherit', 'inherit'] });
    renameSync(partial, CACHE);
    console.log(`made in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  }
  return readdirSync(CACHE).filter((n) => n.endsWith('.ts')).sort().map((n) => join(CACHE, n));
}

const work = mkdtempSync(join(tmpdir(), 'gbvms-bench-export-'));
try {
  const root = join(work, 'footage');
  const segments: SegmentRef[] = makeFootage().map((file, k) => {
    const start = T0 + k * MINUTE;
    const path = segmentRelativePath(CHANNEL, start);
    mkdirSync(join(root, path, '..'), { recursive: true });
    copyFileSync(file, join(root, path));
    return { path, start, end: start + MINUTE };
  });
  const footageBytes = segments.reduce((sum, s) => sum + statSync(join(root, s.path)).size, 0);
  console.log(`footage: ${segments.length} segments, ${(footageBytes / 1e6).toFixed(1)} MB (${((footageBytes * 8) / 600 / 1e6).toFixed(2)} Mbit/s)`);

  const from = T0 + 2.5 * MINUTE;
  const to = T0 + 7.5 * MINUTE;
  const clipSeconds = (to - from) / 1000;
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const outFile = join(work, `clip-${i}.mp4`);
    const t = performance.now();
    const r = await exportClip({ root, segments, from, to, outFile, logger: silentLogger() });
    const seconds = (performance.now() - t) / 1000;
    times.push(seconds);
    console.log(
      `run ${i + 1}: ${seconds.toFixed(2)} s, ${(clipSeconds / seconds).toFixed(0)}x real time, ${(r.bytes / 1e6 / seconds).toFixed(0)} MB/s` +
        ` (${(r.bytes / 1e6).toFixed(1)} MB, ${(r.durationMs / 1000).toFixed(2)} s of clip from ${new Date(r.startedAt).toISOString().slice(11, 23)}, sha256 ${r.sha256.slice(0, 12)}...)`,
    );
    rmSync(outFile);
  }
  const median = [...times].sort((a, b) => a - b)[Math.floor(times.length / 2)] ?? 0;
  console.log(`median: ${median.toFixed(2)} s for ${clipSeconds} s of footage = ${(clipSeconds / median).toFixed(0)}x real time (target >= 50x)`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
