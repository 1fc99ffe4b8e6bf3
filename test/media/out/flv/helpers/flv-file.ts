import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { parseAdtsHeader } from '../../../../../src/media/codec/adts';
import { splitAccessUnits, splitAnnexB } from '../../../../../src/media/codec/annexb';
import { isRandomAccessNal, nalType } from '../../../../../src/media/codec/nal-unit';
import { ParameterSetCache, parameterSetBit } from '../../../../../src/media/codec/parameter-sets';
import type { AccessUnit, AudioParams, VideoCodec, VideoParams } from '../../../../../src/media/codec/types';

export interface FlvTag {
  type: number;
  timestamp: number;
  data: Buffer;
}

/** Reads an FLV file back into tags, checking the header and every PreviousTagSize on the way. */
export function readFlvTags(flv: Buffer): FlvTag[] {
  assert.equal(flv.subarray(0, 3).toString('latin1'), 'FLV');
  const headerSize = flv.readUInt32BE(5);
  assert.equal(flv.readUInt32BE(headerSize), 0, 'PreviousTagSize0 is 0');
  const tags: FlvTag[] = [];
  let at = headerSize + 4;
  while (at < flv.length) {
    const size = flv.readUIntBE(at + 1, 3);
    const timestamp = (flv.readUIntBE(at + 4, 3) | ((flv[at + 7] ?? 0) << 24)) >>> 0;
    tags.push({ type: flv[at] ?? 0, timestamp, data: flv.subarray(at + 11, at + 11 + size) });
    assert.equal(flv.readUInt32BE(at + 11 + size), 11 + size, 'PreviousTagSize matches the tag');
    at += 11 + size + 4;
  }
  assert.equal(at, flv.length, 'no trailing bytes');
  return tags;
}

/** The access units of an Annex B file with 25 fps timestamps, and the stream's parameters. */
export function videoUnits(stream: Buffer, codec: VideoCodec): { units: AccessUnit[]; params: VideoParams } {
  const cache = new ParameterSetCache();
  const units = splitAccessUnits(stream, codec).map((data, i): AccessUnit => {
    const nalUnits = splitAnnexB(data);
    let keyframe = false;
    for (const n of nalUnits) {
      const type = nalType(codec, n[0] ?? 0);
      const bit = parameterSetBit(codec, type);
      if (bit) cache.note(bit, n);
      if (isRandomAccessNal(codec, type)) keyframe = true;
    }
    // Offset timestamps: the muxer must start its clock at 0 whatever the source starts at.
    const ts = 1_000_000 + i * 3600;
    return { kind: 'video', codec, pts: ts, dts: ts, keyframe, data, nalUnits };
  });
  const params = cache.takeParams(codec);
  assert.ok(params, 'the stream has parameter sets');
  return { units, params };
}

/** One access unit per ADTS frame (1024 samples each), and the stream's parameters. */
export function aacUnits(stream: Buffer): { units: AccessUnit[]; params: AudioParams } {
  const units: AccessUnit[] = [];
  let params: AudioParams | undefined;
  for (let at = 0; at < stream.length; ) {
    const h = parseAdtsHeader(stream, at);
    assert.ok(h, `ADTS header at ${at}`);
    params ??= { kind: 'audio', codec: 'aac', sampleRate: h.sampleRate, channels: h.channelConfig };
    const ts = 1_000_000 + Math.round((units.length * 1024 * 90000) / h.sampleRate);
    units.push({ kind: 'audio', codec: 'aac', pts: ts, dts: ts, keyframe: true, data: stream.subarray(at, at + h.frameLength) });
    at += h.frameLength;
  }
  assert.ok(params);
  return { units, params };
}

/** Rebuilds an Annex B stream from FLV HEVC tags: the parameter sets from the configuration record, then each frame's NAL units. */
export function hevcAnnexBFromTags(tags: readonly FlvTag[], bodyOffset: { config: number; frame: number }): Buffer {
  const parts: Buffer[] = [];
  const startCode = Buffer.from([0, 0, 0, 1]);
  const video = tags.filter((t) => t.type === 9);
  const [first, ...frames] = video;
  assert.ok(first);
  const record = first.data.subarray(bodyOffset.config);
  let at = 23;
  const arrays = record[22] ?? 0;
  for (let i = 0; i < arrays; i++) {
    const count = record.readUInt16BE(at + 1);
    at += 3;
    for (let j = 0; j < count; j++) {
      const len = record.readUInt16BE(at);
      parts.push(startCode, record.subarray(at + 2, at + 2 + len));
      at += 2 + len;
    }
  }
  for (const f of frames) {
    const body = f.data.subarray(bodyOffset.frame);
    for (let p = 0; p < body.length; ) {
      const len = body.readUInt32BE(p);
      parts.push(startCode, body.subarray(p + 4, p + 4 + len));
      p += 4 + len;
    }
  }
  return Buffer.concat(parts);
}

export interface ProbedStream {
  codec_type: string;
  codec_name: string;
  width?: number;
  height?: number;
  sample_rate?: string;
  channels?: number;
  nb_read_frames?: string;
}

/** ffprobe's streams with the audio fields too (the shared `probe` helper types only video ones). */
export function probeStreams(path: string): ProbedStream[] {
  const out = execFileSync('ffprobe', ['-v', 'error', '-show_streams', '-count_frames', '-of', 'json', path], { timeout: 60_000 });
  return (JSON.parse(out.toString('utf8')) as { streams?: ProbedStream[] }).streams ?? [];
}
