import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { isMansrtspContentType, parseMansrtsp, parseRtpInfo } from '../../../src/sip/mansrtsp';
import type { MansrtspMessage } from '../../../src/sip/mansrtsp';
import { mansrtspTraces } from './trace-bodies';

function parsed(file: string): MansrtspMessage {
  const trace = mansrtspTraces().find((t) => t.file.includes(file));
  assert.ok(trace, `trace ${file} not found`);
  const result = parseMansrtsp(trace.body);
  assert.ok(result.ok, `${file}: ${result.ok ? '' : result.error}`);
  return result.value;
}

describe('MANSRTSP in the Hikvision NVR traces', () => {
  test('the traces hold the six INFO bodies (pause, resume, speed and their answers)', () => {
    const files = mansrtspTraces().map((t) => t.file);
    for (const n of [41, 42, 43, 44, 45, 46]) {
      assert.ok(files.some((f) => f.startsWith(`hik-nvr/${n}_`)), `hik-nvr/${n}_* missing from ${files.join(', ')}`);
    }
  });

  test('every INFO body in the traces parses and its Content-Type is recognised', () => {
    const traces = mansrtspTraces();
    assert.ok(traces.length >= 6);
    for (const trace of traces) {
      assert.ok(isMansrtspContentType(trace.contentType), `${trace.file}: ${trace.contentType}`);
      const result = parseMansrtsp(trace.body);
      assert.ok(result.ok, `${trace.file}: ${result.ok ? '' : result.error}`);
      assert.equal(result.value.kind, trace.file.includes('_plat_') ? 'request' : 'response', trace.file);
    }
  });

  test('the platform pause with PauseTime: 0 reads as a PAUSE at 0', () => {
    assert.deepEqual(parsed('41_plat_INFO_MANSRTSP.sip'), {
      kind: 'request',
      method: 'PAUSE',
      cseq: 20,
      scale: null,
      range: null,
      pauseTime: 0,
    });
  });

  test('resume from the start reads Scale: 1.000000 and Range: npt=0-', () => {
    assert.deepEqual(parsed('43_plat_INFO_MANSRTSP.sip'), {
      kind: 'request',
      method: 'PLAY',
      cseq: 21,
      scale: 1,
      range: { unit: 'npt', start: 0, end: null },
      pauseTime: null,
    });
  });

  test('double speed from second 11 reads Scale 2 and start 11', () => {
    const play = parsed('45_plat_INFO_MANSRTSP.sip');
    assert.equal(play.kind, 'request');
    if (play.kind !== 'request') return;
    assert.equal(play.cseq, 22);
    assert.equal(play.scale, 2);
    assert.deepEqual(play.range, { unit: 'npt', start: 11, end: null });
  });

  test('the NVR answers 200 OK with the request CSeq and an RTP-Info', () => {
    for (const [file, cseq] of [['42_dev_200', 20], ['44_dev_200', 21], ['46_dev_200', 22]] as const) {
      const answer = parsed(file);
      assert.equal(answer.kind, 'response');
      if (answer.kind !== 'response') return;
      assert.equal(answer.status, 200);
      assert.equal(answer.reason, 'OK');
      assert.equal(answer.cseq, cseq);
      assert.equal(answer.rtpInfo, 'seq=9810092;rtptime=3450012');
      assert.deepEqual(parseRtpInfo(answer.rtpInfo ?? ''), { url: null, seq: 9810092, rtptime: 3450012 });
    }
  });

  test('the answer without a final blank line (44) still parses', () => {
    const trace = mansrtspTraces().find((t) => t.file.startsWith('hik-nvr/44_'));
    assert.ok(trace);
    assert.ok(!trace.body.toString('latin1').endsWith('\n\n'));
    assert.equal(parseMansrtsp(trace.body).ok, true);
  });
});
