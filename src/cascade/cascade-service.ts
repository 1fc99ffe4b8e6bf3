import { AppError } from '../errors';
import type { EventPublisher } from '../events/types';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics';
import { readCatalogResponse, type ManscdpDocument } from '../sip/manscdp';
import type { SipPeer, SipRequest } from '../sip/message/types';
import type { SipServer } from '../sip/sip-server';
import type { IndexStore } from '../storage/ports';
import type { Channel } from '../storage/types';
import { alarmDocument, type CascadeAlarm } from './alarm-notify';
import { catalogItem } from './catalog-items';
import { CatalogSubscriptions } from './catalog-subscriptions';
import { LINK_STATES, type LinkStatus } from './link-status';
import type { CascadeMediaHandler } from './media-port';
import { ShareResolver } from './share-resolver';
import { catalogEntries, PresenceCache } from './shared-catalog';
import type { UpperStore } from './store';
import { defaultShareKind, withUpperDefaults, type UpperPlatform, type UpperPlatformInput, type UpperPlatformPatch, type UpperShare, type UpperShareInput } from './types';
import type { UpperEntry } from './upper-entry';
import { UpperLink, type UpperLinkOptions } from './upper-link';
import { requestSender, sendParts, upperRequestHandler } from './upper-request-handler';

export interface CascadeDeps {
  sip: SipServer;
  index: IndexStore;
  store: UpperStore;
  logger: Logger;
  /** Zone of the local times in GB/T 28181 XML. */
  timeZone: string;
  link: UpperLinkOptions;
  /** How long a device may take to answer a forwarded control with its Result. */
  controlTimeoutMs: number;
  metrics?: Metrics;
  events?: EventPublisher;
  media?: CascadeMediaHandler;
}

/** An upper as the API shows it: no password, the link's state. */
export interface UpperView extends Omit<UpperPlatform, 'password'> {
  hasPassword: boolean;
  /** Our ID towards it (localId, or the platform's SIP ID). */
  effectiveLocalId: string;
  status: LinkStatus;
  subscriptions: number;
}

/** Fields whose change means registering again. */
const LINK_FIELDS: ReadonlyArray<keyof UpperPlatform> = [
  'domain', 'host', 'port', 'transport', 'password', 'localId', 'registerExpiresSec', 'keepaliveIntervalSec', 'keepaliveTimeoutCount', 'enabled',
];

/**
 * gbvms as a lower platform of one or more upper platforms: their configuration and shares
 * (UpperStore), one UpperLink each (registration, keepalive), the requests they send
 * (upper-request-handler), catalog change notifications, and alarms sent upward.
 */
export class CascadeService {
  private readonly entries = new Map<string, UpperEntry>();
  private media: CascadeMediaHandler | null;
  private events: EventPublisher | null;
  private alarmSn = 0;
  private closed = false;
  private readonly offPresence: Array<() => void> = [];

  private constructor(private readonly deps: CascadeDeps) {
    this.media = deps.media ?? null;
    this.events = deps.events ?? null;
  }

  /** Loads the stored uppers (after adding the configured ones that are missing) and starts their links. */
  static async start(deps: CascadeDeps, seed: ReadonlyArray<{ upper: UpperPlatformInput; shares: string[] }> = []): Promise<CascadeService> {
    await deps.store.init();
    const service = new CascadeService(deps);
    const now = Date.now();
    for (const { upper, shares } of seed) {
      if ((await deps.store.getUpper(upper.upperId)) !== null) continue;
      await deps.store.putUpper(withUpperDefaults(upper, now));
      await deps.store.addShares(shares.map((id) => ({ upperId: upper.upperId, localId: id, kind: defaultShareKind(id), deviceId: null, mappedId: null, createdAt: now })));
      deps.logger.info({ upperId: upper.upperId, shares: shares.length }, 'upper platform added from the configuration');
    }
    for (const upper of await deps.store.listUppers()) await service.open(upper);
    deps.sip.addRequestHandler(
      upperRequestHandler({
        entryFor: (request, peer) => service.entryFor(request, peer),
        index: deps.index,
        endpoint: deps.sip.endpoint,
        messenger: deps.sip.messenger,
        devices: deps.sip.devices,
        pending: deps.sip.pending,
        controlTimeoutMs: deps.controlTimeoutMs,
        media: () => service.media,
        timeZone: deps.timeZone,
        logger: deps.logger,
      }),
      ['SUBSCRIBE', 'INVITE'],
    );
    service.listen();
    return service;
  }

