/**
 * native/rtp-recv's FLV relay against the TypeScript pipeline it stands in for. The relay demuxes
 * plain MPEG-PS (H.264, G.711 A/U) in C and writes FLV tags to HTTP-FLV viewers; anything less
 * plain makes it bail and hand the stream to PsDemuxer → MediaSource → FlvSink. Whatever it
 * writes before it bails, and everything it writes when it does not, must be what FlvSink writes
 * for the same packets: tag for tag, same type, timestamp and body (script tags aside, which the
 * relay does not send). GBVMS_RTP_RECV_ADDON points at another build of the addon
 * (test/native/sanitized-addons.test.ts runs this file against a sanitizer build).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseAdtsHeader } from '../../src/media/codec/adts';
import { joinAnnexB, splitAnnexB } from '../../src/media/codec/annexb';
import type { AudioCodec } from '../../src/media/codec/types';
import { loadRtpRecvAddon } from '../../src/media/ingest/native-rtp-recv';
import { FlvSink, type FlvOutput } from '../../src/media/out/http/flv-sink';
import { PsDemuxer } from '../../src/media/ps/demuxer';
import { PsMuxer } from '../../src/media/ps/muxer';
import { splitPayloads } from '../../src/media/ps/rtp-packetizer';
import { MediaSource } from '../../src/media/source/media-source';
import { hasFfmpeg, readMedia } from '../media/helpers/media-files';
import { devicePack, deviceSystemHeader, framesOf, H264_G711A_PSM, packHeader, pes, psm, rawPacket, type DevicePackOptions, type SourceFrame } from '../media/helpers/ps-stream';
import { mutate, pick, randomBelow, randomBytes, randomInt, seededRandom } from '../helpers/random';

// ---------------------------------------------------------------------------------------------
// The relay's test entry point (native/rtp-recv/src/addon.c).

interface RelayPacket {
  payload: Buffer;
  timestamp: number;
  marker: boolean;
  payloadType: number;
  ssrc: number;
}

type RelayState = 'pending' | 'native' | 'bailed';

interface RelayResult {
  state: RelayState;
  reason: string;
  /**
   * What a viewer that asked before the first packet got: FlvViewers waits for the relay to decide
   * (its first key frame) and then hands the viewer over, so it starts right after that key frame.
   */
  live: Buffer;
  /** What a viewer attached after the last packet got. */
  late: Buffer;
  frames: number;
  /** The packet after which the relay served and took the live viewer; -1 if it never did. */
  decidedAt: number;
}

interface RelayTestAddon {
  relayDemuxForTest(packets: readonly RelayPacket[]): RelayResult;
}

function loadRelay(): RelayTestAddon | string {
  const loaded = loadRtpRecvAddon();
  if ('error' in loaded) return `native/rtp-recv is not built: ${loaded.error.message}`;
  const addon = loaded.addon as unknown as Partial<RelayTestAddon>;
  if (typeof addon.relayDemuxForTest !== 'function') return 'this build of native/rtp-recv has no relayDemuxForTest';
  return addon as RelayTestAddon;
}

const relay = loadRelay();
const noRelay = typeof relay === 'string' ? relay : false;
const skip = noRelay || (hasFfmpeg ? false : 'ffmpeg/ffprobe not installed (test clips)');

function runRelay(packets: readonly RelayPacket[]): RelayResult {
  assert.ok(typeof relay !== 'string', relay as string);
  const r = relay.relayDemuxForTest(packets);
  assert.ok(['pending', 'native', 'bailed'].includes(r.state), `state ${String(r.state)}`);
  assert.equal(typeof r.reason, 'string');
  assert.ok(Buffer.isBuffer(r.live) && Buffer.isBuffer(r.late), 'live and late are Buffers');
  assert.equal(typeof r.frames, 'number');
  return r;
}

// ---------------------------------------------------------------------------------------------
// The TypeScript reference: what src/media/ingest/stream-pipeline.ts does with the same packets.

interface Reference {
  live: Buffer;
  late: Buffer;
}

function capturingOutput(chunks: Buffer[]): FlvOutput {
  return {
    send: (chunk) => void chunks.push(Buffer.from(chunk)),
    sendParts: (parts) => void chunks.push(Buffer.concat(parts)),
    pendingBytes: () => 0,
    close: () => undefined,
  };
}

/**
 * PsDemuxer → MediaSource → FlvSink; one viewer attached when a viewer waiting for the relay's
 * decision is handed over (after packet `handOverAfter`, the relay's decidedAt; by default right
 * after the first key frame), one after the last packet.
 */
