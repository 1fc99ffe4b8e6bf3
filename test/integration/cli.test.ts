/**
 * The server as an operator runs it: `node --import tsx src/main.ts` (what `npm start` runs),
 * configured by environment variables, stopped by SIGTERM.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { freePort } from '../helpers/ports';
import { REPO_ROOT } from '../helpers/paths';
import { SimDevice } from '../sim/device';

function run(env: Record<string, string>) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exited, out: () => stdout, err: () => stderr };
}

test('the server starts on environment settings with a fresh data folder, serves devices, and stops cleanly on SIGTERM', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'gbvms-cli-'));
  const sipPort = await freePort();
  const httpPort = await freePort();
  const proc = run({
    GBVMS_SIP_ID: '44030000002000000001',
    GBVMS_SIP_DOMAIN: '4403000000',
    GBVMS_SIP_HOST: '127.0.0.1',
    GBVMS_SIP_PORT: String(sipPort),
    GBVMS_SIP_PASSWORD: 'district-pass',
    GBVMS_HTTP_PORT: String(httpPort),
    GBVMS_DATA_DIR: dataDir,
    GBVMS_LOG_LEVEL: 'info',
  });
  const sim = new SimDevice({
    deviceId: '44030000001320000001',
    password: 'district-pass',
    server: { host: '127.0.0.1', port: sipPort, id: '44030000002000000001', domain: '4403000000' },
    transport: 'udp',
    kind: 'ipc',
  });
  try {
    const started = Date.now();
    for (;;) {
      if (proc.out().includes('HTTP API listening')) break;
      if (Date.now() - started > 15000) assert.fail(`server did not start: ${proc.out()} ${proc.err()}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const startMs = Date.now() - started;
    assert.ok(startMs < 10000, `started in ${startMs} ms`);
    assert.ok(existsSync(join(dataDir, 'index.sqlite')));
    const token = readFileSync(join(dataDir, 'api-token'), 'utf8').trim();
    assert.ok(token.length >= 16, 'an API token was generated into the data folder');

    await sim.start();
    assert.equal((await sim.register()).status, 200);
    const res = await fetch(`http://127.0.0.1:${httpPort}/api/v1/devices/44030000001320000001`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(res.status, 200);
    assert.equal(((await res.json()) as { online: boolean }).online, true);

    const lines = proc.out().trim().split('\n');
    for (const line of lines) JSON.parse(line); // structured logging: every line is JSON
    assert.ok(lines.some((l) => l.includes('"deviceId":"44030000001320000001"')), 'log lines carry deviceId');

    proc.child.kill('SIGTERM');
    const code = await proc.exited;
    assert.equal(code, 0);
    assert.ok(proc.out().includes('"stopped"'), 'logged the end of a graceful stop');
  } finally {
    await sim.stop();
    if (proc.child.exitCode === null) proc.child.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('a bad option stops the start with exit code 2 and a message naming the option', async () => {
  const proc = run({ GBVMS_SIP_PORT: 'seventy', GBVMS_DATA_DIR: join(tmpdir(), 'gbvms-never') });
  const code = await proc.exited;
  assert.equal(code, 2);
  assert.match(proc.err(), /GBVMS_SIP_PORT/);
});
