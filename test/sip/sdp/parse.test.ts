import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseGbSdp, parseMediaFormat } from '../../../src/sip/sdp';
import type { GbSdp } from '../../../src/sip/sdp';

const BASE = [
  'v=0',
  'o=34020000001320000001 0 0 IN IP4 10.0.0.5',
  's=Play',
  'c=IN IP4 10.0.0.5',
  't=0 0',
  'm=video 15060 RTP/AVP 96',
  'a=sendonly',
  'a=rtpmap:96 PS/90000',
];

function sdpOf(lines: readonly string[], eol = '\r\n'): GbSdp {
  const r = parseGbSdp(lines.join(eol) + eol);
  assert.ok(r.ok, r.ok ? '' : r.error);
  return r.value;
}

function failure(body: string): string {
  const r = parseGbSdp(body);
  assert.equal(r.ok, false);
  return r.ok ? '' : r.error;
}

describe('y= (SSRC) as devices send it', () => {
  test('a zero-padded y= keeps its padding and gives the decimal SSRC', () => {
    const sdp = sdpOf([...BASE, 'y=0100000001']);
    assert.equal(sdp.ssrc, '0100000001');
    assert.equal(sdp.ssrcNumber, 100000001);
  });
  test('y=0000000000 is SSRC 0, not missing', () => {
    const sdp = sdpOf([...BASE, 'y=0000000000']);
    assert.equal(sdp.ssrc, '0000000000');
    assert.equal(sdp.ssrcNumber, 0);
  });
  test('a missing y= gives null SSRC', () => {
    const sdp = sdpOf(BASE);
    assert.equal(sdp.ssrc, null);
    assert.equal(sdp.ssrcNumber, null);
  });
  test('a y= above 2^32-1 keeps its digits but has no RTP SSRC', () => {
    const sdp = sdpOf([...BASE, 'y=9999999999']);
    assert.equal(sdp.ssrc, '9999999999');
    assert.equal(sdp.ssrcNumber, null);
    assert.equal(sdpOf([...BASE, 'y=4294967295']).ssrcNumber, 4294967295);
  });
  test('a y= that is not digits is ignored', () => {
    assert.equal(sdpOf([...BASE, 'y=abc']).ssrc, null);
    assert.equal(sdpOf([...BASE, 'y=']).ssrc, null);
  });
  test('an SSRC different from the one offered is reported as the device sent it', () => {
    assert.equal(sdpOf([...BASE, 'y=1234567890']).ssrcNumber, 1234567890);
  });
});

describe('f= (media format) as devices send it', () => {
  test('f= missing is null', () => {
    assert.equal(sdpOf(BASE).format, null);
  });
  test('an empty f= is a format with every field null', () => {
    const f = sdpOf([...BASE, 'f=']).format;
    assert.deepEqual(f, parseMediaFormat(''));
    assert.ok(f !== null);
    assert.equal(Object.entries(f).filter(([k, v]) => k !== 'raw' && v !== null).length, 0);
  });
  test('audio-only f=v/////a/1/8/1 gives G.711 at 64 kbit/s, 8 kHz and no video fields', () => {
    assert.deepEqual(sdpOf([...BASE, 'f=v/////a/1/8/1']).format, {
      raw: 'v/////a/1/8/1',
      videoCodec: null,
      resolution: null,
      frameRate: null,
      bitrateType: null,
      videoBitrate: null,
      audioCodec: 1,
      audioBitrate: 8,
      sampleRate: 1,
    });
  });
  test('a full f= with a WxH resolution parses every field', () => {
    assert.deepEqual(parseMediaFormat('v/2/1920x1080/25/2/4096a/1/8/1'), {
      raw: 'v/2/1920x1080/25/2/4096a/1/8/1',
      videoCodec: 2,
      resolution: '1920x1080',
      frameRate: 25,
      bitrateType: 2,
      videoBitrate: 4096,
      audioCodec: 1,
      audioBitrate: 8,
      sampleRate: 1,
    });
  });
  test('video-only f=v/5/6/25/1/2048a/// has no audio fields', () => {
    const f = parseMediaFormat('v/5/6/25/1/2048a///');
    assert.equal(f.videoCodec, 5);
    assert.equal(f.resolution, '6');
    assert.equal(f.videoBitrate, 2048);
    assert.equal(f.audioCodec, null);
    assert.equal(f.sampleRate, null);
  });
  test('a truncated or garbled f= gives what is there', () => {
    const f = parseMediaFormat('v/2/6');
    assert.equal(f.videoCodec, 2);
    assert.equal(f.resolution, '6');
    assert.equal(f.frameRate, null);
    assert.equal(f.audioCodec, null);
    assert.equal(parseMediaFormat('xyz').videoCodec, null);
  });
});

