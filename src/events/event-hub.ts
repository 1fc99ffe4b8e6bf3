import type { Logger } from '../logger';
import { EventRing } from './event-ring';
import { topicMatches, type TopicFilter } from './topic-filter';
import type { EventPublisher, PlatformEvent } from './types';

export type EventListener = (event: PlatformEvent) => void;

export interface EventSubscription {
  readonly filter: TopicFilter;
  /** Stops delivery to this listener. Idempotent. */
  close(): void;
}

export interface EventHubOptions {
  /** How many recent events are kept for Last-Event-ID resumes. */
  ringSize: number;
  logger: Logger;
}

/**
 * The platform's event bus: producers publish (never blocking, never throwing), listeners (SSE
 * streams, the webhook dispatcher, in-process consumers) get every event whose topic their filter
 * matches, in publish order. Recent events stay in a ring for clients that reconnect.
 *
 * Ids are increasing integers seeded from the clock (ms x 1000), so that they keep increasing
 * across restarts and a client's Last-Event-ID from before a restart does not hide new events.
 */
export class EventHub implements EventPublisher {
  private readonly ring: EventRing;
  private readonly listeners = new Set<{ filter: TopicFilter; listener: EventListener }>();
  private readonly closeHandlers = new Set<() => void>();
  private lastId = 0;
  private closedFlag = false;
  private readonly logger: Logger;

  constructor(options: EventHubOptions) {
    this.ring = new EventRing(options.ringSize);
    this.logger = options.logger;
  }

  get closed(): boolean {
    return this.closedFlag;
  }

  publish(topic: string, data: Record<string, unknown>): PlatformEvent {
    const now = Date.now();
    this.lastId = Math.max(this.lastId + 1, now * 1000);
    const event: PlatformEvent = { id: String(this.lastId), topic, time: now, data };
    if (this.closedFlag) return event;
    this.ring.push(event);
    for (const entry of [...this.listeners]) {
      if (!topicMatches(entry.filter, topic)) continue;
      try {
        entry.listener(event);
      } catch (err) {
        this.logger.error({ err, topic }, 'event listener threw');
      }
    }
    return event;
  }

  /** Calls `listener` for every later event matching `filter` (empty: all). */
  subscribe(filter: TopicFilter, listener: EventListener): EventSubscription {
    const entry = { filter, listener };
    this.listeners.add(entry);
    return { filter, close: () => void this.listeners.delete(entry) };
  }

  /** Kept events after `lastId` that match `filter`, oldest first; `gap` when some were already dropped. */
  replay(lastId: number, filter: TopicFilter): { events: PlatformEvent[]; gap: boolean } {
    const { events, gap } = this.ring.after(lastId);
    return { events: events.filter((e) => topicMatches(filter, e.topic)), gap };
  }

  /** The kept events matching `filter`, newest last. */
  recent(filter: TopicFilter = [], limit = 100): PlatformEvent[] {
    const matching = this.ring.all().filter((e) => topicMatches(filter, e.topic));
    return matching.slice(Math.max(0, matching.length - limit));
  }

  get listenerCount(): number {
    return this.listeners.size;
  }

  /** Runs `handler` when the hub closes (SSE streams end then). Returns a remover. */
  onClose(handler: () => void): () => void {
    if (this.closedFlag) {
      handler();
      return () => undefined;
    }
    this.closeHandlers.add(handler);
    return () => void this.closeHandlers.delete(handler);
  }

  /** Stops delivery and ends every stream. Idempotent. */
  close(): void {
    if (this.closedFlag) return;
    this.closedFlag = true;
    this.listeners.clear();
    const handlers = [...this.closeHandlers];
    this.closeHandlers.clear();
    for (const h of handlers) {
      try {
        h();
      } catch (err) {
        this.logger.error({ err }, 'event hub close handler threw');
      }
    }
  }
}
