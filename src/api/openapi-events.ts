/**
 * OpenAPI paths and schemas of the platform-event routes (SSE, webhooks, alarms, positions,
 * device subscriptions), merged into openApiDocument.
 */
import { deviceErrors, errors, gbIdSchema, json, listOf, nullable, q, ref } from './openapi-parts';
const gbId = gbIdSchema();
const deviceParam = { name: 'deviceId', in: 'path', required: true, schema: gbId };
const nullableInt = nullable('integer');
const nullableNumber = nullable('number');
const nullableString = nullable('string');
const topicsParam = q('topics', { type: 'string', example: 'alarm.*,fault.*' }, "Comma-separated topics, exact or ending in '*'; none = every topic");

export const eventSchemas = {
  PlatformEvent: {
    type: 'object',
    required: ['id', 'topic', 'time', 'data'],
    properties: {
      id: { type: 'string', description: 'Increasing; SSE Last-Event-ID resumes after it' },
      topic: { type: 'string', example: 'alarm.received' },
      time: { type: 'integer', description: 'Epoch ms' },
      data: { type: 'object' },
    },
  },
  Webhook: {
    type: 'object',
    properties: {
      id: { type: 'string', pattern: '^wh_[0-9a-f]{24}$' },
      url: { type: 'string' },
      topics: { type: 'array', items: { type: 'string' } },
      createdAt: { type: 'integer' },
      secret: { type: 'string', description: 'Only in the answer to POST' },
      delivery: {
        type: 'object',
        properties: {
          delivered: { type: 'integer' },
          failed: { type: 'integer', description: 'Events given up after every attempt' },
          consecutiveFailures: { type: 'integer' },
          lastStatus: { ...nullableInt, description: 'HTTP status of the last attempt; 0 = no answer' },
          lastError: nullableString,
          lastAttemptAt: nullableInt,
          lastSuccessAt: nullableInt,
          pending: { type: 'integer' },
          recent: { type: 'array', items: { type: 'object', properties: { eventId: { type: 'string' }, topic: { type: 'string' }, attempt: { type: 'integer' }, status: { type: 'integer' }, error: nullableString, at: { type: 'integer' }, durationMs: { type: 'number' } } } },
        },
      },
    },
  },
  Alarm: {
    type: 'object',
    properties: {
      id: { type: 'string' },
      deviceId: { ...gbId, description: 'The registered device that sent it' },
      sourceId: { type: 'string', description: 'DeviceID of the alarm body (device, channel or alarm input)' },
      priority: { ...nullableInt, description: '1-4, 1 the most urgent' },
      method: { ...nullableInt, description: '1 phone, 2 device, 3 SMS, 4 GPS, 5 video, 6 device fault, 7 other' },
      type: { ...nullableInt, description: 'Info/AlarmType, meaning per method (A.2.5.3)' },
      eventType: { ...nullableInt, description: 'AlarmTypeParam/EventType: 1 entering, 2 leaving' },
      time: { type: 'integer', description: 'AlarmTime (epoch ms); the receive time when unreadable' },
      timeText: nullableString,
      description: nullableString,
      longitude: nullableNumber,
      latitude: nullableNumber,
      extraInfo: { type: 'array', items: { type: 'string' } },
      sn: nullableInt,
      via: { type: 'string', enum: ['message', 'notify'] },
      receivedAt: { type: 'integer' },
    },
  },
  Position: {
    type: 'object',
    properties: {
      deviceId: { type: 'string' },
      reporterId: { type: 'string' },
      time: { type: 'integer' },
      longitude: { type: 'number' },
      latitude: { type: 'number' },
      speed: { ...nullableNumber, description: 'km/h' },
      direction: { ...nullableNumber, description: 'Degrees from north, clockwise' },
      altitude: nullableNumber,
      receivedAt: { type: 'integer' },
    },
  },
  Subscription: {
    type: 'object',
    properties: {
      deviceId: gbId,
      kind: { type: 'string', enum: ['alarm', 'catalog', 'mobilePosition'] },
      state: { type: 'string', enum: ['pending', 'active', 'retrying', 'waiting-device'] },
      event: { type: 'string', description: 'Event header (presence, Catalog;id=N)' },
      expiresSec: { type: 'integer' },
      expiresAt: nullableInt,
      intervalSec: nullableInt,
      subscribedAt: nullableInt,
      refreshedAt: nullableInt,
      notifies: { type: 'integer' },
      lastNotifyAt: nullableInt,
      lastError: nullableString,
    },
  },
} as const;

