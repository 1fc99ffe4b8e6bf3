import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  DEFAULT_PTZ_ADDRESS,
  PTZ_ACTIONS,
  PTZ_STOP,
  combinationCode1,
  decodePtzCmd,
  encodePtzCmd,
  maxSpeedOf,
  ptzActionCommand,
  type PtzCommand,
} from '../../../src/sip/control';
import { pick, randomInt, seededRandom } from '../../helpers/random';

/**
 * The code written out from GB/T 28181-2022 A.3.1, independently of the encoder: byte 1 A5H, byte 2
 * version 0 with check nibble (A + 5 + 0) % 16 = F, byte 3 address low 8 bits, byte 4 command,
 * bytes 5-6 data, byte 7 data 3 (high nibble) and address high 4 bits, byte 8 the sum mod 256.
 */
function standardCode(command: number, data1: number, data2: number, data3 = 0, address = DEFAULT_PTZ_ADDRESS): string {
  const bytes = [0xa5, 0x0f, address & 0xff, command, data1, data2, ((data3 & 0xf) << 4) | ((address >> 8) & 0xf)];
  bytes.push(bytes.reduce((s, b) => s + b, 0) % 256);
  return bytes.map((b) => b.toString(16).padStart(2, '0').toUpperCase()).join('');
}

const motion = (over: Partial<Extract<PtzCommand, { kind: 'ptz' }>>): PtzCommand => ({ ...PTZ_STOP, ...over });
const lens = (over: Partial<Extract<PtzCommand, { kind: 'fi' }>>): PtzCommand => ({ kind: 'fi', focus: null, iris: null, focusSpeed: 0, irisSpeed: 0, ...over });

