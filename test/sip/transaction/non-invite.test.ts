import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequest, parseVia } from '../../../src/sip/message';
import type { SipRequest, SipResponse } from '../../../src/sip/message/types';
import { SipEndpointClosedError, SipTimeoutError } from '../../../src/sip/transaction';
import { RawUdpPeer, answer, both, branchOf, isRequest, isResponse, makeRequest, sameCall, sleep, startNode, type TestNode } from './helpers';

describe('non-INVITE transactions', () => {
  let platform: TestNode;
  let device: TestNode;
  let raw: RawUdpPeer;

  before(async () => {
    platform = await startNode({ userAgent: 'gbvms-test' });
    device = await startNode({
      onRequest: (request, ctx) => {
        if (request.method === 'MESSAGE') ctx.respond(200, 'OK', { body: Buffer.from('pong'), headers: [['Content-Type', 'text/plain']] });
      },
    });
    raw = await RawUdpPeer.open();
  });

  after(async () => {
    await platform.close();
    await device.close();
    await raw.close();
  });

  for (const transport of ['udp', 'tcp'] as const) {
    test(`a MESSAGE over ${transport.toUpperCase()} gets the final response the other side sent`, async () => {
      const before = device.requests.length;
      const response = await platform.endpoint.request(makeRequest('MESSAGE', device.peer(transport), { body: Buffer.from('ping') }), device.peer(transport));
      assert.equal(response.status, 200);
      assert.equal(response.body.toString(), 'pong');
      assert.equal(device.requests.length, before + 1);
      const { request: received, ctx } = device.requests.at(-1) as { request: SipRequest; ctx: { peer: { port: number } } };
      assert.equal(received.body.toString(), 'ping');
      const via = parseVia(received.headers.get('via') ?? '');
      assert.ok(via !== null);
      assert.equal(via.transport, transport.toUpperCase());
      assert.match(via.params.get('branch') ?? '', /^z9hG4bK/);
      // We asked for rport; the device side fills in where the request came from.
      assert.equal(via.params.get('rport'), String(ctx.peer.port));
      // UDP leaves from the listening socket; TCP from the connection's own ephemeral port.
      if (transport === 'udp') assert.equal(ctx.peer.port, platform.transport.localAddress('udp').port);
      assert.equal(received.headers.get('max-forwards'), '70');
      assert.equal(received.headers.get('user-agent'), 'gbvms-test');
    });
  }

  test('a provisional response is reported and the final one resolves the request', async () => {
    const seen: number[] = [];
    const request = makeRequest('MESSAGE', raw.peer);
    const pending = platform.endpoint.request(request, raw.peer, { onProvisional: (r) => seen.push(r.status) });
    const req = await raw.next<SipRequest>(sameCall(request));
    await raw.send(answer(req, 100), platform.peer('udp'));
    await raw.send(answer(req, 202), platform.peer('udp'));
    const response = await pending;
    assert.equal(response.status, 202);
    assert.deepEqual(seen, [100]);
  });

  test('over UDP an unanswered request is retransmitted, and retransmission stops once answered', async () => {
    const request = makeRequest('MESSAGE', raw.peer);
    const copiesOf = both(sameCall(request), isRequest('MESSAGE'));
    const pending = platform.endpoint.request(request, raw.peer);
    const first = await raw.next<SipRequest>(copiesOf);
    // T1 = 20 ms: copies at about 20, 60 and 140 ms.
    await raw.next(copiesOf, 1000);
    await raw.next(copiesOf, 1000);
    const copies = raw.all(copiesOf) as SipRequest[];
    assert.ok(copies.length >= 3, `expected retransmissions, got ${copies.length} copies`);
    for (const copy of copies) assert.equal(branchOf(copy), branchOf(first));
    await raw.send(answer(first, 200), platform.peer('udp'));
    assert.equal((await pending).status, 200);
    const countAtAnswer = raw.all(copiesOf).length;
    await sleep(250);
    assert.equal(raw.all(copiesOf).length, countAtAnswer, 'no retransmission after the final response');
  });

  test('a request nobody answers rejects with SipTimeoutError in bounded time', async () => {
    const timeouts: string[] = [];
    const node = await startNode({ metrics: { onMessage: () => {}, onTimeout: (m) => timeouts.push(m) } });
    try {
      const started = Date.now();
      await assert.rejects(node.endpoint.request(makeRequest('MESSAGE', raw.peer), raw.peer, { timeoutMs: 200 }), (err: unknown) => {
        assert.ok(err instanceof SipTimeoutError);
        assert.equal(err.method, 'MESSAGE');
        assert.deepEqual(err.peer, raw.peer);
        return true;
      });
      const elapsed = Date.now() - started;
      assert.ok(elapsed >= 190 && elapsed < 1000, `timed out after ${elapsed} ms`);
      assert.deepEqual(timeouts, ['MESSAGE']);
      assert.equal(node.endpoint.stats.clientTransactions, 0);
    } finally {
      await node.close();
    }
  });

  test('Timer F defaults to 64*T1', async () => {
    const node = await startNode({ timers: { t1Ms: 5, t2Ms: 20 } });
    try {
      const started = Date.now();
      await assert.rejects(node.endpoint.request(makeRequest('OPTIONS', raw.peer), raw.peer), SipTimeoutError);
      const elapsed = Date.now() - started;
      assert.ok(elapsed >= 310 && elapsed < 1500, `timed out after ${elapsed} ms (64*T1 = 320)`);
    } finally {
      await node.close();
    }
  });

  test('a retransmitted request is absorbed: the handler runs once and the same response is sent again', async () => {
    const request = makeRequest('MESSAGE', device.peer('udp'));
    request.headers.prepend('via', `SIP/2.0/UDP 127.0.0.1:${raw.port};rport;branch=z9hG4bKretrans1`);
    const before = device.requests.length;
    await raw.send(request, device.peer('udp'));
    const first = await raw.next<SipResponse>(sameCall(request));
    await raw.send(request, device.peer('udp'));
    const second = await raw.next<SipResponse>(sameCall(request));
    assert.equal(first.status, 200);
    assert.equal(second.status, 200);
    assert.equal(device.requests.length, before + 1, 'handler called once');
    assert.equal(second.headers.get('to'), first.headers.get('to'), 'same To tag');
    assert.equal(second.body.toString(), 'pong');
  });

  test('an RFC 2543 request without the magic cookie is matched by Call-ID, CSeq and From tag', async () => {
    const request = makeRequest('MESSAGE', device.peer('udp'));
    request.headers.prepend('via', `SIP/2.0/UDP 127.0.0.1:${raw.port}`);
    const before = device.requests.length;
    await raw.send(request, device.peer('udp'));
    await raw.next(sameCall(request));
    await raw.send(request, device.peer('udp'));
    await raw.next(sameCall(request));
    assert.equal(device.requests.length, before + 1);
  });

  test('firmware that reuses one branch for every request still has each new request delivered', async () => {
    const before = device.requests.length;
    for (let seq = 1; seq <= 3; seq++) {
      const request = makeRequest('MESSAGE', device.peer('udp'), { cseq: seq, callId: 'constant-branch' });
      request.headers.prepend('via', `SIP/2.0/UDP 192.168.1.64:5060;rport;branch=z9hG4bK1`);
      await raw.send(request, device.peer('udp'));
      const response = await raw.next<SipResponse>(both(sameCall(request), (m) => m.headers.get('cseq') === `${seq} MESSAGE`));
      assert.equal(response.status, 200);
    }
    assert.equal(device.requests.length, before + 3);
  });

  test('2000 requests, 50 in flight, are all answered and every transaction and timer is freed afterwards', async () => {
    // Timer J (= Timer F here) outlives the client's retransmissions, as RFC 3261 requires.
    const timers = { t1Ms: 20, t2Ms: 80, t4Ms: 30, timeoutMs: 600 };
    const server = await startNode({ timers, onRequest: (_r, ctx) => ctx.respond(200) });
    const client = await startNode({ timers });
    try {
      const to = server.peer('udp');
      let next = 0;
      let ok = 0;
      // Both endpoints share this process, so a synchronous burst of thousands would only overflow
      // the receiving socket before it gets a turn to read; a window keeps the test about the endpoint.
      const worker = async (): Promise<void> => {
        while (next < 2000) {
          next++;
          const response = await client.endpoint.request(makeRequest('MESSAGE', to), to);
          if (response.status === 200) ok++;
        }
      };
      await Promise.all(Array.from({ length: 50 }, worker));
      assert.equal(ok, 2000);
      assert.equal(server.requests.length, 2000);
      await sleep(700);
      assert.deepEqual(client.endpoint.stats, { clientTransactions: 0, serverTransactions: 0, dialogs: 0 });
      assert.deepEqual(server.endpoint.stats, { clientTransactions: 0, serverTransactions: 0, dialogs: 0 });
      assert.equal(client.endpoint.wheel.size, 0);
      assert.equal(server.endpoint.wheel.size, 0);
    } finally {
      await client.close();
      await server.close();
    }
  });

  test('the response goes to the source address and port when the Via names another (NAT)', async () => {
    const register = createRequest({
      method: 'REGISTER',
      uri: 'sip:34020000002000000001@3402000000',
      headers: [
        ['Via', 'SIP/2.0/UDP 10.1.2.3:5060;rport;branch=z9hG4bKnat1'],
        ['From', '<sip:34020000001320000001@3402000000>;tag=111'],
        ['To', '<sip:34020000001320000001@3402000000>'],
        ['Call-ID', 'nat-test-1'],
        ['CSeq', '1 REGISTER'],
        ['Contact', '<sip:34020000001320000001@10.1.2.3:5060>'],
        ['Expires', '3600'],
      ],
    });
    const node = await startNode({ onRequest: (_r, ctx) => ctx.respond(200) });
    try {
      await raw.send(register, node.peer('udp'));
      const response = await raw.next<SipResponse>(isResponse(200, 'REGISTER'));
      const via = parseVia(response.headers.get('via') ?? '');
      assert.ok(via !== null);
      assert.equal(via.host, '10.1.2.3');
      assert.equal(via.params.get('received'), '127.0.0.1');
      assert.equal(via.params.get('rport'), String(raw.port));
      assert.equal(node.requests[0]?.ctx.peer.port, raw.port);
    } finally {
      await node.close();
    }
  });

  test('the first final response wins; later ones are ignored', async () => {
    const node = await startNode({
      onRequest: (_r, ctx) => {
        ctx.respond(200);
        ctx.respond(500);
      },
    });
    try {
      const request = makeRequest('MESSAGE', node.peer('udp'));
      request.headers.prepend('via', `SIP/2.0/UDP 127.0.0.1:${raw.port};rport;branch=z9hG4bKfirstwins`);
      await raw.send(request, node.peer('udp'));
      await raw.next(both(sameCall(request), isResponse(200)));
      await sleep(60);
      assert.equal(raw.all(sameCall(request)).length, 1);
      assert.equal(node.requests[0]?.ctx.responded, true);
    } finally {
      await node.close();
    }
  });

  test('a handler that throws yields a 500', async () => {
    const node = await startNode({
      onRequest: () => {
        throw new Error('boom');
      },
    });
    try {
      const response = await platform.endpoint.request(makeRequest('MESSAGE', node.peer('udp')), node.peer('udp'));
      assert.equal(response.status, 500);
    } finally {
      await node.close();
    }
  });

  test('a send failure rejects with the underlying error', async () => {
    // Nothing listens on this TCP port (the raw peer only has a UDP socket bound).
    const closedPort = { transport: 'tcp' as const, address: '127.0.0.1', port: raw.port };
    await assert.rejects(platform.endpoint.request(makeRequest('MESSAGE', closedPort), closedPort), (err: unknown) => {
      assert.ok(err instanceof Error);
      assert.ok(!(err instanceof SipTimeoutError));
      return true;
    });
  });

  test('close() rejects pending requests and later requests, and is idempotent', async () => {
    const node = await startNode();
    const request = makeRequest('MESSAGE', raw.peer);
    const pending = node.endpoint.request(request, raw.peer);
    await raw.next(sameCall(request));
    const started = Date.now();
    await node.endpoint.close();
    await assert.rejects(pending, SipEndpointClosedError);
    assert.ok(Date.now() - started < 200);
    await assert.rejects(node.endpoint.request(makeRequest('MESSAGE', raw.peer), raw.peer), SipEndpointClosedError);
    await node.endpoint.close();
    assert.equal(node.endpoint.wheel.size, 0);
    await node.close();
  });
});