describe('media lines and attributes', () => {
  test('TCP/RTP/AVP with a=setup:passive and a=connection:new is TCP, passive, new connection', () => {
    const sdp = sdpOf(['v=0', 'o=x 0 0 IN IP4 1.2.3.4', 's=Play', 'c=IN IP4 1.2.3.4', 't=0 0',
      'm=video 30000 TCP/RTP/AVP 96', 'a=setup:passive', 'a=connection:new', 'a=sendonly', 'a=rtpmap:96 PS/90000']);
    const m = sdp.media[0]!;
    assert.equal(m.transport, 'tcp');
    assert.equal(m.protocol, 'TCP/RTP/AVP');
    assert.equal(m.setup, 'passive');
    assert.equal(m.connectionNew, true);
  });
  test('a=setup:active is active; an unknown setup value is null', () => {
    assert.equal(sdpOf([...BASE, 'a=setup:active']).media[0]!.setup, 'active');
    assert.equal(sdpOf([...BASE, 'a=setup:actpass']).media[0]!.setup, null);
  });
  test('H264, H265 and MPEG4 rtpmaps and vendor encoding names are kept as sent', () => {
    const sdp = sdpOf(['v=0', 's=Play', 't=0 0', 'm=video 1 RTP/AVP 96 98 99 97',
      'a=rtpmap:96 HIKVISION/90000', 'a=rtpmap:98 H264/90000', 'a=rtpmap:99 H265/90000', 'a=rtpmap:97 MPEG4/90000']);
    assert.deepEqual(sdp.media[0]!.payloads.map((p) => `${p.pt} ${p.encoding}/${p.clockRate}`),
      ['96 HIKVISION/90000', '98 H264/90000', '99 H265/90000', '97 MPEG4/90000']);
  });
  test('an audio section with static payload 8 and no rtpmap is PCMA/8000', () => {
    const sdp = sdpOf(['v=0', 'o=64010600002020000001 0 0 IN IP4 172.20.16.3', 's=Talk', 'c=IN IP4 172.20.16.3',
      't=0 0', 'm=audio 8000 RTP/AVP 8', 'a=sendonly', 'y=0100000001', 'f=v/////a/1/8/1']);
    assert.equal(sdp.sessionName, 'Talk');
    assert.deepEqual(sdp.media[0], {
      ...sdp.media[0]!,
      kind: 'audio',
      port: 8000,
      payloads: [{ pt: 8, encoding: 'PCMA', clockRate: 8000 }],
      direction: 'sendonly',
    });
  });
  test('a=downloadspeed:4, a=filesize and a=streamnumber are typed; a=username and a=password are kept raw', () => {
    const m = sdpOf([...BASE, 'a=downloadspeed:4', 'a=filesize:2124794308', 'a=streamnumber:1',
      'a=username:34020000001110000001', 'a=password:zzgd1234']).media[0]!;
    assert.equal(m.downloadSpeed, 4);
    assert.equal(m.fileSize, 2124794308);
    assert.equal(m.streamNumber, 1);
    assert.deepEqual(m.attributes.find((a) => a.name === 'password'), { name: 'password', value: 'zzgd1234' });
  });
  test('session-level a=recvonly applies to a media section that does not say otherwise', () => {
    const sdp = sdpOf(['v=0', 's=Play', 'a=recvonly', 't=0 0', 'm=video 1 RTP/AVP 96', 'm=audio 2 RTP/AVP 8', 'a=sendrecv']);
    assert.equal(sdp.media[0]!.direction, 'recvonly');
    assert.equal(sdp.media[1]!.direction, 'sendrecv');
    assert.deepEqual(sdp.attributes, [{ name: 'recvonly', value: null }]);
  });
  test('a media-level c= gives the connection address when there is no session-level one', () => {
    const sdp = sdpOf(['v=0', 's=Play', 't=0 0', 'm=video 1 RTP/AVP 96', 'c=IN IP4 192.168.1.9']);
    assert.equal(sdp.connection, '192.168.1.9');
    assert.equal(sdp.media[0]!.connection, '192.168.1.9');
  });
  test('an m=application section is skipped together with its attributes', () => {
    const sdp = sdpOf([...BASE, 'm=application 9 TCP/MRCPv2 1', 'a=setup:active', 'a=recvonly']);
    assert.equal(sdp.media.length, 1);
    assert.equal(sdp.media[0]!.setup, null);
    assert.equal(sdp.media[0]!.direction, 'sendonly');
  });
});

