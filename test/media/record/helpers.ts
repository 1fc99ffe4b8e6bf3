import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync } from 'node:fs';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { splitAnnexB } from '../../../src/media/codec/annexb';
import type { AccessUnit, VideoParams } from '../../../src/media/codec/types';
import type { StreamTracks } from '../../../src/media/source/types';
import { aac8kFrames } from '../helpers/aac-frames';
import { framesOf } from '../helpers/ps-stream';

export { decodeErrors, firstFrameIsKey } from '../helpers/ffmpeg-checks';

const CACHE = join(tmpdir(), 'gbvms-test-media-v1');

/** A 6 s 320x240 H.264 clip with a key frame every 2 s (ffmpeg-made, cached like media-files.ts). */
export function gop2sClip(): Buffer {
  const path = join(CACHE, 'record-h264-320x240-gop2s.h264');
  if (!existsSync(path)) {
    mkdirSync(CACHE, { recursive: true });
    const partial = `${path}.${process.pid}.part`;
    execFileSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=25', '-t', '6', '-pix_fmt', 'yuv420p', '-c:v', 'libx264', '-preset', 'veryfast', '-g', '50', '-keyint_min', '50', '-sc_threshold', '0', '-bf', '0', '-f', 'h264', partial], { stdio: ['ignore', 'ignore', 'pipe'], timeout: 60_000 });
    renameSync(partial, path);
  }
  return readFileSync(path);
}

export const FIRST_PTS = 90000;

export interface Stream {
  tracks: StreamTracks;
  /** In decoding order. */
  units: AccessUnit[];
}

/** `seconds` of 25 fps video (the clip looped), optionally with 8 kHz AAC, timed from FIRST_PTS. */
export function liveStream(seconds: number, withAudio: boolean): Stream {
  const frames = framesOf(gop2sClip(), 'h264', 0);
  const units: AccessUnit[] = [];
  for (let i = 0; i < seconds * 25; i++) {
    const f = frames[i % frames.length]!;
    const pts = FIRST_PTS + i * 3600;
    units.push({ kind: 'video', codec: 'h264', pts, dts: pts, keyframe: f.keyframe, data: f.data });
  }
  if (withAudio) {
    const adts = aac8kFrames();
    for (let i = 0; FIRST_PTS + (i + 1) * 11520 <= FIRST_PTS + seconds * 90000; i++) {
      const pts = FIRST_PTS + i * 11520;
      units.push({ kind: 'audio', codec: 'aac', pts, dts: pts, keyframe: true, data: adts[i % adts.length]! });
    }
    units.sort((a, b) => a.dts - b.dts || (a.kind === 'video' ? -1 : 1));
  }
  const nals = splitAnnexB(frames[0]!.data);
  const sps = nals.find((n) => (n[0]! & 0x1f) === 7)!;
  const pps = nals.find((n) => (n[0]! & 0x1f) === 8)!;
  const video: VideoParams = { kind: 'video', codec: 'h264', width: 320, height: 240, profile: sps[1]!, level: sps[3]!, sps, pps };
  return { tracks: withAudio ? { video, audio: { kind: 'audio', codec: 'aac', sampleRate: 8000, channels: 1 } } : { video }, units };
}

export interface Probed {
  duration: number;
  streams: { codec_name: string; codec_type: string; width?: number; height?: number }[];
}

export function probeFile(path: string): Probed {
  const out = execFileSync('ffprobe', ['-v', 'error', '-show_streams', '-show_format', '-of', 'json', path], { timeout: 30_000 });
  const parsed = JSON.parse(out.toString('utf8')) as { streams: Probed['streams']; format: { duration: string } };
  return { duration: Number(parsed.format.duration), streams: parsed.streams };
}
