import { randomBytes } from 'node:crypto';
import type { Config } from '../../config';
import { sipDomain, sipRealm } from '../../config';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics';
import type { IndexStore, StateStore } from '../storage/ports';
import { AuthGuard } from './device/auth-guard';
import { DeviceQueries } from './device/device-queries';
import { DeviceService } from './device/device-service';
import { DeviceMessageRouter } from './device/message-router';
import { RegisterQueue } from './overload/register-queue';
import { DeviceMessenger, type PlatformIdentity } from './device/messenger';
import { PendingQueries } from './device/pending-queries';
import { LaneKeepalives } from './device/lane-keepalives';
import { DevicePresence } from './device/presence';
import { Registrar } from './device/registrar';
import { RefreshScheduler } from './device/refresh-scheduler';
import { createResponse } from './message';
import type { SipParseError, SipPeer, SipRequest } from './message/types';
import { SipEndpoint, type ServerTransactionContext } from './transaction';
import { createSipTransport } from './transport';
import type { SipTransport } from './transport/types';
import { advertisedAddress } from './advertised-address';

const BASE_ALLOW = ['REGISTER', 'MESSAGE', 'OPTIONS', 'ACK', 'BYE', 'CANCEL', 'INFO'];

/**
 * Keepalives the lane answered are recorded once a second: one batch instead of 500 wakes at
 * 30,000 devices. A second late is nothing against the 180 s a device has before it is offline
 * (and the liveness sweep records them before it looks).
 */
const LANE_RECORD_INTERVAL_MS = 1000;

/**
 * Takes an out-of-dialog request another module serves (a cascade upper's MESSAGE or INVITE, a
 * device's NOTIFY or Broadcast INVITE). Returns true when it took the request (and answers it),
 * false to let the next handler or the default routing have it.
 */
export type SipRequestHandler = (request: SipRequest, ctx: ServerTransactionContext) => boolean | Promise<boolean>;

/**
 * The platform's SIP side towards its devices: transport, transactions, and the GB/T 28181
 * device services, wired together. Later features (live media, cascade) attach to its parts.
 */
export class SipServer {
  private closed = false;
  private readonly handlers: SipRequestHandler[] = [];
  private readonly extraMethods = new Set<string>();

  private constructor(
    readonly transport: SipTransport,
    readonly endpoint: SipEndpoint,
    readonly presence: DevicePresence,
    readonly router: DeviceMessageRouter,
    readonly devices: DeviceService,
    /** Sends requests to registered devices (live view INVITEs go through its reachability check). */
    readonly messenger: DeviceMessenger,
    /** Who we are in From/Contact. */
    readonly platform: PlatformIdentity,
    private readonly scheduler: RefreshScheduler,
    /** Answers to our MANSCDP commands (Response MESSAGEs) by device, CmdType and SN: for modules that send their own commands. */
    readonly pending: PendingQueries,
    private readonly registerQueue: RegisterQueue,
    private readonly laneKeepalives: LaneKeepalives | null,
    private readonly logger: Logger,
  ) {}

