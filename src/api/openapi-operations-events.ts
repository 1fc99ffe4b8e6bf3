/**
 * OpenAPI paths and schemas of fault tickets, door-entry records, the watchlist, the audit log and
 * remote door opening (district operations, ADR 0015), merged into openapi.ts.
 */
import { body, errorResponse, errors, gbIdSchema, json, nullable, pageOf, paging, q, ref } from './openapi-parts';
const gbId = gbIdSchema('34020000001240000001');
const path = (name: string, schema: object = { type: 'string' }) => ({ name, in: 'path', required: true, schema });
const time = { type: 'string', description: 'ISO 8601 or epoch milliseconds' };
const nullableString = nullable('string');
const nullableInt = nullable('integer');
const forbidden = { ...errorResponse, description: 'Needs the investigator role (privileged token and X-Gbvms-Role: investigator)' };
const conflict = { ...errorResponse, description: 'Not in a state that allows this' };
const roleNote =
  'Personal identifiers (card and person IDs, names) are masked unless the request carries the privileged token (operations.privilegedToken) and `X-Gbvms-Role: investigator`; every such unmasked read is written to the audit log. `X-Gbvms-User` names the caller in the audit log.';
const byBody = { by: { type: 'string', maxLength: 128, description: 'Who (default: X-Gbvms-User, else the role)' } };
const methods = ['card', 'face', 'app', 'password', 'call', 'fingerprint', 'remote'];

