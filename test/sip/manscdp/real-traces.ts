import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REAL_DEVICE_FIXTURES } from '../../helpers/paths';

/** MANSCDP bodies of the real device traces (LF-only files: the body is what follows the first blank line). */
export interface TraceBody {
  file: string;
  body: Buffer;
}

const ROOT = REAL_DEVICE_FIXTURES;

export function manscdpTraceBodies(): TraceBody[] {
  const out: TraceBody[] = [];
  for (const dir of readdirSync(ROOT, { withFileTypes: true })) {
    if (!dir.isDirectory()) continue;
    for (const name of readdirSync(join(ROOT, dir.name)).sort()) {
      const raw = readFileSync(join(ROOT, dir.name, name));
      const split = raw.indexOf('\n\n');
      if (split < 0) continue;
      const head = raw.subarray(0, split).toString('latin1');
      if (!/^content-type:\s*application\/manscdp\+xml/im.test(head)) continue;
      out.push({ file: `${dir.name}/${name}`, body: raw.subarray(split + 2) });
    }
  }
  return out;
}

export function traceBody(file: string): Buffer {
  const found = manscdpTraceBodies().find((t) => t.file.endsWith(file));
  if (!found) throw new Error(`no MANSCDP body in trace ${file}`);
  return found.body;
}
