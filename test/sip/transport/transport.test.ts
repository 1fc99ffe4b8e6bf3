import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import net from 'node:net';
import { once } from 'node:events';
import { silentLogger } from '../../../src/logger';
import {
  createResponse, parseSipMessage, serializeSipMessage, SipStreamFramer, type SipMessage, type SipParseError, type SipRequest,
} from '../../../src/sip/message';
import { createSipTransport, type InboundSipMessage, type NodeSipTransport, type SipPeer } from '../../../src/sip/transport';

function message(callId: string, method = 'MESSAGE', body = '<Notify><CmdType>Keepalive</CmdType></Notify>\n'): Buffer {
  return Buffer.from(
    `${method} sip:34020000002000000001@3402000000 SIP/2.0\r\n` +
      'Via: SIP/2.0/TCP 127.0.0.1:5060;rport;branch=z9hG4bK1\r\n' +
      'From: <sip:34020000001320000001@3402000000>;tag=1\r\n' +
      'To: <sip:34020000002000000001@3402000000>\r\n' +
      `Call-ID: ${callId}\r\n` +
      `CSeq: 1 ${method}\r\n` +
      'Content-Type: Application/MANSCDP+xml\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}

/** Collects what the transport delivers and lets a test wait for the n-th message. */
class Inbox {
  readonly messages: InboundSipMessage[] = [];
  readonly errors: Array<{ error: SipParseError; peer: SipPeer }> = [];
  private waiters: Array<() => void> = [];
  push = (m: InboundSipMessage): void => {
    this.messages.push(m);
    for (const w of this.waiters.splice(0)) w();
  };
  error = (error: SipParseError, peer: SipPeer): void => {
    this.errors.push({ error, peer });
    for (const w of this.waiters.splice(0)) w();
  };
  async until(predicate: () => boolean, what: string, ms = 2000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!predicate()) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(left, 50));
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }
  callIds(): string[] {
    return this.messages.map((m) => m.message.headers.get('call-id') ?? '');
  }
}

/** Reads SIP messages from a client socket. */
function reader(socket: net.Socket): { messages: SipMessage[]; next(): Promise<SipMessage> } {
  const framer = new SipStreamFramer();
  const messages: SipMessage[] = [];
  let wake: (() => void) | null = null;
  socket.on('data', (chunk: Buffer) => {
    for (const r of framer.push(chunk)) if (r.ok) messages.push(r.message);
    wake?.();
  });
  let taken = 0;
  return {
    messages,
    async next() {
      const deadline = Date.now() + 2000;
      while (messages.length <= taken) {
        if (Date.now() > deadline) throw new Error('no message from server');
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, 50);
        });
      }
      return messages[taken++] as SipMessage;
    },
  };
}

