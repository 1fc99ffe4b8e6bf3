import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { RegisterQueue } from '../../../src/sip/overload/register-queue';

const REGISTER = Buffer.from('REGISTER sip:4403000000 SIP/2.0\r\n\r\n');
const MESSAGE = Buffer.from('MESSAGE sip:4403000000 SIP/2.0\r\n\r\n');

void describe('registration queue', () => {
  void test('REGISTERs start a few per event-loop turn, in arrival order', async () => {
    const queue = new RegisterQueue({ maxQueued: 100, perTurn: 2 });
    const ran: string[] = [];
    for (const id of ['n1', 'a1', 'n2']) queue.enqueue(async () => void ran.push(id), id.startsWith('a'));
    assert.equal(ran.join(), '', 'nothing runs in the turn that queued it');
    await nextTurn();
    assert.equal(ran.join(), 'n1,a1');
    await nextTurn();
    assert.equal(ran.join(), 'n1,a1,n2');
    assert.equal(queue.length, 0);
    queue.enqueue(async () => void ran.push('n3'), false);
    await nextTurn();
    assert.equal(ran.join(), 'n1,a1,n2,n3', 'the queue works again once emptied');
  });

  void test('other work runs between two batches (the socket is read between them)', async () => {
    const queue = new RegisterQueue({ maxQueued: 100, perTurn: 1 });
    const order: string[] = [];
    queue.enqueue(async () => void order.push('r1'), false);
    queue.enqueue(async () => void order.push('r2'), false);
    setImmediate(() => order.push('other'));
    await nextTurn();
    await nextTurn();
    await nextTurn();
    assert.deepEqual(order, ['r1', 'other', 'r2']);
  });

  void test('a full queue sheds new REGISTER datagrams unread, never other requests', () => {
    let shedCalls = 0;
    const queue = new RegisterQueue({ maxQueued: 2, perTurn: 1, onShed: () => shedCalls++ });
    assert.equal(queue.shouldShed(REGISTER), false);
    assert.equal(queue.enqueue(async () => undefined, false), true);
    assert.equal(queue.enqueue(async () => undefined, false), true);
    assert.equal(queue.shouldShed(REGISTER), true);
    assert.equal(queue.shouldShed(MESSAGE), false);
    assert.equal(queue.shouldShed(Buffer.from('REG')), false, 'a short datagram is not a REGISTER');
    const answered = Buffer.from('REGISTER sip:4403000000 SIP/2.0\r\nAuthorization: Digest username="x"\r\n\r\n');
    assert.equal(queue.shouldShed(answered), false, 'a digest answer is let past the limit, up to twice it');
    assert.equal(queue.enqueue(async () => undefined, false), false, 'a new REGISTER is refused');
    assert.equal(queue.enqueue(async () => undefined, true), true, 'a digest answer still gets in');
    assert.equal(queue.enqueue(async () => undefined, true), true);
    assert.equal(queue.shouldShed(answered), true, 'at twice the limit digest answers are shed too');
    assert.equal(queue.shed, 3);
    assert.equal(shedCalls, 3);
    queue.close();
  });

  void test('a job that rejects does not stop the queue; close drops what waits', async () => {
    const queue = new RegisterQueue({ maxQueued: 10, perTurn: 5 });
    let ran = 0;
    queue.enqueue(() => Promise.reject(new Error('handler failed')), false);
    queue.enqueue(async () => void ran++, false);
    await nextTurn();
    assert.equal(ran, 1);
    queue.enqueue(async () => void ran++, false);
    queue.close();
    await nextTurn();
    assert.equal(ran, 1);
    assert.equal(queue.enqueue(async () => void ran++, false), false);
  });

  void test('sizes below 1 are refused', () => {
    assert.throws(() => new RegisterQueue({ maxQueued: 0, perTurn: 1 }), RangeError);
    assert.throws(() => new RegisterQueue({ maxQueued: 1, perTurn: 0 }), RangeError);
  });
});
