/**
 * Platform events pushed to API clients (server-sent events) and webhooks: alarms, fault tickets,
 * watchlist alerts, cascade link changes... Producers only see EventPublisher; the hub that
 * delivers them lives in this folder.
 */
export interface PlatformEvent {
  /** Unique, increasing within a process (SSE Last-Event-ID resumes after it). */
  id: string;
  /** Dotted name: 'alarm.received', 'fault.opened', 'watchlist.alert', 'cascade.link'... */
  topic: string;
  /** Epoch ms UTC. */
  time: number;
  data: Record<string, unknown>;
}

export interface EventPublisher {
  /** Never throws and never waits: delivery (SSE, webhooks with retries) happens behind it. */
  publish(topic: string, data: Record<string, unknown>): PlatformEvent;
}

/** For code and tests that need a publisher and nothing more: keeps what was published. */
export class CollectingPublisher implements EventPublisher {
  readonly events: PlatformEvent[] = [];
  private seq = 0;

  publish(topic: string, data: Record<string, unknown>): PlatformEvent {
    const event: PlatformEvent = { id: String(++this.seq), topic, time: Date.now(), data };
    this.events.push(event);
    return event;
  }
}
