import type { Logger } from '../../logger';
import { isRtcpPacket, parseRtpPacket, type RtpPacket } from '../rtp/packet';
import { RtpReorderBuffer, type RtpPacketRun, type RtpReorderStats } from '../rtp/reorder';
import { errnoOf, RtpIngestError } from './errors';
import type { NativeFlvRelay } from './native-flv-relay';
import { sharedRtpReader, warnNativeMissingOnce, type NativeRtpReader, type NativeRtpSocket, type NativeSocketStats, type RtpBatchHandler } from './native-rtp-recv';
import { SSRC_REJECT, SSRC_SWITCHED, SsrcGate } from './ssrc-gate';
import type { RtpDiscontinuityHandler, RtpIngestOptions, RtpIngestStats, RtpPayloadHandler, RtpTransport } from './types';

const DEFAULT_REORDER_WINDOW = 32;
const DEFAULT_SSRC_LOCK_TIMEOUT_MS = 1000;

type SequenceCounters = Pick<RtpReorderStats, 'lost' | 'reordered' | 'duplicates' | 'late'>;

function noPayload(): void {}

/**
 * The receive side of one RTP stream: a socket (per transport subclass) → SSRC check → reorder →
 * `onPayload` in sequence order. Bad input is counted, never thrown. Who creates it calls
 * `close()`; after close nothing is called back.
 */
export abstract class RtpIngest {
  readonly streamId: string;
  readonly transport: RtpTransport;
  protected readonly log: Logger;
  protected closed = false;
  protected readonly counters = {
    packets: 0,
    bytes: 0,
    ssrcMismatches: 0,
    sourceMismatches: 0,
    badPackets: 0,
    rtcpPackets: 0,
    framingBytesDropped: 0,
    framingResyncs: 0,
    connections: 0,
    connectionsRefused: 0,
    lastPacketAt: 0,
  };
  protected remote: string | undefined;
  protected isConnected = false;
  /** Set by admit() when the packet it returned begins a new SSRC; accept() acts on it. */
  protected switched = false;
  /** Date.now() taken by admit() for the packet accept() is about to count. */
  private admittedAt = 0;
  protected readonly gate: SsrcGate;
  private reorder: RtpReorderBuffer;
  private reorderTimer: NodeJS.Timeout | undefined;
  private readonly retired: SequenceCounters = { lost: 0, reordered: 0, duplicates: 0, late: 0 };
  private readonly onPayload: RtpPayloadHandler;
  private readonly onDiscontinuity: RtpDiscontinuityHandler | undefined;
  private closing: Promise<void> | undefined;

  constructor(
    protected readonly options: RtpIngestOptions,
    private readonly reorderMaxDelayMs: number,
  ) {
    this.streamId = options.streamId;
    this.transport = options.transport;
    this.log = options.logger.child({ streamId: options.streamId, transport: options.transport });
    this.gate = new SsrcGate(options.ssrcPolicy ?? 'first', options.expectedSsrc, options.ssrcLockTimeoutMs ?? DEFAULT_SSRC_LOCK_TIMEOUT_MS, this.log);
    this.onPayload = options.onPayload ?? noPayload;
    this.onDiscontinuity = options.onDiscontinuity;
    this.reorder = this.newReorderBuffer();
  }

  /** Binds the UDP socket or TCP listener (tcp-active: nothing to bind). */
  abstract start(): Promise<void>;

  /** The bound local port (0 until bound; tcp-active: the local port of the connection). */
  abstract get localPort(): number;

  /** tcp-active only: connects to the camera's listener, retrying while it is refused. */
  connect(host: string, port: number): Promise<void> {
    return Promise.reject(new RtpIngestError('wrong-state', `connect(${host}:${port}) is for tcp-active; stream ${this.streamId} receives over ${this.transport}`));
  }

  /** The SSRC of the SDP answer. Under 'first' its packets take over the stream when they arrive. */
  setExpectedSsrc(ssrc: number): void {
    this.gate.setExpected(ssrc);
    this.log.debug({ expectedSsrc: ssrc >>> 0 }, 'expected SSRC set');
  }

  /** Closes sockets and connections. Idempotent: later calls return the first call's promise. */
  close(): Promise<void> {
    if (this.closing) return this.closing;
    this.closed = true;
    this.isConnected = false;
    if (this.reorderTimer !== undefined) clearTimeout(this.reorderTimer);
    this.reorderTimer = undefined;
    this.closing = this.closeSockets().catch((err: unknown) => {
      this.log.warn({ err }, 'error while closing the RTP receiver');
    });
    return this.closing;
  }

