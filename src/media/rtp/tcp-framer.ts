/**
 * RFC 4571 framing for RTP/RTCP over TCP: every packet is preceded by its length as a 2-byte
 * big-endian number. Packets that lie within one read are delivered as views (no copy); only a
 * packet split across reads is concatenated, once, when its last byte arrives.
 *
 * A camera whose send buffer overflowed leaves a corrupt stream: lengths that point into the
 * middle of a packet. The framer notices (the bytes at the next length field are not an RTP v2
 * header of the same SSRC), scans forward for one that is, and counts what it skipped. A packet
 * cut short by the overflow is recognised by a valid header inside it and dropped.
 */
export interface RtpTcpFramerOptions {
  onPacket(packet: Buffer): void;
  /** RTCP multiplexed on the connection (RFC 5761 second-byte rule); ignored when absent. */
  onRtcp?(packet: Buffer): void;
}

export interface RtpTcpFramerStats {
  packets: number;
  rtcpPackets: number;
  bytesDropped: number;
  resyncs: number;
}

const HEADER = 14; // length field + fixed RTP header
/** After this many bytes without a packet of the known SSRC, accept a new SSRC. */
const RELOCK_AFTER_BYTES = 65536;

export class RtpTcpFramer {
  readonly stats: RtpTcpFramerStats = { packets: 0, rtcpPackets: 0, bytesDropped: 0, resyncs: 0 };
  private pending: Buffer[] = [];
  private pendingLength = 0;
  /** Total bytes (length field included) of the packet in `pending`, when its header was checked. */
  private pendingNeed = 0;
  private resyncing = false;
  private droppedThisResync = 0;
  private ssrc = 0;
  private ssrcKnown = false;

  constructor(private readonly options: RtpTcpFramerOptions) {}

