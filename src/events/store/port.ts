/** A webhook as stored: where events go, which topics, and the secret that signs them. */
export interface StoredWebhook {
  /** wh_ + 24 hex digits. */
  id: string;
  url: string;
  /** Topic patterns ('alarm.*'); empty means every topic. */
  topics: string[];
  secret: string;
  createdAt: number;
  delivery: WebhookDeliveryStats;
}

/** The delivery log kept per webhook (the latest attempts themselves are kept in memory only). */
export interface WebhookDeliveryStats {
  /** Events the receiver accepted (2xx). */
  delivered: number;
  /** Events given up after every attempt failed. */
  failed: number;
  /** Failed attempts in a row (0 after a success). */
  consecutiveFailures: number;
  /** HTTP status of the last attempt; 0 when no answer came (refused, timeout). */
  lastStatus: number | null;
  lastError: string | null;
  lastAttemptAt: number | null;
  lastSuccessAt: number | null;
}

export const EMPTY_DELIVERY_STATS: Readonly<WebhookDeliveryStats> = Object.freeze({
  delivered: 0,
  failed: 0,
  consecutiveFailures: 0,
  lastStatus: null,
  lastError: null,
  lastAttemptAt: null,
  lastSuccessAt: null,
});

/**
 * Webhooks, kept in the index store's database (SQLite table `webhooks`, MongoDB collection
 * `webhooks`). Every adapter passes test/events/webhook-store.contract.ts.
 */
export interface WebhookStore {
  init(): Promise<void>;
  /** Adds a webhook; an id that exists is a conflict (rejects). */
  create(hook: StoredWebhook): Promise<void>;
  /** Oldest first. */
  list(): Promise<StoredWebhook[]>;
  get(id: string): Promise<StoredWebhook | null>;
  delete(id: string): Promise<boolean>;
  /** Replaces the delivery log; unknown ids are ignored (the webhook was deleted meanwhile). */
  saveDelivery(id: string, stats: WebhookDeliveryStats): Promise<void>;
}
