import { promises as fsp } from 'node:fs';
import { isAbsolute, relative, resolve } from 'node:path';
import type { Logger } from '../../logger';
import { concatList, planClip, seconds, type ClipPlan, type UsableSegment } from './clip-plan';
import { ExportError } from './errors';
import { hashFile } from './hash-file';
import { mp4DurationMs } from './mp4-duration';
import { runFfmpeg } from './run-ffmpeg';
import { keyFrameAtOrBefore, probeSegment } from './segment-probe';
import type { ExportClipOptions, ExportResult, SegmentRef, SkippedSegment } from './types';

const PROBE_CONCURRENCY = 8;

/**
 * Writes the footage of [from, to) as one MP4 by remuxing the recordings with ffmpeg (`-c copy`,
 * no re-encode): it starts at the key frame at or before `from` and ends with the first frame at
 * or after `to`. Segments that are missing or unreadable are skipped when others remain. The
 * file is written as `<outFile>.part` and renamed when complete and hashed; on failure or abort
 * nothing is left behind. How the cut is made: clip-plan.ts.
 */
export async function exportClip(options: ExportClipOptions): Promise<ExportResult> {
  const { from, to, outFile, signal } = options;
  if (!Number.isFinite(from) || !Number.isFinite(to) || to <= from) throw new ExportError('bad-range', `bad export range: from ${from} to ${to}`);
  const log = options.logger.child({ export: outFile });
  throwIfAborted(signal);
  const seen = new Set<string>();
  const inRange = options.segments
    .filter((s) => s.end > from && s.start < to && !seen.has(s.path) && seen.add(s.path))
    .sort((a, b) => a.start - b.start);
  if (inRange.length === 0) throw new ExportError('no-footage', `no recordings between ${iso(from)} and ${iso(to)}`);

  const { usable, skipped } = await probeAll(options.root, inRange, log);
  if (usable.length === 0) throw new ExportError('no-footage', `none of the ${inRange.length} recordings between ${iso(from)} and ${iso(to)} can be read`);
  throwIfAborted(signal);
  const first = usable[0]!;
  const partFile = `${outFile}.part`;
  const listFile = `${outFile}.ffconcat`;
  let progressed = 0;
  const report = (fraction: number) => {
    if (fraction <= progressed) return;
    progressed = fraction;
    options.onProgress?.(fraction);
  };
  try {
    const firstKey = await keyFrameAtOrBefore(first.file, first.probe, Math.max(0, from - first.ref.start) * 90);
    const plan = planClip(usable, firstKey, to);
    log.info({ from, to, segments: usable.length, skipped: skipped.length, expectedMs: plan.expectedUs / 1000 }, 'export started');
    await fsp.writeFile(listFile, concatList(plan.entries));
    await runFfmpeg({
      ffmpegPath: options.ffmpegPath ?? 'ffmpeg',
      args: ffmpegArgs(listFile, partFile, plan, first),
      // Hashing the file is the last few percent.
      onOutTime: (us) => report(Math.min(0.99, (0.97 * us) / Math.max(1, plan.expectedUs))),
      ...(signal ? { signal } : {}),
    });
    throwIfAborted(signal);
    // The hash is taken after ffmpeg is done: +faststart rewrites the file's start at the end.
    const { sha256, bytes, head } = await hashFile(partFile);
    const durationMs = mp4DurationMs(head);
    throwIfAborted(signal);
    await fsp.rename(partFile, outFile);
    report(1);
    const result: ExportResult = {
      outFile,
      bytes,
      sha256,
      durationMs: durationMs ?? plan.expectedUs / 1000,
      startedAt: plan.startedAt,
      endedAt: plan.endedAt,
      skipped,
    };
    log.info({ bytes, sha256, durationMs: result.durationMs, startedAt: result.startedAt, endedAt: result.endedAt }, 'export finished');
    return result;
  } catch (err) {
    await fsp.rm(partFile, { force: true }).catch(() => undefined);
    if (err instanceof ExportError) throw err;
    throw new ExportError('io', `export failed: ${err instanceof Error ? err.message : String(err)}`);
  } finally {
    await fsp.rm(listFile, { force: true }).catch(() => undefined);
  }
}

function ffmpegArgs(listFile: string, partFile: string, plan: ClipPlan, first: UsableSegment): string[] {
  return [
    '-hide_banner', '-nostdin', '-v', 'error', '-nostats', '-progress', 'pipe:1',
    // The concat demuxer's timeline as planned: the first key frame at 0, `-to` on the same clock.
    '-copyts',
    '-f', 'concat', '-safe', '0', '-i', listFile,
    '-map', '0:v:0', ...(first.probe.hasAudio ? ['-map', '0:a:0?'] : []),
    '-c', 'copy',
    // Apple players want H.265 in MP4 tagged hvc1 (parameter sets in the sample entry).
    ...(first.probe.videoCodec === 'h265' ? ['-tag:v', 'hvc1'] : []),
    ...(plan.cutUs !== null ? ['-to', seconds(plan.cutUs)] : []),
    '-movflags', '+faststart',
    '-f', 'mp4', '-y', partFile,
  ];
}

async function probeAll(root: string, segments: readonly SegmentRef[], log: Logger): Promise<{ usable: UsableSegment[]; skipped: SkippedSegment[] }> {
  const results: (UsableSegment | SkippedSegment)[] = new Array<UsableSegment | SkippedSegment>(segments.length);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < segments.length; i = next++) results[i] = await probeOne(root, segments[i]!);
  };
  await Promise.all(Array.from({ length: Math.min(PROBE_CONCURRENCY, segments.length) }, worker));
  const usable: UsableSegment[] = [];
  const skipped: SkippedSegment[] = [];
  for (const r of results) {
    if ('reason' in r) skipped.push(r);
    // The MP4 holds one video track: a file in another codec (the camera was reconfigured) cannot join it.
    else if (usable[0] && r.probe.videoCodec !== usable[0].probe.videoCodec) skipped.push({ path: r.ref.path, reason: 'codec-change' });
    else usable.push(r);
  }
  for (const s of skipped) log.warn({ path: s.path, reason: s.reason }, 'recording skipped in export');
  return { usable, skipped };
}

async function probeOne(root: string, ref: SegmentRef): Promise<UsableSegment | SkippedSegment> {
  const file = resolve(root, ref.path);
  const rel = relative(resolve(root), file);
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel) || /[\r\n]/.test(file)) return { path: ref.path, reason: 'outside-root' };
  try {
    const probe = await probeSegment(file);
    return probe ? { ref, file, probe } : { path: ref.path, reason: 'unreadable' };
  } catch (err) {
    return { path: ref.path, reason: (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing' : 'unreadable' };
  }
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new ExportError('aborted', 'export cancelled');
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
