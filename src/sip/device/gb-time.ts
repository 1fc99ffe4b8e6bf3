/**
 * GB/T 28181 carries local wall-clock times without a zone ("2024-05-17T14:07:33.263"), in the
 * platform's configured zone. Inside gbvms every time is epoch ms UTC; these convert at the edge.
 */
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-CA', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

function formatWithIntl(epochMs: number, timeZone: string): string {
  const parts: Record<string, string> = {};
  for (const p of formatterFor(timeZone).formatToParts(new Date(epochMs))) parts[p.type] = p.value;
  return `${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}:${parts.second}`;
}

// Intl formatting costs tens of microseconds and every REGISTER answer carries a Date header:
// the zone's offset is cached per quarter hour (offsets change at most on quarter hours).
const QUARTER_HOUR = 15 * 60 * 1000;
const offsetCache = new Map<string, { slot: number; offset: number }>();

/** Offset of the zone from UTC at the given instant, in ms. */
function zoneOffsetMs(epochMs: number, timeZone: string): number {
  const slot = Math.floor(epochMs / QUARTER_HOUR);
  const cached = offsetCache.get(timeZone);
  if (cached && cached.slot === slot) return cached.offset;
  const start = slot * QUARTER_HOUR;
  const offset = Date.parse(`${formatWithIntl(start, timeZone)}Z`) - start;
  offsetCache.set(timeZone, { slot, offset });
  return offset;
}

/** "YYYY-MM-DDTHH:mm:ss" (withMillis: ".SSS" appended) in the given zone. */
export function formatGbTime(epochMs: number, timeZone: string, withMillis = false): string {
  const iso = new Date(epochMs + zoneOffsetMs(epochMs, timeZone)).toISOString();
  return withMillis ? iso.slice(0, 23) : iso.slice(0, 19);
}

/** Parses a GB local time ("2024-05-17T14:07:33" or with a space, with or without millis); null when invalid. */
export function parseGbTime(text: string, timeZone: string): number | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,3}))?$/.exec(text.trim());
  if (!m) return null;
  const asUtc = Date.parse(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}.${(m[7] ?? '0').padEnd(3, '0')}Z`);
  if (Number.isNaN(asUtc)) return null;
  return asUtc - zoneOffsetMs(asUtc, timeZone);
}
