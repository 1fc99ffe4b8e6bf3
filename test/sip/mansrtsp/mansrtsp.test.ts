import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  buildMansrtsp,
  buildMansrtspAnswer,
  isMansrtspContentType,
  parseMansrtsp,
  parseRange,
  parseRtpInfo,
} from '../../../src/sip/mansrtsp';
import type { MansrtspMessage, MansrtspRequest } from '../../../src/sip/mansrtsp';

function ok(body: string | Buffer): MansrtspMessage {
  const result = parseMansrtsp(body);
  assert.ok(result.ok, result.ok ? '' : result.error);
  return result.value;
}

function request(body: string | Buffer): MansrtspRequest {
  const value = ok(body);
  assert.equal(value.kind, 'request');
  return value as MansrtspRequest;
}

describe('building MANSRTSP commands', () => {
  test('a pause is PAUSE RTSP/1.0 with CSeq and PauseTime: now, CRLF lines and a blank line', () => {
    assert.equal(buildMansrtsp({ method: 'PAUSE', cseq: 1 }), 'PAUSE RTSP/1.0\r\nCSeq: 1\r\nPauseTime: now\r\n\r\n');
  });

  test('resume from the pause point is PLAY with Range: npt=now- and no Scale', () => {
    assert.equal(buildMansrtsp({ method: 'PLAY', cseq: 2, rangeStartSec: 'now' }), 'PLAY RTSP/1.0\r\nCSeq: 2\r\nRange: npt=now-\r\n\r\n');
  });

  test('a speed change carries only Scale, written with a decimal point', () => {
    assert.equal(buildMansrtsp({ method: 'PLAY', cseq: 3, scale: 2 }), 'PLAY RTSP/1.0\r\nCSeq: 3\r\nScale: 2.0\r\n\r\n');
    assert.match(buildMansrtsp({ method: 'PLAY', cseq: 3, scale: 0.25 }), /\r\nScale: 0\.25\r\n/);
    assert.match(buildMansrtsp({ method: 'PLAY', cseq: 3, scale: -1 }), /\r\nScale: -1\.0\r\n/);
  });

  test('a seek is PLAY with Range: npt=<seconds>-', () => {
    assert.equal(buildMansrtsp({ method: 'PLAY', cseq: 4, rangeStartSec: 100 }), 'PLAY RTSP/1.0\r\nCSeq: 4\r\nRange: npt=100-\r\n\r\n');
    assert.match(buildMansrtsp({ method: 'PLAY', cseq: 4, rangeStartSec: 100.5 }), /Range: npt=100\.5-\r\n/);
    assert.match(buildMansrtsp({ method: 'PLAY', cseq: 4, rangeStartSec: 600, rangeEndSec: 120, scale: -1 }), /Range: npt=600-120\r\n/);
  });

  test('a teardown carries only the CSeq', () => {
    assert.equal(buildMansrtsp({ method: 'TEARDOWN', cseq: 9, scale: 2, rangeStartSec: 4 }), 'TEARDOWN RTSP/1.0\r\nCSeq: 9\r\n\r\n');
  });

  test('values that cannot be sent are left out instead of producing a broken body', () => {
    const body = buildMansrtsp({ method: 'PLAY', cseq: Number.NaN, scale: 0, rangeStartSec: -5 });
    assert.equal(body, 'PLAY RTSP/1.0\r\nCSeq: 0\r\n\r\n');
    assert.match(buildMansrtsp({ method: 'PLAY', cseq: -3, scale: Number.POSITIVE_INFINITY }), /^PLAY RTSP\/1\.0\r\nCSeq: 0\r\n\r\n$/);
    assert.match(buildMansrtsp({ method: 'PAUSE', cseq: 2 ** 40, pauseTime: Number.NaN }), /CSeq: 4294967295\r\nPauseTime: now\r\n/);
  });

  test('commands round-trip through the parser', () => {
    const cases = [
      { method: 'PLAY', cseq: 5, scale: 4, rangeStartSec: 30 },
      { method: 'PLAY', cseq: 6, scale: 0.5 },
      { method: 'PLAY', cseq: 7, rangeStartSec: 'now' },
      { method: 'PLAY', cseq: 8, scale: -2, rangeStartSec: 600, rangeEndSec: 120 },
      { method: 'PAUSE', cseq: 9, pauseTime: 'now' },
      { method: 'PAUSE', cseq: 10, pauseTime: 0 },
      { method: 'TEARDOWN', cseq: 11 },
    ] as const;
    for (const cmd of cases) {
      const value = request(buildMansrtsp(cmd));
      assert.equal(value.method, cmd.method);
      assert.equal(value.cseq, cmd.cseq);
      assert.equal(value.scale, 'scale' in cmd ? cmd.scale : null);
      const start = 'rangeStartSec' in cmd ? cmd.rangeStartSec : undefined;
      const end = 'rangeEndSec' in cmd ? cmd.rangeEndSec : null;
      assert.deepEqual(value.range, start === undefined ? null : { unit: 'npt', start, end });
      assert.equal(value.pauseTime, cmd.method === 'PAUSE' ? cmd.pauseTime : null);
    }
  });

  test('an answer round-trips with its RTP-Info, Range and Scale', () => {
    const body = buildMansrtspAnswer({ status: 200, cseq: 6, rangeStartSec: 100, scale: -1, rtpInfo: 'seq=18139;rtptime=3119600838' });
    assert.deepEqual(ok(body), {
      kind: 'response',
      status: 200,
      reason: 'OK',
      cseq: 6,
      rtpInfo: 'seq=18139;rtptime=3119600838',
      scale: -1,
      range: { unit: 'npt', start: 100, end: null },
    });
    assert.deepEqual(ok(buildMansrtspAnswer({ status: 457, reason: 'Invalid Range', cseq: 3 })), {
      kind: 'response',
      status: 457,
      reason: 'Invalid Range',
      cseq: 3,
      rtpInfo: null,
      scale: null,
      range: null,
    });
  });
});

