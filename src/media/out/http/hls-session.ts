import type { Logger } from '../../../logger';
import type { AccessUnit } from '../../codec/types';
import type { MediaSource } from '../../source/media-source';
import type { MediaSink } from '../../source/types';
import { HlsSegmenter } from '../hls/segmenter';

export interface HlsSessionOptions {
  targetDurationSec: number;
  windowSize: number;
  /** Without a playlist or segment request for this long, the session detaches and is closed. */
  idleMs: number;
  logger: Logger;
  /** Called once when the session closes (idle, replaced or server shutdown). */
  onClose: (session: HlsSession) => void;
}

/**
 * HLS for one stream: a segmenter fed by the MediaSource while players keep asking for it.
 * It attaches as a viewer, so a stream watched only over HLS is not stopped on demand, and lets
 * go once no player has asked for the playlist or a segment for `idleMs`.
 */
export class HlsSession {
  private readonly segmenter: HlsSegmenter;
  private readonly detach: () => void;
  private readonly idleTimer: NodeJS.Timeout;
  private readonly waiters = new Set<() => void>();
  private closed = false;
  private sourceEnded = false;
  private requests = 0;

  constructor(
    readonly stream: string,
    readonly source: MediaSource,
    private readonly options: HlsSessionOptions,
  ) {
    const tracks = source.currentTracks;
    // Safari and hls.js play H.265 only from fMP4; H.264 stays on MPEG-TS, which every player takes.
    const fmp4 = tracks.video?.codec === 'h265';
    this.segmenter = new HlsSegmenter({
      ...(tracks.video ? { video: tracks.video.codec } : {}),
      ...(tracks.audio ? { audio: tracks.audio.codec } : {}),
      ...(fmp4 ? { container: 'fmp4' as const, videoParams: tracks.video, ...(tracks.audio ? { audioParams: tracks.audio } : {}) } : {}),
      targetDuration: options.targetDurationSec,
      windowSize: options.windowSize,
      segmentName: (n) => `segment-${n}.${fmp4 ? 'm4s' : 'ts'}`,
      onSegment: () => this.wakeWaiters(),
    });
    this.idleTimer = setTimeout(() => this.expire(), options.idleMs);
    this.idleTimer.unref();
    // Attaching may start the sink at once with the cached GOP, so everything above is ready first.
    this.detach = source.attach(this.sink(), { viewer: true });
  }

  get isClosed(): boolean {
    return this.closed;
  }

  get stats(): { stream: string; segments: number; requests: number } {
    return { stream: this.stream, segments: this.segmenter.stats.segments, requests: this.requests };
  }

  /** A player asked for something: the idle clock starts again. */
  touch(): void {
    this.requests++;
    if (!this.closed) this.idleTimer.refresh();
  }

  /** Resolves true once a segment exists, false when `timeoutMs` passes or the session closes first. */
  waitForFirstSegment(timeoutMs: number): Promise<boolean> {
    if (this.segmenter.segments().length > 0) return Promise.resolve(true);
    if (this.closed || this.sourceEnded) return Promise.resolve(false);
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.waiters.delete(done);
        resolve(this.segmenter.segments().length > 0);
      };
      const timer = setTimeout(done, timeoutMs);
      this.waiters.add(done);
    });
  }

  /** The playlist, each segment and init URI carrying `query` (the viewer's token) so that they pass the same check. */
  playlist(query: string): string {
    const text = this.segmenter.playlist();
    if (query === '') return text;
    return text
      .split('\n')
      .map((line) => {
        if (line.startsWith('#EXT-X-MAP:URI="')) return line.replace(/"$/, `?${query}"`);
        return line === '' || line.startsWith('#') ? line : `${line}?${query}`;
      })
      .join('\n');
  }

  segment(name: string): Buffer | null {
    return this.segmenter.segment(name);
  }

  /** Detaches from the source and releases waiting requests. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.idleTimer);
    this.detach();
    this.segmenter.end();
    this.wakeWaiters();
    this.options.onClose(this);
  }

  private expire(): void {
    // A playlist request still waiting for the first segment is a player that has not given up.
    if (this.waiters.size > 0) {
      this.idleTimer.refresh();
      return;
    }
    this.options.logger.info({ stream: this.stream, idleMs: this.options.idleMs }, 'HLS idle: segmenter detached');
    this.close();
  }

  private wakeWaiters(): void {
    for (const wake of [...this.waiters]) wake();
  }

  private sink(): MediaSink {
    const segmenter = this.segmenter;
    return {
      kind: 'hls',
      start: () => undefined,
      // The segmenter notices codec switches by itself (a discontinuity and a new PMT).
      tracksChanged: () => undefined,
      write: (au: AccessUnit) => {
        try {
          segmenter.push(au);
        } catch (err) {
          // A sink must not throw into the source's fan-out; one bad frame costs only HLS.
          this.options.logger.error({ err, stream: this.stream }, 'HLS segmenter failed on a frame');
        }
      },
      pendingBytes: () => 0,
      end: (reason) => {
        this.options.logger.info({ stream: this.stream, reason }, 'HLS source ended');
        this.sourceEnded = true;
        segmenter.end();
        this.wakeWaiters();
      },
    };
  }
}