  static async start(config: Config, deps: { index: IndexStore; state: StateStore; logger: Logger; metrics: Metrics }): Promise<SipServer> {
    const { index, state, metrics } = deps;
    const logger = deps.logger.child({ module: 'sip' });
    const domain = sipDomain(config);
    if (!config.sip.nonceSecret) logger.info('GBVMS_SIP_NONCE_SECRET not set: nonces are signed with a per-process secret (set it when several nodes share devices)');
    const presence = new DevicePresence(index, state, logger, {
      keepaliveTimeoutMs: config.keepalive.intervalSec * config.keepalive.timeoutCount * 1000,
      sweepIntervalMs: config.keepalive.sweepIntervalMs,
    });
    const auth = new AuthGuard(state, {
      realm: sipRealm(config),
      nonceSecret: config.sip.nonceSecret ? Buffer.from(config.sip.nonceSecret) : randomBytes(32),
      nonceTtlMs: config.sip.nonceTtlSec * 1000,
      offerQop: config.sip.digestQop,
      failureLimit: config.sip.authFailureLimit,
      failureWindowMs: config.sip.authFailureWindowSec * 1000,
      blockMs: config.sip.authBlockSec * 1000,
    });
    const registrar = new Registrar(index, state, auth, presence, logger, {
      nodeId: config.nodeId,
      defaultPassword: config.sip.password,
      autoEnroll: config.sip.autoEnroll,
      denyList: new Set(config.sip.denyList),
      minExpiresSec: config.sip.minExpiresSec,
      maxExpiresSec: config.sip.maxExpiresSec,
      timeZone: config.timezone,
    });

    // A request too broken to handle is answered 400 when enough of it parsed to address a
    // response (Via, Call-ID, CSeq); anything else is dropped with a log line.
    let transportRef: SipTransport | null = null;
    const answerUnparseable = (error: SipParseError, peer: SipPeer): void => {
      const partial = error.partial;
      const answerable = partial && partial.method !== 'ACK' && ['via', 'call-id', 'cseq'].every((h) => partial.headers.has(h));
      logger.warn({ peer, code: error.code, error: error.message, answered: Boolean(answerable) }, 'unparseable SIP message');
      if (!answerable || !transportRef) return;
      const request: SipRequest = { type: 'request', method: partial.method ?? 'UNKNOWN', uri: '', headers: partial.headers, body: Buffer.alloc(0) };
      transportRef.send(createResponse(request, 400, 'Bad Request'), peer).catch(() => undefined);
    };
    let dispatch: (request: SipRequest, ctx: ServerTransactionContext) => void = (_r, ctx) => ctx.respond(503, 'Starting');
    let lastShedLog = 0;
    const registerQueue = new RegisterQueue({
      maxQueued: config.sip.registerQueueMax,
      perTurn: config.sip.registerPerTurn,
      onShed: () => {
        metrics.registerShed.inc();
        const now = Date.now();
        if (now - lastShedLog < 10_000) return;
        lastShedLog = now;
        logger.warn({ queued: config.sip.registerQueueMax, shedSoFar: registerQueue.shed }, 'registration storm: REGISTERs beyond the queue are dropped until it drains');
      },
    });
    let endpointRef: SipEndpoint | null = null;
    const transport = await createSipTransport({
      host: config.sip.host,
      port: config.sip.port,
      udp: true,
      tcp: true,
      maxMessageSize: config.sip.maxMessageBytes,
      udpReceiveBufferBytes: config.sip.udpReceiveBufferBytes,
      nativeUdp: config.sip.nativeUdp,
      userAgent: config.sip.userAgent,
      logger,
      shedDatagram: (datagram) => registerQueue.shouldShed(datagram),
      onMessage: (inbound) => endpointRef?.handleInbound(inbound),
      onParseError: (error, peer) => answerUnparseable(error, peer),
    });
    transportRef = transport;
    const endpoint = new SipEndpoint({
      transport,
      logger,
      timers: { t1Ms: config.sip.t1Ms, ...(config.sip.transactionTimeoutMs ? { timeoutMs: config.sip.transactionTimeoutMs } : {}) },
      userAgent: config.sip.userAgent,
      onRequest: (request, ctx) => dispatch(request, ctx),
      metrics: {
        onMessage: (direction, message) => metrics.onSipMessage(direction, message),
        onTimeout: (method) => metrics.sipTimeouts.inc({ method }),
      },
    });
    endpointRef = endpoint;

    const local = transport.localAddress('udp');
    const platform: PlatformIdentity = { id: config.sip.id, domain, host: config.sip.advertisedHost ?? advertisedAddress(config.sip.host), port: local.port };
    const messenger = new DeviceMessenger(endpoint, index, state, platform, logger);
    const pending = new PendingQueries();
    const queries = new DeviceQueries(messenger, pending, index, logger, {
      catalogTimeoutMs: config.catalog.timeoutMs,
      queryTimeoutMs: config.catalog.queryTimeoutMs,
      timeZone: config.timezone,
    });
    const lane = transport.keepaliveLane;
    const router = new DeviceMessageRouter(index, state, presence, pending, queries, messenger, logger, lane);
    const laneKeepalives = lane
      ? new LaneKeepalives(lane, router, presence, logger, {
          intervalMs: LANE_RECORD_INTERVAL_MS,
          count: (n) => {
            metrics.keepaliveLane.inc(n);
            metrics.countSip('in', 'MESSAGE', '', n);
            metrics.countSip('out', 'MESSAGE', 200, n);
          },
          dropped: (n) => metrics.sipUdpDropped.inc(n),
        })
      : null;
    const scheduler = new RefreshScheduler(queries, logger, config.catalog.concurrency);
    registrar.onRegistered((deviceId, fresh, peer, expiresAt) => {
      metrics.registrations.inc({ outcome: fresh ? 'new' : 'refresh' });
      // Online and registered from this address: its keepalives can be answered by the lane.
      lane?.admit(deviceId, peer, expiresAt);
      if (fresh && config.catalog.queryOnRegister) scheduler.enqueue(deviceId);
    });
    const devices = new DeviceService(index, state, presence, queries);
    const server = new SipServer(transport, endpoint, presence, router, devices, messenger, platform, scheduler, pending, registerQueue, laneKeepalives, logger);

    const handle = (request: SipRequest, ctx: ServerTransactionContext): Promise<void> =>
      server.route(request, ctx, registrar).catch((err: unknown) => {
        logger.error({ err, method: request.method, callId: request.headers.get('call-id') }, 'request handler failed');
        if (!ctx.responded) ctx.respond(500, 'Server Internal Error');
      });
    dispatch = (request, ctx) => {
      if (request.method !== 'REGISTER') {
        void handle(request, ctx);
        return;
      }
      const queued = registerQueue.enqueue(() => handle(request, ctx), request.headers.has('authorization'));
      // Over TCP nothing retransmits a dropped REGISTER: say so, and when to come back.
      if (!queued) ctx.respond(503, 'Service Unavailable', { headers: [['Retry-After', '5']] });
    };

    const reconciled = await presence.reconcileAtStart(Date.now());
    if (reconciled > 0) logger.info({ devices: reconciled }, 'devices without a registration marked offline at start');
    presence.start();
    laneKeepalives?.start();
    logger.info({ host: config.sip.host, port: local.port, id: config.sip.id, domain, keepaliveLane: lane !== null }, 'SIP listening on UDP and TCP');
    return server;
  }

