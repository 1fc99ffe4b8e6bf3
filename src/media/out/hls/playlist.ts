/** A segment as the media playlist lists it. */
export interface PlaylistEntry {
  uri: string;
  /** Seconds. */
  duration: number;
  /** Timestamps or codec do not continue from the previous segment. */
  discontinuity: boolean;
  /** fMP4: the init segment (EXT-X-MAP) it needs; the tag is written where the map changes. */
  map?: string;
}

export interface MediaPlaylist {
  /** EXT-X-TARGETDURATION in whole seconds. */
  targetDuration: number;
  /** Sequence number of the first entry. */
  mediaSequence: number;
  /** Discontinuity tags that slid out of the window (EXT-X-DISCONTINUITY-SEQUENCE). */
  discontinuitySequence: number;
  entries: readonly PlaylistEntry[];
  /** Whether the stream ended (EXT-X-ENDLIST): players then play it from the start, not live. */
  ended: boolean;
  /** EXT-X-VERSION: 3 (default) for MPEG-TS, 7 for fMP4 with EXT-X-MAP (RFC 8216 7). */
  version?: number;
}

/** An HLS media playlist (RFC 8216 section 4). */
export function renderPlaylist(p: MediaPlaylist): string {
  const lines = ['#EXTM3U', `#EXT-X-VERSION:${p.version ?? 3}`, `#EXT-X-TARGETDURATION:${p.targetDuration}`, `#EXT-X-MEDIA-SEQUENCE:${p.mediaSequence}`];
  if (p.discontinuitySequence > 0) lines.push(`#EXT-X-DISCONTINUITY-SEQUENCE:${p.discontinuitySequence}`);
  let map: string | undefined;
  for (const e of p.entries) {
    if (e.discontinuity) lines.push('#EXT-X-DISCONTINUITY');
    if (e.map !== undefined && e.map !== map) lines.push(`#EXT-X-MAP:URI="${e.map}"`);
    map = e.map;
    lines.push(`#EXTINF:${e.duration.toFixed(3)},`, e.uri);
  }
  if (p.ended) lines.push('#EXT-X-ENDLIST');
  return `${lines.join('\n')}\n`;
}

/** Whole seconds no segment exceeds once EXTINF is rounded to milliseconds. */
export function targetDurationFor(maxDuration: number): number {
  return Math.max(1, Math.ceil(Math.round(maxDuration * 1000) / 1000));
}
