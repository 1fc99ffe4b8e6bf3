import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { describe, test } from 'node:test';
import type { DeviceNotifications } from '../../src/alarms/device-notifications';
import { DeviceSubscriptions } from '../../src/alarms/subscriptions';
import { silentLogger } from '../../src/logger';
import type { DeviceMessenger } from '../../src/sip/device/messenger';
import type { SipEndpoint } from '../../src/sip/transaction';

const DEVICE = '34020000001320000001';

class FakeDialog extends EventEmitter {
  closed = false;
  close(): void {
    this.closed = true;
  }
}

/** An endpoint whose SUBSCRIBEs are answered 200 by hand, in any order. */
function fakeEndpoint() {
  const waiting: Array<(dialog: FakeDialog) => void> = [];
  const dialogs: FakeDialog[] = [];
  const endpoint = {
    subscribe: () =>
      new Promise((resolve) => {
        waiting.push((dialog) => resolve({ response: { status: 200, reason: 'OK', headers: new Map([['expires', '3600']]) }, dialog }));
      }),
  } as unknown as SipEndpoint;
  const answer = (i: number): void => {
    const dialog = new FakeDialog();
    dialogs.push(dialog);
    waiting[i]?.(dialog);
  };
  return { endpoint, waiting, dialogs, answer };
}

const messenger = {
  reachable: async () => ({ registration: { transport: 'udp', address: '127.0.0.1', port: 5060 }, charset: 'GB2312' }),
} as unknown as DeviceMessenger;

const tick = () => new Promise((r) => setImmediate(r));

describe('device subscriptions', () => {
  test('a device that comes online twice quickly ends with one live subscription dialog, not a retry over it', async () => {
    const fake = fakeEndpoint();
    const subs = new DeviceSubscriptions(fake.endpoint, messenger, { id: '34020000002000000001', domain: '3402000000', host: '127.0.0.1', port: 5060 }, {} as DeviceNotifications, silentLogger(), {
      expiresSec: 3600,
      mobilePositionIntervalSec: 5,
      retrySec: 0.05,
      onRegister: ['alarm'],
    });
    try {
      subs.onDeviceOnline(DEVICE);
      await tick();
      const first = subs.get(DEVICE, 'alarm');
      assert.equal(first?.state, 'pending');
      // Offline and online again while the first SUBSCRIBE waits: a second attempt starts.
      subs.onDeviceOffline(DEVICE);
      subs.onDeviceOnline(DEVICE);
      await tick();
      assert.equal(fake.waiting.length, 2);
      fake.answer(1);
      await tick();
      fake.answer(0); // the overtaken attempt's answer comes last
      await tick();
      assert.equal(subs.get(DEVICE, 'alarm')?.state, 'active');
      await new Promise((r) => setTimeout(r, 150)); // longer than retrySec
      assert.equal(fake.waiting.length, 2, 'no SUBSCRIBE was sent again over the live dialog');
      assert.equal(subs.get(DEVICE, 'alarm')?.state, 'active');
      assert.deepEqual(fake.dialogs.map((d) => d.closed), [false, true], 'the late dialog is closed, the live one kept');
    } finally {
      subs.close();
    }
  });
});
