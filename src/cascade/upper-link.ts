import { EventEmitter } from 'node:events';
import type { Logger } from '../logger';
import { buildManscdp } from '../sip/manscdp';
import { generateCallId, generateTag } from '../sip/message';
import type { SipRequest, SipResponse } from '../sip/message/types';
import type { PlatformIdentity } from '../sip/device/messenger';
import { SipTimeoutError, type RequestOptions } from '../sip/transaction';
import { DigestClient, readDigestChallenge, type DigestChallenge } from './digest-client';
import type { LinkState, LinkStatus } from './link-status';
import type { UpperPlatform } from './types';
import { encodeForUpper } from './upper-encoding';
import { buildRegister, buildUpperMessage, upperPeer, upperUri, type UpperAddressing } from './upper-requests';

/** The part of SipEndpoint a link uses (a test may hand in its own). */
export interface SipRequester {
  request(request: SipRequest, peer: ReturnType<typeof upperPeer>, opts?: RequestOptions): Promise<SipResponse>;
}

export interface UpperLinkOptions {
  /** First retry delay after a failure; doubles per failure up to retryMaxMs. */
  retryMinMs: number;
  retryMaxMs: number;
  /** Longest wait for the upper's answer to one request. */
  requestTimeoutMs: number;
}

export interface UpperLinkEvents {
  change: [status: LinkStatus];
}

/** Refresh when this share of the granted time has passed. */
const REFRESH_AT = 0.75;

/**
 * Our registration with one upper platform: REGISTER (answering a 401/407 digest challenge),
 * refresh before expiry, keepalive MESSAGEs, and after a failure (no answer, refused, missed
 * keepalives, failed refresh) registering again with exponential backoff. Owned by the
 * CascadeService; stop() ends it (unregistering when asked). Every attempt carries a generation
 * number so that a late answer to an abandoned attempt changes nothing.
 */
export class UpperLink extends EventEmitter<UpperLinkEvents> {
  private readonly addressing: UpperAddressing;
  private readonly callId: string;
  private readonly fromTag = generateTag();
  private cseq = 0;
  private keepaliveSn = 0;
  private digest: DigestClient | null;
  /** The last challenge, answered up front on refreshes (saves a round trip until the nonce goes stale). */
  private challenge: { value: DigestChallenge; header: 'Authorization' | 'Proxy-Authorization' } | null = null;
  private generation = 0;
  private retryTimer: NodeJS.Timeout | null = null;
  private refreshTimer: NodeJS.Timeout | null = null;
  private keepaliveTimer: NodeJS.Timeout | null = null;
  private keepaliveInFlight = false;
  private current: LinkStatus;

  constructor(
    /** Replaced by the service when fields that do not touch the registration change (charset, items per message...). */
    public upper: UpperPlatform,
    localId: string,
    platform: PlatformIdentity,
    private readonly sip: SipRequester,
    private readonly logger: Logger,
    private readonly options: UpperLinkOptions,
  ) {
    super();
    this.addressing = { upper, localId, platform };
    this.callId = generateCallId(platform.host);
    this.digest = upper.password !== null ? new DigestClient(localId, upper.password) : null;
    this.current = {
      upperId: upper.upperId,
      state: upper.enabled ? 'registering' : 'disabled',
      reason: null,
      since: Date.now(),
      registeredAt: null,
      expiresAt: null,
      lastKeepaliveAt: null,
      keepaliveFailures: 0,
      failedAttempts: 0,
      nextAttemptAt: null,
    };
  }

  get localId(): string {
    return this.addressing.localId;
  }

  get status(): LinkStatus {
    return { ...this.current };
  }

  get registered(): boolean {
    return this.current.state === 'registered';
  }

  /** Starts registering (enabled uppers). */
  start(): void {
    if (!this.upper.enabled) return;
    void this.register('start');
  }

  /** A MANSCDP MESSAGE to the upper (answers, notifications); the upper's final response. */
  sendManscdp(xmlText: string, opts: RequestOptions = {}): Promise<SipResponse> {
    const body = encodeForUpper(xmlText, this.upper.charset);
    return this.sip.request(buildUpperMessage(this.addressing, body), upperPeer(this.upper), {
      timeoutMs: this.options.requestTimeoutMs,
      ...opts,
    });
  }

