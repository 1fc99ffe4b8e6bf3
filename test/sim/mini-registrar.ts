/**
 * A minimal registrar for testing the simulator and the SIPp scenarios: UDP and TCP on
 * 127.0.0.1, 401 digest challenge, the digest checked with node:crypto MD5 written out here
 * (independent of the simulator and of src/sip/auth), 200 with a Date header, 200 to MESSAGE and
 * BYE, and MESSAGE queries sent to registered devices (INVITEs: ./mini-invite). It parses SIP with a few regular
 * expressions of its own, so it does not share a parser with the code under test.
 */
import { createHash, randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { SipListener, type Peer } from './sip-listener';

export interface MiniMessage {
  startLine: string;
  method?: string;
  status?: number;
  headers: Array<[string, string]>;
  body: Buffer;
  raw: Buffer;
  /** Line ending of the head: true when every head line ends in CRLF. */
  crlfHead: boolean;
}

const COMPACT: Record<string, string> = {
  v: 'via',
  f: 'from',
  t: 'to',
  i: 'call-id',
  m: 'contact',
  l: 'content-length',
  c: 'content-type',
};

export function parseMini(raw: Buffer): MiniMessage | undefined {
  const crlf = raw.indexOf('\r\n\r\n');
  const lf = raw.indexOf('\n\n');
  const useCrlf = crlf !== -1 && (lf === -1 || crlf + 2 <= lf);
  const end = useCrlf ? crlf : lf;
  if (end === -1) return undefined;
  const headText = raw.subarray(0, end).toString('utf8');
  const lines = headText.split(/\r?\n/);
  const startLine = lines[0] ?? '';
  const headers: Array<[string, string]> = [];
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    headers.push([COMPACT[name] ?? name, line.slice(colon + 1).trim()]);
  }
  const message: MiniMessage = {
    startLine,
    headers,
    body: raw.subarray(end + (useCrlf ? 4 : 2)),
    raw,
    crlfHead: useCrlf && !/[^\r]\n/.test(headText),
  };
  const status = /^SIP\/2\.0 (\d{3})/.exec(startLine);
  if (status) message.status = Number(status[1]);
  else message.method = startLine.split(' ')[0];
  return message;
}

export function header(message: MiniMessage, name: string): string | undefined {
  return message.headers.find(([n]) => n === name.toLowerCase())?.[1];
}

export function headerAll(message: MiniMessage, name: string): string[] {
  return message.headers.filter(([n]) => n === name.toLowerCase()).map(([, v]) => v);
}

/** key="value" / key=value pairs of a Digest header, keys lower-cased. */
export function digestParams(value: string): Map<string, string> {
  const out = new Map<string, string>();
  const re = /([A-Za-z0-9_-]+)\s*=\s*(?:"([^"]*)"|([^\s,]+))/g;
  for (let m = re.exec(value); m; m = re.exec(value)) out.set((m[1] ?? '').toLowerCase(), m[2] ?? m[3] ?? '');
  return out;
}

const md5 = (s: string): string => createHash('md5').update(s).digest('hex');

export interface AuthAttempt {
  username: string;
  params: Map<string, string>;
  valid: boolean;
  /** Request-URI of the REGISTER carrying the credentials. */
  requestUri: string;
}

export type { Peer };

export interface Received {
  message: MiniMessage;
  peer: Peer;
}

export interface MiniRegistrarOptions {
  realm?: string;
  /** Offer qop="auth" in challenges (default true). */
  qop?: boolean;
  /** deviceId -> password; unknown 20-digit IDs get 403, others 400. */
  users: Map<string, string>;
  /** Answer to a wrong digest: 403 (default) or a fresh 401 challenge. */
  onBadDigest?: 401 | 403;
  /** A lax platform that accepts any digest (negative control for the wrong-password scenario). */
  acceptAnyDigest?: boolean;
  /** Do not answer MESSAGE requests whose body contains this text (to provoke retransmissions). */
  ignoreMessagesContaining?: string;
}

