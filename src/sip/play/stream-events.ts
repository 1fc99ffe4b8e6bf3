/** Why a live stream ended, as logged, counted and shown by the API. */
export type StreamEndReason = 'api' | 'idle' | 'device-bye' | 'rtp-timeout' | 'media-closed' | 'start-failed' | 'shutdown' | 'end-of-file';

export interface StreamEvent {
  time: number;
  streamId: string;
  channelId: string;
  deviceId: string;
  type: 'ended';
  reason: StreamEndReason;
  detail: string | null;
}

/** The last few stream events in memory, newest last, for operators asking why a stream stopped. */
export class StreamEventLog {
  private readonly items: StreamEvent[] = [];

  constructor(private readonly capacity: number) {}

  add(event: StreamEvent): void {
    this.items.push(event);
    if (this.items.length > this.capacity) this.items.splice(0, this.items.length - this.capacity);
  }

  list(): StreamEvent[] {
    return [...this.items];
  }
}