  /** Ends the link: timers stopped, and with `unregister` a REGISTER with Expires 0 when registered. */
  async stop(unregister: boolean, state: LinkState = 'stopped'): Promise<void> {
    const wasRegistered = this.current.state === 'registered';
    this.generation++;
    this.clearTimers();
    this.setState(state, null, { expiresAt: null, nextAttemptAt: null });
    if (!unregister || !wasRegistered) return;
    try {
      const response = await this.sendRegister(0, this.generation);
      this.logger.info({ status: response?.status }, 'unregistered from the upper platform');
    } catch (err) {
      this.logger.info({ err }, 'unregister from the upper platform got no answer');
    }
  }

  private async register(why: string): Promise<void> {
    const generation = ++this.generation;
    this.clearRetry();
    const refreshing = this.current.state === 'registered';
    // A failing link stays 'failing' (with its reason and since) until an attempt succeeds.
    if (this.current.state === 'failing') this.current = { ...this.current, nextAttemptAt: null };
    else if (!refreshing) this.setState('registering', null, { nextAttemptAt: null });
    let response: SipResponse | null;
    try {
      response = await this.sendRegister(this.upper.registerExpiresSec, generation);
    } catch (err) {
      if (generation !== this.generation) return;
      this.fail(refreshing ? 'refresh-timeout' : describeError(err));
      return;
    }
    if (generation !== this.generation) return;
    if (response === null) {
      this.fail('auth-rejected: challenged again and again');
      return;
    }
    if (response.status >= 200 && response.status < 300) {
      this.onRegistered(response, why);
      return;
    }
    const reason = response.status === 401 || response.status === 407 || response.status === 403 ? 'auth-rejected' : 'rejected';
    this.fail(`${refreshing ? 'refresh ' : ''}${reason}: ${response.status} ${response.reason}`);
  }

  /**
   * One REGISTER transaction, answering up to two challenges (the second only when the first
   * answer was stale). Null when the attempt was abandoned meanwhile.
   */
  private async sendRegister(expires: number, generation: number): Promise<SipResponse | null> {
    let answering = this.challenge !== null;
    for (let round = 0; round < 3; round++) {
      const request = buildRegister(
        this.addressing,
        { callId: this.callId, fromTag: this.fromTag, cseq: ++this.cseq },
        expires,
        this.authorization(),
      );
      const response = await this.sip.request(request, upperPeer(this.upper), { timeoutMs: this.options.requestTimeoutMs });
      if (generation !== this.generation && expires !== 0) return null;
      if (response.status !== 401 && response.status !== 407) return response;
      const header = response.status === 401 ? 'www-authenticate' : 'proxy-authenticate';
      const read = readDigestChallenge(response.headers.get(header));
      if (!read.ok || this.digest === null) return response;
      // Credentials computed for a fresh challenge were refused and the nonce was not merely stale: a wrong password.
      if (answering && round > 0 && !read.challenge.stale) return response;
      this.challenge = { value: read.challenge, header: response.status === 401 ? 'Authorization' : 'Proxy-Authorization' };
      answering = true;
    }
    return null;
  }

  private authorization(): { header: 'Authorization' | 'Proxy-Authorization'; value: string } | undefined {
    if (this.challenge === null || this.digest === null) return undefined;
    const value = this.digest.authorize(this.challenge.value, 'REGISTER', upperUri(this.upper));
    return value === null ? undefined : { header: this.challenge.header, value };
  }

  private onRegistered(response: SipResponse, why: string): void {
    const now = Date.now();
    const granted = grantedExpires(response, this.upper.registerExpiresSec);
    const fresh = this.current.state !== 'registered';
    this.setState('registered', null, {
      registeredAt: fresh ? now : this.current.registeredAt,
      expiresAt: now + granted * 1000,
      failedAttempts: 0,
      nextAttemptAt: null,
      keepaliveFailures: 0,
    }, !fresh);
    if (fresh) this.logger.info({ expires: granted, why }, 'registered with the upper platform');
    const generation = this.generation;
    this.refreshTimer = setTimeout(() => {
      if (generation === this.generation) void this.register('refresh');
    }, Math.max(500, granted * 1000 * REFRESH_AT));
    this.refreshTimer.unref();
    if (this.keepaliveTimer === null) {
      this.keepaliveTimer = setInterval(() => void this.keepalive(), this.upper.keepaliveIntervalSec * 1000);
      this.keepaliveTimer.unref();
    }
  }

