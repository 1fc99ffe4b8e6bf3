import { createServer, type Server, type Socket } from 'node:net';
import { errnoOf, RtpIngestError } from './errors';
import type { NativeRtpSocket } from './native-rtp-recv';
import { TcpRtpIngest } from './tcp-ingest';
import type { RtpIngestStats } from './types';

/**
 * TCP passive (`a=setup:passive` on our side): we listen and the camera connects. One connection
 * is the stream; a second one while it is live is closed at once and counted. Once the live one
 * closes, the next connection is accepted (cameras reconnect after a network blip).
 *
 * With `nativeRtp` native/rtp-recv's thread listens, reads and cuts the framing, and hands over
 * a frame's packets as one run every few milliseconds; where the framing is not plain it hands
 * the rest of the connection to the same framer Node's path uses (ADR 0022). Without the addon
 * built, Node.js listens (logged once).
 */
export class TcpPassiveRtpIngest extends TcpRtpIngest {
  private server: Server | undefined;
  private starting: Promise<void> | undefined;
  private native: NativeRtpSocket | undefined;

  get localPort(): number {
    if (this.native) return this.native.port;
    const address = this.server?.address();
    return typeof address === 'object' && address ? address.port : 0;
  }

  start(): Promise<void> {
    if (this.closed) return Promise.reject(new RtpIngestError('closed', `stream ${this.streamId}: the receiver is closed`));
    if (this.starting) return Promise.reject(new RtpIngestError('wrong-state', `stream ${this.streamId}: start() was already called`));
    this.starting = this.listen();
    return this.starting;
  }

  override get stats(): RtpIngestStats {
    const stats = super.stats;
    stats.reader = this.native ? 'native' : 'node';
    return stats;
  }

  private async listen(): Promise<void> {
    if (this.options.nativeRtp === true && this.listenNative()) return;
    const { host, port } = this.options;
    const server = createServer(this.onConnection);
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen({ host, port, exclusive: true }, () => {
          server.off('error', reject);
          resolve();
        });
      });
    } catch (err) {
      server.close();
      const errno = errnoOf(err);
      throw new RtpIngestError('bind-failed', `stream ${this.streamId}: cannot listen on TCP ${host}:${port} (${errno})`, errno);
    }
    this.server = server;
    server.on('error', (err) => this.log.warn({ err }, 'RTP TCP listener error'));
    if (this.closed) {
      await this.closeServer();
      throw new RtpIngestError('closed', `stream ${this.streamId}: closed while binding`);
    }
    this.log.info({ host, port: this.localPort }, 'waiting for RTP over TCP (passive)');
  }

  /** True when native/rtp-recv took the listener; false when the addon is not there (Node listens then). */
  private listenNative(): boolean {
    const { host, port } = this.options;
    this.native = this.openNative(`listen on TCP ${host}:${port}`, (reader) => reader.listen(host, port, this.nativeConnection));
    if (!this.native) return false;
    this.startRelay(this.native);
    this.log.info({ host, port: this.localPort, reader: 'native' }, 'waiting for RTP over TCP (passive)');
    return true;
  }

  private readonly onConnection = (socket: Socket): void => {
    if (this.closed) {
      socket.destroy();
      return;
    }
    if (this.peer) {
      this.counters.connectionsRefused++;
      this.log.warn({ from: `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? 0}`, live: this.remote }, 'refusing a second RTP connection while one is live');
      socket.on('error', () => undefined);
      socket.destroy();
      return;
    }
    this.adopt(socket);
  };

  protected async closeSockets(): Promise<void> {
    await this.starting?.catch(() => undefined);
    this.endRelay();
    this.native?.close();
    this.nativeFramer = undefined;
    await Promise.all([this.destroyPeer(), this.closeServer()]);
  }

  private closeServer(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return Promise.resolve();
    return new Promise((resolve) => server.close(() => resolve()));
  }
}
