import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { buildRtpPacket, isRtcpPacket, parseRtpPacket, seqDistance, writeRtpHeader } from '../../src/media/rtp/packet';
import { randomBytes, randomInt, seededRandom } from '../helpers/random';

function header(bytes: number[]): Buffer {
  return Buffer.from(bytes);
}

describe('RTP packet parsing', () => {
  test('a PS packet from a camera parses into marker, type, sequence, timestamp, SSRC and payload', () => {
    const packet = Buffer.concat([header([0x80, 0xe0, 0x12, 0x34, 0x00, 0x01, 0x5f, 0x90, 0x3b, 0x9a, 0xca, 0x01]), Buffer.from('PSDATA')]);
    const p = parseRtpPacket(packet);
    assert.ok(p);
    assert.equal(p.marker, true);
    assert.equal(p.payloadType, 96);
    assert.equal(p.sequenceNumber, 0x1234);
    assert.equal(p.timestamp, 90000);
    assert.equal(p.ssrc, 0x3b9aca01);
    assert.equal(p.payload.toString(), 'PSDATA');
    assert.equal(p.payload.buffer, packet.buffer, 'the payload is a view, not a copy');
  });

  test('a timestamp and SSRC with the top bit set come out unsigned', () => {
    const p = parseRtpPacket(header([0x80, 0x60, 0, 1, 0xff, 0xff, 0xff, 0xfe, 0x80, 0, 0, 0]));
    assert.equal(p?.timestamp, 0xfffffffe);
    assert.equal(p?.ssrc, 0x80000000);
    assert.equal(p?.payload.length, 0);
  });

  test('CSRCs and a header extension (X bit) are skipped', () => {
    const fixed = [0x90 | 2, 0x60, 0, 7, 0, 0, 0, 9, 0, 0, 0, 1];
    const csrcs = [0, 0, 0, 0xa, 0, 0, 0, 0xb];
    const extension = [0xbe, 0xde, 0x00, 0x02, 1, 2, 3, 4, 5, 6, 7, 8];
    const p = parseRtpPacket(Buffer.concat([header([...fixed, ...csrcs, ...extension]), Buffer.from([0xaa, 0xbb])]));
    assert.ok(p);
    assert.equal(p.csrcCount, 2);
    assert.equal(p.extensionProfile, 0xbede);
    assert.deepEqual([...p.payload], [0xaa, 0xbb]);
  });

  test('padding (P bit) is removed from the payload', () => {
    const p = parseRtpPacket(header([0xa0, 0x60, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0x11, 0x22, 0, 0, 3]));
    assert.ok(p);
    assert.equal(p.paddingLength, 3);
    assert.deepEqual([...p.payload], [0x11, 0x22]);
  });

  test('wrong version, short packets, overlong CSRC lists, extensions and padding give null', () => {
    assert.equal(parseRtpPacket(header([0x40, 0x60, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1])), null, 'version 1');
    assert.equal(parseRtpPacket(header([0x00, 0x60, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1])), null, 'version 0');
    assert.equal(parseRtpPacket(header([0x80, 0x60, 0, 1, 0, 0, 0, 0, 0, 0, 0])), null, '11 bytes');
    assert.equal(parseRtpPacket(Buffer.alloc(0)), null, 'empty');
    assert.equal(parseRtpPacket(header([0x81, 0x60, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0])), null, 'CSRC cut');
    assert.equal(parseRtpPacket(header([0x90, 0x60, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0xbe, 0xde, 0, 5, 0, 0, 0, 0])), null, 'extension too long');
    assert.equal(parseRtpPacket(header([0xa0, 0x60, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0])), null, 'padding 0');
    assert.equal(parseRtpPacket(header([0xa0, 0x60, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 1, 9])), null, 'padding past the header');
  });

  test('buildRtpPacket and parseRtpPacket round-trip', () => {
    const payload = Buffer.from('hello');
    const fields = { marker: true, payloadType: 96, sequenceNumber: 65535, timestamp: 2 ** 32 - 1, ssrc: 0xdeadbeef };
    const p = parseRtpPacket(buildRtpPacket(fields, payload));
    assert.ok(p);
    assert.deepEqual({ marker: p.marker, payloadType: p.payloadType, sequenceNumber: p.sequenceNumber, timestamp: p.timestamp, ssrc: p.ssrc }, fields);
    assert.equal(p.payload.toString(), 'hello');
    const b = Buffer.alloc(20);
    assert.equal(writeRtpHeader(b, 4, { ...fields, marker: false, sequenceNumber: 70000 }), 12);
    assert.equal(b.readUInt16BE(6), 70000 & 0xffff);
    assert.equal(b[5], 96);
  });

  test('RTCP on the RTP port is told apart by its second byte', () => {
    assert.equal(isRtcpPacket(header([0x81, 200, 0, 6, 0, 0, 0, 1])), true);
    assert.equal(isRtcpPacket(header([0x80, 0xe0, 0, 6, 0, 0, 0, 1, 0, 0, 0, 0])), false);
  });

  test('sequence distance crosses the 16-bit wrap', () => {
    assert.equal(seqDistance(65535, 0), 1);
    assert.equal(seqDistance(0, 65535), -1);
    assert.equal(seqDistance(100, 90), -10);
    assert.equal(seqDistance(65530, 5), 11);
  });

  test('10,000 random and truncated packets never throw and never yield a payload outside the input', () => {
    const rand = seededRandom(0x5eed1);
    const valid = buildRtpPacket({ marker: false, payloadType: 96, sequenceNumber: 1, timestamp: 2, ssrc: 3 }, randomBytes(rand, 200));
    let parsed = 0;
    for (let i = 0; i < 10_000; i++) {
      let input: Buffer;
      if (i % 3 === 0) input = randomBytes(rand, randomInt(rand, 0, 64));
      else if (i % 3 === 1) input = valid.subarray(0, randomInt(rand, 0, valid.length));
      else {
        input = Buffer.from(valid);
        input[0] = randomInt(rand, 0, 255);
        input[input.length - 1] = randomInt(rand, 0, 255);
      }
      const p = parseRtpPacket(input);
      if (p === null) continue;
      parsed++;
      assert.equal((input[0] ?? 0) >> 6, 2);
      assert.ok(p.payload.byteOffset >= input.byteOffset && p.payload.byteOffset + p.payload.length <= input.byteOffset + input.length);
      assert.ok(Number.isInteger(p.sequenceNumber) && p.sequenceNumber >= 0 && p.sequenceNumber <= 65535);
    }
    assert.ok(parsed > 1000, 'a good share of the inputs are valid packets');
  });
});
