import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseAdtsHeader } from '../../src/media/codec/adts';
import { splitAccessUnits, splitAnnexB } from '../../src/media/codec/annexb';
import type { AccessUnit, MediaParams, VideoCodec } from '../../src/media/codec/types';
import { PsDemuxer } from '../../src/media/ps/demuxer';
import { PsMuxer } from '../../src/media/ps/muxer';
import { RtpPsPacketizer } from '../../src/media/ps/rtp-packetizer';
import { parseRtpPacket } from '../../src/media/rtp/packet';
import { RtpReorderBuffer } from '../../src/media/rtp/reorder';
import { framesOf, muxFrames, nalsOf, type SourceFrame } from './helpers/ps-stream';
import { hasFfmpeg, probeBytes, readMedia } from './helpers/media-files';
import { randomInt, seededRandom } from '../helpers/random';

const skip = hasFfmpeg ? false : 'ffmpeg/ffprobe not installed';

interface Received {
  frames: AccessUnit[];
  params: MediaParams[];
  demuxer: PsDemuxer;
  reorder: RtpReorderBuffer;
}

/** RTP packets -> parse -> reorder -> demux, the way the receiver will run it. */
function receive(packets: readonly Buffer[]): Received {
  const frames: AccessUnit[] = [];
  const params: MediaParams[] = [];
  const demuxer = new PsDemuxer({ onFrame: (f) => frames.push(f), onParams: (p) => params.push(p) });
  const reorder = new RtpReorderBuffer({
    onPacket: (p) => demuxer.push(p.payload, p.timestamp, p.marker),
    onLoss: () => demuxer.discontinuity(),
  });
  for (const raw of packets) {
    const p = parseRtpPacket(raw);
    assert.ok(p, 'packetizer output parses');
    reorder.push(p);
  }
  reorder.flush();
  demuxer.flush();
  return { frames, params, demuxer, reorder };
}

function packetize(packs: readonly Buffer[], timestamps: readonly number[], initialSequenceNumber = 65500): Buffer[] {
  const packetizer = new RtpPsPacketizer({ ssrc: 0x12345678, initialSequenceNumber });
  return packs.flatMap((pack, i) => packetizer.packetize(pack, timestamps[i] ?? 0));
}

/** Swaps neighbours here and there, as a network would (the first packet sets the sequence base). */
function jostle(packets: Buffer[], seed: number): Buffer[] {
  const rand = seededRandom(seed);
  const out = [...packets];
  for (let i = 1; i + 3 < out.length; i += randomInt(rand, 3, 9)) {
    const j = i + randomInt(rand, 1, 3);
    [out[i], out[j]] = [out[j] as Buffer, out[i] as Buffer];
  }
  return out;
}

function assertSameVideo(source: readonly SourceFrame[], got: readonly AccessUnit[], codec: VideoCodec): void {
  const video = got.filter((f) => f.kind === 'video');
  assert.equal(video.length, source.length, 'frame count');
  assert.deepEqual(video.map((f) => f.keyframe), source.map((f) => f.keyframe), 'key frame flags');
  assert.deepEqual(video.map((f) => f.pts), source.map((f) => f.pts), 'PTS');
  assert.ok(video.every((f) => f.codec === codec));
  const want = nalsOf(source);
  const have = nalsOf(video);
  for (let i = 0; i < want.length; i++) {
    assert.equal(have[i]?.length, want[i]?.length, `frame ${i} NAL count`);
    want[i]?.forEach((n, k) => assert.ok(n.equals(have[i]?.[k] as Buffer), `frame ${i} NAL ${k} bytes`));
  }
  video.forEach((f, i) => {
    assert.ok(f.nalUnits?.every((n, k) => n.equals(have[i]?.[k] as Buffer)), `frame ${i} nalUnits views`);
  });
}

