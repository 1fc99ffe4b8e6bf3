/**
 * OpenAPI paths and schemas of district operations: buildings, maintenance windows, online-rate
 * reports and the monthly settlement. Merged into openApiDocument (src/api/openapi.ts).
 */
import { errorResponse, errors, gbIdSchema, json, nullable, pageOf, paging, q, ref } from './openapi-parts';
const gbId = gbIdSchema();
const buildingId = { name: 'buildingId', in: 'path', required: true, schema: { type: 'string', maxLength: 64 }, description: "The district's building code" };
const windowId = { name: 'id', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } };
const state = { type: 'string', enum: ['active', 'removed', 'relocated'] };
const figures = {
  onlineMs: { type: 'integer', description: 'Time online within the counted time, summed over devices' },
  countedMs: { type: 'integer', description: 'The period minus exclusions, summed over devices (the denominator)' },
  excludedMs: { type: 'integer' },
  onlineRate: { type: ['number', 'null'], description: 'onlineMs / countedMs; null when nothing was counted' },
  devices: { type: 'integer' },
};

const buildingFields = {
  buildingId: { type: 'string', maxLength: 64 },
  name: nullable('string'),
  address: { type: 'string' },
  street: { type: 'string' },
  community: { type: 'string' },
  civilCode: { type: ['string', 'null'], pattern: '^\\d{2,20}$' },
  longitude: nullable('number'),
  latitude: nullable('number'),
  state,
  stateSince: { type: 'integer', description: 'When the state took effect (ms UTC); on write also an ISO 8601 time. Default: now, when the state changes' },
  line: { type: ['string', 'null'], description: 'Network line the building hangs on' },
  devices: { type: 'array', items: ref('BuildingDevice'), description: 'At most one door host; a device is in at most one building' },
};

export const operationsSchemas = {
  BuildingDevice: { type: 'object', required: ['deviceId', 'role'], properties: { deviceId: gbId, role: { type: 'string', enum: ['door', 'camera'] } } },
  Building: {
    type: 'object',
    properties: {
      ...buildingFields,
      stateHistory: { type: 'array', items: { type: 'object', properties: { state, since: { type: 'integer' } } } },
      createdAt: { type: 'integer' },
      updatedAt: { type: 'integer' },
    },
  },
  BuildingInput: { type: 'object', required: ['buildingId', 'address', 'street', 'community'], properties: buildingFields },
  BuildingImportReport: {
    type: 'object',
    properties: {
      ok: { type: 'boolean', description: 'Every row good (and written unless dryRun); false: nothing was written' },
      dryRun: { type: 'boolean' },
      mode: { type: 'string', enum: ['insert', 'upsert'] },
      rows: { type: 'integer' },
      created: { type: 'integer' },
      updated: { type: 'integer' },
      fileError: { type: 'string', description: 'A problem with the whole file (header, size)' },
      errors: {
        type: 'array',
        items: {
          type: 'object',
          properties: { row: { type: 'integer', description: '1-based data row' }, line: { type: 'integer', description: 'CSV line' }, buildingId: { type: 'string' }, errors: { type: 'array', items: { type: 'string' } } },
        },
      },
    },
  },
  MaintenanceWindow: {
    type: 'object',
    properties: {
      id: { type: 'string', format: 'uuid' },
      scope: { type: 'string', enum: ['device', 'building'] },
      targetId: { type: 'string', description: 'Device ID or building ID' },
      from: { type: 'integer', description: 'ms UTC (on write also ISO 8601)' },
      to: { type: 'integer' },
      reason: { type: 'string' },
      createdAt: { type: 'integer' },
      updatedAt: { type: 'integer' },
    },
  },
  Exclusion: {
    type: 'object',
    properties: {
      kind: { type: 'string', enum: ['maintenance', 'building-removed', 'not-in-building'] },
      buildingId: { type: 'string' },
      deviceId: gbId,
      windowId: { type: 'string' },
      reason: { type: 'string' },
      from: { type: 'integer' },
      to: { type: 'integer' },
    },
  },
  OnlineRateReport: {
    type: 'object',
    properties: {
      from: { type: 'integer' },
      to: { type: 'integer' },
      groupBy: { type: 'string', enum: ['device', 'building', 'community', 'street', 'district'] },
      items: {
        type: 'array',
        items: {
          type: 'object',
          properties: { key: { type: 'string' }, deviceId: gbId, role: { type: 'string' }, buildingId: { type: 'string' }, street: { type: 'string' }, community: { type: 'string' }, buildings: { type: 'integer' }, ...figures },
        },
      },
      district: { type: 'object', properties: { ...figures, buildings: { type: 'integer' } } },
      exclusions: { type: 'array', items: ref('Exclusion') },
    },
  },
  SettlementReport: {
    type: 'object',
    properties: {
      month: { type: 'string', example: '2026-10' },
      timezone: { type: 'string' },
      from: { type: 'integer' },
      to: { type: 'integer', description: "The month's end, or the present for a month still running" },
      complete: { type: 'boolean', description: 'False while the month runs (provisional figures)' },
      rules: {
        type: 'object',
        properties: { pricePerSet: { type: 'number' }, threshold: { type: 'number' }, deductionPerPoint: { type: 'number' }, deductionUnit: { type: 'string', enum: ['percent', 'yuan'] }, floor: { type: 'number' } },
      },
      lines: {
        type: 'array',
        items: {
          type: 'object',
          properties: {
            buildingId: { type: 'string' },
            name: nullable('string'),
            street: { type: 'string' },
            community: { type: 'string' },
            state,
            ...figures,
            thresholdMet: nullable('boolean'),
            serviceShare: { type: 'number', description: 'Share of the month the building was not removed' },
            pointsBelow: { type: 'number' },
            baseRent: { type: 'number', description: 'Yuan' },
            deduction: { type: 'number' },
            rentDue: { type: 'number' },
            exclusions: { type: 'array', items: ref('Exclusion') },
          },
        },
      },
      totals: {
        type: 'object',
        properties: {
          buildings: { type: 'integer' },
          buildingsRated: { type: 'integer' },
          buildingsBelowThreshold: { type: 'integer' },
          devices: { type: 'integer' },
          onlineRate: { type: ['number', 'null'] },
          baseRent: { type: 'number' },
          deduction: { type: 'number' },
          rentDue: { type: 'number' },
        },
      },
    },
  },
};

