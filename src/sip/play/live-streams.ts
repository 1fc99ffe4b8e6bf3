import { AppError } from '../../errors';
import type { Logger } from '../../logger';
import type { MediaNode, MediaCloseReason, MediaStreamInfo, RtpTransport } from '../../media/node/types';
import { MediaPortsExhaustedError, SsrcExhaustedError, type MediaPortPool, type SsrcAllocator } from '../../media/ports';
import type { IndexStore } from '../../storage/ports';
import type { DeviceMessenger, PlatformIdentity } from '../device/messenger';
import type { SipPeer } from '../message/types';
import { parseGbSdp, ssrcToNumber } from '../sdp';
import { SipTimeoutError, type Dialog, type SipEndpoint } from '../transaction';
import { MANSRTSP_CONTENT_TYPE } from '../mansrtsp';
import { buildPlayInvite } from './play-invite';
import { mansrtspFor, newStream, type DeviceHistoryRequest, type DevicePlaybackControl, type LiveStream, type LiveStreamView } from './live-stream';
import { channelOwner } from '../device/channel-owner';
import { StreamEventLog, type StreamEvent, type StreamEndReason } from './stream-events';

export type { DeviceHistoryRequest, DevicePlaybackControl, LiveStreamState, LiveStreamView } from './live-stream';

export interface LiveStreamsOptions {
  platform: PlatformIdentity;
  /** c= of our offers: where devices send RTP. */
  mediaAddress: string;
  /** Digits 4-8 of the platform's domain ID, for y=. */
  realmDigits: string;
  defaultTransport: RtpTransport;
  inviteTimeoutMs: number;
  readyTimeoutMs: number;
  idleStopMs: number;
  /** TTL of port and SSRC leases; they are renewed at a third of it while the stream runs. */
  leaseTtlMs: number;
}

export interface LiveStreamsMetrics {
  onStart(outcome: string): void;
  onEnd(reason: StreamEndReason): void;
}

/** A newly started stream gets this long for its first viewer even when idleStopMs is shorter. */
const FIRST_VIEWER_GRACE_MS = 10000;

/**
 * Live view of channels: one stream per channel however many watch it. Owns each stream's
 * INVITE dialog, its port and SSRC leases and its media-node receiver, and tears all of them
 * down together when the last viewer has gone, the device hangs up, RTP stops, or the API asks.
 */
export class LiveStreams {
  private readonly streams = new Map<string, LiveStream>();
  private readonly events = new StreamEventLog(200);
  private nextHistory = 1;
  private renewTimer: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(
    private readonly endpoint: SipEndpoint,
    private readonly messenger: DeviceMessenger,
    private readonly index: IndexStore,
    private readonly media: MediaNode,
    private readonly ports: MediaPortPool,
    private readonly ssrcs: SsrcAllocator,
    private readonly logger: Logger,
    private readonly options: LiveStreamsOptions,
    private readonly metrics?: LiveStreamsMetrics,
  ) {
    media.on('viewers', (streamId, count) => this.onViewers(streamId, count));
    media.on('closed', (streamId, reason) => this.onMediaClosed(streamId, reason));
    media.on('failed', (reason) => this.onMediaFailed(reason));
    this.renewTimer = setInterval(() => void this.renewLeases(), Math.max(1000, Math.floor(options.leaseTtlMs / 3)));
    this.renewTimer.unref();
  }

  /** Starts live view of a channel, or joins the running stream; resolves once video flows. */
  async play(channelId: string, request: { transport?: RtpTransport } = {}): Promise<LiveStreamView> {
    if (this.closed) throw new AppError('unavailable', 'the server is shutting down');
    const existing = this.streams.get(channelId);
    if (existing !== undefined) {
      await existing.starting;
      const again = this.streams.get(channelId);
      if (again === undefined) throw new AppError('device_error', `the stream of ${channelId} ended while starting`);
      return this.get(channelId);
    }
    const deviceId = await this.deviceOf(channelId);
    const stream = newStream(channelId, channelId, deviceId, request.transport ?? this.options.defaultTransport, null);
    await this.launch(stream);
    return this.get(channelId);
  }

