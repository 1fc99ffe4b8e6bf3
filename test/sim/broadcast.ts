/**
 * Voice broadcast on the simulated device (GB/T 28181 9.12.1), the device side: Notify Broadcast
 * → 200 (sent by the device) → Response Broadcast (Result OK, or ERROR with the refuseBroadcast
 * quirk) → INVITE to the SourceID with an audio offer (PCMA/8000 by default, PCMU, or PS/90000;
 * UDP, TCP where the platform connects, or TCP where the device connects) → ACK → RTP counted
 * and checked (payload type, timestamp steps) until a BYE either way.
 */
import { EventEmitter } from 'node:events';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { parseRtpPacket } from '../../src/media/rtp/packet';
import { RtpTcpFramer } from '../../src/media/rtp/tcp-framer';
import { parseGbSdp } from '../../src/sip/sdp';
import { newBranch, newCallId, newNumericToken, writeRequest, type Eol, type SipRequest } from './sip';
import type { TransactionResult } from './transactions';
import type { SimQuirks, SimServer } from './types';

export type SimBroadcastCodec = 'PCMA' | 'PCMU' | 'PS';
/** udp; tcp-listen: the device listens (a=setup:passive), the platform connects; tcp-connect: the device connects (a=setup:active). */
export type SimBroadcastTransport = 'udp' | 'tcp-listen' | 'tcp-connect';

export interface SimBroadcastOptions {
  codec?: SimBroadcastCodec;
  transport?: SimBroadcastTransport;
}

export interface SimBroadcastStats {
  callId: string;
  sourceId: string;
  targetId: string;
  codec: SimBroadcastCodec;
  transport: SimBroadcastTransport;
  /** Final status of the INVITE (0 while pending). */
  inviteStatus: number;
  /** The platform's answer SDP: m= payload type, a=sendonly seen, y=. */
  answer: { payloadType: number | null; sendonly: boolean; ssrc: string | null; port: number | null } | null;
  state: 'inviting' | 'receiving' | 'ended';
  endReason?: 'bye-received' | 'bye-sent' | 'invite-failed' | 'device-stopped';
  packets: number;
  /** Payload bytes (RTP headers not counted). */
  payloadBytes: number;
  payloadTypes: number[];
  ssrcs: number[];
  /** How often each timestamp step between consecutive packets was seen ("160": 49). */
  timestampSteps: Record<string, number>;
  /** Packets whose sequence number did not follow the previous one. */
  sequenceGaps: number;
  firstPacketAt?: number;
  lastPacketAt?: number;
}

export interface SimBroadcastHost {
  deviceId: string;
  server: SimServer;
  quirks: SimQuirks;
  options: SimBroadcastOptions | undefined;
  mediaHost: string;
  eol: Eol;
  userAgent: string;
  transport: 'udp' | 'tcp';
  contact(): { host: string; port: number };
  sendMessage(body: Buffer): Promise<TransactionResult>;
  runTransaction(method: string, uri: string, headersFor: (via: string, cseq: number) => Array<[string, string]>, body?: Buffer): Promise<TransactionResult>;
}

interface SimBroadcastEvents {
  /** The platform answered the INVITE and the ACK went out. */
  start: [stats: SimBroadcastStats];
  end: [stats: SimBroadcastStats];
}

interface Session {
  stats: SimBroadcastStats;
  fromTag: string;
  toTag: string;
  remoteTarget: string;
  cseq: number;
  udp?: UdpSocket;
  server?: Server;
  socket?: Socket;
  lastSeq?: number;
  lastTs?: number;
}

const PAYLOADS: Record<SimBroadcastCodec, { pt: number; rtpmap: string }> = {
  PCMA: { pt: 8, rtpmap: '8 PCMA/8000' },
  PCMU: { pt: 0, rtpmap: '0 PCMU/8000' },
  PS: { pt: 96, rtpmap: '96 PS/90000' },
};

function field(text: string, name: string): string | undefined {
  return new RegExp(`<${name}>\\s*([^<]*?)\\s*</${name}>`, 'i').exec(text)?.[1];
}

export class SimBroadcast extends EventEmitter<SimBroadcastEvents> {
  private readonly sessions = new Map<string, Session>();
  private readonly ended: SimBroadcastStats[] = [];

  constructor(private readonly host: SimBroadcastHost) {
    super();
  }

  /** Every broadcast session: ended ones, then running ones (current counters). */
  stats(): SimBroadcastStats[] {
    return [...this.ended, ...[...this.sessions.values()].map((s) => ({ ...s.stats }))];
  }

