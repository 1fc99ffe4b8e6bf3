const BUCKET_MS = 1000;
const BUCKETS = 5;

/**
 * A rate over the last few whole seconds (frames per second, bytes per second) without a timer:
 * counts go into one-second buckets and old buckets are cleared as time moves on.
 */
export class RateWindow {
  private readonly counts = new Float64Array(BUCKETS);
  private currentBucket = -1;

  constructor(private readonly now: () => number = Date.now) {}

  add(amount: number): void {
    this.advance();
    const slot = this.currentBucket % BUCKETS;
    this.counts[slot] = (this.counts[slot] ?? 0) + amount;
  }

  /** The average over the completed buckets of the window (the current second is still filling). */
  perSecond(): number {
    this.advance();
    let sum = 0;
    for (let i = 1; i < BUCKETS; i++) sum += this.counts[(this.currentBucket - i + BUCKETS * 2) % BUCKETS] ?? 0;
    return sum / (BUCKETS - 1);
  }

  private advance(): void {
    const bucket = Math.floor(this.now() / BUCKET_MS);
    if (this.currentBucket < 0) {
      this.currentBucket = bucket;
      return;
    }
    const steps = Math.min(bucket - this.currentBucket, BUCKETS);
    for (let i = 1; i <= steps; i++) this.counts[(this.currentBucket + i) % BUCKETS] = 0;
    if (bucket > this.currentBucket) this.currentBucket = bucket;
  }
}
