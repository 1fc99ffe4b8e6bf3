import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { TimerWheel, WheelEntry } from '../../../src/sip/transaction/timer-wheel';
import { setTimeout as sleep } from 'node:timers/promises';

let sequence = 0;

class Probe extends WheelEntry {
  firedAt: number[] = [];
  order = -1;
  constructor(
    private readonly wheel: TimerWheel,
    readonly dueAt: number,
    private readonly onFire?: (p: Probe) => void,
  ) {
    super();
  }
  onTimer(now: number): void {
    this.firedAt.push(now);
    this.order = sequence++;
    this.onFire?.(this);
  }
  arm(): void {
    this.wheel.schedule(this, this.dueAt);
  }
}

describe('timer wheel', () => {
  test('entries fire once, never early, in deadline order, and the wheel stops when empty', async () => {
    const wheel = new TimerWheel(2, (err) => assert.fail(String(err)), 4);
    const start = wheel.now();
    // 4 slot bits: delays longer than 16 ticks wrap around the wheel several times.
    const probes = [5, 80, 33, 1, 47, 120, 12].map((d) => new Probe(wheel, start + d));
    for (const p of probes) p.arm();
    assert.equal(wheel.size, probes.length);
    await sleep(200);
    for (const p of probes) {
      assert.equal(p.firedAt.length, 1);
      assert.ok((p.firedAt[0] as number) >= p.dueAt, 'fired before its deadline');
    }
    const order = [...probes].sort((a, b) => a.order - b.order).map((p) => p.dueAt - start);
    assert.deepEqual(order, [1, 5, 12, 33, 47, 80, 120]);
    assert.equal(wheel.size, 0);
    wheel.close();
  });

  test('a cancelled entry does not fire, a rescheduled one fires at its new time only', async () => {
    const wheel = new TimerWheel(2, (err) => assert.fail(String(err)));
    const start = wheel.now();
    const cancelled = new Probe(wheel, start + 10);
    const moved = new Probe(wheel, start + 10);
    cancelled.arm();
    moved.arm();
    wheel.cancel(cancelled);
    wheel.schedule(moved, start + 40);
    await sleep(80);
    assert.equal(cancelled.firedAt.length, 0);
    assert.equal(moved.firedAt.length, 1);
    assert.ok((moved.firedAt[0] as number) >= start + 40);
    wheel.close();
  });

  test('an entry may cancel another that is due in the same tick', async () => {
    const wheel = new TimerWheel(5, (err) => assert.fail(String(err)));
    const start = wheel.now();
    const victim = new Probe(wheel, start + 10);
    const killer = new Probe(wheel, start + 10, () => wheel.cancel(victim));
    // Same slot; the later-armed entry is collected first, so the killer fires before the victim.
    victim.arm();
    killer.arm();
    await sleep(60);
    assert.equal(killer.firedAt.length, 1);
    assert.equal(victim.firedAt.length, 0);
    assert.equal(wheel.size, 0);
    wheel.close();
  });

  test('a handler that throws is reported and does not stop the others', async () => {
    const errors: unknown[] = [];
    const wheel = new TimerWheel(2, (err) => errors.push(err));
    const start = wheel.now();
    const bad = new Probe(wheel, start + 5, () => {
      throw new Error('boom');
    });
    const good = new Probe(wheel, start + 5);
    bad.arm();
    good.arm();
    await sleep(50);
    assert.equal(errors.length, 1);
    assert.equal(good.firedAt.length, 1);
    wheel.close();
  });

  test('after close nothing fires and nothing can be scheduled', async () => {
    const wheel = new TimerWheel(2, (err) => assert.fail(String(err)));
    const p = new Probe(wheel, wheel.now() + 5);
    p.arm();
    wheel.close();
    p.arm();
    await sleep(30);
    assert.equal(p.firedAt.length, 0);
    assert.equal(wheel.size, 0);
  });
});
