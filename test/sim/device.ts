/**
 * SimDevice: one GB/T 28181 device (IPC, NVR with channels, door host) talking to the platform
 * over real UDP or TCP sockets. It registers with digest, sends keepalives, and answers the
 * platform's queries on its own:
 *
 * - MESSAGE: 200 OK at once; then for a Query of Catalog / DeviceInfo / DeviceStatus / RecordInfo
 *   a Response MESSAGE (Catalog and RecordInfo split in parts, sent one after the other, each
 *   waiting for its answer, Annex M; RecordInfo from ./recordings). DeviceControl, DeviceConfig,
 *   PresetQuery and ConfigDownload: ./control-answers. Other CmdTypes and Control/Notify bodies: 200
 *   and nothing more.
 * - INVITE for one of its channels (or, for an IPC, its own ID): live view as a camera does it, see
 *   ./calls (100, 200 with SDP, RTP after the ACK, BYE both ways; 404 for other IDs).
 * - INFO in a Playback/Download dialog: MANSRTSP control (./history-control); other INFO, OPTIONS, NOTIFY: 200.
 *   BYE outside a dialog: 481. SUBSCRIBE with an Alarm/Catalog/MobilePosition Query: a subscription
 *   (./subscriptions: NOTIFYs in its dialog, raiseAlarm). Anything else: 501.
 * - A retransmitted request (same branch) gets the same response again and is not processed twice.
 */
import { EventEmitter } from 'node:events';
import { SimCalls, type InviteOutcome } from './calls';
import { SimBroadcast } from './broadcast';
import { SimSnapshots } from './snapshot';
import { catalogBody, mediaStatusBody, deviceInfoBody, deviceStatusBody, keepaliveBody, readCommand, type BodyStyle, type CatalogChannel } from './bodies';
import { buildAuthorization, parseChallenge, type DigestChallenge } from './digest';
import { SimEndpoint, type InboundRequest } from './endpoint';
import { loadSimClip, type SimClip } from './media-clip';
import { channelIdFor, isGbId } from './ids';
import { defaultChannelName, defaultDeviceName } from './names';
import { answerRecordInfo, defaultRecordings, type RecordAnswerContext, type SimRecording } from './recordings';
import { SimControlAnswers } from './control-answers';
import { SimDoorHost } from './door-host';
import { SimSubscriptions, type SimAlarm, type SimAlarmOutcome } from './subscriptions';
import { newBranch, newCallId, newNumericToken, topBranch, writeRequest, writeResponse, type Eol, type SipMessage } from './sip';
import { resolveTimers, type TransactionResult } from './transactions';
import type { SipRequest, SipResponse } from '../../src/sip/message/types';
import type { AnswerRecord, RegisterResult, SimDeviceOptions, SimQuirks, SimStreamStats } from './types';

export interface ReceivedMessage {
  message: SipMessage;
  /** The exact bytes the platform sent. */
  raw: Buffer;
  at: number;
}

export interface SimDeviceEvents {
  request: [message: SipRequest, raw: Buffer];
  response: [message: SipResponse, raw: Buffer];
  answer: [record: AnswerRecord];
  keepalive: [status: number];
  /** The device gave its final answer to an INVITE (200, 404, 486, 487, 488, ...). */
  invite: [outcome: InviteOutcome];
  /** The ACK came: media starts (state 'sending', or 'silent' with the noMedia quirk). */
  streamStart: [stats: SimStreamStats];
  streamEnd: [stats: SimStreamStats];
  /** A Playback/Download range was sent in full and Notify MediaStatus 121 answered with `status`. */
  mediaStatusSent: [stats: SimStreamStats, status: number];
}

/** How the fleet hands a shared socket to its devices. */
export interface SharedEndpoint {
  endpoint: SimEndpoint;
}

/** Address written in Via/Contact by a device behind NAT (quirk contactGarbage). */
const GARBAGE_CONTACT = { host: '192.168.254.64', port: 5060 };
const SERVER_TX_MEMORY_MS = 32_000;

