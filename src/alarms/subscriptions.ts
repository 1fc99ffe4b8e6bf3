import { AppError } from '../errors';
import type { Logger } from '../logger';
import type { DeviceMessenger, PlatformIdentity } from '../sip/device/messenger';
import { buildQuery, encodeXmlBody } from '../sip/manscdp';
import { createRequest, formatHostPort, generateCallId } from '../sip/message';
import type { SipPeer, SipResponse } from '../sip/message/types';
import { SipTimeoutError, type Dialog, type SipEndpoint } from '../sip/transaction';
import type { DeviceNotifications } from './device-notifications';

export type SubscriptionKind = 'alarm' | 'catalog' | 'mobilePosition';
export const SUBSCRIPTION_KINDS: readonly SubscriptionKind[] = ['alarm', 'catalog', 'mobilePosition'];

export interface SubscriptionOptions {
  /** Expires asked of the device (it may answer with less). */
  expiresSec?: number;
  /** MobilePosition only: seconds between position reports. */
  intervalSec?: number;
}

export interface SubscriptionInfo {
  deviceId: string;
  kind: SubscriptionKind;
  /** active: the device accepted it; retrying: it failed or ended and is asked again later; waiting-device: the device is offline. */
  state: 'pending' | 'active' | 'retrying' | 'waiting-device';
  /** The Event header of the SUBSCRIBE. */
  event: string;
  expiresSec: number;
  expiresAt: number | null;
  intervalSec: number | null;
  subscribedAt: number | null;
  refreshedAt: number | null;
  notifies: number;
  lastNotifyAt: number | null;
  lastError: string | null;
}

export interface DeviceSubscriptionOptions {
  expiresSec: number;
  mobilePositionIntervalSec: number;
  /** Wait before asking again after a subscription failed or the device ended it. */
  retrySec: number;
  /** Time for the device to answer a SUBSCRIBE. */
  requestTimeoutMs?: number;
  /** Kinds subscribed whenever a device comes online (config events.subscribeOnRegister). */
  onRegister: readonly SubscriptionKind[];
}

interface Entry {
  info: SubscriptionInfo;
  dialog: Dialog | null;
  timer: NodeJS.Timeout | null;
  /** Bumped on every (re)start, so that late answers of an older attempt are ignored. */
  generation: number;
  /** The charset the subscription was made in (the device's): refreshes use it too. */
  charset?: string;
}

const CONTENT_TYPE = 'Application/MANSCDP+xml';
const CMD_TYPE: Record<SubscriptionKind, string> = { alarm: 'Alarm', catalog: 'Catalog', mobilePosition: 'MobilePosition' };

/**
 * The platform's subscriptions to its devices (GB/T 28181-2022 9.11, Annex N): alarm, catalog
 * and mobile-position SUBSCRIBE dialogs, refreshed before they expire, ended with Expires: 0.
 * NOTIFYs inside them go to DeviceNotifications. Subscriptions are asked again when a device
 * comes back online; the wish to be subscribed is kept in memory only.
 */
export class DeviceSubscriptions {
  private readonly entries = new Map<string, Entry>();
  private sn = 0;
  private catalogEventId = 0;
  private closed = false;

  constructor(
    private readonly endpoint: SipEndpoint,
    private readonly messenger: DeviceMessenger,
    private readonly platform: PlatformIdentity,
    private readonly notifications: DeviceNotifications,
    private readonly logger: Logger,
    private readonly options: DeviceSubscriptionOptions,
  ) {}

