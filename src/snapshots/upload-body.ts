import { isJpeg } from './jpeg';
import { multipartBoundary, parseMultipart } from './multipart';
import type { UploadedImage } from './upload-sessions';

export type UploadImagesResult = { ok: true; images: UploadedImage[] } | { ok: false; error: string };

/** A device's file name as an ID: the last path element without its extension (GB/T 28181 table 4 names). */
export function fileIdOf(name: string | null | undefined): string | null {
  if (name === null || name === undefined) return null;
  const base = name.split(/[\\/]/).pop() ?? '';
  const id = base.replace(/\.[A-Za-z0-9]{1,5}$/, '').slice(0, 128);
  return /^[\w.-]+$/.test(id) ? id : null;
}

/**
 * The JPEGs of an upload body: a multipart/form-data form (every part that is a JPEG by its magic
 * bytes) or the picture itself as the body. Pure and total; `pathName` is the URL's last element
 * when the device appended one. Fails when no JPEG is found: the content type is not trusted.
 */
export function uploadedImages(body: Buffer, contentType: string, pathName: string | null): UploadImagesResult {
  const boundary = multipartBoundary(contentType);
  if (boundary !== null) {
    const parsed = parseMultipart(body, boundary);
    if (!parsed.ok) return parsed;
    const images = parsed.parts.filter((p) => isJpeg(p.data)).map((p) => ({ data: p.data, fileId: fileIdOf(p.filename) ?? fileIdOf(pathName) }));
    return images.length > 0 ? { ok: true, images } : { ok: false, error: 'no JPEG picture in the form' };
  }
  if (!isJpeg(body)) return { ok: false, error: 'the body is not a JPEG picture' };
  return { ok: true, images: [{ data: body, fileId: fileIdOf(pathName) }] };
}
