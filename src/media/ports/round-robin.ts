/**
 * Claims slots 0..count-1 round-robin from a shared cursor that starts at a random slot, so that a
 * restarted node does not hand out the same slot first and concurrent claims try different slots
 * instead of racing for one. Each claim tries every slot at most once.
 */
export class RoundRobinClaimer {
  private cursor: number;

  constructor(
    private readonly count: number,
    random: () => number = Math.random,
  ) {
    this.cursor = Math.floor(random() * count) % Math.max(1, count);
  }

  /** The first slot for which tryClaim resolves true, or null when every slot refused. */
  async claim(tryClaim: (slot: number) => Promise<boolean>): Promise<number | null> {
    const tried = new Uint8Array(this.count);
    for (let attempts = 0; attempts < this.count; attempts++) {
      let slot = this.cursor;
      this.cursor = (this.cursor + 1) % this.count;
      // Concurrent claims move the shared cursor too, so it may come back to a slot tried already.
      while (tried[slot] === 1) slot = (slot + 1) % this.count;
      tried[slot] = 1;
      if (await tryClaim(slot)) return slot;
    }
    return null;
  }
}
