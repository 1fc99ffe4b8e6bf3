import { join } from 'node:path';
import type { Logger } from '../../logger';
import type { AccessUnit, VideoCodec } from '../codec/types';
import { TsMuxer } from '../out/hls/ts-muxer';
import type { MediaSink, SinkEndReason, StreamTracks } from '../source/types';
import { isSafeChannelId, PART_SUFFIX, segmentId, segmentRelativePath } from './layout';
import { nodeRecordFs, writeAll, type RecordFile, type RecordFs } from './record-fs';
import type { FinishedSegment, SegmentWriterOptions } from './types';

const TICKS_PER_MS = 90;
/** A new segment continues the previous one (start = previous end) when the wall clock agrees this closely. */
const CONTINUE_WITHIN_MS = 1000;

interface OpenSegment {
  start: number;
  /** Wall clock when the first key frame arrived. */
  wallStart: number;
  startPts: number;
  lastPts: number;
  codec: VideoCodec;
  muxer: TsMuxer;
  file: RecordFile | null;
  partPath: string;
  relPath: string;
  buffered: Buffer[];
  bufferedBytes: number;
  bufferedFrames: number;
  flushQueued: boolean;
  bytes: number;
}

/**
 * Records a live stream to MPEG-TS files, one per ~segmentSeconds, each starting at a key frame.
 * A segment is written as `<name>.ts.part` with batched async writes, then fsynced and renamed
 * to `<name>.ts` and reported through onSegment. File work runs on one queue in order; a failed
 * operation stops the recording (onError, the unfinished part removed). Never throws.
 * Streams without video are not recorded (audio alone has no key frames to cut at).
 */
export class SegmentWriter implements MediaSink {
  readonly kind = 'record';
  readonly stats = { segments: 0, droppedWaitingForKeyframe: 0, discontinuities: 0, wallClockEnds: 0 };
  private readonly o: Required<Pick<SegmentWriterOptions, 'segmentSeconds' | 'maxTimestampGapSeconds' | 'maxDriftMs' | 'writeThresholdBytes' | 'writeThresholdFrames'>>;
  private readonly clock: () => number;
  private readonly log: Logger;
  private readonly fs: RecordFs;
  private tracks: StreamTracks = {};
  private open: OpenSegment | null = null;
  private waitingForKeyframe = true;
  private lastDts = -1;
  private frameTicks = 0;
  private previousEnd = -1;
  private inFlightBytes = 0;
  private stopped = false;
  private failed = false;
  private queue: Promise<void> = Promise.resolve();
  /** The segment whose file operation is running. */
  private active: OpenSegment | null = null;

  constructor(private readonly options: SegmentWriterOptions & { fs?: RecordFs }) {
    this.o = {
      segmentSeconds: options.segmentSeconds ?? 60,
      maxTimestampGapSeconds: options.maxTimestampGapSeconds ?? 5,
      maxDriftMs: options.maxDriftMs ?? 5000,
      writeThresholdBytes: options.writeThresholdBytes ?? 256 * 1024,
      writeThresholdFrames: options.writeThresholdFrames ?? 8,
    };
    this.clock = options.clock ?? Date.now;
    this.fs = options.fs ?? nodeRecordFs;
    this.log = options.logger.child({ channelId: options.channelId, deviceId: options.deviceId, sink: 'record' });
    if (!isSafeChannelId(options.channelId)) this.fail(new Error(`channel id not usable as a file name: ${JSON.stringify(options.channelId)}`));
  }

  start(tracks: StreamTracks): void {
    this.tracks = tracks;
    if (!tracks.video) this.log.warn('stream has no video: nothing is recorded');
  }

  tracksChanged(tracks: StreamTracks): void {
    this.closeOpen(-1);
    this.tracks = tracks;
    this.waitingForKeyframe = true;
  }

