/**
 * The front-end device control code of GB/T 28181-2022 Annex A.3 (the 8-byte `PTZCmd`), as
 * values: what the camera should do, independent of how the bytes lay it out.
 */

export type PanDirection = 'left' | 'right';
export type TiltDirection = 'up' | 'down';
export type ZoomDirection = 'in' | 'out';
export type FocusDirection = 'near' | 'far';
export type IrisDirection = 'open' | 'close';

/**
 * A.3.2: pan, tilt and zoom at once (all null = stop every PTZ motion, also cruise and scan).
 * Speeds: pan and tilt 0-255, zoom 0-15, slow to fast.
 */
export interface PtzMotion {
  kind: 'ptz';
  pan: PanDirection | null;
  tilt: TiltDirection | null;
  zoom: ZoomDirection | null;
  panSpeed: number;
  tiltSpeed: number;
  zoomSpeed: number;
}

/** A.3.3: focus and iris (both null = stop the lens). Speeds 0-255. */
export interface LensMotion {
  kind: 'fi';
  focus: FocusDirection | null;
  iris: IrisDirection | null;
  focusSpeed: number;
  irisSpeed: number;
}

/** A.3.4: preset 1-255 (0 is reserved). */
export interface PresetCommand {
  kind: 'preset';
  op: 'set' | 'call' | 'delete';
  preset: number;
}

/**
 * A.3.5: cruise (patrol) group 0-255. addPoint takes preset 1-255, deletePoint 0-255 (0 deletes the
 * whole cruise); setSpeed and setDwell (seconds) carry a 12-bit value 1-4095. Stop = PTZ stop.
 */
export type CruiseCommand =
  | { kind: 'cruise'; op: 'addPoint' | 'deletePoint'; group: number; preset: number }
  | { kind: 'cruise'; op: 'setSpeed' | 'setDwell'; group: number; value: number }
  | { kind: 'cruise'; op: 'start'; group: number };

/** A.3.6: automatic scan group 0-255; setSpeed carries a 12-bit value 1-4095. Stop = PTZ stop. */
export type ScanCommand =
  | { kind: 'scan'; op: 'start' | 'setLeft' | 'setRight'; group: number }
  | { kind: 'scan'; op: 'setSpeed'; group: number; value: number };

/** A.3.7: auxiliary switch 0-255 on or off (switch 1 is the wiper). */
export interface AuxCommand {
  kind: 'aux';
  op: 'on' | 'off';
  switchNo: number;
}

export type PtzCommand = PtzMotion | LensMotion | PresetCommand | CruiseCommand | ScanCommand | AuxCommand;

/** The fields of the 8 bytes that carry meaning (bytes 1, 2 and 8 follow from them). */
export interface PtzFrame {
  /** Byte 4. */
  command: number;
  /** Byte 5. */
  data1: number;
  /** Byte 6. */
  data2: number;
  /** High nibble of byte 7. */
  data3: number;
  /** 12 bits: byte 3 and the low nibble of byte 7. Devices ignore it (the XML DeviceID names the camera). */
  address: number;
}

export const PTZ_STOP: PtzMotion = Object.freeze({ kind: 'ptz', pan: null, tilt: null, zoom: null, panSpeed: 0, tiltSpeed: 0, zoomSpeed: 0 });
export const LENS_STOP: LensMotion = Object.freeze({ kind: 'fi', focus: null, iris: null, focusSpeed: 0, irisSpeed: 0 });
