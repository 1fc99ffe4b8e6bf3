/**
 * Device control end to end: the API of the real server drives simulated cameras and NVRs, and the
 * test reads what went over the wire (the MESSAGE bytes the device received, the PTZCmd it decoded)
 * and how the device's answers (Result OK / ERROR / none) come back to the API caller.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import iconv from 'iconv-lite';
import { SimDevice } from '../sim/device';
import type { SimDeviceOptions } from '../sim/types';
import { PLATFORM_DOMAIN, PLATFORM_ID, startTestServer, waitFor, type TestServer } from '../helpers/server';

const RESPONSE_TIMEOUT_MS = 700;
const LIST_TIMEOUT_MS = 1000;

/** GB/T 28181-2022 A.3.1 written out here, independent of src/sip/control (address 1 as the platform sends). */
function standardCode(command: number, data1: number, data2: number, data3 = 0, address = 1): string {
  const bytes = [0xa5, 0x0f, address & 0xff, command, data1, data2, ((data3 & 0xf) << 4) | ((address >> 8) & 0xf)];
  bytes.push(bytes.reduce((s, b) => s + b, 0) % 256);
  return bytes.map((b) => b.toString(16).padStart(2, '0').toUpperCase()).join('');
}

interface ApiAnswer {
  status: number;
  body: Record<string, unknown> & { error?: { code: string; message: string } };
  ms: number;
}

