import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { SimDevice } from './device';
import { header, MiniRegistrar, type MiniMessage, type Received } from './mini-registrar';
import type { SimDeviceOptions } from './types';

const SERVER_ID = '34020000002000000001';
const PASSWORD = 'gb28181pw';
const IPC = '34020000001320001000';
const NVR = '34020000001180002000';
const OLD = '34020000001320003000';
const WRONG = '34020000001320004000';
const LF = '34020000001320005000';
const GBK = '34020000001180006000';
const NAT = '34020000001320007000';
const V2016 = '34020000001320008000';
const SLOW = '34020000001320009000';
const TCP_NVR = '34020000001180010000';
const DEVIANT = '34020000001180011000';

/** 一号楼门口 in GB2312, written out by hand (not produced by iconv-lite). */
const GB2312_YIHAOLOU_MENKOU = Buffer.from('d2bbbac5c2a5c3c5bfda', 'hex');
/** 坣喆: GBK extension area, absent from GB2312. */
const GBK_ONLY = Buffer.from('886e86b4', 'hex');

const md5 = (s: string): string => createHash('md5').update(s).digest('hex');

function textOf(r: Received): string {
  return r.message.raw.toString('latin1');
}

function isFrom(deviceId: string, method: string) {
  return (r: Received): boolean => r.message.method === method && (header(r.message, 'from') ?? '').includes(deviceId);
}

function catalogParts(registrar: MiniRegistrar, deviceId: string): MiniMessage[] {
  return registrar.received
    .filter((r) => isFrom(deviceId, 'MESSAGE')(r) && r.message.body.includes('<CmdType>Catalog</CmdType>'))
    .map((r) => r.message);
}

function field(body: Buffer, name: string): string | undefined {
  return new RegExp(`<${name}[^>]*>([^<]*)</${name}>`).exec(body.toString('latin1'))?.[1];
}

function waitUntil(check: () => boolean, timeoutMs = 1500): Promise<void> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const poll = (): void => {
      if (check()) resolve();
      else if (Date.now() - started > timeoutMs) reject(new Error('condition not reached'));
      else setTimeout(poll, 5);
    };
    poll();
  });
}