export class SimDevice extends EventEmitter<SimDeviceEvents> {
  readonly deviceId: string;
  readonly channelIds: readonly string[];
  readonly channelNames: readonly string[];
  /** Every message received (requests and responses), unless recordReceived is false. */
  readonly received: ReceivedMessage[] = [];
  /** What the device answered to platform queries, in order. */
  readonly answers: AnswerRecord[] = [];
  /** Date header of the last 200 to REGISTER (GB/T 28181 time sync), as sent. */
  lastServerDate: string | undefined;
  registered = false;
  /** DeviceControl / DeviceConfig / PresetQuery / ConfigDownload: what was commanded, presets, answer mode (./control-answers). */
  readonly control: SimControlAnswers;
  /** A door host's door events (raiseDoorEvent) and remote-open answers (./door-host). */
  readonly door: SimDoorHost;

  private readonly options: SimDeviceOptions;
  private readonly quirks: SimQuirks;
  private readonly eol: Eol;
  private readonly style: BodyStyle;
  private readonly userAgent: string;
  private endpoint: SimEndpoint | undefined;
  private readonly sharedEndpoint: SimEndpoint | undefined;
  private readonly registerCallId: string;
  private readonly registerFromTag = newNumericToken();
  private readonly toTag = newNumericToken();
  private cseq = 0;
  private sn = 0;
  private challenge: DigestChallenge | undefined;
  private nonceCount = 0;
  private keepaliveTimer: NodeJS.Timeout | undefined;
  private keepaliveStartTimer: NodeJS.Timeout | undefined;
  private readonly serverTransactions = new Map<string, { bytes: Buffer; at: number }>();
  /** Requests whose answer is being held back (SimSubscriptions.answerDelayMs). */
  private readonly holding = new Set<string>();
  private stopped = false;
  private readonly calls: SimCalls;
  /** Voice broadcast sessions (./broadcast): events 'start' and 'end', stats(), hangup(). */
  readonly broadcast: SimBroadcast;
  /** GB/T 28181-2022 snapshot requests answered (./snapshot). */
  readonly snapshots: SimSnapshots;
  /** Alarm/Catalog/MobilePosition subscriptions of the platform, and the NOTIFYs sent in them (./subscriptions). */
  readonly subscriptions: SimSubscriptions;
  private readonly createdAt = Date.now();