describe('PS mux -> RTP -> demux round trip with ffmpeg-made media', () => {
  for (const [file, codec, probeName] of [
    ['h264-640x360.h264', 'h264', 'h264'],
    ['h265-640x360.hevc', 'h265', 'hevc'],
  ] as const) {
    test(`${codec}: every frame comes back with its key flag, PTS, NAL bytes and 640x360 parameters`, { skip }, () => {
      const source = framesOf(readMedia(file), codec);
      assert.equal(source.length, 50);
      assert.equal(source.filter((f) => f.keyframe).length, 2);
      const packs = muxFrames(source, codec);
      const { frames, params, demuxer, reorder } = receive(jostle(packetize(packs, source.map((f) => f.pts)), 1));
      assertSameVideo(source, frames, codec);
      assert.equal(params.length, 1);
      const p = params[0];
      assert.ok(p?.kind === 'video');
      assert.deepEqual([p.codec, p.width, p.height], [codec, 640, 360]);
      assert.equal(demuxer.stats.bytesDropped, 0);
      assert.equal(demuxer.stats.resyncs, 0);
      assert.equal(demuxer.stats.psms, 2, 'system header and PSM on each key frame');
      assert.equal(reorder.stats.lost, 0);
      assert.ok(reorder.stats.reordered > 0, 'the network shuffle was real');
      assert.ok(demuxer.markerIsTrusted);
    });

    test(`${codec}: ffprobe reads the muxed PS as ${probeName} 640x360 with 50 frames`, { skip }, () => {
      const source = framesOf(readMedia(file), codec);
      const streams = probeBytes(`roundtrip-${codec}.ps`, Buffer.concat(muxFrames(source, codec)));
      assert.equal(streams.length, 1);
      assert.equal(streams[0]?.codec_name, probeName);
      assert.equal(streams[0]?.width, 640);
      assert.equal(streams[0]?.height, 360);
      assert.equal(streams[0]?.nb_read_frames, '50');
    });
  }

  test('frames larger than one PES are split into PES of at most 65,400 bytes and joined again', { skip }, () => {
    const source = framesOf(readMedia('h264-noise.h264'), 'h264');
    assert.ok(source.every((f) => f.data.length > 65400), 'every frame needs several PES');
    const packs = muxFrames(source, 'h264');
    for (const pack of packs) {
      for (let at = pack.indexOf(Buffer.from([0, 0, 1, 0xe0])); at >= 0; at = pack.indexOf(Buffer.from([0, 0, 1, 0xe0]), at + 1)) {
        assert.ok(6 + pack.readUInt16BE(at + 4) <= 65400);
      }
    }
    const { frames, demuxer } = receive(packetize(packs, source.map((f) => f.pts)));
    assertSameVideo(source, frames, 'h264');
    assert.ok(demuxer.stats.pes > source.length * 2);
    assert.equal(probeBytes('noise.ps', Buffer.concat(packs))[0]?.nb_read_frames, String(source.length));
  });

  test('B-frames keep distinct PTS and DTS', { skip }, () => {
    const aus = splitAccessUnits(readMedia('h264-bframes.h264'), 'h264');
    const muxer = new PsMuxer({ videoCodec: 'h264' });
    const timing = aus.map((_, i) => ({ dts: 90000 + i * 3600, pts: 90000 + i * 3600 + (i % 3) * 3600 + 3600 }));
    const packs = aus.map((data, i) =>
      muxer.muxVideo({ data, pts: timing[i]?.pts ?? 0, dts: timing[i]?.dts ?? 0, keyframe: splitAnnexB(data).some((n) => ((n[0] ?? 0) & 0x1f) === 5) }),
    );
    const { frames } = receive(packetize(packs, timing.map((t) => t.pts)));
    assert.deepEqual(frames.map((f) => ({ pts: f.pts, dts: f.dts })), timing);
  });

  test('AAC and G.711 audio packs between video frames come back as audio access units', { skip }, () => {
    const video = framesOf(readMedia('h264-640x360.h264'), 'h264').slice(0, 25);
    const aac = readMedia('aac-8k.aac');
    const adts: Buffer[] = [];
    for (let at = 0; at < aac.length; ) {
      const h = parseAdtsHeader(aac, at);
      assert.ok(h);
      adts.push(aac.subarray(at, at + h.frameLength));
      at += h.frameLength;
    }
    const alaw = readMedia('g711a-8k.alaw');
    for (const audioCodec of ['aac', 'g711a'] as const) {
      const muxer = new PsMuxer({ videoCodec: 'h264', audioCodec });
      const packs: Buffer[] = [];
      const times: number[] = [];
      const sentAudio: Buffer[] = [];
      video.forEach((f, i) => {
        packs.push(muxer.muxVideo({ data: f.data, pts: f.pts, keyframe: f.keyframe }));
        times.push(f.pts);
        const a = audioCodec === 'aac' ? (adts[i % adts.length] as Buffer) : alaw.subarray(i * 320, i * 320 + 320);
        sentAudio.push(a);
        packs.push(muxer.muxAudio(a, f.pts + 1800));
        times.push(f.pts + 1800);
      });
      const { frames, params } = receive(packetize(packs, times));
      const audio = frames.filter((f) => f.kind === 'audio');
      assert.equal(frames.filter((f) => f.kind === 'video').length, 25);
      assert.equal(audio.length, 25, audioCodec);
      assert.ok(audio.every((f, i) => f.codec === audioCodec && f.data.equals(sentAudio[i] as Buffer) && f.pts === (video[i]?.pts ?? 0) + 1800));
      const ap = params.find((p) => p.kind === 'audio');
      assert.ok(ap?.kind === 'audio');
      assert.deepEqual([ap.codec, ap.sampleRate, ap.channels], [audioCodec, 8000, 1]);
      if (audioCodec === 'aac') assert.equal(ap.aacConfig?.toString('hex'), '1588');
      const streams = probeBytes(`av-${audioCodec}.ps`, Buffer.concat(packs));
      assert.ok(streams.some((s) => s.codec_name === 'h264' && s.nb_read_frames === '25'));
      // ffmpeg 5.1's PS demuxer knows stream type 0x0F but not GB/T 28181's 0x90 (it probes G.711 as MP2).
      if (audioCodec === 'aac') assert.ok(streams.some((s) => s.codec_name === 'aac'), JSON.stringify(streams.map((s) => s.codec_name)));
    }
  });

  test('frames do not keep the pushed buffers alive: their bytes are copies, even of a frame pushed in one piece', { skip }, () => {
    // native/rtp-recv hands over one buffer per round with every stream's packets: a frame that
    // viewed it would pin all of them for as long as a GOP cache holds the frame.
    const video = framesOf(readMedia('h264-640x360.h264'), 'h264').slice(0, 10);
    const muxer = new PsMuxer({ videoCodec: 'h264', audioCodec: 'g711a' });
    const pushed = new Set<ArrayBufferLike>();
    const frames: AccessUnit[] = [];
    const demuxer = new PsDemuxer({ onFrame: (f) => frames.push(f), onParams: () => undefined });
    const push = (pack: Buffer, ts: number): void => {
      const own = Buffer.from(new Uint8Array(pack).buffer); // an ArrayBuffer of its own, as a batch has
      pushed.add(own.buffer);
      demuxer.push(own, ts, true);
    };
    video.forEach((f, i) => {
      push(muxer.muxVideo({ data: f.data, pts: f.pts, keyframe: f.keyframe }), f.pts);
      push(muxer.muxAudio(Buffer.alloc(320, i), f.pts + 1800), f.pts + 1800);
    });
    demuxer.flush();
    assert.equal(frames.filter((f) => f.kind === 'video').length, 10);
    assert.equal(frames.filter((f) => f.kind === 'audio').length, 10);
    for (const f of frames) {
      assert.ok(!pushed.has(f.data.buffer), `${f.kind} frame at ${f.pts} views a pushed buffer`);
      for (const n of f.nalUnits ?? []) assert.ok(!pushed.has(n.buffer), 'a NAL unit views a pushed buffer');
    }
  });
});

describe('demuxing program streams written by ffmpeg itself', () => {
  for (const file of ['ffmpeg-h264.vob', 'ffmpeg-h264.mpg']) {
    test(`${file} (no PSM, H.264 on stream 0xE2, PES cut mid-frame): 50 frames, 2 key, same bytes, steady PTS`, { skip }, () => {
      const ps = readMedia(file);
      const source = splitAccessUnits(readMedia('h264-640x360.h264'), 'h264');
      const frames: AccessUnit[] = [];
      const demuxer = new PsDemuxer({ onFrame: (f) => frames.push(f) });
      for (let at = 0; at < ps.length; at += 1400) demuxer.push(ps.subarray(at, at + 1400), 0, false);
      demuxer.flush();
      assert.equal(frames.length, 50);
      assert.equal(frames.filter((f) => f.keyframe).length, 2);
      assert.ok(frames.every((f, i) => f.codec === 'h264' && f.data.equals(source[i] as Buffer)));
      const steps = new Set(frames.slice(1).map((f, i) => f.pts - (frames[i]?.pts ?? 0)));
      assert.deepEqual([...steps], [3600]);
      assert.equal(demuxer.videoParams?.width, 640);
      assert.equal(demuxer.stats.bytesDropped, 0);
    });
  }
});
