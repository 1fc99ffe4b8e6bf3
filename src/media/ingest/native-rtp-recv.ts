import { createRequire } from 'node:module';
import { isIPv6 } from 'node:net';
import type { Logger } from '../../logger';
import type { RtpPacketRun } from '../rtp/reorder';
import { NativeFlvRelay } from './native-flv-relay';

/** The functions of native/rtp-recv (src/addon.c). */
interface RtpRecvAddon {
  createReader(onBatches: (batches: Buffer) => void, intervalMs: number): ReaderHandle;
  open(reader: ReaderHandle, host: string, port: number, ipv6: boolean, receiveBufferBytes: number, tcp: boolean): { id: number; port: number; receiveBufferBytes: number };
  adopt(reader: ReaderHandle, fd: number): { id: number };
  close(reader: ReaderHandle, id: number): void;
  stats(reader: ReaderHandle, id: number): NativeSocketStats | undefined;
  closeReader(reader: ReaderHandle): void;
  relay(reader: ReaderHandle, id: number, gopMaxFrames: number, gopMaxBytes: number, slowSkipBytes: number, slowDropBytes: number, stallMs: number): void;
  feed(reader: ReaderHandle, id: number, on: boolean): boolean;
  relayViewer(reader: ReaderHandle, id: number, fd: number, viewerId: number): void;
  relayEndViewer(reader: ReaderHandle, id: number, viewerId: number): void;
  relayStats(reader: ReaderHandle, id: number): NativeRelayStats | undefined;
  relayDemuxForTest(packets: readonly RelayTestPacket[]): RelayTestResult;
}

export interface NativeSocketStats {
  datagrams: number;
  bytes: number;
  dropped: number;
  /** Milliseconds since the socket or its connection last gave bytes; -1 before the first. */
  msSincePacket: number;
}

export type RelayState = 'pending' | 'native' | 'bailed';

/** native/rtp-recv/src/flv_relay.c's counters of one relay. */
export interface NativeRelayStats {
  state: RelayState;
  reason: string;
  videoFrames: number;
  audioFrames: number;
  keyframes: number;
  bytes: number;
  /** -1 before the first frame. */
  msSinceFrame: number;
  viewers: number;
  viewerBytes: number;
  slowSkips: number;
  slowDrops: number;
}

export interface RelayTestPacket {
  payload: Buffer;
  timestamp: number;
  marker: boolean;
  payloadType: number;
  ssrc: number;
}

export interface RelayTestResult {
  state: RelayState;
  reason: string;
  /** The FLV a viewer that asked before the first packet received, handed over once the relay served. */
  live: Buffer;
  /** Index of the packet after which the relay served (the live viewer was handed over), or -1. */
  decidedAt: number;
  /** The FLV a viewer attached after the last packet received. */
  late: Buffer;
  frames: number;
}

/** Why the relay ended a viewer (flv_relay.h). */
export const RELAY_VIEWER_END_REASONS = ['closed', 'too-slow', 'stream-ended', 'write-error'] as const;
export type RelayViewerEndReason = (typeof RELAY_VIEWER_END_REASONS)[number];

export interface RelayLimits {
  gopMaxFrames: number;
  gopMaxBytes: number;
  slowSkipBytes: number;
  slowDropBytes: number;
  stallMs: number;
}

declare const readerHandle: unique symbol;
type ReaderHandle = { readonly [readerHandle]: true };

/**
 * Consecutive RTP packets of one sender, SSRC and timestamp, in sequence (a frame's packets as
 * cameras send them), as the reader thread found them: their payloads back to back. The object
 * is reused for the next run; `payload` and `lengths` are views that may be kept.
 */
export interface RtpRun extends RtpPacketRun {
  /** Bytes of the whole datagrams, headers included. */
  datagramBytes: number;
}

