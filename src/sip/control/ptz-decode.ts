import { combinationCode1 } from './ptz-encode';
import type { PtzCommand, PtzFrame } from './ptz-types';

/** A command byte the standard does not define, or one with contradicting bits (up and down at once). */
export interface UnknownPtzCommand {
  kind: 'unknown';
  code: number;
}

export interface DecodedPtzCmd {
  frame: PtzFrame;
  /** High nibble of byte 2 (0 for version 1.0). */
  version: number;
  command: PtzCommand | UnknownPtzCommand;
  /** Byte 8 is the sum of bytes 1-7 mod 256. */
  checksumValid: boolean;
  /** The low nibble of byte 2 matches its version nibble. */
  combinationValid: boolean;
}

export type PtzDecodeResult = { ok: true; value: DecodedPtzCmd } | { ok: false; error: string };

const HEX16 = /^[0-9A-Fa-f]{16}$/;
const CRUISE_OPS = ['addPoint', 'deletePoint', 'setSpeed', 'setDwell', 'start'] as const;

function bit(code: number, mask: number): boolean {
  return (code & mask) !== 0;
}

function motionOf(frame: PtzFrame): PtzCommand | UnknownPtzCommand {
  const { command: code, data1, data2, data3 } = frame;
  if (bit(code, 0x20) && bit(code, 0x10)) return { kind: 'unknown', code };
  if (bit(code, 0x08) && bit(code, 0x04)) return { kind: 'unknown', code };
  if (bit(code, 0x02) && bit(code, 0x01)) return { kind: 'unknown', code };
  return {
    kind: 'ptz',
    zoom: bit(code, 0x20) ? 'out' : bit(code, 0x10) ? 'in' : null,
    tilt: bit(code, 0x08) ? 'up' : bit(code, 0x04) ? 'down' : null,
    pan: bit(code, 0x02) ? 'left' : bit(code, 0x01) ? 'right' : null,
    panSpeed: data1,
    tiltSpeed: data2,
    zoomSpeed: data3,
  };
}

function lensOf(frame: PtzFrame): PtzCommand | UnknownPtzCommand {
  const { command: code, data1, data2 } = frame;
  if ((bit(code, 0x08) && bit(code, 0x04)) || (bit(code, 0x02) && bit(code, 0x01))) return { kind: 'unknown', code };
  return {
    kind: 'fi',
    iris: bit(code, 0x08) ? 'close' : bit(code, 0x04) ? 'open' : null,
    focus: bit(code, 0x02) ? 'near' : bit(code, 0x01) ? 'far' : null,
    focusSpeed: data1,
    irisSpeed: data2,
  };
}

/** What the command byte means (A.3.2-A.3.7). Values are reported as sent, even outside the standard's ranges. */
export function commandOfFrame(frame: PtzFrame): PtzCommand | UnknownPtzCommand {
  const { command: code, data1, data2, data3 } = frame;
  if (code <= 0x3f) return motionOf(frame);
  if (code <= 0x4f) return lensOf(frame);
  if (code >= 0x81 && code <= 0x83) return { kind: 'preset', op: code === 0x81 ? 'set' : code === 0x82 ? 'call' : 'delete', preset: data2 };
  if (code >= 0x84 && code <= 0x88) {
    const op = CRUISE_OPS[code - 0x84] ?? 'start';
    if (op === 'addPoint' || op === 'deletePoint') return { kind: 'cruise', op, group: data1, preset: data2 };
    if (op === 'setSpeed' || op === 'setDwell') return { kind: 'cruise', op, group: data1, value: (data3 << 8) | data2 };
    return { kind: 'cruise', op, group: data1 };
  }
  if (code === 0x89) {
    const op = data2 === 0 ? 'start' : data2 === 1 ? 'setLeft' : data2 === 2 ? 'setRight' : null;
    return op === null ? { kind: 'unknown', code } : { kind: 'scan', op, group: data1 };
  }
  if (code === 0x8a) return { kind: 'scan', op: 'setSpeed', group: data1, value: (data3 << 8) | data2 };
  if (code === 0x8c || code === 0x8d) return { kind: 'aux', op: code === 0x8c ? 'on' : 'off', switchNo: data1 };
  return { kind: 'unknown', code };
}

/**
 * Reads a `<PTZCmd>` value (16 hex digits, surrounding whitespace allowed). Total: anything that is
 * not 8 bytes starting with A5H is an error; wrong checksums are reported, not refused, because
 * what other platforms forward is not always computed right.
 */
export function decodePtzCmd(text: unknown): PtzDecodeResult {
  if (typeof text !== 'string') return { ok: false, error: 'PTZCmd is not a string' };
  const hex = text.trim();
  if (!HEX16.test(hex)) return { ok: false, error: 'PTZCmd must be 16 hex digits' };
  const bytes = Buffer.from(hex, 'hex');
  const b = (i: number): number => bytes[i] ?? 0;
  if (b(0) !== 0xa5) return { ok: false, error: 'PTZCmd must start with A5' };
  let sum = 0;
  for (let i = 0; i < 7; i++) sum += b(i);
  const version = b(1) >> 4;
  const frame: PtzFrame = { command: b(3), data1: b(4), data2: b(5), data3: b(6) >> 4, address: ((b(6) & 0x0f) << 8) | b(2) };
  return {
    ok: true,
    value: {
      frame,
      version,
      command: commandOfFrame(frame),
      checksumValid: sum % 256 === b(7),
      combinationValid: combinationCode1(version) === b(1),
    },
  };
}