  /**
   * ms since epoch of the last accepted RTP packet, 0 before the first: what the media node's
   * once-a-second watchdog reads for every stream, without building `stats`.
   */
  get lastPacketAt(): number {
    const relay = this.nativeRelay;
    if (relay === undefined || relay.isFed || this.relaySocket === undefined) return this.counters.lastPacketAt;
    // While the relay stands in for JavaScript, packets reach only the reader thread: ask it.
    const ms = this.relaySocket.msSincePacket();
    return ms < 0 ? this.counters.lastPacketAt : Math.max(this.counters.lastPacketAt, Date.now() - ms);
  }

  /** The stream's native FLV relay, when native/rtp-recv reads it and the options ask for one. */
  get relay(): NativeFlvRelay | undefined {
    return this.nativeRelay;
  }

  get stats(): RtpIngestStats {
    const seq = this.reorder.stats;
    const stats: RtpIngestStats = {
      ...this.counters,
      lost: this.retired.lost + seq.lost,
      reordered: this.retired.reordered + seq.reordered,
      duplicates: this.retired.duplicates + seq.duplicates,
      late: this.retired.late + seq.late,
      connected: this.isConnected,
    };
    if (this.remote !== undefined) stats.remote = this.remote;
    const ssrc = this.gate.ssrc;
    if (ssrc !== undefined) stats.ssrc = ssrc;
    this.addRelayedPackets(stats);
    return stats;
  }

  /** The native FLV relay of the stream (options.nativeFlvRelay), and the socket it reads. */
  private nativeRelay: NativeFlvRelay | undefined;
  private relaySocket: NativeRtpSocket | undefined;
  /** The reader's counters of the relay's socket as they were when it closed. */
  private relayedAtClose: NativeSocketStats | undefined;

  /** Starts the relay on a native socket that has not read anything yet; a failure leaves the stream to JavaScript. */
  protected startRelay(socket: NativeRtpSocket): void {
    const limits = this.options.nativeFlvRelay;
    if (limits === undefined) return;
    try {
      this.nativeRelay = socket.startRelay(limits);
      this.relaySocket = socket;
    } catch (err) {
      this.log.warn({ err }, 'native FLV relay not started; JavaScript serves the stream');
    }
  }

  /** The relay's socket is about to close (call it first): its viewers go with it, its counts stay. */
  protected endRelay(): void {
    this.relayedAtClose = this.relaySocket?.stats() ?? this.relayedAtClose;
    this.nativeRelay?.close();
    this.relaySocket = undefined;
  }

  /** The relay's records in a native socket's batches, for the socket's handler. */
  protected readonly relayRecords: Required<Pick<RtpBatchHandler, 'relayState' | 'relayParams' | 'relayViewerEnded'>> = {
    relayState: (state, reason) => {
      if (state === 'bailed') this.log.info({ reason }, 'native FLV relay left the stream to JavaScript');
      else if (state === 'native') this.log.debug('native FLV relay serves the stream');
      this.nativeRelay?.onState(state, reason);
    },
    relayParams: (sps, pps) => this.nativeRelay?.onParams(sps, pps),
    relayViewerEnded: (id, reason) => this.nativeRelay?.onViewerEnded(id, reason),
  };

  /**
   * Packets the reader thread read while JavaScript was not fed (the relay served alone): they
   * count as received. The thread counts every packet of the socket, so its count stands when
   * it is ahead; its bytes are the socket's (over TCP less the 2-byte framing of each packet).
   */
  private addRelayedPackets(stats: RtpIngestStats): void {
    const native = this.relaySocket?.stats() ?? this.relayedAtClose;
    if (native === undefined || native.datagrams <= stats.packets) return;
    stats.packets = native.datagrams;
    const framing = this.transport === 'udp' ? 0 : 2 * native.datagrams;
    stats.bytes = Math.max(stats.bytes, native.bytes - framing);
    if (native.msSincePacket >= 0) stats.lastPacketAt = Math.max(stats.lastPacketAt, Date.now() - native.msSincePacket);
  }

  protected abstract closeSockets(): Promise<void>;

  /**
   * A socket of native/rtp-recv's reader, opened by `open`; undefined when the addon is not built
   * (logged once, and the caller falls back to Node.js). `what` says what could not be done, with
   * the address, in the error thrown when it cannot be opened ('bind-failed'), or when close()
   * came first ('closed').
   */
  protected openNative(what: string, open: (reader: NativeRtpReader) => NativeRtpSocket): NativeRtpSocket | undefined {
    const reader = sharedRtpReader(this.options.nativeBatchMs);
    if (reader instanceof Error) {
      warnNativeMissingOnce(this.log, reader);
      return undefined;
    }
    let socket: NativeRtpSocket;
    try {
      socket = open(reader);
    } catch (err) {
      const errno = errnoOf(err);
      throw new RtpIngestError('bind-failed', `stream ${this.streamId}: cannot ${what} (${errno})`, errno);
    }
    if (this.closed) {
      socket.close();
      throw new RtpIngestError('closed', `stream ${this.streamId}: closed while binding`);
    }
    return socket;
  }

