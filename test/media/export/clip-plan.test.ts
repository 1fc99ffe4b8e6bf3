import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { concatList, planClip, seconds, type UsableSegment } from '../../../src/media/export/clip-plan';
import type { SegmentProbe } from '../../../src/media/export/segment-probe';
import { dtsAt } from '../../../src/media/export/segment-probe';
import { randomBytes, seededRandom } from '../../helpers/random';

const T = 1_700_000_000_000;

function segment(k: number, firstPts: number, options: { dtsLead?: number; mediaTicks?: number | null } = {}): UsableSegment {
  const probe: SegmentProbe = {
    size: 1000,
    videoCodec: 'h264',
    hasAudio: true,
    videoPid: 0x100,
    streams: [],
    firstPts,
    firstDts: firstPts - (options.dtsLead ?? 0),
    mediaTicks: options.mediaTicks === undefined ? 60 * 90_000 : options.mediaTicks,
  };
  return { ref: { path: `s${k}.ts`, start: T + k * 60_000, end: T + (k + 1) * 60_000 }, file: `/f/s${k}.ts`, probe };
}

describe('planClip', () => {
  test('starts the first file at its key frame, lays the others end to end and cuts in the last', () => {
    const segs = [segment(0, 126_000), segment(1, 126_000 + 60 * 90_000)];
    // Key frame 20 s into the first file, the clip ends 30 s into the second.
    const plan = planClip(segs, { offsetTicks: 20 * 90_000, pts: 126_000 + 20 * 90_000, dts: 126_000 + 20 * 90_000 }, T + 90_000);
    assert.deepEqual(plan.entries, [
      { file: '/f/s0.ts', inpointUs: 21_400_000, durationUs: 40_000_000 },
      { file: '/f/s1.ts', inpointUs: 61_400_000, durationUs: 60_000_000 },
    ]);
    assert.equal(plan.cutUs, 70_000_000);
    assert.equal(plan.expectedUs, 70_000_000);
    assert.equal(plan.startedAt, T + 20_000);
    assert.equal(plan.endedAt, T + 90_000);
  });

  test('with B-frames the in point is the key frame\'s DTS, and the timeline keeps the PTS lead', () => {
    const lead = 7200;
    const segs = [segment(0, 90_000, { dtsLead: lead })];
    const plan = planClip(segs, { offsetTicks: 0, pts: 90_000, dts: 90_000 - lead }, T + 10_000);
    assert.equal(plan.entries[0]!.inpointUs, 920_000);
    assert.equal(plan.entries[0]!.durationUs, 60_080_000);
    assert.equal(plan.cutUs, 10_080_000);
    assert.equal(plan.startedAt, T);
  });

  test('a range past the last file is not cut, and a file with an unreadable tail takes its index length', () => {
    const plan = planClip([segment(0, 0, { mediaTicks: null })], { offsetTicks: 0, pts: 0, dts: 0 }, T + 120_000);
    assert.equal(plan.cutUs, null);
    assert.equal(plan.expectedUs, 60_000_000);
    assert.equal(plan.endedAt, T + 60_000);
  });
});

describe('concatList', () => {
  test('writes an ffconcat list with file: URLs quoted the way ffmpeg reads them back', () => {
    assert.equal(
      concatList([{ file: "/footage/it's here.ts", inpointUs: 1_528_000, durationUs: 5_000_000 }]),
      "ffconcat version 1.0\nfile 'file:/footage/it'\\''s here.ts'\ninpoint 1.528000\nduration 5.000000\n",
    );
  });

  test('seconds are written to the microsecond', () => {
    assert.equal(seconds(5), '0.000005');
    assert.equal(seconds(95_443_717_689), '95443.717689');
    assert.equal(seconds(-56_000), '-0.056000');
  });
});

describe('dtsAt', () => {
  function packet(flags: number, withAdaptation: boolean): Buffer {
    const p = Buffer.alloc(188, 0xff);
    p[0] = 0x47;
    p[1] = 0x41;
    p[2] = 0x00;
    let at = 4;
    if (withAdaptation) {
      p[3] = 0x30;
      p[4] = 7;
      p[5] = 0x50;
      at = 12;
    } else p[3] = 0x10;
    Buffer.from([0, 0, 1, 0xe0, 0, 0, 0x80, flags << 6, 10]).copy(p, at);
    // PTS 0x1_0000_0000 + 3, DTS 90000.
    Buffer.from([0x39, 0x00, 0x01, 0x00, 0x07]).copy(p, at + 9);
    Buffer.from([0x11, 0x00, 0x05, 0xbf, 0x21]).copy(p, at + 14);
    return p;
  }

  test('reads the DTS of a PES that carries one, after an adaptation field or not', () => {
    assert.equal(dtsAt(packet(3, false), 0), 90_000);
    assert.equal(dtsAt(packet(3, true), 0), 90_000);
  });

  test('a PES with only a PTS, a packet that is not a PES start, or too few bytes give null', () => {
    assert.equal(dtsAt(packet(2, false), 0), null);
    assert.equal(dtsAt(Buffer.alloc(188), 0), null);
    assert.equal(dtsAt(packet(3, false).subarray(0, 100), 0), null);
  });

  test('random bytes never throw (fuzz, seeded)', () => {
    const rand = seededRandom(0xd75);
    for (let i = 0; i < 5000; i++) {
      const buf = randomBytes(rand, Math.floor(rand() * 400));
      const d = dtsAt(buf, Math.floor(rand() * 300));
      assert.ok(d === null || (Number.isInteger(d) && d >= 0 && d < 2 ** 33), `got ${d}`);
    }
  });
});
