import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { openApiDocument } from '../../src/api/openapi';
import { API_TOKEN, startTestServer, type TestServer } from '../helpers/server';

describe('REST API basics', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(async () => {
    await server.stop();
  });

  const raw = (path: string, init: RequestInit = {}) => fetch(`http://127.0.0.1:${server.httpPort}${path}`, init);

  test('a request without the bearer token is refused with 401 and the JSON error shape', async () => {
    for (const headers of [{}, { authorization: 'Bearer wrong' }, { authorization: API_TOKEN }] as Array<Record<string, string>>) {
      const res = await raw('/api/v1/devices', { headers });
      assert.equal(res.status, 401);
      const body = (await res.json()) as { error: { code: string; message: string } };
      assert.equal(body.error.code, 'unauthorized');
      assert.ok(body.error.message.length > 0);
    }
  });

  test('bad input is answered 400 with a message naming the field', async () => {
    const cases: Array<[string, RequestInit?]> = [
      ['/api/v1/devices?limit=abc'],
      ['/api/v1/devices?limit=100000'],
      ['/api/v1/devices?online=perhaps'],
      ['/api/v1/devices/123'],
      ['/api/v1/devices/34020000001320000001/events?from=yesterday'],
      ['/api/v1/devices', { method: 'POST', body: '{not json' }],
      ['/api/v1/devices', { method: 'POST', body: JSON.stringify({ deviceId: 'abc' }) }],
      ['/api/v1/devices', { method: 'POST', body: JSON.stringify({ deviceId: '34020000001320000001', charset: 'latin1' }) }],
    ];
    for (const [path, init] of cases) {
      const res = await server.api(path, init);
      assert.equal(res.status, 400, `${init?.method ?? 'GET'} ${path}`);
      const body = (await res.json()) as { error: { code: string; message: string } };
      assert.equal(body.error.code, 'bad_request');
    }
  });

  test('reversed time ranges are refused', async () => {
    await server.api('/api/v1/devices', { method: 'POST', body: JSON.stringify({ deviceId: '34020000001320000077' }) });
    const res = await server.api('/api/v1/devices/34020000001320000077/events?from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z');
    assert.equal(res.status, 400);
  });

  test('unknown routes and unknown devices are 404 in the same JSON shape', async () => {
    for (const path of ['/api/v1/nothing-here', '/api/v1/devices/34020000001320009999', '/api/v1/channels/34020000001310009999']) {
      const res = await server.api(path);
      assert.equal(res.status, 404, path);
      const body = (await res.json()) as { error: { code: string } };
      assert.equal(body.error.code, 'not_found');
    }
  });

  test('a provisioned device can be listed, filtered, patched and deleted', async () => {
    const id = '34020000001180000042';
    const created = await server.api('/api/v1/devices', { method: 'POST', body: JSON.stringify({ deviceId: id, name: '北门NVR', charset: 'GBK' }) });
    assert.equal(created.status, 201);
    assert.equal((await server.api('/api/v1/devices', { method: 'POST', body: JSON.stringify({ deviceId: id }) })).status, 409);
    const list = (await (await server.api('/api/v1/devices?type=118&keyword=%E5%8C%97%E9%97%A8')).json()) as { total: number; items: Array<{ deviceId: string }> };
    assert.equal(list.total, 1);
    assert.equal(list.items[0]?.deviceId, id);
    const offline = (await (await server.api('/api/v1/devices?online=true&type=118')).json()) as { total: number };
    assert.equal(offline.total, 0);
    const patched = await server.api(`/api/v1/devices/${id}`, { method: 'PATCH', body: JSON.stringify({ password: 'p1', name: null }) });
    assert.equal(patched.status, 200);
    const view = (await patched.json()) as { hasOwnPassword: boolean; name: string | null; charset: string };
    assert.deepEqual([view.hasOwnPassword, view.name, view.charset], [true, null, 'GBK']);
    assert.equal((await server.api(`/api/v1/devices/${id}`, { method: 'PATCH', body: JSON.stringify({ colour: 'red' }) })).status, 400);
    assert.equal((await server.api(`/api/v1/devices/${id}`, { method: 'DELETE' })).status, 204);
    assert.equal((await server.api(`/api/v1/devices/${id}`, { method: 'DELETE' })).status, 404);
  });

  test('health and Prometheus metrics are served', async () => {
    const health = await raw('/healthz');
    assert.equal(health.status, 200);
    assert.deepEqual(await health.json(), { status: 'ok', problems: {} });
    const metrics = await (await raw('/metrics')).text();
    for (const name of ['gbvms_devices_online', 'gbvms_registrations_active', 'gbvms_sip_messages_total', 'gbvms_sip_transaction_timeouts_total']) {
      assert.ok(metrics.includes(name), name);
    }
  });

  test('the OpenAPI document is served and lists exactly the routes the server has', async () => {
    const res = await raw('/api/v1/openapi.json');
    assert.equal(res.status, 200);
    const doc = (await res.json()) as typeof openApiDocument;
    assert.equal(doc.openapi, '3.1.0');

    const documented = new Set<string>();
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const method of Object.keys(ops)) documented.add(`${method.toUpperCase()} ${path}`);
    }
    const served = new Set<string>(['GET /openapi.json']);
    for (const layer of server.app.routes.stack) {
      const path = String(layer.path).replace(/:(\w+)/g, '{$1}');
      for (const method of layer.methods) if (method !== 'HEAD') served.add(`${method} ${path}`);
    }
    assert.deepEqual([...served].sort(), [...documented].sort());

    // Every documented operation answers something other than "no such route".
    for (const entry of documented) {
      const [method, path] = entry.split(' ') as [string, string];
      const url = `/api/v1${path.replace(/\{\w+\}/g, '34020000001320000001')}`;
      const r = await server.api(url, { method, ...(method === 'POST' || method === 'PATCH' ? { body: '{}' } : {}) });
      if (r.status === 404) {
        const body = (await r.json()) as { error: { message: string } };
        assert.ok(!body.error.message.startsWith('no route'), `${entry} is documented but not routed`);
      }
    }
  });
});
