import { connect, type Socket } from 'node:net';

export interface RtspReply {
  status: number;
  headers: Map<string, string>;
  body: string;
}

export interface InterleavedFrame {
  channel: number;
  data: Buffer;
}

/**
 * A bare RTSP client over one TCP connection, for tests that look at the wire: it sends
 * requests (or any bytes), and reads replies and interleaved frames as they come.
 */
export class RawRtspClient {
  readonly replies: RtspReply[] = [];
  readonly frames: InterleavedFrame[] = [];
  /** Interleaved frames that arrived before the reply they follow, per reply index. */
  readonly framesBeforeReply: number[] = [];
  closed = false;
  private buffer = Buffer.alloc(0);
  private cseq = 0;
  private waiters: (() => void)[] = [];

  private constructor(readonly socket: Socket) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
  }

  static connect(port: number): Promise<RawRtspClient> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => resolve(new RawRtspClient(socket)));
      socket.once('error', reject);
    });
  }

  /** Sends a request with the next CSeq and waits for its reply. */
  async request(method: string, url: string, headers: Record<string, string> = {}, timeoutMs = 5000): Promise<RtspReply> {
    const lines = [`${method} ${url} RTSP/1.0`, `CSeq: ${++this.cseq}`, ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)];
    const expected = this.replies.length + 1;
    this.send(`${lines.join('\r\n')}\r\n\r\n`);
    await this.waitFor(() => this.replies.length >= expected, timeoutMs, `a reply to ${method}`);
    return this.replies[expected - 1] as RtspReply;
  }

  send(data: string | Buffer): void {
    this.socket.write(data);
  }

  /** Resolves when `condition` holds (checked on every arrival), rejects after `timeoutMs`. */
  waitFor(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        if (!condition()) return false;
        clearTimeout(timer);
        resolve();
        return true;
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`timed out waiting for ${what}`));
      }, timeoutMs);
      const waiter = (): void => {
        if (check()) this.waiters = this.waiters.filter((w) => w !== waiter);
      };
      if (!check()) this.waiters.push(waiter);
    });
  }

  waitClosed(timeoutMs: number): Promise<void> {
    return this.waitFor(() => this.closed, timeoutMs, 'the server to close the connection');
  }

  close(): void {
    this.socket.destroy();
  }

  private wake(): void {
    for (const w of [...this.waiters]) w();
  }

  private onData(chunk: Buffer): void {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    for (;;) {
      if (this.buffer.length === 0) break;
      if (this.buffer[0] === 0x24) {
        if (this.buffer.length < 4) break;
        const size = this.buffer.readUInt16BE(2);
        if (this.buffer.length < 4 + size) break;
        this.frames.push({ channel: this.buffer[1] ?? 0, data: Buffer.from(this.buffer.subarray(4, 4 + size)) });
        this.buffer = this.buffer.subarray(4 + size);
        continue;
      }
      const end = this.buffer.indexOf('\r\n\r\n');
      if (end < 0) break;
      const lines = this.buffer.toString('utf8', 0, end).split('\r\n');
      const headers = new Map<string, string>();
      for (const line of lines.slice(1)) {
        const colon = line.indexOf(':');
        headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
      }
      const length = Number(headers.get('content-length') ?? 0);
      if (this.buffer.length < end + 4 + length) break;
      const status = Number(/^RTSP\/1\.0 (\d{3}) /.exec(lines[0] ?? '')?.[1] ?? 0);
      this.replies.push({ status, headers, body: this.buffer.toString('utf8', end + 4, end + 4 + length) });
      this.framesBeforeReply.push(this.frames.length);
      this.buffer = this.buffer.subarray(end + 4 + length);
    }
    this.wake();
  }
}

/** The absolute a=control URLs of an SDP, media section by media section. */
export function controlUrls(sdp: string): string[] {
  return sdp
    .split('m=')
    .slice(1)
    .map((section) => /a=control:(\S+)/.exec(section)?.[1] ?? '');
}
