import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import type { AccessUnit } from '../../../../src/media/codec/types';
import { FlvMuxer, type HevcMode } from '../../../../src/media/out/flv/muxer';
import { hasFfmpeg, mediaPath, readMedia } from '../../helpers/media-files';
import { aacUnits, hevcAnnexBFromTags, probeStreams as probe, readFlvTags, videoUnits } from './helpers/flv-file';

const skip = hasFfmpeg ? false : 'ffmpeg/ffprobe not installed';
const dir = mkdtempSync(join(tmpdir(), 'gbvms-flv-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function writeScratch(name: string, data: Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, data);
  return path;
}

/** What `ffmpeg -v error -i file -f null -` complains about while decoding everything. */
function decodeErrors(path: string, format?: string): string {
  const args = ['-v', 'error', ...(format ? ['-f', format] : []), '-i', path, '-f', 'null', '-'];
  const run = spawnSync('ffmpeg', args, { timeout: 60_000 });
  assert.equal(run.status, 0, run.stderr.toString());
  return run.stderr.toString();
}

/** Muxes video (and audio) access units into one FLV file, interleaved by decode time. */
function muxFile(muxer: FlvMuxer, video: ReturnType<typeof videoUnits>, audio?: ReturnType<typeof aacUnits>): Buffer {
  const parts: Buffer[] = [muxer.header({ hasVideo: true, hasAudio: audio !== undefined })];
  parts.push(muxer.metadata({ video: video.params, ...(audio ? { audio: audio.params } : {}) }));
  const seq = muxer.videoSequenceHeader(video.params);
  assert.ok(seq);
  parts.push(seq);
  if (audio) {
    const aseq = muxer.audioSequenceHeader(audio.params);
    assert.ok(aseq);
    parts.push(aseq);
  }
  const units: AccessUnit[] = [...video.units, ...(audio?.units ?? [])].sort((a, b) => a.dts - b.dts);
  for (const au of units) {
    const tag = au.kind === 'video' ? muxer.videoFrame(au) : muxer.audioFrame(au);
    assert.ok(tag, 'every real access unit gives a tag');
    parts.push(tag);
  }
  return Buffer.concat(parts);
}

describe('FLV read back by ffprobe/ffmpeg', { skip }, () => {
  test('H.264 640x360 25 fps with AAC: ffprobe sees both tracks and every frame, ffmpeg decodes cleanly', () => {
    const video = videoUnits(readMedia('h264-640x360.h264'), 'h264');
    const audio = aacUnits(readMedia('aac-8k.aac'));
    assert.equal(video.units.length, 50);
    const path = writeScratch('h264-aac.flv', muxFile(new FlvMuxer(), video, audio));
    const streams = probe(path);
    const v = streams.find((s) => s.codec_type === 'video');
    const a = streams.find((s) => s.codec_type === 'audio');
    assert.ok(v && a, JSON.stringify(streams));
    assert.equal(v.codec_name, 'h264');
    assert.equal(v.width, 640);
    assert.equal(v.height, 360);
    assert.equal(Number(v.nb_read_frames), video.units.length);
    assert.equal(a.codec_name, 'aac');
    assert.equal(Number(a.sample_rate), 8000);
    assert.equal(a.channels, 1);
    assert.equal(Number(a.nb_read_frames), audio.units.length);
    assert.equal(decodeErrors(path), '');
  });

  test('the first tag timestamps start at 0 and advance 40 ms per frame', () => {
    const video = videoUnits(readMedia('h264-640x360.h264'), 'h264');
    const tags = readFlvTags(muxFile(new FlvMuxer(), video)).filter((t) => t.type === 9);
    assert.deepEqual(tags.slice(0, 4).map((t) => t.timestamp), [0, 0, 40, 80]);
    assert.equal(tags.at(-1)?.timestamp, 49 * 40);
  });

  test('G.711 A-law 8 kHz mono: ffprobe reads pcm_alaw and ffmpeg decodes cleanly', () => {
    const alaw = readMedia('g711a-8k.alaw');
    const muxer = new FlvMuxer();
    const parts = [muxer.header({ hasVideo: false, hasAudio: true }), muxer.metadata({ audio: { kind: 'audio', codec: 'g711a', sampleRate: 8000, channels: 1 } })];
    let packets = 0;
    for (let at = 0; at < alaw.length; at += 160, packets++) {
      const tag = muxer.audioFrame({ kind: 'audio', codec: 'g711a', pts: at * 11.25, dts: at * 11.25, keyframe: true, data: alaw.subarray(at, at + 160) });
      assert.ok(tag);
      parts.push(tag);
    }
    const path = writeScratch('alaw.flv', Buffer.concat(parts));
    const [a] = probe(path);
    assert.ok(a);
    assert.equal(a.codec_name, 'pcm_alaw');
    assert.equal(Number(a.sample_rate), 8000);
    assert.equal(a.channels, 1);
    assert.equal(Number(a.nb_read_frames), packets);
    assert.equal(decodeErrors(path), '');
  });

  for (const mode of ['enhanced', 'codecId12'] as const satisfies readonly HevcMode[]) {
    test(`H.265 640x360 in ${mode} mode: the configuration record and length-prefixed frames give back a stream ffmpeg decodes`, () => {
      const video = videoUnits(readMedia('h265-640x360.hevc'), 'h265');
      assert.equal(video.units.length, 50);
      const flv = muxFile(new FlvMuxer({ hevcMode: mode }), video);
      const path = writeScratch(`h265-${mode}.flv`, flv);
      const direct = probe(path).find((s) => s.codec_type === 'video');
      if (direct?.codec_name === 'hevc') {
        // An FFmpeg that reads this FLV flavour (enhanced: 6.1+): check the file itself.
        assert.equal(direct.width, 640);
        assert.equal(Number(direct.nb_read_frames), 50);
        assert.equal(decodeErrors(path), '');
      }
      // FFmpeg 5.1 (Debian 12) reads neither flavour, so the bytes are checked by rebuilding
      // Annex B from them: any error in the record or the length prefixes breaks decoding.
      const tags = readFlvTags(flv);
      const seqHead = tags.find((t) => t.type === 9)?.data;
      assert.ok(seqHead);
      if (mode === 'enhanced') assert.deepEqual(seqHead.subarray(0, 5), Buffer.from([0x90, 0x68, 0x76, 0x63, 0x31]));
      else assert.deepEqual(seqHead.subarray(0, 5), Buffer.from([0x1c, 0, 0, 0, 0]));
      const offsets = mode === 'enhanced' ? { config: 5, frame: 8 } : { config: 5, frame: 5 };
      const rebuilt = writeScratch(`h265-${mode}.hevc`, hevcAnnexBFromTags(tags, offsets));
      const [v] = probe(rebuilt);
      assert.ok(v);
      assert.equal(v.codec_name, 'hevc');
      assert.equal(v.width, 640);
      assert.equal(v.height, 360);
      assert.equal(Number(v.nb_read_frames), 50);
      assert.equal(decodeErrors(rebuilt, 'hevc'), '');
    });
  }

  test('the HEVCDecoderConfigurationRecord equals the hvcC ffmpeg writes into MP4, array completeness aside', () => {
    const video = videoUnits(readMedia('h265-640x360.hevc'), 'h265');
    const tags = readFlvTags(muxFile(new FlvMuxer(), video));
    const ours = tags.find((t) => t.type === 9)?.data.subarray(5);
    assert.ok(ours);
    const mp4 = join(dir, 'h265.mp4');
    execFileSync('ffmpeg', ['-v', 'error', '-y', '-i', mediaPath('h265-640x360.hevc'), '-c', 'copy', '-tag:v', 'hvc1', mp4], { timeout: 60_000 });
    const file = readFileSync(mp4);
    const box = file.indexOf('hvcC');
    assert.ok(box > 0);
    const theirs = file.subarray(box + 4, file.readUInt32BE(box - 4) + box - 4);
    assert.deepEqual(ours, theirs);
  });
});
