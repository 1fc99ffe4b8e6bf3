import { parseRtpPacket, type RtpPacket } from '../../../../../src/media/rtp/packet';

/**
 * A receiver's view of H.264/H.265 RTP (single NAL units and FU-A / FU; no aggregation, which
 * the server does not send), written from the RFCs independently of the payloaders under test.
 * Returns the NAL units per access unit (cut at the marker bit), or a string saying what was wrong.
 */
export function depacketizeVideo(codec: 'h264' | 'h265', packets: readonly RtpPacket[]): Buffer[][] | string {
  const units: Buffer[][] = [];
  let current: Buffer[] = [];
  let fu: Buffer[] | null = null;
  for (const p of packets) {
    const data = p.payload;
    const type = codec === 'h264' ? (data[0] ?? 0) & 0x1f : ((data[0] ?? 0) >> 1) & 0x3f;
    const isFu = codec === 'h264' ? type === 28 : type === 49;
    if (!isFu) {
      if (fu !== null) return `single NAL unit inside a fragmented one at seq ${p.sequenceNumber}`;
      current.push(data);
    } else {
      const fuHeader = data[codec === 'h264' ? 1 : 2] ?? 0;
      const body = data.subarray(codec === 'h264' ? 2 : 3);
      if (fuHeader & 0x80) {
        if (fu !== null) return 'fragment start before the previous end';
        const header =
          codec === 'h264'
            ? Buffer.from([((data[0] ?? 0) & 0xe0) | (fuHeader & 0x1f)])
            : Buffer.from([((data[0] ?? 0) & 0x81) | ((fuHeader & 0x3f) << 1), data[1] ?? 0]);
        fu = [header];
      }
      if (fu === null) return 'fragment without a start';
      fu.push(body);
      if (fuHeader & 0x40) {
        current.push(Buffer.concat(fu));
        fu = null;
      }
    }
    if (p.marker) {
      if (fu !== null) return 'marker inside a fragmented NAL unit';
      units.push(current);
      current = [];
    }
  }
  if (current.length > 0 || fu !== null) return 'packets after the last marker';
  return units;
}

export function parseAll(datagrams: readonly Buffer[]): RtpPacket[] {
  return datagrams.map((d) => {
    const p = parseRtpPacket(d);
    if (p === null) throw new Error('not an RTP packet');
    return p;
  });
}
