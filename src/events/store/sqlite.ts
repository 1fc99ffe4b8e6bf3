import type { Database } from 'better-sqlite3';
import type { StoredWebhook, WebhookDeliveryStats, WebhookStore } from './port';

interface WebhookRow {
  id: string;
  url: string;
  topics: string;
  secret: string;
  createdAt: number;
  delivered: number;
  failed: number;
  consecutiveFailures: number;
  lastStatus: number | null;
  lastError: string | null;
  lastAttemptAt: number | null;
  lastSuccessAt: number | null;
}

function fromRow(row: WebhookRow): StoredWebhook {
  const topics = JSON.parse(row.topics) as unknown;
  return {
    id: row.id,
    url: row.url,
    topics: Array.isArray(topics) ? topics.filter((t): t is string => typeof t === 'string') : [],
    secret: row.secret,
    createdAt: row.createdAt,
    delivery: {
      delivered: row.delivered,
      failed: row.failed,
      consecutiveFailures: row.consecutiveFailures,
      lastStatus: row.lastStatus,
      lastError: row.lastError,
      lastAttemptAt: row.lastAttemptAt,
      lastSuccessAt: row.lastSuccessAt,
    },
  };
}

/** Webhooks in the SQLite index file (table from migration 4). */
export class SqliteWebhookStore implements WebhookStore {
  constructor(private readonly db: Database) {}

  async init(): Promise<void> {
    this.db.prepare('SELECT 1 FROM webhooks LIMIT 1').get();
  }

  async create(hook: StoredWebhook): Promise<void> {
    const d = hook.delivery;
    this.db
      .prepare(
        `INSERT INTO webhooks (id, url, topics, secret, createdAt, delivered, failed, consecutiveFailures, lastStatus, lastError, lastAttemptAt, lastSuccessAt)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(hook.id, hook.url, JSON.stringify(hook.topics), hook.secret, hook.createdAt, d.delivered, d.failed, d.consecutiveFailures, d.lastStatus, d.lastError, d.lastAttemptAt, d.lastSuccessAt);
  }

  async list(): Promise<StoredWebhook[]> {
    return this.db.prepare<[], WebhookRow>('SELECT * FROM webhooks ORDER BY createdAt, id').all().map(fromRow);
  }

  async get(id: string): Promise<StoredWebhook | null> {
    const row = this.db.prepare<[string], WebhookRow>('SELECT * FROM webhooks WHERE id = ?').get(id);
    return row ? fromRow(row) : null;
  }

  async delete(id: string): Promise<boolean> {
    return this.db.prepare('DELETE FROM webhooks WHERE id = ?').run(id).changes > 0;
  }

  async saveDelivery(id: string, s: WebhookDeliveryStats): Promise<void> {
    this.db
      .prepare(
        `UPDATE webhooks SET delivered = ?, failed = ?, consecutiveFailures = ?, lastStatus = ?, lastError = ?, lastAttemptAt = ?, lastSuccessAt = ? WHERE id = ?`,
      )
      .run(s.delivered, s.failed, s.consecutiveFailures, s.lastStatus, s.lastError, s.lastAttemptAt, s.lastSuccessAt, id);
  }
}
