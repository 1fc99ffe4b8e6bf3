import { open, type FileHandle } from 'node:fs/promises';
import { ptsDelta, scanTs, type TsStream } from '../record/ts-scan';
import { VIDEO_STREAM_TYPES } from './ts-tables';

/** A recording file read in chunks at positions of our choosing, never whole. */
export class SegmentFile {
  private closed = false;

  private constructor(
    private readonly handle: FileHandle,
    readonly size: number,
  ) {}

  /** Rejects when the file cannot be opened (missing, permissions). */
  static async open(path: string): Promise<SegmentFile> {
    const handle = await open(path, 'r');
    try {
      const stat = await handle.stat();
      return new SegmentFile(handle, stat.size);
    } catch (err) {
      await handle.close().catch(() => undefined);
      throw err;
    }
  }

  /** Up to `length` bytes at `position` in a new buffer (access units keep views into it); empty at the end. */
  async read(position: number, length: number): Promise<Buffer> {
    const buf = Buffer.allocUnsafe(Math.max(0, Math.min(length, this.size - position)));
    if (buf.length === 0) return buf;
    const { bytesRead } = await this.handle.read(buf, 0, buf.length, position);
    return buf.subarray(0, bytesRead);
  }

  /** Idempotent; waits for reads in progress. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.handle.close().catch(() => undefined);
  }
}

export interface KeyframeLocation {
  /** Where to start reading: the first TS packet of the key frame's PES (0 when not found). */
  offset: number;
  /** The program's streams, for a demuxer that starts after the PAT/PMT; null when not seen. */
  streams: TsStream[] | null;
  /** Raw 33-bit PTS of the file's first video PES (its first frame), -1 when not seen. */
  firstPts: number;
}

/**
 * Finds the last key frame at or before `targetMs` after the file's first frame, by scanning
 * packet headers chunk by chunk (the recorder marks key frames with random_access_indicator)
 * until a key frame past the target. Damage stops the scan where it is: the caller demuxes from
 * the best offset found and drops what comes before the target itself.
 */
export async function locateKeyframe(file: SegmentFile, targetMs: number, chunkBytes: number, isCurrent: () => boolean): Promise<KeyframeLocation> {
  const found: KeyframeLocation = { offset: 0, streams: null, firstPts: -1 };
  let carry: Buffer | null = null;
  let carryAt = 0;
  let position = 0;
  let videoPid = -1;
  while (position < file.size && isCurrent()) {
    const chunk = await file.read(position, chunkBytes);
    if (chunk.length === 0) break;
    position += chunk.length;
    const buf: Buffer = carry ? Buffer.concat([carry, chunk]) : chunk;
    const scan = scanTs(buf, found.streams);
    if (scan.streams && !found.streams) {
      found.streams = scan.streams;
      videoPid = scan.streams.find((s) => VIDEO_STREAM_TYPES[s.streamType] !== undefined)?.pid ?? -1;
    }
    for (const pes of scan.pesStarts) {
      if (pes.pid !== videoPid || pes.pts < 0) continue;
      if (found.firstPts < 0) found.firstPts = pes.pts;
      if (!pes.randomAccess) continue;
      const targetPts = found.firstPts + Math.round(targetMs * 90);
      if (ptsDelta(pes.pts, targetPts) < 0) return found;
      found.offset = carryAt + pes.offset;
    }
    // A packet that is not one (garbage, a torn write): stop at what was learnt so far.
    if (scan.validLength + 188 <= buf.length) return found;
    carry = buf.subarray(scan.validLength);
    carryAt += scan.validLength;
  }
  return found;
}
