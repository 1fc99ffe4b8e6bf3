import type { AudioParams, VideoParams } from '../../codec/types';
import { box, fullBox, u16, u32, zeros } from './boxes';
import { aacSampleEntry, videoSampleEntry } from './sample-entries';
import { AUDIO_TRACK_ID, TIMESCALE, VIDEO_TRACK_ID } from './tracks';

const MATRIX = u32(0x00010000, 0, 0, 0, 0x00010000, 0, 0, 0, 0x40000000);

/**
 * The initialization segment of a fragmented MP4 (ftyp + moov with empty sample tables and
 * mvex): what HLS names with EXT-X-MAP. Audio other than AAC has no track here.
 */
export function initSegment(video: VideoParams, audio?: AudioParams): Buffer {
  const withAudio = audio?.codec === 'aac';
  const ftyp = box('ftyp', Buffer.from('iso5', 'latin1'), u32(512), Buffer.from(`iso5iso6mp41${video.codec === 'h265' ? 'hvc1' : 'avc1'}`, 'latin1'));
  const traks = [trak(VIDEO_TRACK_ID, 'vide', videoSampleEntry(video), video.width, video.height)];
  const trexes = [trex(VIDEO_TRACK_ID)];
  if (withAudio && audio) {
    traks.push(trak(AUDIO_TRACK_ID, 'soun', aacSampleEntry(audio), 0, 0));
    trexes.push(trex(AUDIO_TRACK_ID));
  }
  const nextTrackId = (withAudio ? AUDIO_TRACK_ID : VIDEO_TRACK_ID) + 1;
  return Buffer.concat([ftyp, box('moov', mvhd(nextTrackId), ...traks, box('mvex', ...trexes))]);
}

function mvhd(nextTrackId: number): Buffer {
  // times 0, timescale 1000, duration 0 (fragments carry it), rate 1.0, volume 1.0
  return fullBox('mvhd', 0, 0, u32(0, 0, 1000, 0, 0x00010000), u16(0x0100), zeros(10), MATRIX, zeros(24), u32(nextTrackId));
}

function trak(id: number, handler: 'vide' | 'soun', sampleEntry: Buffer, width: number, height: number): Buffer {
  const tkhd = fullBox('tkhd', 0, 3, u32(0, 0, id, 0, 0), zeros(8), u16(0, 0, handler === 'soun' ? 0x0100 : 0, 0), MATRIX, u32(width * 0x10000, height * 0x10000));
  const mdhd = fullBox('mdhd', 0, 0, u32(0, 0, TIMESCALE, 0), u16(0x55c4, 0)); // language 'und'
  const hdlr = fullBox('hdlr', 0, 0, u32(0), Buffer.from(handler, 'latin1'), zeros(12), Buffer.from(handler === 'vide' ? 'VideoHandler\0' : 'SoundHandler\0', 'latin1'));
  const mediaHeader = handler === 'vide' ? fullBox('vmhd', 0, 1, zeros(8)) : fullBox('smhd', 0, 0, zeros(4));
  const dinf = box('dinf', fullBox('dref', 0, 0, u32(1), fullBox('url ', 0, 1)));
  const stbl = box(
    'stbl',
    fullBox('stsd', 0, 0, u32(1), sampleEntry),
    fullBox('stts', 0, 0, u32(0)),
    fullBox('stsc', 0, 0, u32(0)),
    fullBox('stsz', 0, 0, u32(0, 0)),
    fullBox('stco', 0, 0, u32(0)),
  );
  return box('trak', tkhd, box('mdia', mdhd, hdlr, box('minf', mediaHeader, dinf, stbl)));
}

function trex(id: number): Buffer {
  return fullBox('trex', 0, 0, u32(id, 1, 0, 0, 0));
}
