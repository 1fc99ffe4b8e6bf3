import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';

export interface ReceivedHook {
  headers: IncomingHttpHeaders;
  body: Buffer;
  at: number;
  /** Status this receiver answered. */
  status: number;
}

/** A real local HTTP server standing in for a webhook receiver; `answer` picks the status per request (1-based count). */
export class WebhookReceiver {
  readonly received: ReceivedHook[] = [];
  private server: Server | null = null;

  constructor(private readonly answer: (count: number, body: Buffer) => number = () => 204) {}

  async start(): Promise<string> {
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        const status = this.answer(this.received.length + 1, body);
        this.received.push({ headers: req.headers, body, at: Date.now(), status });
        res.statusCode = status;
        res.end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.server = server;
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    return `http://127.0.0.1:${port}/hook`;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
