/**
 * `;name=value;flag` parameter lists (URI, Via, From/To/Contact header parameters).
 * Names are lower-cased; values are kept as written (quotes included) so they can be echoed back.
 */
export function parseParams(text: string): Map<string, string | null> {
  const params = new Map<string, string | null>();
  const len = text.length;
  let i = 0;
  while (i < len) {
    // One parameter runs to the next ';' outside quotes.
    let end = i;
    let inQuote = false;
    while (end < len) {
      const c = text.charCodeAt(end);
      if (inQuote) {
        if (c === 0x5c /* \ */) end++;
        else if (c === 0x22 /* " */) inQuote = false;
      } else if (c === 0x22) {
        inQuote = true;
      } else if (c === 0x3b /* ; */) {
        break;
      }
      end++;
    }
    if (end > len) end = len;
    addParam(params, text.slice(i, end));
    i = end + 1;
  }
  return params;
}

function addParam(params: Map<string, string | null>, raw: string): void {
  const eq = raw.indexOf('=');
  const name = (eq === -1 ? raw : raw.slice(0, eq)).trim().toLowerCase();
  if (name === '' || params.has(name)) return;
  params.set(name, eq === -1 ? null : raw.slice(eq + 1).trim());
}

/** `;a=b;c` for a parameter map (empty string for an empty map). */
export function formatParams(params: ReadonlyMap<string, string | null>): string {
  let out = '';
  for (const [name, value] of params) out += value === null ? `;${name}` : `;${name}=${value}`;
  return out;
}
