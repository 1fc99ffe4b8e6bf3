/**
 * The sub-commands of a `<Control>` DeviceControl / DeviceConfig body (GB/T 28181-2022 A.2.3.1,
 * A.2.3.2) as MANSCDP fields, and which of them the device answers with a Response (9.3.3.3 table 1).
 */
import { buildManscdp, type ManscdpField } from '../manscdp';

/**
 * The element naming a DeviceControl sub-command. IFameCmd is the 2016 spelling that deployed
 * devices parse; IFrameCmd is the 2022 correction.
 */
export type ControlCommandName =
  | 'PTZCmd'
  | 'TeleBoot'
  | 'RecordCmd'
  | 'GuardCmd'
  | 'AlarmCmd'
  | 'IFameCmd'
  | 'IFrameCmd'
  | 'DragZoomIn'
  | 'DragZoomOut'
  | 'HomePosition'
  | 'PTZPreciseCtrl';

/** 9.3.3.3 table 1: these are answered with a Response DeviceControl carrying Result (A.2.6.2); the rest are not. */
const ANSWERED: ReadonlySet<ControlCommandName> = new Set(['RecordCmd', 'GuardCmd', 'AlarmCmd', 'HomePosition']);

export function expectsResponse(command: ControlCommandName): boolean {
  return ANSWERED.has(command);
}

export interface ControlRequest {
  command: ControlCommandName;
  fields: ManscdpField[];
}

export interface PtzCmdParams {
  /** With a set-preset code. */
  presetName?: string;
  /** With cruise codes (at most 32 bytes). */
  cruiseTrackName?: string;
}

export function ptzRequest(hex: string, params: PtzCmdParams = {}): ControlRequest {
  const extra = [
    ...(params.presetName !== undefined ? [{ name: 'PresetName', text: params.presetName }] : []),
    ...(params.cruiseTrackName !== undefined ? [{ name: 'CruiseTrackName', text: params.cruiseTrackName }] : []),
  ];
  return { command: 'PTZCmd', fields: [['PTZCmd', hex], ...(extra.length > 0 ? [{ name: 'PTZCmdParams', children: extra }] : [])] };
}

export const teleBootRequest = (): ControlRequest => ({ command: 'TeleBoot', fields: [['TeleBoot', 'Boot']] });

export function recordRequest(start: boolean, streamNumber?: number): ControlRequest {
  return { command: 'RecordCmd', fields: [['RecordCmd', start ? 'Record' : 'StopRecord'], ['StreamNumber', streamNumber]] };
}

export const guardRequest = (set: boolean): ControlRequest => ({ command: 'GuardCmd', fields: [['GuardCmd', set ? 'SetGuard' : 'ResetGuard']] });

export interface AlarmResetInfo {
  /** 0 all, 1 phone, 2 device, 3 SMS, 4 GPS, 5 video, 6 device fault, 7 other; combinations as "1/2". */
  alarmMethod?: string;
  alarmType?: string;
}

export function alarmResetRequest(info: AlarmResetInfo = {}): ControlRequest {
  const children = [
    ...(info.alarmMethod !== undefined ? [{ name: 'AlarmMethod', text: info.alarmMethod }] : []),
    ...(info.alarmType !== undefined ? [{ name: 'AlarmType', text: info.alarmType }] : []),
  ];
  return { command: 'AlarmCmd', fields: [['AlarmCmd', 'ResetAlarm'], ...(children.length > 0 ? [{ name: 'Info', children }] : [])] };
}

export const iframeRequest = (element: 'IFameCmd' | 'IFrameCmd' = 'IFameCmd'): ControlRequest => ({ command: element, fields: [[element, 'Send']] });

/** A box in the viewer's window, in pixels, origin top left (A.2.3.1.8/9). */
export interface DragZoomBox {
  /** Window width (the standard's "length") and height. */
  length: number;
  width: number;
  midPointX: number;
  midPointY: number;
  lengthX: number;
  lengthY: number;
}

export function dragZoomRequest(zoomIn: boolean, box: DragZoomBox): ControlRequest {
  const name = zoomIn ? 'DragZoomIn' : 'DragZoomOut';
  return {
    command: name,
    fields: [
      {
        name,
        children: [
          { name: 'Length', text: box.length },
          { name: 'Width', text: box.width },
          { name: 'MidPointX', text: box.midPointX },
          { name: 'MidPointY', text: box.midPointY },
          { name: 'LengthX', text: box.lengthX },
          { name: 'LengthY', text: box.lengthY },
        ],
      },
    ],
  };
}

export interface HomePositionSettings {
  enabled: boolean;
  /** Seconds of idleness before the camera returns to the home position. */
  resetTime?: number;
  /** Preset 0-255 used as the home position. */
  presetIndex?: number;
}

export function homePositionRequest(settings: HomePositionSettings): ControlRequest {
  const children = [
    { name: 'Enabled', text: settings.enabled ? 1 : 0 },
    ...(settings.resetTime !== undefined ? [{ name: 'ResetTime', text: settings.resetTime }] : []),
    ...(settings.presetIndex !== undefined ? [{ name: 'PresetIndex', text: settings.presetIndex }] : []),
  ];
  return { command: 'HomePosition', fields: [{ name: 'HomePosition', children }] };
}

/** PTZPreciseCtrl (2022): absolute pan 0-360, tilt -30..90 degrees and zoom factor, each optional. */
export interface PrecisePosition {
  pan?: number;
  tilt?: number;
  zoom?: number;
}

export function preciseRequest(position: PrecisePosition): ControlRequest {
  const children = (['Pan', 'Tilt', 'Zoom'] as const).flatMap((name) => {
    const value = position[name.toLowerCase() as 'pan' | 'tilt' | 'zoom'];
    return value === undefined ? [] : [{ name, text: value.toFixed(2) }];
  });
  return { command: 'PTZPreciseCtrl', fields: [{ name: 'PTZPreciseCtrl', children }] };
}

export function deviceControlXml(sn: number, targetId: string, request: ControlRequest): string {
  return buildManscdp('Control', 'DeviceControl', sn, targetId, request.fields);
}

/** BasicParam of DeviceConfig (A.2.1.19); only the given fields are written. */
export interface BasicParamSettings {
  name?: string;
  /** Registration expiry, seconds. */
  expiration?: number;
  /** Keepalive interval, seconds. */
  heartBeatInterval?: number;
  /** Missed keepalives before the device counts as offline. */
  heartBeatCount?: number;
}

export function deviceConfigXml(sn: number, targetId: string, basic: BasicParamSettings): string {
  const children = [
    ...(basic.name !== undefined ? [{ name: 'Name', text: basic.name }] : []),
    ...(basic.expiration !== undefined ? [{ name: 'Expiration', text: basic.expiration }] : []),
    ...(basic.heartBeatInterval !== undefined ? [{ name: 'HeartBeatInterval', text: basic.heartBeatInterval }] : []),
    ...(basic.heartBeatCount !== undefined ? [{ name: 'HeartBeatCount', text: basic.heartBeatCount }] : []),
  ];
  return buildManscdp('Control', 'DeviceConfig', sn, targetId, [{ name: 'BasicParam', children }]);
}
