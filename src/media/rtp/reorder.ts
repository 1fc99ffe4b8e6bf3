import { seqDistance, type RtpPacket } from './packet';

/** Packets in sequence with one timestamp, payloads back to back (native/rtp-recv's runs). */
export interface RtpPacketRun {
  count: number;
  firstSequence: number;
  timestamp: number;
  ssrc: number;
  payloadType: number;
  /** The last packet's marker bit. */
  marker: boolean;
  payload: Buffer;
  /** Each packet's payload length, u16 big-endian. */
  lengths: Buffer;
}

export interface RtpReorderOptions {
  onPacket(packet: RtpPacket): void;
  /**
   * A run that arrived in order with nothing held back, in one piece: what `onPacket` would have
   * been given packet by packet, payloads concatenated. Without it runs are cut into packets.
   */
  onRun?(payload: Buffer, timestamp: number, marker: boolean): void;
  /** Called with the number of packets given up as lost, just before the packet after the gap. */
  onLoss?(count: number): void;
  /** Packets held while waiting for a missing one; a power of two. Default 32. */
  window?: number;
  /** How long a gap may hold packets back before it is declared lost. Default 100 ms. */
  maxDelayMs?: number;
  /** A sequence jump larger than this (either way) is a restarted sender, not loss. Default 3000. */
  maxJump?: number;
  /** Clock in milliseconds; injectable for tests. */
  now?: () => number;
}

export interface RtpReorderStats {
  received: number;
  emitted: number;
  lost: number;
  duplicates: number;
  /** Arrived after their gap had already been declared lost. */
  late: number;
  /** Arrived out of order but in time. */
  reordered: number;
  /** Sequence jumps treated as a new stream. */
  resets: number;
}

/**
 * Puts RTP packets of one stream back in sequence order across the 16-bit wrap. A missing packet
 * holds later ones back until the window fills or `maxDelayMs` passes, then it counts as lost.
 * Duplicates and late packets are counted and dropped.
 *
 * `maxDelayMs` is checked when a packet arrives and on `poll()`. If the sender falls silent
 * after a gap, the packets held behind it stay until something calls `poll()`, so the owner
 * calls it from a timer: `expiresInMs()` says when (undefined while nothing is held back).
 */
export class RtpReorderBuffer {
  readonly stats: RtpReorderStats = { received: 0, emitted: 0, lost: 0, duplicates: 0, late: 0, reordered: 0, resets: 0 };
  private readonly window: number;
  private readonly mask: number;
  private readonly maxDelayMs: number;
  private readonly maxJump: number;
  private readonly now: () => number;
  private readonly slots: (RtpPacket | undefined)[];
  private readonly arrivals: Float64Array;
  /**
   * One bit per sequence number behind `next`, set when it was emitted, clear when it was given
   * up: tells a duplicate from a late packet. A packet further behind than `maxJump` restarts the
   * stream instead, so a ring of that many bits (rounded up to a power of two) is enough.
   */
  private readonly emitted: Uint32Array;
  private readonly emittedMask: number;
  private next = -1;
  private buffered = 0;
  private gapSince = 0;
  private pendingLoss = 0;

  constructor(private readonly options: RtpReorderOptions) {
    let window = 1;
    while (window < Math.max(2, Math.min(options.window ?? 32, 4096))) window *= 2;
    this.window = window;
    this.mask = window - 1;
    this.maxDelayMs = options.maxDelayMs ?? 100;
    this.maxJump = Math.max(options.maxJump ?? 3000, window * 2);
    this.now = options.now ?? (() => performance.now());
    this.slots = new Array<RtpPacket | undefined>(window);
    this.arrivals = new Float64Array(window);
    let ring = 32;
    while (ring < Math.min(this.maxJump, 32768)) ring *= 2; // seqDistance never reaches further back than 32768
    this.emitted = new Uint32Array(ring / 32);
    this.emittedMask = ring - 1;
  }

  push(packet: RtpPacket): void {
    this.stats.received++;
    const seq = packet.sequenceNumber & 0xffff;
    if (this.next < 0) this.next = seq;
    const distance = seqDistance(this.next, seq);
    if (distance < -this.maxJump || distance > this.maxJump) {
      this.restartAt(seq);
    } else if (distance < 0) {
      if (this.wasEmitted(seq)) this.stats.duplicates++;
      else this.stats.late++;
      return;
    }
    const now = this.now();
    if (seqDistance(this.next, seq) === 0) {
      this.emit(packet);
      this.advance();
      const held = this.buffered;
      this.drain();
      // The gap is filled; a later one among the packets still held is timed from their arrival.
      if (held > 0 && this.buffered > 0) this.gapSince = this.oldestArrival();
    } else {
      while (seqDistance(this.next, seq) >= this.window) this.skipOne();
      this.drain();
      if (seqDistance(this.next, seq) === 0) {
        this.emit(packet);
        this.advance();
        this.drain();
      } else {
        this.hold(packet, now);
      }
    }
    this.expire(now);
  }

