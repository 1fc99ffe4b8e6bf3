/**
 * Cheap reads of From/To header parameters on the per-message hot path (every request and
 * response is matched by its tags), without parsing the URI.
 */

/** Index where the header parameters of a name-addr / addr-spec value begin (at a ';'), or -1. */
function paramsStart(value: string): number {
  let inQuote = false;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (inQuote) {
      if (c === 0x5c /* \ */) i++;
      else if (c === 0x22 /* " */) inQuote = false;
    } else if (c === 0x22) {
      inQuote = true;
    } else if (c === 0x3c /* < */) {
      const gt = value.indexOf('>', i + 1);
      if (gt === -1) return -1;
      return value.indexOf(';', gt + 1);
    } else if (c === 0x3b /* ; */) {
      // addr-spec without <>: every ';' parameter belongs to the header (RFC 3261 20.10).
      return i;
    }
  }
  return -1;
}

/** A header parameter's value ('' for a flag), or undefined when absent. Name compared case-insensitively. */
export function headerParam(value: string, name: string): string | undefined {
  let i = paramsStart(value);
  if (i === -1) return undefined;
  const wanted = name.toLowerCase();
  while (i !== -1 && i < value.length) {
    const next = value.indexOf(';', i + 1);
    const raw = value.slice(i + 1, next === -1 ? value.length : next);
    const eq = raw.indexOf('=');
    const key = (eq === -1 ? raw : raw.slice(0, eq)).trim().toLowerCase();
    if (key === wanted) return eq === -1 ? '' : unquote(raw.slice(eq + 1).trim());
    i = next;
  }
  return undefined;
}

/** The `tag` of a From/To value; undefined when missing or empty. */
export function tagOf(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const tag = headerParam(value, 'tag');
  return tag === undefined || tag === '' ? undefined : tag;
}

/** Adds `;tag=` to a From/To value that has none. */
export function withTag(value: string, tag: string): string {
  return tagOf(value) === undefined ? `${value};tag=${tag}` : value;
}

function unquote(v: string): string {
  return v.length >= 2 && v.startsWith('"') && v.endsWith('"') ? v.slice(1, -1) : v;
}
