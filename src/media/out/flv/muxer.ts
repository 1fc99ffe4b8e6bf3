import { AAC_SAMPLE_RATES, parseAdtsHeader } from '../../codec/adts';
import { splitAnnexB } from '../../codec/annexb';
import { H264, H265, nalType } from '../../codec/nal-unit';
import type { AccessUnit, AudioParams, VideoCodec, VideoParams } from '../../codec/types';
import { encodeScriptData, type AmfValue } from './amf0';
import { avcConfigSize, writeAvcConfig } from './avc-config';
import { FlvClock, wrapDelta } from './clock';
import { hevcConfigSize, writeHevcConfig } from './hevc-config';
import { allocTag, PREVIOUS_TAG_SIZE, TAG_AUDIO, TAG_HEADER_SIZE, TAG_SCRIPT, TAG_VIDEO, writeSI24, writeTagHeader } from './tag';

/**
 * How H.265 is written: 'enhanced' is the Enhanced RTMP/FLV FourCC `hvc1` header (FFmpeg >= 6.1,
 * OBS, YouTube, mpegts.js); 'codecId12' is the older CDN convention of codec id 12 with the
 * AVC packet layout (flv.js forks, SRS, many Chinese players).
 */
export type HevcMode = 'enhanced' | 'codecId12';

export interface FlvMuxerOptions {
  hevcMode?: HevcMode;
}

export const FLV_CODEC_ID = { AVC: 7, HEVC_LEGACY: 12, AAC: 10, G711A: 7, G711U: 8 } as const;
/** 'hvc1' as a big-endian number: the FourCC in enhanced tags and in onMetaData. */
export const FOURCC_HVC1 = 0x68766331;

const FRAME_KEY = 1;
const FRAME_INTER = 2;
const AVC_SEQUENCE_HEADER = 0;
const AVC_NALU = 1;
const EX_HEADER = 0x80;
const EX_SEQUENCE_START = 0;
const EX_CODED_FRAMES = 1;
/** SoundFormat 10, 44 kHz, 16-bit, stereo: the spec fixes these bits for AAC. */
const AAC_SOUND_BYTE = 0xaf;
/** SoundFormat 7/8, rate bits 0, 16-bit, mono: what FFmpeg writes and reads for 8 kHz G.711. */
const G711A_SOUND_BYTE = (FLV_CODEC_ID.G711A << 4) | 0x02;
const G711U_SOUND_BYTE = (FLV_CODEC_ID.G711U << 4) | 0x02;

/**
 * Turns access units into FLV tags for HTTP-FLV/WS-FLV. Pure: every method returns one Buffer
 * holding whole tags, each followed by its PreviousTagSize, for the caller to send. Timestamps
 * are one clock per muxer (per viewer), starting at 0 with the first frame.
 */
export class FlvMuxer {
  private readonly hevcMode: HevcMode;
  private readonly clock = new FlvClock();

  constructor(options: FlvMuxerOptions = {}) {
    this.hevcMode = options.hevcMode ?? 'enhanced';
  }

  /** The FLV file header and PreviousTagSize0. */
  header(tracks: { hasVideo: boolean; hasAudio: boolean }): Buffer {
    const out = Buffer.alloc(13);
    out.write('FLV', 0, 'latin1');
    out[3] = 1; // version
    out[4] = (tracks.hasAudio ? 4 : 0) | (tracks.hasVideo ? 1 : 0);
    out.writeUInt32BE(9, 5); // header size; PreviousTagSize0 stays 0
    return out;
  }

  /** The onMetaData script tag describing the tracks (sent once, after the header). */
  metadata(params: { video?: VideoParams; audio?: AudioParams }): Buffer {
    const props: [string, AmfValue][] = [['duration', 0]];
    const { video, audio } = params;
    if (video) {
      props.push(['width', video.width], ['height', video.height]);
      if (video.fps !== undefined) props.push(['framerate', video.fps]);
      props.push(['videocodecid', this.videoCodecId(video.codec)]);
    }
    if (audio) {
      props.push(['audiocodecid', audioCodecId(audio)], ['audiosamplerate', audio.sampleRate], ['audiosamplesize', 16], ['stereo', audio.channels > 1]);
    }
    props.push(['encoder', 'gbvms']);
    const body = encodeScriptData('onMetaData', props);
    const tag = allocTag(TAG_SCRIPT, body.length, 0);
    body.copy(tag, TAG_HEADER_SIZE);
    return tag;
  }