  /**
   * A session of the device's own recordings (GB/T 28181 Playback or Download): a stream named
   * `<channelId>_device-<n>`, served by the same outputs, ended by the device's MediaStatus 121.
   */
  async fromDevice(channelId: string, request: DeviceHistoryRequest, hooks: { onOpened?(streamId: string): void } = {}): Promise<LiveStreamView> {
    if (this.closed) throw new AppError('unavailable', 'the server is shutting down');
    if (!(request.end > request.start)) throw new AppError('bad_request', 'end must be after start');
    const deviceId = await this.deviceOf(channelId);
    const stream = newStream(`${channelId}_device-${this.nextHistory++}`, channelId, deviceId, request.transport ?? this.options.defaultTransport, request);
    await this.launch(stream, hooks.onOpened);
    return this.get(stream.streamId);
  }

  /** Pause, resume, seek or speed of a device playback: MANSRTSP in an INFO of its dialog. */
  async controlDevice(streamId: string, control: DevicePlaybackControl): Promise<LiveStreamView> {
    const stream = this.mustGet(streamId);
    const history = stream.history;
    if (history === null || stream.dialog === null) throw new AppError('bad_request', `${streamId} is not a playback of device recordings`);
    const body = mansrtspFor(control, ++stream.rtspSeq, history.start);
    let response;
    try {
      response = await stream.dialog.request('INFO', { headers: [['Content-Type', MANSRTSP_CONTENT_TYPE]], body: Buffer.from(body, 'latin1'), timeoutMs: 5000 });
    } catch (err) {
      throw new AppError('device_timeout', `device ${stream.deviceId} did not answer the ${control.action}: ${(err as Error).message}`);
    }
    if (response.status >= 300) throw new AppError('device_error', `device ${stream.deviceId} refused ${control.action}: ${response.status} ${response.reason}`);
    return this.get(streamId);
  }

  /** MediaStatus from a device: 121 (end of file) ends its channel's playback and download sessions. */
  onMediaStatus(channelId: string, notifyType: string): void {
    if (notifyType.trim() !== '121') return;
    for (const stream of [...this.streams.values()]) {
      if (stream.history !== null && stream.channelId === channelId && stream.state === 'live') void this.teardown(stream, 'end-of-file');
    }
  }

  /** Stops a channel's live stream at once (BYE, port freed); false when none runs. */
  async stop(channelId: string): Promise<boolean> {
    const stream = this.streams.get(channelId);
    if (stream === undefined) return false;
    await stream.starting;
    if (this.streams.get(channelId) !== stream) return true;
    await this.teardown(stream, 'api');
    return true;
  }

  /** Keep running without viewers (recording, cascade); off again lets the idle stop apply. */
  setKeepRunning(channelId: string, keep: boolean): LiveStreamView {
    const stream = this.mustGet(channelId);
    stream.keepRunning = keep;
    if (keep) this.clearIdle(stream);
    else if (stream.viewers === 0 && stream.state === 'live') this.armIdle(stream, this.options.idleStopMs);
    return this.viewOf(stream, null);
  }

  async get(channelId: string): Promise<LiveStreamView> {
    const stream = this.mustGet(channelId);
    const infos = await this.mediaInfos();
    return this.viewOf(stream, infos.get(stream.streamId) ?? null);
  }

  async list(): Promise<LiveStreamView[]> {
    const infos = await this.mediaInfos();
    return [...this.streams.values()].map((s) => this.viewOf(s, infos.get(s.streamId) ?? null));
  }

  /** A stream of the channel is starting or live. */
  isRunning(channelId: string): boolean {
    const stream = this.streams.get(channelId);
    return stream !== undefined && stream.state !== 'stopping';
  }