describe('PTZCmd encoding (GB/T 28181-2022 A.3)', () => {
  test('byte 2 of version 1.0 is 0FH: the check nibble is (A + 5 + 0) % 16', () => {
    assert.equal(combinationCode1(0), 0x0f);
    assert.equal(combinationCode1(1), 0x10);
    assert.equal(combinationCode1(2), 0x21);
  });

  test('literal codes a Dahua dome was driven with in a published capture encode byte for byte', () => {
    // dahua-dome/26: up at tilt speed 100, address 0; 28 and 32: stop; 30: focus far with the speed in byte 6.
    assert.equal(encodePtzCmd(motion({ tilt: 'up', tiltSpeed: 0x64 }), 0), 'A50F000800640020');
    assert.equal(encodePtzCmd(PTZ_STOP, 0), 'A50F0000000000B4');
    assert.equal(encodePtzCmd(lens({ focus: 'far', irisSpeed: 0x64 }), 0), 'A50F004100640059');
  });

  test('the widely published "left at speed 1FH" code A50F01021F0000D6 is what the default address gives', () => {
    assert.equal(DEFAULT_PTZ_ADDRESS, 1);
    assert.equal(encodePtzCmd(motion({ pan: 'left', panSpeed: 0x1f })), 'A50F01021F0000D6');
  });

  test('the examples of table A.5 (PTZ) encode to the command byte the table gives', () => {
    const cases: Array<[PtzCommand, number, number, number, number]> = [
      [motion({ zoom: 'out', zoomSpeed: 5 }), 0x20, 0, 0, 5],
      [motion({ zoom: 'in', zoomSpeed: 15 }), 0x10, 0, 0, 15],
      [motion({ tilt: 'up', tiltSpeed: 200 }), 0x08, 0, 200, 0],
      [motion({ tilt: 'down', tiltSpeed: 1 }), 0x04, 0, 1, 0],
      [motion({ pan: 'left', panSpeed: 255 }), 0x02, 255, 0, 0],
      [motion({ pan: 'right', panSpeed: 0 }), 0x01, 0, 0, 0],
      [PTZ_STOP, 0x00, 0, 0, 0],
      [motion({ pan: 'right', tilt: 'up', zoom: 'out', panSpeed: 0x30, tiltSpeed: 0x40, zoomSpeed: 7 }), 0x29, 0x30, 0x40, 7],
    ];
    for (const [cmd, code, d1, d2, d3] of cases) assert.equal(encodePtzCmd(cmd), standardCode(code, d1, d2, d3), JSON.stringify(cmd));
  });

  test('the examples of table A.7 (focus and iris) encode to the command byte the table gives', () => {
    const cases: Array<[PtzCommand, number, number, number]> = [
      [lens({ iris: 'close', irisSpeed: 0x80 }), 0x48, 0, 0x80],
      [lens({ iris: 'open', irisSpeed: 0x10 }), 0x44, 0, 0x10],
      [lens({ focus: 'near', focusSpeed: 0x20 }), 0x42, 0x20, 0],
      [lens({ focus: 'far', focusSpeed: 0xff }), 0x41, 0xff, 0],
      [lens({}), 0x40, 0, 0],
      [lens({ iris: 'close', focus: 'far', focusSpeed: 3, irisSpeed: 4 }), 0x49, 3, 4],
    ];
    for (const [cmd, code, d1, d2] of cases) assert.equal(encodePtzCmd(cmd), standardCode(code, d1, d2), JSON.stringify(cmd));
  });

  test('presets (A.8), cruise (A.9), scan (A.10) and auxiliary switches (A.11) put group, preset and value where the tables say', () => {
    const cases: Array<[PtzCommand, string]> = [
      [{ kind: 'preset', op: 'set', preset: 1 }, standardCode(0x81, 0, 1)],
      [{ kind: 'preset', op: 'call', preset: 255 }, standardCode(0x82, 0, 255)],
      [{ kind: 'preset', op: 'delete', preset: 17 }, standardCode(0x83, 0, 17)],
      [{ kind: 'cruise', op: 'addPoint', group: 2, preset: 9 }, standardCode(0x84, 2, 9)],
      [{ kind: 'cruise', op: 'deletePoint', group: 2, preset: 0 }, standardCode(0x85, 2, 0)],
      // 12-bit values: low 8 bits in byte 6, high 4 bits in the high nibble of byte 7.
      [{ kind: 'cruise', op: 'setSpeed', group: 3, value: 0x123 }, standardCode(0x86, 3, 0x23, 0x1)],
      [{ kind: 'cruise', op: 'setDwell', group: 0, value: 4095 }, standardCode(0x87, 0, 0xff, 0xf)],
      [{ kind: 'cruise', op: 'start', group: 255 }, standardCode(0x88, 255, 0)],
      [{ kind: 'scan', op: 'start', group: 1 }, standardCode(0x89, 1, 0)],
      [{ kind: 'scan', op: 'setLeft', group: 1 }, standardCode(0x89, 1, 1)],
      [{ kind: 'scan', op: 'setRight', group: 1 }, standardCode(0x89, 1, 2)],
      [{ kind: 'scan', op: 'setSpeed', group: 4, value: 300 }, standardCode(0x8a, 4, 300 & 0xff, 300 >> 8)],
      [{ kind: 'aux', op: 'on', switchNo: 1 }, standardCode(0x8c, 1, 0)],
      [{ kind: 'aux', op: 'off', switchNo: 1 }, standardCode(0x8d, 1, 0)],
    ];
    for (const [cmd, hex] of cases) assert.equal(encodePtzCmd(cmd), hex, JSON.stringify(cmd));
  });

  test('a 12-bit address puts its high nibble in byte 7 beside data 3', () => {
    assert.equal(encodePtzCmd(motion({ zoom: 'in', zoomSpeed: 0xa }), 0xabc), standardCode(0x10, 0, 0, 0xa, 0xabc));
    assert.equal(encodePtzCmd(motion({ zoom: 'in', zoomSpeed: 0xa }), 0xabc).slice(12, 14), 'AA');
  });

  test('values outside the standard ranges are refused with a RangeError naming the field', () => {
    const bad: Array<[PtzCommand, RegExp]> = [
      [motion({ pan: 'left', panSpeed: 256 }), /pan speed/],
      [motion({ tilt: 'up', tiltSpeed: -1 }), /tilt speed/],
      [motion({ zoom: 'in', zoomSpeed: 16 }), /zoom speed/],
      [motion({ pan: 'left', panSpeed: 1.5 }), /pan speed/],
      [lens({ focus: 'near', focusSpeed: 300 }), /focus speed/],
      [{ kind: 'preset', op: 'set', preset: 0 }, /preset/],
      [{ kind: 'preset', op: 'call', preset: 256 }, /preset/],
      [{ kind: 'cruise', op: 'addPoint', group: 1, preset: 0 }, /preset/],
      [{ kind: 'cruise', op: 'setSpeed', group: 1, value: 4096 }, /cruise speed/],
      [{ kind: 'cruise', op: 'setDwell', group: 1, value: 0 }, /dwell/],
      [{ kind: 'cruise', op: 'start', group: 256 }, /cruise group/],
      [{ kind: 'scan', op: 'setSpeed', group: 1, value: 5000 }, /scan speed/],
      [{ kind: 'aux', op: 'on', switchNo: 999 }, /switch/],
    ];
    for (const [cmd, message] of bad) assert.throws(() => encodePtzCmd(cmd), (err: unknown) => err instanceof RangeError && message.test(err.message), JSON.stringify(cmd));
    assert.throws(() => encodePtzCmd(PTZ_STOP, 4096), RangeError);
  });
});

