import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

import { REAL_DEVICE_FIXTURES } from '../../helpers/paths';
export { seededRandom } from '../../helpers/random';

export const FIXTURE_ROOT = REAL_DEVICE_FIXTURES;

export interface Fixture {
  /** e.g. dahua-dome/05_dev_MESSAGE_Keepalive.sip */
  name: string;
  /** Header lines as in the file (no line terminators), start line first. */
  headerLines: string[];
  /** Body bytes: LF line endings as the devices send them. */
  body: Buffer;
  /** Content-Length as written by the device (may disagree with the body). */
  originalContentLength: number;
}

/**
 * Reads the markdown-derived traces: LF-only, headers then a blank line then the body, and one
 * extra trailing LF added by the write-up, which we drop.
 */
export function loadFixtures(): Fixture[] {
  const out: Fixture[] = [];
  for (const dir of readdirSync(FIXTURE_ROOT, { withFileTypes: true })) {
    if (!dir.isDirectory()) continue;
    for (const file of readdirSync(join(FIXTURE_ROOT, dir.name)).sort()) {
      if (!file.endsWith('.sip')) continue;
      const raw = readFileSync(join(FIXTURE_ROOT, dir.name, file));
      const split = raw.indexOf('\n\n');
      if (split === -1) throw new Error(`fixture ${file} has no blank line`);
      const headerLines = raw.subarray(0, split).toString('latin1').split('\n');
      let body = raw.subarray(split + 2);
      if (body.length > 0 && body[body.length - 1] === 0x0a) body = body.subarray(0, body.length - 1);
      const clLine = headerLines.find((l) => /^content-length\s*:/i.test(l));
      if (clLine === undefined) throw new Error(`fixture ${file} has no Content-Length`);
      out.push({
        name: `${dir.name}/${file}`,
        headerLines,
        body: Buffer.from(body),
        originalContentLength: Number(clLine.slice(clLine.indexOf(':') + 1).trim()),
      });
    }
  }
  return out;
}

/** Wire bytes: CRLF headers with Content-Length set to `contentLength` (default: the body's bytes), LF body. */
export function frameFixture(f: Fixture, contentLength: number | string = f.body.length): Buffer {
  const lines = f.headerLines.map((l) => (/^content-length\s*:/i.test(l) ? `Content-Length: ${contentLength}` : l));
  return Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1'), f.body]);
}

/** Header value from the fixture's own lines (first match), for cross-checking the parser. */
export function fixtureHeader(f: Fixture, name: string): string | undefined {
  const re = new RegExp(`^${name}\\s*:`, 'i');
  const line = f.headerLines.find((l) => re.test(l));
  return line === undefined ? undefined : line.slice(line.indexOf(':') + 1).trim();
}


export const REGISTER_TEXT =
  'REGISTER sip:34020000002000000001@3402000000 SIP/2.0\r\n' +
  'Via: SIP/2.0/UDP 192.168.1.64:5060;rport;branch=z9hG4bK1251336551\r\n' +
  'From: <sip:34020000001320000001@3402000000>;tag=2088733642\r\n' +
  'To: <sip:34020000001320000001@3402000000>\r\n' +
  'Call-ID: 1881196343@192.168.1.64\r\n' +
  'CSeq: 1 REGISTER\r\n' +
  'Contact: <sip:34020000001320000001@192.168.1.64:5060>\r\n' +
  'Max-Forwards: 70\r\n' +
  'User-Agent: IP Camera\r\n' +
  'Expires: 3600\r\n' +
  'Content-Length: 0\r\n' +
  '\r\n';

export const KEEPALIVE_BODY =
  '<?xml version="1.0" encoding="GB2312"?>\n' +
  '<Notify>\n' +
  '<CmdType>Keepalive</CmdType>\n' +
  '<SN>539</SN>\n' +
  '<DeviceID>34020000001320000001</DeviceID>\n' +
  '<Status>OK</Status>\n' +
  '</Notify>\n';

export const KEEPALIVE_TEXT =
  'MESSAGE sip:34020000002000000001@3402000000 SIP/2.0\r\n' +
  'Via: SIP/2.0/UDP 192.168.1.64:5060;rport;branch=z9hG4bK677047196\r\n' +
  'From: <sip:34020000001320000001@3402000000>;tag=1166693770\r\n' +
  'To: <sip:34020000002000000001@3402000000>\r\n' +
  'Call-ID: 632317300@192.168.1.64\r\n' +
  'CSeq: 20 MESSAGE\r\n' +
  'Max-Forwards: 70\r\n' +
  'User-Agent: IP Camera\r\n' +
  'Content-Type: Application/MANSCDP+xml\r\n' +
  `Content-Length: ${Buffer.byteLength(KEEPALIVE_BODY)}\r\n` +
  '\r\n' +
  KEEPALIVE_BODY;
