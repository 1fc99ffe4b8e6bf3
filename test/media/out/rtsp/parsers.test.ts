import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { leadingLineEnds, readRtspMessage, type RtspReadResult } from '../../../../src/media/out/rtsp/request';
import { formatRtspResponse, rtspResponse } from '../../../../src/media/out/rtsp/response';
import { buildSdp, describeTracks } from '../../../../src/media/out/rtsp/tracks';
import { parseTransportHeader } from '../../../../src/media/out/rtsp/transport-header';
import { parseRtspUrl, trackUrl } from '../../../../src/media/out/rtsp/url';
import { mutate, pick, randomBytes, randomInt, seededRandom } from '../../../helpers/random';

const OPTIONS = 'OPTIONS rtsp://10.0.0.1:554/live/34020000001320000001?token=1.x RTSP/1.0\r\nCSeq: 1\r\nUser-Agent: Lavf59.27.100\r\n\r\n';
const GET_PARAMETER = 'GET_PARAMETER rtsp://h/live/a RTSP/1.0\r\nCSeq: 7\r\nSession: abc\r\nContent-Length: 9\r\n\r\nposition\n';

function request(result: RtspReadResult) {
  assert.equal(result.kind, 'request', JSON.stringify(result));
  return result.kind === 'request' ? result : assert.fail();
}

describe('RTSP request framing', () => {
  test('a request is read with its method, URL, version, headers (lower-case names) and CSeq', () => {
    const r = request(readRtspMessage(Buffer.from(OPTIONS)));
    assert.equal(r.length, OPTIONS.length);
    assert.equal(r.request.method, 'OPTIONS');
    assert.equal(r.request.uri, 'rtsp://10.0.0.1:554/live/34020000001320000001?token=1.x');
    assert.equal(r.request.version, 'RTSP/1.0');
    assert.equal(r.request.cseq, 1);
    assert.equal(r.request.headers.get('user-agent'), 'Lavf59.27.100');
  });

  test('a body is read by Content-Length, and the next message starts right after it', () => {
    const two = Buffer.from(GET_PARAMETER + OPTIONS);
    const first = request(readRtspMessage(two));
    assert.equal(first.request.body.toString(), 'position\n');
    const second = request(readRtspMessage(two.subarray(first.length)));
    assert.equal(second.request.method, 'OPTIONS');
  });

  test('every prefix of a request is incomplete, never an error', () => {
    const whole = Buffer.from(GET_PARAMETER);
    for (let n = 0; n < whole.length; n++) assert.equal(readRtspMessage(whole.subarray(0, n)).kind, 'incomplete', `prefix ${n}`);
  });

  test('interleaved frames from the client are cut out by their size', () => {
    const frame = Buffer.from([0x24, 1, 0, 3, 9, 8, 7, 0x4f]);
    const r = readRtspMessage(frame);
    assert.deepEqual(r.kind === 'interleaved' ? [r.channel, [...r.payload], r.length] : r, [1, [9, 8, 7], 7]);
    assert.equal(readRtspMessage(frame.subarray(0, 6)).kind, 'incomplete');
  });

  test('bare LF line ends are accepted; leading line ends are skippable keepalives', () => {
    const r = request(readRtspMessage(Buffer.from('OPTIONS * RTSP/1.0\nCSeq: 3\n\n')));
    assert.equal(r.request.cseq, 3);
    assert.equal(leadingLineEnds(Buffer.from('\r\n\r\nOPTIONS')), 4);
  });

  test('a request without a usable request line or with a broken header is a bad request that can be skipped', () => {
    for (const text of ['HELLO\r\nCSeq: 2\r\n\r\n', 'OPTIONS * RTSP/1.0\r\nCSeq: 2\r\nno colon here\r\n\r\n', 'OPTIONS  * RTSP/1.0\r\nCSeq: 2\r\n\r\n', 'GET / HTTP/1.1\r\nCSeq: 2\r\n\r\n']) {
      const r = readRtspMessage(Buffer.from(text));
      assert.equal(r.kind, 'bad-request', text);
      assert.equal(r.kind === 'bad-request' && r.length, text.length);
      assert.equal(r.kind === 'bad-request' && r.cseq, 2);
    }
  });

  test('a header that never ends or a broken Content-Length loses the framing', () => {
    assert.equal(readRtspMessage(Buffer.alloc(9000, 0x41)).kind, 'invalid');
    assert.equal(readRtspMessage(Buffer.from('SETUP x RTSP/1.0\r\nContent-Length: -5\r\n\r\n')).kind, 'invalid');
    assert.equal(readRtspMessage(Buffer.from('SETUP x RTSP/1.0\r\nContent-Length: 99999999\r\n\r\n')).kind, 'invalid');
  });

  test('fuzz: thousands of random and damaged inputs never throw and consume within the buffer', () => {
    const rand = seededRandom(2326);
    const seeds = [OPTIONS, GET_PARAMETER, 'SETUP rtsp://h/live/a/trackID=0 RTSP/1.0\r\nCSeq: 3\r\nTransport: RTP/AVP/TCP;unicast;interleaved=0-1\r\n\r\n'].map((s) => Buffer.from(s));
    seeds.push(Buffer.from([0x24, 1, 0, 8, 0x81, 0xc9, 0, 1, 0, 0, 0, 1])); // an RTCP receiver report, interleaved
    const kinds = new Set<string>();
    for (let i = 0; i < 5000; i++) {
      const input = i % 5 === 0 ? randomBytes(rand, randomInt(rand, 0, 300)) : mutate(rand, Buffer.concat([pick(rand, seeds), pick(rand, seeds)]));
      const r = readRtspMessage(input);
      kinds.add(r.kind);
      if (r.kind === 'request' || r.kind === 'bad-request' || r.kind === 'interleaved') assert.ok(r.length > 0 && r.length <= input.length, `input ${i}`);
      if (r.kind === 'request') assert.equal(typeof r.request.method, 'string');
    }
    assert.deepEqual([...kinds].sort(), ['bad-request', 'incomplete', 'interleaved', 'invalid', 'request']);
  });
});