function runTypeScript(packets: readonly RelayPacket[], handOverAfter?: number): Reference {
  const source = new MediaSource('flv-relay-differential');
  const live: Buffer[] = [];
  let liveAttached = false;
  const handOver = (): void => {
    liveAttached = true;
    source.attach(new FlvSink('http-flv', capturingOutput(live)));
  };
  const demuxer = new PsDemuxer({
    onFrame: (au) => {
      source.push(au);
      if (handOverAfter === undefined && !liveAttached && au.kind === 'video' && au.keyframe) handOver();
    },
    onParams: (p) => source.setParams(p),
  });
  packets.forEach((p, i) => {
    demuxer.push(p.payload, p.timestamp, p.marker);
    if (i === handOverAfter) handOver();
  });
  const late: Buffer[] = [];
  source.attach(new FlvSink('http-flv', capturingOutput(late)));
  source.end('test over');
  return { live: Buffer.concat(live), late: Buffer.concat(late) };
}

// ---------------------------------------------------------------------------------------------
// FLV reading and comparison.

interface FlvTag {
  type: number;
  timestamp: number;
  body: Buffer;
}

interface Flv {
  /** The 13 bytes of header and PreviousTagSize0; undefined when nothing was written. */
  header: Buffer | undefined;
  tags: FlvTag[];
}

/** A whole FLV byte stream, strictly: a header, then whole tags each followed by its PreviousTagSize. */
function parseFlv(flv: Buffer, label: string): Flv {
  if (flv.length === 0) return { header: undefined, tags: [] };
  assert.ok(flv.length >= 13, `${label}: ${flv.length} bytes, shorter than an FLV header`);
  const header = flv.subarray(0, 13);
  assert.equal(header.toString('latin1', 0, 4), 'FLV\x01', `${label}: FLV signature and version`);
  assert.equal(header.readUInt32BE(5), 9, `${label}: header size`);
  assert.equal(header.readUInt32BE(9), 0, `${label}: PreviousTagSize0`);
  const tags: FlvTag[] = [];
  let at = 13;
  while (at < flv.length) {
    const where = `${label}: tag ${tags.length} at byte ${at}`;
    assert.ok(at + 11 <= flv.length, `${where}: ${flv.length - at} bytes left, a cut-off tag header`);
    const size = flv.readUIntBE(at + 1, 3);
    assert.ok(at + 11 + size + 4 <= flv.length, `${where}: body of ${size} bytes runs past the end (${flv.length - at - 11} left)`);
    assert.equal(flv.readUIntBE(at + 8, 3), 0, `${where}: StreamID`);
    assert.equal(flv.readUInt32BE(at + 11 + size), 11 + size, `${where}: PreviousTagSize`);
    const timestamp = (flv.readUIntBE(at + 4, 3) | ((flv[at + 7] ?? 0) << 24)) >>> 0;
    tags.push({ type: flv[at] ?? 0, timestamp, body: flv.subarray(at + 11, at + 11 + size) });
    at += 11 + size + 4;
  }
  return { header, tags };
}

function describeTag(t: FlvTag | undefined): string {
  if (!t) return 'nothing';
  let what = `type ${t.type}`;
  if (t.type === 9) {
    const b0 = t.body[0] ?? 0;
    what = t.body[1] === 0 ? `video sequence header (0x${b0.toString(16)})` : `video ${b0 >> 4 === 1 ? 'key' : 'inter'} frame (0x${b0.toString(16)})`;
  } else if (t.type === 8) {
    what = `audio (0x${(t.body[0] ?? 0).toString(16)})`;
  }
  return `${what}, ts ${t.timestamp}, ${t.body.length} body bytes`;
}

function firstDifference(a: Buffer, b: Buffer): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : n;
}

const media = (tags: readonly FlvTag[]): FlvTag[] => tags.filter((t) => t.type !== 18);

/**
 * The relay's tags against the TypeScript pipeline's, script tags aside. 'equal': the same tags;
 * 'prefix': the relay's are the first of TypeScript's (it stopped, at a bail). Reports the first
 * tag that differs.
 */
function assertSameTags(label: string, relayFlv: Buffer, tsFlv: Buffer, mode: 'equal' | 'prefix'): FlvTag[] {
  const got = parseFlv(relayFlv, `${label} (relay)`);
  const want = parseFlv(tsFlv, `${label} (TypeScript)`);
  const gotTags = media(got.tags);
  const wantTags = media(want.tags);
  if (got.header && want.header) {
    const g = Buffer.from(got.header);
    const w = Buffer.from(want.header);
    g[4] = 0;
    w[4] = 0; // the flags byte: FlvSink announces the tracks it knows
    assert.ok(g.equals(w), `${label}: FLV header ${got.header.toString('hex')} vs TypeScript ${want.header.toString('hex')}`);
  }
  const n = Math.min(gotTags.length, wantTags.length);
  for (let i = 0; i < n; i++) {
    const g = gotTags[i] as FlvTag;
    const w = wantTags[i] as FlvTag;
    if (g.type === w.type && g.timestamp === w.timestamp && g.body.equals(w.body)) continue;
    const at = firstDifference(g.body, w.body);
    const bytes = at < 0 ? 'bodies equal' : `first differing body byte at ${at}: relay 0x${g.body[at]?.toString(16) ?? '(end)'}, TypeScript 0x${w.body[at]?.toString(16) ?? '(end)'}`;
    assert.fail(`${label}: tag ${i} differs. relay: ${describeTag(g)}; TypeScript: ${describeTag(w)}; ${bytes}`);
  }
  if (mode === 'equal') {
    assert.ok(!!got.header === !!want.header, `${label}: relay ${got.header ? 'wrote' : 'did not write'} an FLV header, TypeScript ${want.header ? 'did' : 'did not'}`);
    assert.ok(gotTags.length === wantTags.length, `${label}: relay has ${gotTags.length} tags, TypeScript ${wantTags.length}; first unmatched: relay ${describeTag(gotTags[n])}, TypeScript ${describeTag(wantTags[n])}`);
  } else {
    assert.ok(gotTags.length <= wantTags.length, `${label}: relay has ${gotTags.length} tags, more than TypeScript's ${wantTags.length}; first extra: ${describeTag(gotTags[n])}`);
  }
  return gotTags;
}

