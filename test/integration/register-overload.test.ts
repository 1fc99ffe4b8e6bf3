/**
 * Registration overload over real sockets: REGISTERs beyond the queue are dropped unread over UDP
 * and refused with 503 over TCP, keepalives are answered meanwhile, and the server registers
 * devices normally once the burst has drained.
 */
import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { connect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { parseSipMessage } from '../../src/sip/message';
import type { SimDevice } from '../sim/device';
import { PLATFORM_DOMAIN, PLATFORM_ID, startTestServer, type TestServer } from '../helpers/server';
import { camera } from './helpers/live';

const QUEUE_MAX = 10;

function register(deviceSerial: number, transport: 'UDP' | 'TCP', port: number): string {
  const deviceId = `3402000000132${String(900000 + deviceSerial).padStart(7, '0')}`;
  return [
    `REGISTER sip:${PLATFORM_ID}@${PLATFORM_DOMAIN} SIP/2.0`,
    `Via: SIP/2.0/${transport} 127.0.0.1:${port};rport;branch=z9hG4bKstorm${deviceSerial}`,
    `From: <sip:${deviceId}@${PLATFORM_DOMAIN}>;tag=${deviceSerial}`,
    `To: <sip:${deviceId}@${PLATFORM_DOMAIN}>`,
    `Call-ID: storm-${deviceSerial}`,
    'CSeq: 1 REGISTER',
    `Contact: <sip:${deviceId}@127.0.0.1:${port}>`,
    'Max-Forwards: 70',
    'Expires: 3600',
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
}

async function metric(server: TestServer, name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${server.httpPort}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return Number(line?.slice(name.length + 1) ?? NaN);
}

describe('registration overload', () => {
  let server: TestServer;
  let cam: SimDevice;
  let udp: Socket;

  before(async () => {
    server = await startTestServer({
      'catalog.queryOnRegister': false,
      'sip.registerQueueMax': QUEUE_MAX,
      'sip.registerPerTurn': 1,
    });
    cam = camera(server);
    await cam.start();
    assert.equal((await cam.register()).status, 200);
    udp = createSocket('udp4');
    await new Promise<void>((r) => udp.bind(0, '127.0.0.1', () => r()));
  });
  after(async () => {
    udp.close();
    await cam.stop();
    await server.stop();
  });

  test('a UDP burst beyond the queue is shed unread while a keepalive sent after it is answered', async () => {
    const BURST = 300;
    const answers = new Set<string>();
    udp.on('message', (buf) => {
      const parsed = parseSipMessage(buf);
      if (parsed.ok && parsed.message.type === 'response') answers.add(parsed.message.headers.get('call-id') ?? '');
    });
    const port = udp.address().port;
    for (let i = 0; i < BURST; i++) udp.send(register(i, 'UDP', port), server.sipPort, '127.0.0.1');
    assert.equal(await cam.sendKeepalive(), 200, 'the keepalive is answered during the burst');
    // Quiet for 300 ms: every answer the server will give has arrived.
    let seen = -1;
    while (seen !== answers.size) {
      seen = answers.size;
      await new Promise((r) => setTimeout(r, 300));
    }
    const shed = await metric(server, 'gbvms_sip_register_shed_total');
    assert.ok(answers.size > 0, 'queued REGISTERs are answered');
    assert.ok(answers.size < BURST, `some REGISTERs were shed (${answers.size} of ${BURST} answered)`);
    assert.equal(answers.size + shed, BURST, 'every REGISTER was either answered or counted as shed');
  });

  test('over TCP a REGISTER the full queue cannot take gets 503 with Retry-After', async () => {
    const socket = connect(server.sipPort, '127.0.0.1');
    await new Promise<void>((r) => socket.once('connect', () => r()));
    const { port } = socket.address() as { port: number };
    let received = '';
    socket.on('data', (d: Buffer) => (received += d.toString('latin1')));
    // One write: the server parses them all in one read, before the queue's next turn.
    socket.write(Array.from({ length: QUEUE_MAX + 5 }, (_, i) => register(1000 + i, 'TCP', port)).join(''));
    const deadline = Date.now() + 5000;
    const statuses = (): string[] => [...received.matchAll(/^SIP\/2\.0 (\d{3})/gm)].map((m) => m[1] ?? '');
    while (statuses().length < QUEUE_MAX + 5 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    socket.destroy();
    const got = statuses();
    assert.equal(got.length, QUEUE_MAX + 5, 'every REGISTER over TCP is answered');
    const challenged = got.filter((s) => s === '401').length;
    const refused = got.filter((s) => s === '503').length;
    // Usually exactly QUEUE_MAX and 5; should TCP split the write, a queue turn may run between reads.
    assert.ok(challenged >= QUEUE_MAX, `the queued ones are challenged (${challenged})`);
    assert.ok(refused >= 1, `the rest are refused (${refused})`);
    assert.equal(challenged + refused, QUEUE_MAX + 5);
    assert.match(received, /Retry-After: 5/);
  });

  test('after the burst devices register normally', async () => {
    const late = camera(server);
    await late.start();
    try {
      assert.equal((await late.register()).status, 200);
    } finally {
      await late.stop();
    }
  });
});
