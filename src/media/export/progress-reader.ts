/**
 * Reads ffmpeg's `-progress` output (key=value lines in blocks, each ending with
 * `progress=continue` or `progress=end`) as it arrives in pieces. Total: unknown keys, bad
 * numbers ("N/A") and over-long lines are ignored.
 */
const MAX_LINE = 4096;

export class ProgressReader {
  /** Latest `out_time_us` seen, in microseconds; -1 before the first. */
  outTimeUs = -1;
  ended = false;
  private partial = '';

  /** Returns whether `outTimeUs` moved. */
  push(chunk: Buffer | string): boolean {
    const text = this.partial + (typeof chunk === 'string' ? chunk : chunk.toString('latin1'));
    const lines = text.split('\n');
    const rest = lines.pop() ?? '';
    this.partial = rest.length > MAX_LINE ? '' : rest;
    const before = this.outTimeUs;
    for (const line of lines) this.readLine(line.trim());
    return this.outTimeUs !== before;
  }

  private readLine(line: string): void {
    const eq = line.indexOf('=');
    if (eq <= 0) return;
    const key = line.slice(0, eq);
    const value = line.slice(eq + 1);
    if (key === 'out_time_us' && /^-?\d{1,18}$/.test(value)) {
      const us = Number(value);
      if (Number.isSafeInteger(us) && us > this.outTimeUs) this.outTimeUs = us;
    } else if (key === 'progress' && value === 'end') {
      this.ended = true;
    }
  }
}
