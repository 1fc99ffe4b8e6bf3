import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { descriptorOf } from './descriptor';
import type { NativeRelayStats, NativeRtpReader, RelayLimits, RelayState, RelayViewerEndReason } from './native-rtp-recv';

export interface NativeFlvRelayEvents {
  /** `fedAgain`: it bailed while standing in for JavaScript, which now gets the packets again after a gap. */
  state: [state: RelayState, reason: string, fedAgain: boolean];
  /** The SPS and PPS the relay's sequence header now carries. */
  params: [sps: Buffer, pps: Buffer];
}

/** Viewer ids fit the 29 bits the reader's poll tags leave for them. */
const MAX_VIEWER_ID = 2 ** 29 - 1;
let nextViewerId = 1;

/**
 * The JavaScript side of one stream's native FLV relay (native/rtp-recv/src/flv_relay.c,
 * ADR 0024): its state as the reader reports it, the HTTP-FLV viewers handed to it, and whether
 * JavaScript is fed the stream as well. Created by the ingest that owns the socket; the
 * ingest forwards the relay's records here.
 */
export class NativeFlvRelay extends EventEmitter<NativeFlvRelayEvents> {
  private current: RelayState = 'pending';
  private why = '';
  private fed = true;
  private closed = false;
  private readonly viewers = new Map<number, (reason: RelayViewerEndReason) => void>();

  constructor(
    private readonly reader: NativeRtpReader,
    private readonly socketId: number,
    limits: RelayLimits,
  ) {
    super();
    reader.startRelay(socketId, limits);
  }

  get state(): RelayState {
    return this.current;
  }

  /** Why it bailed ('' otherwise). */
  get reason(): string {
    return this.why;
  }

  /** Whether JavaScript gets the stream's packets (always, unless the relay serves and was told otherwise). */
  get isFed(): boolean {
    return this.fed;
  }

  get viewerCount(): number {
    return this.viewers.size;
  }

  /** The relay's state once it has decided (its first key frame, or a bail), or as it is after `timeoutMs`. */
  decided(timeoutMs: number): Promise<RelayState> {
    if (this.current !== 'pending' || this.closed) return Promise.resolve(this.current);
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.off('state', done);
        resolve(this.current);
      };
      const timer = setTimeout(done, timeoutMs);
      this.on('state', done);
    });
  }

  /** Asks for JavaScript to be fed (or not); the reader feeds it anyway unless the relay serves. */
  feed(on: boolean): void {
    if (this.closed) return;
    this.fed = this.reader.feed(this.socketId, on);
  }

  /**
   * Hands a viewer's socket to the relay, which writes the FLV stream from its own duplicate of
   * the descriptor: the caller sent the response headers, waits for nothing to be pending on the
   * socket, and then destroys its Socket (the connection stays open). `onEnd` is called once when
   * the relay ends the viewer. Throws when there is no descriptor or the relay does not serve.
   */
  serve(socket: Socket, onEnd: (reason: RelayViewerEndReason) => void): number {
    if (this.closed) throw new Error('the stream has ended');
    const fd = descriptorOf(socket);
    if (fd === undefined) throw new Error('the viewer socket has no descriptor');
    const id = nextViewerId;
    nextViewerId = nextViewerId >= MAX_VIEWER_ID ? 1 : nextViewerId + 1;
    this.reader.relayViewer(this.socketId, fd, id);
    this.viewers.set(id, onEnd);
    return id;
  }

  endViewer(id: number): void {
    if (!this.closed && this.viewers.has(id)) this.reader.relayEndViewer(this.socketId, id);
  }

  stats(): NativeRelayStats | undefined {
    return this.closed ? undefined : this.reader.relayStats(this.socketId);
  }

  /** RELAY record. */
  onState(state: RelayState, reason: string): void {
    this.current = state;
    this.why = reason;
    const fedAgain = state === 'bailed' && !this.fed;
    if (state === 'bailed') this.fed = true;
    this.emit('state', state, reason, fedAgain);
  }

  /** PARAMS record. */
  onParams(sps: Buffer, pps: Buffer): void {
    this.emit('params', sps, pps);
  }

  /** VIEWER_END record. */
  onViewerEnded(id: number, reason: RelayViewerEndReason): void {
    const end = this.viewers.get(id);
    if (end === undefined) return;
    this.viewers.delete(id);
    end(reason);
  }

  /** The socket closed (the stream ended, or the camera's TCP active connection did): its viewers went with it. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    const ends = [...this.viewers.values()];
    this.viewers.clear();
    for (const end of ends) end('stream-ended');
    if (this.current === 'pending') this.onState('bailed', 'the stream ended');
  }
}
