/**
 * PsRtpForwarder on real sockets: a MediaSource fed with a clip, forwarded to a receiver over
 * UDP, TCP where we connect (the upper listens) and TCP where we listen (the upper connects).
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import type { AccessUnit } from '../../../src/media/codec/types';
import { PsRtpForwarder } from '../../../src/media/forward/ps-rtp-forwarder';
import type { ForwardEndReason, ForwardTransport } from '../../../src/media/forward/types';
import { MediaSource } from '../../../src/media/source/media-source';
import { silentLogger } from '../../../src/logger';
import { hasFfmpeg } from '../../media/helpers/media-files';
import { RtpSink } from '../../sim/rtp-sink';
import { videoTrack, videoUnits } from './helpers';

const skip = hasFfmpeg ? false : 'ffmpeg is not installed (the clips are made with it)';
const logger = silentLogger();

interface Rig {
  source: MediaSource;
  forwarder: PsRtpForwarder;
  ended: ForwardEndReason[];
  localPort: number;
}

const cleanups: Array<() => Promise<void> | void> = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

async function rig(transport: ForwardTransport, to: { host: string; port: number }, ssrc = 0x0a0b0c0d, connectTimeoutMs = 3000): Promise<Rig> {
  const source = new MediaSource('34020000001320000001', { logger });
  source.setParams(videoTrack('h264'));
  const ended: ForwardEndReason[] = [];
  const forwarder = new PsRtpForwarder(
    { forwardId: 'f1', streamId: source.streamId, transport, host: to.host, port: to.port, localPort: 0, ssrc, connectTimeoutMs },
    { bindHost: '127.0.0.1', logger, onEnded: (r) => ended.push(r) },
  );
  const localPort = await forwarder.open();
  cleanups.push(() => void forwarder.stop());
  return { source, forwarder, ended, localPort };
}

async function sink(make: () => Promise<RtpSink>): Promise<RtpSink> {
  const s = await make();
  cleanups.push(() => s.close());
  return s;
}

const units = (): AccessUnit[] => (hasFfmpeg ? videoUnits('h264-640x360.h264', 'h264') : []);

/** Pushes frames at a quick pace (5 ms apart), so sockets get to send between them. */
async function play(source: MediaSource, frames: readonly AccessUnit[]): Promise<void> {
  for (const f of frames) {
    source.push(f);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('forwarding a stream as PS over RTP', { skip }, () => {
  test('UDP: every frame reaches the receiver from our bound port with its SSRC, starting at a key frame', async () => {
    const receiver = await sink(() => RtpSink.udp());
    const r = await rig('udp', { host: '127.0.0.1', port: receiver.port });
    assert.ok(r.localPort > 0);
    const frames = units();
    r.forwarder.attachTo(r.source);
    assert.equal(r.source.viewers, 1, 'a forwarding counts as a viewer');
    await play(r.source, frames);
    await receiver.waitFor((s) => s.demuxed.frames.length >= frames.length - 1);
    receiver.demuxed.demuxer.flush();
    assert.equal(receiver.demuxed.frames.length, frames.length);
    assert.equal(receiver.demuxed.frames[0]?.keyframe, true);
    assert.ok(receiver.packets.every((p) => p.ssrc === 0x0a0b0c0d && p.fromPort === r.localPort));
    const info = r.forwarder.info();
    assert.equal(info.state, 'sending');
    assert.equal(info.frames, frames.length);
    assert.equal(info.packets, receiver.packets.length);
  });

  test('TCP active: we connect to the listening receiver, RFC 4571 framed, and its hang-up ends the forwarding', async () => {
    const receiver = await sink(() => RtpSink.tcpListen());
    const r = await rig('tcp-active', { host: '127.0.0.1', port: receiver.port });
    const frames = units();
    r.forwarder.attachTo(r.source);
    await receiver.waitFor((s) => s.peer !== undefined);
    await play(r.source, frames);
    await receiver.waitFor((s) => s.demuxed.frames.length >= frames.length - 1);
    assert.equal(receiver.malformed, 0);
    assert.equal(receiver.demuxed.frames[0]?.keyframe, true);
    await receiver.close();
    await waitUntil(() => r.ended.length > 0);
    assert.deepEqual(r.ended, ['disconnected']);
    assert.equal(r.source.viewers, 0, 'the ended forwarding no longer counts as a viewer');
  });

  test('TCP passive: a receiver that connects late starts at the cached key frame, not mid-GOP', async () => {
    const r = await rig('tcp-passive', { host: '127.0.0.1', port: 0 });
    const frames = units();
    r.forwarder.attachTo(r.source);
    // Half a GOP before the receiver is there: those frames must not be its start.
    await play(r.source, frames.slice(0, 12));
    const receiver = await sink(() => RtpSink.tcpConnect('127.0.0.1', r.localPort));
    await waitUntil(() => r.forwarder.info().remote !== null);
    await play(r.source, frames.slice(12));
    await receiver.waitFor((s) => s.demuxed.frames.length >= frames.length - 1);
    receiver.demuxed.demuxer.flush();
    const got = receiver.demuxed.frames;
    assert.equal(got[0]?.keyframe, true);
    assert.ok(got[0]?.data.equals((frames[0] as AccessUnit).data), 'it starts with the GOP cache');
    assert.equal(got.length, frames.length, 'the cached 12 frames and the rest, each once');
  });

  test('TCP passive: nobody connecting in time ends the forwarding with connect-failed', async () => {
    const r = await rig('tcp-passive', { host: '127.0.0.1', port: 0 }, 1, 300);
    r.forwarder.attachTo(r.source);
    await waitUntil(() => r.ended.length > 0, 2000);
    assert.deepEqual(r.ended, ['connect-failed']);
    assert.equal(r.source.viewers, 0);
  });

  test('TCP active: a receiver that never listens ends the forwarding with connect-failed', async () => {
    const closedPort = await (async () => {
      const s = await RtpSink.tcpListen();
      const p = s.port;
      await s.close();
      return p;
    })();
    const r = await rig('tcp-active', { host: '127.0.0.1', port: closedPort }, 1, 500);
    r.forwarder.attachTo(r.source);
    await waitUntil(() => r.ended.length > 0, 3000);
    assert.deepEqual(r.ended, ['connect-failed']);
  });

  test('the end of the stream ends the forwarding; stop() ends it quietly and gives the final counters', async () => {
    const receiver = await sink(() => RtpSink.udp());
    const a = await rig('udp', { host: '127.0.0.1', port: receiver.port });
    a.forwarder.attachTo(a.source);
    a.source.end('device-bye');
    assert.deepEqual(a.ended, ['stream-ended']);

    const b = await rig('udp', { host: '127.0.0.1', port: receiver.port });
    b.forwarder.attachTo(b.source);
    await play(b.source, units().slice(0, 5));
    const info = b.forwarder.stop();
    assert.equal(info.state, 'ended');
    assert.equal(info.frames, 5);
    assert.deepEqual(b.ended, [], 'stop() is not reported as an end');
    assert.equal(b.source.viewers, 0);
  });
});

async function waitUntil(check: () => boolean, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 10));
  }
}
