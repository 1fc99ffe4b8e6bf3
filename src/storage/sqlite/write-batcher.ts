/**
 * Groups small synchronous writes that arrive in the same turn of the event loop into one
 * transaction, and under load (`linger`) those of the next few milliseconds too. A SQLite commit
 * costs more than the write itself: a registration storm of single upserts reaches ~12,000/s, the
 * same upserts batched ~40,000/s (bench/sqlite-upsert.ts), which leaves the event loop to the
 * signaling.
 *
 * The owner calls flush() before every read or other write, so callers still read their own
 * writes and see writes in the order they were made.
 */
export class WriteBatcher<T, R> {
  private pending: { item: T; resolve: (result: R) => void; reject: (err: unknown) => void }[] = [];
  /** Cancels the pending flush (an immediate or a linger timer); null when none is scheduled. */
  private cancelScheduled: (() => void) | null = null;
  private lastFlushSize = 0;
  private lastFlushAt = 0;

  constructor(
    private readonly options: {
      /** Runs the whole batch in one transaction; throws to roll it all back. */
      runBatch: (items: T[]) => R[];
      /** Runs one item on its own: the fallback when a batch fails, so one bad item fails alone. */
      runOne: (item: T) => R;
      maxBatch: number;
      /**
       * Group commit under load: when the last flush carried at least `afterBatchOf` items and
       * ended less than `withinMs` ago, the next batch waits `ms` for more. A lone caller that
       * awaits each write makes batches of one and so never waits.
       */
      linger?: { afterBatchOf: number; withinMs: number; ms: number };
    },
  ) {}

  get size(): number {
    return this.pending.length;
  }

  submit(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.pending.push({ item, resolve, reject });
      if (this.pending.length >= this.options.maxBatch) this.flush();
      else if (this.cancelScheduled === null) this.schedule();
    });
  }

  private schedule(): void {
    const linger = this.options.linger;
    if (linger && this.lastFlushSize >= linger.afterBatchOf && performance.now() - this.lastFlushAt < linger.withinMs) {
      const timer = setTimeout(() => this.flush(), linger.ms);
      this.cancelScheduled = () => clearTimeout(timer);
    } else {
      const immediate = setImmediate(() => this.flush());
      this.cancelScheduled = () => clearImmediate(immediate);
    }
  }

  /** Writes everything pending now, synchronously. */
  flush(): void {
    this.cancelScheduled?.();
    this.cancelScheduled = null;
    const batch = this.pending;
    if (batch.length === 0) return;
    this.pending = [];
    this.lastFlushSize = batch.length;
    let results: R[] | null = null;
    try {
      results = this.options.runBatch(batch.map((p) => p.item));
    } catch {
      results = null;
    }
    this.lastFlushAt = performance.now();
    if (results) {
      batch.forEach((p, i) => p.resolve(results[i] as R));
      return;
    }
    for (const p of batch) {
      try {
        p.resolve(this.options.runOne(p.item));
      } catch (err) {
        p.reject(err);
      }
    }
  }
}
