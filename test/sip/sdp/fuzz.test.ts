import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REAL_DEVICE_FIXTURES } from '../../helpers/paths';
import { mutate, pick, randomBytes, randomInt, seededRandom } from '../../helpers/random';
import { buildGbSdp, makeSsrc, parseGbSdp } from '../../../src/sip/sdp';
import type { GbSdpOffer, GbSdpResult } from '../../../src/sip/sdp';

const FIXTURE_FILES = [
  'dahua-dome/19_plat_INVITE.sip',
  'dahua-dome/22_dev_200_INVITE.sip',
  'hik-nvr/38_plat_INVITE_Playback.sip',
  'hik-nvr/39_dev_200_INVITE.sip',
  'hik-nvr/49_plat_INVITE_Download.sip',
  'hik-nvr/50_dev_200_INVITE.sip',
];

function fixtureBodies(): Buffer[] {
  return FIXTURE_FILES.map((f) => {
    const raw = readFileSync(join(REAL_DEVICE_FIXTURES, f));
    return raw.subarray(raw.indexOf('\n\n') + 2);
  });
}

const isNullOr = <T>(x: unknown, check: (v: unknown) => v is T | boolean): boolean => x === null || check(x) === true;
const isNonNegInt = (x: unknown): x is number => Number.isSafeInteger(x) && (x as number) >= 0;
const isString = (x: unknown): x is string => typeof x === 'string';

/** Well-formed: a value with every field of its declared type and range, or a non-empty error. */
function assertWellFormed(r: GbSdpResult, input: string): void {
  const where = JSON.stringify(input.slice(0, 200));
  if (!r.ok) {
    assert.ok(typeof r.error === 'string' && r.error.length > 0, where);
    return;
  }
  const v = r.value;
  assert.ok(isString(v.sessionName), where);
  assert.ok(isNonNegInt(v.startTime) && isNonNegInt(v.endTime), where);
  assert.ok(isNullOr(v.connection, isString) && isNullOr(v.uri, isString) && isNullOr(v.sessionInfo, isString), where);
  assert.ok(v.origin === null || (isString(v.origin.username) && v.origin.username !== ''), where);
  assert.ok(v.ssrc === null || /^\d{1,20}$/.test(v.ssrc), where);
  assert.ok(v.ssrcNumber === null || (isNonNegInt(v.ssrcNumber) && v.ssrcNumber <= 0xffffffff && v.ssrcNumber === Number(v.ssrc)), where);
  if (v.format !== null) {
    for (const k of ['videoCodec', 'frameRate', 'bitrateType', 'videoBitrate', 'audioCodec', 'audioBitrate', 'sampleRate'] as const) {
      assert.ok(isNullOr(v.format[k], isNonNegInt), `${where} f.${k}`);
    }
  }
  for (const m of v.media) {
    assert.ok(m.kind === 'video' || m.kind === 'audio', where);
    assert.ok(isNonNegInt(m.port) && m.port <= 65535, where);
    assert.ok(m.transport === 'udp' || m.transport === 'tcp', where);
    assert.ok(m.setup === null || m.setup === 'active' || m.setup === 'passive', where);
    assert.ok(m.direction === null || ['recvonly', 'sendonly', 'sendrecv'].includes(m.direction), where);
    assert.ok(isNullOr(m.downloadSpeed, isNonNegInt) && isNullOr(m.fileSize, isNonNegInt), where);
    assert.ok(m.payloads.length <= 128, where);
    for (const p of m.payloads) {
      assert.ok(isNonNegInt(p.pt) && p.pt <= 127, where);
      assert.ok(isNullOr(p.encoding, isString) && isNullOr(p.clockRate, isNonNegInt), where);
    }
  }
}

const LINE_POOL = [
  'v=0', 'o=34020000001310000001 0 0 IN IP4 192.168.6.71', 'o=', 'o=x', 's=Play', 's=Playback', 's=Download', 's=', 's=Talk',
  'i=VCam Live Video', 'u=34020000001310000001:3', 'u=', 'u=http://a/b', 'c=IN IP4 10.0.0.1', 'c=', 'c=IN IP4 224.1.1.1/127',
  't=0 0', 't=1714804996 1714806986', 't=3924300000 3924303600', 't=', 't=1', 'm=video 45056 RTP/AVP 96 98 97',
  'm=video 9712 TCP/RTP/AVP 96', 'm=audio 8000 RTP/AVP 8', 'm=video', 'm=video 99999 RTP/AVP 96', 'm=application 9 TCP x',
  'm=video 0 RTP/AVP', 'a=recvonly', 'a=sendonly', 'a=sendrecv', 'a=setup:active', 'a=setup:passive', 'a=setup:',
  'a=connection:new', 'a=rtpmap:96 PS/90000', 'a=rtpmap:98 H264/90000', 'a=rtpmap:99 H265/90000', 'a=rtpmap:97 MPEG4/90000',
  'a=rtpmap:200 X/1', 'a=rtpmap:96', 'a=downloadspeed:4', 'a=downloadspeed:x', 'a=filesize:2124794308', 'a=username:1',
  'a=password:p', 'a=streamprofile:0', 'a=streamnumber:1', 'a=', 'y=0000001002', 'y=0000000000', 'y=9999999999', 'y=12a',
  'y=', 'f=', 'f=v/0/0/0/0/0a/0/0/0', 'f=v/////a/1/8/1', 'f=v/2/1920x1080/25/2/4096a///', 'f=a/', 'f=v/', 'b=AS:1',
  'garbage', '=', 'x=', '',
];

