import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import { after, before, describe, test } from 'node:test';
import Koa from 'koa';
import { errorMiddleware } from '../../src/api/errors';
import { listenHttp } from '../../src/api/http-server';
import { snapshotUploadRoutes } from '../../src/api/routes/snapshots';
import { silentLogger } from '../../src/logger';
import { SnapshotService, type SnapshotServiceDeps } from '../../src/snapshots/snapshot-service';
import type { UploadedImage } from '../../src/snapshots/upload-sessions';

const JPEG = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x04, 0x00, 0x00]), Buffer.alloc(100, 7), Buffer.from([0xff, 0xd9])]);

describe('the device upload URL', () => {
  let server: Server;
  let base: string;
  const service = new SnapshotService({ logger: silentLogger() } as unknown as SnapshotServiceDeps, {
    defaultMode: 'device',
    deviceTimeoutMs: 1000,
    streamTimeoutMs: 1000,
    maxUploadBytes: 4096,
    retentionDays: 1,
    maxPerChannel: 0,
    sweepIntervalSec: 3600,
    ffmpegPath: 'ffmpeg',
  });

  before(async () => {
    const app = new Koa();
    app.use(errorMiddleware(silentLogger()));
    app.use(snapshotUploadRoutes(service).routes());
    server = await listenHttp(app, '127.0.0.1', 0);
    const address = server.address();
    base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/upload/snapshots`;
  });
  after(() => {
    server.close();
    server.closeAllConnections();
  });

  function open(expected = 1): { token: string; images: UploadedImage[]; close: () => void; done: Promise<void> } {
    const images: UploadedImage[] = [];
    const session = service.uploads.open({ deviceId: '34020000001320000001', channelId: '34020000001320000001', expected, onImage: async (i) => void images.push(i) });
    return { token: session.token, images, close: () => service.uploads.close(session), done: session.done };
  }

  test('a JPEG posted (or put) to an open session is taken, named by the URL suffix, and completes the session', async () => {
    const s = open(2);
    try {
      const r1 = await fetch(`${base}/${s.token}/34020000001320000001022024050414431612301.jpg`, { method: 'POST', body: JPEG, headers: { 'content-type': 'image/jpeg' } });
      assert.equal(r1.status, 200);
      assert.deepEqual(await r1.json(), { received: 1 });
      const r2 = await fetch(`${base}/${s.token}`, { method: 'PUT', body: JPEG, headers: { 'content-type': 'application/octet-stream' } });
      assert.equal(r2.status, 200);
      await s.done;
      assert.equal(s.images.length, 2);
      assert.equal(s.images[0]?.fileId, '34020000001320000001022024050414431612301');
      assert.equal(s.images[1]?.fileId, null);
      assert.deepEqual(s.images[0]?.data, JPEG);
    } finally {
      s.close();
    }
  });

  test('too large is 413, not a JPEG is 415 (whatever its Content-Type), a closed or unknown session is 404', async () => {
    const s = open();
    try {
      const big = await fetch(`${base}/${s.token}`, { method: 'POST', body: Buffer.concat([JPEG, Buffer.alloc(8192)]), headers: { 'content-type': 'image/jpeg' } });
      assert.equal(big.status, 413);
      const png = await fetch(`${base}/${s.token}`, { method: 'POST', body: Buffer.from('\x89PNG\r\n\x1a\n0000', 'latin1'), headers: { 'content-type': 'image/jpeg' } });
      assert.equal(png.status, 415);
      assert.equal(s.images.length, 0);
    } finally {
      s.close();
    }
    const closed = await fetch(`${base}/${s.token}`, { method: 'POST', body: JPEG });
    assert.equal(closed.status, 404);
    const guessed = await fetch(`${base}/${'x'.repeat(43)}`, { method: 'POST', body: JPEG });
    assert.equal(guessed.status, 404);
    const malformed = await fetch(`${base}/..%2F..%2Fetc`, { method: 'POST', body: JPEG });
    assert.equal(malformed.status, 404);
  });
});
