import { AppError } from '../errors';
import type { Logger } from '../logger';
import type { DeviceMessenger } from '../sip/device/messenger';
import type { PendingQueries } from '../sip/device/pending-queries';
import type { ManscdpDocument } from '../sip/manscdp';
import type { IndexStore } from '../storage/ports';
import { grabFrame } from './frame-grabber';
import { jpegInfo } from './jpeg';
import { buildSnapShotConfig, readDeviceConfigResult, readUploadSnapShotFinished } from './snapshot-commands';
import { newSnapshotId, snapshotPath, type SnapshotFiles } from './snapshot-files';
import type { Snapshot, SnapshotSource, SnapshotStore } from './types';
import { channelOwner } from '../sip/device/channel-owner';
import { UploadSessions, type UploadedImage, type UploadSession } from './upload-sessions';

export type SnapshotMode = 'auto' | 'device' | 'stream';

export interface SnapshotRequest {
  mode?: SnapshotMode;
  /** Device mode: pictures in a row (SnapNum 1-10) and seconds between them (Interval). */
  count?: number;
  intervalSec?: number;
}

export interface SnapshotResult {
  source: SnapshotSource;
  items: Snapshot[];
  /** Auto mode: why the device was not used, when it was not. */
  fallbackReason?: string;
}

export interface SnapshotServiceOptions {
  defaultMode: SnapshotMode;
  /** Time for the device's Response DeviceConfig, and after it for the uploads (plus count × interval). */
  deviceTimeoutMs: number;
  /** Time FFmpeg gets to deliver one frame once the stream plays. */
  streamTimeoutMs: number;
  maxUploadBytes: number;
  retentionDays: number;
  /** Per channel, the newest this many are kept (0: no limit). */
  maxPerChannel: number;
  sweepIntervalSec: number;
  ffmpegPath: string;
}

export interface SnapshotServiceDeps {
  store: SnapshotStore;
  files: SnapshotFiles;
  index: IndexStore;
  messenger: DeviceMessenger;
  pending: PendingQueries;
  /** Starts (or joins) the channel's live stream; resolves with its stream ID once video flows. */
  playLive: (channelId: string) => Promise<{ streamId: string }>;
  /** HTTP-FLV URL of a stream on our media node, reachable from this process. */
  streamUrl: (streamId: string) => string;
  /** Base of the upload URLs given to devices (`http://<host>:<port>`), asked each time (the port is known late). */
  uploadBase: () => string;
  logger: Logger;
}

const DAY_MS = 86_400_000;

/**
 * Pictures of channels: asked of the device (GB/T 28181-2022 SnapShotConfig: it uploads JPEGs to
 * our URL and reports UploadSnapShotFinished) or cut from the live stream with FFmpeg; stored on
 * disk with an index entry, and aged out by count and days.
 */
export class SnapshotService {
  readonly uploads = new UploadSessions();
  private sweepTimer: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(
    private readonly deps: SnapshotServiceDeps,
    private readonly options: SnapshotServiceOptions,
  ) {}

  start(): void {
    this.sweepTimer = setInterval(() => void this.sweep(), this.options.sweepIntervalSec * 1000);
    this.sweepTimer.unref();
    void this.sweep();
  }

  get maxUploadBytes(): number {
    return this.options.maxUploadBytes;
  }

  async capture(channelId: string, request: SnapshotRequest = {}): Promise<SnapshotResult> {
    if (this.closed) throw new AppError('unavailable', 'the server is shutting down');
    const deviceId = await channelOwner(this.deps.index, channelId);
    const mode = request.mode ?? this.options.defaultMode;
    if (mode === 'stream') return { source: 'stream', items: [await this.fromStream(channelId, deviceId)] };
    if (mode === 'device') return { source: 'device', items: await this.fromDevice(channelId, deviceId, request) };
    const device = await this.deps.index.getDevice(deviceId);
    if (device?.gbVersion === '2016') {
      return { source: 'stream', items: [await this.fromStream(channelId, deviceId)], fallbackReason: 'the device speaks GB/T 28181-2016 (no snapshot command)' };
    }
    try {
      return { source: 'device', items: await this.fromDevice(channelId, deviceId, request) };
    } catch (err) {
      if (!(err instanceof AppError) || (err.code !== 'device_timeout' && err.code !== 'device_error')) throw err;
      this.deps.logger.info({ deviceId, channelId, reason: err.message }, 'device snapshot failed: taking the picture from the stream');
      return { source: 'stream', items: [await this.fromStream(channelId, deviceId)], fallbackReason: err.message };
    }
  }

  async get(id: string): Promise<Snapshot | null> {
    return this.deps.store.get(id);
  }

  async list(channelId: string, range: { from?: number; to?: number; limit: number }): Promise<Snapshot[]> {
    return this.deps.store.list({ channelId, ...range });
  }

  /** Absolute path of a snapshot's picture. */
  fileOf(snapshot: Snapshot): string {
    return this.deps.files.absolute(snapshot.path);
  }

  /** An UploadSnapShotFinished from a device (the MESSAGE router's 'notify'). */
  onNotify(deviceId: string, doc: ManscdpDocument): void {
    const finished = readUploadSnapShotFinished(doc);
    if (finished === null) return;
    const session = this.uploads.bySession(finished.sessionId);
    if (session === null || session.deviceId !== deviceId) {
      this.deps.logger.debug({ deviceId, sessionId: finished.sessionId }, 'UploadSnapShotFinished for no waiting request');
      return;
    }
    session.finishedIds = finished.fileIds;
    session.finish();
  }

