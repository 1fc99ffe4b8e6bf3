import type { SipHeaderEntry, SipHeaders } from './types';
import { canonicalHeaderName, isListHeader } from './header-names';

export { canonicalHeaderName, wireHeaderName, isListHeader } from './header-names';

/**
 * Splits a header value on commas that are outside quoted strings and <...>, trimming each element
 * and dropping empty ones. `Via: a, b` -> ["a", "b"]; `Contact: "x,y" <sip:a>` stays one element.
 */
export function splitHeaderList(value: string): string[] {
  if (value.indexOf(',') === -1) {
    const single = value.trim();
    return single === '' ? [] : [single];
  }
  const out: string[] = [];
  let inQuote = false;
  let angle = 0;
  let start = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (inQuote) {
      if (c === 0x5c /* \ */) i++;
      else if (c === 0x22 /* " */) inQuote = false;
    } else if (c === 0x22) {
      inQuote = true;
    } else if (c === 0x3c /* < */) {
      angle++;
    } else if (c === 0x3e /* > */) {
      if (angle > 0) angle--;
    } else if (c === 0x2c /* , */ && angle === 0) {
      const part = value.slice(start, i).trim();
      if (part !== '') out.push(part);
      start = i + 1;
    }
  }
  const last = value.slice(start).trim();
  if (last !== '') out.push(last);
  return out;
}

/** Ordered header list; names stored lower-case long form. Lookups are linear: SIP messages carry ~10-20 lines. */
export class Headers implements SipHeaders {
  private list: SipHeaderEntry[];

  /** Names in `init` may be in any case or compact form; they are canonicalized. */
  constructor(init?: Iterable<readonly [string, string]>) {
    this.list = [];
    if (init !== undefined) {
      for (const [name, value] of init) this.list.push({ name: canonicalHeaderName(name), value });
    }
  }

  /** Wraps an entry array whose names are already canonical (the parser's fast path). Takes ownership. */
  static fromCanonicalEntries(entries: SipHeaderEntry[]): Headers {
    const h = new Headers();
    h.list = entries;
    return h;
  }

  get(name: string): string | undefined {
    const key = canonicalHeaderName(name);
    for (const e of this.list) {
      if (e.name !== key) continue;
      if (isListHeader(key)) {
        const first = splitHeaderList(e.value)[0];
        if (first !== undefined) return first;
        continue;
      }
      return e.value;
    }
    return undefined;
  }

  getAll(name: string): string[] {
    const key = canonicalHeaderName(name);
    const split = isListHeader(key);
    const out: string[] = [];
    for (const e of this.list) {
      if (e.name !== key) continue;
      if (split) {
        for (const part of splitHeaderList(e.value)) out.push(part);
      } else {
        out.push(e.value);
      }
    }
    return out;
  }

  has(name: string): boolean {
    const key = canonicalHeaderName(name);
    for (const e of this.list) if (e.name === key) return true;
    return false;
  }

  set(name: string, value: string): void {
    const key = canonicalHeaderName(name);
    const at = this.list.findIndex((e) => e.name === key);
    if (at === -1) {
      this.list.push({ name: key, value });
      return;
    }
    this.removeAll(key, at + 1);
    this.list[at] = { name: key, value };
  }

  append(name: string, value: string): void {
    this.list.push({ name: canonicalHeaderName(name), value });
  }

  prepend(name: string, value: string): void {
    const key = canonicalHeaderName(name);
    const at = this.list.findIndex((e) => e.name === key);
    this.list.splice(at === -1 ? 0 : at, 0, { name: key, value });
  }

  delete(name: string): void {
    this.removeAll(canonicalHeaderName(name), 0);
  }

  entries(): readonly SipHeaderEntry[] {
    return this.list;
  }

  clone(): Headers {
    return Headers.fromCanonicalEntries(this.list.map((e) => ({ name: e.name, value: e.value })));
  }

  private removeAll(key: string, from: number): void {
    let w = from;
    for (let r = from; r < this.list.length; r++) {
      const e = this.list[r] as SipHeaderEntry;
      if (e.name !== key) this.list[w++] = e;
    }
    this.list.length = w;
  }
}
