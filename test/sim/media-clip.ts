/**
 * The clip a simulated camera streams: a test pattern encoded by FFmpeg (cached on disk in the
 * temp dir), cut into access units, muxed as GB/T 28181 PS and cut into RTP payloads once per
 * process and per settings. Streams only add a 12-byte RTP header per packet; a packet that
 * starts a pack is copied and retimed when the clip loops (see ./ps-retime).
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PsMuxer } from '../../src/media/ps/muxer';
import { splitPayloads } from '../../src/media/ps/rtp-packetizer';
import { framesOf } from '../media/helpers/ps-stream';
import { packTimeFields, type PackTimeFields } from './ps-retime';
import type { SimMediaOptions } from './types';

export const SIM_FPS = 25;
const TICKS_PER_FRAME = 90000 / SIM_FPS;
const FRAME_MS = 1000 / SIM_FPS;
/** 40 ms of 8 kHz G.711A per PS pack. */
const AUDIO_BYTES_PER_FRAME = 320;
/** The clip's first PTS (1 s, as cameras rarely start at 0). */
const FIRST_PTS = 90000;
const CACHE = join(tmpdir(), 'gbvms-sim-media-v1');

export type ResolvedMediaOptions = Required<SimMediaOptions>;

export function resolveMediaOptions(o: SimMediaOptions | undefined): ResolvedMediaOptions {
  const gopFrames = Math.max(1, Math.round(o?.gopFrames ?? 50));
  const gops = Math.max(1, Math.ceil(((o?.clipSeconds ?? 4) * SIM_FPS) / gopFrames));
  return {
    codec: o?.codec ?? 'h264',
    bitrateKbps: Math.max(50, Math.round(o?.bitrateKbps ?? 2000)),
    width: even(o?.width ?? 1280),
    height: even(o?.height ?? 720),
    clipSeconds: (gops * gopFrames) / SIM_FPS,
    gopFrames,
    audio: o?.audio ?? false,
    maxPayload: Math.max(200, Math.min(o?.maxPayload ?? 1400, 65000)),
    pacing: o?.pacing ?? 'spread',
  };
}

function even(n: number): number {
  return Math.max(16, Math.round(n / 2) * 2);
}

export interface ClipPacket {
  /** A view into the clip's PS (shared by every stream; never written). */
  payload: Buffer;
  /** 90 kHz RTP timestamp in the first loop (the pack's PTS). */
  timestamp: number;
  marker: boolean;
  video: boolean;
  /** When to send it, ms from the loop's start: the frame's time, and an offset inside the frame for 'spread'. */
  atMs: number;
  spreadMs: number;
  /** Set on the first packet of each pack: its time fields, shifted on every loop after the first. */
  time?: PackTimeFields;
}

export interface SimClip {
  key: string;
  options: ResolvedMediaOptions;
  packets: ClipPacket[];
  videoFrames: number;
  keyFrames: number;
  durationMs: number;
  durationTicks: number;
  /** RTP payload bytes per loop. */
  payloadBytes: number;
}

const clips = new Map<string, Promise<SimClip>>();

/** The clip for these options (built once per process; the FFmpeg output is cached on disk). */
export function loadSimClip(options: SimMediaOptions | undefined): Promise<SimClip> {
  const o = resolveMediaOptions(options);
  const key = `${o.codec}-${o.width}x${o.height}-${o.bitrateKbps}k-${o.clipSeconds}s-g${o.gopFrames}${o.audio ? '-g711a' : ''}-p${o.maxPayload}`;
  let clip = clips.get(key);
  if (!clip) {
    clip = buildClip(key, o);
    clips.set(key, clip);
    clip.catch(() => clips.delete(key));
  }
  return clip;
}

