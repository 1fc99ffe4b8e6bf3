import { isAscii, isUtf8 } from 'node:buffer';
import iconv from 'iconv-lite';

/**
 * MANSCDP bodies arrive as bytes in GB2312 (2016), GB18030 (2022), GBK or UTF-8, declared or
 * not, and often wrongly declared: GB2312 with GBK-only characters (坣), GB2312 with UTF-8 bytes.
 * GB18030 is a superset of GB2312 and GBK, so it is the safe fallback for the GB family.
 */

export interface DecodedXmlBody {
  text: string;
  /** The charset the text was actually decoded with (normalized name). */
  charset: string;
  /** The encoding named in the XML declaration, as written; null when absent. */
  declared: string | null;
}

const ALIASES: ReadonlyMap<string, string> = new Map([
  ['gb2312', 'GB2312'],
  ['gb231280', 'GB2312'],
  ['gb23121980', 'GB2312'],
  ['csgb2312', 'GB2312'],
  ['euccn', 'GB2312'],
  ['xeuccn', 'GB2312'],
  ['csiso58gb231280', 'GB2312'],
  ['gbk', 'GBK'],
  ['xgbk', 'GBK'],
  ['cp936', 'GBK'],
  ['ms936', 'GBK'],
  ['windows936', 'GBK'],
  ['936', 'GBK'],
  ['gb18030', 'GB18030'],
  ['gb180302000', 'GB18030'],
  ['gb180302005', 'GB18030'],
  ['gb180302022', 'GB18030'],
  ['utf8', 'UTF-8'],
  ['unicode11utf8', 'UTF-8'],
]);

// The declaration is read as ASCII, so only ASCII-compatible charsets can be meant; iconv-lite
// also knows byte codecs (base64, hex) that would turn a body into garbage.
const NOT_ASCII_COMPATIBLE = /^(?:base64|hex|binary|ucs|utf(?:7|16|32)|cesu|unicode)/;

/**
 * The canonical name of a charset we can decode and encode ("gb2312", "GB_2312-80", "utf8" ->
 * "GB2312", "UTF-8"; other labels iconv-lite knows are upper-cased); null for unknown labels.
 */
export function resolveCharset(name: string | null | undefined): string | null {
  if (typeof name !== 'string') return null;
  const trimmed = name.trim();
  if (trimmed === '' || trimmed.length > 40) return null;
  const key = trimmed.toLowerCase().replace(/[^a-z0-9]/g, '');
  const known = ALIASES.get(key);
  if (known !== undefined) return known;
  if (NOT_ASCII_COMPATIBLE.test(key)) return null;
  return iconv.encodingExists(trimmed) ? trimmed.toUpperCase() : null;
}

/**
 * Canonical spelling of a charset label for configuration and storage: resolveCharset's name
 * when known, else the label trimmed and upper-cased (encodeXmlBody then falls back to GB2312).
 */
export function normalizeCharset(name: string): string {
  return resolveCharset(name) ?? String(name).trim().toUpperCase();
}