/** What a socket's batch holds: datagrams as they came (views into the batch), and runs. */
export interface RtpBatchHandler {
  datagram(datagram: Buffer, address: string, port: number): void;
  run(run: RtpRun, address: string, port: number): void;
  /** The socket's FLV relay changed state (RELAY record). */
  relayState?(state: RelayState, reason: string): void;
  /** The parameter sets the relay's sequence header now carries (PARAMS record). */
  relayParams?(sps: Buffer, pps: Buffer): void;
  /** The relay ended a viewer (VIEWER_END record). */
  relayViewerEnded?(viewerId: number, reason: RelayViewerEndReason, bytes: number): void;
}

/**
 * A TCP listener's batches, in order: its connection's packets as runs and datagrams (RTCP, or
 * RTP the reader could not parse) while the framing is plain; after `raw`, the rest of the
 * connection's bytes as they came, for JavaScript's framer.
 */
export interface RtpTcpHandler extends RtpBatchHandler {
  accepted(address: string, port: number): void;
  /** The framing was not plain at this point: `data` follows. The SSRC the connection had, if any. */
  raw(ssrc: number | undefined): void;
  data(chunk: Buffer): void;
  /** The live connection ended (by the peer, or reset); the next one will be accepted. */
  closed(): void;
  /** A connection arrived while one was live: the reader closed it. */
  refused(address: string, port: number): void;
}


/**
 * How long the reader thread pauses after handing over a batch, so that the next round finds
 * several packets per socket. At 50 UDP streams (measured before runs) 5 ms cost 0.34% of a core
 * per stream, 10 ms 0.29%, 20 ms 0.25%, 40 ms 0.24% (bench/live-streams.ts): a frame lasts 40 ms,
 * and the latency added is at most this much.
 */
export const DEFAULT_BATCH_INTERVAL_MS = 20;

let loaded: { addon: RtpRecvAddon } | { error: Error } | null = null;

/**
 * The addon, or why it cannot be had (not built: no compiler at install, or not Linux).
 * GBVMS_RTP_RECV_ADDON names another build of it (the test suite's sanitizer build).
 */
export function loadRtpRecvAddon(): { addon: RtpRecvAddon } | { error: Error } {
  if (loaded === null) {
    try {
      loaded = { addon: createRequire(import.meta.url)(process.env.GBVMS_RTP_RECV_ADDON || 'gbvms-rtp-recv') as RtpRecvAddon };
    } catch (err) {
      loaded = { error: err instanceof Error ? err : new Error(String(err)) };
    }
  }
  return loaded;
}

let shared: NativeRtpReader | undefined;
let warnedMissing = false;

/** Once per thread: the receivers fall back to Node.js because the addon is not there. */
export function warnNativeMissingOnce(log: Logger, err: Error): void {
  if (warnedMissing) return;
  warnedMissing = true;
  log.warn({ err: err.message }, 'native/rtp-recv is not built; RTP is read by Node.js (more CPU per stream)');
}

/**
 * The receive thread of native/rtp-recv for this JavaScript thread (module state is per worker,
 * so each media worker has its own), created on first use with `batchMs`; or the reason there
 * is none.
 */
export function sharedRtpReader(batchMs = DEFAULT_BATCH_INTERVAL_MS): NativeRtpReader | Error {
  if (shared) return shared;
  const addon = loadRtpRecvAddon();
  if ('error' in addon) return addon.error;
  shared = new NativeRtpReader(addon.addon, batchMs);
  return shared;
}

/**
 * RTP sockets read by one native thread with recvmmsg (ADR 0022). Each round's datagrams reach
 * JavaScript in one call and one Buffer, socket after socket; the handler of each socket gets a
 * frame's packets as one run and anything else datagram by datagram, as views into that Buffer.
 */
export class NativeRtpReader {
  private readonly handle: ReaderHandle;
  private readonly sockets = new Map<number, BatchSplitter>();

