import type { FaultKind, FaultTicket } from './types';

export interface FaultDeadlines {
  responseMs: number;
  frontEndRepairMs: number;
  networkRepairMs: number;
  noSpareFibreRepairMs: number;
}

/** Deadlines run from the ticket's opening (when the platform reports the fault). */
export function deadlinesFor(kind: FaultKind, noSpareFibre: boolean, openedAt: number, d: FaultDeadlines): { responseDeadline: number; repairDeadline: number } {
  const repair = kind === 'front-end' ? d.frontEndRepairMs : noSpareFibre ? d.noSpareFibreRepairMs : d.networkRepairMs;
  return { responseDeadline: openedAt + d.responseMs, repairDeadline: openedAt + repair };
}

/**
 * Flags the deadlines that have passed by `now` and were not yet flagged; returns which. A
 * ticket acknowledged before its response deadline never breaches it; one resolved before its
 * repair deadline never breaches that. The breach time is the deadline itself.
 */
export function newBreaches(t: FaultTicket, now: number): Array<'response' | 'repair'> {
  const found: Array<'response' | 'repair'> = [];
  const answeredAt = t.acknowledgedAt ?? t.resolvedAt;
  if (t.responseBreachedAt === null && now >= t.responseDeadline && (answeredAt === null || answeredAt > t.responseDeadline)) {
    t.responseBreachedAt = t.responseDeadline;
    found.push('response');
  }
  if (t.repairBreachedAt === null && now >= t.repairDeadline && (t.resolvedAt === null || t.resolvedAt > t.repairDeadline)) {
    t.repairBreachedAt = t.repairDeadline;
    found.push('repair');
  }
  return found;
}
