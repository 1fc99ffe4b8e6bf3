import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AlarmService } from '../../src/alarms/alarm-service';
import { maskPersonalPairs } from '../../src/alarms/personal-data';
import type { AlarmRecord, AlarmStore } from '../../src/alarms/store/port';
import { CollectingPublisher } from '../../src/events/types';
import { silentLogger } from '../../src/logger';
import { parseManscdp, type ManscdpDocument } from '../../src/sip/manscdp';

const DEVICE = '34020000001320000077';

function doorAlarm(sn: number): ManscdpDocument {
  const xml =
    `<?xml version="1.0"?><Notify><CmdType>Alarm</CmdType><SN>${sn}</SN><DeviceID>${DEVICE}</DeviceID><AlarmPriority>4</AlarmPriority>` +
    '<AlarmMethod>2</AlarmMethod><AlarmTime>2026-05-17T14:07:33</AlarmTime><AlarmDescription>event=unlock;method=card;card=0012345678;name=张三丰</AlarmDescription>' +
    '<ExtraInfo>personId=P20260001</ExtraInfo><ExtraInfo>door=1</ExtraInfo></Notify>';
  const parsed = parseManscdp(Buffer.from(xml));
  assert.ok(parsed.ok);
  return parsed.value;
}

/** Only what receive() uses; addAlarm fails while `failing` is set. */
function memoryStore(): { store: AlarmStore; added: AlarmRecord[]; failing: { on: boolean } } {
  const added: AlarmRecord[] = [];
  const failing = { on: false };
  const store = {
    addAlarm: async (a: AlarmRecord) => {
      if (failing.on) throw new Error('disk full');
      added.push(a);
    },
  } as unknown as AlarmStore;
  return { store, added, failing };
}

describe('alarm service', () => {
  test('card numbers, person IDs and names in a door alarm are masked in the alarm.received event', async () => {
    const { store, added } = memoryStore();
    const publisher = new CollectingPublisher();
    const alarms = new AlarmService(store, publisher, null, silentLogger(), { timeZone: 'Asia/Shanghai' });
    await alarms.receive(DEVICE, doorAlarm(1), 'message');
    const data = publisher.events[0]?.data as unknown as AlarmRecord;
    assert.equal(data.description, 'event=unlock;method=card;card=******5678;name=张**');
    assert.deepEqual(data.extraInfo, ['personId=*****0001', 'door=1']);
    assert.ok(!JSON.stringify(publisher.events).includes('0012345678'));
    assert.equal(added[0]?.description, 'event=unlock;method=card;card=0012345678;name=张三丰', 'the stored alarm keeps the text');
  });

  test('an alarm the store could not keep is stored when the device sends it again', async () => {
    const { store, added, failing } = memoryStore();
    const alarms = new AlarmService(store, new CollectingPublisher(), null, silentLogger(), { timeZone: 'Asia/Shanghai' });
    failing.on = true;
    await assert.rejects(alarms.receive(DEVICE, doorAlarm(2), 'message'), /disk full/);
    failing.on = false;
    const again = await alarms.receive(DEVICE, doorAlarm(2), 'message');
    assert.equal(added.length, 1);
    assert.equal(added[0]?.id, again?.id);
    assert.equal((await alarms.receive(DEVICE, doorAlarm(2), 'message'))?.id, again?.id, 'a later repeat is still recognised');
    assert.equal(added.length, 1);
  });

  test('masking leaves other pairs and free text alone, and keeps separators', () => {
    assert.equal(maskPersonalPairs('区域入侵'), '区域入侵');
    assert.equal(maskPersonalPairs('zone=3, cardNo : 88889999 ，userName=Li'), 'zone=3, cardNo : ****9999 ，userName=L*');
    assert.equal(maskPersonalPairs('card='), 'card=');
  });
});
