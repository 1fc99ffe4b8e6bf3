import { EventEmitter } from 'node:events';
import type { Logger } from '../../logger';
import type { IndexStore, Registration, StateStore } from '../../storage/ports';
import { isValidGbId } from '../gbid';
import { isPlainKeepalive, normalizeCharset, parseManscdp, type ManscdpDocument } from '../manscdp';
import type { SipPeer, SipRequest } from '../message/types';
import type { ServerTransactionContext } from '../transaction';
import type { KeepaliveLane } from '../transport';
import type { DeviceQueries } from './device-queries';
import type { DeviceMessenger } from './messenger';
import type { PendingQueries } from './pending-queries';
import type { DevicePresence } from './presence';
import { senderId } from './registrar';

export interface DeviceNotifyEventMap {
  /** Notify documents this module does not handle itself (Alarm, MediaStatus, MobilePosition...). */
  notify: [deviceId: string, doc: ManscdpDocument];
}

/** CmdTypes a device may send that later features consume; acknowledged with 200 and emitted. */
const PASSED_ON = new Set(['alarm', 'mediastatus', 'mobileposition', 'broadcast', 'uploadsnapshotfinished', 'catalog']);

/**
 * Handles MESSAGE requests from devices: decodes the MANSCDP body in the right charset, answers
 * at the SIP level, and hands the document to whoever waits for it: keepalives to presence,
 * query answers to the pending queries, notifications to listeners.
 */
export class DeviceMessageRouter extends EventEmitter<DeviceNotifyEventMap> {
  constructor(
    private readonly index: IndexStore,
    private readonly state: StateStore,
    private readonly presence: DevicePresence,
    private readonly pending: PendingQueries,
    private readonly queries: DeviceQueries,
    private readonly messenger: DeviceMessenger,
    private readonly logger: Logger,
    /** Where this node answers plain keepalives natively; null when Node.js reads UDP. */
    private readonly lane: KeepaliveLane | null = null,
  ) {
    super();
  }

  async handle(request: SipRequest, ctx: ServerTransactionContext): Promise<void> {
    const deviceId = senderId(request);
    if (!deviceId || !isValidGbId(deviceId)) {
      ctx.respond(400, 'Invalid Device ID');
      return;
    }
    const contentType = (request.headers.get('content-type') ?? '').toLowerCase();
    if (!contentType.includes('manscdp')) {
      this.logger.warn({ deviceId, contentType }, 'MESSAGE with an unsupported content type');
      ctx.respond(415, 'Unsupported Media Type', { headers: [['Accept', 'Application/MANSCDP+xml']] });
      return;
    }
    // Keepalives (the bulk of all traffic) need no device record and nothing from the body: the
    // usual layout is recognized from its bytes; other bodies are parsed without a charset
    // preference first, and re-decoded with the device's configured charset only for the rest.
    if (isPlainKeepalive(request.body)) {
      await this.keepalive(deviceId, ctx);
      return;
    }
    let parsed = parseManscdp(request.body, null);
    if (parsed.ok && parsed.value.root === 'Notify' && parsed.value.cmdType.toLowerCase() === 'keepalive') {
      await this.keepalive(deviceId, ctx);
      return;
    }
    const device = await this.index.getDevice(deviceId);
    if (device?.charset && (!parsed.ok || parsed.value.charset !== normalizeCharset(device.charset))) {
      parsed = parseManscdp(request.body, device.charset);
    }
    if (!parsed.ok) {
      this.logger.warn({ deviceId, error: parsed.error, bytes: request.body.length }, 'MESSAGE with an unreadable MANSCDP body');
      ctx.respond(400, 'Bad MANSCDP Body');
      return;
    }
    const doc = parsed.value;
    this.messenger.noteCharset(deviceId, doc.charset);
    const cmd = doc.cmdType.toLowerCase();

    if (!device) {
      ctx.respond(403, 'Unknown Device');
      return;
    }
    if (doc.root === 'Response') {
      ctx.respond(200, 'OK');
      if (!this.pending.deliver(deviceId, doc)) {
        if (cmd === 'catalog') await this.queries.unsolicitedCatalog(deviceId, doc);
        else this.logger.debug({ deviceId, cmdType: doc.cmdType, sn: doc.sn }, 'answer with no pending query');
      }
      return;
    }
    if (doc.root === 'Notify' && PASSED_ON.has(cmd)) {
      ctx.respond(200, 'OK');
      // A Notify Catalog carries change events (ADD/DEL/ON/OFF...): applied by its listener (src/alarms/catalog-changes).
      this.emit('notify', deviceId, doc);
      return;
    }
    this.logger.warn({ deviceId, root: doc.root, cmdType: doc.cmdType }, 'MESSAGE with an unsupported CmdType');
    ctx.respond(400, 'Unsupported CmdType');
  }

  private async keepalive(deviceId: string, ctx: ServerTransactionContext): Promise<void> {
    const reg = await this.state.getRegistration(deviceId);
    const now = Date.now();
    if (!reg || reg.expiresAt <= now) {
      // Makes the device register again (e.g. after a restart lost in-process registrations).
      ctx.respond(403, 'Not Registered');
      return;
    }
    ctx.respond(200, 'OK');
    await this.recordKeepalive(deviceId, now, reg, ctx.peer);
    // Online now, answered from this address: its next keepalives can be answered by the lane.
    this.lane?.admit(deviceId, ctx.peer, reg.expiresAt);
  }

  /** Records a keepalive the lane answered (it checked the address and the registration's expiry). */
  async laneKeepalive(deviceId: string, at: number): Promise<void> {
    const reg = await this.state.getRegistration(deviceId);
    if (!reg || reg.expiresAt <= at) return; // unregistered since: nothing left to keep alive
    await this.recordKeepalive(deviceId, at, reg, null);
  }

  /** `peer` is where the keepalive came from; null when it is known to be the registered address. */
  private async recordKeepalive(deviceId: string, now: number, reg: Registration, peer: SipPeer | null): Promise<void> {
    const moved = peer !== null && (reg.address !== peer.address || reg.port !== peer.port || reg.transport !== peer.transport);
    await this.state.touchRegistration(deviceId, now, moved ? peer : undefined);
    await this.state.setDeadline(deviceId, this.presence.deadlineFor(now, reg.expiresAt));
    if (moved) {
      this.logger.info({ deviceId, from: `${reg.address}:${reg.port}`, to: `${peer.address}:${peer.port}` }, 'device address changed');
      await this.index.upsertDevice(deviceId, { remoteAddress: peer.address, remotePort: peer.port, transport: peer.transport });
    }
    // One atomic swap: only a keepalive that brings the device back records an event.
    await this.presence.markOnline(deviceId, 'keepalive', now);
  }
}
