/**
 * A small XML parser for MANSCDP bodies: pure, total, and hostile-input safe. It keeps what
 * MANSCDP needs (elements, attributes, text, CDATA, the predefined entities and character
 * references) and refuses DOCTYPE/ENTITY declarations outright, so entity-expansion bombs never
 * start. Size, depth and element-count limits bound the work per message.
 *
 * Field tolerance, on purpose: end tags match case-insensitively, a bare `&` or an unknown
 * entity stays literal text, and NULs or whitespace after the root element are ignored.
 */

export { buildXml, type XmlElementInput, type BuildXmlOptions } from './xml-build';

export interface XmlElement {
  name: string;
  /** Attribute values with entities decoded; a null-prototype object. */
  attrs: Record<string, string>;
  children: XmlElement[];
  /** Character data directly inside this element (CDATA included), untrimmed. */
  text: string;
}

export interface XmlLimits {
  /** Deepest element nesting; the root is depth 1. */
  maxDepth: number;
  maxElements: number;
  /** Largest document, in characters. */
  maxLength: number;
}

export const DEFAULT_XML_LIMITS: Readonly<XmlLimits> = Object.freeze({
  maxDepth: 32,
  maxElements: 20_000,
  maxLength: 1_048_576,
});

export type XmlParseResult = { ok: true; root: XmlElement } | { ok: false; error: string };

class XmlSyntaxError extends Error {}

// Names: ASCII letters, '_' and ':' to start, then digits, '-', '.' too; any non-ASCII letter (loosely, all of U+00B7 up).
function isNameStart(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || c === 0x5f || c === 0x3a || c >= 0xc0;
}

function isNameChar(c: number): boolean {
  return isNameStart(c) || (c >= 0x30 && c <= 0x39) || c === 0x2d || c === 0x2e || c === 0xb7;
}

const REFERENCE = /&(#[xX][0-9a-fA-F]{1,8}|#[0-9]{1,10}|[A-Za-z][A-Za-z0-9]{0,31});/g;
// A Map, not an object literal: `&constructor;` must not find Object.prototype.constructor.
const PREDEFINED: ReadonlyMap<string, string> = new Map([
  ['lt', '<'],
  ['gt', '>'],
  ['amp', '&'],
  ['quot', '"'],
  ['apos', "'"],
]);

function decodeReference(match: string, ref: string): string {
  if (ref.startsWith('#')) {
    const cp = ref[1] === 'x' || ref[1] === 'X' ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10);
    const valid = cp > 0 && cp <= 0x10ffff && !(cp >= 0xd800 && cp <= 0xdfff);
    return valid ? String.fromCodePoint(cp) : match;
  }
  return PREDEFINED.get(ref) ?? match;
}

export function decodeEntities(raw: string): string {
  return raw.includes('&') ? raw.replace(REFERENCE, decodeReference) : raw;
}

class Parser {
  private pos = 0;
  private elements = 0;

  constructor(
    private readonly src: string,
    private readonly limits: XmlLimits,
  ) {}

  parseDocument(): XmlElement {
    if (this.src.charCodeAt(0) === 0xfeff) this.pos = 1;
    this.skipMisc();
    if (this.src[this.pos] !== '<') this.fail(this.pos >= this.src.length ? 'no root element' : 'text before the root element');
    const root = this.parseElement(1);
    this.skipMisc();
    while (this.pos < this.src.length && /[\s\0]/.test(this.src[this.pos] ?? '')) this.pos++;
    if (this.pos < this.src.length) this.fail('content after the root element');
    return root;
  }

  private fail(message: string): never {
    const before = this.src.slice(0, this.pos);
    const line = before.split('\n').length;
    const column = this.pos - before.lastIndexOf('\n');
    throw new XmlSyntaxError(`${message} (line ${line}, column ${column})`);
  }

  private skipWhitespace(): void {
    const src = this.src;
    let i = this.pos;
    for (;;) {
      const c = src.charCodeAt(i);
      if (c !== 0x20 && c !== 0x0a && c !== 0x09 && c !== 0x0d) break;
      i++;
    }
    this.pos = i;
  }

  private readName(): string {
    const start = this.pos;
    const src = this.src;
    let i = start;
    if (i < src.length && isNameStart(src.charCodeAt(i))) {
      i++;
      while (i < src.length && isNameChar(src.charCodeAt(i))) i++;
    }
    this.pos = i;
    return src.slice(start, i);
  }

  /** Skip to just past `terminator`, returning what lay before it. */
  private readUntil(terminator: string, what: string): string {
    const end = this.src.indexOf(terminator, this.pos);
    if (end < 0) this.fail(`unterminated ${what}`);
    const content = this.src.slice(this.pos, end);
    this.pos = end + terminator.length;
    return content;
  }

  /** Whitespace, comments and processing instructions (the XML declaration included). */
  private skipMisc(): void {
    for (;;) {
      this.skipWhitespace();
      if (this.src.startsWith('<?', this.pos)) {
        this.pos += 2;
        this.readUntil('?>', 'processing instruction');
      } else if (this.src.startsWith('<!--', this.pos)) {
        this.pos += 4;
        this.readUntil('-->', 'comment');
      } else if (this.src.startsWith('<!', this.pos)) {
        this.rejectDeclaration();
      } else {
        return;
      }
    }
  }

  private rejectDeclaration(): never {
    const isDoctype = this.src.slice(this.pos + 2, this.pos + 9).toUpperCase() === 'DOCTYPE';
    this.fail(isDoctype ? 'DOCTYPE is not allowed in MANSCDP' : 'markup declarations (<!ENTITY, <!ELEMENT ...) are not allowed');
  }