  write(au: AccessUnit): void {
    if (this.stopped) return;
    if (au.kind === 'video') {
      if (this.open && this.isJump(au)) {
        this.stats.discontinuities++;
        this.log.warn({ from: this.lastDts, to: au.dts }, 'video timestamps jumped: segment closed');
        this.closeOpen(-1);
        this.waitingForKeyframe = true;
        this.lastDts = -1;
      }
      if (!au.keyframe && this.waitingForKeyframe) {
        this.stats.droppedWaitingForKeyframe++;
        return;
      }
      const codec: VideoCodec = au.codec === 'h265' ? 'h265' : 'h264';
      const open = this.open;
      const cut = open !== null && au.keyframe && (au.pts - open.startPts >= this.o.segmentSeconds * 90000 || codec !== open.codec);
      if (open === null || cut) {
        this.closeOpen(au.pts);
        this.openSegment(au.pts, codec);
      }
      if (this.lastDts >= 0 && au.dts > this.lastDts) this.frameTicks = au.dts - this.lastDts;
      this.lastDts = au.dts;
    }
    const open = this.open;
    if (!open) return;
    if (au.kind === 'video') open.lastPts = Math.max(open.lastPts, au.pts);
    const packets = open.muxer.mux(au);
    if (!packets) return;
    open.buffered.push(packets);
    open.bufferedBytes += packets.length;
    open.bufferedFrames++;
    if (!open.flushQueued && (open.bufferedBytes >= this.o.writeThresholdBytes || open.bufferedFrames >= this.o.writeThresholdFrames)) {
      open.flushQueued = true;
      this.enqueue(open, () => this.flush(open));
    }
  }

  pendingBytes(): number {
    return (this.open?.bufferedBytes ?? 0) + this.inFlightBytes;
  }

  end(reason: SinkEndReason): void {
    if (this.stopped) return;
    this.log.info({ reason }, 'recording ended');
    this.closeOpen(-1);
    this.stopped = true;
  }

  /** Resolves when every file operation queued so far is done (never rejects). */
  idle(): Promise<void> {
    return this.queue;
  }

  /** Hands buffered bytes to the file now (for tests and shutdown paths); no fsync. */
  flushNow(): Promise<void> {
    const open = this.open;
    if (open) this.enqueue(open, () => this.flush(open));
    return this.queue;
  }

  private isJump(au: AccessUnit): boolean {
    if (this.lastDts < 0) return false;
    return au.dts < this.lastDts || au.dts - this.lastDts > this.o.maxTimestampGapSeconds * 90000;
  }

  private openSegment(pts: number, codec: VideoCodec): void {
    const now = this.clock();
    const start = this.previousEnd >= 0 && Math.abs(now - this.previousEnd) <= CONTINUE_WITHIN_MS ? this.previousEnd : Math.round(now);
    const audio = this.tracks.audio?.codec === 'aac' ? 'aac' : undefined;
    const seg: OpenSegment = {
      start,
      wallStart: now,
      startPts: pts,
      lastPts: pts,
      codec,
      muxer: new TsMuxer({ video: codec, ...(audio ? { audio } : {}) }),
      file: null,
      partPath: '',
      relPath: '',
      buffered: [],
      bufferedBytes: 0,
      bufferedFrames: 0,
      flushQueued: false,
      bytes: 0,
    };
    this.open = seg;
    this.waitingForKeyframe = false;
    this.enqueue(seg, () => this.createFile(seg));
  }

  /** Ends the open segment at `endPts`, or one frame after its last frame when -1. */
  private closeOpen(endPts: number): void {
    const seg = this.open;
    if (!seg) return;
    this.open = null;
    const mediaMs = ((endPts >= 0 ? endPts : seg.lastPts + this.frameTicks) - seg.startPts) / TICKS_PER_MS;
    const wallMs = this.clock() - seg.wallStart;
    let duration = mediaMs;
    if (Math.abs(mediaMs - wallMs) > this.o.maxDriftMs) {
      this.stats.wallClockEnds++;
      this.log.warn({ mediaMs, wallMs }, 'media time and wall clock disagree: segment end taken from the wall clock');
      duration = wallMs;
    }
    const durationMs = Math.max(1, Math.round(duration));
    this.previousEnd = seg.start + durationMs;
    const width = this.tracks.video?.codec === seg.codec ? this.tracks.video.width : null;
    const height = this.tracks.video?.codec === seg.codec ? this.tracks.video.height : null;
    this.enqueue(seg, () => this.finish(seg, durationMs, width, height));
  }

