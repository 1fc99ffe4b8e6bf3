import { packHeaderLength } from './pack-header';
import { INVALID, NEED_MORE, parsePesHeader, type PesHeaderInfo } from './pes-header';
import { parseProgramStreamMap, type ProgramStreamMap } from './psm';
import { isVideoStreamId } from './stream-types';

/** What the byte-level parser reports; the demuxer turns it into access units. */
export interface PsParserSink {
  onPack(): void;
  onSystemHeader(): void;
  onProgramStreamMap(map: ProgramStreamMap): void;
  /** A video (E0..EF) or audio (C0..DF) PES begins; pts/dts are 33-bit values or -1. */
  onPesStart(streamId: number, pts: number, dts: number): void;
  /** Payload bytes of the current PES: a view into the pushed buffer. */
  onPesData(streamId: number, data: Buffer): void;
  onPesEnd(streamId: number): void;
  /** Any other packet (private streams 0xBD/0xBF, padding, ...) that was skipped whole. */
  onSkippedPacket(streamId: number): void;
  /** Bytes thrown away while looking for a start code; `resync` is true when sync was lost. */
  onDropped(bytes: number, resync: boolean): void;
  /** A packet started inside what a PES length claimed: the PES was cut there. */
  onLengthMismatch(): void;
}

const enum State {
  /** At a packet boundary: the next bytes should be 00 00 01 <id >= B9>. */
  ExpectStart,
  /** Sync lost (or not yet found): scanning for a start code. */
  Sync,
  /** Inside a PES payload whose length is known. */
  Payload,
  /** Inside a PES payload of length 0: it runs to the next start code. */
  Unbounded,
  /** Skipping the body of a packet nobody reads. */
  Skip,
}

/** PSM and system headers are at most a few hundred bytes; a larger length field is garbage. */
const MAX_HEADER_PACKET = 4096;
/**
 * Cameras split a key frame that does not fit into one PES (~64 KB) and send the rest without a
 * PES header. After a video PES this large, bytes that are not a start code continue it.
 */
const LARGE_VIDEO_PES = 65000;

/**
 * MPEG-PS byte stream parser (ISO/IEC 13818-1 2.5). Feed it bytes in order, cut anywhere. It
 * never throws and never copies payload: PES payloads are handed on as views into the pushed
 * buffers. Bytes are copied only when a header is split between pushes (a few bytes, at most one
 * packet's worth).
 *
 * Video payloads are scanned for system start codes (00 00 01 B9..FF cannot occur inside an
 * H.264/H.265 stream), which ends PES packets of length 0 and catches lengths that lie.
 */
export class PsStreamParser {
  private state = State.Sync;
  private synced = false;
  private carry: Buffer | null = null;
  private remaining = 0;
  private streamId = -1;
  private video = false;
  private pesLength = 0;
  /** Video stream whose large PES just ended and may continue without a header, or -1. */
  private continuation = -1;
  /** Sync was lost after having been found: the next drop report counts a resync. */
  private resyncPending = false;
  private readonly pes: PesHeaderInfo = { headerLength: 0, payloadLength: 0, pts: -1, dts: -1 };

  constructor(private readonly sink: PsParserSink) {}

  push(chunk: Buffer): void {
    let buf = chunk;
    if (this.carry) {
      buf = Buffer.concat([this.carry, chunk]);
      this.carry = null;
    }
    let p = 0;
    while (p >= 0 && p < buf.length) {
      switch (this.state) {
        case State.ExpectStart:
          p = this.readPacketStart(buf, p);
          break;
        case State.Sync:
          p = this.scanForSync(buf, p);
          break;
        case State.Payload:
          p = this.readPayload(buf, p);
          break;
        case State.Unbounded:
          p = this.readUnbounded(buf, p);
          break;
        case State.Skip: {
          const n = Math.min(this.remaining, buf.length - p);
          this.remaining -= n;
          p += n;
          if (this.remaining === 0) this.state = State.ExpectStart;
          break;
        }
      }
    }
  }

  /** True between packets, i.e. when the RTP marker says a frame ended and nothing is cut. */
  get atPacketBoundary(): boolean {
    return (this.state === State.ExpectStart && this.carry === null) || this.state === State.Unbounded;
  }

