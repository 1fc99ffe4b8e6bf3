import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseAdtsHeader } from '../../src/media/codec/adts';
import { joinAnnexB, splitAnnexB } from '../../src/media/codec/annexb';
import type { VideoCodec } from '../../src/media/codec/types';
import { collectingDemuxer, demuxPacks, deviceSystemHeader, devicePack, feed, framesOf, H264_G711A_PSM, nalsOf, packHeader, pes, psm, rawPacket, type SourceFrame } from './helpers/ps-stream';
import { hasFfmpeg, readMedia } from './helpers/media-files';

const skip = hasFfmpeg ? false : 'ffmpeg/ffprobe not installed';

function source(file = 'h264-640x360.h264', codec: VideoCodec = 'h264', firstPts = 90000): SourceFrame[] {
  return framesOf(readMedia(file), codec, firstPts);
}

function assertSameFrames(src: readonly SourceFrame[], got: readonly { data: Buffer; keyframe: boolean; pts: number; kind: string }[], label = ''): void {
  const video = got.filter((f) => f.kind === 'video');
  assert.equal(video.length, src.length, `${label} frame count`);
  assert.deepEqual(video.map((f) => f.keyframe), src.map((f) => f.keyframe), `${label} key flags`);
  assert.deepEqual(video.map((f) => f.pts), src.map((f) => f.pts), `${label} PTS`);
  const want = nalsOf(src);
  const have = nalsOf(video);
  want.forEach((nals, i) => {
    assert.equal(have[i]?.length, nals.length, `${label} frame ${i} NAL count`);
    nals.forEach((n, k) => assert.ok(n.equals(have[i]?.[k] as Buffer), `${label} frame ${i} NAL ${k}`));
  });
}

