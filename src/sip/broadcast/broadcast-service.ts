import { randomBytes, randomInt } from 'node:crypto';
import { AppError } from '../../errors';
import type { Logger } from '../../logger';
import type { MediaPortLease, MediaPortPool } from '../../media/ports';
import { convertToAlaw } from '../../media/broadcast/audio-convert';
import { AudioSender, type AudioSendEnd } from '../../media/broadcast/audio-sender';
import type { BroadcastClip, BroadcastClipStore } from '../../media/broadcast/clip-store';
import { TcpAcceptSender, tcpConnectSender, udpSender, type RtpSendTransport } from '../../media/broadcast/rtp-send-transport';
import type { DeviceMessenger } from '../device/messenger';
import type { PendingQueries } from '../device/pending-queries';
import type { ManscdpDocument } from '../manscdp';
import type { SipRequest } from '../message/types';
import { parseGbSdp } from '../sdp';
import type { Dialog, ServerTransactionContext, SipEndpoint } from '../transaction';
import { inviteParties, isBroadcastInvite } from './broadcast-invite';
import { buildBroadcastAnswer, readBroadcastOffer, type BroadcastOffer } from './broadcast-sdp';
import type { BroadcastEndReason, BroadcastState, BroadcastView } from './broadcast-types';
import { buildBroadcastNotify, readBroadcastResult } from './broadcast-xml';

export interface BroadcastServiceOptions {
  /** Our audio source ID (SourceID of Notify Broadcast; devices INVITE it). */
  sourceId: string;
  platformId: string;
  /** Bind address of our media sockets and the address written in our SDP. */
  mediaHost: string;
  mediaAddress: string;
  answerTimeoutMs: number;
  inviteTimeoutMs: number;
  /** ACK after our 200, and the TCP connection after the ACK. */
  connectTimeoutMs: number;
  maxClipSeconds: number;
  ffmpegPath: string;
  /** Where uploads wait while FFmpeg converts them. */
  tmpDir: string;
  leaseRenewMs: number;
}

export interface BroadcastServiceDeps {
  endpoint: SipEndpoint;
  messenger: DeviceMessenger;
  pending: PendingQueries;
  ports: MediaPortPool;
  clips: BroadcastClipStore;
  logger: Logger;
}

/** The audio to broadcast: an uploaded file (converted here) or a clip converted earlier. */
export type BroadcastAudio = { kind: 'upload'; data: Buffer } | { kind: 'clip'; clipId: string };

interface Broadcast {
  view: BroadcastView;
  audio: Buffer;
  dialog: Dialog | null;
  sender: AudioSender | null;
  transport: RtpSendTransport | null;
  listener: TcpAcceptSender | null;
  port: MediaPortLease | null;
  /** Settles when audio flows (resolve) or the start failed (reject). */
  accepted: Promise<void>;
  accept: () => void;
  reject: (err: AppError) => void;
}

const KEEP_ENDED = 200;

/**
 * Voice broadcast (GB/T 28181 9.12.1): Notify Broadcast to the device, its Response, then its
 * INVITE to our audio source ID; we answer with our SDP (sendonly) and, after the ACK, send the
 * clip as G.711 (raw or in PS) over RTP in real time, then BYE. A BYE from the device stops it.
 */
export class BroadcastService {
  private readonly broadcasts = new Map<string, Broadcast>();
  private renewTimer: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(
    private readonly deps: BroadcastServiceDeps,
    private readonly options: BroadcastServiceOptions,
  ) {
    this.renewTimer = setInterval(() => void this.renewLeases(), options.leaseRenewMs);
    this.renewTimer.unref();
  }

  /** For sip.addRequestHandler: takes the INVITE a running broadcast waits for, passes any other. */
  readonly handleRequest = (request: SipRequest, ctx: ServerTransactionContext): boolean => {
    if (request.method !== 'INVITE') return false;
    const parties = inviteParties(request);
    const b = [...this.broadcasts.values()].find(
      (x) =>
        (x.view.state === 'notifying' || x.view.state === 'waiting-invite') &&
        isBroadcastInvite(parties, { deviceId: x.view.deviceId, targetId: x.view.targetId, sourceId: x.view.sourceId, platformId: this.options.platformId }),
    );
    if (b === undefined) return false;
    void this.answerInvite(b, request, ctx).catch((err: unknown) => {
      this.deps.logger.warn({ err, deviceId: b.view.deviceId, broadcastId: b.view.id }, 'broadcast INVITE failed');
      if (!ctx.responded) ctx.respond(500, 'Server Internal Error');
      this.fail(b, err instanceof AppError ? err : new AppError('internal', (err as Error).message));
      // A stop while the port or listener was being taken ended the broadcast before they were ours to release.
      this.release(b);
    });
    return true;
  };