  private async keepalive(): Promise<void> {
    if (this.keepaliveInFlight || this.current.state !== 'registered') return;
    this.keepaliveInFlight = true;
    const generation = this.generation;
    const xml = buildManscdp('Notify', 'Keepalive', ++this.keepaliveSn, this.localId, [['Status', 'OK']], { charset: this.upper.charset });
    let ok = false;
    let refused = false;
    try {
      const response = await this.sendManscdp(xml, { timeoutMs: Math.min(this.options.requestTimeoutMs, this.upper.keepaliveIntervalSec * 1000) });
      ok = response.status >= 200 && response.status < 300;
      // An upper that lost our registration (restart) refuses keepalives: register again at once.
      refused = response.status >= 400 && response.status < 500;
    } catch {
      ok = false;
    } finally {
      this.keepaliveInFlight = false;
    }
    if (generation !== this.generation || this.current.state !== 'registered') return;
    if (ok) {
      this.current = { ...this.current, lastKeepaliveAt: Date.now(), keepaliveFailures: 0 };
      return;
    }
    const failures = this.current.keepaliveFailures + 1;
    this.current = { ...this.current, keepaliveFailures: failures };
    this.logger.warn({ failures }, 'keepalive to the upper platform failed');
    if (refused) this.fail('keepalive-refused');
    else if (failures >= this.upper.keepaliveTimeoutCount) this.fail('keepalive-timeout');
  }

  private fail(reason: string): void {
    this.generation++;
    this.clearTimers();
    const failedAttempts = this.current.failedAttempts + 1;
    const delay = backoffMs(failedAttempts, this.options.retryMinMs, this.options.retryMaxMs);
    const nextAttemptAt = Date.now() + delay;
    this.setState('failing', reason, { failedAttempts, nextAttemptAt, expiresAt: null });
    this.logger.warn({ reason, failedAttempts, retryInMs: delay }, 'upper platform link failing');
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      void this.register('retry');
    }, delay);
    this.retryTimer.unref();
  }

  private setState(state: LinkState, reason: string | null, extra: Partial<LinkStatus> = {}, quiet = false): void {
    const changed = state !== this.current.state || reason !== this.current.reason;
    this.current = { ...this.current, ...extra, state, reason, since: changed ? Date.now() : this.current.since };
    if (changed && !quiet) this.emit('change', this.status);
  }

  private clearRetry(): void {
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    this.retryTimer = null;
  }

  private clearTimers(): void {
    this.clearRetry();
    if (this.refreshTimer !== null) clearTimeout(this.refreshTimer);
    this.refreshTimer = null;
    if (this.keepaliveTimer !== null) clearInterval(this.keepaliveTimer);
    this.keepaliveTimer = null;
  }
}

/** Exponential, capped, with up to 20 % jitter so that many lower platforms do not retry in step. */
export function backoffMs(failedAttempts: number, minMs: number, maxMs: number): number {
  const base = Math.min(maxMs, minMs * 2 ** Math.min(30, Math.max(0, failedAttempts - 1)));
  return Math.round(Math.min(maxMs, base * (1 + Math.random() * 0.2)));
}

/**
 * The registration time the upper granted: Expires, else our Contact's expires, else what we asked
 * for. Never more than we asked (RFC 3261 10.3 lets a registrar shorten it only): a huge value
 * would overflow the refresh timer, which then fires at once, again and again.
 */
export function grantedExpires(response: SipResponse, asked: number): number {
  const header = Number.parseInt(response.headers.get('expires') ?? '', 10);
  if (Number.isFinite(header) && header > 0) return Math.min(header, asked);
  const contact = /;\s*expires\s*=\s*(\d+)/i.exec(response.headers.get('contact') ?? '');
  const fromContact = contact ? Number(contact[1]) : NaN;
  return Number.isFinite(fromContact) && fromContact > 0 ? Math.min(fromContact, asked) : asked;
}

function describeError(err: unknown): string {
  if (err instanceof SipTimeoutError) return 'timeout';
  return `error: ${err instanceof Error ? err.message : String(err)}`;
}
