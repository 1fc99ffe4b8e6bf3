/**
 * Test helper: the platform side of a live-view call (UAC), on a MiniRegistrar's sockets so the
 * device's own requests (its BYE) come back to the same place. INVITE, ACK, BYE and CANCEL are
 * written by hand here, and responses read with the registrar's regex parser: no SIP code is
 * shared with the simulator.
 */
import { randomBytes } from 'node:crypto';
import { header, type MiniMessage, type MiniRegistrar, type Received } from './mini-registrar';

export interface MiniCallOptions {
  /** The registered device whose binding (address, transport) the INVITE goes to. */
  deviceId: string;
  /** Request-URI user (the channel). */
  target: string;
  /** To user; default `target`. */
  toUser?: string;
  serverId: string;
  sdp: string;
}

const hex = (n: number): string => randomBytes(n).toString('hex');

export class MiniCall {
  readonly callId = `${hex(8)}@127.0.0.1`;
  readonly fromTag = hex(4);
  /** Every response to this call's INVITE, in arrival order (retransmissions included). */
  readonly responses: MiniMessage[] = [];
  private readonly branch = `z9hG4bK${hex(6)}`;
  private cseq = 20;
  private readonly invite: Buffer;
  private readonly onReceived = (r: Received): void => {
    if (r.message.status !== undefined && header(r.message, 'call-id') === this.callId && /INVITE/i.test(header(r.message, 'cseq') ?? '')) {
      this.responses.push(r.message);
    }
  };

  constructor(
    private readonly registrar: MiniRegistrar,
    private readonly options: MiniCallOptions,
  ) {
    const body = Buffer.from(options.sdp);
    this.invite = Buffer.concat([
      this.head('INVITE', this.branch, [
        ['To', `<sip:${options.toUser ?? options.target}@${registrar.realm}>`],
        ['Content-Type', 'APPLICATION/SDP'],
        ['Subject', `${options.target}:0,${options.serverId}:0`],
      ], body.length),
      body,
    ]);
    registrar.on('received', this.onReceived);
  }

  /** Sends the INVITE (again, with the same bytes, for a retransmission). */
  send(): this {
    this.registrar.send(this.invite, this.peer());
    return this;
  }

  /** The first response with this status (or any final one when omitted). */
  async response(status?: number, timeoutMs = 3000): Promise<MiniMessage> {
    const match = (m: MiniMessage): boolean => (status === undefined ? (m.status ?? 0) >= 200 : m.status === status);
    const found = this.responses.find(match);
    if (found) return found;
    const r = await this.registrar.waitFor(
      (x) => x.message.status !== undefined && header(x.message, 'call-id') === this.callId && /INVITE/i.test(header(x.message, 'cseq') ?? '') && match(x.message),
      timeoutMs,
    );
    return r.message;
  }

  get toTag(): string | undefined {
    const final = this.responses.find((m) => (m.status ?? 0) >= 200);
    return /;\s*tag=([^;>\s]+)/.exec(final ? (header(final, 'to') ?? '') : '')?.[1];
  }

  ack(): void {
    this.registrar.send(this.head('ACK', `z9hG4bK${hex(6)}`, [['To', this.toWithTag()]], 0, 'ACK'), this.peer());
  }

  bye(timeoutMs = 2000): Promise<MiniMessage> {
    this.cseq++;
    return this.request('BYE', [['To', this.toWithTag()]], timeoutMs);
  }

  /** In-dialog INFO (MANSRTSP playback control by default); resolves with the final response. */
  info(body: string, contentType = 'Application/MANSRTSP', timeoutMs = 2000): Promise<MiniMessage> {
    this.cseq++;
    return this.request('INFO', [['To', this.toWithTag()], ['Content-Type', contentType]], timeoutMs, undefined, 'INFO', Buffer.from(body, 'latin1'));
  }

  /** CANCEL of the INVITE (same branch and CSeq number). */
  cancel(timeoutMs = 2000): Promise<MiniMessage> {
    return this.request('CANCEL', [['To', `<sip:${this.options.toUser ?? this.options.target}@${this.registrar.realm}>`]], timeoutMs, this.branch, 'CANCEL');
  }

  close(): void {
    this.registrar.off('received', this.onReceived);
  }

  private async request(
    method: string,
    extra: Array<[string, string]>,
    timeoutMs: number,
    branch = `z9hG4bK${hex(6)}`,
    cseqMethod = method,
    body?: Buffer,
  ): Promise<MiniMessage> {
    const waiting = this.registrar.waitFor(
      (r) => r.message.status !== undefined && (header(r.message, 'via') ?? '').includes(branch) && (header(r.message, 'cseq') ?? '').endsWith(cseqMethod),
      timeoutMs,
    );
    const head = this.head(method, branch, extra, body?.length ?? 0, cseqMethod);
    this.registrar.send(body ? Buffer.concat([head, body]) : head, this.peer());
    return (await waiting).message;
  }

  private toWithTag(): string {
    return `<sip:${this.options.toUser ?? this.options.target}@${this.registrar.realm}>;tag=${this.toTag ?? ''}`;
  }

  private peer(): NonNullable<ReturnType<MiniRegistrar['bindings']['get']>> {
    const peer = this.registrar.bindings.get(this.options.deviceId);
    if (!peer) throw new Error(`${this.options.deviceId} is not registered`);
    return peer;
  }

  private head(method: string, branch: string, extra: Array<[string, string]>, bodyLength: number, cseqMethod = method): Buffer {
    const peer = this.peer();
    const local = peer.transport === 'udp' ? this.registrar.udpPort : this.registrar.tcpPort;
    const transport = peer.transport.toUpperCase();
    const lines = [
      `${method} sip:${this.options.target}@${peer.address}:${peer.port} SIP/2.0`,
      `Via: SIP/2.0/${transport} 127.0.0.1:${local};rport;branch=${branch}`,
      `From: <sip:${this.options.serverId}@${this.registrar.realm}>;tag=${this.fromTag}`,
      ...extra.filter(([n]) => n === 'To').map(([n, v]) => `${n}: ${v}`),
      `Call-ID: ${this.callId}`,
      `CSeq: ${method === 'BYE' || method === 'INFO' ? this.cseq : 20} ${cseqMethod}`,
      `Contact: <sip:${this.options.serverId}@127.0.0.1:${local}>`,
      'Max-Forwards: 70',
      ...extra.filter(([n]) => n !== 'To').map(([n, v]) => `${n}: ${v}`),
      `Content-Length: ${bodyLength}`,
      '',
      '',
    ];
    return Buffer.from(lines.join('\r\n'));
  }
}

/** The SDP lines of a message body, as sent (for asserting on the answer without our SDP parser). */
export function sdpLines(message: MiniMessage): string[] {
  return message.body.toString('utf8').split(/\r\n/).filter((l) => l !== '');
}
