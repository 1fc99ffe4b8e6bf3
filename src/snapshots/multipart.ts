/** One part of a multipart/form-data body: its headers' useful bits and a view of its bytes. */
export interface UploadPart {
  /** The part's file name (Content-Disposition filename=), or null. */
  filename: string | null;
  /** The form field name (Content-Disposition name=), or null. */
  name: string | null;
  contentType: string | null;
  data: Buffer;
}

export type MultipartResult = { ok: true; parts: UploadPart[] } | { ok: false; error: string };

const MAX_PARTS = 32;
const MAX_HEADER_BYTES = 8 * 1024;

/** The boundary of a `multipart/...; boundary=...` Content-Type, or null when it is not multipart. */
export function multipartBoundary(contentType: string): string | null {
  if (!/^\s*multipart\//i.test(contentType)) return null;
  const m = /;\s*boundary\s*=\s*(?:"([^"]{1,200})"|([^;\s]{1,200}))/i.exec(contentType);
  const boundary = m?.[1] ?? m?.[2] ?? null;
  return boundary === null || boundary === '' ? null : boundary;
}

/**
 * Splits a multipart body (RFC 7578) into its parts. Pure and total: never throws, never reads
 * past `body`; the parts are views into it. Lenient the way device firmware needs: LF or CRLF
 * line ends, a missing closing delimiter (the last part runs to the end of the body).
 */
export function parseMultipart(body: Buffer, boundary: string): MultipartResult {
  if (boundary.length === 0 || boundary.length > 200) return { ok: false, error: 'bad multipart boundary' };
  const delimiter = Buffer.from(`--${boundary}`, 'latin1');
  let at = body.indexOf(delimiter);
  if (at < 0) return { ok: false, error: 'multipart body without its boundary' };
  const parts: UploadPart[] = [];
  while (at >= 0 && parts.length < MAX_PARTS) {
    let p = at + delimiter.length;
    // "--" after the delimiter closes the body.
    if (body[p] === 0x2d && body[p + 1] === 0x2d) break;
    p = skipLineEnd(body, p);
    const headerEnd = findHeaderEnd(body, p);
    if (headerEnd === null) break;
    const headers = body.subarray(p, headerEnd.at).toString('latin1');
    const dataStart = headerEnd.at + headerEnd.length;
    const next = body.indexOf(delimiter, dataStart);
    let dataEnd = next < 0 ? body.length : next;
    // The line end before the next delimiter belongs to the delimiter.
    if (next >= 0) {
      if (dataEnd - 2 >= dataStart && body[dataEnd - 2] === 0x0d && body[dataEnd - 1] === 0x0a) dataEnd -= 2;
      else if (dataEnd - 1 >= dataStart && body[dataEnd - 1] === 0x0a) dataEnd -= 1;
    }
    parts.push({ ...readPartHeaders(headers), data: body.subarray(dataStart, dataEnd) });
    at = next;
  }
  return { ok: true, parts };
}

function skipLineEnd(body: Buffer, p: number): number {
  // Transport padding (spaces, tabs) may follow a delimiter before its line end.
  let q = p;
  while (q < body.length && (body[q] === 0x20 || body[q] === 0x09)) q++;
  if (body[q] === 0x0d && body[q + 1] === 0x0a) return q + 2;
  if (body[q] === 0x0a) return q + 1;
  return q;
}

/** The blank line that ends a part's headers (CRLFCRLF or LFLF); a part with no headers starts with it. */
function findHeaderEnd(body: Buffer, p: number): { at: number; length: number } | null {
  if (body[p] === 0x0d && body[p + 1] === 0x0a) return { at: p, length: 2 };
  if (body[p] === 0x0a) return { at: p, length: 1 };
  const limit = Math.min(body.length, p + MAX_HEADER_BYTES);
  for (let q = p; q < limit; q++) {
    if (body[q] !== 0x0a) continue;
    if (body[q + 1] === 0x0a) return { at: q + 1, length: 1 };
    if (body[q + 1] === 0x0d && body[q + 2] === 0x0a) return { at: q + 1, length: 2 };
  }
  return null;
}

function readPartHeaders(text: string): Omit<UploadPart, 'data'> {
  let filename: string | null = null;
  let name: string | null = null;
  let contentType: string | null = null;
  for (const line of text.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const header = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (header === 'content-type') contentType = value.slice(0, 200);
    else if (header === 'content-disposition') {
      filename = dispositionParam(value, 'filename');
      name = dispositionParam(value, 'name');
    }
  }
  return { filename, name, contentType };
}

function dispositionParam(value: string, param: string): string | null {
  const m = new RegExp(`(?:^|;)\\s*${param}\\s*=\\s*(?:"([^"]*)"|([^;\\s]*))`, 'i').exec(value);
  const v = m?.[1] ?? m?.[2];
  return v === undefined || v === '' ? null : v.slice(0, 255);
}
