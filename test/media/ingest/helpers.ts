import assert from 'node:assert/strict';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { connect, type Socket } from 'node:net';
import { pino } from 'pino';
import { silentLogger, type Logger } from '../../../src/logger';
import { StreamPipeline, type StreamPipelineOptions } from '../../../src/media/ingest/stream-pipeline';
import type { AccessUnit } from '../../../src/media/codec/types';
import { RtpPsPacketizer } from '../../../src/media/ps/rtp-packetizer';
import type { MediaSink, SinkEndReason, StreamTracks } from '../../../src/media/source/types';
import { hasFfmpeg, readMedia } from '../helpers/media-files';
import { framesOf, muxFrames, nalsOf, type SourceFrame } from '../helpers/ps-stream';

export const skipWithoutFfmpeg = hasFfmpeg ? false : 'ffmpeg/ffprobe not installed';

/** The 2 s, 25 fps, 640x360 H.264 clip (GOP 25: key frames at 0 and 25) as PS packs. */
export interface Clip {
  frames: SourceFrame[];
  packs: Buffer[];
}

let cached: Clip | undefined;

export function h264Clip(): Clip {
  if (!cached) {
    const frames = framesOf(readMedia('h264-640x360.h264'), 'h264');
    cached = { frames, packs: muxFrames(frames, 'h264') };
  }
  return cached;
}

export interface RtpStream {
  packets: Buffer[];
  /** Index of the frame each packet belongs to. */
  frameOf: number[];
}

/** The clip as RTP packets of `ssrc` (PS over RTP, marker on each frame's last packet). */
export function rtpOf(clip: Clip, ssrc: number, initialSequenceNumber = 65000, maxPayload = 1400): RtpStream {
  const packetizer = new RtpPsPacketizer({ ssrc, initialSequenceNumber, maxPayload });
  const packets: Buffer[] = [];
  const frameOf: number[] = [];
  clip.packs.forEach((pack, i) => {
    for (const p of packetizer.packetize(pack, clip.frames[i]?.pts ?? 0)) {
      packets.push(p);
      frameOf.push(i);
    }
  });
  return { packets, frameOf };
}

/** A sink that keeps everything it is given. */
export class CollectingSink implements MediaSink {
  readonly kind = 'test';
  readonly starts: StreamTracks[] = [];
  readonly frames: AccessUnit[] = [];
  readonly ends: SinkEndReason[] = [];
  start(tracks: StreamTracks): void {
    this.starts.push(tracks);
  }
  tracksChanged(tracks: StreamTracks): void {
    this.starts.push(tracks);
  }
  write(au: AccessUnit): void {
    this.frames.push(au);
  }
  pendingBytes(): number {
    return 0;
  }
  end(reason: SinkEndReason): void {
    this.ends.push(reason);
  }
  get video(): AccessUnit[] {
    return this.frames.filter((f) => f.kind === 'video');
  }
}

export async function waitFor(what: string, condition: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await delay(5);
  }
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export async function udpSender(): Promise<UdpSocket> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return socket;
}

export function closeUdp(socket: UdpSocket): Promise<void> {
  return new Promise((resolve) => {
    try {
      socket.close(() => resolve());
    } catch {
      resolve();
    }
  });
}

/** Sends datagrams in order, a few dozen at a time so loopback buffers never overflow. */
export async function sendUdp(socket: UdpSocket, datagrams: readonly Buffer[], port: number): Promise<void> {
  for (let i = 0; i < datagrams.length; i += 32) {
    await Promise.all(
      datagrams.slice(i, i + 32).map(
        (d) => new Promise<void>((resolve, reject) => socket.send(d, port, '127.0.0.1', (err) => (err ? reject(err) : resolve()))),
      ),
    );
    await delay(1);
  }
}

export function tcpConnect(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => resolve(socket));
    socket.once('error', reject);
  });
}

export function writeAll(socket: Socket, data: Buffer): Promise<void> {
  return new Promise((resolve, reject) => socket.write(data, (err) => (err ? reject(err) : resolve())));
}

export function closed(socket: Socket): Promise<void> {
  return new Promise((resolve) => {
    if (socket.destroyed && socket.closed) resolve();
    else socket.once('close', () => resolve());
  });
}

export interface CapturedLogs {
  logger: Logger;
  lines: Record<string, unknown>[];
  messages(): string[];
}

/** A pino logger that keeps its lines, for tests that check what was logged. */
export function capturingLogger(): CapturedLogs {
  const lines: Record<string, unknown>[] = [];
  const logger = pino({ level: 'debug' }, { write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>) });
  return { logger, lines, messages: () => lines.map((l) => String(l.msg)) };
}

/** Same pictures: key flags, PTS and NAL bytes of `got` match `want`, frame by frame. */
export function assertSameFrames(got: readonly AccessUnit[], want: readonly SourceFrame[], label: string): void {
  assert.equal(got.length, want.length, `${label}: frame count`);
  assert.deepEqual(got.map((f) => f.keyframe), want.map((f) => f.keyframe), `${label}: key frame flags`);
  assert.deepEqual(got.map((f) => f.pts), want.map((f) => f.pts), `${label}: PTS`);
  const have = nalsOf(got);
  nalsOf(want).forEach((nals, i) => {
    assert.equal(have[i]?.length, nals.length, `${label}: frame ${i} NAL count`);
    nals.forEach((n, k) => assert.ok(n.equals(have[i]?.[k] as Buffer), `${label}: frame ${i} NAL ${k} bytes`));
  });
}

/**
 * Two pipelines fed the same input (the native reader's and Node's): the same demux counters and
 * the same video frames, byte for byte. Returns how many frames were compared.
 */
export function assertSameOutput(a: OpenPipeline, b: OpenPipeline, label: string): number {
  assert.deepEqual(a.pipeline.stats.demux, b.pipeline.stats.demux, `${label}: demux counters`);
  const frames = (o: OpenPipeline) => o.sink.video.map((f) => [f.pts, f.keyframe, f.data.toString('base64')]);
  assert.deepEqual(frames(a), frames(b), `${label}: the same frames`);
  return b.sink.video.length;
}

/** A minimal RTCP receiver report (RFC 3550 6.4.2, no report blocks). */
export function rtcpReceiverReport(ssrc: number): Buffer {
  const b = Buffer.alloc(8);
  b[0] = 0x80;
  b[1] = 201;
  b.writeUInt16BE(1, 2);
  b.writeUInt32BE(ssrc >>> 0, 4);
  return b;
}

export interface OpenPipeline {
  pipeline: StreamPipeline;
  sink: CollectingSink;
}

/** A pipeline on 127.0.0.1 (port 0 unless given) with a collecting sink attached before any frame. */
export function pipelineWithSink(options: Partial<StreamPipelineOptions> & Pick<StreamPipelineOptions, 'transport'>): OpenPipeline {
  const pipeline = new StreamPipeline({ streamId: '34020000001320000001', host: '127.0.0.1', port: 0, logger: silentLogger(), ...options });
  const sink = new CollectingSink();
  pipeline.source.attach(sink);
  return { pipeline, sink };
}
