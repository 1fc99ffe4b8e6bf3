/**
 * How live streams end and fail: on-demand stop after the last viewer, keep-running, a BYE from
 * the camera, RTP that stops, and the errors the API gives for cameras that refuse, stay silent
 * or answer with the quirks real firmware has. Real server, simulated cameras, real sockets.
 */
import assert from 'node:assert/strict';
import { get } from 'node:http';
import { after, before, describe, test } from 'node:test';
import type { SimDevice } from '../sim/device';
import type { SimQuirks } from '../sim/types';
import { startTestServer, waitFor, type TestServer } from '../helpers/server';
import { camera, onlineCamera, startLive, streamCount, type LiveStreamBody } from './helpers/live';

interface StreamEvents {
  items: Array<{ channelId: string; reason: string; detail: string | null }>;
}

/** An HTTP-FLV viewer: resolves with the bytes once the server ends the response. */
function watch(url: string): { firstBytes: Promise<void>; ended: Promise<number>; close(): void } {
  let bytes = 0;
  let close = (): void => undefined;
  let first: () => void = () => undefined;
  const firstBytes = new Promise<void>((r) => (first = r));
  const ended = new Promise<number>((resolve) => {
    const req = get(url, (res) => {
      res.on('data', (d: Buffer) => {
        bytes += d.length;
        first();
      });
      res.on('end', () => resolve(bytes));
      res.on('close', () => resolve(bytes));
    });
    req.on('error', () => resolve(bytes));
    close = () => req.destroy();
  });
  return { firstBytes, ended, close: () => close() };
}

