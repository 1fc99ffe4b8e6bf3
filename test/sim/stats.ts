/** Latency and status bookkeeping for simulator runs (benchmarks read p50/p99 from here). */

export interface LatencySummary {
  count: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

/** Nearest-rank percentile of ascending-sorted samples; 0 for no samples. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1] ?? 0;
}

export function summarize(samples: readonly number[]): LatencySummary {
  const sorted = [...samples].sort((a, b) => a - b);
  const sum = sorted.reduce((a, b) => a + b, 0);
  return {
    count: sorted.length,
    mean: sorted.length === 0 ? 0 : sum / sorted.length,
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    max: sorted[sorted.length - 1] ?? 0,
  };
}

/** Status counts, timeouts and latency samples of one kind of operation. */
export class OutcomeTally {
  readonly byStatus: Record<string, number> = {};
  timeouts = 0;
  count = 0;
  private readonly samples: number[] = [];

  /** Keeps at most `maxSamples` latencies (the first ones); counts are always exact. */
  constructor(private readonly maxSamples = 200_000) {}

  add(status: number, latencyMs: number, timedOut: boolean): void {
    this.count++;
    const key = String(status);
    this.byStatus[key] = (this.byStatus[key] ?? 0) + 1;
    if (timedOut) this.timeouts++;
    if (this.samples.length < this.maxSamples) this.samples.push(latencyMs);
  }

  latency(): LatencySummary {
    return summarize(this.samples);
  }

  snapshot(): { count: number; byStatus: Record<string, number>; timeouts: number; latencyMs: LatencySummary } {
    return { count: this.count, byStatus: { ...this.byStatus }, timeouts: this.timeouts, latencyMs: this.latency() };
  }
}
