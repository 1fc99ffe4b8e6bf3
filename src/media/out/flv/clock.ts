const PTS_RANGE = 2 ** 33;
const HALF_PTS_RANGE = 2 ** 32;

/**
 * Converts 90 kHz timestamps to FLV milliseconds starting at 0 with the first timestamp seen.
 * Each step is taken modulo the 33-bit PTS range, so raw wrapped MPEG timestamps and the
 * demuxer's unwrapped ones both give a continuous clock; audio and video share the clock, so
 * interleaved tracks stay in sync.
 */
export class FlvClock {
  private last: number | undefined;
  /** 90 kHz ticks since the first timestamp. */
  private position = 0;

  /** Milliseconds for a 90 kHz timestamp; never negative (a track starting early is clamped). */
  toMs(ts90k: number): number {
    if (this.last === undefined) this.last = ts90k;
    this.position += wrapDelta(ts90k - this.last);
    this.last = ts90k;
    return Math.max(0, Math.round(this.position / 90));
  }

  /** Where the clock stands (0 before the first timestamp): for sequence headers sent mid-stream. */
  currentMs(): number {
    return Math.max(0, Math.round(this.position / 90));
  }

  reset(): void {
    this.last = undefined;
    this.position = 0;
  }
}

/** A difference of 90 kHz timestamps brought into [-2^32, 2^32): the short way round the wrap. */
export function wrapDelta(delta: number): number {
  const d = ((delta % PTS_RANGE) + PTS_RANGE) % PTS_RANGE;
  return d >= HALF_PTS_RANGE ? d - PTS_RANGE : d;
}
