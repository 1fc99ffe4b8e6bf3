import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConfigError, envBindings, loadConfig, sipDomain, sipRealm } from '../../config';
import { configSchema } from '../../config/schema';

describe('configuration', () => {
  test('defaults give a working embedded setup', () => {
    const c = loadConfig({});
    assert.equal(c.sip.port, 5060);
    assert.equal(c.http.port, 18080);
    assert.equal(c.dataDir, './data');
    assert.equal(c.keepalive.intervalSec * c.keepalive.timeoutCount, 180);
    assert.equal(sipDomain(c), c.sip.id.slice(0, 10));
    assert.equal(sipRealm(c), sipDomain(c));
    assert.equal(c.mongoUrl, undefined);
    assert.equal(c.redisUrl, undefined);
    assert.equal(c.sip.nativeUdp, true, 'keepalives answered by the native reader when it is built');
    assert.deepEqual([c.media.nativeRtp, c.media.nativeBatchMs], [true, 20], 'RTP over UDP read by the native thread, 20 ms batches');
  });

  test('environment variables override the defaults', () => {
    const c = loadConfig({
      GBVMS_SIP_ID: '44030000002000000009',
      GBVMS_SIP_DOMAIN: '4403000000',
      GBVMS_SIP_HOST: '127.0.0.1',
      GBVMS_SIP_PORT: '15060',
      GBVMS_SIP_PASSWORD: 'secret',
      GBVMS_HTTP_PORT: '8081',
      GBVMS_API_TOKEN: 'a-long-token',
      GBVMS_DATA_DIR: '/tmp/x',
      GBVMS_SIP_AUTO_ENROLL: 'false',
      GBVMS_SIP_NATIVE_UDP: 'false',
      GBVMS_MEDIA_NATIVE_RTP: 'false',
      GBVMS_MEDIA_NATIVE_BATCH_MS: '5',
      GBVMS_SIP_DENY_LIST: '44030000001320000001, 44030000001320000002',
      MONGO_URL: 'mongodb://127.0.0.1:27017/gbvms',
      REDIS_URL: 'redis://127.0.0.1:6379',
    });
    assert.equal(c.sip.id, '44030000002000000009');
    assert.equal(c.sip.port, 15060);
    assert.equal(c.sip.autoEnroll, false);
    assert.equal(c.sip.nativeUdp, false);
    assert.deepEqual([c.media.nativeRtp, c.media.nativeBatchMs], [false, 5]);
    assert.deepEqual(c.sip.denyList, ['44030000001320000001', '44030000001320000002']);
    assert.equal(c.http.apiToken, 'a-long-token');
    assert.equal(c.mongoUrl, 'mongodb://127.0.0.1:27017/gbvms');
  });

  for (const [env, value, option] of [
    ['GBVMS_SIP_ID', '12345', 'sip.id'],
    ['GBVMS_SIP_PORT', '70000', 'sip.port'],
    ['GBVMS_SIP_PORT', 'abc', 'GBVMS_SIP_PORT'],
    ['GBVMS_HTTP_PORT', '-1', 'http.port'],
    ['GBVMS_SIP_AUTO_ENROLL', 'maybe', 'GBVMS_SIP_AUTO_ENROLL'],
    ['GBVMS_LOG_LEVEL', 'loud', 'log.level'],
    ['REDIS_URL', 'not a url', 'redisUrl'],
    ['GBVMS_SIP_DENY_LIST', '1,2', 'sip.denyList'],
  ] as const) {
    test(`a bad ${env}=${value} stops the start with a message naming ${option}`, () => {
      assert.throws(() => loadConfig({ [env]: value }), (err: unknown) => {
        assert.ok(err instanceof ConfigError);
        assert.ok(err.message.includes(option), err.message);
        return true;
      });
    });
  }

  test('every environment variable names an option that exists in the schema', () => {
    // A value of the wrong type at a path the schema knows is reported at that path; a path the
    // schema does not know would be dropped silently, and the assertion fails.
    for (const binding of envBindings) {
      const tree: Record<string, unknown> = {};
      const keys = binding.path.split('.');
      let node = tree;
      for (const key of keys.slice(0, -1)) node = (node[key] = {}) as Record<string, unknown>;
      node[keys.at(-1) as string] = { wrong: 'type' };
      const result = configSchema.safeParse(tree);
      assert.ok(!result.success && result.error.issues.some((i) => i.path.join('.') === binding.path), `${binding.env} -> ${binding.path}`);
    }
  });
});
