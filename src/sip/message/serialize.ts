import type { SipMessage } from './types';
import { wireNameOfCanonical } from './header-names';

/**
 * Wire form of a message: CRLF line endings, Content-Length always equal to the body's byte count
 * (in place of any Content-Length header, else last), body appended unchanged. Header text is UTF-8.
 */
export function serializeSipMessage(msg: SipMessage): Buffer {
  const bodyLength = msg.body.length;
  let head = msg.type === 'request' ? `${msg.method} ${msg.uri} SIP/2.0\r\n` : `SIP/2.0 ${msg.status} ${msg.reason}\r\n`;
  let lengthWritten = false;
  for (const e of msg.headers.entries()) {
    if (e.name === 'content-length') {
      if (!lengthWritten) head += `Content-Length: ${bodyLength}\r\n`;
      lengthWritten = true;
      continue;
    }
    head += `${wireNameOfCanonical(e.name)}: ${singleLine(e.value)}\r\n`;
  }
  if (!lengthWritten) head += `Content-Length: ${bodyLength}\r\n`;
  head += '\r\n';

  const headLength = Buffer.byteLength(head, 'utf8');
  const out = Buffer.allocUnsafe(headLength + bodyLength);
  out.write(head, 0, headLength, 'utf8');
  if (bodyLength > 0) msg.body.copy(out, headLength);
  return out;
}

/** A CR or LF inside a value would end the header early on the wire (header injection). */
function singleLine(value: string): string {
  if (value.indexOf('\n') === -1 && value.indexOf('\r') === -1) return value;
  return value.replace(/[\r\n]+[ \t]*/g, ' ');
}
