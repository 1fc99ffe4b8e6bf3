import type { AccessUnit, AudioParams, VideoCodec, VideoParams } from '../../../src/media/codec/types';
import { PsDemuxer } from '../../../src/media/ps/demuxer';
import { parseRtpPacket, type RtpPacket } from '../../../src/media/rtp/packet';
import { aac8kFrames } from '../../media/helpers/aac-frames';
import { readMedia } from '../../media/helpers/media-files';
import { framesOf } from '../../media/helpers/ps-stream';

/** The video access units of a test clip, as a MediaSource carries them (25 fps from `firstPts`). */
export function videoUnits(name: string, codec: VideoCodec, firstPts = 90000): AccessUnit[] {
  return framesOf(readMedia(name), codec, firstPts).map((f) => ({ kind: 'video', codec, pts: f.pts, dts: f.pts, keyframe: f.keyframe, data: f.data }));
}

/** The 8 kHz AAC fixture's frames (ADTS kept, as the demuxer delivers them), 1024 samples apart. */
export function aacUnits(firstPts = 90000): AccessUnit[] {
  return aac8kFrames().map((data, i) => {
    const pts = firstPts + Math.round((i * 1024 * 90000) / 8000);
    return { kind: 'audio', codec: 'aac', pts, dts: pts, keyframe: true, data };
  });
}

/** Just enough VideoParams for a PSM (the packer only reads the codec). */
export function videoTrack(codec: VideoCodec): VideoParams {
  return { kind: 'video', codec, width: 640, height: 360, profile: 66, level: 30, sps: Buffer.alloc(4), pps: Buffer.alloc(4) };
}

export const AAC_TRACK: AudioParams = { kind: 'audio', codec: 'aac', sampleRate: 8000, channels: 1 };

/** Units of two tracks merged in decode-time order (video first on a tie). */
export function interleave(a: readonly AccessUnit[], b: readonly AccessUnit[]): AccessUnit[] {
  return [...a, ...b].sort((x, y) => x.dts - y.dts || (x.kind === 'video' ? -1 : 1));
}

/** RTP packets in arrival order → our demuxer → access units. */
export function demuxRtp(packets: readonly Buffer[]): { frames: AccessUnit[]; rtp: RtpPacket[]; demuxer: PsDemuxer } {
  const frames: AccessUnit[] = [];
  const rtp: RtpPacket[] = [];
  const demuxer = new PsDemuxer({ onFrame: (f) => frames.push(f) });
  for (const p of packets) {
    const packet = parseRtpPacket(p);
    if (packet === null) throw new Error('not an RTP packet');
    rtp.push(packet);
    demuxer.push(packet.payload, packet.timestamp, packet.marker);
  }
  demuxer.flush();
  return { frames, rtp, demuxer };
}
