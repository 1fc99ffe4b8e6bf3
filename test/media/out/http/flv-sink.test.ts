import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { AccessUnit, VideoCodec } from '../../../../src/media/codec/types';
import { FlvSink, type FlvOutput } from '../../../../src/media/out/http/flv-sink';
import { audioParamsOf, videoParamsOf } from '../../../../src/media/out/http/inband-params';
import type { SinkEndReason } from '../../../../src/media/source/types';
import { hasFfmpeg, readMedia } from '../../helpers/media-files';
import { framesOf } from '../../helpers/ps-stream';
import { isKeyFrameTag, isVideoFrameTag, readFlvPrefix } from './helpers/flv-reader';

function recordingOutput(): FlvOutput & { chunks: Buffer[]; closed: SinkEndReason[]; pending: number } {
  const out = {
    chunks: [] as Buffer[],
    closed: [] as SinkEndReason[],
    pending: 0,
    send: (chunk: Buffer) => void out.chunks.push(chunk),
    sendParts: (parts: Buffer[]) => void out.chunks.push(Buffer.concat(parts)),
    pendingBytes: () => out.pending,
    close: (reason: SinkEndReason) => void out.closed.push(reason),
  };
  return out;
}

function units(codec: VideoCodec, clip: string): AccessUnit[] {
  return framesOf(readMedia(clip), codec, 90000).map((f) => ({ kind: 'video', codec, pts: f.pts, dts: f.pts, keyframe: f.keyframe, data: f.data }));
}

describe('one FLV viewer (FlvSink)', { skip: !hasFfmpeg && 'ffmpeg is not installed (test clips)' }, () => {
  test('the first chunk is the bare FLV header, the second onMetaData with the sequence headers', () => {
    const frames = units('h264', 'h264-320x240.h264');
    const video = videoParamsOf(frames[0] as AccessUnit);
    assert.ok(video);
    assert.equal(video.width, 320);
    const out = recordingOutput();
    const sink = new FlvSink('http-flv', out);
    sink.start({ video, audio: { kind: 'audio', codec: 'g711a', sampleRate: 8000, channels: 1 } });
    for (const au of frames.slice(0, 5)) sink.write(au);
    assert.equal(out.chunks[0]?.length, 13);
    assert.equal(out.chunks[0]?.[4], 5);
    const second = readFlvPrefix(Buffer.concat([out.chunks[0] as Buffer, out.chunks[1] as Buffer])).tags;
    assert.deepEqual(second.map((t) => t.type), [18, 9], 'metadata and the AVC sequence header (G.711 needs none)');
    assert.equal(out.chunks.length, 2 + 5);
    assert.deepEqual(sink.counters, { ...sink.counters, videoTags: 5, audioTags: 0 });
  });

  test('a stream whose parameters were never announced: the key frame supplies them, frames before it are held back', () => {
    const frames = units('h265', 'h265-320x240.hevc');
    const out = recordingOutput();
    const sink = new FlvSink('ws-flv', out);
    sink.start({});
    // A P-frame first: nothing can decode it without a configuration record.
    sink.write(frames[1] as AccessUnit);
    for (const au of frames) sink.write(au);
    const { flags, tags } = readFlvPrefix(Buffer.concat(out.chunks));
    assert.equal(flags, 0, 'the header announced no tracks');
    const video = tags.filter((t) => t.type === 9);
    assert.deepEqual([...(video[0]?.data.subarray(0, 5) ?? [])], [0x90, 0x68, 0x76, 0x63, 0x31], 'enhanced HEVC sequence start');
    const pictures = video.filter(isVideoFrameTag);
    assert.equal(pictures.length, frames.length);
    assert.ok(pictures[0] && isKeyFrameTag(pictures[0]));
  });

  test('AAC that arrives unannounced gets its AudioSpecificConfig from the ADTS header', () => {
    const aac = readMedia('aac-8k.aac');
    const au: AccessUnit = { kind: 'audio', codec: 'aac', pts: 0, dts: 0, keyframe: true, data: aac };
    assert.deepEqual(audioParamsOf(au), { kind: 'audio', codec: 'aac', sampleRate: 8000, channels: 1 });
    const out = recordingOutput();
    const sink = new FlvSink('http-flv', out);
    sink.start({});
    sink.write(au);
    const audio = readFlvPrefix(Buffer.concat(out.chunks)).tags.filter((t) => t.type === 8);
    assert.deepEqual(audio.map((t) => [t.data[0], t.data[1]]), [[0xaf, 0], [0xaf, 1]]);
  });

  test('tracksChanged sends the new sequence header; end() closes the output once', () => {
    const h264 = units('h264', 'h264-320x240.h264');
    const h265 = units('h265', 'h265-320x240.hevc');
    const out = recordingOutput();
    const sink = new FlvSink('http-flv', out, { hevcMode: 'codecId12' });
    sink.start({ video: videoParamsOf(h264[0] as AccessUnit) });
    sink.write(h264[0] as AccessUnit);
    sink.tracksChanged({ video: videoParamsOf(h265[0] as AccessUnit) });
    sink.write(h265[0] as AccessUnit);
    const video = readFlvPrefix(Buffer.concat(out.chunks)).tags.filter((t) => t.type === 9);
    assert.deepEqual(video.map((t) => [t.data[0], t.data[1]]), [[0x17, 0], [0x17, 1], [0x1c, 0], [0x1c, 1]]);
    out.pending = 1234;
    assert.equal(sink.pendingBytes(), 1234);
    sink.end('too-slow');
    sink.end('stream-ended');
    sink.write(h265[1] as AccessUnit);
    assert.deepEqual(out.closed, ['too-slow']);
    assert.equal(out.chunks.length, 5, 'nothing after end()');
  });
});