export class MiniRegistrar extends EventEmitter<{ received: [Received] }> {
  readonly received: Received[] = [];
  readonly authAttempts: AuthAttempt[] = [];
  /** Registered devices and where their REGISTER came from. */
  readonly bindings = new Map<string, Peer>();
  readonly nonces = new Set<string>();
  private listener?: SipListener;
  private readonly pendingRequests = new Map<string, (m: MiniMessage) => void>();
  private lastQuery: { bytes: Buffer; peer: Peer } | undefined;

  constructor(private readonly options: MiniRegistrarOptions) {
    super();
    // Every MiniCall of a test listens for its responses.
    this.setMaxListeners(0);
  }

  get realm(): string {
    return this.options.realm ?? '3402000000';
  }

  get udpPort(): number {
    return this.listener?.udpPort ?? 0;
  }

  get tcpPort(): number {
    return this.listener?.tcpPort ?? 0;
  }

  async start(): Promise<void> {
    this.listener = await SipListener.open((raw, peer) => this.onRaw(raw, peer));
  }

  send(bytes: Buffer, peer: Peer): void {
    this.listener?.send(bytes, peer);
  }

  private onRaw(raw: Buffer, peer: Peer): void {
    const message = parseMini(raw);
    if (!message) return;
    const entry = { message, peer };
    this.received.push(entry);
    this.emit('received', entry);
    if (message.status !== undefined) {
      const branch = /branch=([^;,\s]+)/.exec(header(message, 'via') ?? '')?.[1] ?? '';
      const waiter = this.pendingRequests.get(branch);
      if (waiter && message.status >= 200) {
        this.pendingRequests.delete(branch);
        waiter(message);
      }
      return;
    }
    if (message.method === 'REGISTER') this.onRegister(message, peer);
    else if (message.method === 'MESSAGE') {
      if (this.options.ignoreMessagesContaining && message.body.includes(this.options.ignoreMessagesContaining)) return;
      this.respond(message, peer, 200, 'OK');
    } else if (message.method === 'BYE') this.respond(message, peer, 200, 'OK');
    else if (message.method !== 'ACK') this.respond(message, peer, 501, 'Not Implemented');
  }