describe('PS field quirks (field-quirks.md, "PS over RTP")', () => {
  test('pack headers with 6 bytes of stuffing holding a counter and 00 00 01 (Tiandy)', { skip }, () => {
    const src = source();
    const packs = src.map((f, i) => devicePack(f, { stuffing: Buffer.from([0x00, 0x00, 0x01, 0xe0, i & 0xff, 0xff]) }));
    const { frames, demuxer } = demuxPacks(packs, src.map((f) => f.pts));
    assertSameFrames(src, frames);
    assert.equal(demuxer.stats.bytesDropped, 0);
    assert.equal(demuxer.stats.packs, 50);
  });

  test('one PES per NAL unit (SPS, PPS, SEI, IDR separately), PSM and system header on key frames only', { skip }, () => {
    const src = source();
    const packs = src.map((f) => devicePack(f, { perNal: true }));
    const { frames, demuxer, params } = demuxPacks(packs, src.map((f) => f.pts));
    assertSameFrames(src, frames);
    assert.equal(demuxer.stats.psms, 2);
    assert.equal(demuxer.stats.systemHeaders, 2);
    assert.ok(demuxer.stats.pes > 50);
    assert.equal(params.length, 1);
  });

  for (const [file, codec] of [
    ['h264-640x360.h264', 'h264'],
    ['h265-640x360.hevc', 'h265'],
  ] as const) {
    test(`no system header and no PSM at all: ${codec} is recognised from the NAL units`, { skip }, () => {
      const src = source(file, codec);
      const packs = src.map((f) => devicePack(f, { psm: null, systemHeader: false }));
      const { frames, params } = demuxPacks(packs, src.map((f) => f.pts));
      assertSameFrames(src, frames);
      assert.ok(frames.every((f) => f.codec === codec));
      assert.deepEqual(params.map((p) => (p.kind === 'video' ? [p.codec, p.width, p.height] : [])), [[codec, 640, 360]]);
    });
  }

  test('H.264 declared in the PSM but H.265 sent (Kedacom): frames and parameters are H.265', { skip }, () => {
    const src = source('h265-640x360.hevc', 'h265');
    const packs = src.map((f) => devicePack(f));
    const { frames, params, demuxer } = demuxPacks(packs, src.map((f) => f.pts));
    assertSameFrames(src, frames);
    assert.ok(frames.every((f) => f.codec === 'h265'));
    assert.equal(params.length, 1);
    assert.equal(params[0]?.codec, 'h265');
    assert.equal(demuxer.stats.codecSwitches, 1);
  });

  test('H.265 declared as stream type 0x24 with a PSM whose map length is too short and vendor descriptors', { skip }, () => {
    const src = source('h265-640x360.hevc', 'h265');
    const map = psm(
      [
        [0x24, 0xe0],
        [0x91, 0xc0],
      ],
      { mapLength: 4, descriptors: Buffer.from([0x0a, 0x04, 0x65, 0x6e, 0x67, 0x00]) },
    );
    const g711 = Buffer.alloc(320, 0x7f);
    const packs = src.map((f, i) => devicePack(f, { psm: map, extra: i > 0 ? [pes(0xc0, g711, f.pts)] : [] }));
    const { frames, demuxer } = demuxPacks(packs, src.map((f) => f.pts));
    assertSameFrames(src, frames);
    assert.equal(demuxer.stats.codecSwitches, 0);
    const audio = frames.filter((f) => f.kind === 'audio');
    assert.equal(audio.length, 49);
    assert.ok(audio.every((f) => f.codec === 'g711u'), 'the audio entry behind the too-short map length was read');
  });

  test('a PSM whose map length runs past its CRC still yields its entries', { skip }, () => {
    const src = source().slice(0, 25);
    const map = psm(
      [
        [0x1b, 0xe0],
        [0x91, 0xc0],
      ],
      { mapLength: 200 },
    );
    const packs = src.map((f) => devicePack(f, { psm: map, extra: [pes(0xc0, Buffer.alloc(160, 0x55), f.pts)] }));
    const { frames } = demuxPacks(packs, src.map((f) => f.pts));
    assertSameFrames(src, frames);
    assert.ok(frames.filter((f) => f.kind === 'audio').every((f) => f.codec === 'g711u'));
  });

  test('a PSM that changes mid-stream (G.711A to G.711U) changes the audio codec and its parameters', { skip }, () => {
    const src = source();
    const alaw = psm([
      [0x1b, 0xe0],
      [0x90, 0xc0],
    ]);
    const ulaw = psm(
      [
        [0x1b, 0xe0],
        [0x91, 0xc0],
      ],
      { version: 1 },
    );
    const packs = src.map((f, i) => devicePack(f, { psm: i < 25 ? alaw : ulaw, extra: [pes(0xc0, Buffer.alloc(320, 0xd5), f.pts)] }));
    const { frames, params } = demuxPacks(packs, src.map((f) => f.pts));
    const audio = frames.filter((f) => f.kind === 'audio');
    assert.deepEqual(audio.map((f) => f.codec), [...Array<string>(25).fill('g711a'), ...Array<string>(25).fill('g711u')]);
    assert.deepEqual(params.filter((p) => p.kind === 'audio').map((p) => p.codec), ['g711a', 'g711u']);
  });

  test('G.711 declared but AAC ADTS sent (Dahua): the audio comes out as AAC', { skip }, () => {
    const src = source().slice(0, 10);
    const aac = readMedia('aac-8k.aac');
    const adts: Buffer[] = [];
    for (let at = 0; adts.length < 10; ) {
      const h = parseAdtsHeader(aac, at);
      assert.ok(h);
      adts.push(aac.subarray(at, at + h.frameLength));
      at += h.frameLength;
    }
    const packs = src.map((f, i) => devicePack(f, { extra: [pes(0xc0, adts[i] as Buffer, f.pts)] }));
    const { frames, params } = demuxPacks(packs, src.map((f) => f.pts));
    const audio = frames.filter((f) => f.kind === 'audio');
    assert.equal(audio.length, 10);
    assert.ok(audio.every((f, i) => f.codec === 'aac' && f.data.equals(adts[i] as Buffer)));
    assert.deepEqual(params.filter((p) => p.kind === 'audio').map((p) => p.codec), ['aac']);
  });

  test('private streams 0xBD and 0xBF and padding 0xBE are skipped', { skip }, () => {
    const src = source();
    const extra = [pes(0xbd, Buffer.from('vendor private data 00 00 01 ba')), rawPacket(0xbf, Buffer.alloc(40, 0x01)), rawPacket(0xbe, Buffer.alloc(16, 0xff))];
    const packs = src.map((f) => devicePack(f, { extra }));
    const { frames, demuxer } = demuxPacks(packs, src.map((f) => f.pts));
    assertSameFrames(src, frames);
    assert.equal(demuxer.stats.pesSkipped, 150);
    assert.equal(demuxer.stats.bytesDropped, 0);
  });

  test('video PES with length 0 run to the next start code', { skip }, () => {
    const src = source();
    for (const marker of ['last', 'none'] as const) {
      const packs = src.map((f) => devicePack(f, { unbounded: true, perNal: true }));
      const d = collectingDemuxer();
      feed(d.demuxer, packs, src.map((f) => f.pts), { marker });
      d.demuxer.flush();
      assertSameFrames(src, d.frames, marker);
      assert.equal(d.demuxer.stats.bytesDropped, 0);
    }
  });

  test('a key frame split into two PES, the second without a start code and without PTS', { skip }, () => {
    const src = source('h264-noise.h264');
    const packs = src.map((f) => {
      const first = f.data.subarray(0, 65000);
      const parts = [packHeader(f.pts), deviceSystemHeader(), H264_G711A_PSM, pes(0xe0, first, f.pts)];
      for (let at = 65000; at < f.data.length; at += 65000) parts.push(pes(0xe0, f.data.subarray(at, at + 65000)));
      return Buffer.concat(parts);
    });
    const { frames, demuxer } = demuxPacks(packs, src.map((f) => f.pts));
    assertSameFrames(src, frames);
    assert.equal(demuxer.stats.bytesDropped, 0);
  });

  test('a key frame split into two PES that both carry the PTS', { skip }, () => {
    const src = source('h264-noise.h264');
    const packs = src.map((f) => {
      const parts = [packHeader(f.pts)];
      for (let at = 0; at < f.data.length; at += 65000) parts.push(pes(0xe0, f.data.subarray(at, at + 65000), f.pts));
      return Buffer.concat(parts);
    });
    const { frames } = demuxPacks(packs, src.map((f) => f.pts));
    assertSameFrames(src, frames);
  });

  test('the rest of a ~64 KB key frame sent after its PES with no PES header at all', { skip }, () => {
    const src = source('h264-noise.h264');
    const packs = src.map((f) => {
      const head = pes(0xe0, f.data.subarray(0, 65400), f.pts);
      return Buffer.concat([packHeader(f.pts), head, f.data.subarray(65400)]);
    });
    for (const marker of ['last', 'none'] as const) {
      const d = collectingDemuxer();
      feed(d.demuxer, packs, src.map((f) => f.pts), { marker });
      d.demuxer.flush();
      assertSameFrames(src, d.frames, marker);
      assert.equal(d.demuxer.stats.bytesDropped, 0);
    }
  });

  test('frames cut into tiny RTP payloads, with the marker on the last packet, on none, or on every packet', { skip }, () => {
    const src = source().slice(0, 30);
    const packs = src.map((f, i) => devicePack(f, { perNal: i % 2 === 0, stuffing: Buffer.from([0xff, 0xff, i]) }));
    for (const marker of ['last', 'none', 'all'] as const) {
      for (const payloadSize of [1, 7, 188]) {
        const d = collectingDemuxer();
        feed(d.demuxer, packs, src.map((f) => f.pts), { marker, payloadSize });
        d.demuxer.flush();
        assertSameFrames(src, d.frames, `${marker}/${payloadSize}`);
        assert.equal(d.demuxer.stats.bytesDropped, 0);
        assert.equal(d.demuxer.markerIsTrusted, marker !== 'all');
      }
    }
  });

  test('the frame is emitted when its marker packet arrives, not one frame later', { skip }, () => {
    const src = source().slice(0, 3);
    const d = collectingDemuxer();
    feed(d.demuxer, [devicePack(src[0] as SourceFrame)], [90000]);
    assert.equal(d.frames.length, 1);
  });

  test('SPS and PPS in an RTP frame of their own before the IDR end up in the key frame', { skip }, () => {
    const src = source();
    const packs: Buffer[] = [];
    const times: number[] = [];
    for (const f of src) {
      const nals = splitAnnexB(f.data);
      if (f.keyframe) {
        packs.push(Buffer.concat([packHeader(f.pts), pes(0xe0, joinAnnexB(nals.slice(0, 2)), f.pts)]));
        times.push(f.pts);
        packs.push(Buffer.concat([packHeader(f.pts), pes(0xe0, joinAnnexB(nals.slice(2)), f.pts)]));
      } else {
        packs.push(devicePack(f));
      }
      times.push(f.pts);
    }
    const { frames } = demuxPacks(packs, times);
    assertSameFrames(src, frames);
  });

  test('a key frame without SPS and PPS gets the last ones seen put in front', { skip }, () => {
    const src = source();
    const stripped = src.map((f, i) => (f.keyframe && i > 0 ? { ...f, data: joinAnnexB(splitAnnexB(f.data).filter((n) => ((n[0] ?? 0) & 0x1f) === 5 || ((n[0] ?? 0) & 0x1f) === 1)) } : f));
    const { frames } = demuxPacks(stripped.map((f) => devicePack(f)), src.map((f) => f.pts));
    const second = frames.filter((f) => f.keyframe)[1];
    assert.ok(second);
    assert.deepEqual(splitAnnexB(second.data).map((n) => (n[0] ?? 0) & 0x1f), [7, 8, 5]);
  });

  test('an I picture that is not IDR but carries its SPS counts as a key frame', { skip }, () => {
    const src = source().slice(0, 26);
    const nonIdr = src.map((f) => {
      if (!f.keyframe) return f;
      const nals = splitAnnexB(f.data).map((n) => (((n[0] ?? 0) & 0x1f) === 5 ? Buffer.concat([Buffer.from([0x61]), n.subarray(1)]) : n));
      return { ...f, data: joinAnnexB(nals) };
    });
    const { frames } = demuxPacks(nonIdr.map((f) => devicePack(f)), src.map((f) => f.pts));
    assert.deepEqual(frames.map((f) => f.keyframe), src.map((f) => f.keyframe));
  });

  for (const declared of [false, true]) {
    test(`a codec switch (H.264 to H.265) and resolution changes mid-stream emit new parameters (${declared ? 'PSM follows' : 'no PSM'})`, { skip }, () => {
      const segments: [string, VideoCodec][] = [
        ['h264-640x360.h264', 'h264'],
        ['h264-320x240.h264', 'h264'],
        ['h265-640x360.hevc', 'h265'],
        ['h265-320x240.hevc', 'h265'],
      ];
      let pts = 90000;
      const all: SourceFrame[] = [];
      for (const [file, codec] of segments) {
        const src = source(file, codec, pts);
        pts += src.length * 3600;
        all.push(...src);
      }
      const h265Psm = psm([[0x24, 0xe0]], { version: 1 });
      const packs = all.map((f, i) => devicePack(f, { psm: !declared ? null : i < 75 ? H264_G711A_PSM : h265Psm }));
      const { frames, params, demuxer } = demuxPacks(packs, all.map((f) => f.pts));
      assertSameFrames(all, frames);
      assert.deepEqual(
        params.map((p) => (p.kind === 'video' ? `${p.codec} ${p.width}x${p.height}` : p.codec)),
        ['h264 640x360', 'h264 320x240', 'h265 640x360', 'h265 320x240'],
      );
      assert.deepEqual(frames.map((f) => f.codec), [...Array<string>(75).fill('h264'), ...Array<string>(75).fill('h265')]);
      assert.equal(demuxer.stats.codecSwitches, 1);
    });
  }
});