/** Bounds a wait so a lost datagram fails the test instead of hanging it. */
function within<T>(promise: Promise<T>, what: string, ms = 2000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

async function connect(port: number): Promise<net.Socket> {
  const socket = net.connect({ host: '127.0.0.1', port });
  await once(socket, 'connect');
  return socket;
}

void describe('SIP transport on 127.0.0.1', () => {
  const inbox = new Inbox();
  let transport: NodeSipTransport;
  let port: number;
  const clients: Array<net.Socket | dgram.Socket | net.Server> = [];

  before(async () => {
    transport = await createSipTransport({
      host: '127.0.0.1',
      port: 0,
      logger: silentLogger(),
      maxMessageSize: 4096,
      onMessage: inbox.push,
      onParseError: inbox.error,
    });
    port = transport.localAddress('udp').port;
  });

  after(async () => {
    for (const c of clients) {
      if (c instanceof net.Socket) c.destroy();
      else if (c instanceof net.Server) c.close();
      else c.close();
    }
    await transport.close();
  });

  void test('port 0 binds UDP and TCP on the same ephemeral port', () => {
    assert.ok(port > 0);
    assert.equal(transport.localAddress('tcp').port, port);
    assert.equal(transport.localAddress('udp').host, '127.0.0.1');
  });

  void test('a UDP datagram is received and answered to its source', async () => {
    const client = dgram.createSocket('udp4');
    clients.push(client);
    await new Promise<void>((resolve) => client.bind(0, '127.0.0.1', resolve));
    const answer = once(client, 'message');
    client.send(Buffer.from('\r\n\r\n'), port, '127.0.0.1'); // keep-alive, ignored
    client.send(message('udp-1'), port, '127.0.0.1');
    await inbox.until(() => inbox.callIds().includes('udp-1'), 'udp-1');
    const inbound = inbox.messages.find((m) => m.message.headers.get('call-id') === 'udp-1') as InboundSipMessage;
    assert.deepEqual(inbound.peer, { transport: 'udp', address: '127.0.0.1', port: client.address().port });
    assert.equal(inbound.size, message('udp-1').length);
    await transport.send(createResponse(inbound.message as SipRequest, 200), inbound.peer);
    const [datagram] = (await within(answer, 'the answer datagram')) as [Buffer];
    const parsed = parseSipMessage(datagram);
    assert.ok(parsed.ok && parsed.message.type === 'response' && parsed.message.status === 200);
    assert.equal(parsed.message.headers.get('call-id'), 'udp-1');
  });

  void test('UDP sends to a host name as well as to IP literals (literals skip the DNS lookup)', async () => {
    const client = dgram.createSocket('udp4');
    clients.push(client);
    await new Promise<void>((resolve) => client.bind(0, '127.0.0.1', resolve));
    const clientPort = client.address().port;
    const first = once(client, 'message');
    await transport.sendBytes(message('to-localhost'), { transport: 'udp', address: 'localhost', port: clientPort });
    const [byName] = (await within(first, 'the datagram sent to localhost')) as [Buffer];
    assert.match(byName.toString(), /to-localhost/);
    const second = once(client, 'message');
    await transport.sendBytes(message('to-literal'), { transport: 'udp', address: '127.0.0.1', port: clientPort });
    const [byLiteral] = (await within(second, 'the datagram sent to 127.0.0.1')) as [Buffer];
    assert.match(byLiteral.toString(), /to-literal/);
  });

  void test('a bad UDP datagram is reported to onParseError and the socket keeps serving', async () => {
    const client = dgram.createSocket('udp4');
    clients.push(client);
    await new Promise<void>((resolve) => client.bind(0, '127.0.0.1', resolve));
    const before = inbox.errors.length;
    client.send(Buffer.from('HELLO WORLD\r\n\r\n'), port, '127.0.0.1');
    client.send(Buffer.alloc(5000, 0x41), port, '127.0.0.1');
    await inbox.until(() => inbox.errors.length >= before + 2, 'two parse errors');
    assert.deepEqual(inbox.errors.slice(before).map((e) => e.error.code).sort(), ['bad-start-line', 'too-large']);
    client.send(message('udp-after-garbage'), port, '127.0.0.1');
    await inbox.until(() => inbox.callIds().includes('udp-after-garbage'), 'udp-after-garbage');
  });

  void test('TCP: two messages in one write, then one message across several writes', async () => {
    const socket = await connect(port);
    clients.push(socket);
    socket.write(Buffer.concat([message('tcp-a'), Buffer.from('\r\n\r\n'), message('tcp-b')]));
    await inbox.until(() => inbox.callIds().includes('tcp-b'), 'tcp-b');
    const whole = message('tcp-c');
    for (let i = 0; i < whole.length; i += 17) {
      socket.write(whole.subarray(i, i + 17));
      await new Promise((r) => setTimeout(r, 1));
    }
    await inbox.until(() => inbox.callIds().includes('tcp-c'), 'tcp-c');
    const ids = inbox.callIds().filter((id) => id.startsWith('tcp-'));
    assert.deepEqual(ids.slice(0, 3), ['tcp-a', 'tcp-b', 'tcp-c']);
    const c = inbox.messages.find((m) => m.message.headers.get('call-id') === 'tcp-c') as InboundSipMessage;
    assert.equal(c.peer.transport, 'tcp');
    assert.equal(c.peer.port, socket.localPort);
    assert.equal(c.size, whole.length);
  });

  void test('the server sends to a TCP peer over the connection the peer opened', async () => {
    const socket = await connect(port);
    clients.push(socket);
    const fromServer = reader(socket);
    socket.write(message('tcp-reuse', 'REGISTER'));
    await inbox.until(() => inbox.callIds().includes('tcp-reuse'), 'tcp-reuse');
    const inbound = inbox.messages.find((m) => m.message.headers.get('call-id') === 'tcp-reuse') as InboundSipMessage;
    const connectionsBefore = transport.tcpConnectionCount;
    await transport.send(createResponse(inbound.message as SipRequest, 200), inbound.peer);
    const answer = await fromServer.next();
    assert.ok(answer.type === 'response' && answer.status === 200);
    assert.equal(answer.headers.get('call-id'), 'tcp-reuse');
    assert.equal(transport.tcpConnectionCount, connectionsBefore, 'no new connection was opened');
  });

  void test('an outgoing TCP connection is opened when none exists, and answers come back on it', async () => {
    const accepted: net.Socket[] = [];
    const device = net.createServer((s) => accepted.push(s));
    clients.push(device);
    device.listen(0, '127.0.0.1');
    await once(device, 'listening');
    const devicePort = (device.address() as net.AddressInfo).port;
    const request = parseSipMessage(message('out-1'));
    assert.ok(request.ok);
    await transport.send(request.message, { transport: 'tcp', address: '127.0.0.1', port: devicePort });
    await transport.send(request.message, { transport: 'tcp', address: '127.0.0.1', port: devicePort });
    assert.equal(accepted.length, 1, 'the second send reused the connection');
    const side = accepted[0] as net.Socket;
    clients.push(side);
    const fromPlatform = reader(side);
    const got = await fromPlatform.next();
    await fromPlatform.next();
    assert.equal(got.headers.get('call-id'), 'out-1');
    side.write(serializeSipMessage(createResponse(got as SipRequest, 200)));
    await inbox.until(() => inbox.messages.some((m) => m.message.type === 'response' && m.peer.port === devicePort), 'answer on the outgoing connection');
    const answer = inbox.messages.find((m) => m.peer.port === devicePort) as InboundSipMessage;
    assert.deepEqual(answer.peer, { transport: 'tcp', address: '127.0.0.1', port: devicePort });
  });

  void test('TCP send to a closed port rejects instead of crashing', async () => {
    const probe = net.createServer();
    probe.listen(0, '127.0.0.1');
    await once(probe, 'listening');
    const closedPort = (probe.address() as net.AddressInfo).port;
    await new Promise((r) => probe.close(r));
    const request = parseSipMessage(message('nobody'));
    assert.ok(request.ok);
    await assert.rejects(transport.send(request.message, { transport: 'tcp', address: '127.0.0.1', port: closedPort }));
  });

  void test('a garbage TCP stream closes that connection while others keep being served', async () => {
    const bad = await connect(port);
    const good = await connect(port);
    clients.push(bad, good);
    const badClosed = once(bad, 'close');
    bad.on('error', () => undefined);
    bad.write(Buffer.alloc(6000, 0x7a)); // no header end within maxMessageSize (4096)
    await within(badClosed, 'the garbage connection to close');
    good.write(message('tcp-good'));
    await inbox.until(() => inbox.callIds().includes('tcp-good'), 'tcp-good');

    const lying = await connect(port);
    clients.push(lying);
    const lyingClosed = once(lying, 'close');
    lying.on('error', () => undefined);
    lying.write(Buffer.from(message('tcp-liar').toString().replace(/Content-Length: \d+/, 'Content-Length: nope')));
    await within(lyingClosed, 'the lying connection to close');
    good.write(message('tcp-good-2'));
    await inbox.until(() => inbox.callIds().includes('tcp-good-2'), 'tcp-good-2');
  });

  void test('a handler that throws does not stop the transport', async () => {
    const t = await createSipTransport({
      host: '127.0.0.1',
      port: 0,
      logger: silentLogger(),
      onMessage: () => {
        throw new Error('handler bug');
      },
    });
    try {
      const client = dgram.createSocket('udp4');
      clients.push(client);
      client.send(message('boom'), t.localAddress('udp').port, '127.0.0.1');
      client.send(message('boom2'), t.localAddress('udp').port, '127.0.0.1');
      await new Promise((r) => setTimeout(r, 100));
      const socket = await connect(t.localAddress('tcp').port);
      clients.push(socket);
      socket.write(message('boom3'));
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(socket.destroyed, false);
    } finally {
      await t.close();
    }
  });
});

void describe('SIP transport lifecycle', () => {
  void test('close() releases the port for UDP and TCP and is idempotent', async () => {
    const t = await createSipTransport({ host: '127.0.0.1', port: 0, logger: silentLogger(), onMessage: () => undefined });
    const port = t.localAddress('udp').port;
    const peer = await connect(port);
    await Promise.all([t.close(), t.close()]);
    await t.close();
    peer.destroy();
    const again = await createSipTransport({ host: '127.0.0.1', port, logger: silentLogger(), onMessage: () => undefined });
    assert.equal(again.localAddress('tcp').port, port);
    await again.close();
    const late = parseSipMessage(message('late'));
    assert.ok(late.ok);
    await assert.rejects(t.send(late.message, { transport: 'udp', address: '127.0.0.1', port }), /closed/);
  });

  void test('a port already taken makes createSipTransport reject', async () => {
    const blocker = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => blocker.bind(0, '127.0.0.1', resolve));
    try {
      await assert.rejects(createSipTransport({ host: '127.0.0.1', port: blocker.address().port, logger: silentLogger(), onMessage: () => undefined }));
    } finally {
      blocker.close();
    }
  });

  void test('TCP idle connections are closed after tcpIdleTimeoutMs; UDP-only and TCP-only transports work', async () => {
    const inbox = new Inbox();
    const tcpOnly = await createSipTransport({ host: '127.0.0.1', port: 0, udp: false, tcpIdleTimeoutMs: 100, logger: silentLogger(), onMessage: inbox.push });
    const udpOnly = await createSipTransport({ host: '127.0.0.1', port: 0, tcp: false, logger: silentLogger(), onMessage: inbox.push });
    try {
      const socket = await connect(tcpOnly.localAddress('tcp').port);
      const closed = once(socket, 'close');
      socket.write(message('idle'));
      await inbox.until(() => inbox.callIds().includes('idle'), 'idle');
      const started = Date.now();
      await within(closed, 'the idle connection to close');
      assert.ok(Date.now() - started < 1500);
      await inbox.until(() => tcpOnly.tcpConnectionCount === 0, 'the server to forget the connection');
      const parsed = parseSipMessage(message('x'));
      assert.ok(parsed.ok);
      await assert.rejects(udpOnly.send(parsed.message, { transport: 'tcp', address: '127.0.0.1', port: 9 }));
      const client = dgram.createSocket('udp4');
      client.send(message('udp-only'), udpOnly.localAddress('udp').port, '127.0.0.1');
      await inbox.until(() => inbox.callIds().includes('udp-only'), 'udp-only');
      client.close();
    } finally {
      await tcpOnly.close();
      await udpOnly.close();
    }
  });
});