  recentEvents(): StreamEvent[] {
    return this.events.list();
  }

  get size(): number {
    return this.streams.size;
  }

  /** Shutdown: BYE to every device, receivers closed, leases returned. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.renewTimer !== null) clearInterval(this.renewTimer);
    await Promise.all([...this.streams.values()].map(async (s) => {
      await s.starting;
      await this.teardown(s, 'shutdown');
    }));
  }

  // --- starting -------------------------------------------------------------------------------

  private deviceOf(channelId: string): Promise<string> {
    return channelOwner(this.index, channelId);
  }

  /**
   * Registers the stream (so a second request waits on it), starts it, and on failure tears down
   * whatever the start had taken. Every start, live or history, is counted the same way.
   */
  private async launch(stream: LiveStream, onOpened?: (streamId: string) => void): Promise<void> {
    this.streams.set(stream.streamId, stream);
    const started = this.start(stream, onOpened);
    stream.starting = started.then(
      () => undefined,
      () => undefined,
    );
    try {
      await started;
    } catch (err) {
      this.metrics?.onStart(err instanceof AppError ? err.code : 'error');
      await this.teardown(stream, 'start-failed', err instanceof Error ? err.message : String(err));
      throw err;
    }
    this.metrics?.onStart('ok');
  }

  /** `onOpened` runs once the media node has the stream (before the INVITE): a consumer attached then sees its very first frame. */
  private async start(stream: LiveStream, onOpened?: (streamId: string) => void): Promise<void> {
    const { registration } = await this.messenger.reachable(stream.deviceId);
    const peer: SipPeer = { transport: registration.transport, address: registration.address, port: registration.port };
    try {
      stream.port = await this.ports.acquire(stream.streamId);
      stream.ssrc = await this.ssrcs.acquire(stream.history === null ? 'live' : 'history', this.options.realmDigits, stream.streamId);
    } catch (err) {
      if (err instanceof MediaPortsExhaustedError || err instanceof SsrcExhaustedError) throw new AppError('unavailable', err.message);
      throw err;
    }
    stream.offeredSsrc = stream.ssrc.ssrc;
    const expectedSsrc = ssrcToNumber(stream.offeredSsrc);
    try {
      await this.media.openStream({
        streamId: stream.streamId,
        transport: stream.transport,
        port: stream.port.port,
        ...(expectedSsrc !== null ? { expectedSsrc } : {}),
      });
    } catch (err) {
      throw new AppError('unavailable', `the media node could not open a receiver: ${(err as Error).message}`);
    }
    stream.mediaOpen = true;
    onOpened?.(stream.streamId);

    const invite = buildPlayInvite({
      platform: this.options.platform,
      channelId: stream.channelId,
      peer,
      mediaAddress: this.options.mediaAddress,
      mediaPort: stream.port.port,
      transport: stream.transport,
      ssrc: stream.offeredSsrc,
      ...(stream.history !== null
        ? {
            history: {
              session: stream.history.session,
              start: stream.history.start,
              end: stream.history.end,
              ...(stream.history.session === 'Download' ? { downloadSpeed: Math.min(8, Math.max(1, Math.round(stream.history.downloadSpeed ?? 4))) } : {}),
            },
          }
        : {}),
    });
    const log = this.logger.child({ deviceId: stream.deviceId, channelId: stream.channelId, callId: invite.headers.get('call-id') });
    let result;
    try {
      result = await this.endpoint.invite(invite, peer, { timeoutMs: this.options.inviteTimeoutMs });
    } catch (err) {
      if (err instanceof SipTimeoutError) throw new AppError('device_timeout', `device ${stream.deviceId} did not answer the INVITE for ${stream.channelId}`);
      throw new AppError('device_error', `INVITE to ${stream.deviceId} failed: ${(err as Error).message}`);
    }
    const { response, dialog } = result;
    if (dialog === undefined) {
      throw new AppError('device_error', `device ${stream.deviceId} refused live view of ${stream.channelId}: ${response.status} ${response.reason}`);
    }
    stream.dialog = dialog;
    dialog.on('closed', () => this.onDialogClosed(stream, dialog));
    if (this.closed || this.streams.get(stream.streamId) !== stream) throw new AppError('unavailable', 'the stream was stopped while starting');

    const answer = parseGbSdp(response.body);
    if (!answer.ok) {
      throw new AppError('device_error', `device ${stream.deviceId} answered the INVITE with an SDP we cannot read: ${answer.error}`);
    }
    const sdp = answer.value;
    if (sdp.ssrcNumber !== null && sdp.ssrc !== stream.offeredSsrc) {
      log.info({ offered: stream.offeredSsrc, answered: sdp.ssrc }, 'device answered a different SSRC; using its answer');
      await this.media.setStreamSsrc(stream.streamId, sdp.ssrcNumber);
    }
    stream.answeredSsrc = sdp.ssrc;
    if (stream.transport === 'tcp-active') {
      const video = sdp.media.find((m) => m.kind === 'video') ?? sdp.media[0];
      const host = usableAddress(video?.connection ?? sdp.connection) ?? peer.address;
      if (video === undefined || video.port <= 0) throw new AppError('device_error', `device ${stream.deviceId} answered TCP active without a port to connect to`);
      try {
        await this.media.connectStream(stream.streamId, host, video.port);
      } catch (err) {
        throw new AppError('device_error', `could not connect to ${stream.deviceId}'s media port ${host}:${video.port}: ${(err as Error).message}`);
      }
    }
    const ready = await this.media.waitReady(stream.streamId, this.options.readyTimeoutMs);
    if (!ready) {
      throw new AppError('device_timeout', `device ${stream.deviceId} accepted live view of ${stream.channelId} but sent no video within ${this.options.readyTimeoutMs} ms`);
    }
    if (this.streams.get(stream.streamId) !== stream) throw new AppError('unavailable', 'the stream was stopped while starting');
    stream.state = 'live';
    log.info({ transport: stream.transport, ssrc: stream.answeredSsrc ?? stream.offeredSsrc }, 'live stream started');
    if (stream.viewers === 0) this.armIdle(stream, Math.max(this.options.idleStopMs, FIRST_VIEWER_GRACE_MS));
  }