const videoFrameTags = (tags: readonly FlvTag[]): number => tags.filter((t) => t.type === 9 && t.body[1] === 1).length;

/** Both viewers' bytes equal the TypeScript pipeline's; the relay is serving. */
function assertServedLikeTypeScript(packets: readonly RelayPacket[], label = ''): RelayResult {
  const r = runRelay(packets);
  assert.equal(r.state, 'native', `${label} relay state ${r.state} (${r.reason})`);
  const ts = runTypeScript(packets, r.decidedAt);
  const live = assertSameTags(`${label} live viewer`, r.live, ts.live, 'equal');
  assert.ok(videoFrameTags(live) > 0, `${label} the live viewer got pictures`);
  assertSameTags(`${label} late viewer`, r.late, ts.late, 'equal');
  return r;
}

/**
 * The relay bailed; what it wrote before is what TypeScript wrote, and at least every picture
 * TypeScript had written from the packets before `faultAt` (those were plain).
 */
function assertBailedCleanly(packets: readonly RelayPacket[], faultAt: number, label = ''): RelayResult {
  const r = runRelay(packets);
  assert.equal(r.state, 'bailed', `${label} relay state ${r.state} (${r.reason})`);
  assert.ok(r.reason.length > 0, 'a bail says why');
  const live = assertSameTags(`${label} live viewer before the bail`, r.live, runTypeScript(packets, r.decidedAt).live, 'prefix');
  const before = media(parseFlv(runTypeScript(packets.slice(0, faultAt)).live, 'TypeScript before the fault').tags);
  assert.ok(
    videoFrameTags(live) >= videoFrameTags(before),
    `${label} relay wrote ${videoFrameTags(live)} pictures before bailing (${r.reason}); the ${faultAt} plain packets before the fault hold ${videoFrameTags(before)}`,
  );
  return r;
}

/** Whatever the relay decided, it did not write anything TypeScript would not have. */
function assertConsistent(packets: readonly RelayPacket[], label: string): RelayResult {
  const r = runRelay(packets);
  const ts = runTypeScript(packets, r.decidedAt);
  const at = `${label}, relay ${r.state}${r.reason ? ` (${r.reason})` : ''}`;
  if (r.state === 'native') {
    assertSameTags(`${at}: live viewer`, r.live, ts.live, 'equal');
    assertSameTags(`${at}: late viewer`, r.late, ts.late, 'equal');
  } else if (r.state === 'bailed') {
    assertSameTags(`${at}: live viewer before the bail`, r.live, ts.live, 'prefix');
  } else {
    assert.equal(media(parseFlv(r.live, `${at}: live`).tags).length, 0, `${at}: tags written before any key frame`);
  }
  return r;
}

// ---------------------------------------------------------------------------------------------
// Streams: PS packs (as PsMuxer or devices write them) cut into RTP packets.

const SSRC = 0x12345678;
const PT_PS = 96;
const FIRST_PTS = 90000;

interface Pack {
  data: Buffer;
  /** The RTP timestamp of its packets. */
  timestamp: number;
}

interface TimedFrame extends SourceFrame {
  dts: number;
}

interface PacketOptions {
  payloadSize?: number;
  marker?: 'last' | 'none' | 'all';
  ssrc?: number;
  payloadType?: number;
}

function packetsOf(packs: readonly Pack[], o: PacketOptions = {}): RelayPacket[] {
  const out: RelayPacket[] = [];
  for (const pack of packs) {
    const payloads = splitPayloads(pack.data, o.payloadSize ?? 1400);
    payloads.forEach((payload, i) => {
      const marker = o.marker === 'all' || (o.marker !== 'none' && i === payloads.length - 1);
      out.push({ payload, timestamp: pack.timestamp >>> 0, marker, payloadType: o.payloadType ?? PT_PS, ssrc: o.ssrc ?? SSRC });
    });
  }
  return out;
}

