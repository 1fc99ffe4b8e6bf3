import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { hasFfmpeg } from '../media/helpers/media-files';
import { SimFleet } from './fleet';
import { deviceIdFor } from './ids';
import { MiniCall } from './mini-invite';
import { MiniRegistrar } from './mini-registrar';
import { SERVER_ID, SMALL_MEDIA, offer, sleep } from './media-harness';
import { resetSimMediaPacerStats, simMediaPacerStats } from './media-pacer';
import { RtpSink } from './rtp-sink';
import type { SimClip } from './media-clip';

const COUNT = 20;
const skip = hasFfmpeg ? false : 'ffmpeg not installed';

describe('SimFleet live view', { skip }, () => {
  const ids = Array.from({ length: COUNT }, (_, i) => deviceIdFor(300 + i, 'ipc'));
  const registrar = new MiniRegistrar({ users: new Map(ids.map((id) => [id, '12345678'])) });
  const sinks: RtpSink[] = [];
  const calls: MiniCall[] = [];
  let fleet: SimFleet;
  let clip: SimClip;

  before(async () => {
    await registrar.start();
    fleet = new SimFleet({
      count: COUNT,
      server: { host: '127.0.0.1', port: registrar.udpPort, id: SERVER_ID, domain: '3402000000' },
      transport: 'udp',
      devicesPerSocket: 10,
      deviceIdFor: (i) => ids[i]!,
      device: { media: SMALL_MEDIA },
    });
    await fleet.start();
    clip = await fleet.prepareMedia();
    const registered = await fleet.registerAll({ concurrency: 20 });
    assert.equal(registered.ok, COUNT);
  });
  after(async () => {
    for (const call of calls) call.close();
    await fleet.stop();
    await Promise.all(sinks.map((s) => s.close()));
    await registrar.stop();
  });

  test('20 devices on two shared SIP sockets each stream at 25 fps and the clip bitrate on one shared timer', async () => {
    resetSimMediaPacerStats();
    for (const [i, device] of fleet.devices.entries()) {
      const sink = await RtpSink.udp();
      sinks.push(sink);
      const call = new MiniCall(registrar, { deviceId: device.deviceId, target: device.channelIds[0]!, serverId: SERVER_ID, sdp: offer(sink.port, { ssrc: String(200000000 + i) }) });
      calls.push(call.send());
    }
    for (const call of calls) assert.equal((await call.response()).status, 200);
    for (const call of calls) call.ack();
    await sleep(1500);
    assert.equal(simMediaPacerStats().streams, COUNT);
    const totals = fleet.mediaTotals();
    assert.equal(totals.streams, COUNT);
    assert.equal(totals.sending, COUNT);
    assert.equal(totals.sendErrors, 0);
    const now = Date.now();
    const bytesPerMs = clip.payloadBytes / clip.durationMs;
    const snapshot = fleet.streamStats();
    // Packets sent just now may still be in flight on loopback: give the sinks a moment to catch up.
    for (let i = 0; i < 50 && snapshot.some((st, j) => (sinks[j]?.packets.length ?? 0) < st.packets); i++) await sleep(20);
    for (const [i, stats] of snapshot.entries()) {
      const elapsedMs = now - (stats.firstPacketAt ?? now);
      const fps = (stats.videoFrames * 1000) / elapsedMs;
      assert.ok(fps > 21 && fps < 28, `stream ${i}: ${fps.toFixed(1)} fps`);
      const ratio = (stats.bytes - 12 * stats.packets) / (bytesPerMs * elapsedMs);
      assert.ok(ratio > 0.7 && ratio < 1.4, `stream ${i}: ${ratio.toFixed(2)} of the clip's bitrate`);
      const sink = sinks[i]!;
      assert.ok(sink.packets.length >= stats.packets, `every packet arrived (${sink.packets.length} of ${stats.packets})`);
      assert.ok(sink.packets.every((p) => p.ssrc === 200000000 + i), `ssrcs ${[...new Set(sink.packets.map((p) => p.ssrc))].join(",")} at ${i}`);
      assert.ok(sink.demuxed.frames[0]?.keyframe);
    }
    // 150 ticks in 1.5 s on an idle machine; a loaded one runs timers late (each tick then sends
    // more), so only check that the one shared timer kept ticking.
    assert.ok(simMediaPacerStats().ticks > 50, `${simMediaPacerStats().ticks} ticks`);

    const statuses = await fleet.hangupAll();
    assert.deepEqual(statuses, new Array<number>(COUNT).fill(200));
    assert.equal(fleet.mediaTotals().sending, 0);
    assert.equal(simMediaPacerStats().streams, 0);
  });
});
