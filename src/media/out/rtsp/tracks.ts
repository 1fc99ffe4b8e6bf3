import { AAC_SAMPLE_RATES } from '../../codec/adts';
import type { MediaCodec } from '../../codec/types';
import type { StreamTracks } from '../../source/types';

/** One media section of the SDP and what the RTP sender needs to know about it. */
export interface SdpTrack {
  /** The control id ('trackID=n'): 0 for video, 1 for audio, whatever the stream carries. */
  id: number;
  kind: 'video' | 'audio';
  codec: MediaCodec;
  payloadType: number;
  clockRate: number;
  channels: number;
  /** a=rtpmap and a=fmtp lines for the media section. */
  attributes: string[];
}

export const VIDEO_TRACK_ID = 0;
export const AUDIO_TRACK_ID = 1;
const VIDEO_PT = 96;
const AAC_PT = 97;
const DYNAMIC_G711_PT = 98;

/** The tracks to announce for a stream: the ids stay fixed so a SETUP needs no memory of the DESCRIBE. */
export function describeTracks(tracks: StreamTracks): SdpTrack[] {
  const out: SdpTrack[] = [];
  const v = tracks.video;
  if (v !== undefined) {
    const attributes = [`a=rtpmap:${VIDEO_PT} ${v.codec === 'h264' ? 'H264' : 'H265'}/90000`];
    const fmtp = v.codec === 'h264' ? h264Fmtp(v.sps, v.pps) : h265Fmtp(v.vps, v.sps, v.pps);
    attributes.push(`a=fmtp:${VIDEO_PT} ${fmtp}`);
    if (v.width > 0 && v.height > 0) attributes.push(`a=x-dimensions:${v.width},${v.height}`);
    if (v.fps !== undefined && v.fps > 0) attributes.push(`a=framerate:${Math.round(v.fps * 100) / 100}`);
    out.push({ id: VIDEO_TRACK_ID, kind: 'video', codec: v.codec, payloadType: VIDEO_PT, clockRate: 90000, channels: 1, attributes });
  }
  const a = tracks.audio;
  if (a !== undefined) {
    const channels = a.channels > 0 ? a.channels : 1;
    const rate = a.sampleRate > 0 ? a.sampleRate : 8000;
    if (a.codec === 'aac') {
      const config = a.aacConfig ?? lcConfig(rate, channels);
      if (config !== null) {
        const attributes = [
          `a=rtpmap:${AAC_PT} mpeg4-generic/${rate}/${channels}`,
          `a=fmtp:${AAC_PT} streamtype=5;profile-level-id=1;mode=AAC-hbr;sizelength=13;indexlength=3;indexdeltalength=3;config=${config.toString('hex')}`,
        ];
        out.push({ id: AUDIO_TRACK_ID, kind: 'audio', codec: 'aac', payloadType: AAC_PT, clockRate: rate, channels, attributes });
      }
    } else {
      const name = a.codec === 'g711a' ? 'PCMA' : 'PCMU';
      // The static payload types mean 8 kHz mono (RFC 3551 table 4); anything else needs a dynamic one.
      const pt = rate === 8000 && channels === 1 ? (a.codec === 'g711a' ? 8 : 0) : DYNAMIC_G711_PT;
      const attributes = [`a=rtpmap:${pt} ${name}/${rate}${channels > 1 ? `/${channels}` : ''}`];
      out.push({ id: AUDIO_TRACK_ID, kind: 'audio', codec: a.codec, payloadType: pt, clockRate: rate, channels, attributes });
    }
  }
  return out;
}

function h264Fmtp(sps: Buffer, pps: Buffer): string {
  const parts = ['packetization-mode=1'];
  if (sps.length >= 4) parts.push(`profile-level-id=${sps.subarray(1, 4).toString('hex')}`);
  parts.push(`sprop-parameter-sets=${sps.toString('base64')},${pps.toString('base64')}`);
  return parts.join(';');
}

function h265Fmtp(vps: Buffer | undefined, sps: Buffer, pps: Buffer): string {
  const parts: string[] = [];
  if (vps !== undefined) parts.push(`sprop-vps=${vps.toString('base64')}`);
  parts.push(`sprop-sps=${sps.toString('base64')}`, `sprop-pps=${pps.toString('base64')}`);
  return parts.join(';');
}

/** AAC-LC AudioSpecificConfig for a rate and channel count, when the stream came without one. */
function lcConfig(sampleRate: number, channels: number): Buffer | null {
  const index = AAC_SAMPLE_RATES.indexOf(sampleRate);
  if (index < 0 || channels > 7) return null;
  const out = Buffer.allocUnsafe(2);
  out.writeUInt16BE((2 << 11) | (index << 7) | (channels << 3), 0);
  return out;
}

export interface SdpOptions {
  /** Numeric session id for the o= line. */
  sessionId: string;
  /** Our address for the o= line. */
  address: string;
  name: string;
  /** The absolute URL of a track, for a=control. */
  controlUrl(track: SdpTrack): string;
}

/** The session description a DESCRIBE answers with (RFC 4566, RFC 2326 appendix C). */
export function buildSdp(tracks: readonly SdpTrack[], options: SdpOptions): string {
  const ipv = options.address.includes(':') ? 'IP6' : 'IP4';
  const lines = [
    'v=0',
    `o=- ${options.sessionId} 1 IN ${ipv} ${options.address}`,
    `s=${options.name.replace(/[\r\n]/g, ' ') || '-'}`,
    `c=IN ${ipv} ${ipv === 'IP6' ? '::' : '0.0.0.0'}`,
    't=0 0',
    'a=tool:gbvms',
    'a=range:npt=0-',
    'a=control:*',
  ];
  for (const track of tracks) {
    lines.push(`m=${track.kind} 0 RTP/AVP ${track.payloadType}`, ...track.attributes, `a=control:${options.controlUrl(track)}`);
  }
  return `${lines.join('\r\n')}\r\n`;
}