  constructor(options: SimDeviceOptions, shared?: SharedEndpoint) {
    super();
    if (!isGbId(options.deviceId)) throw new Error(`deviceId must be 20 digits: ${options.deviceId}`);
    this.options = options;
    this.deviceId = options.deviceId;
    this.quirks = options.quirks ?? {};
    this.eol = this.quirks.lfOnly ? '\n' : '\r\n';
    const charset = options.charset ?? 'GB2312';
    this.style = this.quirks.wrongDeclaredCharset
      ? { charset: 'GBK', declaredCharset: 'GB2312', eol: this.eol }
      : { charset, declaredCharset: charset, eol: this.eol };
    this.userAgent = options.userAgent ?? `gbvms-sim/1.0 ${options.kind}`;
    const count = options.kind === 'nvr' ? Math.max(0, options.channels ?? 4) : 1;
    const ids: string[] = [];
    const names: string[] = [];
    for (let i = 0; i < count; i++) {
      ids.push(channelIdFor(options.deviceId, i, options.kind));
      names.push(
        options.channelNames?.[i] ?? defaultChannelName(options.kind, i, this.quirks.wrongDeclaredCharset === true),
      );
    }
    this.channelIds = ids;
    this.channelNames = names;
    this.sharedEndpoint = shared?.endpoint;
    this.control = new SimControlAnswers({
      style: this.style,
      deviceId: this.deviceId,
      channelIds: this.channelIds,
      deviceName: defaultDeviceName(options.kind),
      send: async (body) => (await this.sendMessage(body)).status,
    });
    this.door = new SimDoorHost({
      style: this.style,
      deviceId: this.deviceId,
      enabled: options.kind === 'door',
      send: async (body) => (await this.sendMessage(body)).status,
      raiseAlarm: (alarm) => this.raiseAlarm(alarm),
    });
    this.registerCallId = newCallId(options.localHost ?? '127.0.0.1');
    this.calls = new SimCalls({
      deviceId: this.deviceId,
      kind: options.kind,
      channelIds: this.channelIds,
      quirks: this.quirks,
      media: options.media,
      mediaHost: options.localHost ?? '127.0.0.1',
      userAgent: this.userAgent,
      eol: this.eol,
      timers: resolveTimers(options.timers),
      transport: options.transport,
      contact: () => this.contactAddress(),
      sendRequest: (method, uri, headersFor) => this.runTransaction(method, headersFor, undefined, uri),
      onInviteAnswered: (outcome) => this.emit('invite', outcome),
      onStreamStart: (stats) => this.emit('streamStart', stats),
      onStreamEnd: (stats) => this.emit('streamEnd', stats),
      sendMediaStatus: async (channelId) => {
        this.sn++;
        return (await this.sendMessage(mediaStatusBody(this.style, channelId, this.sn))).status;
      },
      onMediaStatusSent: (stats, status) => this.emit('mediaStatusSent', stats, status),
    });
    this.broadcast = new SimBroadcast({
      deviceId: this.deviceId,
      server: options.server,
      quirks: this.quirks,
      options: options.broadcast,
      mediaHost: options.localHost ?? '127.0.0.1',
      eol: this.eol,
      userAgent: this.userAgent,
      transport: options.transport,
      contact: () => this.contactAddress(),
      sendMessage: (body) => this.sendMessage(body),
      runTransaction: (method, uri, headersFor, body) => this.runTransaction(method, headersFor, body, uri),
    });
    this.snapshots = new SimSnapshots({
      deviceId: this.deviceId,
      quirks: this.quirks,
      gbVersion: options.gbVersion ?? '2022',
      eol: this.eol,
      width: options.media?.width ?? 1280,
      height: options.media?.height ?? 720,
      sendMessage: (body) => this.sendMessage(body),
    });
    this.subscriptions = new SimSubscriptions({
      deviceId: this.deviceId,
      channelIds: this.channelIds,
      server: options.server,
      style: this.style,
      eol: this.eol,
      userAgent: this.userAgent,
      contact: () => this.contactAddress(),
      sendMessage: (body) => this.sendMessage(body),
      runTransaction: (method, uri, headersFor, body) => this.runTransaction(method, headersFor, body, uri),
    });
  }

  /** Notify Alarm as a MESSAGE (or NOTIFY, see SimAlarm.via); resolves once the platform's Response Alarm came (or the wait ran out). */
  raiseAlarm(alarm: SimAlarm = {}): Promise<SimAlarmOutcome> {
    return this.subscriptions.raiseAlarm(alarm);
  }

  /** Binds a UDP socket on an ephemeral port or connects over TCP (or joins the fleet's shared socket). */
  async start(): Promise<void> {
    if (this.stopped) throw new Error('SimDevice was stopped');
    if (this.endpoint) return;
    const endpoint =
      this.sharedEndpoint ??
      (await SimEndpoint.open({
        transport: this.options.transport,
        server: this.options.server,
        localHost: this.options.localHost ?? '127.0.0.1',
        ...(this.options.timers ? { timers: this.options.timers } : {}),
      }));
    this.endpoint = endpoint;
    // Requests may name a channel (DeviceControl, INVITE): on a shared socket those must reach this device too.
    const handler = (request: InboundRequest): void => this.onRequest(request);
    for (const id of [this.deviceId, ...this.channelIds]) endpoint.attach(id, handler);
  }

  /** Local port of the device's socket (shared in a fleet). */
  get localPort(): number {
    return this.endpoint?.localPort ?? 0;
  }

