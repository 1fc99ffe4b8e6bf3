import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { ConfigError, loadConfig } from '../../config';
import { configuredUppers } from '../../src/cascade/config-seed';
import { PLATFORM_ID, startTestServer, waitFor, type TestServer } from '../helpers/server';
import { UpperSim } from './upper-sim';

describe('upper platforms from the configuration', () => {
  test('GBVMS_UPPER_* variables describe one upper with its shares; a bad ID stops the start naming the option', () => {
    const config = loadConfig({
      GBVMS_UPPER_ID: '35010000002000000001',
      GBVMS_UPPER_HOST: '10.1.1.1',
      GBVMS_UPPER_PORT: '5061',
      GBVMS_UPPER_PASSWORD: 'pw',
      GBVMS_UPPER_TRANSPORT: 'tcp',
      GBVMS_UPPER_CHARSET: 'UTF-8',
      GBVMS_UPPER_SHARES: '34020000001180000001, 34020000002160000001',
    });
    const [seed] = configuredUppers(config);
    assert.equal(seed?.upper.upperId, '35010000002000000001');
    assert.equal(seed?.upper.port, 5061);
    assert.equal(seed?.upper.transport, 'tcp');
    assert.equal(seed?.upper.charset, 'UTF-8');
    assert.equal(seed?.upper.registerExpiresSec, 3600);
    assert.deepEqual(seed?.shares, ['34020000001180000001', '34020000002160000001']);
    assert.deepEqual(configuredUppers(loadConfig({})), []);
    assert.throws(() => loadConfig({ GBVMS_UPPER_ID: '123', GBVMS_UPPER_HOST: 'h' }), (err: unknown) => err instanceof ConfigError && /cascade\.upper\.upperId \(GBVMS_UPPER_ID\)/.test(err.message));
  });

  describe('seeded at start', () => {
    let server: TestServer | undefined;
    let sim: UpperSim | undefined;
    after(async () => {
      await server?.stop();
      await sim?.stop();
    });

    test('an upper in cascade.uppers is stored with its shares and registers; API changes are kept on restart', async () => {
      sim = new UpperSim({ id: '35010000002000000031', users: new Map([[PLATFORM_ID, 'pw']]) });
      await sim.start();
      const seed = { upperId: sim.id, host: '127.0.0.1', port: sim.udpPort, password: 'pw', shares: ['34020000001180000001'] };
      server = await startTestServer({ 'catalog.queryOnRegister': false, 'cascade.uppers': [seed] });
      await waitFor(() => sim!.registrations.length > 0, 3000, 'registered');
      const shares = (await (await server.api(`/api/v1/uppers/${sim.id}/shares`)).json()) as { items: Array<{ localId: string; kind: string }> };
      assert.deepEqual(shares.items.map((s) => [s.localId, s.kind]), [['34020000001180000001', 'device']]);
      await server.api(`/api/v1/uppers/${sim.id}`, { method: 'PATCH', body: JSON.stringify({ name: '市局平台' }) });
      const dataDir = server.dataDir;
      await server.stop({ keepData: true });
      server = await startTestServer({ 'catalog.queryOnRegister': false, 'cascade.uppers': [seed] }, { dataDir });
      const upper = (await (await server.api(`/api/v1/uppers/${sim.id}`)).json()) as { name: string; hasPassword: boolean };
      assert.equal(upper.name, '市局平台');
      assert.equal(upper.hasPassword, true);
      assert.ok(!('password' in upper), 'the password is never shown');
    });
  });
});
