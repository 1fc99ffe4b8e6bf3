/**
 * Replays the real Dahua dome traces (shared/fixtures/real-devices) against the running server
 * from a raw UDP socket: the device's own bytes (framing rebuilt as the fixtures' README says),
 * answered as that device expects. Only the digest answer is recomputed (the trace's password is
 * unknown) and SNs are set to the ones the platform asks with.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { after, before, describe, test } from 'node:test';
import { parseDigestHeader } from '../../src/sip/auth/digest';
import { parseManscdp } from '../../src/sip/manscdp';
import { parseSipMessage, parseVia } from '../../src/sip/message';
import type { SipMessage, SipRequest, SipResponse } from '../../src/sip/message/types';
import { startTestServer, type TestServer } from '../helpers/server';
import { frameFixture, loadFixtures, type Fixture } from '../sip/message/helpers';

const PASSWORD = 'dahua-trace-pass';
const DEVICE = '34020000001320000002';
const fixtures = new Map(loadFixtures().map((f) => [f.name.split('/')[1]?.slice(0, 2) ?? '', f]));

function fixture(prefix: string): Fixture {
  const f = fixtures.get(prefix);
  if (!f) throw new Error(`fixture ${prefix} missing`);
  return f;
}

function withHeader(f: Fixture, name: string, value: string): Fixture {
  const re = new RegExp(`^${name}\\s*:`, 'i');
  const has = f.headerLines.some((l) => re.test(l));
  const headerLines = has ? f.headerLines.map((l) => (re.test(l) ? `${name}: ${value}` : l)) : [...f.headerLines.slice(0, -1), `${name}: ${value}`, ...f.headerLines.slice(-1)];
  return { ...f, headerLines };
}

function withSn(f: Fixture, sn: string): Fixture {
  return { ...f, body: Buffer.from(f.body.toString('latin1').replace(/<SN>\d+<\/SN>/, `<SN>${sn}</SN>`), 'latin1') };
}

/** The trace's 200 OK (08_dev_200_MESSAGE) turned into the answer to `request`. */
function okFor(request: SipRequest): Buffer {
  const f = fixture('08');
  let out: Fixture = f;
  for (const name of ['Via', 'From', 'To', 'Call-ID', 'CSeq']) {
    let value = request.headers.get(name) ?? '';
    if (name === 'To') value += ';tag=1838534428';
    out = withHeader(out, name, value);
  }
  return frameFixture(out);
}

class RawDevice {
  readonly socket: Socket = createSocket('udp4');
  private readonly inbox: SipMessage[] = [];
  private waiters: Array<() => void> = [];

  async open(): Promise<void> {
    await new Promise<void>((r) => this.socket.bind(0, '127.0.0.1', () => r()));
    this.socket.on('message', (buf) => {
      const parsed = parseSipMessage(buf);
      if (parsed.ok) this.inbox.push(parsed.message);
      for (const w of this.waiters.splice(0)) w();
    });
  }

  send(bytes: Buffer, port: number): void {
    this.socket.send(bytes, port, '127.0.0.1');
  }

  async next<T extends SipMessage>(match: (m: SipMessage) => m is T, timeoutMs = 3000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = this.inbox.findIndex(match);
      if (i >= 0) return this.inbox.splice(i, 1)[0] as T;
      if (Date.now() > deadline) throw new Error('timed out waiting for a SIP message');
      await new Promise<void>((r) => {
        this.waiters.push(r);
        setTimeout(r, 50);
      });
    }
  }

  close(): void {
    this.socket.close();
  }
}

const isResponse = (m: SipMessage): m is SipResponse => m.type === 'response';
const isRequest = (m: SipMessage): m is SipRequest => m.type === 'request';

