import assert from 'node:assert/strict';
import mongoose from 'mongoose';
import { test } from 'node:test';
import { MongoAlarmStore } from '../../src/alarms/store/mongo';
import { MongoWebhookStore } from '../../src/events/store/mongo';
import { mongoIndexStores } from '../helpers/mongo';
import { runEventStoresContract } from './event-stores.contract';

const mongo = mongoIndexStores('event-store contract');
if (mongo) {
  runEventStoresContract('MongoDB', async () => {
    const index = await mongo();
    const connection = index.mongoConnection();
    return { alarms: new MongoAlarmStore(connection), webhooks: new MongoWebhookStore(connection), close: () => index.close() };
  });
}

// Without a server: the schemas accept every field of the records (nulls included) and keep them as they are.
test('the MongoDB schemas take alarm, position and webhook records field for field', async () => {
  const connection = mongoose.createConnection();
  try {
    new MongoAlarmStore(connection);
    new MongoWebhookStore(connection);
    const records: Array<[string, Record<string, unknown>]> = [
      ['Alarm', { id: 'al1', deviceId: 'd', sourceId: 's', priority: null, method: 5, type: null, eventType: null, time: 1, timeText: null, description: null, longitude: null, latitude: 2.5, extraInfo: [], sn: null, via: 'notify', receivedAt: 2 }],
      ['Position', { deviceId: 'd', reporterId: 'r', time: 1, longitude: 1, latitude: 2, speed: null, direction: 3, altitude: null, receivedAt: 4 }],
      ['Webhook', { id: 'wh_1', url: 'http://x', topics: ['a.*'], secret: 's', createdAt: 1, delivery: { delivered: 0, failed: 0, consecutiveFailures: 0, lastStatus: null, lastError: null, lastAttemptAt: null, lastSuccessAt: null } }],
    ];
    for (const [name, record] of records) {
      const Model = connection.model(name);
      const doc = new Model(record);
      assert.equal(doc.validateSync(), undefined, name);
      const { _id, ...plain } = doc.toObject() as Record<string, unknown>;
      assert.ok(_id !== undefined);
      assert.deepEqual(JSON.parse(JSON.stringify(plain)), record, name);
    }
  } finally {
    await connection.close();
  }
});