  /** REGISTER; on 401/407 answers the challenge once. Resolves with the final status (never rejects). */
  async register(expires = this.options.registerExpires ?? 3600): Promise<RegisterResult> {
    const startedAt = performance.now();
    let transactions = 0;
    let authorization = this.challenge ? this.authorization('REGISTER', this.requestUri()) : undefined;
    let answeredFreshChallenge = false;
    for (;;) {
      const result = await this.sendRegister(expires, authorization);
      transactions++;
      const challengeHeader =
        result.status === 401
          ? result.response?.headers.get('www-authenticate')
          : result.status === 407
            ? result.response?.headers.get('proxy-authenticate')
            : undefined;
      const challenge = challengeHeader === undefined ? undefined : parseChallenge(challengeHeader);
      if (challenge && !answeredFreshChallenge && !this.stopped) {
        answeredFreshChallenge = true;
        if (challenge.nonce !== this.challenge?.nonce) this.nonceCount = 0;
        this.challenge = challenge;
        authorization = this.authorization('REGISTER', this.requestUri());
        continue;
      }
      if (result.status >= 200 && result.status < 300) {
        this.registered = expires > 0;
        this.lastServerDate = result.response?.headers.get('date');
      }
      return {
        status: result.status,
        timedOut: result.timedOut,
        latencyMs: performance.now() - startedAt,
        transactions,
      };
    }
  }

  /** REGISTER with Expires: 0 (credentials of the last challenge, possibly stale, as devices do). */
  unregister(): Promise<RegisterResult> {
    return this.register(0);
  }

  /** MESSAGE Notify Keepalive; resolves with the response status (408 timeout, 0 transport failure). */
  async sendKeepalive(): Promise<number> {
    return (await this.keepaliveTransaction()).status;
  }

  /** The keepalive transaction with its latency and transmissions (what a fleet measures). */
  async keepaliveTransaction(): Promise<TransactionResult> {
    this.sn++;
    const result = await this.sendMessage(keepaliveBody(this.style, this.deviceId, this.sn));
    this.emit('keepalive', result.status);
    return result;
  }

  /** Sends keepalives every keepaliveIntervalMs (1.5x with the lateKeepalive quirk). */
  startKeepalives(initialDelayMs?: number): void {
    this.stopKeepalives();
    const base = this.options.keepaliveIntervalMs ?? 60_000;
    const interval = this.quirks.lateKeepalive ? base * 1.5 : base;
    const tick = (): void => {
      if (!this.stopped) void this.sendKeepalive();
    };
    this.keepaliveStartTimer = setTimeout(() => {
      this.keepaliveStartTimer = undefined;
      tick();
      this.keepaliveTimer = setInterval(tick, interval);
    }, initialDelayMs ?? interval);
  }

  stopKeepalives(): void {
    if (this.keepaliveStartTimer) clearTimeout(this.keepaliveStartTimer);
    if (this.keepaliveTimer) clearInterval(this.keepaliveTimer);
    this.keepaliveStartTimer = undefined;
    this.keepaliveTimer = undefined;
  }

  /** Sends any MANSCDP body as a MESSAGE to the platform (for Notify Alarm and the like in tests). */
  sendMessage(body: Buffer): Promise<TransactionResult> {
    const { server } = this.options;
    return this.runTransaction('MESSAGE', (via, cseq) => [
      ['Via', via],
      ['From', `<sip:${this.deviceId}@${server.domain}>;tag=${newNumericToken()}`],
      ['To', `<sip:${server.id}@${server.domain}>`],
      ['Call-ID', newCallId(this.contactAddress().host)],
      ['CSeq', `${cseq} MESSAGE`],
      ['Max-Forwards', '70'],
      ['User-Agent', this.userAgent],
      ['Content-Type', 'Application/MANSCDP+xml'],
    ], body);
  }

  /**
   * Loads (FFmpeg on first use, then a disk and process cache) the clip this device streams, so that the
   * first INVITE does not wait for an encoder. Optional: a stream loads it by itself.
   */
  prepareMedia(): Promise<SimClip> {
    return loadSimClip(this.options.media);
  }

