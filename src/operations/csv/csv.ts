/**
 * RFC 4180 CSV, as the finance office and spreadsheet programs write it: fields separated by
 * commas, records by CRLF (LF and lone CR accepted too), quoted fields with "" for a quote and
 * line breaks inside, a UTF-8 byte order mark at the start ignored. The parser is total: a record
 * it cannot read (an unterminated quote, text after a closing quote) comes back as an error with
 * its line number, and the records around it are still read.
 */

export type CsvRecord =
  | { line: number; fields: string[]; error?: undefined }
  | { line: number; error: string; fields?: undefined };

const BOM = '\ufeff';

/** Splits text into records; `line` is the 1-based line where each record starts. Blank lines are skipped. */
export function parseCsv(text: string): CsvRecord[] {
  const records: CsvRecord[] = [];
  let i = text.startsWith(BOM) ? 1 : 0;
  let line = 1;
  const n = text.length;
  while (i < n) {
    const startLine = line;
    const fields: string[] = [];
    let error: string | null = null;
    // One record: fields until an unquoted line break or the end.
    for (;;) {
      let value = '';
      if (text[i] === '"') {
        i += 1;
        let closed = false;
        while (i < n) {
          const c = text[i];
          if (c === '"') {
            if (text[i + 1] === '"') {
              value += '"';
              i += 2;
              continue;
            }
            i += 1;
            closed = true;
            break;
          }
          if (c === '\n' || (c === '\r' && text[i + 1] !== '\n')) line += 1;
          value += c;
          i += 1;
        }
        if (!closed) {
          error = `unterminated quoted field (opened on line ${startLine})`;
          break;
        }
        if (i < n && text[i] !== ',' && text[i] !== '\r' && text[i] !== '\n') {
          error = `text after the closing quote of field ${fields.length + 1}`;
          i = skipToLineEnd(text, i);
          break;
        }
      } else {
        const start = i;
        while (i < n && text[i] !== ',' && text[i] !== '\r' && text[i] !== '\n') {
          if (text[i] === '"') {
            error = `a quote inside unquoted field ${fields.length + 1}`;
          }
          i += 1;
        }
        value = text.slice(start, i);
        if (error !== null) {
          i = skipToLineEnd(text, i);
          break;
        }
      }
      fields.push(value);
      if (i < n && text[i] === ',') {
        i += 1;
        continue;
      }
      break;
    }
    const afterBreak = skipLineBreak(text, i);
    if (afterBreak !== i) line += 1;
    i = afterBreak;
    if (error !== null) records.push({ line: startLine, error });
    else if (!(fields.length === 1 && fields[0] === '')) records.push({ line: startLine, fields });
  }
  return records;
}

function skipToLineEnd(text: string, from: number): number {
  let i = from;
  while (i < text.length && text[i] !== '\r' && text[i] !== '\n') i += 1;
  return i;
}

function skipLineBreak(text: string, i: number): number {
  if (text[i] === '\r') return text[i + 1] === '\n' ? i + 2 : i + 1;
  if (text[i] === '\n') return i + 1;
  return i;
}

/** A field as written: quoted when it holds a comma, a quote, a line break or edge spaces. */
export function csvField(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return '';
  const text = typeof value === 'number' ? String(value) : value;
  if (/[",\r\n]/.test(text) || text !== text.trim()) return `"${text.replace(/"/g, '""')}"`;
  return text;
}

/**
 * Writes records with CRLF line ends. `bom` (default true) starts the text with a UTF-8 byte
 * order mark, without which spreadsheet programs on Chinese Windows read UTF-8 as GBK.
 */
export function writeCsv(rows: ReadonlyArray<ReadonlyArray<string | number | null | undefined>>, options: { bom?: boolean } = {}): string {
  const body = rows.map((row) => row.map(csvField).join(',')).join('\r\n');
  return `${options.bom === false ? '' : BOM}${body}\r\n`;
}
