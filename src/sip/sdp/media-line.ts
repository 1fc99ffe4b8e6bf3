import type { GbMedia, MediaDirection, RtpPayload, SdpAttribute, TcpSetup } from './types';

/** Static RTP payload types (RFC 3551) that GB devices list without an rtpmap. */
const STATIC_PAYLOADS: ReadonlyMap<number, { encoding: string; clockRate: number }> = new Map([
  [0, { encoding: 'PCMU', clockRate: 8000 }],
  [4, { encoding: 'G723', clockRate: 8000 }],
  [8, { encoding: 'PCMA', clockRate: 8000 }],
  [9, { encoding: 'G722', clockRate: 8000 }],
  [18, { encoding: 'G729', clockRate: 8000 }],
]);

export type MediaLineResult = { ok: true; media: GbMedia } | { ok: true; media: null } | { ok: false; error: string };

/** `m=video 45056 RTP/AVP 96 98 97`. Kinds other than video and audio are skipped (media null). */
export function parseMediaLine(value: string): MediaLineResult {
  const parts = value.trim().split(/\s+/);
  const kind = (parts[0] ?? '').toLowerCase();
  if (kind !== 'video' && kind !== 'audio') return { ok: true, media: null };
  const portText = (parts[1] ?? '').split('/')[0] ?? '';
  if (!/^\d{1,5}$/.test(portText) || Number(portText) > 65535) return { ok: false, error: `bad m= port: ${clip(value)}` };
  const protocol = parts[2] ?? '';
  if (protocol === '') return { ok: false, error: `m= line without protocol: ${clip(value)}` };
  const payloads: RtpPayload[] = [];
  for (const fmt of parts.slice(3)) {
    if (!/^\d{1,3}$/.test(fmt) || Number(fmt) > 127) continue;
    const pt = Number(fmt);
    if (payloads.some((p) => p.pt === pt)) continue;
    const known = STATIC_PAYLOADS.get(pt);
    payloads.push({ pt, encoding: known?.encoding ?? null, clockRate: known?.clockRate ?? null });
  }
  return {
    ok: true,
    media: {
      kind,
      port: Number(portText),
      transport: /TCP/i.test(protocol) ? 'tcp' : 'udp',
      protocol,
      setup: null,
      connectionNew: false,
      payloads,
      direction: null,
      connection: null,
      downloadSpeed: null,
      fileSize: null,
      streamNumber: null,
      attributes: [],
    },
  };
}

export function parseAttribute(value: string): SdpAttribute {
  const colon = value.indexOf(':');
  if (colon < 0) return { name: value.trim(), value: null };
  return { name: value.slice(0, colon).trim(), value: value.slice(colon + 1).trim() };
}

/** Applies one a= line to a media section (attributes it does not know are only recorded). */
export function applyAttribute(media: GbMedia, attr: SdpAttribute): void {
  media.attributes.push(attr);
  const name = attr.name.toLowerCase();
  const value = attr.value ?? '';
  switch (name) {
    case 'recvonly':
    case 'sendonly':
    case 'sendrecv':
      media.direction = name satisfies MediaDirection;
      return;
    case 'setup':
      media.setup = parseSetup(value) ?? media.setup;
      return;
    case 'connection':
      if (value.toLowerCase() === 'new') media.connectionNew = true;
      return;
    case 'rtpmap':
      applyRtpmap(media, value);
      return;
    case 'downloadspeed':
      media.downloadSpeed = nonNegativeInt(value) ?? media.downloadSpeed;
      return;
    case 'filesize':
      media.fileSize = nonNegativeInt(value) ?? media.fileSize;
      return;
    case 'streamnumber':
      media.streamNumber = nonNegativeInt(value) ?? media.streamNumber;
      return;
    default:
      return;
  }
}

function parseSetup(value: string): TcpSetup | null {
  const v = value.toLowerCase();
  return v === 'active' || v === 'passive' ? v : null;
}

/** `96 PS/90000`, `96 H264/90000/1`: fills the listed payload, or adds one a device mapped but did not list. */
function applyRtpmap(media: GbMedia, value: string): void {
  const m = /^(\d{1,3})\s+([^/\s]+)\/(\d{1,10})/.exec(value);
  if (m === null) return;
  const pt = Number(m[1]);
  if (pt > 127) return;
  const encoding = m[2] ?? '';
  const clockRate = Number(m[3]);
  const listed = media.payloads.find((p) => p.pt === pt);
  if (listed !== undefined) {
    listed.encoding = encoding;
    listed.clockRate = clockRate;
  } else {
    media.payloads.push({ pt, encoding, clockRate });
  }
}

function nonNegativeInt(value: string): number | null {
  const t = value.trim();
  return /^\d{1,15}$/.test(t) ? Number(t) : null;
}

export function clip(s: string): string {
  return s.length > 80 ? `${s.slice(0, 80)}…` : s;
}