describe('SimDevice over UDP', () => {
  const registrar = new MiniRegistrar({
    users: new Map([IPC, NVR, OLD, WRONG, LF, GBK, NAT, V2016, SLOW, DEVIANT].map((id) => [id, PASSWORD])),
    ignoreMessagesContaining: `<DeviceID>${SLOW}</DeviceID>`,
  });
  const devices: SimDevice[] = [];

  async function device(options: Partial<SimDeviceOptions> & { deviceId: string }): Promise<SimDevice> {
    const d = new SimDevice({
      password: PASSWORD,
      server: { host: '127.0.0.1', port: registrar.udpPort, id: SERVER_ID, domain: '3402000000' },
      transport: 'udp',
      kind: 'ipc',
      ...options,
    });
    devices.push(d);
    await d.start();
    return d;
  }

  before(() => registrar.start());
  after(async () => {
    await Promise.all(devices.map((d) => d.stop()));
    await registrar.stop();
  });

  test('a camera registers through a qop digest challenge and keeps the Date of the 200', async () => {
    const cam = await device({ deviceId: IPC });
    const result = await cam.register();
    assert.equal(result.status, 200);
    assert.equal(result.transactions, 2);
    assert.match(cam.lastServerDate ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d/);
    assert.equal(cam.registered, true);

    const attempt = registrar.authAttempts.find((a) => a.username === IPC);
    assert.ok(attempt?.valid, 'digest verified independently with node:crypto');
    assert.equal(attempt.params.get('qop'), 'auth');
    assert.equal(attempt.params.get('nc'), '00000001');
    assert.match(attempt.params.get('cnonce') ?? '', /^[0-9a-f]{16}$/);
    assert.equal(attempt.params.get('uri'), attempt.requestUri);

    const registers = registrar.received.filter(isFrom(IPC, 'REGISTER'));
    assert.equal(registers.length, 2);
    assert.ok(registers.every((r) => header(r.message, 'x-gb-ver') === '3.0'));
    assert.ok(registers.every((r) => r.message.crlfHead));
    assert.deepEqual(
      cam.received.map((r) => (r.message.type === 'response' ? r.message.status : r.message.method)),
      [401, 200],
    );
  });

  test('an old device answers a qop challenge with an RFC 2069 response', async () => {
    const old = await device({ deviceId: OLD, quirks: { noQop: true } });
    assert.equal((await old.register()).status, 200);
    const attempt = registrar.authAttempts.find((a) => a.username === OLD);
    assert.ok(attempt);
    assert.equal(attempt.params.has('qop'), false);
    assert.equal(attempt.params.has('nc'), false);
    assert.equal(attempt.params.has('cnonce'), false);
    const ha1 = md5(`${OLD}:3402000000:${PASSWORD}`);
    const ha2 = md5(`REGISTER:${attempt.params.get('uri') ?? ''}`);
    assert.equal(attempt.params.get('response'), md5(`${ha1}:${attempt.params.get('nonce') ?? ''}:${ha2}`));
  });

  test('a wrong password ends with the platform refusal after one authorised attempt', async () => {
    const bad = await device({ deviceId: WRONG, password: 'not-the-password' });
    const result = await bad.register();
    assert.equal(result.status, 403);
    assert.equal(result.transactions, 2);
    assert.equal(bad.registered, false);
    assert.equal(registrar.received.filter(isFrom(WRONG, 'REGISTER')).length, 2);
  });

  test('a keepalive is a MESSAGE with a GB2312 Notify body and yields the platform status', async () => {
    const cam = devices.find((d) => d.deviceId === IPC)!;
    assert.equal(await cam.sendKeepalive(), 200);
    const keepalive = await registrar.waitFor((r) => isFrom(IPC, 'MESSAGE')(r) && r.message.body.includes('Keepalive'));
    const body = keepalive.message.body.toString('latin1');
    assert.match(body, /^<\?xml version="1\.0" encoding="GB2312"\?>\r\n<Notify>\r\n<CmdType>Keepalive<\/CmdType>/);
    assert.match(body, new RegExp(`<DeviceID>${IPC}</DeviceID>`));
    assert.equal(header(keepalive.message, 'content-type'), 'Application/MANSCDP+xml');
    assert.equal(Number(header(keepalive.message, 'content-length')), keepalive.message.body.length);
  });

  test('an NVR answers a Catalog query with 200, then parts that reassemble to every channel', async () => {
    const nvr = await device({ deviceId: NVR, kind: 'nvr', channels: 5, quirks: { catalogItemsPerMessage: 2 } });
    assert.equal((await nvr.register()).status, 200);
    const ok = await registrar.query(NVR, 'Catalog', 41, SERVER_ID);
    assert.equal(ok.status, 200);
    await waitUntil(() => nvr.answers.length === 1);
    assert.deepEqual(nvr.answers[0], { cmdType: 'Catalog', sn: '41', statuses: [200, 200, 200] });

    const parts = catalogParts(registrar, NVR);
    assert.deepEqual(
      parts.map((p) => /<DeviceList Num="(\d+)">/.exec(p.body.toString('latin1'))?.[1]),
      ['2', '2', '1'],
    );
    assert.ok(parts.every((p) => field(p.body, 'SumNum') === '5' && field(p.body, 'SN') === '41'));
    const ids = parts.flatMap((p) => [...p.body.toString('latin1').matchAll(/<Item>\r\n<DeviceID>(\d{20})<\/DeviceID>/g)].map((m) => m[1]));
    assert.equal(new Set(ids).size, 5);
    assert.deepEqual(ids, [...nvr.channelIds]);
    assert.ok(ids.every((id) => id?.slice(10, 13) === '131'));
    const first = parts[0]!;
    assert.ok(first.body.includes('encoding="GB2312"'));
    assert.ok(first.body.includes(Buffer.concat([Buffer.from('<Name>'), GB2312_YIHAOLOU_MENKOU, Buffer.from('</Name>')])));
    // The platform's query reached the device byte for byte.
    const query = nvr.received.find((r) => r.message.type === 'request');
    assert.ok(query?.raw.includes('<CmdType>Catalog</CmdType>'));
  });

  test('firmware that numbers split catalog parts gets SN, SN+1, SN+2 when reuseSnInSplitCatalog is false', async () => {
    const nvr = await device({
      deviceId: DEVIANT,
      kind: 'nvr',
      channels: 3,
      quirks: { catalogItemsPerMessage: 1, reuseSnInSplitCatalog: false },
    });
    await nvr.register();
    await registrar.query(DEVIANT, 'Catalog', 7, SERVER_ID);
    await waitUntil(() => nvr.answers.length === 1);
    assert.deepEqual(catalogParts(registrar, DEVIANT).map((p) => field(p.body, 'SN')), ['7', '8', '9']);
  });

  test('DeviceInfo and DeviceStatus queries are answered with Response MESSAGEs', async () => {
    const nvr = devices.find((d) => d.deviceId === NVR)!;
    await registrar.query(NVR, 'DeviceInfo', 42, SERVER_ID);
    await registrar.query(NVR, 'DeviceStatus', 43, SERVER_ID);
    await waitUntil(() => nvr.answers.length === 3);
    const info = await registrar.waitFor((r) => isFrom(NVR, 'MESSAGE')(r) && r.message.body.includes('<SN>42</SN>'));
    assert.equal(field(info.message.body, 'CmdType'), 'DeviceInfo');
    assert.equal(field(info.message.body, 'Channel'), '5');
    assert.equal(field(info.message.body, 'Result'), 'OK');
    const status = await registrar.waitFor((r) => isFrom(NVR, 'MESSAGE')(r) && r.message.body.includes('<SN>43</SN>'));
    assert.equal(field(status.message.body, 'Online'), 'ONLINE');
    assert.match(field(status.message.body, 'DeviceTime') ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/);
  });

  test('a retransmitted platform query gets the same 200 again and is answered once', async () => {
    const nvr = devices.find((d) => d.deviceId === NVR)!;
    const before = nvr.answers.length;
    await registrar.query(NVR, 'DeviceInfo', 44, SERVER_ID);
    const okCount = (): number =>
      registrar.received.filter((r) => r.message.status === 200 && (header(r.message, 'cseq') ?? '') === '44 MESSAGE').length;
    registrar.resendLastQuery();
    await waitUntil(() => okCount() === 2);
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(nvr.answers.length, before + 1);
  });

  test('a device that declares GB2312 sends GBK-only characters with the wrong-charset quirk', async () => {
    const nvr = await device({ deviceId: GBK, kind: 'nvr', channels: 1, quirks: { wrongDeclaredCharset: true } });
    await nvr.register();
    await registrar.query(GBK, 'Catalog', 51, SERVER_ID);
    await waitUntil(() => nvr.answers.length === 1);
    const part = catalogParts(registrar, GBK)[0];
    assert.ok(part);
    assert.ok(part.body.includes('encoding="GB2312"'));
    assert.ok(part.body.includes(Buffer.concat([GBK_ONLY, GB2312_YIHAOLOU_MENKOU])));
  });

  test('an LF-only device writes no CR anywhere and still registers', async () => {
    const lf = await device({ deviceId: LF, quirks: { lfOnly: true } });
    assert.equal((await lf.register()).status, 200);
    assert.equal(await lf.sendKeepalive(), 200);
    const sent = registrar.received.filter((r) => textOf(r).includes(LF) && r.message.method !== undefined);
    assert.ok(sent.length >= 3);
    assert.ok(sent.every((r) => !r.message.raw.includes(0x0d)));
  });

  test('a NAT device writes an unreachable private address in Via and Contact', async () => {
    const nat = await device({ deviceId: NAT, quirks: { contactGarbage: true } });
    assert.equal((await nat.register()).status, 200);
    const reg = registrar.received.filter(isFrom(NAT, 'REGISTER')).at(-1)!;
    assert.match(header(reg.message, 'contact') ?? '', /@192\.168\.254\.64:5060>/);
    assert.match(header(reg.message, 'via') ?? '', /192\.168\.254\.64:5060;rport;branch=z9hG4bK/);
    assert.equal(reg.peer.port, nat.localPort);
  });

  test('a 2016 device announces X-GB-Ver 2.0, or nothing when xGbVer is null', async () => {
    const old = await device({ deviceId: V2016, gbVersion: '2016' });
    await old.register();
    assert.equal(header(registrar.received.filter(isFrom(V2016, 'REGISTER')).at(-1)!.message, 'x-gb-ver'), '2.0');
    const silent = new SimDevice({
      deviceId: V2016,
      password: PASSWORD,
      server: { host: '127.0.0.1', port: registrar.udpPort, id: SERVER_ID, domain: '3402000000' },
      transport: 'udp',
      kind: 'ipc',
      xGbVer: null,
    });
    devices.push(silent);
    await silent.start();
    await silent.register();
    assert.equal(header(registrar.received.filter(isFrom(V2016, 'REGISTER')).at(-1)!.message, 'x-gb-ver'), undefined);
  });

  test('an unanswered request is retransmitted with the same branch, then times out with 408', async () => {
    const slow = await device({ deviceId: SLOW, timers: { t1Ms: 40, maxTransmissions: 3, timeoutMs: 400 } });
    const started = Date.now();
    assert.equal(await slow.sendKeepalive(), 408);
    assert.ok(Date.now() - started >= 380);
    const copies = registrar.received.filter(isFrom(SLOW, 'MESSAGE'));
    assert.equal(copies.length, 3);
    assert.equal(new Set(copies.map((c) => header(c.message, 'via'))).size, 1);
  });

  test('stop closes the socket and can be called twice', async () => {
    const d = await device({ deviceId: IPC });
    await d.stop();
    await d.stop();
    assert.equal(await d.sendKeepalive(), 0);
  });
});