export const operationsEventsSchemas = {
  FaultTicket: {
    type: 'object',
    properties: {
      id: { type: 'string' },
      kind: { type: 'string', enum: ['front-end', 'network'] },
      scope: { type: 'string', enum: ['device', 'building', 'line'] },
      buildingIds: { type: 'array', items: { type: 'string' } },
      line: nullableString,
      devices: {
        type: 'array',
        items: { type: 'object', properties: { deviceId: gbId, offlineAt: { type: 'integer' }, backAt: nullableInt } },
      },
      offlineSince: { type: 'integer', description: 'Earliest offline time of the outage (epoch ms)' },
      openedAt: { type: 'integer', description: 'When the grace time passed; deadlines run from here' },
      state: { type: 'string', enum: ['open', 'acknowledged', 'resolved'] },
      noSpareFibre: { type: 'boolean', description: 'The 24 h network repair deadline applies' },
      responseDeadline: { type: 'integer' },
      repairDeadline: { type: 'integer' },
      acknowledgedAt: nullableInt,
      acknowledgedBy: nullableString,
      resolvedAt: nullableInt,
      resolvedBy: nullableString,
      resolution: { type: ['string', 'null'], enum: ['auto', 'manual', null] },
      note: nullableString,
      repairMs: { ...nullableInt, description: 'Auto-resolved: last device back minus offlineSince' },
      responseBreachedAt: nullableInt,
      repairBreachedAt: nullableInt,
    },
  },
  FibreFlag: {
    type: 'object',
    properties: { scope: { type: 'string', enum: ['line', 'building'] }, id: { type: 'string' }, noSpareFibre: { type: 'boolean' }, note: nullableString, updatedAt: { type: 'integer' } },
  },
  FootageLink: {
    type: 'object',
    properties: {
      channelId: gbId,
      from: { type: 'integer' },
      to: { type: 'integer' },
      source: { type: 'string', enum: ['platform', 'device'], description: 'Platform recordings cover part of the window, or ask the device' },
      recorded: { type: 'array', items: { type: 'object', properties: { start: { type: 'integer' }, end: { type: 'integer' } } } },
      open: { type: 'object', description: 'The API call that starts playback', properties: { method: { type: 'string' }, path: { type: 'string' }, body: { type: 'object' } } },
      coverage: nullableString,
    },
  },
  DoorRecord: {
    type: 'object',
    properties: {
      id: { type: 'string' },
      eventId: { type: 'string' },
      source: { type: 'string', enum: ['sip', 'rest'] },
      deviceId: gbId,
      doorId: { ...gbId, type: ['string', 'null'] },
      buildingId: { type: 'string' },
      time: { type: 'integer' },
      receivedAt: { type: 'integer' },
      kind: { type: 'string', enum: ['door-opened', 'unlock', 'unlock-failed'] },
      method: { type: ['string', 'null'], enum: [...methods, null] },
      direction: { type: ['string', 'null'], enum: ['in', 'out', null] },
      cardNumber: nullableString,
      personId: nullableString,
      personName: nullableString,
      description: nullableString,
      masked: { type: 'boolean' },
      photoUrl: nullableString,
      footage: { type: 'array', items: ref('FootageLink') },
    },
  },
  DoorEventInput: {
    type: 'object',
    required: ['eventId', 'deviceId', 'time'],
    additionalProperties: false,
    properties: {
      eventId: { type: 'string', maxLength: 128, description: "The event's own ID: a retry with the same ID answers 200 with the stored record" },
      deviceId: { ...gbId, description: 'The door host' },
      doorId: { ...gbId, type: ['string', 'null'] },
      time: { type: ['integer', 'string'], description: 'Epoch ms or ISO 8601' },
      kind: { type: 'string', enum: ['door-opened', 'unlock', 'unlock-failed'], default: 'unlock' },
      method: { type: ['string', 'null'], enum: [...methods, null] },
      direction: { type: ['string', 'null'], enum: ['in', 'out', null] },
      cardNumber: nullableString,
      personId: nullableString,
      personName: nullableString,
      photo: { type: ['string', 'null'], description: 'JPEG or PNG, base64 (request body at most 1 MiB)' },
      description: nullableString,
    },
  },
  WatchlistEntry: {
    type: 'object',
    properties: {
      id: { type: 'string' },
      kind: { type: 'string', enum: ['person', 'card'] },
      value: { type: 'string' },
      reason: { type: 'string' },
      priority: { type: 'integer', minimum: 1, maximum: 4 },
      createdAt: { type: 'integer' },
      updatedAt: { type: 'integer' },
      masked: { type: 'boolean' },
    },
  },
  WatchlistAlert: {
    type: 'object',
    properties: {
      id: { type: 'string' },
      entryId: { type: 'string' },
      kind: { type: 'string', enum: ['person', 'card'] },
      value: { type: 'string' },
      reason: { type: 'string' },
      priority: { type: 'integer' },
      recordId: { type: 'string' },
      buildingId: { type: 'string' },
      deviceId: gbId,
      doorId: nullableString,
      eventTime: { type: 'integer' },
      raisedAt: { type: 'integer' },
      state: { type: 'string', enum: ['open', 'acknowledged', 'closed'] },
      acknowledgedAt: nullableInt,
      acknowledgedBy: nullableString,
      closedAt: nullableInt,
      closedBy: nullableString,
      note: nullableString,
      forwarded: { type: 'boolean', description: 'Sent upward to cascaded platforms' },
      masked: { type: 'boolean' },
    },
  },
  AuditEntry: {
    type: 'object',
    properties: {
      id: { type: 'integer' },
      at: { type: 'integer' },
      actor: { type: 'string' },
      role: { type: 'string', enum: ['operator', 'privileged', 'ingest'] },
      action: { type: 'string', description: 'door-events.read, door-events.photo, watchlist.read, watchlist-alerts.read, door.open' },
      target: nullableString,
      result: nullableString,
      detail: { type: ['object', 'null'] },
    },
  },
  DoorOpenResult: {
    type: 'object',
    properties: {
      buildingId: { type: 'string' },
      deviceId: gbId,
      doorId: nullableString,
      command: { type: 'string', enum: ['aux-switch', 'door-cmd'] },
      result: { type: 'string', enum: ['OK'] },
      answeredInMs: { type: 'integer' },
    },
  },
};

const ticketId = path('id');
const entryId = path('id');
const doorOpenBody = body({
  type: 'object',
  additionalProperties: false,
  properties: { ...byBody, doorId: { ...gbId, type: ['string', 'null'], description: 'A door channel of the host' }, door: { type: 'integer', minimum: 1, maximum: 255, default: 1 } },
});
const doorOpenResponses = {
  '200': json(ref('DoorOpenResult'), 'The host answered Result OK'),
  ...errors,
  '409': { ...errorResponse, description: 'Door host offline' },
  '502': { ...errorResponse, description: 'The host answered ERROR' },
  '504': { ...errorResponse, description: 'No answer in time' },
};

