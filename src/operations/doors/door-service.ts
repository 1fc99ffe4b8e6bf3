import { randomUUID } from 'node:crypto';
import type { Logger } from '../../logger';
import type { ManscdpDocument } from '../../sip/manscdp';
import type { IndexStore } from '../../storage/ports';
import type { Page } from '../../storage/types';
import type { BuildingDirectory } from '../building-directory';
import { doorEventFromAlarm } from './alarm-mapping';
import { cameraChannelsOf, footageLinks, type FootageLink } from './footage';
import type { PhotoFiles } from './photos';
import type { DoorEventInput, DoorRecord, DoorRecordQuery, DoorRecordStore } from './types';

/** An event from a device that belongs to no building: nothing to file it under. */
export class UnknownDoorDeviceError extends Error {
  override readonly name = 'UnknownDoorDeviceError';
  constructor(readonly deviceId: string) {
    super(`device ${deviceId} belongs to no building: register the building and its door host first`);
  }
}

export interface DoorServiceOptions {
  footageBeforeMs: number;
  footageAfterMs: number;
  retentionMs: number;
  /** 0: no timer (tests call sweep()). */
  sweepIntervalMs: number;
  timeZone: string;
  now?: () => number;
  /** Called once per new record (not for duplicates), before ingest returns: the watchlist check. */
  onRecord?: (record: DoorRecord) => Promise<void>;
}

/**
 * Door-entry records: events from door hosts (GB28181 Alarm notifies, alarm-mapping.ts) and from
 * vendor gateways (REST), stored once per event ID with their building and the building's camera
 * channels; footage links are built when read, so they reflect what has been recorded since.
 */
export class DoorService {
  private timer: NodeJS.Timeout | null = null;
  private readonly now: () => number;

  constructor(
    private readonly store: DoorRecordStore,
    private readonly directory: BuildingDirectory,
    private readonly index: Pick<IndexStore, 'listChannels' | 'recordingCoverage'>,
    readonly photos: PhotoFiles,
    private readonly logger: Logger,
    private readonly options: DoorServiceOptions,
  ) {
    this.now = options.now ?? Date.now;
  }

  start(): void {
    if (this.options.sweepIntervalMs <= 0 || this.timer) return;
    this.timer = setInterval(() => void this.sweep().catch((err: unknown) => this.logger.error({ err }, 'door record retention failed')), this.options.sweepIntervalMs);
    this.timer.unref();
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Stores the event unless its ID is known (then returns the stored record, created: false). */
  async ingest(input: DoorEventInput): Promise<{ record: DoorRecord; created: boolean }> {
    const building = (await this.directory.buildingOfDevice(input.deviceId)) ?? (input.doorId ? await this.directory.buildingOfDevice(input.doorId) : null);
    if (!building) throw new UnknownDoorDeviceError(input.deviceId);
    const id = randomUUID();
    const photo = input.photo ? await this.photos.write(id, input.time, input.photo) : null;
    const { photo: _bytes, ...fields } = input;
    const candidate: DoorRecord = {
      ...fields,
      id,
      buildingId: building.buildingId,
      receivedAt: this.now(),
      photo,
      cameraChannels: await cameraChannelsOf(building, this.index),
    };
    let result: { record: DoorRecord; created: boolean };
    try {
      result = await this.store.insert(candidate);
    } catch (err) {
      if (photo) await this.photos.remove(photo);
      throw err;
    }
    if (!result.created) {
      if (photo) await this.photos.remove(photo);
      this.logger.debug({ eventId: input.eventId, deviceId: input.deviceId }, 'door event already recorded');
      return result;
    }
    this.logger.info({ recordId: id, deviceId: input.deviceId, buildingId: building.buildingId, kind: input.kind, method: input.method }, 'door event recorded');
    try {
      await this.options.onRecord?.(result.record);
    } catch (err) {
      this.logger.error({ err, recordId: id }, 'door record follow-up (watchlist) failed');
    }
    return result;
  }

  /** A GB28181 Alarm from a device: stored when it is a door event of a known building, else logged. */
  async onAlarm(senderId: string, doc: ManscdpDocument): Promise<DoorRecord | null> {
    const input = doorEventFromAlarm(senderId, doc, this.options.timeZone, this.now());
    if (!input) return null;
    try {
      return (await this.ingest(input)).record;
    } catch (err) {
      if (err instanceof UnknownDoorDeviceError) {
        this.logger.warn({ deviceId: senderId, eventId: input.eventId }, 'door event from a device of no building: not recorded');
        return null;
      }
      throw err;
    }
  }

  list(query: DoorRecordQuery): Promise<Page<DoorRecord>> {
    return this.store.list(query);
  }

  get(id: string): Promise<DoorRecord | null> {
    return this.store.get(id);
  }

  footage(record: DoorRecord): Promise<FootageLink[]> {
    return footageLinks(record.cameraChannels, record.time, { beforeMs: this.options.footageBeforeMs, afterMs: this.options.footageAfterMs }, this.index);
  }

  /** Deletes records (and photos) older than the retention period; returns how many went. */
  async sweep(now: number = this.now()): Promise<number> {
    const before = now - this.options.retentionMs;
    let removed = 0;
    for (;;) {
      const batch = await this.store.deleteOlderThan(before, 500);
      for (const r of batch) if (r.photo) await this.photos.remove(r.photo);
      removed += batch.length;
      if (batch.length < 500) break;
    }
    if (removed > 0) this.logger.info({ removed, before }, 'door records past retention deleted');
    return removed;
  }
}
