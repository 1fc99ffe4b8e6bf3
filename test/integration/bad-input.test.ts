/**
 * Bad input over real sockets: every broken message gets a 4xx or is dropped with a log line, and
 * the server keeps serving devices afterwards.
 */
import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { connect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import iconv from 'iconv-lite';
import { Headers, parseSipMessage } from '../../src/sip/message';
import type { SipResponse } from '../../src/sip/message/types';
import { SimDevice } from '../sim/device';
import { PLATFORM_DOMAIN, PLATFORM_ID, startTestServer, type TestServer } from '../helpers/server';
import { seededRandom } from '../sip/message/helpers';

const DEVICE = '34020000001320000901';

function request(lines: string[], body = ''): Buffer {
  return Buffer.from(`${lines.join('\r\n')}\r\n\r\n${body}`, 'utf8');
}

function baseHeaders(method: string, port: number, extra: string[] = []): string[] {
  return [
    `${method} sip:${PLATFORM_ID}@127.0.0.1 SIP/2.0`,
    `Via: SIP/2.0/UDP 127.0.0.1:${port};rport;branch=z9hG4bK${Math.random().toString(36).slice(2)}`,
    `From: <sip:${DEVICE}@${PLATFORM_DOMAIN}>;tag=1`,
    `To: <sip:${PLATFORM_ID}@${PLATFORM_DOMAIN}>`,
    `Call-ID: bad-${Math.random().toString(36).slice(2)}`,
    `CSeq: 1 ${method}`,
    'Max-Forwards: 70',
    ...extra,
  ];
}

describe('bad input never crashes the server', () => {
  let server: TestServer;
  let udp: Socket;
  let cam: SimDevice;
  const replies: SipResponse[] = [];

  async function exchange(bytes: Buffer, waitMs = 300): Promise<SipResponse | undefined> {
    replies.length = 0;
    udp.send(bytes, server.sipPort, '127.0.0.1');
    const deadline = Date.now() + waitMs;
    while (Date.now() < deadline && replies.length === 0) await new Promise((r) => setTimeout(r, 10));
    return replies[0];
  }

  async function stillServing(): Promise<void> {
    assert.equal(await cam.sendKeepalive(), 200, 'the registered camera is still served');
    const health = await fetch(`http://127.0.0.1:${server.httpPort}/healthz`);
    assert.equal(health.status, 200);
  }

  before(async () => {
    server = await startTestServer({ 'sip.maxMessageBytes': 4096, 'catalog.queryOnRegister': false });
    udp = createSocket('udp4');
    await new Promise<void>((r) => udp.bind(0, '127.0.0.1', () => r()));
    udp.on('message', (buf) => {
      const parsed = parseSipMessage(buf);
      if (parsed.ok && parsed.message.type === 'response') replies.push(parsed.message);
      else if (!parsed.ok) {
        // Our 400 to a request without From has no From either: read its status line by hand.
        const m = /^SIP\/2\.0 (\d{3}) ([^\r\n]*)/.exec(buf.toString('latin1'));
        if (m) replies.push({ type: 'response', status: Number(m[1]), reason: m[2] ?? '', headers: new Headers(), body: Buffer.alloc(0) });
      }
    });
    cam = new SimDevice({
      deviceId: DEVICE,
      password: '12345678',
      server: { host: '127.0.0.1', port: server.sipPort, id: PLATFORM_ID, domain: PLATFORM_DOMAIN },
      transport: 'udp',
      kind: 'ipc',
      timers: { t1Ms: 100, maxTransmissions: 3 },
    });
    await cam.start();
    assert.equal((await cam.register()).status, 200);
  });
  after(async () => {
    udp.close();
    await cam.stop();
    await server.stop();
  });

  test('a request missing From is answered 400', async () => {
    const port = udp.address().port;
    const lines = baseHeaders('OPTIONS', port).filter((l) => !l.startsWith('From'));
    const reply = await exchange(request([...lines, 'Content-Length: 0']));
    assert.equal(reply?.status, 400);
  });

  test('a Content-Length larger than the body is answered 400; non-numeric and negative ones too', async () => {
    const port = udp.address().port;
    for (const cl of ['500', 'abc', '-5']) {
      const reply = await exchange(request([...baseHeaders('OPTIONS', port), `Content-Length: ${cl}`], 'short'));
      assert.equal(reply?.status, 400, `Content-Length: ${cl}`);
    }
  });

  test('a datagram over the size limit is dropped before it is parsed, and the server keeps serving', async () => {
    const port = udp.address().port;
    const reply = await exchange(request([...baseHeaders('MESSAGE', port, ['Content-Type: Application/MANSCDP+xml']), 'Content-Length: 6000'], 'x'.repeat(6000)));
    assert.equal(reply, undefined);
    await stillServing();
  });

  test('malformed start lines and random bytes are dropped, and the server keeps serving', async () => {
    for (const junk of ['GARBAGE\r\n\r\n', 'REGISTER\r\nVia: x\r\n\r\n', 'SIP/2.0 abc OK\r\n\r\n', '\u0000\u0001\u0002']) {
      assert.equal(await exchange(Buffer.from(junk, 'latin1'), 50), undefined, JSON.stringify(junk));
    }
    const random = seededRandom(2811);
    for (let i = 0; i < 2000; i++) {
      const len = 1 + Math.floor(random() * 1400);
      const buf = Buffer.alloc(len);
      for (let j = 0; j < len; j++) buf[j] = Math.floor(random() * 256);
      if (i % 3 === 0) buf.write('MESSAGE sip:x SIP/2.0\r\n', 0, 'latin1');
      udp.send(buf, server.sipPort, '127.0.0.1');
    }
    await new Promise((r) => setTimeout(r, 300));
    await stillServing();
  });

  test('a garbage TCP stream is cut off without disturbing other devices', async () => {
    const sock = connect(server.sipPort, '127.0.0.1');
    await new Promise<void>((r) => sock.once('connect', () => r()));
    const closed = new Promise<void>((r) => sock.once('close', () => r()));
    sock.on('error', () => undefined);
    sock.write(`MESSAGE sip:x SIP/2.0\r\nContent-Length: 99999999\r\n\r\n${'z'.repeat(5000)}`);
    await closed;
    await stillServing();
  });

  test('an unknown method is answered 405 with Allow', async () => {
    const reply = await exchange(request([...baseHeaders('PUBLISH', udp.address().port), 'Content-Length: 0']));
    assert.equal(reply?.status, 405);
    assert.match(reply?.headers.get('allow') ?? '', /REGISTER/);
  });

  test('MANSCDP that is not XML, an XML bomb, an unknown CmdType and a wrong content type get 4xx', async () => {
    const bomb =
      '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;"><!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>' +
      `<Notify><CmdType>Keepalive</CmdType><SN>1</SN><DeviceID>${DEVICE}</DeviceID><Status>&lol3;</Status></Notify>`;
    const bodies: Array<[string, string]> = [
      ['not xml', 'this is not xml at all <<<'],
      ['truncated', `<?xml version="1.0"?><Notify><CmdType>Keepalive</CmdType><SN>1</SN><DeviceID>${DEVICE}`],
      ['xml bomb', bomb],
      ['no CmdType', `<?xml version="1.0"?><Notify><SN>1</SN><DeviceID>${DEVICE}</DeviceID></Notify>`],
      ['unknown CmdType', `<?xml version="1.0"?><Notify><CmdType>MakeCoffee</CmdType><SN>1</SN><DeviceID>${DEVICE}</DeviceID></Notify>`],
    ];
    for (const [what, body] of bodies) {
      const result = await cam.sendMessage(iconv.encode(body, 'gb2312'));
      assert.equal(result.status, 400, what);
    }
    const port = udp.address().port;
    const plain = await exchange(request([...baseHeaders('MESSAGE', port, ['Content-Type: text/plain']), 'Content-Length: 5'], 'hello'));
    assert.equal(plain?.status, 415);
    await stillServing();
  });
});