/** Clips joined into one stream at 25 fps from `firstPts` (each clip starts with a key frame). */
function clips(names: readonly string[], firstPts = FIRST_PTS): TimedFrame[] {
  const out: TimedFrame[] = [];
  for (const name of names) {
    for (const f of framesOf(readMedia(name), 'h264')) {
      const pts = firstPts + out.length * 3600;
      out.push({ ...f, pts, dts: pts });
    }
  }
  return out;
}

/** Reordered pictures: PTS ahead of DTS by one to three frame durations. */
function withBFrameTiming(frames: readonly TimedFrame[]): TimedFrame[] {
  return frames.map((f, i) => ({ ...f, dts: f.dts, pts: f.dts + 3600 + (i % 3) * 3600 }));
}

let alawCache: Buffer | undefined;
/** 40 ms of G.711 (320 bytes), the n-th of a real A-law clip. */
function g711(n: number): Buffer {
  alawCache ??= readMedia('g711a-8k.alaw');
  const at = (n * 320) % (alawCache.length - 320);
  return alawCache.subarray(at, at + 320);
}

interface MuxOptions {
  audio?: AudioCodec;
  maxPesBytes?: number;
  /** Where the audio pack's timestamp sits after its video frame's (90 kHz). */
  audioOffset?: number;
}

/** PsMuxer's packs: a pack per video frame, an audio pack after each when there is audio. */
function muxed(frames: readonly TimedFrame[], o: MuxOptions = {}): Pack[] {
  const muxer = new PsMuxer({ videoCodec: 'h264', audioCodec: o.audio, maxPesBytes: o.maxPesBytes });
  const packs: Pack[] = [];
  frames.forEach((f, i) => {
    packs.push({ data: muxer.muxVideo({ data: f.data, pts: f.pts, dts: f.dts, keyframe: f.keyframe }), timestamp: f.dts });
    if (o.audio) {
      const ts = f.dts + (o.audioOffset ?? 1800);
      packs.push({ data: muxer.muxAudio(g711(i), ts), timestamp: ts });
    }
  });
  return packs;
}

function devicePacks(frames: readonly TimedFrame[], options: (f: TimedFrame, i: number) => DevicePackOptions = () => ({})): Pack[] {
  return frames.map((f, i) => ({ data: devicePack(f, options(f, i)), timestamp: f.pts }));
}

/** A G.711 pack of its own, as devices send audio. */
function audioPack(pts: number, data: Buffer): Pack {
  return { data: Buffer.concat([packHeader(pts), pes(0xc0, data, pts)]), timestamp: pts };
}

/** Index of the first packet of pack `packIndex`. */
function firstPacketOf(packs: readonly Pack[], packIndex: number, payloadSize = 1400): number {
  let n = 0;
  for (let i = 0; i < packIndex; i++) n += Math.ceil((packs[i]?.data.length ?? 0) / payloadSize);
  return n;
}

const GOPS_2 = ['h264-640x360.h264'];
const GOPS_6 = ['hls-h264-640x360-6s.h264'];
/** Two GOPs of 4 frames of noise: the key frames are ~200 KB, the others ~120 KB. */
const NOISE_2 = ['h264-noise.h264', 'h264-noise.h264'];

// ---------------------------------------------------------------------------------------------

