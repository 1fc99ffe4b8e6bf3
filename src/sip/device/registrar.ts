import type { Logger } from '../../logger';
import type { IndexStore, StateStore } from '../../storage/ports';
import type { Device, GbVersion } from '../../storage/types';
import { isValidGbId, gbTypeCode } from '../gbid';
import { gbVersionFromHeader } from '../manscdp';
import { parseNameAddr } from '../message';
import type { SipPeer, SipRequest } from '../message/types';
import type { ServerTransactionContext } from '../transaction';
import type { AuthGuard } from './auth-guard';
import { formatGbTime } from './gb-time';
import type { DevicePresence } from './presence';

export interface RegistrarOptions {
  nodeId: string;
  defaultPassword: string;
  autoEnroll: boolean;
  denyList: ReadonlySet<string>;
  minExpiresSec: number;
  maxExpiresSec: number;
  timeZone: string;
}

/** `peer` is where the device registered from; its registration lasts until `expiresAt`. */
export type RegistrationListener = (deviceId: string, fresh: boolean, peer: SipPeer, expiresAt: number) => void;

/** Reads the expiry a REGISTER asks for: the Expires header, else the Contact's expires parameter, else 3600. */
export function requestedExpires(request: SipRequest): number | null {
  const header = request.headers.get('expires');
  if (header !== undefined) {
    const n = Number(header.trim());
    return Number.isInteger(n) && n >= 0 ? n : null;
  }
  const contact = request.headers.get('contact');
  const param = contact ? parseNameAddr(contact)?.params.get('expires') : undefined;
  if (param !== undefined && param !== null) {
    const n = Number(param);
    return Number.isInteger(n) && n >= 0 ? n : null;
  }
  return 3600;
}

/** Our protocol version, announced on every answer to REGISTER (GB/T 28181-2022 Annex I): 3.0 is 2022. */
const OUR_GB_VERSION = '3.0';

function answer(ctx: ServerTransactionContext, status: number, reason: string, extra: { headers?: Array<[string, string]> } = {}): void {
  ctx.respond(status, reason, { headers: [...(extra.headers ?? []), ['X-GB-Ver', OUR_GB_VERSION]] });
}

/** The device ID of a request: the user part of From (GB/T 28181 puts the device's ID there). */
export function senderId(request: SipRequest): string | null {
  const from = request.headers.get('from');
  const user = from ? parseNameAddr(from)?.uri.user : undefined;
  return user ?? null;
}

function versionOf(request: SipRequest, previous: GbVersion | undefined): GbVersion {
  const fromHeader = gbVersionFromHeader(request.headers.get('x-gb-ver'));
  if (fromHeader !== 'unknown') return fromHeader;
  return previous ?? 'unknown';
}

/**
 * Handles REGISTER from devices: ID checks, digest authentication, expiry, unregister, and the
 * registration record that tells later requests where the device really is (received/rport).
 */
export class Registrar {
  private listener: RegistrationListener | null = null;

  constructor(
    private readonly index: IndexStore,
    private readonly state: StateStore,
    private readonly auth: AuthGuard,
    private readonly presence: DevicePresence,
    private readonly logger: Logger,
    private readonly options: RegistrarOptions,
  ) {}

  /** Called after every successful registration; `fresh` is false for refreshes. */
  onRegistered(listener: RegistrationListener): void {
    this.listener = listener;
  }

