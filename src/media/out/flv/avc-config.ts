/**
 * The AVCDecoderConfigurationRecord (ISO/IEC 14496-15 5.3.3.1) for one SPS and one PPS, with
 * 4-byte NAL lengths. The optional high-profile extension (chroma format, bit depths) is left
 * out, as most muxers do; decoders read those values from the SPS itself.
 */
export function avcDecoderConfigurationRecord(sps: Buffer, pps: Buffer): Buffer {
  const out = Buffer.allocUnsafe(avcConfigSize(sps, pps));
  writeAvcConfig(out, 0, sps, pps);
  return out;
}

export function avcConfigSize(sps: Buffer, pps: Buffer): number {
  return 6 + 2 + sps.length + 1 + 2 + pps.length;
}

/** Writes the record at `offset`; returns the offset after it. */
export function writeAvcConfig(out: Buffer, offset: number, sps: Buffer, pps: Buffer): number {
  let at = offset;
  out[at++] = 1; // configurationVersion
  out[at++] = sps[1] ?? 0; // AVCProfileIndication
  out[at++] = sps[2] ?? 0; // profile_compatibility (constraint flags)
  out[at++] = sps[3] ?? 0; // AVCLevelIndication
  out[at++] = 0xfc | 3; // reserved '111111' + lengthSizeMinusOne = 3
  out[at++] = 0xe0 | 1; // reserved '111' + numOfSequenceParameterSets = 1
  at = out.writeUInt16BE(sps.length, at);
  at += sps.copy(out, at);
  out[at++] = 1; // numOfPictureParameterSets
  at = out.writeUInt16BE(pps.length, at);
  at += pps.copy(out, at);
  return at;
}
