import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { parseAdtsHeader } from '../../../../src/media/codec/adts';
import type { AccessUnit, VideoCodec } from '../../../../src/media/codec/types';
import { HlsSegmenter } from '../../../../src/media/out/hls/segmenter';
import { hasFfmpeg, probe, readMedia } from '../../helpers/media-files';
import { framesOf } from '../../helpers/ps-stream';


const FIRST_PTS = 90000;
const VIDEO_SECONDS = 6;

/** Video access units at 25 fps, interleaved in decoding order with AAC frames (48 kHz, 1024 samples) that end by the video's end. */
function accessUnits(codec: VideoCodec, withAudio: boolean): AccessUnit[] {
  const es = readMedia(codec === 'h264' ? 'hls-h264-640x360-6s.h264' : 'hls-h265-640x360-6s.hevc');
  const aus: AccessUnit[] = framesOf(es, codec, FIRST_PTS).map((f) => ({ kind: 'video', codec, pts: f.pts, dts: f.pts, keyframe: f.keyframe, data: f.data }));
  if (withAudio) {
    const aac = readMedia('hls-aac-48k-6s.aac');
    for (let at = 0, i = 0; at < aac.length; i++) {
      const h = parseAdtsHeader(aac, at);
      assert.ok(h);
      const pts = FIRST_PTS + i * 1920;
      if (pts + 1920 > FIRST_PTS + VIDEO_SECONDS * 90000) break;
      aus.push({ kind: 'audio', codec: 'aac', pts, dts: pts, keyframe: true, data: aac.subarray(at, at + h.frameLength) });
      at += h.frameLength;
    }
  }
  return aus.sort((a, b) => a.dts - b.dts || (a.kind === 'video' ? -1 : 1));
}

function formatDuration(path: string): number {
  const out = execFileSync('ffprobe', ['-v', 'error', '-show_format', '-of', 'json', path], { timeout: 60_000 });
  return Number((JSON.parse(out.toString('utf8')) as { format: { duration: string } }).format.duration);
}

describe('HLS output played by ffmpeg', { skip: !hasFfmpeg && 'ffmpeg is not installed' }, () => {
  const dirs: string[] = [];
  after(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  for (const [codec, name] of [['h264', 'h264'], ['h265', 'hevc']] as const) {
    for (const withAudio of [true, false]) {
      test(`${codec} 640x360 25 fps${withAudio ? ' with AAC' : ''}: segments probe right and the playlist decodes whole`, () => {
        const dir = mkdtempSync(join(tmpdir(), 'gbvms-hls-'));
        dirs.push(dir);
        const segmenter = new HlsSegmenter({ video: codec, ...(withAudio ? { audio: 'aac' as const } : {}), segmentName: (n) => `seg${n}.ts` });
        for (const au of accessUnits(codec, withAudio)) segmenter.push(au);
        segmenter.end();
        const segments = segmenter.segments();
        assert.deepEqual(segments.map((s) => s.duration), [2, 2, 2]);
        for (const s of segments) writeFileSync(join(dir, s.name), s.data);
        const playlist = join(dir, 'playlist.m3u8');
        writeFileSync(playlist, segmenter.playlist());

        const streams = probe(join(dir, 'seg0.ts'));
        const v = streams.find((s) => s.codec_name === name);
        assert.ok(v, JSON.stringify(streams));
        assert.equal(v.width, 640);
        assert.equal(v.height, 360);
        assert.equal(v.nb_read_frames, '50');
        assert.equal(streams.some((s) => s.codec_name === 'aac'), withAudio);

        for (const s of segments) {
          // A live player joins at any segment: each must decode on its own.
          const alone = spawnSync('ffmpeg', ['-v', 'error', '-i', join(dir, s.name), '-f', 'null', '-'], { timeout: 60_000 });
          assert.equal(alone.status, 0);
          assert.equal(alone.stderr.toString('utf8'), '', `${s.name} decodes alone`);
        }
        const decode = spawnSync('ffmpeg', ['-v', 'error', '-i', playlist, '-f', 'null', '-'], { timeout: 60_000 });
        assert.equal(decode.status, 0);
        assert.equal(decode.stderr.toString('utf8'), '', 'decoded without errors');
        assert.equal(probe(playlist).find((s) => s.codec_name === name)?.nb_read_frames, String(VIDEO_SECONDS * 25));
        const duration = formatDuration(playlist);
        assert.ok(Math.abs(duration - VIDEO_SECONDS) <= 0.04, `duration ${duration}`);
      });
    }
  }
});
