import { EventEmitter } from 'node:events';
import { setFlagsFromString } from 'node:v8';
import { Worker } from 'node:worker_threads';
import type { Logger } from '../../logger';
import type { MediaNodeOptions } from './options';
import type { MediaNodeMethod, RpcCall, WorkerToMain } from './worker-protocol';
import type {
  ForwardInfo,
  MediaNode,
  MediaNodeEndpoints,
  MediaNodeEvents,
  MediaStreamInfo,
  OpenForwardRequest,
  OpenPlaybackRequest,
  OpenStreamRequest,
  PlaybackControl,
  PlaybackInfo,
  RtpTotals,
  StartRecordingRequest,
} from './types';

const START_TIMEOUT_MS = 20000;

interface Pending {
  resolve(value: unknown): void;
  reject(err: Error): void;
}

export class MediaNodeError extends Error {
  override readonly name = 'MediaNodeError';
  constructor(
    message: string,
    readonly code?: string,
  ) {
    super(message);
  }
}

/**
 * The media node in a worker thread, seen from the main thread: each method is a message to the
 * worker and a promise for its reply; the worker's events are re-emitted here. RTP, demuxing and
 * every output run on the worker's event loop, so heavy media load cannot delay SIP answers.
 */
export class WorkerMediaNode extends EventEmitter<MediaNodeEvents> implements MediaNode {
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private exited = false;
  private closing: Promise<void> | null = null;

  private worker: Worker;
  private currentEndpoints: MediaNodeEndpoints;

  private constructor(
    worker: Worker,
    endpoints: MediaNodeEndpoints,
    private readonly options: MediaNodeOptions,
    private readonly logger: Logger,
  ) {
    super();
    this.worker = worker;
    this.currentEndpoints = endpoints;
    this.adopt(worker);
  }

  /** HTTP and RTSP ports of the worker (the same after a restart when they are configured, not 0). */
  get endpoints(): MediaNodeEndpoints {
    return this.currentEndpoints;
  }

  static async start(options: MediaNodeOptions, logger: Logger): Promise<WorkerMediaNode> {
    const { worker, endpoints } = await spawnWorker(options);
    return new WorkerMediaNode(worker, endpoints, options, logger);
  }

  private adopt(worker: Worker): void {
    worker.on('message', (msg: WorkerToMain) => this.onMessage(msg));
    worker.on('error', (err) => this.logger.error({ err }, 'media worker failed'));
    worker.on('exit', (code) => {
      if (worker !== this.worker) return;
      this.exited = true;
      for (const p of this.pending.values()) p.reject(new MediaNodeError(`media worker exited (${code})`, 'worker-exited'));
      this.pending.clear();
      if (this.closing !== null) return;
      this.logger.error({ code }, 'media worker exited unexpectedly: its streams are gone; restarting it');
      this.emitEvent('failed', [`media worker exited (${code})`]);
      void this.restart();
    });
  }

  /** A new worker after a crash, with growing pauses between attempts, until one starts or we close. */
  private async restart(): Promise<void> {
    for (let attempt = 1; this.closing === null; attempt++) {
      await new Promise((r) => setTimeout(r, Math.min(10000, 250 * 2 ** attempt)));
      if (this.closing !== null) return;
      try {
        const { worker, endpoints } = await spawnWorker(this.options);
        if (this.closing !== null) {
          await worker.terminate();
          return;
        }
        this.worker = worker;
        this.currentEndpoints = endpoints;
        this.exited = false;
        this.adopt(worker);
        this.logger.warn({ attempt, ...endpoints }, 'media worker restarted');
        return;
      } catch (err) {
        this.logger.error({ err, attempt }, 'media worker did not restart');
      }
    }
  }

  openStream(request: OpenStreamRequest): Promise<void> {
    return this.call('openStream', [request]) as Promise<void>;
  }

  setStreamSsrc(streamId: string, ssrc: number): Promise<void> {
    return this.call('setStreamSsrc', [streamId, ssrc]) as Promise<void>;
  }

  connectStream(streamId: string, host: string, port: number): Promise<void> {
    return this.call('connectStream', [streamId, host, port]) as Promise<void>;
  }

  waitReady(streamId: string, timeoutMs: number): Promise<boolean> {
    return this.call('waitReady', [streamId, timeoutMs]) as Promise<boolean>;
  }

  closeStream(streamId: string): Promise<void> {
    return this.call('closeStream', [streamId]) as Promise<void>;
  }

  startRecording(request: StartRecordingRequest): Promise<void> {
    return this.call('startRecording', [request]) as Promise<void>;
  }

  stopRecording(streamId: string): Promise<boolean> {
    return this.call('stopRecording', [streamId]) as Promise<boolean>;
  }

