import { AppError } from '../errors';
import type { Logger } from '../logger';
import type { MediaNode } from '../media/node/types';
import type { FinishedSegment } from '../media/record/types';
import type { LiveStreams } from '../sip/play/live-streams';
import type { IndexStore } from '../storage/ports';
import type { RecordingPlan, RecordingPlanInput } from '../storage/types';
import { planActiveAt, windowProblem } from './plan-schedule';

export interface RecordingServiceOptions {
  footageRoot: string;
  segmentSeconds: number;
  timeZone: string;
  /** How often plans are checked against streams (start, stop, re-invite after a device is back). */
  tickMs: number;
}

interface ActiveRecording {
  channelId: string;
  since: number;
}

interface Backoff {
  until: number;
  delayMs: number;
}

const FIRST_RETRY_MS = 10_000;
const MAX_RETRY_MS = 300_000;

/**
 * Keeps the channels whose plan says so recorded: starts (or joins) their live stream, marks it
 * keep running, has the media node write segments, and indexes every segment it reports. A tick
 * compares plans with what runs, so a stream that ended (device offline, BYE, RTP timeout) is
 * invited again once the device answers, and a schedule window that closes stops the recording.
 */
export class RecordingService {
  private readonly active = new Map<string, ActiveRecording>();
  private readonly backoff = new Map<string, Backoff>();
  private plans = new Map<string, RecordingPlan>();
  private timer: NodeJS.Timeout | null = null;
  private ticking: Promise<void> | null = null;
  private closed = false;

  constructor(
    private readonly index: IndexStore,
    private readonly live: LiveStreams,
    private readonly media: MediaNode,
    private readonly logger: Logger,
    private readonly options: RecordingServiceOptions,
  ) {
    media.on('segment', (segment) => void this.onSegment(segment));
    media.on('recording-failed', (streamId, message) => {
      this.logger.error({ channelId: streamId, message }, 'recording stopped on an error');
      this.active.delete(streamId);
      this.deferRetry(streamId);
    });
  }

  async start(): Promise<void> {
    this.plans = new Map((await this.index.listRecordingPlans()).map((p) => [p.channelId, p]));
    this.timer = setInterval(() => void this.tick(), this.options.tickMs);
    this.timer.unref();
    void this.tick();
  }

  async getPlan(channelId: string): Promise<RecordingPlan> {
    const plan = await this.index.getRecordingPlan(channelId);
    if (plan === null) throw new AppError('not_found', `channel ${channelId} has no recording plan`);
    return plan;
  }

  async listPlans(): Promise<RecordingPlan[]> {
    return this.index.listRecordingPlans();
  }

  /** Creates or replaces a channel's plan and applies it at once. */
  async putPlan(channelId: string, input: RecordingPlanInput): Promise<RecordingPlan> {
    if ((await this.index.getChannel(channelId)) === null && (await this.index.getDevice(channelId)) === null) {
      throw new AppError('not_found', `channel ${channelId} is not known`);
    }
    for (const w of input.windows) {
      const problem = windowProblem(w);
      if (problem !== null) throw new AppError('bad_request', `window ${JSON.stringify(w)}: ${problem}`);
    }
    if (input.mode === 'schedule' && input.windows.length === 0) throw new AppError('bad_request', 'a schedule plan needs at least one window');
    const plan: RecordingPlan = { ...input, channelId, updatedAt: Date.now() };
    await this.index.putRecordingPlan(plan);
    this.plans.set(channelId, plan);
    this.backoff.delete(channelId);
    await this.tick();
    return plan;
  }

  /** Manual start: a continuous plan (keeping the channel's retention). */
  async startNow(channelId: string): Promise<RecordingPlan> {
    const current = await this.index.getRecordingPlan(channelId);
    return this.putPlan(channelId, { enabled: true, mode: 'continuous', windows: current?.windows ?? [], retentionDays: current?.retentionDays ?? null });
  }

  /** Manual stop: the plan is kept but disabled. */
  async stopNow(channelId: string): Promise<RecordingPlan> {
    const current = await this.index.getRecordingPlan(channelId);
    if (current === null) throw new AppError('not_found', `channel ${channelId} has no recording plan`);
    return this.putPlan(channelId, { enabled: false, mode: current.mode, windows: current.windows, retentionDays: current.retentionDays });
  }

