/**
 * ControlCommands and ControlQueries against a fake messenger and the real PendingQueries: how
 * answers in parts, answers without Result, odd Results and missing answers come out.
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import { AppError } from '../../../src/errors';
import { silentLogger } from '../../../src/logger';
import type { DeviceMessenger } from '../../../src/sip/device/messenger';
import { PendingQueries } from '../../../src/sip/device/pending-queries';
import { parseManscdp } from '../../../src/sip/manscdp';
import { ControlCommands, ControlQueries, ManscdpExchange, guardRequest, ptzRequest, type ControlTarget } from '../../../src/sip/control';

const NVR = '34020000001180000001';
const CAMERA = '34020000001310000001';
const target: ControlTarget = { deviceId: NVR, targetId: CAMERA };

/** A messenger that records what it would send and lets the test answer as the device. */
function setup(answer: (sn: number, xml: string) => string[] = () => []) {
  const pending = new PendingQueries();
  const sent: string[] = [];
  const messenger = {
    sendManscdp: async (deviceId: string, xml: string) => {
      assert.equal(deviceId, NVR);
      sent.push(xml);
      const sn = Number(/<SN>(\d+)<\/SN>/.exec(xml)?.[1]);
      // Answers arrive after the SIP 200, each as its own MESSAGE.
      setImmediate(() => {
        for (const body of answer(sn, xml)) {
          const doc = parseManscdp(Buffer.from(body));
          assert.ok(doc.ok);
          pending.deliver(NVR, doc.value);
        }
      });
      return { status: 200 };
    },
  } as unknown as DeviceMessenger;
  const exchange = new ManscdpExchange(messenger, pending);
  const commands = new ControlCommands(exchange, silentLogger(), { responseTimeoutMs: 150 });
  const queries = new ControlQueries(exchange, commands, silentLogger(), { responseTimeoutMs: 150, listTimeoutMs: 200 });
  return { pending, sent, commands, queries };
}

const response = (cmdType: string, sn: number, inner: string) => `<Response><CmdType>${cmdType}</CmdType><SN>${sn}</SN><DeviceID>${CAMERA}</DeviceID>${inner}</Response>`;
const presetPart = (sn: number, sumNum: string, items: Array<[string, string]>) =>
  response('PresetQuery', sn, `${sumNum}<PresetList Num="${items.length}">${items.map(([id, name]) => `<Item><PresetID>${id}</PresetID><PresetName>${name}</PresetName></Item>`).join('')}</PresetList>`);

const rejectsWith = (code: string) => (err: unknown) => err instanceof AppError && err.code === code;

