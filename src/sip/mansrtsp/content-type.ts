/**
 * The standard says `Application/MANSRTSP`; Hikvision NVRs (and the eXosip-based platforms that
 * talk to them) use `application/RTSP`. Both, in any case and with parameters, are MANSRTSP.
 */
export function isMansrtspContentType(value: unknown): boolean {
  if (typeof value !== 'string' || value.length > 256) return false;
  const semicolon = value.indexOf(';');
  const mediaType = (semicolon < 0 ? value : value.slice(0, semicolon)).trim().toLowerCase();
  return mediaType === 'application/mansrtsp' || mediaType === 'application/rtsp';
}

/** What we send: the standard's spelling. */
export const MANSRTSP_CONTENT_TYPE = 'Application/MANSRTSP';
