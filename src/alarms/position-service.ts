import type { EventPublisher } from '../events/types';
import type { Logger } from '../logger';
import type { ManscdpDocument } from '../sip/manscdp/document';
import { readMobilePositionNotify } from './position-notify';
import type { AlarmStore, PositionQuery, PositionRecord } from './store/port';

/** Mobile device positions (Notify MobilePosition): stored as a track per device and published as `position.updated`. */
export class PositionService {
  constructor(
    private readonly store: AlarmStore,
    private readonly publisher: EventPublisher,
    private readonly logger: Logger,
    private readonly options: { timeZone: string },
  ) {}

  /** Stores the positions of a Notify MobilePosition from `deviceId`; returns them (null for another document). */
  async receive(deviceId: string, doc: ManscdpDocument): Promise<PositionRecord[] | null> {
    const now = Date.now();
    const reports = readMobilePositionNotify(doc, this.options.timeZone, now);
    if (reports === null) return null;
    if (reports.length === 0) {
      this.logger.debug({ deviceId }, 'MobilePosition notify without a usable position');
      return [];
    }
    const records: PositionRecord[] = reports.map((r) => ({
      deviceId: r.targetId,
      reporterId: deviceId,
      time: r.time,
      longitude: r.longitude,
      latitude: r.latitude,
      speed: r.speed,
      direction: r.direction,
      altitude: r.altitude,
      receivedAt: now,
    }));
    await this.store.addPositions(records);
    for (const record of records) this.publisher.publish('position.updated', { ...record });
    return records;
  }

  list(query: PositionQuery): Promise<PositionRecord[]> {
    return this.store.listPositions(query);
  }
}