describe('SimDevice over TCP', () => {
  const registrar = new MiniRegistrar({ users: new Map([[TCP_NVR, PASSWORD]]) });
  let nvr: SimDevice;

  before(async () => {
    await registrar.start();
    nvr = new SimDevice({
      deviceId: TCP_NVR,
      password: PASSWORD,
      server: { host: '127.0.0.1', port: registrar.tcpPort, id: SERVER_ID, domain: '3402000000' },
      transport: 'tcp',
      kind: 'nvr',
      channels: 12,
      charset: 'UTF-8',
      quirks: { catalogItemsPerMessage: 5 },
    });
    await nvr.start();
  });
  after(async () => {
    await nvr.stop();
    await registrar.stop();
  });

  test('an NVR registers over its TCP connection and answers a split catalog on it', async () => {
    assert.equal((await nvr.register()).status, 200);
    const reg = registrar.received.find(isFrom(TCP_NVR, 'REGISTER'))!;
    assert.match(header(reg.message, 'via') ?? '', /^SIP\/2\.0\/TCP 127\.0\.0\.1:\d+;rport;branch=/);
    assert.match(header(reg.message, 'contact') ?? '', /;transport=tcp>$/);

    await registrar.query(TCP_NVR, 'Catalog', 9, SERVER_ID);
    await waitUntil(() => nvr.answers.length === 1);
    const parts = catalogParts(registrar, TCP_NVR);
    assert.equal(parts.length, 3);
    assert.ok(parts.every((p) => p.body.includes('encoding="UTF-8"') && field(p.body, 'SumNum') === '12'));
    assert.ok(parts[0]!.body.includes(Buffer.from('<Name>一号楼门口</Name>', 'utf8')));
    assert.equal(parts.reduce((n, p) => n + (p.body.toString('latin1').match(/<Item>/g)?.length ?? 0), 0), 12);
  });

  test('keepalives run on a timer over TCP and stop with stopKeepalives', async () => {
    const statuses: number[] = [];
    nvr.on('keepalive', (s) => statuses.push(s));
    nvr.startKeepalives(0);
    await waitUntil(() => statuses.length >= 1);
    nvr.stopKeepalives();
    assert.deepEqual(statuses, [200]);
  });
});