describe('what devices send', () => {
  test('LF-only lines, lower-case names, extra headers and a body after the blank line are accepted', () => {
    const value = request('play rtsp/1.0\nx-vendor: hik\ncseq: 12\nscale: 1.000000\nrange: npt=now-\nsession: 123\n\ntrailing junk');
    assert.deepEqual(value, { kind: 'request', method: 'PLAY', cseq: 12, scale: 1, range: { unit: 'npt', start: 'now', end: null }, pauseTime: null });
  });

  test('leading blank lines and spaces around values are ignored', () => {
    assert.equal(request('\r\n\r\nPAUSE RTSP/1.0\r\nCSeq:   3  \r\nPauseTime:  now \r\n').pauseTime, 'now');
  });

  test('PauseTime: 0 and PauseTime: now are both pauses', () => {
    assert.equal(request('PAUSE RTSP/1.0\r\nCSeq: 1\r\nPauseTime: 0\r\n\r\n').pauseTime, 0);
    assert.equal(request('PAUSE RTSP/1.0\r\nCSeq: 1\r\nPauseTime: NOW\r\n\r\n').pauseTime, 'now');
    assert.equal(request('PAUSE RTSP/1.0\r\nCSeq: 1\r\n\r\n').pauseTime, null);
  });

  test('Range forms: npt seconds, npt hh:mm:ss, npt=now-, bounded reverse, smpte and clock', () => {
    assert.deepEqual(parseRange('npt=100-'), { unit: 'npt', start: 100, end: null });
    assert.deepEqual(parseRange('npt=12.5-'), { unit: 'npt', start: 12.5, end: null });
    assert.deepEqual(parseRange('npt=0:01:40-'), { unit: 'npt', start: 100, end: null });
    assert.deepEqual(parseRange('NPT = now-'), { unit: 'npt', start: 'now', end: null });
    assert.deepEqual(parseRange('npt=600-120'), { unit: 'npt', start: 600, end: 120 });
    assert.deepEqual(parseRange('npt=-30'), { unit: 'npt', start: null, end: 30 });
    assert.deepEqual(parseRange('smpte=0:10:00-'), { unit: 'smpte', start: 600, end: null });
    assert.deepEqual(parseRange('smpte-25=0:10:00:12-0:10:05'), { unit: 'smpte', start: 600, end: 605 });
    assert.deepEqual(parseRange('clock=20240517T155229Z-20240517T155329.5Z'), {
      unit: 'clock',
      start: Date.UTC(2024, 4, 17, 15, 52, 29) / 1000,
      end: Date.UTC(2024, 4, 17, 15, 53, 29) / 1000 + 0.5,
    });
    assert.deepEqual(parseRange('npt=100-;time=19970123T153600Z'), { unit: 'npt', start: 100, end: null });
  });

  test('unreadable Ranges are null: negative, unknown unit, now as an end, impossible dates', () => {
    for (const bad of ['npt=-5-', 'npt=abc-', 'frames=1-', 'npt=10-now', 'npt=-', 'clock=20240231T000000Z-', '100-', 'npt=1-2-3']) {
      assert.equal(parseRange(bad), null, bad);
    }
  });

  test('a request with an unreadable Scale, Range or PauseTime is refused rather than guessed', () => {
    for (const body of [
      'PLAY RTSP/1.0\r\nCSeq: 1\r\nScale: fast\r\n\r\n',
      'PLAY RTSP/1.0\r\nCSeq: 1\r\nScale: 0\r\n\r\n',
      'PLAY RTSP/1.0\r\nCSeq: 1\r\nRange: npt=x-\r\n\r\n',
      'PAUSE RTSP/1.0\r\nCSeq: 1\r\nPauseTime: later\r\n\r\n',
    ]) {
      const result = parseMansrtsp(body);
      assert.equal(result.ok, false, body);
    }
  });

  test('a missing or bad CSeq, an unknown method or a foreign start line is a typed error', () => {
    for (const body of [
      '',
      '\r\n\r\n',
      'PLAY RTSP/1.0\r\nScale: 1\r\n\r\n',
      'PLAY RTSP/1.0\r\nCSeq: x\r\n\r\n',
      'PLAY RTSP/1.0\r\nCSeq: 99999999999\r\n\r\n',
      'DESCRIBE RTSP/1.0\r\nCSeq: 1\r\n\r\n',
      'PLAY HTTP/1.1\r\nCSeq: 1\r\n\r\n',
      '<?xml version="1.0"?><Control/>',
    ]) {
      const result = parseMansrtsp(body);
      assert.equal(result.ok, false, JSON.stringify(body));
      if (!result.ok) assert.equal(typeof result.error, 'string');
    }
  });

  test('an answer with an unreadable Scale or Range still counts; its RTP-Info parts are readable', () => {
    const value = ok('RTSP/1.0 200 OK\nCSeq: 4\nScale: ?\nRange: npt=?\nRTP-Info: url=rtsp://x/track1;seq=5;rtptime=abc\n');
    assert.equal(value.kind, 'response');
    if (value.kind !== 'response') return;
    assert.equal(value.scale, null);
    assert.equal(value.range, null);
    assert.deepEqual(parseRtpInfo(value.rtpInfo ?? ''), { url: 'rtsp://x/track1', seq: 5, rtptime: null });
  });

  test('an error answer keeps its status and reason', () => {
    const value = ok('RTSP/1.0 400 Bad Request\r\nCSeq: 7\r\n\r\n');
    assert.equal(value.kind, 'response');
    if (value.kind !== 'response') return;
    assert.equal(value.status, 400);
    assert.equal(value.reason, 'Bad Request');
  });

  test('a body larger than 8 KB is refused without being read', () => {
    const big = Buffer.alloc(20_000, 0x41);
    Buffer.from('PLAY RTSP/1.0\r\nCSeq: 1\r\n\r\n').copy(big);
    assert.equal(parseMansrtsp(big).ok, false);
  });

  test('the content types devices use are recognised, others are not', () => {
    for (const good of ['Application/MANSRTSP', 'application/mansrtsp', 'application/RTSP', 'APPLICATION/RTSP', ' application/rtsp ; charset=UTF-8']) {
      assert.equal(isMansrtspContentType(good), true, good);
    }
    for (const bad of ['Application/MANSCDP+xml', 'application/sdp', 'application/rtspx', 'rtsp', '', null, undefined, 42]) {
      assert.equal(isMansrtspContentType(bad), false, String(bad));
    }
  });
});
