import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AccessUnit, VideoParams } from '../../../src/media/codec/types';
import { MediaSource } from '../../../src/media/source/media-source';
import type { MediaSink, SinkEndReason, StreamTracks } from '../../../src/media/source/types';

const VIDEO: VideoParams = { kind: 'video', codec: 'h264', width: 640, height: 360, profile: 66, level: 30, sps: Buffer.from([0x67]), pps: Buffer.from([0x68]) };

function frame(n: number, keyframe: boolean, size = 100): AccessUnit {
  return { kind: 'video', codec: 'h264', pts: n * 3600, dts: n * 3600, keyframe, data: Buffer.alloc(size, n & 0xff) };
}

function audio(n: number): AccessUnit {
  return { kind: 'audio', codec: 'g711a', pts: n * 3600, dts: n * 3600, keyframe: false, data: Buffer.alloc(160) };
}

class RecordingSink implements MediaSink {
  readonly kind = 'test';
  started: StreamTracks | null = null;
  changes = 0;
  frames: AccessUnit[] = [];
  ended: SinkEndReason | null = null;
  pending = 0;
  start(tracks: StreamTracks): void {
    this.started = tracks;
  }
  tracksChanged(): void {
    this.changes++;
  }
  write(au: AccessUnit): void {
    this.frames.push(au);
  }
  pendingBytes(): number {
    return this.pending;
  }
  end(reason: SinkEndReason): void {
    this.ended = reason;
  }
}

/** Pushes GOPs of `gop` frames, key frame first, numbering frames from `from`. */
function pushGops(source: MediaSource, from: number, count: number, gop = 5): number {
  let n = from;
  for (let i = 0; i < count; i++) source.push(frame(n++, i % gop === 0));
  return n;
}