  /**
   * A MESSAGE the device already answered 200: true when it was a Notify Broadcast (handled here).
   * `reply` reaches the platform's SIP socket: the ACK, which is no transaction, goes out through it.
   */
  onMessage(message: SipRequest, reply: (bytes: Buffer) => void): boolean {
    const text = message.body.toString('latin1');
    if (!/<Notify\b/.test(text) || field(text, 'CmdType') !== 'Broadcast') return false;
    const sourceId = field(text, 'SourceID') ?? '';
    const targetId = field(text, 'TargetID') ?? this.host.deviceId;
    void this.accept(field(text, 'SN') ?? '0', sourceId, targetId, reply);
    return true;
  }

  /** BYE of a broadcast dialog: answered 200 here; null when the Call-ID is not one of ours. */
  onBye(message: SipRequest): [number, string] | null {
    const session = this.sessions.get(message.headers.get('call-id') ?? '');
    if (session === undefined) return null;
    this.finish(session, 'bye-received');
    return [200, 'OK'];
  }

  /** The device hangs up: BYE to the platform for every running broadcast. Resolves with the statuses. */
  async hangup(): Promise<number[]> {
    const statuses: number[] = [];
    for (const session of [...this.sessions.values()]) {
      if (session.stats.state !== 'receiving') continue;
      const result = await this.host.runTransaction('BYE', session.remoteTarget, (via) => this.inDialogHeaders(session, via, ++session.cseq, 'BYE'));
      this.finish(session, 'bye-sent');
      statuses.push(result.status);
    }
    return statuses;
  }

  stopAll(): void {
    for (const session of [...this.sessions.values()]) this.finish(session, 'device-stopped');
  }

  private async accept(sn: string, sourceId: string, targetId: string, send: (bytes: Buffer) => void): Promise<void> {
    const refuse = this.host.quirks.refuseBroadcast === true;
    const response = [
      '<?xml version="1.0" encoding="GB2312"?>',
      '<Response>',
      '<CmdType>Broadcast</CmdType>',
      `<SN>${sn}</SN>`,
      `<DeviceID>${targetId}</DeviceID>`,
      `<Result>${refuse ? 'ERROR' : 'OK'}</Result>`,
      '</Response>',
      '',
    ].join(this.host.eol);
    const status = (await this.host.sendMessage(Buffer.from(response, 'latin1'))).status;
    if (refuse || status !== 200 || this.host.quirks.broadcastNoInvite) return;
    await this.invite(sourceId, targetId, send);
  }

  private async invite(sourceId: string, targetId: string, send: (bytes: Buffer) => void): Promise<void> {
    const codec = this.host.options?.codec ?? 'PCMA';
    const transport = this.host.options?.transport ?? 'udp';
    const { server } = this.host;
    const callId = newCallId(this.host.mediaHost);
    const session: Session = {
      stats: {
        callId,
        sourceId,
        targetId,
        codec,
        transport,
        inviteStatus: 0,
        answer: null,
        state: 'inviting',
        packets: 0,
        payloadBytes: 0,
        payloadTypes: [],
        ssrcs: [],
        timestampSteps: {},
        sequenceGaps: 0,
      },
      fromTag: newNumericToken(),
      toTag: '',
      remoteTarget: `sip:${sourceId}@${server.host}:${server.port}`,
      cseq: 20,
    };
    this.sessions.set(callId, session);
    const port = await this.openMedia(session);
    const payload = PAYLOADS[codec];
    const tcp = transport !== 'udp';
    const sdp = [
      'v=0',
      `o=${targetId} 0 0 IN IP4 ${this.host.mediaHost}`,
      's=Play',
      `c=IN IP4 ${this.host.mediaHost}`,
      't=0 0',
      `m=audio ${port} ${tcp ? 'TCP/RTP/AVP' : 'RTP/AVP'} ${payload.pt}`,
      'a=recvonly',
      `a=rtpmap:${payload.rtpmap}`,
      ...(tcp ? [`a=setup:${transport === 'tcp-listen' ? 'passive' : 'active'}`, 'a=connection:new'] : []),
      'y=0100000001',
      'f=v/////a/1/8/1',
      '',
    ].join('\r\n');
    const contact = this.host.contact();
    const result = await this.host.runTransaction(
      'INVITE',
      session.remoteTarget,
      (via, cseq) => {
        session.cseq = cseq;
        return [
          ['Via', via],
          ['From', `<sip:${targetId}@${server.domain}>;tag=${session.fromTag}`],
          ['To', `<sip:${sourceId}@${server.domain}>`],
          ['Call-ID', callId],
          ['CSeq', `${cseq} INVITE`],
          ['Contact', `<sip:${this.host.deviceId}@${contact.host}:${contact.port}>`],
          ['Subject', `${sourceId}:0,${targetId}:0`],
          ['Max-Forwards', '70'],
          ['User-Agent', this.host.userAgent],
          ['Content-Type', 'APPLICATION/SDP'],
        ];
      },
      Buffer.from(sdp, 'latin1'),
    );
    session.stats.inviteStatus = result.status;
    const response = result.response;
    if (result.status !== 200 || response === undefined || response.type !== 'response') {
      this.finish(session, 'invite-failed');
      return;
    }
    session.toTag = /;\s*tag=([^;\s]+)/i.exec(response.headers.get('to') ?? '')?.[1] ?? '';
    const target = /<([^>]+)>/.exec(response.headers.get('contact') ?? '')?.[1];
    if (target !== undefined) session.remoteTarget = target;
    const answer = parseGbSdp(response.body);
    const audio = answer.ok ? answer.value.media.find((m) => m.kind === 'audio') : undefined;
    session.stats.answer = {
      payloadType: audio?.payloads[0]?.pt ?? null,
      sendonly: audio?.direction === 'sendonly',
      ssrc: answer.ok ? answer.value.ssrc : null,
      port: audio?.port ?? null,
    };
    this.sendAck(session, send);
    if (transport === 'tcp-connect' && answer.ok && audio !== undefined) {
      const socket = connect({ host: answer.value.connection ?? '127.0.0.1', port: audio.port });
      socket.on('error', () => undefined);
      this.readTcp(session, socket);
    }
    session.stats.state = 'receiving';
    this.emit('start', { ...session.stats });
  }

