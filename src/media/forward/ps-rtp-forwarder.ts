import type { Logger } from '../../logger';
import type { AccessUnit } from '../codec/types';
import type { MediaSource } from '../source/media-source';
import type { MediaSink, SinkEndReason, StreamTracks } from '../source/types';
import { PsRtpPacker } from './ps-rtp-packer';
import type { ForwardSender } from './sender';
import { TcpForwardSender } from './tcp-sender';
import type { ForwardEndReason, ForwardInfo, OpenForwardRequest } from './types';
import { UdpForwardSender } from './udp-sender';

export interface PsRtpForwarderOptions {
  /** Address our sockets bind (the media node's host). */
  bindHost: string;
  logger: Logger;
  /** The forwarding ended by itself (stream over, receiver gone, too slow). Not called after stop(). */
  onEnded(reason: ForwardEndReason): void;
}

const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

/**
 * Sends one stream to one receiver as PS over RTP: a MediaSink on the stream's MediaSource that
 * re-muxes every access unit into a PS pack and RTP packets with the receiver's SSRC. It counts
 * as a viewer, so the stream keeps running while it is forwarded. It attaches at start() even
 * before a TCP receiver is connected (the stream must not idle out meanwhile) and attaches again
 * once it is, so the receiver begins at the cached key frame rather than waiting for the next.
 */
export class PsRtpForwarder implements MediaSink {
  readonly kind = 'ps-rtp-forward';
  readonly forwardId: string;
  readonly streamId: string;
  private readonly sender: ForwardSender;
  private readonly packer: PsRtpPacker;
  private readonly log: Logger;
  private source: MediaSource | null = null;
  private detachFn: (() => void) | null = null;
  private started = false;
  /** Frames went by before the receiver was reachable: attach again when it is. */
  private missedFrames = false;
  private ended = false;
  private readonly openedAt = Date.now();
  private firstPacketAt: number | null = null;
  private frames = 0;
  private packets = 0;
  private bytes = 0;

  constructor(
    private readonly request: OpenForwardRequest,
    private readonly options: PsRtpForwarderOptions,
  ) {
    this.forwardId = request.forwardId;
    this.streamId = request.streamId;
    this.log = options.logger.child({ forwardId: request.forwardId, streamId: request.streamId, component: 'forward' });
    const connectTimeoutMs = request.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    this.sender =
      request.transport === 'udp'
        ? new UdpForwardSender(options.bindHost, request.localPort, request.host, request.port, this.log)
        : new TcpForwardSender({
            role: request.transport === 'tcp-active' ? 'active' : 'passive',
            bindHost: options.bindHost,
            localPort: request.localPort,
            host: request.host,
            port: request.port,
            connectTimeoutMs,
            log: this.log,
          });
    this.packer = new PsRtpPacker({ ssrc: request.ssrc, tcpFraming: request.transport !== 'udp', ...(request.payloadType !== undefined ? { payloadType: request.payloadType } : {}) });
  }

  /** Binds or listens; resolves with our port (for the SDP answer). */
  open(): Promise<number> {
    return this.sender.open();
  }

  /** Starts sending the source's frames (once the receiver is reachable). */
  attachTo(source: MediaSource): void {
    if (this.ended || this.source !== null) return;
    this.source = source;
    this.log.info({ transport: this.request.transport, to: `${this.request.host}:${this.request.port}`, ssrc: this.request.ssrc }, 'forwarding started');
    this.sender.begin(
      () => this.onSenderReady(),
      (reason) => this.finish(reason),
    );
    if (!this.ended) this.detachFn = source.attach(this, { viewer: true });
  }

  /** Ends the forwarding at the owner's request (no onEnded). Returns the final counters. */
  stop(): ForwardInfo {
    if (!this.ended) {
      this.ended = true;
      this.release();
      this.log.info({ frames: this.frames, packets: this.packets }, 'forwarding stopped');
    }
    return this.info();
  }

  info(): ForwardInfo {
    return {
      forwardId: this.forwardId,
      streamId: this.streamId,
      transport: this.request.transport,
      state: this.ended ? 'ended' : this.firstPacketAt !== null ? 'sending' : 'waiting',
      localPort: this.sender.localPort,
      remote: this.sender.remote,
      ssrc: this.request.ssrc,
      openedAt: this.openedAt,
      firstPacketAt: this.firstPacketAt,
      frames: this.frames,
      packets: this.packets,
      bytes: this.bytes,
      sendErrors: this.sender.sendErrors,
    };
  }

  // --- MediaSink ------------------------------------------------------------------------------

  start(tracks: StreamTracks): void {
    this.packer.setTracks(tracks);
    this.started = true;
  }

  tracksChanged(tracks: StreamTracks): void {
    this.packer.setTracks(tracks);
  }

  write(au: AccessUnit): void {
    if (!this.started || this.ended) return;
    if (!this.sender.ready) {
      this.missedFrames = true;
      return;
    }
    const frame = this.packer.pack(au);
    if (frame === null) return;
    this.sender.send(frame);
    if (this.firstPacketAt === null) this.firstPacketAt = Date.now();
    this.frames++;
    this.packets += frame.packets;
    this.bytes += frame.data.length;
  }

  pendingBytes(): number {
    return this.sender.pendingBytes();
  }

  end(reason: SinkEndReason): void {
    this.detachFn = null;
    this.finish(reason === 'too-slow' ? 'too-slow' : 'stream-ended');
  }

  // --- internals ------------------------------------------------------------------------------

  /** A TCP receiver arrived after we attached: attach again so it starts with the cached GOP. */
  private onSenderReady(): void {
    const source = this.source;
    if (this.ended || source === null) return;
    if (this.missedFrames) {
      this.missedFrames = false;
      this.detachFn?.();
      this.started = false;
      this.detachFn = source.attach(this, { viewer: true });
    }
    this.log.debug({ remote: this.sender.remote }, 'receiver reachable');
  }

  private finish(reason: ForwardEndReason): void {
    if (this.ended) return;
    this.ended = true;
    this.release();
    this.log.info({ reason, frames: this.frames, packets: this.packets }, 'forwarding ended');
    this.options.onEnded(reason);
  }

  private release(): void {
    const detach = this.detachFn;
    this.detachFn = null;
    detach?.();
    this.sender.close();
  }
}
