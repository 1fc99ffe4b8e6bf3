import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequest } from '../../../src/sip/message';
import type { SipRequest, SipResponse } from '../../../src/sip/message/types';
import type { Dialog, ServerTransactionContext } from '../../../src/sip/transaction';
import { cancelFor } from '../../../src/sip/transaction/ack-cancel';
import { RawUdpPeer, both, isResponse, sameCall, sleep, startNode, type TestNode } from './helpers';

/** The raw socket plays an upper platform (or a misbehaving one) that INVITEs our node. */
describe('INVITE server transactions', () => {
  let node: TestNode;
  let caller: RawUdpPeer;
  let handle: (request: SipRequest, ctx: ServerTransactionContext) => void = () => {};

  before(async () => {
    node = await startNode({ onRequest: (request, ctx) => handle(request, ctx) });
    caller = await RawUdpPeer.open();
  });

  after(async () => {
    await node.close();
    await caller.close();
  });

  let n = 0;
  function invite(): SipRequest {
    n++;
    return createRequest({
      method: 'INVITE',
      uri: `sip:34020000001320000001@127.0.0.1:${node.peer('udp').port}`,
      headers: [
        ['Via', `SIP/2.0/UDP 127.0.0.1:${caller.port};rport;branch=z9hG4bKinv${n}x${Date.now()}`],
        ['From', `<sip:44010000002000000001@4401000000>;tag=up${n}`],
        ['To', '<sip:34020000001320000001@3402000000>'],
        ['Call-ID', `inv-${n}-${Date.now()}`],
        ['CSeq', '1 INVITE'],
        ['Contact', `<sip:44010000002000000001@127.0.0.1:${caller.port}>`],
        ['Content-Type', 'application/sdp'],
      ],
      body: Buffer.from('v=0\r\ns=Play\r\n'),
    });
  }

  function ackFor(req: SipRequest, response: SipResponse, branch: string): SipRequest {
    return createRequest({
      method: 'ACK',
      uri: req.uri,
      headers: [
        ['Via', `SIP/2.0/UDP 127.0.0.1:${caller.port};rport;branch=${branch}`],
        ['From', req.headers.get('from') ?? ''],
        ['To', response.headers.get('to') ?? ''],
        ['Call-ID', req.headers.get('call-id') ?? ''],
        ['CSeq', '1 ACK'],
      ],
    });
  }

  test('an INVITE gets 100 Trying at once, and its retransmission gets it again without a second handler call', async () => {
    let calls = 0;
    let held: ServerTransactionContext | null = null;
    handle = (_r, ctx) => {
      calls++;
      held = ctx;
    };
    const req = invite();
    await caller.send(req, node.peer('udp'));
    await caller.next(both(sameCall(req), isResponse(100)));
    await caller.send(req, node.peer('udp'));
    await caller.next(both(sameCall(req), isResponse(100)));
    assert.equal(calls, 1);
    (held as ServerTransactionContext | null)?.respond(480);
  });

  test('a 2xx is retransmitted until the ACK (with its own branch) arrives, which reaches the dialog', async () => {
    let dialog: Dialog | null = null;
    const acks: SipRequest[] = [];
    handle = (request, ctx) => {
      dialog = node.endpoint.createServerDialog(request, ctx);
      dialog.on('ack', (a) => acks.push(a));
      ctx.respond(200, 'OK', { body: Buffer.from('v=0\r\n'), headers: [['Content-Type', 'application/sdp']] });
    };
    const req = invite();
    await caller.send(req, node.peer('udp'));
    const ok = await caller.next<SipResponse>(both(sameCall(req), isResponse(200)));
    await caller.next(both(sameCall(req), isResponse(200)), 500);
    await caller.next(both(sameCall(req), isResponse(200)), 500);
    assert.match(ok.headers.get('contact') ?? '', /^<sip:34020000001320000001@127\.0\.0\.1:\d+>$/);
    const toTag = /tag=([^;]+)/.exec(ok.headers.get('to') ?? '')?.[1];
    assert.equal(toTag, (dialog as Dialog | null)?.localTag);

    await caller.send(ackFor(req, ok, 'z9hG4bKack2xx'), node.peer('udp'));
    await sleep(30);
    assert.equal(acks.length, 1);
    const count = caller.all(both(sameCall(req), isResponse(200))).length;
    await sleep(200);
    assert.equal(caller.all(both(sameCall(req), isResponse(200))).length, count, 'no 2xx retransmission after the ACK');
    (dialog as Dialog | null)?.close();
  });

  test('a non-2xx final is retransmitted (Timer G) until the ACK with the same branch', async () => {
    handle = (_r, ctx) => ctx.respond(486);
    const req = invite();
    await caller.send(req, node.peer('udp'));
    const busy = await caller.next<SipResponse>(both(sameCall(req), isResponse(486)));
    await caller.next(both(sameCall(req), isResponse(486)), 500);
    const branch = /branch=([^;]+)/.exec(req.headers.get('via') ?? '')?.[1] ?? '';
    await caller.send(ackFor(req, busy, branch), node.peer('udp'));
    await sleep(30);
    const count = caller.all(both(sameCall(req), isResponse(486))).length;
    await sleep(200);
    assert.equal(caller.all(both(sameCall(req), isResponse(486))).length, count);
    assert.equal(node.requests.filter((r) => r.request.method === 'ACK').length, 0, 'ACKs never reach onRequest');
  });

  test('a CANCEL gets 200, the INVITE gets 487, and the application is told', async () => {
    let cancelled = false;
    let ctxSeen: ServerTransactionContext | null = null;
    handle = (_r, ctx) => {
      ctxSeen = ctx;
      ctx.onCancel = () => {
        cancelled = true;
      };
    };
    const req = invite();
    await caller.send(req, node.peer('udp'));
    await caller.next(both(sameCall(req), isResponse(100)));
    const cancel = cancelFor(req);
    await caller.send(cancel, node.peer('udp'));
    await caller.next(both(sameCall(req), isResponse(200, 'CANCEL')));
    await caller.next(both(sameCall(req), isResponse(487, 'INVITE')));
    assert.equal(cancelled, true);
    assert.equal((ctxSeen as ServerTransactionContext | null)?.cancelled, true);
  });

  test('a CANCEL that matches no INVITE gets 481', async () => {
    const req = invite();
    const cancel = cancelFor(req);
    await caller.send(cancel, node.peer('udp'));
    await caller.next(both(sameCall(req), isResponse(481, 'CANCEL')));
  });
});
