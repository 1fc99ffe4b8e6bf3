/**
 * One timer for every stream of the process: every TICK_MS each stream sends what has fallen
 * due since the last tick. Hundreds of streams cost one timer, and how late the ticks run tells
 * a benchmark whether the simulator itself kept up.
 */
export interface PacedStream {
  /** Sends every packet due at `nowMs` (performance.now()). */
  sendDue(nowMs: number): void;
}

export interface MediaPacerStats {
  streams: number;
  ticks: number;
  /** Largest delay of a tick behind its schedule since the last reset, ms. */
  maxLagMs: number;
  /** Ticks that ran more than 50 ms late. */
  lateTicks: number;
  /** Time spent inside ticks (sending), ms. */
  busyMs: number;
}

export const TICK_MS = 10;

class MediaPacer {
  private readonly streams = new Set<PacedStream>();
  private timer: NodeJS.Timeout | undefined;
  private nextTickAt = 0;
  private readonly counters = { ticks: 0, maxLagMs: 0, lateTicks: 0, busyMs: 0 };

  add(stream: PacedStream): void {
    this.streams.add(stream);
    if (this.timer) return;
    this.nextTickAt = performance.now() + TICK_MS;
    this.timer = setInterval(() => this.tick(), TICK_MS);
  }

  remove(stream: PacedStream): void {
    this.streams.delete(stream);
    if (this.streams.size > 0 || !this.timer) return;
    clearInterval(this.timer);
    this.timer = undefined;
  }

  stats(): MediaPacerStats {
    return { streams: this.streams.size, ...this.counters };
  }

  resetStats(): void {
    Object.assign(this.counters, { ticks: 0, maxLagMs: 0, lateTicks: 0, busyMs: 0 });
  }

  private tick(): void {
    const now = performance.now();
    const lag = now - this.nextTickAt;
    this.nextTickAt = now + TICK_MS;
    this.counters.ticks++;
    if (lag > this.counters.maxLagMs) this.counters.maxLagMs = lag;
    if (lag > 50) this.counters.lateTicks++;
    for (const stream of this.streams) stream.sendDue(now);
    this.counters.busyMs += performance.now() - now;
  }
}

export const mediaPacer = new MediaPacer();

/** How the shared media timer is doing (for benchmarks: maxLagMs and busyMs show a saturated simulator). */
export function simMediaPacerStats(): MediaPacerStats {
  return mediaPacer.stats();
}

export function resetSimMediaPacerStats(): void {
  mediaPacer.resetStats();
}
