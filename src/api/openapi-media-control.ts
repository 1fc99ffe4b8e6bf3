/**
 * OpenAPI paths and schemas of snapshots and voice broadcast (merged into openapi.ts). The device
 * upload URL (/upload/snapshots/{token}) is outside /api/v1 and not part of this API.
 */
import { errorResponse, errors, gbIdSchema, json, nullable, ref } from './openapi-parts';
const gbId = gbIdSchema();
const deviceErrors = {
  ...errors,
  '409': { ...errorResponse, description: 'Device offline (or a broadcast to the target already runs)' },
  '502': { ...errorResponse, description: 'Device refused or answered with an error' },
  '504': { ...errorResponse, description: 'Device did not answer in time' },
};
const idParam = (schema: object) => ({ name: 'id', in: 'path', required: true, schema });
const snapshotId = { type: 'string', pattern: '^[a-z0-9]{6,12}-[0-9a-f]{12}$' };
const broadcastId = { type: 'string', pattern: '^[a-z0-9]{6,12}-[0-9a-f]{10}$' };

export const mediaControlSchemas = {
  Snapshot: {
    type: 'object',
    properties: {
      id: snapshotId,
      channelId: gbId,
      deviceId: gbId,
      time: { type: 'integer', description: 'When it was stored, ms UTC' },
      source: { type: 'string', enum: ['device', 'stream'], description: 'Uploaded by the device (GB/T 28181-2022 snapshot) or cut from the live stream by FFmpeg' },
      bytes: { type: 'integer' },
      width: nullable('integer'),
      height: nullable('integer'),
      sessionId: { ...nullable('string'), description: 'SessionID of the device snapshot command' },
      fileId: { ...nullable('string'), description: "The device's name of the picture, when it gave one" },
      image: { type: 'string', description: 'URL of the JPEG' },
    },
  },
  SnapshotResult: {
    type: 'object',
    required: ['source', 'items'],
    properties: {
      source: { type: 'string', enum: ['device', 'stream'] },
      fallbackReason: { type: 'string', description: 'Auto mode: why the stream was used instead of the device' },
      items: { type: 'array', items: ref('Snapshot') },
    },
  },
  Broadcast: {
    type: 'object',
    properties: {
      id: broadcastId,
      deviceId: gbId,
      targetId: { ...gbId, description: 'Audio output told to play (TargetID)' },
      sourceId: { ...gbId, description: 'Our audio source ID (SourceID; the device INVITEs it)' },
      clipId: { type: 'string', description: 'The converted audio; broadcast it again with {"clipId"}' },
      durationMs: { type: 'integer' },
      state: { type: 'string', enum: ['notifying', 'waiting-invite', 'connecting', 'sending', 'ended', 'failed'] },
      codec: { type: ['string', 'null'], enum: ['PCMA', 'PCMU', 'PS', null] },
      payloadType: nullable('integer'),
      transport: { type: ['string', 'null'], enum: ['udp', 'tcp', null] },
      remote: nullable('string'),
      localPort: nullable('integer'),
      ssrc: nullable('string'),
      callId: nullable('string'),
      packets: { type: 'integer' },
      bytes: { type: 'integer' },
      sentMs: { type: 'integer', description: 'Audio sent so far' },
      createdAt: { type: 'integer' },
      startedAt: nullable('integer'),
      endedAt: nullable('integer'),
      endReason: { type: ['string', 'null'], enum: ['complete', 'stopped', 'device-bye', 'peer-closed', 'shutdown', 'error', null] },
      error: nullable('string'),
    },
  },
} as const;

export const mediaControlPaths = {
  '/channels/{id}/snapshots': {
    post: {
      summary: 'Take a picture now: the device uploads it (GB/T 28181-2022 SnapShotConfig), or FFmpeg cuts one from the live stream',
      parameters: [idParam(gbId)],
      requestBody: {
        required: false,
        content: {
          'application/json': {
            schema: {
              type: 'object',
              additionalProperties: false,
              properties: {
                mode: { type: 'string', enum: ['auto', 'device', 'stream'], description: 'auto: the device unless it is a 2016 one or fails, then the stream' },
                count: { type: 'integer', minimum: 1, maximum: 10, description: 'Device mode: pictures in a row (SnapNum)' },
                intervalSec: { type: 'integer', minimum: 1, maximum: 60, description: 'Device mode: seconds between them' },
              },
            },
          },
        },
      },
      responses: { '201': json(ref('SnapshotResult'), 'Stored'), ...deviceErrors },
    },
    get: {
      summary: "A channel's stored pictures, newest first",
      parameters: [
        idParam(gbId),
        { name: 'from', in: 'query', required: false, schema: { type: 'string' }, description: 'ISO 8601 or epoch ms' },
        { name: 'to', in: 'query', required: false, schema: { type: 'string' }, description: 'ISO 8601 or epoch ms' },
        { name: 'limit', in: 'query', required: false, schema: { type: 'integer', minimum: 1, maximum: 1000, default: 100 } },
      ],
      responses: { '200': json({ type: 'object', properties: { total: { type: 'integer' }, items: { type: 'array', items: ref('Snapshot') } } }), ...errors },
    },
  },
  '/snapshots/{id}': {
    get: { summary: 'One stored picture (metadata)', parameters: [idParam(snapshotId)], responses: { '200': json(ref('Snapshot')), ...errors } },
  },
  '/snapshots/{id}/image': {
    get: { summary: 'The picture (image/jpeg)', parameters: [idParam(snapshotId)], responses: { '200': { description: 'JPEG', content: { 'image/jpeg': {} } }, ...errors } },
  },
  '/devices/{id}/broadcast': {
    post: {
      summary: "Voice broadcast to the device's audio output: Notify Broadcast, the device INVITEs us, G.711 over RTP. Answers once audio flows",
      parameters: [idParam(gbId), { name: 'targetId', in: 'query', required: false, schema: gbId, description: 'Audio output channel (default: the device)' }],
      requestBody: {
        required: true,
        content: {
          'application/octet-stream': { schema: { type: 'string', format: 'binary', description: 'An audio file (WAV, MP3, ...): converted to 8 kHz mono A-law' } },
          'application/json': { schema: { type: 'object', required: ['clipId'], properties: { clipId: { type: 'string' }, targetId: gbId } } },
        },
      },
      responses: { '201': json(ref('Broadcast'), 'Sending'), ...deviceErrors },
    },
  },
  '/broadcasts': {
    get: { summary: 'Running and recent broadcasts', responses: { '200': json({ type: 'object', properties: { total: { type: 'integer' }, items: { type: 'array', items: ref('Broadcast') } } }), ...errors } },
  },
  '/broadcasts/{id}': {
    get: { summary: 'One broadcast', parameters: [idParam(broadcastId)], responses: { '200': json(ref('Broadcast')), ...errors } },
    delete: { summary: 'Stop it (BYE)', parameters: [idParam(broadcastId)], responses: { '200': json(ref('Broadcast')), ...errors } },
  },
} as const;
