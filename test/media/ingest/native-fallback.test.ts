import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { skipWithoutFfmpeg as skip } from './helpers';

const CHILD = fileURLToPath(new URL('./fixtures/without-addon.ts', import.meta.url));

test('without the native addon, UDP and TCP passive ingests fall back to Node.js with one warning and lose nothing', { skip }, () => {
  const child = spawnSync(process.execPath, ['--import', 'tsx', CHILD], {
    env: { ...process.env, GBVMS_RTP_RECV_ADDON: '/nonexistent/gbvms-rtp-recv/rtp_recv.node' },
    encoding: 'utf8',
    timeout: 60_000,
  });
  assert.equal(child.status, 0, child.stderr);
  const result = JSON.parse(child.stdout) as { readers: string[]; frames: number[]; expected: number; warnings: number };
  assert.deepEqual(result.readers, ['node', 'node']);
  assert.deepEqual(result.frames, [result.expected, result.expected]);
  assert.equal(result.warnings, 1, 'one line per thread, not one per stream');
});
