import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { mp4DurationMs } from '../../../src/media/export/mp4-duration';
import { mutate, randomBytes, seededRandom } from '../../helpers/random';

function box(type: string, ...body: Buffer[]): Buffer {
  const content = Buffer.concat(body);
  const head = Buffer.alloc(8);
  head.writeUInt32BE(8 + content.length);
  head.write(type, 4, 'latin1');
  return Buffer.concat([head, content]);
}

function mvhd(version: 0 | 1, timescale: number, duration: number): Buffer {
  const b = Buffer.alloc(version === 1 ? 108 : 96);
  b[0] = version;
  if (version === 1) {
    b.writeUInt32BE(timescale, 20);
    b.writeBigUInt64BE(BigInt(duration), 24);
  } else {
    b.writeUInt32BE(timescale, 12);
    b.writeUInt32BE(duration, 16);
  }
  return box('mvhd', b);
}

const ftyp = box('ftyp', Buffer.from('isom\0\0\x02\0isomiso2avc1mp41', 'latin1'));
const faststart = Buffer.concat([ftyp, box('moov', mvhd(0, 1000, 10_312), box('trak', Buffer.alloc(200))), box('mdat', Buffer.alloc(64))]);

describe('mp4DurationMs', () => {
  test('reads the movie duration from mvhd version 0 and 1', () => {
    assert.equal(mp4DurationMs(faststart), 10_312);
    assert.equal(mp4DurationMs(Buffer.concat([ftyp, box('moov', mvhd(1, 90_000, 918_000))])), 10_200);
  });

  test('finds moov after a free box and a 64-bit sized box', () => {
    const large = Buffer.alloc(24);
    large.writeUInt32BE(1);
    large.write('wide', 4, 'latin1');
    large.writeBigUInt64BE(24n, 8);
    assert.equal(mp4DurationMs(Buffer.concat([ftyp, box('free', Buffer.alloc(10)), large, box('moov', mvhd(0, 600, 1200))])), 2000);
  });

  test('a head cut inside a long moov still gives the duration when mvhd is whole', () => {
    assert.equal(mp4DurationMs(faststart.subarray(0, ftyp.length + 8 + 100)), 10_312);
  });

  test('no moov in the head (media first), a cut mvhd or a zero timescale is null', () => {
    assert.equal(mp4DurationMs(Buffer.concat([ftyp, box('mdat', Buffer.alloc(64))])), null);
    assert.equal(mp4DurationMs(faststart.subarray(0, ftyp.length + 8 + 20)), null);
    assert.equal(mp4DurationMs(Buffer.concat([ftyp, box('moov', mvhd(0, 0, 5))])), null);
    assert.equal(mp4DurationMs(Buffer.alloc(0)), null);
  });

  test('random and damaged heads never throw and give null or a finite duration (fuzz, seeded)', () => {
    const rand = seededRandom(0x3b4);
    for (let i = 0; i < 5000; i++) {
      const input = i % 4 === 0 ? randomBytes(rand, Math.floor(rand() * 300)) : mutate(rand, faststart);
      const d = mp4DurationMs(input);
      assert.ok(d === null || (Number.isFinite(d) && d >= 0), `got ${d}`);
    }
  });
});
