import { buildManscdp, childText, type ManscdpDocument } from '../manscdp';

/** Notify Broadcast (A.2.5.5): SourceID is the audio input (us), TargetID the audio output (the device or its channel). */
export function buildBroadcastNotify(sn: number, sourceId: string, targetId: string): string {
  return buildManscdp('Notify', 'Broadcast', sn, null, [
    ['SourceID', sourceId],
    ['TargetID', targetId],
  ]);
}

/** Response Broadcast (A.2.6.11): Result OK, or anything else (ERROR, missing) as a refusal. */
export function readBroadcastResult(doc: ManscdpDocument): { ok: boolean; result: string | null } {
  const result = childText(doc.element, 'Result')?.trim().toUpperCase() ?? null;
  return { ok: result === 'OK', result };
}
