import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { auxSwitchOnPtzCmd, buildDoorOpen } from '../../../src/operations/doors/door-command';

describe('door open command', () => {
  test('the auxiliary switch PTZCmd carries 8CH, the switch number and the byte-sum checksum', () => {
    assert.equal(auxSwitchOnPtzCmd(1), 'A50F018C01000042');
    assert.equal(auxSwitchOnPtzCmd(2), 'A50F018C02000043');
    assert.equal(auxSwitchOnPtzCmd(255), 'A50F018CFF000040');
    for (let n = 1; n < 256; n++) {
      const bytes = Buffer.from(auxSwitchOnPtzCmd(n), 'hex');
      const sum = bytes.subarray(0, 7).reduce((a, b) => a + b, 0) & 0xff;
      assert.equal(bytes[7], sum);
      assert.equal(bytes[1]! & 0x0f, (0xa + 0x5 + (bytes[1]! >> 4)) & 0x0f, 'byte 2 check nibble');
    }
  });

  test('the DeviceControl bodies', () => {
    const aux = buildDoorOpen('aux-switch', 42, '34020000001420000001', 1);
    assert.match(aux, /<Control>\s*<CmdType>DeviceControl<\/CmdType>\s*<SN>42<\/SN>\s*<DeviceID>34020000001420000001<\/DeviceID>\s*<PTZCmd>A50F018C01000042<\/PTZCmd>\s*<Info>\s*<ControlPriority>5<\/ControlPriority>\s*<\/Info>\s*<\/Control>/);
    const vendor = buildDoorOpen('door-cmd', 43, '34020000001240000001', 2);
    assert.match(vendor, /<DoorCmd>Open<\/DoorCmd>\s*<DoorNo>2<\/DoorNo>/);
  });
});
