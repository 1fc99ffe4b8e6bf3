import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { childText, child, parseManscdp, type ManscdpDocument } from '../../../src/sip/manscdp';
import {
  alarmResetRequest,
  deviceConfigXml,
  deviceControlXml,
  dragZoomRequest,
  elementToJson,
  expectsResponse,
  guardRequest,
  homePositionRequest,
  iframeRequest,
  preciseRequest,
  ptzRequest,
  readConfigDownloadPart,
  readPresetListPart,
  readResult,
  recordRequest,
  teleBootRequest,
  type ControlCommandName,
} from '../../../src/sip/control';
import { mutate, seededRandom } from '../../helpers/random';

const CAMERA = '34020000001310000001';

function parse(xml: string | Buffer): ManscdpDocument {
  const r = parseManscdp(Buffer.isBuffer(xml) ? xml : Buffer.from(xml, 'utf8'));
  assert.ok(r.ok, r.ok ? '' : r.error);
  return r.value;
}

describe('DeviceControl and DeviceConfig bodies (A.2.3)', () => {
  test('a PTZ command carries PTZCmd and, for a named preset, PTZCmdParams/PresetName', () => {
    const doc = parse(deviceControlXml(7, CAMERA, ptzRequest('A50F018100010037', { presetName: '大门 <1>' })));
    assert.equal(doc.root, 'Control');
    assert.equal(doc.cmdType, 'DeviceControl');
    assert.equal(doc.sn, 7);
    assert.equal(doc.deviceId, CAMERA);
    assert.equal(childText(doc.element, 'PTZCmd'), 'A50F018100010037');
    assert.equal(childText(child(doc.element, 'PTZCmdParams'), 'PresetName'), '大门 <1>');
    const plain = parse(deviceControlXml(8, CAMERA, ptzRequest('A50F0100000000B5')));
    assert.equal(child(plain.element, 'PTZCmdParams'), null);
  });

  test('each other sub-command writes the element and values of its section', () => {
    const text = (xml: string, name: string) => childText(parse(xml).element, name);
    assert.equal(text(deviceControlXml(1, CAMERA, teleBootRequest()), 'TeleBoot'), 'Boot');
    assert.equal(text(deviceControlXml(1, CAMERA, recordRequest(true)), 'RecordCmd'), 'Record');
    assert.equal(text(deviceControlXml(1, CAMERA, recordRequest(false, 1)), 'RecordCmd'), 'StopRecord');
    assert.equal(text(deviceControlXml(1, CAMERA, recordRequest(false, 1)), 'StreamNumber'), '1');
    assert.equal(text(deviceControlXml(1, CAMERA, recordRequest(true)), 'StreamNumber'), null);
    assert.equal(text(deviceControlXml(1, CAMERA, guardRequest(true)), 'GuardCmd'), 'SetGuard');
    assert.equal(text(deviceControlXml(1, CAMERA, guardRequest(false)), 'GuardCmd'), 'ResetGuard');
    assert.equal(text(deviceControlXml(1, CAMERA, iframeRequest()), 'IFameCmd'), 'Send');
    assert.equal(text(deviceControlXml(1, CAMERA, iframeRequest('IFrameCmd')), 'IFrameCmd'), 'Send');

    const alarm = parse(deviceControlXml(1, CAMERA, alarmResetRequest({ alarmMethod: '2', alarmType: '1' }))).element;
    assert.equal(childText(alarm, 'AlarmCmd'), 'ResetAlarm');
    assert.equal(childText(child(alarm, 'Info'), 'AlarmMethod'), '2');
    assert.equal(childText(child(alarm, 'Info'), 'AlarmType'), '1');
    assert.equal(child(parse(deviceControlXml(1, CAMERA, alarmResetRequest())).element, 'Info'), null);

    const zoom = child(parse(deviceControlXml(1, CAMERA, dragZoomRequest(false, { length: 1920, width: 1080, midPointX: 400, midPointY: 300, lengthX: 200, lengthY: 100 }))).element, 'DragZoomOut');
    assert.deepEqual(zoom?.children.map((c) => `${c.name}=${c.text}`), ['Length=1920', 'Width=1080', 'MidPointX=400', 'MidPointY=300', 'LengthX=200', 'LengthY=100']);

    const home = child(parse(deviceControlXml(1, CAMERA, homePositionRequest({ enabled: true, resetTime: 30, presetIndex: 2 }))).element, 'HomePosition');
    assert.deepEqual(home?.children.map((c) => `${c.name}=${c.text}`), ['Enabled=1', 'ResetTime=30', 'PresetIndex=2']);
    const off = child(parse(deviceControlXml(1, CAMERA, homePositionRequest({ enabled: false }))).element, 'HomePosition');
    assert.deepEqual(off?.children.map((c) => `${c.name}=${c.text}`), ['Enabled=0']);

    const precise = child(parse(deviceControlXml(1, CAMERA, preciseRequest({ pan: 90, zoom: 2.5 }))).element, 'PTZPreciseCtrl');
    assert.deepEqual(precise?.children.map((c) => `${c.name}=${c.text}`), ['Pan=90.00', 'Zoom=2.50']);
  });

  test('only RecordCmd, GuardCmd, AlarmCmd and HomePosition wait for a Response (9.3.3.3 table 1)', () => {
    const all: ControlCommandName[] = ['PTZCmd', 'TeleBoot', 'RecordCmd', 'GuardCmd', 'AlarmCmd', 'IFameCmd', 'IFrameCmd', 'DragZoomIn', 'DragZoomOut', 'HomePosition', 'PTZPreciseCtrl'];
    assert.deepEqual(all.filter(expectsResponse), ['RecordCmd', 'GuardCmd', 'AlarmCmd', 'HomePosition']);
  });

  test('DeviceConfig writes only the BasicParam fields given', () => {
    const doc = parse(deviceConfigXml(3, '34020000001320000001', { name: 'Gate', heartBeatInterval: 30 }));
    assert.equal(doc.cmdType, 'DeviceConfig');
    assert.deepEqual(child(doc.element, 'BasicParam')?.children.map((c) => `${c.name}=${c.text}`), ['Name=Gate', 'HeartBeatInterval=30']);
  });
});

