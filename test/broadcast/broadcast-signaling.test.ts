import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Headers } from '../../src/sip/message';
import type { SipRequest } from '../../src/sip/message/types';
import { parseManscdp, childText } from '../../src/sip/manscdp';
import { parseGbSdp } from '../../src/sip/sdp';
import { inviteParties, isBroadcastInvite } from '../../src/sip/broadcast/broadcast-invite';
import { buildBroadcastAnswer, readBroadcastOffer } from '../../src/sip/broadcast/broadcast-sdp';
import { buildBroadcastNotify, readBroadcastResult } from '../../src/sip/broadcast/broadcast-xml';
import { mutate, seededRandom } from '../helpers/random';

/** The SDP example of GB/T 28181-2022 9.12.1.3.2, as a device would send it in its INVITE (recvonly). */
const STANDARD_OFFER = ['v=0', 'o=64010600002020000001 0 0 IN IP4 172.20.16.3', 's=Play', 'c=IN IP4 172.20.16.3', 't=0 0', 'm=audio 8000 RTP/AVP 8', 'a=recvonly', 'a=rtpmap:8 PCMA/8000', 'y=0100000001', 'f=v/////a/1/8/1', ''].join('\r\n');

function offerOf(sdp: string) {
  const parsed = parseGbSdp(sdp);
  assert.ok(parsed.ok);
  return readBroadcastOffer(parsed.value);
}

describe('broadcast MANSCDP', () => {
  test('Notify Broadcast carries SourceID and TargetID and no DeviceID', () => {
    const r = parseManscdp(Buffer.from(buildBroadcastNotify(9, '34020000002000000001', '34020000001370000001'), 'utf8'), null);
    assert.ok(r.ok);
    assert.equal(r.value.root, 'Notify');
    assert.equal(r.value.cmdType, 'Broadcast');
    assert.equal(r.value.sn, 9);
    assert.equal(r.value.deviceId, null);
    assert.equal(childText(r.value.element, 'SourceID'), '34020000002000000001');
    assert.equal(childText(r.value.element, 'TargetID'), '34020000001370000001');
  });

  test('Response Broadcast: OK accepts, ERROR or nothing refuses', () => {
    const doc = (result: string) => {
      const r = parseManscdp(Buffer.from(`<Response><CmdType>Broadcast</CmdType><SN>9</SN><DeviceID>34020000001370000001</DeviceID>${result}</Response>`), null);
      assert.ok(r.ok);
      return r.value;
    };
    assert.equal(readBroadcastResult(doc('<Result>OK</Result>')).ok, true);
    assert.deepEqual(readBroadcastResult(doc('<Result>ERROR</Result>')), { ok: false, result: 'ERROR' });
    assert.deepEqual(readBroadcastResult(doc('')), { ok: false, result: null });
  });
});

