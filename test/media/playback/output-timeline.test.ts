import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { AccessUnit } from '../../../src/media/codec/types';
import { OutputTimeline } from '../../../src/media/playback/output-timeline';

function video(dts: number, pts = dts): AccessUnit {
  return { kind: 'video', codec: 'h264', pts, dts, keyframe: false, data: Buffer.alloc(1) };
}

function audio(dts: number): AccessUnit {
  return { kind: 'audio', codec: 'aac', pts: dts, dts, keyframe: true, data: Buffer.alloc(1) };
}

/** Places and commits each unit; returns the output decoding times. */
function send(t: OutputTimeline, units: AccessUnit[]): number[] {
  return units.map((au) => {
    const times = t.place(au);
    assert.ok(times, `unit at ${au.dts} placed`);
    t.commit(au, times);
    return times.dts;
  });
}

describe('OutputTimeline', () => {
  test('a second stretch with unrelated timestamps takes the next frame slot', () => {
    const t = new OutputTimeline(1);
    t.beginStretch(500_000);
    assert.deepEqual(send(t, [video(500_000), video(503_600)]), [90000, 93600]);
    t.beginStretch(7);
    assert.deepEqual(send(t, [video(7), video(3607)]), [97200, 100800]);
  });

  test('a stretch that continues the recording keeps the recorded time between them', () => {
    const t = new OutputTimeline(4);
    t.beginStretch(0);
    send(t, [video(0)]);
    t.beginStretch(123, 90000);
    assert.deepEqual(send(t, [video(123)]), [90000 + 22500]);
  });

  test('a speed change applies from the last unit sent, without a step', () => {
    const t = new OutputTimeline(1);
    t.beginStretch(0);
    send(t, [video(0), video(3600)]);
    t.setSpeed(2);
    assert.deepEqual(send(t, [video(7200), video(10800)]), [93600 + 1800, 93600 + 3600]);
    t.setSpeed(0.5);
    assert.deepEqual(send(t, [video(14400)]), [93600 + 3600 + 7200]);
  });

  test('the speed of a stretch not yet sent decides its slot', () => {
    const t = new OutputTimeline(1);
    t.beginStretch(0);
    send(t, [video(0)]);
    t.beginStretch(1_000_000);
    t.setSpeed(4);
    assert.deepEqual(send(t, [video(1_000_000)]), [90000 + 900]);
  });

  test('composition offsets scale with the speed; video never steps back; overlapping audio is refused', () => {
    const t = new OutputTimeline(2);
    t.beginStretch(0);
    const times = t.place(video(0, 7200));
    assert.deepEqual(times, { dts: 90000, pts: 93600 });
    t.commit(video(0, 7200), times!);
    send(t, [audio(0), audio(11520)]);
    t.beginStretch(0);
    assert.equal(t.place(audio(0)), null, 'would overlap the audio already sent');
    assert.equal(send(t, [video(0)])[0], 91800);
  });
});
