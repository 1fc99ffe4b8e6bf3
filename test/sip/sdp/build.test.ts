import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { buildGbSdp, buildGbSdpAnswer, makeSsrc, parseGbSdp } from '../../../src/sip/sdp';
import type { GbSdp, GbSdpOffer } from '../../../src/sip/sdp';

const PLAY: GbSdpOffer = {
  sessionName: 'Play',
  username: '34020000002000000001',
  address: '192.168.1.10',
  port: 30000,
  transport: 'udp',
  ssrc: makeSsrc('live', '20000', 12),
};

function roundTrip(body: string): GbSdp {
  const r = parseGbSdp(body);
  assert.ok(r.ok, r.ok ? '' : r.error);
  return r.value;
}

describe('the SDP of the platform INVITE', () => {
  test('a live Play offer is CRLF, has t=0 0, no u=, PS/MPEG4/H264 receive-only on UDP and a 10-digit y=', () => {
    const body = buildGbSdp(PLAY);
    assert.equal(body, [
      'v=0',
      'o=34020000002000000001 0 0 IN IP4 192.168.1.10',
      's=Play',
      'c=IN IP4 192.168.1.10',
      't=0 0',
      'm=video 30000 RTP/AVP 96 97 98',
      'a=recvonly',
      'a=rtpmap:96 PS/90000',
      'a=rtpmap:97 MPEG4/90000',
      'a=rtpmap:98 H264/90000',
      'y=0200000012',
      '',
    ].join('\r\n'));
    assert.doesNotMatch(body, /[^\r]\n/);
  });

  test('a TCP Play offer says TCP/RTP/AVP, a=setup:passive and a=connection:new', () => {
    const sdp = roundTrip(buildGbSdp({ ...PLAY, transport: 'tcp' }));
    const m = sdp.media[0]!;
    assert.equal(m.protocol, 'TCP/RTP/AVP');
    assert.equal(m.transport, 'tcp');
    assert.equal(m.setup, 'passive');
    assert.equal(m.connectionNew, true);
    assert.equal(roundTrip(buildGbSdp({ ...PLAY, transport: 'tcp', setup: 'active' })).media[0]!.setup, 'active');
  });

  test('a Playback offer round-trips with u=, the time range and a history SSRC', () => {
    const ssrc = makeSsrc('history', '20000', 3);
    const sdp = roundTrip(buildGbSdp({
      ...PLAY, sessionName: 'Playback', uri: '34020000001310000001:0', startTime: 1714804996, endTime: 1714806986, ssrc,
    }));
    assert.equal(sdp.sessionName, 'Playback');
    assert.equal(sdp.uriChannelId, '34020000001310000001');
    assert.equal(sdp.uriParam, '0');
    assert.equal(sdp.startTime, 1714804996);
    assert.equal(sdp.endTime, 1714806986);
    assert.equal(sdp.ssrc, '1200000003');
    assert.equal(sdp.ssrcNumber, 1200000003);
    assert.deepEqual(sdp.origin, { username: '34020000002000000001', address: '192.168.1.10' });
    assert.equal(sdp.connection, '192.168.1.10');
    assert.equal(sdp.media[0]!.direction, 'recvonly');
    assert.equal(sdp.media[0]!.downloadSpeed, null);
  });

  test('a Download offer carries a=downloadspeed (1 unless asked), a stream number and f=', () => {
    const base = { ...PLAY, sessionName: 'Download', uri: '34020000001310000001:3', startTime: 10, endTime: 20 } as const;
    assert.equal(roundTrip(buildGbSdp(base)).media[0]!.downloadSpeed, 1);
    const sdp = roundTrip(buildGbSdp({ ...base, downloadSpeed: 4, streamNumber: 1, format: { videoCodec: 2, resolution: '6' } }));
    assert.equal(sdp.sessionName, 'Download');
    assert.equal(sdp.media[0]!.downloadSpeed, 4);
    assert.equal(sdp.media[0]!.streamNumber, 1);
    assert.equal(sdp.format?.raw, 'v/2/6///a///');
    assert.equal(sdp.format?.videoCodec, 2);
    assert.equal(sdp.format?.audioCodec, null);
  });

  test('an IPv6 media address is written as IP6', () => {
    assert.match(buildGbSdp({ ...PLAY, address: '::1' }), /^c=IN IP6 ::1\r$/m);
  });

  test('values that would break the body are refused: Playback without u=, bad port, SSRC, address', () => {
    assert.throws(() => buildGbSdp({ ...PLAY, sessionName: 'Playback' }), RangeError);
    assert.throws(() => buildGbSdp({ ...PLAY, port: 70000 }), RangeError);
    assert.throws(() => buildGbSdp({ ...PLAY, ssrc: '12345678901' }), RangeError);
    assert.throws(() => buildGbSdp({ ...PLAY, ssrc: '4294967296' }), RangeError);
    assert.throws(() => buildGbSdp({ ...PLAY, address: '1.2.3.4\r\ns=x' }), RangeError);
    assert.throws(() => buildGbSdp({ ...PLAY, sessionName: 'Playback', uri: 'a\r\nb' }), RangeError);
  });

  test('a short SSRC is zero-padded to 10 digits', () => {
    assert.equal(roundTrip(buildGbSdp({ ...PLAY, ssrc: '1002' })).ssrc, '0000001002');
  });
});

describe('the SDP of our answer to an upper platform', () => {
  test('a cascade answer is send-only from our address and port with PS and our SSRC', () => {
    const sdp = roundTrip(buildGbSdpAnswer({
      sessionName: 'Play', username: '34020000001320000001', address: '10.1.1.1', port: 20002, transport: 'udp', ssrc: '0200000005',
    }));
    assert.equal(sdp.sessionName, 'Play');
    assert.equal(sdp.origin?.username, '34020000001320000001');
    assert.equal(sdp.connection, '10.1.1.1');
    const m = sdp.media[0]!;
    assert.equal(m.port, 20002);
    assert.equal(m.direction, 'sendonly');
    assert.deepEqual(m.payloads, [{ pt: 96, encoding: 'PS', clockRate: 90000 }]);
    assert.equal(sdp.ssrc, '0200000005');
  });

  test('a TCP Download answer is active by default and carries times and the file size', () => {
    const sdp = roundTrip(buildGbSdpAnswer({
      sessionName: 'Download', username: '1', address: '10.1.1.1', port: 1, transport: 'tcp', ssrc: '1', startTime: 5, endTime: 9,
      fileSize: 123456789,
    }));
    assert.equal(sdp.media[0]!.setup, 'active');
    assert.equal(sdp.media[0]!.fileSize, 123456789);
    assert.equal(sdp.startTime, 5);
    assert.equal(sdp.endTime, 9);
  });
});
