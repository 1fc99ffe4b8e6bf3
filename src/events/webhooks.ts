import { randomBytes } from 'node:crypto';
import { AppError } from '../errors';
import type { Logger } from '../logger';
import type { EventHub, EventSubscription } from './event-hub';
import { signWebhookBody } from './signature';
import { EMPTY_DELIVERY_STATS, type StoredWebhook, type WebhookDeliveryStats, type WebhookStore } from './store/port';
import { topicMatches } from './topic-filter';
import type { PlatformEvent } from './types';

export interface WebhookOptions {
  /** Attempts per event, the first included. */
  attempts: number;
  /** Wait before the 2nd attempt; doubles for each later one (1 s, 2 s, 4 s ...). */
  backoffMs: number;
  /** Longest wait between two attempts. */
  maxBackoffMs: number;
  /** Time for the receiver to answer one POST. */
  timeoutMs: number;
  /** Events waiting per webhook; beyond it the oldest waiting one is dropped (counted as failed). */
  queueLimit: number;
  /** How often the webhook list is re-read (webhooks added through another node). */
  reloadMs: number;
}

/** One attempt, as GET /webhooks/{id} shows it. */
export interface DeliveryAttempt {
  eventId: string;
  topic: string;
  attempt: number;
  /** HTTP status; 0 when no answer came. */
  status: number;
  error: string | null;
  at: number;
  durationMs: number;
}

/** A webhook as the API shows it: the secret is only shown once, when it is created. */
export interface WebhookView {
  id: string;
  url: string;
  topics: string[];
  createdAt: number;
  delivery: WebhookDeliveryStats & { pending: number; recent: DeliveryAttempt[] };
}

interface Runtime {
  hook: StoredWebhook;
  queue: PlatformEvent[];
  running: boolean;
  recent: DeliveryAttempt[];
  abort: AbortController;
  wait: { timer: NodeJS.Timeout; resolve: () => void } | null;
}

const RECENT_ATTEMPTS = 20;

/**
 * Delivers hub events to webhooks: a JSON POST of the event, signed with the webhook's secret
 * (X-Gbvms-Signature: sha256=<hex HMAC of the body>), retried with exponential backoff. Each
 * webhook has its own queue worked in order, so a slow or dead receiver delays only itself and
 * publishers never wait.
 */
export class Webhooks {
  private readonly hooks = new Map<string, Runtime>();
  private subscription: EventSubscription | null = null;
  private reloadTimer: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(
    private readonly hub: EventHub,
    private readonly store: WebhookStore,
    private readonly options: WebhookOptions,
    private readonly logger: Logger,
  ) {}

  async start(): Promise<void> {
    await this.store.init();
    await this.reload();
    this.subscription = this.hub.subscribe([], (event) => this.enqueue(event));
    this.reloadTimer = setInterval(() => {
      this.reload().catch((err: unknown) => this.logger.warn({ err }, 'webhook list reload failed'));
    }, this.options.reloadMs);
    this.reloadTimer.unref();
  }

  async create(input: { url: string; topics: string[]; secret?: string | undefined }): Promise<WebhookView & { secret: string }> {
    const hook: StoredWebhook = {
      id: `wh_${randomBytes(12).toString('hex')}`,
      url: input.url,
      topics: input.topics,
      secret: input.secret ?? randomBytes(24).toString('base64url'),
      createdAt: Date.now(),
      delivery: { ...EMPTY_DELIVERY_STATS },
    };
    await this.store.create(hook);
    this.adopt(hook);
    this.logger.info({ webhookId: hook.id, url: hook.url, topics: hook.topics }, 'webhook added');
    return { ...this.viewOf(hook), secret: hook.secret };
  }

  async list(): Promise<WebhookView[]> {
    return (await this.store.list()).map((h) => this.viewOf(h));
  }

  async get(id: string): Promise<WebhookView> {
    const hook = await this.store.get(id);
    if (!hook) throw new AppError('not_found', `webhook ${id} is not known`);
    return this.viewOf(hook);
  }

  async delete(id: string): Promise<void> {
    if (!(await this.store.delete(id))) throw new AppError('not_found', `webhook ${id} is not known`);
    this.drop(id);
    this.logger.info({ webhookId: id }, 'webhook removed');
  }

