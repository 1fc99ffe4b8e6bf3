import type { PtzCommand } from './ptz-types';

/** What an operator presses: the eight directions, zoom, focus, iris, and the two stops. */
export const PTZ_ACTIONS = [
  'up',
  'down',
  'left',
  'right',
  'upLeft',
  'upRight',
  'downLeft',
  'downRight',
  'zoomIn',
  'zoomOut',
  'focusNear',
  'focusFar',
  'irisOpen',
  'irisClose',
  /** Stops every pan/tilt/zoom motion (and cruise, scan): PTZ code 00H. */
  'stop',
  /** Stops focus and iris: FI code 40H (some lenses ignore the PTZ stop). */
  'stopLens',
] as const;

export type PtzAction = (typeof PTZ_ACTIONS)[number];

/** Defaults when the request names no speed: half of each range. */
export const DEFAULT_PTZ_SPEED = 128;
export const DEFAULT_ZOOM_SPEED = 8;

/** Highest speed an action takes: zoom has 4 bits (0-15), the rest a byte. */
export function maxSpeedOf(action: PtzAction): number {
  return action === 'zoomIn' || action === 'zoomOut' ? 15 : 255;
}

const DIRECTIONS: Partial<Record<PtzAction, { pan: 'left' | 'right' | null; tilt: 'up' | 'down' | null }>> = {
  up: { pan: null, tilt: 'up' },
  down: { pan: null, tilt: 'down' },
  left: { pan: 'left', tilt: null },
  right: { pan: 'right', tilt: null },
  upLeft: { pan: 'left', tilt: 'up' },
  upRight: { pan: 'right', tilt: 'up' },
  downLeft: { pan: 'left', tilt: 'down' },
  downRight: { pan: 'right', tilt: 'down' },
};

/** The command for an action; only the speed bytes the action uses are set (the others stay 0, as devices expect). */
export function ptzActionCommand(action: PtzAction, speed?: number): PtzCommand {
  const direction = DIRECTIONS[action];
  if (direction) {
    const s = speed ?? DEFAULT_PTZ_SPEED;
    return { kind: 'ptz', ...direction, zoom: null, panSpeed: direction.pan ? s : 0, tiltSpeed: direction.tilt ? s : 0, zoomSpeed: 0 };
  }
  const lens = speed ?? DEFAULT_PTZ_SPEED;
  switch (action) {
    case 'zoomIn':
    case 'zoomOut':
      return { kind: 'ptz', pan: null, tilt: null, zoom: action === 'zoomIn' ? 'in' : 'out', panSpeed: 0, tiltSpeed: 0, zoomSpeed: speed ?? DEFAULT_ZOOM_SPEED };
    case 'focusNear':
    case 'focusFar':
      return { kind: 'fi', focus: action === 'focusNear' ? 'near' : 'far', iris: null, focusSpeed: lens, irisSpeed: 0 };
    case 'irisOpen':
    case 'irisClose':
      return { kind: 'fi', focus: null, iris: action === 'irisOpen' ? 'open' : 'close', focusSpeed: 0, irisSpeed: lens };
    case 'stopLens':
      return { kind: 'fi', focus: null, iris: null, focusSpeed: 0, irisSpeed: 0 };
    default:
      return { kind: 'ptz', pan: null, tilt: null, zoom: null, panSpeed: 0, tiltSpeed: 0, zoomSpeed: 0 };
  }
}