describe('RTSP responses', () => {
  test('a response carries the status line, CSeq, Server, headers and a Content-Length for its body', () => {
    const text = formatRtspResponse(rtspResponse(200, [['Content-Type', 'application/sdp']], 'v=0\r\n'), 4, 'gbvms').toString();
    assert.equal(text, 'RTSP/1.0 200 OK\r\nCSeq: 4\r\nServer: gbvms\r\nContent-Type: application/sdp\r\nContent-Length: 5\r\n\r\nv=0\r\n');
    assert.match(formatRtspResponse(rtspResponse(454), -1, 'gbvms').toString(), /^RTSP\/1\.0 454 Session Not Found\r\nServer: gbvms\r\n\r\n$/);
  });
});

describe('RTSP URLs', () => {
  test('a stream URL gives the stream, the token and no track', () => {
    assert.deepEqual(parseRtspUrl('rtsp://10.0.0.1:8554/live/34020000001320000001?token=123.abc'), {
      origin: 'rtsp://10.0.0.1:8554',
      stream: '34020000001320000001',
      track: null,
      token: '123.abc',
      query: '?token=123.abc',
    });
  });

  test('a track URL gives the track, whether the track follows the path or (relative resolution) the query', () => {
    assert.equal(parseRtspUrl('rtsp://h/live/cam/trackID=1?token=t')?.track, 1);
    const appended = parseRtspUrl('rtsp://h/live/cam?token=t/trackID=0');
    assert.equal(appended?.track, 0);
    assert.equal(appended?.token, 't');
    assert.equal(parseRtspUrl('/live/cam/')?.stream, 'cam');
    assert.equal(parseRtspUrl('rtsp://h/live/a%20b')?.stream, 'a b');
    assert.equal(trackUrl('rtsp://h:1', 'a b', 1, '?token=t'), 'rtsp://h:1/live/a%20b/trackID=1?token=t');
  });

  test('URLs outside /live/, with extra path segments or undecodable names are refused', () => {
    for (const u of ['rtsp://h/vod/cam', 'rtsp://h/live/', 'rtsp://h/live/a/b', 'rtsp://h/live/%E0%A4%A', 'rtsp://h/live/%0a', '*', 'cam', 'rtsp://h/live/a/trackID=1?x/trackID=2']) {
      assert.equal(parseRtspUrl(u), null, u);
    }
  });

  test('fuzz: random and damaged URLs never throw', () => {
    const rand = seededRandom(3986);
    const seed = Buffer.from('rtsp://127.0.0.1:8554/live/34020000001320000001/trackID=0?token=1700000000.abcdefghijklmnopqrstuvwx');
    for (let i = 0; i < 3000; i++) {
      const r = parseRtspUrl(mutate(rand, seed).toString('latin1'));
      if (r !== null) assert.ok(r.stream.length > 0 && r.stream.length <= 128);
    }
  });
});