  async handle(request: SipRequest, ctx: ServerTransactionContext): Promise<void> {
    const deviceId = senderId(request);
    if (!deviceId || !isValidGbId(deviceId)) {
      this.logger.warn({ from: request.headers.get('from'), peer: ctx.peer }, 'REGISTER with a malformed device ID refused');
      answer(ctx, 400, 'Invalid Device ID');
      return;
    }
    if (this.options.denyList.has(deviceId)) {
      this.logger.warn({ deviceId, peer: ctx.peer }, 'REGISTER from a denied device refused');
      answer(ctx, 403, 'Forbidden');
      return;
    }
    const expires = requestedExpires(request);
    if (expires === null) {
      answer(ctx, 400, 'Invalid Expires');
      return;
    }
    const authorization = request.headers.get('authorization');
    // A first, unauthenticated REGISTER is challenged without reading the index (half of a
    // registration storm); the device record matters only once there is an answer to check.
    const device = authorization !== undefined || !this.options.autoEnroll ? await this.index.getDevice(deviceId) : null;
    if (!device && !this.options.autoEnroll) {
      this.logger.warn({ deviceId, peer: ctx.peer }, 'REGISTER from an unknown device refused (auto-enrolment is off)');
      answer(ctx, 403, 'Unknown Device');
      return;
    }
    const outcome = await this.auth.check({
      authorization,
      method: 'REGISTER',
      password: device?.password ?? this.options.defaultPassword,
      source: ctx.peer.address,
      deviceId,
      allowStale: expires === 0,
    });
    if (outcome.kind === 'blocked') {
      this.logger.warn({ deviceId, peer: ctx.peer }, 'REGISTER refused: too many failed authentications');
      answer(ctx, 403, 'Forbidden');
      return;
    }
    if (outcome.kind === 'challenge') {
      if (outcome.failed) this.logger.warn({ deviceId, peer: ctx.peer }, 'REGISTER with a wrong digest answer');
      answer(ctx, 401, 'Unauthorized', { headers: [['WWW-Authenticate', outcome.header]] });
      return;
    }
    if (expires === 0) {
      await this.unregister(deviceId, ctx);
      return;
    }
    if (expires < this.options.minExpiresSec) {
      answer(ctx, 423, 'Interval Too Brief', { headers: [['Min-Expires', String(this.options.minExpiresSec)]] });
      return;
    }
    await this.register(request, ctx, deviceId, device, Math.min(expires, this.options.maxExpiresSec));
  }

  private async register(
    request: SipRequest,
    ctx: ServerTransactionContext,
    deviceId: string,
    device: Device | null,
    expires: number,
  ): Promise<void> {
    const now = Date.now();
    const previous = await this.state.getRegistration(deviceId);
    const callId = request.headers.get('call-id') ?? '';
    const contact = request.headers.get('contact') ?? `<sip:${deviceId}@${ctx.peer.address}:${ctx.peer.port}>`;
    const fresh = !previous || previous.callId !== callId || previous.expiresAt <= now || !device?.online;
    const registration = {
      deviceId,
      transport: ctx.peer.transport,
      address: ctx.peer.address,
      port: ctx.peer.port,
      contact,
      callId,
      registeredAt: fresh || !previous ? now : previous.registeredAt,
      expiresAt: now + expires * 1000,
      lastSeenAt: now,
      nodeId: this.options.nodeId,
    };
    await this.state.putRegistration(registration);
    await this.state.setDeadline(deviceId, this.presence.deadlineFor(now, registration.expiresAt));
    const facts = {
      typeCode: gbTypeCode(deviceId),
      transport: ctx.peer.transport,
      remoteAddress: ctx.peer.address,
      remotePort: ctx.peer.port,
      contact,
      expires,
      registeredAt: registration.registeredAt,
      gbVersion: versionOf(request, device?.gbVersion),
    };
    // A refresh that changes nothing durable writes nothing to the index.
    const unchanged = device?.online === true && (Object.keys(facts) as Array<keyof typeof facts>).every((k) => device[k] === facts[k]);
    await this.presence.markOnline(deviceId, 'register', now, unchanged ? {} : facts, device?.online ?? false);
    const contactHeader = request.headers.get('contact');
    answer(ctx, 200, 'OK', {
      headers: [
        ...(contactHeader ? ([['Contact', contactHeader]] as Array<[string, string]>) : []),
        ['Expires', String(expires)],
        ['Date', formatGbTime(now, this.options.timeZone, true)],
      ],
    });
    if (fresh) this.logger.info({ deviceId, callId, peer: ctx.peer, expires }, 'device registered');
    this.listener?.(deviceId, fresh, ctx.peer, registration.expiresAt);
  }

  private async unregister(deviceId: string, ctx: ServerTransactionContext): Promise<void> {
    const now = Date.now();
    await this.state.deleteRegistration(deviceId);
    await this.state.clearDeadline(deviceId);
    answer(ctx, 200, 'OK', { headers: [['Date', formatGbTime(now, this.options.timeZone, true)]] });
    await this.presence.markOffline(deviceId, 'unregister', now);
    this.logger.info({ deviceId, peer: ctx.peer }, 'device unregistered');
  }
}