export const operationsPaths = {
  '/buildings': {
    get: {
      summary: 'Buildings, by building ID',
      parameters: [
        ...paging,
        q('street', { type: 'string' }, 'Street (街道)'),
        q('community', { type: 'string' }, 'Community (社区)'),
        q('state', state, 'State'),
        q('line', { type: 'string' }, 'Network line'),
        q('keyword', { type: 'string' }, 'Substring of building ID, name or address, or a device ID of the building'),
      ],
      responses: { '200': json(pageOf('Building')), ...errors },
    },
    post: {
      summary: 'Create a building with its devices',
      requestBody: { required: true, content: { 'application/json': { schema: ref('BuildingInput') } } },
      responses: { '201': json(ref('Building'), 'Created'), ...errors, '409': { ...errorResponse, description: 'The building exists, or a device is in another building' } },
    },
  },
  '/buildings/import': {
    post: {
      summary: 'Import buildings (CSV or JSON array) all or nothing, with a per-row error report',
      description:
        'CSV (text/csv, UTF-8 with or without BOM, or GB18030): a header row, then one row per building with columns buildingId, name, address, street, community, civilCode, longitude, latitude, state, line, doorDeviceId, cameraDeviceIds (separated by ;), stateSince. JSON: an array of BuildingInput. Any bad row: 422 with the report, nothing written.',
      parameters: [
        q('mode', { type: 'string', enum: ['insert', 'upsert'], default: 'insert' }, 'upsert replaces buildings that exist'),
        q('dryRun', { type: 'boolean', default: false }, 'Only check'),
      ],
      requestBody: { required: true, content: { 'text/csv': { schema: { type: 'string' } }, 'application/json': { schema: { type: 'array', items: ref('BuildingInput') } } } },
      responses: { '200': json(ref('BuildingImportReport'), 'Every row good (written unless dryRun)'), '422': json(ref('BuildingImportReport'), 'Rows with errors: nothing written'), ...errors },
    },
  },
  '/buildings/export': {
    get: {
      summary: 'Every building as CSV (the import columns) or JSON',
      parameters: [q('format', { type: 'string', enum: ['csv', 'json'], default: 'json' }, 'File format')],
      responses: { '200': { description: 'The file', content: { 'text/csv': {}, 'application/json': { schema: { type: 'array', items: ref('Building') } } } }, ...errors },
    },
  },
  '/buildings/{buildingId}': {
    get: { summary: 'One building', parameters: [buildingId], responses: { '200': json(ref('Building')), ...errors } },
    patch: {
      summary: 'Change fields of a building (devices, when given, replace the list; a new state starts now or at stateSince)',
      parameters: [buildingId],
      requestBody: { required: true, content: { 'application/json': { schema: { type: 'object' } } } },
      responses: { '200': json(ref('Building')), ...errors, '409': errorResponse },
    },
    delete: { summary: 'Delete a building (its devices are free again)', parameters: [buildingId], responses: { '204': { description: 'Deleted' }, ...errors } },
  },
  '/devices/{deviceId}/building': {
    get: { summary: 'The building a device belongs to', parameters: [{ name: 'deviceId', in: 'path', required: true, schema: gbId }], responses: { '200': json(ref('Building')), ...errors } },
  },
  '/maintenance-windows': {
    get: {
      summary: 'Maintenance windows, by start',
      parameters: [
        ...paging,
        q('scope', { type: 'string', enum: ['device', 'building'] }, 'Scope'),
        q('targetId', { type: 'string' }, 'Device or building ID'),
        q('from', { type: 'string' }, 'Windows ending after this time'),
        q('to', { type: 'string' }, 'Windows starting before this time'),
      ],
      responses: { '200': json(pageOf('MaintenanceWindow')), ...errors },
    },
    post: {
      summary: 'Declare a maintenance window (left out of online-rate accounting)',
      requestBody: {
        required: true,
        content: {
          'application/json': {
            schema: {
              type: 'object',
              required: ['scope', 'targetId', 'from', 'to', 'reason'],
              properties: { scope: { type: 'string', enum: ['device', 'building'] }, targetId: { type: 'string' }, from: {}, to: {}, reason: { type: 'string' } },
            },
          },
        },
      },
      responses: { '201': json(ref('MaintenanceWindow'), 'Created'), ...errors },
    },
  },
  '/maintenance-windows/{id}': {
    get: { summary: 'One maintenance window', parameters: [windowId], responses: { '200': json(ref('MaintenanceWindow')), ...errors } },
    patch: {
      summary: 'Change a maintenance window',
      parameters: [windowId],
      requestBody: { required: true, content: { 'application/json': { schema: { type: 'object' } } } },
      responses: { '200': json(ref('MaintenanceWindow')), ...errors },
    },
    delete: { summary: 'Delete a maintenance window', parameters: [windowId], responses: { '204': { description: 'Deleted' }, ...errors } },
  },
  '/reports/online-rate': {
    get: {
      summary: 'Time-weighted online rate of the buildings’ devices over [from, to), grouped',
      parameters: [
        q('from', { type: 'string' }, 'ISO 8601 or epoch ms', true),
        q('to', { type: 'string' }, 'ISO 8601 or epoch ms (exclusive)', true),
        q('groupBy', { type: 'string', enum: ['device', 'building', 'community', 'street', 'district'], default: 'building' }, 'Grouping'),
      ],
      responses: { '200': json(ref('OnlineRateReport')), ...errors },
    },
  },
  '/reports/settlement': {
    get: {
      summary: 'Monthly settlement: per building online rate, threshold, rent due; totals',
      parameters: [
        q('month', { type: 'string', pattern: '^\\d{4}-(0[1-9]|1[0-2])$', example: '2026-10' }, 'Calendar month in the configured time zone', true),
        q('format', { type: 'string', enum: ['json', 'csv', 'xlsx'], default: 'json' }, 'JSON, or a file for the finance office'),
      ],
      responses: {
        '200': {
          description: 'The settlement',
          content: {
            'application/json': { schema: ref('SettlementReport') },
            'text/csv': {},
            'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': {},
          },
        },
        ...errors,
      },
    },
  },
};
