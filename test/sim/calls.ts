/**
 * The live-view side of a simulated camera (UAS): INVITE for one of its channels → 100 Trying,
 * 200 OK with an SDP answer (retransmitted over UDP until the ACK), media after the ACK; BYE in
 * either direction ends the stream; CANCEL before the 200 gets 487. Dialogs are tracked by
 * Call-ID and tags. Quirks (SimQuirks) bend each step the way real cameras do.
 */
import { parseGbSdp } from '../../src/sip/sdp';
import { applyMansrtspInfo, type InfoAnswer } from './history-control';
import { answerSdp, planAnswer, type AnswerPlan } from './invite-offer';
import { loadSimClip, type SimClip } from './media-clip';
import { SimMediaStream } from './media-stream';
import { newNumericToken, topBranch, uriUser, writeResponse, type Eol, type SipRequest } from './sip';
import type { InboundRequest } from './endpoint';
import type { ResolvedTimers, TransactionResult } from './transactions';
import type { SimDeviceKind, SimMediaOptions, SimQuirks, SimStreamEndReason, SimStreamStats, SimTransportKind } from './types';

export interface SimCallsHost {
  deviceId: string;
  kind: SimDeviceKind;
  channelIds: readonly string[];
  quirks: SimQuirks;
  media: SimMediaOptions | undefined;
  /** Address written in the SDP answer and bound for media. */
  mediaHost: string;
  userAgent: string;
  eol: Eol;
  timers: ResolvedTimers;
  transport: SimTransportKind;
  contact(): { host: string; port: number };
  /** Sends an in-dialog request to the platform as a client transaction. */
  sendRequest(method: string, uri: string, headersFor: (via: string, cseq: number) => Array<[string, string]>): Promise<TransactionResult>;
  onInviteAnswered(info: InviteOutcome): void;
  onStreamStart(stats: SimStreamStats): void;
  onStreamEnd(stats: SimStreamStats): void;
  /** A history range was sent in full: send Notify MediaStatus 121 for the channel; resolves with its status. */
  sendMediaStatus(channelId: string): Promise<number>;
  onMediaStatusSent(stats: SimStreamStats, status: number): void;
}

/** The final answer the device gave to one INVITE. */
export interface InviteOutcome {
  callId: string;
  /** The channel the INVITE named, when it is one of the device's. */
  channelId?: string;
  status: number;
}

interface InviteTransaction {
  request: SipRequest;
  reply: (bytes: Buffer) => void;
  last?: Buffer;
  final: boolean;
  at: number;
  dialog?: SimDialog;
}

interface SimDialog {
  callId: string;
  channelId: string;
  localTag: string;
  /** The INVITE's To (no tag) and From (with the platform's tag): our From and To in a BYE. */
  localUri: string;
  remote: string;
  /** Where a BYE goes: the INVITE's Contact, or its From URI. */
  remoteTarget: string;
  state: 'early' | 'confirmed' | 'ended';
  okSent: boolean;
  tx: InviteTransaction;
  stream?: SimMediaStream;
  timers: NodeJS.Timeout[];
}

const TX_MEMORY_MS = 32_000;
const ENDED_KEPT = 1000;

export class SimCalls {
  private readonly transactions = new Map<string, InviteTransaction>();
  private readonly dialogs = new Map<string, SimDialog>();
  private readonly endedStreams: SimStreamStats[] = [];

  constructor(private readonly host: SimCallsHost) {}

  /** Every stream of the device: live ones (current counters) and the last ended ones. */
  streamStats(): SimStreamStats[] {
    const live = [...this.dialogs.values()].flatMap((d) => (d.stream && !d.stream.ended ? [d.stream.snapshot()] : []));
    return [...this.endedStreams, ...live];
  }

  onInvite({ message, reply }: InboundRequest): void {
    const callId = message.headers.get('call-id') ?? '';
    const key = `${topBranch(message) ?? ''}|${callId}`;
    const known = this.transactions.get(key);
    if (known) {
      if (known.last) reply(known.last);
      return;
    }
    const tx: InviteTransaction = { request: message, reply, final: false, at: Date.now() };
    this.remember(key, tx);
    const { quirks } = this.host;
    if (quirks.ignoreInvite) return;
    this.respond(tx, 100, 'Trying', null);
    const channelId = this.channelFor(message);
    if (channelId === undefined) return this.refuse(tx, callId, 404, 'Not Found');
    if (this.dialogs.has(callId)) return this.refuse(tx, callId, 488, 'Not Acceptable Here', channelId);
    const offer = parseGbSdp(message.body);
    const planned = offer.ok ? planAnswer(offer.value, quirks) : undefined;
    if (!planned?.ok) return this.refuse(tx, callId, 488, 'Not Acceptable Here', channelId);
    if (quirks.rejectInvite !== undefined) {
      return this.refuse(tx, callId, quirks.rejectInvite, quirks.rejectInvite === 486 ? 'Busy Here' : 'Not Acceptable Here', channelId);
    }
    const dialog: SimDialog = {
      callId,
      channelId,
      localTag: newNumericToken(),
      localUri: message.headers.get('to') ?? '',
      remote: message.headers.get('from') ?? '',
      remoteTarget: uriIn(message.headers.get('contact')) ?? uriIn(message.headers.get('from')) ?? message.uri,
      state: 'early',
      okSent: false,
      tx,
      timers: [],
    };
    tx.dialog = dialog;
    this.dialogs.set(callId, dialog);
    this.answer(dialog, planned.plan).catch(() => {
      if (!tx.final) this.refuse(tx, callId, 500, 'Server Internal Error', channelId);
      this.finish(dialog, 'connect-failed');
    });
  }

