/**
 * The OpenAPI 3.1 description of /api/v1, written by hand as the contract for upper-level systems.
 * test/api/openapi.test.ts checks it against the routes the server really has.
 */
import { operationsPaths, operationsSchemas } from './openapi-operations';
import { operationsEventsPaths, operationsEventsSchemas } from './openapi-operations-events';
import { mediaControlPaths, mediaControlSchemas } from './openapi-media-control';
import { controlPaths, controlSchemas } from './openapi-control';
import { cascadePaths, cascadeSchemas } from './openapi-cascade';
import { eventPaths, eventSchemas } from './openapi-events';
import { deviceErrors, errorResponse, errors, gbIdSchema, json, pageOf, paging, q, ref } from './openapi-parts';

const gbId = gbIdSchema();
const p = (name: string) => ({ name, in: 'path', required: true, schema: gbId });
const channelFilters = [
  q('parentId', { type: 'string' }, 'Only children of this organisation node or device'),
  q('status', { type: 'string', enum: ['ON', 'OFF', 'UNKNOWN'] }, 'Channel status'),
  q('keyword', { type: 'string' }, 'Substring of ID, name or address'),
  q('includeMissing', { type: 'boolean' }, 'Also channels missing from the last complete catalog'),
];
const deviceWritable = {
  name: { type: ['string', 'null'], maxLength: 128 },
  password: { type: ['string', 'null'], description: 'Per-device digest password; null returns to the global password' },
  charset: { type: ['string', 'null'], enum: ['GB2312', 'GBK', 'GB18030', 'UTF-8', null], description: 'Charset of XML bodies to and from the device; null = automatic' },
};

