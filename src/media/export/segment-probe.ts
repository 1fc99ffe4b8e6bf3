import { promises as fsp } from 'node:fs';
import type { VideoCodec } from '../codec/types';
import { readPts } from '../ps/timestamp';
import { mediaOf, videoStarts } from '../record/describe-segment';
import { ptsDelta, scanTs, type TsStream } from '../record/ts-scan';

/**
 * What the export needs to know of one MPEG-TS recording, read from its head and tail (and, for
 * the clip's first file, the stretch up to the wanted key frame) without running ffmpeg.
 * Times are 90 kHz ticks as carried in the file.
 */
export interface SegmentProbe {
  size: number;
  videoCodec: VideoCodec;
  hasAudio: boolean;
  videoPid: number;
  streams: TsStream[];
  /** PTS of the first video frame: the instant the index calls the segment's start. */
  firstPts: number;
  /** DTS of that frame (its PTS when the stream carries no DTS). */
  firstDts: number;
  /** From firstPts to the end of the last frame, in ticks; null when the tail could not be read. */
  mediaTicks: number | null;
}

export interface KeyFrame {
  /** Ticks after the segment's firstPts. */
  offsetTicks: number;
  pts: number;
  dts: number;
}

const PACKET = 188;
const HEAD_BYTES = 256 * 1024;
const TAIL_BYTES = 512 * 1024;
const SCAN_CHUNK = PACKET * 8192;

/** Null when the file is not a recording we can cut: no PMT, no known video, no timed frame. */
export async function probeSegment(path: string): Promise<SegmentProbe | null> {
  const handle = await fsp.open(path, 'r');
  try {
    const { size } = await handle.stat();
    const head = await readAt(handle, 0, Math.min(size, HEAD_BYTES));
    const scan = scanTs(head);
    const media = mediaOf(head, scan);
    const first = media ? videoStarts(scan, media.videoPid)[0] : undefined;
    if (!media || !first || !scan.streams) return null;
    const firstDts = dtsAt(head, first.offset) ?? first.pts;
    let tailPts = videoStarts(scan, media.videoPid).map((s) => s.pts);
    if (size > HEAD_BYTES) {
      const tailOffset = Math.floor(Math.max(0, size - TAIL_BYTES) / PACKET) * PACKET;
      const tail = resync(await readAt(handle, tailOffset, size - tailOffset));
      tailPts = videoStarts(scanTs(tail, scan.streams), media.videoPid).map((s) => s.pts);
    }
    return {
      size,
      videoCodec: media.videoCodec,
      hasAudio: media.audioCodec !== null,
      videoPid: media.videoPid,
      streams: scan.streams,
      firstPts: first.pts,
      firstDts,
      mediaTicks: mediaTicksOf(first.pts, tailPts),
    };
  } finally {
    await handle.close();
  }
}

/**
 * The last key frame (random-access video PES) at most `offsetTicks` after the segment's start,
 * scanning from the file's start. Falls back to the first frame, which the recorder makes a key
 * frame, when the flags are missing or the file breaks before one is found.
 */
export async function keyFrameAtOrBefore(path: string, probe: SegmentProbe, offsetTicks: number): Promise<KeyFrame> {
  let best: KeyFrame = { offsetTicks: 0, pts: probe.firstPts, dts: probe.firstDts };
  if (offsetTicks <= 0) return best;
  const handle = await fsp.open(path, 'r');
  try {
    for (let at = 0; at < probe.size; at += SCAN_CHUNK) {
      const chunk = await readAt(handle, at, Math.min(SCAN_CHUNK, probe.size - at));
      const scan = scanTs(chunk, probe.streams);
      for (const pes of scan.pesStarts) {
        if (pes.pid !== probe.videoPid || !pes.randomAccess || pes.pts < 0) continue;
        const offset = ptsDelta(probe.firstPts, pes.pts);
        if (offset > offsetTicks) return best;
        if (offset >= best.offsetTicks) best = { offsetTicks: offset, pts: pes.pts, dts: dtsAt(chunk, pes.offset) ?? pes.pts };
      }
      if (scan.validLength < chunk.length) break;
    }
    return best;
  } finally {
    await handle.close();
  }
}

/** The DTS of the PES starting in the TS packet at `at`, or null when it carries only a PTS. */
export function dtsAt(buf: Buffer, at: number): number | null {
  if (at + PACKET > buf.length) return null;
  const control = ((buf[at + 3] ?? 0) >> 4) & 3;
  const pes = control & 2 ? at + 5 + (buf[at + 4] ?? 0) : at + 4;
  if (pes + 19 > at + PACKET || buf[pes] !== 0 || buf[pes + 1] !== 0 || buf[pes + 2] !== 1) return null;
  return ((buf[pes + 7] ?? 0) >> 6) === 3 ? readPts(buf, pes + 14) : null;
}

/** From the first frame's PTS to one frame past the latest PTS seen in the tail. */
function mediaTicksOf(firstPts: number, tailPts: readonly number[]): number | null {
  const offsets = tailPts.filter((p) => p >= 0).map((p) => ptsDelta(firstPts, p)).sort((a, b) => a - b);
  const last = offsets[offsets.length - 1];
  if (last === undefined || last < 0) return null;
  let frame = 0;
  for (let i = 1; i < offsets.length; i++) {
    const gap = (offsets[i] ?? 0) - (offsets[i - 1] ?? 0);
    if (gap > 0 && (frame === 0 || gap < frame)) frame = gap;
  }
  return last + frame;
}

/** Drops bytes up to the first place where three packets in a row start with the sync byte. */
function resync(buf: Buffer): Buffer {
  for (let i = 0; i < PACKET && i + 2 * PACKET < buf.length; i++) {
    if (buf[i] === 0x47 && buf[i + PACKET] === 0x47 && buf[i + 2 * PACKET] === 0x47) return buf.subarray(i);
  }
  return buf;
}

async function readAt(handle: fsp.FileHandle, position: number, length: number): Promise<Buffer> {
  const buf = Buffer.alloc(length);
  const { bytesRead } = await handle.read(buf, 0, length, position);
  return buf.subarray(0, bytesRead);
}