  async deletePlan(channelId: string): Promise<void> {
    if (!(await this.index.deleteRecordingPlan(channelId))) throw new AppError('not_found', `channel ${channelId} has no recording plan`);
    this.plans.delete(channelId);
    await this.tick();
  }

  /**
   * A device came (back) online: its planned channels are invited at once, not after their
   * retry backoff (which can have grown to minutes while it was away).
   */
  async deviceOnline(deviceId: string): Promise<void> {
    let waiting = false;
    for (const channelId of this.backoff.keys()) {
      const channel = await this.index.getChannel(channelId);
      if ((channel?.deviceId ?? channelId) !== deviceId) continue;
      this.backoff.delete(channelId);
      waiting = true;
    }
    if (waiting) await this.tick();
  }

  /** Channels being recorded right now. */
  recording(): Array<{ channelId: string; since: number }> {
    return [...this.active.values()].map((a) => ({ channelId: a.channelId, since: a.since }));
  }

  isRecording(channelId: string): boolean {
    return this.active.has(channelId);
  }

  /** Stops every recording (closing its segment) but leaves the plans; for shutdown. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer !== null) clearInterval(this.timer);
    await this.ticking;
    await Promise.all([...this.active.keys()].map((id) => this.media.stopRecording(id).catch(() => false)));
    this.active.clear();
  }

  /** One pass: plans against what runs. Passes never overlap. */
  tick(): Promise<void> {
    if (this.ticking !== null) return this.ticking;
    this.ticking = this.reconcile()
      .catch((err: unknown) => this.logger.error({ err }, 'recording plan pass failed'))
      .finally(() => {
        this.ticking = null;
      });
    return this.ticking;
  }

  private async reconcile(): Promise<void> {
    if (this.closed) return;
    const now = Date.now();
    for (const [channelId, active] of this.active) {
      const plan = this.plans.get(channelId);
      const want = plan !== undefined && planActiveAt(plan, now, this.options.timeZone);
      if (!this.live.isRunning(channelId)) {
        // The stream ended under us (device offline, BYE, RTP timeout): start over below.
        this.active.delete(channelId);
        this.logger.warn({ channelId, recordedSinceMs: now - active.since }, 'recorded stream ended; will invite again');
        continue;
      }
      if (!want) await this.stopRecording(channelId);
    }
    for (const plan of this.plans.values()) {
      if (this.closed) return;
      if (this.active.has(plan.channelId) || !planActiveAt(plan, now, this.options.timeZone)) continue;
      const wait = this.backoff.get(plan.channelId);
      if (wait !== undefined && wait.until > now) continue;
      await this.startRecording(plan.channelId);
    }
  }

  private async startRecording(channelId: string): Promise<void> {
    try {
      const stream = await this.live.play(channelId);
      this.live.setKeepRunning(channelId, true);
      await this.media.startRecording({
        streamId: stream.streamId,
        channelId,
        deviceId: stream.deviceId,
        root: this.options.footageRoot,
        segmentSeconds: this.options.segmentSeconds,
      });
      this.active.set(channelId, { channelId, since: Date.now() });
      this.backoff.delete(channelId);
      this.logger.info({ channelId, deviceId: stream.deviceId }, 'recording started');
    } catch (err) {
      this.logger.warn({ channelId, err: err instanceof Error ? err.message : String(err) }, 'could not start recording; will retry');
      this.deferRetry(channelId);
    }
  }

  private async stopRecording(channelId: string): Promise<void> {
    this.active.delete(channelId);
    try {
      await this.media.stopRecording(channelId);
      if (this.live.isRunning(channelId)) this.live.setKeepRunning(channelId, false);
    } catch (err) {
      this.logger.warn({ channelId, err }, 'stopping the recording failed');
    }
    this.logger.info({ channelId }, 'recording stopped');
  }

  private deferRetry(channelId: string): void {
    const previous = this.backoff.get(channelId);
    const delayMs = previous === undefined ? FIRST_RETRY_MS : Math.min(MAX_RETRY_MS, previous.delayMs * 2);
    this.backoff.set(channelId, { until: Date.now() + delayMs, delayMs });
  }

  private async onSegment(segment: FinishedSegment): Promise<void> {
    try {
      await this.index.addRecordingSegments([{ ...segment, locked: false, createdAt: Date.now() }]);
    } catch (err) {
      // The file is on disk; the start-up scan indexes it again if this write is lost.
      this.logger.error({ err, segment: segment.path }, 'could not index a recorded segment');
    }
  }
}