  setMediaHandler(handler: CascadeMediaHandler): void {
    this.media = handler;
  }

  setEventPublisher(publisher: EventPublisher): void {
    this.events = publisher;
  }

  async list(): Promise<UpperView[]> {
    return [...this.entries.values()].sort((a, b) => a.upper.upperId.localeCompare(b.upper.upperId)).map((e) => this.view(e));
  }

  async get(upperId: string): Promise<UpperView> {
    return this.view(this.entry(upperId));
  }

  status(upperId: string): LinkStatus {
    return this.entry(upperId).link.status;
  }

  async create(input: UpperPlatformInput): Promise<UpperView> {
    if (this.entries.has(input.upperId) || (await this.deps.store.getUpper(input.upperId)) !== null) {
      throw new AppError('conflict', `upper platform ${input.upperId} exists`);
    }
    const upper = withUpperDefaults(input, Date.now());
    await this.deps.store.putUpper(upper);
    return this.view(await this.open(upper));
  }

  async update(upperId: string, patch: UpperPlatformPatch): Promise<UpperView> {
    const entry = this.entry(upperId);
    const updated = await this.deps.store.updateUpper(upperId, patch, Date.now());
    if (updated === null) throw new AppError('not_found', `upper platform ${upperId} is not known`);
    const relink = LINK_FIELDS.some((field) => updated[field] !== entry.upper[field]);
    if (!relink) {
      entry.upper = updated;
      entry.link.upper = updated;
      entry.resolver = new ShareResolver(updated, entry.resolver.shares, this.deps.index);
      return this.view(entry);
    }
    await this.shut(entry, true);
    return this.view(await this.open(updated));
  }

  async remove(upperId: string): Promise<void> {
    const entry = this.entry(upperId);
    await this.shut(entry, true);
    this.entries.delete(upperId);
    for (const state of LINK_STATES) this.deps.metrics?.cascadeLinks.remove({ upper: upperId, state });
    await this.deps.store.deleteUpper(upperId);
  }

  async shares(upperId: string): Promise<UpperShare[]> {
    this.entry(upperId);
    return this.deps.store.listShares(upperId);
  }

  /** Adds and removes shares; subscribed uppers get NOTIFY ADD/DEL for what they gain or lose. */
  async changeShares(upperId: string, change: { add?: UpperShareInput[]; remove?: string[] }): Promise<UpperShare[]> {
    const entry = this.entry(upperId);
    const now = Date.now();
    const before = entry.subscriptions.size > 0 ? await entry.resolver.collect() : null;
    if (change.remove && change.remove.length > 0) await this.deps.store.removeShares(upperId, change.remove);
    if (change.add && change.add.length > 0) {
      const rows: UpperShare[] = [];
      for (const s of change.add) {
        const kind = s.kind ?? defaultShareKind(s.localId);
        // Pin a channel to its device now: channel IDs can repeat across devices.
        const deviceId = s.deviceId ?? (kind === 'channel' ? ((await this.deps.index.getChannel(s.localId))?.deviceId ?? null) : null);
        rows.push({ upperId, localId: s.localId, kind, deviceId, mappedId: s.mappedId ?? null, createdAt: now });
      }
      await this.deps.store.addShares(rows);
    }
    const shares = await this.deps.store.listShares(upperId);
    const previousResolver = entry.resolver;
    entry.resolver = new ShareResolver(entry.upper, shares, this.deps.index);
    if (before !== null) await this.notifyShareChange(entry, before, previousResolver);
    return shares;
  }