  /** Stops delivery: in-flight POSTs are aborted and waiting events dropped. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.subscription?.close();
    if (this.reloadTimer) clearInterval(this.reloadTimer);
    for (const id of [...this.hooks.keys()]) this.drop(id);
  }

  private viewOf(hook: StoredWebhook): WebhookView {
    const rt = this.hooks.get(hook.id);
    const delivery = rt?.hook.delivery ?? hook.delivery;
    return {
      id: hook.id,
      url: hook.url,
      topics: hook.topics,
      createdAt: hook.createdAt,
      delivery: { ...delivery, pending: rt?.queue.length ?? 0, recent: [...(rt?.recent ?? [])] },
    };
  }

  private async reload(): Promise<void> {
    const stored = await this.store.list();
    if (this.closed) return;
    const ids = new Set(stored.map((h) => h.id));
    for (const hook of stored) if (!this.hooks.has(hook.id)) this.adopt(hook);
    for (const id of [...this.hooks.keys()]) if (!ids.has(id)) this.drop(id);
  }

  private adopt(hook: StoredWebhook): void {
    if (this.closed || this.hooks.has(hook.id)) return;
    this.hooks.set(hook.id, { hook: { ...hook, delivery: { ...hook.delivery } }, queue: [], running: false, recent: [], abort: new AbortController(), wait: null });
  }

  private drop(id: string): void {
    const rt = this.hooks.get(id);
    if (!rt) return;
    this.hooks.delete(id);
    rt.queue.length = 0;
    rt.abort.abort();
    if (rt.wait) {
      clearTimeout(rt.wait.timer);
      rt.wait.resolve();
    }
  }

  private enqueue(event: PlatformEvent): void {
    for (const rt of this.hooks.values()) {
      if (!topicMatches(rt.hook.topics, event.topic)) continue;
      rt.queue.push(event);
      if (rt.queue.length > this.options.queueLimit) {
        const dropped = rt.queue.shift();
        rt.hook.delivery.failed++;
        this.logger.warn({ webhookId: rt.hook.id, eventId: dropped?.id }, 'webhook queue full: oldest event dropped');
      }
      if (!rt.running) {
        rt.running = true;
        // Off the publisher's turn: even starting a POST (the first fetch loads its client) must not delay it.
        setImmediate(() => void this.work(rt));
      }
    }
  }

  private async work(rt: Runtime): Promise<void> {
    try {
      while (rt.queue.length > 0 && this.hooks.get(rt.hook.id) === rt) {
        const event = rt.queue.shift();
        if (event) await this.deliver(rt, event);
      }
    } catch (err) {
      this.logger.error({ err, webhookId: rt.hook.id }, 'webhook worker failed');
    } finally {
      rt.running = false;
    }
  }

  private async deliver(rt: Runtime, event: PlatformEvent): Promise<void> {
    const body = Buffer.from(JSON.stringify(event));
    const stats = rt.hook.delivery;
    for (let attempt = 1; attempt <= this.options.attempts; attempt++) {
      if (rt.abort.signal.aborted) return;
      const outcome = await this.post(rt, event, body);
      const at = Date.now();
      rt.recent.push({ eventId: event.id, topic: event.topic, attempt, status: outcome.status, error: outcome.error, at, durationMs: outcome.durationMs });
      if (rt.recent.length > RECENT_ATTEMPTS) rt.recent.shift();
      stats.lastStatus = outcome.status;
      stats.lastError = outcome.error;
      stats.lastAttemptAt = at;
      if (outcome.error === null) {
        stats.delivered++;
        stats.consecutiveFailures = 0;
        stats.lastSuccessAt = at;
        this.persist(rt);
        return;
      }
      stats.consecutiveFailures++;
      this.logger.debug({ webhookId: rt.hook.id, eventId: event.id, attempt, status: outcome.status, error: outcome.error }, 'webhook attempt failed');
      if (attempt < this.options.attempts) {
        this.persist(rt);
        await this.sleep(rt, Math.min(this.options.maxBackoffMs, this.options.backoffMs * 2 ** (attempt - 1)));
      }
    }
    if (rt.abort.signal.aborted) return;
    stats.failed++;
    this.persist(rt);
    this.logger.warn({ webhookId: rt.hook.id, url: rt.hook.url, eventId: event.id, attempts: this.options.attempts, status: stats.lastStatus, error: stats.lastError }, 'webhook delivery given up');
  }

  private async post(rt: Runtime, event: PlatformEvent, body: Buffer): Promise<{ status: number; error: string | null; durationMs: number }> {
    const started = performance.now();
    const signal = AbortSignal.any([rt.abort.signal, AbortSignal.timeout(this.options.timeoutMs)]);
    try {
      const res = await fetch(rt.hook.url, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          'User-Agent': 'gbvms-webhook/1',
          'X-Gbvms-Event-Id': event.id,
          'X-Gbvms-Topic': event.topic,
          'X-Gbvms-Signature': signWebhookBody(rt.hook.secret, body),
        },
        body,
        redirect: 'manual',
        signal,
      });
      await res.body?.cancel().catch(() => undefined);
      const durationMs = performance.now() - started;
      return res.status >= 200 && res.status < 300 ? { status: res.status, error: null, durationMs } : { status: res.status, error: `HTTP ${res.status}`, durationMs };
    } catch (err) {
      const durationMs = performance.now() - started;
      const name = err instanceof Error ? err.name : '';
      const message = name === 'TimeoutError' ? `no answer within ${this.options.timeoutMs} ms` : describeFetchError(err);
      return { status: 0, error: message, durationMs };
    }
  }

  private sleep(rt: Runtime, ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        rt.wait = null;
        resolve();
      }, ms);
      rt.wait = { timer, resolve };
    });
  }

  private persist(rt: Runtime): void {
    this.store.saveDelivery(rt.hook.id, { ...rt.hook.delivery }).catch((err: unknown) => {
      this.logger.warn({ err, webhookId: rt.hook.id }, 'could not save the webhook delivery log');
    });
  }
}

function describeFetchError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = (err as Error & { cause?: unknown }).cause;
  if (cause instanceof Error) return `${err.message}: ${cause.message}`;
  return err.message;
}
