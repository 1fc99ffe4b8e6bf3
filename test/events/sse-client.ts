/** A small server-sent events client over fetch, for tests: parses frames and waits for events. */
export interface SseFrame {
  id?: string;
  event?: string;
  data?: string;
  comments: string[];
}

export class SseClient {
  readonly frames: SseFrame[] = [];
  status = 0;
  headers: Headers | null = null;
  ended = false;
  private buffer = '';
  private readonly controller = new AbortController();
  private readonly waiters = new Set<() => void>();
  private pump: Promise<void> = Promise.resolve();

  static async open(url: string, headers: Record<string, string>): Promise<SseClient> {
    const client = new SseClient();
    const res = await fetch(url, { headers, signal: client.controller.signal });
    client.status = res.status;
    client.headers = res.headers;
    if (res.body) {
      const reader = res.body.getReader();
      client.pump = client.read(reader);
    } else {
      client.ended = true;
    }
    return client;
  }

  /** Data frames, parsed as JSON. */
  events(): Array<{ id: string; topic: string; time: number; data: Record<string, unknown> }> {
    return this.frames.filter((f) => f.data !== undefined && f.event === undefined).map((f) => JSON.parse(f.data ?? '{}') as { id: string; topic: string; time: number; data: Record<string, unknown> });
  }

  /** Resolves with the first frame (already received or coming) that `match` accepts. */
  async waitFor(match: (frame: SseFrame) => boolean, timeoutMs = 3000, what = 'an SSE frame'): Promise<SseFrame> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.frames.find(match);
      if (found) return found;
      if (this.ended) throw new Error(`stream ended before ${what}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, left);
        function done(): void {
          clearTimeout(timer);
          resolve();
        }
        this.waiters.add(done);
      });
    }
  }

  /** Resolves when the server ended the stream. */
  async waitEnd(timeoutMs = 3000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.ended) {
      if (Date.now() > deadline) throw new Error('stream did not end');
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  close(): void {
    this.controller.abort();
  }

  private async read(reader: ReadableStreamDefaultReader<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        this.buffer += decoder.decode(value, { stream: true });
        let cut: number;
        while ((cut = this.buffer.indexOf('\n\n')) >= 0) {
          const block = this.buffer.slice(0, cut);
          this.buffer = this.buffer.slice(cut + 2);
          this.frames.push(parseBlock(block));
        }
        this.wake();
      }
    } catch {
      // aborted by close(), or the connection was cut
    } finally {
      this.ended = true;
      this.wake();
    }
  }

  private wake(): void {
    const waiters = [...this.waiters];
    this.waiters.clear();
    for (const w of waiters) w();
  }
}

function parseBlock(block: string): SseFrame {
  const frame: SseFrame = { comments: [] };
  for (const line of block.split('\n')) {
    if (line.startsWith(':')) frame.comments.push(line.slice(1).trim());
    else if (line.startsWith('id: ')) frame.id = line.slice(4);
    else if (line.startsWith('event: ')) frame.event = line.slice(7);
    else if (line.startsWith('data: ')) frame.data = frame.data === undefined ? line.slice(6) : `${frame.data}\n${line.slice(6)}`;
  }
  return frame;
}