  onAck(message: SipRequest): void {
    const dialog = this.dialogs.get(message.headers.get('call-id') ?? '');
    if (!dialog || dialog.state !== 'early' || !dialog.okSent || tagOf(message.headers.get('to')) !== dialog.localTag) return;
    dialog.state = 'confirmed';
    clearTimers(dialog);
    const stream = dialog.stream;
    if (!stream) return;
    if (this.host.quirks.noMedia) stream.silence();
    else stream.start();
    this.host.onStreamStart(stream.snapshot());
  }

  /** Status for a BYE from the platform (200 ends the stream, 481 when no such dialog). */
  onBye(message: SipRequest): [number, string] {
    const dialog = this.dialogs.get(message.headers.get('call-id') ?? '');
    if (!dialog || dialog.state === 'ended' || tagOf(message.headers.get('to')) !== dialog.localTag) {
      return [481, 'Call/Transaction Does Not Exist'];
    }
    this.finish(dialog, 'bye-received');
    return [200, 'OK'];
  }

  /**
   * An INFO in one of our history dialogs (MANSRTSP playback control, see ./history-control); undefined when the
   * INFO belongs to no such dialog (the device then answers 200 as before). A live (s=Play) dialog: 200, no effect.
   */
  onInfo(message: SipRequest): InfoAnswer | undefined {
    const dialog = this.dialogs.get(message.headers.get('call-id') ?? '');
    if (!dialog || dialog.state === 'ended' || tagOf(message.headers.get('to')) !== dialog.localTag) return undefined;
    const stream = dialog.stream;
    if (!stream || stream.stats.session === 'play') return { status: 200, reason: 'OK' };
    return applyMansrtspInfo(stream, message.headers.get('content-type'), message.body);
  }

  /** Status for a CANCEL (undefined: say nothing); an INVITE still without final answer gets 487. */
  onCancel(message: SipRequest): [number, string] | undefined {
    const tx = this.transactions.get(`${topBranch(message) ?? ''}|${message.headers.get('call-id') ?? ''}`);
    if (this.host.quirks.ignoreInvite) return undefined;
    if (!tx) return [481, 'Call/Transaction Does Not Exist'];
    if (!tx.final) {
      this.respond(tx, 487, 'Request Terminated', tx.dialog?.localTag ?? newNumericToken());
      this.host.onInviteAnswered({ callId: tx.dialog?.callId ?? '', ...(tx.dialog ? { channelId: tx.dialog.channelId } : {}), status: 487 });
      if (tx.dialog) this.finish(tx.dialog, 'cancelled');
    }
    return [200, 'OK'];
  }

  /** Sends BYE for every answered stream of `channelId` (all channels when omitted); resolves with the BYE statuses. */
  hangup(channelId?: string): Promise<number[]> {
    const dialogs = [...this.dialogs.values()].filter((d) => d.okSent && d.state !== 'ended' && (channelId === undefined || d.channelId === channelId));
    return Promise.all(dialogs.map((d) => this.sendBye(d, 'bye-sent')));
  }

  /** Ends every stream without a word to the platform (a camera switched off). */
  stopAll(): void {
    for (const dialog of [...this.dialogs.values()]) this.finish(dialog, 'device-stopped');
    this.transactions.clear();
  }

  private async answer(dialog: SimDialog, plan: AnswerPlan): Promise<void> {
    const { host } = this;
    const stream = new SimMediaStream({
      callId: dialog.callId,
      channelId: dialog.channelId,
      plan,
      localHost: host.mediaHost,
      media: host.media,
      ...(host.quirks.stopMediaAfterMs !== undefined ? { stopAfterMs: host.quirks.stopMediaAfterMs } : {}),
      onComplete: (stats) => {
        stream.markMediaStatusSent();
        void host.sendMediaStatus(stats.channelId).then((status) => host.onMediaStatusSent(stream.snapshot(), status));
      },
      onEnd: (stats) => {
        this.endedStreams.push(stats);
        if (this.endedStreams.length > ENDED_KEPT) this.endedStreams.shift();
        host.onStreamEnd(stats);
      },
    });
    dialog.stream = stream;
    let port: number;
    let fileSize: number | undefined;
    try {
      port = await stream.prepare();
      // History: the clip is needed before answering (a=filesize, seeks by GOP).
      if (plan.history) fileSize = historyFileSize(await loadSimClip(host.media), (plan.history.end - plan.history.start) * 1000);
    } catch {
      if (dialog.state !== 'ended') this.refuse(dialog.tx, dialog.callId, 500, 'Server Internal Error', dialog.channelId);
      this.finish(dialog, 'connect-failed');
      return;
    }
    const delay = host.quirks.answerDelayMs ?? 0;
    if (delay > 0) await new Promise<void>((resolve) => dialog.timers.push(setTimeout(resolve, delay)));
    if (dialog.state === 'ended') return;
    const contact = host.contact();
    const transportParam = host.transport === 'tcp' ? ';transport=tcp' : '';
    this.respond(dialog.tx, 200, 'OK', dialog.localTag, [['Contact', `<sip:${dialog.channelId}@${contact.host}:${contact.port}${transportParam}>`]], {
      type: 'application/sdp',
      bytes: answerSdp(plan, dialog.channelId, host.mediaHost, port, fileSize),
    });
    dialog.okSent = true;
    host.onInviteAnswered({ callId: dialog.callId, channelId: dialog.channelId, status: 200 });
    clearTimers(dialog);
    if (host.transport === 'udp') this.retransmitOk(dialog, host.timers.t1Ms);
    dialog.timers.push(setTimeout(() => void this.sendBye(dialog, 'no-ack'), 64 * host.timers.t1Ms));
  }

