import iconv from 'iconv-lite';
import { encodeXmlBody, isStrictGb2312 } from '../sip/manscdp';

/**
 * Text we wrote (declaration naming `charset` already) to the bytes an upper gets. GB2312 text
 * that encodes cleanly (no character turned into '?', only GB2312 byte pairs) is taken as is;
 * anything else goes through encodeXmlBody, which writes uncarried characters as references.
 * The fast path matters for catalogs of thousands of parts: the general check decodes every part again.
 */
export function encodeForUpper(text: string, charset: string): Buffer {
  if (charset !== 'GB2312') return encodeXmlBody(text, charset);
  const bytes = iconv.encode(text, 'gb2312');
  if (isStrictGb2312(bytes) && countQuestionMarks(bytes) === countQuestionMarksText(text)) return bytes;
  return encodeXmlBody(text, charset);
}

function countQuestionMarks(bytes: Buffer): number {
  let n = 0;
  for (let i = bytes.indexOf(0x3f); i !== -1; i = bytes.indexOf(0x3f, i + 1)) n++;
  return n;
}

function countQuestionMarksText(text: string): number {
  let n = 0;
  for (let i = text.indexOf('?'); i !== -1; i = text.indexOf('?', i + 1)) n++;
  return n;
}