describe('session lines', () => {
  test('LF-only, CR-only and CRLF bodies parse the same', () => {
    const lines = [...BASE, 'y=0000001002', 'f='];
    assert.deepEqual(sdpOf(lines, '\n'), sdpOf(lines, '\r\n'));
    assert.deepEqual(sdpOf(lines, '\r'), sdpOf(lines, '\r\n'));
  });
  test('unknown lines, i=, b= and blank lines are tolerated', () => {
    const sdp = sdpOf(['', 'v=0', 'o=a 0 0 IN IP4 1.1.1.1', 's=Play', 'i=VCam Live Video', 'garbage line', 'z=whatever',
      'b=AS:4096', 't=0 0', '', 'm=video 9 RTP/AVP 96', 'x-vendor: yes']);
    assert.equal(sdp.sessionInfo, 'VCam Live Video');
    assert.equal(sdp.media[0]!.port, 9);
  });
  test('session names are canonical whatever their case; others are kept as sent', () => {
    assert.equal(sdpOf(['v=0', 's=playback', 't=0 0']).sessionName, 'Playback');
    assert.equal(sdpOf(['v=0', 's=DOWNLOAD', 't=0 0']).sessionName, 'Download');
    assert.equal(sdpOf(['v=0', 's=Embedded Net DVR', 't=0 0']).sessionName, 'Embedded Net DVR');
  });
  test('t= in NTP seconds is reported raw, and a missing t= is 0 0', () => {
    const ntp = sdpOf(['v=0', 's=Playback', 't=3924300000 3924303600']);
    assert.equal(ntp.startTime, 3924300000);
    assert.equal(ntp.endTime, 3924303600);
    const none = sdpOf(['v=0', 's=Play']);
    assert.equal(none.startTime, 0);
    assert.equal(none.endTime, 0);
  });
  test('a u= in the http:// form has no channel ID', () => {
    const sdp = sdpOf(['v=0', 's=Playback', 'u=http://34020000001310000001/rec/a.mp4', 't=1 2']);
    assert.equal(sdp.uri, 'http://34020000001310000001/rec/a.mp4');
    assert.equal(sdp.uriChannelId, null);
  });
  test('a short o= line still gives the username; a missing o= is null', () => {
    assert.deepEqual(sdpOf(['v=0', 'o=34020000001310000001', 's=Play']).origin, { username: '34020000001310000001', address: null });
    assert.equal(sdpOf(['v=0', 's=Play']).origin, null);
  });
  test('a body that is not SDP, has no s=, a bad port or a bad t= is refused with a reason', () => {
    assert.match(failure(''), /empty/);
    assert.match(failure('<?xml version="1.0"?><Query/>'), /no v=/);
    assert.match(failure('v=0\r\nt=0 0\r\n'), /s=/);
    assert.match(failure('v=0\r\ns=Play\r\nm=video 70000 RTP/AVP 96\r\n'), /port/);
    assert.match(failure('v=0\r\ns=Play\r\nm=video abc RTP/AVP 96\r\n'), /port/);
    assert.match(failure('v=0\r\ns=Play\r\nt=now later\r\n'), /t=/);
    assert.match(failure('v=0\r\ns=Play\r\n' + 'a=x\r\n'.repeat(20000)), /too large/);
  });
});