  /** RFC 3261 13.3.1.4: over UDP the 200 is resent (T1 doubling up to T2) until the ACK. */
  private retransmitOk(dialog: SimDialog, interval: number): void {
    dialog.timers.push(
      setTimeout(() => {
        if (dialog.state !== 'early' || !dialog.tx.last) return;
        dialog.tx.reply(dialog.tx.last);
        this.retransmitOk(dialog, Math.min(interval * 2, this.host.timers.t2Ms));
      }, interval),
    );
  }

  private async sendBye(dialog: SimDialog, reason: SimStreamEndReason): Promise<number> {
    if (dialog.state === 'ended') return 0;
    this.finish(dialog, reason);
    const { host } = this;
    const result = await host.sendRequest('BYE', dialog.remoteTarget, (via, cseq) => [
      ['Via', via],
      ['From', `${dialog.localUri};tag=${dialog.localTag}`],
      ['To', dialog.remote],
      ['Call-ID', dialog.callId],
      ['CSeq', `${cseq} BYE`],
      ['Max-Forwards', '70'],
      ['User-Agent', host.userAgent],
    ]);
    return result.status;
  }

  private finish(dialog: SimDialog, reason: SimStreamEndReason): void {
    if (dialog.state === 'ended') return;
    dialog.state = 'ended';
    clearTimers(dialog);
    this.dialogs.delete(dialog.callId);
    dialog.stream?.end(reason);
  }

  private channelFor(message: SipRequest): string | undefined {
    const ids = [uriUser(message.uri), uriUser(message.headers.get('to') ?? '')];
    const { host } = this;
    return ids.find((id) => id !== undefined && (host.channelIds.includes(id) || (id === host.deviceId && host.kind === 'ipc')));
  }

  private refuse(tx: InviteTransaction, callId: string, status: number, reason: string, channelId?: string): void {
    this.respond(tx, status, reason, newNumericToken());
    this.host.onInviteAnswered({ callId, ...(channelId !== undefined ? { channelId } : {}), status });
  }

  private respond(
    tx: InviteTransaction,
    status: number,
    reason: string,
    toTag: string | null,
    extra: Array<[string, string]> = [],
    body?: { type: string; bytes: Buffer },
  ): void {
    const bytes = writeResponse(tx.request, status, reason, toTag, [...extra, ['User-Agent', this.host.userAgent]], this.host.eol, body);
    tx.last = bytes;
    if (status >= 200) tx.final = true;
    tx.reply(bytes);
  }

  private remember(key: string, tx: InviteTransaction): void {
    this.transactions.set(key, tx);
    if (this.transactions.size < 64) return;
    for (const [k, v] of this.transactions) {
      if (tx.at - v.at < TX_MEMORY_MS) break;
      if (v.dialog?.state !== 'early') this.transactions.delete(k);
    }
  }
}

function clearTimers(dialog: SimDialog): void {
  for (const timer of dialog.timers) clearTimeout(timer);
  dialog.timers = [];
}

function tagOf(header: string | undefined): string | undefined {
  return /;\s*tag=([^;>\s]+)/i.exec(header ?? '')?.[1];
}

/** The URI inside a name-addr (`<sip:...>`) or a bare URI up to its parameters. */
function uriIn(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const bracketed = /<([^>]+)>/.exec(header)?.[1];
  if (bracketed !== undefined) return bracketed;
  const bare = header.trim().split(';')[0]?.trim();
  return bare === '' ? undefined : bare;
}

/** PS bytes of `durationMs` of the looped clip: what a Download of that range sends (a=filesize). */
export function historyFileSize(clip: SimClip, durationMs: number): number {
  const loops = Math.floor(durationMs / clip.durationMs);
  const rest = durationMs - loops * clip.durationMs;
  let bytes = loops * clip.payloadBytes;
  for (const packet of clip.packets) if (packet.atMs < rest) bytes += packet.payload.length;
  return bytes;
}
