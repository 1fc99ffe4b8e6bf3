import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { RtpPacket } from '../../src/media/rtp/packet';
import { RtpReorderBuffer, type RtpPacketRun, type RtpReorderOptions } from '../../src/media/rtp/reorder';
import { randomInt, seededRandom } from '../helpers/random';

function pkt(seq: number): RtpPacket {
  return { marker: false, payloadType: 96, sequenceNumber: seq & 0xffff, timestamp: 0, ssrc: 1, csrcCount: 0, extensionProfile: -1, paddingLength: 0, payload: Buffer.alloc(0) };
}

function harness(options: Partial<RtpReorderOptions> = {}): { buf: RtpReorderBuffer; out: number[]; losses: number[]; clock: { now: number } } {
  const out: number[] = [];
  const losses: number[] = [];
  const clock = { now: 0 };
  const buf = new RtpReorderBuffer({
    onPacket: (p) => out.push(p.sequenceNumber),
    onLoss: (n) => losses.push(n),
    now: () => clock.now,
    ...options,
  });
  return { buf, out, losses, clock };
}

describe('RTP reorder buffer', () => {
  test('packets in order pass straight through', () => {
    const { buf, out } = harness();
    for (let s = 100; s < 110; s++) buf.push(pkt(s));
    assert.deepEqual(out, [100, 101, 102, 103, 104, 105, 106, 107, 108, 109]);
    assert.equal(buf.stats.lost, 0);
  });

  test('swapped packets come out in sequence order', () => {
    const { buf, out } = harness();
    for (const s of [1, 3, 2, 6, 5, 4, 7]) buf.push(pkt(s));
    assert.deepEqual(out, [1, 2, 3, 4, 5, 6, 7]);
    assert.equal(buf.stats.reordered, 3);
  });

  test('the order holds across the 65535 -> 0 wrap', () => {
    const { buf, out } = harness();
    for (const s of [65533, 65535, 65534, 1, 0, 2]) buf.push(pkt(s));
    assert.deepEqual(out, [65533, 65534, 65535, 0, 1, 2]);
    assert.equal(buf.stats.lost, 0);
  });

  test('a duplicate is counted and dropped, whether already emitted or still held', () => {
    const { buf, out } = harness();
    for (const s of [1, 2, 2, 4, 4, 3]) buf.push(pkt(s));
    assert.deepEqual(out, [1, 2, 3, 4]);
    assert.equal(buf.stats.duplicates, 2);
  });

  test('a gap is declared lost when the window fills, and the loss is reported before the next packet', () => {
    const { buf, out, losses } = harness({ window: 8 });
    buf.push(pkt(10));
    for (let s = 12; s < 20; s++) buf.push(pkt(s));
    assert.deepEqual(out, [10, 12, 13, 14, 15, 16, 17, 18, 19]);
    assert.deepEqual(losses, [1]);
    assert.equal(buf.stats.lost, 1);
  });

  test('a gap is declared lost after maxDelayMs, on push or on poll', () => {
    const { buf, out, clock } = harness({ maxDelayMs: 100 });
    buf.push(pkt(1));
    buf.push(pkt(3));
    clock.now = 99;
    buf.poll();
    assert.deepEqual(out, [1]);
    clock.now = 100;
    buf.poll();
    assert.deepEqual(out, [1, 3]);
    buf.push(pkt(5));
    clock.now = 250;
    buf.push(pkt(6));
    assert.deepEqual(out, [1, 3, 5, 6]);
    assert.equal(buf.stats.lost, 2);
  });

  test('a second gap gets its own maxDelayMs once the first is filled', () => {
    const { buf, out, clock } = harness({ maxDelayMs: 100 });
    buf.push(pkt(1));
    buf.push(pkt(3)); // gap at 2 from t=0
    clock.now = 80;
    buf.push(pkt(5)); // gap at 4 from t=80
    buf.push(pkt(2)); // fills the first gap
    assert.deepEqual(out, [1, 2, 3]);
    clock.now = 150;
    buf.poll();
    assert.deepEqual(out, [1, 2, 3], 'the second gap has waited 70 ms only');
    clock.now = 180;
    buf.poll();
    assert.deepEqual(out, [1, 2, 3, 5]);
  });

  test('a gap followed by silence: held packets wait for poll(), and expiresInMs() says when to call it', () => {
    const { buf, out, losses, clock } = harness({ maxDelayMs: 100 });
    buf.push(pkt(1));
    assert.equal(buf.expiresInMs(), undefined, 'nothing held: no timer needed');
    clock.now = 10;
    buf.push(pkt(3));
    buf.push(pkt(4));
    assert.equal(buf.expiresInMs(), 100);
    clock.now = 70;
    assert.equal(buf.expiresInMs(), 40);
    buf.poll();
    assert.deepEqual(out, [1]);
    clock.now = 500; // the sender said nothing more
    assert.deepEqual(out, [1], 'without poll() nothing moves');
    assert.equal(buf.expiresInMs(), 0);
    buf.poll();
    assert.deepEqual(out, [1, 3, 4]);
    assert.deepEqual(losses, [1]);
    assert.equal(buf.expiresInMs(), undefined);
  });

  test('an owner that polls from a timer armed at expiresInMs() gets the held packets about maxDelayMs after the gap', async () => {
    const out: number[] = [];
    const losses: number[] = [];
    const buf = new RtpReorderBuffer({ maxDelayMs: 30, onPacket: (p) => out.push(p.sequenceNumber), onLoss: (n) => losses.push(n) });
    let timer: NodeJS.Timeout | undefined;
    const released = new Promise<number>((resolve) => {
      const arm = (): void => {
        const ms = buf.expiresInMs();
        if (ms === undefined) return resolve(performance.now());
        timer = setTimeout(() => {
          buf.poll();
          arm();
        }, Math.max(1, Math.ceil(ms)));
      };
      buf.push(pkt(7));
      buf.push(pkt(9));
      buf.push(pkt(10));
      arm();
    });
    const started = performance.now();
    try {
      const at = await Promise.race([released, new Promise<number>((_, reject) => setTimeout(() => reject(new Error('held packets never came out')), 2000).unref())]);
      assert.deepEqual(out, [7, 9, 10]);
      assert.deepEqual(losses, [1]);
      assert.ok(at - started >= 29 && at - started < 1000, `released after ${(at - started).toFixed(1)} ms`);
    } finally {
      clearTimeout(timer);
    }
  });

  test('duplicates and late packets are told apart as far back as maxJump', () => {
    const { buf, out } = harness({ window: 8, maxJump: 3000 });
    for (let s = 0; s <= 3200; s++) if (s !== 202) buf.push(pkt(s));
    assert.equal(out.length, 3200);
    buf.push(pkt(202)); // 2999 behind, given up long ago
    buf.push(pkt(201)); // 3000 behind, emitted
    buf.push(pkt(3150));
    assert.equal(buf.stats.late, 1);
    assert.equal(buf.stats.duplicates, 2);
    assert.equal(buf.stats.resets, 0);
  });

  test('with maxJump beyond half the sequence space, packets 32768 behind are still told apart', () => {
    const { buf } = harness({ window: 8, maxJump: 40000 });
    for (let s = 0; s <= 40000; s++) if (s !== 7233) buf.push(pkt(s));
    buf.push(pkt(7233)); // 40001 - 32768: as far back as a 16-bit distance goes; lost
    buf.push(pkt(7234)); // emitted
    buf.push(pkt(40000));
    assert.equal(buf.stats.late, 1);
    assert.equal(buf.stats.duplicates, 2);
    assert.equal(buf.stats.resets, 0);
  });

  test('a packet arriving after its gap was given up is counted late, not emitted', () => {
    const { buf, out, clock } = harness({ maxDelayMs: 50 });
    buf.push(pkt(1));
    buf.push(pkt(3));
    clock.now = 60;
    buf.poll();
    buf.push(pkt(2));
    assert.deepEqual(out, [1, 3]);
    assert.equal(buf.stats.late, 1);
    assert.equal(buf.stats.duplicates, 0);
  });

  test('a large sequence jump (sender restarted) starts over instead of counting thousands lost', () => {
    const { buf, out } = harness();
    for (const s of [500, 501, 40000, 40001]) buf.push(pkt(s));
    assert.deepEqual(out, [500, 501, 40000, 40001]);
    assert.equal(buf.stats.lost, 0);
    assert.equal(buf.stats.resets, 1);
  });

  test('flush emits what is held, in order', () => {
    const { buf, out } = harness();
    for (const s of [1, 4, 3]) buf.push(pkt(s));
    buf.flush();
    assert.deepEqual(out, [1, 3, 4]);
  });

  test('random shuffles, drops and duplicates near the wrap: output strictly ascending, counts add up', () => {
    const rand = seededRandom(2024);
    for (let round = 0; round < 200; round++) {
      const start = randomInt(rand, 65000, 65535);
      const total = randomInt(rand, 50, 400);
      const arrivals: number[] = [];
      const dropped = new Set<number>();
      for (let i = 0; i < total; i++) {
        if (i > 0 && rand() < 0.05) dropped.add(i);
        else arrivals.push(i);
        if (rand() < 0.03) arrivals.push(i);
      }
      for (let i = 0; i < arrivals.length; i++) {
        const j = Math.min(arrivals.length - 1, i + randomInt(rand, 0, 5));
        [arrivals[i], arrivals[j]] = [arrivals[j] as number, arrivals[i] as number];
      }
      const { buf, out } = harness({ window: 16 });
      for (const i of arrivals) buf.push(pkt(start + i));
      buf.flush();
      const unwrapped = out.map((s) => (s - start + 65536) % 65536);
      for (let k = 1; k < unwrapped.length; k++) assert.ok((unwrapped[k] as number) > (unwrapped[k - 1] as number), `round ${round}`);
      const s = buf.stats;
      assert.equal(s.received, arrivals.length);
      assert.equal(s.emitted, out.length);
      assert.equal(s.emitted + s.duplicates + s.late, s.received);
      assert.ok(s.lost >= dropped.size - 1 && s.lost <= dropped.size + s.late, `round ${round}: lost ${s.lost}, dropped ${dropped.size}`);
    }
  });
});