  /** Binds the receive side; returns the port for the offer (0 for tcp-connect: the device connects out). */
  private openMedia(session: Session): Promise<number> {
    const transport = session.stats.transport;
    if (transport === 'tcp-connect') return Promise.resolve(9);
    if (transport === 'tcp-listen') {
      const server = createServer((socket) => this.readTcp(session, socket));
      session.server = server;
      return new Promise((resolve) => server.listen(0, this.host.mediaHost, () => resolve((server.address() as { port: number }).port)));
    }
    const udp = createSocket('udp4');
    session.udp = udp;
    udp.on('message', (packet) => this.onRtp(session, packet));
    udp.on('error', () => undefined);
    return new Promise((resolve) => udp.bind(0, this.host.mediaHost, () => resolve(udp.address().port)));
  }

  private readTcp(session: Session, socket: Socket): void {
    session.socket = socket;
    const framer = new RtpTcpFramer({ onPacket: (packet) => this.onRtp(session, packet) });
    socket.on('data', (chunk: Buffer) => framer.push(chunk));
    socket.on('error', () => undefined);
  }

  private onRtp(session: Session, buf: Buffer): void {
    const rtp = parseRtpPacket(buf);
    if (rtp === null || session.stats.state === 'ended') return;
    const s = session.stats;
    s.packets++;
    s.payloadBytes += rtp.payload.length;
    if (!s.payloadTypes.includes(rtp.payloadType)) s.payloadTypes.push(rtp.payloadType);
    if (!s.ssrcs.includes(rtp.ssrc)) s.ssrcs.push(rtp.ssrc);
    if (session.lastTs !== undefined) {
      const step = String((rtp.timestamp - session.lastTs) >>> 0);
      s.timestampSteps[step] = (s.timestampSteps[step] ?? 0) + 1;
    }
    if (session.lastSeq !== undefined && rtp.sequenceNumber !== ((session.lastSeq + 1) & 0xffff)) s.sequenceGaps++;
    session.lastTs = rtp.timestamp;
    session.lastSeq = rtp.sequenceNumber;
    s.firstPacketAt ??= Date.now();
    s.lastPacketAt = Date.now();
  }

  /** The ACK of the 2xx is not a transaction: sent once over the device's own socket. */
  private sendAck(session: Session, send: (bytes: Buffer) => void): void {
    const contact = this.host.contact();
    const via = `SIP/2.0/${this.host.transport.toUpperCase()} ${contact.host}:${contact.port};rport;branch=${newBranch()}`;
    const bytes = writeRequest({ method: 'ACK', uri: session.remoteTarget, headers: this.inDialogHeaders(session, via, session.cseq, 'ACK'), eol: this.host.eol });
    send(bytes);
  }

  private inDialogHeaders(session: Session, via: string, cseq: number, method: string): Array<[string, string]> {
    const { server } = this.host;
    return [
      ['Via', via],
      ['From', `<sip:${session.stats.targetId}@${server.domain}>;tag=${session.fromTag}`],
      ['To', `<sip:${session.stats.sourceId}@${server.domain}>;tag=${session.toTag}`],
      ['Call-ID', session.stats.callId],
      ['CSeq', `${cseq} ${method}`],
      ['Max-Forwards', '70'],
      ['User-Agent', this.host.userAgent],
    ];
  }

  private finish(session: Session, reason: NonNullable<SimBroadcastStats['endReason']>): void {
    if (session.stats.state === 'ended') return;
    session.stats.state = 'ended';
    session.stats.endReason = reason;
    session.udp?.close();
    session.server?.close();
    session.socket?.destroy();
    this.sessions.delete(session.stats.callId);
    this.ended.push({ ...session.stats });
    this.emit('end', { ...session.stats });
  }
}
