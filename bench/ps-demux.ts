// Feeds ~100 MB of GB/T 28181 PS-over-RTP (H.264 720p + AAC, made with ffmpeg) through
// parseRtpPacket -> RtpReorderBuffer -> PsDemuxer and prints throughput, and what it means per camera.
// Run: node --import tsx bench/ps-demux.ts [megabytes]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAdtsHeader } from '../src/media/codec/adts';
import { splitAccessUnits, splitAnnexB } from '../src/media/codec/annexb';
import { PsDemuxer } from '../src/media/ps/demuxer';
import { PsMuxer } from '../src/media/ps/muxer';
import { RtpPsPacketizer } from '../src/media/ps/rtp-packetizer';
import { parseRtpPacket } from '../src/media/rtp/packet';
import { RtpReorderBuffer } from '../src/media/rtp/reorder';

const targetBytes = Number(process.argv[2] ?? 100) * 1024 * 1024;
const CAMERA_BITRATE = 2_000_000; // bit/s
const CAMERA_FPS = 25;

function makeMedia(): { video: Buffer; audio: Buffer } {
  const dir = mkdtempSync(join(tmpdir(), 'gbvms-bench-'));
  try {
    const video = join(dir, 'v.h264');
    const audio = join(dir, 'a.aac');
    // 10 s of 720p at 2 Mbit/s, a key frame every 2 s: a typical GB/T 28181 camera main stream.
    execFileSync('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=1280x720:rate=25', '-t', '10', '-pix_fmt', 'yuv420p', '-c:v', 'libx264', '-preset', 'veryfast',
      '-b:v', '2M', '-maxrate', '2M', '-bufsize', '1M', '-g', '50', '-bf', '0', '-f', 'h264', video]);
    execFileSync('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'sine=frequency=1000:sample_rate=8000', '-t', '10', '-c:a', 'aac', '-ac', '1', '-f', 'adts', audio]);
    return { video: readFileSync(video), audio: readFileSync(audio) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

console.log('making 10 s of 720p H.264 + AAC with ffmpeg ...');
const { video, audio } = makeMedia();
const units = splitAccessUnits(video, 'h264');
const adts: Buffer[] = [];
for (let at = 0; at < audio.length; ) {
  const h = parseAdtsHeader(audio, at);
  if (!h) break;
  adts.push(audio.subarray(at, at + h.frameLength));
  at += h.frameLength;
}

// Build RTP packets until ~targetBytes of PS, looping the clip with continuing timestamps.
const muxer = new PsMuxer({ videoCodec: 'h264', audioCodec: 'aac' });
const packetizer = new RtpPsPacketizer({ ssrc: 0x01020304, initialSequenceNumber: 1 });
const packets: Buffer[] = [];
let psBytes = 0;
let sentFrames = 0;
for (let i = 0; psBytes < targetBytes; i++) {
  const data = units[i % units.length] as Buffer;
  const pts = 90000 + i * 3600;
  const keyframe = splitAnnexB(data).some((n) => ((n[0] ?? 0) & 0x1f) === 5);
  const pack = muxer.muxVideo({ data, pts, keyframe });
  psBytes += pack.length;
  packets.push(...packetizer.packetize(pack, pts));
  sentFrames++;
  if (i % 3 === 0) {
    const a = muxer.muxAudio(adts[(i / 3) % adts.length] as Buffer, pts);
    psBytes += a.length;
    packets.push(...packetizer.packetize(a, pts));
    sentFrames++;
  }
}
const mb = psBytes / 1024 / 1024;
console.log(`${packets.length} RTP packets, ${mb.toFixed(1)} MB of PS, ${sentFrames} frames (${units.length} distinct video frames, avg ${(video.length / units.length / 1024).toFixed(1)} KB)`);

function run(): { seconds: number; frames: number; demuxer: PsDemuxer } {
  let frames = 0;
  const demuxer = new PsDemuxer({ onFrame: () => frames++ });
  const reorder = new RtpReorderBuffer({ onPacket: (p) => demuxer.push(p.payload, p.timestamp, p.marker), onLoss: () => demuxer.discontinuity() });
  const started = process.hrtime.bigint();
  for (const raw of packets) {
    const p = parseRtpPacket(raw);
    if (p) reorder.push(p);
  }
  reorder.flush();
  demuxer.flush();
  return { seconds: Number(process.hrtime.bigint() - started) / 1e9, frames, demuxer };
}

run(); // warm-up
const results = [run(), run(), run(), run(), run()].sort((a, b) => a.seconds - b.seconds);
const median = results[2] as ReturnType<typeof run>;
console.log(`frames demuxed: ${median.frames} (sent ${sentFrames}), dropped bytes: ${median.demuxer.stats.bytesDropped}, resyncs: ${median.demuxer.stats.resyncs}`);
console.log(`runs (MB/s): ${results.map((r) => (mb / r.seconds).toFixed(0)).join(', ')}`);
const mbPerS = mb / median.seconds;
const framesPerS = median.frames / median.seconds;
const cameraBytesPerS = CAMERA_BITRATE / 8;
const cpuByBytes = cameraBytesPerS / (psBytes / median.seconds);
const cameraFramesPerS = CAMERA_FPS * (1 + 1 / 3); // video plus the AAC frames muxed in this clip
const cpuByFrames = cameraFramesPerS / framesPerS;
console.log(`throughput (median): ${mbPerS.toFixed(0)} MB/s = ${((mbPerS * 8 * 1024 * 1024) / 1e9).toFixed(2)} Gbit/s of PS on one core`);
console.log(`frames (median):     ${Math.round(framesPerS).toLocaleString('en-US')} frames/s`);
console.log(
  `per camera (2 Mbit/s, ${CAMERA_FPS} fps): ${(cpuByBytes * 100).toFixed(3)} % of a core by bytes, ${(cpuByFrames * 100).toFixed(3)} % by frames` +
    ` -> about ${Math.floor(1 / Math.max(cpuByBytes, cpuByFrames)).toLocaleString('en-US')} cameras per core for parse + reorder + demux`,
);
