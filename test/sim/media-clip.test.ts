import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { PsMuxer } from '../../src/media/ps/muxer';
import { PTS_WRAP } from '../../src/media/ps/timestamp';
import { writePackHeader } from '../../src/media/ps/pack-header';
import { hasFfmpeg } from '../media/helpers/media-files';
import { collectingDemuxer } from '../media/helpers/ps-stream';
import { loadSimClip, resolveMediaOptions } from './media-clip';
import { SMALL_MEDIA } from './media-harness';
import { packTimeFields, shiftPackTime } from './ps-retime';

const skip = hasFfmpeg ? false : 'ffmpeg not installed';
const IDR = Buffer.from([0, 0, 0, 1, 0x67, 0x42, 0, 0x1e, 0, 0, 0, 1, 0x68, 0xce, 0x38, 0x80, 0, 0, 0, 1, 0x65, 0x88, 0x84, 0x00]);

describe('looping a PS clip', () => {
  test('shifting a pack moves its SCR and PTS by the same amount, across the 33-bit wrap', () => {
    for (const audio of [false, true]) {
      const muxer = new PsMuxer({ videoCodec: 'h264', ...(audio ? { audioCodec: 'g711a' as const } : {}) });
      const pts = PTS_WRAP - 3600;
      const pack = muxer.muxVideo({ data: IDR, pts, keyframe: true });
      const fields = packTimeFields(pack);
      assert.ok(fields && fields.ptsAt.length === 1);
      const shifted = Buffer.from(pack);
      shiftPackTime(shifted, fields, 7200);
      const expected = Buffer.from(new PsMuxer({ videoCodec: 'h264', ...(audio ? { audioCodec: 'g711a' as const } : {}) }).muxVideo({ data: IDR, pts: 3600, keyframe: true }));
      assert.deepEqual(shifted, expected, 'identical to a pack muxed at the shifted time');
      const scrOnly = Buffer.alloc(14);
      writePackHeader(scrOnly, 0, 3600, 2_500_000 / 50);
      assert.deepEqual(shifted.subarray(4, 10), scrOnly.subarray(4, 10));
    }
  });

  test('an audio pack is retimed like a video one and still demuxes', () => {
    const muxer = new PsMuxer({ videoCodec: 'h264', audioCodec: 'g711a' });
    const pack = muxer.muxAudio(Buffer.alloc(320, 0xd5), 90000);
    const fields = packTimeFields(pack);
    assert.ok(fields);
    shiftPackTime(pack, fields, 90000);
    const d = collectingDemuxer();
    d.demuxer.push(muxer.muxVideo({ data: IDR, pts: 180000, keyframe: true }), 180000, true);
    d.demuxer.push(pack, 180000 + 1800, true);
    d.demuxer.flush();
    assert.deepEqual(d.frames.map((f) => [f.kind, f.pts]), [['video', 180000], ['audio', 180000]]);
  });

  test('packTimeFields refuses what is not a pack', () => {
    assert.equal(packTimeFields(Buffer.from([0, 0, 1, 0xe0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])), undefined);
    assert.equal(packTimeFields(Buffer.alloc(3)), undefined);
  });
});

describe('the simulator clip', { skip }, () => {
  test('options default to a 2 Mbit/s 720p H.264 camera and the clip is whole GOPs', () => {
    assert.deepEqual(resolveMediaOptions(undefined), {
      codec: 'h264',
      bitrateKbps: 2000,
      width: 1280,
      height: 720,
      clipSeconds: 4,
      gopFrames: 50,
      audio: false,
      maxPayload: 1400,
      pacing: 'spread',
    });
    assert.equal(resolveMediaOptions({ clipSeconds: 1.5, gopFrames: 25 }).clipSeconds, 2);
  });

  test('is built once per settings: key frame every GOP, payloads within maxPayload, marker ending each pack, time only in first packets', async () => {
    const clip = await loadSimClip({ ...SMALL_MEDIA, audio: true });
    assert.equal(await loadSimClip({ ...SMALL_MEDIA, audio: true }), clip, 'cached in the process');
    assert.equal(clip.videoFrames, 25);
    assert.equal(clip.keyFrames, 1);
    assert.equal(clip.durationTicks, 90000);
    assert.ok(clip.packets.every((p) => p.payload.length <= 1400 && p.payload.length > 0));
    let lastAt = -1;
    for (const [i, p] of clip.packets.entries()) {
      const startsPack = p.payload.readUInt32BE(0) === 0x1ba && (i === 0 || clip.packets[i - 1]!.marker);
      assert.equal(p.time !== undefined, startsPack, `time fields on packet ${i}`);
      if (p.marker && i + 1 < clip.packets.length) assert.notEqual(clip.packets[i + 1]!.timestamp, p.timestamp);
      const at = p.atMs + p.spreadMs;
      assert.ok(at >= lastAt, 'due times never go back');
      lastAt = at;
    }
    assert.equal(clip.packets.filter((p) => p.marker && p.video).length, 25);
    assert.equal(clip.packets.filter((p) => p.marker && !p.video).length, 25);
    const kbps = (clip.payloadBytes * 8) / clip.durationMs;
    assert.ok(kbps > 700 && kbps < 1400, `${kbps.toFixed(0)} kbit/s for a 1000 kbit/s target`);
  });
});
