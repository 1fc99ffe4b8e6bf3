import { readGbDateTime } from '../sip/manscdp/record-info';

const COMPACT = /^(\d{4})(\d{2})(\d{2})T?(\d{2})(\d{2})(\d{2})$/;
const EPOCH = /^\d{10}(?:\d{3})?$/;

/**
 * A device's alarm or position time as epoch ms, or null. The standard's form is local time
 * without a zone ("2024-05-17T14:07:33", read in `timeZone`); devices also send a space for the
 * T, unpadded fields, fractions, a zone suffix, slashes ("2024/05/17 14:07:33"), the compact
 * "20240517T140733" or "20240517140733", and epoch seconds or milliseconds.
 */
export function readDeviceTime(text: string | null, timeZone: string): number | null {
  if (text === null) return null;
  const t = text.trim();
  if (t.length === 0 || t.length > 64) return null;
  if (EPOCH.test(t)) {
    const n = Number(t);
    const ms = t.length === 10 ? n * 1000 : n;
    return ms > 0 ? ms : null;
  }
  const compact = COMPACT.exec(t);
  if (compact) return readGbDateTime(`${compact[1]}-${compact[2]}-${compact[3]}T${compact[4]}:${compact[5]}:${compact[6]}`, timeZone);
  return readGbDateTime(t.replace(/^(\d{4})\/(\d{1,2})\/(\d{1,2})/, '$1-$2-$3'), timeZone);
}
