import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { parseAdtsHeader } from '../../../../src/media/codec/adts';
import type { AccessUnit, VideoCodec } from '../../../../src/media/codec/types';
import { initSegment, mediaSegment } from '../../../../src/media/out/fmp4';
import { audioParamsOf, videoParamsOf } from '../../../../src/media/out/http/inband-params';
import { decodeErrors } from '../../helpers/ffmpeg-checks';
import { hasFfmpeg, probe, readMedia } from '../../helpers/media-files';
import { framesOf } from '../../helpers/ps-stream';

const skip = hasFfmpeg ? false : 'ffmpeg/ffprobe not installed';
const dir = mkdtempSync(join(tmpdir(), 'gbvms-fmp4-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function videoUnits(clip: string, codec: VideoCodec): AccessUnit[] {
  return framesOf(readMedia(clip), codec, 900_000).map((f) => ({ kind: 'video', codec, pts: f.pts, dts: f.pts, keyframe: f.keyframe, data: f.data }));
}

function aacUnits(clip: string, firstPts: number): AccessUnit[] {
  const aac = readMedia(clip);
  const out: AccessUnit[] = [];
  for (let at = 0; at < aac.length; ) {
    const h = parseAdtsHeader(aac, at);
    if (!h) break;
    const pts = firstPts + Math.round((out.length * 1024 * 90000) / h.sampleRate);
    out.push({ kind: 'audio', codec: 'aac', pts, dts: pts, keyframe: true, data: aac.subarray(at, at + h.frameLength) });
    at += h.frameLength;
  }
  return out;
}

/** Cuts units into segments at key frames and writes init + segments to one file. */
function writeFragmented(name: string, units: AccessUnit[]): { path: string; segments: number } {
  const first = units.find((u) => u.kind === 'video');
  assert.ok(first);
  const video = videoParamsOf(first);
  assert.ok(video, 'the first key frame carries parameter sets');
  const audioFrame = units.find((u) => u.kind === 'audio');
  const audio = audioFrame ? audioParamsOf(audioFrame) : undefined;
  const cuts = units.map((u, i) => (u.kind === 'video' && u.keyframe ? i : -1)).filter((i) => i >= 0);
  const parts = [initSegment(video, audio)];
  cuts.forEach((start, k) => {
    const end = cuts[k + 1] ?? units.length;
    const next = units.slice(end).find((u) => u.kind === 'video');
    parts.push(mediaSegment(k + 1, units.slice(start, end), first.dts, next ? { videoEndDts: next.dts } : {}));
  });
  const path = join(dir, name);
  writeFileSync(path, Buffer.concat(parts));
  return { path, segments: cuts.length };
}

describe('fragmented MP4 writer', { skip }, () => {
  test('an H.265 clip written as init + media segments is hevc 640x360 with every frame, and decodes cleanly', () => {
    const units = videoUnits('hls-h265-640x360-6s.hevc', 'h265').slice(0, 75);
    const { path, segments } = writeFragmented('h265.mp4', units);
    assert.equal(segments, 3);
    const [stream] = probe(path);
    assert.equal(stream?.codec_name, 'hevc');
    assert.equal(stream?.width, 640);
    assert.equal(stream?.height, 360);
    assert.equal(stream?.nb_read_frames, '75');
    assert.equal(decodeErrors(path), '');
  });

  test('an H.264 clip written as init + media segments is h264 640x360 with every frame, and decodes cleanly', () => {
    const units = videoUnits('hls-h264-640x360-6s.h264', 'h264').slice(0, 50);
    const { path, segments } = writeFragmented('h264.mp4', units);
    assert.equal(segments, 2);
    const [stream] = probe(path);
    assert.equal(stream?.codec_name, 'h264');
    assert.equal(stream?.width, 640);
    assert.equal(stream?.height, 360);
    assert.equal(stream?.nb_read_frames, '50');
    assert.equal(decodeErrors(path), '');
  });

  test('H.265 with interleaved AAC has both tracks and decodes cleanly', () => {
    const video = videoUnits('hls-h265-640x360-6s.hevc', 'h265').slice(0, 50);
    const audio = aacUnits('hls-aac-48k-6s.aac', 900_000).filter((a) => a.dts < 900_000 + 50 * 3600);
    const units = [...video, ...audio].sort((a, b) => a.dts - b.dts || (a.kind === 'video' ? -1 : 1));
    const { path } = writeFragmented('h265-aac.mp4', units);
    const streams = probe(path);
    assert.deepEqual(streams.map((s) => s.codec_name).sort(), ['aac', 'hevc']);
    assert.equal(streams.find((s) => s.codec_name === 'hevc')?.nb_read_frames, '50');
    assert.equal(decodeErrors(path), '');
  });
});