describe('PTZ actions of the API', () => {
  test('each action sets only its own bits and speed bytes', () => {
    const expected: Record<string, string> = {
      up: standardCode(0x08, 0, 100),
      down: standardCode(0x04, 0, 100),
      left: standardCode(0x02, 100, 0),
      right: standardCode(0x01, 100, 0),
      upLeft: standardCode(0x0a, 100, 100),
      upRight: standardCode(0x09, 100, 100),
      downLeft: standardCode(0x06, 100, 100),
      downRight: standardCode(0x05, 100, 100),
      zoomIn: standardCode(0x10, 0, 0, 10),
      zoomOut: standardCode(0x20, 0, 0, 10),
      focusNear: standardCode(0x42, 100, 0),
      focusFar: standardCode(0x41, 100, 0),
      irisOpen: standardCode(0x44, 0, 100),
      irisClose: standardCode(0x48, 0, 100),
      stop: standardCode(0x00, 0, 0),
      stopLens: standardCode(0x40, 0, 0),
    };
    assert.deepEqual(Object.keys(expected).sort(), [...PTZ_ACTIONS].sort());
    for (const action of PTZ_ACTIONS) {
      const speed = action.startsWith('zoom') ? 10 : 100;
      assert.equal(encodePtzCmd(ptzActionCommand(action, speed)), expected[action], action);
    }
  });

  test('zoom takes 0-15, the others 0-255; without a speed the middle of the range is used', () => {
    assert.equal(maxSpeedOf('zoomIn'), 15);
    assert.equal(maxSpeedOf('left'), 255);
    assert.equal(encodePtzCmd(ptzActionCommand('zoomOut')), standardCode(0x20, 0, 0, 8));
    assert.equal(encodePtzCmd(ptzActionCommand('upRight')), standardCode(0x09, 128, 128));
  });
});

