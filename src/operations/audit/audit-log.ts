import type { Logger } from '../../logger';
import type { AuditStore, Caller } from './types';

/**
 * Writes audit lines. Unmasked reads use `mustRecord` (fail closed: no audit line, no data);
 * actions already done (a door opened) use `record`, which logs a failed write instead.
 */
export class AuditLog {
  constructor(
    readonly store: AuditStore,
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  async mustRecord(caller: Caller, action: string, target: string | null, result: string | null, detail: Record<string, unknown> | null = null): Promise<void> {
    await this.store.append({ at: this.now(), actor: caller.actor, role: caller.role, action, target, result, detail });
  }

  async record(caller: Caller, action: string, target: string | null, result: string | null, detail: Record<string, unknown> | null = null): Promise<void> {
    try {
      await this.mustRecord(caller, action, target, result, detail);
    } catch (err) {
      this.logger.error({ err, action, target, result, actor: caller.actor }, 'audit log write failed');
    }
  }
}