void describe('SIP transport over IPv6', () => {
  void test('on ::1, UDP and TCP receive and answer', async () => {
    const inbox = new Inbox();
    const t = await createSipTransport({ host: '::1', port: 0, logger: silentLogger(), onMessage: inbox.push });
    const client = dgram.createSocket('udp6');
    let socket: net.Socket | null = null;
    try {
      await new Promise<void>((resolve) => client.bind(0, '::1', resolve));
      const answer = once(client, 'message');
      client.send(message('v6-udp'), t.localAddress('udp').port, '::1');
      await inbox.until(() => inbox.callIds().includes('v6-udp'), 'v6-udp');
      const inbound = inbox.messages[0] as InboundSipMessage;
      assert.deepEqual(inbound.peer, { transport: 'udp', address: '::1', port: client.address().port });
      await t.send(createResponse(inbound.message as SipRequest, 200), inbound.peer);
      await within(answer, 'the answer datagram');

      socket = net.connect({ host: '::1', port: t.localAddress('tcp').port });
      await once(socket, 'connect');
      const fromServer = reader(socket);
      socket.write(message('v6-tcp'));
      await inbox.until(() => inbox.callIds().includes('v6-tcp'), 'v6-tcp');
      const tcpInbound = inbox.messages[1] as InboundSipMessage;
      assert.equal(tcpInbound.peer.address, '::1');
      await t.send(createResponse(tcpInbound.message as SipRequest, 200), tcpInbound.peer);
      assert.equal((await fromServer.next()).headers.get('call-id'), 'v6-tcp');
    } finally {
      socket?.destroy();
      client.close();
      await t.close();
    }
  });

  void test('a dual-stack transport on :: sees IPv4 peers as plain IPv4 and answers them', async () => {
    const inbox = new Inbox();
    const t = await createSipTransport({ host: '::', port: 0, logger: silentLogger(), onMessage: inbox.push, advertisedHost: '127.0.0.1' });
    const client = dgram.createSocket('udp4');
    try {
      await new Promise<void>((resolve) => client.bind(0, '127.0.0.1', resolve));
      const answer = once(client, 'message');
      client.send(message('v4-on-v6'), t.localAddress('udp').port, '127.0.0.1');
      await inbox.until(() => inbox.callIds().includes('v4-on-v6'), 'v4-on-v6');
      const inbound = inbox.messages[0] as InboundSipMessage;
      assert.equal(inbound.peer.address, '127.0.0.1');
      await t.send(createResponse(inbound.message as SipRequest, 200), inbound.peer);
      const [datagram] = (await within(answer, 'the answer datagram')) as [Buffer];
      assert.ok(parseSipMessage(datagram).ok);
      assert.equal(t.localAddress('udp').host, '127.0.0.1');
    } finally {
      client.close();
      await t.close();
    }
  });
});
