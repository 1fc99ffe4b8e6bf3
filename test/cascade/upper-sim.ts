/**
 * A minimal upper (city) platform for the cascade tests: UDP and TCP on 127.0.0.1, a registrar
 * that challenges with digest (checked with node:crypto MD5 written out here, not src/sip/auth),
 * 200 to keepalives and answer MESSAGEs, and requests towards the lower platform: MANSCDP
 * queries and controls, SUBSCRIBE Catalog (NOTIFYs answered 200), INVITE with its ACK and BYE.
 * SIP is parsed by the test simulator's own regex parser (test/sim/mini-registrar), XML with
 * regular expressions, bodies decoded with iconv-lite by their declared charset.
 *
 * Failure modes for the tests: `down` (everything dropped, like a stopped server), `delayMs`
 * (answers late: a slow upper), a wrong password (401 again), `refuseKeepalives`.
 */
import { createHash, randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import iconv from 'iconv-lite';
import { SipListener } from '../sim/sip-listener';
import { digestParams, header, headerAll, parseMini, type MiniMessage, type Peer } from '../sim/mini-registrar';

const md5 = (s: string): string => createHash('md5').update(s).digest('hex');
const token = (): string => randomBytes(6).toString('hex');

export interface UpperSimOptions {
  /** The upper's 20-digit ID. */
  id: string;
  /** Lower platform ID -> password (REGISTER From user). */
  users: Map<string, string>;
  realm?: string;
  /** Offer qop="auth" (default true). */
  qop?: boolean;
  /** Expires granted in the 200 (default: as asked). */
  grantExpires?: number;
}

export interface Registration {
  at: number;
  expires: number;
  /** Whether the REGISTER carried credentials. */
  authorized: boolean;
  peer: Peer;
}

/** An INVITE the upper sent, with its final response; `ack` and `bye` act in its dialog (2xx). */
export interface UpperCall {
  callId: string;
  status: number;
  response: MiniMessage;
  /** The answer SDP of a 2xx, else ''. */
  sdp: string;
  ack(): void;
  bye(timeoutMs?: number): Promise<MiniMessage>;
}

/** A MANSCDP body the lower platform sent, decoded. */
export interface ReceivedXml {
  message: MiniMessage;
  text: string;
  charset: string;
  root: string;
  cmdType: string;
  sn: string;
  at: number;
}

export class UpperSim extends EventEmitter<{ message: [MiniMessage, Peer] }> {
  readonly registrations: Registration[] = [];
  readonly authFailures: number[] = [];
  /** Every MESSAGE and NOTIFY body from the lower platform. */
  readonly xml: ReceivedXml[] = [];
  /** Non-REGISTER requests seen (method, at). */
  readonly requests: Array<{ method: string; at: number }> = [];
  down = false;
  delayMs = 0;
  refuseKeepalives = false;
  /** The lower platform's signaling address (its last REGISTER). */
  lower: Peer | undefined;
  private listener?: SipListener;
  private readonly nonces = new Set<string>();
  private readonly seenBranches = new Set<string>();
  private readonly waiters = new Map<string, (m: MiniMessage) => void>();
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(private readonly options: UpperSimOptions) {
    super();
    this.setMaxListeners(0);
  }

  get id(): string {
    return this.options.id;
  }

  get realm(): string {
    return this.options.realm ?? this.options.id.slice(0, 10);
  }

  get udpPort(): number {
    return this.listener?.udpPort ?? 0;
  }

  /** The same port as UDP, as platforms listen. */
  get tcpPort(): number {
    return this.listener?.tcpPort ?? 0;
  }

  async start(udpPort = 0): Promise<void> {
    this.listener = await SipListener.open((raw, peer) => this.onRaw(raw, peer), { udpPort, samePort: true });
  }

  async stop(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    const listener = this.listener;
    this.listener = undefined;
    await listener?.close();
  }

  private send(bytes: Buffer, peer: Peer): void {
    this.listener?.send(bytes, peer);
  }

  private later(fn: () => void): void {
    if (this.delayMs <= 0) {
      fn();
      return;
    }
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, this.delayMs);
    this.timers.add(t);
  }

  private onRaw(raw: Buffer, peer: Peer): void {
    if (this.down) return;
    const message = parseMini(raw);
    if (!message) return;
    if (message.status !== undefined) {
      const branch = /branch=([^;,\s]+)/.exec(header(message, 'via') ?? '')?.[1] ?? '';
      const waiter = this.waiters.get(branch);
      if (waiter && message.status >= 200) {
        this.waiters.delete(branch);
        waiter(message);
      }
      return;
    }
    this.emit('message', message, peer);
    const method = message.method ?? '';
    if (method === 'ACK') return;
    if (method === 'REGISTER') {
      this.later(() => this.onRegister(message, peer));
      return;
    }
    const branch = /branch=([^;,\s]+)/.exec(header(message, 'via') ?? '')?.[1] ?? '';
    const retransmission = this.seenBranches.has(branch);
    this.seenBranches.add(branch);
    if (!retransmission) this.requests.push({ method, at: Date.now() });
    if (method === 'MESSAGE' || method === 'NOTIFY') {
      if (retransmission) {
        this.later(() => this.respond(message, peer, 200, 'OK'));
        return;
      }
      const xml = decodeXml(message);
      if (xml) this.xml.push(xml);
      const refuse = this.refuseKeepalives && xml?.cmdType === 'Keepalive';
      this.later(() => this.respond(message, peer, refuse ? 403 : 200, refuse ? 'Forbidden' : 'OK'));
      return;
    }
    this.respond(message, peer, method === 'BYE' ? 200 : 501, method === 'BYE' ? 'OK' : 'Not Implemented');
  }

  private onRegister(message: MiniMessage, peer: Peer): void {
    const user = /sip:([^@>;]+)@/.exec(header(message, 'from') ?? '')?.[1] ?? '';
    const password = this.options.users.get(user);
    if (password === undefined) {
      this.respond(message, peer, 403, 'Forbidden');
      return;
    }
    const authorization = header(message, 'authorization');
    if (authorization === undefined) {
      this.challenge(message, peer);
      return;
    }
    const params = digestParams(authorization);
    if (!this.checkDigest(params, password, 'REGISTER')) {
      this.authFailures.push(Date.now());
      this.challenge(message, peer);
      return;
    }
    const asked = Number(header(message, 'expires') ?? '3600');
    const expires = asked === 0 ? 0 : (this.options.grantExpires ?? asked);
    this.registrations.push({ at: Date.now(), expires, authorized: true, peer });
    this.lower = peer.transport === 'udp' ? contactPeer(message, peer) : peer;
    this.respond(message, peer, 200, 'OK', [['Expires', String(expires)], ['Date', new Date().toISOString().slice(0, 19)]]);
  }

  private checkDigest(params: Map<string, string>, password: string, method: string): boolean {
    const nonce = params.get('nonce') ?? '';
    if (!this.nonces.has(nonce) || params.get('realm') !== this.realm) return false;
    const ha1 = md5(`${params.get('username') ?? ''}:${this.realm}:${password}`);
    const ha2 = md5(`${method}:${params.get('uri') ?? ''}`);
    const qop = params.get('qop');
    const expected =
      qop === undefined ? md5(`${ha1}:${nonce}:${ha2}`) : md5(`${ha1}:${nonce}:${params.get('nc') ?? ''}:${params.get('cnonce') ?? ''}:${qop}:${ha2}`);
    return expected === params.get('response');
  }

  private challenge(message: MiniMessage, peer: Peer): void {
    const nonce = token();
    this.nonces.add(nonce);
    const qop = this.options.qop === false ? '' : ', qop="auth"';
    this.respond(message, peer, 401, 'Unauthorized', [['WWW-Authenticate', `Digest realm="${this.realm}", nonce="${nonce}"${qop}, algorithm=MD5`]]);
  }

  respond(message: MiniMessage, peer: Peer, status: number, reason: string, extra: Array<[string, string]> = []): void {
    const lines = [`SIP/2.0 ${status} ${reason}`];
    for (const via of headerAll(message, 'via')) lines.push(`Via: ${via}`);
    const to = header(message, 'to') ?? '';
    lines.push(`From: ${header(message, 'from') ?? ''}`);
    lines.push(`To: ${to.includes('tag=') ? to : `${to};tag=${token()}`}`);
    lines.push(`Call-ID: ${header(message, 'call-id') ?? ''}`);
    lines.push(`CSeq: ${header(message, 'cseq') ?? ''}`);
    for (const [name, value] of extra) lines.push(`${name}: ${value}`);
    lines.push('Content-Length: 0', '', '');
    this.send(Buffer.from(lines.join('\r\n')), peer);
  }

  /**
   * Sends a request to the lower platform; resolves with its final response. `inDialog` (the
   * final response of the request that made the dialog) sends it in that dialog, with `cseq`.
   */
  request(
    method: string,
    target: string,
    body: Buffer | null,
    extra: Array<[string, string]> = [],
    timeoutMs = 3000,
    inDialog?: { response: MiniMessage; cseq: number },
  ): Promise<MiniMessage> {
    const peer = this.lower;
    if (!peer) return Promise.reject(new Error('the lower platform has not registered'));
    const branch = `z9hG4bK${token()}`;
    const local = peer.transport === 'udp' ? this.udpPort : this.tcpPort;
    const head = [
      `${method} sip:${target}@${peer.address}:${peer.port} SIP/2.0`,
      `Via: SIP/2.0/${peer.transport.toUpperCase()} 127.0.0.1:${local};rport;branch=${branch}`,
      inDialog ? `From: ${header(inDialog.response, 'from') ?? ''}` : `From: <sip:${this.id}@${this.realm}>;tag=${token()}`,
      inDialog ? `To: ${header(inDialog.response, 'to') ?? ''}` : `To: <sip:${target}@${this.realm}>`,
      `Call-ID: ${inDialog ? (header(inDialog.response, 'call-id') ?? '') : `${token()}@127.0.0.1`}`,
      `CSeq: ${inDialog?.cseq ?? 1} ${method}`,
      `Contact: <sip:${this.id}@127.0.0.1:${local}>`,
      'Max-Forwards: 70',
      ...extra.map(([n, v]) => `${n}: ${v}`),
      ...(body ? ['Content-Type: Application/MANSCDP+xml'] : []),
      `Content-Length: ${body?.length ?? 0}`,
      '',
      '',
    ].join('\r\n');
    return this.transact(method, branch, body ? Buffer.concat([Buffer.from(head), body]) : Buffer.from(head), peer, timeoutMs);
  }

  /** Sends a request and resolves with the final response carrying its Via branch. */
  private transact(method: string, branch: string, bytes: Buffer, peer: Peer, timeoutMs: number): Promise<MiniMessage> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(branch);
        reject(new Error(`no answer to ${method}`));
      }, timeoutMs);
      this.waiters.set(branch, (m) => {
        clearTimeout(timer);
        resolve(m);
      });
      this.send(bytes, peer);
    });
  }

  /**
   * An INVITE with an SDP offer to the lower platform (Subject as GB/T 28181 9.2 asks); resolves
   * with its final response. A refusal is ACKed here (same branch); a 2xx is left for `ack()`.
   */
  async invite(target: string, sdp: string, timeoutMs = 15_000): Promise<UpperCall> {
    const peer = this.lower;
    if (!peer) throw new Error('the lower platform has not registered');
    const local = peer.transport === 'udp' ? this.udpPort : this.tcpPort;
    const callId = `${token()}@127.0.0.1`;
    const fromTag = token();
    const uri = `sip:${target}@${peer.address}:${peer.port}`;
    const ssrc = /^y=(\d+)/m.exec(sdp)?.[1] ?? '0';
    const body = Buffer.from(sdp);
    const head = (method: string, branch: string, cseq: number, to: string, requestUri: string, extra: string[], length: number): Buffer =>
      Buffer.from(
        [
          `${method} ${requestUri} SIP/2.0`,
          `Via: SIP/2.0/${peer.transport.toUpperCase()} 127.0.0.1:${local};rport;branch=${branch}`,
          `From: <sip:${this.id}@${this.realm}>;tag=${fromTag}`,
          `To: ${to}`,
          `Call-ID: ${callId}`,
          `CSeq: ${cseq} ${method}`,
          `Contact: <sip:${this.id}@127.0.0.1:${local}>`,
          'Max-Forwards: 70',
          ...extra,
          `Content-Length: ${length}`,
          '',
          '',
        ].join('\r\n'),
      );
    const branch = `z9hG4bK${token()}`;
    const offer = head('INVITE', branch, 1, `<sip:${target}@${this.realm}>`, uri, ['Content-Type: APPLICATION/SDP', `Subject: ${target}:${ssrc},${this.id}:0`], body.length);
    const response = await this.transact('INVITE', branch, Buffer.concat([offer, body]), peer, timeoutMs);
    const status = response.status ?? 0;
    const to = header(response, 'to') ?? `<sip:${target}@${this.realm}>`;
    if (status >= 300) this.send(head('ACK', branch, 1, to, uri, [], 0), peer);
    // In-dialog requests go to the lower platform's Contact of the 2xx.
    const remote = /<([^>]+)>/.exec(header(response, 'contact') ?? '')?.[1] ?? uri;
    return {
      callId,
      status,
      response,
      sdp: status < 300 ? response.body.toString('utf8') : '',
      ack: () => this.send(head('ACK', `z9hG4bK${token()}`, 1, to, remote, [], 0), peer),
      bye: (byeTimeoutMs = 3000) => {
        const byeBranch = `z9hG4bK${token()}`;
        return this.transact('BYE', byeBranch, head('BYE', byeBranch, 2, to, remote, [], 0), peer, byeTimeoutMs);
      },
    };
  }

  /** A MANSCDP MESSAGE (GB2312) with `<root><CmdType/><SN/><DeviceID/>fields</root>`. */
  manscdp(root: string, cmdType: string, sn: number, deviceId: string, fields = '', target = deviceId, timeoutMs = 3000): Promise<MiniMessage> {
    const xml = `<?xml version="1.0" encoding="GB2312"?>\r\n<${root}>\r\n<CmdType>${cmdType}</CmdType>\r\n<SN>${sn}</SN>\r\n<DeviceID>${deviceId}</DeviceID>\r\n${fields}</${root}>\r\n`;
    return this.request('MESSAGE', target, iconv.encode(xml, 'gb2312'), [], timeoutMs);
  }

  /** Responses of one CmdType and SN, once `done` says they are complete. */
  async collect(cmdType: string, sn: number, done: (parts: ReceivedXml[]) => boolean, timeoutMs = 5000): Promise<ReceivedXml[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const parts = this.xml.filter((x) => x.cmdType === cmdType && x.sn === String(sn) && x.root === 'Response');
      if (done(parts)) return parts;
      if (Date.now() > deadline) throw new Error(`timed out collecting ${cmdType} SN ${sn}: ${parts.length} parts`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** Resolves once `check` is true (polling), or rejects after the time. */
  async until(check: () => boolean, timeoutMs = 5000, what = 'condition'): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!check()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

/** Where a UDP lower platform listens: its Contact (our test server sends from its listening port anyway). */
function contactPeer(message: MiniMessage, peer: Peer): Peer {
  const m = /sip:[^@]+@([^:;>]+):(\d+)/.exec(header(message, 'contact') ?? '');
  return m ? { transport: 'udp', address: m[1] ?? peer.address, port: Number(m[2]) } : peer;
}

const tag = (text: string, name: string): string => new RegExp(`<${name}>([^<]*)</${name}>`, 'i').exec(text)?.[1]?.trim() ?? '';

export function decodeXml(message: MiniMessage): ReceivedXml | undefined {
  if (message.body.length === 0) return undefined;
  const declared = /encoding="([^"]+)"/i.exec(message.body.subarray(0, 100).toString('latin1'))?.[1] ?? 'UTF-8';
  const text = iconv.decode(message.body, /gb/i.test(declared) ? 'gb18030' : 'utf8');
  const root = /<(Query|Response|Notify|Control)>/i.exec(text)?.[1] ?? '';
  return { message, text, charset: declared, root, cmdType: tag(text, 'CmdType'), sn: tag(text, 'SN'), at: Date.now() };
}

export const xmlTag = tag;

/** Every `<Item>...</Item>` of a body. */
export function xmlItems(text: string): string[] {
  return [...text.matchAll(/<Item>([\s\S]*?)<\/Item>/gi)].map((m) => m[1] ?? '');
}