describe('live streams end when they should, and fail clearly', () => {
  let server: TestServer;
  const sims: SimDevice[] = [];

  before(async () => {
    server = await startTestServer({
      'live.idleStopSec': 1,
      'live.rtpTimeoutSec': 1,
      'live.inviteTimeoutMs': 1500,
      'live.readyTimeoutMs': 2000,
    });
  });
  after(async () => {
    await Promise.all(sims.map((s) => s.stop()));
    await server.stop();
  });

  async function newCamera(quirks: SimQuirks = {}): Promise<{ cam: SimDevice; channelId: string }> {
    const cam = camera(server, { quirks });
    sims.push(cam);
    return { cam, channelId: await onlineCamera(server, cam) };
  }

  async function events(channelId: string): Promise<StreamEvents['items']> {
    const body = (await (await server.api('/api/v1/streams/events')).json()) as StreamEvents;
    return body.items.filter((e) => e.channelId === channelId);
  }

  test('the stream stops (BYE, port freed) once the last viewer has been gone for the idle time', async () => {
    const { cam, channelId } = await newCamera();
    const { json } = await startLive(server, channelId);
    const a = watch(json.urls.httpFlv);
    const b = watch(json.urls.httpFlv);
    await Promise.all([a.firstBytes, b.firstBytes]);
    await waitFor(async () => ((await (await server.api(`/api/v1/streams/${channelId}`)).json()) as LiveStreamBody).viewers === 2, 3000, 'two viewers');
    a.close();
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal((await server.api(`/api/v1/streams/${channelId}`)).status, 200, 'one viewer left: still running');
    b.close();
    await waitFor(async () => (await server.api(`/api/v1/streams/${channelId}`)).status === 404, 4000, 'the idle stop');
    await waitFor(() => cam.streamStats()[0]?.endReason === 'bye-received', 2000, 'the BYE at the camera');
    assert.deepEqual((await events(channelId)).map((e) => e.reason), ['idle']);
    // The port went back to the pool: the channel starts again at once.
    const again = await startLive(server, channelId);
    assert.equal(again.status, 200);
    await server.api(`/api/v1/channels/${channelId}/live`, { method: 'DELETE' });
  });

  test('/metrics counts the RTP of live streams, and keeps the counts of streams that ended', async () => {
    const received = async (): Promise<number> => {
      const text = await (await fetch(`http://127.0.0.1:${server.httpPort}/metrics`)).text();
      const m = /^gbvms_rtp_packets_total\{outcome="received"\} (\d+)$/m.exec(text);
      assert.ok(m, 'the received counter is exported');
      assert.match(text, /^gbvms_rtp_packets_total\{outcome="reader_dropped"\} 0$/m);
      assert.match(text, /^gbvms_rtp_bytes_total \d+$/m);
      return Number(m[1]);
    };
    const before = await received();
    const { channelId } = await newCamera();
    const { json } = await startLive(server, channelId);
    const v = watch(json.urls.httpFlv);
    await v.firstBytes;
    let packets = 0;
    await waitFor(async () => {
      packets = ((await (await server.api(`/api/v1/streams/${channelId}`)).json()) as LiveStreamBody).media?.packets ?? 0;
      return packets > 20;
    }, 3000, 'packets at the server');
    assert.ok((await received()) - before >= packets, 'a running stream is counted');
    v.close();
    await server.api(`/api/v1/channels/${channelId}/live`, { method: 'DELETE' });
    await waitFor(async () => (await server.api(`/api/v1/streams/${channelId}`)).status === 404, 3000, 'the stream ended');
    assert.ok((await received()) - before >= packets, 'an ended stream still counts');
  });

  test('a stream marked keep running outlives its viewers until unmarked', async () => {
    const { channelId } = await newCamera();
    const { json } = await startLive(server, channelId);
    const patch = await server.api(`/api/v1/streams/${channelId}`, { method: 'PATCH', body: JSON.stringify({ keepRunning: true }) });
    assert.equal(((await patch.json()) as LiveStreamBody).keepRunning, true);
    const v = watch(json.urls.httpFlv);
    await v.firstBytes;
    v.close();
    await new Promise((r) => setTimeout(r, 2000));
    assert.equal((await server.api(`/api/v1/streams/${channelId}`)).status, 200);
    await server.api(`/api/v1/streams/${channelId}`, { method: 'PATCH', body: JSON.stringify({ keepRunning: false }) });
    await waitFor(async () => (await server.api(`/api/v1/streams/${channelId}`)).status === 404, 4000, 'the idle stop after unmarking');
  });

  test('a BYE from the camera ends the stream and its viewers', async () => {
    const { cam, channelId } = await newCamera();
    const { json } = await startLive(server, channelId);
    const v = watch(json.urls.httpFlv);
    await v.firstBytes;
    assert.deepEqual(await cam.hangup(channelId), [200]);
    const bytes = await Promise.race([v.ended, new Promise<number>((_, reject) => setTimeout(() => reject(new Error('viewer not ended')), 3000))]);
    assert.ok(bytes > 0);
    await waitFor(async () => (await server.api(`/api/v1/streams/${channelId}`)).status === 404, 2000, 'the stream gone');
    assert.deepEqual((await events(channelId)).map((e) => e.reason), ['device-bye']);
  });

  test('RTP that stops without a BYE tears the stream down with an event and a BYE', async () => {
    const { cam, channelId } = await newCamera({ stopMediaAfterMs: 800 });
    // Over UDP, so that the BYE is what the camera sees end the call (over TCP the closed connection comes first).
    const { status } = await startLive(server, channelId, { transport: 'udp' });
    assert.equal(status, 200);
    await waitFor(async () => (await server.api(`/api/v1/streams/${channelId}`)).status === 404, 5000, 'the RTP timeout');
    assert.deepEqual((await events(channelId)).map((e) => e.reason), ['rtp-timeout']);
    await waitFor(() => cam.streamStats()[0]?.endReason === 'bye-received', 2000, 'the BYE at the camera');
  });

  test('a camera that refuses answers 502 with its status; one that never answers 504; one that sends nothing 504 and gets a BYE', async () => {
    const busy = await newCamera({ rejectInvite: 486 });
    const refused = await startLive(server, busy.channelId);
    assert.equal(refused.status, 502);
    assert.equal(refused.json.error?.code, 'device_error');
    assert.match(refused.json.error?.message ?? '', /486/);

    const deaf = await newCamera({ ignoreInvite: true });
    const t0 = Date.now();
    const timedOut = await startLive(server, deaf.channelId);
    assert.equal(timedOut.status, 504);
    assert.equal(timedOut.json.error?.code, 'device_timeout');
    assert.ok(Date.now() - t0 < 4000, 'the INVITE timeout applies');

    const mute = await newCamera({ noMedia: true });
    const silent = await startLive(server, mute.channelId);
    assert.equal(silent.status, 504);
    assert.match(silent.json.error?.message ?? '', /sent no video/);
    await waitFor(() => mute.cam.streamStats()[0]?.endReason === 'bye-received', 3000, 'the BYE to the silent camera');
    assert.equal(await streamCount(server), 0, 'failed starts leave nothing running');
  });

  test('cameras that answer another SSRC, SSRC 0 or a fixed vendor SSRC still play', async () => {
    for (const quirks of [{ ssrcDiffersFromOffer: true }, { zeroSsrc: true }, { fixedSsrc: 0x12345678 }] satisfies SimQuirks[]) {
      const { channelId } = await newCamera(quirks);
      const { status, json } = await startLive(server, channelId);
      assert.equal(status, 200, `${JSON.stringify(quirks)}: ${JSON.stringify(json)}`);
      assert.equal(json.media?.videoCodec, 'h264');
      if (quirks.ssrcDiffersFromOffer === true) assert.notEqual(json.answeredSsrc, json.offeredSsrc);
      await server.api(`/api/v1/channels/${channelId}/live`, { method: 'DELETE' });
    }
  });

  test('a crashed media worker ends its streams with a BYE, restarts, and live view works again', async () => {
    const { cam, channelId } = await newCamera();
    assert.equal((await startLive(server, channelId, { transport: 'udp' })).status, 200);
    // What a crash looks like from the main thread: the worker thread exits without being asked.
    const media = server.app.media as unknown as { worker: { terminate(): Promise<number> } };
    await media.worker.terminate();
    await waitFor(async () => (await server.api(`/api/v1/streams/${channelId}`)).status === 404, 3000, 'the stream ended');
    assert.deepEqual((await events(channelId)).map((e) => e.reason), ['media-closed']);
    await waitFor(() => cam.streamStats()[0]?.endReason === 'bye-received', 3000, 'the BYE at the camera');
    await waitFor(async () => (await startLive(server, channelId)).status === 200, 10000, 'live view after the restart');
    await server.api(`/api/v1/channels/${channelId}/live`, { method: 'DELETE' });
  });

  test('unknown channels, offline cameras and bad requests get clear API errors', async () => {
    const unknown = await startLive(server, '34020000001310000999');
    assert.equal(unknown.status, 404);
    const { cam, channelId } = await newCamera();
    await cam.unregister();
    await waitFor(async () => (await startLive(server, channelId)).status === 409, 3000, '409 for an offline camera');
    const badTransport = await startLive(server, channelId, { transport: 'sctp' });
    assert.equal(badTransport.status, 400);
    assert.equal((await server.api('/api/v1/channels/123/live', { method: 'POST' })).status, 400);
    assert.equal((await server.api(`/api/v1/channels/${channelId}/live`, { method: 'DELETE' })).status, 404);
    assert.equal((await server.api(`/api/v1/streams/${channelId}`, { method: 'PATCH', body: '{"keepRunning":"yes"}' })).status, 400);
  });
});
