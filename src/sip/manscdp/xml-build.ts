import { resolveCharset } from './charset';

/** What buildXml accepts: an XmlElement, or a lighter literal with optional parts. */
export interface XmlElementInput {
  name: string;
  attrs?: Readonly<Record<string, string>>;
  children?: readonly XmlElementInput[];
  text?: string | number | null;
}

export interface BuildXmlOptions {
  /** Indentation per level; '' writes one element per line without indentation. Default two spaces. */
  indent?: string;
}

// Characters XML 1.0 cannot carry at all, not even as references (C0 controls, lone surrogates, U+FFFE/F).
const INVALID_XML_CHARS = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

export function escapeXmlText(value: string): string {
  return value.replace(INVALID_XML_CHARS, '').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function escapeXmlAttribute(value: string): string {
  return escapeXmlText(value)
    .replace(/"/g, '&quot;')
    .replace(/\t/g, '&#9;')
    .replace(/\n/g, '&#10;')
    .replace(/\r/g, '&#13;');
}

function writeElement(el: XmlElementInput, depth: number, indent: string, out: string[]): void {
  const pad = indent.repeat(depth);
  let open = `<${el.name}`;
  for (const [k, v] of Object.entries(el.attrs ?? {})) open += ` ${k}="${escapeXmlAttribute(v)}"`;
  open += '>';
  const text = el.text === undefined || el.text === null ? '' : escapeXmlText(String(el.text));
  const children = el.children ?? [];
  if (children.length === 0) {
    // `<X></X>` rather than `<X/>`: some device parsers do not accept self-closing tags.
    out.push(`${pad}${open}${text}</${el.name}>`);
    return;
  }
  out.push(`${pad}${open}${text}`);
  for (const c of children) writeElement(c, depth + 1, indent, out);
  out.push(`${pad}</${el.name}>`);
}

/**
 * Serialize with a `<?xml version="1.0" encoding="..."?>` declaration, one element per line,
 * LF line endings and a final newline, as devices do. Text and attributes are escaped; element
 * names are written as given (they come from code, not from the network).
 */
export function buildXml(root: XmlElementInput, charset: string, options: BuildXmlOptions = {}): string {
  const indent = options.indent ?? '  ';
  const cs = resolveCharset(charset) ?? charset.replace(/[^A-Za-z0-9._-]/g, '');
  const out = [`<?xml version="1.0" encoding="${cs}"?>`];
  writeElement(root, 0, indent, out);
  return out.join('\n') + '\n';
}