  /** Every stream of this device: live ones with their current counters, then the ended ones (last 1000). */
  streamStats(): SimStreamStats[] {
    return this.calls.streamStats();
  }

  /** BYE to the platform for each answered stream of `channelId` (every channel when omitted); media stops at once. Resolves with the BYE statuses. */
  hangup(channelId?: string): Promise<number[]> {
    return this.calls.hangup(channelId);
  }

  /** Closes timers, every stream (without BYE, like a camera switched off) and, unless shared, the socket. Idempotent. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.calls.stopAll();
    this.broadcast.stopAll();
    this.snapshots.stop();
    this.subscriptions.stop();
    this.stopKeepalives();
    this.registered = false;
    const endpoint = this.endpoint;
    this.endpoint = undefined;
    if (!endpoint) return;
    for (const id of [this.deviceId, ...this.channelIds]) endpoint.detach(id);
    if (endpoint !== this.sharedEndpoint) await endpoint.close();
  }

  private requestUri(): string {
    return `sip:${this.options.server.id}@${this.options.server.host}:${this.options.server.port}`;
  }

  private contactAddress(): { host: string; port: number } {
    if (this.quirks.contactGarbage) return GARBAGE_CONTACT;
    return { host: this.endpoint?.localHost ?? '127.0.0.1', port: this.endpoint?.localPort ?? 0 };
  }

  private authorization(method: string, uri: string): string | undefined {
    if (!this.challenge) return undefined;
    this.nonceCount++;
    return buildAuthorization({
      challenge: this.challenge,
      username: this.deviceId,
      password: this.options.password,
      method,
      uri,
      nc: this.nonceCount,
      noQop: this.quirks.noQop === true,
    });
  }

  private sendRegister(expires: number, authorization: string | undefined): Promise<TransactionResult> {
    const { server } = this.options;
    const contact = this.contactAddress();
    const transportParam = this.options.transport === 'tcp' ? ';transport=tcp' : '';
    const xGbVer = this.options.xGbVer === undefined ? (this.options.gbVersion === '2016' ? '2.0' : '3.0') : this.options.xGbVer;
    return this.runTransaction('REGISTER', (via, cseq) => {
      const headers: Array<[string, string]> = [
        ['Via', via],
        ['From', `<sip:${this.deviceId}@${server.domain}>;tag=${this.registerFromTag}`],
        ['To', `<sip:${this.deviceId}@${server.domain}>`],
        ['Call-ID', this.registerCallId],
        ['CSeq', `${cseq} REGISTER`],
        ['Contact', `<sip:${this.deviceId}@${contact.host}:${contact.port}${transportParam}>`],
      ];
      if (authorization !== undefined) headers.push(['Authorization', authorization]);
      headers.push(['Max-Forwards', '70'], ['User-Agent', this.userAgent], ['Expires', String(expires)]);
      if (xGbVer !== null) headers.push(['X-GB-Ver', xGbVer]);
      return headers;
    });
  }

  private async runTransaction(
    method: string,
    headersFor: (via: string, cseq: number) => Array<[string, string]>,
    body?: Buffer,
    uri = this.requestUri(),
  ): Promise<TransactionResult> {
    const endpoint = this.endpoint;
    if (!endpoint || this.stopped) return { method, status: 0, timedOut: false, latencyMs: 0, transmissions: 0 };
    const branch = newBranch();
    const sentBy = this.contactAddress();
    const via = `SIP/2.0/${endpoint.transport.toUpperCase()} ${sentBy.host}:${sentBy.port};rport;branch=${branch}`;
    this.cseq++;
    const bytes = writeRequest({
      method,
      uri,
      headers: headersFor(via, this.cseq),
      ...(body ? { body } : {}),
      eol: this.eol,
    });
    return endpoint.request(method, branch, bytes, (message, raw) => {
      if (message.type !== 'response') return;
      this.record(message, raw);
      this.emit('response', message, raw);
    });
  }

  private record(message: SipMessage, raw: Buffer): void {
    if (this.options.recordReceived !== false) this.received.push({ message, raw, at: Date.now() });
  }

  private onRequest({ message, raw, reply }: InboundRequest): void {
    this.record(message, raw);
    this.emit('request', message, raw);
    const key = `${topBranch(message) ?? ''}|${message.method}|${message.headers.get('call-id') ?? ''}`;
    const previous = this.serverTransactions.get(key);
    if (previous) {
      reply(previous.bytes);
      return;
    }
    if (this.holding.has(key)) return;
    if (message.method === 'ACK') {
      this.calls.onAck(message);
      return;
    }
    if (message.method === 'INVITE') {
      this.calls.onInvite({ message, raw, reply });
      return;
    }
    if (message.method === 'INFO') {
      const info = this.calls.onInfo(message);
      if (info) {
        const bytes = writeResponse(message, info.status, info.reason, this.toTag, [['User-Agent', this.userAgent]], this.eol, info.body);
        this.rememberServerTransaction(key, bytes);
        reply(bytes);
        return;
      }
    }
    if (message.method === 'SUBSCRIBE') {
      const subscribed = this.subscriptions.onSubscribe(message);
      const delay = this.subscriptions.answerDelayMs;
      if (delay > 0) {
        // Retransmissions meanwhile get nothing, as from a device still working on it.
        this.holding.add(key);
        setTimeout(() => {
          this.holding.delete(key);
          this.rememberServerTransaction(key, subscribed);
          reply(subscribed);
        }, delay);
        return;
      }
      this.rememberServerTransaction(key, subscribed);
      reply(subscribed);
      return;
    }
    const answer = message.method === 'BYE' ? (this.broadcast.onBye(message) ?? this.calls.onBye(message)) : message.method === 'CANCEL' ? this.calls.onCancel(message) : statusFor(message.method);
    if (!answer) return;
    const [status, reason] = answer;
    const bytes = writeResponse(message, status, reason, this.toTag, [['User-Agent', this.userAgent]], this.eol);
    this.rememberServerTransaction(key, bytes);
    reply(bytes);
    if (message.method === 'MESSAGE' && !this.broadcast.onMessage(message, reply) && !this.snapshots.onMessage(message) && !this.subscriptions.onMessage(message)) void this.answer(message);
  }

  private rememberServerTransaction(key: string, bytes: Buffer): void {
    const now = Date.now();
    this.serverTransactions.set(key, { bytes, at: now });
    if (this.serverTransactions.size < 64) return;
    for (const [k, v] of this.serverTransactions) {
      if (now - v.at < SERVER_TX_MEMORY_MS) break;
      this.serverTransactions.delete(k);
    }
  }

  private async answer(message: SipRequest): Promise<void> {
    const command = readCommand(message.body);
    if (command && this.door.handles(command, message.body)) {
      const doorAnswer = await this.door.answer(command, message.body);
      this.answers.push(doorAnswer);
      this.emit('answer', doorAnswer);
      return;
    }
    if (command && this.control.handles(command)) {
      const controlAnswer = await this.control.answer(command, message.body);
      if (controlAnswer) {
        this.answers.push(controlAnswer);
        this.emit('answer', controlAnswer);
      }
      return;
    }
    if (!command || command.root !== 'Query') return;
    const statuses: number[] = [];
    const model = `SIM-${this.options.kind.toUpperCase()}-${this.options.gbVersion ?? '2022'}`;
    if (command.cmdType === 'Catalog') {
      statuses.push(...(await this.sendCatalog(command.sn, model)));
    } else if (command.cmdType === 'DeviceInfo') {
      const body = deviceInfoBody(this.style, command.sn, {
        deviceId: command.deviceId || this.deviceId,
        deviceName: defaultDeviceName(this.options.kind),
        model,
        channels: this.channelIds.length,
      });
      statuses.push((await this.sendMessage(body)).status);
    } else if (command.cmdType === 'DeviceStatus') {
      const body = deviceStatusBody(this.style, command.sn, command.deviceId || this.deviceId, new Date());
      statuses.push((await this.sendMessage(body)).status);
    } else if (command.cmdType === 'RecordInfo') {
      if (this.quirks.ignoreRecordInfo) return;
      statuses.push(...((await answerRecordInfo(this.recordAnswerContext(), message.body))?.statuses ?? []));
    } else {
      return;
    }
    const record: AnswerRecord = { cmdType: command.cmdType, sn: command.sn, statuses };
    this.answers.push(record);
    this.emit('answer', record);
  }

  /** The files this device holds for a channel: the `recordings` option, else defaultRecordings. */
  recordingsOf(channelId: string): SimRecording[] {
    const option = this.options.recordings;
    if (typeof option === 'function') return option(channelId);
    return option ? [...option] : defaultRecordings(this.createdAt);
  }

