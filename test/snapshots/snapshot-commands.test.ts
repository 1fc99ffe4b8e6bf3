import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { childText, child, parseManscdp } from '../../src/sip/manscdp';
import { buildSnapShotConfig, isValidSessionId, readDeviceConfigResult, readUploadSnapShotFinished } from '../../src/snapshots/snapshot-commands';
import { mutate, seededRandom } from '../helpers/random';

const SESSION = 'a1b2c3d4e5f6a7b8c9d0a1b2c3d4e5f6a7b8c9d0';

function parse(xml: string) {
  const r = parseManscdp(Buffer.from(xml, 'utf8'), 'UTF-8');
  assert.ok(r.ok, r.ok ? '' : r.error);
  return r.value;
}

describe('snapshot commands (GB/T 28181-2022 A.2.3.2.12, A.2.5.7)', () => {
  test('SnapShotConfig is a Control DeviceConfig naming the channel, with SnapNum, Interval, UploadURL and SessionID', () => {
    const xml = buildSnapShotConfig(42, '34020000001320000001', { snapNum: 3, interval: 2, uploadUrl: 'http://10.0.0.1:18080/upload/snapshots/abc?x=1&y=2', sessionId: SESSION });
    const doc = parse(xml);
    assert.equal(doc.root, 'Control');
    assert.equal(doc.cmdType, 'DeviceConfig');
    assert.equal(doc.sn, 42);
    assert.equal(doc.deviceId, '34020000001320000001');
    const cfg = child(doc.element, 'SnapShotConfig');
    assert.equal(childText(cfg, 'SnapNum'), '3');
    assert.equal(childText(cfg, 'Interval'), '2');
    assert.equal(childText(cfg, 'UploadURL'), 'http://10.0.0.1:18080/upload/snapshots/abc?x=1&y=2');
    assert.match(xml, /&amp;y=2/, 'the URL is escaped in the XML');
    assert.equal(childText(cfg, 'SessionID'), SESSION);
  });

  test('session IDs follow A.2.1.24: 32-128 letters, digits or dashes', () => {
    assert.equal(isValidSessionId(SESSION), true);
    assert.equal(isValidSessionId('short'), false);
    assert.equal(isValidSessionId(`${SESSION}_x`), false);
  });

  test("the device's Response DeviceConfig says OK or not", () => {
    const ok = parse('<?xml version="1.0"?><Response><CmdType>DeviceConfig</CmdType><SN>1</SN><DeviceID>34020000001320000001</DeviceID><Result>ok</Result></Response>');
    assert.deepEqual(readDeviceConfigResult(ok), { ok: true, result: 'OK' });
    const err = parse('<?xml version="1.0"?><Response><CmdType>DeviceConfig</CmdType><SN>1</SN><DeviceID>34020000001320000001</DeviceID><Result>ERROR</Result></Response>');
    assert.equal(readDeviceConfigResult(err).ok, false);
    const none = parse('<?xml version="1.0"?><Response><CmdType>DeviceConfig</CmdType><SN>1</SN></Response>');
    assert.deepEqual(readDeviceConfigResult(none), { ok: false, result: null });
  });

  test('UploadSnapShotFinished gives the session and the file IDs; an empty list means nothing was uploaded', () => {
    const doc = parse(
      `<?xml version="1.0" encoding="UTF-8"?><Notify><CmdType>UploadSnapShotFinished</CmdType><SN>7</SN><DeviceID>34020000001320000001</DeviceID><SessionID> ${SESSION} </SessionID><SnapShotList><SnapShotFileID>34020000001320000001022024050414431612301</SnapShotFileID><SnapShotFileID>34020000001320000001022024050414431712302</SnapShotFileID></SnapShotList></Notify>`,
    );
    assert.deepEqual(readUploadSnapShotFinished(doc), {
      deviceId: '34020000001320000001',
      sessionId: SESSION,
      fileIds: ['34020000001320000001022024050414431612301', '34020000001320000001022024050414431712302'],
    });
    const empty = parse(`<Notify><CmdType>UploadSnapShotFinished</CmdType><SN>7</SN><DeviceID>34020000001320000001</DeviceID><SessionID>${SESSION}</SessionID><SnapShotList/></Notify>`);
    assert.deepEqual(readUploadSnapShotFinished(empty)?.fileIds, []);
    const noSession = parse('<Notify><CmdType>UploadSnapShotFinished</CmdType><SN>7</SN></Notify>');
    assert.equal(readUploadSnapShotFinished(noSession), null);
    const other = parse('<Notify><CmdType>Alarm</CmdType><SN>7</SN><SessionID>x</SessionID></Notify>');
    assert.equal(readUploadSnapShotFinished(other), null);
  });

  test('fuzz: damaged UploadSnapShotFinished bodies never make the reader throw', () => {
    const rand = seededRandom(77);
    const seed = Buffer.from(`<?xml version="1.0"?><Notify><CmdType>UploadSnapShotFinished</CmdType><SN>7</SN><DeviceID>34020000001320000001</DeviceID><SessionID>${SESSION}</SessionID><SnapShotList><SnapShotFileID>a</SnapShotFileID></SnapShotList></Notify>`);
    let read = 0;
    for (let i = 0; i < 3000; i++) {
      const r = parseManscdp(mutate(rand, seed), null);
      if (!r.ok) continue;
      const finished = readUploadSnapShotFinished(r.value);
      if (finished !== null) {
        read++;
        assert.ok(finished.sessionId.length > 0);
        assert.ok(finished.fileIds.length <= 10);
      }
    }
    assert.ok(read > 30, `only ${read} damaged bodies still read`);
  });
});