  // --- ending ---------------------------------------------------------------------------------

  private async teardown(stream: LiveStream, reason: StreamEndReason, detail?: string): Promise<void> {
    if (stream.state === 'stopping') return;
    const wasLive = stream.state === 'live';
    stream.state = 'stopping';
    this.clearIdle(stream);
    if (this.streams.get(stream.streamId) === stream) this.streams.delete(stream.streamId);
    const log = this.logger.child({ deviceId: stream.deviceId, channelId: stream.channelId });
    const dialog = stream.dialog;
    stream.dialog = null;
    const work: Promise<unknown>[] = [];
    if (dialog !== null && !dialog.closed) {
      work.push(dialog.bye({ timeoutMs: 4000 }).catch((err: unknown) => log.debug({ err }, 'BYE to device failed')));
    }
    if (stream.mediaOpen) {
      stream.mediaOpen = false;
      work.push(this.media.closeStream(stream.streamId).catch((err: unknown) => log.warn({ err }, 'media node could not close the stream')));
    }
    work.push(stream.port?.release().catch(() => undefined) ?? Promise.resolve());
    work.push(stream.ssrc?.release().catch(() => undefined) ?? Promise.resolve());
    // Recorded as the stream leaves the list, so that the API never shows it gone without its end event.
    this.events.add({ time: Date.now(), streamId: stream.streamId, channelId: stream.channelId, deviceId: stream.deviceId, type: 'ended', reason, detail: detail ?? null });
    this.metrics?.onEnd(reason);
    await Promise.all(work);
    if (wasLive || reason !== 'start-failed') {
      const level = reason === 'rtp-timeout' || reason === 'device-bye' ? 'warn' : 'info';
      log[level]({ reason, detail, uptimeSec: Math.round((Date.now() - stream.startedAt) / 1000) }, 'live stream ended');
    }
  }

