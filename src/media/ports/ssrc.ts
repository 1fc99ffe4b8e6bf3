/**
 * GB/T 28181-2022 Annex G, y= field: ten decimal digits `dddddddddd`.
 * - digit 1: 0 live (Play), 1 history (Playback, Download);
 * - digits 2-6: the domain tag, digits 4-8 of the 20-digit SIP domain ID
 *   (the standard's example: `13010000002000000001` gives `10000`);
 * - digits 7-10: a stream number unique among the domain's current streams.
 * The RTP SSRC is the decimal value of those digits.
 */

export type SsrcKind = 'live' | 'history';

const MAX_SSRC = 0xffffffff;
const SEQUENCE_SPACE = 10000;

/** Digits 4-8 of a 20-digit platform (domain) ID, or of a 10-digit domain: the SSRC's domain tag. */
export function ssrcRealmDigits(platformId: string): string {
  if (!/^\d{8,20}$/.test(platformId)) {
    throw new RangeError(`a platform ID of digits is needed for the SSRC domain tag, got ${JSON.stringify(platformId)}`);
  }
  return platformId.slice(3, 8);
}

/**
 * The y= value for a new stream. `sequence` wraps modulo 10000, so a running counter can be passed;
 * the caller (the SSRC allocator) keeps it unique among live streams.
 */
export function makeSsrc(kind: SsrcKind, realmDigits: string, sequence: number): string {
  if (!/^\d{5}$/.test(realmDigits)) {
    throw new RangeError(`the SSRC domain tag is 5 digits, got ${JSON.stringify(realmDigits)}`);
  }
  if (!Number.isSafeInteger(sequence) || sequence < 0) {
    throw new RangeError(`the SSRC sequence is a non-negative integer, got ${sequence}`);
  }
  const lead = kind === 'live' ? '0' : '1';
  return `${lead}${realmDigits}${String(sequence % SEQUENCE_SPACE).padStart(4, '0')}`;
}

/** The RTP SSRC a y= string stands for; null unless 1-10 digits with a value that fits 32 bits. */
export function ssrcToNumber(y: string): number | null {
  if (!/^\d{1,10}$/.test(y)) return null;
  const n = Number(y);
  return n <= MAX_SSRC ? n : null;
}

/** True for a y= value that `makeSsrc` marks as history (Playback or Download). */
export function isHistorySsrc(y: string): boolean {
  return y.length === 10 && y.startsWith('1');
}