describe('the native FLV relay serves plain GB/T 28181 PS exactly as the TypeScript pipeline would', () => {
  test('nothing sent: the relay waits for a key frame and has written no tags', { skip: noRelay }, () => {
    const r = runRelay([]);
    assert.equal(r.state, 'pending');
    assert.equal(media(parseFlv(r.live, 'live').tags).length, 0);
  });

  test('PsMuxer H.264, six GOPs in 1400-byte RTP payloads: live and late viewers get the same tags', { skip }, () => {
    const frames = clips(GOPS_6);
    assert.equal(frames.filter((f) => f.keyframe).length, 6);
    assertServedLikeTypeScript(packetsOf(muxed(frames)));
  });

  test('B-frames (PTS ahead of DTS): composition times match', { skip }, () => {
    const frames = withBFrameTiming(clips(['h264-bframes.h264', 'h264-bframes.h264']));
    assertServedLikeTypeScript(packetsOf(muxed(frames)));
  });

  for (const audio of ['g711a', 'g711u'] as const) {
    test(`${audio === 'g711a' ? 'G.711A' : 'G.711U'} audio packs between the video frames become audio tags in order`, { skip }, () => {
      const r = assertServedLikeTypeScript(packetsOf(muxed(clips(GOPS_2), { audio })));
      const audioTags = parseFlv(r.live, 'live').tags.filter((t) => t.type === 8);
      assert.ok(audioTags.length >= 49, `${audioTags.length} audio tags`);
      assert.ok(audioTags.every((t) => t.body[0] === (audio === 'g711a' ? 0x72 : 0x82)));
    });
  }

  test('frames in several PES (maxPesBytes 4000, the later ones without PTS) and small RTP payloads', { skip }, () => {
    const packs = muxed(clips(GOPS_2), { audio: 'g711a', maxPesBytes: 4000 });
    for (const payloadSize of [1400, 500]) assertServedLikeTypeScript(packetsOf(packs, { payloadSize }), `payloads of ${payloadSize}:`);
  });

  test('frames of 100 to 200 KB: in PES of 64 KB or of 4,000 bytes, over 1400-byte payloads', { skip }, () => {
    const frames = clips(NOISE_2);
    assert.ok(frames.filter((f) => f.keyframe).every((f) => f.data.length > 150_000));
    for (const maxPesBytes of [undefined, 4000]) {
      assertServedLikeTypeScript(packetsOf(muxed(frames, { audio: 'g711u', maxPesBytes })), `maxPesBytes ${maxPesBytes ?? 'default'}:`);
    }
  });

  test('one PES per NAL unit with the same PTS (Hikvision), with G.711A packs of their own', { skip }, () => {
    const frames = clips(GOPS_2);
    const packs = devicePacks(frames, () => ({ perNal: true })).flatMap((p, i) => [p, audioPack(p.timestamp + 1800, g711(i))]);
    assertServedLikeTypeScript(packetsOf(packs));
  });

  for (const perNal of [false, true]) {
    test(`video PES with PES_packet_length 0, running to the next start code (${perNal ? 'one per NAL unit' : 'one per frame'})`, { skip }, () => {
      assertServedLikeTypeScript(packetsOf(devicePacks(clips(GOPS_2), () => ({ unbounded: true, perNal }))));
      assertServedLikeTypeScript(packetsOf(devicePacks(clips(NOISE_2), () => ({ unbounded: true, perNal }))), '200 KB frames:');
    });
  }

  test('pack headers with 0xFF stuffing of 1 to 7 bytes', { skip }, () => {
    const packs = devicePacks(clips(GOPS_2), (_, i) => ({ stuffing: Buffer.alloc(1 + (i % 7), 0xff) }));
    assertServedLikeTypeScript(packetsOf(packs));
  });

  test('private stream 0xBD packets in the packs are skipped', { skip }, () => {
    const vendor = pes(0xbd, Buffer.from('vendor private data 00 00 01 ba'));
    assertServedLikeTypeScript(packetsOf(devicePacks(clips(GOPS_2), () => ({ extra: [vendor] }))));
  });

  test('a new SPS mid-stream (640x360, then 320x240): the new sequence header comes where TypeScript sends it', { skip }, () => {
    const r = assertServedLikeTypeScript(packetsOf(muxed(clips(['h264-640x360.h264', 'h264-320x240.h264']), { audio: 'g711a' })));
    // FlvSink sends the header again at the second 640x360 key frame too (the audio parameters
    // arrived after the first): the relay must as well, which the tag comparison checks.
    const headers = parseFlv(r.live, 'live').tags.filter((t) => t.type === 9 && t.body[1] === 0);
    const distinct = headers.filter((h, i) => i === 0 || !h.body.equals((headers[i - 1] as FlvTag).body));
    assert.equal(distinct.length, 2, 'two different AVC sequence headers');
    const late = parseFlv(r.late, 'late').tags.filter((t) => t.type === 9 && t.body[1] === 0);
    assert.ok(late.length === 1 && late[0]?.body.equals(distinct[1]?.body as Buffer), 'the late viewer gets the 320x240 one');
  });
});

describe('streams the relay may serve or hand over: if it serves them, it serves them as TypeScript does', () => {
  const cases: [string, () => RelayPacket[]][] = [
    ['pack stuffing holding a counter and 00 00 01 (Tiandy)', () => packetsOf(devicePacks(clips(GOPS_2), (_, i) => ({ stuffing: Buffer.from([0, 0, 1, 0xe0, i & 0xff, 0xff]) })))],
    ['private stream 2 (0xBF) and padding (0xBE) packets', () => packetsOf(devicePacks(clips(GOPS_2), () => ({ extra: [rawPacket(0xbf, Buffer.alloc(40, 1)), rawPacket(0xbe, Buffer.alloc(16, 0xff))] })))],
    ['G.711A PES inside the video packs', () => packetsOf(devicePacks(clips(GOPS_2), (f, i) => ({ extra: [pes(0xc0, g711(i), f.pts)] })))],
    ['audio packs with the RTP timestamp of the video frame before them', () => packetsOf(muxed(clips(GOPS_2), { audio: 'g711a', audioOffset: 0 }))],
    ['the marker on every RTP packet', () => packetsOf(muxed(clips(GOPS_2)), { marker: 'all' })],
    ['no marker at all', () => packetsOf(muxed(clips(GOPS_2), { audio: 'g711u' }), { marker: 'none' })],
    ['PTS and RTP timestamps wrapping (33 and 32 bits)', () => packetsOf(muxed(clips(GOPS_2, 2 ** 33 - 20 * 3600), { audio: 'g711a' }))],
    [
      'audio before the first key frame',
      () => {
        const frames = clips(GOPS_2);
        return packetsOf([audioPack(FIRST_PTS - 7200, g711(0)), audioPack(FIRST_PTS - 3600, g711(1)), ...muxed(frames, { audio: 'g711a' })]);
      },
    ],
    [
      'P-frames and audio before the first key frame (joined mid-GOP)',
      () => {
        const frames = clips(GOPS_2);
        return packetsOf(muxed(frames, { audio: 'g711a' }).slice(2 * 20));
      },
    ],
    [
      'SPS and PPS in an RTP frame of their own before the IDR',
      () =>
        packetsOf(
          clips(GOPS_2).flatMap((f) => {
            if (!f.keyframe) return [{ data: devicePack(f), timestamp: f.pts }];
            const nals = splitAnnexB(f.data);
            return [
              { data: Buffer.concat([packHeader(f.pts), deviceSystemHeader(), H264_G711A_PSM, pes(0xe0, joinAnnexB(nals.slice(0, 2)), f.pts)]), timestamp: f.pts },
              { data: Buffer.concat([packHeader(f.pts), pes(0xe0, joinAnnexB(nals.slice(2)), f.pts)]), timestamp: f.pts },
            ];
          }),
        ),
    ],
  ];
  for (const [name, build] of cases) {
    test(name, { skip }, () => {
      const r = assertConsistent(build(), name);
      assert.notEqual(r.state, 'pending', 'the stream has key frames');
    });
  }
});

