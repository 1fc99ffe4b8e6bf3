import type { Connection } from 'mongoose';
import type { AccountingEventSource } from './event-source';

interface EventDoc {
  deviceId: string;
  type: string;
  time: number;
}

/**
 * Device events from the MongoDB index's device_events collection (indexes {deviceId, time} and
 * {time}): one cursor in (time, _id) order for the period, and one aggregation for the states
 * before it. ObjectIds grow with insertion, so _id orders events of the same millisecond.
 */
export class MongoAccountingEvents implements AccountingEventSource {
  constructor(private readonly connection: Connection) {}

  /** The covering indexes of SQLite migration 22: the scan's order and the per-device state without a sort. */
  async init(): Promise<void> {
    const events = this.connection.collection('device_events');
    await events.createIndex({ time: 1, _id: 1, deviceId: 1, type: 1 }, { name: 'accounting_time_cover' });
    await events.createIndex({ deviceId: 1, time: -1, _id: -1, type: 1 }, { name: 'accounting_device_cover' });
  }

  async statesBefore(deviceIds: readonly string[], at: number): Promise<Map<string, boolean>> {
    const states = new Map<string, boolean>();
    const collection = this.connection.collection<EventDoc>('device_events');
    for (let i = 0; i < deviceIds.length; i += 5000) {
      const batch = deviceIds.slice(i, i + 5000);
      const cursor = collection.aggregate<{ _id: string; type: string }>(
        [
          { $match: { deviceId: { $in: batch }, time: { $lt: at } } },
          { $sort: { deviceId: 1, time: -1, _id: -1 } },
          { $group: { _id: '$deviceId', type: { $first: '$type' } } },
        ],
        { allowDiskUse: true },
      );
      for await (const doc of cursor) states.set(doc._id, doc.type === 'online');
    }
    return states;
  }

  async scan(from: number, to: number, wanted: { has(deviceId: string): boolean }, visit: (deviceId: string, time: number, online: boolean) => void): Promise<void> {
    const cursor = this.connection
      .collection<EventDoc>('device_events')
      .find({ time: { $gte: from, $lt: to } }, { projection: { _id: 0, deviceId: 1, type: 1, time: 1 }, sort: { time: 1, _id: 1 }, batchSize: 10_000 });
    for await (const doc of cursor) {
      if (wanted.has(doc.deviceId)) visit(doc.deviceId, doc.time, doc.type === 'online');
    }
  }
}