function randomSdp(rand: () => number): string {
  const lines = ['v=0'];
  const n = randomInt(rand, 0, 25);
  for (let i = 0; i < n; i++) lines.push(pick(rand, LINE_POOL));
  if (rand() < 0.2) lines.splice(randomInt(rand, 0, lines.length), 0, randomBytes(rand, randomInt(rand, 1, 40)).toString('latin1'));
  return lines.join(pick(rand, ['\r\n', '\n', '\r']));
}

function randomOffer(rand: () => number): GbSdpOffer {
  const sessionName = pick(rand, ['Play', 'Playback', 'Download'] as const);
  const start = randomInt(rand, 0, 2_000_000_000);
  return {
    sessionName,
    username: String(randomInt(rand, 1, 99_999_999)).padStart(20, '3'),
    address: `${randomInt(rand, 1, 254)}.${randomInt(rand, 0, 255)}.${randomInt(rand, 0, 255)}.${randomInt(rand, 1, 254)}`,
    port: randomInt(rand, 0, 65535),
    transport: pick(rand, ['udp', 'tcp'] as const),
    setup: pick(rand, ['active', 'passive'] as const),
    uri: `3402000000131${String(randomInt(rand, 0, 9_999_999)).padStart(7, '0')}:${randomInt(rand, 0, 3)}`,
    startTime: start,
    endTime: start + randomInt(rand, 0, 86400),
    downloadSpeed: randomInt(rand, 1, 8),
    ssrc: makeSsrc(sessionName === 'Play' ? 'live' : 'history', String(randomInt(rand, 0, 99999)).padStart(5, '0'), randomInt(rand, 0, 1e6)),
  };
}

describe('SDP parser fuzz (seeded)', () => {
  test('3,000 mutated real-device SDP bodies never throw and give a well-formed result', () => {
    const rand = seededRandom(0x5d9);
    const bodies = fixtureBodies();
    let ok = 0;
    for (let i = 0; i < 3000; i++) {
      let input = pick(rand, bodies);
      const rounds = randomInt(rand, 1, 3);
      for (let k = 0; k < rounds; k++) input = mutate(rand, input);
      const r = parseGbSdp(input);
      assertWellFormed(r, input.toString('latin1'));
      if (r.ok) ok++;
    }
    assert.ok(ok > 300, `some mutated bodies still parse (${ok})`);
  });

  test('3,000 random SDPs from a pool of real and broken lines never throw and give a well-formed result', () => {
    const rand = seededRandom(28181);
    for (let i = 0; i < 3000; i++) {
      const input = randomSdp(rand);
      assertWellFormed(parseGbSdp(input), input);
      assertWellFormed(parseGbSdp(Buffer.from(input, 'latin1')), input);
    }
  });

  test('1,000 random byte strings are refused or parsed, never thrown on', () => {
    const rand = seededRandom(7);
    for (let i = 0; i < 1000; i++) {
      const input = randomBytes(rand, randomInt(rand, 0, 600));
      if (rand() < 0.5) input.write('v=0\ns=Play\n', randomInt(rand, 0, Math.max(0, input.length - 11)));
      assertWellFormed(parseGbSdp(input), input.toString('latin1'));
    }
  });

  test('1,000 random offers round-trip through build and parse', () => {
    const rand = seededRandom(2022);
    for (let i = 0; i < 1000; i++) {
      const offer = randomOffer(rand);
      const r = parseGbSdp(buildGbSdp(offer));
      assert.ok(r.ok, r.ok ? '' : r.error);
      const v = r.value;
      const history = offer.sessionName !== 'Play';
      assert.equal(v.sessionName, offer.sessionName);
      assert.equal(v.origin?.username, offer.username);
      assert.equal(v.connection, offer.address);
      assert.equal(v.startTime, history ? offer.startTime : 0);
      assert.equal(v.endTime, history ? offer.endTime : 0);
      assert.equal(v.uri, history ? offer.uri : null);
      assert.equal(v.ssrc, offer.ssrc);
      assert.equal(v.ssrcNumber, Number(offer.ssrc));
      const m = v.media[0]!;
      assert.equal(m.port, offer.port);
      assert.equal(m.transport, offer.transport);
      assert.equal(m.setup, offer.transport === 'tcp' ? offer.setup : null);
      assert.equal(m.downloadSpeed, offer.sessionName === 'Download' ? offer.downloadSpeed : null);
      assert.deepEqual(m.payloads.map((p) => p.encoding), ['PS', 'MPEG4', 'H264']);
    }
  });
});
