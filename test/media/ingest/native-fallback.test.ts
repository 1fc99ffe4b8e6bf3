import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type AddressInfo } from 'node:net';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadRtpRecvAddon } from '../../../src/media/ingest/native-rtp-recv';
import { frameForTcp } from '../../../src/media/rtp/tcp-framer';
import { h264Clip, rtpOf, skipWithoutFfmpeg } from './helpers';

const CHILD = fileURLToPath(new URL('./fixtures/without-addon.ts', import.meta.url));
const ADOPT_FAILS = fileURLToPath(new URL('./fixtures/adopt-fails.ts', import.meta.url));
const skip = skipWithoutFfmpeg;

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

test('TCP active: when native/rtp-recv cannot take the connection (no descriptor left), Node.js reads it and nothing is lost', { skip: skip || ('error' in loadRtpRecvAddon() && 'native/rtp-recv is not built') }, async () => {
  const clip = h264Clip();
  const framed = Buffer.concat(rtpOf(clip, 0x0200_0000 + 78).packets.map(frameForTcp));
  const camera = createServer((socket) => {
    socket.on('error', () => undefined);
    socket.end(framed);
  });
  camera.listen(0, '127.0.0.1');
  await once(camera, 'listening');
  try {
    const port = (camera.address() as AddressInfo).port;
    // A low limit, so that taking every descriptor is quick.
    const child = spawn('bash', ['-c', 'ulimit -n 256 && exec "$0" "$@"', process.execPath, '--import', 'tsx', ADOPT_FAILS, String(port)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    const [code] = (await once(child, 'exit')) as [number | null];
    clearTimeout(timer);
    assert.equal(code, 0, stderr);
    const result = JSON.parse(stdout) as { reader: string; frames: number; expected: number; lost: number; descriptorsTaken: number; warnings: string[]; errors: string[] };
    assert.ok(result.descriptorsTaken > 0, 'descriptors were taken');
    assert.deepEqual(result.warnings, ['EMFILE'], 'one warning, naming why');
    assert.match(result.errors[0] ?? '', new RegExp(`cannot take the TCP connection from 127\\.0\\.0\\.1:${port} \\(EMFILE\\)`), 'the error names the camera');
    assert.equal(result.reader, 'node');
    assert.equal(result.frames, result.expected);
    assert.equal(result.lost, 0);
  } finally {
    camera.close();
  }
});