  /**
   * The decoder configuration tag; send it before the first frame and again whenever the
   * parameter sets change. Null for H.265 without a VPS.
   */
  videoSequenceHeader(params: VideoParams): Buffer | null {
    const ms = this.clock.currentMs();
    if (params.codec === 'h264') {
      const tag = allocTag(TAG_VIDEO, 5 + avcConfigSize(params.sps, params.pps), ms);
      this.writeLegacyVideoHeader(tag, FLV_CODEC_ID.AVC, FRAME_KEY, AVC_SEQUENCE_HEADER, 0);
      writeAvcConfig(tag, TAG_HEADER_SIZE + 5, params.sps, params.pps);
      return tag;
    }
    const { vps, sps, pps } = params;
    if (!vps) return null;
    const size = hevcConfigSize(vps, sps, pps);
    if (this.hevcMode === 'codecId12') {
      const tag = allocTag(TAG_VIDEO, 5 + size, ms);
      this.writeLegacyVideoHeader(tag, FLV_CODEC_ID.HEVC_LEGACY, FRAME_KEY, AVC_SEQUENCE_HEADER, 0);
      writeHevcConfig(tag, TAG_HEADER_SIZE + 5, vps, sps, pps);
      return tag;
    }
    const tag = allocTag(TAG_VIDEO, 5 + size, ms);
    tag[TAG_HEADER_SIZE] = EX_HEADER | (FRAME_KEY << 4) | EX_SEQUENCE_START;
    tag.writeUInt32BE(FOURCC_HVC1, TAG_HEADER_SIZE + 1);
    writeHevcConfig(tag, TAG_HEADER_SIZE + 5, vps, sps, pps);
    return tag;
  }

  /**
   * One video frame as length-prefixed NAL units. Parameter sets and access unit delimiters are
   * left out (the sequence header carries the former). Null when nothing is left to send.
   */
  videoFrame(au: AccessUnit): Buffer | null {
    const parts = this.videoFrameParts(au);
    return parts === null ? null : Buffer.concat(parts);
  }

  /**
   * The same tag as videoFrame, as pieces to write in order: the NAL units are views into the
   * access unit, and everything around them (tag header, video header, lengths, PreviousTagSize)
   * is cut from one small buffer. A viewer's socket takes them in one writev, without copying the
   * frame into a tag of its own (an allocation and a copy of every frame for every viewer).
   */
  videoFrameParts(au: AccessUnit): Buffer[] | null {
    if (au.kind !== 'video' || (au.codec !== 'h264' && au.codec !== 'h265')) return null;
    const codec = au.codec;
    const nals = (au.nalUnits ?? splitAnnexB(au.data)).filter((n) => n.length > 0 && keepInFrame(codec, n));
    if (nals.length === 0) return null;
    let payload = 0;
    for (const n of nals) payload += 4 + n.length;
    const ms = this.clock.toMs(au.dts);
    const cts = Math.round(wrapDelta(au.pts - au.dts) / 90);
    const frameType = au.keyframe ? FRAME_KEY : FRAME_INTER;
    const enhanced = codec === 'h265' && this.hevcMode === 'enhanced';
    const headerSize = enhanced ? 8 : 5;
    const dataSize = headerSize + payload;
    const head = TAG_HEADER_SIZE + headerSize;
    // Tag and video headers, a length per NAL unit, PreviousTagSize.
    const frame = Buffer.allocUnsafe(head + 4 * nals.length + PREVIOUS_TAG_SIZE);
    writeTagHeader(frame, TAG_VIDEO, dataSize, ms);
    if (enhanced) {
      frame[TAG_HEADER_SIZE] = EX_HEADER | (frameType << 4) | EX_CODED_FRAMES;
      frame.writeUInt32BE(FOURCC_HVC1, TAG_HEADER_SIZE + 1);
      writeSI24(frame, cts, TAG_HEADER_SIZE + 5);
    } else {
      this.writeLegacyVideoHeader(frame, this.videoCodecId(codec), frameType, AVC_NALU, cts);
    }
    const parts: Buffer[] = [];
    let at = head;
    let from = 0;
    for (const n of nals) {
      at = frame.writeUInt32BE(n.length, at);
      parts.push(frame.subarray(from, at), n);
      from = at;
    }
    frame.writeUInt32BE(TAG_HEADER_SIZE + dataSize, at);
    parts.push(frame.subarray(at, at + PREVIOUS_TAG_SIZE));
    return parts;
  }

