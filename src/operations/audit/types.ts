import type { Page } from '../../storage/types';

/**
 * Who called the API, as the token says: the API token is an operator, the privileged token an
 * investigator (identifiers unmasked only when the request also says `X-Gbvms-Role: investigator`),
 * the door ingest token a vendor gateway (POST /api/v1/door-events only).
 */
export type CallerRole = 'operator' | 'privileged' | 'ingest';

export interface Caller {
  role: CallerRole;
  /** Who, as the client says (X-Gbvms-User), else the role: written to the audit log. */
  actor: string;
  /** Personal identifiers are shown in full (and each such read is audited). */
  unmasked: boolean;
}

/** One line of the audit log: unmasked reads of personal data, remote door opening. */
export interface AuditEntry {
  id: number;
  at: number;
  actor: string;
  role: string;
  /** 'door-events.read', 'door-events.photo', 'watchlist.read', 'watchlist-alerts.read', 'door.open'. */
  action: string;
  /** What was read or acted on: record IDs, a device ID. */
  target: string | null;
  result: string | null;
  detail: Record<string, unknown> | null;
}

export type AuditInput = Omit<AuditEntry, 'id'>;

export interface AuditQuery {
  action?: string;
  actor?: string;
  from?: number;
  to?: number;
  offset: number;
  limit: number;
}

/** Append-only; newest first when listed. Adapters: audit/store-sqlite.ts, audit/store-mongo.ts. */
export interface AuditStore {
  init(): Promise<void>;
  append(entry: AuditInput): Promise<void>;
  list(query: AuditQuery): Promise<Page<AuditEntry>>;
}
