/**
 * Cuts a SIP-over-TCP byte stream into whole messages (head up to the blank line, then
 * Content-Length bytes), keeping each message's exact bytes so tests can assert on them.
 * Accepts LF-only heads, compact `l:` and padded values; drops CRLF keep-alive pings.
 */
const MAX_MESSAGE = 1 << 20;

function headEnd(buf: Buffer): { bodyStart: number } | undefined {
  const crlf = buf.indexOf('\r\n\r\n');
  const lf = buf.indexOf('\n\n');
  if (crlf === -1 && lf === -1) return undefined;
  if (crlf !== -1 && (lf === -1 || crlf + 2 <= lf)) return { bodyStart: crlf + 4 };
  return { bodyStart: lf + 2 };
}

function contentLength(head: string): number | undefined {
  const m = /^(?:content-length|l)[ \t]*:[ \t]*(\d+)[ \t]*\r?$/im.exec(head);
  return m ? Number(m[1]) : undefined;
}

export class ByteFramer {
  private buffered: Buffer = Buffer.alloc(0);
  /** Set when the stream cannot be framed any more (no Content-Length, or too large). */
  broken = false;

  push(chunk: Buffer): Buffer[] {
    if (this.broken) return [];
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    const out: Buffer[] = [];
    for (;;) {
      let start = 0;
      while (start < this.buffered.length && (this.buffered[start] === 0x0d || this.buffered[start] === 0x0a)) start++;
      if (start > 0) this.buffered = this.buffered.subarray(start);
      const end = headEnd(this.buffered);
      if (!end) break;
      const length = contentLength(this.buffered.subarray(0, end.bodyStart).toString('latin1'));
      if (length === undefined || end.bodyStart + length > MAX_MESSAGE) {
        this.broken = true;
        break;
      }
      const total = end.bodyStart + length;
      if (this.buffered.length < total) break;
      out.push(Buffer.from(this.buffered.subarray(0, total)));
      this.buffered = this.buffered.subarray(total);
    }
    if (this.buffered.length > MAX_MESSAGE) this.broken = true;
    return out;
  }
}
