/**
 * PsRtpPacker: access units to GB/T 28181 PS over RTP for an upper platform. What it sends must
 * come back unchanged through our own demuxer, over UDP datagrams and RFC 4571 TCP framing.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { AccessUnit } from '../../../src/media/codec/types';
import { PsRtpPacker, type PackedFrame } from '../../../src/media/forward/ps-rtp-packer';
import { RtpTcpFramer } from '../../../src/media/rtp/tcp-framer';
import { hasFfmpeg, probeBytes } from '../../media/helpers/media-files';
import { AAC_TRACK, aacUnits, demuxRtp, interleave, videoTrack, videoUnits } from './helpers';

const skip = hasFfmpeg ? false : 'ffmpeg is not installed (the clips are made with it)';

/** The UDP datagrams of packed frames, as the UDP sender cuts them. */
function datagrams(frames: readonly PackedFrame[]): Buffer[] {
  const out: Buffer[] = [];
  for (const f of frames) for (let at = 0; at < f.data.length; at += f.stride) out.push(f.data.subarray(at, Math.min(f.data.length, at + f.stride)));
  return out;
}

function packAll(packer: PsRtpPacker, units: readonly AccessUnit[]): PackedFrame[] {
  return units.map((u) => packer.pack(u)).filter((f): f is PackedFrame => f !== null);
}