describe('PTZCmd decoding', () => {
  test('the Dahua capture codes decode to what the operator did', () => {
    const up = decodePtzCmd('A50F000800640020');
    assert.ok(up.ok);
    assert.deepEqual(up.value.command, motion({ tilt: 'up', tiltSpeed: 100 }));
    assert.equal(up.value.checksumValid, true);
    assert.equal(up.value.combinationValid, true);
    assert.equal(up.value.frame.address, 0);
    const far = decodePtzCmd(' a50f004100640059\n');
    assert.ok(far.ok);
    assert.deepEqual(far.value.command, lens({ focus: 'far', irisSpeed: 100 }));
  });

  test('a wrong checksum or check nibble is reported, not refused', () => {
    const r = decodePtzCmd('A50E0000000000B3');
    assert.ok(r.ok);
    assert.equal(r.value.combinationValid, false);
    assert.equal(r.value.checksumValid, true);
    const s = decodePtzCmd('A50F0000000000B5');
    assert.ok(s.ok);
    assert.equal(s.value.checksumValid, false);
  });

  test('contradicting bits and undefined command bytes decode as unknown', () => {
    for (const code of [0x30, 0x0c, 0x03, 0x4c, 0x43, 0x80, 0x8b, 0x8e, 0xff, 0x50]) {
      const r = decodePtzCmd(standardCode(code, 0, 0));
      assert.ok(r.ok);
      assert.deepEqual(r.value.command, { kind: 'unknown', code }, code.toString(16));
    }
    const scan = decodePtzCmd(standardCode(0x89, 1, 7));
    assert.ok(scan.ok);
    assert.equal(scan.value.command.kind, 'unknown');
  });

  test('what is not 16 hex digits starting with A5 is an error', () => {
    for (const bad of ['', 'A50F01', 'A50F0100000000B5FF', 'B50F0100000000B5', 'A50F01000000 0B5', 'A50F010000000GB5', 42, null, undefined, {}]) {
      const r = decodePtzCmd(bad);
      assert.equal(r.ok, false, String(bad));
    }
  });

  test('every valid command survives an encode/decode round trip (2,000 random commands)', () => {
    const rand = seededRandom(0x28181);
    const b = () => randomInt(rand, 0, 255);
    const gen = (): PtzCommand => {
      switch (randomInt(rand, 0, 5)) {
        case 0:
          return { kind: 'ptz', pan: pick(rand, ['left', 'right', null] as const), tilt: pick(rand, ['up', 'down', null] as const), zoom: pick(rand, ['in', 'out', null] as const), panSpeed: b(), tiltSpeed: b(), zoomSpeed: randomInt(rand, 0, 15) };
        case 1:
          return { kind: 'fi', focus: pick(rand, ['near', 'far', null] as const), iris: pick(rand, ['open', 'close', null] as const), focusSpeed: b(), irisSpeed: b() };
        case 2:
          return { kind: 'preset', op: pick(rand, ['set', 'call', 'delete'] as const), preset: randomInt(rand, 1, 255) };
        case 3: {
          const group = b();
          return pick(rand, [
            { kind: 'cruise', op: 'addPoint', group, preset: randomInt(rand, 1, 255) },
            { kind: 'cruise', op: 'deletePoint', group, preset: b() },
            { kind: 'cruise', op: 'setSpeed', group, value: randomInt(rand, 1, 4095) },
            { kind: 'cruise', op: 'setDwell', group, value: randomInt(rand, 1, 4095) },
            { kind: 'cruise', op: 'start', group },
          ] as const);
        }
        case 4:
          return randomInt(rand, 0, 1) === 0 ? { kind: 'scan', op: pick(rand, ['start', 'setLeft', 'setRight'] as const), group: b() } : { kind: 'scan', op: 'setSpeed', group: b(), value: randomInt(rand, 1, 4095) };
        default:
          return { kind: 'aux', op: pick(rand, ['on', 'off'] as const), switchNo: b() };
      }
    };
    for (let i = 0; i < 2000; i++) {
      const cmd = gen();
      const address = randomInt(rand, 0, 4095);
      const hex = encodePtzCmd(cmd, address);
      assert.match(hex, /^A5[0-9A-F]{14}$/);
      const r = decodePtzCmd(hex);
      assert.ok(r.ok, hex);
      assert.deepEqual(r.value.command, cmd, hex);
      assert.equal(r.value.frame.address, address);
      assert.equal(r.value.checksumValid, true);
      assert.equal(r.value.combinationValid, true);
    }
  });

  test('10,000 random and damaged inputs never throw and decode to sane values', () => {
    const rand = seededRandom(0xa50f);
    const hexDigits = '0123456789ABCDEFabcdef';
    const anyChars = '0123456789ABCDEF \t\n\r-xZ\u00e9\u4e2d\u0000';
    const kinds = new Set(['ptz', 'fi', 'preset', 'cruise', 'scan', 'aux', 'unknown']);
    let decoded = 0;
    for (let i = 0; i < 10_000; i++) {
      let input: string;
      const mode = randomInt(rand, 0, 3);
      if (mode === 0) input = 'A5' + Array.from({ length: 14 }, () => pick(rand, [...hexDigits])).join('');
      else if (mode === 1) input = Array.from({ length: 16 }, () => pick(rand, [...hexDigits])).join('');
      else if (mode === 2) input = Array.from({ length: randomInt(rand, 0, 40) }, () => pick(rand, [...anyChars])).join('');
      else {
        const valid = standardCode(randomInt(rand, 0, 255), randomInt(rand, 0, 255), randomInt(rand, 0, 255), randomInt(rand, 0, 15), randomInt(rand, 0, 4095));
        const at = randomInt(rand, 0, 15);
        input = randomInt(rand, 0, 1) === 0 ? valid.slice(0, at) + pick(rand, [...anyChars]) + valid.slice(at + 1) : valid.slice(0, at);
      }
      const r = decodePtzCmd(input);
      if (!r.ok) {
        assert.equal(typeof r.error, 'string');
        continue;
      }
      decoded++;
      const { frame, command } = r.value;
      for (const v of [frame.command, frame.data1, frame.data2]) assert.ok(Number.isInteger(v) && v >= 0 && v <= 255);
      assert.ok(frame.data3 >= 0 && frame.data3 <= 15);
      assert.ok(frame.address >= 0 && frame.address <= 4095);
      assert.ok(kinds.has(command.kind));
      assert.equal(typeof r.value.checksumValid, 'boolean');
    }
    assert.ok(decoded > 1000, `only ${decoded} inputs decoded`);
  });
});
