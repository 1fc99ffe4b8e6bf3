/** GB/T 28181 SDP (Annex G): the fields a platform acts on, typed; everything else kept raw. */

export type SessionName = 'Play' | 'Playback' | 'Download' | 'Talk';

export type MediaKind = 'video' | 'audio';
export type MediaTransport = 'udp' | 'tcp';
/** RFC 4145 role of the SDP's sender for RTP over TCP: active connects, passive listens. */
export type TcpSetup = 'active' | 'passive';
export type MediaDirection = 'recvonly' | 'sendonly' | 'sendrecv';

export interface RtpPayload {
  pt: number;
  /** As sent (`PS`, `H264`, `H265`, `MPEG4`, `PCMA`, vendor names such as `HIKVISION`); null when no rtpmap and not a static type. */
  encoding: string | null;
  clockRate: number | null;
}

export interface SdpAttribute {
  name: string;
  /** null for a flag attribute (`a=recvonly`). */
  value: string | null;
}

export interface GbMedia {
  kind: MediaKind;
  port: number;
  transport: MediaTransport;
  /** The m= protocol as sent: `RTP/AVP`, `TCP/RTP/AVP`, … */
  protocol: string;
  setup: TcpSetup | null;
  /** `a=connection:new` was present. */
  connectionNew: boolean;
  payloads: RtpPayload[];
  direction: MediaDirection | null;
  /** Media-level c= address, or null (then the session-level one applies). */
  connection: string | null;
  downloadSpeed: number | null;
  /** Bytes (`a=filesize`), for download progress. */
  fileSize: number | null;
  /** `a=streamnumber` (0 main stream, 1 first sub-stream, …). */
  streamNumber: number | null;
  /** Every a= line of this media section, as sent (session-level ones are in GbSdp.attributes). */
  attributes: SdpAttribute[];
}

/**
 * The f= line (Annex G): `v/codec/resolution/frameRate/bitrateType/bitrate` + `a/codec/bitrate/sampleRate`.
 * Numbers are the standard's codes as sent (0 is reported as 0: several devices send all zeros);
 * a field that is empty or not a number is null.
 */
export interface MediaFormat {
  raw: string;
  /** 1 MPEG-4, 2 H.264, 3 SVAC, 4 3GP, 5 H.265. */
  videoCodec: number | null;
  /** `1`..`6` (QCIF, CIF, 4CIF, D1, 720P, 1080P/I) or `WxH`, as sent. */
  resolution: string | null;
  frameRate: number | null;
  /** 1 CBR, 2 VBR. */
  bitrateType: number | null;
  /** kbit/s. */
  videoBitrate: number | null;
  /** 1 G.711, 2 G.723.1, 3 G.729, 4 G.722.1, 5 SVAC, 6 AAC. */
  audioCodec: number | null;
  /** The standard's audio bitrate code (8 = 64 kbit/s). */
  audioBitrate: number | null;
  /** The standard's sample-rate code (1 = 8 kHz). */
  sampleRate: number | null;
}

export interface GbSdp {
  /** Canonical for the GB session kinds (matched case-insensitively), otherwise as sent (`Network Video Recorder`). */
  sessionName: SessionName | string;
  /** i= */
  sessionInfo: string | null;
  /** o=: username is the sender's device, channel or platform ID. */
  origin: { username: string; address: string | null } | null;
  /** Session-level c= address, or the first media-level one. */
  connection: string | null;
  /** t= as sent: Unix seconds in GB/T 28181 (NTP seconds from RFC 4566 peers); 0 0 when missing. Not corrected for devices that shift by their time zone. */
  startTime: number;
  endTime: number;
  /** u= as sent. */
  uri: string | null;
  /** u= in the short form `<channelId>:<param>` (param 0 all, 1 manual, 2 alarm, 3 time); null for the http:// form. */
  uriChannelId: string | null;
  uriParam: string | null;
  media: GbMedia[];
  /** y= digits as sent (zero padding kept), or null when missing or not digits. */
  ssrc: string | null;
  /** The RTP SSRC value y= stands for, or null when missing, not digits or above 2^32-1. */
  ssrcNumber: number | null;
  /** f=, or null when the line is missing. */
  format: MediaFormat | null;
  /** Session-level a= lines (before the first m=), as sent; their direction, setup, … also apply to each media section. */
  attributes: SdpAttribute[];
}

export type GbSdpResult = { ok: true; value: GbSdp } | { ok: false; error: string };

export interface PayloadMapping {
  pt: number;
  encoding: string;
  clockRate: number;
}

/** What the platform asks of a device in an INVITE. */
export interface GbSdpOffer {
  sessionName: 'Play' | 'Playback' | 'Download';
  /** o= username: the platform's ID (some devices want the channel ID, as the 2016 examples show). */
  username: string;
  /** Our media receive address, written in o= and c=. */
  address: string;
  port: number;
  transport: MediaTransport;
  /** For TCP: default passive (we listen, the device connects). */
  setup?: TcpSetup;
  /** Required for Playback and Download: `<channelId>:<param>` or an http:// URI. */
  uri?: string;
  /** Unix seconds; 0 0 for Play. */
  startTime?: number;
  endTime?: number;
  /** Download only; default 1. */
  downloadSpeed?: number;
  /** Default: 96 PS/90000, 97 MPEG4/90000, 98 H264/90000. */
  payloads?: readonly PayloadMapping[];
  /** y= (see makeSsrc). */
  ssrc: string;
  format?: Partial<Omit<MediaFormat, 'raw'>>;
  /** a=streamnumber (0 main stream, 1 sub-stream). */
  streamNumber?: number;
}

/** What we send when an upper platform invites one of our channels (cascade). */
export interface GbSdpAnswer {
  sessionName: 'Play' | 'Playback' | 'Download';
  /** o= username: the channel ID. */
  username: string;
  /** Our media send address. */
  address: string;
  port: number;
  transport: MediaTransport;
  /** For TCP: the opposite of the offer's setup. */
  setup?: TcpSetup;
  startTime?: number;
  endTime?: number;
  /** Default 96 PS/90000. */
  payload?: PayloadMapping;
  ssrc: string;
  fileSize?: number;
}
