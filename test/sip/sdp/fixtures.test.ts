import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REAL_DEVICE_FIXTURES } from '../../helpers/paths';
import { parseGbSdp } from '../../../src/sip/sdp';
import type { GbSdp } from '../../../src/sip/sdp';

/** The SDP body of a trace file: everything after the first blank line, LF as the devices sent it. */
function sdpOf(file: string): Buffer {
  const raw = readFileSync(join(REAL_DEVICE_FIXTURES, file));
  const at = raw.indexOf('\n\n');
  assert.ok(at > 0, `${file} has a body`);
  return raw.subarray(at + 2);
}

function parsed(file: string): GbSdp {
  const r = parseGbSdp(sdpOf(file));
  assert.ok(r.ok, `${file}: ${r.ok ? '' : r.error}`);
  return r.value;
}

describe('SDP bodies of real devices', () => {
  test("the platform's live INVITE to the Dahua dome offers Play on UDP 45056 with PS, H264 and MPEG4", () => {
    const sdp = parsed('dahua-dome/19_plat_INVITE.sip');
    assert.equal(sdp.sessionName, 'Play');
    assert.deepEqual(sdp.origin, { username: '34020000002000000010', address: '192.168.6.106' });
    assert.equal(sdp.connection, '192.168.6.106');
    assert.equal(sdp.startTime, 0);
    assert.equal(sdp.endTime, 0);
    assert.equal(sdp.uri, null);
    assert.equal(sdp.media.length, 1);
    const m = sdp.media[0]!;
    assert.equal(m.kind, 'video');
    assert.equal(m.port, 45056);
    assert.equal(m.transport, 'udp');
    assert.equal(m.direction, 'recvonly');
    assert.equal(m.setup, null);
    assert.deepEqual(m.payloads, [
      { pt: 96, encoding: 'PS', clockRate: 90000 },
      { pt: 98, encoding: 'H264', clockRate: 90000 },
      { pt: 97, encoding: 'MPEG4', clockRate: 90000 },
    ]);
    assert.equal(sdp.ssrc, '0000001002');
    assert.equal(sdp.ssrcNumber, 1002);
    assert.ok(sdp.format !== null);
    assert.equal(sdp.format.raw, '');
    assert.equal(sdp.format.videoCodec, null);
    assert.equal(sdp.format.audioCodec, null);
  });

  test("the Dahua dome's 200 OK sends PS from port 9712 with i=, a=streamprofile and an all-zero f=", () => {
    const sdp = parsed('dahua-dome/22_dev_200_INVITE.sip');
    assert.equal(sdp.sessionName, 'Play');
    assert.equal(sdp.sessionInfo, 'VCam Live Video');
    assert.deepEqual(sdp.origin, { username: '34020000001310000001', address: '192.168.6.71' });
    assert.equal(sdp.connection, '192.168.6.71');
    const m = sdp.media[0]!;
    assert.equal(m.port, 9712);
    assert.equal(m.transport, 'udp');
    assert.equal(m.direction, 'sendonly');
    assert.deepEqual(m.payloads, [{ pt: 96, encoding: 'PS', clockRate: 90000 }]);
    assert.deepEqual(m.attributes.find((a) => a.name === 'streamprofile'), { name: 'streamprofile', value: '0' });
    assert.equal(sdp.ssrc, '0000001002');
    assert.equal(sdp.ssrcNumber, 1002);
    assert.deepEqual(sdp.format, {
      raw: 'v/0/0/0/0/0a/0/0/0',
      videoCodec: 0,
      resolution: '0',
      frameRate: 0,
      bitrateType: 0,
      videoBitrate: 0,
      audioCodec: 0,
      audioBitrate: 0,
      sampleRate: 0,
    });
  });

  test('the Playback INVITE to the Hikvision NVR carries u=<channel>:3 and the Unix time range', () => {
    const sdp = parsed('hik-nvr/38_plat_INVITE_Playback.sip');
    assert.equal(sdp.sessionName, 'Playback');
    assert.equal(sdp.uri, '34020000001310000001:3');
    assert.equal(sdp.uriChannelId, '34020000001310000001');
    assert.equal(sdp.uriParam, '3');
    assert.equal(sdp.startTime, 1714804996);
    assert.equal(sdp.endTime, 1714806986);
    assert.equal(sdp.media[0]!.port, 45056);
    assert.equal(sdp.media[0]!.transport, 'udp');
    assert.equal(sdp.ssrc, '0000002000');
    assert.equal(sdp.ssrcNumber, 2000);
  });

  test("the NVR's Playback answer is reported as sent: its own session name and times shifted by +8 h", () => {
    const sdp = parsed('hik-nvr/39_dev_200_INVITE.sip');
    assert.equal(sdp.sessionName, 'Network Video Recorder');
    assert.equal(sdp.origin?.username, '34020000001110000001');
    assert.equal(sdp.startTime, 1714833796);
    assert.equal(sdp.endTime, 1714835786);
    assert.equal(sdp.startTime - 1714804996, 8 * 3600);
    const m = sdp.media[0]!;
    assert.equal(m.port, 62000);
    assert.equal(m.direction, 'sendonly');
    assert.equal(m.fileSize, 2124794308);
    assert.deepEqual(m.attributes.find((a) => a.name === 'username')?.value, '34020000001110000001');
    assert.deepEqual(m.attributes.find((a) => a.name === 'password')?.value, 'zzgd1234');
    assert.equal(sdp.ssrc, '0000002000');
    assert.equal(sdp.ssrcNumber, 2000);
  });

  test('the Download INVITE and its answer parse with their own SSRC and ports', () => {
    const offer = parsed('hik-nvr/49_plat_INVITE_Download.sip');
    assert.equal(offer.sessionName, 'Download');
    assert.equal(offer.uriChannelId, '34020000001310000001');
    assert.equal(offer.startTime, 1714804996);
    assert.equal(offer.media[0]!.port, 45056);
    assert.equal(offer.ssrc, '0000003000');
    const answer = parsed('hik-nvr/50_dev_200_INVITE.sip');
    assert.equal(answer.media[0]!.port, 62002);
    assert.equal(answer.media[0]!.transport, 'udp');
    assert.equal(answer.media[0]!.fileSize, 2124794308);
    assert.equal(answer.ssrc, '0000003000');
    assert.equal(answer.ssrcNumber, 3000);
  });

  test('the same bodies parse with CRLF line endings', () => {
    for (const file of ['dahua-dome/22_dev_200_INVITE.sip', 'hik-nvr/39_dev_200_INVITE.sip']) {
      const lf = parseGbSdp(sdpOf(file));
      const crlf = parseGbSdp(sdpOf(file).toString('utf8').replace(/\n/g, '\r\n'));
      assert.deepEqual(crlf, lf);
    }
  });
});