  /** Starts a broadcast; resolves once audio flows. */
  async start(deviceId: string, audio: BroadcastAudio, options: { targetId?: string } = {}): Promise<BroadcastView> {
    if (this.closed) throw new AppError('unavailable', 'the server is shutting down');
    await this.deps.messenger.reachable(deviceId);
    const targetId = options.targetId ?? deviceId;
    this.refuseSecond(targetId);
    const { clip, data } = await this.audioOf(audio);
    // Converting took a while: another start for this target may have begun meanwhile.
    this.refuseSecond(targetId);
    const b = this.create(deviceId, targetId, clip, data);
    const log = this.deps.logger.child({ deviceId, targetId, broadcastId: b.view.id });
    const inviteTimer = setTimeout(() => {
      if (b.view.state === 'notifying' || b.view.state === 'waiting-invite') {
        this.fail(b, new AppError('device_timeout', `device ${deviceId} accepted the broadcast but sent no INVITE within ${this.options.inviteTimeoutMs} ms`));
      }
    }, this.options.answerTimeoutMs + this.options.inviteTimeoutMs);
    try {
      await this.notify(b);
      if (b.view.state === 'notifying') b.view.state = 'waiting-invite';
      await b.accepted;
      log.info({ codec: b.view.codec, transport: b.view.transport, remote: b.view.remote, durationMs: clip.durationMs }, 'broadcast started');
      return this.viewOf(b);
    } catch (err) {
      const error = err instanceof AppError ? err : new AppError('internal', (err as Error).message);
      this.fail(b, error);
      log.info({ error: error.message }, 'broadcast failed');
      throw error;
    } finally {
      clearTimeout(inviteTimer);
    }
  }

  get(id: string): BroadcastView | null {
    const b = this.broadcasts.get(id);
    return b === undefined ? null : this.viewOf(b);
  }

  list(): BroadcastView[] {
    return [...this.broadcasts.values()].map((b) => this.viewOf(b));
  }