describe('control commands and queries', () => {
  let pending: PendingQueries | undefined;
  // The pending queries' timers are unref'd (they must not hold a server open): keep the loop alive while they run.
  let keepAlive: NodeJS.Timeout | undefined;
  before(() => {
    keepAlive = setInterval(() => undefined, 1000);
  });
  after(() => clearInterval(keepAlive));
  afterEach(() => pending?.close());

  test('a PTZ command does not wait: it resolves unconfirmed once the MESSAGE is taken', async () => {
    const s = setup();
    pending = s.pending;
    const t0 = Date.now();
    const out = await s.commands.run(target, ptzRequest('A50F0100000000B5'));
    assert.ok(Date.now() - t0 < 100, 'did not wait for the 150 ms response timeout');
    assert.deepEqual({ confirmed: out.confirmed, command: out.command, targetId: out.targetId }, { confirmed: false, command: 'PTZCmd', targetId: CAMERA });
    assert.match(s.sent[0] ?? '', /<PTZCmd>A50F0100000000B5<\/PTZCmd>/);
  });

  test('GuardCmd waits for Result: OK and a missing Result confirm, ERROR or FAIL are device errors, silence a timeout', async () => {
    for (const [inner, expected] of [
      ['<Result>OK</Result>', 'ok'],
      ['<Result>ok</Result>', 'ok'],
      ['', 'ok'],
      ['<Result>ERROR</Result>', 'device_error'],
      ['<Result>FAIL</Result>', 'device_error'],
      [null, 'device_timeout'],
    ] as const) {
      const s = setup((sn) => (inner === null ? [] : [response('DeviceControl', sn, inner)]));
      pending = s.pending;
      const run = s.commands.run(target, guardRequest(true));
      if (expected === 'ok') assert.equal((await run).confirmed, true);
      else await assert.rejects(run, rejectsWith(expected), String(inner));
      s.pending.close();
    }
  });

  test('presets in parts, out of order, with a repeated item, are merged by number and sorted', async () => {
    const s = setup((sn) => [presetPart(sn, '<SumNum>3</SumNum>', [['9', 'c']]), presetPart(sn, '<SumNum>3</SumNum>', [['9', 'c'], ['1', 'a']]), presetPart(sn, '<SumNum>3</SumNum>', [['4', 'b']])]);
    pending = s.pending;
    const list = await s.queries.presets(target);
    assert.deepEqual(list.presets, [{ id: 1, name: 'a' }, { id: 4, name: 'b' }, { id: 9, name: 'c' }]);
    assert.equal(list.complete, true);
    assert.match(s.sent[0] ?? '', /<CmdType>PresetQuery<\/CmdType>[\s\S]*<DeviceID>34020000001310000001<\/DeviceID>/);
  });

  test('a preset answer without SumNum is taken as the whole list; a list cut short comes back incomplete', async () => {
    const whole = setup((sn) => [presetPart(sn, '', [['2', 'x'], ['3', 'y']])]);
    pending = whole.pending;
    const a = await whole.queries.presets(target);
    assert.equal(a.complete, true);
    assert.equal(a.presets.length, 2);

    const cut = setup((sn) => [presetPart(sn, '<SumNum>5</SumNum>', [['2', 'x']])]);
    pending = cut.pending;
    const b = await cut.queries.presets(target);
    assert.equal(b.complete, false);
    assert.equal(b.sumNum, 5);
    assert.deepEqual(b.presets, [{ id: 2, name: 'x' }]);

    const none = setup(() => []);
    pending = none.pending;
    await assert.rejects(none.queries.presets(target), rejectsWith('device_timeout'));
  });

  test('ConfigDownload collects one answer per type; refused types are counted; all refused is a device error', async () => {
    const s = setup((sn) => [
      response('ConfigDownload', sn, '<Result>OK</Result><VideoParamOpt><DownloadSpeed>1/2</DownloadSpeed><Resolution>6</Resolution></VideoParamOpt>'),
      response('ConfigDownload', sn, '<Result>ERROR</Result>'),
      response('ConfigDownload', sn, '<Result>OK</Result><BasicParam><Name>n</Name><HeartBeatCount>3</HeartBeatCount></BasicParam>'),
    ]);
    pending = s.pending;
    const view = await s.queries.config({ deviceId: NVR, targetId: NVR }, ['BasicParam', 'videoparamopt', 'OSDConfig']);
    assert.match(s.sent[0] ?? '', /<ConfigType>BasicParam\/VideoParamOpt\/OSDConfig<\/ConfigType>/);
    assert.equal(view.complete, true);
    assert.equal(view.refused, 1);
    assert.deepEqual(Object.keys(view.configs).sort(), ['BasicParam', 'VideoParamOpt']);

    const refused = setup((sn) => [response('ConfigDownload', sn, '<Result>ERROR</Result>')]);
    pending = refused.pending;
    await assert.rejects(refused.queries.config({ deviceId: NVR, targetId: NVR }, ['BasicParam']), rejectsWith('device_error'));
  });

  test('DeviceConfig sends only the given BasicParam fields and waits for its Result', async () => {
    const s = setup((sn) => [response('DeviceConfig', sn, '<Result>OK</Result>')]);
    pending = s.pending;
    const out = await s.queries.configure({ deviceId: NVR, targetId: NVR }, { heartBeatInterval: 30 });
    assert.equal(out.confirmed, true);
    assert.equal(out.command, 'DeviceConfig');
    assert.match(s.sent[0] ?? '', /<BasicParam>\s*<HeartBeatInterval>30<\/HeartBeatInterval>\s*<\/BasicParam>/);
    const silent = setup(() => []);
    pending = silent.pending;
    await assert.rejects(silent.queries.configure({ deviceId: NVR, targetId: NVR }, { name: 'x' }), rejectsWith('device_timeout'));
  });
});
