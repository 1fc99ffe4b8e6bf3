import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { avcDecoderConfigurationRecord } from '../../../../src/media/out/flv/avc-config';
import { FlvMuxer } from '../../../../src/media/out/flv/muxer';

// High profile (100), level 3.1 SPS and a PPS; the record below was worked out by hand from
// ISO/IEC 14496-15 5.3.3.1 (version 1, profile/compat/level copied from SPS bytes 1..3,
// 0xFF = 4-byte lengths, 0xE1 = one SPS, then one PPS).
const SPS = Buffer.from('6764001facd9', 'hex');
const PPS = Buffer.from('68ebe3cb', 'hex');
const RECORD = Buffer.from('016400 1f ff e1 0006 6764001facd9 01 0004 68ebe3cb'.replace(/ /g, ''), 'hex');

describe('AVCDecoderConfigurationRecord', () => {
  test('an SPS and a PPS give the hand-checked record', () => {
    assert.deepEqual(avcDecoderConfigurationRecord(SPS, PPS), RECORD);
  });

  test('the H.264 sequence header tag is keyframe + codec 7, packet type 0, then the record', () => {
    const tag = new FlvMuxer().videoSequenceHeader({ kind: 'video', codec: 'h264', width: 640, height: 360, profile: 100, level: 31, sps: SPS, pps: PPS });
    assert.ok(tag);
    const expected = Buffer.concat([
      Buffer.from([9, 0, 0, 5 + RECORD.length, 0, 0, 0, 0, 0, 0, 0]),
      Buffer.from([0x17, 0, 0, 0, 0]),
      RECORD,
      Buffer.from([0, 0, 0, 11 + 5 + RECORD.length]),
    ]);
    assert.deepEqual(tag, expected);
  });
});
