import { maskIdentifier, maskName } from '../operations/audit/mask';
import type { AlarmRecord } from './store/port';

/*
 * Door hosts describe an unlock in the alarm text as `key=value` pairs (src/operations/doors/
 * alarm-mapping.ts), card numbers, person IDs and names among them. The door record keeps them
 * whole for investigators (masked and audited); the alarm as every operator, SSE client and
 * webhook sees it must not leak them, so their values are masked wherever an alarm leaves.
 */
const IDENTIFIER_KEYS = new Set(['card', 'cardno', 'cardnumber', 'person', 'personid', 'userid', 'employeeno']);
const NAME_KEYS = new Set(['name', 'personname', 'username']);
const PAIR = /(^|[;,&\n；，])(\s*)([A-Za-z]+)(\s*[=:：]\s*)([^;,&\n；，]*)/g;

/** The text with the values of card, person and name pairs masked; anything else unchanged. */
export function maskPersonalPairs(text: string): string {
  return text.replace(PAIR, (whole: string, sep: string, space: string, key: string, eq: string, value: string) => {
    const k = key.toLowerCase();
    const trimmed = value.trimEnd();
    if (trimmed === '') return whole;
    const trail = value.slice(trimmed.length);
    if (IDENTIFIER_KEYS.has(k)) return `${sep}${space}${key}${eq}${maskIdentifier(trimmed) ?? ''}${trail}`;
    if (NAME_KEYS.has(k)) return `${sep}${space}${key}${eq}${maskName(trimmed) ?? ''}${trail}`;
    return whole;
  });
}

/** The alarm as the API and the event stream show it: personal values in its texts masked. */
export function presentAlarm(alarm: AlarmRecord): AlarmRecord {
  return {
    ...alarm,
    description: alarm.description === null ? null : maskPersonalPairs(alarm.description),
    extraInfo: alarm.extraInfo.map(maskPersonalPairs),
  };
}
