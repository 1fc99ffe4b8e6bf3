/** One alternative of a SETUP request's Transport header (RFC 2326 12.39) that this server can read. */
export interface TransportSpec {
  /** As the client wrote it: 'RTP/AVP', 'RTP/AVP/UDP' or 'RTP/AVP/TCP'. */
  protocol: string;
  lower: 'tcp' | 'udp';
  multicast: boolean;
  /** RTP and RTCP channels for TCP. */
  interleaved?: [number, number];
  /** RTP and RTCP ports of the client for UDP. */
  clientPort?: [number, number];
}

/**
 * The RTP/AVP alternatives in a Transport header, in the client's order of preference.
 * Alternatives with another profile or unreadable parameters are left out. Never throws.
 */
export function parseTransportHeader(value: string): TransportSpec[] {
  const specs: TransportSpec[] = [];
  for (const alternative of value.split(',')) {
    const spec = parseAlternative(alternative.trim());
    if (spec !== null) specs.push(spec);
  }
  return specs;
}

function parseAlternative(text: string): TransportSpec | null {
  const parts = text.split(';').map((p) => p.trim());
  const protocol = parts[0] ?? '';
  const upper = protocol.toUpperCase();
  if (upper !== 'RTP/AVP' && upper !== 'RTP/AVP/UDP' && upper !== 'RTP/AVP/TCP') return null;
  const spec: TransportSpec = { protocol, lower: upper === 'RTP/AVP/TCP' ? 'tcp' : 'udp', multicast: false };
  for (const part of parts.slice(1)) {
    const eq = part.indexOf('=');
    const name = (eq >= 0 ? part.slice(0, eq) : part).trim().toLowerCase();
    const arg = eq >= 0 ? part.slice(eq + 1).trim() : '';
    if (name === 'multicast') spec.multicast = true;
    else if (name === 'interleaved') {
      const range = parseRange(arg, 0, 255);
      if (range === null) return null;
      spec.interleaved = range;
    } else if (name === 'client_port') {
      const range = parseRange(arg, 1, 65535);
      if (range === null) return null;
      spec.clientPort = range;
    }
  }
  return spec;
}

/** 'a-b' or 'a' (meaning a-(a+1)), both within [min, max]. */
function parseRange(text: string, min: number, max: number): [number, number] | null {
  const m = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(text);
  if (m === null) return null;
  const a = Number(m[1]);
  const b = m[2] === undefined ? a + 1 : Number(m[2]);
  if (a < min || a > max || b < min || b > max) return null;
  return [a, b];
}
