import { AppError } from '../../errors';
import type { Logger } from '../../logger';
import type { ForwardEndReason, MediaNode } from '../../media/node/types';
import { MediaPortsExhaustedError, type MediaPortPool } from '../../media/ports';
import { makeSsrc, ssrcToNumber } from '../../media/ports/ssrc';
import type { PlatformIdentity } from '../../sip/device/messenger';
import { buildMansrtspAnswer, isMansrtspContentType, parseMansrtsp } from '../../sip/mansrtsp';
import { parseNameAddr } from '../../sip/message';
import type { SipRequest } from '../../sip/message/types';
import type { LiveStreams } from '../../sip/play/live-streams';
import type { ServerTransactionContext, SipEndpoint } from '../../sip/transaction';
import type { IndexStore } from '../../storage/ports';
import type { CascadeInviteTarget, CascadeMediaHandler } from '../media-port';
import { upperAnswerSdp } from './answer-sdp';
import { deviceRecordingSource, liveSource, platformRecordingSource, type ForwardSourceDeps } from './forward-sources';
import { mediaStatusRequest } from './media-status';
import { controlsFor } from './playback-controls';
import { viewOf, type CascadeEndReason, type CascadeSession, type CascadeSessionView } from './session';
import { readUpperOffer } from './upper-offer';

export interface CascadeMediaOptions {
  /** c= of our answers: the address the upper sees our media come from. */
  mediaAddress: string;
  /** Digits 4-8 of our domain ID, for a y= of our own when an upper offers none. */
  realmDigits: string;
  /** TTL of our port leases; renewed at a third of it. */
  leaseTtlMs: number;
  /** The upper's ACK must come within this (default 32 s, 64*T1). */
  ackTimeoutMs?: number;
  /** TCP: how long we try to connect to the upper / wait for it to connect (default 10 s). */
  connectTimeoutMs?: number;
}

export interface CascadeMediaDeps {
  endpoint: SipEndpoint;
  platform: PlatformIdentity;
  live: LiveStreams;
  media: MediaNode;
  index: IndexStore;
  footage: { footageRoot: string; retention: { hold(ids: readonly string[]): () => void } };
  /** Where our send ports come from (TCP passive listens on one; UDP sends from one). */
  ports: MediaPortPool;
  logger: Logger;
  options: CascadeMediaOptions;
}

/**
 * Cascade media: answers an upper platform's INVITE for one of our channels and sends the
 * channel as PS over RTP to the address and SSRC of its SDP (UDP, TCP active or passive). Live
 * view joins the channel's live stream as one more viewer; Playback/Download play platform
 * recordings (or the device's, as configured) with MANSRTSP pause, seek and speed from the
 * upper's INFO. Each answered INVITE is a session that owns its dialog, port lease, forwarding
 * and playback, and tears them down together whichever side ends it.
 */
export class CascadeMediaService implements CascadeMediaHandler {
  private readonly sessions = new Map<string, CascadeSession>();
  private readonly sources: ForwardSourceDeps;
  private readonly log: Logger;
  private next = 1;
  private sn = 1;
  private closed = false;
  private readonly renewTimer: NodeJS.Timeout;

  constructor(private readonly deps: CascadeMediaDeps) {
    this.log = deps.logger;
    this.sources = { live: deps.live, media: deps.media, index: deps.index, footageRoot: deps.footage.footageRoot, retention: deps.footage.retention, logger: deps.logger };
    deps.media.on('forward-ended', (forwardId, reason) => this.onForwardEnded(forwardId, reason));
    deps.media.on('playback-ended', (streamId) => this.onPlaybackEnded(streamId));
    deps.media.on('failed', () => {
      for (const s of [...this.sessions.values()]) void this.end(s, 'media-failed');
    });
    this.renewTimer = setInterval(() => void this.renewLeases(), Math.max(1000, Math.floor(deps.options.leaseTtlMs / 3)));
    this.renewTimer.unref();
  }