  /** Stops a broadcast (BYE); null when unknown. An ended one is returned as it is. */
  stop(id: string): BroadcastView | null {
    const b = this.broadcasts.get(id);
    if (b === undefined) return null;
    if (b.view.state === 'sending' || b.view.state === 'connecting') this.end(b, 'stopped');
    else if (isActive(b.view.state)) this.fail(b, new AppError('conflict', 'the broadcast was stopped before it started'), 'stopped');
    return this.viewOf(b);
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.renewTimer) clearInterval(this.renewTimer);
    this.renewTimer = null;
    for (const b of this.broadcasts.values()) {
      if (b.view.state === 'sending' || b.view.state === 'connecting') this.end(b, 'shutdown');
      else if (isActive(b.view.state)) this.fail(b, new AppError('unavailable', 'the server is shutting down'), 'shutdown');
    }
  }

  private refuseSecond(targetId: string): void {
    if ([...this.broadcasts.values()].some((x) => x.view.targetId === targetId && isActive(x.view.state))) {
      throw new AppError('conflict', `a broadcast to ${targetId} is already running`);
    }
  }

  private async audioOf(audio: BroadcastAudio): Promise<{ clip: BroadcastClip; data: Buffer }> {
    if (audio.kind === 'clip') {
      const found = await this.deps.clips.read(audio.clipId);
      if (found === null) throw new AppError('not_found', `clip ${audio.clipId} is not known (clips are kept for a limited time)`);
      return { clip: found.clip, data: found.audio };
    }
    const data = await convertToAlaw(audio.data, { ffmpegPath: this.options.ffmpegPath, tmpDir: this.options.tmpDir, maxSeconds: this.options.maxClipSeconds, timeoutMs: 30_000 });
    return { clip: await this.deps.clips.add(data), data };
  }

  private create(deviceId: string, targetId: string, clip: BroadcastClip, audio: Buffer): Broadcast {
    let accept: () => void = () => undefined;
    let reject: (err: AppError) => void = () => undefined;
    const accepted = new Promise<void>((resolve, rej) => {
      accept = resolve;
      reject = rej;
    });
    // Nobody may be waiting any more when a late failure comes (stop after the start): no unhandled rejection.
    accepted.catch(() => undefined);
    const now = Date.now();
    const view: BroadcastView = {
      id: `${now.toString(36)}-${randomBytes(5).toString('hex')}`,
      deviceId,
      targetId,
      sourceId: this.options.sourceId,
      clipId: clip.id,
      durationMs: clip.durationMs,
      state: 'notifying',
      codec: null,
      payloadType: null,
      transport: null,
      remote: null,
      localPort: null,
      ssrc: null,
      callId: null,
      packets: 0,
      bytes: 0,
      sentMs: 0,
      createdAt: now,
      startedAt: null,
      endedAt: null,
      endReason: null,
      error: null,
    };
    const b: Broadcast = { view, audio, dialog: null, sender: null, transport: null, listener: null, port: null, accepted, accept, reject };
    this.broadcasts.set(view.id, b);
    this.forgetOld();
    return b;
  }

  /** Notify Broadcast and its Response. An INVITE that comes first counts as the device's yes. */
  private async notify(b: Broadcast): Promise<void> {
    const { deviceId, targetId } = b.view;
    const pending = this.deps.pending;
    const sn = pending.nextSn();
    const got: { doc: ManscdpDocument | null } = { doc: null };
    const wait = pending.wait(deviceId, 'Broadcast', sn, this.options.answerTimeoutMs, (doc) => {
      got.doc = doc;
      return true;
    });
    try {
      await this.deps.messenger.sendManscdp(deviceId, buildBroadcastNotify(sn, this.options.sourceId, targetId));
    } catch (err) {
      wait.cancel();
      throw err;
    }
    // Once the INVITE is in, the Response no longer matters.
    await Promise.race([wait.done, b.accepted.then(() => true, () => true)]);
    wait.cancel();
    if (b.view.state !== 'notifying') return;
    if (got.doc === null) throw new AppError('device_timeout', `device ${deviceId} did not answer the broadcast notification`);
    const { ok, result } = readBroadcastResult(got.doc);
    if (!ok) throw new AppError('device_error', `device ${deviceId} refused the broadcast (Result ${result ?? 'missing'})`);
  }

  private async answerInvite(b: Broadcast, request: SipRequest, ctx: ServerTransactionContext): Promise<void> {
    b.view.state = 'connecting';
    b.view.callId = request.headers.get('call-id') ?? null;
    const parsed = parseGbSdp(request.body);
    const read = parsed.ok ? readBroadcastOffer(parsed.value) : { ok: false as const, error: parsed.error };
    if (!read.ok) {
      ctx.respond(488, 'Not Acceptable Here');
      throw new AppError('device_error', `device ${b.view.deviceId} asked for audio we cannot send: ${read.error}`);
    }
    const offer = read.offer;
    b.port = await this.deps.ports.acquire(`broadcast-${b.view.id}`);
    const weListen = offer.transport === 'tcp' && offer.setup === 'active';
    if (weListen) b.listener = await TcpAcceptSender.listen({ host: this.options.mediaHost, port: b.port.port });
    const ssrc = offer.ssrc !== null && offer.ssrcNumber !== null ? offer.ssrc.padStart(10, '0') : String(randomInt(1, 999_999_999)).padStart(10, '0');
    Object.assign(b.view, {
      codec: offer.codec,
      payloadType: offer.payloadType,
      transport: offer.transport,
      remote: `${offer.address}:${offer.port}`,
      localPort: b.port.port,
      ssrc,
    });
    if (ctx.cancelled || !isActive(b.view.state)) {
      if (!ctx.responded) ctx.respond(487, 'Request Terminated');
      throw new AppError('device_error', 'the device cancelled its broadcast INVITE');
    }
    const dialog = this.deps.endpoint.createServerDialog(request, ctx);
    b.dialog = dialog;
    const sdp = buildBroadcastAnswer({
      username: this.options.sourceId,
      address: this.options.mediaAddress,
      port: b.port.port,
      transport: offer.transport,
      ...(offer.transport === 'tcp' ? { setup: weListen ? 'passive' : 'active' } : {}),
      codec: offer.codec,
      payloadType: offer.payloadType,
      ssrc,
    });
    const acked = new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), this.options.connectTimeoutMs);
      dialog.once('ack', () => {
        clearTimeout(timer);
        resolve(true);
      });
      dialog.once('closed', () => {
        clearTimeout(timer);
        resolve(false);
      });
    });
    dialog.on('closed', () => {
      if (isActive(b.view.state)) this.end(b, 'device-bye');
    });
    ctx.respond(200, 'OK', { headers: [['Content-Type', 'application/sdp']], body: Buffer.from(sdp, 'latin1') });
    if (!(await acked)) {
      if (!isActive(b.view.state)) return;
      throw new AppError('device_error', `device ${b.view.deviceId} did not ACK our answer`);
    }
    await this.startSending(b, offer, Number(ssrc));
  }

  private async startSending(b: Broadcast, offer: BroadcastOffer, ssrc: number): Promise<void> {
    const remote = { address: offer.address, port: offer.port };
    const port = b.port?.port ?? 0;
    let transport: RtpSendTransport;
    try {
      transport =
        offer.transport === 'udp'
          ? await udpSender({ host: this.options.mediaHost, port }, remote, this.deps.logger)
          : b.listener !== null
            ? await b.listener.accept(this.options.connectTimeoutMs)
            : await tcpConnectSender(remote, this.options.connectTimeoutMs);
    } catch (err) {
      throw new AppError('device_error', `no media connection with device ${b.view.deviceId}: ${(err as Error).message}`);
    }
    if (!isActive(b.view.state)) {
      transport.close();
      return;
    }
    b.transport = transport;
    const sender = new AudioSender(b.audio, { format: offer.codec, payloadType: offer.payloadType, ssrc }, transport);
    b.sender = sender;
    sender.on('end', (reason: AudioSendEnd) => {
      if (isActive(b.view.state)) this.end(b, reason);
    });
    b.view.state = 'sending';
    b.view.startedAt = Date.now();
    sender.start();
    b.accept();
  }

  /** Ends a broadcast that had started (or was connecting): stop the audio, BYE unless the device hung up. */
  private end(b: Broadcast, reason: BroadcastEndReason): void {
    if (!isActive(b.view.state)) return;
    b.view.state = 'ended';
    b.view.endReason = reason;
    b.view.endedAt = Date.now();
    this.release(b);
    const dialog = b.dialog;
    if (dialog !== null && !dialog.closed && reason !== 'device-bye') {
      dialog.bye({ timeoutMs: 5000 }).catch((err: unknown) => this.deps.logger.debug({ err, broadcastId: b.view.id }, 'BYE of a broadcast failed'));
    }
    this.deps.logger.info({ broadcastId: b.view.id, deviceId: b.view.deviceId, reason, packets: b.view.packets }, 'broadcast ended');
    b.reject(new AppError('device_error', `the broadcast ended (${reason}) before audio flowed`));
  }

  private fail(b: Broadcast, error: AppError, reason: BroadcastEndReason = 'error'): void {
    if (!isActive(b.view.state)) return;
    b.view.state = 'failed';
    b.view.error = error.message;
    b.view.endReason = reason;
    b.view.endedAt = Date.now();
    this.release(b);
    const dialog = b.dialog;
    if (dialog !== null && !dialog.closed) dialog.bye({ timeoutMs: 5000 }).catch(() => undefined);
    b.reject(error);
  }

  private release(b: Broadcast): void {
    if (b.sender !== null) {
      Object.assign(b.view, snapshotStats(b.sender));
      b.sender.stop();
    }
    b.transport?.close();
    b.listener?.close();
    const port = b.port;
    b.port = null;
    void port?.release().catch(() => undefined);
  }

  private viewOf(b: Broadcast): BroadcastView {
    if (b.sender !== null && b.view.state === 'sending') Object.assign(b.view, snapshotStats(b.sender));
    return { ...b.view };
  }

  private forgetOld(): void {
    if (this.broadcasts.size <= KEEP_ENDED) return;
    for (const [id, b] of this.broadcasts) {
      if (this.broadcasts.size <= KEEP_ENDED) break;
      if (!isActive(b.view.state)) this.broadcasts.delete(id);
    }
  }

  private async renewLeases(): Promise<void> {
    for (const b of this.broadcasts.values()) {
      try {
        await b.port?.renew();
      } catch (err) {
        this.deps.logger.warn({ err, broadcastId: b.view.id }, 'lost the port lease of a broadcast');
      }
    }
  }
}

function isActive(state: BroadcastState): boolean {
  return state === 'notifying' || state === 'waiting-invite' || state === 'connecting' || state === 'sending';
}

function snapshotStats(sender: AudioSender): { packets: number; bytes: number; sentMs: number } {
  const s = sender.stats;
  return { packets: s.packets, bytes: s.bytes, sentMs: s.sentMs };
}