  /** Subscribes (or refreshes an active subscription with new options). Rejects with an AppError the API can show. */
  async subscribe(deviceId: string, kind: SubscriptionKind, opts: SubscriptionOptions = {}): Promise<SubscriptionInfo> {
    if (this.closed) throw new AppError('unavailable', 'subscriptions are closed');
    const key = keyOf(deviceId, kind);
    let entry = this.entries.get(key);
    const fresh = entry === undefined;
    if (!entry) {
      entry = { info: this.newInfo(deviceId, kind), dialog: null, timer: null, generation: 0 };
      this.entries.set(key, entry);
    }
    if (opts.expiresSec !== undefined) entry.info.expiresSec = opts.expiresSec;
    if (kind === 'mobilePosition') entry.info.intervalSec = opts.intervalSec ?? entry.info.intervalSec ?? this.options.mobilePositionIntervalSec;
    try {
      if (entry.dialog !== null && !entry.dialog.closed) await this.refresh(entry);
      else await this.start(entry);
    } catch (err) {
      // A new wish that fails is forgotten; a held subscription that fails is asked again later.
      if (fresh && this.entries.get(key) === entry) this.discard(entry);
      else if (entry.dialog === null) this.failed(entry, err);
      throw err;
    }
    return { ...entry.info };
  }

  /** Ends the subscription (SUBSCRIBE Expires: 0 in its dialog). False when there was none. */
  async unsubscribe(deviceId: string, kind: SubscriptionKind): Promise<boolean> {
    const entry = this.entries.get(keyOf(deviceId, kind));
    if (!entry) return false;
    const dialog = entry.dialog;
    this.discard(entry);
    if (dialog !== null && !dialog.closed) {
      try {
        await dialog.bye({ timeoutMs: this.options.requestTimeoutMs ?? 5000 });
      } catch (err) {
        this.logger.debug({ deviceId, kind, err }, 'unsubscribe not answered');
      }
    }
    this.logger.info({ deviceId, kind }, 'subscription ended');
    return true;
  }

  list(deviceId?: string): SubscriptionInfo[] {
    return [...this.entries.values()].filter((e) => deviceId === undefined || e.info.deviceId === deviceId).map((e) => ({ ...e.info }));
  }

  get(deviceId: string, kind: SubscriptionKind): SubscriptionInfo | null {
    const entry = this.entries.get(keyOf(deviceId, kind));
    return entry ? { ...entry.info } : null;
  }

  /** The device went offline: its dialogs are forgotten (it will not NOTIFY), the wish is kept. */
  onDeviceOffline(deviceId: string): void {
    for (const entry of this.entries.values()) {
      if (entry.info.deviceId !== deviceId) continue;
      this.dropDialog(entry);
      this.clearTimer(entry);
      entry.info.state = 'waiting-device';
      entry.info.expiresAt = null;
    }
  }

  /** The device is (back) online: wished subscriptions and the configured ones are asked for. */
  onDeviceOnline(deviceId: string): void {
    if (this.closed) return;
    for (const kind of this.options.onRegister) {
      const key = keyOf(deviceId, kind);
      if (!this.entries.has(key)) this.entries.set(key, { info: this.newInfo(deviceId, kind), dialog: null, timer: null, generation: 0 });
    }
    for (const entry of this.entries.values()) {
      if (entry.info.deviceId !== deviceId || entry.dialog !== null) continue;
      this.clearTimer(entry);
      void this.startOrRetry(entry);
    }
  }

