/**
 * Voice broadcast end to end: the real server sends Notify Broadcast to a simulated camera, the
 * camera answers OK and INVITEs our audio source, and the server sends the uploaded clip as
 * G.711 over RTP in real time; the camera counts and checks the packets.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import type { SimDevice } from '../sim/device';
import type { SimBroadcastStats } from '../sim/broadcast';
import { hasFfmpeg } from '../media/helpers/media-files';
import { PLATFORM_ID, startTestServer, waitFor, type TestServer } from '../helpers/server';
import { camera, onlineCamera } from './helpers/live';

const skip = hasFfmpeg ? false : 'ffmpeg is not installed';

/** A WAV of `ms` of a 440 Hz tone, 16 kHz stereo (the server converts it to 8 kHz mono A-law). */
function toneWav(ms: number): Buffer {
  const out = spawnSync('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=16000:duration=${ms / 1000}`, '-ac', '2', '-f', 'wav', 'pipe:1'], { maxBuffer: 64 << 20 });
  if (out.status !== 0) throw new Error(out.stderr.toString());
  return out.stdout;
}

interface BroadcastBody {
  id: string;
  state: string;
  codec: string | null;
  transport: string | null;
  clipId: string;
  durationMs: number;
  sourceId: string;
  targetId: string;
  packets: number;
  endReason: string | null;
  error?: { code: string; message: string };
}

describe('voice broadcast to a camera', { skip }, () => {
  let server: TestServer;
  const sims: SimDevice[] = [];

  before(async () => {
    server = await startTestServer({ 'broadcast.answerTimeoutMs': 1500, 'broadcast.inviteTimeoutMs': 1500 });
  });
  after(async () => {
    await Promise.all(sims.map((s) => s.stop()));
    await server.stop();
  });

  async function newCamera(options: Parameters<typeof camera>[1] = {}): Promise<SimDevice> {
    const cam = camera(server, options);
    sims.push(cam);
    await onlineCamera(server, cam);
    return cam;
  }

  async function broadcast(deviceId: string, audio: Buffer | { clipId: string }, query = ''): Promise<{ status: number; json: BroadcastBody }> {
    const init: RequestInit = Buffer.isBuffer(audio)
      ? { method: 'POST', body: audio, headers: { 'content-type': 'audio/wav' } }
      : { method: 'POST', body: JSON.stringify(audio) };
    const res = await server.api(`/api/v1/devices/${deviceId}/broadcast${query}`, init);
    return { status: res.status, json: (await res.json()) as BroadcastBody };
  }

  async function ended(cam: SimDevice): Promise<SimBroadcastStats> {
    return waitFor(() => cam.broadcast.stats().find((s) => s.state === 'ended'), 5000, 'the broadcast to end on the camera');
  }

  for (const [codec, transport, sip] of [['PCMA', 'udp', 'udp'], ['PCMU', 'tcp-listen', 'tcp'], ['PS', 'tcp-connect', 'udp']] as const) {
    test(`a 1 s clip reaches the camera (SIP over ${sip}) as ~50 packets of ${codec} over ${transport}, 20 ms apart in RTP time, then a BYE`, async () => {
      const cam = await newCamera({ transport: sip, broadcast: { codec, transport } });
      const started = Date.now();
      const { status, json } = await broadcast(cam.deviceId, toneWav(1000));
      assert.equal(status, 201, JSON.stringify(json));
      assert.equal(json.state, 'sending');
      assert.equal(json.codec, codec);
      assert.equal(json.transport, transport === 'udp' ? 'udp' : 'tcp');
      assert.equal(json.sourceId, PLATFORM_ID);
      assert.equal(json.targetId, cam.deviceId);
      assert.ok(Math.abs(json.durationMs - 1000) <= 20, `clip of ${json.durationMs} ms`);

      const stats = await ended(cam);
      assert.equal(stats.endReason, 'bye-received', 'the platform ends the call when the clip is over');
      assert.ok(Date.now() - started >= 950, 'sent in real time, not in a burst');
      assert.equal(stats.inviteStatus, 200);
      assert.equal(stats.answer?.sendonly, true);
      const pt = codec === 'PCMA' ? 8 : codec === 'PCMU' ? 0 : 96;
      assert.equal(stats.answer?.payloadType, pt);
      assert.deepEqual(stats.payloadTypes, [pt]);
      assert.ok(stats.packets >= 48 && stats.packets <= 51, `${stats.packets} packets`);
      assert.equal(stats.sequenceGaps, 0);
      assert.equal(stats.ssrcs.length, 1);
      assert.equal(stats.ssrcs[0], 100000001, 'the SSRC of the offer (y=0100000001)');
      const step = codec === 'PS' ? '1800' : '160';
      assert.deepEqual(Object.keys(stats.timestampSteps), [step], JSON.stringify(stats.timestampSteps));
      if (codec !== 'PS') assert.ok(stats.payloadBytes >= 7900 && stats.payloadBytes <= 8000, `${stats.payloadBytes} bytes of G.711`);

      const done = await waitFor(async () => {
        const b = (await (await server.api(`/api/v1/broadcasts/${json.id}`)).json()) as BroadcastBody;
        return b.state === 'ended' ? b : null;
      }, 3000, 'the broadcast to end on the server');
      assert.equal(done.endReason, 'complete');
      assert.ok(done.packets >= 48, `server counted ${done.packets}`);
    });
  }

  test('DELETE stops a broadcast early (BYE to the camera), and the clip can be broadcast again by its ID', async () => {
    const cam = await newCamera();
    const first = await broadcast(cam.deviceId, toneWav(5000));
    assert.equal(first.status, 201, JSON.stringify(first.json));
    await new Promise((r) => setTimeout(r, 300));
    const del = await server.api(`/api/v1/broadcasts/${first.json.id}`, { method: 'DELETE' });
    assert.equal(del.status, 200);
    const view = (await del.json()) as BroadcastBody;
    assert.equal(view.state, 'ended');
    assert.equal(view.endReason, 'stopped');
    const stats = await ended(cam);
    assert.equal(stats.endReason, 'bye-received');
    assert.ok(stats.packets > 5 && stats.packets < 60, `${stats.packets} packets before the stop`);

    const again = await broadcast(cam.deviceId, { clipId: first.json.clipId });
    assert.equal(again.status, 201, JSON.stringify(again.json));
    assert.equal(again.json.durationMs, first.json.durationMs);
    // The camera hangs up: the server stops sending.
    await waitFor(() => cam.broadcast.stats().some((s) => s.state === 'receiving' && s.packets > 3), 3000, 'audio flowing again');
    assert.deepEqual(await cam.broadcast.hangup(), [200]);
    const after = await waitFor(async () => {
      const b = (await (await server.api(`/api/v1/broadcasts/${again.json.id}`)).json()) as BroadcastBody;
      return b.state === 'ended' ? b : null;
    }, 3000, 'the server to see the BYE');
    assert.equal(after.endReason, 'device-bye');
  });

  test("a broadcast to one of the device's audio outputs names it as TargetID, and the device INVITEs from it", async () => {
    const cam = await newCamera();
    const speaker = `${cam.deviceId.slice(0, 10)}137${cam.deviceId.slice(13, 17)}001`;
    const { status, json } = await broadcast(cam.deviceId, toneWav(200), `?targetId=${speaker}`);
    assert.equal(status, 201, JSON.stringify(json));
    assert.equal(json.targetId, speaker);
    const stats = await ended(cam);
    assert.equal(stats.targetId, speaker);
    assert.equal(stats.sourceId, PLATFORM_ID);
    assert.ok(stats.packets >= 9 && stats.packets <= 11, `${stats.packets} packets for 200 ms`);
    const badTarget = await broadcast(cam.deviceId, toneWav(200), '?targetId=123');
    assert.equal(badTarget.status, 400, 'a target that is not a GB ID');
  });

  test('a camera that refuses is 502, one that never INVITEs is 504, an offline one 409, a file that is not audio 400', async () => {
    const refusing = await newCamera({ quirks: { refuseBroadcast: true } });
    const wav = toneWav(200);
    const refused = await broadcast(refusing.deviceId, wav);
    assert.equal(refused.status, 502, JSON.stringify(refused.json));
    assert.match(refused.json.error?.message ?? '', /refused the broadcast/);

    const silent = await newCamera({ quirks: { broadcastNoInvite: true } });
    const t0 = Date.now();
    const noInvite = await broadcast(silent.deviceId, wav);
    assert.equal(noInvite.status, 504, JSON.stringify(noInvite.json));
    assert.ok(Date.now() - t0 < 5000);

    const gone = await newCamera();
    await gone.unregister();
    const offline = await broadcast(gone.deviceId, wav);
    assert.equal(offline.status, 409, JSON.stringify(offline.json));

    const ok = await newCamera();
    const notAudio = await broadcast(ok.deviceId, Buffer.from('this is not an audio file at all, just text'));
    assert.equal(notAudio.status, 400, JSON.stringify(notAudio.json));
    const unknownClip = await broadcast(ok.deviceId, { clipId: '0123456789abcdef01234567' });
    assert.equal(unknownClip.status, 404);
    assert.equal(ok.broadcast.stats().length, 0, 'no INVITE for bad audio');
  });
});