async function buildClip(key: string, o: ResolvedMediaOptions): Promise<SimClip> {
  const es = await encoded(`${o.codec}-${o.width}x${o.height}-${o.bitrateKbps}k-${o.clipSeconds}s-g${o.gopFrames}.${o.codec}`, videoArgs(o));
  const frames = framesOf(es, o.codec, FIRST_PTS);
  if (frames.length === 0 || !frames[0]?.keyframe) throw new Error(`FFmpeg made no usable ${o.codec} clip (${key})`);
  const alaw = o.audio ? await encoded(`g711a-${o.clipSeconds}s.alaw`, audioArgs(o.clipSeconds)) : undefined;
  const muxer = new PsMuxer({ videoCodec: o.codec, ...(alaw ? { audioCodec: 'g711a' as const } : {}) });
  const packets: ClipPacket[] = [];
  let payloadBytes = 0;
  const add = (pack: Buffer, pts: number, video: boolean, atMs: number, slotMs: number): void => {
    const payloads = splitPayloads(pack, o.maxPayload);
    const time = packTimeFields(pack);
    if (!time || time.end > (payloads[0]?.length ?? 0)) throw new Error('PS time fields do not fit in the first RTP payload');
    payloads.forEach((payload, i) => {
      const packet: ClipPacket = {
        payload,
        timestamp: pts,
        marker: i === payloads.length - 1,
        video,
        atMs,
        spreadMs: (slotMs * i) / payloads.length,
      };
      if (i === 0) packet.time = time;
      packets.push(packet);
      payloadBytes += payload.length;
    });
  };
  frames.forEach((frame, i) => {
    const atMs = i * FRAME_MS;
    add(muxer.muxVideo({ data: frame.data, pts: frame.pts, keyframe: frame.keyframe }), frame.pts, true, atMs, alaw ? FRAME_MS / 2 : FRAME_MS);
    const samples = alaw?.subarray(i * AUDIO_BYTES_PER_FRAME, (i + 1) * AUDIO_BYTES_PER_FRAME);
    // Half a frame later than the video: a marked RTP timestamp must not repeat in the next packet.
    if (samples && samples.length > 0) add(muxer.muxAudio(samples, frame.pts + TICKS_PER_FRAME / 2), frame.pts + TICKS_PER_FRAME / 2, false, atMs + FRAME_MS / 2, 0);
  });
  return {
    key,
    options: o,
    packets,
    videoFrames: frames.length,
    keyFrames: frames.filter((f) => f.keyframe).length,
    durationMs: frames.length * FRAME_MS,
    durationTicks: frames.length * TICKS_PER_FRAME,
    payloadBytes,
  };
}

function videoArgs(o: ResolvedMediaOptions): string[] {
  const input = ['-f', 'lavfi', '-i', `testsrc2=size=${o.width}x${o.height}:rate=${SIM_FPS}`, '-t', String(o.clipSeconds), '-pix_fmt', 'yuv420p'];
  const rate = `${o.bitrateKbps}k`;
  if (o.codec === 'h264') {
    return [...input, '-c:v', 'libx264', '-preset', 'veryfast', '-g', String(o.gopFrames), '-keyint_min', String(o.gopFrames), '-sc_threshold', '0', '-bf', '0', '-b:v', rate, '-maxrate', rate, '-bufsize', rate, '-f', 'h264'];
  }
  const x265 = `keyint=${o.gopFrames}:min-keyint=${o.gopFrames}:scenecut=0:bframes=0:repeat-headers=1:vbv-maxrate=${o.bitrateKbps}:vbv-bufsize=${o.bitrateKbps}:log-level=error`;
  return [...input, '-c:v', 'libx265', '-preset', 'veryfast', '-b:v', rate, '-x265-params', x265, '-f', 'hevc'];
}

function audioArgs(seconds: number): string[] {
  return ['-f', 'lavfi', '-i', 'sine=frequency=1000:sample_rate=8000', '-t', String(seconds), '-c:a', 'pcm_alaw', '-ac', '1', '-f', 'alaw'];
}

/** Runs FFmpeg once per file (asynchronously: encoding must not stall the simulator's sockets). */
async function encoded(name: string, args: string[]): Promise<Buffer> {
  const path = join(CACHE, name);
  if (!existsSync(path)) {
    mkdirSync(CACHE, { recursive: true });
    const partial = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.part`;
    await new Promise<void>((resolve, reject) => {
      execFile('ffmpeg', ['-v', 'error', '-y', ...args, partial], { timeout: 120_000 }, (err, _stdout, stderr) => {
        if (err) reject(new Error(`ffmpeg failed for ${name}: ${stderr || err.message}`));
        else resolve();
      });
    });
    renameSync(partial, path);
  }
  return readFileSync(path);
}