describe('device control (DeviceControl, PresetQuery, ConfigDownload, DeviceConfig)', () => {
  let server: TestServer;
  let nvr: SimDevice;
  let ipc: SimDevice;
  const sims: SimDevice[] = [];

  const online = async (options: Partial<SimDeviceOptions> & { deviceId: string; kind: SimDeviceOptions['kind'] }): Promise<SimDevice> => {
    const d = new SimDevice({
      password: '12345678',
      server: { host: '127.0.0.1', port: server.sipPort, id: PLATFORM_ID, domain: PLATFORM_DOMAIN },
      transport: 'udp',
      timers: { t1Ms: 100, maxTransmissions: 4 },
      ...options,
    });
    sims.push(d);
    await d.start();
    assert.equal((await d.register()).status, 200);
    await waitFor(async () => {
      const page = (await (await server.api(`/api/v1/devices/${d.deviceId}/channels`)).json()) as { total: number };
      return page.total === d.channelIds.length;
    }, 5000, `catalog of ${d.deviceId}`);
    return d;
  };

  const call = async (method: string, path: string, body?: unknown): Promise<ApiAnswer> => {
    const t0 = Date.now();
    const res = await server.api(`/api/v1${path}`, { method, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    const text = await res.text();
    return { status: res.status, body: text ? (JSON.parse(text) as ApiAnswer['body']) : {}, ms: Date.now() - t0 };
  };

  /** MESSAGE requests the device received, with their exact bytes. */
  const messages = (d: SimDevice): Buffer[] => d.received.filter((r) => r.message.type === 'request' && r.message.method === 'MESSAGE').map((r) => r.raw);
  const lastMessage = (d: SimDevice): string => messages(d).at(-1)?.toString('latin1') ?? '';
  const lastCommand = (d: SimDevice) => {
    const c = d.control.commands.at(-1);
    assert.ok(c, 'the device received no control command');
    return c;
  };

  before(async () => {
    server = await startTestServer({ 'catalog.queryTimeoutMs': RESPONSE_TIMEOUT_MS, 'catalog.timeoutMs': LIST_TIMEOUT_MS });
    nvr = await online({ deviceId: '34020000001180003000', kind: 'nvr', channels: 2 });
    ipc = await online({ deviceId: '34020000001320004000', kind: 'ipc' });
  });
  after(async () => {
    await Promise.all(sims.map((s) => s.stop()));
    await server.stop();
  });

  test('every PTZ action puts its 8-byte code in a MESSAGE to the NVR naming the channel, and is answered 202', async () => {
    const channelId = nvr.channelIds[1]!;
    const cases: Array<[string, number | undefined, string]> = [
      ['up', 100, standardCode(0x08, 0, 100)],
      ['down', 1, standardCode(0x04, 0, 1)],
      ['left', 0x1f, standardCode(0x02, 0x1f, 0)],
      ['right', 255, standardCode(0x01, 255, 0)],
      ['upLeft', 50, standardCode(0x0a, 50, 50)],
      ['upRight', 60, standardCode(0x09, 60, 60)],
      ['downLeft', 70, standardCode(0x06, 70, 70)],
      ['downRight', 80, standardCode(0x05, 80, 80)],
      ['zoomIn', 15, standardCode(0x10, 0, 0, 15)],
      ['zoomOut', undefined, standardCode(0x20, 0, 0, 8)],
      ['focusNear', 10, standardCode(0x42, 10, 0)],
      ['focusFar', 20, standardCode(0x41, 20, 0)],
      ['irisOpen', 30, standardCode(0x44, 0, 30)],
      ['irisClose', 40, standardCode(0x48, 0, 40)],
      ['stop', undefined, standardCode(0x00, 0, 0)],
      ['stopLens', undefined, standardCode(0x40, 0, 0)],
    ];
    for (const [action, speed, hex] of cases) {
      const r = await call('POST', `/channels/${channelId}/ptz`, speed === undefined ? { action } : { action, speed });
      assert.equal(r.status, 202, `${action}: ${JSON.stringify(r.body)}`);
      assert.equal(r.body.ptzCmd, hex);
      assert.equal(r.body.confirmed, false);
      assert.equal(r.body.deviceId, nvr.deviceId);
      const wire = lastMessage(nvr);
      assert.ok(wire.startsWith(`MESSAGE sip:${nvr.deviceId}@`), wire.slice(0, 80));
      assert.ok(wire.includes('<CmdType>DeviceControl</CmdType>'));
      assert.ok(wire.includes(`<DeviceID>${channelId}</DeviceID>`));
      assert.ok(wire.includes(`<PTZCmd>${hex}</PTZCmd>`), `${action}: ${wire}`);
      const seen = lastCommand(nvr);
      assert.equal(seen.ptz?.valid, true, `${action}: the device's own checks of ${hex}`);
      assert.equal(seen.targetId, channelId);
    }
  });

  test('presets: set (with a Chinese name in GB2312), list in parts, call and delete round trip through the device', async () => {
    const channelId = ipc.channelIds[0]!;
    ipc.control.presetsPerMessage = 1;
    assert.deepEqual((await call('GET', `/channels/${channelId}/presets`)).body.presets, []);

    const set = await call('POST', `/channels/${channelId}/presets`, { id: 3, name: '大门' });
    assert.equal(set.status, 202, JSON.stringify(set.body));
    assert.equal(set.body.ptzCmd, standardCode(0x81, 0, 3));
    assert.ok(messages(ipc).at(-1)?.includes(iconv.encode('<PTZCmdParams>\n    <PresetName>大门</PresetName>', 'GB2312')), lastMessage(ipc));
    assert.equal((await call('POST', `/channels/${channelId}/presets`, { id: 12 })).status, 202);
    assert.equal((await call('POST', `/channels/${channelId}/presets`, { id: 7, name: 'x' })).status, 202);

    const listed = await call('GET', `/channels/${channelId}/presets`);
    assert.equal(listed.status, 200, JSON.stringify(listed.body));
    assert.deepEqual(listed.body.presets, [
      { id: 3, name: '大门' },
      { id: 7, name: 'x' },
      { id: 12, name: '预置点12' },
    ]);
    assert.equal(listed.body.complete, true);
    assert.equal(listed.body.sumNum, 3);
    // The device sent three parts, one preset each (its record is written once the last part is acknowledged).
    await waitFor(() => ipc.answers.some((a) => a.cmdType === 'PresetQuery' && a.statuses.length === 3 && a.statuses.every((s) => s === 200)), 2000, 'three parts');

    const called = await call('POST', `/channels/${channelId}/presets/7/call`);
    assert.equal(called.status, 202);
    assert.ok(lastMessage(ipc).includes(`<PTZCmd>${standardCode(0x82, 0, 7)}</PTZCmd>`));

    assert.equal((await call('DELETE', `/channels/${channelId}/presets/12`)).status, 202);
    assert.ok(lastMessage(ipc).includes(`<PTZCmd>${standardCode(0x83, 0, 12)}</PTZCmd>`));
    assert.deepEqual((await call('GET', `/channels/${channelId}/presets`)).body.presets, [
      { id: 3, name: '大门' },
      { id: 7, name: 'x' },
    ]);
  });

  test('cruise, scan and auxiliary switch commands carry group, preset and 12-bit values where Annex A puts them', async () => {
    const channelId = nvr.channelIds[0]!;
    const cases: Array<[string, unknown, string]> = [
      ['cruise', { action: 'addPoint', group: 1, preset: 3, name: 'Track A' }, standardCode(0x84, 1, 3)],
      ['cruise', { action: 'deletePoint', group: 1, preset: 0 }, standardCode(0x85, 1, 0)],
      ['cruise', { action: 'setSpeed', group: 1, speed: 300 }, standardCode(0x86, 1, 0x2c, 1)],
      ['cruise', { action: 'setDwell', group: 1, seconds: 10 }, standardCode(0x87, 1, 10)],
      ['cruise', { action: 'start', group: 1 }, standardCode(0x88, 1, 0)],
      ['cruise', { action: 'stop' }, standardCode(0x00, 0, 0)],
      ['scan', { action: 'start', group: 2 }, standardCode(0x89, 2, 0)],
      ['scan', { action: 'setLeft', group: 2 }, standardCode(0x89, 2, 1)],
      ['scan', { action: 'setRight', group: 2 }, standardCode(0x89, 2, 2)],
      ['scan', { action: 'setSpeed', group: 2, speed: 4095 }, standardCode(0x8a, 2, 0xff, 0xf)],
      ['scan', { action: 'stop' }, standardCode(0x00, 0, 0)],
      ['aux', { action: 'on', switch: 1 }, standardCode(0x8c, 1, 0)],
      ['aux', { action: 'off', switch: 1 }, standardCode(0x8d, 1, 0)],
    ];
    for (const [resource, body, hex] of cases) {
      const r = await call('POST', `/channels/${channelId}/${resource}`, body);
      assert.equal(r.status, 202, `${resource} ${JSON.stringify(body)}: ${JSON.stringify(r.body)}`);
      assert.ok(lastMessage(nvr).includes(`<PTZCmd>${hex}</PTZCmd>`), `${resource} ${JSON.stringify(body)} should send ${hex}`);
    }
    await call('POST', `/channels/${channelId}/cruise`, { action: 'addPoint', group: 4, preset: 5, name: 'Track A' });
    assert.equal(lastCommand(nvr).fields.CruiseTrackName, 'Track A');
  });

  test('home position, drag zoom, absolute position, key frame and recording send their XML; the answered ones wait for Result OK', async () => {
    const channelId = nvr.channelIds[0]!;
    const home = await call('POST', `/channels/${channelId}/home-position`, { enabled: true, resetTime: 30, presetIndex: 3 });
    assert.equal(home.status, 200, JSON.stringify(home.body));
    assert.equal(home.body.confirmed, true);
    assert.deepEqual(lastCommand(nvr).fields, { Enabled: '1', ResetTime: '30', PresetIndex: '3' });
    assert.equal(lastCommand(nvr).result, 'OK');

    const zoom = await call('POST', `/channels/${channelId}/drag-zoom`, { direction: 'in', length: 1920, width: 1080, midPointX: 960, midPointY: 540, lengthX: 320, lengthY: 180 });
    assert.equal(zoom.status, 202);
    assert.equal(lastCommand(nvr).command, 'DragZoomIn');
    assert.deepEqual(lastCommand(nvr).fields, { Length: '1920', Width: '1080', MidPointX: '960', MidPointY: '540', LengthX: '320', LengthY: '180' });
    assert.equal((await call('POST', `/channels/${channelId}/drag-zoom`, { direction: 'out', length: 100, width: 100, midPointX: 1, midPointY: 1, lengthX: 1, lengthY: 1 })).status, 202);
    assert.equal(lastCommand(nvr).command, 'DragZoomOut');

    assert.equal((await call('POST', `/channels/${channelId}/ptz-position`, { pan: 180.5, tilt: -10 })).status, 202);
    assert.deepEqual(lastCommand(nvr).fields, { Pan: '180.50', Tilt: '-10.00' });

    assert.equal((await call('POST', `/channels/${channelId}/iframe`)).status, 202);
    assert.ok(lastMessage(nvr).includes('<IFameCmd>Send</IFameCmd>'));
    assert.equal((await call('POST', `/channels/${channelId}/iframe`, { element: 'IFrameCmd' })).status, 202);
    assert.ok(lastMessage(nvr).includes('<IFrameCmd>Send</IFrameCmd>'));

    const start = await call('POST', `/channels/${channelId}/record`, { action: 'start' });
    assert.equal(start.status, 200, JSON.stringify(start.body));
    assert.equal(lastCommand(nvr).value, 'Record');
    const stop = await call('POST', `/channels/${channelId}/record`, { action: 'stop', streamNumber: 1 });
    assert.equal(stop.status, 200);
    assert.ok(lastMessage(nvr).includes('<RecordCmd>StopRecord</RecordCmd>'));
    assert.ok(lastMessage(nvr).includes('<StreamNumber>1</StreamNumber>'));
  });

  test('reboot, guard and alarm reset go to the device (or the named channel); guard and alarm reset wait for Result OK', async () => {
    const reboot = await call('POST', `/devices/${nvr.deviceId}/reboot`);
    assert.equal(reboot.status, 202, JSON.stringify(reboot.body));
    assert.ok(lastMessage(nvr).includes(`<DeviceID>${nvr.deviceId}</DeviceID>`));
    assert.ok(lastMessage(nvr).includes('<TeleBoot>Boot</TeleBoot>'));

    const guard = await call('POST', `/devices/${nvr.deviceId}/guard`, { action: 'set' });
    assert.equal(guard.status, 200, JSON.stringify(guard.body));
    assert.equal(guard.body.confirmed, true);
    assert.equal(lastCommand(nvr).value, 'SetGuard');
    assert.equal((await call('POST', `/devices/${nvr.deviceId}/guard`, { action: 'reset' })).status, 200);
    assert.equal(lastCommand(nvr).value, 'ResetGuard');

    const channelId = nvr.channelIds[1]!;
    const reset = await call('POST', `/devices/${nvr.deviceId}/alarm-reset`, { channelId, alarmMethod: '2', alarmType: '1' });
    assert.equal(reset.status, 200, JSON.stringify(reset.body));
    assert.equal(reset.body.targetId, channelId);
    const seen = lastCommand(nvr);
    assert.equal(seen.value, 'ResetAlarm');
    assert.equal(seen.targetId, channelId);
    assert.deepEqual(seen.fields, { AlarmMethod: '2', AlarmType: '1' });

    const foreign = await call('POST', `/devices/${nvr.deviceId}/guard`, { action: 'set', channelId: ipc.channelIds[0] });
    assert.equal(foreign.status, 404);
  });

  test('configuration: ConfigDownload reads BasicParam and VideoParamOpt (no password), DeviceConfig changes it', async () => {
    const basic = await call('GET', `/devices/${ipc.deviceId}/config`);
    assert.equal(basic.status, 200, JSON.stringify(basic.body));
    assert.ok(lastMessage(ipc).includes('<ConfigType>BasicParam</ConfigType>'));
    const configs = basic.body.configs as Record<string, Record<string, unknown>>;
    assert.equal(configs.BasicParam?.expiration, 3600);
    assert.equal(configs.BasicParam?.heartBeatInterval, 60);
    assert.equal(configs.BasicParam?.heartBeatCount, 3);
    assert.ok(!JSON.stringify(basic.body).includes('12345678'), 'the device password is not shown');

    const both = await call('GET', `/devices/${ipc.deviceId}/config?type=basicparam/VideoParamOpt`);
    assert.equal(both.status, 200);
    assert.ok(lastMessage(ipc).includes('<ConfigType>BasicParam/VideoParamOpt</ConfigType>'));
    assert.equal(both.body.complete, true);
    assert.deepEqual((both.body.configs as Record<string, unknown>).VideoParamOpt, { downloadSpeed: [1, 2, 4], resolution: ['5', '6'] });

    const partly = await call('GET', `/devices/${ipc.deviceId}/config?type=BasicParam/OSDConfig`);
    assert.equal(partly.status, 200);
    assert.equal(partly.body.refused, 1);
    assert.deepEqual(Object.keys(partly.body.configs as object), ['BasicParam']);

    const patch = await call('PATCH', `/devices/${ipc.deviceId}/config`, { name: '北门', heartBeatInterval: 30, heartBeatCount: 5 });
    assert.equal(patch.status, 200, JSON.stringify(patch.body));
    assert.equal(patch.body.confirmed, true);
    assert.ok(messages(ipc).at(-1)?.includes(iconv.encode('<Name>北门</Name>', 'GB2312')));
    assert.deepEqual(ipc.control.basicParam, { name: '北门', expiration: 3600, heartBeatInterval: 30, heartBeatCount: 5 });
    const after = await call('GET', `/devices/${ipc.deviceId}/config`);
    const changed = (after.body.configs as Record<string, Record<string, unknown>>).BasicParam;
    assert.equal(changed?.name, '北门');
    assert.equal(changed?.heartBeatInterval, 30);
  });

  test('bad input is refused with 400 before anything is sent', async () => {
    const channelId = nvr.channelIds[0]!;
    const before = messages(nvr).length;
    const cases: Array<[string, string, unknown]> = [
      ['POST', `/channels/${channelId}/ptz`, { action: 'spin' }],
      ['POST', `/channels/${channelId}/ptz`, { action: 'left', speed: 300 }],
      ['POST', `/channels/${channelId}/ptz`, { action: 'zoomIn', speed: 16 }],
      ['POST', `/channels/${channelId}/ptz`, { action: 'left', speed: -1 }],
      ['POST', `/channels/${channelId}/ptz`, {}],
      ['POST', `/channels/${channelId}/presets`, { id: 0 }],
      ['POST', `/channels/${channelId}/presets/256/call`, undefined],
      ['DELETE', `/channels/${channelId}/presets/abc`, undefined],
      ['POST', `/channels/${channelId}/cruise`, { action: 'setSpeed', group: 1, speed: 4096 }],
      ['POST', `/channels/${channelId}/cruise`, { action: 'jump', group: 1 }],
      ['POST', `/channels/${channelId}/scan`, { action: 'start', group: 256 }],
      ['POST', `/channels/${channelId}/home-position`, { enabled: true, presetIndex: 300 }],
      ['POST', `/channels/${channelId}/record`, { action: 'pause' }],
      ['POST', `/devices/${nvr.deviceId}/guard`, { action: 'arm' }],
      ['POST', `/devices/${nvr.deviceId}/alarm-reset`, { alarmMethod: 'all' }],
      ['GET', `/devices/${nvr.deviceId}/config?type=Everything`, undefined],
      ['PATCH', `/devices/${nvr.deviceId}/config`, {}],
      ['PATCH', `/devices/${nvr.deviceId}/config`, { heartBeatInterval: 1 }],
    ];
    for (const [method, path, body] of cases) {
      const r = await call(method, path, body);
      assert.equal(r.status, 400, `${method} ${path} ${JSON.stringify(body)}: ${JSON.stringify(r.body)}`);
      assert.equal(r.body.error?.code, 'bad_request');
    }
    assert.equal(messages(nvr).length, before, 'nothing was sent to the device');
    assert.equal((await call('POST', '/channels/34020000001310009999/ptz', { action: 'stop' })).status, 404);
  });

  test('a device that answers Result ERROR gives 502; one that never answers gives 504 after the timeout', async () => {
    const channelId = nvr.channelIds[0]!;
    nvr.control.mode = 'error';
    try {
      for (const [method, path, body] of [
        ['POST', `/channels/${channelId}/record`, { action: 'start' }],
        ['POST', `/devices/${nvr.deviceId}/guard`, { action: 'set' }],
        ['POST', `/devices/${nvr.deviceId}/alarm-reset`, {}],
        ['POST', `/channels/${channelId}/home-position`, { enabled: false }],
        ['PATCH', `/devices/${nvr.deviceId}/config`, { heartBeatCount: 4 }],
        ['GET', `/devices/${nvr.deviceId}/config`, undefined],
        ['GET', `/channels/${channelId}/presets`, undefined],
      ] as const) {
        const r = await call(method, path, body);
        assert.equal(r.status, 502, `${method} ${path}: ${JSON.stringify(r.body)}`);
        assert.equal(r.body.error?.code, 'device_error');
      }
      assert.equal(nvr.control.basicParam.heartBeatCount, 3, 'a refused DeviceConfig changes nothing');

      nvr.control.mode = 'silent';
      const silent = await call('POST', `/channels/${channelId}/record`, { action: 'start' });
      assert.equal(silent.status, 504, JSON.stringify(silent.body));
      assert.equal(silent.body.error?.code, 'device_timeout');
      assert.ok(silent.ms >= RESPONSE_TIMEOUT_MS - 50 && silent.ms < RESPONSE_TIMEOUT_MS + 1500, `${silent.ms} ms`);
      assert.equal(lastCommand(nvr).value, 'Record', 'the command did reach the device');
      const presets = await call('GET', `/channels/${channelId}/presets`);
      assert.equal(presets.status, 504);
      const config = await call('PATCH', `/devices/${nvr.deviceId}/config`, { heartBeatCount: 4 });
      assert.equal(config.status, 504);
      // PTZ has no Response in the standard: a silent device still takes it.
      assert.equal((await call('POST', `/channels/${channelId}/ptz`, { action: 'stop' })).status, 202);
    } finally {
      nvr.control.mode = 'ok';
    }
  });

  test('an offline device gives 409 and nothing is sent', async () => {
    const cam = await online({ deviceId: '34020000001320005000', kind: 'ipc' });
    assert.equal((await cam.unregister()).status, 200);
    await waitFor(async () => ((await (await server.api(`/api/v1/devices/${cam.deviceId}`)).json()) as { online: boolean }).online === false, 3000, 'offline');
    const before = messages(cam).length;
    for (const [method, path, body] of [
      ['POST', `/channels/${cam.channelIds[0]}/ptz`, { action: 'left', speed: 10 }],
      ['GET', `/channels/${cam.channelIds[0]}/presets`, undefined],
      ['POST', `/devices/${cam.deviceId}/reboot`, undefined],
      ['GET', `/devices/${cam.deviceId}/config`, undefined],
    ] as const) {
      const r = await call(method, path, body);
      assert.equal(r.status, 409, `${method} ${path}: ${JSON.stringify(r.body)}`);
      assert.equal(r.body.error?.code, 'device_offline');
    }
    assert.equal(messages(cam).length, before);
  });
});
