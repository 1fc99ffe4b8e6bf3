/**
 * Reading an upper platform's INVITE SDP (what WVP, Hikvision and Dahua platforms send) and
 * turning its MANSRTSP into playback controls.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { upperAnswerSdp } from '../../../src/cascade/media/answer-sdp';
import { controlsFor, deviceControls } from '../../../src/cascade/media/playback-controls';
import { readUpperOffer, type UpperOffer } from '../../../src/cascade/media/upper-offer';
import { parseMansrtsp, type MansrtspRequest } from '../../../src/sip/mansrtsp';
import { parseGbSdp } from '../../../src/sip/sdp';
import { mutate, seededRandom } from '../../helpers/random';

const sdp = (...lines: string[]): Buffer => Buffer.from(`${lines.join('\r\n')}\r\n`);

const PLAY_UDP = sdp(
  'v=0',
  'o=34020000002000000009 0 0 IN IP4 10.1.2.3',
  's=Play',
  'c=IN IP4 10.1.2.3',
  't=0 0',
  'm=video 30000 RTP/AVP 96 97 98',
  'a=recvonly',
  'a=rtpmap:96 PS/90000',
  'a=rtpmap:97 MPEG4/90000',
  'a=rtpmap:98 H264/90000',
  'y=0100000001',
);

function ok(body: Buffer, from = '192.0.2.1'): UpperOffer {
  const r = readUpperOffer(body, from);
  if (!r.ok) throw new Error(r.error);
  return r.value;
}

function failure(body: Buffer): string {
  const r = readUpperOffer(body, '192.0.2.1');
  assert.equal(r.ok, false, 'the offer must be refused');
  return r.ok ? '' : r.error;
}

describe("an upper platform's INVITE offer", () => {
  test('a live UDP offer gives its address, port, y= and the PS payload type', () => {
    const o = ok(PLAY_UDP);
    assert.deepEqual(
      { session: o.session, transport: o.transport, host: o.host, port: o.port, ssrc: o.ssrc, ssrcNumber: o.ssrcNumber, payloadType: o.payloadType, start: o.start },
      { session: 'Play', transport: 'udp', host: '10.1.2.3', port: 30000, ssrc: '0100000001', ssrcNumber: 100000001, payloadType: 96, start: 0 },
    );
  });

  test('TCP: an upper that listens (setup:passive) has us connect; one that connects (setup:active) has us listen; no setup means it connects', () => {
    const tcp = (setup: string | null) =>
      ok(sdp('v=0', 'o=u 0 0 IN IP4 10.1.2.3', 's=Play', 'c=IN IP4 10.1.2.3', 't=0 0', 'm=video 30002 TCP/RTP/AVP 96', 'a=rtpmap:96 PS/90000', ...(setup ? [`a=setup:${setup}`, 'a=connection:new'] : []), 'y=0100000002'));
    assert.equal(tcp('passive').transport, 'tcp-active');
    assert.equal(tcp('active').transport, 'tcp-passive');
    assert.equal(tcp(null).transport, 'tcp-passive');
  });

  test('a PS payload mapped to another number is used; an unusable c= falls back to where the INVITE came from', () => {
    const o = ok(sdp('v=0', 'o=u 0 0 IN IP4 0.0.0.0', 's=Play', 'c=IN IP4 0.0.0.0', 't=0 0', 'm=video 40000 RTP/AVP 98 100', 'a=rtpmap:98 H264/90000', 'a=rtpmap:100 PS/90000', 'y=0100000003'), '203.0.113.7');
    assert.equal(o.payloadType, 100);
    assert.equal(o.host, '203.0.113.7');
  });

  test('Playback and Download carry their range in ms, and Download its speed', () => {
    const playback = ok(sdp('v=0', 'o=u 0 0 IN IP4 10.0.0.1', 's=Playback', 'u=34020000001320000001:0', 'c=IN IP4 10.0.0.1', 't=1700000000 1700000600', 'm=video 30000 RTP/AVP 96', 'a=rtpmap:96 PS/90000', 'y=1100000001'));
    assert.equal(playback.session, 'Playback');
    assert.equal(playback.start, 1_700_000_000_000);
    assert.equal(playback.end, 1_700_000_600_000);
    assert.equal(playback.downloadSpeed, null);
    const download = ok(sdp('v=0', 'o=u 0 0 IN IP4 10.0.0.1', 's=Download', 'u=34020000001320000001:0', 'c=IN IP4 10.0.0.1', 't=1700000000 1700000600', 'm=video 30000 RTP/AVP 96', 'a=rtpmap:96 PS/90000', 'a=downloadspeed:4', 'y=1100000002'));
    assert.equal(download.downloadSpeed, 4);
  });

  test('an offer without y= is served (we pick one); the answer is sendonly PS with the SSRC and the opposite setup', () => {
    const o = ok(sdp('v=0', 'o=u 0 0 IN IP4 10.0.0.1', 's=Play', 'c=IN IP4 10.0.0.1', 't=0 0', 'm=video 30000 TCP/RTP/AVP 96', 'a=setup:active', 'a=rtpmap:96 PS/90000'));
    assert.equal(o.ssrc, null);
    const answer = parseGbSdp(upperAnswerSdp(o, { channelId: '34020000001320000001', address: '10.9.9.9', port: 31000, ssrc: '0123450001' }));
    assert.ok(answer.ok);
    const v = answer.value.media[0];
    assert.equal(v?.direction, 'sendonly');
    assert.equal(v?.setup, 'passive');
    assert.equal(v?.port, 31000);
    assert.equal(answer.value.connection, '10.9.9.9');
    assert.equal(answer.value.ssrc, '0123450001');
    assert.equal(answer.value.origin?.username, '34020000001320000001');
    const active = parseGbSdp(upperAnswerSdp({ ...o, transport: 'tcp-active' }, { channelId: '1', address: '10.9.9.9', port: 0, ssrc: '1' }));
    assert.ok(active.ok);
    assert.equal(active.value.media[0]?.setup, 'active');
    assert.equal(active.value.media[0]?.port, 9, 'an active side writes the discard port');
  });

  test('offers we cannot serve are refused with a reason', () => {
    assert.match(failure(Buffer.from('hello')), /v=/);
    assert.match(failure(sdp('v=0', 's=Talk', 't=0 0', 'm=audio 30000 RTP/AVP 8', 'y=0100000001')), /Talk/);
    assert.match(failure(sdp('v=0', 's=Play', 'c=IN IP4 10.0.0.1', 't=0 0', 'm=audio 30000 RTP/AVP 8', 'y=0100000001')), /m=video/);
    assert.match(failure(sdp('v=0', 's=Play', 'c=IN IP4 10.0.0.1', 't=0 0', 'm=video 30000 RTP/AVP 98', 'a=rtpmap:98 H264/90000')), /PS/);
    assert.match(failure(sdp('v=0', 's=Play', 'c=IN IP4 10.0.0.1', 't=0 0', 'm=video 0 RTP/AVP 96')), /port/);
    assert.match(failure(sdp('v=0', 's=Playback', 'c=IN IP4 10.0.0.1', 't=0 0', 'm=video 30000 RTP/AVP 96')), /t=/);
    assert.match(failure(sdp('v=0', 's=Play', 'c=IN IP4 10.0.0.1', 't=0 0', 'm=video 30000 RTP/AVP 96', 'a=sendonly')), /sendonly/);
  });

  test('thousands of damaged offers never throw and always give an offer or a reason', () => {
    const rand = seededRandom(20261126);
    const seeds = [PLAY_UDP, sdp('v=0', 's=Download', 'c=IN IP4 10.0.0.1', 't=1700000000 1700000600', 'm=video 30000 TCP/RTP/AVP 96', 'a=setup:passive', 'a=downloadspeed:8', 'y=1100000002')];
    for (let i = 0; i < 4000; i++) {
      let input = seeds[i % seeds.length] as Buffer;
      for (let k = 1 + (i % 4); k > 0; k--) input = mutate(rand, input);
      const r = readUpperOffer(input, '192.0.2.1');
      if (r.ok) {
        assert.ok(r.value.transport === 'tcp-passive' || (r.value.port > 0 && r.value.port <= 65535));
        assert.ok(r.value.payloadType >= 0 && r.value.payloadType <= 127);
        assert.ok(r.value.session === 'Play' || r.value.end > r.value.start);
      } else {
        assert.equal(typeof r.error, 'string');
      }
    }
  });
});

function command(text: string): MansrtspRequest {
  const r = parseMansrtsp(text.replace(/\n/g, '\r\n'));
  assert.ok(r.ok && r.value.kind === 'request');
  return r.value;
}

describe("an upper's MANSRTSP on a playback we send", () => {
  const start = 1_700_000_000_000;

  test('PAUSE pauses; a bare PLAY resumes', () => {
    assert.deepEqual(controlsFor(command('PAUSE RTSP/1.0\nCSeq: 2\nPauseTime: now\n\n'), start), { ok: true, teardown: false, controls: [{ action: 'pause' }] });
    assert.deepEqual(controlsFor(command('PLAY RTSP/1.0\nCSeq: 3\nRange: npt=now-\n\n'), start), { ok: true, teardown: false, controls: [{ action: 'resume' }] });
  });

  test('PLAY with Scale sets the speed (clamped to what the player does) and resumes', () => {
    assert.deepEqual(controlsFor(command('PLAY RTSP/1.0\nCSeq: 4\nScale: 2.0\n\n'), start), { ok: true, teardown: false, controls: [{ action: 'speed', speed: 2 }, { action: 'resume' }] });
    const fast = controlsFor(command('PLAY RTSP/1.0\nCSeq: 5\nScale: 16\n\n'), start);
    assert.ok(fast.ok && fast.controls[0]?.action === 'speed' && fast.controls[0].speed === 8);
    const slow = controlsFor(command('PLAY RTSP/1.0\nCSeq: 6\nScale: 0.25\n\n'), start);
    assert.ok(slow.ok && slow.controls[0]?.action === 'speed' && slow.controls[0].speed === 0.5);
  });

  test('PLAY with Range npt seeks that many seconds into the range; clock time is absolute', () => {
    assert.deepEqual(controlsFor(command('PLAY RTSP/1.0\nCSeq: 7\nRange: npt=30-\n\n'), start), {
      ok: true,
      teardown: false,
      controls: [{ action: 'seek', time: start + 30_000 }, { action: 'resume' }],
    });
    const clock = controlsFor(command('PLAY RTSP/1.0\nCSeq: 8\nRange: clock=20231114T221400Z-\n\n'), start);
    assert.ok(clock.ok && clock.controls[0]?.action === 'seek' && clock.controls[0].time === Date.UTC(2023, 10, 14, 22, 14, 0));
  });

  test('reverse play is refused; TEARDOWN ends the session', () => {
    assert.deepEqual(controlsFor(command('PLAY RTSP/1.0\nCSeq: 9\nScale: -1.0\n\n'), start), { ok: false, status: 501, reason: 'Reverse Play Not Supported' });
    assert.deepEqual(controlsFor(command('TEARDOWN RTSP/1.0\nCSeq: 10\n\n'), start), { ok: true, teardown: true, controls: [] });
  });

  test('towards a device, a PLAY that changes speed or position is not followed by a separate resume', () => {
    assert.deepEqual(deviceControls([{ action: 'speed', speed: 2 }, { action: 'resume' }]), [{ action: 'speed', speed: 2 }]);
    assert.deepEqual(deviceControls([{ action: 'resume' }]), [{ action: 'resume' }]);
  });
});