describe('PS over RTP for an upper platform', { skip }, () => {
  test('H.264 and AAC come back from our demuxer byte for byte, with their timestamps and key frames', () => {
    const video = videoUnits('h264-640x360.h264', 'h264');
    const audio = aacUnits();
    const packer = new PsRtpPacker({ ssrc: 0x12345678, tcpFraming: false });
    packer.setTracks({ video: videoTrack('h264'), audio: AAC_TRACK });
    const { frames, rtp } = demuxRtp(datagrams(packAll(packer, interleave(video, audio))));
    const v = frames.filter((f) => f.kind === 'video');
    const a = frames.filter((f) => f.kind === 'audio');
    assert.equal(v.length, video.length);
    assert.equal(a.length, audio.length);
    v.forEach((f, i) => {
      const src = video[i] as AccessUnit;
      assert.ok(f.data.equals(src.data), `video frame ${i} is unchanged`);
      assert.equal(f.pts, src.pts);
      assert.equal(f.keyframe, src.keyframe);
    });
    a.forEach((f, i) => assert.ok(f.data.equals((audio[i] as AccessUnit).data), `audio frame ${i} is unchanged`));
    assert.ok(rtp.every((p) => p.ssrc === 0x12345678 && p.payloadType === 96 && p.payload.length <= 1400));
  });

  test('sequence numbers run on across frames and wrap; the marker ends each video frame and only it', () => {
    const video = videoUnits('h264-640x360.h264', 'h264');
    const packer = new PsRtpPacker({ ssrc: 1, tcpFraming: false, initialSequenceNumber: 65530, payloadType: 100 });
    packer.setTracks({ video: videoTrack('h264') });
    const packed = packAll(packer, video);
    const { rtp } = demuxRtp(datagrams(packed));
    rtp.forEach((p, i) => assert.equal(p.sequenceNumber, (65530 + i) & 0xffff));
    assert.ok(rtp.every((p) => p.payloadType === 100));
    let i = 0;
    for (const f of packed) {
      const frame = rtp.slice(i, i + f.packets);
      i += f.packets;
      assert.ok(frame.every((p) => p.timestamp === frame[0]?.timestamp), 'one timestamp per frame');
      assert.deepEqual(frame.map((p) => p.marker), frame.map((_, j) => j === frame.length - 1));
    }
    assert.equal(packer.sequenceNumber, (65530 + rtp.length) & 0xffff);
  });

  test('over TCP every packet carries its RFC 4571 length, a frame is one contiguous buffer, and the framer reads it back', () => {
    const video = videoUnits('h264-640x360.h264', 'h264');
    const packer = new PsRtpPacker({ ssrc: 7, tcpFraming: true });
    packer.setTracks({ video: videoTrack('h264') });
    const packed = packAll(packer, video);
    const packets: Buffer[] = [];
    const framer = new RtpTcpFramer({ onPacket: (p) => packets.push(Buffer.from(p)) });
    const stream = Buffer.concat(packed.map((f) => f.data));
    // Reads cut anywhere, as TCP delivers them.
    for (let at = 0; at < stream.length; at += 777) framer.push(stream.subarray(at, Math.min(stream.length, at + 777)));
    assert.equal(packets.length, packed.reduce((n, f) => n + f.packets, 0));
    assert.equal(framer.stats.bytesDropped, 0);
    const { frames } = demuxRtp(packets);
    assert.equal(frames.length, video.length);
    frames.forEach((f, i) => assert.ok(f.data.equals((video[i] as AccessUnit).data)));
  });

  test('a key frame larger than one PES (about 200 KB of noise) is split over several PES and arrives whole', () => {
    const video = videoUnits('h264-noise.h264', 'h264');
    assert.ok((video[0]?.data.length ?? 0) > 65_535, 'the fixture needs a frame larger than one PES');
    const packer = new PsRtpPacker({ ssrc: 9, tcpFraming: false });
    packer.setTracks({ video: videoTrack('h264') });
    const { frames } = demuxRtp(datagrams(packAll(packer, video)));
    assert.equal(frames.length, video.length);
    frames.forEach((f, i) => assert.ok(f.data.equals((video[i] as AccessUnit).data)));
  });

  test('H.265 is declared as stream type 0x24 and plays in ffprobe', () => {
    const video = videoUnits('h265-640x360.hevc', 'h265');
    const packer = new PsRtpPacker({ ssrc: 5, tcpFraming: false });
    packer.setTracks({ video: videoTrack('h265') });
    const { frames, rtp, demuxer } = demuxRtp(datagrams(packAll(packer, video)));
    assert.equal(frames.length, video.length);
    assert.ok(frames.every((f) => f.codec === 'h265'));
    assert.ok(demuxer.stats.psms >= 1);
    const ps = Buffer.concat(rtp.map((p) => p.payload));
    const streams = probeBytes('forward-h265.mpg', ps);
    assert.equal(streams[0]?.codec_name, 'hevc');
    assert.equal(Number(streams[0]?.nb_read_frames), video.length);
  });

  test('an audio-only stream repeats the system header and PSM on every pack, so a receiver can start anywhere', () => {
    const audio = aacUnits();
    const packer = new PsRtpPacker({ ssrc: 3, tcpFraming: false });
    packer.setTracks({ audio: AAC_TRACK });
    const packed = packAll(packer, audio.slice(5));
    const { frames, demuxer } = demuxRtp(datagrams(packed));
    assert.equal(frames.length, audio.length - 5);
    assert.equal(demuxer.stats.psms, packed.length);
  });

  test('units of a kind without a declared track are left out', () => {
    const packer = new PsRtpPacker({ ssrc: 3, tcpFraming: false });
    packer.setTracks({ video: videoTrack('h264') });
    assert.equal(packer.pack(aacUnits()[0] as AccessUnit), null);
  });

  test("an audio pack on a video frame's tick is moved one tick, so receivers keep trusting the marker bits", () => {
    const [key] = videoUnits('h264-640x360.h264', 'h264');
    const [aac] = aacUnits();
    assert.ok(key !== undefined && aac !== undefined);
    const packer = new PsRtpPacker({ ssrc: 3, tcpFraming: false });
    packer.setTracks({ video: videoTrack('h264'), audio: AAC_TRACK });
    const v = packer.pack({ ...key, pts: 180000, dts: 180000 });
    const a = packer.pack({ ...aac, pts: 180000, dts: 180000 });
    assert.ok(v !== null && a !== null);
    assert.equal(v.data.readUInt32BE(4), 180000);
    assert.equal(a.data.readUInt32BE(4), 180001);
    const { frames, demuxer } = demuxRtp(datagrams([v, a]));
    assert.equal(frames.find((f) => f.kind === 'audio')?.pts, 180000, 'the PES keeps the true time');
    assert.equal(demuxer.markerIsTrusted, true);
  });

  test('timestamps past 2^32 wrap in RTP and past 2^33 in PS, as receivers expect', () => {
    const [key] = videoUnits('h264-640x360.h264', 'h264');
    assert.ok(key !== undefined);
    const packer = new PsRtpPacker({ ssrc: 3, tcpFraming: false });
    packer.setTracks({ video: videoTrack('h264') });
    const t = 2 ** 33 + 12345;
    const packed = packer.pack({ ...key, pts: t, dts: t });
    assert.ok(packed !== null);
    assert.equal(packed.data.readUInt32BE(4), t % 2 ** 32);
    const { frames } = demuxRtp(datagrams([packed]));
    assert.equal(frames[0]?.pts, 12345);
  });
});
