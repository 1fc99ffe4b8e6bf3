import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestServer, type TestServer } from '../helpers/server';

interface AuditPage {
  total: number;
  items: Array<{ actor: string; role: string; action: string; target: string | null; result: string | null }>;
}

describe('operator actions are written to the audit log', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ 'operations.privilegedToken': 'privileged-token-0123456789' });
  });
  after(async () => {
    await server?.stop();
  });

  const trail = async (): Promise<AuditPage['items']> => {
    const res = await server.api('/api/v1/audit?limit=100');
    assert.equal(res.status, 200);
    return ((await res.json()) as AuditPage).items.filter((e) => e.action.startsWith('api '));
  };

  test('a change through the API is logged with who made it and how it was answered; reads are not', async () => {
    const created = await server.api('/api/v1/maintenance-windows', {
      method: 'POST',
      headers: { 'x-gbvms-user': 'zhang.wei' },
      body: JSON.stringify({ scope: 'device', targetId: '44030000001320000001', from: '2026-10-01T00:00:00Z', to: '2026-10-02T00:00:00Z', reason: 'pole replaced' }),
    });
    assert.equal(created.status, 201, await created.text());
    assert.equal((await server.api('/api/v1/maintenance-windows')).status, 200);
    const lines = await trail();
    assert.equal(lines.length, 1, JSON.stringify(lines));
    assert.deepEqual(
      { actor: lines[0]!.actor, role: lines[0]!.role, action: lines[0]!.action, target: lines[0]!.target, result: lines[0]!.result },
      { actor: 'zhang.wei', role: 'operator', action: 'api POST', target: '/api/v1/maintenance-windows', result: '201' },
    );
  });

  test('refused and failed commands are logged too, with their error', async () => {
    // An unknown channel: the PTZ command is refused before anything is sent.
    assert.equal((await server.api('/api/v1/channels/44030000001320009999/ptz', { method: 'POST', body: JSON.stringify({ action: 'left', speed: 100 }) })).status, 404);
    // Bad input: the body does not validate.
    assert.equal((await server.api('/api/v1/maintenance-windows', { method: 'POST', body: JSON.stringify({ scope: 'moon' }) })).status, 400);
    const lines = await trail();
    const ptz = lines.find((e) => e.target === '/api/v1/channels/44030000001320009999/ptz');
    assert.equal(ptz?.result, 'not_found');
    assert.ok(lines.some((e) => e.target === '/api/v1/maintenance-windows' && e.result === 'bad_request'), JSON.stringify(lines));
  });
});
