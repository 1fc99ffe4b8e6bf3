/**
 * OpenAPI paths and schemas of device control (src/api/routes/control.ts), merged into openapi.ts.
 */
import { body, errorResponse, gbIdSchema, json, ref } from './openapi-parts';
const gbId = gbIdSchema();
const deviceErrors = {
  '400': { ...errorResponse, description: 'Unknown command or a value out of range' },
  '401': errorResponse,
  '404': { ...errorResponse, description: 'Unknown channel or device' },
  '409': { ...errorResponse, description: 'Device offline' },
  '502': { ...errorResponse, description: 'Device answered Result ERROR, or refused the MESSAGE' },
  '504': { ...errorResponse, description: 'Device did not answer in time' },
};
const channel = { name: 'channelId', in: 'path', required: true, schema: gbId, description: 'A channel, or a device that is its own channel (an IPC)' };
const device = { name: 'deviceId', in: 'path', required: true, schema: gbId };
const preset = { name: 'presetId', in: 'path', required: true, schema: { type: 'integer', minimum: 1, maximum: 255 } };
const byte = { type: 'integer', minimum: 0, maximum: 255 };
const twelveBit = { type: 'integer', minimum: 1, maximum: 4095 };
const pixels = { type: 'integer', minimum: 0, maximum: 65535 };

/** Commands with no Response in the standard answer 202 once the device took the MESSAGE; those with one answer 200 after Result OK. */
const sent = { '202': json(ref('ControlOutcome'), 'Sent; the device took the MESSAGE (the standard defines no Result for it)'), ...deviceErrors };
const confirmed = { '200': json(ref('ControlOutcome'), 'The device answered Result OK'), ...deviceErrors };
const command = (summary: string, schema: object, responses: object, parameters: object[] = [channel]) => ({
  post: { summary, parameters, requestBody: body(schema), responses },
});

export const controlSchemas = {
  ControlOutcome: {
    type: 'object',
    required: ['deviceId', 'targetId', 'command', 'sn', 'confirmed'],
    properties: {
      deviceId: { ...gbId, description: 'The device the MESSAGE went to' },
      targetId: { ...gbId, description: 'DeviceID in the XML: the channel, or the device itself' },
      command: { type: 'string', description: 'PTZCmd, RecordCmd, GuardCmd, AlarmCmd, IFameCmd, HomePosition, DragZoomIn, DeviceConfig, ...' },
      sn: { type: 'integer' },
      confirmed: { type: 'boolean', description: 'true: Result OK came back; false: no Result is defined for this command' },
      ptzCmd: { type: 'string', pattern: '^[0-9A-F]{16}$', description: 'PTZ commands: the 8-byte code sent (GB/T 28181 A.3)' },
    },
  },
  PresetList: {
    type: 'object',
    properties: {
      deviceId: gbId,
      targetId: gbId,
      complete: { type: 'boolean', description: 'false when the answer timed out part-way' },
      sumNum: { type: 'integer' },
      presets: { type: 'array', items: { type: 'object', properties: { id: { type: 'integer' }, name: { type: ['string', 'null'] } } } },
    },
  },
  DeviceConfig: {
    type: 'object',
    properties: {
      deviceId: gbId,
      targetId: gbId,
      complete: { type: 'boolean', description: 'Every asked type arrived' },
      refused: { type: 'integer', description: 'Answers with Result ERROR' },
      configs: {
        type: 'object',
        description: 'By ConfigType. BasicParam and VideoParamOpt are typed; other types are the XML as JSON (text leaves, repeated elements as arrays).',
        properties: {
          BasicParam: {
            type: 'object',
            properties: {
              name: { type: ['string', 'null'] },
              deviceId: { type: ['string', 'null'] },
              sipServerId: { type: ['string', 'null'] },
              sipServerIp: { type: ['string', 'null'] },
              sipServerPort: { type: ['integer', 'null'] },
              domainName: { type: ['string', 'null'] },
              expiration: { type: ['integer', 'null'] },
              heartBeatInterval: { type: ['integer', 'null'] },
              heartBeatCount: { type: ['integer', 'null'] },
              positionCapability: { type: ['integer', 'null'] },
              longitude: { type: ['number', 'null'] },
              latitude: { type: ['number', 'null'] },
            },
          },
          VideoParamOpt: {
            type: 'object',
            properties: { downloadSpeed: { type: 'array', items: { type: 'number' } }, resolution: { type: 'array', items: { type: 'string' } } },
          },
        },
      },
    },
  },
};