  /** Local teardown (nothing is sent: the subscriptions expire on the devices). Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const entry of this.entries.values()) {
      this.clearTimer(entry);
      this.dropDialog(entry);
    }
    this.entries.clear();
  }

  private newInfo(deviceId: string, kind: SubscriptionKind): SubscriptionInfo {
    return {
      deviceId,
      kind,
      state: 'pending',
      event: kind === 'catalog' ? `Catalog;id=${++this.catalogEventId}` : 'presence',
      expiresSec: this.options.expiresSec,
      expiresAt: null,
      intervalSec: kind === 'mobilePosition' ? this.options.mobilePositionIntervalSec : null,
      subscribedAt: null,
      refreshedAt: null,
      notifies: 0,
      lastNotifyAt: null,
      lastError: null,
    };
  }

  private body(info: SubscriptionInfo): string {
    const sn = (this.sn = (this.sn % 2_000_000_000) + 1);
    const extra: Array<[string, string]> =
      info.kind === 'alarm'
        ? [
            ['StartAlarmPriority', '0'],
            ['EndAlarmPriority', '0'],
            ['AlarmMethod', '0'],
          ]
        : info.kind === 'mobilePosition'
          ? [['Interval', String(info.intervalSec ?? this.options.mobilePositionIntervalSec)]]
          : [];
    return buildQuery(CMD_TYPE[info.kind], sn, info.deviceId, extra);
  }

  private async start(entry: Entry): Promise<void> {
    const generation = ++entry.generation;
    const { info } = entry;
    const { registration, charset } = await this.messenger.reachable(info.deviceId);
    entry.charset = charset;
    const peer: SipPeer = { transport: registration.transport, address: registration.address, port: registration.port };
    const request = createRequest({
      method: 'SUBSCRIBE',
      uri: `sip:${info.deviceId}@${formatHostPort(peer.address, peer.port)}`,
      headers: [
        ['From', `<sip:${this.platform.id}@${this.platform.domain}>`],
        ['To', `<sip:${info.deviceId}@${this.platform.domain}>`],
        ['Call-ID', generateCallId(this.platform.host)],
        ['CSeq', '1 SUBSCRIBE'],
        ['Contact', `<sip:${this.platform.id}@${formatHostPort(this.platform.host, this.platform.port)}>`],
        ['Event', info.event],
        ['Expires', String(info.expiresSec)],
        ['Content-Type', CONTENT_TYPE],
      ],
      body: encodeXmlBody(this.body(info), charset),
    });
    let result;
    try {
      result = await this.endpoint.subscribe(request, peer, this.timeout());
    } catch (err) {
      info.lastError = err instanceof SipTimeoutError ? 'no answer' : (err as Error).message;
      if (err instanceof SipTimeoutError) throw new AppError('device_timeout', `device ${info.deviceId} did not answer the ${info.kind} SUBSCRIBE`);
      throw new AppError('device_error', `could not subscribe to device ${info.deviceId}: ${(err as Error).message}`);
    }
    const { response, dialog } = result;
    if (generation !== entry.generation || this.entries.get(keyOf(info.deviceId, info.kind)) !== entry) {
      dialog?.close();
      throw new AppError('conflict', `the ${info.kind} subscription of ${info.deviceId} changed meanwhile`);
    }
    if (dialog === undefined) {
      info.lastError = `${response.status} ${response.reason}`;
      throw new AppError('device_error', `device ${info.deviceId} refused the ${info.kind} subscription: ${response.status} ${response.reason}`);
    }
    this.attach(entry, dialog);
    this.accepted(entry, response, 'subscribed');
  }

  private async refresh(entry: Entry): Promise<void> {
    const dialog = entry.dialog;
    if (dialog === null) return this.start(entry);
    const { info } = entry;
    const generation = entry.generation;
    let response: SipResponse | null = null;
    let failure: string;
    try {
      response = await dialog.request('SUBSCRIBE', {
        headers: [
          ['Event', info.event],
          ['Expires', String(info.expiresSec)],
          ['Content-Type', CONTENT_TYPE],
        ],
        body: encodeXmlBody(this.body(info), entry.charset ?? 'GB2312'),
        ...this.timeout(),
      });
      failure = `${response.status} ${response.reason}`;
    } catch (err) {
      failure = err instanceof SipTimeoutError ? 'no answer' : err instanceof Error ? err.message : String(err);
    }
    // Unsubscribed (or started over) while the refresh was on its way: there is nothing left to refresh.
    if (generation !== entry.generation || this.entries.get(keyOf(info.deviceId, info.kind)) !== entry) return;
    if (response !== null && response.status >= 200 && response.status < 300 && entry.dialog === dialog) {
      this.accepted(entry, response, 'subscription refreshed');
      return;
    }
    // The device lost it (481 after a reboot, or no answer): start over with a new dialog.
    this.logger.info({ deviceId: info.deviceId, kind: info.kind, failure }, 'subscription refresh failed: subscribing again');
    info.lastError = `refresh: ${failure}`;
    this.dropDialog(entry);
    await this.start(entry);
  }

  private accepted(entry: Entry, response: SipResponse, what: string): void {
    const { info } = entry;
    const granted = Number.parseInt(response.headers.get('expires') ?? '', 10);
    const expiresSec = Number.isFinite(granted) && granted > 0 ? Math.min(granted, info.expiresSec) : info.expiresSec;
    const now = Date.now();
    info.state = 'active';
    info.expiresAt = now + expiresSec * 1000;
    if (what === 'subscribed') info.subscribedAt = now;
    info.refreshedAt = now;
    info.lastError = null;
    this.logger.info({ deviceId: info.deviceId, kind: info.kind, expiresSec }, what);
    // Refresh ahead of expiry: a fifth of the period early, at least 1 s and at most 60 s.
    const margin = Math.min(60_000, Math.max(1000, (expiresSec * 1000) / 5));
    this.setTimer(entry, Math.max(500, expiresSec * 1000 - margin), () => {
      this.refresh(entry).catch((err: unknown) => this.failed(entry, err));
    });
  }

  private attach(entry: Entry, dialog: Dialog): void {
    entry.dialog = dialog;
    const { deviceId } = entry.info;
    dialog.on('request', (request, ctx) => {
      if (request.method !== 'NOTIFY') {
        if (request.method !== 'BYE') ctx.respond(405, 'Method Not Allowed');
        return;
      }
      entry.info.notifies++;
      entry.info.lastNotifyAt = Date.now();
      void this.notifications.handleNotify(request, ctx, deviceId).catch((err: unknown) => {
        this.logger.error({ err, deviceId }, 'NOTIFY handling failed');
        if (!ctx.responded) ctx.respond(500);
      });
    });
    dialog.on('closed', () => {
      if (entry.dialog !== dialog) return;
      entry.dialog = null;
      if (this.closed || this.entries.get(keyOf(deviceId, entry.info.kind)) !== entry) return;
      this.logger.info({ deviceId, kind: entry.info.kind }, 'the device ended the subscription: asking again later');
      entry.info.lastError = 'ended by the device';
      this.retryLater(entry);
    });
  }

  private async startOrRetry(entry: Entry): Promise<void> {
    try {
      await this.start(entry);
    } catch (err) {
      this.failed(entry, err);
    }
  }

  private failed(entry: Entry, err: unknown): void {
    if (this.closed || this.entries.get(keyOf(entry.info.deviceId, entry.info.kind)) !== entry) return;
    // An attempt overtaken by a newer one (the device came online twice): the newer one decides.
    // Retrying here would start a second dialog over the newer one's and leak it.
    if (err instanceof AppError && err.code === 'conflict') return;
    const message = err instanceof Error ? err.message : String(err);
    entry.info.lastError = message;
    if (err instanceof AppError && err.code === 'device_offline') {
      entry.info.state = 'waiting-device';
      return;
    }
    this.logger.warn({ deviceId: entry.info.deviceId, kind: entry.info.kind, error: message }, 'subscription failed: asking again later');
    this.retryLater(entry);
  }

  private retryLater(entry: Entry): void {
    entry.info.state = 'retrying';
    entry.info.expiresAt = null;
    this.setTimer(entry, this.options.retrySec * 1000, () => void this.startOrRetry(entry));
  }

  private timeout(): { timeoutMs?: number } {
    return this.options.requestTimeoutMs !== undefined ? { timeoutMs: this.options.requestTimeoutMs } : {};
  }

  private setTimer(entry: Entry, ms: number, run: () => void): void {
    this.clearTimer(entry);
    entry.timer = setTimeout(() => {
      entry.timer = null;
      if (!this.closed) run();
    }, ms);
    entry.timer.unref();
  }

  private clearTimer(entry: Entry): void {
    if (entry.timer !== null) clearTimeout(entry.timer);
    entry.timer = null;
  }

  private dropDialog(entry: Entry): void {
    const dialog = entry.dialog;
    entry.dialog = null;
    dialog?.close();
  }

  private discard(entry: Entry): void {
    entry.generation++;
    this.clearTimer(entry);
    this.entries.delete(keyOf(entry.info.deviceId, entry.info.kind));
    entry.dialog = null;
  }
}

function keyOf(deviceId: string, kind: SubscriptionKind): string {
  return `${deviceId}|${kind}`;
}