  /**
   * An HTTP upload to a session's URL: the JPEGs in it are stored. Returns how many were taken;
   * null when the token names no open session.
   */
  async acceptUpload(token: string, images: UploadedImage[]): Promise<number | null> {
    const session = this.uploads.byUploadToken(token);
    if (session === null) return null;
    await Promise.all(images.map((image) => this.uploads.accept(session, image)));
    return images.length;
  }

  private async fromDevice(channelId: string, deviceId: string, request: SnapshotRequest): Promise<Snapshot[]> {
    const count = Math.min(10, Math.max(1, request.count ?? 1));
    const intervalSec = Math.max(1, request.intervalSec ?? 1);
    await this.deps.messenger.reachable(deviceId);
    const stored: Snapshot[] = [];
    const session = this.uploads.open({
      deviceId,
      channelId,
      expected: count,
      onImage: async (image) => {
        stored.push(await this.store(channelId, deviceId, 'device', image.data, { sessionId: session.sessionId, fileId: image.fileId }));
      },
    });
    const log = this.deps.logger.child({ deviceId, channelId, sessionId: session.sessionId });
    try {
      await this.askDevice(deviceId, channelId, session, count, intervalSec);
      const uploadWindowMs = this.options.deviceTimeoutMs + (count - 1) * intervalSec * 1000;
      const timedOut = await raceTimeout(session.done, uploadWindowMs);
      while (session.inflight.size > 0) await Promise.allSettled([...session.inflight]);
      if (stored.length === 0) {
        throw new AppError('device_timeout', timedOut ? `device ${deviceId} uploaded no picture within ${uploadWindowMs} ms` : `device ${deviceId} finished the snapshot without uploading a picture`);
      }
      log.info({ pictures: stored.length, finished: session.finishedIds !== null }, 'device snapshot stored');
      return stored.sort((a, b) => a.time - b.time);
    } finally {
      this.uploads.close(session);
    }
  }

  private async askDevice(deviceId: string, channelId: string, session: UploadSession, count: number, intervalSec: number): Promise<void> {
    const pending = this.deps.pending;
    const sn = pending.nextSn();
    const got: { answer: ManscdpDocument | null } = { answer: null };
    const wait = pending.wait(deviceId, 'DeviceConfig', sn, this.options.deviceTimeoutMs, (doc) => {
      got.answer = doc;
      return true;
    });
    const uploadUrl = `${this.deps.uploadBase()}/upload/snapshots/${session.token}`;
    try {
      await this.deps.messenger.sendManscdp(deviceId, buildSnapShotConfig(sn, channelId, { snapNum: count, interval: intervalSec, uploadUrl, sessionId: session.sessionId }));
    } catch (err) {
      wait.cancel();
      throw err;
    }
    await wait.done;
    // A device may upload and report before (or instead of) its Response: pictures count as a yes.
    if (got.answer === null) {
      if (session.received > 0 || session.finishedIds !== null) return;
      throw new AppError('device_timeout', `device ${deviceId} did not answer the snapshot command`);
    }
    const { ok, result } = readDeviceConfigResult(got.answer);
    if (!ok) throw new AppError('device_error', `device ${deviceId} refused the snapshot command (Result ${result ?? 'missing'})`);
  }

  private async fromStream(channelId: string, deviceId: string): Promise<Snapshot> {
    const { streamId } = await this.deps.playLive(channelId);
    const jpeg = await grabFrame({ ffmpegPath: this.options.ffmpegPath, url: this.deps.streamUrl(streamId), timeoutMs: this.options.streamTimeoutMs, maxBytes: this.options.maxUploadBytes });
    const snapshot = await this.store(channelId, deviceId, 'stream', jpeg, { sessionId: null, fileId: null });
    this.deps.logger.info({ deviceId, channelId, bytes: snapshot.bytes, width: snapshot.width, height: snapshot.height }, 'snapshot taken from the stream');
    return snapshot;
  }

  private async store(channelId: string, deviceId: string, source: SnapshotSource, data: Buffer, ids: { sessionId: string | null; fileId: string | null }): Promise<Snapshot> {
    const time = Date.now();
    const id = newSnapshotId(time);
    const info = jpegInfo(data);
    const snapshot: Snapshot = {
      id,
      channelId,
      deviceId,
      time,
      source,
      bytes: data.length,
      width: info?.width ?? null,
      height: info?.height ?? null,
      path: snapshotPath(channelId, id, time),
      sessionId: ids.sessionId,
      fileId: ids.fileId,
    };
    await this.deps.files.write(snapshot.path, data);
    await this.deps.store.add(snapshot);
    if (this.options.maxPerChannel > 0) await this.removeFiles(await this.deps.store.trimChannel(channelId, this.options.maxPerChannel));
    return snapshot;
  }

  /** Deletes what is older than the retention days, a batch at a time. */
  async sweep(now = Date.now()): Promise<number> {
    let removed = 0;
    try {
      for (;;) {
        const batch = await this.deps.store.removeOlderThan(now - this.options.retentionDays * DAY_MS, 500);
        await this.removeFiles(batch);
        removed += batch.length;
        if (batch.length < 500 || this.closed) break;
      }
    } catch (err) {
      this.deps.logger.warn({ err }, 'snapshot retention failed');
    }
    if (removed > 0) this.deps.logger.info({ removed }, 'old snapshots removed');
    return removed;
  }

  private async removeFiles(snapshots: Snapshot[]): Promise<void> {
    for (const s of snapshots) await this.deps.files.remove(s.path).catch((err: unknown) => this.deps.logger.warn({ err, path: s.path }, 'could not delete a snapshot file'));
  }

  close(): void {
    this.closed = true;
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    this.sweepTimer = null;
  }
}

/** Waits for `promise` at most `ms`; true when the time ran out first. */
async function raceTimeout(promise: Promise<void>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(true), ms);
  });
  try {
    return await Promise.race([promise.then(() => false), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
