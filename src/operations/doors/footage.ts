import type { IndexStore } from '../../storage/ports';
import type { Building } from '../building-directory';

/** Footage of one camera channel around a door event, and the API call that plays it. */
export interface FootageLink {
  channelId: string;
  from: number;
  to: number;
  /** 'platform': our recordings cover part of the window; 'device': ask the camera for its own. */
  source: 'platform' | 'device';
  /** Recorded parts of the window (platform only). */
  recorded: Array<{ start: number; end: number }>;
  /** POST this path with this body (API token) to get a stream with playback URLs. */
  open: { method: 'POST'; path: string; body: Record<string, number> };
  /** GET: what the platform recorded in the window (platform only). */
  coverage: string | null;
}

/** The building's camera channels: each camera device's present channels, or the device itself when it has none listed. */
export async function cameraChannelsOf(building: Building, index: Pick<IndexStore, 'listChannels'>): Promise<string[]> {
  const out: string[] = [];
  for (const d of building.devices) {
    if (d.role !== 'camera') continue;
    const page = await index.listChannels({ deviceId: d.deviceId, offset: 0, limit: 16 });
    const ids = page.items.map((c) => c.channelId);
    out.push(...(ids.length > 0 ? ids : [d.deviceId]));
  }
  return out;
}

/**
 * Links to footage of `channels` over [time - before, time + after]: platform playback
 * (POST /channels/{id}/playback from the first recorded moment) where the recording index has
 * segments in the window, else device playback (POST /channels/{id}/device-playback).
 */
export async function footageLinks(
  channels: string[],
  time: number,
  window: { beforeMs: number; afterMs: number },
  index: Pick<IndexStore, 'recordingCoverage'>,
): Promise<FootageLink[]> {
  const from = time - window.beforeMs;
  const to = time + window.afterMs;
  const links: FootageLink[] = [];
  for (const channelId of channels) {
    const coverage = await index.recordingCoverage({ channelId, from, to, limit: 1 });
    const first = coverage.ranges[0];
    if (first) {
      links.push({
        channelId, from, to, source: 'platform',
        recorded: coverage.ranges.map((r) => ({ start: r.start, end: r.end })),
        open: { method: 'POST', path: `/api/v1/channels/${channelId}/playback`, body: { start: first.start } },
        coverage: `/api/v1/channels/${channelId}/recordings?start=${from}&end=${to}`,
      });
    } else {
      links.push({
        channelId, from, to, source: 'device', recorded: [],
        open: { method: 'POST', path: `/api/v1/channels/${channelId}/device-playback`, body: { start: from, end: to } },
        coverage: null,
      });
    }
  }
  return links;
}
