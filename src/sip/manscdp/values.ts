/**
 * Readers for the scalar values found in MANSCDP fields. Devices pad numbers with spaces, write
 * `null`, `0.0` or vendor words; every reader is total and returns null for what it cannot use.
 */
import type { ChannelStatus } from '../../storage/types';

const INTEGER = /^[+-]?\d{1,15}(?:\.0*)?$/;
const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d{1,3})?$/;

export function readInteger(text: string | null): number | null {
  if (text === null) return null;
  const t = text.trim();
  if (!INTEGER.test(t)) return null;
  const n = Math.trunc(Number(t));
  return Number.isSafeInteger(n) ? n : null;
}

export function readNonNegativeInteger(text: string | null): number | null {
  const n = readInteger(text);
  return n !== null && n >= 0 ? n : null;
}

export function readDecimal(text: string | null): number | null {
  if (text === null) return null;
  const t = text.trim();
  if (!DECIMAL.test(t)) return null;
  const n = Number(t);
  return Number.isFinite(n) ? n : null;
}

export function readPort(text: string | null): number | null {
  const n = readInteger(text);
  return n !== null && n >= 0 && n <= 65535 ? n : null;
}

/** Booleans as devices write them: 1/0, true/false, yes/no, ON/OFF. */
export function readFlag(text: string | null): boolean | null {
  if (text === null) return null;
  switch (text.trim().toUpperCase()) {
    case '1':
    case 'TRUE':
    case 'YES':
    case 'ON':
      return true;
    case '0':
    case 'FALSE':
    case 'NO':
    case 'OFF':
      return false;
    default:
      return null;
  }
}

/**
 * Catalog `Status` to our three states. The standard says ON/OFF; devices also send ONLINE,
 * OFFLINE, OK, 1/0. VLOST (video lost) and DEFECT count as off, as other platforms treat them.
 */
export function readChannelStatus(text: string | null): ChannelStatus {
  if (text === null) return 'UNKNOWN';
  switch (text.trim().toUpperCase()) {
    case 'ON':
    case 'ONLINE':
    case 'OK':
    case '1':
    case 'TRUE':
      return 'ON';
    case 'OFF':
    case 'OFFLINE':
    case '0':
    case 'FALSE':
    case 'VLOST':
    case 'DEFECT':
      return 'OFF';
    default:
      return 'UNKNOWN';
  }
}

/** DeviceStatus `Online`: ONLINE/OFFLINE in the standard, ON/OFF or OK from some devices. */
export function readOnline(text: string | null): boolean | null {
  if (text === null) return null;
  const status = readChannelStatus(text);
  return status === 'UNKNOWN' ? null : status === 'ON';
}

export function readUpper(text: string | null): string | null {
  return text === null ? null : text.toUpperCase();
}