describe('Transport header', () => {
  test('TCP interleaved and UDP client ports are read, in the client’s order; other profiles are skipped', () => {
    assert.deepEqual(parseTransportHeader('RTP/AVP/TCP;unicast;interleaved=2-3'), [{ protocol: 'RTP/AVP/TCP', lower: 'tcp', multicast: false, interleaved: [2, 3] }]);
    assert.deepEqual(parseTransportHeader('RTP/SAVP;unicast;client_port=1-2, RTP/AVP;unicast;client_port=5000-5001;mode=play'), [
      { protocol: 'RTP/AVP', lower: 'udp', multicast: false, clientPort: [5000, 5001] },
    ]);
    assert.deepEqual(parseTransportHeader('RTP/AVP/UDP;unicast;client_port=6000')[0]?.clientPort, [6000, 6001]);
    assert.equal(parseTransportHeader('RTP/AVP;multicast')[0]?.multicast, true);
    assert.deepEqual(parseTransportHeader('RTP/AVP;unicast;client_port=0-70000'), []);
    assert.deepEqual(parseTransportHeader('RTP/AVP/TCP;interleaved=x'), []);
  });

  test('fuzz: damaged Transport headers never throw', () => {
    const rand = seededRandom(12);
    const seed = Buffer.from('RTP/AVP/TCP;unicast;interleaved=0-1,RTP/AVP;unicast;client_port=5000-5001');
    for (let i = 0; i < 3000; i++) {
      for (const spec of parseTransportHeader(mutate(rand, seed).toString('latin1'))) {
        for (const n of [...(spec.interleaved ?? []), ...(spec.clientPort ?? [])]) assert.ok(Number.isInteger(n) && n >= 0 && n <= 65535);
      }
    }
  });
});

describe('SDP', () => {
  const sps = Buffer.from('6764001eacb2014017f2e022000003000200000300641e2c5c90', 'hex');
  const pps = Buffer.from('68ebc3cb22c0', 'hex');

  test('H.264 with G.711A: packetization-mode=1, profile-level-id and parameter sets; PCMA on its static type', () => {
    const tracks = describeTracks({
      video: { kind: 'video', codec: 'h264', width: 640, height: 360, profile: 100, level: 30, sps, pps },
      audio: { kind: 'audio', codec: 'g711a', sampleRate: 8000, channels: 1 },
    });
    const sdp = buildSdp(tracks, { sessionId: '1', address: '10.0.0.1', name: 'cam', controlUrl: (t) => `rtsp://h/live/cam/trackID=${t.id}` });
    assert.match(sdp, /^v=0\r\no=- 1 1 IN IP4 10\.0\.0\.1\r\ns=cam\r\n/);
    assert.match(sdp, /\r\nm=video 0 RTP\/AVP 96\r\na=rtpmap:96 H264\/90000\r\na=fmtp:96 packetization-mode=1;profile-level-id=64001e;sprop-parameter-sets=Z2QAHqyyAUAX8uAiAAADAAIAAAMAZB4sXJA=,aOvDyyLA\r\n/);
    assert.match(sdp, /\r\na=control:rtsp:\/\/h\/live\/cam\/trackID=0\r\n/);
    assert.match(sdp, /\r\nm=audio 0 RTP\/AVP 8\r\na=rtpmap:8 PCMA\/8000\r\na=control:rtsp:\/\/h\/live\/cam\/trackID=1\r\n$/);
  });

  test('H.265 carries sprop-vps/sps/pps; AAC is mpeg4-generic with its config, made up for LC when the stream has none', () => {
    const tracks = describeTracks({
      video: { kind: 'video', codec: 'h265', width: 640, height: 360, profile: 1, level: 90, vps: Buffer.from([0x40, 1]), sps: Buffer.from([0x42, 1]), pps: Buffer.from([0x44, 1]) },
      audio: { kind: 'audio', codec: 'aac', sampleRate: 16000, channels: 1 },
    });
    assert.deepEqual(tracks[0]?.attributes.slice(0, 2), ['a=rtpmap:96 H265/90000', 'a=fmtp:96 sprop-vps=QAE=;sprop-sps=QgE=;sprop-pps=RAE=']);
    assert.equal(tracks[1]?.clockRate, 16000);
    assert.deepEqual(tracks[1]?.attributes, [
      'a=rtpmap:97 mpeg4-generic/16000/1',
      'a=fmtp:97 streamtype=5;profile-level-id=1;mode=AAC-hbr;sizelength=13;indexlength=3;indexdeltalength=3;config=1408',
    ]);
  });

  test('G.711 at another rate gets a dynamic payload type; PCMU at 8 kHz type 0', () => {
    assert.equal(describeTracks({ audio: { kind: 'audio', codec: 'g711u', sampleRate: 8000, channels: 1 } })[0]?.payloadType, 0);
    const wide = describeTracks({ audio: { kind: 'audio', codec: 'g711a', sampleRate: 16000, channels: 1 } })[0];
    assert.deepEqual([wide?.payloadType, wide?.attributes[0], wide?.id], [98, 'a=rtpmap:98 PCMA/16000', 1]);
  });
});