describe('the relay bails on what is not plain, having written only what TypeScript wrote', () => {
  /** 30 plain frames (one key frame at 0, 25) with G.711A packs, then the fault. */
  const PLAIN_FRAMES = 30;
  function plainThen(fault: (frames: TimedFrame[]) => Pack[], payloadSize = 1400): { packets: RelayPacket[]; faultAt: number } {
    const frames = clips(GOPS_2);
    const plain = muxed(frames.slice(0, PLAIN_FRAMES), { audio: 'g711a' });
    const packets = packetsOf([...plain, ...fault(frames)], { payloadSize });
    return { packets, faultAt: firstPacketOf(plain, plain.length, payloadSize) };
  }

  test('H.265 declared as stream type 0x24', { skip }, () => {
    const frames = framesOf(readMedia('h265-640x360.hevc'), 'h265').map((f) => ({ ...f, dts: f.pts }));
    const map = psm([
      [0x24, 0xe0],
      [0x90, 0xc0],
    ]);
    assertBailedCleanly(packetsOf(devicePacks(frames, () => ({ psm: map }))), 0);
  });

  test('a switch to H.265 (PSM version 1, type 0x24) after plain H.264', { skip }, () => {
    const map = psm([[0x24, 0xe0]], { version: 1 });
    const { packets, faultAt } = plainThen(() => devicePacks(framesOf(readMedia('h265-640x360.hevc'), 'h265', FIRST_PTS + PLAIN_FRAMES * 3600).map((f) => ({ ...f, dts: f.pts })), () => ({ psm: map })));
    assertBailedCleanly(packets, faultAt);
  });

  test('AAC audio (PsMuxer, stream type 0x0F)', { skip }, () => {
    const aac = readMedia('aac-8k.aac');
    const muxer = new PsMuxer({ videoCodec: 'h264', audioCodec: 'aac' });
    const adts: Buffer[] = [];
    for (let at = 0, h = parseAdtsHeader(aac, 0); h && at + h.frameLength <= aac.length; at += h.frameLength, h = parseAdtsHeader(aac, at)) {
      adts.push(aac.subarray(at, at + h.frameLength));
    }
    assert.ok(adts.length > 10);
    const packs: Pack[] = [];
    clips(GOPS_2).forEach((f, i) => {
      packs.push({ data: muxer.muxVideo({ data: f.data, pts: f.pts, keyframe: f.keyframe }), timestamp: f.pts });
      packs.push({ data: muxer.muxAudio(adts[i % adts.length] as Buffer, f.pts + 1800), timestamp: f.pts + 1800 });
    });
    assertBailedCleanly(packetsOf(packs), 0);
  });

  test('G.711A declared but AAC ADTS sent (Dahua) after plain frames', { skip }, () => {
    const aac = readMedia('aac-8k.aac');
    const h = parseAdtsHeader(aac, 0);
    assert.ok(h);
    const { packets, faultAt } = plainThen((frames) => {
      const f = frames[PLAIN_FRAMES] as TimedFrame;
      return [audioPack(f.pts - 1800, aac.subarray(0, h.frameLength)), { data: devicePack(f), timestamp: f.pts }];
    });
    assertBailedCleanly(packets, faultAt);
  });

  test('no PSM and no system header at all', { skip }, () => {
    assertBailedCleanly(packetsOf(devicePacks(clips(GOPS_2), () => ({ psm: null, systemHeader: false }))), 0);
  });

  test('a frame without the RTP marker, followed by a frame of another timestamp', { skip }, () => {
    const frames = clips(GOPS_2);
    const plain = muxed(frames.slice(0, PLAIN_FRAMES), { audio: 'g711a' });
    const faultAt = firstPacketOf(plain, plain.length);
    const unmarked = packetsOf(muxed(frames.slice(PLAIN_FRAMES, PLAIN_FRAMES + 1)), { marker: 'none' });
    const after = packetsOf([{ data: devicePack(frames[PLAIN_FRAMES + 1] as TimedFrame), timestamp: (frames[PLAIN_FRAMES + 1] as TimedFrame).pts }]);
    assertBailedCleanly([...packetsOf(plain), ...unmarked, ...after], faultAt);
  });

  for (const lie of [+50, -50]) {
    test(`a video PES whose length says ${lie > 0 ? 'more' : 'less'} than it holds (by ${Math.abs(lie)})`, { skip }, () => {
      const { packets, faultAt } = plainThen((frames) => {
        const f = frames[PLAIN_FRAMES] as TimedFrame;
        const honest = pes(0xe0, f.data, f.pts);
        const lying = pes(0xe0, f.data, f.pts, honest.length - 6 + lie);
        return [{ data: Buffer.concat([packHeader(f.pts), lying]), timestamp: f.pts }, ...devicePacks(frames.slice(PLAIN_FRAMES + 1, PLAIN_FRAMES + 3))];
      });
      assertBailedCleanly(packets, faultAt);
    });
  }

  test('garbage bytes between packs', { skip }, () => {
    const { packets, faultAt } = plainThen((frames) => {
      const f = frames[PLAIN_FRAMES] as TimedFrame;
      const garbage = Buffer.from('garbage between packs: no start code here'.repeat(2), 'latin1');
      return [{ data: Buffer.concat([garbage, devicePack(f)]), timestamp: f.pts }, ...devicePacks(frames.slice(PLAIN_FRAMES + 1, PLAIN_FRAMES + 3))];
    });
    assertBailedCleanly(packets, faultAt);
  });

  test('packets of a second SSRC', { skip }, () => {
    const frames = clips(GOPS_2);
    const plain = muxed(frames.slice(0, PLAIN_FRAMES), { audio: 'g711a' });
    const other = packetsOf(muxed(frames.slice(PLAIN_FRAMES)), { ssrc: 0x0badf00d });
    assertBailedCleanly([...packetsOf(plain), ...other], firstPacketOf(plain, plain.length));
  });

  test('a packet of another payload type (raw G.711, PT 8, outside the PS)', { skip }, () => {
    const frames = clips(GOPS_2);
    const plain = muxed(frames.slice(0, PLAIN_FRAMES), { audio: 'g711a' });
    const f = frames[PLAIN_FRAMES] as TimedFrame;
    const raw: RelayPacket = { payload: g711(99).subarray(0, 160), timestamp: f.pts - 1800, marker: true, payloadType: 8, ssrc: SSRC };
    const rest = packetsOf(muxed(frames.slice(PLAIN_FRAMES)));
    assertBailedCleanly([...packetsOf(plain), raw, ...rest], firstPacketOf(plain, plain.length));
  });
});