  private onDialogClosed(stream: LiveStream, dialog: Dialog): void {
    // Our own BYE clears stream.dialog first; a close we did not start is the device hanging up.
    if (stream.dialog !== dialog) return;
    stream.dialog = null;
    void this.teardown(stream, 'device-bye');
  }

  private onMediaClosed(streamId: string, reason: MediaCloseReason): void {
    const stream = this.streams.get(streamId);
    if (stream === undefined) return;
    stream.mediaOpen = false;
    void this.teardown(stream, reason === 'rtp-timeout' ? 'rtp-timeout' : 'media-closed');
  }

  private onMediaFailed(reason: string): void {
    this.logger.error({ reason, streams: this.streams.size }, 'the media node failed: ending every live stream');
    for (const stream of [...this.streams.values()]) {
      stream.mediaOpen = false;
      void this.teardown(stream, 'media-closed', reason);
    }
  }

  private onViewers(streamId: string, count: number): void {
    const stream = this.streams.get(streamId);
    if (stream === undefined) return;
    stream.viewers = count;
    if (count > 0) this.clearIdle(stream);
    else if (stream.state === 'live' && !stream.keepRunning) this.armIdle(stream, this.options.idleStopMs);
  }

  private armIdle(stream: LiveStream, ms: number): void {
    if (stream.keepRunning) return;
    this.clearIdle(stream);
    stream.idleTimer = setTimeout(() => {
      stream.idleTimer = null;
      if (stream.viewers === 0 && !stream.keepRunning) void this.teardown(stream, 'idle');
    }, ms);
    stream.idleTimer.unref();
  }

  private clearIdle(stream: LiveStream): void {
    if (stream.idleTimer !== null) clearTimeout(stream.idleTimer);
    stream.idleTimer = null;
  }

  private async renewLeases(): Promise<void> {
    for (const stream of this.streams.values()) {
      try {
        await stream.port?.renew();
        await stream.ssrc?.renew();
      } catch (err) {
        this.logger.error({ err, channelId: stream.channelId }, 'lost the port or SSRC lease of a running stream');
      }
    }
  }

  // --- views ----------------------------------------------------------------------------------

  private mustGet(channelId: string): LiveStream {
    const stream = this.streams.get(channelId);
    if (stream === undefined) throw new AppError('not_found', `no live stream of ${channelId} is running`);
    return stream;
  }

  private async mediaInfos(): Promise<Map<string, MediaStreamInfo>> {
    try {
      return new Map((await this.media.listStreams()).map((i) => [i.streamId, i]));
    } catch (err) {
      this.logger.warn({ err }, 'media node did not list its streams');
      return new Map();
    }
  }

  private viewOf(stream: LiveStream, media: MediaStreamInfo | null): LiveStreamView {
    return {
      streamId: stream.streamId,
      channelId: stream.channelId,
      deviceId: stream.deviceId,
      state: stream.state,
      transport: stream.transport,
      offeredSsrc: stream.offeredSsrc,
      answeredSsrc: stream.answeredSsrc,
      keepRunning: stream.keepRunning,
      startedAt: stream.startedAt,
      uptimeSec: Math.round((Date.now() - stream.startedAt) / 1000),
      viewers: media?.viewers ?? stream.viewers,
      media,
      kind: stream.history === null ? 'live' : stream.history.session === 'Download' ? 'download' : 'playback',
      range: stream.history !== null ? { start: stream.history.start, end: stream.history.end } : null,
    };
  }
}

/** An SDP address we can connect to (devices sometimes answer 0.0.0.0). */
function usableAddress(address: string | null): string | null {
  if (address === null || address === '' || address === '0.0.0.0' || address === '::') return null;
  return address;
}