export const eventPaths = {
  '/events/stream': {
    get: {
      summary:
        'Server-sent events: every platform event matching `topics` as `id:` + `data:` (the event as JSON); `Last-Event-ID` (header or `lastEventId`) replays what was missed from the ring; `: heartbeat` comments every 15 s',
      parameters: [
        topicsParam,
        q('lastEventId', { type: 'string' }, 'Resume after this event id (for clients that cannot set the header)'),
        q('access_token', { type: 'string' }, 'A signed token from POST /events/stream-url, instead of the Authorization header (browsers\' EventSource cannot set it)'),
      ],
      responses: { '200': { description: 'text/event-stream', content: { 'text/event-stream': { schema: { type: 'string' } } } }, ...errors },
    },
  },
  '/events/stream-url': {
    post: {
      summary:
        'A short-lived URL of the event stream for EventSource (which cannot send the Authorization header): the URL carries a signed `access_token` that opens only /events/stream, until `expiresAt`; ask for a new one when EventSource reports an error',
      requestBody: {
        required: false,
        ...json(
          {
            type: 'object',
            additionalProperties: false,
            properties: {
              ttlSec: { type: 'integer', minimum: 10, maximum: 3600, default: 300 },
              topics: { type: 'string', description: 'Put into the URL as `topics`' },
            },
          },
          'Optional: how long the URL works, and the topics it streams',
        ),
      },
      responses: {
        '200': {
          description: 'The URL (path and query, relative to the API host)',
          content: { 'application/json': { schema: { type: 'object', required: ['url', 'expiresAt'], properties: { url: { type: 'string' }, expiresAt: { type: 'integer', description: 'epoch ms' } } } } },
        },
        ...errors,
      },
    },
  },
  '/events': {
    get: {
      summary: 'Recent platform events still in the ring, oldest first',
      parameters: [topicsParam, q('limit', { type: 'integer', minimum: 1, maximum: 1000, default: 100 }, 'Newest this many')],
      responses: { '200': json(listOf('PlatformEvent')), ...errors },
    },
  },
  '/webhooks': {
    get: { summary: 'Webhooks with their delivery log', responses: { '200': json(listOf('Webhook')), ...errors } },
    post: {
      summary: 'Add a webhook: events POSTed as JSON with `X-Gbvms-Signature: sha256=<hex HMAC-SHA256 of the body with the secret>` and `X-Gbvms-Event-Id`, retried with exponential backoff',
      requestBody: {
        required: true,
        content: {
          'application/json': {
            schema: {
              type: 'object',
              required: ['url'],
              properties: {
                url: { type: 'string', format: 'uri' },
                topics: { type: 'array', items: { type: 'string' }, description: 'Empty = every topic' },
                secret: { type: 'string', minLength: 16, description: 'Generated when absent; shown only in this answer' },
              },
            },
          },
        },
      },
      responses: { '201': json(ref('Webhook'), 'Created (with its secret)'), ...errors },
    },
  },
  '/webhooks/{id}': {
    get: { summary: 'One webhook and its delivery log (last status, failures, recent attempts)', parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }], responses: { '200': json(ref('Webhook')), ...errors } },
    delete: { summary: 'Remove a webhook (waiting deliveries are dropped)', parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }], responses: { '204': { description: 'Removed' }, ...errors } },
  },
  '/alarms': {
    get: {
      summary: 'Alarms devices reported (Notify Alarm), newest first',
      parameters: [
        q('deviceId', gbId, 'Reporting device or alarm source'),
        q('type', { type: 'integer' }, 'Alarm type'),
        q('priority', { type: 'integer', minimum: 0, maximum: 9 }, 'Alarm priority'),
        q('method', { type: 'integer' }, 'Alarm method'),
        q('from', { type: 'string' }, 'AlarmTime at or after (ISO 8601 or epoch ms)'),
        q('to', { type: 'string' }, 'AlarmTime before'),
        q('offset', { type: 'integer', minimum: 0, default: 0 }, 'Items to skip'),
        q('limit', { type: 'integer', minimum: 1, maximum: 1000, default: 50 }, 'Page size'),
      ],
      responses: {
        '200': json({ type: 'object', properties: { items: { type: 'array', items: ref('Alarm') }, total: { type: 'integer' }, offset: { type: 'integer' }, limit: { type: 'integer' } } }),
        ...errors,
      },
    },
  },
  '/alarms/{id}': {
    get: { summary: 'One alarm', parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }], responses: { '200': json(ref('Alarm')), ...errors } },
  },
  '/devices/{deviceId}/positions': {
    get: {
      summary: "A mobile device's track (MobilePosition notifications), oldest first; default the last 24 h",
      parameters: [deviceParam, q('from', { type: 'string' }, 'ISO 8601 or epoch ms'), q('to', { type: 'string' }, 'ISO 8601 or epoch ms'), q('limit', { type: 'integer', minimum: 1, maximum: 10000, default: 1000 }, 'At most')],
      responses: { '200': json({ type: 'object', properties: { deviceId: gbId, from: { type: 'integer' }, to: { type: 'integer' }, total: { type: 'integer' }, items: { type: 'array', items: ref('Position') } } }), ...errors },
    },
  },
  '/devices/{deviceId}/subscriptions': {
    get: { summary: "The device's alarm, catalog and mobile-position subscriptions", parameters: [deviceParam], responses: { '200': json(listOf('Subscription')), ...errors } },
    post: {
      summary: 'Subscribe (SUBSCRIBE with a MANSCDP Query, refreshed before expiry) or refresh with new options',
      parameters: [deviceParam],
      requestBody: {
        required: true,
        content: {
          'application/json': {
            schema: {
              type: 'object',
              required: ['kind'],
              properties: {
                kind: { type: 'string', enum: ['alarm', 'catalog', 'mobilePosition'] },
                expiresSec: { type: 'integer', minimum: 10, maximum: 86400 },
                intervalSec: { type: 'integer', minimum: 1, maximum: 3600, description: 'mobilePosition: seconds between reports' },
              },
            },
          },
        },
      },
      responses: { '200': json(ref('Subscription'), 'Refreshed'), '201': json(ref('Subscription'), 'Subscribed'), ...deviceErrors },
    },
  },
  '/devices/{deviceId}/subscriptions/{kind}': {
    delete: {
      summary: 'Unsubscribe (SUBSCRIBE Expires: 0 in the dialog)',
      parameters: [deviceParam, { name: 'kind', in: 'path', required: true, schema: { type: 'string', enum: ['alarm', 'catalog', 'mobilePosition'] } }],
      responses: { '204': { description: 'Ended' }, ...errors },
    },
  },
} as const;