  async handleInvite(request: SipRequest, ctx: ServerTransactionContext, target: CascadeInviteTarget): Promise<void> {
    const callId = request.headers.get('call-id') ?? '';
    const log = this.log.child({ upperId: target.upperId, channelId: target.channelId, callId });
    if (this.closed) {
      ctx.respond(503, 'Service Unavailable');
      return;
    }
    const read = readUpperOffer(request.body, ctx.peer.address);
    if (!read.ok) {
      log.warn({ error: read.error }, 'upper INVITE with an SDP we cannot serve: 488');
      ctx.respond(488, 'Not Acceptable Here');
      return;
    }
    const offer = read.value;
    const ssrc = offer.ssrc ?? makeSsrc(offer.session === 'Play' ? 'live' : 'history', this.deps.options.realmDigits, this.next);
    const session: CascadeSession = {
      id: `cascade-${this.next++}`,
      target,
      upperChannelId: parseNameAddr(request.headers.get('to') ?? '')?.uri.user ?? target.channelId,
      callId,
      offer,
      ssrc,
      ssrcNumber: offer.ssrcNumber ?? ssrcToNumber(ssrc) ?? 0,
      state: 'starting',
      source: null,
      dialog: null,
      port: null,
      forwardOpen: false,
      ackTimer: null,
      startedAt: Date.now(),
      starting: Promise.resolve(),
      ended: null,
    };
    this.sessions.set(session.id, session);
    const starting = this.prepare(session, () => ctx.cancelled);
    session.starting = starting.then(
      () => undefined,
      () => undefined,
    );
    try {
      await starting;
      if (ctx.responded || session.state !== 'starting') throw new AppError('conflict', ctx.cancelled ? 'the upper cancelled the INVITE' : 'the INVITE was answered meanwhile');
      this.answer(session, request, ctx);
      log.info({ session: offer.session, transport: offer.transport, to: `${offer.host}:${offer.port}`, ssrc, streamId: session.source?.streamId }, 'upper INVITE answered');
    } catch (err) {
      const [status, reason] = sipStatusOf(err);
      if (!ctx.responded) ctx.respond(status, reason);
      log.warn({ err: (err as Error).message, status }, 'upper INVITE refused');
      await this.end(session, ctx.cancelled ? 'cancelled' : 'start-failed');
    }
  }

  async stopUpper(upperId: string): Promise<void> {
    await Promise.all([...this.sessions.values()].filter((s) => s.target.upperId === upperId).map((s) => this.end(s, 'upper-removed')));
  }

  /** A device's MediaStatus: 121 ends the device-recording sessions of that channel (121 goes on to the upper). */
  onDeviceMediaStatus(channelId: string, notifyType: string): void {
    if (notifyType.trim() !== '121') return;
    for (const s of [...this.sessions.values()]) {
      if (s.source?.kind === 'device-recording' && s.target.channelId === channelId && (s.state === 'sending' || s.state === 'answered')) void this.end(s, 'end-of-file');
    }
  }