  /**
   * A run of packets. In order and with nothing held back it passes whole (`onRun`), as its
   * packets would one by one; otherwise it is cut into its packets, each pushed as it would have
   * arrived.
   */
  pushRun(run: RtpPacketRun): void {
    const first = run.firstSequence & 0xffff;
    const onRun = this.options.onRun;
    if (onRun !== undefined && this.buffered === 0 && (this.next < 0 || this.next === first)) {
      if (this.next < 0) this.next = first;
      this.stats.received += run.count;
      if (this.pendingLoss > 0) {
        const lost = this.pendingLoss;
        this.pendingLoss = 0;
        this.options.onLoss?.(lost);
      }
      for (let i = 0; i < run.count; i++) this.markEmitted((first + i) & 0xffff, true);
      this.stats.emitted += run.count;
      this.next = (first + run.count) & 0xffff;
      onRun(run.payload, run.timestamp, run.marker);
      return;
    }
    let at = 0;
    for (let i = 0; i < run.count; i++) {
      const length = run.lengths.readUInt16BE(2 * i);
      this.push({
        marker: run.marker && i === run.count - 1,
        payloadType: run.payloadType,
        sequenceNumber: (first + i) & 0xffff,
        timestamp: run.timestamp,
        ssrc: run.ssrc,
        csrcCount: 0,
        extensionProfile: -1,
        paddingLength: 0,
        payload: run.payload.subarray(at, at + length),
      });
      at += length;
    }
  }

  /**
   * Gives up on a gap that has held packets back for longer than `maxDelayMs`: the packets
   * behind it are emitted (after `onLoss`). Call it from a timer, at `expiresInMs()`.
   */
  poll(): void {
    this.expire(this.now());
  }

  /**
   * Milliseconds until `poll()` would give up the gap packets are held behind (0: it would now),
   * or undefined when nothing is held back and no timer is needed.
   */
  expiresInMs(): number | undefined {
    if (this.buffered === 0) return undefined;
    return Math.max(0, this.gapSince + this.maxDelayMs - this.now());
  }

  /** Emits everything held back, in order, counting the gaps as lost. */
  flush(): void {
    while (this.buffered > 0) {
      this.skipOne();
      this.drain();
    }
  }

  private hold(packet: RtpPacket, now: number): void {
    const slot = packet.sequenceNumber & this.mask;
    const held = this.slots[slot];
    if (held && held.sequenceNumber === packet.sequenceNumber) {
      this.stats.duplicates++;
      return;
    }
    if (this.buffered === 0) this.gapSince = now;
    this.slots[slot] = packet;
    this.arrivals[slot] = now;
    this.buffered++;
    this.stats.reordered++;
  }

  private expire(now: number): void {
    while (this.buffered > 0 && now - this.gapSince >= this.maxDelayMs) {
      while (!this.slots[this.next & this.mask]) this.skipOne();
      this.drain();
      if (this.buffered > 0) this.gapSince = this.oldestArrival();
    }
  }

  private oldestArrival(): number {
    let oldest = Infinity;
    for (let i = 0; i < this.window; i++) {
      if (this.slots[i]) oldest = Math.min(oldest, this.arrivals[i] ?? Infinity);
    }
    return oldest;
  }

  /** Emits held packets from `next` on while there is no gap. */
  private drain(): void {
    while (this.buffered > 0) {
      const slot = this.next & this.mask;
      const held = this.slots[slot];
      if (!held) return;
      this.slots[slot] = undefined;
      this.buffered--;
      this.emit(held);
      this.advance();
    }
  }

  /** Moves past `next`: emits it if held, else counts it lost. */
  private skipOne(): void {
    const slot = this.next & this.mask;
    const held = this.slots[slot];
    if (held) {
      this.slots[slot] = undefined;
      this.buffered--;
      this.emit(held);
    } else {
      this.stats.lost++;
      this.pendingLoss++;
      this.markEmitted(this.next, false);
    }
    this.next = (this.next + 1) & 0xffff;
  }

  private advance(): void {
    this.next = (this.next + 1) & 0xffff;
  }

  private emit(packet: RtpPacket): void {
    if (this.pendingLoss > 0) {
      const lost = this.pendingLoss;
      this.pendingLoss = 0;
      this.options.onLoss?.(lost);
    }
    this.markEmitted(packet.sequenceNumber & 0xffff, true);
    this.stats.emitted++;
    this.options.onPacket(packet);
  }

  private markEmitted(seq: number, emitted: boolean): void {
    const bit = seq & this.emittedMask;
    const word = bit >>> 5;
    const value = this.emitted[word] ?? 0;
    this.emitted[word] = emitted ? value | (1 << (bit & 31)) : value & ~(1 << (bit & 31));
  }

  private wasEmitted(seq: number): boolean {
    const bit = seq & this.emittedMask;
    return ((this.emitted[bit >>> 5] ?? 0) & (1 << (bit & 31))) !== 0;
  }

  private restartAt(seq: number): void {
    this.stats.resets++;
    this.flush();
    this.pendingLoss = 0;
    this.next = seq;
    // The old sender's history says nothing about the new sender's sequence numbers.
    this.emitted.fill(0);
  }
}