  private onRegister(message: MiniMessage, peer: Peer): void {
    const user = /sip:([^@>;]+)@/.exec(header(message, 'from') ?? '')?.[1] ?? '';
    if (!/^\d{20}$/.test(user)) {
      this.respond(message, peer, 400, 'Bad Request');
      return;
    }
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
    const requestUri = message.startLine.split(' ')[1] ?? '';
    const valid = this.checkDigest(params, password, 'REGISTER');
    this.authAttempts.push({ username: params.get('username') ?? '', params, valid, requestUri });
    if (!valid && !this.options.acceptAnyDigest) {
      if (this.options.onBadDigest === 401) this.challenge(message, peer);
      else this.respond(message, peer, 403, 'Forbidden');
      return;
    }
    const expires = Number(header(message, 'expires') ?? '3600');
    if (expires === 0) this.bindings.delete(user);
    else this.bindings.set(user, peer);
    const date = new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 23);
    this.respond(message, peer, 200, 'OK', [
      ['Date', date],
      ['Expires', String(expires)],
      ['X-GB-Ver', '3.0'],
    ]);
  }

  /** RFC 2617 (qop=auth) or RFC 2069 (no qop) check, spelled out with node:crypto. */
  private checkDigest(params: Map<string, string>, password: string, method: string): boolean {
    const nonce = params.get('nonce') ?? '';
    if (!this.nonces.has(nonce) || params.get('realm') !== this.realm) return false;
    const ha1 = md5(`${params.get('username') ?? ''}:${this.realm}:${password}`);
    const ha2 = md5(`${method}:${params.get('uri') ?? ''}`);
    const qop = params.get('qop');
    const expected =
      qop === undefined
        ? md5(`${ha1}:${nonce}:${ha2}`)
        : md5(`${ha1}:${nonce}:${params.get('nc') ?? ''}:${params.get('cnonce') ?? ''}:${qop}:${ha2}`);
    return expected === params.get('response');
  }

  private challenge(message: MiniMessage, peer: Peer): void {
    const nonce = randomBytes(12).toString('hex');
    this.nonces.add(nonce);
    const qop = this.options.qop === false ? '' : ', qop="auth"';
    this.respond(message, peer, 401, 'Unauthorized', [
      ['WWW-Authenticate', `Digest realm="${this.realm}", nonce="${nonce}"${qop}, algorithm=MD5`],
    ]);
  }

  respond(message: MiniMessage, peer: Peer, status: number, reason: string, extra: Array<[string, string]> = []): void {
    const lines = [`SIP/2.0 ${status} ${reason}`];
    for (const via of headerAll(message, 'via')) lines.push(`Via: ${via}`);
    const to = header(message, 'to') ?? '';
    lines.push(`From: ${header(message, 'from') ?? ''}`);
    lines.push(`To: ${to.includes('tag=') ? to : `${to};tag=${randomBytes(4).toString('hex')}`}`);
    lines.push(`Call-ID: ${header(message, 'call-id') ?? ''}`);
    lines.push(`CSeq: ${header(message, 'cseq') ?? ''}`);
    for (const [name, value] of extra) lines.push(`${name}: ${value}`);
    lines.push('Content-Length: 0', '', '');
    this.send(Buffer.from(lines.join('\r\n')), peer);
  }

  /**
   * Sends a MESSAGE with a GB2312 Query body to a registered device; resolves with its final response.
   * `target` addresses a channel of the device instead (Request-URI, To and the body's DeviceID).
   */
  query(deviceId: string, cmdType: string, sn: number, serverId: string, timeoutMs = 2000, target = deviceId): Promise<MiniMessage> {
    const peer = this.bindings.get(deviceId);
    if (!peer) return Promise.reject(new Error(`${deviceId} is not registered`));
    const branch = `z9hG4bK${randomBytes(6).toString('hex')}`;
    const body = Buffer.from(
      `<?xml version="1.0" encoding="GB2312"?>\r\n<Query>\r\n<CmdType>${cmdType}</CmdType>\r\n<SN>${sn}</SN>\r\n<DeviceID>${target}</DeviceID>\r\n</Query>\r\n`,
    );
    const local = peer.transport === 'udp' ? this.udpPort : this.tcpPort;
    const head = [
      `MESSAGE sip:${target}@${peer.address}:${peer.port} SIP/2.0`,
      `Via: SIP/2.0/${peer.transport.toUpperCase()} 127.0.0.1:${local};rport;branch=${branch}`,
      `From: <sip:${serverId}@${this.realm}>;tag=${randomBytes(4).toString('hex')}`,
      `To: <sip:${target}@${this.realm}>`,
      `Call-ID: ${randomBytes(8).toString('hex')}@127.0.0.1`,
      `CSeq: ${sn} MESSAGE`,
      'Max-Forwards: 70',
      'Content-Type: Application/MANSCDP+xml',
      `Content-Length: ${body.length}`,
      '',
      '',
    ].join('\r\n');
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pendingRequests.delete(branch);
        reject(new Error(`no answer to ${cmdType} query`));
      }, timeoutMs);
      this.pendingRequests.set(branch, (m) => {
        clearTimeout(timer);
        resolve(m);
      });
      this.lastQuery = { bytes: Buffer.concat([Buffer.from(head), body]), peer };
      this.send(this.lastQuery.bytes, peer);
    });
  }

  /** Sends the last query's exact bytes again, as a UDP retransmission would. */
  resendLastQuery(): void {
    if (this.lastQuery) this.send(this.lastQuery.bytes, this.lastQuery.peer);
  }

  /** Resolves with the first received message matching `predicate` (already received ones count). */
  waitFor(predicate: (r: Received) => boolean, timeoutMs = 2000): Promise<Received> {
    const found = this.received.find(predicate);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const onReceived = (r: Received): void => {
        if (!predicate(r)) return;
        clearTimeout(timer);
        this.off('received', onReceived);
        resolve(r);
      };
      const timer = setTimeout(() => {
        this.off('received', onReceived);
        reject(new Error('waitFor timed out'));
      }, timeoutMs);
      this.on('received', onReceived);
    });
  }

  async stop(): Promise<void> {
    const listener = this.listener;
    this.listener = undefined;
    await listener?.close();
  }
}