export const openApiDocument = {
  openapi: '3.1.0',
  info: {
    title: 'gbvms API',
    version: '1.0.0',
    description: 'GB/T 28181 video management server. Every /api/v1 route needs `Authorization: Bearer <token>` except openapi.json.',
  },
  servers: [{ url: '/api/v1' }],
  components: {
    securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
    schemas: {
      ...operationsSchemas,
      ...operationsEventsSchemas,
      ...mediaControlSchemas,
      ...controlSchemas,
      ...cascadeSchemas,
      ...eventSchemas,
      Error: {
        type: 'object',
        required: ['error'],
        properties: { error: { type: 'object', required: ['code', 'message'], properties: { code: { type: 'string' }, message: { type: 'string' }, details: {} } } },
      },
      Device: {
        type: 'object',
        properties: {
          deviceId: gbId,
          name: { type: ['string', 'null'] },
          manufacturer: { type: ['string', 'null'] },
          model: { type: ['string', 'null'] },
          firmware: { type: ['string', 'null'] },
          typeCode: { type: 'string', description: 'Digits 11-13 of the ID (132 IPC, 118 NVR, ...)' },
          gbVersion: { type: 'string', enum: ['2016', '2022', 'unknown'] },
          charset: { type: ['string', 'null'] },
          hasOwnPassword: { type: 'boolean' },
          online: { type: 'boolean' },
          transport: { type: 'string', enum: ['udp', 'tcp'] },
          remoteAddress: { type: ['string', 'null'], description: 'Where its packets come from (NAT-aware)' },
          remotePort: { type: ['integer', 'null'] },
          contact: { type: ['string', 'null'] },
          expires: { type: ['integer', 'null'] },
          registeredAt: { type: ['integer', 'null'], description: 'Epoch ms' },
          lastSeenAt: { type: ['integer', 'null'], description: 'Epoch ms of the last REGISTER or keepalive' },
          registrationExpiresAt: { type: ['integer', 'null'] },
          channelCount: { type: 'integer' },
          createdAt: { type: 'integer' },
          updatedAt: { type: 'integer' },
        },
      },
      Channel: {
        type: 'object',
        properties: {
          deviceId: gbId,
          channelId: { type: 'string' },
          name: { type: ['string', 'null'] },
          manufacturer: { type: ['string', 'null'] },
          model: { type: ['string', 'null'] },
          owner: { type: ['string', 'null'] },
          civilCode: { type: ['string', 'null'] },
          block: { type: ['string', 'null'] },
          address: { type: ['string', 'null'] },
          parental: { type: 'boolean' },
          parentId: { type: ['string', 'null'] },
          businessGroupId: { type: ['string', 'null'] },
          registerWay: { type: ['integer', 'null'] },
          secrecy: { type: ['integer', 'null'] },
          ipAddress: { type: ['string', 'null'] },
          port: { type: ['integer', 'null'] },
          status: { type: 'string', enum: ['ON', 'OFF', 'UNKNOWN'] },
          longitude: { type: ['number', 'null'] },
          latitude: { type: ['number', 'null'] },
          ptzType: { type: ['integer', 'null'] },
          typeCode: { type: 'string', description: '131/132 camera, 215 business group, 216 virtual organisation, ...' },
          present: { type: 'boolean', description: 'False once missing from a complete catalog answer' },
          createdAt: { type: 'integer' },
          updatedAt: { type: 'integer' },
        },
      },
      DeviceEvent: {
        type: 'object',
        properties: {
          deviceId: gbId,
          type: { type: 'string', enum: ['online', 'offline'] },
          reason: { type: 'string', enum: ['register', 'keepalive', 'unregister', 'registration-expired', 'keepalive-timeout', 'deleted', 'server-restart'] },
          time: { type: 'integer', description: 'Epoch ms' },
          detail: { type: 'string' },
        },
      },
      CatalogResult: {
        type: 'object',
        properties: {
          added: { type: 'integer' },
          updated: { type: 'integer' },
          missing: { type: 'integer' },
          complete: { type: 'boolean', description: 'False when the split answer timed out (nothing marked missing then)' },
          received: { type: 'integer' },
          expected: { type: 'integer', description: 'SumNum announced by the device' },
        },
      },
      DeviceInfo: {
        type: 'object',
        properties: {
          deviceId: { type: 'string' },
          deviceName: { type: ['string', 'null'] },
          manufacturer: { type: ['string', 'null'] },
          model: { type: ['string', 'null'] },
          firmware: { type: ['string', 'null'] },
          channelCount: { type: ['integer', 'null'] },
          result: { type: ['string', 'null'] },
        },
      },
      DeviceRecording: {
        type: 'object',
        description: 'One recording on the device\'s own disk (RecordInfo item)',
        properties: {
          deviceId: { type: ['string', 'null'], description: 'The channel that recorded it' },
          name: { type: ['string', 'null'] },
          filePath: { type: ['string', 'null'] },
          address: { type: ['string', 'null'] },
          start: { type: 'integer', description: 'Epoch ms' },
          end: { type: 'integer', description: 'Epoch ms' },
          secrecy: { type: ['integer', 'null'] },
          type: { type: ['string', 'null'], description: 'time, alarm or manual (as the device says, lower-cased)' },
          recorderId: { type: ['string', 'null'] },
          fileSize: { type: ['integer', 'null'], description: 'Bytes' },
          streamNumber: { type: ['integer', 'null'], description: '0 main stream, 1 first sub-stream, ...' },
        },
      },
      DeviceRecordings: {
        type: 'object',
        required: ['deviceId', 'channelId', 'sumNum', 'complete', 'skipped', 'items'],
        properties: {
          deviceId: gbId,
          channelId: gbId,
          sumNum: { type: 'integer', description: 'Items the device announced (SumNum)' },
          complete: { type: 'boolean', description: 'False when the split answer timed out part-way (items holds what arrived)' },
          skipped: { type: 'integer', description: 'Items sent without usable start/end times (not listed)' },
          items: { type: 'array', items: ref('DeviceRecording'), description: 'Sorted by start' },
        },
      },
      DeviceStatus: { type: 'object', description: 'The device\'s DeviceStatus answer (online, status, encode, record, deviceTime, alarms)' },
      RecordingPlan: {
        type: 'object',
        properties: {
          channelId: gbId,
          enabled: { type: 'boolean' },
          mode: { type: 'string', enum: ['continuous', 'schedule'] },
          windows: {
            type: 'array',
            description: 'Weekly windows in the platform time zone; a window across midnight is two windows',
            items: { type: 'object', properties: { day: { type: 'integer', minimum: 0, maximum: 6, description: '0 Sunday' }, start: { type: 'string', example: '08:00' }, end: { type: 'string', example: '24:00' } } },
          },
          retentionDays: { type: ['integer', 'null'], description: 'Days kept; null = record.retentionDays' },
          updatedAt: { type: 'integer' },
          recording: { type: 'boolean', description: 'Being recorded right now' },
        },
      },
      RecordingCoverage: {
        type: 'object',
        properties: {
          channelId: gbId,
          start: { type: 'integer' },
          end: { type: 'integer' },
          ranges: { type: 'array', items: { type: 'object', properties: { start: { type: 'integer' }, end: { type: 'integer' } } } },
          gaps: { type: 'array', items: { type: 'object', properties: { start: { type: 'integer' }, end: { type: 'integer' } } } },
          segments: { type: 'integer' },
          bytes: { type: 'integer' },
          segmentList: { type: 'array', description: 'With segments=true', items: { type: 'object' } },
        },
      },
      ExportJob: {
        type: 'object',
        properties: {
          id: { type: 'string' },
          channelId: gbId,
          from: { type: 'integer' },
          to: { type: 'integer' },
          state: { type: 'string', enum: ['queued', 'running', 'done', 'failed', 'cancelled'] },
          progress: { type: 'number', minimum: 0, maximum: 1 },
          createdAt: { type: 'integer' },
          startedAt: { type: ['integer', 'null'] },
          finishedAt: { type: ['integer', 'null'] },
          result: {
            type: 'object',
            description: 'When done: size, SHA-256 (evidence), and the span actually exported (from the key frame at or before from)',
            properties: { bytes: { type: 'integer' }, sha256: { type: 'string' }, durationMs: { type: 'integer' }, startedAt: { type: 'integer' }, endedAt: { type: 'integer' } },
          },
          error: { type: 'object', properties: { code: { type: 'string', description: 'no-footage, ffmpeg-failed, ...' }, message: { type: 'string' } } },
          download: { type: 'string' },
        },
      },
      Playback: {
        type: 'object',
        properties: {
          streamId: { type: 'string', example: '34020000001310000001_playback-1' },
          channelId: gbId,
          from: { type: 'integer' },
          state: { type: 'string', enum: ['playing', 'paused', 'ended'] },
          position: { type: 'integer', description: 'ms UTC of the last frame sent' },
          speed: { type: 'number' },
          viewers: { type: 'integer' },
          urls: { type: 'object', description: 'As for live streams: httpFlv, wsFlv, hls, rtsp, expiresAt' },
        },
      },
      LiveStream: {
        type: 'object',
        description: 'A running live stream (one per channel, shared by all its viewers)',
        properties: {
          streamId: gbId,
          channelId: gbId,
          deviceId: gbId,
          state: { type: 'string', enum: ['starting', 'live', 'stopping'] },
          transport: { type: 'string', enum: ['udp', 'tcp-passive', 'tcp-active'] },
          offeredSsrc: { type: 'string', description: 'y= we offered' },
          answeredSsrc: { type: ['string', 'null'], description: 'y= the device answered (it may differ; its answer is used)' },
          keepRunning: { type: 'boolean', description: 'Runs on without viewers (recording, cascade)' },
          startedAt: { type: 'integer', description: 'ms since epoch' },
          uptimeSec: { type: 'integer' },
          viewers: { type: 'integer' },
          media: {
            type: ['object', 'null'],
            description: 'What the media node sees: codec, resolution, frame rate, bitrate, packets, loss',
            properties: {
              state: { type: 'string', enum: ['waiting', 'live'] },
              videoCodec: { type: ['string', 'null'] },
              audioCodec: { type: ['string', 'null'] },
              width: { type: ['integer', 'null'] },
              height: { type: ['integer', 'null'] },
              fps: { type: 'number' },
              bitrateKbps: { type: 'number' },
              viewers: { type: 'integer' },
              packets: { type: 'integer' },
              bytes: { type: 'integer' },
              lost: { type: 'integer' },
              remote: { type: ['string', 'null'] },
              nativeRelay: {
                type: ['object', 'null'],
                description:
                  'The native FLV relay of the stream (ADR 0024): pending until the first key frame, native while it serves the HTTP-FLV viewers, bailed (with the reason) once the stream proved not plain and JavaScript serves it',
                properties: {
                  state: { type: 'string', enum: ['pending', 'native', 'bailed'] },
                  reason: { type: 'string' },
                  viewers: { type: 'integer' },
                  javascriptFed: { type: 'boolean', description: 'Whether the stream is demultiplexed in JavaScript too (another output or the recorder needs it)' },
                },
              },
            },
          },
          urls: {
            type: 'object',
            description: 'Playback URLs with a signed token that expires at expiresAt',
            properties: {
              httpFlv: { type: 'string' },
              wsFlv: { type: 'string' },
              hls: { type: 'string' },
              rtsp: { type: 'string' },
              expiresAt: { type: ['integer', 'null'] },
            },
          },
        },
      },
      StreamEvent: {
        type: 'object',
        properties: {
          time: { type: 'integer' },
          streamId: gbId,
          channelId: gbId,
          deviceId: gbId,
          type: { type: 'string', enum: ['ended'] },
          reason: { type: 'string', enum: ['api', 'idle', 'device-bye', 'rtp-timeout', 'media-closed', 'start-failed', 'shutdown', 'end-of-file'] },
          detail: { type: ['string', 'null'] },
        },
      },
    },
  },
  security: [{ bearer: [] }],
  paths: {
    ...operationsPaths,
    ...operationsEventsPaths,
    ...mediaControlPaths,
    ...controlPaths,
    ...cascadePaths,
    ...eventPaths,
    '/devices': {
      get: {
        summary: 'List devices',
        parameters: [
          ...paging,
          q('online', { type: 'boolean' }, 'Only online (true) or offline (false) devices'),
          q('type', { type: 'string', pattern: '^\\d{3}$' }, 'Type code (digits 11-13 of the ID)'),
          q('keyword', { type: 'string' }, 'Substring of ID, name, manufacturer or model'),
        ],
        responses: { '200': json(pageOf('Device')), ...errors },
      },
      post: {
        summary: 'Enrol a device ahead of its first REGISTER (with its own password)',
        requestBody: { required: true, content: { 'application/json': { schema: { type: 'object', required: ['deviceId'], properties: { deviceId: gbId, ...deviceWritable } } } } },
        responses: { '201': json(ref('Device'), 'Created'), '409': errorResponse, ...errors },
      },
    },
    '/devices/{deviceId}': {
      get: { summary: 'One device', parameters: [p('deviceId')], responses: { '200': json(ref('Device')), ...errors } },
      patch: {
        summary: 'Change per-device settings (name, password, charset)',
        parameters: [p('deviceId')],
        requestBody: { required: true, content: { 'application/json': { schema: { type: 'object', properties: deviceWritable, additionalProperties: false } } } },
        responses: { '200': json(ref('Device')), ...errors },
      },
      delete: { summary: 'Delete a device and its channels (its events are kept)', parameters: [p('deviceId')], responses: { '204': { description: 'Deleted' }, ...errors } },
    },
    '/devices/{deviceId}/channels': {
      get: { summary: "A device's channels", parameters: [p('deviceId'), ...paging, ...channelFilters], responses: { '200': json(pageOf('Channel')), ...errors } },
    },
    '/devices/{deviceId}/catalog': {
      post: { summary: 'Query the device catalog now and store the channels', parameters: [p('deviceId')], responses: { '200': json(ref('CatalogResult')), ...deviceErrors } },
    },
    '/devices/{deviceId}/info': {
      get: { summary: 'Ask the device for its DeviceInfo', parameters: [p('deviceId')], responses: { '200': json(ref('DeviceInfo')), ...deviceErrors } },
    },
    '/devices/{deviceId}/status': {
      get: { summary: 'Ask the device for its DeviceStatus', parameters: [p('deviceId')], responses: { '200': json(ref('DeviceStatus')), ...deviceErrors } },
    },
    '/devices/{deviceId}/events': {
      get: {
        summary: 'Online/offline events of a device in a time range (default: the last 24 h)',
        parameters: [
          p('deviceId'),
          q('from', { type: 'string' }, 'ISO 8601 or epoch ms (inclusive)'),
          q('to', { type: 'string' }, 'ISO 8601 or epoch ms (exclusive)'),
          q('type', { type: 'string', enum: ['online', 'offline'] }, 'Event type'),
          q('limit', { type: 'integer', minimum: 1, maximum: 10000, default: 1000 }, 'Most events returned'),
        ],
        responses: {
          '200': json({ type: 'object', properties: { items: { type: 'array', items: ref('DeviceEvent') }, from: { type: 'integer' }, to: { type: 'integer' } } }),
          ...errors,
        },
      },
    },
    '/channels': {
      get: { summary: 'Channels of all devices', parameters: [...paging, q('deviceId', gbId, 'Only this device'), ...channelFilters], responses: { '200': json(pageOf('Channel')), ...errors } },
    },
    '/channels/{channelId}': {
      get: {
        summary: 'One channel',
        parameters: [p('channelId'), q('deviceId', gbId, 'The device, when channel IDs repeat across devices')],
        responses: { '200': json(ref('Channel')), ...errors },
      },
    },
    '/channels/{channelId}/device-recordings': {
      get: {
        summary: "Ask the channel's device which recordings it holds on its own disk (RecordInfo)",
        parameters: [
          p('channelId'),
          { name: 'start', in: 'query', required: true, schema: { type: 'string' }, description: 'ISO 8601 or epoch ms' },
          { name: 'end', in: 'query', required: true, schema: { type: 'string' }, description: 'ISO 8601 or epoch ms; after start, at most 31 days later' },
          q('type', { type: 'string', enum: ['all', 'time', 'alarm', 'manual'], default: 'all' }, 'Recordings made on schedule, on alarm, or by hand'),
          q('deviceId', gbId, 'The device, when channel IDs repeat across devices'),
        ],
        responses: { '200': json(ref('DeviceRecordings')), ...deviceErrors },
      },
    },
    '/channels/{channelId}/live': {
      post: {
        summary: 'Start live view of a channel (or join its running stream); answers once video flows, with the playback URLs',
        parameters: [p('channelId')],
        requestBody: {
          required: false,
          content: { 'application/json': { schema: { type: 'object', properties: { transport: { type: 'string', enum: ['udp', 'tcp-passive', 'tcp-active'], description: 'Default: live.transport (tcp-passive)' } } } } },
        },
        responses: { '200': json(ref('LiveStream')), ...deviceErrors, '503': { ...errorResponse, description: 'No media port or SSRC left' } },
      },
      get: { summary: 'The running live stream of a channel, with playback URLs', parameters: [p('channelId')], responses: { '200': json(ref('LiveStream')), ...errors } },
      delete: { summary: 'Stop the live stream now (BYE, port freed)', parameters: [p('channelId')], responses: { '204': { description: 'Stopped' }, ...errors } },
    },
    '/streams': {
      get: { summary: 'Running live streams', responses: { '200': json({ type: 'object', properties: { total: { type: 'integer' }, items: { type: 'array', items: ref('LiveStream') } } }), ...errors } },
    },
    '/streams/events': {
      get: { summary: 'Recent stream events (why streams ended), newest last', responses: { '200': json({ type: 'object', properties: { items: { type: 'array', items: ref('StreamEvent') } } }), ...errors } },
    },
    '/streams/{streamId}': {
      get: { summary: 'One running stream', parameters: [p('streamId')], responses: { '200': json(ref('LiveStream')), ...errors } },
      patch: {
        summary: 'Mark a stream keep-running (no idle stop) or not',
        parameters: [p('streamId')],
        requestBody: { required: true, content: { 'application/json': { schema: { type: 'object', required: ['keepRunning'], properties: { keepRunning: { type: 'boolean' } } } } } },
        responses: { '200': json(ref('LiveStream')), ...errors },
      },
      delete: { summary: 'Stop the stream now', parameters: [p('streamId')], responses: { '204': { description: 'Stopped' }, ...errors } },
    },
    '/recording-plans': {
      get: { summary: 'Every recording plan, and the channels being recorded now', responses: { '200': json({ type: 'object', properties: { total: { type: 'integer' }, items: { type: 'array', items: ref('RecordingPlan') }, recording: { type: 'array', items: { type: 'object' } } } }), ...errors } },
    },
    '/channels/{channelId}/recording-plan': {
      get: { summary: "The channel's recording plan", parameters: [p('channelId')], responses: { '200': json(ref('RecordingPlan')), ...errors } },
      put: {
        summary: 'Create or replace the plan (continuous, or weekly windows) and apply it now',
        parameters: [p('channelId')],
        requestBody: { required: true, content: { 'application/json': { schema: { type: 'object', required: ['mode'], properties: { enabled: { type: 'boolean', default: true }, mode: { type: 'string', enum: ['continuous', 'schedule'] }, windows: { type: 'array', items: { type: 'object' } }, retentionDays: { type: ['integer', 'null'] } } } } } },
        responses: { '200': json(ref('RecordingPlan')), ...errors },
      },
      delete: { summary: 'Delete the plan (recording stops)', parameters: [p('channelId')], responses: { '204': { description: 'Deleted' }, ...errors } },
    },
    '/channels/{channelId}/recording/start': {
      post: { summary: 'Record now: a continuous plan, keeping the retention', parameters: [p('channelId')], responses: { '200': json(ref('RecordingPlan')), ...errors } },
    },
    '/channels/{channelId}/recording/stop': {
      post: { summary: 'Stop recording: the plan is kept, disabled', parameters: [p('channelId')], responses: { '200': json(ref('RecordingPlan')), ...errors } },
    },
    '/channels/{channelId}/recordings': {
      get: {
        summary: 'Recorded ranges and gaps of the platform recordings in [start, end)',
        parameters: [
          p('channelId'),
          { name: 'start', in: 'query', required: true, schema: { type: 'string' }, description: 'ISO 8601 or epoch ms' },
          { name: 'end', in: 'query', required: true, schema: { type: 'string' }, description: 'ISO 8601 or epoch ms; at most 366 days after start' },
          q('segments', { type: 'boolean' }, 'Also list the segments'),
          q('limit', { type: 'integer', minimum: 1, maximum: 2000 }, 'Segments listed at most'),
        ],
        responses: { '200': json(ref('RecordingCoverage')), ...errors },
      },
    },
    '/channels/{channelId}/recordings/lock': {
      post: {
        summary: 'Lock (keep past retention, for a case) or unlock the segments overlapping a range',
        parameters: [p('channelId')],
        requestBody: { required: true, content: { 'application/json': { schema: { type: 'object', required: ['start', 'end', 'locked'], properties: { start: {}, end: {}, locked: { type: 'boolean' } } } } } },
        responses: { '200': json({ type: 'object', properties: { segments: { type: 'integer' } } }), ...errors },
      },
    },
    '/recordings/totals': {
      get: { summary: 'Segments and bytes of all platform recordings', responses: { '200': json({ type: 'object', properties: { segments: { type: 'integer' }, bytes: { type: 'integer' } } }), ...errors } },
    },
    '/exports': {
      get: { summary: 'Export jobs (finished ones are kept a day)', responses: { '200': json({ type: 'object', properties: { total: { type: 'integer' }, items: { type: 'array', items: ref('ExportJob') } } }), ...errors } },
      post: {
        summary: 'Export a clip of platform recordings as one MP4 (remux, no re-encode), in the background',
        requestBody: {
          required: true,
          content: { 'application/json': { schema: { type: 'object', required: ['channelId', 'start', 'end'], properties: { channelId: gbId, start: { description: 'ISO 8601 or epoch ms' }, end: { description: 'At most 24 h after start' } } } } },
        },
        responses: { '202': json(ref('ExportJob'), 'Queued'), ...errors },
      },
    },
    '/exports/{id}': {
      get: { summary: 'One export job, with its progress', parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }], responses: { '200': json(ref('ExportJob')), ...errors } },
      delete: { summary: 'Cancel a queued or running export', parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }], responses: { '204': { description: 'Cancelled' }, ...errors, '409': errorResponse } },
    },
    '/exports/{id}/file': {
      get: {
        summary: 'Download the MP4 (X-Content-SHA256 carries its hash)',
        parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
        responses: { '200': { description: 'The clip', content: { 'video/mp4': {} } }, ...errors, '409': errorResponse },
      },
    },
    '/exports/{id}/verify': {
      get: { summary: 'Hash the file again: is the evidence unchanged?', parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }], responses: { '200': json({ type: 'object', properties: { sha256: { type: 'string' }, unchanged: { type: 'boolean' } } }), ...errors } },
    },
    '/channels/{channelId}/playback': {
      post: {
        summary: 'Play platform recordings from a time, through the live outputs (closes itself when nobody watches)',
        parameters: [p('channelId')],
        requestBody: {
          required: true,
          content: { 'application/json': { schema: { type: 'object', required: ['start'], properties: { start: { description: 'ISO 8601 or epoch ms' }, speed: { type: 'number', minimum: 0.5, maximum: 8, default: 1 } } } } },
        },
        responses: { '200': json(ref('Playback')), ...errors, '503': errorResponse },
      },
    },
    '/playback': {
      get: { summary: 'Open playback sessions', responses: { '200': json({ type: 'object', properties: { total: { type: 'integer' }, items: { type: 'array', items: ref('Playback') } } }), ...errors } },
    },
    '/playback/{streamId}': {
      get: { summary: 'One playback session', parameters: [{ name: 'streamId', in: 'path', required: true, schema: { type: 'string', pattern: '^\\d{20}_playback-\\d+$' } }], responses: { '200': json(ref('Playback')), ...errors } },
      patch: {
        summary: 'Pause, resume, seek (time) or change speed (0.5-8; above 2x key frames only)',
        parameters: [{ name: 'streamId', in: 'path', required: true, schema: { type: 'string', pattern: '^\\d{20}_playback-\\d+$' } }],
        requestBody: { required: true, content: { 'application/json': { schema: { type: 'object', required: ['action'], properties: { action: { type: 'string', enum: ['pause', 'resume', 'seek', 'speed'] }, time: {}, speed: { type: 'number' } } } } } },
        responses: { '200': json(ref('Playback')), ...errors },
      },
      delete: { summary: 'Close the playback', parameters: [{ name: 'streamId', in: 'path', required: true, schema: { type: 'string', pattern: '^\\d{20}_playback-\\d+$' } }], responses: { '204': { description: 'Closed' }, ...errors } },
    },
    '/channels/{channelId}/device-playback': {
      post: {
        summary: "Play (or download) the device's own recordings of a range: GB/T 28181 Playback/Download INVITE; ends at the device's MediaStatus 121",
        parameters: [p('channelId')],
        requestBody: {
          required: true,
          content: {
            'application/json': {
              schema: {
                type: 'object',
                required: ['start', 'end'],
                properties: {
                  start: { description: 'ISO 8601 or epoch ms' },
                  end: { description: 'At most 24 h after start' },
                  transport: { type: 'string', enum: ['udp', 'tcp-passive', 'tcp-active'] },
                  download: { type: 'boolean', default: false, description: 's=Download instead of s=Playback' },
                  downloadSpeed: { type: 'integer', minimum: 1, maximum: 8 },
                  save: { type: 'boolean', default: false, description: 'Download only: keep it as an export job (MP4 with SHA-256); the answer carries exportId' },
                },
              },
            },
          },
        },
        responses: { '200': json(ref('LiveStream')), ...deviceErrors },
      },
    },
    '/device-playback/{streamId}': {
      get: { summary: 'One device playback session', parameters: [{ name: 'streamId', in: 'path', required: true, schema: { type: 'string', pattern: '^\\d{20}_device-\\d+$' } }], responses: { '200': json(ref('LiveStream')), ...errors } },
      patch: {
        summary: 'Pause, resume, seek (time) or speed (Scale 0.25-8): MANSRTSP over INFO to the device',
        parameters: [{ name: 'streamId', in: 'path', required: true, schema: { type: 'string', pattern: '^\\d{20}_device-\\d+$' } }],
        requestBody: { required: true, content: { 'application/json': { schema: { type: 'object', required: ['action'], properties: { action: { type: 'string', enum: ['pause', 'resume', 'seek', 'speed'] }, time: {}, speed: { type: 'number' } } } } } },
        responses: { '200': json(ref('LiveStream')), ...deviceErrors },
      },
      delete: { summary: 'End the session (BYE)', parameters: [{ name: 'streamId', in: 'path', required: true, schema: { type: 'string', pattern: '^\\d{20}_device-\\d+$' } }], responses: { '204': { description: 'Ended' }, ...errors } },
    },
    '/openapi.json': {
      get: { summary: 'This document', security: [], responses: { '200': { description: 'OpenAPI document' } } },
    },
  },
} as const;