  constructor(
    private readonly addon: RtpRecvAddon,
    intervalMs: number,
  ) {
    this.handle = addon.createReader(this.onBatches, intervalMs);
  }

  /** Binds `host:port` (port 0: the kernel picks a free one); throws an Error with the errno `code` when it cannot. */
  open(host: string, port: number, receiveBufferBytes: number, handler: RtpBatchHandler): NativeRtpSocket {
    const info = this.addon.open(this.handle, host, port, isIPv6(host), Math.max(0, receiveBufferBytes), false);
    this.sockets.set(info.id, new BatchSplitter(handler));
    return new NativeRtpSocket(this, info.id, info.port, info.receiveBufferBytes);
  }

  /**
   * Listens on `host:port` for RTP over TCP (RFC 4571), one connection at a time. Throws an Error
   * with the errno `code` when it cannot.
   */
  listen(host: string, port: number, handler: RtpTcpHandler): NativeRtpSocket {
    const info = this.addon.open(this.handle, host, port, isIPv6(host), 0, true);
    this.sockets.set(info.id, new BatchSplitter(handler));
    return new NativeRtpSocket(this, info.id, info.port, info.receiveBufferBytes);
  }

  /**
   * Reads a connected TCP socket (TCP active: Node.js connected it) as a passive connection is
   * read, from a duplicate of `fd`; the caller then closes its own socket. Nothing may have been
   * read from it yet. No `accepted` is called: the caller knows the peer.
   */
  adopt(fd: number, handler: RtpTcpHandler): NativeRtpSocket {
    const info = this.addon.adopt(this.handle, fd);
    this.sockets.set(info.id, new BatchSplitter(handler));
    return new NativeRtpSocket(this, info.id, 0, 0);
  }

  /** Datagrams not yet handed over are dropped; nothing is called back for this socket any more. */
  closeSocket(id: number): void {
    this.sockets.delete(id);
    this.addon.close(this.handle, id);
  }

  socketStats(id: number): NativeSocketStats | undefined {
    return this.addon.stats(this.handle, id);
  }

  /** Gives a TCP socket's stream an FLV relay (before its first byte); throws when it cannot. */
  startRelay(id: number, limits: RelayLimits): void {
    this.addon.relay(this.handle, id, limits.gopMaxFrames, limits.gopMaxBytes, limits.slowSkipBytes, limits.slowDropBytes, limits.stallMs);
  }

  /** Whether JavaScript gets the packets too; returns whether it now does (always, unless the relay serves). */
  feed(id: number, on: boolean): boolean {
    return this.addon.feed(this.handle, id, on);
  }

  /** The relay writes to a duplicate of `fd` from now on; throws (code ERR_RELAY_BAILED) when it does not serve. */
  relayViewer(id: number, fd: number, viewerId: number): void {
    this.addon.relayViewer(this.handle, id, fd, viewerId);
  }

  relayEndViewer(id: number, viewerId: number): void {
    this.addon.relayEndViewer(this.handle, id, viewerId);
  }

  relayStats(id: number): NativeRelayStats | undefined {
    return this.addon.relayStats(this.handle, id);
  }

  /** Stops the thread and closes every socket (tests; a worker's end does it by itself). */
  close(): void {
    this.sockets.clear();
    this.addon.closeReader(this.handle);
    if (shared === this) shared = undefined;
  }

  /** u32 socket id, u32 length, that socket's records; socket after socket. */
  private readonly onBatches = (batches: Buffer): void => {
    let p = 0;
    while (p + 8 <= batches.length) {
      const end = p + 8 + batches.readUInt32BE(p + 4);
      this.sockets.get(batches.readUInt32BE(p))?.split(batches, p + 8, end);
      p = end;
    }
  };
}

export class NativeRtpSocket {
  private closed = false;
  /** `dropped` as it was when the socket closed (the addon forgets a closed socket). */
  private droppedAtClose = 0;

