import type { Logger } from '../logger';
import { recoverFootage } from '../media/record/recover-footage';
import type { IndexStore } from '../storage/ports';
import type { RecordingSegment } from '../storage/types';

export interface ReindexReport {
  /** Segment files on disk that the index did not have (a crash between fsync and the index write). */
  added: number;
  /** Parts left by a crash mid-segment, repaired up to their last whole frame. */
  repaired: number;
  /** Parts too short to keep, removed. */
  removed: number;
  /** .ts files that are not ours or cannot be read: reported, left alone. */
  unreadable: number;
}

/**
 * At start, before anything records: repair what a crash left (`.part` files), and index every
 * finished segment file the index does not know. Indexed footage is never touched.
 */
export async function reindexFootage(root: string, index: IndexStore, logger: Logger): Promise<ReindexReport> {
  const deviceOf = new Map<string, string>();
  const report = await recoverFootage(root, logger);
  const missing: RecordingSegment[] = [];
  for (const segment of report.recovered) {
    if ((await index.getRecordingSegment(segment.id)) !== null) continue;
    let deviceId = segment.deviceId;
    if (deviceId === '') {
      if (!deviceOf.has(segment.channelId)) deviceOf.set(segment.channelId, (await index.getChannel(segment.channelId))?.deviceId ?? segment.channelId);
      deviceId = deviceOf.get(segment.channelId) ?? segment.channelId;
    }
    missing.push({ ...segment, deviceId, locked: false, createdAt: Date.now() });
  }
  for (let i = 0; i < missing.length; i += 500) await index.addRecordingSegments(missing.slice(i, i + 500));
  const result = { added: missing.length, repaired: report.repaired.length, removed: report.removed.length, unreadable: report.unreadable.length };
  if (result.added + result.repaired + result.removed + result.unreadable > 0) logger.warn({ ...result }, 'footage on disk reconciled with the index at start');
  return result;
}
