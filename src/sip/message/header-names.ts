/**
 * Header names: the lower-case long form we store, and the spelling we put on the wire.
 */

/** RFC 3261 §7.3.3 compact forms plus the ones from RFC 3265/3515/3892/4028. */
const COMPACT_FORMS: Readonly<Record<string, string>> = {
  i: 'call-id',
  m: 'contact',
  e: 'content-encoding',
  l: 'content-length',
  c: 'content-type',
  f: 'from',
  s: 'subject',
  k: 'supported',
  t: 'to',
  v: 'via',
  o: 'event',
  u: 'allow-events',
  r: 'refer-to',
  b: 'referred-by',
  x: 'session-expires',
};

/** Spellings that simple Title-Case would get wrong, or that are common enough to skip computing. */
const WIRE_NAMES = new Map<string, string>([
  ['via', 'Via'],
  ['from', 'From'],
  ['to', 'To'],
  ['call-id', 'Call-ID'],
  ['cseq', 'CSeq'],
  ['contact', 'Contact'],
  ['max-forwards', 'Max-Forwards'],
  ['user-agent', 'User-Agent'],
  ['expires', 'Expires'],
  ['content-type', 'Content-Type'],
  ['content-length', 'Content-Length'],
  ['content-encoding', 'Content-Encoding'],
  ['route', 'Route'],
  ['record-route', 'Record-Route'],
  ['www-authenticate', 'WWW-Authenticate'],
  ['authorization', 'Authorization'],
  ['proxy-authenticate', 'Proxy-Authenticate'],
  ['proxy-authorization', 'Proxy-Authorization'],
  ['authentication-info', 'Authentication-Info'],
  ['date', 'Date'],
  ['allow', 'Allow'],
  ['supported', 'Supported'],
  ['require', 'Require'],
  ['subject', 'Subject'],
  ['event', 'Event'],
  ['allow-events', 'Allow-Events'],
  ['subscription-state', 'Subscription-State'],
  ['refer-to', 'Refer-To'],
  ['referred-by', 'Referred-By'],
  ['session-expires', 'Session-Expires'],
  ['min-expires', 'Min-Expires'],
  ['min-se', 'Min-SE'],
  ['sip-etag', 'SIP-ETag'],
  ['sip-if-match', 'SIP-If-Match'],
  ['mime-version', 'MIME-Version'],
  ['rack', 'RAck'],
  ['rseq', 'RSeq'],
  ['call-info', 'Call-Info'],
  ['p-asserted-identity', 'P-Asserted-Identity'],
  // GB/T 28181-2022 §9 / appendix extensions
  ['x-gb-ver', 'X-GB-Ver'],
  ['x-routepath', 'X-RoutePath'],
  ['x-preferredpath', 'X-PreferredPath'],
  ['monitor-user-identity', 'Monitor-User-Identity'],
]);

/** Title-Cased spellings computed for unknown names, bounded so hostile peers cannot grow it forever. */
const computedWireNames = new Map<string, string>();
const COMPUTED_WIRE_NAMES_LIMIT = 512;

/** Canonical storage form of a header name: lower-case, compact forms expanded ("i" -> "call-id"). */
export function canonicalHeaderName(name: string): string {
  const lower = name.toLowerCase();
  if (lower.length === 1) return COMPACT_FORMS[lower] ?? lower;
  return lower;
}

/** The spelling used when serializing: known names as RFCs write them, others Title-Cased per dash segment. */
export function wireHeaderName(name: string): string {
  return wireNameOfCanonical(canonicalHeaderName(name));
}

/** wireHeaderName for a name already in canonical form (the serializer's hot path). */
export function wireNameOfCanonical(canonical: string): string {
  const known = WIRE_NAMES.get(canonical) ?? computedWireNames.get(canonical);
  if (known !== undefined) return known;
  const out = titleCase(canonical);
  if (computedWireNames.size < COMPUTED_WIRE_NAMES_LIMIT) computedWireNames.set(canonical, out);
  return out;
}

function titleCase(canonical: string): string {
  let out = '';
  let upper = true;
  for (let i = 0; i < canonical.length; i++) {
    const ch = canonical[i] as string;
    out += upper ? ch.toUpperCase() : ch;
    upper = ch === '-';
  }
  return out;
}

/** Headers whose comma-joined values are separate elements (RFC 3261 §7.3.1). */
const LIST_HEADERS = new Set([
  'via',
  'contact',
  'route',
  'record-route',
  'allow',
  'supported',
  'require',
  'proxy-require',
  'unsupported',
  'allow-events',
  'accept',
  'accept-encoding',
  'accept-language',
  'content-encoding',
]);

/** Whether getAll may split this (canonical) header's values on top-level commas. */
export function isListHeader(canonicalName: string): boolean {
  return LIST_HEADERS.has(canonicalName);
}
