import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REAL_DEVICE_FIXTURES } from '../../helpers/paths';

export interface MansrtspTrace {
  file: string;
  contentType: string;
  body: Buffer;
}

/** The INFO requests and answers of the real traces whose Content-Type says RTSP (LF-only files). */
export function mansrtspTraces(): MansrtspTrace[] {
  const out: MansrtspTrace[] = [];
  for (const dir of readdirSync(REAL_DEVICE_FIXTURES, { withFileTypes: true })) {
    if (!dir.isDirectory()) continue;
    for (const name of readdirSync(join(REAL_DEVICE_FIXTURES, dir.name)).sort()) {
      const raw = readFileSync(join(REAL_DEVICE_FIXTURES, dir.name, name));
      const split = raw.indexOf('\n\n');
      if (split < 0) continue;
      const head = raw.subarray(0, split).toString('latin1');
      const contentType = /^content-type:[ \t]*(.*)$/im.exec(head)?.[1]?.trim();
      if (!contentType || !/rtsp/i.test(contentType)) continue;
      out.push({ file: `${dir.name}/${name}`, contentType, body: raw.subarray(split + 2) });
    }
  }
  return out;
}