  /**
   * The sender says the frame is complete (trusted RTP marker): a PES of length 0 ends here, and
   * so does a large video PES that might have continued.
   */
  endOfFrame(): void {
    if (this.state === State.Unbounded) {
      if (this.carry) this.sink.onPesData(this.streamId, this.carry);
      this.carry = null;
      this.endPes();
      this.state = State.ExpectStart;
    }
    this.settleContinuation();
  }

  /** Packets were lost: whatever is in progress is cut; look for the next start code. */
  reset(): void {
    if (this.state === State.Payload || this.state === State.Unbounded) this.endPes();
    this.settleContinuation();
    this.carry = null;
    this.loseSync(0);
  }

  private endPes(): void {
    const id = this.streamId;
    this.streamId = -1;
    if (id >= 0) this.sink.onPesEnd(id);
  }

  private settleContinuation(): void {
    if (this.continuation >= 0) {
      const id = this.continuation;
      this.continuation = -1;
      this.sink.onPesEnd(id);
    }
  }

  /** Keeps bytes from p on for the next push; ends this push. */
  private wait(buf: Buffer, p: number): number {
    this.carry = buf.subarray(p);
    return -1;
  }

  private loseSync(p: number): number {
    this.state = State.Sync;
    this.resyncPending = this.synced;
    return p;
  }

  private readPacketStart(buf: Buffer, p: number): number {
    const avail = buf.length - p;
    if (avail < 4) return couldStartCode(buf, p) ? this.wait(buf, p) : this.notAStartCode(buf, p);
    if (buf[p] !== 0 || buf[p + 1] !== 0 || buf[p + 2] !== 1 || (buf[p + 3] ?? 0) < 0xb9) return this.notAStartCode(buf, p);
    this.settleContinuation();
    const id = buf[p + 3] ?? 0;
    if (id === 0xba) {
      const length = packHeaderLength(buf, p);
      if (length === 0 || avail < length) return this.wait(buf, p);
      if (length < 0) return this.invalidPacket(p);
      this.synced = true;
      this.sink.onPack();
      return p + length;
    }
    if (id === 0xb9) return p + 4; // MPEG_program_end_code
    if (avail < 6) return this.wait(buf, p);
    if (id >= 0xc0 && id <= 0xef) return this.readPesHeader(buf, p, id);
    const length = buf.readUInt16BE(p + 4);
    if (id === 0xbb || id === 0xbc) {
      if (length > MAX_HEADER_PACKET) return this.invalidPacket(p);
      if (avail < 6 + length) return this.wait(buf, p);
      if (id === 0xbc) {
        const map = parseProgramStreamMap(buf.subarray(p, p + 6 + length));
        if (map) this.sink.onProgramStreamMap(map);
      } else {
        this.sink.onSystemHeader();
      }
      this.synced = true;
      return p + 6 + length;
    }
    this.sink.onSkippedPacket(id);
    this.remaining = length;
    this.state = length > 0 ? State.Skip : State.ExpectStart;
    return p + 6;
  }

  private notAStartCode(buf: Buffer, p: number): number {
    if (this.continuation >= 0) {
      // The rest of a key frame too large for one PES, sent without a PES header.
      this.streamId = this.continuation;
      this.video = true;
      this.continuation = -1;
      this.state = State.Unbounded;
      return p;
    }
    return this.loseSync(p);
  }

  private invalidPacket(p: number): number {
    // Step over this start code so the scan does not find it again.
    this.loseSync(p);
    this.sink.onDropped(1, this.takeResync());
    return p + 1;
  }

  private takeResync(): boolean {
    const r = this.resyncPending;
    this.resyncPending = false;
    return r;
  }

  private readPesHeader(buf: Buffer, p: number, id: number): number {
    const length = parsePesHeader(buf, p, this.pes);
    if (length === NEED_MORE) return this.wait(buf, p);
    if (length === INVALID) return this.invalidPacket(p);
    const payload = this.pes.payloadLength;
    // The first payload bytes come with the header, so the demuxer can see how the payload starts.
    if (buf.length - p < length + Math.min(4, payload < 0 ? 4 : payload)) return this.wait(buf, p);
    this.synced = true;
    this.streamId = id;
    this.video = isVideoStreamId(id);
    this.sink.onPesStart(id, this.pes.pts, this.pes.dts);
    if (payload < 0) {
      this.state = State.Unbounded;
    } else if (payload === 0) {
      this.endPes();
      this.state = State.ExpectStart;
    } else {
      this.remaining = payload;
      this.pesLength = payload;
      this.state = State.Payload;
    }
    return p + length;
  }

