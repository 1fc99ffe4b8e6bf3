import type { EventPublisher } from '../events/types';
import type { Logger } from '../logger';
import { readCatalogResponse, toChannelUpdate, type CatalogItem } from '../sip/manscdp/catalog';
import type { ManscdpDocument } from '../sip/manscdp/document';
import type { IndexStore } from '../storage/ports';
import type { Channel, ChannelStatus, ChannelUpdate } from '../storage/types';

export type CatalogChangeEvent = 'ADD' | 'UPDATE' | 'DEL' | 'ON' | 'OFF' | 'VLOST' | 'DEFECT';

export interface CatalogChange {
  channelId: string;
  /** The item's Event (ADD when an item came without one). */
  event: string;
  /** False when nothing was changed (a status event or deletion of a channel we do not know). */
  applied: boolean;
}

const STATUS_EVENTS: ReadonlyMap<string, ChannelStatus> = new Map([
  ['ON', 'ON'],
  ['OFF', 'OFF'],
  ['VLOST', 'OFF'],
  ['DEFECT', 'OFF'],
]);
const PAGE = 1000;

function updateOf(channel: Channel): ChannelUpdate {
  const { deviceId: _d, present: _p, createdAt: _c, updatedAt: _u, ...update } = channel;
  return update;
}

/** UPDATE items often carry only what changed: fields the item leaves empty keep their stored value. */
function merged(existing: Channel | null, item: CatalogItem): ChannelUpdate {
  const incoming = toChannelUpdate(item);
  if (existing === null) return incoming;
  const base = updateOf(existing);
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(incoming)) if (value !== null && !(key === 'status' && value === 'UNKNOWN')) out[key] = value;
  return out as unknown as ChannelUpdate;
}

/**
 * Applies catalog change notifications (Notify Catalog, by MESSAGE or NOTIFY in a catalog
 * subscription, Annex N) to a device's channels through the index store: ADD and UPDATE upsert
 * the item, DEL marks the channel not present (kept, as a missing channel of a complete catalog
 * is), ON/OFF/VLOST/DEFECT set the status of a known channel. Publishes `catalog.changed`.
 */
export class CatalogChanges {
  constructor(
    private readonly index: IndexStore,
    private readonly publisher: EventPublisher,
    private readonly logger: Logger,
  ) {}

  async apply(deviceId: string, doc: ManscdpDocument): Promise<CatalogChange[] | null> {
    const message = readCatalogResponse(doc);
    if (message === null) return null;
    const changes: CatalogChange[] = [];
    const upserts = new Map<string, ChannelUpdate>();
    const deletions = new Set<string>();
    for (const item of message.items) {
      const event = item.event ?? 'ADD';
      const status = STATUS_EVENTS.get(event);
      if (event === 'DEL') {
        deletions.add(item.channelId);
        upserts.delete(item.channelId);
        changes.push({ channelId: item.channelId, event, applied: true });
        continue;
      }
      deletions.delete(item.channelId);
      const existing = upserts.has(item.channelId) ? null : await this.index.getChannel(item.channelId, deviceId);
      const known = upserts.get(item.channelId) ?? (existing ? updateOf(existing) : null);
      if (status !== undefined) {
        if (known === null) {
          changes.push({ channelId: item.channelId, event, applied: false });
          continue;
        }
        upserts.set(item.channelId, { ...known, status });
      } else {
        upserts.set(item.channelId, event === 'UPDATE' ? merged(existing, item) : toChannelUpdate(item));
      }
      changes.push({ channelId: item.channelId, event, applied: true });
    }
    if (upserts.size > 0) await this.index.syncChannels(deviceId, [...upserts.values()], { complete: false });
    if (deletions.size > 0) {
      const gone = await this.markMissing(deviceId, deletions);
      for (const c of changes) if (c.event === 'DEL' && !gone.has(c.channelId)) c.applied = false;
    }
    if (changes.length > 0) {
      this.logger.info({ deviceId, changes: changes.length, events: summary(changes) }, 'catalog change notification applied');
      this.publisher.publish('catalog.changed', { deviceId, changes });
    }
    return changes;
  }

  /**
   * IndexStore marks channels missing only in a complete sync: the device's present channels
   * minus the deleted ones are synced as complete (unchanged rows are not rewritten).
   */
  private async markMissing(deviceId: string, ids: ReadonlySet<string>): Promise<Set<string>> {
    const present: Channel[] = [];
    for (let offset = 0; ; offset += PAGE) {
      const page = await this.index.listChannels({ deviceId, offset, limit: PAGE });
      present.push(...page.items);
      if (page.items.length < PAGE || present.length >= page.total) break;
    }
    const gone = new Set(present.filter((c) => ids.has(c.channelId)).map((c) => c.channelId));
    if (gone.size === 0) return gone;
    await this.index.syncChannels(deviceId, present.filter((c) => !gone.has(c.channelId)).map(updateOf), { complete: true });
    return gone;
  }
}

function summary(changes: CatalogChange[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const c of changes) out[c.event] = (out[c.event] ?? 0) + 1;
  return out;
}
