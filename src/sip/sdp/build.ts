import type { GbSdpAnswer, GbSdpOffer, MediaTransport, PayloadMapping, TcpSetup } from './types';
import { formatMediaFormat } from './format';

/** The payloads a platform offers for video: PS first (GB/T 28181 streams are PS), then raw H.264 and MPEG-4. */
export const DEFAULT_VIDEO_PAYLOADS: readonly PayloadMapping[] = [
  { pt: 96, encoding: 'PS', clockRate: 90000 },
  { pt: 97, encoding: 'MPEG4', clockRate: 90000 },
  { pt: 98, encoding: 'H264', clockRate: 90000 },
];

const CRLF = '\r\n';

/**
 * The SDP of the platform's INVITE to a device (Annex G). Throws RangeError on values of our own that
 * would make a broken body (a bad port or SSRC, a line break in a field, Playback without u=): those are bugs.
 */
export function buildGbSdp(offer: GbSdpOffer): string {
  const history = offer.sessionName !== 'Play';
  if (history && (offer.uri === undefined || offer.uri === '')) {
    throw new RangeError(`${offer.sessionName} needs u= (<channelId>:<param>)`);
  }
  const payloads = offer.payloads ?? DEFAULT_VIDEO_PAYLOADS;
  const lines = [
    'v=0',
    `o=${token(offer.username)} 0 0 ${addressField(offer.address)}`,
    `s=${offer.sessionName}`,
    ...(history ? [`u=${text(offer.uri ?? '')}`] : []),
    `c=${addressField(offer.address)}`,
    `t=${nonNegativeInt(history ? offer.startTime : 0)} ${nonNegativeInt(history ? offer.endTime : 0)}`,
    `m=video ${port(offer.port)} ${protocolOf(offer.transport)} ${payloads.map((p) => payloadType(p.pt)).join(' ')}`,
    'a=recvonly',
    ...payloads.map(rtpmap),
    ...tcpLines(offer.transport, offer.setup ?? 'passive'),
    ...(offer.sessionName === 'Download' ? [`a=downloadspeed:${positiveInt(offer.downloadSpeed ?? 1)}`] : []),
    ...(offer.streamNumber !== undefined ? [`a=streamnumber:${nonNegativeInt(offer.streamNumber)}`] : []),
    `y=${ssrcField(offer.ssrc)}`,
    ...(offer.format !== undefined ? [`f=${formatMediaFormat(offer.format)}`] : []),
  ];
  return lines.join(CRLF) + CRLF;
}

/** The SDP of our 200 OK when an upper platform invites one of our channels: we send, from our address and port. */
export function buildGbSdpAnswer(answer: GbSdpAnswer): string {
  const payload = answer.payload ?? DEFAULT_VIDEO_PAYLOADS[0] ?? { pt: 96, encoding: 'PS', clockRate: 90000 };
  const lines = [
    'v=0',
    `o=${token(answer.username)} 0 0 ${addressField(answer.address)}`,
    `s=${answer.sessionName}`,
    `c=${addressField(answer.address)}`,
    `t=${nonNegativeInt(answer.startTime ?? 0)} ${nonNegativeInt(answer.endTime ?? 0)}`,
    `m=video ${port(answer.port)} ${protocolOf(answer.transport)} ${payloadType(payload.pt)}`,
    'a=sendonly',
    rtpmap(payload),
    ...tcpLines(answer.transport, answer.setup ?? 'active'),
    ...(answer.fileSize !== undefined ? [`a=filesize:${nonNegativeInt(answer.fileSize)}`] : []),
    `y=${ssrcField(answer.ssrc)}`,
    'f=',
  ];
  return lines.join(CRLF) + CRLF;
}

function protocolOf(transport: MediaTransport): string {
  return transport === 'tcp' ? 'TCP/RTP/AVP' : 'RTP/AVP';
}

function tcpLines(transport: MediaTransport, setup: TcpSetup): string[] {
  return transport === 'tcp' ? [`a=setup:${setup}`, 'a=connection:new'] : [];
}

function rtpmap(p: PayloadMapping): string {
  return `a=rtpmap:${payloadType(p.pt)} ${token(p.encoding)}/${positiveInt(p.clockRate)}`;
}

function addressField(address: string): string {
  return `IN ${address.includes(':') ? 'IP6' : 'IP4'} ${token(address)}`;
}

/** y= is ten digits: a shorter digit string is zero-padded, anything else is refused. */
function ssrcField(ssrc: string): string {
  if (!/^\d{1,10}$/.test(ssrc) || Number(ssrc) > 0xffffffff) throw new RangeError(`bad SSRC for y=: ${JSON.stringify(ssrc)}`);
  return ssrc.padStart(10, '0');
}

function port(n: number): number {
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new RangeError(`bad media port: ${n}`);
  return n;
}

function payloadType(n: number): number {
  if (!Number.isInteger(n) || n < 0 || n > 127) throw new RangeError(`bad RTP payload type: ${n}`);
  return n;
}

function nonNegativeInt(n: number | undefined): number {
  const v = n ?? 0;
  if (!Number.isSafeInteger(v) || v < 0) throw new RangeError(`bad SDP number: ${v}`);
  return v;
}

function positiveInt(n: number): number {
  if (!Number.isSafeInteger(n) || n < 1) throw new RangeError(`bad positive integer: ${n}`);
  return n;
}

function token(s: string): string {
  if (!/^[^\s]+$/.test(s)) throw new RangeError(`SDP field must be one non-empty token: ${JSON.stringify(s)}`);
  return s;
}

function text(s: string): string {
  if (/[\r\n]/.test(s)) throw new RangeError(`SDP field may not contain line breaks: ${JSON.stringify(s)}`);
  return s;
}
