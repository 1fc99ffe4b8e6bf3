/**
 * native/sip-udp over real loopback sockets: datagrams handed to JavaScript intact with their
 * source, sends, the keepalive lane's admission rules, and close.
 */
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { after, before, describe, test } from 'node:test';
import { silentLogger } from '../../../src/logger';
import { parseSipMessage } from '../../../src/sip/message';
import type { SipResponse } from '../../../src/sip/message/types';
import { NativeUdpEndpoint } from '../../../src/sip/transport/native-udp';
import { DEVICE_ID, floodWhileBusy, keepalive, LaneHarness, requireAddon, USER_AGENT } from './lane-harness';

function response(bytes: Buffer): SipResponse {
  const parsed = parseSipMessage(bytes);
  assert.ok(parsed.ok, 'the answer parses');
  assert.equal(parsed.message.type, 'response');
  return parsed.message as SipResponse;
}

describe('native SIP UDP endpoint', () => {
  let h: LaneHarness;
  before(async () => {
    h = await LaneHarness.open();
  });
  after(() => h.close());

  test('hands every other datagram to JavaScript intact, with its source, in order', async () => {
    const before = h.forwarded.length;
    const sent: Buffer[] = [];
    for (let i = 0; i < 300; i++) {
      const bytes = Buffer.alloc(1 + ((i * 97) % 1400), 0x20 + (i % 200)); // no CR/LF-only datagrams (dropped, next test)
      sent.push(bytes);
      h.client.send(bytes, h.endpoint.port, '127.0.0.1');
    }
    const deadline = Date.now() + 5000;
    while (h.forwarded.length - before < sent.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    const got = h.forwarded.slice(before);
    assert.equal(got.length, sent.length);
    got.forEach((g, i) => {
      assert.deepEqual(g.bytes, sent[i]);
      assert.equal(g.address, '127.0.0.1');
      assert.equal(g.port, h.clientPort);
    });
  });

  test('drops CRLF keep-alives (RFC 5626) without waking JavaScript', async () => {
    assert.equal((await h.exchange(Buffer.from('\r\n\r\n'), 200)).kind, 'nothing');
  });

  test('sends to IPv4 literals and logs (does not throw) what it cannot send', async () => {
    const got = new Promise<Buffer>((resolve) => h.client.once('message', resolve));
    await h.endpoint.send(Buffer.from('hello'), '127.0.0.1', h.clientPort);
    assert.equal((await got).toString(), 'hello');
    await h.endpoint.send(Buffer.from('x'), 'not-an-address', 5060);
    await h.endpoint.send(Buffer.from('x'), '::1', 5060); // IPv6 from an IPv4 socket
  });

  test('a keepalive from a device not admitted goes to JavaScript', async () => {
    h.endpoint.revoke(DEVICE_ID);
    const outcome = await h.exchange(keepalive());
    assert.equal(outcome.kind, 'forwarded');
  });

  test('an admitted device is answered by the lane, once recorded per collection, with one tag per transaction', async () => {
    h.admit();
    const first = await h.exchange(keepalive());
    assert.equal(first.kind, 'answered');
    const answer = response((first as { bytes: Buffer }).bytes);
    assert.equal(answer.status, 200);
    assert.equal(answer.headers.get('via'), 'SIP/2.0/UDP 192.168.6.71:5060;rport=' + h.clientPort + ';branch=z9hG4bK677047196;received=127.0.0.1');
    assert.equal(answer.headers.get('call-id'), '632317300@192.168.6.71');
    assert.equal(answer.headers.get('cseq'), '20 MESSAGE');
    assert.equal(answer.headers.get('user-agent'), USER_AGENT);
    assert.match(answer.headers.get('to') ?? '', /^<sip:34020000002000000010@192\.168\.6\.106:5062>;tag=\d+$/);
    // A retransmission gets the same answer; the next transaction another tag.
    const again = await h.exchange(keepalive());
    assert.equal(response((again as { bytes: Buffer }).bytes).headers.get('to'), answer.headers.get('to'));
    const next = await h.exchange(keepalive({ cseq: '21 MESSAGE', via: 'SIP/2.0/UDP 192.168.6.71:5060;rport;branch=z9hG4bK2' }));
    assert.notEqual(response((next as { bytes: Buffer }).bytes).headers.get('to'), answer.headers.get('to'));

    const seen = h.endpoint.takeSeen();
    assert.equal(seen.length, 1, 'one record per device however many keepalives');
    assert.equal(seen[0]?.deviceId, DEVICE_ID);
    assert.ok(Math.abs((seen[0]?.at ?? 0) - Date.now()) < 2000);
    assert.deepEqual(h.endpoint.takeSeen(), []);
    assert.ok(h.endpoint.stats().answered >= 3);
  });

  test('the lane answers only from the admitted address and port, before expiry, until revoked', async () => {
    h.admit(60_000, h.clientPort + 1 === 65536 ? 1 : h.clientPort + 1);
    assert.equal((await h.exchange(keepalive())).kind, 'forwarded', 'another port: the device moved, the stack decides');
    h.admit(-1);
    assert.equal((await h.exchange(keepalive())).kind, 'forwarded', 'expired registration');
    h.admit();
    assert.equal((await h.exchange(keepalive())).kind, 'answered');
    h.endpoint.revoke(DEVICE_ID);
    assert.equal((await h.exchange(keepalive())).kind, 'forwarded', 'revoked');
    // A keepalive answered before the revocation is still handed over.
    assert.equal(h.endpoint.takeSeen().length, 1);
  });

  test('a device the lane cannot hold is left to JavaScript, without an error', async () => {
    h.endpoint.admit('3402', { transport: 'udp', address: '127.0.0.1', port: h.clientPort }, Date.now() + 60_000);
    h.endpoint.admit(DEVICE_ID, { transport: 'udp', address: `fe80::1%${'x'.repeat(80)}`, port: h.clientPort }, Date.now() + 60_000);
    h.endpoint.admit(DEVICE_ID, { transport: 'tcp', address: '127.0.0.1', port: h.clientPort }, Date.now() + 60_000);
    assert.equal((await h.exchange(keepalive())).kind, 'forwarded');
  });

  test('other MESSAGEs of an admitted device go to JavaScript', async () => {
    h.admit();
    const catalog = keepalive({ body: `<?xml version="1.0"?>\n<Response>\n<CmdType>Catalog</CmdType>\n<SN>1</SN>\n<DeviceID>${DEVICE_ID}</DeviceID>\n<SumNum>0</SumNum>\n</Response>\n` });
    assert.equal((await h.exchange(catalog)).kind, 'forwarded');
    assert.equal((await h.exchange(keepalive({ to: '<sip:34020000002000000010@3402000000>;tag=9' }))).kind, 'forwarded', 'in-dialog');
    h.endpoint.revoke(DEVICE_ID);
  });

  test('an admission table of 30,000 devices answers each of them', async () => {
    const base = 34020000001320000000n;
    for (let i = 0; i < 30_000; i++) h.endpoint.admit(String(base + BigInt(i)), { transport: 'udp', address: '127.0.0.1', port: h.clientPort }, Date.now() + 60_000);
    for (let i = 0; i < 30_000; i += 3001) {
      const id = String(base + BigInt(i));
      const outcome = await h.exchange(keepalive({ from: `<sip:${id}@3402000000>;tag=1` }));
      assert.equal(outcome.kind, 'answered', id);
    }
    assert.equal(h.endpoint.stats().admitted, 30_000);
    for (let i = 0; i < 30_000; i++) h.endpoint.revoke(String(base + BigInt(i)));
    assert.equal(h.endpoint.stats().admitted, 0);
    assert.equal((await h.exchange(keepalive({ from: `<sip:${String(base + 7n)}@3402000000>;tag=1` }))).kind, 'forwarded');
    h.endpoint.takeSeen();
  });
});

describe('native SIP UDP endpoint delivery', () => {
  test('each datagram is its own callback, as with dgram: ticks and promise jobs run before the next', async () => {
    const addon = requireAddon();
    const log: string[] = [];
    const receiver = {
      receive: (bytes: Buffer) => {
        const k = bytes.toString();
        log.push(`cb ${k}`);
        process.nextTick(() => log.push(`tick ${k}`));
        void Promise.resolve()
          .then(() => undefined)
          .then(() => log.push(`chained ${k}`));
      },
    };
    const ep = NativeUdpEndpoint.bind(addon, { host: '127.0.0.1', port: 0, receiveBufferBytes: 65536, userAgent: '', logger: silentLogger(), receiver });
    const client = createSocket('udp4');
    try {
      // Sent in one burst, so that they are queued together and delivered in one wake.
      for (const k of ['a', 'b', 'c']) client.send(k, ep.port, '127.0.0.1');
      const deadline = Date.now() + 3000;
      while (log.length < 9 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      assert.deepEqual(log, ['cb a', 'tick a', 'chained a', 'cb b', 'tick b', 'chained b', 'cb c', 'tick c', 'chained c']);
    } finally {
      client.close();
      await ep.close();
    }
  });
});

describe('native SIP UDP endpoint under overload', () => {
  test('while JavaScript is stalled it queues up to 32 MiB, drops and counts the rest, and carries on', async () => {
    const h = await LaneHarness.open();
    try {
      await floodWhileBusy(h.endpoint.port);
      await new Promise((r) => setTimeout(r, 300));
      const { dropped, forwarded } = h.endpoint.stats();
      assert.ok(dropped > 0, `dropped ${dropped}, forwarded ${forwarded}`);
      assert.ok(forwarded * 60000 <= 33 * 1024 * 1024 + 60000 * 64, `forwarded ${forwarded}`);
      assert.equal(h.forwarded.length, forwarded, 'everything queued was delivered');
      assert.equal((await h.exchange(Buffer.from('still here'))).kind, 'forwarded');
    } finally {
      await h.close();
    }
  });
});

describe('native SIP UDP endpoint lifecycle', () => {
  test('over IPv6 it forwards, answers and sends', async (t) => {
    let h: LaneHarness;
    try {
      h = await LaneHarness.open('::1');
    } catch (err) {
      t.skip(`no IPv6 loopback here: ${String(err)}`);
      return;
    }
    try {
      assert.equal((await h.exchange(keepalive())).kind, 'forwarded');
      assert.equal(h.forwarded.at(-1)?.address, '::1');
      h.admit();
      const outcome = await h.exchange(keepalive());
      assert.equal(outcome.kind, 'answered');
      assert.match(response((outcome as { bytes: Buffer }).bytes).headers.get('via') ?? '', /;received=::1$/);
    } finally {
      await h.close();
    }
  });

  test('a taken port is refused with EADDRINUSE; after close the port is free again', async () => {
    const addon = requireAddon();
    const receiver = { receive: () => undefined };
    const a = NativeUdpEndpoint.bind(addon, { host: '127.0.0.1', port: 0, receiveBufferBytes: 65536, userAgent: '', logger: silentLogger(), receiver });
    assert.throws(
      () => NativeUdpEndpoint.bind(addon, { host: '127.0.0.1', port: a.port, receiveBufferBytes: 65536, userAgent: '', logger: silentLogger(), receiver }),
      (err: NodeJS.ErrnoException) => err.code === 'EADDRINUSE',
    );
    await a.close();
    await a.close(); // twice is harmless
    await a.send(Buffer.from('late'), '127.0.0.1', 9); // after close: logged, not thrown
    assert.deepEqual(a.takeSeen(), []);
    const b = NativeUdpEndpoint.bind(addon, { host: '127.0.0.1', port: a.port, receiveBufferBytes: 65536, userAgent: '', logger: silentLogger(), receiver });
    assert.equal(b.port, a.port);
    await b.close();
  });

  test('close stops the reader: nothing is handed over afterwards', async () => {
    const h = await LaneHarness.open();
    const port = h.endpoint.port;
    await h.endpoint.close();
    const probe = createSocket('udp4');
    await new Promise<void>((resolve) => probe.send(Buffer.from('after close'), port, '127.0.0.1', () => resolve()));
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(h.forwarded.length, 0);
    probe.close();
    await h.close();
  });
});
