import type { AudioParams, VideoParams } from '../../codec/types';
import { AAC_SAMPLE_RATES } from '../../codec/adts';
import { avcDecoderConfigurationRecord } from '../flv/avc-config';
import { hevcDecoderConfigurationRecord } from '../flv/hevc-config';
import { box, fullBox, u16, u32, zeros } from './boxes';

/** hvc1 + hvcC or avc1 + avcC (ISO/IEC 14496-15): parameter sets live only here, not in samples. */
export function videoSampleEntry(video: VideoParams): Buffer {
  const config =
    video.codec === 'h265'
      ? box('hvcC', hevcDecoderConfigurationRecord(video.vps ?? Buffer.alloc(0), video.sps, video.pps))
      : box('avcC', avcDecoderConfigurationRecord(video.sps, video.pps));
  const fields = Buffer.concat([
    zeros(6),
    u16(1), // data_reference_index
    zeros(16), // pre_defined, reserved, pre_defined[3]
    u16(video.width, video.height),
    u32(0x00480000, 0x00480000), // 72 dpi
    zeros(4),
    u16(1), // frame_count
    zeros(32), // compressorname
    u16(0x0018, 0xffff), // depth, pre_defined -1
  ]);
  return box(video.codec === 'h265' ? 'hvc1' : 'avc1', fields, config);
}

/** mp4a + esds for AAC (ISO/IEC 14496-14 and -1 descriptors). */
export function aacSampleEntry(audio: AudioParams): Buffer {
  const fields = Buffer.concat([
    zeros(6),
    u16(1), // data_reference_index
    zeros(8),
    u16(audio.channels, 16),
    zeros(4),
    u32((audio.sampleRate & 0xffff) * 0x10000),
  ]);
  return box('mp4a', fields, esds(audio.aacConfig ?? lcConfig(audio.sampleRate, audio.channels)));
}

function esds(config: Buffer): Buffer {
  const decSpecific = descriptor(5, config);
  const decoderConfig = descriptor(4, Buffer.concat([Buffer.from([0x40, 0x15]), zeros(3), u32(0, 0), decSpecific])); // AAC, audio stream
  const sl = descriptor(6, Buffer.from([2]));
  const es = descriptor(3, Buffer.concat([u16(0), Buffer.from([0]), decoderConfig, sl]));
  return fullBox('esds', 0, 0, es);
}

function descriptor(tag: number, body: Buffer): Buffer {
  // Four-byte expandable size, as most muxers write it: fits any body without a second pass.
  const n = body.length;
  return Buffer.concat([Buffer.from([tag, 0x80 | ((n >> 21) & 0x7f), 0x80 | ((n >> 14) & 0x7f), 0x80 | ((n >> 7) & 0x7f), n & 0x7f]), body]);
}

/** AudioSpecificConfig for AAC-LC when the source gave none. */
function lcConfig(sampleRate: number, channels: number): Buffer {
  const index = Math.max(0, AAC_SAMPLE_RATES.indexOf(sampleRate));
  return u16((2 << 11) | ((index & 0x0f) << 7) | ((channels & 0x0f) << 3));
}
