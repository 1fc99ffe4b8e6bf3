import type { ForwardTransport } from '../../media/forward/types';
import { parseGbSdp, type GbMedia, type GbSdp } from '../../sip/sdp';

/** What an upper platform's INVITE asks of us, read from its SDP offer. */
export interface UpperOffer {
  session: 'Play' | 'Playback' | 'Download';
  /** How we send: udp, tcp-active (the upper listens, a=setup:passive) or tcp-passive (the upper connects, a=setup:active). */
  transport: ForwardTransport;
  /** Where the upper receives (udp, tcp-active); its address for tcp-passive. */
  host: string;
  port: number;
  /** y= as sent (answered back unchanged), and its value; null when the offer had none. */
  ssrc: string | null;
  ssrcNumber: number | null;
  /** The payload type the upper gave PS (96 unless its rtpmap says otherwise). */
  payloadType: number;
  /** Playback/Download: the range, ms UTC (t= is Unix seconds); 0 for Play. */
  start: number;
  end: number;
  /** Download: a=downloadspeed, else null. */
  downloadSpeed: number | null;
}

export type UpperOfferResult = { ok: true; value: UpperOffer } | { ok: false; error: string };

/**
 * Reads the SDP of an upper platform's INVITE (GB/T 28181 Annex G) for one of our channels.
 * Total: a body we cannot serve (not SDP, no video m=, no PS payload, a Playback without a
 * range, a port we cannot send to) is an error the caller answers with 488. An unusable c=
 * (missing, 0.0.0.0) falls back to the address the INVITE came from.
 */
export function readUpperOffer(body: Buffer, signalingAddress: string): UpperOfferResult {
  const parsed = parseGbSdp(body);
  if (!parsed.ok) return parsed;
  const sdp = parsed.value;
  const session = sessionOf(sdp.sessionName);
  if (session === null) return fail(`s=${sdp.sessionName} is not Play, Playback or Download`);
  const video = sdp.media.find((m) => m.kind === 'video');
  if (video === undefined) return fail('no m=video line');
  const payloadType = psPayloadType(video);
  if (payloadType === null) return fail(`m=video offers no PS payload (${video.payloads.map((p) => `${p.pt} ${p.encoding ?? '?'}`).join(', ')})`);
  if (video.direction === 'sendonly') return fail('a=sendonly: the upper would send, not receive');
  const transport = transportOf(video);
  if (transport !== 'tcp-passive' && !(video.port > 0)) return fail(`m=video port ${video.port} cannot be sent to`);
  const host = usableAddress(video.connection ?? sdp.connection) ?? signalingAddress;
  let start = 0;
  let end = 0;
  if (session !== 'Play') {
    if (!(sdp.startTime > 0 && sdp.endTime > sdp.startTime)) return fail(`${session} needs t= with start < end, got t=${sdp.startTime} ${sdp.endTime}`);
    start = sdp.startTime * 1000;
    end = sdp.endTime * 1000;
  }
  return {
    ok: true,
    value: {
      session,
      transport,
      host,
      port: video.port,
      ssrc: sdp.ssrcNumber !== null ? sdp.ssrc : null,
      ssrcNumber: sdp.ssrcNumber,
      payloadType,
      start,
      end,
      downloadSpeed: session === 'Download' ? video.downloadSpeed : null,
    },
  };
}

function sessionOf(name: GbSdp['sessionName']): UpperOffer['session'] | null {
  return name === 'Play' || name === 'Playback' || name === 'Download' ? name : null;
}

/** The PS payload: one mapped to PS by rtpmap, else 96 when offered without a mapping. */
function psPayloadType(media: GbMedia): number | null {
  const mapped = media.payloads.find((p) => p.encoding !== null && p.encoding.toUpperCase() === 'PS');
  if (mapped !== undefined) return mapped.pt;
  const plain = media.payloads.find((p) => p.pt === 96 && p.encoding === null);
  return plain !== undefined ? 96 : null;
}

/**
 * Our side is the opposite of the upper's a=setup. Without a=setup, RFC 4145 makes the offerer
 * active (it connects), so we listen.
 */
function transportOf(media: GbMedia): ForwardTransport {
  if (media.transport === 'udp') return 'udp';
  return media.setup === 'passive' ? 'tcp-active' : 'tcp-passive';
}

function usableAddress(address: string | null): string | null {
  if (address === null || address === '' || address === '0.0.0.0' || address === '::') return null;
  return address;
}

function fail(error: string): UpperOfferResult {
  return { ok: false, error };
}