  private readPayload(buf: Buffer, p: number): number {
    const pesEnd = p + this.remaining;
    const end = Math.min(buf.length, pesEnd);
    // Audio bytes can hold anything, so only a pack header ends an audio PES early.
    const found = this.video ? findSystemStartCode(buf, p, end, 0xb9, 0xff) : findSystemStartCode(buf, p, end, 0xba, 0xba);
    if (found >= 0) {
      // The PES length lied: a packet starts inside what it claimed.
      if (found > p) this.sink.onPesData(this.streamId, buf.subarray(p, found));
      this.endPes();
      this.state = State.ExpectStart;
      this.sink.onLengthMismatch();
      return found;
    }
    let upTo = end;
    if (end < pesEnd) upTo = end - startCodeTail(buf, p, end); // a start code may straddle the push
    if (upTo > p) this.sink.onPesData(this.streamId, buf.subarray(p, upTo));
    this.remaining -= upTo - p;
    if (this.remaining === 0) {
      this.state = State.ExpectStart;
      if (this.video && this.pesLength >= LARGE_VIDEO_PES) {
        this.continuation = this.streamId;
        this.streamId = -1;
      } else {
        this.endPes();
      }
      return upTo;
    }
    return upTo < end ? this.wait(buf, upTo) : upTo;
  }

  private readUnbounded(buf: Buffer, p: number): number {
    const found = findSystemStartCode(buf, p, buf.length, 0xb9, 0xff);
    if (found >= 0) {
      if (found > p) this.sink.onPesData(this.streamId, buf.subarray(p, found));
      this.endPes();
      this.state = State.ExpectStart;
      return found;
    }
    const upTo = buf.length - startCodeTail(buf, p, buf.length);
    if (upTo > p) this.sink.onPesData(this.streamId, buf.subarray(p, upTo));
    return upTo < buf.length ? this.wait(buf, upTo) : upTo;
  }

  private scanForSync(buf: Buffer, p: number): number {
    const found = findSystemStartCode(buf, p, buf.length, 0xb9, 0xff);
    if (found >= 0) {
      if (found > p || this.resyncPending) this.sink.onDropped(found - p, this.takeResync());
      this.state = State.ExpectStart;
      return found;
    }
    const upTo = buf.length - startCodeTail(buf, p, buf.length);
    if (upTo > p) this.sink.onDropped(upTo - p, this.takeResync());
    return upTo < buf.length ? this.wait(buf, upTo) : upTo;
  }
}

/**
 * Offset of the first 00 00 01 <id> with minId <= id <= maxId lying wholly in [from, to),
 * or -1. Searching for the 01 byte lets the native memchr do the work.
 */
export function findSystemStartCode(buf: Buffer, from: number, to: number, minId: number, maxId: number): number {
  let i = buf.indexOf(1, from + 2);
  while (i !== -1 && i + 1 < to) {
    if (buf[i - 1] === 0 && buf[i - 2] === 0) {
      const id = buf[i + 1] ?? 0;
      if (id >= minId && id <= maxId) return i - 2;
    }
    i = buf.indexOf(1, i + 1);
  }
  return -1;
}

/** How many bytes at the end of [from, to) could be the beginning of a start code (0..3). */
function startCodeTail(buf: Buffer, from: number, to: number): number {
  const n = to - from;
  if (n >= 3 && buf[to - 1] === 1 && buf[to - 2] === 0 && buf[to - 3] === 0) return 3;
  if (n >= 2 && buf[to - 1] === 0 && buf[to - 2] === 0) return 2;
  if (n >= 1 && buf[to - 1] === 0) return 1;
  return 0;
}

/** Whether the (fewer than 4) bytes from p could be the beginning of 00 00 01. */
function couldStartCode(buf: Buffer, p: number): boolean {
  for (let i = p; i < buf.length; i++) {
    const expected = i - p < 2 ? 0 : 1;
    if (buf[i] !== expected) return false;
  }
  return true;
}
