import { parseGbTime } from '../../sip/device/gb-time';

/** [from, to) in ms UTC of a calendar month ("2026-10") in the given zone; null for a bad month. */
export function monthRange(month: string, timeZone: string): { from: number; to: number } | null {
  const m = /^(\d{4})-(0[1-9]|1[0-2])$/.exec(month);
  if (!m) return null;
  const year = Number(m[1]);
  const index = Number(m[2]);
  const next = index === 12 ? `${year + 1}-01` : `${year}-${String(index + 1).padStart(2, '0')}`;
  const from = parseGbTime(`${month}-01T00:00:00`, timeZone);
  const to = parseGbTime(`${next}-01T00:00:00`, timeZone);
  return from === null || to === null ? null : { from, to };
}