// ---------------------------------------------------------------------------------------------

describe('damaged and random input: the relay never throws, and never serves anything TypeScript would not', () => {
  const bases: [string, () => RelayPacket[]][] = [
    ['PsMuxer H.264 + G.711A packs', () => packetsOf(muxed(clips(GOPS_2), { audio: 'g711a' }))],
    ['Hikvision per-NAL PES with 0xBD and stuffing', () => packetsOf(devicePacks(clips(GOPS_2), (_, i) => ({ perNal: true, stuffing: Buffer.alloc(i % 4, 0xff), extra: [pes(0xbd, Buffer.alloc(24, 0x42))] })))],
    ['PsMuxer with 4000-byte PES + G.711U packs', () => packetsOf(muxed(clips(GOPS_2), { audio: 'g711u', maxPesBytes: 4000 }), { payloadSize: 900 })],
    ['PsMuxer, 200 KB frames in 64 KB PES + G.711A packs', () => packetsOf(muxed(clips(NOISE_2), { audio: 'g711a' }))],
  ];

  /** One to three damages to the packet list; returns what was done, for the failure message. */
  function damage(rand: () => number, input: readonly RelayPacket[]): { packets: RelayPacket[]; what: string[] } {
    const packets = [...input];
    const what: string[] = [];
    for (let k = randomInt(rand, 1, 3); k > 0 && packets.length > 0; k--) {
      const i = randomBelow(rand, packets.length);
      const p = packets[i] as RelayPacket;
      const kind = pick(rand, ['flip', 'truncate', 'drop', 'duplicate', 'insert-bytes', 'insert-packet', 'mutate'] as const);
      if (kind === 'flip') {
        const payload = Buffer.from(p.payload);
        const at: number[] = [];
        for (let n = randomInt(rand, 1, 8); n > 0 && payload.length > 0; n--) {
          const b = randomBelow(rand, payload.length);
          payload[b] = (payload[b] ?? 0) ^ (1 << randomBelow(rand, 8));
          at.push(b);
        }
        packets[i] = { ...p, payload };
        what.push(`flipped bits at bytes ${at.join(',')} of packet ${i}`);
      } else if (kind === 'truncate') {
        const n = randomBelow(rand, p.payload.length + 1);
        packets[i] = { ...p, payload: p.payload.subarray(0, n) };
        what.push(`cut packet ${i} to ${n} bytes`);
      } else if (kind === 'drop') {
        const n = randomInt(rand, 1, 5);
        packets.splice(i, n);
        what.push(`dropped ${n} packets from ${i}`);
      } else if (kind === 'duplicate') {
        packets.splice(i + 1, 0, p);
        what.push(`duplicated packet ${i}`);
      } else if (kind === 'insert-bytes') {
        const at = randomBelow(rand, p.payload.length + 1);
        const n = randomInt(rand, 1, 64);
        packets[i] = { ...p, payload: Buffer.concat([p.payload.subarray(0, at), randomBytes(rand, n), p.payload.subarray(at)]) };
        what.push(`inserted ${n} random bytes at ${at} of packet ${i}`);
      } else if (kind === 'insert-packet') {
        const n = randomInt(rand, 0, 1400);
        packets.splice(i, 0, { ...p, payload: randomBytes(rand, n), marker: rand() < 0.5 });
        what.push(`inserted a packet of ${n} random bytes before packet ${i}`);
      } else {
        packets[i] = { ...p, payload: mutate(rand, p.payload) };
        what.push(`mutate() on packet ${i}`);
      }
    }
    return { packets, what };
  }

  test('300 damaged streams', { skip }, () => {
    const streams = bases.map(([name, build]) => ({ name, packets: build() }));
    const states: Record<RelayState, number> = { pending: 0, native: 0, bailed: 0 };
    for (let seed = 1; seed <= 300; seed++) {
      const rand = seededRandom(seed);
      const base = streams[seed % streams.length] as { name: string; packets: RelayPacket[] };
      const { packets, what } = damage(rand, base.packets);
      const r = assertConsistent(packets, `seed ${seed} (${base.name}: ${what.join('; ')})`);
      states[r.state]++;
    }
    // A flipped bit inside slice data is invisible to both: some streams must still be served.
    assert.ok(states.native > 0 && states.bailed > 0, JSON.stringify(states));
  });

  test('plain streams cut short after any packet, the last one truncated', { skip }, () => {
    const streams = bases.map(([, build]) => build());
    const rand = seededRandom(7);
    for (let k = 0; k < 40; k++) {
      const packets = streams[k % streams.length] as RelayPacket[];
      const n = randomInt(rand, 1, packets.length);
      const cut = packets.slice(0, n);
      const last = cut[n - 1] as RelayPacket;
      const keep = randomBelow(rand, last.payload.length + 1);
      cut[n - 1] = { ...last, payload: last.payload.subarray(0, keep) };
      assertConsistent(cut, `first ${n} packets of stream ${k % streams.length}, the last cut to ${keep} bytes`);
    }
  });

  test('random payloads: 10 runs of 200 packets, half of them opening with a pack start code', { skip: noRelay }, () => {
    for (let seed = 1; seed <= 10; seed++) {
      const rand = seededRandom(1000 + seed);
      const packets: RelayPacket[] = [];
      let ts = randomInt(rand, 0, 2 ** 32 - 1);
      for (let i = 0; i < 200; i++) {
        const payload = randomBytes(rand, randomInt(rand, 0, 1500));
        if (payload.length >= 4 && rand() < 0.5) payload.writeUInt32BE(pick(rand, [0x1ba, 0x1bb, 0x1bc, 0x1e0, 0x1c0, 0x1bd]), 0);
        if (rand() < 0.3) ts = (ts + 3600) >>> 0;
        packets.push({ payload, timestamp: ts, marker: rand() < 0.3, payloadType: PT_PS, ssrc: SSRC });
      }
      assertConsistent(packets, `random run ${seed}`);
    }
  });

  test('plain frames followed by random packets', { skip }, () => {
    const frames = clips(GOPS_2).slice(0, 30);
    const plain = packetsOf(muxed(frames, { audio: 'g711a' }));
    for (let seed = 1; seed <= 10; seed++) {
      const rand = seededRandom(2000 + seed);
      const tail: RelayPacket[] = [];
      for (let i = 0; i < 20; i++) tail.push({ payload: randomBytes(rand, randomInt(rand, 0, 1400)), timestamp: (FIRST_PTS + 30 * 3600 + i * 3600) >>> 0, marker: rand() < 0.5, payloadType: PT_PS, ssrc: SSRC });
      assertConsistent([...plain, ...tail], `plain then random, seed ${seed}`);
    }
  });
});