  openPlayback(request: OpenPlaybackRequest): Promise<PlaybackInfo> {
    return this.call('openPlayback', [request]) as Promise<PlaybackInfo>;
  }

  controlPlayback(streamId: string, control: PlaybackControl): Promise<PlaybackInfo> {
    return this.call('controlPlayback', [streamId, control]) as Promise<PlaybackInfo>;
  }

  listPlaybacks(): Promise<PlaybackInfo[]> {
    return this.call('listPlaybacks', []) as Promise<PlaybackInfo[]>;
  }

  listStreams(): Promise<MediaStreamInfo[]> {
    return this.call('listStreams', []) as Promise<MediaStreamInfo[]>;
  }

  rtpTotals(): Promise<RtpTotals> {
    return this.call('rtpTotals', []) as Promise<RtpTotals>;
  }

  openForward(request: OpenForwardRequest): Promise<ForwardInfo> {
    return this.call('openForward', [request]) as Promise<ForwardInfo>;
  }

  startForward(forwardId: string): Promise<ForwardInfo> {
    return this.call('startForward', [forwardId]) as Promise<ForwardInfo>;
  }

  stopForward(forwardId: string): Promise<ForwardInfo | null> {
    return this.call('stopForward', [forwardId]) as Promise<ForwardInfo | null>;
  }

  listForwards(): Promise<ForwardInfo[]> {
    return this.call('listForwards', []) as Promise<ForwardInfo[]>;
  }

  close(): Promise<void> {
    if (this.closing !== null) return this.closing;
    this.closing = (async () => {
      if (this.exited) return;
      try {
        await this.call('close', []);
      } catch (err) {
        this.logger.warn({ err }, 'media worker did not close cleanly');
      }
      await this.worker.terminate();
    })();
    return this.closing;
  }

  private call(method: MediaNodeMethod, args: unknown[]): Promise<unknown> {
    if (this.exited) return Promise.reject(new MediaNodeError('media worker is not running', 'worker-exited'));
    const id = this.nextId++;
    const message: RpcCall = { type: 'call', id, method, args };
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage(message);
    });
  }

  private onMessage(msg: WorkerToMain): void {
    if (msg.type === 'reply') {
      const pending = this.pending.get(msg.id);
      if (pending === undefined) return;
      this.pending.delete(msg.id);
      if (msg.ok) pending.resolve(msg.value);
      else pending.reject(new MediaNodeError(msg.message, msg.code));
    } else if (msg.type === 'event') {
      this.emitEvent(msg.event, msg.args);
    }
  }

  private emitEvent<E extends keyof MediaNodeEvents>(event: E, args: MediaNodeEvents[E]): void {
    try {
      (this.emit as (e: E, ...a: MediaNodeEvents[E]) => boolean)(event, ...args);
    } catch (err) {
      this.logger.error({ err, event }, 'media node event listener threw');
    }
  }
}

/**
 * V8 sizes a new isolate's old generation for a small script. The media worker keeps a few MB of
 * live objects (stream state, GOP caches) while it churns through buffers at line rate, and with
 * the default starting limit V8 ran a full mark-compact about every 200 ms in it, most of the
 * worker's CPU (docs/BENCHMARKS.md, issue 3). The flag is read when an isolate is created, so it
 * is set just before the worker starts; isolates created earlier keep their sizes.
 */
const MEDIA_WORKER_INITIAL_OLD_SPACE_MB = 64;

async function spawnWorker(options: MediaNodeOptions): Promise<{ worker: Worker; endpoints: MediaNodeEndpoints }> {
  setFlagsFromString(`--initial-old-space-size=${MEDIA_WORKER_INITIAL_OLD_SPACE_MB}`);
  const worker = new Worker(new URL('./worker-boot.mjs', import.meta.url), {
    workerData: { entry: new URL('./worker-entry.ts', import.meta.url).href, options },
  });
  const endpoints = await new Promise<MediaNodeEndpoints>((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error('media worker did not start in time')), START_TIMEOUT_MS);
    const fail = (err: Error): void => {
      clearTimeout(timer);
      worker.off('message', onMessage);
      void worker.terminate();
      reject(err);
    };
    const onMessage = (msg: WorkerToMain): void => {
      if (msg.type === 'started') {
        clearTimeout(timer);
        worker.off('message', onMessage);
        worker.off('error', fail);
        resolve({ httpPort: msg.httpPort, rtspPort: msg.rtspPort });
      } else if (msg.type === 'start-failed') {
        fail(new MediaNodeError(msg.message, 'start-failed'));
      }
    };
    worker.on('message', onMessage);
    worker.once('error', fail);
  });
  return { worker, endpoints };
}
