/** OpenAPI paths and schemas of /api/v1/uppers (cascade: gbvms as a lower platform), merged into openapi.ts. */
import { errorResponse, errors, gbIdSchema, json, listOf, ref } from './openapi-parts';
const gbId = gbIdSchema('35010000002000000001');
const upperIdParam = { name: 'upperId', in: 'path', required: true, schema: gbId };

const upperWritable = {
  name: { type: ['string', 'null'], maxLength: 128 },
  domain: { type: 'string', description: 'Its SIP domain; default the first 10 digits of upperId' },
  host: { type: 'string' },
  port: { type: 'integer', minimum: 1, maximum: 65535 },
  transport: { type: 'string', enum: ['udp', 'tcp'], default: 'udp' },
  password: { type: ['string', 'null'], description: 'Digest password it gave us (never returned)' },
  localId: { ...gbId, type: ['string', 'null'], description: 'Our ID towards it; null: the platform SIP ID' },
  registerExpiresSec: { type: 'integer', minimum: 2, maximum: 86400, default: 3600 },
  keepaliveIntervalSec: { type: 'integer', minimum: 1, maximum: 3600, default: 60 },
  keepaliveTimeoutCount: { type: 'integer', minimum: 1, maximum: 100, default: 3 },
  charset: { type: 'string', enum: ['GB2312', 'UTF-8'], default: 'GB2312' },
  catalogItemsPerMessage: { type: 'integer', minimum: 1, maximum: 500, default: 10 },
  idMode: { type: 'string', enum: ['own', 'mapped'], default: 'own', description: "Channel IDs it sees: ours, or each share's mappedId" },
  recordSource: { type: 'string', enum: ['platform', 'device'], default: 'platform', description: 'RecordInfo and playback from our recordings or from the device' },
  enabled: { type: 'boolean', default: true },
};

export const cascadeSchemas = {
  UpperLinkStatus: {
    type: 'object',
    properties: {
      upperId: gbId,
      state: { type: 'string', enum: ['disabled', 'registering', 'registered', 'failing', 'stopped'] },
      reason: { type: ['string', 'null'], description: 'Why it fails: timeout, auth-rejected: 403 Forbidden, keepalive-timeout, ...' },
      since: { type: 'integer', description: 'Epoch ms the state began' },
      registeredAt: { type: ['integer', 'null'] },
      expiresAt: { type: ['integer', 'null'] },
      lastKeepaliveAt: { type: ['integer', 'null'] },
      keepaliveFailures: { type: 'integer' },
      failedAttempts: { type: 'integer' },
      nextAttemptAt: { type: ['integer', 'null'], description: 'Next registration attempt (failing links)' },
    },
  },
  UpperPlatform: {
    type: 'object',
    properties: {
      upperId: gbId,
      ...Object.fromEntries(Object.entries(upperWritable).filter(([k]) => k !== 'password')),
      hasPassword: { type: 'boolean' },
      effectiveLocalId: gbId,
      status: ref('UpperLinkStatus'),
      subscriptions: { type: 'integer', description: 'Catalog subscriptions it holds' },
      createdAt: { type: 'integer' },
      updatedAt: { type: 'integer' },
    },
  },
  UpperShare: {
    type: 'object',
    properties: {
      upperId: gbId,
      localId: { type: 'string', description: 'Our channel, organisation node or device ID' },
      kind: { type: 'string', enum: ['channel', 'organisation', 'device'], description: 'device: all its channels; organisation: the node and everything below' },
      deviceId: { type: ['string', 'null'], description: 'A channel: the device it belongs to (channel IDs can repeat across devices)' },
      mappedId: { type: ['string', 'null'], description: 'The ID the upper sees (idMode mapped)' },
      createdAt: { type: 'integer' },
    },
  },
};

export const cascadePaths = {
  '/uppers': {
    get: { summary: 'Upper platforms we register with, with their link state', responses: { '200': json(listOf('UpperPlatform')), ...errors } },
    post: {
      summary: 'Add an upper platform (registration starts at once when enabled)',
      requestBody: { required: true, content: { 'application/json': { schema: { type: 'object', required: ['upperId', 'host', 'port'], properties: { upperId: gbId, ...upperWritable } } } } },
      responses: { '201': json(ref('UpperPlatform'), 'Created'), '409': errorResponse, ...errors },
    },
  },
  '/uppers/{upperId}': {
    get: { summary: 'One upper platform', parameters: [upperIdParam], responses: { '200': json(ref('UpperPlatform')), ...errors } },
    patch: {
      summary: 'Change an upper platform (registers again when address, credentials, timers or enabled change)',
      parameters: [upperIdParam],
      requestBody: { required: true, content: { 'application/json': { schema: { type: 'object', properties: upperWritable } } } },
      responses: { '200': json(ref('UpperPlatform')), ...errors },
    },
    delete: { summary: 'Remove an upper platform (unregisters with Expires 0)', parameters: [upperIdParam], responses: { '204': { description: 'Removed' }, ...errors } },
  },
  '/uppers/{upperId}/status': {
    get: { summary: 'Link state: registering, registered, failing (why, since), last keepalive', parameters: [upperIdParam], responses: { '200': json(ref('UpperLinkStatus')), ...errors } },
  },
  '/uppers/{upperId}/shares': {
    get: { summary: 'What the upper may see', parameters: [upperIdParam], responses: { '200': json(listOf('UpperShare')), ...errors } },
    post: {
      summary: 'Share and unshare channels, organisation nodes, devices (subscribed uppers get NOTIFY ADD/DEL)',
      parameters: [upperIdParam],
      requestBody: {
        required: true,
        content: {
          'application/json': {
            schema: {
              type: 'object',
              properties: {
                add: { type: 'array', items: { type: 'object', required: ['id'], properties: { id: { type: 'string' }, kind: { type: 'string', enum: ['channel', 'organisation', 'device'] }, deviceId: gbId, mappedId: { ...gbId, type: ['string', 'null'] } } } },
                remove: { type: 'array', items: { type: 'string' } },
              },
            },
          },
        },
      },
      responses: { '200': json(listOf('UpperShare')), ...errors },
    },
  },
  '/uppers/{upperId}/shares/{localId}': {
    delete: {
      summary: 'Unshare one channel, organisation node or device',
      parameters: [upperIdParam, { name: 'localId', in: 'path', required: true, schema: { type: 'string', pattern: '^\\d{2,20}$' } }],
      responses: { '204': { description: 'Removed' }, ...errors },
    },
  },
};
