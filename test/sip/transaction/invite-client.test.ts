import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { SipRequest, SipResponse } from '../../../src/sip/message/types';
import { SipTimeoutError } from '../../../src/sip/transaction';
import { RawUdpPeer, answer, both, branchOf, isRequest, makeRequest, sameCall, sleep, startNode, type TestNode } from './helpers';

const SDP = Buffer.from('v=0\r\no=34020000002000000001 0 0 IN IP4 127.0.0.1\r\ns=Play\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=video 30000 RTP/AVP 96\r\na=recvonly\r\na=rtpmap:96 PS/90000\r\ny=0100000001\r\n');

describe('INVITE client transactions against a device', () => {
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

  function inviteTo(): SipRequest {
    return makeRequest('INVITE', device.peer, { body: SDP, cseq: 20, headers: [['Content-Type', 'application/sdp']] });
  }

  test('a 200 to an INVITE is ACKed with a new branch, and a retransmitted 200 is ACKed again', async () => {
    const invite = inviteTo();
    const pending = platform.endpoint.invite(invite, device.peer);
    const got = await device.next<SipRequest>(both(sameCall(invite), isRequest('INVITE')));
    const contact = `sip:34020000001320000001@127.0.0.1:${device.port}`;
    await device.send(answer(got, 100), platform.peer('udp'));
    const ok = answer(got, 200, { toTag: '1504032660', body: SDP, headers: [['Contact', `<${contact}>`], ['Content-Type', 'application/sdp']] });
    await device.send(ok, platform.peer('udp'));

    const { response, dialog } = await pending;
    assert.equal(response.status, 200);
    assert.ok(dialog !== undefined);
    assert.equal(dialog.remoteTag, '1504032660');
    assert.equal(dialog.remoteTarget, contact);

    const ack = await device.next<SipRequest>(both(sameCall(invite), isRequest('ACK')));
    assert.equal(ack.uri, contact);
    assert.equal(ack.headers.get('cseq'), '20 ACK');
    assert.match(ack.headers.get('to') ?? '', /tag=1504032660/);
    assert.notEqual(branchOf(ack), branchOf(got));

    await device.send(ok, platform.peer('udp'));
    const again = await device.next<SipRequest>(both(sameCall(invite), isRequest('ACK')));
    assert.equal(branchOf(again), branchOf(ack));

    const bye = dialog.bye();
    const byeReq = await device.next<SipRequest>(both(sameCall(invite), isRequest('BYE')));
    assert.equal(byeReq.headers.get('cseq'), '21 BYE');
    assert.equal(byeReq.uri, contact);
    await device.send(answer(byeReq, 200), platform.peer('udp'));
    assert.equal((await bye).status, 200);
    assert.equal(dialog.closed, true);
    assert.equal(platform.endpoint.stats.dialogs, 0);
  });

  test('a 486 to an INVITE is ACKed by the transaction with the INVITE branch, again on retransmission', async () => {
    const invite = inviteTo();
    const pending = platform.endpoint.invite(invite, device.peer);
    const got = await device.next<SipRequest>(both(sameCall(invite), isRequest('INVITE')));
    const busy = answer(got, 486, { toTag: '99' });
    await device.send(busy, platform.peer('udp'));
    const { response, dialog } = await pending;
    assert.equal(response.status, 486);
    assert.equal(dialog, undefined);

    const ack = await device.next<SipRequest>(both(sameCall(invite), isRequest('ACK')));
    assert.equal(branchOf(ack), branchOf(got));
    assert.equal(ack.uri, got.uri);
    assert.equal(ack.headers.get('cseq'), '20 ACK');
    assert.match(ack.headers.get('to') ?? '', /tag=99/);
    assert.equal(ack.headers.getAll('via').length, 1);

    await device.send(busy, platform.peer('udp'));
    const again = await device.next<SipRequest>(both(sameCall(invite), isRequest('ACK')));
    assert.equal(branchOf(again), branchOf(got));
  });

  test('an INVITE answered only with 100 Trying times out, stops retransmitting after the 100, and is CANCELled', async () => {
    const invite = inviteTo();
    const pending = platform.endpoint.invite(invite, device.peer, { timeoutMs: 300 });
    const got = await device.next<SipRequest>(both(sameCall(invite), isRequest('INVITE')));
    await device.send(answer(got, 100), platform.peer('udp'));
    await sleep(100);
    const copiesAfterTrying = device.all(both(sameCall(invite), isRequest('INVITE'))).length;
    await assert.rejects(pending, SipTimeoutError);
    assert.equal(device.all(both(sameCall(invite), isRequest('INVITE'))).length, copiesAfterTrying, 'Timer A stops after a provisional');
    const cancel = await device.next<SipRequest>(both(sameCall(invite), isRequest('CANCEL')));
    assert.equal(branchOf(cancel), branchOf(got));
    assert.equal(cancel.headers.get('cseq'), '20 CANCEL');
    assert.equal(cancel.headers.getAll('via').length, 1);
    assert.equal(cancel.uri, got.uri);
    await device.send(answer(cancel, 200), platform.peer('udp'));
    // The INVITE still ends with 487, which the platform must ACK although nobody waits for it.
    await device.send(answer(got, 487, { toTag: '88' }), platform.peer('udp'));
    const ack = await device.next<SipRequest>(both(sameCall(invite), isRequest('ACK')));
    assert.equal(branchOf(ack), branchOf(got));
    assert.match(ack.headers.get('to') ?? '', /tag=88/);
  });

  test('with manualAck the caller sends the ACK, with its body', async () => {
    const invite = makeRequest('INVITE', device.peer, { cseq: 5 });
    const pending = platform.endpoint.invite(invite, device.peer, { manualAck: true });
    const got = await device.next<SipRequest>(both(sameCall(invite), isRequest('INVITE')));
    await device.send(answer(got, 200, { toTag: '7', body: SDP, headers: [['Contact', `<sip:dev@127.0.0.1:${device.port}>`]] }), platform.peer('udp'));
    const { dialog } = await pending;
    assert.ok(dialog !== undefined);
    await sleep(50);
    assert.equal(device.all(both(sameCall(invite), isRequest('ACK'))).length, 0);
    dialog.ack(SDP, [['Content-Type', 'application/sdp']]);
    const ack = await device.next<SipRequest>(both(sameCall(invite), isRequest('ACK')));
    assert.equal(ack.body.toString(), SDP.toString());
    assert.equal(ack.headers.get('cseq'), '5 ACK');
    dialog.close();
  });

  test('a 2xx for an INVITE nobody waits for any more is ACKed and hung up with BYE', async () => {
    const stray: SipResponse[] = [];
    const node = await startNode({ onStrayResponse: (r) => stray.push(r) });
    try {
      const late = makeRequest('INVITE', node.peer('udp'), { cseq: 3 });
      late.headers.prepend('via', `SIP/2.0/UDP 127.0.0.1:${node.peer('udp').port};branch=z9hG4bKgone`);
      const ok = answer(late, 200, { toTag: 'late1', headers: [['Contact', `<sip:dev@127.0.0.1:${device.port}>`]] });
      await device.send(ok, node.peer('udp'));
      const ack = await device.next<SipRequest>(both(sameCall(late), isRequest('ACK')));
      assert.equal(ack.headers.get('cseq'), '3 ACK');
      const bye = await device.next<SipRequest>(both(sameCall(late), isRequest('BYE')));
      assert.match(bye.headers.get('to') ?? '', /tag=late1/);
      await device.send(answer(bye, 200), node.peer('udp'));
      assert.equal(stray.length, 1);
    } finally {
      await node.close();
    }
  });
});
