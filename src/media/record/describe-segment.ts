import { splitAnnexB } from '../codec/annexb';
import { parseH264Sps } from '../codec/h264-sps';
import { parseH265Sps } from '../codec/h265-sps';
import { H264, H265, nalType } from '../codec/nal-unit';
import type { VideoCodec } from '../codec/types';
import { pesPayloadAt, ptsDelta, type PesStart, type TsScan } from './ts-scan';

/** PMT stream types we write (ISO/IEC 13818-1 Table 2-34). */
const VIDEO_TYPES: Record<number, VideoCodec> = { 0x1b: 'h264', 0x24: 'h265' };
const AAC_TYPE = 0x0f;

export interface SegmentMedia {
  videoCodec: VideoCodec;
  audioCodec: 'aac' | null;
  videoPid: number;
  width: number | null;
  height: number | null;
}

/** The program of a scanned head: null when it has no PMT or no video stream we know. */
export function mediaOf(head: Buffer, scan: TsScan): SegmentMedia | null {
  const video = scan.streams?.find((s) => VIDEO_TYPES[s.streamType] !== undefined);
  if (!video || !scan.streams) return null;
  const codec = VIDEO_TYPES[video.streamType] ?? 'h264';
  const key = scan.pesStarts.find((p) => p.pid === video.pid && p.randomAccess);
  const size = key ? pictureSize(codec, pesPayloadAt(head, key.offset, video.pid)) : null;
  return {
    videoCodec: codec,
    audioCodec: scan.streams.some((s) => s.streamType === AAC_TYPE) ? 'aac' : null,
    videoPid: video.pid,
    width: size?.width ?? null,
    height: size?.height ?? null,
  };
}

function pictureSize(codec: VideoCodec, es: Buffer): { width: number; height: number } | null {
  for (const nal of splitAnnexB(es)) {
    const type = nalType(codec, nal[0] ?? 0);
    if (codec === 'h264' && type === H264.SPS) return parseH264Sps(nal);
    if (codec === 'h265' && type === H265.SPS) return parseH265Sps(nal);
  }
  return null;
}

export function videoStarts(scan: TsScan, pid: number): PesStart[] {
  return scan.pesStarts.filter((p) => p.pid === pid && p.pts >= 0);
}

/**
 * Media duration in ms from the first video PTS of the head to one frame past the last of the
 * tail (the frame length taken from the last two frames). 0 when there are no timestamps.
 */
export function durationMs(first: PesStart | undefined, tail: readonly PesStart[]): number {
  const last = tail[tail.length - 1];
  if (!first || !last) return 0;
  const before = tail[tail.length - 2];
  const frame = before ? Math.max(0, ptsDelta(before.pts, last.pts)) : 0;
  return Math.max(0, ptsDelta(first.pts, last.pts) + frame) / 90;
}
