import type { GbMedia, GbSdp, MediaTransport, TcpSetup } from '../sdp';

/** How the audio goes out: raw G.711 (A-law or µ-law) or G.711 A-law wrapped in MPEG-PS. */
export type BroadcastCodec = 'PCMA' | 'PCMU' | 'PS';

/** What a device's broadcast INVITE asks for, read from its SDP. */
export interface BroadcastOffer {
  /** Where the device receives (c= and m=audio port). */
  address: string;
  port: number;
  transport: MediaTransport;
  /** The device's TCP role; ours is the opposite. Null for UDP (and TCP offers without a=setup: we connect). */
  setup: TcpSetup | null;
  codec: BroadcastCodec;
  payloadType: number;
  /** y= as sent, or null: the device leaves it to us then. */
  ssrc: string | null;
  ssrcNumber: number | null;
}

export type BroadcastOfferResult = { ok: true; offer: BroadcastOffer } | { ok: false; error: string };

/** Picks the first audio payload we can send, in the device's order of preference. */
function pickPayload(media: GbMedia): { codec: BroadcastCodec; pt: number } | null {
  for (const p of media.payloads) {
    const enc = (p.encoding ?? '').toUpperCase();
    if (enc === 'PCMA' || (p.encoding === null && p.pt === 8)) return { codec: 'PCMA', pt: p.pt };
    if (enc === 'PCMU' || (p.encoding === null && p.pt === 0)) return { codec: 'PCMU', pt: p.pt };
    if (enc === 'PS' || enc === 'MP2P') return { codec: 'PS', pt: p.pt };
  }
  return null;
}

/**
 * Reads the offer of a device's broadcast INVITE (GB/T 28181 9.12.1): an `m=audio` section with
 * PCMA/8000, PCMU/8000 or PS/90000, over UDP or TCP. Total; errors say what is missing.
 */
export function readBroadcastOffer(sdp: GbSdp): BroadcastOfferResult {
  const media = sdp.media.find((m) => m.kind === 'audio');
  if (media === undefined) return { ok: false, error: 'the offer has no m=audio line' };
  const address = media.connection ?? sdp.connection;
  if (address === null || address === '') return { ok: false, error: 'the offer has no c= address' };
  if (media.port === 0 && !(media.transport === 'tcp' && media.setup === 'active')) return { ok: false, error: 'the offer has audio port 0' };
  const payload = pickPayload(media);
  if (payload === null) return { ok: false, error: `no payload we can send (PCMA, PCMU or PS) among ${media.payloads.map((p) => p.encoding ?? p.pt).join(', ') || 'none'}` };
  return {
    ok: true,
    offer: {
      address,
      port: media.port,
      transport: media.transport,
      setup: media.transport === 'tcp' ? media.setup : null,
      codec: payload.codec,
      payloadType: payload.pt,
      ssrc: sdp.ssrc,
      ssrcNumber: sdp.ssrcNumber,
    },
  };
}

export interface BroadcastAnswer {
  /** o= username: the audio source ID. */
  username: string;
  address: string;
  port: number;
  transport: MediaTransport;
  /** TCP only: our role. */
  setup?: TcpSetup;
  codec: BroadcastCodec;
  payloadType: number;
  /** 10 digits. */
  ssrc: string;
}

/** The SDP of our 200 to a broadcast INVITE: we send (a=sendonly) the negotiated payload (9.12.1.3.2 example). */
export function buildBroadcastAnswer(a: BroadcastAnswer): string {
  if (!/^\d{10}$/.test(a.ssrc)) throw new RangeError(`bad SSRC for y=: ${a.ssrc}`);
  if (!Number.isInteger(a.port) || a.port < 0 || a.port > 65535) throw new RangeError(`bad port ${a.port}`);
  if (!Number.isInteger(a.payloadType) || a.payloadType < 0 || a.payloadType > 127) throw new RangeError(`bad payload type ${a.payloadType}`);
  if (!/^\S+$/.test(a.username) || !/^\S+$/.test(a.address)) throw new RangeError('SDP username and address must be single tokens');
  const ip = a.address.includes(':') ? 'IP6' : 'IP4';
  const rtpmap = a.codec === 'PS' ? `${a.payloadType} PS/90000` : `${a.payloadType} ${a.codec}/8000`;
  const lines = [
    'v=0',
    `o=${a.username} 0 0 IN ${ip} ${a.address}`,
    's=Play',
    `c=IN ${ip} ${a.address}`,
    't=0 0',
    `m=audio ${a.port} ${a.transport === 'tcp' ? 'TCP/RTP/AVP' : 'RTP/AVP'} ${a.payloadType}`,
    'a=sendonly',
    `a=rtpmap:${rtpmap}`,
    ...(a.transport === 'tcp' ? [`a=setup:${a.setup ?? 'active'}`, 'a=connection:new'] : []),
    `y=${a.ssrc}`,
    // G.711, 64 kbit/s (code 8), 8 kHz (code 1): the standard's example.
    'f=v/////a/1/8/1',
  ];
  return `${lines.join('\r\n')}\r\n`;
}