  /** Takes over a connection whose packets of `ssrc` were framed elsewhere so far (native/rtp-recv). */
  assumeSsrc(ssrc: number): void {
    this.ssrc = ssrc >>> 0;
    this.ssrcKnown = true;
  }

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    if (this.pendingLength === 0) {
      this.process(chunk, 0);
      return;
    }
    if (this.pendingNeed === 0) {
      this.process(this.takePending(chunk), 0);
      return;
    }
    const missing = this.pendingNeed - this.pendingLength;
    if (chunk.length < missing) {
      this.pending.push(chunk);
      this.pendingLength += chunk.length;
      return;
    }
    const following = this.checkHeader(chunk, missing);
    if (following === 0) {
      // What follows the packet is not a packet: let process() look inside it for a cut.
      this.process(this.takePending(chunk), 0);
      return;
    }
    this.pending.push(chunk.subarray(0, missing));
    const framed = this.takePending(null);
    this.deliver(framed, 0, framed.length);
    this.process(chunk, missing);
  }

  private takePending(tail: Buffer | null): Buffer {
    if (tail) this.pending.push(tail);
    const all = this.pending.length === 1 ? (this.pending[0] as Buffer) : Buffer.concat(this.pending);
    this.pending = [];
    this.pendingLength = 0;
    this.pendingNeed = 0;
    return all;
  }

  private keep(buf: Buffer, from: number, need: number): void {
    if (from >= buf.length) return;
    this.pending = [buf.subarray(from)];
    this.pendingLength = buf.length - from;
    this.pendingNeed = need;
  }

  private process(buf: Buffer, p: number): void {
    const n = buf.length;
    while (p < n) {
      if (this.resyncing) {
        const q = this.findHeader(buf, p);
        if (q < 0) {
          const keep = Math.min(n - p, HEADER - 1);
          this.drop(n - keep - p);
          this.keep(buf, n - keep, 0);
          return;
        }
        this.drop(q - p);
        p = q;
        this.resyncing = false;
        this.droppedThisResync = 0;
      }
      const state = this.checkHeader(buf, p);
      if (state < 0) {
        this.keep(buf, p, 0);
        return;
      }
      if (state === 0) {
        this.startResync();
        this.drop(1);
        p += 1;
        continue;
      }
      const end = p + 2 + buf.readUInt16BE(p);
      if (end > n) {
        this.keep(buf, p, end - p);
        return;
      }
      if (this.checkHeader(buf, end) === 0) {
        const q = this.findHeader(buf, p + 1);
        if (q >= 0 && q < end) {
          // The packet was cut short and another one starts inside it.
          this.startResync();
          this.resyncing = false;
          this.drop(q - p);
          p = q;
          continue;
        }
      }
      this.deliver(buf, p, end);
      p = end;
    }
  }

  private deliver(buf: Buffer, p: number, end: number): void {
    const b1 = buf[p + 3] ?? 0;
    const packet = buf.subarray(p + 2, end);
    if (b1 >= 192 && b1 <= 223) {
      this.stats.rtcpPackets++;
      this.options.onRtcp?.(packet);
      return;
    }
    if (!this.ssrcKnown) {
      this.ssrc = buf.readUInt32BE(p + 10);
      this.ssrcKnown = true;
    }
    this.stats.packets++;
    this.droppedThisResync = 0;
    this.options.onPacket(packet);
  }

  private startResync(): void {
    if (!this.resyncing) this.stats.resyncs++;
    this.resyncing = true;
  }

  private drop(bytes: number): void {
    if (bytes <= 0) return;
    this.stats.bytesDropped += bytes;
    this.droppedThisResync += bytes;
    if (this.droppedThisResync > RELOCK_AFTER_BYTES) this.ssrcKnown = false;
  }

  /** 1: a plausible packet starts at p; 0: it does not; -1: not enough bytes to tell. */
  private checkHeader(buf: Buffer, p: number): number {
    const avail = buf.length - p;
    if (avail < 4) return -1;
    const length = buf.readUInt16BE(p);
    const b0 = buf[p + 2] ?? 0;
    const b1 = buf[p + 3] ?? 0;
    if (length < 8 || b0 >> 6 !== 2) return 0;
    if (b1 >= 192 && b1 <= 223) {
      if (avail < 6) return -1;
      return (buf.readUInt16BE(p + 4) + 1) * 4 <= length ? 1 : 0;
    }
    if (length < 12) return 0;
    if (avail < HEADER) return -1;
    if (this.ssrcKnown && buf.readUInt32BE(p + 10) !== this.ssrc) return 0;
    return 1;
  }

  /** The first offset >= from where a plausible packet of the known SSRC starts, or -1. */
  private findHeader(buf: Buffer, from: number): number {
    const last = buf.length - HEADER;
    for (let q = from; q <= last; q++) {
      if (this.ssrcKnown && this.droppedThisResync + (q - from) > RELOCK_AFTER_BYTES) this.ssrcKnown = false;
      const b0 = buf[q + 2] ?? 0;
      if (b0 >> 6 !== 2) continue;
      const b1 = buf[q + 3] ?? 0;
      if (b1 >= 192 && b1 <= 223) continue; // only RTP carries an SSRC to trust
      if (buf.readUInt16BE(q) < 12) continue;
      if (this.ssrcKnown) {
        if (buf.readUInt32BE(q + 10) === this.ssrc) return q;
      } else if (this.chainHolds(buf, q)) {
        return q;
      }
    }
    return -1;
  }

  /** Without a known SSRC, a candidate counts when the next packet (if present) has its SSRC. */
  private chainHolds(buf: Buffer, q: number): boolean {
    const next = q + 2 + buf.readUInt16BE(q);
    if (next + HEADER > buf.length) return true;
    return (buf[next + 2] ?? 0) >> 6 === 2 && buf.readUInt32BE(next + 10) === buf.readUInt32BE(q + 10);
  }
}

/** Prefixes an RTP or RTCP packet with its RFC 4571 length (for sending over TCP). */
export function frameForTcp(packet: Buffer): Buffer {
  const out = Buffer.allocUnsafe(2 + packet.length);
  out.writeUInt16BE(packet.length, 0);
  packet.copy(out, 2);
  return out;
}