  private recordAnswerContext(): RecordAnswerContext {
    return {
      style: this.style,
      quirks: this.quirks,
      deviceId: this.deviceId,
      singleCamera: this.options.kind === 'ipc',
      channelIds: this.channelIds,
      channelNames: this.channelNames,
      recordingsOf: (channelId: string) => this.recordingsOf(channelId),
      send: async (body: Buffer) => (await this.sendMessage(body)).status,
      stopped: () => this.stopped,
    };
  }

  /** Business groups (215) and virtual organisations (216) of the `organisation` option, in catalog order. */
  organisationNodes(): CatalogChannel[] {
    const shape = this.options.organisation;
    if (!shape) return [];
    const prefix = this.deviceId.slice(0, 10);
    const nodes: CatalogChannel[] = [];
    for (let g = 0; g < shape.groups; g++) {
      const group = `${prefix}215${String(g + 1).padStart(7, '0')}`;
      nodes.push({ id: group, name: `业务分组${g + 1}`, parentId: this.deviceId, civilCode: prefix.slice(0, 6), model: '', node: '215' });
      for (let o = 0; o < shape.orgsPerGroup; o++) {
        const org = `${prefix}216${String(g * 1000 + o + 1).padStart(7, '0')}`;
        nodes.push({ id: org, name: `街道${g + 1}-${o + 1}`, parentId: group, civilCode: prefix.slice(0, 6), model: '', node: '216', businessGroupId: group });
      }
    }
    return nodes;
  }

