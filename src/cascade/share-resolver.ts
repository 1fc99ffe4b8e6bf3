import type { IndexStore } from '../storage/ports';
import type { Channel } from '../storage/types';
import type { UpperPlatform, UpperShare } from './types';

/** Organisation trees are shallow (group -> organisation -> channel); a cycle in bad catalog data must not loop. */
const MAX_DEPTH = 8;
const PAGE = 1000;

function nodeRank(channel: Channel): number {
  return channel.typeCode === '215' ? 0 : channel.typeCode === '216' ? 1 : 2;
}

/**
 * What one upper may see, and how it names it: the upper's shares (channels, organisation nodes,
 * devices meaning all their channels) with the local ID <-> upper ID mapping. Built from the
 * store's share rows; the index store is read for channels as needed.
 */
export class ShareResolver {
  private readonly byLocal = new Map<string, UpperShare>();
  private readonly byMapped = new Map<string, UpperShare>();

  constructor(
    readonly upper: UpperPlatform,
    shares: readonly UpperShare[],
    private readonly index: IndexStore,
  ) {
    for (const share of shares) {
      this.byLocal.set(share.localId, share);
      if (share.mappedId !== null) this.byMapped.set(share.mappedId, share);
    }
  }

  get shares(): UpperShare[] {
    return [...this.byLocal.values()];
  }

  /** The ID the upper knows a local channel/node by. */
  toUpper(localId: string): string {
    if (this.upper.idMode !== 'mapped') return localId;
    return this.byLocal.get(localId)?.mappedId ?? localId;
  }

  /** Our ID for an ID the upper used. */
  toLocal(upperId: string): string {
    if (this.upper.idMode !== 'mapped') return upperId;
    const mapped = this.byMapped.get(upperId);
    if (mapped !== undefined) return mapped.localId;
    // An ID that has a mapping must not be reachable under its own name too.
    const own = this.byLocal.get(upperId);
    return own !== undefined && own.mappedId !== null ? '' : upperId;
  }

  /** The shared channel (or organisation node) the upper means by `upperId`, or null when it may not see it. */
  async resolve(upperId: string): Promise<Channel | null> {
    const localId = this.toLocal(upperId);
    if (localId === '') return null;
    const share = this.byLocal.get(localId);
    if (share?.kind === 'channel' || share?.kind === 'organisation') {
      return this.index.getChannel(localId, share.deviceId ?? undefined);
    }
    const channel = await this.index.getChannel(localId);
    if (channel !== null && channel.present && (await this.covers(channel))) return channel;
    // Channel IDs repeat across devices: the one meant may belong to a shared device.
    for (const device of this.byLocal.values()) {
      if (device.kind !== 'device') continue;
      const own = await this.index.getChannel(localId, device.localId);
      if (own !== null && own.present) return own;
    }
    return null;
  }

  /** Whether a channel is shared: itself, its device, or an organisation node above it. */
  async covers(channel: Channel): Promise<boolean> {
    const own = this.byLocal.get(channel.channelId);
    if (own !== undefined && (own.deviceId === null || own.deviceId === channel.deviceId)) return true;
    if (this.byLocal.get(channel.deviceId)?.kind === 'device') return true;
    let parentId = channel.parentId;
    for (let depth = 0; parentId !== null && depth < MAX_DEPTH; depth++) {
      if (this.byLocal.get(parentId)?.kind === 'organisation') return true;
      const parent = await this.index.getChannel(parentId);
      parentId = parent?.parentId ?? null;
    }
    const group = channel.businessGroupId;
    return group !== null && this.byLocal.get(group)?.kind === 'organisation';
  }

  /**
   * Every shared channel and organisation node, each once, in tree order (nodes before what is
   * below them where the data allows it). An upper names channels by ID only: of two shared
   * channels with one ID (on different devices) it can see the first.
   */
  async collect(): Promise<Channel[]> {
    const out = new Map<string, Channel>();
    for (const share of this.byLocal.values()) {
      if (share.kind === 'device') {
        for await (const channel of this.pages({ deviceId: share.localId })) if (!out.has(channel.channelId)) out.set(channel.channelId, channel);
      } else if (share.kind === 'organisation') {
        await this.collectTree(share.localId, out);
      } else {
        const channel = await this.index.getChannel(share.localId, share.deviceId ?? undefined);
        if (channel !== null && channel.present && !out.has(channel.channelId)) out.set(channel.channelId, channel);
      }
    }
    // Tree nodes first (business groups, then virtual organisations), so an upper meets each parent before its children.
    return [...out.values()].sort((a, b) => nodeRank(a) - nodeRank(b));
  }

  private async collectTree(rootId: string, out: Map<string, Channel>): Promise<void> {
    const root = await this.index.getChannel(rootId);
    if (root !== null && !out.has(root.channelId)) out.set(root.channelId, root);
    let level = [rootId];
    const seen = new Set(level);
    for (let depth = 0; level.length > 0 && depth < MAX_DEPTH; depth++) {
      const next: string[] = [];
      for (const parentId of level) {
        for await (const channel of this.pages({ parentId })) {
          if (seen.has(channel.channelId)) continue;
          seen.add(channel.channelId);
          if (!out.has(channel.channelId)) out.set(channel.channelId, channel);
          if (channel.parental) next.push(channel.channelId);
        }
      }
      level = next;
    }
  }

  private async *pages(filter: { deviceId?: string; parentId?: string }): AsyncGenerator<Channel> {
    for (let offset = 0; ; offset += PAGE) {
      const page = await this.index.listChannels({ ...filter, offset, limit: PAGE });
      yield* page.items;
      if (page.items.length < PAGE) return;
    }
  }
}
