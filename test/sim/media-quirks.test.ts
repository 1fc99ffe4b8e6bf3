import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { hasFfmpeg } from '../media/helpers/media-files';
import { header } from './mini-registrar';
import { sdpLines } from './mini-invite';
import { MediaHarness, offer, sleep } from './media-harness';
import { RtpSink } from './rtp-sink';
import type { SimQuirks } from './types';

const skip = hasFfmpeg ? false : 'ffmpeg not installed';
const ids = Array.from({ length: 14 }, (_, i) => `3402000000132${String(200 + i).padStart(4, '0')}000`);
let next = 0;

describe('SimDevice live-view quirks', { skip }, () => {
  const h = new MediaHarness(ids);
  before(() => h.start());
  after(() => h.stop());

  async function camera(quirks: SimQuirks, timers?: { t1Ms: number; t2Ms?: number }) {
    const deviceId = ids[next++]!;
    const cam = await h.device({ deviceId, quirks, ...(timers ? { timers } : {}) });
    await cam.prepareMedia();
    return { cam, deviceId, channel: cam.channelIds[0]! };
  }

  /** INVITE over UDP offering SSRC 0100000007, ACK, and the first packets. */
  async function stream(quirks: SimQuirks) {
    const { cam, deviceId, channel } = await camera(quirks);
    const sink = h.sink(await RtpSink.udp());
    const call = h.call(deviceId, channel, offer(sink.port, { ssrc: '0100000007' })).send();
    const ok = await call.response(200);
    call.ack();
    return { cam, sink, call, ok, y: sdpLines(ok).find((l) => l.startsWith('y=')) };
  }

  test('ssrcDiffersFromOffer: the answer and the packets carry the offered SSRC + 1', async () => {
    const { sink, y, call } = await stream({ ssrcDiffersFromOffer: true });
    assert.equal(y, 'y=0100000008');
    await sink.waitFor((s) => s.packets.length >= 5);
    assert.ok(sink.packets.every((p) => p.ssrc === 100000008));
    assert.equal((await call.bye()).status, 200);
  });

  test('zeroSsrc: y=0000000000 and SSRC 0 in every packet', async () => {
    const { sink, y, call, cam } = await stream({ zeroSsrc: true });
    assert.equal(y, 'y=0000000000');
    await sink.waitFor((s) => s.packets.length >= 5);
    assert.ok(sink.packets.every((p) => p.ssrc === 0));
    assert.equal(cam.streamStats()[0]?.answeredSsrc, '0000000000');
    assert.equal((await call.bye()).status, 200);
  });

  test('fixedSsrc: a vendor constant whatever was offered', async () => {
    const { sink, y, call } = await stream({ fixedSsrc: 0x12345678 });
    assert.equal(y, `y=${String(0x12345678).padStart(10, '0')}`);
    await sink.waitFor((s) => s.packets.length >= 5);
    assert.ok(sink.packets.every((p) => p.ssrc === 0x12345678));
    assert.equal((await call.bye()).status, 200);
  });

  for (const status of [486, 488] as const) {
    test(`rejectInvite ${status}: 100 Trying, then ${status} and no stream`, async () => {
      const { cam, deviceId, channel } = await camera({ rejectInvite: status });
      const call = h.call(deviceId, channel, offer(9)).send();
      assert.equal((await call.response()).status, status);
      assert.deepEqual(call.responses.map((r) => r.status), [100, status]);
      call.ack();
      assert.deepEqual(cam.streamStats(), []);
    });
  }

  test('ignoreInvite: no answer at all, to the INVITE, its retransmission or a CANCEL', async () => {
    const { deviceId, channel } = await camera({ ignoreInvite: true });
    const call = h.call(deviceId, channel, offer(9)).send();
    await sleep(250);
    call.send();
    await assert.rejects(call.cancel(400));
    assert.equal(call.responses.length, 0);
  });

  test('noMedia: 200 and ACK, then silence; BYE still answered', async () => {
    const { sink, call, cam } = await stream({ noMedia: true });
    await sleep(400);
    assert.equal(sink.packets.length, 0);
    assert.equal(cam.streamStats()[0]?.state, 'silent');
    assert.equal((await call.bye()).status, 200);
  });

  test('stopMediaAfterMs: media stops after the given time without a BYE', async () => {
    const { sink, call, cam } = await stream({ stopMediaAfterMs: 300 });
    await sink.waitFor((s) => s.packets.length > 0);
    await sleep(550);
    const count = sink.packets.length;
    const span = sink.lastPacketAt - sink.packets[0]!.at;
    assert.ok(span > 200 && span < 400, `sent for ${span.toFixed(0)} ms`);
    await sleep(200);
    assert.equal(sink.packets.length, count);
    assert.equal(cam.streamStats()[0]?.state, 'silent');
    assert.equal(h.registrar.received.filter((r) => r.message.method === 'BYE' && header(r.message, 'call-id') === call.callId).length, 0);
    assert.equal((await call.bye()).status, 200);
  });

  test('answerDelayMs: 100 Trying at once, 200 OK after the delay', async () => {
    const { deviceId, channel } = await camera({ answerDelayMs: 400 });
    const started = performance.now();
    const call = h.call(deviceId, channel, offer(9)).send();
    await call.response(100);
    const tryingAfter = performance.now() - started;
    await call.response(200);
    const okAfter = performance.now() - started;
    assert.ok(tryingAfter < 200, `100 after ${tryingAfter.toFixed(0)} ms`);
    assert.ok(okAfter >= 390, `200 after ${okAfter.toFixed(0)} ms`);
    call.ack();
    assert.equal((await call.bye()).status, 200);
  });

  test('a CANCEL while the 200 is delayed gets 200, and the INVITE 487', async () => {
    const { cam, deviceId, channel } = await camera({ answerDelayMs: 500 });
    const call = h.call(deviceId, channel, offer(9)).send();
    await call.response(100);
    assert.equal((await call.cancel()).status, 200);
    assert.equal((await call.response()).status, 487);
    call.ack();
    await sleep(600);
    assert.equal(call.responses.filter((r) => r.status === 200).length, 0);
    assert.equal(cam.streamStats()[0]?.endReason, 'cancelled');
  });

  test('over UDP the 200 is retransmitted until the ACK; without one the camera gives up with BYE after 64*T1', async () => {
    const { cam, deviceId, channel } = await camera({}, { t1Ms: 20, t2Ms: 160 });
    const call = h.call(deviceId, channel, offer(9)).send();
    await call.response(200);
    call.send();
    const bye = await h.registrar.waitFor((r) => r.message.method === 'BYE' && header(r.message, 'call-id') === call.callId, 3000);
    assert.ok(bye);
    const oks = call.responses.filter((r) => r.status === 200);
    assert.ok(oks.length >= 5, `${oks.length} copies of the 200`);
    assert.ok(oks.every((r) => r.raw.equals(oks[0]!.raw)), 'retransmissions are identical');
    const stats = cam.streamStats();
    assert.equal(stats.length, 1, 'one stream for the retransmitted INVITE');
    assert.equal(stats[0]?.endReason, 'no-ack');
  });
});