  private async createFile(seg: OpenSegment): Promise<void> {
    const { root, channelId } = this.options;
    // Another segment of this channel may own the millisecond (a restart, a clock step): move on by one.
    for (let attempt = 0; ; attempt++) {
      seg.relPath = segmentRelativePath(channelId, seg.start);
      seg.partPath = join(root, seg.relPath) + PART_SUFFIX;
      await this.fs.mkdir(join(root, seg.relPath, '..'));
      if (attempt < 100 && (await this.fs.exists(join(root, seg.relPath)))) {
        seg.start++;
        continue;
      }
      try {
        seg.file = await this.fs.create(seg.partPath);
        return;
      } catch (err) {
        if (attempt >= 100 || (err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        seg.start++;
      }
    }
  }

  private async flush(seg: OpenSegment): Promise<void> {
    seg.flushQueued = false;
    if (!seg.file || seg.buffered.length === 0) return;
    const buffers = seg.buffered;
    const size = seg.bufferedBytes;
    seg.buffered = [];
    seg.bufferedBytes = 0;
    seg.bufferedFrames = 0;
    this.inFlightBytes += size;
    try {
      seg.bytes += await writeAll(seg.file, buffers);
    } finally {
      this.inFlightBytes -= size;
    }
  }

  private async finish(seg: OpenSegment, durationMs: number, width: number | null, height: number | null): Promise<void> {
    const file = seg.file;
    if (!file) return;
    await this.flush(seg);
    await file.sync();
    seg.file = null;
    await file.close();
    const finalPath = join(this.options.root, seg.relPath);
    await this.fs.rename(seg.partPath, finalPath);
    this.stats.segments++;
    const finished: FinishedSegment = {
      id: segmentId(this.options.channelId, seg.start),
      channelId: this.options.channelId,
      deviceId: this.options.deviceId,
      start: seg.start,
      // The start may have moved on by a millisecond or two when its name was taken.
      end: seg.start + durationMs,
      path: seg.relPath,
      bytes: seg.bytes,
      videoCodec: seg.codec,
      audioCodec: seg.muxer.program.audio ?? null,
      width,
      height,
    };
    this.log.info({ path: finished.path, bytes: finished.bytes, durationMs: finished.end - finished.start }, 'segment finished');
    try {
      this.options.onSegment(finished);
    } catch (err) {
      this.log.error({ err }, 'onSegment threw');
    }
  }

  private enqueue(seg: OpenSegment, op: () => Promise<void>): void {
    this.queue = this.queue.then(async () => {
      if (this.failed) return;
      this.active = seg;
      try {
        await op();
      } catch (err) {
        await this.failWith(err instanceof Error ? err : new Error(String(err)));
      } finally {
        this.active = null;
      }
    });
  }

  private fail(err: Error): void {
    this.queue = this.queue.then(() => this.failWith(err));
  }

  /** Stops recording: the unfinished part is closed and removed, onError is told once. */
  private async failWith(err: Error): Promise<void> {
    if (this.failed) return;
    this.failed = true;
    this.stopped = true;
    const seg = this.open;
    this.open = null;
    this.log.error({ err }, 'recording stopped: file operation failed');
    // The segment whose operation failed may be one already closed, still holding its file.
    for (const s of new Set([seg, this.active])) {
      if (!s) continue;
      const file = s.file;
      s.file = null;
      if (file) await file.close().catch(() => undefined);
      if (s.partPath) await this.fs.unlink(s.partPath).catch(() => undefined);
    }
    try {
      this.options.onError?.(err);
    } catch (e) {
      this.log.error({ err: e }, 'onError threw');
    }
  }
}