describe('broadcast SDP', () => {
  test("the standard's example offer asks for PCMA over UDP at 172.20.16.3:8000 with SSRC 0100000001", () => {
    const r = offerOf(STANDARD_OFFER);
    assert.ok(r.ok);
    assert.deepEqual(r.offer, { address: '172.20.16.3', port: 8000, transport: 'udp', setup: null, codec: 'PCMA', payloadType: 8, ssrc: '0100000001', ssrcNumber: 100000001 });
  });

  test("PCMU by static type, PS/90000, and TCP offers with the device's role", () => {
    const pcmu = offerOf(STANDARD_OFFER.replace('m=audio 8000 RTP/AVP 8', 'm=audio 8000 RTP/AVP 0').replace('a=rtpmap:8 PCMA/8000\r\n', ''));
    assert.ok(pcmu.ok);
    assert.equal(pcmu.offer.codec, 'PCMU');
    assert.equal(pcmu.offer.payloadType, 0);
    const ps = offerOf(STANDARD_OFFER.replace('RTP/AVP 8', 'TCP/RTP/AVP 96').replace('a=rtpmap:8 PCMA/8000', 'a=rtpmap:96 PS/90000\r\na=setup:active\r\na=connection:new'));
    assert.ok(ps.ok);
    assert.deepEqual([ps.offer.codec, ps.offer.payloadType, ps.offer.transport, ps.offer.setup], ['PS', 96, 'tcp', 'active']);
    const preferred = offerOf(STANDARD_OFFER.replace('RTP/AVP 8', 'RTP/AVP 98 0 8').replace('a=rtpmap:8 PCMA/8000', 'a=rtpmap:98 G7221/16000'));
    assert.ok(preferred.ok);
    assert.equal(preferred.offer.codec, 'PCMU', "the device's first payload we can send");
  });

  test('offers without audio, without an address or with only codecs we cannot send are refused with a reason', () => {
    const video = offerOf(STANDARD_OFFER.replace('m=audio 8000 RTP/AVP 8', 'm=video 8000 RTP/AVP 96'));
    assert.deepEqual(video, { ok: false, error: 'the offer has no m=audio line' });
    const g729 = offerOf(STANDARD_OFFER.replace('RTP/AVP 8', 'RTP/AVP 18').replace('a=rtpmap:8 PCMA/8000', 'a=rtpmap:18 G729/8000'));
    assert.equal(g729.ok, false);
    assert.match(g729.ok ? '' : g729.error, /G729/);
    const noAddress = offerOf(STANDARD_OFFER.replace('c=IN IP4 172.20.16.3\r\n', ''));
    assert.equal(noAddress.ok, false);
  });

  test('our answer is sendonly with the negotiated payload, reads back with the GB SDP parser, and TCP names our role', () => {
    const udp = buildBroadcastAnswer({ username: '34020000002000000001', address: '10.1.2.3', port: 30000, transport: 'udp', codec: 'PCMA', payloadType: 8, ssrc: '0100000001' });
    assert.match(udp, /\r\nm=audio 30000 RTP\/AVP 8\r\na=sendonly\r\na=rtpmap:8 PCMA\/8000\r\ny=0100000001\r\nf=v\/\/\/\/\/a\/1\/8\/1\r\n$/);
    const parsed = parseGbSdp(udp);
    assert.ok(parsed.ok);
    assert.equal(parsed.value.media[0]?.direction, 'sendonly');
    assert.equal(parsed.value.connection, '10.1.2.3');
    const tcp = parseGbSdp(buildBroadcastAnswer({ username: '34020000002000000001', address: '10.1.2.3', port: 30002, transport: 'tcp', setup: 'passive', codec: 'PS', payloadType: 96, ssrc: '0000000123' }));
    assert.ok(tcp.ok);
    assert.deepEqual([tcp.value.media[0]?.transport, tcp.value.media[0]?.setup, tcp.value.media[0]?.payloads[0]?.encoding], ['tcp', 'passive', 'PS']);
    assert.throws(() => buildBroadcastAnswer({ username: 'x', address: '1.1.1.1', port: 1, transport: 'udp', codec: 'PCMA', payloadType: 8, ssrc: '12' }), RangeError);
  });

  test('fuzz: damaged broadcast offers never throw, and what reads is usable', () => {
    const rand = seededRandom(0xb0ad);
    const seed = Buffer.from(STANDARD_OFFER);
    for (let i = 0; i < 5000; i++) {
      const parsed = parseGbSdp(mutate(rand, seed));
      if (!parsed.ok) continue;
      const r = readBroadcastOffer(parsed.value);
      if (r.ok) {
        assert.ok(['PCMA', 'PCMU', 'PS'].includes(r.offer.codec));
        assert.ok(r.offer.port >= 0 && r.offer.port <= 65535);
        assert.ok(r.offer.address.length > 0);
      }
    }
  });
});

describe('which INVITE a broadcast takes', () => {
  function invite(from: string, to: string, uriUser = to): SipRequest {
    const headers = new Headers();
    headers.append('from', `<sip:${from}@3402000000>;tag=1`);
    headers.append('to', `<sip:${to}@3402000000>`);
    return { type: 'request', method: 'INVITE', uri: `sip:${uriUser}@127.0.0.1:5060`, headers, body: Buffer.alloc(0) };
  }
  const want = { deviceId: '34020000001320000001', targetId: '34020000001370000001', sourceId: '34020000001360000001', platformId: '34020000002000000001' };

  test('from the device or its audio channel, to our source ID or the platform ID', () => {
    assert.equal(isBroadcastInvite(inviteParties(invite(want.deviceId, want.sourceId)), want), true);
    assert.equal(isBroadcastInvite(inviteParties(invite(want.targetId, want.platformId)), want), true);
    assert.equal(isBroadcastInvite(inviteParties(invite(want.targetId, '34020000001320000099', want.sourceId)), want), true, 'the Request-URI names the source');
  });

  test("another device's INVITE, or one to a channel (cascade), is left to others", () => {
    assert.equal(isBroadcastInvite(inviteParties(invite('34020000001320000002', want.sourceId)), want), false);
    assert.equal(isBroadcastInvite(inviteParties(invite(want.deviceId, '34020000001310000001')), want), false);
  });
});