  private parseElement(depth: number): XmlElement {
    if (depth > this.limits.maxDepth) this.fail(`elements nested deeper than ${this.limits.maxDepth}`);
    if (++this.elements > this.limits.maxElements) this.fail(`more than ${this.limits.maxElements} elements`);
    this.pos++; // '<'
    const name = this.readName();
    if (name === '') this.fail('expected an element name after <');
    const el: XmlElement = { name, attrs: Object.create(null) as Record<string, string>, children: [], text: '' };
    if (this.parseAttributes(el)) return el;
    this.parseContent(el, depth);
    return el;
  }

  /** Reads attributes up to `>` or `/>`; true when the element closed itself. */
  private parseAttributes(el: XmlElement): boolean {
    for (;;) {
      const hadSpace = this.skipWhitespaceReport();
      const c = this.src[this.pos];
      if (c === undefined) this.fail(`unterminated start tag <${el.name}>`);
      if (c === '>') {
        this.pos++;
        return false;
      }
      if (c === '/' && this.src[this.pos + 1] === '>') {
        this.pos += 2;
        return true;
      }
      if (!hadSpace) this.fail(`unexpected character ${JSON.stringify(c)} in <${el.name}>`);
      const attr = this.readName();
      if (attr === '') this.fail(`unexpected character ${JSON.stringify(c)} in <${el.name}>`);
      this.skipWhitespace();
      if (this.src[this.pos] !== '=') this.fail(`attribute ${attr} has no value`);
      this.pos++;
      this.skipWhitespace();
      const quote = this.src[this.pos];
      if (quote !== '"' && quote !== "'") this.fail(`attribute ${attr} value must be quoted`);
      this.pos++;
      const raw = this.readUntil(quote, `attribute ${attr}`);
      el.attrs[attr] = decodeEntities(raw.replace(/[\t\r\n]/g, ' '));
    }
  }

  private skipWhitespaceReport(): boolean {
    const start = this.pos;
    this.skipWhitespace();
    return this.pos > start;
  }

  private parseContent(el: XmlElement, depth: number): void {
    let text = '';
    for (;;) {
      const lt = this.src.indexOf('<', this.pos);
      if (lt < 0) {
        this.pos = this.src.length;
        this.fail(`<${el.name}> is not closed`);
      }
      if (lt > this.pos) text += decodeEntities(this.src.slice(this.pos, lt));
      this.pos = lt;
      if (this.src.startsWith('</', lt)) {
        this.pos += 2;
        const endName = this.readName();
        this.skipWhitespace();
        if (this.src[this.pos] !== '>') this.fail(`malformed end tag for <${el.name}>`);
        if (endName.toLowerCase() !== el.name.toLowerCase()) this.fail(`end tag </${endName}> does not match <${el.name}>`);
        this.pos++;
        el.text = text;
        return;
      }
      if (this.src.startsWith('<!--', lt)) {
        this.pos += 4;
        this.readUntil('-->', 'comment');
      } else if (this.src.startsWith('<![CDATA[', lt)) {
        this.pos += 9;
        text += this.readUntil(']]>', 'CDATA section');
      } else if (this.src.startsWith('<!', lt)) {
        this.rejectDeclaration();
      } else if (this.src.startsWith('<?', lt)) {
        this.pos += 2;
        this.readUntil('?>', 'processing instruction');
      } else {
        el.children.push(this.parseElement(depth + 1));
      }
    }
  }
}

/** Parse an XML document. Total: every input gives a root element or an error message. */
export function parseXml(text: string, limits: Partial<XmlLimits> = {}): XmlParseResult {
  const effective: XmlLimits = { ...DEFAULT_XML_LIMITS, ...limits };
  if (typeof text !== 'string') return { ok: false, error: 'document is not a string' };
  if (text.length > effective.maxLength) {
    return { ok: false, error: `document of ${text.length} characters exceeds the limit of ${effective.maxLength}` };
  }
  try {
    return { ok: true, root: new Parser(text, effective).parseDocument() };
  } catch (err) {
    if (err instanceof XmlSyntaxError) return { ok: false, error: err.message };
    return { ok: false, error: `unparseable document: ${err instanceof Error ? err.message : String(err)}` };
  }
}

/** First child with this name, compared case-insensitively (devices send `<Alarmstatus>`). */
export function child(el: XmlElement | null | undefined, name: string): XmlElement | null {
  if (!el) return null;
  const want = name.toLowerCase();
  for (const c of el.children) if (c.name.toLowerCase() === want) return c;
  return null;
}

export function childrenNamed(el: XmlElement | null | undefined, name: string): XmlElement[] {
  if (!el) return [];
  const want = name.toLowerCase();
  return el.children.filter((c) => c.name.toLowerCase() === want);
}

/** Trimmed text of an element; null when it is empty or the literal `null` devices send. */
export function elementText(el: XmlElement | null | undefined): string | null {
  if (!el) return null;
  const t = el.text.trim();
  return t === '' || t.toLowerCase() === 'null' ? null : t;
}

/** Trimmed text of the first child `name`; null when missing, empty or the literal `null`. */
export function childText(el: XmlElement | null | undefined, name: string): string | null {
  return elementText(child(el, name));
}

/** An attribute value by name, compared case-insensitively (`Num`, `num`); null when absent. */
export function attribute(el: XmlElement | null | undefined, name: string): string | null {
  if (!el) return null;
  const want = name.toLowerCase();
  for (const [k, v] of Object.entries(el.attrs)) if (k.toLowerCase() === want) return v;
  return null;
}
