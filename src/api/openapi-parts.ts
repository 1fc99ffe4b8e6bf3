/**
 * Building blocks of the OpenAPI document, shared by the per-feature modules (openapi*.ts) so
 * that an error body or a page looks the same on every route.
 */

/** A 20-digit GB/T 28181 ID; `example` names the kind of ID the route takes. */
export const gbIdSchema = (example = '34020000001320000001') => ({ type: 'string', pattern: '^\\d{20}$', example });
export const errorResponse = { description: 'Error', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } };
export const errors = { '400': errorResponse, '401': errorResponse, '404': errorResponse };
/** The answers of a route that waits for a device. */
export const deviceErrors = {
  ...errors,
  '409': { ...errorResponse, description: 'Device offline' },
  '502': { ...errorResponse, description: 'Device refused or answered with an error' },
  '504': { ...errorResponse, description: 'Device did not answer in time' },
};
export const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
export const json = (schema: object, description = 'OK') => ({ description, content: { 'application/json': { schema } } });
/** A required JSON request body. */
export const body = (schema: object) => ({ required: true, content: { 'application/json': { schema } } });
export const q = (name: string, schema: object, description: string, required = false) => ({ name, in: 'query', required, schema, description });
export const paging = [q('offset', { type: 'integer', minimum: 0, default: 0 }, 'Items to skip'), q('limit', { type: 'integer', minimum: 1, maximum: 1000, default: 50 }, 'Page size')];
/** `{ items, total, offset, limit }` of schema `name`, with `extra` properties. */
export const pageOf = (name: string, extra: Record<string, object> = {}) => ({
  type: 'object',
  required: ['items', 'total', 'offset', 'limit'],
  properties: { items: { type: 'array', items: ref(name) }, total: { type: 'integer' }, offset: { type: 'integer' }, limit: { type: 'integer' }, ...extra },
});
/** `{ items, total }` of schema `name` (lists without paging). */
export const listOf = (name: string) => ({ type: 'object', required: ['items', 'total'], properties: { items: { type: 'array', items: ref(name) }, total: { type: 'integer' } } });
export const nullable = (type: string) => ({ type: [type, 'null'] });
