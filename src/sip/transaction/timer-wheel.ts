/**
 * A hashed timing wheel for transaction timers.
 *
 * Tens of thousands of transactions per second each need one pending timer (retransmit or
 * timeout). One unref'd interval drives them all; an entry is the transaction object itself
 * (intrusive list links), so scheduling allocates nothing and no closure outlives a transaction.
 */

/** Base class for anything the wheel can fire. Only one pending deadline per entry. */
export abstract class WheelEntry {
  /** Absolute tick at which the entry fires. */
  wheelDue = 0;
  /** Slot index while scheduled, -1 when idle, FIRING while collected for firing. */
  wheelSlot = -1;
  wheelPrev: WheelEntry | null = null;
  wheelNext: WheelEntry | null = null;

  abstract onTimer(nowMs: number): void;
}

const FIRING = -2;

export class TimerWheel {
  private readonly slots: Array<WheelEntry | null>;
  private readonly mask: number;
  private readonly origin = performance.now();
  /** Last tick processed. */
  private tick = 0;
  private count = 0;
  private interval: NodeJS.Timeout | null = null;
  private readonly firing: WheelEntry[] = [];
  private closed = false;

  constructor(
    private readonly tickMs: number,
    private readonly onError: (err: unknown) => void,
    slotBits = 12,
  ) {
    this.slots = new Array<WheelEntry | null>(1 << slotBits).fill(null);
    this.mask = (1 << slotBits) - 1;
  }

  /** Milliseconds on the wheel's monotonic clock. */
  now(): number {
    return performance.now() - this.origin;
  }

  get size(): number {
    return this.count;
  }

  /** (Re)schedules `entry` to fire at `atMs` (wheel clock); replaces any pending deadline. */
  schedule(entry: WheelEntry, atMs: number): void {
    if (this.closed) return;
    this.cancel(entry);
    if (this.count === 0) this.tick = Math.floor(this.now() / this.tickMs);
    let due = Math.ceil(atMs / this.tickMs);
    if (due <= this.tick) due = this.tick + 1;
    const slot = due & this.mask;
    entry.wheelDue = due;
    entry.wheelSlot = slot;
    entry.wheelPrev = null;
    const head = this.slots[slot] ?? null;
    entry.wheelNext = head;
    if (head !== null) head.wheelPrev = entry;
    this.slots[slot] = entry;
    this.count++;
    if (this.interval === null) {
      this.interval = setInterval(() => this.advance(), this.tickMs);
      this.interval.unref();
    }
  }

  /** Schedules `entry` `delayMs` from now. */
  scheduleIn(entry: WheelEntry, delayMs: number): void {
    this.schedule(entry, this.now() + delayMs);
  }

  cancel(entry: WheelEntry): void {
    if (entry.wheelSlot === FIRING) {
      entry.wheelSlot = -1;
      return;
    }
    if (entry.wheelSlot < 0) return;
    this.unlink(entry);
    this.count--;
    if (this.count === 0) this.stop();
  }

  /** Drops every entry and stops the interval; later schedules are ignored. */
  close(): void {
    this.closed = true;
    for (let i = 0; i < this.slots.length; i++) {
      let e = this.slots[i] ?? null;
      while (e !== null) {
        const next = e.wheelNext;
        e.wheelSlot = -1;
        e.wheelPrev = null;
        e.wheelNext = null;
        e = next;
      }
      this.slots[i] = null;
    }
    this.count = 0;
    this.stop();
  }

  private stop(): void {
    if (this.interval !== null) {
      clearInterval(this.interval);
      this.interval = null;
    }
  }

  private unlink(entry: WheelEntry): void {
    const { wheelPrev: prev, wheelNext: next } = entry;
    if (prev !== null) prev.wheelNext = next;
    else this.slots[entry.wheelSlot] = next;
    if (next !== null) next.wheelPrev = prev;
    entry.wheelPrev = null;
    entry.wheelNext = null;
    entry.wheelSlot = -1;
  }

  /** Processes every tick up to now (catching up after a stalled event loop). */
  private advance(): void {
    const nowMs = this.now();
    const target = Math.floor(nowMs / this.tickMs);
    if (target - this.tick > this.slots.length) {
      // Stalled for more than a full turn: one sweep of every slot is enough.
      for (let s = 0; s < this.slots.length; s++) this.collect(s, target);
      this.firing.sort((a, b) => a.wheelDue - b.wheelDue);
      this.tick = target;
    } else {
      while (this.tick < target) {
        this.tick++;
        this.collect(this.tick & this.mask, this.tick);
      }
    }
    this.fire(nowMs);
  }

  private collect(slot: number, upTo: number): void {
    let e = this.slots[slot] ?? null;
    while (e !== null) {
      const next = e.wheelNext;
      if (e.wheelDue <= upTo) {
        this.unlink(e);
        this.count--;
        e.wheelSlot = FIRING;
        this.firing.push(e);
      }
      e = next;
    }
  }

  private fire(nowMs: number): void {
    const list = this.firing;
    for (let i = 0; i < list.length; i++) {
      const e = list[i] as WheelEntry;
      // Cancelled by an earlier entry fired in the same batch.
      if (e.wheelSlot !== FIRING) continue;
      e.wheelSlot = -1;
      try {
        e.onTimer(nowMs);
      } catch (err) {
        this.onError(err);
      }
    }
    list.length = 0;
    if (this.count === 0) this.stop();
  }
}
