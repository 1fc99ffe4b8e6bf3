import type { PlatformEvent } from './types';

/**
 * The most recent events, oldest first, in a fixed-size ring: what an SSE client that
 * reconnects with Last-Event-ID missed. Event ids are increasing integers (as strings).
 */
export class EventRing {
  private readonly slots: Array<PlatformEvent | undefined>;
  private next = 0;
  private count = 0;
  /** Id of the newest event pushed out of the ring: ids are not contiguous (they jump with the clock). */
  private evictedId = -1;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError('ring capacity must be a positive integer');
    this.slots = new Array<PlatformEvent | undefined>(capacity);
  }

  get size(): number {
    return this.count;
  }

  push(event: PlatformEvent): void {
    const evicted = this.slots[this.next];
    if (evicted !== undefined) this.evictedId = Number(evicted.id);
    this.slots[this.next] = event;
    this.next = (this.next + 1) % this.capacity;
    if (this.count < this.capacity) this.count++;
  }

  /** Every kept event, oldest first. */
  all(): PlatformEvent[] {
    const out: PlatformEvent[] = [];
    const start = (this.next - this.count + this.capacity) % this.capacity;
    for (let i = 0; i < this.count; i++) {
      const e = this.slots[(start + i) % this.capacity];
      if (e !== undefined) out.push(e);
    }
    return out;
  }

  /**
   * Events after the one with id `lastId`, oldest first. `gap` is true when events between it
   * and the oldest kept one were already dropped (the client missed some for good).
   */
  after(lastId: number): { events: PlatformEvent[]; gap: boolean } {
    const all = this.all();
    const events = all.filter((e) => Number(e.id) > lastId);
    const gap = this.evictedId > lastId;
    return { events, gap };
  }

  clear(): void {
    this.slots.fill(undefined);
    this.next = 0;
    this.count = 0;
    this.evictedId = -1;
  }
}
