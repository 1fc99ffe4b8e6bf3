import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { after, test } from 'node:test';
import { WebSocket, WebSocketServer } from 'ws';
import { wsBinaryFrameHeader, wsFlvOutput } from '../../../../src/media/out/http/flv-outputs';
import type { FlvOutput } from '../../../../src/media/out/http/flv-sink';

const servers: Server[] = [];
after(() => {
  for (const s of servers) s.close();
});

/** A WS-FLV output on a real upgraded socket, and the `ws` client at the other end collecting messages. */
async function connected(): Promise<{ output: FlvOutput; server: WebSocket; messages: Buffer[]; client: WebSocket }> {
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
  const http = createServer();
  servers.push(http);
  const accepted = new Promise<{ ws: WebSocket; req: IncomingMessage }>((resolve) => {
    http.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => wss.handleUpgrade(req, socket, head, (ws) => resolve({ ws, req })));
  });
  http.listen(0, '127.0.0.1');
  await once(http, 'listening');
  const client = new WebSocket(`ws://127.0.0.1:${(http.address() as AddressInfo).port}/live/x.flv`);
  const messages: Buffer[] = [];
  client.on('message', (data: Buffer, isBinary: boolean) => {
    assert.ok(isBinary, 'binary messages only');
    messages.push(data);
  });
  await once(client, 'open');
  const { ws, req } = await accepted;
  return { output: wsFlvOutput(ws, req.socket), server: ws, messages, client };
}

function bytes(n: number, seed: number): Buffer {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed) & 0xff;
  return b;
}

async function until(what: string, done: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !done(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(done(), what);
}

test('frame headers for the three length forms of RFC 6455', () => {
  assert.deepEqual([...wsBinaryFrameHeader(0)], [0x82, 0]);
  assert.deepEqual([...wsBinaryFrameHeader(125)], [0x82, 125]);
  assert.deepEqual([...wsBinaryFrameHeader(126)], [0x82, 126, 0, 126]);
  assert.deepEqual([...wsBinaryFrameHeader(65535)], [0x82, 126, 0xff, 0xff]);
  assert.deepEqual([...wsBinaryFrameHeader(65536)], [0x82, 127, 0, 0, 0, 0, 0, 1, 0, 0]);
  assert.deepEqual([...wsBinaryFrameHeader(2 ** 32 + 5)], [0x82, 127, 0, 0, 0, 1, 0, 0, 0, 5]);
});

test('pieces written straight to the socket reach a ws client as one message each, in order with ws.send messages', async () => {
  const { output, messages, client } = await connected();
  const sent: Buffer[] = [];
  const parts = (sizes: number[], seed: number): Buffer[] => sizes.map((n, i) => bytes(n, seed + i));
  const plan: Array<Buffer | Buffer[]> = [
    bytes(13, 1), // an FLV header, through ws.send
    parts([11, 4, 20, 4], 10), // under 126 bytes in all
    parts([11, 300, 4], 20), // a 16-bit length
    bytes(500, 2),
    parts([11, 40_000, 30_000, 4], 30), // a 64-bit length (a large key frame)
    parts([11, 0, 4], 40),
  ];
  for (const item of plan) {
    if (Array.isArray(item)) {
      output.sendParts(item);
      sent.push(Buffer.concat(item));
    } else {
      output.send(item);
      sent.push(item);
    }
  }
  await until('every message', () => messages.length === sent.length);
  messages.forEach((m, i) => assert.ok(m.equals(sent[i] as Buffer), `message ${i}: ${m.length} bytes, want ${sent[i]?.length}`));
  client.terminate();
});

test('once the WebSocket is closing nothing more is written, and the client sees a clean close', async () => {
  const { output, server, messages, client } = await connected();
  output.sendParts([bytes(100, 1)]);
  await until('the first message', () => messages.length === 1);
  const closed = once(client, 'close') as Promise<[number, Buffer]>;
  server.close(1000, 'stream ended');
  output.sendParts([bytes(100, 2)]);
  output.send(bytes(10, 3));
  const [code] = await closed;
  assert.equal(code, 1000);
  assert.equal(messages.length, 1, 'nothing after the close frame');
  assert.equal(output.pendingBytes(), 0);
});