  constructor(
    private readonly reader: NativeRtpReader,
    readonly id: number,
    readonly port: number,
    /** What the kernel granted (half of what Linux reports). */
    readonly receiveBufferBytes: number,
  ) {}

  /** Milliseconds since the socket (or its connection) last gave bytes; -1 before the first or once closed. */
  msSincePacket(): number {
    return this.stats()?.msSincePacket ?? -1;
  }

  /** The reader's counters of this socket; undefined once closed. */
  stats(): NativeSocketStats | undefined {
    return this.closed ? undefined : this.reader.socketStats(this.id);
  }

  /** An FLV relay for this TCP socket's stream (before its first byte). */
  startRelay(limits: RelayLimits): NativeFlvRelay {
    return new NativeFlvRelay(this.reader, this.id, limits);
  }

  /** Datagrams dropped because JavaScript fell behind by more than the reader holds (8 MiB). */
  get dropped(): number {
    if (this.closed) return this.droppedAtClose;
    return this.reader.socketStats(this.id)?.dropped ?? 0;
  }

  close(): void {
    if (this.closed) return;
    this.droppedAtClose = this.dropped;
    this.closed = true;
    this.reader.closeSocket(this.id);
  }
}

/**
 * Source addresses in batches (u8 family, 4 or 16 address bytes). The sender of a stream rarely
 * changes, so its address string is made once and reused while the bytes stay the same.
 */
class SourceNames {
  /** Where the bytes after the address last read begin. */
  next = 0;
  private lastV4 = -1;
  private lastV6: Buffer | undefined;
  private lastAddress = '';

  /** The address whose family byte is at `offset`. */
  read(batch: Buffer, offset: number): string {
    if (batch[offset] === 4) {
      this.next = offset + 5;
      return this.v4(batch.readUInt32BE(offset + 1));
    }
    this.next = offset + 17;
    return this.v6(batch, offset + 1);
  }

  private v4(value: number): string {
    if (value !== this.lastV4) {
      this.lastV4 = value;
      this.lastV6 = undefined;
      this.lastAddress = `${value >>> 24}.${(value >>> 16) & 0xff}.${(value >>> 8) & 0xff}.${value & 0xff}`;
    }
    return this.lastAddress;
  }

  private v6(batch: Buffer, offset: number): string {
    const bytes = batch.subarray(offset, offset + 16);
    if (this.lastV6 === undefined || !this.lastV6.equals(bytes)) {
      this.lastV6 = Buffer.from(bytes);
      this.lastV4 = -1;
      this.lastAddress = formatIPv6(bytes);
    }
    return this.lastAddress;
  }
}

const DATAGRAM = 1;
const RUN = 2;
const ACCEPTED = 3;
const DATA = 4;
const CLOSED = 5;
const REFUSED = 6;
const RAW = 7;
const RELAY = 8;
const PARAMS = 9;
const VIEWER_END = 10;
const RUN_HEADER = 22;
const RELAY_STATES: readonly RelayState[] = ['pending', 'native', 'bailed'];

/** Cuts a batch into its records (native/rtp-recv/src/addon.c describes the format). */
class BatchSplitter {
  private readonly names = new SourceNames();
  private readonly current: RtpRun = {
    count: 0,
    firstSequence: 0,
    timestamp: 0,
    ssrc: 0,
    payloadType: 0,
    marker: false,
    datagramBytes: 0,
    payload: Buffer.alloc(0),
    lengths: Buffer.alloc(0),
  };

  constructor(private readonly handler: RtpBatchHandler | RtpTcpHandler) {}

