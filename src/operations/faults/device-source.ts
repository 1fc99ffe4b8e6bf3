import type { IndexStore } from '../../storage/ports';

/** What the fault service reads about devices at start (restart recovery) and while classifying. */
export interface FaultDeviceSource {
  /** The stored online flag; null for a device the platform does not know. */
  isOnline(deviceId: string): Promise<boolean | null>;
  /** Every device whose stored flag is offline. */
  offlineDeviceIds(): Promise<string[]>;
  /** Time of the device's latest online/offline event in [since, until), or null. */
  lastEventTime(deviceId: string, type: 'online' | 'offline', since: number, until: number): Promise<number | null>;
}

/** The index store (device flags and the stored online/offline events) as a FaultDeviceSource. */
export function indexDeviceSource(index: IndexStore): FaultDeviceSource {
  return {
    async isOnline(deviceId) {
      return (await index.getDevice(deviceId))?.online ?? null;
    },
    async offlineDeviceIds() {
      const ids: string[] = [];
      const limit = 1000;
      for (let offset = 0; ; offset += limit) {
        const page = await index.listDevices({ online: false, offset, limit });
        for (const d of page.items) ids.push(d.deviceId);
        if (page.items.length < limit) break;
      }
      return ids;
    },
    async lastEventTime(deviceId, type, since, until) {
      let last: number | null = null;
      // Oldest first: page forward from each page's last time.
      for (let from = since; ; ) {
        const events = await index.listDeviceEvents({ deviceId, type, from, to: until, limit: 1000 });
        const tail = events[events.length - 1];
        if (!tail) break;
        last = tail.time;
        if (events.length < 1000 || tail.time + 1 >= until) break;
        from = tail.time + 1;
      }
      return last;
    },
  };
}