const DECLARATION_ENCODING = /^<\?xml\s[^>]*?\bencoding\s*=\s*(["'])([^"'<>]*)\1/i;

/** The encoding named in a leading `<?xml ... ?>` declaration, read from the raw bytes. */
export function readDeclaredEncoding(body: Buffer): string | null {
  const head = stripBom(body).subarray(0, 512).toString('latin1').trimStart();
  const m = DECLARATION_ENCODING.exec(head);
  const value = m?.[2]?.trim();
  return value === undefined || value === '' ? null : value;
}

function stripBom(body: Buffer): Buffer {
  return hasUtf8Bom(body) ? body.subarray(3) : body;
}

function hasUtf8Bom(body: Buffer): boolean {
  return body.length >= 3 && body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf;
}

/** True when every multi-byte pair lies in GB2312's EUC-CN area (lead A1-F7, trail A1-FE). */
export function isStrictGb2312(bytes: Buffer): boolean {
  const n = bytes.length;
  for (let i = 0; i < n; i++) {
    const b = bytes[i] as number;
    if (b < 0x80) continue;
    const t = i + 1 < n ? (bytes[i + 1] as number) : -1;
    if (b < 0xa1 || b > 0xf7 || t < 0xa1 || t > 0xfe) return false;
    i++;
  }
  return true;
}

const GB_FAMILY = new Set(['GB2312', 'GBK', 'GB18030']);
const ASCII_COMPATIBLE = new Set([...GB_FAMILY, 'UTF-8']);

function decoded(text: string, charset: string, declared: string | null): DecodedXmlBody {
  return { text, charset, declared };
}

function decodeGb18030Fallback(bytes: Buffer, declared: string | null): DecodedXmlBody {
  const text = iconv.decode(bytes, 'gb18030');
  // Nothing in the GB family reads these bytes cleanly; valid UTF-8 is then the better guess.
  if (text.includes('\uFFFD') && isUtf8(bytes)) return decoded(bytes.toString('utf8'), 'UTF-8', declared);
  return decoded(text, 'GB18030', declared);
}

/**
 * Decode with `charset`, falling back when that decoding would lose characters.
 * `sniffUtf8` lets valid UTF-8 win over a GB-family declaration the bytes do not fit.
 */
function decodeAs(bytes: Buffer, charset: string, declared: string | null, sniffUtf8: boolean): DecodedXmlBody {
  // Most bodies are pure ASCII, which reads the same in every charset we name.
  if (ASCII_COMPATIBLE.has(charset) && isAscii(bytes)) return decoded(bytes.toString('latin1'), charset, declared);
  if (charset === 'UTF-8') {
    return isUtf8(bytes) ? decoded(bytes.toString('utf8'), 'UTF-8', declared) : decodeGb18030Fallback(bytes, declared);
  }
  if (GB_FAMILY.has(charset)) {
    if (isStrictGb2312(bytes)) return decoded(iconv.decode(bytes, charset), charset, declared);
    if (sniffUtf8 && isUtf8(bytes)) return decoded(bytes.toString('utf8'), 'UTF-8', declared);
    if (charset === 'GB2312') return decodeGb18030Fallback(bytes, declared);
    const text = iconv.decode(bytes, charset);
    if (!text.includes('\uFFFD') || charset === 'GB18030') return decoded(text, charset, declared);
    return decodeGb18030Fallback(bytes, declared);
  }
  const text = iconv.decode(bytes, charset);
  return text.includes('\uFFFD') ? decodeGb18030Fallback(bytes, declared) : decoded(text, charset, declared);
}

/**
 * Bytes of a MANSCDP body to text. Order: the per-device preferred charset when set, else the
 * XML declaration, else UTF-8 when the bytes are valid UTF-8, else GB18030; a lossy decoding
 * (invalid sequences, or non-GB2312 bytes under GB2312) falls back to GB18030. Never throws.
 */
export function decodeXmlBody(body: Buffer, preferred?: string | null): DecodedXmlBody {
  const declared = readDeclaredEncoding(body);
  const bom = hasUtf8Bom(body);
  const bytes = stripBom(body);
  const preferredCharset = resolveCharset(preferred);
  if (preferredCharset !== null) return decodeAs(bytes, preferredCharset, declared, false);
  if (bom) return decodeAs(bytes, 'UTF-8', declared, false);
  const declaredCharset = resolveCharset(declared);
  if (declaredCharset !== null) return decodeAs(bytes, declaredCharset, declared, true);
  return isUtf8(bytes) ? decoded(bytes.toString('utf8'), 'UTF-8', declared) : decodeGb18030Fallback(bytes, declared);
}

const DECLARATION = /^(\uFEFF?\s*)<\?xml\b([^?]*)\?>/;

/** Make the XML declaration name `charset`, adding a declaration when there is none. */
export function setDeclaredEncoding(text: string, charset: string): string {
  const m = DECLARATION.exec(text);
  if (m === null) return `<?xml version="1.0" encoding="${charset}"?>\n${text}`;
  const lead = m[1] ?? '';
  const inner = m[2] ?? '';
  const attrs = /\bencoding\s*=\s*(["'])[^"']*\1/.test(inner)
    ? inner.replace(/\bencoding\s*=\s*(["'])[^"']*\1/, `encoding="${charset}"`)
    : inner.replace(/^(\s*version\s*=\s*(["'])[^"']*\2)?/, (v) => `${v === '' ? ' version="1.0"' : v} encoding="${charset}"`);
  return `${lead}<?xml${attrs}?>${text.slice(m[0].length)}`;
}

function representable(bytes: Buffer, text: string, charset: string): boolean {
  if (charset === 'GB2312' && !isStrictGb2312(bytes)) return false;
  return iconv.decode(bytes, charset) === text;
}

/** Characters the charset cannot carry become numeric character references (valid in text and attributes). */
function escapeUnrepresentable(text: string, charset: string): string {
  let out = '';
  for (const ch of text) {
    const cp = ch.codePointAt(0) ?? 0;
    if (cp >= 0xd800 && cp <= 0xdfff) out += '&#xFFFD;';
    else if (cp < 0x80 || representable(iconv.encode(ch, charset), ch, charset)) out += ch;
    else out += `&#x${cp.toString(16).toUpperCase()};`;
  }
  return out;
}

/**
 * Text of an XML document to bytes in `charset` (GB2312 when the name is unknown). The
 * declaration is rewritten to name the charset actually used.
 */
export function encodeXmlBody(text: string, charset: string): Buffer {
  const cs = resolveCharset(charset) ?? 'GB2312';
  const withDecl = setDeclaredEncoding(text, cs);
  if (cs === 'UTF-8') return Buffer.from(withDecl, 'utf8');
  const bytes = iconv.encode(withDecl, cs);
  if (cs === 'GB18030' || representable(bytes, withDecl, cs)) return bytes;
  return iconv.encode(escapeUnrepresentable(withDecl, cs), cs);
}