  /** The AAC AudioSpecificConfig tag; null for G.711, which needs none. */
  audioSequenceHeader(params: AudioParams): Buffer | null {
    if (params.codec !== 'aac') return null;
    const config = params.aacConfig ?? lcConfig(params.sampleRate, params.channels);
    if (!config) return null;
    const tag = allocTag(TAG_AUDIO, 2 + config.length, this.clock.currentMs());
    tag[TAG_HEADER_SIZE] = AAC_SOUND_BYTE;
    tag[TAG_HEADER_SIZE + 1] = 0; // AACPacketType: sequence header
    config.copy(tag, TAG_HEADER_SIZE + 2);
    return tag;
  }

  /** One audio frame: raw AAC (ADTS header removed) or G.711 samples. Null when empty. */
  audioFrame(au: AccessUnit): Buffer | null {
    if (au.kind !== 'audio') return null;
    let payload = au.data;
    let soundByte: number;
    let headerSize = 1;
    if (au.codec === 'aac') {
      const adts = parseAdtsHeader(payload);
      if (adts) {
        if (adts.frameLength > payload.length) return null; // truncated: the decoder would choke on it
        payload = payload.subarray(adts.headerLength, adts.frameLength);
      }
      soundByte = AAC_SOUND_BYTE;
      headerSize = 2;
    } else if (au.codec === 'g711a') soundByte = G711A_SOUND_BYTE;
    else if (au.codec === 'g711u') soundByte = G711U_SOUND_BYTE;
    else return null;
    if (payload.length === 0) return null;
    const tag = allocTag(TAG_AUDIO, headerSize + payload.length, this.clock.toMs(au.dts));
    tag[TAG_HEADER_SIZE] = soundByte;
    if (headerSize === 2) tag[TAG_HEADER_SIZE + 1] = 1; // AACPacketType: raw
    payload.copy(tag, TAG_HEADER_SIZE + headerSize);
    return tag;
  }

  /** Starts the clock again at 0 with the next frame (a new viewer session on the same muxer). */
  reset(): void {
    this.clock.reset();
  }

  private videoCodecId(codec: VideoCodec): number {
    if (codec === 'h264') return FLV_CODEC_ID.AVC;
    return this.hevcMode === 'enhanced' ? FOURCC_HVC1 : FLV_CODEC_ID.HEVC_LEGACY;
  }

  private writeLegacyVideoHeader(tag: Buffer, codecId: number, frameType: number, packetType: number, cts: number): void {
    tag[TAG_HEADER_SIZE] = (frameType << 4) | codecId;
    tag[TAG_HEADER_SIZE + 1] = packetType;
    writeSI24(tag, cts, TAG_HEADER_SIZE + 2);
  }
}

function keepInFrame(codec: VideoCodec, nal: Buffer): boolean {
  const type = nalType(codec, nal[0] ?? 0);
  if (codec === 'h264') return type !== H264.SPS && type !== H264.PPS && type !== H264.AUD;
  return type !== H265.VPS && type !== H265.SPS && type !== H265.PPS && type !== H265.AUD;
}

function audioCodecId(params: AudioParams): number {
  if (params.codec === 'aac') return FLV_CODEC_ID.AAC;
  return params.codec === 'g711a' ? FLV_CODEC_ID.G711A : FLV_CODEC_ID.G711U;
}

/** AAC-LC AudioSpecificConfig for a rate and channel count, when params came without one. */
function lcConfig(sampleRate: number, channels: number): Buffer | null {
  const index = AAC_SAMPLE_RATES.indexOf(sampleRate);
  if (index < 0 || channels < 1 || channels > 7) return null;
  const out = Buffer.allocUnsafe(2);
  out.writeUInt16BE((2 << 11) | (index << 7) | (channels << 3), 0);
  return out;
}