const ptzActions = ['up', 'down', 'left', 'right', 'upLeft', 'upRight', 'downLeft', 'downRight', 'zoomIn', 'zoomOut', 'focusNear', 'focusFar', 'irisOpen', 'irisClose', 'stop', 'stopLens'];

export const controlPaths = {
  '/channels/{channelId}/ptz': command(
    'Move the camera (PTZCmd): a direction, zoom, focus or iris until `stop` / `stopLens`',
    {
      type: 'object',
      required: ['action'],
      properties: {
        action: { type: 'string', enum: ptzActions },
        speed: { type: 'integer', minimum: 0, maximum: 255, description: 'Pan/tilt, focus and iris 0-255 (default 128); zoom 0-15 (default 8)' },
      },
    },
    sent,
  ),
  '/channels/{channelId}/presets': {
    get: { summary: 'The camera\'s presets (PresetQuery)', parameters: [channel], responses: { '200': json(ref('PresetList')), ...deviceErrors } },
    post: {
      summary: 'Store the current position as a preset (PTZCmd 81H)',
      parameters: [channel],
      requestBody: body({ type: 'object', required: ['id'], properties: { id: { type: 'integer', minimum: 1, maximum: 255 }, name: { type: 'string', maxLength: 64, description: 'Sent as PTZCmdParams/PresetName' } } }),
      responses: sent,
    },
  },
  '/channels/{channelId}/presets/{presetId}/call': {
    post: { summary: 'Go to a preset (PTZCmd 82H)', parameters: [channel, preset], responses: sent },
  },
  '/channels/{channelId}/presets/{presetId}': {
    delete: { summary: 'Delete a preset (PTZCmd 83H)', parameters: [channel, preset], responses: sent },
  },
  '/channels/{channelId}/cruise': command(
    'Cruise (patrol) tracks: add/delete a point, speed, dwell time, start, stop (PTZCmd 84H-88H)',
    {
      type: 'object',
      required: ['action'],
      properties: {
        action: { type: 'string', enum: ['addPoint', 'deletePoint', 'setSpeed', 'setDwell', 'start', 'stop'] },
        group: { ...byte, description: 'Cruise number (all actions but stop)' },
        preset: { ...byte, description: 'addPoint: 1-255; deletePoint: 0 deletes the whole cruise' },
        speed: { ...twelveBit, description: 'setSpeed' },
        seconds: { ...twelveBit, description: 'setDwell: time at each point' },
        name: { type: 'string', maxLength: 32, description: 'Sent as PTZCmdParams/CruiseTrackName (addPoint, deletePoint)' },
      },
    },
    sent,
  ),
  '/channels/{channelId}/scan': command(
    'Automatic scan: start, left/right bounds, speed, stop (PTZCmd 89H, 8AH)',
    {
      type: 'object',
      required: ['action'],
      properties: { action: { type: 'string', enum: ['start', 'setLeft', 'setRight', 'setSpeed', 'stop'] }, group: byte, speed: twelveBit },
    },
    sent,
  ),
  '/channels/{channelId}/aux': command(
    'Auxiliary switch on/off (PTZCmd 8CH/8DH; switch 1 is the wiper)',
    { type: 'object', required: ['action', 'switch'], properties: { action: { type: 'string', enum: ['on', 'off'] }, switch: byte } },
    sent,
  ),
  '/channels/{channelId}/home-position': command(
    'Home position: enable with a preset and a return time, or disable (HomePosition; waits for Result)',
    {
      type: 'object',
      required: ['enabled'],
      properties: { enabled: { type: 'boolean' }, resetTime: { type: 'integer', minimum: 0, maximum: 86400, description: 'Seconds' }, presetIndex: byte },
    },
    confirmed,
  ),
  '/channels/{channelId}/drag-zoom': command(
    'Zoom into (in) or out of a box drawn on the viewer (DragZoomIn / DragZoomOut), pixels from the top left',
    {
      type: 'object',
      required: ['direction', 'length', 'width', 'midPointX', 'midPointY', 'lengthX', 'lengthY'],
      properties: {
        direction: { type: 'string', enum: ['in', 'out'] },
        length: { ...pixels, description: 'Viewer width' },
        width: { ...pixels, description: 'Viewer height' },
        midPointX: pixels,
        midPointY: pixels,
        lengthX: { ...pixels, description: 'Box width' },
        lengthY: { ...pixels, description: 'Box height' },
      },
    },
    sent,
  ),
  '/channels/{channelId}/ptz-position': command(
    'Absolute position (PTZPreciseCtrl, GB/T 28181-2022)',
    {
      type: 'object',
      properties: {
        pan: { type: 'number', minimum: 0, maximum: 360 },
        tilt: { type: 'number', minimum: -90, maximum: 90 },
        zoom: { type: 'number', exclusiveMinimum: 0, maximum: 1000 },
      },
    },
    sent,
  ),
  '/channels/{channelId}/record': command(
    'Start or stop recording on the device (RecordCmd; waits for Result)',
    { type: 'object', required: ['action'], properties: { action: { type: 'string', enum: ['start', 'stop'] }, streamNumber: { type: 'integer', minimum: 0, maximum: 9 } } },
    confirmed,
  ),
  '/channels/{channelId}/iframe': command(
    'Ask for a key frame now (IFameCmd, the spelling devices parse; element IFrameCmd for the 2022 spelling)',
    { type: 'object', properties: { element: { type: 'string', enum: ['IFameCmd', 'IFrameCmd'], default: 'IFameCmd' } } },
    sent,
  ),
  '/devices/{deviceId}/reboot': command('Reboot the device (TeleBoot)', { type: 'object' }, sent, [device]),
  '/devices/{deviceId}/guard': command(
    'Arm or disarm alarms (GuardCmd SetGuard/ResetGuard; waits for Result)',
    { type: 'object', required: ['action'], properties: { action: { type: 'string', enum: ['set', 'reset'] }, channelId: { ...gbId, description: 'An alarm input or camera of the device; default the device' } } },
    confirmed,
    [device],
  ),
  '/devices/{deviceId}/alarm-reset': command(
    'Reset alarms (AlarmCmd ResetAlarm with AlarmMethod/AlarmType; waits for Result)',
    {
      type: 'object',
      properties: {
        channelId: gbId,
        alarmMethod: { type: 'string', example: '2', description: '0 all, 1 phone, 2 device, 3 SMS, 4 GPS, 5 video, 6 fault, 7 other; "1/2" combines' },
        alarmType: { type: 'string', example: '1' },
      },
    },
    confirmed,
    [device],
  ),
  '/devices/{deviceId}/config': {
    get: {
      summary: 'Read the device configuration (ConfigDownload)',
      parameters: [
        device,
        { name: 'type', in: 'query', required: false, schema: { type: 'string', default: 'BasicParam', example: 'BasicParam/VideoParamOpt' }, description: 'ConfigType values separated by "/"' },
      ],
      responses: { '200': json(ref('DeviceConfig')), ...deviceErrors },
    },
    patch: {
      summary: 'Change BasicParam (DeviceConfig; waits for Result)',
      parameters: [device],
      requestBody: body({
        type: 'object',
        properties: {
          name: { type: 'string', maxLength: 64 },
          expiration: { type: 'integer', minimum: 30, maximum: 604800, description: 'Registration expiry, s' },
          heartBeatInterval: { type: 'integer', minimum: 5, maximum: 3600, description: 'Keepalive interval, s' },
          heartBeatCount: { type: 'integer', minimum: 1, maximum: 100, description: 'Missed keepalives before offline' },
        },
      }),
      responses: { '200': json(ref('ControlOutcome'), 'The device answered Result OK'), ...deviceErrors },
    },
  },
};
