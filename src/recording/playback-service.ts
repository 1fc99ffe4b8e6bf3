import { join } from 'node:path';
import { AppError } from '../errors';
import type { Logger } from '../logger';
import type { MediaNode, PlaybackControl, PlaybackInfo } from '../media/node/types';
import type { IndexStore } from '../storage/ports';
import type { RetentionSweeper } from './retention';

export interface PlaybackServiceOptions {
  footageRoot: string;
  /** How far after the start a playback session reaches (segments listed up front). */
  spanMs: number;
}

export interface PlaybackView extends PlaybackInfo {
  channelId: string;
  from: number;
}

interface Session {
  channelId: string;
  from: number;
  release: () => void;
}

/**
 * Playback of platform recordings: a stream named `<channelId>_playback-<n>` that the media node
 * plays from the segment files, served by the same outputs as live. The segments it may read are
 * held against retention until the session closes.
 */
export class PlaybackService {
  private readonly sessions = new Map<string, Session>();
  private next = 1;

  constructor(
    private readonly index: IndexStore,
    private readonly media: MediaNode,
    private readonly retention: RetentionSweeper,
    private readonly logger: Logger,
    private readonly options: PlaybackServiceOptions,
  ) {
    media.on('closed', (streamId) => this.forget(streamId));
    media.on('failed', () => {
      for (const id of [...this.sessions.keys()]) this.forget(id);
    });
  }

  async open(channelId: string, from: number, speed = 1): Promise<PlaybackView> {
    const segments = await this.index.listRecordingSegments({ channelId, from, to: from + this.options.spanMs, limit: 2000 });
    if (segments.length === 0) throw new AppError('not_found', `no platform recording of ${channelId} at or after ${new Date(from).toISOString()}`);
    const streamId = `${channelId}_playback-${this.next++}`;
    const release = this.retention.hold(segments.map((s) => s.id));
    this.sessions.set(streamId, { channelId, from, release });
    try {
      const info = await this.media.openPlayback({
        streamId,
        segments: segments.map((s) => ({ path: join(this.options.footageRoot, s.path), start: s.start, end: s.end })),
        from: Math.max(from, segments[0]?.start ?? from),
        speed,
      });
      this.logger.info({ channelId, streamId, from, segments: segments.length }, 'playback opened');
      return { ...info, channelId, from };
    } catch (err) {
      this.forget(streamId);
      throw new AppError('unavailable', `the media node could not open the playback: ${(err as Error).message}`);
    }
  }

  async control(streamId: string, control: PlaybackControl): Promise<PlaybackView> {
    const session = this.mustGet(streamId);
    try {
      return { ...(await this.media.controlPlayback(streamId, control)), channelId: session.channelId, from: session.from };
    } catch (err) {
      if (err instanceof RangeError || /speed/i.test((err as Error).message)) throw new AppError('bad_request', (err as Error).message);
      throw new AppError('not_found', `playback ${streamId} is not open`);
    }
  }

  async list(): Promise<PlaybackView[]> {
    const infos = await this.media.listPlaybacks();
    return infos.flatMap((info) => {
      const session = this.sessions.get(info.streamId);
      return session === undefined ? [] : [{ ...info, channelId: session.channelId, from: session.from }];
    });
  }

  async get(streamId: string): Promise<PlaybackView> {
    const session = this.mustGet(streamId);
    const info = (await this.media.listPlaybacks()).find((p) => p.streamId === streamId);
    if (info === undefined) throw new AppError('not_found', `playback ${streamId} is not open`);
    return { ...info, channelId: session.channelId, from: session.from };
  }

  async close(streamId: string): Promise<void> {
    this.mustGet(streamId);
    await this.media.closeStream(streamId);
    this.forget(streamId);
  }

  private mustGet(streamId: string): Session {
    const session = this.sessions.get(streamId);
    if (session === undefined) throw new AppError('not_found', `playback ${streamId} is not open`);
    return session;
  }

  private forget(streamId: string): void {
    const session = this.sessions.get(streamId);
    if (session === undefined) return;
    this.sessions.delete(streamId);
    session.release();
  }
}