export const operationsEventsPaths = {
  '/faults': {
    get: {
      summary: 'Fault tickets, newest first',
      parameters: [
        q('state', { type: 'string', enum: ['open', 'acknowledged', 'resolved'] }, 'Ticket state'),
        q('buildingId', { type: 'string' }, 'Tickets concerning this building'),
        q('breached', { type: 'boolean' }, 'A response or repair deadline was (not) breached'),
        q('from', time, 'Opened at or after'),
        q('to', time, 'Opened before'),
        ...paging,
      ],
      responses: { '200': json(pageOf('FaultTicket')), ...errors },
    },
  },
  '/faults/{id}': { get: { summary: 'One fault ticket', parameters: [ticketId], responses: { '200': json(ref('FaultTicket')), ...errors } } },
  '/faults/{id}/acknowledge': {
    post: {
      summary: 'Acknowledge a fault ticket (the response deadline is met)',
      parameters: [ticketId],
      requestBody: body({ type: 'object', additionalProperties: false, properties: byBody }),
      responses: { '200': json(ref('FaultTicket')), ...errors, '409': conflict },
    },
  },
  '/faults/{id}/resolve': {
    post: {
      summary: 'Resolve a fault ticket by hand (its still-offline devices get no new ticket until they come back and fail again)',
      parameters: [ticketId],
      requestBody: body({ type: 'object', required: ['note'], additionalProperties: false, properties: { ...byBody, note: { type: 'string', maxLength: 2000 } } }),
      responses: { '200': json(ref('FaultTicket')), ...errors, '409': conflict },
    },
  },
  '/fault-fibre': {
    get: { summary: 'No-spare-fibre flags of lines and buildings', responses: { '200': json({ type: 'object', properties: { total: { type: 'integer' }, items: { type: 'array', items: ref('FibreFlag') } } }), ...errors } },
  },
  '/fault-fibre/{scope}/{id}': {
    put: {
      summary: 'Set whether a line or building has no spare fibre (network faults there get 24 h to repair)',
      parameters: [path('scope', { type: 'string', enum: ['line', 'building'] }), path('id')],
      requestBody: body({ type: 'object', required: ['noSpareFibre'], additionalProperties: false, properties: { noSpareFibre: { type: 'boolean' }, note: nullableString } }),
      responses: { '200': json(ref('FibreFlag')), ...errors },
    },
  },
  '/door-events': {
    get: {
      summary: 'Door-entry records, newest first, with footage links',
      description: roleNote,
      parameters: [
        q('buildingId', { type: 'string' }, 'Building'),
        q('person', { type: 'string' }, 'Person ID (exact); investigators only (403 otherwise), and audited'),
        q('card', { type: 'string' }, 'Card number (exact); investigators only (403 otherwise), and audited'),
        q('method', { type: 'string', enum: methods }, 'Unlock method'),
        q('from', time, 'Event time at or after'),
        q('to', time, 'Event time before'),
        ...paging,
      ],
      responses: { '200': json(pageOf('DoorRecord', { masked: { type: 'boolean' } })), ...errors },
    },
    post: {
      summary: 'Ingest a door event from a vendor gateway (API token or operations.doors.ingestToken); idempotent on eventId',
      requestBody: body(ref('DoorEventInput')),
      responses: {
        '201': json(ref('DoorRecord'), 'Recorded'),
        '200': json(ref('DoorRecord'), 'Already recorded (same eventId): the stored record'),
        ...errors,
        '422': { ...errorResponse, description: 'The device belongs to no building' },
      },
    },
  },
  '/door-events/{id}': {
    get: { summary: 'One door-entry record', description: roleNote, parameters: [path('id')], responses: { '200': json(ref('DoorRecord')), ...errors } },
  },
  '/door-events/{id}/photo': {
    get: {
      summary: 'The photo of a door-entry record (investigator role; audited)',
      parameters: [path('id')],
      responses: { '200': { description: 'JPEG or PNG', content: { 'image/jpeg': {}, 'image/png': {} } }, ...errors, '403': forbidden },
    },
  },
  '/watchlist': {
    get: { summary: 'Watchlist entries', description: roleNote, parameters: [...paging], responses: { '200': json(pageOf('WatchlistEntry')), ...errors } },
    post: {
      summary: 'Add a person or card to the watchlist',
      requestBody: body({
        type: 'object',
        required: ['kind', 'value', 'reason'],
        additionalProperties: false,
        properties: { kind: { type: 'string', enum: ['person', 'card'] }, value: { type: 'string', maxLength: 128 }, reason: { type: 'string', maxLength: 500 }, priority: { type: 'integer', minimum: 1, maximum: 4, default: 2 } },
      }),
      responses: { '201': json(ref('WatchlistEntry'), 'Added'), ...errors, '409': { ...errorResponse, description: 'Already on the watchlist' } },
    },
  },
  '/watchlist/{id}': {
    get: { summary: 'One watchlist entry', description: roleNote, parameters: [entryId], responses: { '200': json(ref('WatchlistEntry')), ...errors } },
    patch: {
      summary: 'Change the reason or priority of an entry',
      parameters: [entryId],
      requestBody: body({ type: 'object', additionalProperties: false, properties: { reason: { type: 'string', maxLength: 500 }, priority: { type: 'integer', minimum: 1, maximum: 4 } } }),
      responses: { '200': json(ref('WatchlistEntry')), ...errors },
    },
    delete: { summary: 'Remove an entry', parameters: [entryId], responses: { '204': { description: 'Removed' }, ...errors } },
  },
  '/watchlist-alerts': {
    get: {
      summary: 'Watchlist alerts, newest first',
      description: roleNote,
      parameters: [
        q('state', { type: 'string', enum: ['open', 'acknowledged', 'closed'] }, 'Alert state'),
        q('buildingId', { type: 'string' }, 'Building'),
        q('from', time, 'Raised at or after'),
        q('to', time, 'Raised before'),
        ...paging,
      ],
      responses: { '200': json(pageOf('WatchlistAlert')), ...errors },
    },
  },
  '/watchlist-alerts/{id}': {
    get: { summary: 'One watchlist alert', description: roleNote, parameters: [path('id')], responses: { '200': json(ref('WatchlistAlert')), ...errors } },
  },
  '/watchlist-alerts/{id}/acknowledge': {
    post: {
      summary: 'Acknowledge an alert',
      parameters: [path('id')],
      requestBody: body({ type: 'object', additionalProperties: false, properties: byBody }),
      responses: { '200': json(ref('WatchlistAlert')), ...errors, '409': conflict },
    },
  },
  '/watchlist-alerts/{id}/close': {
    post: {
      summary: 'Close an alert with a note',
      parameters: [path('id')],
      requestBody: body({ type: 'object', required: ['note'], additionalProperties: false, properties: { ...byBody, note: { type: 'string', maxLength: 2000 } } }),
      responses: { '200': json(ref('WatchlistAlert')), ...errors, '409': conflict },
    },
  },
  '/audit': {
    get: {
      summary: 'The audit log (unmasked reads of personal data, remote door openings), newest first',
      parameters: [q('action', { type: 'string' }, 'Action'), q('actor', { type: 'string' }, 'Actor'), q('from', time, 'At or after'), q('to', time, 'Before'), ...paging],
      responses: { '200': json(pageOf('AuditEntry')), ...errors },
    },
  },
  '/buildings/{buildingId}/door/open': {
    post: {
      summary: "Open the building's door remotely (DeviceControl to its door host; audited)",
      description: 'Sends operations.doors.openCommand (default PTZCmd auxiliary switch on) and waits for the host\'s DeviceControl Response.',
      parameters: [path('buildingId')],
      requestBody: doorOpenBody,
      responses: doorOpenResponses,
    },
  },
  '/devices/{deviceId}/door/open': {
    post: {
      summary: 'Open the door of a door-entry host remotely (audited)',
      parameters: [path('deviceId', gbId)],
      requestBody: doorOpenBody,
      responses: doorOpenResponses,
    },
  },
};