  /** Sends the catalog in parts, each after the previous one was answered; stops at the first failure. */
  private async sendCatalog(sn: string, model: string): Promise<number[]> {
    const orgs = this.organisationNodes();
    const leaves = orgs.filter((o) => o.node === '216');
    const channels: CatalogChannel[] = [
      ...orgs,
      ...this.channelIds.map((id, i) => ({
        id,
        name: this.channelNames[i] ?? id,
        parentId: leaves.length > 0 ? (leaves[i % leaves.length]?.id ?? this.deviceId) : this.deviceId,
        civilCode: this.deviceId.slice(0, 6),
        model,
      })),
    ];
    const defaultPerMessage = this.options.transport === 'udp' ? 20 : Math.max(1, channels.length);
    const perMessage = Math.max(1, this.quirks.catalogItemsPerMessage ?? defaultPerMessage);
    const reuseSn = this.quirks.reuseSnInSplitCatalog !== false;
    const statuses: number[] = [];
    const parts = Math.max(1, Math.ceil(channels.length / perMessage));
    for (let part = 0; part < parts && !this.stopped; part++) {
      const partSn = reuseSn || !/^\d+$/.test(sn) ? sn : String(Number(sn) + part);
      const items = channels.slice(part * perMessage, (part + 1) * perMessage);
      const body = catalogBody(this.style, this.deviceId, partSn, channels.length, items);
      const { status } = await this.sendMessage(body);
      statuses.push(status);
      if (status < 200 || status >= 300) break;
    }
    return statuses;
  }
}

function statusFor(method: string): [number, string] {
  switch (method) {
    case 'MESSAGE':
    case 'OPTIONS':
    case 'INFO':
    case 'NOTIFY':
      return [200, 'OK'];
    default:
      return [501, 'Not Implemented'];
  }
}