  /** The packet if it is well-formed RTP of the stream's SSRC; otherwise counts it and returns null. */
  protected admit(buf: Buffer): RtpPacket | null {
    if (isRtcpPacket(buf)) {
      this.counters.rtcpPackets++;
      return null;
    }
    const packet = parseRtpPacket(buf);
    if (packet === null) {
      this.counters.badPackets++;
      return null;
    }
    return this.passesGate(packet.ssrc, 1) ? packet : null;
  }

  /** admit() for a run of packets of one SSRC (already known to be well-formed RTP). */
  protected admitRun(run: RtpPacketRun): boolean {
    return this.passesGate(run.ssrc, run.count);
  }

  protected accept(packet: RtpPacket, size: number): void {
    this.count(1, size);
    this.reorder.push(packet);
    if (this.reorderTimer === undefined) this.armReorderTimer();
  }

  /** accept() for a run: counted as its packets, reordered as one piece when in order. */
  protected acceptRun(run: RtpPacketRun, datagramBytes: number): void {
    this.count(run.count, datagramBytes);
    this.reorder.pushRun(run);
    if (this.reorderTimer === undefined) this.armReorderTimer();
  }

  /** The SSRC check for `packets` packets of `ssrc`; those it turns away are counted. */
  private passesGate(ssrc: number, packets: number): boolean {
    const now = Date.now();
    this.admittedAt = now;
    const verdict = this.gate.admit(ssrc, now);
    if (verdict === SSRC_REJECT) {
      this.counters.ssrcMismatches += packets;
      return false;
    }
    this.switched = verdict === SSRC_SWITCHED;
    return true;
  }

  /** Counts accepted packets; a switched SSRC first starts the sequence over. */
  private count(packets: number, bytes: number): void {
    if (this.switched) {
      this.switched = false;
      this.restartSequence();
    }
    this.counters.packets += packets;
    this.counters.bytes += bytes;
    this.counters.lastPacketAt = this.admittedAt;
  }

  /**
   * Packets held behind a gap must come out after maxDelayMs even if the sender goes quiet:
   * a one-shot timer runs only while something is held, not one per stream all the time.
   */
  private armReorderTimer(): void {
    if (this.reorderTimer !== undefined || this.closed) return;
    const ms = this.reorder.expiresInMs();
    if (ms === undefined) return;
    this.reorderTimer = setTimeout(() => {
      this.reorderTimer = undefined;
      if (this.closed) return;
      this.reorder.poll();
      this.armReorderTimer();
    }, Math.max(1, Math.ceil(ms)));
    this.reorderTimer.unref();
  }

  /** A new sender (SSRC switch, new TCP connection): its sequence numbers owe nothing to the old. */
  /** Packets were withheld on purpose (the native relay served alone): the gap is not loss. */
  resumeAfterGap(): void {
    if (this.counters.packets > 0) this.restartSequence();
  }

  protected restartSequence(): void {
    this.reorder.flush();
    const old = this.reorder.stats;
    this.retired.lost += old.lost;
    this.retired.reordered += old.reordered;
    this.retired.duplicates += old.duplicates;
    this.retired.late += old.late;
    this.reorder = this.newReorderBuffer();
    if (!this.closed) this.onDiscontinuity?.(0);
  }

  private newReorderBuffer(): RtpReorderBuffer {
    return new RtpReorderBuffer({
      window: this.options.reorderWindow ?? DEFAULT_REORDER_WINDOW,
      maxDelayMs: this.reorderMaxDelayMs,
      onPacket: this.deliver,
      ...(this.options.onPayloadRun ? { onRun: this.deliverRun } : {}),
      onLoss: this.lose,
    });
  }

  private readonly deliver = (packet: RtpPacket): void => {
    if (!this.closed) this.onPayload(packet);
  };

  private readonly deliverRun = (payload: Buffer, timestamp: number, marker: boolean): void => {
    if (!this.closed) this.options.onPayloadRun?.(payload, timestamp, marker);
  };

  private readonly lose = (count: number): void => {
    if (!this.closed) this.onDiscontinuity?.(count);
  };
}