  /**
   * Adds a handler tried (in the order added) before the default routing of out-of-dialog
   * requests; `methods` join the Allow header (e.g. INVITE, SUBSCRIBE, NOTIFY).
   */
  addRequestHandler(handler: SipRequestHandler, methods: string[] = []): void {
    this.handlers.push(handler);
    for (const m of methods) this.extraMethods.add(m.toUpperCase());
  }

  private get allow(): string {
    return [...BASE_ALLOW, ...[...this.extraMethods].filter((m) => !BASE_ALLOW.includes(m))].join(', ');
  }

  private async route(request: SipRequest, ctx: ServerTransactionContext, registrar: Registrar): Promise<void> {
    for (const handler of this.handlers) {
      if (await handler(request, ctx)) return;
      if (ctx.responded) return;
    }
    switch (request.method) {
      case 'REGISTER':
        return registrar.handle(request, ctx);
      case 'MESSAGE':
        return this.router.handle(request, ctx);
      case 'OPTIONS':
        ctx.respond(200, 'OK', { headers: [['Allow', this.allow]] });
        return;
      default:
        ctx.respond(405, 'Method Not Allowed', { headers: [['Allow', this.allow]] });
    }
  }

  get port(): number {
    return this.transport.localAddress('udp').port;
  }

  /** Closes sockets and timers; registrations are left as they are (devices re-register on their own). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.presence.stop();
    await this.laneKeepalives?.stop();
    this.registerQueue.close();
    this.scheduler.close();
    this.pending.close();
    await this.endpoint.close();
    await this.transport.close();
    this.logger.info('SIP closed');
  }
}