describe('RTP reorder buffer: runs of packets (native/rtp-recv)', () => {
  /** A run of `count` packets from `first`, payload bytes = their sequence numbers' low bytes. */
  function run(first: number, count: number, marker = true): RtpPacketRun {
    const payload = Buffer.from(Array.from({ length: count }, (_, i) => (first + i) & 0xff));
    const lengths = Buffer.alloc(2 * count);
    for (let i = 0; i < count; i++) lengths.writeUInt16BE(1, 2 * i);
    return { count, firstSequence: first & 0xffff, timestamp: 9000, ssrc: 1, payloadType: 96, marker, payload, lengths };
  }

  test('a run in order with nothing held back passes whole, counted as its packets, across the wrap', () => {
    const runs: string[] = [];
    const { buf, out } = harness({ onRun: (payload, ts, marker) => runs.push(`${payload.toString('hex')} ${ts} ${marker}`) });
    buf.pushRun(run(65534, 4));
    buf.push(pkt(2));
    assert.deepEqual(runs, ['feff0001 9000 true']);
    assert.deepEqual(out, [2], 'the next packet follows the run');
    assert.deepEqual([buf.stats.received, buf.stats.emitted, buf.stats.lost], [5, 5, 0]);
    buf.push(pkt(0));
    assert.equal(buf.stats.duplicates, 1, 'a packet of the run seen again is a duplicate');
  });

  test('a run after a gap is cut into its packets and waits like them; the loss is reported before them', () => {
    const runs: Buffer[] = [];
    const { buf, out, losses, clock } = harness({ window: 8, maxDelayMs: 100, onRun: (p) => runs.push(p) });
    buf.push(pkt(10));
    buf.pushRun(run(12, 3)); // 11 is missing
    assert.deepEqual(out, [10]);
    assert.equal(runs.length, 0);
    clock.now = 150;
    buf.poll();
    assert.deepEqual(out, [10, 12, 13, 14]);
    assert.deepEqual(losses, [1]);
    buf.pushRun(run(15, 2, false));
    assert.equal(runs.length, 1, 'in order again: whole');
  });

  test('without onRun every run reaches onPacket packet by packet, the marker on its last', () => {
    const marks: boolean[] = [];
    const { buf, out } = harness({ onPacket: (p) => (out.push(p.sequenceNumber), marks.push(p.marker)) });
    buf.pushRun(run(7, 3));
    assert.deepEqual(out, [7, 8, 9]);
    assert.deepEqual(marks, [false, false, true]);
  });
});
