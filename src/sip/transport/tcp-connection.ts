import type { Socket } from 'node:net';
import type { Logger } from '../../logger';
import { SipStreamFramer } from '../message/framer';
import type { SipPeer } from '../message/types';
import type { InboundDispatcher } from './dispatch';

export interface TcpConnectionOptions {
  maxMessageSize: number;
  idleTimeoutMs: number;
  maxQueuedBytes: number;
  logger: Logger;
  dispatcher: InboundDispatcher;
  /** Called once when the socket is gone, whichever side closed it. */
  onClose: (connection: TcpConnection) => void;
}

/**
 * One TCP connection, opened by a device or by us: framed by Content-Length, closed when idle,
 * when the stream cannot be framed, or when the peer stops reading.
 */
export class TcpConnection {
  readonly peer: SipPeer;
  private readonly framer: SipStreamFramer;
  private closed = false;

  constructor(
    private readonly socket: Socket,
    readonly key: string,
    address: string,
    port: number,
    private readonly options: TcpConnectionOptions,
  ) {
    this.peer = { transport: 'tcp', address, port };
    this.framer = new SipStreamFramer({ maxMessageSize: options.maxMessageSize });
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 60_000);
    socket.setTimeout(options.idleTimeoutMs);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('timeout', () => {
      options.logger.debug({ peer: this.peer }, 'SIP TCP connection idle, closing');
      this.destroy();
    });
    socket.on('error', (err) => options.logger.debug({ err, peer: this.peer }, 'SIP TCP connection error'));
    socket.on('close', () => this.onSocketClosed());
  }

  get isOpen(): boolean {
    return !this.closed && !this.socket.destroyed && this.socket.writable;
  }

  write(data: Buffer): Promise<void> {
    if (!this.isOpen) return Promise.reject(new Error(`TCP connection to ${this.key} is closed`));
    if (this.socket.writableLength + data.length > this.options.maxQueuedBytes) {
      this.options.logger.warn({ peer: this.peer, queued: this.socket.writableLength }, 'SIP TCP peer is not reading, closing');
      this.destroy();
      return Promise.reject(new Error(`TCP peer ${this.key} is not reading`));
    }
    return new Promise((resolve, reject) => {
      this.socket.write(data, (err) => (err ? reject(err) : resolve()));
    });
  }

  destroy(): void {
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    for (const frame of this.framer.pushFrames(chunk)) {
      this.options.dispatcher.dispatch(frame.result, this.peer, frame.size);
    }
    if (this.framer.broken) {
      this.options.logger.warn({ peer: this.peer }, 'SIP TCP stream cannot be framed, closing');
      this.destroy();
    }
  }

  private onSocketClosed(): void {
    if (this.closed) return;
    this.closed = true;
    this.options.onClose(this);
  }
}