  list(): CascadeSessionView[] {
    return [...this.sessions.values()].map(viewOf);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.renewTimer);
    await Promise.all([...this.sessions.values()].map((s) => this.end(s, 'shutdown')));
  }

  // --- starting -------------------------------------------------------------------------------

  /** The stream, a port, and the media node's sending socket: everything the 200 OK promises. */
  private async prepare(session: CascadeSession, cancelled: () => boolean): Promise<void> {
    const { target, offer } = session;
    const stillStarting = (): void => {
      if (session.state !== 'starting' || cancelled()) throw new AppError('conflict', 'the session was ended (or the INVITE cancelled) while starting');
    };
    if (offer.session === 'Play') session.source = await liveSource(this.sources, target.channelId);
    else if (target.recordSource === 'platform') session.source = await platformRecordingSource(this.sources, target.channelId, offer, `${target.channelId}_${session.id}`);
    else session.source = await deviceRecordingSource(this.sources, target.channelId, offer);
    stillStarting();
    await session.source.hold();
    if (offer.transport !== 'tcp-active') {
      try {
        session.port = await this.deps.ports.acquire(session.id);
      } catch (err) {
        if (err instanceof MediaPortsExhaustedError) throw new AppError('unavailable', err.message);
        throw err;
      }
    }
    stillStarting();
    try {
      await this.openForward(session, session.source.streamId);
    } catch (err) {
      throw new AppError('unavailable', `the media node could not open the sending socket: ${(err as Error).message}`);
    }
    session.forwardOpen = true;
  }

  private async openForward(session: CascadeSession, streamId: string): Promise<void> {
    const { offer } = session;
    await this.deps.media.openForward({
      forwardId: session.id,
      streamId,
      transport: offer.transport,
      host: offer.host,
      port: offer.port,
      localPort: session.port?.port ?? 0,
      ssrc: session.ssrcNumber,
      payloadType: offer.payloadType,
      ...(this.deps.options.connectTimeoutMs !== undefined ? { connectTimeoutMs: this.deps.options.connectTimeoutMs } : {}),
    });
  }

  private answer(session: CascadeSession, request: SipRequest, ctx: ServerTransactionContext): void {
    const dialog = this.deps.endpoint.createServerDialog(request, ctx);
    session.dialog = dialog;
    dialog.on('ack', () => void this.onAck(session));
    dialog.on('request', (req, c) => this.onInDialog(session, req, c));
    dialog.on('closed', () => {
      // Our own BYE clears session.dialog first: a close we did not start is the upper's BYE.
      if (session.dialog === dialog) void this.end(session, 'upper-bye');
    });
    const sdp = upperAnswerSdp(session.offer, { channelId: session.upperChannelId, address: this.deps.options.mediaAddress, port: session.port?.port ?? 0, ssrc: session.ssrc });
    ctx.respond(200, 'OK', { body: Buffer.from(sdp), headers: [['Content-Type', 'APPLICATION/SDP']] });
    session.state = 'answered';
    session.ackTimer = setTimeout(() => {
      session.ackTimer = null;
      if (session.state === 'answered') void this.end(session, 'no-ack');
    }, this.deps.options.ackTimeoutMs ?? 32_000);
  }

  private async onAck(session: CascadeSession): Promise<void> {
    if (session.state !== 'answered') return;
    if (session.ackTimer !== null) clearTimeout(session.ackTimer);
    session.ackTimer = null;
    session.state = 'sending';
    try {
      await this.deps.media.startForward(session.id);
      await session.source?.go();
    } catch (err) {
      this.log.warn({ err: (err as Error).message, session: session.id }, 'forwarding could not start');
      await this.end(session, 'stream-ended');
    }
  }

  // --- in the dialog --------------------------------------------------------------------------

  private onInDialog(session: CascadeSession, request: SipRequest, ctx: ServerTransactionContext): void {
    // The dialog answers BYE itself (and then closes); a re-INVITE cannot change what we send.
    if (request.method === 'BYE') return;
    if (request.method !== 'INFO') {
      ctx.respond(request.method === 'INVITE' ? 488 : 200);
      return;
    }
    if (!isMansrtspContentType(request.headers.get('content-type'))) {
      ctx.respond(415, 'Unsupported Media Type');
      return;
    }
    const parsed = parseMansrtsp(request.body);
    if (!parsed.ok || parsed.value.kind !== 'request') {
      ctx.respond(400, 'Bad Request');
      return;
    }
    const command = parsed.value;
    const source = session.source;
    if (source === null || source.kind === 'live') {
      // Live view has nothing to pause or seek; like devices, say OK and change nothing.
      ctx.respond(200, 'OK');
      return;
    }
    const plan = controlsFor(command, session.offer.start);
    if (!plan.ok) {
      ctx.respond(plan.status, plan.reason);
      return;
    }
    if (plan.teardown) {
      ctx.respond(200, 'OK');
      void this.end(session, 'upper-bye');
      return;
    }
    source.control(plan.controls).then(
      () => ctx.respond(200, 'OK', { headers: [['Content-Type', 'Application/MANSRTSP']], body: Buffer.from(buildMansrtspAnswer({ status: 200, cseq: command.cseq }), 'latin1') }),
      (err: unknown) => {
        this.log.warn({ err: (err as Error).message, session: session.id }, 'playback control failed');
        ctx.respond(500, 'Server Internal Error');
      },
    );
  }

  // --- ending ---------------------------------------------------------------------------------

  private onForwardEnded(forwardId: string, reason: ForwardEndReason): void {
    const session = this.sessions.get(forwardId);
    if (session === undefined) return;
    session.forwardOpen = false;
    void this.end(session, reason === 'stream-ended' || reason === 'node-closing' ? 'stream-ended' : 'receiver-lost');
  }

  private onPlaybackEnded(streamId: string): void {
    for (const s of [...this.sessions.values()]) {
      if (s.source?.kind === 'platform-recording' && s.source.streamId === streamId) void this.end(s, 'end-of-file');
    }
  }

  /**
   * Ends a session once, whoever asked: the forwarding stops, MediaStatus 121 goes first when the
   * range is done, BYE unless the upper hung up, then the stream's hold and the port. A session
   * still starting is torn down when its start has settled. Idempotent.
   */
  private end(session: CascadeSession, reason: CascadeEndReason): Promise<void> {
    if (session.ended !== null) return session.ended;
    const wasState = session.state;
    session.state = 'ending';
    session.ended = session.starting.then(() => this.teardown(session, reason, wasState));
    return session.ended;
  }

  private async teardown(session: CascadeSession, reason: CascadeEndReason, wasState: CascadeSession['state']): Promise<void> {
    const log = this.log.child({ upperId: session.target.upperId, channelId: session.target.channelId, callId: session.callId, session: session.id });
    if (session.ackTimer !== null) clearTimeout(session.ackTimer);
    session.ackTimer = null;
    const dialog = session.dialog;
    session.dialog = null;
    // Stop sending first: the upper must not get media after our BYE.
    if (session.forwardOpen) {
      session.forwardOpen = false;
      await this.deps.media.stopForward(session.id).catch((err: unknown) => log.debug({ err }, 'stopForward failed'));
    }
    if (dialog !== null && !dialog.closed) {
      if (reason === 'end-of-file') await this.sendMediaStatus(session, dialog, log);
      if (reason !== 'upper-bye') await dialog.bye({ timeoutMs: 4000 }).catch((err: unknown) => log.debug({ err }, 'BYE to the upper failed'));
      else dialog.close();
    }
    await session.source?.release().catch((err: unknown) => log.debug({ err }, 'releasing the source failed'));
    await session.port?.release().catch(() => undefined);
    this.sessions.delete(session.id);
    if (wasState !== 'starting' || reason !== 'start-failed') log.info({ reason, uptimeSec: Math.round((Date.now() - session.startedAt) / 1000) }, 'cascade media session ended');
  }

  private async sendMediaStatus(session: CascadeSession, dialog: NonNullable<CascadeSession['dialog']>, log: Logger): Promise<void> {
    const request = mediaStatusRequest(dialog, this.deps.platform, session.upperChannelId, this.sn++);
    try {
      const response = await this.deps.endpoint.request(request, dialog.peer, { timeoutMs: 4000 });
      if (response.status >= 300) log.info({ status: response.status }, 'the upper refused MediaStatus 121');
    } catch (err) {
      log.debug({ err }, 'MediaStatus 121 to the upper failed');
    }
  }

  private async renewLeases(): Promise<void> {
    for (const s of this.sessions.values()) {
      try {
        await s.port?.renew();
      } catch (err) {
        this.log.error({ err, session: s.id }, 'lost the port lease of a cascade forwarding');
      }
    }
  }
}

/** How a failed start is answered. */
function sipStatusOf(err: unknown): [number, string] {
  if (!(err instanceof AppError)) return [500, 'Server Internal Error'];
  switch (err.code) {
    case 'not_found':
      return [404, 'Not Found'];
    case 'device_offline':
      return [480, 'Temporarily Unavailable'];
    case 'device_timeout':
      return [408, 'Request Timeout'];
    case 'device_error':
      return [502, 'Bad Gateway'];
    case 'unavailable':
    case 'conflict':
      // conflict: the session was ended while starting (a CANCEL has been answered 487 already).
      return [503, 'Service Unavailable'];
    case 'bad_request':
      return [400, 'Bad Request'];
    default:
      return [500, 'Server Internal Error'];
  }
}