  /**
   * Sends an alarm to every registered upper that sees its channel (or device); returns how many
   * uppers took it. Never throws.
   */
  async forwardAlarm(alarm: CascadeAlarm): Promise<number> {
    const localId = alarm.channelId ?? alarm.deviceId;
    const channel = (await this.deps.index.getChannel(localId, alarm.deviceId).catch(() => null)) ?? (await this.deps.index.getChannel(localId).catch(() => null));
    // Every upper at once: one slow upper (up to its request timeout) must not hold up the others.
    const sent = await Promise.all(
      [...this.entries.values()].map(async (entry) => {
        if (!entry.link.registered) return false;
        const visible = channel !== null ? await entry.resolver.covers(channel) : entry.resolver.shares.some((s) => s.localId === localId);
        if (!visible) return false;
        const xml = alarmDocument(alarm, entry.resolver.toUpper(localId), ++this.alarmSn, entry.upper.charset, this.deps.timeZone);
        return (await sendParts(entry.link, [xml], this.deps.logger.child({ upperId: entry.upper.upperId }))) > 0;
      }),
    );
    return sent.filter(Boolean).length;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const off of this.offPresence) off();
    await Promise.all([...this.entries.values()].map((entry) => this.shut(entry, false)));
  }

  // --- internals ------------------------------------------------------------------------------

  private entry(upperId: string): UpperEntry {
    const entry = this.entries.get(upperId);
    if (entry === undefined) throw new AppError('not_found', `upper platform ${upperId} is not known`);
    return entry;
  }

  private entryFor(request: SipRequest, peer: SipPeer): UpperEntry | null {
    // Every device request passes here; without uppers there is nothing to parse From for.
    if (this.entries.size === 0) return null;
    const sender = requestSender(request);
    const byId = sender !== null ? this.entries.get(sender) : undefined;
    if (byId !== undefined) return byId.upper.enabled ? byId : null;
    for (const entry of this.entries.values()) {
      if (entry.upper.enabled && entry.upper.host === peer.address && entry.upper.port === peer.port) return entry;
    }
    return null;
  }

  private async open(upper: UpperPlatform): Promise<UpperEntry> {
    const { sip, logger } = this.deps;
    const localId = upper.localId ?? sip.platform.id;
    const link = new UpperLink(upper, localId, sip.platform, sip.endpoint, logger.child({ module: 'cascade', upperId: upper.upperId }), this.deps.link);
    const shares = await this.deps.store.listShares(upper.upperId);
    const entry: UpperEntry = {
      upper,
      link,
      resolver: new ShareResolver(upper, shares, this.deps.index),
      subscriptions: new CatalogSubscriptions(() => entry.upper, () => entry.link.localId, logger.child({ module: 'cascade', upperId: upper.upperId })),
    };
    this.entries.set(upper.upperId, entry);
    let wasRegistered = false;
    link.on('change', (status) => {
      this.record(status);
      if (wasRegistered && status.state !== 'registered') void this.media?.stopUpper(upper.upperId).catch(() => undefined);
      wasRegistered = status.state === 'registered';
    });
    this.record(link.status);
    link.start();
    return entry;
  }

  private async shut(entry: UpperEntry, unregister: boolean): Promise<void> {
    entry.subscriptions.close(unregister);
    await this.media?.stopUpper(entry.upper.upperId).catch(() => undefined);
    await entry.link.stop(unregister);
    entry.link.removeAllListeners();
  }

  private record(status: LinkStatus): void {
    const gauge = this.deps.metrics?.cascadeLinks;
    if (gauge !== undefined) for (const state of LINK_STATES) gauge.set({ upper: status.upperId, state }, state === status.state ? 1 : 0);
    this.events?.publish('cascade.link', { upperId: status.upperId, state: status.state, reason: status.reason, since: status.since });
  }

  private view(entry: UpperEntry): UpperView {
    const { password, ...rest } = entry.upper;
    return { ...rest, hasPassword: password !== null, effectiveLocalId: entry.link.localId, status: entry.link.status, subscriptions: entry.subscriptions.size };
  }

  private listen(): void {
    const { sip } = this.deps;
    const onOffline = (deviceId: string): void => void this.notifyDevice(deviceId, 'OFF');
    const onOnline = (deviceId: string): void => void this.notifyDevice(deviceId, 'ON');
    const onNotify = (deviceId: string, doc: ManscdpDocument): void => {
      if (doc.cmdType === 'Catalog') void this.relayCatalogNotify(deviceId, doc);
    };
    sip.presence.on('offline', onOffline);
    sip.presence.on('online', onOnline);
    sip.router.on('notify', onNotify);
    this.offPresence.push(
      () => sip.presence.off('offline', onOffline),
      () => sip.presence.off('online', onOnline),
      () => sip.router.off('notify', onNotify),
    );
  }

  private subscribed(): UpperEntry[] {
    return [...this.entries.values()].filter((e) => e.subscriptions.size > 0);
  }

  /** A device went online or offline: its shared channels turn ON/OFF for subscribed uppers. */
  private async notifyDevice(deviceId: string, event: 'ON' | 'OFF'): Promise<void> {
    const entries = this.subscribed();
    if (entries.length === 0) return;
    try {
      const channels = (await this.deps.index.listChannels({ deviceId, offset: 0, limit: 10000 })).items.filter((c) => !c.parental);
      for (const entry of entries) {
        const shared: Channel[] = [];
        for (const channel of channels) if (await entry.resolver.covers(channel)) shared.push(channel);
        await this.notifyChannels(entry, shared, event);
      }
    } catch (err) {
      this.deps.logger.warn({ err, deviceId }, 'catalog notification to upper platforms failed');
    }
  }

  /** A device's own catalog NOTIFY (ADD, DEL, ON, OFF, UPDATE...) passed on for the channels an upper sees. */
  private async relayCatalogNotify(deviceId: string, doc: ManscdpDocument): Promise<void> {
    const entries = this.subscribed();
    const message = readCatalogResponse(doc);
    if (entries.length === 0 || message === null || message.kind !== 'notify') return;
    try {
      for (const entry of entries) {
        for (const item of message.items) {
          const channel = await this.deps.index.getChannel(item.channelId, deviceId);
          if (channel === null || !(await entry.resolver.covers(channel))) continue;
          await this.notifyChannels(entry, [channel], item.event ?? 'UPDATE');
        }
      }
    } catch (err) {
      this.deps.logger.warn({ err, deviceId }, 'catalog change relay to upper platforms failed');
    }
  }

  private async notifyChannels(entry: UpperEntry, channels: Channel[], event: string, resolver = entry.resolver): Promise<void> {
    if (channels.length === 0) return;
    const shared = new Set(resolver.shares.map((s) => s.localId));
    const entries = await catalogEntries(channels, resolver, entry.link.localId, (id) => shared.has(id), new PresenceCache(this.deps.index));
    if (event === 'ON' || event === 'OFF') for (const e of entries) e.online = event === 'ON';
    await entry.subscriptions.notify(entries.map((e) => catalogItem(e, event)));
  }

  private async notifyShareChange(entry: UpperEntry, before: Channel[], previous: ShareResolver): Promise<void> {
    const after = await entry.resolver.collect();
    // Channel IDs repeat across devices: a channel is its device and its ID.
    const key = (c: Channel): string => `${c.deviceId}|${c.channelId}`;
    const beforeKeys = new Set(before.map(key));
    const afterKeys = new Set(after.map(key));
    await this.notifyChannels(entry, after.filter((c) => !beforeKeys.has(key(c))), 'ADD');
    await this.notifyChannels(entry, before.filter((c) => !afterKeys.has(key(c))), 'DEL', previous);
  }
}
