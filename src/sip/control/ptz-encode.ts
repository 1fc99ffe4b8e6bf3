import type { CruiseCommand, PtzCommand, PtzFrame } from './ptz-types';

/** Version nibble of byte 2: GB/T 28181 control code version 1.0 is 0H. */
export const PTZ_VERSION = 0;

/**
 * Address written in byte 3. The standard leaves it unused (the XML DeviceID names the camera) and
 * calls 000H broadcast; 001H is what most deployed platforms send (`A50F01...`), so devices take it.
 */
export const DEFAULT_PTZ_ADDRESS = 1;

const CRUISE_CODES = { addPoint: 0x84, deletePoint: 0x85, setSpeed: 0x86, setDwell: 0x87, start: 0x88 } as const;
const SCAN_TARGETS = { start: 0x00, setLeft: 0x01, setRight: 0x02 } as const;

function check(name: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) throw new RangeError(`${name} must be a whole number from ${min} to ${max} (got ${value})`);
  return value;
}

/** A 12-bit value split as the standard does for cruise/scan speeds: low 8 bits in byte 6, high 4 bits in byte 7. */
function twelveBit(name: string, value: number): { data2: number; data3: number } {
  check(name, value, 1, 0xfff);
  return { data2: value & 0xff, data3: value >> 8 };
}

/** Byte 2: version in the high nibble, (A + 5 + version) % 16 in the low nibble. */
export function combinationCode1(version = PTZ_VERSION): number {
  return ((version & 0xf) << 4) | ((0xa + 0x5 + (version & 0xf)) % 16);
}

function cruiseFrame(cmd: CruiseCommand): Omit<PtzFrame, 'address'> {
  const group = check('cruise group', cmd.group, 0, 255);
  const command = CRUISE_CODES[cmd.op];
  switch (cmd.op) {
    case 'addPoint':
      return { command, data1: group, data2: check('preset', cmd.preset, 1, 255), data3: 0 };
    case 'deletePoint':
      return { command, data1: group, data2: check('preset', cmd.preset, 0, 255), data3: 0 };
    case 'setSpeed':
      return { command, data1: group, ...twelveBit('cruise speed', cmd.value) };
    case 'setDwell':
      return { command, data1: group, ...twelveBit('dwell time', cmd.value) };
    case 'start':
      return { command, data1: group, data2: 0, data3: 0 };
  }
}

/** Maps a command to the bytes that carry it; throws RangeError for values outside the standard's ranges. */
export function ptzFrameOf(cmd: PtzCommand): Omit<PtzFrame, 'address'> {
  switch (cmd.kind) {
    case 'ptz': {
      let code = 0;
      if (cmd.zoom === 'out') code |= 0x20;
      if (cmd.zoom === 'in') code |= 0x10;
      if (cmd.tilt === 'up') code |= 0x08;
      if (cmd.tilt === 'down') code |= 0x04;
      if (cmd.pan === 'left') code |= 0x02;
      if (cmd.pan === 'right') code |= 0x01;
      return {
        command: code,
        data1: check('pan speed', cmd.panSpeed, 0, 255),
        data2: check('tilt speed', cmd.tiltSpeed, 0, 255),
        data3: check('zoom speed', cmd.zoomSpeed, 0, 15),
      };
    }
    case 'fi': {
      let code = 0x40;
      if (cmd.iris === 'close') code |= 0x08;
      if (cmd.iris === 'open') code |= 0x04;
      if (cmd.focus === 'near') code |= 0x02;
      if (cmd.focus === 'far') code |= 0x01;
      return { command: code, data1: check('focus speed', cmd.focusSpeed, 0, 255), data2: check('iris speed', cmd.irisSpeed, 0, 255), data3: 0 };
    }
    case 'preset': {
      const code = cmd.op === 'set' ? 0x81 : cmd.op === 'call' ? 0x82 : 0x83;
      return { command: code, data1: 0, data2: check('preset', cmd.preset, 1, 255), data3: 0 };
    }
    case 'cruise':
      return cruiseFrame(cmd);
    case 'scan': {
      const group = check('scan group', cmd.group, 0, 255);
      if (cmd.op === 'setSpeed') return { command: 0x8a, data1: group, ...twelveBit('scan speed', cmd.value) };
      return { command: 0x89, data1: group, data2: SCAN_TARGETS[cmd.op], data3: 0 };
    }
    case 'aux':
      return { command: cmd.op === 'on' ? 0x8c : 0x8d, data1: check('switch', cmd.switchNo, 0, 255), data2: 0, data3: 0 };
  }
}

/** The 8 bytes of a frame (A.3.1); byte 8 = (bytes 1..7) % 256. */
export function ptzFrameBytes(frame: PtzFrame, version = PTZ_VERSION): Buffer {
  const address = check('address', frame.address, 0, 0xfff);
  const bytes = Buffer.alloc(8);
  bytes[0] = 0xa5;
  bytes[1] = combinationCode1(version);
  bytes[2] = address & 0xff;
  bytes[3] = check('command', frame.command, 0, 255);
  bytes[4] = check('data 1', frame.data1, 0, 255);
  bytes[5] = check('data 2', frame.data2, 0, 255);
  bytes[6] = (check('data 3', frame.data3, 0, 15) << 4) | (address >> 8);
  let sum = 0;
  for (let i = 0; i < 7; i++) sum += bytes[i] ?? 0;
  bytes[7] = sum % 256;
  return bytes;
}

/** The `<PTZCmd>` text: 16 upper-case hex digits. Throws RangeError for out-of-range values. */
export function encodePtzCmd(cmd: PtzCommand, address = DEFAULT_PTZ_ADDRESS): string {
  return ptzFrameBytes({ ...ptzFrameOf(cmd), address }).toString('hex').toUpperCase();
}