describe('the real Dahua dome traces, replayed', () => {
  let server: TestServer;
  const dev = new RawDevice();
  before(async () => {
    server = await startTestServer({
      'sip.id': '34020000002000000010',
      'sip.domain': '3402000000',
      'sip.realm': '34020000',
      'sip.password': PASSWORD,
      'catalog.queryOnRegister': false,
    });
    await dev.open();
  });
  after(async () => {
    dev.close();
    await server.stop();
  });

  test('REGISTER is challenged, answered at the packet source although Via says 192.168.6.71, and accepted with a Date', async () => {
    dev.send(frameFixture(fixture('01')), server.sipPort);
    const challenge = await dev.next(isResponse);
    assert.equal(challenge.status, 401);
    assert.equal(challenge.headers.get('call-id'), '1881196343@192.168.6.71');
    const via = parseVia(challenge.headers.get('via') ?? '');
    assert.equal(via?.params.get('received'), '127.0.0.1');
    assert.equal(via?.params.get('rport'), String(dev.socket.address().port));
    const www = parseDigestHeader(challenge.headers.get('www-authenticate') ?? '');
    assert.equal(www?.params.get('realm'), '34020000');
    const nonce = www?.params.get('nonce') ?? '';

    // The device's second REGISTER, with the digest recomputed the way this device computes it (MD5, no qop).
    const uri = 'sip:34020000002000000010@192.168.6.106:5062';
    const md5 = (s: string) => createHash('md5').update(s).digest('hex');
    const response = md5(`${md5(`${DEVICE}:34020000:${PASSWORD}`)}:${nonce}:${md5(`REGISTER:${uri}`)}`);
    const auth = `Digest username="${DEVICE}", realm="34020000", nonce="${nonce}", uri="${uri}", response="${response}", algorithm=MD5`;
    dev.send(frameFixture(withHeader(fixture('03'), 'Authorization', auth)), server.sipPort);
    const ok = await dev.next(isResponse);
    assert.equal(ok.status, 200);
    assert.match(ok.headers.get('date') ?? '', /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}$/);
    assert.equal(ok.headers.get('cseq'), '2 REGISTER');
    assert.equal(ok.headers.get('x-gb-ver'), '3.0', 'answers to REGISTER announce our version (2022 Annex I)');
    assert.equal(challenge.headers.get('x-gb-ver'), '3.0');
    const device = await server.app.index.getDevice(DEVICE);
    assert.equal(device?.online, true);
    assert.equal(device?.remotePort, dev.socket.address().port);
  });

  test('the keepalive (GB2312, padded Content-Length in the original) is answered 200', async () => {
    dev.send(frameFixture(fixture('05')), server.sipPort);
    const ok = await dev.next(isResponse);
    assert.equal(ok.status, 200);
    assert.equal(ok.headers.get('call-id'), '632317300@192.168.6.71');
  });

  for (const [what, path, queryFixture, answerFixture, method] of [
    ['Catalog', 'catalog', '07', '09', 'POST'],
    ['DeviceInfo', 'info', '11', '13', 'GET'],
    ['DeviceStatus', 'status', '15', '17', 'GET'],
  ] as const) {
    test(`the platform's ${what} query has the trace's shape, and the device's real answer is understood`, async () => {
      const pending = server.api(`/api/v1/devices/${DEVICE}/${path}`, { method });
      const query = await dev.next(isRequest);
      assert.equal(query.method, 'MESSAGE');
      assert.equal(query.uri.split('@')[0], `sip:${DEVICE}`);
      assert.match(query.headers.get('content-type') ?? '', /^application\/manscdp\+xml$/i);
      const ours = parseManscdp(query.body);
      const theirs = parseManscdp(fixture(queryFixture).body);
      assert.ok(ours.ok && theirs.ok);
      assert.deepEqual([ours.value.root, ours.value.cmdType, ours.value.deviceId], [theirs.value.root, theirs.value.cmdType, theirs.value.deviceId]);
      dev.send(okFor(query), server.sipPort);
      dev.send(frameFixture(withSn(fixture(answerFixture), String(ours.value.sn))), server.sipPort);
      const ack = await dev.next(isResponse);
      assert.equal(ack.status, 200);
      const res = await pending;
      assert.equal(res.status, 200);
      const body = (await res.json()) as Record<string, unknown>;
      if (what === 'Catalog') {
        assert.deepEqual([body.complete, body.expected, body.added], [true, 1, 1]);
        const channel = await server.app.index.getChannel('34020000001310000001', DEVICE);
        assert.equal(channel?.name, 'DH71');
        assert.equal(channel?.manufacturer, 'Dahua');
        assert.equal(channel?.ptzType, 3);
        assert.equal(channel?.status, 'ON');
      } else if (what === 'DeviceInfo') {
        assert.equal(body.manufacturer, 'Dahua');
        assert.equal(body.firmware, '2.623.0000000.17.R,2019-01-19');
        assert.equal((await server.app.index.getDevice(DEVICE))?.model, 'DH-SD-6C3230UE-HN');
      } else {
        assert.equal(body.online, true);
        assert.equal((body.alarms as unknown[]).length, 2);
      }
    });
  }
});
