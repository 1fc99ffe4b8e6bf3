import iconv from 'iconv-lite';

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/**
 * The text of an uploaded CSV file: UTF-8 (with or without a byte order mark) when the bytes are
 * valid UTF-8, else GB18030 — what spreadsheet programs on Chinese Windows save "CSV" as.
 */
export function decodeCsvBytes(bytes: Uint8Array): { text: string; charset: 'utf-8' | 'gb18030' } {
  try {
    return { text: utf8.decode(bytes), charset: 'utf-8' };
  } catch {
    return { text: iconv.decode(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), 'gb18030'), charset: 'gb18030' };
  }
}