describe('answers to control commands (A.2.6)', () => {
  const response = (cmdType: string, inner: string) =>
    parse(`<?xml version="1.0" encoding="GB2312"?>\n<Response>\n<CmdType>${cmdType}</CmdType>\n<SN>5</SN>\n<DeviceID>${CAMERA}</DeviceID>\n${inner}\n</Response>\n`);

  test('Result is read case-insensitively; a missing one is null and other text is kept', () => {
    assert.equal(readResult(response('DeviceControl', '<Result>OK</Result>')), 'OK');
    assert.equal(readResult(response('DeviceControl', '<Result>error</Result>')), 'ERROR');
    assert.equal(readResult(response('DeviceControl', '')), null);
    assert.equal(readResult(response('DeviceControl', '<Result>FAIL</Result>')), 'FAIL');
  });

  test('a PresetQuery part gives SumNum, Num and the items; IDs that are not numbers are counted as skipped', () => {
    const part = readPresetListPart(
      response('PresetQuery', '<SumNum>4</SumNum><PresetList Num="3"><Item><PresetID>2</PresetID><PresetName>门口</PresetName></Item><Item><PresetID>x</PresetID><PresetName>?</PresetName></Item><Item><PresetID>10</PresetID><PresetName></PresetName></Item></PresetList>'),
    );
    assert.deepEqual(part, { sumNum: 4, num: 3, items: [{ id: 2, name: '门口' }, { id: 10, name: null }], skipped: 1, result: null });
    const none = readPresetListPart(response('PresetQuery', '<SumNum>0</SumNum>'));
    assert.deepEqual(none.items, []);
    assert.equal(none.num, null);
  });

  test('a ConfigDownload answer gives typed BasicParam (without the password) and VideoParamOpt, other types as JSON', () => {
    const part = readConfigDownloadPart(
      response(
        'ConfigDownload',
        '<Result>OK</Result><BasicParam><Name>Cam</Name><Expiration>3600</Expiration><Password>secret</Password><HeartBeatInterval>60</HeartBeatInterval><HeartBeatCount>3</HeartBeatCount><SIPServerPort>5060</SIPServerPort></BasicParam>' +
          '<VideoParamOpt><DownloadSpeed>1/2/4</DownloadSpeed><Resolution>5/6</Resolution></VideoParamOpt>' +
          '<PictureMask><On>1</On><SumNum>2</SumNum><RegionList><Item><Seq>1</Seq></Item><Item><Seq>2</Seq></Item></RegionList></PictureMask>',
      ),
    );
    assert.equal(part.result, 'OK');
    const basic = part.configs.get('BasicParam') as Record<string, unknown>;
    assert.equal(basic.name, 'Cam');
    assert.equal(basic.expiration, 3600);
    assert.equal(basic.heartBeatInterval, 60);
    assert.equal(basic.heartBeatCount, 3);
    assert.equal(basic.sipServerPort, 5060);
    assert.ok(!JSON.stringify(basic).includes('secret'));
    assert.deepEqual(part.configs.get('VideoParamOpt'), { downloadSpeed: [1, 2, 4], resolution: ['5', '6'] });
    assert.deepEqual(JSON.parse(JSON.stringify(part.configs.get('PictureMask'))), { On: '1', SumNum: '2', RegionList: { Item: [{ Seq: '1' }, { Seq: '2' }] } });
  });

  test('XML as JSON keeps names like __proto__ as plain keys', () => {
    const doc = parse('<Response><CmdType>ConfigDownload</CmdType><X a="1"><__proto__>p</__proto__><constructor>c</constructor></X></Response>');
    const x = child(doc.element, 'X');
    assert.ok(x);
    const json = elementToJson(x) as Record<string, unknown>;
    assert.equal(json['@a'], '1');
    assert.equal(json['__proto__'], 'p');
    assert.equal(json['constructor'], 'c');
    assert.equal(({} as Record<string, unknown>).p, undefined);
  });

  test('3,000 damaged answers never throw in the readers', () => {
    const rand = seededRandom(0x6a51);
    const seeds = [
      '<?xml version="1.0"?><Response><CmdType>PresetQuery</CmdType><SN>1</SN><DeviceID>1</DeviceID><SumNum>2</SumNum><PresetList Num="2"><Item><PresetID>1</PresetID><PresetName>a</PresetName></Item><Item><PresetID>2</PresetID></Item></PresetList></Response>',
      '<?xml version="1.0"?><Response><CmdType>ConfigDownload</CmdType><SN>1</SN><Result>OK</Result><BasicParam><Name>n</Name><Expiration>1</Expiration></BasicParam><VideoParamOpt><DownloadSpeed>1/2</DownloadSpeed></VideoParamOpt><OSDConfig><Item><A>1</A></Item><Item><A>2</A></Item></OSDConfig></Response>',
      '<?xml version="1.0"?><Response><CmdType>DeviceControl</CmdType><SN>1</SN><Result>ERROR</Result></Response>',
    ].map((s) => Buffer.from(s));
    let read = 0;
    for (let i = 0; i < 3000; i++) {
      let body: Buffer = seeds[i % seeds.length] ?? Buffer.alloc(0);
      if (i % 4 !== 0) body = mutate(rand, body);
      const r = parseManscdp(body);
      if (!r.ok) continue;
      read++;
      const presets = readPresetListPart(r.value);
      assert.ok(presets.items.every((p) => Number.isInteger(p.id)));
      const config = readConfigDownloadPart(r.value);
      assert.ok(config.configs instanceof Map);
      JSON.stringify(Object.fromEntries(config.configs));
      readResult(r.value);
    }
    assert.ok(read > 100, `only ${read} bodies parsed`);
  });
});
