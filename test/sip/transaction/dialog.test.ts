import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createRequest } from '../../../src/sip/message';
import type { SipMessage, SipRequest, SipResponse } from '../../../src/sip/message/types';
import { SipDialogClosedError, type Dialog } from '../../../src/sip/transaction';
import { RawUdpPeer, answer, both, isRequest, isResponse, makeRequest, sameCall, startNode, type TestNode } from './helpers';

const SDP = Buffer.from('v=0\r\ns=Play\r\nm=video 30000 RTP/AVP 96\r\n');

describe('dialogs between two endpoints', () => {
  let platform: TestNode;
  let device: TestNode;
  const deviceDialogs: Dialog[] = [];
  const acks: SipRequest[] = [];

  before(async () => {
    platform = await startNode();
    device = await startNode({
      onRequest: (request, ctx) => {
        if (request.method !== 'INVITE') return ctx.respond(405);
        const dialog = device.endpoint.createServerDialog(request, ctx);
        dialog.on('ack', (ack) => acks.push(ack));
        deviceDialogs.push(dialog);
        ctx.respond(200, 'OK', { body: SDP, headers: [['Content-Type', 'application/sdp']] });
      },
    });
  });

  after(async () => {
    await platform.close();
    await device.close();
  });

  for (const transport of ['udp', 'tcp'] as const) {
    test(`over ${transport.toUpperCase()}: INVITE, ACK, in-dialog INFO, and a BYE from the device closes the platform's dialog`, async () => {
      const to = device.peer(transport);
      const { response, dialog } = await platform.endpoint.invite(makeRequest('INVITE', to, { body: SDP, cseq: 1 }), to);
      assert.equal(response.status, 200);
      assert.ok(dialog !== undefined);
      assert.match(response.headers.get('contact') ?? '', /^<sip:34020000001320000001@127\.0\.0\.1:\d+/);
      const remote = deviceDialogs.at(-1) as Dialog;
      assert.equal(remote.callId, dialog.callId);
      assert.equal(remote.localTag, dialog.remoteTag);
      assert.equal(remote.remoteTag, dialog.localTag);

      // The device's dialog sees our ACK for its 2xx.
      if (!acks.some((a) => a.headers.get('call-id') === dialog.callId)) await once(remote, 'ack');

      const infos: SipRequest[] = [];
      remote.on('request', (request, ctx) => {
        infos.push(request);
        if (request.method === 'INFO') ctx.respond(200, 'OK', { body: Buffer.from(`RTSP/1.0 200 OK\r\nCSeq: ${infos.length}\r\n\r\n`) });
      });
      const body = Buffer.from('PLAY RTSP/1.0\r\nCSeq: 1\r\nScale: 2.0\r\n\r\n');
      const first = await dialog.request('INFO', { headers: [['Content-Type', 'Application/MANSRTSP']], body });
      assert.equal(first.status, 200);
      assert.match(first.body.toString(), /^RTSP\/1\.0 200 OK/);
      const second = await dialog.request('INFO', { headers: [['Content-Type', 'Application/MANSRTSP']], body });
      assert.equal(second.status, 200);
      assert.deepEqual(
        infos.map((r) => r.headers.get('cseq')),
        ['2 INFO', '3 INFO'],
      );
      assert.equal(infos[0]?.body.toString(), body.toString());

      const closed = once(dialog, 'closed');
      const bye = await remote.bye();
      assert.equal(bye.status, 200);
      await closed;
      assert.equal(dialog.closed, true);
      assert.equal(remote.closed, true);
      await assert.rejects(dialog.request('INFO'), SipDialogClosedError);
      assert.equal(platform.endpoint.stats.dialogs, 0);
      assert.equal(device.endpoint.stats.dialogs, 0);
    });
  }

  test('a BYE for a dialog nobody knows gets 481', async () => {
    const raw = await RawUdpPeer.open();
    try {
      const bye = createRequest({
        method: 'BYE',
        uri: `sip:34020000001320000001@127.0.0.1:${device.peer('udp').port}`,
        headers: [
          ['Via', `SIP/2.0/UDP 127.0.0.1:${raw.port};rport;branch=z9hG4bKunknown1`],
          ['From', '<sip:34020000002000000001@3402000000>;tag=1'],
          ['To', '<sip:34020000001320000001@3402000000>;tag=2'],
          ['Call-ID', 'no-such-dialog'],
          ['CSeq', '21 BYE'],
        ],
      });
      await raw.send(bye, device.peer('udp'));
      const response = await raw.next<SipResponse>(sameCall(bye));
      assert.equal(response.status, 481);
    } finally {
      await raw.close();
    }
  });

  test('a MESSAGE carrying a stray To tag is still served out of dialog', async () => {
    const message = makeRequest('MESSAGE', device.peer('udp'));
    message.headers.set('to', `${message.headers.get('to') ?? ''};tag=123`);
    const response = await platform.endpoint.request(message, device.peer('udp'));
    assert.equal(response.status, 405);
  });
});

