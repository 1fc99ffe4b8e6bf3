import { createServer, type Server, type Socket } from 'node:net';
import { errnoOf, RtpIngestError } from './errors';
import { TcpRtpIngest } from './tcp-ingest';

/**
 * TCP passive (`a=setup:passive` on our side): we listen and the camera connects. One connection
 * is the stream; a second one while it is live is closed at once and counted. Once the live one
 * closes, the next connection is accepted (cameras reconnect after a network blip).
 */
export class TcpPassiveRtpIngest extends TcpRtpIngest {
  private server: Server | undefined;
  private starting: Promise<void> | undefined;

  get localPort(): number {
    const address = this.server?.address();
    return typeof address === 'object' && address ? address.port : 0;
  }

  start(): Promise<void> {
    if (this.closed) return Promise.reject(new RtpIngestError('closed', `stream ${this.streamId}: the receiver is closed`));
    if (this.starting) return Promise.reject(new RtpIngestError('wrong-state', `stream ${this.streamId}: start() was already called`));
    this.starting = this.listen();
    return this.starting;
  }

  private async listen(): Promise<void> {
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
    await Promise.all([this.destroyPeer(), this.closeServer()]);
  }

  private closeServer(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return Promise.resolve();
    return new Promise((resolve) => server.close(() => resolve()));
  }
}
