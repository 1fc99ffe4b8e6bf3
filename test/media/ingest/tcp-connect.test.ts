import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type Socket } from 'node:net';
import { test } from 'node:test';
import { connectWithRetry } from '../../../src/media/ingest/tcp-connect';
import { delay } from './helpers';

/**
 * TCP active hands the connected descriptor to native/rtp-recv, whose thread must see every byte
 * the camera sent: Node.js must not have read any of it into its own buffers first.
 */
for (const paused of [true, false]) {
  test(`connectWithRetry({ paused: ${paused} }) ${paused ? 'reads nothing until resumed' : 'starts reading at once'}`, async () => {
    const server = createServer((camera: Socket) => {
      camera.on('error', () => undefined);
      camera.end(Buffer.alloc(4096, 7)); // the camera sends the moment it accepts
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    const socket = await connectWithRetry({ host: '127.0.0.1', port, timeoutMs: 2000, retryDelayMs: 50, signal: new AbortController().signal, paused });
    await delay(100); // event loop turns in which an unpaused socket reads
    try {
      if (!paused) {
        assert.equal(socket.bytesRead, 4096, 'the check below can fail: an unpaused socket has read everything by now');
        return;
      }
      assert.equal(socket.bytesRead, 0, 'nothing read while paused');
      assert.equal(socket.readableLength, 0);
      const got: Buffer[] = [];
      socket.on('data', (d: Buffer) => got.push(d));
      socket.resume();
      await once(socket, 'end');
      assert.equal(Buffer.concat(got).length, 4096, 'everything is still there once resumed');
    } finally {
      socket.destroy();
      server.close();
    }
  });
}