describe('MediaSource', () => {
  test('a sink attached before the first key frame starts at it, with the tracks', () => {
    const source = new MediaSource('s');
    source.setParams(VIDEO);
    const sink = new RecordingSink();
    source.attach(sink);
    source.push(frame(0, false));
    source.push(frame(1, false));
    assert.equal(sink.started, null, 'no start before a key frame');
    assert.equal(source.ready, false);
    pushGops(source, 2, 6);
    assert.equal(source.ready, true);
    assert.equal((sink.started as StreamTracks | null)?.video?.width, 640);
    assert.equal(sink.frames.length, 6);
    assert.equal(sink.frames[0]?.keyframe, true);
  });

  test('a late viewer gets the cached GOP from its key frame at once, then live frames', () => {
    const source = new MediaSource('s');
    source.setParams(VIDEO);
    let n = pushGops(source, 0, 8); // GOP 0-4, then 5 (key), 6, 7
    const sink = new RecordingSink();
    source.attach(sink);
    assert.deepEqual(
      sink.frames.map((f) => f.pts / 3600),
      [5, 6, 7],
    );
    assert.equal(sink.frames[0]?.keyframe, true);
    n = pushGops(source, n, 1);
    assert.equal(sink.frames.length, 4);
    assert.equal(n, 9);
  });

  test('viewers are counted; internal sinks are not', () => {
    const source = new MediaSource('s');
    const counts: number[] = [];
    source.on('viewers', (c) => counts.push(c));
    const a = source.attach(new RecordingSink());
    const b = source.attach(new RecordingSink());
    const internal = source.attach(new RecordingSink(), { viewer: false });
    assert.equal(source.viewers, 2);
    a();
    b();
    internal();
    b();
    assert.deepEqual(counts, [1, 2, 1, 0]);
  });

  test('a slow viewer skips to the next key frame while a fast one gets every frame', () => {
    const source = new MediaSource('s', { slowSkipBytes: 1000, slowDropBytes: 100000 });
    source.setParams(VIDEO);
    const fast = new RecordingSink();
    const slow = new RecordingSink();
    source.attach(fast);
    source.attach(slow);
    let n = pushGops(source, 0, 3);
    slow.pending = 5000;
    n = pushGops(source, n, 2); // frames 3, 4: skipped by the slow one
    slow.pending = 0;
    n = pushGops(source, n, 5); // 5 is a key frame: the slow one resumes there
    assert.equal(fast.frames.length, 10);
    assert.deepEqual(
      slow.frames.map((f) => f.pts / 3600),
      [0, 1, 2, 5, 6, 7, 8, 9],
    );
    assert.equal(source.stats.slowSkips, 1);
    assert.equal(n, 10);
  });

  test('a viewer over the drop limit is ended as too slow and no longer counted', () => {
    const source = new MediaSource('s', { slowSkipBytes: 1000, slowDropBytes: 4000 });
    source.setParams(VIDEO);
    const slow = new RecordingSink();
    source.attach(slow);
    pushGops(source, 0, 2);
    slow.pending = 5000;
    pushGops(source, 2, 1);
    assert.equal(slow.ended, 'too-slow');
    assert.equal(source.viewers, 0);
    assert.equal(source.stats.slowDrops, 1);
  });

  test('a viewer that stops reading (queue stuck between the limits) is dropped after a few key frames', () => {
    const source = new MediaSource('s', { slowSkipBytes: 1000, slowDropBytes: 1_000_000 });
    source.setParams(VIDEO);
    const stuck = new RecordingSink();
    source.attach(stuck);
    pushGops(source, 0, 5);
    stuck.pending = 2000;
    pushGops(source, 5, 5 * 4);
    assert.equal(stuck.ended, 'too-slow');
  });

  test('new codec parameters reach started sinks with the next key frame', () => {
    const source = new MediaSource('s');
    source.setParams(VIDEO);
    const sink = new RecordingSink();
    source.attach(sink);
    pushGops(source, 0, 5);
    source.setParams({ ...VIDEO, width: 1920, height: 1080 });
    source.push(frame(5, false));
    assert.equal(sink.changes, 0, 'not before a key frame');
    source.push(frame(6, true));
    assert.equal(sink.changes, 1);
    assert.equal(source.currentTracks.video?.width, 1920);
  });

  test('an audio-only stream starts at any frame', () => {
    const source = new MediaSource('s');
    source.setParams({ kind: 'audio', codec: 'g711a', sampleRate: 8000, channels: 1 });
    source.push(audio(0));
    source.push(audio(1));
    const sink = new RecordingSink();
    source.attach(sink);
    assert.equal(sink.frames.length, 1, 'the last frame is the cache');
    source.push(audio(2));
    assert.equal(sink.frames.length, 2);
  });

  test('a GOP longer than the cache limit is not cached: a new viewer waits for the next key frame', () => {
    const source = new MediaSource('s', { gopCacheMaxFrames: 10 });
    source.setParams(VIDEO);
    pushGops(source, 0, 15, 20);
    const sink = new RecordingSink();
    source.attach(sink);
    assert.equal(sink.started, null);
    pushGops(source, 15, 6, 5); // frame 15 is a key frame
    assert.equal(sink.frames[0]?.keyframe, true);
  });

  test('end() ends every sink once, empties the cache and refuses later sinks', () => {
    const source = new MediaSource('s');
    source.setParams(VIDEO);
    const sink = new RecordingSink();
    source.attach(sink);
    pushGops(source, 0, 3);
    let ended = '';
    source.on('ended', (r) => (ended = r));
    source.end('rtp-timeout');
    source.end('again');
    assert.equal(sink.ended, 'stream-ended');
    assert.equal(ended, 'rtp-timeout');
    assert.equal(source.viewers, 0);
    const late = new RecordingSink();
    source.attach(late);
    assert.equal(late.ended, 'stream-ended');
    source.push(frame(9, true));
    assert.equal(sink.frames.length, 3);
  });

  test('stats count frames, key frames and bytes', () => {
    let now = 1_000_000;
    const source = new MediaSource('s', { now: () => now });
    source.setParams(VIDEO);
    for (let second = 0; second < 6; second++) {
      for (let i = 0; i < 25; i++) source.push(frame(second * 25 + i, i === 0, 1000));
      now += 1000;
    }
    const stats = source.stats;
    assert.equal(stats.videoFrames, 150);
    assert.equal(stats.keyframes, 6);
    assert.equal(stats.bytes, 150_000);
    assert.equal(stats.fps, 25);
    assert.equal(stats.bitrateKbps, 200);
  });
});
