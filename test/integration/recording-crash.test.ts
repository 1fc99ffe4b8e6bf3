/**
 * Crash safety of recording with a real `kill -9`: the server process (what `npm start` runs) records
 * a simulated camera, is killed mid-segment, and starts again on the same data folder. Every
 * indexed segment must still be indexed and playable; the segment being written is repaired (and
 * indexed) or removed; no `.part` file is left.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { freePort } from '../helpers/ports';
import { REPO_ROOT } from '../helpers/paths';
import { waitFor } from '../helpers/server';
import { hasFfmpeg } from '../media/helpers/media-files';
import { run } from '../media/out/http/helpers/clients';
import { SimDevice } from '../sim/device';
import { SMALL_MEDIA } from './helpers/live';

const PLATFORM = '44030000002000000001';
const DOMAIN = '4403000000';
const TOKEN = 'crash-test-token-0123';
const dataDir = mkdtempSync(join(tmpdir(), 'gbvms-crash-'));
const children: ChildProcess[] = [];
let cam: SimDevice | null = null;

after(async () => {
  await cam?.stop();
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

function startServer(env: Record<string, string>): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', process.env.GBVMS_TEST_LOG ? 'inherit' : 'ignore', 'inherit'],
  });
  children.push(child);
  return child;
}

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)]));
}

interface Segment {
  id: string;
  path: string;
}

test('after kill -9 mid-recording, indexed footage survives and the torn segment is repaired or removed', { skip: hasFfmpeg ? false : 'ffmpeg is not installed', timeout: 90_000 }, async () => {
  const ports = { sip: await freePort(), http: await freePort(), media: await freePort(), rtsp: await freePort() };
  const env = {
    GBVMS_SIP_ID: PLATFORM,
    GBVMS_SIP_DOMAIN: DOMAIN,
    GBVMS_SIP_HOST: '127.0.0.1',
    GBVMS_SIP_PORT: String(ports.sip),
    GBVMS_HTTP_HOST: '127.0.0.1',
    GBVMS_HTTP_PORT: String(ports.http),
    GBVMS_MEDIA_HOST: '127.0.0.1',
    GBVMS_MEDIA_HTTP_PORT: String(ports.media),
    GBVMS_RTSP_PORT: String(ports.rtsp),
    GBVMS_API_TOKEN: TOKEN,
    GBVMS_DATA_DIR: dataDir,
    GBVMS_LOG_LEVEL: process.env.GBVMS_TEST_LOG ? 'info' : 'warn',
    GBVMS_RECORD_SEGMENT_SEC: '5',
    GBVMS_RECORD_PLAN_CHECK_SEC: '1',
    GBVMS_RECORD_MIN_FREE_BYTES: '0',
  };
  const api = async <T>(path: string, init: RequestInit = {}): Promise<{ status: number; body: T }> => {
    const res = await fetch(`http://127.0.0.1:${ports.http}/api/v1${path}`, { ...init, headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' } });
    return { status: res.status, body: (await res.json().catch(() => ({}))) as T };
  };
  const up = () => waitFor(async () => (await fetch(`http://127.0.0.1:${ports.http}/healthz`).catch(() => null))?.ok === true, 20_000, 'the server up');

  const first = startServer(env);
  await up();
  cam = new SimDevice({
    deviceId: '44030000001320000000',
    password: '12345678',
    server: { host: '127.0.0.1', port: ports.sip, id: PLATFORM, domain: DOMAIN },
    transport: 'udp',
    kind: 'ipc',
    media: SMALL_MEDIA,
    timers: { t1Ms: 100, maxTransmissions: 4 },
  });
  await cam.start();
  await cam.prepareMedia();
  assert.equal((await cam.register()).status, 200);
  const channelId = cam.channelIds[0] ?? cam.deviceId;
  await waitFor(async () => (await api(`/channels/${channelId}`)).status === 200, 5000, 'the channel stored');
  assert.equal((await api(`/channels/${channelId}/recording-plan`, { method: 'PUT', body: JSON.stringify({ mode: 'continuous' }) })).status, 200);

  const listed = async (): Promise<Segment[]> =>
    (await api<{ segmentList?: Segment[] }>(`/channels/${channelId}/recordings?start=${Date.now() - 3_600_000}&end=${Date.now() + 60_000}&segments=true`)).body.segmentList ?? [];
  await waitFor(async () => (await listed()).length >= 2, 30_000, 'two indexed segments');
  const footage = join(dataDir, 'footage');
  // Mid-segment: a part file with a few seconds of video in it.
  await waitFor(() => walk(footage).some((f) => f.endsWith('.ts.part')), 10_000, 'a segment being written');
  await new Promise((r) => setTimeout(r, 2500));
  const indexedBefore = await listed();
  const exited = new Promise((r) => first.once('exit', r));
  first.kill('SIGKILL');
  await exited;
  const parts = walk(footage).filter((f) => f.endsWith('.ts.part'));
  assert.equal(parts.length, 1, 'the killed server left its segment in progress');

  const second = startServer(env);
  await up();
  const after = await listed();
  const afterIds = new Set(after.map((s) => s.id));
  for (const seg of indexedBefore) assert.ok(afterIds.has(seg.id), `${seg.id} is still indexed`);
  assert.ok(!walk(footage).some((f) => f === parts[0]), 'no .part file is left');
  const repaired = after.length > indexedBefore.length;
  for (const seg of after.slice(0, indexedBefore.length + 1)) {
    const decode = await run('ffmpeg', ['-v', 'error', '-i', join(footage, seg.path), '-f', 'null', '-']);
    assert.equal(decode.code, 0, `${seg.path} plays`);
  }
  assert.ok(repaired, 'the torn segment (several seconds of video) was repaired and indexed');
  const stopped = new Promise((r) => second.once('exit', r));
  second.kill('SIGTERM');
  await stopped;
});
