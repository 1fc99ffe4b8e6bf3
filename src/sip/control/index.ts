/** Device control (GB/T 28181 9.3, A.2.3, A.3): the PTZCmd code, the control bodies, and the service the API uses. */
export * from './ptz-types';
export { encodePtzCmd, ptzFrameOf, ptzFrameBytes, combinationCode1, DEFAULT_PTZ_ADDRESS, PTZ_VERSION } from './ptz-encode';
export { decodePtzCmd, commandOfFrame, type DecodedPtzCmd, type PtzDecodeResult, type UnknownPtzCommand } from './ptz-decode';
export { PTZ_ACTIONS, ptzActionCommand, maxSpeedOf, DEFAULT_PTZ_SPEED, DEFAULT_ZOOM_SPEED, type PtzAction } from './ptz-actions';
export * from './control-xml';
export * from './control-responses';
export { ControlCommands, type ControlOutcome, type ControlTarget } from './control-commands';
export { ControlQueries, type PresetList, type DeviceConfigView, type ControlQueryOptions } from './control-queries';
export { ManscdpExchange } from './exchange';
export { DeviceControlService, type DeviceControlOptions, type PtzOutcome } from './device-control-service';