describe('SUBSCRIBE dialogs', () => {
  let platform: TestNode;
  let device: RawUdpPeer;

  before(async () => {
    platform = await startNode();
    device = await RawUdpPeer.open();
  });

  after(async () => {
    await platform.close();
    await device.close();
  });

  function notifyFor(subscribe: SipRequest, notifierTag: string, cseq: number, state: string): SipRequest {
    return createRequest({
      method: 'NOTIFY',
      uri: 'sip:34020000002000000001@127.0.0.1',
      headers: [
        ['Via', `SIP/2.0/UDP 127.0.0.1:${device.port};rport;branch=z9hG4bKn${cseq}${notifierTag}`],
        ['From', `${subscribe.headers.get('to') ?? ''};tag=${notifierTag}`],
        ['To', subscribe.headers.get('from') ?? ''],
        ['Call-ID', subscribe.headers.get('call-id') ?? ''],
        ['CSeq', `${cseq} NOTIFY`],
        ['Event', 'Catalog'],
        ['Subscription-State', state],
        ['Contact', `<sip:34020000001320000001@127.0.0.1:${device.port}>`],
        ['Content-Type', 'Application/MANSCDP+xml'],
      ],
      body: Buffer.from(`<?xml version="1.0"?><Notify><CmdType>Catalog</CmdType><SN>${cseq}</SN></Notify>`),
    });
  }

  test('a NOTIFY that arrives before the 200 to the SUBSCRIBE reaches the dialog', async () => {
    const subscribe = makeRequest('SUBSCRIBE', device.peer, { headers: [['Event', 'Catalog'], ['Expires', '3600']] });
    const pending = platform.endpoint.subscribe(subscribe, device.peer);
    const got = await device.next<SipRequest>(both(sameCall(subscribe), isRequest('SUBSCRIBE')));

    await device.send(notifyFor(got, '555', 1, 'active;expires=3600'), platform.peer('udp'));
    await device.send(answer(got, 200, { toTag: '555', headers: [['Expires', '3600']] }), platform.peer('udp'));
    const { response, dialog } = await pending;
    assert.equal(response.status, 200);
    assert.ok(dialog !== undefined);
    const notifies: SipRequest[] = [];
    dialog.on('request', (request, ctx) => {
      notifies.push(request);
      ctx.respond(200);
    });
    const firstOk = await device.next<SipResponse>(both(sameCall(got), isResponse(200, 'NOTIFY')));
    assert.match(firstOk.headers.get('cseq') ?? '', /^1 /);
    assert.equal(notifies.length, 1, 'the early NOTIFY was held for the listener');

    await device.send(notifyFor(got, '555', 2, 'terminated;reason=timeout'), platform.peer('udp'));
    await device.next(both(sameCall(got), isResponse(200, 'NOTIFY')));
    assert.equal(notifies.length, 2);
    assert.equal(dialog.closed, true, 'a terminating NOTIFY ends the subscription');
  });

  test('refresh and unsubscribe go inside the dialog with growing CSeq', async () => {
    const subscribe = makeRequest('SUBSCRIBE', device.peer, { cseq: 10, headers: [['Event', 'Catalog'], ['Expires', '3600']] });
    const pending = platform.endpoint.subscribe(subscribe, device.peer);
    const got = await device.next<SipRequest>(both(sameCall(subscribe), isRequest('SUBSCRIBE')));
    await device.send(answer(got, 200, { toTag: '777', headers: [['Contact', `<sip:dev@127.0.0.1:${device.port}>`]] }), platform.peer('udp'));
    const { dialog } = await pending;
    assert.ok(dialog !== undefined);

    const refresh = dialog.request('SUBSCRIBE', { headers: [['Event', 'Catalog'], ['Expires', '3600']] });
    // Under load the initial SUBSCRIBE may be retransmitted before our 200 lands: skip CSeq 10.
    const notInitial = (m: SipMessage) => m.headers.get('cseq') !== '10 SUBSCRIBE';
    const refreshReq = await device.next<SipRequest>(both(both(sameCall(got), isRequest('SUBSCRIBE')), notInitial));
    assert.equal(refreshReq.headers.get('cseq'), '11 SUBSCRIBE');
    assert.match(refreshReq.headers.get('to') ?? '', /tag=777/);
    await device.send(answer(refreshReq, 200), platform.peer('udp'));
    assert.equal((await refresh).status, 200);

    const unsubscribe = dialog.bye();
    const unsubReq = await device.next<SipRequest>(both(sameCall(got), isRequest('SUBSCRIBE')));
    assert.equal(unsubReq.headers.get('expires'), '0');
    assert.equal(unsubReq.headers.get('event'), 'Catalog');
    assert.equal(unsubReq.headers.get('cseq'), '12 SUBSCRIBE');
    await device.send(answer(unsubReq, 200), platform.peer('udp'));
    assert.equal((await unsubscribe).status, 200);
    assert.equal(dialog.closed, true);
  });
});