  /** The records in batch[from, to). */
  split(batch: Buffer, from: number, to: number): void {
    let p = from;
    while (p < to) {
      const type = batch[p] ?? 0;
      if (type === DATA || type === CLOSED || type === RAW) {
        p = this.connection(batch, p, type, this.handler as RtpTcpHandler);
        continue;
      }
      if (type >= RELAY && type <= VIEWER_END) {
        p = this.relay(batch, p, type, this.handler);
        continue;
      }
      const port = batch.readUInt16BE(p + 1);
      const address = this.names.read(batch, p + 3);
      p = this.names.next;
      if (type === ACCEPTED) {
        (this.handler as RtpTcpHandler).accepted(address, port);
      } else if (type === REFUSED) {
        (this.handler as RtpTcpHandler).refused(address, port);
      } else if (type === DATAGRAM) {
        const length = batch.readUInt16BE(p);
        p += 2;
        this.handler.datagram(batch.subarray(p, p + length), address, port);
        p += length;
      } else if (type === RUN) {
        const run = this.current;
        run.count = batch.readUInt16BE(p);
        run.firstSequence = batch.readUInt16BE(p + 2);
        run.timestamp = batch.readUInt32BE(p + 4);
        run.ssrc = batch.readUInt32BE(p + 8);
        run.payloadType = batch[p + 12] ?? 0;
        run.marker = batch[p + 13] === 1;
        run.datagramBytes = batch.readUInt32BE(p + 14);
        const payloadLength = batch.readUInt32BE(p + 18);
        p += RUN_HEADER;
        run.payload = batch.subarray(p, p + payloadLength);
        p += payloadLength;
        run.lengths = batch.subarray(p, p + 2 * run.count);
        p += 2 * run.count;
        this.handler.run(run, address, port);
      } else {
        return; // cannot happen: the addon writes only these
      }
    }
  }

  /** The relay's records; returns where the next record begins. */
  private relay(batch: Buffer, p: number, type: number, handler: RtpBatchHandler): number {
    if (type === RELAY) {
      const length = batch[p + 2] ?? 0;
      handler.relayState?.(RELAY_STATES[batch[p + 1] ?? 0] ?? 'bailed', batch.toString('latin1', p + 3, p + 3 + length));
      return p + 3 + length;
    }
    if (type === PARAMS) {
      const spsLength = batch.readUInt16BE(p + 1);
      const sps = batch.subarray(p + 3, p + 3 + spsLength);
      const ppsAt = p + 3 + spsLength;
      const ppsLength = batch.readUInt16BE(ppsAt);
      // Copies: the handler keeps them, and the batch holds every stream's packets of the round.
      handler.relayParams?.(Buffer.from(sps), Buffer.from(batch.subarray(ppsAt + 2, ppsAt + 2 + ppsLength)));
      return ppsAt + 2 + ppsLength;
    }
    const reason = RELAY_VIEWER_END_REASONS[batch[p + 5] ?? 0] ?? 'write-error';
    handler.relayViewerEnded?.(batch.readUInt32BE(p + 1), reason, batch.readUInt32BE(p + 6) * 0x1_0000_0000 + batch.readUInt32BE(p + 10));
    return p + 14;
  }

  /** The TCP records without a source; returns where the next record begins. */
  private connection(batch: Buffer, p: number, type: number, handler: RtpTcpHandler): number {
    if (type === CLOSED) {
      handler.closed();
      return p + 1;
    }
    if (type === RAW) {
      handler.raw(batch[p + 1] === 1 ? batch.readUInt32BE(p + 2) : undefined);
      return p + 6;
    }
    const length = batch.readUInt32BE(p + 1);
    handler.data(batch.subarray(p + 5, p + 5 + length));
    return p + 5 + length;
  }
}


/** RFC 5952 text form (as inet_ntop and Node's dgram give it): lower case, longest zero run as ::. */
export function formatIPv6(bytes: Buffer): string {
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(bytes.readUInt16BE(i));
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = (from: number, to: number): string => groups.slice(from, to).map((g) => g.toString(16)).join(':');
  if (bestStart < 0) return hex(0, 8);
  return `${hex(0, bestStart)}::${hex(bestStart + bestLength, 8)}`;
}
