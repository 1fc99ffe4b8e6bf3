import type { IndexStore } from '../storage/ports';
import type { Channel } from '../storage/types';
import { catalogItem, type CatalogEntry } from './catalog-items';
import type { ShareResolver } from './share-resolver';

/** Device presence looked up once per device while one answer is built. */
export class PresenceCache {
  private readonly online = new Map<string, boolean>();
  constructor(private readonly index: IndexStore) {}

  async of(deviceId: string): Promise<boolean> {
    let value = this.online.get(deviceId);
    if (value === undefined) {
      value = (await this.index.getDevice(deviceId))?.online ?? false;
      this.online.set(deviceId, value);
    }
    return value;
  }
}

/**
 * Catalog entries for channels as one upper sees them. A parent (or business group) the upper
 * cannot see is replaced by our platform ID, so that every shared channel hangs in its tree.
 */
export async function catalogEntries(
  channels: readonly Channel[],
  resolver: ShareResolver,
  localId: string,
  visible: (localId: string) => boolean,
  presence: PresenceCache,
): Promise<CatalogEntry[]> {
  const out: CatalogEntry[] = [];
  for (const channel of channels) {
    const parent = channel.parentId;
    const group = channel.businessGroupId;
    out.push({
      channel,
      id: resolver.toUpper(channel.channelId),
      parentId: parent !== null && visible(parent) ? resolver.toUpper(parent) : localId,
      businessGroupId: group !== null && visible(group) ? resolver.toUpper(group) : null,
      online: await presence.of(channel.deviceId),
    });
  }
  return out;
}

/** Every item of the upper's catalog, in the order they are sent. */
export async function sharedCatalogItems(resolver: ShareResolver, localId: string, index: IndexStore): Promise<string[]> {
  const channels = await resolver.collect();
  const ids = new Set(channels.map((c) => c.channelId));
  const entries = await catalogEntries(channels, resolver, localId, (id) => ids.has(id), new PresenceCache(index));
  return entries.map((entry) => catalogItem(entry));
}
