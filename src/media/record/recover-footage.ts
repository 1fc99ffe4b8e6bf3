import { promises as fsp } from 'node:fs';
import { basename, join } from 'node:path';
import type { Logger } from '../../logger';
import { durationMs, mediaOf, videoStarts } from './describe-segment';
import { PART_SUFFIX, parseSegmentFileName, segmentId } from './layout';
import { scanTs } from './ts-scan';
import type { FinishedSegment } from './types';

export interface RecoveryReport {
  /** Every playable segment on disk (repaired parts included), for re-indexing what the index lacks. */
  recovered: FinishedSegment[];
  /** Root-relative paths of `.part` files that were cut back and renamed to `.ts`. */
  repaired: string[];
  /** Root-relative paths of `.part` files removed for holding no whole key frame. */
  removed: string[];
  /** Root-relative paths of `.ts` files that could not be read as our recordings (left alone). */
  unreadable: string[];
}

export interface RecoverOptions {
  /** Device of a channel, for the segments' deviceId; '' when not given. */
  deviceIdFor?: (channelId: string) => string;
  /**
   * Bytes read from each end of a finished file: enough for a PMT, a key frame's SPS and the
   * last frames. Default 1 MiB.
   */
  readWindowBytes?: number;
}

const PACKET = 188;

/**
 * Brings the footage tree back to a consistent state after a crash, and lists what is on it.
 * A `.part` (the segment being written when the process died) is cut back to its last whole
 * video frame and renamed to `.ts` when it still holds a key frame, else removed. Run it before
 * recording starts: it must not race a SegmentWriter on the same channel.
 */
export async function recoverFootage(root: string, logger: Logger, options: RecoverOptions = {}): Promise<RecoveryReport> {
  const report: RecoveryReport = { recovered: [], repaired: [], removed: [], unreadable: [] };
  for (const channel of await dirs(root)) {
    for (const day of await dirs(join(root, channel))) {
      const rel = `${channel}/${day}`;
      const names = (await fsp.readdir(join(root, rel))).sort();
      for (const name of names.filter((n) => n.endsWith(`.ts${PART_SUFFIX}`))) {
        await recoverPart(root, `${rel}/${name}`, logger, report);
      }
      const finished = (await fsp.readdir(join(root, rel))).filter((n) => n.endsWith('.ts')).sort();
      for (const name of finished) {
        const seg = await describeFile(root, `${rel}/${name}`, options);
        if (seg) report.recovered.push(seg);
        else {
          report.unreadable.push(`${rel}/${name}`);
          logger.warn({ path: `${rel}/${name}` }, 'footage file is not a readable recording: left alone');
        }
      }
    }
  }
  return report;
}

async function dirs(path: string): Promise<string[]> {
  try {
    const entries = await fsp.readdir(path, { withFileTypes: true });
    return entries.filter((e) => e.isDirectory()).map((e) => e.name).sort();
  } catch {
    return [];
  }
}

async function recoverPart(root: string, rel: string, logger: Logger, report: RecoveryReport): Promise<void> {
  const path = join(root, rel);
  const finalRel = rel.slice(0, -PART_SUFFIX.length);
  const buf = await fsp.readFile(path);
  const scan = scanTs(buf);
  const media = mediaOf(buf, scan);
  const starts = media ? videoStarts(scan, media.videoPid) : [];
  // The last frame may have been cut mid-write: keep everything before it.
  const keep = starts.length >= 2 && starts[0]?.randomAccess ? (starts[starts.length - 1]?.offset ?? 0) : 0;
  const named = parseSegmentFileName(basename(finalRel)) !== null;
  const clash = await exists(join(root, finalRel));
  if (keep === 0 || !named || clash) {
    await fsp.unlink(path);
    report.removed.push(rel);
    logger.warn({ path: rel, bytes: buf.length, reason: !named ? 'unknown name' : clash ? 'finished file exists' : 'no whole key frame' }, 'unfinished recording removed');
    return;
  }
  const handle = await fsp.open(path, 'r+');
  try {
    await handle.truncate(keep);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await fsp.rename(path, join(root, finalRel));
  report.repaired.push(finalRel);
  logger.warn({ path: finalRel, bytes: keep, droppedBytes: buf.length - keep }, 'unfinished recording recovered');
}

async function exists(path: string): Promise<boolean> {
  return fsp.lstat(path).then(
    () => true,
    () => false,
  );
}

/** A finished file's index entry, read from its name, its head and its tail. */
async function describeFile(root: string, rel: string, options: RecoverOptions): Promise<FinishedSegment | null> {
  const name = parseSegmentFileName(basename(rel));
  if (!name || !rel.startsWith(`${name.channelId}/`)) return null;
  const handle = await fsp.open(join(root, rel), 'r');
  try {
    const { size } = await handle.stat();
    const window = Math.max(64 * PACKET, options.readWindowBytes ?? 1 << 20);
    const head = await readAt(handle, 0, Math.min(size, window));
    const headScan = scanTs(head);
    const media = mediaOf(head, headScan);
    if (!media) return null;
    const first = videoStarts(headScan, media.videoPid)[0];
    let tailStarts = videoStarts(headScan, media.videoPid);
    if (size > window) {
      const tailOffset = Math.floor(Math.max(0, size - window) / PACKET) * PACKET;
      const tail = await readAt(handle, tailOffset, size - tailOffset);
      tailStarts = videoStarts(scanTs(tail, headScan.streams), media.videoPid);
    }
    return {
      id: segmentId(name.channelId, name.startMs),
      channelId: name.channelId,
      deviceId: options.deviceIdFor?.(name.channelId) ?? '',
      start: name.startMs,
      end: name.startMs + Math.max(1, Math.round(durationMs(first, tailStarts))),
      path: rel,
      bytes: size,
      videoCodec: media.videoCodec,
      audioCodec: media.audioCodec,
      width: media.width,
      height: media.height,
    };
  } finally {
    await handle.close();
  }
}

async function readAt(handle: fsp.FileHandle, position: number, length: number): Promise<Buffer> {
  const buf = Buffer.alloc(length);
  const { bytesRead } = await handle.read(buf, 0, length, position);
  return buf.subarray(0, bytesRead);
}
